//! Import: an existing post-mortem, written as Markdown in its own shape (optionally with YAML or
//! TOML front matter), turned into a source of this format. One report flows one way:
//! front matter and body read → title, key times, severity, sections, timeline and actions
//! recognised → a source written, with every guess marked in it and listed in the report.
//!
//! This module is pure: `cmd::import` reads the files, copies the images and writes the sources.
//! The written source is parsed and checked here, so the report says whether `check` will
//! accept it.

pub mod actions;
pub mod dates;
pub mod front_matter;
pub mod report;
pub mod sections;
pub mod severity;
pub mod timeline;

use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike as _, Utc};
use chrono_tz::Tz;
use regex::Regex;

use crate::config::Config;
use crate::diagnostic::Level;
use crate::markdown::{self, LinkTarget};
use crate::postmortem::{ActionStatus, SectionKind, Status};
use crate::scaffold::{clean_title, toml_string};

use self::actions::FoundAction;
use self::dates::FoundTime;
use self::front_matter::FrontMatter;
use self::report::{FileReport, Guess};
use self::severity::{find_severity, map_severity};

/// One report to convert.
pub struct Input<'a> {
    /// The file as given on the command line, recorded as `[links] source`.
    pub path: &'a str,
    /// The file's stem, or the directory's name for an `index.md` or `README.md`.
    pub stem: &'a str,
    /// The text, decoded (UTF-8, no BOM, LF line ends).
    pub text: &'a str,
    /// The archive's configuration: severity scale, zone, ticket pattern.
    pub config: &'a Config,
    /// The severity written when the report states none.
    pub default_severity: &'a str,
    /// "Now", for the rules that `check` will run, and the start of a report with no date.
    pub now: DateTime<Utc>,
}

/// A local image the report shows, to copy into the bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// The path as written, relative to the report's directory.
    pub from: String,
    /// Where it goes in the bundle, relative to the bundle directory.
    pub to: String,
}

/// One report, converted.
#[derive(Clone, Debug)]
pub struct Converted {
    /// The id, and so the file or bundle name.
    pub id: String,
    /// The source text to write.
    pub source: String,
    /// Local images to copy beside it; when there are any, the source is a bundle.
    pub images: Vec<Image>,
    /// What was recovered and guessed.
    pub report: FileReport,
}

/// A key time, with where it came from and whether that was a guess.
#[derive(Clone, Debug)]
struct KeyTime {
    at: DateTime<FixedOffset>,
    from: String,
    guessed: bool,
}

/// An id before a title: `PM2020-002 - `, `INC-1234: `, `[OPS-12] `, `#42 - `; the separator
/// (or the brackets) must be there, so that "ALB 502 errors" keeps its words.
static ID_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\[(?P<bracketed>#?\d+|[A-Za-z]{1,10}[-_]?\d{2,}(?:[-_.]\d+)*)\]\s*(?:[-:–—|]\s*)?|(?P<id>#\d+|[A-Za-z]{1,10}[-_]?\d{2,}(?:[-_.]\d+)*)\s*[-:–—|]\s*)")
        .expect("valid regex")
});

static LEAD_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:post[-\s]?mortem|incident(?:\s+report)?|outage|rca|root\s+cause\s+analysis|pir)\b\s*(?:report\s*)?(?:on|of|from|for|:|-|–|—)?\s*")
        .expect("valid regex")
});

static SEPARATORS: &[char] = &[' ', '-', '–', '—', ':', '|', ',', '_', '.'];

/// A title with its date and id prefixes taken off: "Incident on 2020-04-15 - DB down" gives
/// ("DB down", the date, no id); "PM2020-002 - KIAM down" gives ("KIAM down", no date, the id).
pub fn split_title(title: &str) -> (String, Option<NaiveDate>, Option<String>) {
    let mut rest = title.trim();
    let mut id = None;
    let mut date = None;
    for _ in 0..3 {
        let before = rest;
        if let Some(found) =
            dates::find_date(rest).filter(|f| rest[..f.start].trim_matches(SEPARATORS).is_empty())
        {
            date = date.or(Some(found.date));
            rest = rest[found.end..].trim_start_matches(SEPARATORS);
        } else if let Some(caps) = ID_PREFIX.captures(rest).filter(|_| id.is_none()) {
            id = caps
                .name("id")
                .or(caps.name("bracketed"))
                .map(|m| m.as_str().to_string());
            rest = &rest[caps.get(0).map_or(0, |m| m.end())..];
        } else if let Some(m) = LEAD_WORDS.find(rest).filter(|m| m.end() > 0) {
            let after = &rest[m.end()..];
            // why: "Postmortem for ADSync migration" drops its lead word; a title that is only
            // lead words ("Incident report") keeps them.
            if after.chars().any(char::is_alphanumeric) {
                rest = after;
            }
        }
        if rest == before {
            break;
        }
    }
    let rest = rest.trim().trim_matches(SEPARATORS).trim();
    if rest.is_empty() || !rest.chars().any(char::is_alphabetic) {
        return (title.trim().to_string(), date, id);
    }
    (rest.to_string(), date, id)
}

/// The title a file stem reads as: "2018-03-26-database-outage" → "Database outage".
fn title_of_stem(stem: &str) -> String {
    let (rest, _, _) = split_title(stem);
    let words = rest.replace(['-', '_'], " ");
    let words = clean_title(&words);
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled incident".to_string(),
    }
}

static LABEL_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*|__)?(?P<label>[A-Za-z][A-Za-z '/()-]{1,40}?)(?:\*\*|__)?\s*(?::|\s[-–—|]\s|\s+at\s+|\s+on\s+|\s)\s*(?:\*\*|__)?\s*(?P<rest>.*\d.*)$")
        .expect("valid regex")
});

/// Which key time a label such as "Fault occurs", "Detected at" or "Resolved" names.
fn key_field(label: &str) -> Option<&'static str> {
    let label = label.trim().to_lowercase();
    if label.split_whitespace().count() > 5 {
        return None;
    }
    let has = |words: &[&str]| words.iter().any(|w| label.contains(w));
    if has(&["time to", "duration", "mttr", "mttd"]) {
        return None;
    }
    if has(&[
        "resolv",
        "recover",
        "restor",
        "fixed",
        "ended",
        "end time",
        "closed",
        "all clear",
    ]) || label == "end"
    {
        Some("resolved")
    } else if has(&["mitigat", "workaround"]) {
        Some("mitigated")
    } else if has(&[
        "detect", "alert", "discover", "noticed", "paged", "reported",
    ]) {
        Some("detected")
    } else if has(&[
        "start", "began", "begin", "occur", "fault", "onset", "impact",
    ]) {
        Some("started")
    } else if [
        "date",
        "incident date",
        "date of incident",
        "when",
        "day",
        "time",
        "date and time",
    ]
    .contains(&label.as_str())
    {
        Some("date")
    } else {
        None
    }
}

/// Key times written as labelled lines ("Fault occurs 2020-04-15 07:15", "Resolved: …",
/// "Date: April 15, 2020"), the first of each, outside tables and code.
fn key_lines(body: &str) -> Vec<(&'static str, FoundTime, String)> {
    let mut found: Vec<(&'static str, FoundTime, String)> = Vec::new();
    let mut fence = false;
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
        }
        if fence || trimmed.starts_with('|') || trimmed.starts_with('#') || trimmed.len() > 120 {
            continue;
        }
        let Some(caps) = LABEL_LINE.captures(trimmed) else {
            continue;
        };
        let Some(field) = key_field(&caps["label"]) else {
            continue;
        };
        let rest = &caps["rest"];
        let Some(time) = dates::find_time(rest) else {
            continue;
        };
        // why: "Resolved the config on 2020-04-15" is prose; a key line's date comes first.
        if dates::find_date(rest).is_some_and(|d| d.start > 30) {
            continue;
        }
        if !found.iter().any(|(f, _, _)| *f == field) {
            found.push((field, time, caps["label"].trim().to_string()));
        }
    }
    found
}

static DETECTED_EVENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:alert(?:s|ed)?|detect(?:ed|ion)|noticed|paged|reported|discovered)\b")
        .expect("valid regex")
});
// why: not "rolled back": a rollback that changed nothing is as common as one that helped.
static MITIGATED_EVENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:mitigat(?:ed|ion)|workaround)\b").expect("valid regex"));
static RESOLVED_EVENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:resolved|restored|recovered|back to normal|fully operational|all clear|incident closed)\b").expect("valid regex")
});

/// Converts one report.
pub fn convert(input: &Input<'_>) -> Converted {
    let config = input.config;
    let mut guesses: Vec<Guess> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let guess = |guesses: &mut Vec<Guess>, field: &str, value: &str, from: &str| {
        guesses.push(Guess {
            field: field.into(),
            value: value.into(),
            from: from.into(),
        })
    };
    let fm = front_matter::read(input.text);
    problems.extend(fm.problem.clone());
    let body_text = &input.text[fm.body_start.min(input.text.len())..];
    let mut body = sections::split(body_text);
    // The timeline rewritten first: the zone of a date heading becomes a note the zone is read from.
    if let Some(part) = body
        .parts
        .iter_mut()
        .find(|p| p.kind == Some(SectionKind::Timeline))
    {
        let (normalised, rewritten) = timeline::normalise(&part.markdown);
        if rewritten.from_headings > 0 {
            problems.push(format!(
                "{} timeline rows were made from time headings",
                rewritten.from_headings
            ));
        }
        if rewritten.from_lines > 0 {
            problems.push(format!(
                "{} timeline rows were made from lines that start with a time",
                rewritten.from_lines
            ));
        }
        part.markdown = normalised;
    }

    // Title, and the date and id its prefixes give.
    let (title, title_date, title_id, title_from) = match fm.get(&["title", "name"]) {
        Some((_, value)) => {
            let (t, d, i) = split_title(&value.text());
            (t, d, i, None)
        }
        None => match &body.title {
            Some(h1) => {
                let (t, d, i) = split_title(h1);
                (t, d, i, None)
            }
            None => {
                let (_, d, i) = split_title(input.stem);
                (title_of_stem(input.stem), d, i, Some("the file name"))
            }
        },
    };
    let title = clean_title(&title);
    let title_from_front_matter = fm.get(&["title", "name"]).is_some();
    let (_, stem_date, stem_id) = split_title(input.stem);

    // The zone the report's times are in.
    let zone_field = fm
        .get(&["timezone", "tz", "time_zone", "zone"])
        .map(|(_, v)| v.text());
    let zone_tz: Option<Tz> = zone_field.as_deref().and_then(|z| z.parse().ok());
    let zone = match &zone_field {
        Some(z) => dates::ReportZone {
            name: z.clone(),
            stated: true,
        },
        // why: the sections as they will be written, which carry the zone of a heading too.
        None => dates::report_zone(
            &body
                .parts
                .iter()
                .fold(body.preamble.clone(), |text, p| text + "\n" + &p.markdown),
            config.timezone,
        ),
    };
    let written_tz = zone_tz.or_else(|| zone.name.parse::<Tz>().ok().filter(|_| zone.stated));
    let fallback_tz = written_tz.unwrap_or(config.timezone);
    let at = |t: &FoundTime| {
        dates::resolve(
            t.date,
            t.time,
            t.zone.as_deref().unwrap_or(&zone.name),
            fallback_tz,
        )
    };

    // Key times: front matter, then labelled lines.
    let mut keys: std::collections::BTreeMap<&'static str, KeyTime> = Default::default();
    let fm_keys: [(&'static str, &[&str]); 4] = [
        (
            "started",
            &[
                "started",
                "start",
                "started_at",
                "start_time",
                "date",
                "incident_date",
                "occurred",
            ],
        ),
        ("detected", &["detected", "detected_at", "detection_time"]),
        ("mitigated", &["mitigated", "mitigated_at"]),
        (
            "resolved",
            &["resolved", "resolved_at", "ended", "end", "end_time"],
        ),
    ];
    let mut date_only: Option<(NaiveDate, String)> = None;
    let mut written: Vec<(&'static str, FoundTime, String)> = Vec::new();
    for (field, names) in fm_keys {
        let Some((key, value)) = fm.get(names) else {
            continue;
        };
        let text = value.text();
        let from = format!("the front matter's `{key}`");
        if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
            let guessed = false;
            keys.insert(
                field,
                KeyTime {
                    at: t,
                    from,
                    guessed,
                },
            );
        } else if let Some(t) = dates::find_time(&text) {
            written.push((field, t, from));
        }
    }
    for (field, time, label) in key_lines(body_text) {
        let field = if field == "date" { "started" } else { field };
        written.push((field, time, format!("the line `{label} …`")));
    }
    // why: the front matter comes first in `written`, so it wins over the lines of the text.
    for (field, time, from) in written {
        if keys.contains_key(field) {
            continue;
        }
        match (time.time, at(&time)) {
            (Some(_), Some(resolved)) => {
                let guessed = !zone.stated;
                keys.insert(
                    field,
                    KeyTime {
                        at: resolved,
                        from,
                        guessed,
                    },
                );
            }
            _ if field == "started" && date_only.is_none() => date_only = Some((time.date, from)),
            _ => {}
        }
    }
    let fallback_date = date_only
        .clone()
        .or(title_date.map(|d| (d, "the title".to_string())))
        .or(stem_date.map(|d| (d, "the file name".to_string())));

    // The timeline, read as `check` will read it.
    let provisional = keys
        .get("started")
        .map(|k| k.at)
        .or_else(|| {
            fallback_date
                .as_ref()
                .and_then(|(d, _)| dates::resolve(*d, None, &zone.name, fallback_tz))
        })
        .unwrap_or_else(|| {
            let now = input.now.with_timezone(&fallback_tz).fixed_offset();
            now.with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(now)
        });
    let parts = &body.parts;
    let mut timeline_rows = 0;
    let mut timeline_times = 0;
    let mut first_row: Option<(DateTime<FixedOffset>, bool)> = None;
    let mut first_row_date: Option<NaiveDate> = None;
    let mut events: Vec<(DateTime<FixedOffset>, String)> = Vec::new();
    if let Some(part) = parts.iter().find(|p| p.kind == Some(SectionKind::Timeline)) {
        let (parsed, _) = crate::timeline::parse(&crate::timeline::Input {
            path: Path::new(input.path),
            source: &part.markdown,
            markdown: &part.markdown,
            offset: 0,
            started: provisional,
            timezone: fallback_tz,
        });
        timeline_rows = parsed.entries.len();
        for entry in &parsed.entries {
            match entry.time {
                Some(time) => {
                    timeline_times += 1;
                    let dated = crate::timeline::leading_time(
                        entry.time_text.trim_start_matches(['*', '_', '`', '~']),
                    )
                    .is_some_and(|t| t.date.is_some());
                    if first_row.is_none() {
                        first_row = Some((time, dated));
                    }
                    events.push((time, entry.event.clone()));
                }
                // why: a first row whose date is written but whose time is not ("2021-12-10",
                // "2022-05-25 HH:mm") still says on which day the incident began.
                None if first_row.is_none() && first_row_date.is_none() => {
                    first_row_date = dates::find_date(&entry.time_text)
                        .filter(|f| f.start == 0)
                        .map(|f| f.date);
                }
                None => {}
            }
        }
    }

    // `started`: stated, else the first timeline row (on the stated day, when only a day is
    // stated), else the day of the title, the file name or the first row, at midnight.
    if !keys.contains_key("started") {
        let row_on = |day: Option<NaiveDate>| {
            first_row.filter(|(t, dated)| match day {
                Some(day) => t.date_naive() == day || !dated,
                None => *dated || fallback_date.is_some(),
            })
        };
        let chosen = match &date_only {
            Some((day, from)) => match row_on(Some(*day)) {
                Some((t, _)) => KeyTime {
                    at: t,
                    from: format!("{from} and the first timeline row"),
                    guessed: true,
                },
                None => KeyTime {
                    at: dates::resolve(*day, None, &zone.name, fallback_tz).unwrap_or(provisional),
                    from: format!("{from}, at midnight"),
                    guessed: true,
                },
            },
            None => match (first_row_date, row_on(None)) {
                (Some(day), _) => KeyTime {
                    at: dates::resolve(day, None, &zone.name, fallback_tz).unwrap_or(provisional),
                    from: "the first timeline row's date, at midnight".into(),
                    guessed: true,
                },
                (None, Some((t, _))) => KeyTime {
                    at: t,
                    from: "the first timeline row".into(),
                    guessed: !zone.stated,
                },
                (None, None) => match fallback_date.clone() {
                    Some((day, from)) => KeyTime {
                        at: dates::resolve(day, None, &zone.name, fallback_tz)
                            .unwrap_or(provisional),
                        from: format!("{from}, at midnight"),
                        guessed: true,
                    },
                    None => match year_of(input.stem).or(year_of(&title)) {
                        // why: a year in an id (`PM2020-003`) at least files the report in
                        // its year, where the day of the import would put it among today's.
                        Some(day) => KeyTime {
                            at: dates::resolve(day, None, &zone.name, fallback_tz)
                                .unwrap_or(provisional),
                            from: "the year in the file name or title, on 1 January".into(),
                            guessed: true,
                        },
                        None => KeyTime {
                            at: provisional,
                            from: "nothing: the report states no date, so this is the day of \
                                   the import"
                                .into(),
                            guessed: true,
                        },
                    },
                },
            },
        };
        keys.insert("started", chosen);
    }
    // The other key times, when unstated, from the timeline's events.
    let started_at = keys["started"].at;
    let found_event = |re: &Regex, last: bool| {
        let mut matching = events
            .iter()
            .filter(|(t, e)| *t >= started_at && re.is_match(e));
        let event = if last {
            matching.next_back()
        } else {
            matching.next()
        };
        event.map(|(t, e)| KeyTime {
            at: *t,
            from: format!("the timeline row `{}`", shorten(e)),
            guessed: true,
        })
    };
    for (field, re, last) in [
        ("detected", &*DETECTED_EVENT, false),
        ("mitigated", &*MITIGATED_EVENT, false),
        ("resolved", &*RESOLVED_EVENT, true),
    ] {
        if !keys.contains_key(field) {
            if let Some(k) = found_event(re, last) {
                keys.insert(field, k);
            }
        }
    }
    // why: `check` requires started <= detected <= mitigated <= resolved; a guess that breaks
    // the order is dropped, a stated time that breaks it is reported.
    let mut last = started_at;
    for field in ["detected", "mitigated", "resolved"] {
        if let Some(k) = keys.get(field).cloned() {
            if k.at < last {
                if !k.guessed {
                    problems.push(format!(
                        "`{field}` ({}) is before an earlier key time; left out",
                        k.at.to_rfc3339()
                    ));
                }
                keys.remove(field);
            } else {
                last = k.at;
            }
        }
    }

    // Severity.
    let severity = find_severity(&fm, &title, &body.preamble, body_text, config);
    let mut tags: Vec<String> = fm
        .get(&["tags", "categories", "labels"])
        .map(|(_, v)| v.list())
        .unwrap_or_default()
        .into_iter()
        .map(|t| crate::slug::slugify(&t))
        .filter(|t| t != "-")
        .collect();
    let severity_name = match &severity {
        Some((name, _)) => name.clone(),
        None => {
            tags.push("severity-not-stated".into());
            map_severity(input.default_severity, config)
                .unwrap_or_else(|| input.default_severity.to_string())
        }
    };
    tags.dedup();
    let status = fm
        .get(&["status", "state"])
        .and_then(|(_, v)| Status::parse(&v.text()));

    // Actions.
    let tickets = Regex::new(&config.external.ticket_pattern)
        .unwrap_or_else(|_| Regex::new(r"\b[A-Z][A-Z0-9]+-[0-9]+\b").expect("valid regex"));
    let mut found_actions: Vec<FoundAction> = Vec::new();
    for part in parts {
        if part.actions {
            found_actions.extend(actions::from_section(&part.markdown, &tickets));
        } else if part.kind != Some(SectionKind::Timeline) {
            found_actions.extend(actions::todos(&part.markdown, &tickets));
        }
    }
    found_actions.extend(actions::todos(&body.preamble, &tickets));

    // The id.
    let id_source = stem_id
        .or(title_id)
        .map(|id| id.replace(['#', ' ', '_'], "-"));
    let name_title = split_title(input.stem).0;
    let id = make_id(
        id_source.as_deref(),
        &name_title,
        &title,
        stem_date.or(title_date),
        started_at,
    );

    // The body, sections as written, local images pointed into the bundle.
    let mut text = String::new();
    // why: an H1 that is not the front matter's title is a heading of the text; keep it.
    if let (true, Some(h1)) = (title_from_front_matter, &body.title) {
        if clean_title(&split_title(h1).0) != title {
            text.push_str(&format!("\n# {h1}\n"));
        }
    }
    let preamble = body.preamble.trim();
    if !preamble.is_empty() {
        text.push('\n');
        text.push_str(preamble);
        text.push('\n');
    }
    for part in parts {
        text.push_str(&format!("\n## {}\n", part.heading));
        let content = part.markdown.trim_matches('\n');
        if !content.is_empty() {
            text.push('\n');
            text.push_str(content);
            text.push('\n');
        }
    }
    let (text, images) = bundle_images(&text);

    // The front matter.
    let mut out = String::from("+++\n");
    let line = |out: &mut String, key: &str, value: String, guess_from: Option<&str>| {
        out.push_str(&format!("{key} = {value}"));
        if let Some(from) = guess_from {
            // why: a TOML comment may hold no control character but the tab, and the line
            // a guess quotes may (a lone carriage return, a form feed).
            let from: String = from
                .chars()
                .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
                .collect();
            out.push_str(&format!("   # guessed: from {from}"));
        }
        out.push('\n');
    };
    line(&mut out, "title", toml_string(&title), title_from);
    if let Some(from) = title_from {
        guess(&mut guesses, "title", &title, from);
    }
    match &severity {
        Some((name, from)) => {
            line(&mut out, "severity", toml_string(name), Some(from));
            guess(&mut guesses, "severity", name, from);
        }
        None => {
            let from = "nothing: the report states no severity, so the default (tag `severity-not-stated`)";
            line(
                &mut out,
                "severity",
                toml_string(&severity_name),
                Some(from),
            );
            guess(&mut guesses, "severity", &severity_name, from);
        }
    }
    match status {
        Some(status) => line(&mut out, "status", toml_string(status.name()), None),
        None => {
            let from = "nothing: an imported report is taken as reviewed and closed";
            line(
                &mut out,
                "status",
                toml_string(Status::Closed.name()),
                Some(from),
            );
            guess(&mut guesses, "status", Status::Closed.name(), from);
        }
    }
    for field in ["started", "detected", "mitigated", "resolved"] {
        if let Some(k) = keys.get(field) {
            let value = k.at.to_rfc3339();
            let zone_note = if zone.stated {
                String::new()
            } else {
                format!(" (no zone stated: {})", fallback_tz.name())
            };
            let from = format!("{}{zone_note}", k.from);
            let guessed = k.guessed || !zone.stated;
            line(
                &mut out,
                field,
                value.clone(),
                guessed.then_some(from.as_str()),
            );
            if guessed {
                guess(&mut guesses, field, &value, &from);
            }
        }
    }
    if let Some(tz) = written_tz {
        line(&mut out, "timezone", toml_string(tz.name()), None);
    }
    for (field, keys, labels) in PEOPLE {
        if let Some((name, from)) = person(&fm, keys, labels, &body.preamble) {
            let guessed = from.starts_with("the line");
            line(
                &mut out,
                field,
                toml_string(&name),
                guessed.then_some(from.as_str()),
            );
            if guessed {
                guess(&mut guesses, field, &name, &from);
            }
        }
    }
    if let Some((_, summary)) = fm.get(&["summary", "description"]) {
        line(
            &mut out,
            "summary",
            toml_string(&clean_title(&summary.text())),
            None,
        );
    }
    if !tags.is_empty() {
        let list: Vec<String> = tags.iter().map(|t| toml_string(t)).collect();
        line(&mut out, "tags", format!("[{}]", list.join(", ")), None);
    }
    if let Some((_, services)) = fm.get(&["services", "service", "systems"]) {
        let list: Vec<String> = services.list().iter().map(|t| toml_string(t)).collect();
        line(&mut out, "services", format!("[{}]", list.join(", ")), None);
    }
    out.push_str(&format!(
        "\n[links]\nsource = {}   # the file this was imported from\n",
        toml_string(input.path)
    ));
    for action in &found_actions {
        out.push_str(&format!(
            "\n[[actions]]\ntitle = {}\n",
            toml_string(&action.title)
        ));
        let status = match action.status {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::Wontfix => "wontfix",
        };
        out.push_str(&format!("status = \"{status}\"\n"));
        if let Some(ticket) = &action.ticket {
            out.push_str(&format!("ticket = {}\n", toml_string(ticket)));
        }
    }
    out.push_str("+++\n");
    out.push_str(&format!(
        "\n<!-- imported from {} by `blameless import`: review the front-matter values marked `# guessed` -->\n",
        input.path.replace("--", "- -")
    ));
    out.push_str(&text);

    let mut report = FileReport {
        source: input.path.to_string(),
        written: None,
        id: id.clone(),
        title,
        started: started_at.to_rfc3339(),
        timeline_rows,
        timeline_times,
        actions: found_actions.len(),
        images: images.len(),
        guesses,
        problems,
    };
    for diagnostic in check(&id, &out, !images.is_empty(), input) {
        report.problems.push(diagnostic);
    }
    Converted {
        id,
        source: out,
        images,
        report,
    }
}

/// The people fields, the front-matter keys that state them and the labels of lines that do.
const PEOPLE: &[(&str, &[&str], &str)] = &[
    (
        "owner",
        &["owner", "author", "authors"],
        "owner|incident owner|post-?mortem owner|authors?|written by",
    ),
    (
        "incident_commander",
        &["incident_commander", "commander", "ic"],
        "incident commander|ic",
    ),
];

/// The person a front-matter key or a labelled line before the first section names ("Owner:
/// Ana Ruiz", "**Authors:** Dee Park, Eli Moss" gives its first name), with where it came from.
fn person(
    fm: &FrontMatter,
    keys: &[&str],
    labels: &str,
    preamble: &str,
) -> Option<(String, String)> {
    let first = |text: &str| {
        let name = text.split([',', ';', '&']).next()?.split(" and ").next()?;
        let name = clean_title(name.trim_matches(['*', '_', ' ', '@']));
        (!name.is_empty() && name.chars().any(char::is_alphabetic)).then_some(name)
    };
    if let Some((key, value)) = fm.get(keys) {
        if let Some(name) = first(&value.text()) {
            return Some((name, format!("the front matter's `{key}`")));
        }
    }
    let re = Regex::new(&format!(
        r"(?im)^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?:{labels})(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(?P<names>[^\n]+)$"
    ))
    .ok()?;
    let caps = re.captures(preamble)?;
    let name = first(&caps["names"])?;
    Some((name, format!("the line `{}`", caps[0].trim())))
}

static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])((?:19|20)[0-9]{2})(?:[^0-9]|$)").expect("valid regex")
});

/// 1 January of the year an id or title names (`PM2020-003`, `2019 outage`).
fn year_of(text: &str) -> Option<NaiveDate> {
    let year = YEAR.captures(text)?[1].parse().ok()?;
    NaiveDate::from_ymd_opt(year, 1, 1)
}

fn shorten(text: &str) -> String {
    let text = clean_title(text);
    match text.char_indices().nth(50) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// The id: the report's own id with its title (`pm2020-002-kiam-down`), else the file name's
/// words with the date in front (`2018-03-26-database-outage`).
fn make_id(
    report_id: Option<&str>,
    name_title: &str,
    title: &str,
    date: Option<NaiveDate>,
    started: DateTime<FixedOffset>,
) -> String {
    let words = if name_title.chars().any(char::is_alphabetic)
        && !["index", "readme"].contains(&name_title.to_lowercase().as_str())
    {
        name_title
    } else {
        title
    };
    // why: the scaffold's file names transliterate and trim as ids need; only the slug is
    // taken from them, without their date.
    let slug_of = |text: &str| {
        let file = crate::scaffold::file_name(text, started);
        let slug = file.trim_end_matches(".md").splitn(4, '-').nth(3);
        slug.unwrap_or("incident").to_string()
    };
    let slug = slug_of(words);
    match report_id {
        Some(id) => format!("{}-{slug}", slug_of(id)),
        None => match date {
            Some(d) => format!("{}-{slug}", d.format("%Y-%m-%d")),
            None => format!("{}-{slug}", started.format("%Y-%m-%d")),
        },
    }
}

/// The body with each local image's destination made a path inside the bundle: a path that
/// stays below the report's directory is kept, one that climbs out (`../img/a.png`) becomes
/// its file name.
fn bundle_images(text: &str) -> (String, Vec<Image>) {
    let mut images: Vec<Image> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for link in markdown::links(text).into_iter().filter(|l| l.image) {
        let raw = link.url.split(['#', '?']).next().unwrap_or_default();
        // why: a path below the report is kept as written (the site decodes `%20` the same
        // way); one that climbs out is copied under its file name and the link rewritten.
        let (from, to, rewrite) = match markdown::classify(&link.url) {
            LinkTarget::File(path) => (path.clone(), path, false),
            LinkTarget::Outside => match Path::new(raw).file_name().and_then(|n| n.to_str()) {
                Some(name) if !name.is_empty() && name != ".." => {
                    (raw.to_string(), name.to_string(), true)
                }
                _ => continue,
            },
            _ => continue,
        };
        if !images.iter().any(|i| i.to == to) {
            images.push(Image {
                from,
                to: to.clone(),
            });
        }
        if rewrite {
            let found = text.get(link.span.clone()).and_then(|t| t.rfind(&link.url));
            if let Some(at) = found.map(|i| link.span.start + i).filter(|at| *at >= last) {
                out.push_str(&text[last..at]);
                out.push_str(&to);
                last = at + link.url.len();
            }
        }
    }
    out.push_str(&text[last..]);
    (out, images)
}

/// What `check` will say about the written source: its errors, and the count of its warnings.
fn check(id: &str, source: &str, bundle: bool, input: &Input<'_>) -> Vec<String> {
    let path = if bundle {
        format!("content/{id}/index.md")
    } else {
        format!("content/{id}.md")
    };
    let parsed = crate::parse::parse(
        &crate::load::Source {
            id: id.to_string(),
            path: path.into(),
            bundle: None,
            assets: Vec::new(),
            bytes: source.as_bytes().to_vec(),
            stamp: None,
        },
        input.config,
    );
    let mut diagnostics = parsed.diagnostics;
    if let Some(pm) = &parsed.postmortem {
        diagnostics.extend(crate::rules::check(pm, input.config, input.now, &[]));
    }
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| input.config.rules.level(d.code) == Level::Error && d.level == Level::Error)
        .map(|d| format!("check: error[{}]: {}", d.code.name(), d.message))
        .collect();
    errors
}

#[cfg(test)]
mod tests;
