//! The `## Timeline` section, parsed into dated entries.
//!
//! A timeline is a Markdown table (a time column and an event column) or a list whose items start
//! with a time. A row without a zone takes the zone of the table header ("Time (UTC)") or of a
//! line such as "All times in CET.", else the post-mortem's zone. A row without a date takes the
//! date of the row above, else of `started`. Times are 24-hour (`21:41`) or 12-hour with am or
//! pm (`9:41 pm`, `9:41 p.m.`). Rows whose time cannot be read fully stay as text, with a
//! `timeline-unparsed` warning: an out-of-range time (`25:00`, `13:10pm`) or words after it
//! that are not a zone, a range's end or a `~`.

use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use regex::{Captures, Regex};

use crate::diagnostic::{Code, Diagnostic};
use crate::markdown;

/// The parsed timeline of one post-mortem.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    /// The rows, in source order.
    pub entries: Vec<Entry>,
    /// Markdown of the section that is neither rows nor the table: notes such as the zone line.
    pub notes: String,
    /// The zone rows without one were read in, as written in the source or the front matter.
    pub zone: String,
}

/// One timeline row.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// When, if the time could be read.
    pub time: Option<DateTime<FixedOffset>>,
    /// The time as written.
    pub time_text: String,
    /// What happened, as Markdown.
    pub event: String,
    /// The links of the row: its evidence.
    pub evidence: Vec<String>,
    /// Byte span of the row in the source.
    pub span: Range<usize>,
}

/// A zone as written in a timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Zone {
    Fixed(FixedOffset),
    Named(Tz),
}

impl Zone {
    fn resolve(self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<FixedOffset>> {
        let naive = date.and_time(time);
        match self {
            Zone::Fixed(offset) => offset.from_local_datetime(&naive).single(),
            Zone::Named(tz) => tz
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.fixed_offset()),
        }
    }
}

fn zone_named(token: &str) -> Option<Zone> {
    let hours = |h: i32| FixedOffset::east_opt(h * 3600).map(Zone::Fixed);
    match token.to_ascii_uppercase().as_str() {
        "Z" | "UTC" | "GMT" | "WET" => hours(0),
        "CET" | "BST" | "WEST" => hours(1),
        "CEST" | "EET" => hours(2),
        "EEST" | "MSK" => hours(3),
        "IST" => FixedOffset::east_opt(5 * 3600 + 1800).map(Zone::Fixed),
        "JST" | "KST" => hours(9),
        "AEST" => hours(10),
        "AEDT" => hours(11),
        "EST" => hours(-5),
        "EDT" | "AST" => hours(-4),
        "CST" => hours(-6),
        "CDT" => hours(-5),
        "MST" => hours(-7),
        "MDT" => hours(-6),
        "PST" => hours(-8),
        "PDT" => hours(-7),
        _ => {
            if let Some(caps) = OFFSET.captures(token) {
                let sign = if &caps[1] == "-" { -1 } else { 1 };
                let h: i32 = caps[2].parse().ok()?;
                let m: i32 = caps[3].parse().ok()?;
                return FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed);
            }
            token.parse::<Tz>().ok().map(Zone::Named)
        }
    }
}

/// A time read from the start of a text, for the importers: the written date if any, the time
/// of day, the zone as written, and how many bytes the time takes.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadingTime {
    /// The date written before the time, if any.
    pub date: Option<NaiveDate>,
    /// The time of day, 24-hour.
    pub time: NaiveTime,
    /// The zone written after the time (`UTC`, `+01:00`, `Europe/Berlin`), if it is one.
    pub zone: Option<String>,
    /// Bytes of `text` the time and its zone take.
    pub len: usize,
}

/// Reads a time at the start of `text` the way timeline rows are read (`2024-03-12 09:41`,
/// `9:41 pm UTC`, `09:41:05+01:00`), or `None` when it does not start with a readable time.
pub fn leading_time(text: &str) -> Option<LeadingTime> {
    let token = read_time(text)?;
    let (date, time) = token.value?;
    let zone = TIME
        .captures(text)
        .and_then(|c| c.name("zone"))
        .filter(|_| token.zone.is_some())
        .map(|z| z.as_str().to_string());
    Some(LeadingTime {
        date,
        time,
        zone,
        len: token.len,
    })
}

/// The zone a note such as "All times in CET." or a header such as "Time (UTC)" names, as
/// written, when it is one the timeline reads.
pub fn zone_of_note(text: &str) -> Option<String> {
    let caps = ZONE_LINE
        .captures(text)
        .or_else(|| HEADER_ZONE.captures(text))?;
    zone_named(&caps["zone"]).map(|_| caps["zone"].to_string())
}

/// A local date and time in a zone written as a timeline writes it (`CET`, `+01:00`,
/// `Europe/Berlin`): the earliest instant when the zone's clocks show it twice.
pub fn resolve_in(zone: &str, date: NaiveDate, time: NaiveTime) -> Option<DateTime<FixedOffset>> {
    zone_named(zone)?.resolve(date, time)
}

static OFFSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})$").expect("valid regex"));

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^
        (?:(?P<date>\d{4}-\d{2}-\d{2})[T\ ,]\s*)?
        (?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?
        (?:\s*(?P<meridiem>[AaPp]\.?[Mm]\b\.?))?
        (?:\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|(?:UTC|GMT)[+-]\d{1,2}(?::?\d{2})?|[A-Z]{2,5}\b|[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?))?",
    )
    .expect("valid regex")
});

static ZONE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\btimes?\s+(?:are\s+)?(?:shown\s+)?(?:in\s+)(?P<zone>[A-Za-z]+/[A-Za-z_]+|[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:\d{2})\b")
        .expect("valid regex")
});

static HEADER_ZONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\((?P<zone>[A-Za-z]+/[A-Za-z_]+|[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:\d{2})\)")
        .expect("valid regex")
});

/// What can follow a time in a time cell and still leave it read fully: nothing, the `~` of an
/// approximate time, or the end of a range (`- 11:00`, `-12:??`, `– 2:30 pm`), whose start is
/// the row's time.
static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^\s*(?:
        [~≈]
        | (?:-|–|—|to)\s*[\d?]{1,2}:[\d?]{2}(?::[\d?]{2})?(?:\s*[AaPp]\.?[Mm]\b\.?)?
        )?\s*$",
    )
    .expect("valid regex")
});

/// What was read from the start of a time cell.
struct TimeToken {
    /// The written date, if any, and the time of day; `None` when either is out of range
    /// (`2024-02-30`, `25:00`, `13:10pm`, `0:30 am`).
    value: Option<(Option<NaiveDate>, NaiveTime)>,
    zone: Option<Zone>,
    /// Bytes of the text the time takes, its zone included.
    len: usize,
}

/// Reads the time at the start of `text`, or `None` when it does not start with one.
fn read_time(text: &str) -> Option<TimeToken> {
    let caps = TIME.captures(text)?;
    let value = date_and_time(&caps);
    let (zone, len) = match caps.name("zone") {
        Some(z) => match zone_named(z.as_str()) {
            Some(zone) => (Some(zone), z.end()),
            // why: "09:41 DB paged" — a capitalised word after the time is the event, not a zone.
            None => (
                None,
                caps.name("meridiem")
                    .or(caps.name("s"))
                    .or(caps.name("m"))
                    .map_or(0, |m| m.end()),
            ),
        },
        None => (None, caps.get(0).map_or(0, |m| m.end())),
    };
    Some(TimeToken { value, zone, len })
}

/// The date and time of day a match of `TIME` names, `None` when either is out of range.
fn date_and_time(caps: &Captures<'_>) -> Option<(Option<NaiveDate>, NaiveTime)> {
    let date = match caps.name("date") {
        Some(d) => Some(NaiveDate::parse_from_str(d.as_str(), "%Y-%m-%d").ok()?),
        None => None,
    };
    let hour: u32 = caps["h"].parse().ok()?;
    let hour = match caps.name("meridiem") {
        Some(m) => twelve_hour(hour, m.as_str())?,
        None => hour,
    };
    let time = NaiveTime::from_hms_opt(
        hour,
        caps["m"].parse().ok()?,
        caps.name("s")
            .map_or(Some(0), |s| s.as_str().parse().ok())?,
    )?;
    Some((date, time))
}

/// The 24-hour hour of a 12-hour `hour` with its `am` or `pm`: 12 am is 0, 12 pm is 12; `None`
/// for an hour outside 1 to 12, which no 12-hour clock shows.
fn twelve_hour(hour: u32, meridiem: &str) -> Option<u32> {
    if !(1..=12).contains(&hour) {
        return None;
    }
    let pm = meridiem.starts_with(['p', 'P']);
    Some(hour % 12 + if pm { 12 } else { 0 })
}

/// Strips Markdown emphasis and code marks around a time: `**09:41**` → `09:41`.
fn unwrap_marks(text: &str) -> &str {
    skip_marks(text)
        .trim_end()
        .trim_end_matches(MARKS)
        .trim_end()
}

/// `text` from where its time starts: after spaces, emphasis and code marks and a `~`.
fn skip_marks(text: &str) -> &str {
    text.trim_start()
        .trim_start_matches(MARKS)
        .trim_start()
        .trim_start_matches(['~', '≈'])
        .trim_start()
}

const MARKS: [char; 5] = ['*', '_', '`', '[', ']'];

/// Why the time of a row could not be read.
enum Unread<'a> {
    /// There is no time, or it is out of range or does not exist in its zone.
    Time,
    /// The time is followed by this text, which is neither a zone nor a range's end.
    After(&'a str),
}

/// A raw row before its time is resolved.
struct Row {
    time_text: String,
    event: String,
    span: Range<usize>,
    /// A separate date column, when the table has one.
    date_text: Option<String>,
}

/// What the timeline is read from: its section of one source, and the post-mortem's start and
/// zone that rows without a date or a zone take.
pub struct Input<'a> {
    /// The source file, for diagnostics.
    pub path: &'a Path,
    /// The whole source text.
    pub source: &'a str,
    /// The `## Timeline` section's Markdown.
    pub markdown: &'a str,
    /// Where that Markdown starts in `source`.
    pub offset: usize,
    /// When impact began.
    pub started: DateTime<FixedOffset>,
    /// The post-mortem's zone.
    pub timezone: Tz,
}

/// Parses a timeline section, returning it with its `timeline-*` diagnostics.
pub fn parse(pm: &Input<'_>) -> (Timeline, Vec<Diagnostic>) {
    let (rows, notes, header_zone) = split_rows(pm.markdown, pm.offset);
    let note_zone = ZONE_LINE
        .captures(&notes)
        .and_then(|c| zone_named(&c["zone"]).map(|z| (z, c["zone"].to_string())));
    let (default_zone, zone_text) = header_zone
        .or(note_zone)
        .unwrap_or((Zone::Named(pm.timezone), pm.timezone.name().to_string()));

    let mut diagnostics = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut last_date: Option<NaiveDate> = None;
    let mut last_time: Option<DateTime<FixedOffset>> = None;
    for row in rows {
        let cell = unwrap_marks(&row.time_text);
        let time_span = narrow(pm.source, &row.span, row.time_text.trim());
        let date_cell = row.date_text.as_deref().map(unwrap_marks);
        let combined = match date_cell {
            Some(d) if !d.is_empty() => format!("{d} {cell}"),
            _ => cell.to_string(),
        };
        if combined.trim().is_empty() {
            // why: an empty time cell continues the event above it.
            if let Some(previous) = entries.last_mut() {
                previous.event.push_str("<br>");
                previous.event.push_str(&row.event);
                previous.span.end = row.span.end;
                continue;
            }
        }
        let evidence = markdown::links(&row.event)
            .into_iter()
            .map(|l| l.url)
            .filter(|u| !u.is_empty())
            .collect();
        let read = read_time(&combined).ok_or(Unread::Time).and_then(|t| {
            let (written_date, time_of_day) = t.value.ok_or(Unread::Time)?;
            let rest = &combined[t.len..];
            if !TRAILER.is_match(rest) {
                return Err(Unread::After(rest.trim()));
            }
            let zone = t.zone.unwrap_or(default_zone);
            let date = written_date
                .or(last_date)
                .unwrap_or_else(|| started_date(pm, zone));
            let mut time = zone.resolve(date, time_of_day).ok_or(Unread::Time)?;
            if written_date.is_none() {
                if let Some(previous) = last_time {
                    // why: "23:50" then "00:10" crosses midnight; the row is on the next day.
                    let next_day = zone
                        .resolve(date + Duration::days(1), time_of_day)
                        .ok_or(Unread::Time)?;
                    if time < previous && next_day - previous < Duration::hours(12) {
                        time = next_day;
                    }
                }
            }
            Ok(time)
        });
        let time = read.as_ref().ok().copied();
        match read {
            Ok(time) => {
                if let Some(previous) = last_time.filter(|p| time < *p) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::TimelineOutOfOrder,
                            format!(
                                "timeline row at `{}` is before the row above it ({})",
                                row.time_text.trim(),
                                previous
                                    .with_timezone(&pm.timezone)
                                    .format("%Y-%m-%d %H:%M %Z")
                            ),
                        )
                        .at(pm.path, pm.source, time_span.clone())
                        .help("put the rows in time order, or check the date and zone of this row"),
                    );
                }
                last_date = Some(time.date_naive());
                last_time = Some(time);
            }
            Err(Unread::Time) => diagnostics.push(
                Diagnostic::new(
                    Code::TimelineUnparsed,
                    format!(
                        "cannot read the time `{}` of a timeline row",
                        combined.trim()
                    ),
                )
                .at(pm.path, pm.source, time_span.clone())
                .help(
                    "start the row with a time such as `2024-03-12 09:41`, `09:41`, `9:41 pm` or \
                     `2024-03-12T09:41:00+01:00`, optionally followed by a zone such as `UTC`",
                ),
            ),
            Err(Unread::After(rest)) => diagnostics.push(
                Diagnostic::new(
                    Code::TimelineUnparsed,
                    format!(
                        "cannot read `{rest}` after the time in `{}` of a timeline row",
                        combined.trim()
                    ),
                )
                .at(pm.path, pm.source, narrow(pm.source, &time_span, rest))
                .help(
                    "follow the time only with a zone such as `UTC`, `CET`, `+01:00` or \
                     `Europe/Berlin`, or with `am` or `pm`; put other words in the event",
                ),
            ),
        }
        entries.push(Entry {
            time,
            time_text: combined.trim().to_string(),
            event: row.event.trim().to_string(),
            evidence,
            span: row.span,
        });
    }
    (
        Timeline {
            entries,
            notes: notes.trim().to_string(),
            zone: zone_text,
        },
        diagnostics,
    )
}

/// The span of `needle` inside the row, or the whole row when it is not found.
fn narrow(source: &str, row: &Range<usize>, needle: &str) -> Range<usize> {
    match source.get(row.clone()).and_then(|text| text.find(needle)) {
        Some(i) if !needle.is_empty() => row.start + i..row.start + i + needle.len(),
        _ => row.clone(),
    }
}

fn started_date(pm: &Input<'_>, zone: Zone) -> NaiveDate {
    match zone {
        Zone::Fixed(offset) => pm.started.with_timezone(&offset).date_naive(),
        Zone::Named(tz) => pm.started.with_timezone(&tz).date_naive(),
    }
}

/// Splits the section into rows (table rows or list items), the other text, and the zone named
/// in a table header.
fn split_rows(markdown: &str, base: usize) -> (Vec<Row>, String, Option<(Zone, String)>) {
    let mut rows = Vec::new();
    let mut notes = String::new();
    let mut header_zone = None;
    let mut table: Option<(usize, Option<usize>, usize)> = None; // time, date, event columns
    let mut offset = base;
    let mut lines = markdown.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let span = offset..offset + line.trim_end().len();
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.starts_with('|') || (table.is_some() && trimmed.contains('|')) {
            let cells = split_cells(trimmed);
            if table.is_none() {
                let is_header = lines.peek().is_some_and(|next| is_separator(next.trim()));
                if is_header {
                    let lower: Vec<String> = cells.iter().map(|c| c.to_lowercase()).collect();
                    let time_col = lower
                        .iter()
                        .position(|c| c.contains("time") || c.starts_with("when"))
                        .unwrap_or(0);
                    let date_col = lower
                        .iter()
                        .position(|c| c.starts_with("date") || c == "day")
                        .filter(|d| *d != time_col);
                    let event_col = lower
                        .iter()
                        .enumerate()
                        .position(|(i, c)| {
                            i != time_col
                                && Some(i) != date_col
                                && [
                                    "event",
                                    "description",
                                    "what",
                                    "action",
                                    "detail",
                                    "activity",
                                    "update",
                                ]
                                .iter()
                                .any(|w| c.contains(w))
                        })
                        .or_else(|| {
                            (0..cells.len()).find(|i| *i != time_col && Some(*i) != date_col)
                        })
                        .unwrap_or(0);
                    if let Some(caps) = HEADER_ZONE.captures(&cells[time_col]) {
                        header_zone =
                            zone_named(&caps["zone"]).map(|z| (z, caps["zone"].to_string()));
                    }
                    table = Some((time_col, date_col, event_col));
                    if let Some(separator) = lines.next() {
                        offset += separator.len();
                    }
                    continue;
                }
                table = Some((0, None, 1));
            }
            let (time_col, date_col, event_col) = table.unwrap_or((0, None, 1));
            let get = |i: usize| cells.get(i).cloned().unwrap_or_default();
            let mut event = get(event_col);
            // why: extra columns (owner, evidence) are part of what the row says.
            for (i, cell) in cells.iter().enumerate() {
                if i != time_col && i != event_col && Some(i) != date_col && !cell.is_empty() {
                    event.push_str(" — ");
                    event.push_str(cell);
                }
            }
            rows.push(Row {
                time_text: get(time_col),
                date_text: date_col.map(get),
                event,
                span,
            });
            continue;
        }
        table = None;
        if let Some(item) = list_item(line) {
            let cell = unwrap_marks(item);
            match read_time(cell) {
                Some(token) => {
                    let (time_text, rest) = split_time_prefix(item, token.len);
                    rows.push(Row {
                        time_text,
                        date_text: None,
                        event: rest,
                        span,
                    });
                }
                None => rows.push(Row {
                    time_text: item
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches([':', ','])
                        .to_string(),
                    date_text: None,
                    event: item.to_string(),
                    span,
                }),
            }
            continue;
        }
        if line.starts_with([' ', '\t']) && !trimmed.is_empty() {
            if let Some(last) = rows.last_mut() {
                // why: an indented line continues the list item above it.
                last.event.push(' ');
                last.event
                    .push_str(trimmed.trim_start_matches(['-', '*', '+']).trim());
                last.span.end = span.end;
                continue;
            }
        }
        notes.push_str(line);
    }
    (rows, notes, header_zone)
}

/// Splits the text of a list item after its time: "09:41 — Paged" → ("09:41", "Paged").
fn split_time_prefix(item: &str, token_len: usize) -> (String, String) {
    // The token was read on the unwrapped text; find where it ends in the original.
    let lead = item.len() - skip_marks(item).len();
    let mut end = (lead + token_len).min(item.len());
    while !item.is_char_boundary(end) {
        end -= 1;
    }
    // why: "10:05pmish" is not a time followed by an event; keep the word whole, so that the
    // time is reported as unreadable rather than read as 10:05.
    if item[end..].starts_with(char::is_alphanumeric) {
        end = item[end..]
            .find(char::is_whitespace)
            .map_or(item.len(), |i| end + i);
    }
    let mut rest = &item[end..];
    rest = rest.trim_start_matches(['*', '_', '`', ']']);
    let rest = rest
        .trim_start()
        .trim_start_matches(['-', '–', '—', ':', '|', ','])
        .trim();
    (item[lead..end].to_string(), rest.to_string())
}

fn list_item(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let trimmed = line.trim();
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = trimmed.strip_prefix(bullet) {
            return Some(rest.trim());
        }
    }
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &trimmed[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest.trim());
        }
    }
    None
}

fn is_separator(line: &str) -> bool {
    line.contains('-')
        && line
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

fn split_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    let mut in_code = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '`' => {
                in_code = !in_code;
                cell.push(c);
            }
            '|' if !in_code => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn timeline(front: &str, body: &str) -> (Timeline, Vec<Diagnostic>) {
        let text = format!(
            "+++\ntitle = \"t\"\nseverity = \"SEV-2\"\nstatus = \"In Review\"\nstarted = 2024-03-12T09:41:00+01:00\n{front}+++\n\n## Timeline\n\n{body}"
        );
        let pm = crate::testing::parse("t", &text, &Config::default());
        match pm.timeline_input() {
            Some(input) => parse(&input),
            None => (Timeline::default(), Vec::new()),
        }
    }

    fn times(t: &Timeline) -> Vec<String> {
        t.entries
            .iter()
            .map(|e| e.time.map_or("?".into(), |t| t.to_rfc3339()))
            .collect()
    }

    #[test]
    fn reads_a_table_with_a_zone_in_the_header() {
        let (t, d) = timeline(
            "",
            "| Time (UTC) | Event |\n|---|---|\n| 2024-03-12 08:41 | Errors begin ([graph](https://grafana/x)) |\n| 08:47 | Paged |\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            times(&t),
            ["2024-03-12T08:41:00+00:00", "2024-03-12T08:47:00+00:00"]
        );
        assert_eq!(t.entries[0].evidence, ["https://grafana/x"]);
        assert_eq!(t.entries[1].event, "Paged");
    }

    #[test]
    fn reads_a_list_in_the_front_matter_zone_with_the_date_of_started() {
        let (t, d) = timeline(
            "timezone = \"Europe/Berlin\"\n",
            "- 09:41 Errors begin\n- **09:47** — Paged on `checkout-api`\n  continued here\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            times(&t),
            ["2024-03-12T09:41:00+01:00", "2024-03-12T09:47:00+01:00"]
        );
        assert_eq!(t.entries[1].event, "Paged on `checkout-api` continued here");
    }

    #[test]
    fn an_all_times_line_sets_the_zone_and_row_suffixes_override_it() {
        let (t, _) = timeline(
            "",
            "All times in CET.\n\n- 2024-03-12 09:41 start\n- 09:50 UTC later\n- 2024-03-12T11:00:00+02:00 fixed\n",
        );
        assert_eq!(
            times(&t),
            [
                "2024-03-12T09:41:00+01:00",
                "2024-03-12T09:50:00+00:00",
                "2024-03-12T11:00:00+02:00"
            ]
        );
        assert_eq!(t.zone, "CET");
        assert_eq!(t.notes, "All times in CET.");
    }

    #[test]
    fn unreadable_and_out_of_order_rows_are_warned_about() {
        let (t, d) = timeline(
            "",
            "| Time | Event |\n|---|---|\n| HH:mm | placeholder |\n| 10:00 | b |\n| 09:00 | a |\n",
        );
        let codes: Vec<_> = d.iter().map(|d| d.code.name()).collect();
        assert_eq!(codes, ["timeline-unparsed", "timeline-out-of-order"]);
        assert_eq!(t.entries.len(), 3);
        assert_eq!(
            d[0].location.as_ref().unwrap().line_text,
            "| HH:mm | placeholder |"
        );
    }

    #[test]
    fn crossing_midnight_moves_to_the_next_day() {
        let (t, d) = timeline(
            "",
            "- 2024-03-12 23:50 UTC late\n- 00:10 UTC after midnight\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            t.entries[1].time.unwrap().to_rfc3339(),
            "2024-03-13T00:10:00+00:00"
        );
    }

    #[test]
    fn separate_date_and_time_columns_are_combined() {
        let (t, d) = timeline(
            "",
            "| Date | Time | What | Who |\n|--|--|--|--|\n| 2024-03-13 | 10:00 UTC | deployed | Ana |\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(times(&t), ["2024-03-13T10:00:00+00:00"]);
        assert_eq!(t.entries[0].event, "deployed — Ana");
    }

    #[test]
    fn reads_twelve_hour_times_with_am_or_pm() {
        let (t, d) = timeline(
            "",
            "| Time (UTC) | Event |\n|---|---|\n\
             | 2024-03-12 9:41pm | a |\n\
             | 2024-03-12 9:42 pm | b |\n\
             | 2024-03-12 9:43 PM | c |\n\
             | 2024-03-12 9:44 p.m. | d |\n\
             | 2024-03-12 11:59 P.M. | e |\n\
             | 2024-03-13 12:05am | f |\n\
             | 2024-03-13 9:00 a.m. | g |\n\
             | 2024-03-13 12:30pm | h |\n\
             | 2024-03-13 4:49 PM UTC | i |\n\
             | 2024-03-13 5:50 pm CET | j |\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            times(&t),
            [
                "2024-03-12T21:41:00+00:00",
                "2024-03-12T21:42:00+00:00",
                "2024-03-12T21:43:00+00:00",
                "2024-03-12T21:44:00+00:00",
                "2024-03-12T23:59:00+00:00",
                "2024-03-13T00:05:00+00:00",
                "2024-03-13T09:00:00+00:00",
                "2024-03-13T12:30:00+00:00",
                "2024-03-13T16:49:00+00:00",
                "2024-03-13T17:50:00+01:00",
            ]
        );
    }

    #[test]
    fn a_twelve_hour_list_time_keeps_its_suffix_out_of_the_event() {
        let (t, d) = timeline(
            "",
            "- 2024-03-12 11:50 pm UTC late\n- 12:10 a.m. UTC after midnight\n- **9:41 PM** — paged\n",
        );
        assert_eq!(
            times(&t),
            [
                "2024-03-12T23:50:00+00:00",
                "2024-03-13T00:10:00+00:00",
                "2024-03-13T21:41:00+00:00"
            ]
        );
        let events: Vec<&str> = t.entries.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(events, ["late", "after midnight", "paged"]);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn an_approximate_list_time_is_read_whole() {
        let (t, d) = timeline("", "- ~09:41 UTC Paged\n- ≈09:45 UTC Acked\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            times(&t),
            ["2024-03-12T09:41:00+00:00", "2024-03-12T09:45:00+00:00"]
        );
        assert_eq!(t.entries[0].event, "Paged");
    }

    #[test]
    fn times_that_cannot_be_read_fully_are_warned_about() {
        let (t, d) = timeline(
            "",
            "| Time (UTC) | Event |\n|---|---|\n\
             | 2024-03-12 13:10pm | a |\n\
             | 2024-03-12 0:30 am | b |\n\
             | 2024-03-12 25:00 | c |\n\
             | 2024-03-12 09:41 XYZ | d |\n\
             | 2024-03-12 09:42 (approx) | e |\n\
             | 2024-03-12 10:00 | readable |\n\
             \n\
             - 10:05pmish f\n\
             - 10:10 UTC g\n",
        );
        let unread: Vec<&str> = t
            .entries
            .iter()
            .filter(|e| e.time.is_none())
            .map(|e| e.time_text.as_str())
            .collect();
        assert_eq!(
            unread,
            [
                "2024-03-12 13:10pm",
                "2024-03-12 0:30 am",
                "2024-03-12 25:00",
                "2024-03-12 09:41 XYZ",
                "2024-03-12 09:42 (approx)",
                "10:05pmish"
            ]
        );
        let rendered: Vec<String> = d.iter().map(crate::diagnostic::render_one).collect();
        insta::assert_snapshot!(rendered.join("\n"), @r"
        warning[timeline-unparsed]: cannot read the time `2024-03-12 13:10pm` of a timeline row
          --> content/t.md:12:3
           |
        12 | | 2024-03-12 13:10pm | a |
           |   ^^^^^^^^^^^^^^^^^^
           = help: start the row with a time such as `2024-03-12 09:41`, `09:41`, `9:41 pm` or `2024-03-12T09:41:00+01:00`, optionally followed by a zone such as `UTC`

        warning[timeline-unparsed]: cannot read the time `2024-03-12 0:30 am` of a timeline row
          --> content/t.md:13:3
           |
        13 | | 2024-03-12 0:30 am | b |
           |   ^^^^^^^^^^^^^^^^^^
           = help: start the row with a time such as `2024-03-12 09:41`, `09:41`, `9:41 pm` or `2024-03-12T09:41:00+01:00`, optionally followed by a zone such as `UTC`

        warning[timeline-unparsed]: cannot read the time `2024-03-12 25:00` of a timeline row
          --> content/t.md:14:3
           |
        14 | | 2024-03-12 25:00 | c |
           |   ^^^^^^^^^^^^^^^^
           = help: start the row with a time such as `2024-03-12 09:41`, `09:41`, `9:41 pm` or `2024-03-12T09:41:00+01:00`, optionally followed by a zone such as `UTC`

        warning[timeline-unparsed]: cannot read `XYZ` after the time in `2024-03-12 09:41 XYZ` of a timeline row
          --> content/t.md:15:20
           |
        15 | | 2024-03-12 09:41 XYZ | d |
           |                    ^^^
           = help: follow the time only with a zone such as `UTC`, `CET`, `+01:00` or `Europe/Berlin`, or with `am` or `pm`; put other words in the event

        warning[timeline-unparsed]: cannot read `(approx)` after the time in `2024-03-12 09:42 (approx)` of a timeline row
          --> content/t.md:16:20
           |
        16 | | 2024-03-12 09:42 (approx) | e |
           |                    ^^^^^^^^
           = help: follow the time only with a zone such as `UTC`, `CET`, `+01:00` or `Europe/Berlin`, or with `am` or `pm`; put other words in the event

        warning[timeline-unparsed]: cannot read `pmish` after the time in `10:05pmish` of a timeline row
          --> content/t.md:19:8
           |
        19 | - 10:05pmish f
           |        ^^^^^
           = help: follow the time only with a zone such as `UTC`, `CET`, `+01:00` or `Europe/Berlin`, or with `am` or `pm`; put other words in the event
        ");
    }

    #[test]
    fn approximate_marks_and_ranges_after_a_time_are_read() {
        let (t, d) = timeline(
            "",
            "| Time (UTC) | Event |\n|---|---|\n\
             | 2024-03-12 10:45~ | approximate |\n\
             | 2024-03-12 11:00 - 12:00 | a range |\n\
             | 2024-03-12 12:26-12:?? | an open range |\n\
             | 2024-03-12 1:00 pm – 2:30 pm | a 12-hour range |\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            times(&t),
            [
                "2024-03-12T10:45:00+00:00",
                "2024-03-12T11:00:00+00:00",
                "2024-03-12T12:26:00+00:00",
                "2024-03-12T13:00:00+00:00"
            ]
        );
    }

    #[test]
    fn a_capitalised_word_after_the_time_is_not_a_zone() {
        let token = read_time("09:41 DB paged").unwrap();
        assert!(token.zone.is_none());
        assert_eq!(split_time_prefix("09:41 DB paged", token.len).1, "DB paged");
    }
}
