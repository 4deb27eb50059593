//! Chat: a Slack export, read into messages. An export is a channel folder of daily JSON files
//! (`2024-03-12.json`, each an array of messages) with `users.json` in it or beside it, or one
//! JSON file of messages (an array, or an object with `messages`, as the API returns them).
//!
//! User ids become names, mrkdwn becomes Markdown, links and files stay as links (the rows'
//! evidence), thread replies are placed by their time, edits, deletions, joins and topic changes
//! are left out, and bot and integration messages are marked as such.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use regex::{Captures, Regex};
use serde::Deserialize;

use super::Message;

/// The names of a workspace's users by id, from `users.json`.
pub type Users = BTreeMap<String, String>;

#[derive(Deserialize)]
struct RawUser {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    profile: Option<RawProfile>,
}

#[derive(Default, Deserialize)]
struct RawProfile {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    real_name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawMessage {
    #[serde(rename = "type")]
    kind: Option<String>,
    subtype: Option<String>,
    ts: String,
    thread_ts: Option<String>,
    user: Option<String>,
    username: Option<String>,
    bot_id: Option<String>,
    bot_profile: Option<RawBot>,
    user_profile: Option<RawProfile>,
    text: String,
    attachments: Vec<RawAttachment>,
    files: Vec<RawFile>,
    reactions: Vec<serde_json::Value>,
    pinned_to: Vec<serde_json::Value>,
    is_starred: bool,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawBot {
    name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawAttachment {
    fallback: Option<String>,
    pretext: Option<String>,
    title: Option<String>,
    title_link: Option<String>,
    text: Option<String>,
    author_name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawFile {
    name: Option<String>,
    title: Option<String>,
    permalink: Option<String>,
    url_private: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFileOfMessages {
    List(Vec<serde_json::Value>),
    Wrapped { messages: Vec<serde_json::Value> },
}

/// Reads `users.json`: each user's display name, else real name, else handle.
pub fn users(text: &str) -> Result<Users> {
    let raw: Vec<RawUser> =
        serde_json::from_str(text).context("users.json is not a list of Slack users")?;
    Ok(raw
        .into_iter()
        .map(|u| {
            let profile = u.profile.unwrap_or_default();
            let name = [
                profile.display_name,
                profile.real_name,
                u.real_name,
                Some(u.name),
            ]
            .into_iter()
            .flatten()
            .find(|n| !n.trim().is_empty())
            .unwrap_or_else(|| u.id.clone());
            (u.id, name)
        })
        .collect())
}

/// Subtypes that are not something said: joins, leaves, topic and name changes, edits and
/// deletions (an edited message is exported once, with its final text).
const SKIPPED: &[&str] = &[
    "channel_join",
    "channel_leave",
    "group_join",
    "group_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "channel_archive",
    "channel_unarchive",
    "message_changed",
    "message_deleted",
    "pinned_item",
    "unpinned_item",
    "reminder_add",
    "joiner_notification",
];

/// Reads one JSON file of messages; a message that does not have the shape of one is skipped.
pub fn messages(text: &str, users: &Users) -> Result<Vec<Message>> {
    let raw: RawFileOfMessages = serde_json::from_str(text)
        .context("not a Slack export: expected a JSON list of messages")?;
    let values = match raw {
        RawFileOfMessages::List(values) | RawFileOfMessages::Wrapped { messages: values } => values,
    };
    Ok(values
        .into_iter()
        .filter_map(|v| serde_json::from_value::<RawMessage>(v).ok())
        .filter_map(|m| message(m, users))
        .collect())
}

fn time_of(ts: &str) -> Option<DateTime<Utc>> {
    let (seconds, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let seconds: i64 = seconds.parse().ok()?;
    let micros: u32 = format!("{micros:0<6}").get(..6)?.parse().ok()?;
    DateTime::from_timestamp(seconds, micros * 1000)
}

fn message(raw: RawMessage, users: &Users) -> Option<Message> {
    if raw.kind.as_deref().is_some_and(|k| k != "message") {
        return None;
    }
    if raw.subtype.as_deref().is_some_and(|s| SKIPPED.contains(&s)) {
        return None;
    }
    let time = time_of(&raw.ts)?;
    let bot = raw.bot_id.is_some() || raw.subtype.as_deref() == Some("bot_message");
    let author = if bot {
        raw.username
            .clone()
            .or(raw.bot_profile.and_then(|b| b.name))
            .or(raw.attachments.iter().find_map(|a| a.author_name.clone()))
            .or(raw.user.as_ref().and_then(|u| users.get(u).cloned()))
            .unwrap_or_else(|| "bot".to_string())
    } else {
        let profile = raw.user_profile.unwrap_or_default();
        raw.user
            .as_ref()
            .and_then(|u| users.get(u).cloned())
            .or(profile.display_name.filter(|n| !n.is_empty()))
            .or(profile.real_name)
            .or(raw.username.clone())
            .or(raw.user.clone())
            .unwrap_or_default()
    };
    let mut parts = vec![mrkdwn(&raw.text, users)];
    for attachment in &raw.attachments {
        let title = match (&attachment.title, &attachment.title_link) {
            (Some(t), Some(link)) => Some(format!("[{}]({link})", t.trim())),
            (Some(t), None) => Some(t.trim().to_string()),
            _ => None,
        };
        let body = attachment
            .text
            .as_ref()
            .or(attachment.fallback.as_ref())
            .map(|t| mrkdwn(t, users));
        let pieces: Vec<String> = [
            attachment.pretext.as_ref().map(|t| mrkdwn(t, users)),
            title,
            body,
        ]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
        .collect();
        if !pieces.is_empty() {
            parts.push(pieces.join(": "));
        }
    }
    for file in &raw.files {
        let name = file
            .title
            .as_ref()
            .or(file.name.as_ref())
            .cloned()
            .unwrap_or_else(|| "file".into());
        match file.permalink.as_ref().or(file.url_private.as_ref()) {
            Some(link) => parts.push(format!("[{}]({link})", name.replace(['[', ']'], ""))),
            None => parts.push(name),
        }
    }
    let text = parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" — ");
    if text.trim().is_empty() {
        return None;
    }
    let reply = raw.thread_ts.as_ref().is_some_and(|t| *t != raw.ts);
    Some(Message {
        time,
        author,
        text,
        bot,
        marked: !raw.reactions.is_empty() || !raw.pinned_to.is_empty() || raw.is_starred,
        reply,
    })
}

static ANGLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^<>]+)>").expect("valid regex"));
static BOLD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[\s(])\*([^*\n]+)\*($|[\s).,!?:;])").expect("valid regex"));
static ITALIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[\s(])_([^_\n]+)_($|[\s).,!?:;])").expect("valid regex"));
static STRIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[\s(])~([^~\n]+)~($|[\s).,!?:;])").expect("valid regex"));

/// Slack's mrkdwn as Markdown: `<@U1>` → `@Name`, `<#C1|ops>` → `#ops`, `<url|label>` →
/// `[label](url)`, `*bold*` → `**bold**`, `_it_` → `*it*`, `~x~` → `~~x~~`, entities decoded.
/// Code spans and blocks are left as they are.
pub fn mrkdwn(text: &str, users: &Users) -> String {
    let mut out = String::new();
    for (i, piece) in text.split("```").enumerate() {
        if i > 0 {
            out.push_str("```");
        }
        if i % 2 == 1 {
            out.push_str(&unescape(piece));
            continue;
        }
        for (j, span) in piece.split('`').enumerate() {
            if j > 0 {
                out.push('`');
            }
            if j % 2 == 1 {
                out.push_str(&unescape(span));
            } else {
                out.push_str(&inline(span, users));
            }
        }
    }
    out
}

fn inline(text: &str, users: &Users) -> String {
    let text = ANGLE.replace_all(text, |caps: &Captures<'_>| {
        let inner = &caps[1];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        if let Some(id) = target.strip_prefix('@') {
            let name = users
                .get(id)
                .map(String::as_str)
                .filter(|_| label.is_empty())
                .unwrap_or(if label.is_empty() { id } else { label });
            format!("@{name}")
        } else if let Some(channel) = target.strip_prefix('#') {
            format!("#{}", if label.is_empty() { channel } else { label })
        } else if let Some(special) = target.strip_prefix('!') {
            format!("@{}", special.split('^').next().unwrap_or(special))
        } else if label.is_empty() {
            format!("<{target}>")
        } else {
            format!("[{label}]({target})")
        }
    });
    let text = BOLD.replace_all(&text, "$1**$2**$3");
    let text = ITALIC.replace_all(&text, "$1*$2*$3");
    let text = STRIKE.replace_all(&text, "$1~~$2~~$3");
    unescape(&text)
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Users {
        [("U1".to_string(), "ana".to_string())]
            .into_iter()
            .collect()
    }

    #[test]
    fn mrkdwn_becomes_markdown() {
        assert_eq!(
            mrkdwn("<@U1> see <https://grafana.example.com/d/1|the graph> in <#C9|ops> *now* _please_ ~no~ &lt;3 `*x*` <!here>", &users()),
            "@ana see [the graph](https://grafana.example.com/d/1) in #ops **now** *please* ~~no~~ <3 `*x*` @here"
        );
        assert_eq!(
            mrkdwn("<https://x.example.com>", &users()),
            "<https://x.example.com>"
        );
    }

    #[test]
    fn reads_messages_bots_files_and_threads_and_skips_joins_and_edits() {
        let text = r#"[
          {"type":"message","subtype":"channel_join","user":"U1","text":"<@U1> has joined","ts":"1710236400.000100"},
          {"type":"message","user":"U1","text":"db is down","ts":"1710236460.000200","edited":{"user":"U1","ts":"1710236470.0"},"reactions":[{"name":"pushpin","users":["U1"],"count":1}]},
          {"type":"message","subtype":"message_changed","ts":"1710236470.000000","message":{"text":"db is down"}},
          {"type":"message","subtype":"bot_message","bot_id":"B1","username":"PagerDuty","text":"","attachments":[{"title":"Triggered: DB","title_link":"https://pd.example.com/i/1","text":"replication lag"}],"ts":"1710236500.000000"},
          {"type":"message","user":"U2","user_profile":{"real_name":"Ben Ode"},"text":"graph","files":[{"title":"lag.png","permalink":"https://files.example.com/lag.png"}],"ts":"1710236520.000000","thread_ts":"1710236460.000200"}
        ]"#;
        let found = messages(text, &users()).unwrap();
        let summary: Vec<_> = found
            .iter()
            .map(|m| (m.author.as_str(), m.text.as_str(), m.bot, m.marked, m.reply))
            .collect();
        assert_eq!(
            summary,
            [
                ("ana", "db is down", false, true, false),
                (
                    "PagerDuty",
                    "[Triggered: DB](https://pd.example.com/i/1): replication lag",
                    true,
                    false,
                    false
                ),
                (
                    "Ben Ode",
                    "graph — [lag.png](https://files.example.com/lag.png)",
                    false,
                    false,
                    true
                ),
            ]
        );
        assert_eq!(
            found[0].time.to_rfc3339(),
            "2024-03-12T09:41:00.000200+00:00"
        );
    }

    #[test]
    fn a_wrapped_api_answer_and_bad_json_are_handled() {
        let found = messages(r#"{"ok":true,"messages":[{"type":"message","user":"U1","text":"hi","ts":"1710236460.0"}]}"#, &users()).unwrap();
        assert_eq!(found.len(), 1);
        assert!(messages("not json", &users()).is_err());
        assert!(messages(
            r#"[{"ts": 5}, {"type":"message","text":"x","ts":"oops"}]"#,
            &users()
        )
        .unwrap()
        .is_empty());
    }

    #[test]
    fn users_are_named_by_display_name_then_real_name_then_handle() {
        let found = users_of(
            r#"[{"id":"U1","name":"ana","profile":{"display_name":"Ana R"}},{"id":"U2","name":"ben","real_name":"Ben Ode","profile":{"display_name":""}},{"id":"U3","name":"chen"}]"#,
        );
        assert_eq!(found["U1"], "Ana R");
        assert_eq!(found["U2"], "Ben Ode");
        assert_eq!(found["U3"], "chen");
    }

    fn users_of(text: &str) -> Users {
        super::users(text).unwrap()
    }
}
