//! Chat: IRC logs in the common formats, read into messages.
//!
//! An action (`/me looks`) is the author's row with its text in italics.
//!
//! - irssi: `09:41 <@ana> text`, `09:41  * ana waves`, `--- Day changed Tue Mar 12 2024`,
//!   `--- Log opened Tue Mar 12 09:00:00 2024`
//! - weechat: `2024-03-12 09:41:05<TAB>@ana<TAB>text`, with `-->`, `<--` and `--` for joins,
//!   parts and network notices
//! - ZNC and the common bracketed form: `[09:41:05] <ana> text`, `[2024-03-12 09:41] <ana> text`
//!
//! Times without a date take the date of the last day-change line, else the date in the file
//! name (`#ops_20240312.log`, `2024-03-12.log`), else the day given. Times are in the zone the
//! log was written in. Joins, parts, quits, mode and nick changes are left out.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Regex;

use super::Message;

static WEECHAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}(?::\d{2})?)\t(?P<nick>[^\t]*)\t(?P<text>.*)$")
        .expect("valid regex")
});

static IRSSI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[?(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\]?\s+(?:<\s*(?P<nick>[^>]+?)\s*>|\*\s+(?P<actor>\S+)|(?P<event>-!-|\*\*\*|--|-->|<--))\s?(?P<text>.*)$")
        .expect("valid regex")
});

static DAY_CHANGED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^---\s+(?:Day changed|Log opened)\s+\w{3}\s+(?P<mon>\w{3})\s+(?P<d>\d{1,2})\s+(?:\d{2}:\d{2}:\d{2}\s+)?(?P<y>\d{4})")
        .expect("valid regex")
});

static FILE_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})").expect("valid regex"));

/// Whether a line has the shape of an IRC log line (for format detection).
pub fn is_irc_line(line: &str) -> bool {
    WEECHAT.is_match(line)
        || DAY_CHANGED.is_match(line)
        || IRSSI.captures(line).is_some_and(|c| {
            c.name("nick").is_some() || c.name("actor").is_some() || c.name("event").is_some()
        })
}

/// The date a log's file name carries, if any.
pub fn file_date(name: &str) -> Option<NaiveDate> {
    let caps = FILE_DATE.captures(name)?;
    NaiveDate::from_ymd_opt(
        caps["y"].parse().ok()?,
        caps["m"].parse().ok()?,
        caps["d"].parse().ok()?,
    )
}

fn nick(raw: &str) -> String {
    raw.trim()
        .trim_start_matches(['@', '+', '%', '&', '~'])
        .to_string()
}

/// Nicks that are bots by convention (`grafana-bot`, `deploybot`, `alerts[bot]`).
fn is_bot(nick: &str) -> bool {
    let lower = nick.to_lowercase();
    lower.ends_with("bot")
        || lower.ends_with("[bot]")
        || lower.ends_with("-bot")
        || lower.ends_with("_bot")
}

fn at(date: NaiveDate, time: &str, zone: Tz) -> Option<DateTime<Utc>> {
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .ok()?;
    zone.from_local_datetime(&NaiveDateTime::new(date, time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads an IRC log written in `zone`, whose lines without a date are on `day` until a
/// day-change line says otherwise.
pub fn messages(text: &str, day: Option<NaiveDate>, zone: Tz) -> Vec<Message> {
    let mut day = day;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(caps) = DAY_CHANGED.captures(line) {
            let parsed = NaiveDate::parse_from_str(
                &format!("{} {} {}", &caps["y"], &caps["mon"], &caps["d"]),
                "%Y %b %d",
            );
            if let Ok(date) = parsed {
                day = Some(date);
            }
            continue;
        }
        if let Some(caps) = WEECHAT.captures(line) {
            let raw_nick = caps["nick"].trim();
            // why: weechat writes joins, parts and notices with an arrow or `--` as the nick.
            if raw_nick.is_empty() || ["-->", "<--", "--", "=!=", "-", "<", ">"].contains(&raw_nick)
            {
                continue;
            }
            let Ok(date) = NaiveDate::parse_from_str(&caps["date"], "%Y-%m-%d") else {
                continue;
            };
            let Some(time) = at(date, &caps["time"], zone) else {
                continue;
            };
            let (author, text) =
                match raw_nick
                    .strip_prefix(" *")
                    .or(if raw_nick == "*" { Some("") } else { None })
                {
                    Some(_) => {
                        let mut words = caps["text"].splitn(2, ' ');
                        let who = words.next().unwrap_or_default().to_string();
                        (
                            who,
                            format!("*{}*", words.next().unwrap_or_default().trim()),
                        )
                    }
                    None => (nick(raw_nick), caps["text"].to_string()),
                };
            push(&mut out, time, author, text);
            continue;
        }
        let Some(caps) = IRSSI.captures(line) else {
            continue;
        };
        if caps.name("event").is_some() {
            continue;
        }
        let date = match caps.name("date") {
            Some(d) => NaiveDate::parse_from_str(d.as_str(), "%Y-%m-%d").ok(),
            None => day,
        };
        let Some(date) = date else { continue };
        let Some(time) = at(date, &caps["time"], zone) else {
            continue;
        };
        let text = caps["text"].to_string();
        match (caps.name("nick"), caps.name("actor")) {
            (Some(n), _) => push(&mut out, time, nick(n.as_str()), text),
            (None, Some(a)) => {
                let who = nick(a.as_str());
                push(&mut out, time, who, format!("*{}*", text.trim()));
            }
            _ => {}
        }
    }
    out
}

fn push(out: &mut Vec<Message>, time: DateTime<Utc>, author: String, text: String) {
    if text.trim().is_empty() {
        return;
    }
    out.push(Message {
        time,
        bot: is_bot(&author),
        author,
        text,
        marked: false,
        reply: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(messages: &[Message]) -> Vec<(String, String, String)> {
        messages
            .iter()
            .map(|m| (m.time.to_rfc3339(), m.author.clone(), m.text.clone()))
            .collect()
    }

    fn day() -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2024, 3, 12)
    }

    #[test]
    fn reads_irssi_with_day_changes_actions_and_events() {
        let log = "--- Log opened Tue Mar 12 09:00:00 2024\n09:41 -!- ana [~ana@host] has joined #ops\n09:41 <@ana> db is down\n09:42  * ben looks\n--- Day changed Wed Mar 13 2024\n00:05 < grafana-bot> lag resolved\n";
        let found = messages(log, None, chrono_tz::UTC);
        assert_eq!(
            summary(&found),
            [
                (
                    "2024-03-12T09:41:00+00:00".into(),
                    "ana".into(),
                    "db is down".into()
                ),
                (
                    "2024-03-12T09:42:00+00:00".into(),
                    "ben".into(),
                    "*looks*".into()
                ),
                (
                    "2024-03-13T00:05:00+00:00".into(),
                    "grafana-bot".into(),
                    "lag resolved".into()
                ),
            ]
        );
        assert!(found[2].bot);
    }

    #[test]
    fn reads_weechat_and_skips_its_joins() {
        let log = "2024-03-12 09:41:05\t-->\tana (~ana@host) has joined #ops\n2024-03-12 09:41:10\t@ana\tdb is down\n2024-03-12 09:42:00\t--\tMode #ops [+o ben]\n2024-03-12 09:43:00\t *\tben looks\n";
        let found = messages(log, None, chrono_tz::Europe::Berlin);
        assert_eq!(
            summary(&found),
            [
                (
                    "2024-03-12T08:41:10+00:00".into(),
                    "ana".into(),
                    "db is down".into()
                ),
                (
                    "2024-03-12T08:43:00+00:00".into(),
                    "ben".into(),
                    "*looks*".into()
                ),
            ]
        );
    }

    #[test]
    fn reads_znc_and_bracketed_lines_on_the_given_day() {
        let log = "[09:41:05] <ana> db is down\n[09:41:09] *** Joins: ben (~ben@host)\n[2024-03-13 10:00] <ben> fixed\n";
        let found = messages(log, day(), chrono_tz::UTC);
        assert_eq!(
            summary(&found),
            [
                (
                    "2024-03-12T09:41:05+00:00".into(),
                    "ana".into(),
                    "db is down".into()
                ),
                (
                    "2024-03-13T10:00:00+00:00".into(),
                    "ben".into(),
                    "fixed".into()
                ),
            ]
        );
    }

    #[test]
    fn a_line_without_a_known_day_is_skipped_and_file_names_give_the_day() {
        assert!(messages("09:41 <ana> hi\n", None, chrono_tz::UTC).is_empty());
        assert_eq!(file_date("#ops_20240312.log"), day());
        assert_eq!(file_date("logs/2024-03-12.log"), day());
        assert_eq!(file_date("ops.log"), None);
    }
}
