//! Chat: plain text lines that start with a time (`2024-03-12 09:41 paged`, `[09:41] paged`,
//! `9:41 pm UTC - rolled back`), read as the timeline reads a row's time. A line that does not
//! start with a time continues the message above it.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

use super::Message;
use crate::import::dates;
use crate::timeline::leading_time;

/// Reads plain lines written in `zone` (unless a line names its own), dated `day` until a line
/// carries a date.
pub fn messages(text: &str, day: Option<NaiveDate>, zone: Tz) -> Vec<Message> {
    let mut day = day;
    let mut out: Vec<Message> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let unbracketed = trimmed
            .strip_prefix('[')
            .map_or(trimmed, |rest| rest.trim_start());
        let read = leading_time(unbracketed);
        let Some(t) = read else {
            if let (Some(last), false) = (out.last_mut(), trimmed.is_empty()) {
                last.text.push('\n');
                last.text.push_str(trimmed);
            }
            continue;
        };
        day = t.date.or(day);
        let Some(date) = day else { continue };
        let zone_name = t.zone.clone().unwrap_or_else(|| zone.name().to_string());
        let Some(time) = dates::resolve(date, Some(t.time), &zone_name, zone) else {
            continue;
        };
        let rest = unbracketed[t.len..]
            .trim_start_matches(']')
            .trim_start()
            .trim_start_matches(['-', '–', '—', ':', '|'])
            .trim();
        if rest.is_empty() {
            continue;
        }
        out.push(Message {
            time: time.with_timezone(&Utc),
            author: String::new(),
            text: rest.to_string(),
            bot: false,
            marked: false,
            reply: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_that_start_with_a_time_in_their_zone() {
        let text = "2024-03-12 09:41 paged\n[09:45] acked\n  still acking\n10:00 UTC - rolled back\nno time here\n";
        let found = messages(text, None, chrono_tz::Europe::Berlin);
        let summary: Vec<_> = found
            .iter()
            .map(|m| (m.time.to_rfc3339(), m.text.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("2024-03-12T08:41:00+00:00".to_string(), "paged"),
                (
                    "2024-03-12T08:45:00+00:00".to_string(),
                    "acked\nstill acking"
                ),
                (
                    "2024-03-12T10:00:00+00:00".to_string(),
                    "rolled back\nno time here"
                ),
            ]
        );
    }

    #[test]
    fn lines_before_any_date_are_skipped() {
        assert!(messages("09:41 paged\n", None, chrono_tz::UTC).is_empty());
    }
}
