//! The internal email of one post-mortem (`/pm/<id>/internal-email.eml`, `blameless email ID`):
//! an RFC 5322 message, multipart/alternative with a plain-text and an HTML part, built with
//! `mail-builder` and made deterministic (Message-ID from the id and the site's host, Date from
//! "now", MIME boundaries derived from the content).
//!
//! The body is the summary, the impact, the key learnings (`## Lessons learned`), the actions
//! and the absolute link to the page, both parts laid out for mail clients by `mail_layout`. A `## Internal email` section replaces the generated body
//! (the link is still added); a first line `Subject: …` in it replaces the subject's text after
//! the `[email] subject_prefix`.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Utc};
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;

use super::{absolute_rewriter, fnv1a, mail_layout, page_url, site_host};
use crate::config::Config;
use crate::markdown::{self, escape_html};
use crate::postmortem::{PostMortem, SectionKind};

/// The body of an email in its two forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// The text/plain part.
    pub text: String,
    /// The text/html part: a whole HTML document.
    pub html: String,
}

/// The internal email of `pm`, as RFC 5322 text with CRLF line ends, dated `now`.
pub fn internal_email(pm: &PostMortem, config: &Config, now: DateTime<Utc>) -> String {
    let (subject, body) = internal_body(pm, config);
    let message_id = format!("pm.{}@{}", pm.id, site_host(config));
    build(
        config,
        &subject,
        &message_id,
        now,
        &body,
        &involved_teams(pm, config),
    )
}

/// The mailing lists of the teams that own the services of `pm`, by the directory: the
/// internal email's Cc. Empty without a directory.
pub fn involved_teams(pm: &PostMortem, config: &Config) -> Vec<String> {
    let Some(directory) = config.directory.as_deref() else {
        return Vec::new();
    };
    directory
        .owning_teams(&pm.services)
        .into_iter()
        .filter_map(|team| {
            let list = team.mailing_list.as_deref()?;
            Some(format!("{} <{list}>", team.name))
        })
        .collect()
}

/// The subject and body of the internal email of `pm`, for the site to show.
pub fn internal_body(pm: &PostMortem, config: &Config) -> (String, Body) {
    let url = page_url(config, &pm.id);
    let mut subject = format!("{}: {}", pm.severity.name, pm.title);
    let body = match pm.section(SectionKind::InternalEmail) {
        Some(section) if !section.is_empty() => {
            let mut markdown = section.markdown().trim_start().to_string();
            if let Some(first) = markdown.lines().next() {
                if let Some(custom) = first.strip_prefix("Subject:") {
                    subject = custom.trim().to_string();
                    markdown = markdown[first.len()..].trim_start().to_string();
                }
            }
            written_body(pm, config, &markdown, &url)
        }
        _ => generated_body(pm, config, &url),
    };
    let prefix = config.email.subject_prefix.trim();
    // why: a written subject often repeats the prefix's word ("Post-mortem: …").
    let word = format!("{}:", prefix.trim_matches(['[', ']']));
    if word.len() > 1
        && subject
            .get(..word.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(&word))
    {
        subject = subject[word.len()..].trim_start().to_string();
    }
    let subject = if prefix.is_empty() || subject.starts_with(prefix) {
        subject
    } else {
        format!("{prefix} {subject}")
    };
    (subject, body)
}

/// Builds an RFC 5322 message from the archive's `[email]` addresses and a body.
pub(crate) fn build(
    config: &Config,
    subject: &str,
    message_id: &str,
    now: DateTime<Utc>,
    body: &Body,
    cc: &[String],
) -> String {
    let mut hasher = Vec::with_capacity(body.text.len() + body.html.len());
    hasher.extend_from_slice(body.text.as_bytes());
    hasher.extend_from_slice(body.html.as_bytes());
    let boundary = format!("=_blameless_{:016x}", fnv1a(&hasher));
    let alternative = MimePart::new(
        ContentType::new("multipart/alternative").attribute("boundary", boundary),
        vec![
            MimePart::new("text/plain", body.text.as_str()),
            MimePart::new("text/html", body.html.as_str()),
        ],
    );
    let mut message = MessageBuilder::new()
        .from(address_list(&config.email.from))
        .to(address_list(&config.email.to));
    if !cc.is_empty() {
        message = message.cc(addresses(cc.iter().map(String::as_str)));
    }
    let message = message
        .subject(subject)
        .message_id(MessageId::new(message_id.to_string()))
        .date(Date::new(now.timestamp()))
        .body(alternative);
    let mut out = Vec::new();
    message.serialize(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads "Name <a@b>", "a@b" or a comma-separated list of them.
fn address_list(text: &str) -> Address<'static> {
    addresses(text.split(','))
}

/// The addresses written as `entries`, each "Name <a@b>" or "a@b".
fn addresses<'a>(entries: impl IntoIterator<Item = &'a str>) -> Address<'static> {
    let mut list: Vec<Address<'static>> = entries
        .into_iter()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| match a.rsplit_once('<') {
            Some((name, email)) => {
                let name = name.trim().trim_matches('"').trim();
                let email = email.trim_end_matches('>').trim().to_string();
                let name = (!name.is_empty()).then(|| Cow::Owned(name.to_string()));
                Address::new_address(name, email)
            }
            None => Address::new_address(None::<Cow<'static, str>>, a.to_string()),
        })
        .collect();
    match list.len() {
        1 => list.remove(0),
        _ => Address::new_list(list),
    }
}

/// The one-line facts under the title: severity, status, when, how long, owner.
pub(crate) fn facts(pm: &PostMortem) -> String {
    let local = |t: DateTime<FixedOffset>| t.with_timezone(&pm.timezone);
    let mut facts = vec![
        pm.severity.name.clone(),
        pm.status.name().to_string(),
        local(pm.started).format("%Y-%m-%d %H:%M %Z").to_string(),
    ];
    if let Some(resolved) = pm.resolved {
        facts.push(format!(
            "resolved after {}",
            crate::calendar::duration(resolved - pm.started)
        ));
    }
    if let Some(owner) = &pm.owner {
        facts.push(format!("owner {owner}"));
    }
    facts.join(" · ")
}

/// A section's Markdown, if anything is written in it (a template's hint is not).
fn section_markdown(pm: &PostMortem, kind: SectionKind) -> Option<&str> {
    pm.section(kind)
        .filter(|s| !s.is_empty())
        .map(|s| s.markdown())
}

fn generated_body(pm: &PostMortem, config: &Config, url: &str) -> Body {
    let rewrite = absolute_rewriter(config, &pm.id);
    let summary = section_markdown(pm, SectionKind::Summary)
        .map(str::to_string)
        .unwrap_or_else(|| pm.summary.clone());
    let mut parts: Vec<(&str, String)> = vec![("Summary", summary)];
    for (title, kind) in [
        ("Impact", SectionKind::Impact),
        ("Key learnings", SectionKind::LessonsLearned),
    ] {
        if let Some(markdown) = section_markdown(pm, kind) {
            parts.push((title, markdown.to_string()));
        }
    }

    let facts = facts(pm);
    let mut text = format!(
        "{}\n{}\n",
        mail_layout::fill(&pm.title, "", ""),
        mail_layout::fill(&facts, "", "")
    );
    let mut html = format!(
        "<h1>{}</h1>\n<p><small>{}</small></p>\n",
        escape_html(&pm.title),
        escape_html(&facts)
    );
    for (title, markdown) in &parts {
        let _ = write!(
            text,
            "\n{title}\n{}\n\n{}\n",
            "-".repeat(title.len()),
            mail_layout::markdown_text(markdown, &rewrite, 0)
        );
        let _ = write!(
            html,
            "<h2>{title}</h2>\n{}",
            markdown::to_html(markdown, &rewrite)
        );
    }
    if !pm.actions.is_empty() {
        let _ = write!(text, "\nActions\n-------\n\n");
        // why: three columns, the owner, priority and due date under the title, so that the
        // table fits a phone's width without scrolling.
        html.push_str(
            "<h2>Actions</h2>\n<table>\n<thead><tr><th>Action</th><th>Ticket</th><th>Status</th></tr></thead>\n<tbody>\n",
        );
        for action in &pm.actions {
            let ticket_url = action
                .ticket
                .as_deref()
                .and_then(|t| crate::markdown::ticket_url(t, config.ticket_url.as_deref()));
            let mut details = Vec::new();
            if let Some(owner) = &action.owner {
                details.push(format!("owner {owner}"));
            }
            if let Some(priority) = action.priority {
                details.push(priority.to_string());
            }
            if let Some(due) = action.due {
                details.push(format!("due {due}"));
            }
            let html_details = details.join(" · ");
            match (&action.ticket, &ticket_url) {
                (Some(ticket), Some(url)) if ticket != url => {
                    details.push(format!("{ticket} ({url})"))
                }
                (Some(ticket), _) => details.push(ticket.clone()),
                (None, _) => details.push("no ticket".into()),
            }
            details.push(action.status.to_string());
            let _ = writeln!(
                text,
                "{}\n{}",
                mail_layout::fill(&action.title, "- ", "  "),
                mail_layout::fill(&details.join(" · "), "  ", "  ")
            );
            let ticket_cell = match (&action.ticket, &ticket_url) {
                (Some(ticket), Some(url)) => format!(
                    "<a href=\"{}\">{}</a>",
                    escape_html(url),
                    escape_html(ticket)
                ),
                (Some(ticket), None) => escape_html(ticket),
                (None, _) => String::new(),
            };
            // why: a ticket key is short and reads badly broken at its hyphen; a URL may wrap.
            let nowrap = match &action.ticket {
                Some(ticket) if !crate::markdown::is_web_url(ticket) => " nowrap",
                _ => "",
            };
            let details_html = if html_details.is_empty() {
                String::new()
            } else {
                format!("<br>\n<small>{}</small>", escape_html(&html_details))
            };
            let _ = writeln!(
                html,
                "<tr><td>{}{details_html}</td><td{nowrap}>{ticket_cell}</td><td nowrap>{}</td></tr>",
                escape_html(&action.title),
                action.status,
            );
        }
        html.push_str("</tbody>\n</table>\n");
    }
    mail_layout::body(&pm.title, text, &html, "Read the full post-mortem", url)
}

fn written_body(pm: &PostMortem, config: &Config, markdown: &str, url: &str) -> Body {
    let rewrite = absolute_rewriter(config, &pm.id);
    let text = format!("{}\n", mail_layout::markdown_text(markdown, &rewrite, 0));
    let html = markdown::to_html(markdown, &rewrite);
    mail_layout::body(&pm.title, text, &html, "Read the full post-mortem", url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;
    use mail_parser::MessageParser;

    fn email() -> String {
        internal_email(&fixtures::full(), &fixtures::config(), fixtures::now())
    }

    /// The HTML part of a raw message, decoded, with every style attribute shortened to
    /// `style`: its structure, readable; its bytes are in the golden site.
    fn html_structure(raw: &str) -> String {
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let html = message.body_html(0).unwrap();
        let style = regex::Regex::new(r#" style="[^"]*""#).unwrap();
        style.replace_all(&html, " style").into_owned()
    }

    #[test]
    fn internal_email_is_deterministic_and_snapshotted() {
        let first = email();
        assert_eq!(first, email());
        let raw = first.replace("\r\n", "\n");
        let (head, _) = raw.split_once("<!DOCTYPE html>").unwrap();
        insta::assert_snapshot!(format!("{head}{}", html_structure(&first)), @r##"
        From: "Post-mortems" <postmortems@acme.example>
        To: <engineering@acme.example>
        Subject: [Post-mortem] SEV-2: Checkout errors after a stalled failover
        Message-ID: <pm.2024-03-12-checkout-failover@postmortems.acme.example>
        Date: Mon, 1 Apr 2024 12:00:00 +0000
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="=_blameless_7c6b817ed6afefff"

        --=_blameless_7c6b817ed6afefff
        Content-Type: text/plain; charset="utf-8"
        Content-Transfer-Encoding: quoted-printable

        Checkout errors after a stalled failover
        SEV-2 =C2=B7 Closed =C2=B7 2024-03-12 09:41 CET =C2=B7 resolved after 1 h 2=
        4 min =C2=B7
        owner Ana Ruiz

        Summary
        -------

        At 09:41 the primary database failed over, and the replica stalled while
        catching up. Checkout failed for 18% of attempts until we promoted it by
        hand (https://wiki.example.com/runbooks/pg).

        Impact
        ------

        - 18% of checkout attempts failed for 39 minutes.
        - About 1,200 orders were delayed.

        Key learnings
        -------------

        1. Failovers need a timeout.
        2. Runbooks need a manual path, as in 2023
           (https://postmortems.acme.example/pm/2023-02-14-failover/).

        Actions
        -------

        - Alert when replication lag exceeds 30 s
          owner Dee Park =C2=B7 P1 =C2=B7 due 2024-04-15 =C2=B7 OPS-1234
          (https://tracker.acme.example/browse/OPS-1234) =C2=B7 open
        - Make the failover script wait for the replica, with a timeout
          owner Eli Moss =C2=B7 P2 =C2=B7 due 2024-03-29 =C2=B7 no ticket =C2=B7 do=
        ne

        Read the full post-mortem:
        https://postmortems.acme.example/pm/2024-03-12-checkout-failover/

        --=_blameless_7c6b817ed6afefff
        Content-Type: text/html; charset="utf-8"
        Content-Transfer-Encoding: quoted-printable

        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <meta name="supported-color-schemes" content="light dark">
        <title>Checkout errors after a stalled failover</title>
        <style>
        @media (prefers-color-scheme: dark) {
          [style*="background-color:#f3f4f6"] { background-color: #010409 !important; }
          [style*="background-color:#ffffff"] { background-color: #0d1117 !important; }
          [style*="background-color:#f6f8fa"] { background-color: #161b22 !important; }
          [style^="color:#1f2328"], [style*=";color:#1f2328"] { color: #e6edf3 !important; }
          [style^="color:#59636e"], [style*=";color:#59636e"] { color: #9198a1 !important; }
          [style^="color:#0969da"], [style*=";color:#0969da"] { color: #4493f8 !important; }
          [style*="solid #d1d9e0"] { border-color: #3d444d !important; }
        }
        </style>
        </head>
        <body style>
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f3f4f6" style>
        <tr>
        <td align="center" bgcolor="#f3f4f6" style>
        <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style>
        <tr>
        <td bgcolor="#ffffff" style>
        <h1 style>Checkout errors after a stalled failover</h1>
        <p style><small style>SEV-2 · Closed · 2024-03-12 09:41 CET · resolved after 1 h 24 min · owner Ana Ruiz</small></p>
        <h2 style>Summary</h2>
        <p style>At 09:41 the primary database failed over, and the <strong>replica</strong> stalled while catching up.
        Checkout failed for 18% of attempts until we <a href="https://wiki.example.com/runbooks/pg" style>promoted it by hand</a>.</p>
        <h2 style>Impact</h2>
        <ul style>
        <li style>18% of checkout attempts failed for 39 minutes.</li>
        <li style>About 1,200 orders were delayed.</li>
        </ul>
        <h2 style>Key learnings</h2>
        <ol style>
        <li style>Failovers need a timeout.</li>
        <li style>Runbooks need a <em>manual</em> path, as <a href="https://postmortems.acme.example/pm/2023-02-14-failover/" style>in 2023</a>.</li>
        </ol>
        <h2 style>Actions</h2>
        <table style>
        <thead><tr><th style>Action</th><th style>Ticket</th><th style>Status</th></tr></thead>
        <tbody>
        <tr><td style>Alert when replication lag exceeds 30 s<br>
        <small style>owner Dee Park · P1 · due 2024-04-15</small></td><td nowrap style><a href="https://tracker.acme.example/browse/OPS-1234" style>OPS-1234</a></td><td nowrap style>open</td></tr>
        <tr><td style>Make the failover script wait for the replica, with a timeout<br>
        <small style>owner Eli Moss · P2 · due 2024-03-29</small></td><td style></td><td nowrap style>done</td></tr>
        </tbody>
        </table>
        <table role="presentation" cellpadding="0" cellspacing="0" border="0" style>
        <tr>
        <td align="center" bgcolor="#0969da" style><a href="https://postmortems.acme.example/pm/2024-03-12-checkout-failover/" style>Read the full post-mortem</a></td>
        </tr>
        </table>
        </td>
        </tr>
        </table>
        </td>
        </tr>
        </table>
        </body>
        </html>
        "##);
    }

    #[test]
    fn the_teams_that_own_the_services_are_in_cc() {
        let config = fixtures::config_with_directory();
        let pm = crate::testing::parse("a", fixtures::FULL, &config);
        let raw = internal_email(&pm, &config, fixtures::now());
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let cc: Vec<(Option<&str>, Option<&str>)> = message
            .cc()
            .unwrap()
            .iter()
            .map(|a| (a.name(), a.address()))
            .collect();
        // Data owns payments-db but has no mailing list.
        assert_eq!(cc, [(Some("Payments"), Some("payments@acme.example"))]);
        assert_eq!(
            message.to().unwrap().first().unwrap().address(),
            Some("engineering@acme.example")
        );
        // Without a directory there is no Cc.
        assert!(!email().contains("\r\nCc:"));
    }

    #[test]
    fn internal_email_parses_back() {
        let raw = email();
        assert!(raw.lines().all(|l| l.len() <= 998));
        assert!(
            !raw.replace("\r\n", "").contains('\n'),
            "bare LF in the message"
        );
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(
            message.subject(),
            Some("[Post-mortem] SEV-2: Checkout errors after a stalled failover")
        );
        assert_eq!(
            message.message_id(),
            Some("pm.2024-03-12-checkout-failover@postmortems.acme.example")
        );
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("Post-mortems"));
        assert_eq!(from.address(), Some("postmortems@acme.example"));
        assert_eq!(
            message.to().unwrap().first().unwrap().address(),
            Some("engineering@acme.example")
        );
        assert_eq!(message.date().unwrap().to_rfc3339(), "2024-04-01T12:00:00Z");
        let text = message.body_text(0).unwrap().replace("\r\n", "\n");
        assert!(text.contains("Key learnings"), "{text}");
        assert!(text.contains("OPS-1234\n  (https://tracker.acme.example/browse/OPS-1234)"));
        assert!(text.trim_end().ends_with(
            "Read the full post-mortem:\nhttps://postmortems.acme.example/pm/2024-03-12-checkout-failover/"
        ), "{text}");
        // Filled at 72 columns; only a URL, which cannot break, stands longer on its own line.
        for line in text.lines() {
            assert!(
                line.chars().count() <= 72 || !line.trim().contains(' '),
                "{line}"
            );
        }
        let html = message.body_html(0).unwrap();
        assert!(html.contains("<th style="), "{html}");
        assert!(html.contains("href=\"https://postmortems.acme.example/pm/2023-02-14-failover/\""));
    }

    #[test]
    fn a_section_with_only_the_template_hint_is_left_out() {
        let text = fixtures::FULL.replace(
            "- 18% of checkout attempts failed for 39 minutes.\n- About 1,200 orders were delayed.\n",
            "<!-- Who was affected, how, for how long. -->\n",
        );
        let (_, body) = internal_body(&fixtures::parse("a", &text), &fixtures::config());
        assert!(!body.text.contains("Impact"), "{}", body.text);
        assert!(!body.html.contains(">Impact</h2>"), "{}", body.html);
        assert!(body.text.contains("Key learnings"), "{}", body.text);
    }

    #[test]
    fn an_internal_email_section_replaces_the_body_and_subject() {
        let text = fixtures::FULL.replace(
            "## External message",
            "## Internal email\n\nSubject: Failover stall: what we learned\n\nHi all,\n\nThe **short** version.\n\n## External message",
        );
        let pm = fixtures::parse("a", &text);
        let repeated = fixtures::parse("b", &text.replace("Subject: ", "Subject: Post-mortem: "));
        assert_eq!(
            internal_body(&repeated, &fixtures::config()).0,
            "[Post-mortem] Failover stall: what we learned"
        );
        let (subject, body) = internal_body(&pm, &fixtures::config());
        assert_eq!(subject, "[Post-mortem] Failover stall: what we learned");
        assert_eq!(
            body.text,
            "Hi all,\n\nThe short version.\n\nRead the full post-mortem: https://postmortems.acme.example/pm/a/\n"
        );
        assert!(body.html.contains("<strong>short</strong>"));
        let raw = internal_email(&pm, &fixtures::config(), fixtures::now());
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(message.subject(), Some(subject.as_str()));
    }
}
