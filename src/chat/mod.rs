//! Chat: the incident channel's messages, read from a Slack export, an IRC log or plain text
//! lines, filtered to the incident's window and rendered as the rows of a `## Timeline` table,
//! the format `crate::timeline` reads back.
//!
//! Each reader turns its format into [`Message`]s and nothing more; the filters, the zone and
//! the table are the same for every format.

pub mod irc;
pub mod plain;
pub mod slack;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use regex::Regex;

use crate::directory::Directory;

/// One chat message, whatever the format it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// When it was posted.
    pub time: DateTime<Utc>,
    /// Who posted it: a name, a handle, or empty for a plain line.
    pub author: String,
    /// The text, as Markdown on one or more lines.
    pub text: String,
    /// Posted by a bot or an integration (monitoring, deploys).
    pub bot: bool,
    /// Marked to go in the timeline: a reaction, a pin or a star.
    pub marked: bool,
    /// A reply in a thread, placed among the channel's messages by its time.
    pub reply: bool,
}

/// Which messages to keep.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Keep messages at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Keep messages at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Keep only messages with a reaction, a pin or a star.
    pub marked: bool,
    /// Keep only messages whose author or text matches.
    pub grep: Option<Regex>,
}

impl Filter {
    /// Whether `message` passes every filter.
    pub fn keeps(&self, message: &Message) -> bool {
        self.since.is_none_or(|t| message.time >= t)
            && self.until.is_none_or(|t| message.time <= t)
            && (!self.marked || message.marked)
            && self
                .grep
                .as_ref()
                .is_none_or(|re| re.is_match(&message.text) || re.is_match(&message.author))
    }
}

/// The messages that pass `filter`, in time order (a thread's replies among the rest), with
/// authors written as the directory names them when it knows their handle.
pub fn select(
    mut messages: Vec<Message>,
    filter: &Filter,
    directory: Option<&Directory>,
) -> Vec<Message> {
    // why: a stable sort keeps the export's order for messages of the same second.
    messages.sort_by_key(|m| m.time);
    messages.retain(|m| filter.keeps(m));
    if let Some(directory) = directory {
        for message in &mut messages {
            let handle = message.author.trim_start_matches('@');
            if let Some(person) = directory.person(handle) {
                message.author = person.name.clone();
            }
        }
    }
    messages
}

/// A table cell: pipes escaped, line breaks as `<br>`.
fn cell(text: &str) -> String {
    text.trim()
        .replace('|', "\\|")
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The event cell of a message: its author in bold (with `(bot)` for bots), then its text.
pub fn event(message: &Message) -> String {
    let mut out = String::new();
    if message.reply {
        out.push_str("↳ ");
    }
    if !message.author.is_empty() {
        out.push_str(&format!(
            "**{}**",
            cell(&message.author).replace('*', "\\*")
        ));
        if message.bot {
            out.push_str(" (bot)");
        }
        out.push_str(": ");
    }
    out.push_str(&cell(&message.text));
    out
}

/// The time cells of messages in `zone`: the date on the first row and whenever it changes,
/// else the time of day alone.
pub fn time_cells(messages: &[Message], zone: Tz) -> Vec<String> {
    let mut last: Option<NaiveDate> = None;
    messages
        .iter()
        .map(|m| {
            let local = m.time.with_timezone(&zone);
            let day = local.date_naive();
            let text = if last == Some(day) {
                local.format("%H:%M").to_string()
            } else {
                local.format("%Y-%m-%d %H:%M").to_string()
            };
            last = Some(day);
            text
        })
        .collect()
}

/// The header of the timeline table, naming its zone so that `check` reads the rows in it.
pub fn header(zone: Tz) -> String {
    format!("| Time ({}) | Event |\n| --- | --- |\n", zone.name())
}

/// The rows of the messages as table lines, without the header.
pub fn rows(messages: &[Message], zone: Tz) -> Vec<String> {
    time_cells(messages, zone)
        .into_iter()
        .zip(messages)
        .map(|(time, m)| format!("| {time} | {} |\n", event(m)))
        .collect()
}

/// The whole `## Timeline` table of the messages.
pub fn render(messages: &[Message], zone: Tz) -> String {
    let mut out = header(zone);
    for row in rows(messages, zone) {
        out.push_str(&row);
    }
    out
}

/// The format of a chat file, recognised from its first lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A Slack export: a channel folder of daily JSON files, or one JSON file.
    Slack,
    /// An IRC log (irssi, weechat, ZNC, `[HH:MM] <nick> text`).
    Irc,
    /// Lines that start with a time.
    Plain,
}

/// Recognises the format of a text chat file (a JSON text is Slack).
pub fn detect(text: &str) -> Format {
    let start = text.trim_start();
    if start.starts_with('[') && start[1..].trim_start().starts_with('{') || start.starts_with('{')
    {
        return Format::Slack;
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let irc = lines.iter().filter(|l| irc::is_irc_line(l)).count();
    if irc * 2 >= lines.len().max(1) {
        Format::Irc
    } else {
        Format::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(time: &str, author: &str, text: &str) -> Message {
        Message {
            time: time.parse().unwrap(),
            author: author.into(),
            text: text.into(),
            bot: false,
            marked: false,
            reply: false,
        }
    }

    #[test]
    fn renders_rows_with_the_date_when_it_changes_in_the_zone() {
        let messages = [
            message("2024-03-30T22:50:00Z", "ana", "paged | acked"),
            message("2024-03-30T23:10:00Z", "ben", "line one\nline two"),
            Message {
                bot: true,
                ..message(
                    "2024-03-31T01:30:00Z",
                    "Grafana",
                    "[alert](https://grafana.example.com/d/1) resolved",
                )
            },
        ];
        insta::assert_snapshot!(render(&messages, chrono_tz::Europe::Berlin), @r"
        | Time (Europe/Berlin) | Event |
        | --- | --- |
        | 2024-03-30 23:50 | **ana**: paged \| acked |
        | 2024-03-31 00:10 | **ben**: line one<br>line two |
        | 03:30 | **Grafana** (bot): [alert](https://grafana.example.com/d/1) resolved |
        ");
    }

    #[test]
    fn filters_cut_the_window_and_keep_marked_or_matching_messages() {
        let mut marked = message("2024-03-12T10:00:00Z", "ana", "rolled back");
        marked.marked = true;
        let messages = vec![
            message("2024-03-12T09:00:00Z", "ana", "before"),
            marked,
            message("2024-03-12T11:00:00Z", "ben", "deploy done"),
        ];
        let window = Filter {
            since: Some("2024-03-12T09:30:00Z".parse().unwrap()),
            until: Some("2024-03-12T10:30:00Z".parse().unwrap()),
            ..Filter::default()
        };
        let texts = |f: &Filter| -> Vec<String> {
            select(messages.clone(), f, None)
                .into_iter()
                .map(|m| m.text)
                .collect()
        };
        assert_eq!(texts(&window), ["rolled back"]);
        let marked_only = Filter {
            marked: true,
            ..Filter::default()
        };
        assert_eq!(texts(&marked_only), ["rolled back"]);
        let grep = Filter {
            grep: Some(Regex::new("(?i)DEPLOY").unwrap()),
            ..Filter::default()
        };
        assert_eq!(texts(&grep), ["deploy done"]);
    }

    #[test]
    fn handles_resolve_through_the_directory() {
        let directory = Directory::parse(
            "[[person]]\nname = \"Ana Ruiz\"\naliases = [\"ana\"]\n",
            std::path::Path::new("directory.toml"),
        )
        .unwrap();
        let out = select(
            vec![message("2024-03-12T10:00:00Z", "@ana", "x")],
            &Filter::default(),
            Some(&directory),
        );
        assert_eq!(out[0].author, "Ana Ruiz");
    }

    #[test]
    fn recognises_the_format() {
        assert_eq!(detect("[{\"ts\": \"1\"}]"), Format::Slack);
        assert_eq!(detect("09:41 <ana> hi\n09:42 <ben> yo\n"), Format::Irc);
        assert_eq!(detect("09:41 paged\n09:42 acked\n"), Format::Plain);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// No log, however broken, makes a reader panic, and every row it gives reads back.
        #[test]
        fn any_log_reads_without_panicking(
            text in "(--- Day changed \\w{3} Mar [0-9]{1,2} 2024\n|\\[?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\\]? |2024-03-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\t|<@?[a-z]{1,4}> | \\* |\t|\\||[a-z ]{1,8}|\\n|\\{\"ts\":\"[0-9.]{0,12}\"\\}|\\[|\\]){0,40}",
        ) {
            let day = NaiveDate::from_ymd_opt(2024, 3, 12);
            let mut messages = irc::messages(&text, day, chrono_tz::Europe::Berlin);
            messages.extend(plain::messages(&text, day, chrono_tz::America::New_York));
            messages.extend(slack::messages(&text, &slack::Users::new()).unwrap_or_default());
            let table = render(&select(messages.clone(), &Filter::default(), None), chrono_tz::Europe::Berlin);
            let started = "2024-03-12T00:00:00Z".parse().unwrap();
            let (timeline, _) = crate::timeline::parse(&crate::timeline::Input {
                path: std::path::Path::new("x.md"),
                source: &table,
                markdown: &table,
                offset: 0,
                started,
                timezone: chrono_tz::Europe::Berlin,
            });
            proptest::prop_assert_eq!(timeline.entries.len(), messages.len());
            proptest::prop_assert!(timeline.entries.iter().all(|e| e.time.is_some()), "{}", table);
        }
    }
}
