//! Content problems: the `Diagnostic` every stage collects, and its three renderings.
//!
//! Stages never print. They return diagnostics with a stable code, a level, a message, and where
//! the problem is; the command line sorts them, applies the levels of `blameless.toml [rules]`,
//! and renders them for people (rustc style), for tools (JSON) or for CI (workflow annotations).

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How serious a diagnostic is; `Allow` drops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Silenced: the diagnostic is not reported at all.
    Allow,
    /// Reported; fails the run only with `--deny-warnings`.
    Warning,
    /// Reported; fails the run.
    Error,
}

impl Level {
    /// The lower-case name used in `blameless.toml` and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $level:ident;)*) => {
        /// Every diagnostic code blameless can report, with its stable name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// All codes, in the order of the design's table.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name, as written in `[rules]` and in output.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The level a code has unless `[rules]` says otherwise.
            pub fn default_level(self) -> Level {
                match self { $(Code::$variant => Level::$level,)* }
            }
        }
    };
}

codes! {
    InvalidFrontMatter = "invalid-front-matter", Error;
    UnknownField = "unknown-field", Error;
    MissingField = "missing-field", Error;
    InvalidValue = "invalid-value", Error;
    InvalidId = "invalid-id", Error;
    InvalidEncoding = "invalid-encoding", Error;
    DuplicateId = "duplicate-id", Error;
    TimesOutOfOrder = "times-out-of-order", Error;
    UnknownRelated = "unknown-related", Error;
    UnknownPerson = "unknown-person", Warning;
    UnknownService = "unknown-service", Warning;
    MissingResolved = "missing-resolved", Warning;
    MissingOwner = "missing-owner", Warning;
    MissingSection = "missing-section", Warning;
    MissingActions = "missing-actions", Warning;
    MissingMeeting = "missing-meeting", Warning;
    MeetingLate = "meeting-late", Warning;
    MeetingOverdue = "meeting-overdue", Warning;
    ActionWithoutTicket = "action-without-ticket", Warning;
    MessageNotPosted = "message-not-posted", Warning;
    OutageWord = "outage-word", Warning;
    InternalDetail = "internal-detail", Error;
    BlameLanguage = "blame-language", Warning;
    RepeatIncident = "repeat-incident", Warning;
    TimelineUnparsed = "timeline-unparsed", Warning;
    TimelineOutOfOrder = "timeline-out-of-order", Warning;
    BrokenLink = "broken-link", Warning;
    UnsafeLink = "unsafe-link", Warning;
    SymbolicLink = "symbolic-link", Error;
    InvalidConfig = "invalid-config", Error;
    MissingBaseUrl = "missing-base-url", Warning;
}

impl Code {
    /// Looks a code up by its name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.name() == name)
    }
}

/// A place in a source file: 1-based line and column (in characters), and the line's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The line, without its line end, for the caret display: the whole line when it is
    /// short, else a window of it around the span, cut at `…`.
    pub line_text: String,
    /// The 1-based column in `line_text` where the span starts (differs from `column` when
    /// `line_text` is a window).
    pub text_column: usize,
    /// How many characters to underline (at least 1).
    pub width: usize,
}

/// The longest source line (in bytes) a diagnostic keeps whole.
const LONG_LINE: usize = 240;

/// How many characters of a longer line a diagnostic keeps on each side of its span: every
/// diagnostic carries its own line, never more, so thousands of them on one long line stay
/// small.
const LINE_CONTEXT: usize = 80;

impl Location {
    /// Resolves a 0-based byte span of `text` to a line and column. Scans `text` up to the
    /// span: to place many diagnostics in one text, use a [`LineIndex`].
    pub fn from_span(text: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = text[..line_start].matches('\n').count() + 1;
        Location::on_line(text, line, line_start, start, span.end)
    }

    fn on_line(text: &str, line: usize, line_start: usize, start: usize, end: usize) -> Location {
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = floor_char_boundary(text, end.clamp(start, line_end));
        let before = &text[line_start..start];
        let column = before.chars().count() + 1;
        let width = text[start..end].chars().count().max(1);
        // why: bytes, not characters, so that the test costs nothing on a very long line.
        if line_end - line_start <= LONG_LINE {
            return Location {
                line,
                column,
                text_column: column,
                line_text: text[line_start..line_end]
                    .trim_end_matches('\r')
                    .to_string(),
                width,
            };
        }
        // why: keep the window's cuts on character boundaries, counted from the span.
        let from = before
            .char_indices()
            .rev()
            .nth(LINE_CONTEXT - 1)
            .map_or(line_start, |(i, _)| line_start + i);
        let after = &text[end..line_end];
        let to = after
            .char_indices()
            .nth(LINE_CONTEXT)
            .map_or(line_end, |(i, _)| end + i);
        let mut line_text = String::new();
        if from > line_start {
            line_text.push('…');
        }
        line_text.push_str(text[from..to].trim_end_matches('\r'));
        if to < line_end {
            line_text.push('…');
        }
        Location {
            line,
            column,
            text_column: text[from..start].chars().count() + 1 + usize::from(from > line_start),
            line_text,
            width: width.min(LINE_CONTEXT * 2),
        }
    }
}

/// Where the lines of a text start, to place many diagnostics in it without rescanning it for
/// each one.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the lines of `text`.
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// Resolves a 0-based byte span of `text` (the text indexed), as [`Location::from_span`]
    /// does.
    pub fn locate(&self, text: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= start).max(1);
        let line_start = self.starts.get(line - 1).copied().unwrap_or(0).min(start);
        Location::on_line(text, line, line_start, start, span.end)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// One content problem, with everything needed to show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// The level, after `[rules]` were applied.
    pub level: Level,
    /// What is wrong: lower-case first word, no final period, values in backticks.
    pub message: String,
    /// The file, relative to the archive root; `None` for archive-wide problems.
    pub file: Option<PathBuf>,
    /// Where in the file; `None` when the whole file is meant.
    pub location: Option<Location>,
    /// A short label shown under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at the code's default level, not yet placed in a file.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            level: code.default_level(),
            message: message.into(),
            file: None,
            location: None,
            label: None,
            help: None,
        }
    }

    /// Places the diagnostic in `file`, at byte `span` of its `text`.
    pub fn at(mut self, file: &Path, text: &str, span: Range<usize>) -> Diagnostic {
        self.file = Some(file.to_path_buf());
        self.location = Some(Location::from_span(text, span));
        self
    }

    /// Places the diagnostic in `file`, at byte `span` of its `text`, which `lines` indexes.
    pub fn at_line(
        mut self,
        file: &Path,
        text: &str,
        lines: &LineIndex,
        span: Range<usize>,
    ) -> Diagnostic {
        self.file = Some(file.to_path_buf());
        self.location = Some(lines.locate(text, span));
        self
    }

    /// Places the diagnostic in `file` as a whole.
    pub fn in_file(mut self, file: &Path) -> Diagnostic {
        self.file = Some(file.to_path_buf());
        self
    }

    /// Adds the label shown under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Adds the `help:` line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    fn sort_key(&self) -> (Option<&Path>, usize, usize, Code) {
        let (line, column) = self
            .location
            .as_ref()
            .map_or((0, 0), |l| (l.line, l.column));
        (self.file.as_deref(), line, column, self.code)
    }
}

/// Sorts diagnostics by file, then position, then code, so that output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// How many diagnostics of one code in one file are shown before a summary line.
pub const MAX_PER_CODE_AND_FILE: usize = 50;

/// Keeps the first [`MAX_PER_CODE_AND_FILE`] diagnostics of each code in each file of sorted
/// `diagnostics`, and puts one summary line of the same code and level in place of the rest,
/// so that a file with thousands of one mistake gives output a person can read.
pub fn bound(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut kept = Vec::with_capacity(diagnostics.len().min(4096));
    // why: sorted by file first, so each file's diagnostics are one run, and its summaries go
    // at the end of that run.
    let mut counts: Vec<(Code, Level, usize)> = Vec::new();
    let mut file: Option<PathBuf> = None;
    let flush = |kept: &mut Vec<Diagnostic>, file: &Option<PathBuf>, counts: &mut Vec<_>| {
        for (code, level, n) in counts.drain(..) {
            if n > MAX_PER_CODE_AND_FILE {
                let mut summary = Diagnostic::new(
                    code,
                    format!(
                        "{} more `{}` problems in this file are not shown",
                        n - MAX_PER_CODE_AND_FILE,
                        code.name()
                    ),
                )
                .help("fix the ones shown and run `blameless check` again");
                summary.level = level;
                summary.file = file.clone();
                kept.push(summary);
            }
        }
    };
    for d in diagnostics {
        if d.file != file {
            flush(&mut kept, &file, &mut counts);
            file = d.file.clone();
        }
        let n = match counts.iter_mut().find(|(code, _, _)| *code == d.code) {
            Some((_, _, n)) => n,
            None => {
                counts.push((d.code, d.level, 0));
                &mut counts.last_mut().expect("just pushed").2
            }
        };
        *n += 1;
        if *n <= MAX_PER_CODE_AND_FILE {
            kept.push(d);
        }
    }
    flush(&mut kept, &file, &mut counts);
    kept
}

/// The output formats of `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style text for people.
    Human,
    /// A JSON array for tools.
    Json,
    /// Workflow annotations (`::error file=…`) for CI.
    Github,
}

/// Renders diagnostics in `format`, followed (for people) by a one-line summary.
pub fn render(diagnostics: &[Diagnostic], format: Format) -> String {
    match format {
        Format::Human => render_human(diagnostics),
        Format::Json => render_json(diagnostics),
        Format::Github => render_github(diagnostics),
    }
}

fn render_human(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&crate::terminal::printable(&render_one(diagnostic)));
        out.push('\n');
    }
    let errors = count(diagnostics, Level::Error);
    let warnings = count(diagnostics, Level::Warning);
    if errors + warnings > 0 {
        let _ = writeln!(
            out,
            "{}: {} and {}",
            if errors > 0 { "error" } else { "warning" },
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    out
}

/// Renders one diagnostic as rustc does: header, arrow, source line, caret, help.
pub fn render_one(d: &Diagnostic) -> String {
    let mut out = format!("{}[{}]: {}\n", d.level.as_str(), d.code.name(), d.message);
    let file = d.file.as_deref().map(display_path);
    match (&file, &d.location) {
        (Some(file), Some(loc)) => {
            let gutter = " ".repeat(loc.line.to_string().len());
            let _ = writeln!(out, "{gutter}--> {file}:{}:{}", loc.line, loc.column);
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(out, "{} | {}", loc.line, loc.line_text);
            let pad: String = loc
                .line_text
                .chars()
                .take(loc.text_column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let carets = "^".repeat(loc.width);
            match &d.label {
                Some(label) => {
                    let _ = writeln!(out, "{gutter} | {pad}{carets} {label}");
                }
                None => {
                    let _ = writeln!(out, "{gutter} | {pad}{carets}");
                }
            }
            if let Some(help) = &d.help {
                for (i, line) in help.lines().enumerate() {
                    let lead = if i == 0 { "= help: " } else { "        " };
                    let _ = writeln!(out, "{gutter} {lead}{line}");
                }
            }
        }
        (Some(file), None) => {
            let _ = writeln!(out, " --> {file}");
            render_help(&mut out, d);
        }
        _ => render_help(&mut out, d),
    }
    out
}

fn render_help(out: &mut String, d: &Diagnostic) {
    if let Some(help) = &d.help {
        for (i, line) in help.lines().enumerate() {
            let lead = if i == 0 { "  = help: " } else { "          " };
            let _ = writeln!(out, "{lead}{line}");
        }
    }
}

fn render_json(diagnostics: &[Diagnostic]) -> String {
    let values: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            serde_json::json!({
                "severity": d.level.as_str(),
                "code": d.code.name(),
                "message": d.message,
                "file": d.file.as_deref().map(display_path),
                "line": d.location.as_ref().map(|l| l.line),
                "column": d.location.as_ref().map(|l| l.column),
                "help": d.help,
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&values).expect("JSON values always serialise");
    out.push('\n');
    out
}

fn render_github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let kind = if d.level == Level::Error {
            "error"
        } else {
            "warning"
        };
        let mut props = Vec::new();
        if let Some(file) = &d.file {
            props.push(format!("file={}", escape_property(&display_path(file))));
        }
        if let Some(loc) = &d.location {
            props.push(format!("line={},col={}", loc.line, loc.column));
        }
        props.push(format!("title={}", escape_property(d.code.name())));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{kind} {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

// why: workflow commands reserve `%`, CR and LF in data, and also `:` and `,` in properties.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Shows a path with forward slashes on every platform.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// How many diagnostics have `level`.
pub fn count(diagnostics: &[Diagnostic], level: Level) -> usize {
    diagnostics.iter().filter(|d| d.level == level).count()
}

/// `n` and `word`, plural unless `n` is 1: "1 error", "3 post-mortems".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The closest of `candidates` to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "one\ntwö = 1\nthree";
        let loc = Location::from_span(text, 9..10);
        assert_eq!((loc.line, loc.column, loc.width), (2, 5, 1));
        assert_eq!(loc.line_text, "twö = 1");
    }

    #[test]
    fn a_diagnostic_on_a_long_line_keeps_only_a_window_of_it() {
        let line = format!("{}[x](gone.md){}", "é".repeat(5000), "b".repeat(5000));
        let text = format!("+++\n{line}\nend");
        let start = text.find("[x]").unwrap();
        let loc = Location::from_span(&text, start..start + 12);
        assert_eq!((loc.line, loc.column, loc.width), (2, 5001, 12));
        assert_eq!(loc.line_text.chars().count(), 80 + 12 + 80 + 2);
        assert!(loc.line_text.starts_with('…') && loc.line_text.ends_with('…'));
        let shown: String = loc
            .line_text
            .chars()
            .skip(loc.text_column - 1)
            .take(12)
            .collect();
        assert_eq!(shown, "[x](gone.md)");
        let d = Diagnostic::new(Code::BrokenLink, "gone").at(
            Path::new("a.md"),
            &text,
            start..start + 12,
        );
        let rendered = render_one(&d);
        let caret = rendered.lines().nth(4).unwrap();
        let column = |line: &str, c: char| line.chars().position(|x| x == c);
        assert_eq!(
            column(caret, '^'),
            column(rendered.lines().nth(3).unwrap(), '['),
            "{rendered}"
        );
    }

    #[test]
    fn a_line_index_places_spans_as_a_scan_does() {
        let text = "one\ntwö = 1\r\n\nthree ünd more\n";
        let lines = LineIndex::new(text);
        for start in 0..=text.len() {
            if text.is_char_boundary(start) {
                assert_eq!(
                    lines.locate(text, start..start + 2),
                    Location::from_span(text, start..start + 2),
                    "{start}"
                );
            }
        }
    }

    #[test]
    fn output_is_bounded_per_code_and_file() {
        let many: Vec<Diagnostic> = (0..120)
            .map(|i| {
                Diagnostic::new(Code::BrokenLink, format!("link {i}")).at(
                    Path::new("a.md"),
                    &"x\n".repeat(200),
                    i..i + 1,
                )
            })
            .chain([Diagnostic::new(Code::UnknownField, "one").in_file(Path::new("a.md"))])
            .chain([Diagnostic::new(Code::BrokenLink, "other file").in_file(Path::new("b.md"))])
            .collect();
        let mut many = many;
        sort(&mut many);
        let bounded = bound(many);
        let messages: Vec<&str> = bounded.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(bounded.len(), 50 + 1 + 1 + 1);
        assert_eq!(
            messages[51],
            "70 more `broken-link` problems in this file are not shown"
        );
        assert_eq!(messages[52], "other file");
    }

    #[test]
    fn location_past_the_end_is_clamped() {
        let loc = Location::from_span("abc", 10..12);
        assert_eq!((loc.line, loc.column), (1, 4));
    }

    #[test]
    fn human_rendering_points_at_the_value() {
        let d = Diagnostic::new(Code::InvalidValue, "unknown severity `SEV-9`")
            .at(
                Path::new("content/a.md"),
                "+++\nseverity = \"SEV-9\"\n",
                15..22,
            )
            .label("not a severity")
            .help("use one of `SEV-1`, `SEV-2`");
        insta::assert_snapshot!(render_one(&d), @r#"
        error[invalid-value]: unknown severity `SEV-9`
         --> content/a.md:2:12
          |
        2 | severity = "SEV-9"
          |            ^^^^^^^ not a severity
          = help: use one of `SEV-1`, `SEV-2`
        "#);
    }

    #[test]
    fn github_annotations_escape_newlines_and_commas() {
        let d = Diagnostic::new(Code::BrokenLink, "a, b")
            .at(Path::new("c,d.md"), "x", 0..1)
            .help("one\ntwo");
        assert_eq!(
            render(&[d], Format::Github),
            "::warning file=c%2Cd.md,line=1,col=1,title=broken-link::a, b%0Ahelp: one%0Atwo\n"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("sevrity", ["severity", "status"]),
            Some("severity")
        );
        assert_eq!(did_you_mean("zzz", ["severity", "status"]), None);
    }

    #[test]
    fn every_code_round_trips_through_its_name() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.name()), Some(*code));
        }
    }
}
