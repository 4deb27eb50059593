//! Views: what the templates see. Each page's values are built here from the model, so that
//! templates never reach into `PostMortem` and the model can change without them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset};
use chrono_tz::Tz;
use serde::Serialize;

use crate::archive::Archive;
use crate::artifacts;
use crate::calendar::duration;
use crate::diagnostic::display_path;
use crate::markdown::{self, LinkTarget, Rewriter};
use crate::markdown::{is_web_url, ticket_url};
use crate::postmortem::{PostMortem, SectionKind, Status};
use crate::rules;
use crate::slug::slugify;

/// The site-wide values every page sees.
#[derive(Serialize)]
pub struct SiteView<'a> {
    /// The site's title.
    pub title: &'a str,
    /// The absolute URL of the site.
    pub base_url: &'a str,
}

/// A linkable value: a tag, a service, a severity…
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Term {
    /// As written.
    pub name: String,
    /// URL-safe form.
    pub slug: String,
}

impl Term {
    fn new(name: &str) -> Term {
        Term {
            name: name.to_string(),
            slug: slugify(name),
        }
    }
}

/// A post-mortem as a row in a list.
#[derive(Clone, Debug, Serialize)]
pub struct Card {
    id: String,
    title: String,
    severity: Term,
    status: Term,
    date: String,
    year: i32,
    started: String,
    summary: String,
    services: Vec<Term>,
    tags: Vec<Term>,
    duration: Option<String>,
}

/// One value of a facet with its count.
#[derive(Clone, Debug, Serialize)]
pub struct FacetValue {
    name: String,
    /// URL-safe form of the value.
    pub slug: String,
    count: usize,
    /// Indexes of the post-mortems with this value, newest first.
    #[serde(skip)]
    pub members: Vec<usize>,
}

/// A facet: its path segment, its title, and its values.
#[derive(Clone, Debug, Serialize)]
pub struct Facet {
    /// Path segment: `tags`, `services`…
    pub key: &'static str,
    /// Human title: "Tags".
    title: &'static str,
    /// Singular: "Tag".
    singular: &'static str,
    /// The values, in display order.
    pub values: Vec<FacetValue>,
}

/// The facets the site has pages for.
const FACETS: &[(&str, &str, &str)] = &[
    ("severity", "Severity", "Severity"),
    ("status", "Status", "Status"),
    ("services", "Services", "Service"),
    ("tags", "Tags", "Tag"),
    ("causes", "Causes", "Cause"),
    ("years", "Years", "Year"),
];

fn facet_names(pm: &PostMortem, key: &str) -> Vec<String> {
    match key {
        "severity" => vec![pm.severity.name.clone()],
        "status" => vec![pm.status.name().to_string()],
        "services" => pm.services.clone(),
        "tags" => pm.tags.clone(),
        "causes" => pm.causes.clone(),
        "years" => vec![pm.started.with_timezone(&pm.timezone).year().to_string()],
        _ => Vec::new(),
    }
}

/// What needs attention, for the home page.
#[derive(Serialize)]
pub struct Attention {
    overdue_reviews: Vec<AttentionItem>,
    unposted_messages: Vec<AttentionItem>,
    overdue_actions: Vec<AttentionItem>,
}

#[derive(Serialize)]
struct AttentionItem {
    id: String,
    title: String,
    severity: Term,
    detail: String,
}

/// The overdue reviews, unposted messages and overdue actions of the archive.
pub fn attention(archive: &Archive) -> Attention {
    let pms = &archive.postmortems;
    let item = |pm: &PostMortem, detail: String| AttentionItem {
        id: pm.id.clone(),
        title: pm.title.clone(),
        severity: Term::new(&pm.severity.name),
        detail,
    };
    Attention {
        overdue_reviews: rules::overdue_reviews(pms, &archive.config, archive.now)
            .into_iter()
            .map(|r| item(r.postmortem, r.detail()))
            .collect(),
        unposted_messages: rules::unposted_messages(pms)
            .into_iter()
            .map(|pm| item(pm, "external message not posted".into()))
            .collect(),
        overdue_actions: rules::overdue_actions(pms, archive.now)
            .into_iter()
            .map(|a| {
                let owner = a.action.owner.as_deref().unwrap_or("no owner");
                item(
                    a.postmortem,
                    format!(
                        "{} ({owner}), {} overdue",
                        a.action.title,
                        days(a.days_overdue)
                    ),
                )
            })
            .collect(),
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// Every facet of the archive with its values, counts and members.
pub fn facets(archive: &Archive) -> Vec<Facet> {
    FACETS
        .iter()
        .map(|(key, title, singular)| {
            let mut by_slug: BTreeMap<String, (usize, FacetValue)> = BTreeMap::new();
            for (index, pm) in archive.postmortems.iter().enumerate() {
                let order = match *key {
                    "severity" => pm.severity.rank,
                    "status" => Status::ALL
                        .iter()
                        .position(|s| *s == pm.status)
                        .unwrap_or(0),
                    _ => 0,
                };
                for name in facet_names(pm, key) {
                    let slug = slugify(&name);
                    let (_, value) = by_slug.entry(slug.clone()).or_insert_with(|| {
                        (
                            order,
                            FacetValue {
                                name,
                                slug,
                                count: 0,
                                members: Vec::new(),
                            },
                        )
                    });
                    // why: a post-mortem that lists the same tag twice is counted once.
                    if value.members.last() != Some(&index) {
                        value.members.push(index);
                        value.count += 1;
                    }
                }
            }
            let mut values: Vec<(usize, FacetValue)> = by_slug.into_values().collect();
            match *key {
                "severity" | "status" => values.sort_by_key(|(order, _)| *order),
                "years" => values.sort_by(|a, b| b.1.name.cmp(&a.1.name)),
                _ => values.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.1.slug.cmp(&b.1.slug))),
            }
            Facet {
                key,
                title,
                singular,
                values: values.into_iter().map(|(_, v)| v).collect(),
            }
        })
        .collect()
}

/// A post-mortem as a row of a list.
pub fn card(pm: &PostMortem) -> Card {
    Card {
        id: pm.id.clone(),
        title: pm.title.clone(),
        severity: Term::new(&pm.severity.name),
        status: Term {
            name: pm.status.name().into(),
            slug: pm.status.slug().into(),
        },
        date: local(pm.started, pm.timezone)
            .format("%Y-%m-%d")
            .to_string(),
        year: local(pm.started, pm.timezone).year(),
        started: pm.started.to_rfc3339(),
        summary: pm.summary.clone(),
        services: pm.services.iter().map(|s| Term::new(s)).collect(),
        tags: pm.tags.iter().map(|t| Term::new(t)).collect(),
        duration: pm.resolved.map(|r| duration(r - pm.started)),
    }
}

fn local(time: DateTime<FixedOffset>, zone: Tz) -> DateTime<Tz> {
    time.with_timezone(&zone)
}

#[derive(Serialize)]
pub struct PostMortemView {
    #[serde(flatten)]
    card: Card,
    zone: String,
    times: Vec<KeyTime>,
    durations: Vec<(String, String)>,
    causes: Vec<Term>,
    detection: Option<String>,
    customer_impact: bool,
    full_outage: bool,
    people: Vec<(String, String)>,
    responders: Vec<String>,
    sections: Vec<SectionView>,
    actions: Vec<ActionView>,
    related: Vec<Card>,
    links: Vec<(String, String)>,
    meeting: Option<MeetingView>,
    source: String,
    process: rules::Process,
    external_message: Option<String>,
    message_posted: Option<String>,
    has_invite: bool,
}

#[derive(Serialize)]
struct KeyTime {
    label: &'static str,
    display: String,
    iso: String,
}

#[derive(Serialize)]
struct SectionView {
    heading: String,
    anchor: String,
    kind: Option<String>,
    html: String,
    timeline: Vec<EntryView>,
    notes_html: String,
}

#[derive(Serialize)]
struct EntryView {
    date: Option<String>,
    time: String,
    iso: Option<String>,
    offset: Option<String>,
    html: String,
    evidence: usize,
    unparsed: bool,
}

#[derive(Serialize)]
struct ActionView {
    title: String,
    owner: Option<String>,
    priority: Option<String>,
    kind: Option<String>,
    ticket: Option<String>,
    ticket_url: Option<String>,
    due: Option<String>,
    status: String,
}

#[derive(Serialize)]
struct MeetingView {
    at: Option<String>,
    iso: Option<String>,
    attendees: Vec<String>,
    recording: Option<String>,
}

/// The link rewriter for one post-mortem's body: sources of other post-mortems become their
/// pages, bundle files stay beside the page, and paths out of the bundle go nowhere.
pub fn rewriter() -> Rewriter {
    Arc::new(|url: &str| match markdown::classify(url) {
        LinkTarget::External => url.to_string(),
        LinkTarget::PostMortem { id, fragment } => format!("../{id}/{fragment}"),
        LinkTarget::File(file) => file,
        LinkTarget::Outside => "#".to_string(),
    })
}

/// Everything the post-mortem page shows.
pub fn postmortem_view(pm: &PostMortem, archive: &Archive) -> PostMortemView {
    let zone = pm.timezone;
    let show = |t: DateTime<FixedOffset>| local(t, zone).format("%Y-%m-%d %H:%M %Z").to_string();
    let mut times = vec![KeyTime {
        label: "Started",
        display: show(pm.started),
        iso: pm.started.to_rfc3339(),
    }];
    let mut durations = Vec::new();
    for (label, time, duration_label) in [
        ("Detected", pm.detected, "Time to detect"),
        ("Mitigated", pm.mitigated, "Time to mitigate"),
        ("Resolved", pm.resolved, "Time to resolve"),
    ] {
        if let Some(t) = time {
            times.push(KeyTime {
                label,
                display: show(t),
                iso: t.to_rfc3339(),
            });
            durations.push((duration_label.to_string(), duration(t - pm.started)));
        }
    }
    let rewrite = rewriter();
    let sections = pm
        .sections
        .iter()
        .map(|s| {
            let is_timeline =
                s.kind == Some(SectionKind::Timeline) && !pm.timeline.entries.is_empty();
            let heading = if s.heading.is_empty() {
                String::new()
            } else {
                s.heading.clone()
            };
            SectionView {
                anchor: match s.kind {
                    Some(kind) => slugify(kind.heading()),
                    None if heading.is_empty() => "introduction".into(),
                    None => slugify(&heading),
                },
                heading,
                kind: s.kind.map(|k| slugify(k.heading())),
                html: if is_timeline {
                    String::new()
                } else {
                    markdown::to_html(&s.markdown, &rewrite)
                },
                timeline: if is_timeline {
                    timeline_view(pm, &rewrite)
                } else {
                    Vec::new()
                },
                notes_html: if is_timeline {
                    markdown::to_html(&pm.timeline.notes, &rewrite)
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let mut people = Vec::new();
    for (role, person) in [
        ("Owner", &pm.owner),
        ("Incident commander", &pm.incident_commander),
        ("Scribe", &pm.scribe),
    ] {
        if let Some(p) = person {
            people.push((role.to_string(), p.clone()));
        }
    }
    PostMortemView {
        card: card(pm),
        zone: zone.name().to_string(),
        times,
        durations,
        causes: pm.causes.iter().map(|c| Term::new(c)).collect(),
        detection: pm.detection.map(|d| d.name().to_string()),
        customer_impact: pm.customer_impact,
        full_outage: pm.full_outage,
        people,
        responders: pm.responders.clone(),
        sections,
        actions: pm
            .actions
            .iter()
            .map(|a| ActionView {
                title: a.title.clone(),
                owner: a.owner.clone(),
                priority: a.priority.map(|p| p.name().to_string()),
                kind: a.kind.map(|k| k.name().to_string()),
                ticket_url: a
                    .ticket
                    .as_deref()
                    .and_then(|t| ticket_url(t, archive.config.ticket_url.as_deref())),
                ticket: a.ticket.clone(),
                due: a.due.map(|d| d.format("%Y-%m-%d").to_string()),
                status: a.status.name().to_string(),
            })
            .collect(),
        related: pm
            .related
            .iter()
            .filter_map(|id| archive.get(id))
            .map(card)
            .collect(),
        links: pm
            .links
            .iter()
            .filter(|(_, url)| is_web_url(url))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        meeting: pm.meeting.as_ref().map(|m| MeetingView {
            at: m.at.map(show),
            iso: m.at.map(|t| t.to_rfc3339()),
            attendees: m.attendees.clone(),
            recording: m.recording.clone().filter(|u| is_web_url(u)),
        }),
        source: display_path(&pm.path),
        process: rules::process(pm, &archive.config, archive.now),
        external_message: artifacts::message::external_message(pm),
        message_posted: pm.external_message_posted.map(show),
        has_invite: pm.meeting.as_ref().is_some_and(|m| m.at.is_some()),
    }
}

fn timeline_view(pm: &PostMortem, rewrite: &Rewriter) -> Vec<EntryView> {
    let mut last_date = None;
    pm.timeline
        .entries
        .iter()
        .map(|e| {
            let local_time = e.time.map(|t| local(t, pm.timezone));
            let date = local_time.map(|t| t.format("%a %Y-%m-%d").to_string());
            let show_date = date.clone().filter(|d| Some(d) != last_date.as_ref());
            if date.is_some() {
                last_date = date;
            }
            EntryView {
                date: show_date,
                time: match local_time {
                    Some(t) => t.format("%H:%M").to_string(),
                    None => e.time_text.clone(),
                },
                iso: e.time.map(|t| t.to_rfc3339()),
                offset: e.time.map(|t| {
                    let d = t - pm.started;
                    if d < chrono::TimeDelta::zero() {
                        format!("−{}", duration(-d))
                    } else {
                        format!("+{}", duration(d))
                    }
                }),
                html: markdown::inline_to_html(&e.event, rewrite),
                evidence: e.evidence.len(),
                unparsed: e.time.is_none(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewriter_maps_sources_to_pages_and_neutralises_escapes() {
        let r = rewriter();
        assert_eq!(r.to_html("2024-a.md#impact"), "../2024-a/#impact");
        assert_eq!(r.to_html("graph.png"), "graph.png");
        assert_eq!(r.to_html("../../../etc/passwd"), "#");
        assert_eq!(r.to_html("https://x.example/"), "https://x.example/");
    }
}
