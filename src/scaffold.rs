//! `blameless new`: a post-mortem source with every section and short hints, ready to fill in.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::postmortem::SectionKind;
use crate::slug::slugify;

/// The file name (without directory) for a new post-mortem: `<date>-<slug>.md`, the title
/// transliterated to ASCII (`Überlast` gives `uberlast`, `東京` gives `dong-jing`).
pub fn file_name(title: &str, started: DateTime<FixedOffset>) -> String {
    let slug: String = slugify(&deunicode::deunicode(title))
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(60)
        .collect();
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "incident" } else { slug };
    format!("{}-{slug}.md", started.format("%Y-%m-%d"))
}

/// Creates `dir/<stem><suffix>`, or `dir/<stem>-2<suffix>` and so on when the name is taken,
/// with `create` (which must fail with `AlreadyExists` rather than replace anything), and returns
/// the path taken with what `create` made. Never overwrites: taking the name and creating the
/// file is one step.
pub fn create_unique<T>(
    dir: &Path,
    stem: &str,
    suffix: &str,
    create: impl Fn(&Path) -> io::Result<T>,
) -> anyhow::Result<(PathBuf, T)> {
    for n in 1..=100 {
        let path = match n {
            1 => dir.join(format!("{stem}{suffix}")),
            n => dir.join(format!("{stem}-{n}{suffix}")),
        };
        match create(&path) {
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            made => {
                return made
                    .map(|made| (path.clone(), made))
                    .with_context(|| format!("cannot create {}", path.display()))
            }
        }
    }
    anyhow::bail!(
        "{} and 99 more like it already exist: choose another name",
        dir.join(format!("{stem}{suffix}")).display()
    )
}

fn hint(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Summary => {
            "What happened, in two or three sentences: the impact, how long, and the fix."
        }
        SectionKind::Impact => {
            "Who was affected and how: customers, requests or orders failed, revenue, data. \
             Give numbers."
        }
        SectionKind::Timeline => {
            "One row per event, with a link to the graph or log that shows it. Times in UTC \
             unless a row says otherwise."
        }
        SectionKind::ContributingFactors => {
            "The conditions in systems and processes that made this possible. Ask why until \
             you reach something the organisation can change; never stop at a person."
        }
        SectionKind::Detection => {
            "How we found out, how long it took, and how we could have known sooner."
        }
        SectionKind::Resolution => "What stopped the impact, and what fixed the cause.",
        SectionKind::WhatWentWell => "Tools, alerts and decisions that helped.",
        SectionKind::WhatWentWrong => "What slowed us down or made things worse.",
        SectionKind::WhereWeGotLucky => "What could have made this much worse, but did not.",
        SectionKind::LessonsLearned => "The key learnings worth sharing with everyone.",
        SectionKind::Questions => "What we still do not know.",
        SectionKind::ExternalMessage => {
            "For the status page, if customers were affected: a summary, what happened, what \
             we are doing about it, and an apology. No names, hosts, tickets or channels, and \
             no \"outage\" unless it was a full outage."
        }
        SectionKind::InternalEmail => "",
    }
}

/// A title as one line of text: control characters and line breaks become spaces, and runs of
/// spaces one, so that the front matter it is written into reads back.
pub fn clean_title(title: &str) -> String {
    title
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of a new Draft post-mortem.
pub fn source(
    title: &str,
    severity: &str,
    started: DateTime<FixedOffset>,
    config: &Config,
) -> String {
    let mut out = String::from("+++\n");
    out.push_str(&format!("title = {}\n", toml_string(title)));
    out.push_str(&format!("severity = {}\n", toml_string(severity)));
    out.push_str("status = \"Draft\"\n");
    out.push_str(&format!("started = {}\n", started.to_rfc3339()));
    out.push_str("# detected = \n# mitigated = \n# resolved = \n");
    out.push_str("owner = \"\"\nincident_commander = \"\"\nscribe = \"\"\nresponders = []\n");
    out.push_str("summary = \"\"\ntags = []\nservices = []\n");
    out.push_str(&format!(
        "causes = []   # from: {}\n",
        config.causes.join(", ")
    ));
    out.push_str("detection = \"monitoring\"   # monitoring | alert | customer-report | internal-report | other\n");
    out.push_str("customer_impact = false\nfull_outage = false\nrelated = []\n");
    out.push_str("\n# [meeting]\n# at = \n# attendees = []\n");
    out.push_str("\n# [[actions]]\n# title = \"\"\n# owner = \"\"\n# priority = \"P2\"   # P0 | P1 | P2 | P3\n# kind = \"prevent\"   # prevent | mitigate | detect | process | other\n# ticket = \"\"\n# due = 2024-01-31\n# status = \"open\"   # open | done | wontfix\n");
    out.push_str("+++\n");
    for (kind, heading, _) in SectionKind::TABLE {
        if *kind == SectionKind::InternalEmail {
            continue;
        }
        out.push_str(&format!("\n## {heading}\n\n<!-- {} -->\n", hint(*kind)));
        if *kind == SectionKind::Timeline {
            out.push_str(&format!(
                "\n| Time (UTC) | Event |\n| --- | --- |\n| {} | Impact begins |\n",
                started.naive_utc().format("%Y-%m-%d %H:%M")
            ));
        }
    }
    out
}

/// `text` as a TOML basic string, quoted and escaped.
pub(crate) fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2024-03-12T09:41:00+01:00").unwrap()
    }

    #[test]
    fn names_the_file_after_the_date_and_title() {
        assert_eq!(
            file_name("Checkout errors: \"Postgres\" failover!", started()),
            "2024-03-12-checkout-errors-postgres-failover.md"
        );
        assert_eq!(file_name("???", started()), "2024-03-12-incident.md");
    }

    #[test]
    fn non_latin_titles_are_transliterated() {
        assert_eq!(
            file_name("Überlast im Zahlungsdienst", started()),
            "2024-03-12-uberlast-im-zahlungsdienst.md"
        );
        assert_eq!(
            file_name("東京 DC 停電", started()),
            "2024-03-12-dong-jing-dc-ting-dian.md"
        );
        assert_eq!(
            file_name("Café crème", started()),
            "2024-03-12-cafe-creme.md"
        );
    }

    #[test]
    fn a_title_with_line_breaks_and_delimiters_reads_back() {
        let title = clean_title("Disk full\n+++\nstatus = \"Done\"\r\u{1b}[31m red");
        assert_eq!(title, "Disk full +++ status = \"Done\" [31m red");
        let text = source(&title, "SEV-2", started(), &Config::default());
        let parsed = crate::testing::parsed("2024-03-12-a", &text, &Config::default());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.postmortem.unwrap().title, title);
    }

    #[test]
    fn the_scaffold_is_a_clean_draft_with_every_section() {
        let config = Config::default();
        let text = source("A \"quoted\" title", "SEV-2", started(), &config);
        let parsed = crate::testing::parsed("2024-03-12-a", &text, &config);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let pm = parsed.postmortem.unwrap();
        assert_eq!(pm.title, "A \"quoted\" title");
        assert_eq!(pm.sections.len(), SectionKind::TABLE.len() - 1);
        assert_eq!(pm.timeline.entries.len(), 1);
    }

    #[test]
    fn the_hints_pass_every_rule_and_a_hint_alone_is_not_a_written_section() {
        let config = Config::default();
        let text = source("Checkout errors", "SEV-2", started(), &config)
            .replace("status = \"Draft\"", "status = \"In Review\"")
            .replace("customer_impact = false", "customer_impact = true");
        let parsed = crate::testing::parsed("2024-03-12-a", &text, &config);
        let pm = parsed.postmortem.unwrap();
        let now = "2024-03-13T00:00:00Z".parse().unwrap();
        let found = crate::rules::check(&pm, &config, now, &[]);
        let mut codes: Vec<&str> = found.iter().map(|d| d.code.name()).collect();
        codes.dedup();
        assert_eq!(
            codes,
            [
                "missing-resolved",
                "missing-actions",
                "missing-owner",
                "missing-section"
            ],
            "{found:?}"
        );
        let empty: Vec<&str> = found
            .iter()
            .filter(|d| d.message.ends_with("section is empty"))
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            empty,
            [
                "the `## Summary` section is empty",
                "the `## Impact` section is empty",
                "the `## Contributing factors` section is empty",
                "the `## Resolution` section is empty",
                "the `## External message` section is empty"
            ]
        );
    }
}
