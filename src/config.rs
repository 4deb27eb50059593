//! `blameless.toml`: the archive's configuration, parsed once into validated types.
//!
//! Every key has a default, so an archive without a config file works. Unknown keys are errors
//! that point at their line, as in front matter.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::de::IntoDeserializer;
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{did_you_mean, Code, Diagnostic, Level};
use crate::postmortem::Severity;

/// The file name looked for at the archive root.
pub const FILE_NAME: &str = "blameless.toml";

/// The archive's configuration, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// The site's title.
    pub title: String,
    /// Absolute URL of the published site, without a trailing slash.
    pub base_url: String,
    /// Default zone for display and for times written without one.
    pub timezone: Tz,
    /// The theme directory under `themes/` whose files override the embedded theme.
    pub theme: String,
    /// The controlled vocabulary of `causes`.
    pub causes: Vec<String>,
    /// The severity scale, most severe first.
    pub severities: Vec<SeveritySpec>,
    /// Addresses of the internal email.
    pub email: EmailConfig,
    /// The review meeting's defaults.
    pub meeting: MeetingConfig,
    /// What the external message must not reveal.
    pub external: ExternalConfig,
    /// URL template for tickets that are keys, with `{ticket}` replaced by the key.
    pub ticket_url: Option<String>,
    /// Rule levels and rule settings.
    pub rules: Rules,
    /// The thresholds of the figures across incidents.
    pub insights: InsightsConfig,
    /// The search engine's vocabulary.
    pub search: SearchConfig,
    /// The people, teams and services of `directory.toml`, if the archive has one.
    pub directory: Option<std::sync::Arc<crate::directory::Directory>>,
}

/// One step of the severity scale.
#[derive(Clone, Debug, PartialEq)]
pub struct SeveritySpec {
    /// The canonical name, such as `SEV-1`.
    pub name: String,
    /// Other names accepted in front matter, such as `P1`.
    pub aliases: Vec<String>,
    /// What the severity means.
    pub description: String,
    /// How soon after `resolved` the review meeting must take place.
    pub meeting_within: Option<Deadline>,
    /// The parts of the process its post-mortems follow, in the order of [`ProcessPart::ALL`].
    pub process: Vec<ProcessPart>,
}

impl SeveritySpec {
    /// Whether post-mortems of this severity follow `part` of the process: the one decision
    /// that the part's rules, the page's checklist, the home page and the digest all ask.
    pub fn requires(&self, part: ProcessPart) -> bool {
        self.process.contains(&part)
    }
}

impl Config {
    /// Whether a post-mortem of `severity` follows `part` of the process (see
    /// [`SeveritySpec::requires`]).
    pub fn requires(&self, severity: &Severity, part: ProcessPart) -> bool {
        // why: a rank always comes from this scale; were it not, today's full process applies.
        self.severities
            .get(severity.rank)
            .is_none_or(|spec| spec.requires(part))
    }
}

/// A part of the post-mortem process that a severity may follow or leave out
/// (`[[severity]] process`). What every post-mortem needs whatever its severity (owner,
/// resolution time, the written sections, a clean external message) is not a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProcessPart {
    /// A review meeting, by the severity's `meeting_within`: `missing-meeting`, `meeting-late`,
    /// `meeting-overdue`, and the overdue reviews of the home page and the digest.
    ReviewMeeting,
    /// At least one follow-up action from "In Review" on: `missing-actions`.
    Actions,
    /// A ticket for every action of a Closed post-mortem: `action-without-ticket`.
    Tickets,
    /// With `customer_impact`, an `## External message` section (`missing-section`) that is
    /// posted before closing (`message-not-posted`, the home page's unposted messages).
    ExternalMessage,
}

impl ProcessPart {
    /// Every part, in the order of the process.
    pub const ALL: &'static [ProcessPart] = &[
        ProcessPart::ReviewMeeting,
        ProcessPart::Actions,
        ProcessPart::Tickets,
        ProcessPart::ExternalMessage,
    ];

    /// The name, as written in `process`.
    pub fn name(self) -> &'static str {
        match self {
            ProcessPart::ReviewMeeting => "review-meeting",
            ProcessPart::Actions => "actions",
            ProcessPart::Tickets => "tickets",
            ProcessPart::ExternalMessage => "external-message",
        }
    }

    /// The part a name stands for.
    pub fn from_name(name: &str) -> Option<ProcessPart> {
        ProcessPart::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// What the part asks for, in words: "review meeting".
    pub fn noun(self) -> &'static str {
        match self {
            ProcessPart::ReviewMeeting => "review meeting",
            ProcessPart::Actions => "follow-up actions",
            ProcessPart::Tickets => "tickets",
            ProcessPart::ExternalMessage => "external message",
        }
    }
}

/// A review-meeting deadline such as "3 calendar days" or "5 business days".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// How many days.
    pub days: u32,
    /// Whether weekends and holidays are skipped.
    pub business: bool,
}

impl Deadline {
    /// Parses "N calendar days" or "N business days" (singular accepted).
    pub fn parse(text: &str) -> Option<Deadline> {
        let mut words = text.split_whitespace();
        let days = words.next()?.parse().ok()?;
        let business = match words.next()? {
            "calendar" => false,
            "business" | "working" => true,
            _ => return None,
        };
        matches!(words.next()?, "day" | "days")
            .then_some(())
            .filter(|_| words.next().is_none())?;
        Some(Deadline { days, business })
    }
}

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.business {
            "business"
        } else {
            "calendar"
        };
        let unit = if self.days == 1 { "day" } else { "days" };
        write!(f, "{} {kind} {unit}", self.days)
    }
}

/// `[email]`: the headers of generated emails.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// The From address.
    pub from: String,
    /// The To address (a list address).
    pub to: String,
    /// Put before every subject.
    pub subject_prefix: String,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            from: "postmortems@example.com".into(),
            to: "engineering@example.com".into(),
            subject_prefix: "[Post-mortem]".into(),
        }
    }
}

/// `[meeting]`: the review meeting's defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeetingConfig {
    /// Where reviews take place, a room or a call link, unless a post-mortem's `[meeting]
    /// location` says otherwise.
    pub location: Option<String>,
}

/// `[external]`: what the external message must not reveal.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExternalConfig {
    /// Internal domains; hosts under them are internal details.
    pub internal_domains: Vec<String>,
    /// A regular expression for ticket keys.
    pub ticket_pattern: String,
}

impl Default for ExternalConfig {
    fn default() -> Self {
        ExternalConfig {
            internal_domains: Vec::new(),
            ticket_pattern: "[A-Z][A-Z0-9]+-[0-9]+".into(),
        }
    }
}

/// `[search]`: the words a search treats as the same.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Groups of words or phrases that mean the same (`["disk full", "no space left on
    /// device"]`), added to the built-in operations vocabulary.
    pub synonyms: Vec<Vec<String>>,
    /// Whether the built-in vocabulary applies; `false` keeps only `synonyms`.
    pub default_synonyms: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            synonyms: Vec::new(),
            default_synonyms: true,
        }
    }
}

impl SearchConfig {
    /// Every synonym group the search uses: the built-in ones (unless turned off), then the
    /// archive's.
    pub fn synonyms(&self) -> Vec<Vec<String>> {
        let builtin = blameless_search::DEFAULT_SYNONYMS
            .iter()
            .filter(|_| self.default_synonyms)
            .map(|group| group.iter().map(|w| w.to_string()).collect());
        builtin.chain(self.synonyms.iter().cloned()).collect()
    }
}

/// `[insights]`: the thresholds of hot spots, repeat incidents and related incidents.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InsightsConfig {
    /// A service or cause is a hot spot with this many incidents…
    pub hot_spot_incidents: usize,
    /// …within this many days.
    pub hot_spot_days: u32,
    /// Two post-mortems' text is "strongly similar" from this cosine of their TF-IDF vectors
    /// (0 to 1) on, for repeat incidents.
    pub repeat_similarity: f32,
    /// P0 and P1 actions open for more than this many days are listed as stale.
    pub stale_action_days: u32,
    /// How many related post-mortems a page lists.
    pub related: usize,
}

impl Default for InsightsConfig {
    fn default() -> Self {
        InsightsConfig {
            hot_spot_incidents: 3,
            hot_spot_days: 90,
            repeat_similarity: 0.3,
            stale_action_days: 30,
            related: 5,
        }
    }
}

/// `[rules]`: levels per diagnostic code, and the settings of the rules.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// Levels that differ from the codes' defaults.
    pub levels: BTreeMap<Code, Level>,
    /// Phrases that assign blame to people.
    pub blame_phrases: Vec<String>,
    /// Days that are not business days.
    pub holidays: Vec<NaiveDate>,
}

impl Rules {
    /// The level of `code` in this archive.
    pub fn level(&self, code: Code) -> Level {
        self.levels
            .get(&code)
            .copied()
            .unwrap_or(code.default_level())
    }
}

/// The default blame phrases.
pub const DEFAULT_BLAME_PHRASES: &[&str] = &[
    "human error",
    "should have known",
    "careless",
    "negligent",
    "fault of",
];

/// The default causes vocabulary.
pub const DEFAULT_CAUSES: &[&str] = &[
    "config-change",
    "deploy",
    "capacity",
    "dependency",
    "hardware",
    "software-bug",
    "data",
    "security",
    "process",
    "monitoring-gap",
    "expired-credential",
    "third-party",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Post-mortems".into(),
            base_url: DEFAULT_BASE_URL.into(),
            timezone: Tz::UTC,
            theme: "default".into(),
            causes: DEFAULT_CAUSES.iter().map(|c| c.to_string()).collect(),
            severities: default_severities(),
            email: EmailConfig::default(),
            meeting: MeetingConfig::default(),
            external: ExternalConfig::default(),
            ticket_url: None,
            insights: InsightsConfig::default(),
            search: SearchConfig::default(),
            directory: None,
            rules: Rules {
                blame_phrases: DEFAULT_BLAME_PHRASES
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
                ..Rules::default()
            },
        }
    }
}

/// The default scale: SEV-1 and SEV-2 follow the whole process, SEV-3 all of it but the review
/// meeting, SEV-4 only the external message.
fn default_severities() -> Vec<SeveritySpec> {
    use ProcessPart::{Actions, ExternalMessage, Tickets};
    let spec = |n: u32, description: &str, meeting_within, process: &[ProcessPart]| SeveritySpec {
        name: format!("SEV-{n}"),
        aliases: vec![format!("P{n}"), format!("sev{n}")],
        description: description.into(),
        meeting_within,
        process: process.to_vec(),
    };
    vec![
        spec(
            1,
            "Critical: a core flow is down for many customers",
            Some(Deadline {
                days: 3,
                business: false,
            }),
            ProcessPart::ALL,
        ),
        spec(
            2,
            "Major: a core flow is degraded or a feature is down",
            Some(Deadline {
                days: 5,
                business: true,
            }),
            ProcessPart::ALL,
        ),
        spec(
            3,
            "Minor: limited impact, a workaround exists",
            None,
            &[Actions, Tickets, ExternalMessage],
        ),
        spec(
            4,
            "Low: little or no customer impact",
            None,
            &[ExternalMessage],
        ),
    ]
}

/// The address links point to when `base_url` is not set: the preview server's.
pub const DEFAULT_BASE_URL: &str = "http://localhost:8000";

// why: the raw structs mirror the file and stay private; `Config` is what the rest trusts.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    base_url: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    causes: Option<Vec<String>>,
    severity: Option<Vec<RawSeverity>>,
    email: EmailConfig,
    meeting: MeetingConfig,
    external: ExternalConfig,
    ticket_url: Option<Spanned<String>>,
    insights: InsightsConfig,
    search: SearchConfig,
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeverity {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    description: String,
    meeting_within: Option<Spanned<String>>,
    process: Option<Vec<Spanned<String>>>,
}

impl Config {
    /// Parses the text of `blameless.toml`; `path` is only used in diagnostics.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Vec<Diagnostic>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawConfig = deserialize(text, path)?;
        let mut problems = Vec::new();
        let mut invalid = |span: Range<usize>, message: String, help: &str| {
            problems.push(
                Diagnostic::new(Code::InvalidConfig, message)
                    .at(path, text, span)
                    .help(help),
            );
        };

        let defaults = Config::default();
        let timezone = match &raw.timezone {
            None => defaults.timezone,
            Some(zone) => zone.get_ref().parse().unwrap_or_else(|_| {
                invalid(
                    zone.span(),
                    format!("unknown time zone `{}`", zone.get_ref()),
                    "use an IANA zone name such as `UTC` or `Europe/Berlin`",
                );
                Tz::UTC
            }),
        };
        let base_url = match &raw.base_url {
            None => defaults.base_url,
            Some(url) => {
                let value = url.get_ref().trim_end_matches('/').to_string();
                if !(value.starts_with("https://") || value.starts_with("http://")) {
                    invalid(
                        url.span(),
                        format!(
                            "`base_url` must be an absolute URL, not `{}`",
                            url.get_ref()
                        ),
                        "write it as `https://host/path`",
                    );
                }
                value
            }
        };
        if let Some(theme) = &raw.theme {
            if !is_theme_name(theme.get_ref()) {
                invalid(
                    theme.span(),
                    format!(
                        "`theme` must be the name of a directory in `themes/`, not `{}`",
                        theme.get_ref()
                    ),
                    "write a plain name such as `theme = \"acme\"` for `themes/acme/`: letters, digits, `-`, `_` and `.`, no path",
                );
            }
        }
        if let Some(url) = &raw.ticket_url {
            if !url.get_ref().contains("{ticket}") {
                invalid(
                    url.span(),
                    "`ticket_url` has no `{ticket}` placeholder".into(),
                    "write it as `https://tracker.example.com/browse/{ticket}`",
                );
            }
        }
        if let Err(err) = regex_check(&raw.external.ticket_pattern) {
            problems.push(
                Diagnostic::new(
                    Code::InvalidConfig,
                    format!("`[external] ticket_pattern` is not a valid regular expression: {err}"),
                )
                .in_file(path),
            );
        }

        let severities = match raw.severity {
            None => defaults.severities,
            Some(list) => list
                .into_iter()
                .map(|s| severity_spec(s, path, text, &mut problems))
                .collect(),
        };
        let rules = parse_rules(&raw.rules, path, text, &mut problems);
        let insights = &raw.insights;
        if insights.hot_spot_incidents < 2 || insights.hot_spot_days == 0 {
            problems.push(
                Diagnostic::new(
                    Code::InvalidConfig,
                    "`[insights]` hot spots need `hot_spot_incidents` of 2 or more within `hot_spot_days` of 1 or more",
                )
                .in_file(path)
                .help("the defaults are `hot_spot_incidents = 3` and `hot_spot_days = 90`"),
            );
        }
        if !(insights.repeat_similarity > 0.0 && insights.repeat_similarity <= 1.0) {
            problems.push(
                Diagnostic::new(
                    Code::InvalidConfig,
                    format!(
                        "`[insights] repeat_similarity` must be above 0 and at most 1, not {}",
                        insights.repeat_similarity
                    ),
                )
                .in_file(path)
                .help("the default is `repeat_similarity = 0.3`; 1 means identical text"),
            );
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Config {
            title: raw.title.unwrap_or(defaults.title),
            base_url,
            timezone,
            theme: raw.theme.map_or(defaults.theme, Spanned::into_inner),
            causes: raw.causes.unwrap_or(defaults.causes),
            severities,
            email: raw.email,
            meeting: raw.meeting,
            external: raw.external,
            ticket_url: raw.ticket_url.map(Spanned::into_inner),
            insights: raw.insights,
            search: raw.search,
            directory: None,
            rules,
        })
    }

    /// Finds a severity by name or alias, case-insensitively.
    pub fn severity(&self, name: &str) -> Option<(usize, &SeveritySpec)> {
        self.severities.iter().enumerate().find(|(_, s)| {
            s.name.eq_ignore_ascii_case(name)
                || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }
}

/// One `[[severity]]`, validated: its deadline read, its process parts known (every part when
/// `process` is not written), and no deadline for a meeting its process leaves out.
fn severity_spec(
    raw: RawSeverity,
    path: &Path,
    text: &str,
    problems: &mut Vec<Diagnostic>,
) -> SeveritySpec {
    let process = match &raw.process {
        None => ProcessPart::ALL.to_vec(),
        Some(names) => process_parts(names, path, text, problems),
    };
    let meeting_within = raw.meeting_within.and_then(|m| {
        let parsed = Deadline::parse(m.get_ref());
        if parsed.is_none() {
            problems.push(
                Diagnostic::new(
                    Code::InvalidConfig,
                    format!("cannot read the deadline `{}`", m.get_ref()),
                )
                .at(path, text, m.span())
                .help("write `N calendar days` or `N business days`"),
            );
        } else if !process.contains(&ProcessPart::ReviewMeeting) {
            problems.push(
                Diagnostic::new(
                    Code::InvalidConfig,
                    format!(
                        "`{}` has a `meeting_within` but its `process` has no `review-meeting`",
                        raw.name
                    ),
                )
                .at(path, text, m.span())
                .help("add `\"review-meeting\"` to `process`, or remove `meeting_within`"),
            );
        }
        parsed
    });
    SeveritySpec {
        name: raw.name,
        aliases: raw.aliases,
        description: raw.description,
        meeting_within,
        process,
    }
}

/// The parts a `process` list names, in the order of the process (a list may repeat a part or
/// give them in any order); an unknown name is reported with the closest part.
fn process_parts(
    names: &[Spanned<String>],
    path: &Path,
    text: &str,
    problems: &mut Vec<Diagnostic>,
) -> Vec<ProcessPart> {
    let mut parts = Vec::new();
    for name in names {
        if let Some(part) = ProcessPart::from_name(name.get_ref()) {
            parts.push(part);
            continue;
        }
        let known = ProcessPart::ALL.iter().map(|p| p.name());
        let help = match did_you_mean(name.get_ref(), known) {
            Some(part) => format!("did you mean `{part}`?"),
            None => {
                let names: Vec<String> = ProcessPart::ALL
                    .iter()
                    .map(|p| format!("`{}`", p.name()))
                    .collect();
                format!("`process` takes {}", names.join(", "))
            }
        };
        problems.push(
            Diagnostic::new(
                Code::InvalidConfig,
                format!(
                    "unknown process part `{}` in `[[severity]]`",
                    name.get_ref()
                ),
            )
            .at(path, text, name.span())
            .help(help),
        );
    }
    ProcessPart::ALL
        .iter()
        .copied()
        .filter(|p| parts.contains(p))
        .collect()
}

/// How many unknown keys are reported before the rest are left unsaid.
const MAX_UNKNOWN_KEYS: usize = 50;

/// Reads a TOML file into its raw struct, reporting every unknown key rather than the first:
/// each one is reported, removed from the parsed table, and the table read again. The
/// configuration and the directory are read with it.
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, Vec<Diagnostic>> {
    let report = |err: &toml::de::Error| {
        let span = err.span().unwrap_or(0..0);
        let message = err.message().trim_end_matches('\n').to_string();
        let mut d =
            Diagnostic::new(Code::InvalidConfig, first_line(&message)).at(path, text, span.clone());
        if let Some(help) = config_help(&message, text.get(span).unwrap_or("")) {
            d = d.help(help);
        }
        d
    };
    let mut table = DeTable::parse(text).map_err(|err| vec![report(&err)])?;
    let mut problems = Vec::new();
    loop {
        let err = match T::deserialize(table.clone().into_deserializer()) {
            Ok(raw) if problems.is_empty() => return Ok(raw),
            Ok(_) => break,
            Err(err) => err,
        };
        problems.push(report(&err));
        let unknown = err.message().starts_with("unknown field");
        let removed = unknown
            && err
                .span()
                .is_some_and(|span| remove_key(table.get_mut(), &span));
        if !removed || problems.len() >= MAX_UNKNOWN_KEYS {
            break;
        }
    }
    crate::diagnostic::sort(&mut problems);
    Err(problems)
}

/// Removes the key written at `span` from `table` or any table inside it.
fn remove_key(table: &mut DeTable<'_>, span: &Range<usize>) -> bool {
    let found = table.keys().find(|key| key.span() == *span).cloned();
    if let Some(key) = found {
        return table.remove(&key).is_some();
    }
    table.iter_mut().any(|(_, value)| match value.get_mut() {
        DeValue::Table(inner) => remove_key(inner, span),
        DeValue::Array(items) => items.iter_mut().any(|item| match item.get_mut() {
            DeValue::Table(inner) => remove_key(inner, span),
            _ => false,
        }),
        _ => false,
    })
}

/// Whether `name` names a directory under `themes/` and nothing else: no path, no `..`.
fn is_theme_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("").to_string()
}

fn config_help(message: &str, found: &str) -> Option<String> {
    let expected = message.split_once("expected one of ")?.1;
    let names: Vec<&str> = expected
        .split(", ")
        .map(|n| n.trim_matches(|c: char| c == '`' || c == ' '))
        .collect();
    let found = found.trim_matches(|c: char| c == '"' || c == '[' || c == ']');
    match did_you_mean(found, names.iter().copied()) {
        Some(name) => Some(format!("did you mean `{name}`?")),
        None => Some(format!("the keys here are {expected}")),
    }
}

fn regex_check(pattern: &str) -> Result<(), String> {
    regex::Regex::new(pattern).map(|_| ()).map_err(|e| {
        e.to_string()
            .lines()
            .last()
            .unwrap_or("")
            .trim()
            .to_string()
    })
}

fn parse_rules(
    raw: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    path: &Path,
    text: &str,
    problems: &mut Vec<Diagnostic>,
) -> Rules {
    let mut rules = Rules {
        blame_phrases: DEFAULT_BLAME_PHRASES
            .iter()
            .map(|p| p.to_string())
            .collect(),
        ..Rules::default()
    };
    for (key, value) in raw {
        let name = key.get_ref().as_str();
        let mut wrong = |message: String, help: String| {
            problems.push(
                Diagnostic::new(Code::InvalidConfig, message)
                    .at(path, text, value.span())
                    .help(help),
            );
        };
        match name {
            "blame_phrases" => match string_list(value.get_ref()) {
                Some(list) => rules.blame_phrases = list,
                None => wrong(
                    "`blame_phrases` must be a list of strings".into(),
                    "write `blame_phrases = [\"human error\", \"careless\"]`".into(),
                ),
            },
            "holidays" => match date_list(value.get_ref()) {
                Some(list) => rules.holidays = list,
                None => wrong(
                    "`holidays` must be a list of dates".into(),
                    "write `holidays = [2024-12-25, 2025-01-01]` (TOML dates, no quotes)".into(),
                ),
            },
            _ => match Code::from_name(name) {
                Some(code) => match value.get_ref().as_str() {
                    Some("error") => drop(rules.levels.insert(code, Level::Error)),
                    Some("warning") => drop(rules.levels.insert(code, Level::Warning)),
                    Some("allow") => drop(rules.levels.insert(code, Level::Allow)),
                    _ => wrong(
                        format!("`{name}` must be `\"error\"`, `\"warning\"` or `\"allow\"`"),
                        format!("write `{name} = \"warning\"`"),
                    ),
                },
                None => {
                    let known = Code::ALL
                        .iter()
                        .map(|c| c.name())
                        .chain(["blame_phrases", "holidays"]);
                    let help = match did_you_mean(name, known) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "`[rules]` takes diagnostic codes, `blame_phrases` and `holidays`"
                            .into(),
                    };
                    problems.push(
                        Diagnostic::new(
                            Code::InvalidConfig,
                            format!("unknown rule `{name}` in `[rules]`"),
                        )
                        .at(path, text, key.span())
                        .help(help),
                    );
                }
            },
        }
    }
    rules
}

fn string_list(value: &toml::Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn date_list(value: &toml::Value) -> Option<Vec<NaiveDate>> {
    value
        .as_array()?
        .iter()
        .map(|v| {
            let date = v.as_datetime()?;
            if date.time.is_some() {
                return None;
            }
            let d = date.date?;
            NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::render_one;

    fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
        Config::parse(text, Path::new("blameless.toml"))
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.severities.len(), 4);
        assert_eq!(config.causes.len(), 12);
        assert_eq!(config.timezone, Tz::UTC);
        assert_eq!(config.rules.level(Code::OutageWord), Level::Warning);
    }

    #[test]
    fn reads_the_insights_thresholds_and_refuses_impossible_ones() {
        let config =
            parse("[insights]\nhot_spot_incidents = 4\nrepeat_similarity = 0.6\n").unwrap();
        assert_eq!(config.insights.hot_spot_incidents, 4);
        assert_eq!(config.insights.hot_spot_days, 90);
        assert_eq!(config.insights.repeat_similarity, 0.6);
        let errors = parse("[insights]\nhot_spot_days = 0\nrepeat_similarity = 1.5\n").unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[1].contains("not 1.5"), "{messages:?}");
        let errors = parse("[insights]\nhot_spot_day = 30\n").unwrap_err();
        assert!(errors[0]
            .message
            .starts_with("unknown field `hot_spot_day`"));
    }

    #[test]
    fn reads_deadlines() {
        assert_eq!(
            Deadline::parse("5 business days"),
            Some(Deadline {
                days: 5,
                business: true
            })
        );
        assert_eq!(
            Deadline::parse("1 calendar day"),
            Some(Deadline {
                days: 1,
                business: false
            })
        );
        assert_eq!(Deadline::parse("soon"), None);
        assert_eq!(Deadline::parse("3 calendar days please"), None);
    }

    #[test]
    fn reports_every_unknown_key_not_only_the_first() {
        let errors = parse(
            "titel = \"x\"\ntimezon = \"UTC\"\n[email]\nfrm = \"a@x.example\"\n[[severity]]\nname = \"S1\"\nalias = []\n",
        )
        .unwrap_err();
        let found: Vec<(usize, &str)> = errors
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line, d.message.as_str()))
            .collect();
        let lines: Vec<usize> = found.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 2, 4, 7], "{found:?}");
        assert!(found.iter().all(|(_, m)| m.starts_with("unknown field")));
    }

    #[test]
    fn unknown_keys_are_reported_up_to_a_bound() {
        let text: String = (0..10_000).map(|i| format!("key{i} = 1\n")).collect();
        let errors = parse(&text).unwrap_err();
        assert_eq!(errors.len(), MAX_UNKNOWN_KEYS);
    }

    #[test]
    fn rejects_unknown_key_with_its_line_and_a_suggestion() {
        let errors = parse("title = \"x\"\ntimezon = \"UTC\"\n").unwrap_err();
        insta::assert_snapshot!(render_one(&errors[0]), @r#"
        error[invalid-config]: unknown field `timezon`, expected one of `title`, `base_url`, `timezone`, `theme`, `causes`, `severity`, `email`, `meeting`, `external`, `ticket_url`, `insights`, `search`, `rules`
         --> blameless.toml:2:1
          |
        2 | timezon = "UTC"
          | ^^^^^^^
          = help: did you mean `timezone`?
        "#);
    }

    #[test]
    fn rejects_unknown_rule_and_bad_level() {
        let errors =
            parse("[rules]\noutage-wrd = \"error\"\nblame-language = \"loud\"\n").unwrap_err();
        let messages: Vec<_> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`blame-language` must be `\"error\"`, `\"warning\"` or `\"allow\"`",
                "unknown rule `outage-wrd` in `[rules]`",
            ]
        );
        assert_eq!(
            errors[1].help.as_deref(),
            Some("did you mean `outage-word`?")
        );
    }

    #[test]
    fn reads_rule_levels_and_holidays() {
        let config = parse(
            "[rules]\noutage-word = \"error\"\nholidays = [2024-12-25]\nblame_phrases = [\"oops\"]\n",
        )
        .unwrap();
        assert_eq!(config.rules.level(Code::OutageWord), Level::Error);
        assert_eq!(
            config.rules.holidays,
            [NaiveDate::from_ymd_opt(2024, 12, 25).unwrap()]
        );
        assert_eq!(config.rules.blame_phrases, ["oops"]);
    }

    #[test]
    fn finds_severities_by_alias() {
        let config = parse("").unwrap();
        assert_eq!(
            config.severity("p2").map(|(i, s)| (i, s.name.as_str())),
            Some((1, "SEV-2"))
        );
        assert!(config.severity("SEV-9").is_none());
    }

    fn parts(spec: &SeveritySpec) -> Vec<&'static str> {
        spec.process.iter().map(|p| p.name()).collect()
    }

    #[test]
    fn the_default_scale_lightens_the_process_of_sev3_and_sev4() {
        let config = parse("").unwrap();
        let scale: Vec<(&str, Vec<&str>)> = config
            .severities
            .iter()
            .map(|s| (s.name.as_str(), parts(s)))
            .collect();
        assert_eq!(
            scale,
            [
                (
                    "SEV-1",
                    vec!["review-meeting", "actions", "tickets", "external-message"]
                ),
                (
                    "SEV-2",
                    vec!["review-meeting", "actions", "tickets", "external-message"]
                ),
                ("SEV-3", vec!["actions", "tickets", "external-message"]),
                ("SEV-4", vec!["external-message"]),
            ]
        );
        assert!(config.severities[0].requires(ProcessPart::ReviewMeeting));
        assert!(!config.severities[3].requires(ProcessPart::Actions));
    }

    #[test]
    fn reads_the_process_of_each_severity() {
        let config = parse(
            "[[severity]]\nname = \"S1\"\n\n[[severity]]\nname = \"S2\"\nprocess = [\"tickets\", \"review-meeting\", \"tickets\"]\n\n[[severity]]\nname = \"S3\"\nprocess = []\n",
        )
        .unwrap();
        let scale: Vec<Vec<&str>> = config.severities.iter().map(parts).collect();
        assert_eq!(
            scale,
            [
                vec!["review-meeting", "actions", "tickets", "external-message"],
                vec!["review-meeting", "tickets"],
                vec![],
            ]
        );
        let (_, s3) = config.severity("S3").unwrap();
        assert!(!s3.requires(ProcessPart::ExternalMessage));
    }

    #[test]
    fn rejects_an_unknown_process_part_with_a_suggestion() {
        let errors = parse(
            "[[severity]]\nname = \"SEV-3\"\nprocess = [\"actions\", \"review-meting\", \"postmortem\"]\n",
        )
        .unwrap_err();
        insta::assert_snapshot!(render_one(&errors[0]), @r#"
        error[invalid-config]: unknown process part `review-meting` in `[[severity]]`
         --> blameless.toml:3:23
          |
        3 | process = ["actions", "review-meting", "postmortem"]
          |                       ^^^^^^^^^^^^^^^
          = help: did you mean `review-meeting`?
        "#);
        assert_eq!(
            errors[1].help.as_deref(),
            Some("`process` takes `review-meeting`, `actions`, `tickets`, `external-message`")
        );
        let errors = parse("[[severity]]\nname = \"SEV-3\"\nprocess = \"actions\"\n").unwrap_err();
        assert!(errors[0].message.starts_with("invalid type"), "{errors:?}");
    }

    #[test]
    fn a_meeting_deadline_needs_the_review_meeting_in_the_process() {
        let errors = parse(
            "[[severity]]\nname = \"SEV-3\"\nmeeting_within = \"5 business days\"\nprocess = [\"actions\"]\n",
        )
        .unwrap_err();
        insta::assert_snapshot!(render_one(&errors[0]), @r#"
        error[invalid-config]: `SEV-3` has a `meeting_within` but its `process` has no `review-meeting`
         --> blameless.toml:3:18
          |
        3 | meeting_within = "5 business days"
          |                  ^^^^^^^^^^^^^^^^^
          = help: add `"review-meeting"` to `process`, or remove `meeting_within`
        "#);
        assert!(
            parse("[[severity]]\nname = \"SEV-3\"\nmeeting_within = \"5 business days\"\n").is_ok()
        );
    }

    #[test]
    fn a_theme_is_a_name_not_a_path() {
        for bad in ["/etc", "../x", "a/b", "..", "", "a\\b"] {
            let errors = parse(&format!("theme = {bad:?}\n")).unwrap_err();
            assert!(
                errors[0].message.starts_with("`theme` must be the name"),
                "{bad}: {errors:?}"
            );
        }
        assert_eq!(parse("theme = \"acme-2.0\"\n").unwrap().theme, "acme-2.0");
    }

    #[test]
    fn rejects_unknown_zone() {
        let errors = parse("timezone = \"Mars/Olympus\"\n").unwrap_err();
        assert_eq!(errors[0].message, "unknown time zone `Mars/Olympus`");
        assert_eq!(errors[0].location.as_ref().unwrap().column, 12);
    }
}
