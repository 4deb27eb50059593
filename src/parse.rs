//! Parse: one `Source` into a `PostMortem` and its format diagnostics. Pure, so it runs under
//! rayon and is tested from a `&str`.
//!
//! The front matter is read as a spanned TOML table (not through serde) so that every problem of
//! a file is reported in one run, each pointing at the key or value it is about.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, TimeZone};
use chrono_tz::Tz;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::Config;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, LineIndex};
use crate::directory::Directory;
use crate::load::Source;
use crate::markdown;
use crate::postmortem::{
    Action, ActionKind, ActionStatus, Detection, Meeting, PostMortem, Priority, Section,
    SectionKind, Severity, Status,
};
use crate::timeline;

/// Top-level front-matter keys, in the design's order.
pub const FIELDS: &[&str] = &[
    "title",
    "severity",
    "status",
    "started",
    "detected",
    "mitigated",
    "resolved",
    "timezone",
    "summary",
    "tags",
    "services",
    "causes",
    "detection",
    "customer_impact",
    "full_outage",
    "owner",
    "incident_commander",
    "commander_shadow",
    "scribe",
    "responders",
    "related",
    "external_message_posted",
    "meeting",
    "links",
    "actions",
];

/// The years a date may have: anything else is a typo (`20202`, `0024`).
pub const YEARS: std::ops::RangeInclusive<u16> = 1900..=2199;

const MEETING_FIELDS: &[&str] = &["at", "moved_from", "location", "attendees", "recording"];
const ACTION_FIELDS: &[&str] = &[
    "title", "owner", "priority", "kind", "ticket", "due", "status", "done", "service",
];

/// The result of parsing one source: the post-mortem when it could be read, and its problems.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The source file, relative to the root.
    pub path: std::path::PathBuf,
    /// The id, even when the post-mortem could not be read (for cross-file checks).
    pub id: String,
    /// The post-mortem, when every required field could be read.
    // why: shared, so that a preview's memo and the archive it checks hold one copy.
    pub postmortem: Option<Arc<PostMortem>>,
    /// Format problems, in no particular order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `id` is a valid post-mortem id: `[A-Za-z0-9][A-Za-z0-9._-]*`.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Decodes a source's bytes: UTF-8, BOM removed, CRLF and lone CR turned into LF.
pub fn decode(source: &Source) -> Result<String, Box<Diagnostic>> {
    match std::str::from_utf8(&source.bytes) {
        Ok(text) => Ok(normalise(text)),
        Err(err) => {
            let lossy = String::from_utf8_lossy(&source.bytes);
            let valid = &source.bytes[..err.valid_up_to()];
            let offset = String::from_utf8_lossy(valid).len();
            Err(Box::new(
                Diagnostic::new(Code::InvalidEncoding, "the file is not valid UTF-8")
                    .at(&source.path, &lossy, offset..offset + 1)
                    .label("this byte is not UTF-8")
                    .help("save the file as UTF-8 (Latin-1 and UTF-16 are not supported)"),
            ))
        }
    }
}

fn normalise(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// Splits `+++` front matter from the body: (TOML text, its byte offset, body offset).
pub fn split_front_matter(text: &str) -> Result<(&str, usize, usize), Box<Diagnostic>> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "+++" {
        return Err(Box::new(
            Diagnostic::new(
                Code::InvalidFrontMatter,
                "the file does not start with `+++` front matter",
            )
            .label("expected `+++` here")
            .help("start the file with a `+++` line, the TOML fields, and a closing `+++` line"),
        ));
    }
    let start = (first_end + 1).min(text.len());
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Ok((&text[start..offset], start, offset + line.len()));
        }
        offset += line.len();
    }
    Err(Box::new(
        Diagnostic::new(
            Code::InvalidFrontMatter,
            "the front matter is not closed by a `+++` line",
        )
        .label("opened here")
        .help("add a line with only `+++` after the last front-matter field"),
    ))
}

/// Parses one source against the archive's configuration.
pub fn parse(source: &Source, config: &Config) -> Parsed {
    let mut parsed = Parsed {
        path: source.path.clone(),
        id: source.id.clone(),
        postmortem: None,
        diagnostics: Vec::new(),
    };
    let text = match decode(source) {
        Ok(text) => text,
        Err(d) => {
            parsed.diagnostics.push(*d);
            return parsed;
        }
    };
    let text: Arc<str> = Arc::from(text);
    if !is_valid_id(&source.id) {
        let kind = if source.bundle.is_some() {
            "directory"
        } else {
            "file"
        };
        parsed.diagnostics.push(
            Diagnostic::new(
                Code::InvalidId,
                format!("`{}` is not a valid id", source.id),
            )
            .in_file(&source.path)
            .help(format!(
                "rename the {kind} to letters, digits, `.`, `_` and `-`, starting with a \
                     letter or digit, such as `{}`",
                crate::slug::slugify(&source.id)
            )),
        );
    }
    let (toml_text, toml_offset, body_offset) = match split_front_matter(&text) {
        Ok(split) => split,
        Err(d) => {
            parsed.diagnostics.push((*d).at(&source.path, &text, 0..3));
            return parsed;
        }
    };
    let (table, errors) = DeTable::parse_recoverable(toml_text);
    if !errors.is_empty() {
        for err in errors {
            let span = err.span().unwrap_or(0..0);
            let span = span.start + toml_offset..span.end + toml_offset;
            parsed.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidFrontMatter,
                    format!("the front matter is not valid TOML: {}", toml_message(&err)),
                )
                .at(&source.path, &text, span)
                .help(
                    "check quotes, `=` signs and brackets; strings are quoted, dates are \
                     written like 2024-03-12T09:41:00Z",
                ),
            );
        }
        return parsed;
    }
    let mut reader = Reader {
        path: &source.path,
        text: &text,
        lines: std::cell::OnceCell::new(),
        offset: toml_offset,
        diagnostics: Vec::new(),
        spans: BTreeMap::new(),
        directory: config.directory.as_deref(),
    };
    let postmortem = reader.postmortem(source, table.get_ref(), config, body_offset, &text);
    parsed.diagnostics.append(&mut reader.diagnostics);
    if let Some(mut pm) = postmortem {
        pm.field_spans = reader.spans;
        let (timeline, diagnostics) = match pm.timeline_input() {
            Some(input) => timeline::parse(&input),
            None => Default::default(),
        };
        pm.timeline = timeline;
        // why: a Draft is lenient; only the format rules apply to it.
        if pm.status != Status::Draft {
            parsed.diagnostics.extend(diagnostics);
        }
        parsed.postmortem = Some(Arc::new(pm));
    }
    parsed
}

fn toml_message(err: &toml::de::Error) -> String {
    let message = err.message().trim();
    let message = message.lines().next().unwrap_or(message);
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".into(),
    }
}

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;

/// Reads typed fields out of the spanned table, collecting problems as it goes.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    /// Built at the first problem, for the many a broken file can have.
    lines: std::cell::OnceCell<LineIndex>,
    offset: usize,
    diagnostics: Vec<Diagnostic>,
    spans: BTreeMap<String, Range<usize>>,
    /// The archive's directory, through which people and services are resolved.
    directory: Option<&'a Directory>,
}

impl<'a> Reader<'a> {
    fn span(&self, span: Range<usize>) -> Range<usize> {
        span.start + self.offset..span.end + self.offset
    }

    /// Reports a problem at `span` of the front matter.
    fn report(&mut self, code: Code, message: String, span: Range<usize>, help: String) {
        let span = self.span(span);
        self.report_at(code, message, span, help);
    }

    /// Reports a problem at `span` of the whole source.
    fn report_at(&mut self, code: Code, message: String, span: Range<usize>, help: String) {
        let lines = self.lines.get_or_init(|| LineIndex::new(self.text));
        self.diagnostics.push(
            Diagnostic::new(code, message)
                .at_line(self.path, self.text, lines, span)
                .help(help),
        );
    }

    fn invalid(&mut self, value: &Value<'_>, message: String, help: String) {
        self.report(Code::InvalidValue, message, value.span(), help);
    }

    fn check_keys(&mut self, table: &Table<'_>, known: &[&str], prefix: &str) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the fields here are {}", list(known)),
            };
            self.report(
                Code::UnknownField,
                format!("unknown field `{prefix}{name}`"),
                key.span(),
                help,
            );
        }
    }

    fn record(&mut self, name: &str, table: &Table<'_>, key: &str) {
        if let Some((k, _)) = table.get_key_value(key) {
            let span = self.span(k.span());
            self.spans.insert(name.to_string(), span);
        }
    }

    fn string(&mut self, table: &Table<'_>, key: &str) -> Option<String> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(s.trim().to_string()),
            other => {
                self.invalid(
                    value,
                    format!("`{key}` must be a string, not {}", type_name(other)),
                    format!("write it in quotes: `{key} = \"…\"`"),
                );
                None
            }
        }
    }

    /// The person written at `span` (of the whole source) as the directory names them: an
    /// alias, an address or a "(Team)" suffix becomes the person's name. A name the directory
    /// does not know stays as written, with an `unknown-person` warning. Without a directory,
    /// every name stays as written.
    fn person(&mut self, written: String, span: Range<usize>) -> String {
        let Some(directory) = self.directory else {
            return written;
        };
        if let Some(person) = directory.person(&written) {
            return person.name.clone();
        }
        let help = match directory.suggest_person(&written) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!(
                "write the name as `{}` has it, or add a `[[person]]` there",
                crate::directory::FILE_NAME
            ),
        };
        self.report_at(
            Code::UnknownPerson,
            format!(
                "`{written}` is not a person of `{}`",
                crate::directory::FILE_NAME
            ),
            span,
            help,
        );
        written
    }

    /// A string field that names a person, resolved through the directory.
    fn person_field(&mut self, table: &Table<'_>, key: &str) -> Option<String> {
        let written = self.string(table, key).filter(|s| !s.is_empty())?;
        let span = self.span(table.get(key)?.span());
        Some(self.person(written, span))
    }

    /// A service written at `span` as the directory names it (ignoring case). A service the
    /// directory does not know stays as written, with an `unknown-service` warning when `warn`.
    fn service(&mut self, written: String, span: Range<usize>, warn: bool) -> String {
        let Some(directory) = self.directory else {
            return written;
        };
        if let Some(service) = directory.service(&written) {
            return service.name.clone();
        }
        if warn {
            let help = match directory.suggest_service(&written) {
                Some(name) => format!("did you mean `{name}`?"),
                None => format!(
                    "add a `[[service]]` named `{written}` with its owning team to `{}`",
                    crate::directory::FILE_NAME
                ),
            };
            self.report_at(
                Code::UnknownService,
                format!(
                    "the service `{written}` is not in `{}`",
                    crate::directory::FILE_NAME
                ),
                span,
                help,
            );
        }
        written
    }

    fn bool(&mut self, table: &Table<'_>, key: &str) -> bool {
        let Some(value) = table.get(key) else {
            return false;
        };
        match value.get_ref() {
            DeValue::Boolean(b) => *b,
            other => {
                self.invalid(
                    value,
                    format!(
                        "`{key}` must be `true` or `false`, not {}",
                        type_name(other)
                    ),
                    format!("write `{key} = true` or `{key} = false`, without quotes"),
                );
                false
            }
        }
    }

    fn strings(&mut self, table: &Table<'_>, key: &str) -> Vec<(String, Range<usize>)> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let help = format!("write a list of strings: `{key} = [\"a\", \"b\"]`");
        match value.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) if !s.trim().is_empty() => {
                            out.push((s.trim().to_string(), self.span(item.span())))
                        }
                        DeValue::String(_) => self.invalid(
                            item,
                            format!("`{key}` has an empty entry"),
                            "remove the empty string".into(),
                        ),
                        other => self.invalid(
                            item,
                            format!("`{key}` must hold strings, not {}", type_name(other)),
                            help.clone(),
                        ),
                    }
                }
                out
            }
            DeValue::String(s) => {
                self.invalid(
                    value,
                    format!("`{key}` must be a list"),
                    format!("put the value in brackets: `{key} = [\"{s}\"]`"),
                );
                Vec::new()
            }
            other => {
                self.invalid(
                    value,
                    format!("`{key}` must be a list, not {}", type_name(other)),
                    help,
                );
                Vec::new()
            }
        }
    }

    fn one_of(&mut self, table: &Table<'_>, key: &str, allowed: &[&str]) -> Option<String> {
        let text = self.string(table, key)?;
        if let Some(found) = allowed.iter().find(|a| a.eq_ignore_ascii_case(&text)) {
            return Some(found.to_string());
        }
        let value = table.get(key)?;
        let help = match did_you_mean(&text, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? The values are {}", list(allowed)),
            None => format!("use one of {}", list(allowed)),
        };
        self.invalid(value, format!("`{key}` cannot be `{text}`"), help);
        None
    }

    fn datetime(
        &mut self,
        table: &Table<'_>,
        key: &str,
        zone: Tz,
    ) -> Option<DateTime<FixedOffset>> {
        let value = table.get(key)?;
        self.datetime_value(value, key, zone)
    }

    /// A list of datetimes, each read as [`Reader::datetime`] reads one.
    fn datetimes(&mut self, table: &Table<'_>, key: &str, zone: Tz) -> Vec<DateTime<FixedOffset>> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.invalid(
                value,
                format!("`{key}` must be a list of datetimes"),
                format!("write `{key} = [2024-03-12T09:41:00Z]`"),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.datetime_value(item, key, zone))
            .collect()
    }

    fn datetime_value(
        &mut self,
        value: &Value<'_>,
        key: &str,
        zone: Tz,
    ) -> Option<DateTime<FixedOffset>> {
        let DeValue::Datetime(dt) = value.get_ref() else {
            let hint = match value.get_ref() {
                DeValue::String(_) => "remove the quotes: TOML datetimes are not strings",
                _ => "write a TOML datetime such as 2024-03-12T09:41:00Z",
            };
            self.invalid(
                value,
                format!(
                    "`{key}` must be a datetime, not {}",
                    type_name(value.get_ref())
                ),
                hint.into(),
            );
            return None;
        };
        let (Some(date), Some(time)) = (dt.date, dt.time) else {
            self.invalid(
                value,
                format!("`{key}` needs a date and a time"),
                format!("write `{key} = 2024-03-12T09:41:00Z`, or with an offset such as +01:00"),
            );
            return None;
        };
        if !self.in_range(value, key, date.year) {
            return None;
        }
        let naive = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
            .and_then(|d| {
            d.and_hms_nano_opt(
                time.hour.into(),
                time.minute.into(),
                time.second.unwrap_or(0).into(),
                time.nanosecond.unwrap_or(0),
            )
        })?;
        match dt.offset {
            Some(toml::value::Offset::Z) => Some(naive.and_utc().fixed_offset()),
            Some(toml::value::Offset::Custom { minutes }) => {
                let offset = FixedOffset::east_opt(i32::from(minutes) * 60)?;
                offset.from_local_datetime(&naive).single()
            }
            None => match zone.from_local_datetime(&naive) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.fixed_offset()),
                LocalResult::None => {
                    self.invalid(
                        value,
                        format!("`{key}` does not exist in `{zone}` (the clocks skipped it)"),
                        "write the time with an explicit offset, such as +02:00".into(),
                    );
                    None
                }
            },
        }
    }

    /// Reports a year outside [`YEARS`]: such a date is a typo, and the index cannot hold it.
    fn in_range(&mut self, value: &Value<'_>, key: &str, year: u16) -> bool {
        if YEARS.contains(&year) {
            return true;
        }
        self.invalid(
            value,
            format!("`{key}` is in the year {year}"),
            format!(
                "check the year: dates must lie between {} and {}",
                YEARS.start(),
                YEARS.end()
            ),
        );
        false
    }

    fn date(&mut self, table: &Table<'_>, key: &str) -> Option<NaiveDate> {
        let value = table.get(key)?;
        if let DeValue::Datetime(dt) = value.get_ref() {
            if let (Some(d), None) = (dt.date, dt.time) {
                if !self.in_range(value, key, d.year) {
                    return None;
                }
                return NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into());
            }
        }
        self.invalid(
            value,
            format!("`{key}` must be a date"),
            format!("write a TOML date without quotes: `{key} = 2024-04-15`"),
        );
        None
    }

    fn table<'t, 'i>(&mut self, table: &'t Table<'i>, key: &str) -> Option<&'t Table<'i>> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.invalid(
                    value,
                    format!("`{key}` must be a table, not {}", type_name(other)),
                    format!("write it as a `[{key}]` section after the other fields"),
                );
                None
            }
        }
    }

    fn postmortem(
        &mut self,
        source: &Source,
        table: &Table<'_>,
        config: &Config,
        body_offset: usize,
        text: &Arc<str>,
    ) -> Option<PostMortem> {
        self.check_keys(table, FIELDS, "");
        for key in FIELDS {
            self.record(key, table, key);
        }
        let mut missing = Vec::new();
        for key in ["title", "severity", "status", "started"] {
            if !table.contains_key(key) {
                missing.push(key);
            }
        }
        for key in &missing {
            let example = match *key {
                "title" => "title = \"Checkout errors after a failover\"".to_string(),
                "severity" => format!(
                    "severity = \"{}\"",
                    config
                        .severities
                        .last()
                        .map_or("SEV-3", |s| s.name.as_str())
                ),
                "status" => "status = \"Draft\"".into(),
                _ => "started = 2024-03-12T09:41:00Z".into(),
            };
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("missing required field `{key}`"),
                )
                .at(self.path, self.text, 0..3)
                .label("in this front matter")
                .help(format!("add `{example}`")),
            );
        }

        let zone = match table.get("timezone") {
            None => None,
            Some(value) => match self.string(table, "timezone") {
                Some(name) => match name.parse::<Tz>() {
                    Ok(tz) => Some(tz),
                    Err(_) => {
                        self.invalid(
                            value,
                            format!("unknown time zone `{name}`"),
                            "use an IANA zone name such as `Europe/Berlin` or `UTC`".into(),
                        );
                        None
                    }
                },
                None => None,
            },
        };
        let timezone = zone.unwrap_or(config.timezone);

        let title = self.string(table, "title").filter(|t| {
            let empty = t.is_empty();
            if empty {
                let value = &table["title"];
                self.invalid(
                    value,
                    "`title` is empty".into(),
                    "write a title that says what happened".into(),
                );
            }
            !empty
        });
        let severity = self.string(table, "severity").and_then(|name| {
            if let Some((rank, spec)) = config.severity(&name) {
                return Some(Severity {
                    name: spec.name.clone(),
                    rank,
                });
            }
            let names: Vec<&str> = config.severities.iter().map(|s| s.name.as_str()).collect();
            self.invalid(
                &table["severity"],
                format!("unknown severity `{name}`"),
                format!(
                    "use one of {} (or an alias from `blameless.toml [[severity]]`)",
                    list(&names)
                ),
            );
            None
        });
        let status = self.string(table, "status").and_then(|name| {
            let status = Status::parse(&name);
            if status.is_none() {
                let names = Status::ALL.map(Status::name);
                let help = match did_you_mean(&name, names) {
                    Some(s) => format!("did you mean `{s}`? The statuses are {}", list(&names)),
                    None => format!("use one of {}", list(&names)),
                };
                self.invalid(&table["status"], format!("unknown status `{name}`"), help);
            }
            status
        });
        let started = self.datetime(table, "started", timezone);
        let detected = self.datetime(table, "detected", timezone);
        let mitigated = self.datetime(table, "mitigated", timezone);
        let resolved = self.datetime(table, "resolved", timezone);
        self.check_order(
            table,
            &[
                ("started", started),
                ("detected", detected),
                ("mitigated", mitigated),
                ("resolved", resolved),
            ],
        );

        let causes: Vec<String> = self
            .strings(table, "causes")
            .into_iter()
            .filter_map(|(cause, span)| {
                if let Some(c) = config
                    .causes
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(&cause))
                {
                    return Some(c.clone());
                }
                let help = match did_you_mean(&cause, config.causes.iter().map(String::as_str)) {
                    Some(s) => {
                        format!("did you mean `{s}`? Causes come from `blameless.toml causes`")
                    }
                    None => format!(
                        "use one of {}, or add it to `causes` in blameless.toml",
                        list(&config.causes.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                };
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidValue, format!("unknown cause `{cause}`"))
                        .at(self.path, self.text, span)
                        .help(help),
                );
                None
            })
            .collect();
        let related: Vec<String> = self
            .strings(table, "related")
            .into_iter()
            .enumerate()
            .map(|(i, (id, span))| {
                self.spans.insert(format!("related.{i}"), span);
                id
            })
            .collect();
        let external_message_posted = self.datetime(table, "external_message_posted", timezone);
        let meeting = self.meeting(table, timezone);
        let links = self.links(table);
        let services: Vec<String> = self
            .strings(table, "services")
            .into_iter()
            .map(|(s, span)| self.service(s, span, true))
            .collect();
        let actions = self.actions(table, &services);

        let summary_field = self.string(table, "summary");
        let sections = split_sections(text, body_offset);
        let summary = summary_field.filter(|s| !s.is_empty()).unwrap_or_else(|| {
            sections
                .iter()
                .find(|s| s.kind == Some(SectionKind::Summary))
                .map(|s| markdown::first_paragraph_text(s.markdown()))
                .unwrap_or_default()
        });

        let tags = self
            .strings(table, "tags")
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let detection = self
            .one_of(table, "detection", Detection::NAMES)
            .and_then(|n| Detection::from_name(&n));
        let customer_impact = self.bool(table, "customer_impact");
        let full_outage = self.bool(table, "full_outage");
        let owner = self.person_field(table, "owner");
        let incident_commander = self.person_field(table, "incident_commander");
        let commander_shadow = self.person_field(table, "commander_shadow");
        let scribe = self.person_field(table, "scribe");
        let responders = self
            .strings(table, "responders")
            .into_iter()
            .map(|(r, span)| self.person(r, span))
            .collect();
        let postmortem = PostMortem {
            id: source.id.clone(),
            path: source.path.clone(),
            bundle: source.bundle.clone(),
            assets: source.assets.clone(),
            source: text.clone(),
            lines: Default::default(),
            title: title?,
            severity: severity?,
            status: status?,
            started: started?,
            detected,
            mitigated,
            resolved,
            timezone,
            summary,
            tags,
            services,
            causes,
            detection,
            customer_impact,
            full_outage,
            owner,
            incident_commander,
            commander_shadow,
            scribe,
            responders,
            related,
            external_message_posted,
            meeting,
            links,
            actions,
            sections,
            timeline: Default::default(),
            field_spans: BTreeMap::new(),
            terms: Default::default(),
            body_links: Default::default(),
        };
        // why: kept whatever else was reported; whether a problem stops the run is for the
        // levels of `[rules]`, applied once after every check, not for the default levels.
        Some(postmortem)
    }

    fn check_order(&mut self, table: &Table<'_>, times: &[(&str, Option<DateTime<FixedOffset>>)]) {
        let mut latest: Option<(&str, DateTime<FixedOffset>)> = None;
        for (key, time) in times {
            let Some(time) = *time else { continue };
            if let Some((before, at)) = latest {
                if time < at {
                    self.report(
                        Code::TimesOutOfOrder,
                        format!("`{key}` is before `{before}`"),
                        table[*key].span(),
                        "the times must be in order: started <= detected <= mitigated <= \
                         resolved; check the date and the offset"
                            .into(),
                    );
                    continue;
                }
            }
            latest = Some((key, time));
        }
    }

    fn meeting(&mut self, table: &Table<'_>, zone: Tz) -> Option<Meeting> {
        let meeting = self.table(table, "meeting")?;
        self.check_keys(meeting, MEETING_FIELDS, "meeting.");
        self.record("meeting.at", meeting, "at");
        Some(Meeting {
            at: self.datetime(meeting, "at", zone),
            moved_from: self.datetimes(meeting, "moved_from", zone),
            location: self.string(meeting, "location").filter(|l| !l.is_empty()),
            attendees: self
                .strings(meeting, "attendees")
                .into_iter()
                .map(|(a, span)| self.person(a, span))
                .collect(),
            recording: self.string(meeting, "recording"),
        })
    }

    fn links(&mut self, table: &Table<'_>) -> BTreeMap<String, String> {
        let mut links = BTreeMap::new();
        let Some(table) = self.table(table, "links") else {
            return links;
        };
        for (name, value) in table {
            match value.get_ref() {
                DeValue::String(url) => {
                    links.insert(name.get_ref().to_string(), url.trim().to_string());
                }
                other => self.invalid(
                    value,
                    format!(
                        "link `{}` must be a URL string, not {}",
                        name.get_ref(),
                        type_name(other)
                    ),
                    format!("write `{} = \"https://…\"`", name.get_ref()),
                ),
            }
        }
        links
    }

    fn actions(&mut self, table: &Table<'_>, services: &[String]) -> Vec<Action> {
        let Some(value) = table.get("actions") else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.invalid(
                value,
                "`actions` must be a list of tables".into(),
                "write each action as an `[[actions]]` section".into(),
            );
            return Vec::new();
        };
        let mut actions = Vec::new();
        for item in items.iter() {
            let DeValue::Table(action) = item.get_ref() else {
                self.invalid(
                    item,
                    "each action must be a table".into(),
                    "write each action as an `[[actions]]` section".into(),
                );
                continue;
            };
            self.check_keys(action, ACTION_FIELDS, "actions.");
            let Some(title) = self.string(action, "title").filter(|t| !t.is_empty()) else {
                if !action.contains_key("title") {
                    self.report(
                        Code::MissingField,
                        "an action has no `title`".into(),
                        item.span(),
                        "add `title = \"…\"` saying what will be done".into(),
                    );
                }
                continue;
            };
            let span = self.span(action["title"].span());
            let priority = self
                .one_of(action, "priority", Priority::NAMES)
                .and_then(|n| Priority::from_name(&n));
            let kind = self
                .one_of(action, "kind", ActionKind::NAMES)
                .and_then(|n| ActionKind::from_name(&n));
            let done = self.date(action, "done");
            let status = self
                .one_of(action, "status", ActionStatus::NAMES)
                .and_then(|n| ActionStatus::from_name(&n));
            // why: a done date says the action is finished; written with `status = "open"` it
            // contradicts itself, and which one is true decides whether an incident repeats.
            if let (Some(ActionStatus::Open), Some(_)) = (status, done) {
                self.invalid(
                    &action["done"],
                    "the action has a `done` date but `status = \"open\"`".into(),
                    "set `status = \"done\"`, or remove `done` if it is still to do".into(),
                );
            }
            let service = self.string(action, "service").map(|s| {
                let span = self.span(action["service"].span());
                self.service(s, span, false)
            });
            if let Some(service) = service.as_ref().filter(|s| !services.contains(s)) {
                let help = match did_you_mean(service, services.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if services.is_empty() => {
                        "list the services involved in `services` first".to_string()
                    }
                    None => format!(
                        "the post-mortem's services are {}",
                        list(&services.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                };
                self.invalid(
                    &action["service"],
                    format!("the action's service `{service}` is not one of `services`"),
                    help,
                );
            }
            actions.push(Action {
                title,
                owner: self.person_field(action, "owner"),
                priority,
                kind,
                ticket: self.string(action, "ticket").filter(|s| !s.is_empty()),
                due: self.date(action, "due"),
                status: status.unwrap_or(if done.is_some() {
                    ActionStatus::Done
                } else {
                    ActionStatus::Open
                }),
                done,
                service,
                span,
            });
        }
        actions
    }
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits the body at level-1 and level-2 ATX headings outside fenced code; each section's
/// Markdown is a slice of `text`.
pub fn split_sections(text: &Arc<str>, body_offset: usize) -> Vec<Section> {
    let mut sections = Vec::new();
    let section = |heading: String, offset: usize, content_offset: usize| Section {
        kind: SectionKind::from_heading(&heading),
        heading,
        offset,
        content_offset,
        content_end: content_offset,
        source: Arc::clone(text),
    };
    let mut current = section(String::new(), body_offset, body_offset);
    let mut fence: Option<String> = None;
    let mut offset = body_offset;
    for line in text[body_offset..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(open) = &fence {
            if indent < 4
                && trimmed.trim_end().starts_with(open.as_str())
                && trimmed
                    .trim_end()
                    .chars()
                    .all(|c| c == open.chars().next().unwrap_or('`'))
            {
                fence = None;
            }
        } else if indent < 4 && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            let marker = trimmed.chars().next().unwrap_or('`');
            let run: String = trimmed.chars().take_while(|c| *c == marker).collect();
            fence = Some(run);
        } else if let Some(heading) = heading_text(line) {
            if !current.heading.is_empty() || !current.markdown().trim().is_empty() {
                sections.push(current);
            }
            current = section(heading, offset, offset + line.len());
            offset += line.len();
            continue;
        }
        offset += line.len();
        current.content_end = offset;
    }
    if !current.heading.is_empty() || !current.markdown().trim().is_empty() {
        sections.push(current);
    }
    sections
}

fn heading_text(line: &str) -> Option<String> {
    let line = line.trim_end();
    let indent = line.len() - line.trim_start().len();
    if indent > 3 {
        return None;
    }
    let line = line.trim_start();
    let hashes = line.chars().take_while(|c| *c == '#').count();
    if !(1..=2).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let mut heading = rest.trim();
    let unclosed = heading.trim_end_matches('#');
    if unclosed.is_empty() || unclosed.ends_with([' ', '\t']) {
        heading = unclosed.trim_end();
    }
    Some(heading.to_string()).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{render_one, Level};

    use crate::testing::source;

    const MINIMAL: &str = "+++\ntitle = \"Disk full\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = 2024-03-12T09:41:00Z\n+++\n\n## Summary\n\nThe **disk** filled up.\n";

    fn parse_text(text: &str) -> Parsed {
        parse(&source("a", text), &Config::default())
    }

    fn codes(parsed: &Parsed) -> Vec<&'static str> {
        parsed.diagnostics.iter().map(|d| d.code.name()).collect()
    }

    #[test]
    fn parses_a_minimal_post_mortem() {
        let parsed = parse_text(MINIMAL);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let pm = parsed.postmortem.unwrap();
        assert_eq!(pm.title, "Disk full");
        assert_eq!(pm.severity.name, "SEV-3");
        assert_eq!(pm.status, Status::Draft);
        assert_eq!(pm.summary, "The disk filled up.");
        assert_eq!(pm.sections.len(), 1);
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let text = format!("\u{feff}{}", MINIMAL.replace('\n', "\r\n"));
        let parsed = parse_text(&text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.postmortem.unwrap().title, "Disk full");
    }

    #[test]
    fn reads_local_datetimes_in_the_post_mortems_zone() {
        let text = MINIMAL.replace(
            "started = 2024-03-12T09:41:00Z",
            "started = 2024-07-01T10:00:00\ntimezone = \"Europe/Berlin\"",
        );
        let pm = parse_text(&text).postmortem.unwrap();
        assert_eq!(pm.started.to_rfc3339(), "2024-07-01T10:00:00+02:00");
        assert_eq!(pm.timezone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn rejects_years_that_are_typos() {
        let text = MINIMAL.replace("2024-03-12T09:41:00Z", "0024-03-12T09:41:00Z");
        let parsed = parse_text(&text);
        assert_eq!(codes(&parsed), ["invalid-value"]);
        assert_eq!(parsed.diagnostics[0].message, "`started` is in the year 24");
        let due = MINIMAL.replace(
            "+++\n\n",
            "[[actions]]\ntitle = \"x\"\ndue = 9999-01-01\n+++\n\n",
        );
        assert_eq!(codes(&parse_text(&due)), ["invalid-value"]);
    }

    #[test]
    fn reports_every_problem_of_a_file_at_once() {
        let text = "+++\ntitle = \"x\"\nseverity = \"SEV-9\"\nstatus = \"Finished\"\nstarted = 2024-03-12T09:41:00Z\nresolved = 2024-03-11T09:41:00Z\nowner = 3\ntagz = [\"a\"]\ncauses = [\"deploys\"]\n+++\n";
        let parsed = parse_text(text);
        let mut found = codes(&parsed);
        found.sort();
        assert_eq!(
            found,
            [
                "invalid-value",
                "invalid-value",
                "invalid-value",
                "invalid-value",
                "times-out-of-order",
                "unknown-field"
            ]
        );
        assert!(parsed.postmortem.is_none());
    }

    #[test]
    fn rejects_unknown_field_with_suggestion() {
        let parsed = parse_text(&MINIMAL.replace("status", "statsu"));
        let unknown = parsed
            .diagnostics
            .iter()
            .find(|d| d.code == Code::UnknownField)
            .unwrap();
        insta::assert_snapshot!(render_one(unknown), @r#"
        error[unknown-field]: unknown field `statsu`
         --> content/a.md:4:1
          |
        4 | statsu = "Draft"
          | ^^^^^^
          = help: did you mean `status`?
        "#);
    }

    #[test]
    fn toml_errors_are_shifted_to_file_lines() {
        let parsed = parse_text("+++\ntitle = \"x\"\nseverity = SEV-3\n+++\n");
        let d = &parsed.diagnostics[0];
        assert_eq!(d.code, Code::InvalidFrontMatter);
        assert_eq!(d.location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn unclosed_front_matter_is_reported() {
        let parsed = parse_text("+++\ntitle = \"x\"\n");
        assert_eq!(codes(&parsed), ["invalid-front-matter"]);
        assert!(parsed.diagnostics[0].message.contains("not closed"));
    }

    #[test]
    fn non_utf8_is_reported_at_the_byte() {
        let mut src = source("a", "");
        src.bytes = b"+++\ntitle = \"caf\xe9\"\n".to_vec();
        let parsed = parse(&src, &Config::default());
        assert_eq!(codes(&parsed), ["invalid-encoding"]);
        let loc = parsed.diagnostics[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (2, 13));
    }

    #[test]
    fn invalid_ids_are_reported_but_parsed() {
        let parsed = parse(&source("bad id", MINIMAL), &Config::default());
        assert_eq!(codes(&parsed), ["invalid-id"]);
        assert!(!is_valid_id("-x"));
        assert!(is_valid_id("2024-03-12_a.b"));
    }

    #[test]
    fn missing_required_fields_are_each_reported() {
        let parsed = parse_text("+++\ntitle = \"x\"\n+++\n");
        assert_eq!(
            codes(&parsed),
            ["missing-field", "missing-field", "missing-field"]
        );
        assert!(parsed.diagnostics.iter().all(|d| d.level == Level::Error));
    }

    #[test]
    fn a_sections_markdown_is_its_source_not_a_copy() {
        let text = format!("{MINIMAL}\n## Impact\n\nCheckout failed.\n");
        let pm = parse_text(&text).postmortem.unwrap();
        let source = pm.source.as_bytes().as_ptr_range();
        assert_eq!(pm.sections.len(), 2);
        for section in &pm.sections {
            let markdown = section.markdown();
            assert_eq!(
                markdown,
                &pm.source[section.content_offset..section.content_end]
            );
            assert!(
                source.contains(&markdown.as_ptr()),
                "{markdown:?} is a copy"
            );
        }
        assert_eq!(pm.sections[1].markdown(), "\nCheckout failed.\n");
    }

    #[test]
    fn splits_sections_outside_code_fences() {
        let body = "intro\n## Summary\ntext\n```\n## not a heading\n```\n# Stats\n- a\n## Root cause ##\nx\n";
        let sections = split_sections(&Arc::from(body), 0);
        let headings: Vec<_> = sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["", "Summary", "Stats", "Root cause"]);
        assert_eq!(sections[3].kind, Some(SectionKind::ContributingFactors));
        assert!(sections[1].markdown().contains("## not a heading"));
        assert_eq!(&body[sections[2].offset..sections[2].offset + 7], "# Stats");
    }

    #[test]
    fn reads_actions_meeting_and_links() {
        let text = MINIMAL.replace(
            "+++\n\n",
            "[meeting]\nat = 2024-03-14T15:00:00Z\nattendees = [\"Ana\"]\n[links]\nchat = \"https://chat\"\n[[actions]]\ntitle = \"Alert on lag\"\npriority = \"p1\"\ndue = 2024-04-15\n[[actions]]\ntitle = \"Fix\"\nkind = \"preventive\"\n+++\n\n",
        );
        let parsed = parse_text(&text);
        assert_eq!(codes(&parsed), ["invalid-value"]);
        assert!(parsed.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("`prevent`"));
        let text = text.replace("\"preventive\"", "\"prevent\"");
        let pm = parse_text(&text).postmortem.unwrap();
        assert_eq!(pm.actions.len(), 2);
        assert_eq!(
            pm.actions[0].priority,
            Some(crate::postmortem::Priority::P1)
        );
        assert_eq!(pm.actions[0].status, crate::postmortem::ActionStatus::Open);
        assert_eq!(pm.meeting.as_ref().unwrap().attendees, ["Ana"]);
        assert_eq!(pm.links["chat"], "https://chat");
    }

    #[test]
    fn a_done_date_closes_an_action_and_contradicts_an_open_status() {
        use crate::postmortem::ActionStatus;
        let with = |action: &str| {
            MINIMAL.replace(
                "+++\n\n",
                &format!("[[actions]]\ntitle = \"Alert on lag\"\n{action}\n+++\n\n"),
            )
        };
        let pm = parse_text(&with("done = 2024-05-02")).postmortem.unwrap();
        let action = &pm.actions[0];
        assert_eq!(action.status, ActionStatus::Done);
        assert_eq!(action.done, NaiveDate::from_ymd_opt(2024, 5, 2));
        let day = |d: u32| NaiveDate::from_ymd_opt(2024, 5, d).unwrap();
        assert!(action.open_on(day(1)));
        assert!(!action.open_on(day(2)));

        let pm = parse_text(&with("status = \"done\"")).postmortem.unwrap();
        assert!(
            !pm.actions[0].open_on(day(1)),
            "done without a date: since forever"
        );
        let pm = parse_text(&with("status = \"open\"")).postmortem.unwrap();
        assert!(pm.actions[0].open_on(day(1)));

        let parsed = parse_text(&with("status = \"open\"\ndone = 2024-05-02"));
        assert_eq!(codes(&parsed), ["invalid-value"]);
        assert_eq!(
            parsed.diagnostics[0].message,
            "the action has a `done` date but `status = \"open\"`"
        );
        assert_eq!(
            codes(&parse_text(&with("done = \"yesterday\""))),
            ["invalid-value"]
        );
    }

    #[test]
    fn an_action_names_one_of_the_post_mortems_services() {
        let with = |action: &str| {
            MINIMAL.replace(
                "+++\n\n",
                &format!("services = [\"checkout\", \"payments-db\"]\n[[actions]]\ntitle = \"Alert on lag\"\n{action}\n+++\n\n"),
            )
        };
        let pm = parse_text(&with("")).postmortem.unwrap();
        assert_eq!(
            pm.actions[0].service(&pm),
            Some("checkout"),
            "the first by default"
        );
        let pm = parse_text(&with("service = \"payments-db\""))
            .postmortem
            .unwrap();
        assert_eq!(pm.actions[0].service(&pm), Some("payments-db"));
        let parsed = parse_text(&with("service = \"payments\""));
        assert_eq!(codes(&parsed), ["invalid-value"]);
        assert_eq!(
            parsed.diagnostics[0].help.as_deref(),
            Some("did you mean `payments-db`?")
        );
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn never_panics_on_arbitrary_text(text in "\\PC*") {
                let _ = parse_text(&text);
            }

            #[test]
            fn never_panics_on_front_matter_like_text(
                body in "(\\+\\+\\+|[a-z_]{1,8} = |\"[^\"\\n]{0,8}\"?|\\[\\[?[a-z]*\\]?\\]?|20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{0,8}Z?|\\n|#+ |\\| ?[0-9:]* ?\\|){0,40}"
            ) {
                let _ = parse_text(&format!("+++\n{body}"));
            }

            #[test]
            fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
                let mut src = source("a", "");
                src.bytes = bytes;
                let _ = parse(&src, &Config::default());
            }
        }
    }
}
