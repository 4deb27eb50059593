//! Artifacts: the files the post-mortem process needs besides the site's pages, each a pure
//! function from the validated `Archive` (or one `PostMortem`) to its bytes.
//!
//! ```text
//! Archive ─► message  (external-message.txt: plain text for the status page)
//!         ─► email    (internal-email.eml: RFC 5322, multipart/alternative)
//!         ─► digest   (the digest email for a period, and /digest/ by ISO week)
//!               └─ both laid out by mail_layout (text at 72 columns, HTML for mail clients)
//!         ─► ics      (meeting.ics: the review-meeting invite, RFC 5545)
//!         ─► actions  (/actions/, /actions.csv, actions JSON)
//!         ─► feed     (/feed.xml: Atom)
//!         ─► catalog  (/postmortems.json)
//! ```
//!
//! Nothing here reads the clock or the disk: "now" comes from the archive (`--now`), so the same
//! sources give byte-identical artifacts.

pub mod actions;
pub mod catalog;
pub mod digest;
pub mod email;
pub mod feed;
pub mod ics;
pub mod mail_layout;
pub mod message;

use std::sync::Arc;

use crate::config::Config;
use crate::markdown::{LinkTarget, Rewriter};

/// The absolute URL of a post-mortem's page: `{base_url}/pm/{id}/`.
pub fn page_url(config: &Config, id: &str) -> String {
    format!("{}/pm/{id}/", config.base_url)
}

/// The host of the site's `base_url`, for Message-IDs and UIDs; `localhost` when it has none.
pub fn site_host(config: &Config) -> String {
    let rest = config
        .base_url
        .split_once("://")
        .map_or(config.base_url.as_str(), |(_, r)| r);
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or_default();
    if host.is_empty() {
        "localhost".into()
    } else {
        host.to_ascii_lowercase()
    }
}

/// A link rewriter for Markdown shown outside the site (emails, feeds): links to other
/// post-mortems and files of a bundle become absolute URLs on the site.
pub fn absolute_rewriter(config: &Config, id: &str) -> Rewriter {
    let base = config.base_url.clone();
    let page = page_url(config, id);
    Arc::new(move |url: &str| match crate::markdown::classify(url) {
        LinkTarget::External if url.starts_with('/') => format!("{base}{url}"),
        LinkTarget::External => url.to_string(),
        LinkTarget::PostMortem { id, fragment } => format!("{base}/pm/{id}/{fragment}"),
        LinkTarget::File(file) => format!("{page}{file}"),
        LinkTarget::Outside => page.clone(),
    })
}

/// FNV-1a, 64 bits: a small stable hash for MIME boundaries derived from content.
// why: std's `DefaultHasher` may change between Rust releases, and output must not.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small archive for the artifacts' tests.

    use chrono::{DateTime, Utc};

    use crate::archive::Archive;
    use crate::config::{Config, EmailConfig};
    use crate::postmortem::PostMortem;

    /// A Closed SEV-2 with every field, an external message and an internal email section.
    pub const FULL: &str = r#"+++
title = "Checkout errors after a stalled failover"
severity = "SEV-2"
status = "Closed"
started = 2024-03-12T09:41:00+01:00
detected = 2024-03-12T09:47:00+01:00
mitigated = 2024-03-12T10:20:00+01:00
resolved = 2024-03-12T11:05:00+01:00
timezone = "Europe/Berlin"
summary = "A stalled Postgres failover made 18% of checkouts fail for 39 minutes."
tags = ["postgres", "failover"]
services = ["checkout", "payments-db"]
causes = ["config-change"]
detection = "monitoring"
customer_impact = true
owner = "Ana Ruiz"
incident_commander = "Ben Ode"
scribe = "Chen Li"
responders = ["Dee Park (SRE)", "Eli Moss (Payments)"]
external_message_posted = 2024-03-12T14:00:00Z

[meeting]
at = 2024-03-14T15:00:00+01:00
attendees = ["Ana Ruiz", "Ben Ode", "Dee Park <dee.park@acme.example>"]
recording = "https://meet.example.com/rec/123"

[links]
chat = "https://chat.example.com/archives/C123"

[[actions]]
title = "Alert when replication lag exceeds 30 s"
owner = "Dee Park"
priority = "P1"
kind = "detect"
ticket = "OPS-1234"
due = 2024-04-15
status = "open"

[[actions]]
title = "Make the failover script wait for the replica, with a timeout"
owner = "Eli Moss"
priority = "P2"
kind = "prevent"
due = 2024-03-29
status = "done"
+++

## Summary

At 09:41 the primary database failed over, and the **replica** stalled while catching up.
Checkout failed for 18% of attempts until we [promoted it by hand](https://wiki.example.com/runbooks/pg).

## Impact

- 18% of checkout attempts failed for 39 minutes.
- About 1,200 orders were delayed.

## Timeline

| Time | Event |
| --- | --- |
| 09:41 | Failover starts |
| 10:20 | Replica promoted by hand |

## Contributing factors

The failover script did not wait for the replica.

## Resolution

We promoted the replica by hand; see [the earlier failover](2023-02-14-failover.md).

## Lessons learned

1. Failovers need a timeout.
2. Runbooks need a *manual* path, as [in 2023](2023-02-14-failover.md).

## External message

### Checkout problems on 12 March

On Tuesday 12 March between 09:41 and 10:20 (CET), some payments failed at checkout.

What we are doing about it:

- We changed how our database switches over.
- We added an alert, so we notice *sooner*.

We are sorry. Details: <https://status.example.com/incidents/42>.
"#;

    /// An In Review SEV-1 with no meeting yet, and a Draft.
    pub const OTHERS: [(&str, &str); 2] = [
        (
            "2024-03-20-search-slow",
            r#"+++
title = "Search slow for all users"
severity = "SEV-1"
status = "In Review"
started = 2024-03-20T08:00:00Z
resolved = 2024-03-20T09:00:00Z
owner = "Chen Li"
summary = "Search took 8 s per query for an hour."

[[actions]]
title = "Cap query fan-out"
owner = "Chen Li"
priority = "P0"
due = 2024-03-22
+++

## Summary

Search was slow.

## Lessons learned

Fan-out needs a cap.
"#,
        ),
        (
            "2024-03-25-cdn-purge",
            r#"+++
title = "CDN purge rate-limited"
severity = "SEV-3"
status = "Draft"
started = 2024-03-25T12:00:00Z
+++

## Summary

Purges were rate-limited.
"#,
        ),
    ];

    /// The configuration of the tests: a real base URL and ticket template.
    pub fn config() -> Config {
        let defaults = Config::default();
        Config {
            title: "Acme post-mortems".into(),
            base_url: "https://postmortems.acme.example".into(),
            ticket_url: Some("https://tracker.acme.example/browse/{ticket}".into()),
            email: EmailConfig {
                from: "Post-mortems <postmortems@acme.example>".into(),
                to: "engineering@acme.example".into(),
                ..defaults.email.clone()
            },
            ..defaults
        }
    }

    /// A directory for [`FULL`]: `checkout` is owned by Payments, whose managers and liaison
    /// have addresses; `payments-db` by Data, which has no mailing list; Eli Moss has no address.
    pub const DIRECTORY: &str = r#"
[[person]]
name = "Ana Ruiz"
email = "ana@acme.example"
team = "Payments"
[[person]]
name = "Ben Ode"
email = "ben@acme.example"
team = "SRE"
aliases = ["bode"]
[[person]]
name = "Dee Park"
email = "dee.park@acme.example"
team = "SRE"
[[person]]
name = "Eli Moss"
team = "Payments"
[[person]]
name = "Fay Lee"
email = "fay@acme.example"
team = "SRE"
[[person]]
name = "Gus Hale"
email = "gus@acme.example"
team = "Payments"
[[person]]
name = "Ida Noor"
email = "ida@acme.example"
team = "Payments"
[[person]]
name = "Jo Kim"
email = "jo@acme.example"
team = "Data"
[[person]]
name = "Liv Sato"
email = "liv@acme.example"
[[person]]
name = "Chen Li"
email = "chen@acme.example"
team = "SRE"

[[team]]
name = "Payments"
mailing_list = "payments@acme.example"
engineering_manager = "Gus Hale"
product_manager = "Ida Noor"
[[team]]
name = "Data"
engineering_manager = "Jo Kim"
[[team]]
name = "SRE"
mailing_list = "sre@acme.example"

[[service]]
name = "checkout"
team = "Payments"
tier = 1
customer_liaison = "Liv Sato"
[[service]]
name = "payments-db"
team = "Data"
"#;

    /// [`config`] with [`DIRECTORY`].
    pub fn config_with_directory() -> Config {
        let directory =
            crate::directory::Directory::parse(DIRECTORY, std::path::Path::new("directory.toml"))
                .unwrap();
        Config {
            directory: Some(std::sync::Arc::new(directory)),
            ..config()
        }
    }

    /// Parses a fixture as `content/{id}.md`.
    pub fn parse(id: &str, text: &str) -> PostMortem {
        crate::testing::parse(id, text, &config())
    }

    /// The Closed fixture.
    pub fn full() -> PostMortem {
        parse("2024-03-12-checkout-failover", FULL)
    }

    /// "Now" for the tests: Monday 1 April 2024, noon UTC.
    pub fn now() -> DateTime<Utc> {
        at("2024-04-01T12:00:00Z")
    }

    /// An RFC 3339 time as UTC.
    pub fn at(text: &str) -> DateTime<Utc> {
        match DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.to_utc(),
            Err(e) => panic!("bad time {text}: {e}"),
        }
    }

    /// The three fixtures as an archive.
    pub fn archive() -> Archive {
        let mut postmortems = vec![full()];
        postmortems.extend(OTHERS.iter().map(|(id, text)| parse(id, text)));
        Archive::new(config(), postmortems, now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute() {
        let config = fixtures::config();
        assert_eq!(
            page_url(&config, "a"),
            "https://postmortems.acme.example/pm/a/"
        );
        assert_eq!(site_host(&config), "postmortems.acme.example");
        let rewrite = absolute_rewriter(&config, "a");
        assert_eq!(
            rewrite.to_html("../b.md#impact"),
            "https://postmortems.acme.example/pm/b/#impact"
        );
        assert_eq!(
            rewrite.to_html("graph.png"),
            "https://postmortems.acme.example/pm/a/graph.png"
        );
        assert_eq!(rewrite.to_html("https://x.example/"), "https://x.example/");
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
