//! The machine-readable catalog: every post-mortem with every field, in the archive's order
//! (newest first, ties by id), times as RFC 3339 with their written offset.
//!
//! The site's `/postmortems.json` leaves out the bodies (the sections and the timeline rows),
//! which its pages and search index already hold: with them the file grew to 148 MB at 10,000
//! post-mortems. `blameless export` prints the complete catalog, bodies included.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::page_url;
use crate::archive::Archive;
use crate::postmortem::{ActionKind, ActionStatus, Detection, PostMortem, Priority};

/// The catalog document. Its entries are made as they are written, so that the catalog is
/// never held whole beside its text (at 50,000 post-mortems that copy took the build's
/// memory about 170 MB higher).
#[derive(Clone, Copy, Serialize)]
struct Catalog<'a> {
    /// The archive's title.
    title: &'a str,
    /// The site's base URL.
    base_url: &'a str,
    /// Every post-mortem.
    postmortems: Entries<'a>,
}

/// Every post-mortem of an archive as catalog entries, in the archive's order.
#[derive(Clone, Copy)]
struct Entries<'a> {
    archive: &'a Archive,
    contents: Contents,
}

impl Serialize for Entries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Entries { archive, contents } = *self;
        serializer.collect_seq((archive.postmortems.iter()).map(|pm| entry(pm, archive, contents)))
    }
}

/// One post-mortem, every field.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// The id: file stem or bundle directory name.
    pub id: String,
    /// The absolute URL of its page.
    pub url: String,
    /// The source file, relative to the archive root.
    pub path: String,
    /// The title.
    pub title: String,
    /// The severity's canonical name.
    pub severity: String,
    /// Position on the severity scale: 0 is the most severe.
    pub severity_rank: usize,
    /// The status name: Draft, In Review, Reviewed or Closed.
    pub status: String,
    /// When impact began (RFC 3339).
    pub started: String,
    /// When the incident was noticed.
    pub detected: Option<String>,
    /// When impact was mitigated.
    pub mitigated: Option<String>,
    /// When the incident was resolved.
    pub resolved: Option<String>,
    /// The IANA zone for display.
    pub timezone: String,
    /// One sentence for lists and emails.
    pub summary: String,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The services involved.
    pub services: Vec<String>,
    /// Causes from the archive's vocabulary.
    pub causes: Vec<String>,
    /// How the incident was noticed.
    pub detection: Option<Detection>,
    /// Whether customers were affected.
    pub customer_impact: bool,
    /// Whether it was a full outage.
    pub full_outage: bool,
    /// The author responsible for the post-mortem.
    pub owner: Option<String>,
    /// Who led the response.
    pub incident_commander: Option<String>,
    /// Who shadowed the incident commander.
    pub commander_shadow: Option<String>,
    /// Who took notes.
    pub scribe: Option<String>,
    /// Who else responded.
    pub responders: Vec<String>,
    /// Ids of related post-mortems.
    pub related: Vec<String>,
    /// When support posted the external message.
    pub external_message_posted: Option<String>,
    /// The review meeting.
    pub meeting: Option<Meeting>,
    /// Named links: chat channel, dashboards, recordings.
    pub links: BTreeMap<String, String>,
    /// Follow-up actions.
    pub actions: Vec<Action>,
    /// The parsed timeline rows (in the complete export only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
    /// The body, section by section (in the complete export only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<Section>>,
}

/// How much of each post-mortem a catalog holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// Every field but the bodies: the site's `/postmortems.json`.
    Fields,
    /// Every field and the bodies: `blameless export`.
    Complete,
}

/// The `[meeting]` table.
#[derive(Clone, Debug, Serialize)]
pub struct Meeting {
    /// When it took (or takes) place.
    pub at: Option<String>,
    /// Who attended.
    pub attendees: Vec<String>,
    /// Link to the recording.
    pub recording: Option<String>,
}

/// One `[[actions]]` entry.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    /// What is to be done.
    pub title: String,
    /// Who does it.
    pub owner: Option<String>,
    /// `P0` to `P3`.
    pub priority: Option<Priority>,
    /// prevent, mitigate, detect, process or other.
    pub kind: Option<ActionKind>,
    /// A tracker key or URL.
    pub ticket: Option<String>,
    /// When it is due, `YYYY-MM-DD`.
    pub due: Option<String>,
    /// open, done or wontfix.
    pub status: ActionStatus,
    /// When it was done, `YYYY-MM-DD`.
    pub done: Option<String>,
}

/// One parsed timeline row.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    /// When, if the time could be read (RFC 3339).
    pub time: Option<String>,
    /// The time as written.
    pub time_text: String,
    /// What happened, as Markdown.
    pub event: String,
    /// The links of the row.
    pub evidence: Vec<String>,
}

/// One body section, as Markdown.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// The heading as written; empty for text before the first heading.
    pub heading: String,
    /// The well-known section it is, by its canonical heading.
    pub kind: Option<String>,
    /// The Markdown under the heading.
    pub markdown: String,
}

fn time(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339()
}

/// The catalog entry of one post-mortem.
pub fn entry(pm: &PostMortem, archive: &Archive, contents: Contents) -> Entry {
    let complete = contents == Contents::Complete;
    Entry {
        id: pm.id.clone(),
        url: page_url(&archive.config, &pm.id),
        path: crate::diagnostic::display_path(&pm.path),
        title: pm.title.clone(),
        severity: pm.severity.name.clone(),
        severity_rank: pm.severity.rank,
        status: pm.status.name().into(),
        started: time(pm.started),
        detected: pm.detected.map(time),
        mitigated: pm.mitigated.map(time),
        resolved: pm.resolved.map(time),
        timezone: pm.timezone.name().into(),
        summary: pm.summary.clone(),
        tags: pm.tags.clone(),
        services: pm.services.clone(),
        causes: pm.causes.clone(),
        detection: pm.detection,
        customer_impact: pm.customer_impact,
        full_outage: pm.full_outage,
        owner: pm.owner.clone(),
        incident_commander: pm.incident_commander.clone(),
        commander_shadow: pm.commander_shadow.clone(),
        scribe: pm.scribe.clone(),
        responders: pm.responders.clone(),
        related: pm.related.clone(),
        external_message_posted: pm.external_message_posted.map(time),
        meeting: pm.meeting.as_ref().map(|m| Meeting {
            at: m.at.map(time),
            attendees: m.attendees.clone(),
            recording: m.recording.clone(),
        }),
        links: pm.links.clone(),
        actions: pm
            .actions
            .iter()
            .map(|a| Action {
                title: a.title.clone(),
                owner: a.owner.clone(),
                priority: a.priority,
                kind: a.kind,
                ticket: a.ticket.clone(),
                due: a.due.map(|d| d.to_string()),
                status: a.status,
                done: a.done.map(|d| d.to_string()),
            })
            .collect(),
        timeline: complete.then(|| {
            pm.timeline
                .entries
                .iter()
                .map(|e| TimelineEntry {
                    time: e.time.map(time),
                    time_text: e.time_text.clone(),
                    event: e.event.clone(),
                    evidence: e.evidence.clone(),
                })
                .collect()
        }),
        sections: complete.then(|| {
            pm.sections
                .iter()
                .map(|s| Section {
                    heading: s.heading.clone(),
                    kind: s.kind.map(|k| k.heading().to_string()),
                    markdown: s.markdown().to_string(),
                })
                .collect()
        }),
    }
}

/// The catalog as JSON, ending in a newline: pretty-printed when complete (`blameless export`,
/// read by people too), compact for the site, where its size is what counts.
pub fn json(archive: &Archive, contents: Contents) -> String {
    let catalog = Catalog {
        title: &archive.config.title,
        base_url: &archive.config.base_url,
        postmortems: Entries { archive, contents },
    };
    let mut out = match contents {
        Contents::Complete => serde_json::to_string_pretty(&catalog),
        Contents::Fields => serde_json::to_string(&catalog),
    }
    .unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;

    #[test]
    fn catalog_parses_back_with_every_field() {
        let archive = fixtures::archive();
        let text = json(&archive, Contents::Complete);
        assert_eq!(text, json(&archive, Contents::Complete));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ids: Vec<&str> = value["postmortems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "2024-03-25-cdn-purge",
                "2024-03-20-search-slow",
                "2024-03-12-checkout-failover"
            ]
        );
        let full = &value["postmortems"][2];
        let mut keys: Vec<&str> = full
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        insta::assert_snapshot!(keys.join(" "), @"actions causes commander_shadow customer_impact detected detection external_message_posted full_outage id incident_commander links meeting mitigated owner path related resolved responders scribe sections services severity severity_rank started status summary tags timeline timezone title url");
        assert_eq!(full["started"], "2024-03-12T09:41:00+01:00");
        assert_eq!(full["meeting"]["at"], "2024-03-14T15:00:00+01:00");
        assert_eq!(full["actions"][1]["due"], "2024-03-29");
        assert_eq!(full["timeline"][1]["time"], "2024-03-12T10:20:00+01:00");
        assert_eq!(full["sections"][0]["kind"], "Summary");
    }

    #[test]
    fn the_site_catalog_has_every_field_but_the_bodies() {
        let archive = fixtures::archive();
        let fields: serde_json::Value =
            serde_json::from_str(&json(&archive, Contents::Fields)).unwrap();
        let complete: serde_json::Value =
            serde_json::from_str(&json(&archive, Contents::Complete)).unwrap();
        let mut expected = complete.clone();
        for pm in expected["postmortems"].as_array_mut().unwrap() {
            let pm = pm.as_object_mut().unwrap();
            assert!(pm.remove("sections").is_some() && pm.remove("timeline").is_some());
        }
        assert_eq!(fields, expected);
        assert!(
            json(&archive, Contents::Fields).len() * 2 < json(&archive, Contents::Complete).len()
        );
    }
}
