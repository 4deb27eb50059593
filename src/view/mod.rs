//! Views: what the templates see. Each page's values are built here from the model, so that
//! templates never reach into `PostMortem` and the model can change without them.

mod insights;
mod teams;

pub use insights::{facet_insights, insights_view};
pub use teams::{teams, TeamView};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset};
use chrono_tz::Tz;
use serde::Serialize;

use crate::archive::Archive;
use crate::artifacts;
use crate::calendar::duration;
use crate::config::Config;
use crate::diagnostic::display_path;
use crate::insights::{Analysis, Reason, Repeat};
use crate::markdown::{self, is_web_url, ticket_url, LinkTarget, Rewriter};
use crate::postmortem::{PostMortem, SectionKind, Severity, Status};
use crate::rules;
use crate::slug::slugify;
use crate::timeline::Entry;

/// The site-wide values every page sees.
#[derive(Serialize)]
pub struct SiteView<'a> {
    /// The site's title.
    pub title: &'a str,
    /// The absolute URL of the site.
    pub base_url: &'a str,
    /// Whether the site has team pages (the archive has a directory).
    pub teams: bool,
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

/// A person as the pages show them: the name, which links to a search for the post-mortems
/// that name them (and to nothing more: the archive is blameless), and their team when the
/// directory knows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PersonView {
    /// The name, as resolved through the directory or as written.
    pub name: String,
    /// The search for their post-mortems, relative to the site's root.
    pub search: String,
    /// Their team, whose page is `/teams/<slug>/`.
    pub team: Option<Term>,
}

/// The view of the person written as `name`.
pub fn person_view(name: &str, config: &Config) -> PersonView {
    let searched = crate::directory::Written::parse(name).name;
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &format!("people:\"{}\"", searched.replace('"', "")))
        .finish();
    PersonView {
        name: name.to_string(),
        search: format!("search/?{query}"),
        team: config
            .directory
            .as_deref()
            .and_then(|d| d.team_of(name))
            .map(|t| Term::new(&t.name)),
    }
}

/// How many severity colours the theme's palette has: `--sev0` (the most severe) to `--sev5`.
pub const SEVERITY_COLOURS: usize = 6;

/// A severity as every template shows it: the one view of a severity, so that any scale
/// (`SEV-1`…, `P0`…, `Critical`…) gets a slug, a colour and its meaning the same way.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SeverityView {
    /// The canonical name, such as `SEV-1`.
    pub name: String,
    /// URL-safe form, for the facet page's path.
    pub slug: String,
    /// Position in the scale: 0 is the most severe.
    pub rank: usize,
    /// The theme's colour (`sev-c0` … `sev-c5`): the rank, clamped to the palette.
    pub colour: usize,
    /// What the severity means, from the scale; may be empty.
    pub description: String,
}

impl SeverityView {
    /// The view of `severity` on the scale of `config`.
    pub fn new(severity: &Severity, config: &Config) -> SeverityView {
        SeverityView {
            name: severity.name.clone(),
            slug: severity.slug(),
            rank: severity.rank,
            colour: severity.rank.min(SEVERITY_COLOURS - 1),
            description: config
                .severities
                .get(severity.rank)
                .map(|s| s.description.clone())
                .unwrap_or_default(),
        }
    }
}

/// Every step of the scale by name, for templates whose rows carry only the severity's name
/// (the action list, the digest).
pub fn severities(config: &Config) -> BTreeMap<String, SeverityView> {
    config
        .severities
        .iter()
        .enumerate()
        .map(|(rank, spec)| {
            let severity = Severity {
                name: spec.name.clone(),
                rank,
            };
            (spec.name.clone(), SeverityView::new(&severity, config))
        })
        .collect()
}

/// A post-mortem as a row in a list.
#[derive(Clone, Debug, Serialize)]
pub struct Card {
    id: String,
    title: String,
    severity: SeverityView,
    status: Term,
    date: String,
    year: i32,
    started: String,
    summary: String,
    services: Vec<Term>,
    tags: Vec<Term>,
    causes: Vec<Term>,
    duration: Option<String>,
}

/// One value of a facet with its count.
#[derive(Clone, Debug, Serialize)]
pub struct FacetValue {
    /// The value as written.
    pub name: String,
    /// URL-safe form of the value.
    pub slug: String,
    count: usize,
    /// The severity, on the severity facet only.
    severity: Option<SeverityView>,
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

/// How many items each list of the home page's "Needs attention" shows; the rest are counted.
pub const ATTENTION_LIMIT: usize = 10;

/// What needs attention, for the home page: the first [`ATTENTION_LIMIT`] items of each list,
/// most overdue first, and how many more there are.
#[derive(Serialize)]
pub struct Attention {
    overdue_reviews: Vec<AttentionItem>,
    overdue_reviews_more: usize,
    unposted_messages: Vec<AttentionItem>,
    unposted_messages_more: usize,
    overdue_actions: Vec<AttentionItem>,
    overdue_actions_more: usize,
}

#[derive(Serialize)]
struct AttentionItem {
    id: String,
    title: String,
    severity: SeverityView,
    detail: String,
}

/// The overdue reviews, unposted messages and overdue actions of the archive.
pub fn attention(archive: &Archive) -> Attention {
    let pms = &archive.postmortems;
    let item = |pm: &PostMortem, detail: String| AttentionItem {
        id: pm.id.clone(),
        title: pm.title.clone(),
        severity: SeverityView::new(&pm.severity, &archive.config),
        detail,
    };
    // why: a large archive's backlog made the home page megabytes long; it shows the worst
    // and counts the rest, and the digest and `/actions/` have the whole lists.
    let reviews = rules::overdue_reviews(pms, &archive.config, archive.now);
    let messages = rules::unposted_messages(pms, &archive.config);
    let actions = rules::overdue_actions(pms, archive.now);
    Attention {
        overdue_reviews_more: reviews.len().saturating_sub(ATTENTION_LIMIT),
        unposted_messages_more: messages.len().saturating_sub(ATTENTION_LIMIT),
        overdue_actions_more: actions.len().saturating_sub(ATTENTION_LIMIT),
        overdue_reviews: reviews
            .into_iter()
            .take(ATTENTION_LIMIT)
            .map(|r| item(r.postmortem, r.detail()))
            .collect(),
        unposted_messages: messages
            .into_iter()
            .take(ATTENTION_LIMIT)
            .map(|pm| item(pm, "external message not posted".into()))
            .collect(),
        overdue_actions: actions
            .into_iter()
            .take(ATTENTION_LIMIT)
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
                                severity: (*key == "severity")
                                    .then(|| SeverityView::new(&pm.severity, &archive.config)),
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
pub fn card(pm: &PostMortem, config: &Config) -> Card {
    Card {
        id: pm.id.clone(),
        title: pm.title.clone(),
        severity: SeverityView::new(&pm.severity, config),
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
        causes: pm.causes.iter().map(|c| Term::new(c)).collect(),
        duration: pm.resolved.map(|r| duration(r - pm.started)),
    }
}

fn local(time: DateTime<FixedOffset>, zone: Tz) -> DateTime<Tz> {
    time.with_timezone(&zone)
}

/// Everything the post-mortem page shows.
#[derive(Serialize)]
pub struct PostMortemView {
    #[serde(flatten)]
    card: Card,
    zone: String,
    times: Vec<KeyTime>,
    phases: Vec<PhaseView>,
    detection: Option<String>,
    customer_impact: bool,
    full_outage: bool,
    people: Vec<(String, PersonView)>,
    responders: Vec<PersonView>,
    sections: Vec<SectionView>,
    actions: Vec<ActionView>,
    related: Vec<RelatedView>,
    repeats: Vec<RepeatView>,
    more_repeats: usize,
    repeated_by: Vec<RepeatView>,
    more_repeated_by: usize,
    links: Vec<(String, String)>,
    meeting: Option<MeetingView>,
    source: String,
    process: rules::Process,
    external_message: Option<String>,
    message_posted: Option<String>,
    has_invite: bool,
}

/// A related post-mortem as a page lists it, with why.
#[derive(Serialize)]
pub struct RelatedView {
    pm: Card,
    /// "linked by hand", "same service `checkout-api`, similar text".
    reasons: String,
}

/// A repeat incident as a page shows it: the other incident, and the actions left open.
#[derive(Serialize)]
pub struct RepeatView {
    /// The other incident (the earlier on the later's page, and the other way round).
    pm: Card,
    /// "OPS-123, open for 94 days".
    actions: String,
    /// "same service `checkout`, similar text".
    reasons: String,
}

/// How many repeats a page shows each way, the most recent; the rest are counted.
// why: where a prevent action stays open for years, every later incident of its service
// repeats it, and a page listing them all would grow with the archive.
const REPEATS_SHOWN: usize = 5;

/// Reasons as a page shows them: "same service checkout-api, similar text". The backticks
/// that set names apart in the terminal and in JSON would show as such in HTML.
fn reasons(reasons: &[String]) -> String {
    reasons.join(", ").replace('`', "")
}

fn repeat_view(repeat: &Repeat, other: usize, archive: &Archive) -> RepeatView {
    RepeatView {
        pm: card(&archive.postmortems[other], &archive.config),
        actions: repeat.describe_actions(),
        reasons: reasons(&repeat.reasons()),
    }
}

/// The key times of an incident, in the order they happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Milestone {
    Started,
    Detected,
    Mitigated,
    Resolved,
}

impl Milestone {
    /// The front-matter field, also the CSS class.
    fn key(self) -> &'static str {
        match self {
            Milestone::Started => "started",
            Milestone::Detected => "detected",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }

    /// The name of the key time.
    fn label(self) -> &'static str {
        match self {
            Milestone::Started => "Started",
            Milestone::Detected => "Detected",
            Milestone::Mitigated => "Mitigated",
            Milestone::Resolved => "Resolved",
        }
    }

    /// The pin on the timeline row that records it.
    fn pin(self) -> &'static str {
        match self {
            Milestone::Started => "Impact started",
            other => other.label(),
        }
    }

    /// The phase of the incident that ends here.
    fn phase(self) -> &'static str {
        match self {
            Milestone::Started => "Impact",
            Milestone::Detected => "Detection",
            Milestone::Mitigated => "Mitigation",
            Milestone::Resolved => "Resolution",
        }
    }
}

/// The milestones the front matter has, in order.
fn milestones(pm: &PostMortem) -> Vec<(Milestone, DateTime<FixedOffset>)> {
    [
        (Milestone::Started, Some(pm.started)),
        (Milestone::Detected, pm.detected),
        (Milestone::Mitigated, pm.mitigated),
        (Milestone::Resolved, pm.resolved),
    ]
    .into_iter()
    .filter_map(|(m, t)| t.map(|t| (m, t)))
    .collect()
}

#[derive(Serialize)]
struct KeyTime {
    label: &'static str,
    key: &'static str,
    /// Date, time and zone.
    display: String,
    /// The time and zone alone when it is on the day impact started.
    short: String,
    iso: String,
    /// How long after the start of impact: "5 min".
    after: Option<String>,
}

/// One phase of the incident, between two milestones, for the phase bar.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct PhaseView {
    /// "Detection": the phase is named for the milestone it ends at.
    name: &'static str,
    /// That milestone, as a CSS class: `detected`, `mitigated` or `resolved`.
    ends: &'static str,
    from: String,
    to: String,
    duration: String,
    /// Its share of the whole incident in percent with one decimal, for the bar's width;
    /// the shares add up to exactly 100.
    width: String,
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

#[derive(Debug, Serialize)]
struct EntryView {
    date: Option<String>,
    time: String,
    iso: Option<String>,
    offset: Option<String>,
    /// The time was written as approximate (`~09:41`, `09:41~`).
    approximate: bool,
    html: String,
    evidence: usize,
    unparsed: bool,
    /// The milestones this row records.
    milestones: Vec<MilestoneView>,
    /// A row the timeline lacks, put in for a milestone of the front matter.
    inserted: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
struct MilestoneView {
    key: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct ActionView {
    title: String,
    owner: Option<PersonView>,
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
    attendees: Vec<PersonView>,
    recording: Option<String>,
    /// How many times it was moved.
    moved: usize,
    /// Where it takes place: the post-mortem's `[meeting] location`, else the archive's.
    location: Option<String>,
    /// Whether the location is a web link (a call) rather than a room.
    location_url: bool,
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

/// Everything the post-mortem page shows: the view of the post-mortem at `index`.
pub fn postmortem_view(index: usize, archive: &Archive, analysis: &Analysis) -> PostMortemView {
    let pm = &archive.postmortems[index];
    let zone = pm.timezone;
    let show = |t: DateTime<FixedOffset>| local(t, zone).format("%Y-%m-%d %H:%M %Z").to_string();
    let times = milestones(pm)
        .into_iter()
        .map(|(milestone, t)| KeyTime {
            label: milestone.label(),
            key: milestone.key(),
            display: show(t),
            short: short_time(pm, t, "%H:%M %Z"),
            iso: t.to_rfc3339(),
            after: (milestone != Milestone::Started).then(|| duration(t - pm.started)),
        })
        .collect();
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
                anchor: s.anchor(),
                heading,
                kind: s.kind.map(|k| slugify(k.heading())),
                html: if is_timeline {
                    String::new()
                } else {
                    markdown::to_html(s.markdown(), &rewrite)
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
        ("Commander's shadow", &pm.commander_shadow),
        ("Scribe", &pm.scribe),
    ] {
        if let Some(p) = person {
            people.push((role.to_string(), person_view(p, &archive.config)));
        }
    }
    let config = &archive.config;
    PostMortemView {
        card: card(pm, config),
        zone: zone.name().to_string(),
        times,
        phases: phases(pm),
        detection: pm.detection.map(|d| d.name().to_string()),
        customer_impact: pm.customer_impact,
        full_outage: pm.full_outage,
        people,
        responders: pm
            .responders
            .iter()
            .map(|r| person_view(r, config))
            .collect(),
        sections,
        actions: pm
            .actions
            .iter()
            .map(|a| ActionView {
                title: a.title.clone(),
                owner: a.owner.as_deref().map(|o| person_view(o, config)),
                priority: a.priority.map(|p| p.name().to_string()),
                kind: a.kind.map(|k| k.name().to_string()),
                ticket_url: a
                    .ticket
                    .as_deref()
                    .and_then(|t| ticket_url(t, config.ticket_url.as_deref())),
                ticket: a.ticket.clone(),
                due: a.due.map(|d| d.format("%Y-%m-%d").to_string()),
                status: a.status.name().to_string(),
            })
            .collect(),
        related: analysis
            .related(index)
            .iter()
            .map(|r| RelatedView {
                pm: card(&archive.postmortems[r.index], config),
                reasons: reasons(&r.reasons.iter().map(Reason::describe).collect::<Vec<_>>()),
            })
            .collect(),
        repeats: analysis
            .repeats_of(index)
            .iter()
            .take(REPEATS_SHOWN)
            .map(|r| repeat_view(r, r.earlier, archive))
            .collect(),
        more_repeats: analysis
            .repeats_of(index)
            .len()
            .saturating_sub(REPEATS_SHOWN),
        repeated_by: analysis
            .repeated_by(index)
            .take(REPEATS_SHOWN)
            .map(|r| repeat_view(r, r.later, archive))
            .collect(),
        more_repeated_by: analysis
            .repeated_by(index)
            .count()
            .saturating_sub(REPEATS_SHOWN),
        links: pm
            .links
            .iter()
            .filter(|(_, url)| is_web_url(url))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        meeting: pm.meeting.as_ref().map(|m| MeetingView {
            at: m.at.map(show),
            iso: m.at.map(|t| t.to_rfc3339()),
            attendees: m.attendees.iter().map(|a| person_view(a, config)).collect(),
            recording: m.recording.clone().filter(|u| is_web_url(u)),
            moved: m.moved_from.len(),
            location: m.location.clone().or(config.meeting.location.clone()),
            location_url: m
                .location
                .as_deref()
                .or(config.meeting.location.as_deref())
                .is_some_and(is_web_url),
        }),
        source: display_path(&pm.path),
        process: rules::process(pm, config, archive.now),
        external_message: artifacts::message::external_message(pm),
        message_posted: pm.external_message_posted.map(show),
        has_invite: pm.meeting.as_ref().is_some_and(|m| m.at.is_some()),
    }
}

/// `t` in the post-mortem's zone with `format`, preceded by the date when it is not the day
/// impact started.
fn short_time(pm: &PostMortem, t: DateTime<FixedOffset>, format: &str) -> String {
    let (t, start) = (local(t, pm.timezone), local(pm.started, pm.timezone));
    if t.date_naive() == start.date_naive() {
        t.format(format).to_string()
    } else {
        t.format(&format!("%Y-%m-%d {format}")).to_string()
    }
}

/// The phases between the milestones the front matter has, with their share of the whole.
fn phases(pm: &PostMortem) -> Vec<PhaseView> {
    let points = milestones(pm);
    let (Some((_, first)), Some((_, last))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let total = (*last - *first).num_seconds();
    if total <= 0 {
        return Vec::new();
    }
    // why: rounding each share on its own can add up to 99.9 or 100.1; rounding where each
    // phase ends, in tenths of a percent, makes the bar exactly full.
    let edge = |t: DateTime<FixedOffset>| ((t - *first).num_seconds() * 1000 + total / 2) / total;
    points
        .windows(2)
        .map(|pair| {
            let ((_, from), (milestone, to)) = (pair[0], pair[1]);
            let width = edge(to) - edge(from);
            PhaseView {
                name: milestone.phase(),
                ends: milestone.key(),
                from: short_time(pm, from, "%H:%M"),
                to: short_time(pm, to, "%H:%M"),
                duration: duration(to - from),
                width: format!("{}.{}", width / 10, width % 10),
            }
        })
        .collect()
}

/// How long after a milestone a timeline row may be and still be the row that records it.
// why: a detection at 17:02 is recorded by the row "17:03 the alert pages on-call"; a row an
// hour later records something else, so the milestone gets a row of its own.
const MILESTONE_SLACK: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Whether a timeline row's time was written as approximate: `~09:41`, `≈09:41`, `09:41~`.
// why: the timeline parser reads past a leading mark and keeps no flag for it, so the view
// looks at the time as written and at the row's source just before it.
fn is_approximate(pm: &PostMortem, entry: &Entry) -> bool {
    const MARKS: [char; 2] = ['~', '≈'];
    if entry.time_text.contains(MARKS) {
        return true;
    }
    let Some(row) = pm.source.get(entry.span.clone()) else {
        return false;
    };
    let words = entry.time_text.split_whitespace();
    // The date and the time may sit in different cells: look before each.
    let tokens = [
        words.clone().next(),
        words.clone().find(|w| w.contains(':')),
    ];
    tokens.into_iter().flatten().any(|token| {
        row.find(token).is_some_and(|at| {
            row[..at]
                .trim_end_matches([' ', '\t', '*', '_', '`', '['])
                .ends_with(MARKS)
        })
    })
}

/// A row of the timeline as shown: a row of the source, or one put in for a milestone.
enum Row<'a> {
    Source(&'a Entry, Vec<Milestone>),
    Inserted(DateTime<FixedOffset>, Vec<Milestone>),
}

/// The timeline as shown: each row of the source with the milestones it records, a row put in
/// (in time order) for each milestone that no row records, and the date above each new day.
fn timeline_view(pm: &PostMortem, rewrite: &Rewriter) -> Vec<EntryView> {
    let entries = &pm.timeline.entries;
    let mut pins: Vec<Vec<Milestone>> = vec![Vec::new(); entries.len()];
    let mut unrecorded = Vec::new();
    for (milestone, at) in milestones(pm) {
        let row = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.time.map(|t| (t, i)))
            .filter(|(t, _)| *t >= at && *t - at <= MILESTONE_SLACK)
            .min();
        match row {
            Some((_, i)) => pins[i].push(milestone),
            None => unrecorded.push((milestone, at)),
        }
    }
    unrecorded.sort_by_key(|(_, at)| *at);
    let mut unrecorded = unrecorded.into_iter().peekable();
    let mut rows: Vec<Row> = Vec::new();
    let insert =
        |rows: &mut Vec<Row>, (milestone, at): (Milestone, DateTime<FixedOffset>)| match rows
            .last_mut()
        {
            Some(Row::Inserted(t, pins)) if *t == at => pins.push(milestone),
            _ => rows.push(Row::Inserted(at, vec![milestone])),
        };
    for (entry, pins) in entries.iter().zip(pins) {
        if let Some(t) = entry.time {
            while let Some(m) = unrecorded.next_if(|(_, at)| *at < t) {
                insert(&mut rows, m);
            }
        }
        rows.push(Row::Source(entry, pins));
    }
    for m in unrecorded {
        insert(&mut rows, m);
    }

    let offset = |t: DateTime<FixedOffset>| {
        let d = t - pm.started;
        if d < chrono::TimeDelta::zero() {
            format!("−{}", duration(-d))
        } else {
            format!("+{}", duration(d))
        }
    };
    let pinned = |pins: Vec<Milestone>| -> Vec<MilestoneView> {
        pins.into_iter()
            .map(|m| MilestoneView {
                key: m.key(),
                label: m.pin(),
            })
            .collect()
    };
    let mut last_date = None;
    rows.into_iter()
        .map(|row| {
            let time = match &row {
                Row::Source(e, _) => e.time,
                Row::Inserted(t, _) => Some(*t),
            };
            let local_time = time.map(|t| local(t, pm.timezone));
            let date = local_time.map(|t| t.format("%a %Y-%m-%d").to_string());
            let show_date = date.clone().filter(|d| Some(d) != last_date.as_ref());
            if date.is_some() {
                last_date = date;
            }
            let clock = local_time.map(|t| t.format("%H:%M").to_string());
            match row {
                Row::Source(e, pins) => EntryView {
                    date: show_date,
                    time: clock.unwrap_or_else(|| e.time_text.clone()),
                    iso: e.time.map(|t| t.to_rfc3339()),
                    offset: e.time.map(offset),
                    approximate: is_approximate(pm, e),
                    html: markdown::inline_to_html(&e.event, rewrite),
                    evidence: e.evidence.len(),
                    unparsed: e.time.is_none(),
                    milestones: pinned(pins),
                    inserted: false,
                },
                Row::Inserted(t, pins) => EntryView {
                    date: show_date,
                    time: clock.unwrap_or_default(),
                    iso: Some(t.to_rfc3339()),
                    offset: Some(offset(t)),
                    approximate: false,
                    html: String::new(),
                    evidence: 0,
                    unparsed: false,
                    milestones: pinned(pins),
                    inserted: true,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::path::Path;

    /// An archive of one post-mortem, `2024-03-12-a`, read with `config`.
    fn archive_of(config: &str, front: &str, body: &str) -> Archive {
        let config = Config::parse(config, Path::new("blameless.toml")).unwrap();
        let text = format!(
            "+++\ntitle = \"A\"\nseverity = \"SEV-2\"\nstatus = \"Draft\"\nstarted = 2024-03-12T09:41:00Z\n{front}+++\n\n{body}"
        );
        let parsed = crate::testing::parsed("2024-03-12-a", &text, &config);
        let pm = parsed
            .postmortem
            .unwrap_or_else(|| panic!("{:?}", parsed.diagnostics));
        Archive::of_shared(config, vec![pm], Utc::now())
    }

    fn timeline_of(front: &str, rows: &str) -> Vec<EntryView> {
        let archive = archive_of("", front, &format!("## Timeline\n\n{rows}"));
        timeline_view(&archive.postmortems[0], &rewriter())
    }

    fn pins(entry: &EntryView) -> Vec<&str> {
        entry.milestones.iter().map(|m| m.key).collect()
    }

    #[test]
    fn approximate_times_keep_their_mark() {
        let rows = timeline_of(
            "",
            "- ~09:41 UTC paged\n- ≈09:45 UTC acked\n- 09:50 UTC exact, about ~10 users\n\n\
             | Time (UTC) | Event |\n|---|---|\n\
             | 2024-03-12 10:45~ | after |\n\
             | ~2024-03-12 10:50 | before the date |\n\
             | **~10:55** | bold |\n\
             | 11:00 | exact |\n",
        );
        let marked: Vec<(&str, bool)> = rows
            .iter()
            .map(|e| (e.time.as_str(), e.approximate))
            .collect();
        assert_eq!(
            marked,
            [
                ("09:41", true),
                ("09:45", true),
                ("09:50", false),
                ("10:45", true),
                ("10:50", true),
                ("10:55", true),
                ("11:00", false)
            ]
        );
    }

    #[test]
    fn severities_of_any_scale_get_a_colour_and_their_description() {
        let mut config = String::new();
        for n in 0..8 {
            config.push_str(&format!(
                "[[severity]]\nname = \"P{n}\"\ndescription = \"level {n}\"\n"
            ));
        }
        let config = Config::parse(&config, Path::new("blameless.toml")).unwrap();
        let scale = severities(&config);
        let colours: Vec<(usize, usize)> = config
            .severities
            .iter()
            .map(|s| (scale[&s.name].rank, scale[&s.name].colour))
            .collect();
        assert_eq!(
            colours,
            [
                (0, 0),
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (6, 5),
                (7, 5)
            ]
        );
        assert_eq!(scale["P6"].description, "level 6");
        assert_eq!(scale["P6"].slug, "p6");
    }

    #[test]
    fn cards_and_facets_carry_the_severity_view_and_causes() {
        let archive = archive_of(
            "[[severity]]\nname = \"Critical\"\ndescription = \"Everything is down\"\n\
             [[severity]]\nname = \"Major\"\naliases = [\"SEV-2\"]\n",
            "causes = [\"deploy\"]\n",
            "",
        );
        let pm = &archive.postmortems[0];
        let card = card(pm, &archive.config);
        assert_eq!(card.severity.name, "Major");
        assert_eq!((card.severity.rank, card.severity.colour), (1, 1));
        assert_eq!(card.causes, [Term::new("deploy")]);
        let facets = facets(&archive);
        let severity = &facets[0].values[0];
        assert_eq!(severity.severity.as_ref(), Some(&card.severity));
        assert!(facets[1].values[0].severity.is_none());
    }

    #[test]
    fn milestones_pin_the_row_at_or_just_after_them() {
        let rows = timeline_of(
            "detected = 2024-03-12T09:44:00Z\nmitigated = 2024-03-12T10:00:00Z\nresolved = 2024-03-12T10:00:00Z\n",
            "- 09:30 UTC deploy\n- 09:41 UTC errors\n- 09:47 UTC paged\n- 10:00 UTC rolled back\n",
        );
        let pinned: Vec<(&str, Vec<&str>, bool)> = rows
            .iter()
            .map(|e| (e.time.as_str(), pins(e), e.inserted))
            .collect();
        assert_eq!(
            pinned,
            [
                ("09:30", vec![], false),
                ("09:41", vec!["started"], false),
                ("09:47", vec!["detected"], false),
                ("10:00", vec!["mitigated", "resolved"], false),
            ]
        );
    }

    #[test]
    fn milestones_without_a_row_near_them_get_a_row_of_their_own() {
        let rows = timeline_of(
            "detected = 2024-03-12T09:50:00Z\nresolved = 2024-03-13T08:00:00Z\n",
            "- 09:41 UTC errors\n- 11:00 UTC fixed\n",
        );
        let shown: Vec<(Option<&str>, &str, Vec<&str>, bool)> = rows
            .iter()
            .map(|e| (e.date.as_deref(), e.time.as_str(), pins(e), e.inserted))
            .collect();
        assert_eq!(
            shown,
            [
                (Some("Tue 2024-03-12"), "09:41", vec!["started"], false),
                (None, "09:50", vec!["detected"], true),
                (None, "11:00", vec![], false),
                (Some("Wed 2024-03-13"), "08:00", vec!["resolved"], true),
            ]
        );
        assert_eq!(rows[1].offset.as_deref(), Some("+9 min"));
    }

    #[test]
    fn phases_are_in_proportion_and_fill_the_bar() {
        let archive = archive_of(
            "",
            "detected = 2024-03-12T09:42:00Z\nmitigated = 2024-03-12T10:41:00Z\nresolved = 2024-03-12T12:22:00Z\n",
            "",
        );
        let phases = phases(&archive.postmortems[0]);
        let shown: Vec<(&str, &str, &str)> = phases
            .iter()
            .map(|p| (p.name, p.duration.as_str(), p.width.as_str()))
            .collect();
        // 1 + 59 + 101 = 161 minutes: 0.6 %, 36.6 %, 62.7 % when each is rounded alone.
        assert_eq!(
            shown,
            [
                ("Detection", "1 min", "0.6"),
                ("Mitigation", "59 min", "36.7"),
                ("Resolution", "1 h 41 min", "62.7")
            ]
        );
        let tenths: i64 = phases
            .iter()
            .map(|p| p.width.replace('.', "").parse::<i64>().unwrap())
            .sum();
        assert_eq!(tenths, 1000);
        assert_eq!(
            (phases[1].from.as_str(), phases[1].to.as_str()),
            ("09:42", "10:41")
        );
    }

    #[test]
    fn phases_skip_missing_milestones_and_need_an_end() {
        let archive = archive_of("", "mitigated = 2024-03-12T10:41:00Z\n", "");
        let names: Vec<&str> = phases(&archive.postmortems[0])
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Mitigation"]);
        assert!(phases(&archive_of("", "", "").postmortems[0]).is_empty());
    }

    #[test]
    fn rewriter_maps_sources_to_pages_and_neutralises_escapes() {
        let r = rewriter();
        assert_eq!(r.to_html("2024-a.md#impact"), "../2024-a/#impact");
        assert_eq!(r.to_html("graph.png"), "graph.png");
        assert_eq!(r.to_html("../../../etc/passwd"), "#");
        assert_eq!(r.to_html("https://x.example/"), "https://x.example/");
    }
}
