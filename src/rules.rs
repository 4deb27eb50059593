//! Rules: the post-mortem process rules of the design (owner, sections, actions, the review
//! meeting and its deadline, tickets, the external message, blame language) for one validated
//! post-mortem, and the process view the site and the digest build on.
//!
//! Runs after `validate`, on each `PostMortem`, as a pure function of the post-mortem, the
//! configuration and the injected "now". Diagnostics come out at their codes' default levels;
//! the pipeline applies `blameless.toml [rules]` afterwards, as for every other code. A Draft is
//! exempt from every process rule.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Serialize, Serializer};

use crate::calendar;
use crate::config::{Config, Deadline};
use crate::diagnostic::{Code, Diagnostic};
use crate::postmortem::{Action, PostMortem, SectionKind, Status};

/// Sections every post-mortem needs from "In Review" on.
pub const REQUIRED_SECTIONS: &[SectionKind] = &[
    SectionKind::Summary,
    SectionKind::Impact,
    SectionKind::Timeline,
    SectionKind::ContributingFactors,
    SectionKind::Resolution,
];

/// Every process rule for one post-mortem, at the codes' default levels, in no particular order.
///
/// A Draft gets none. `now` decides whether a review meeting is overdue.
pub fn check(pm: &PostMortem, config: &Config, now: DateTime<Utc>) -> Vec<Diagnostic> {
    if pm.status == Status::Draft {
        return Vec::new();
    }
    let mut out = Vec::new();
    check_fields(pm, &mut out);
    check_sections(pm, &mut out);
    check_meeting(pm, config, now, &mut out);
    if pm.status == Status::Closed {
        check_closing(pm, &mut out);
    }
    check_external_message(pm, config, &mut out);
    check_blame(pm, config, &mut out);
    out
}

fn place(pm: &PostMortem, diagnostic: Diagnostic, span: Range<usize>) -> Diagnostic {
    pm.place(diagnostic, span)
}

/// The span of the front matter's opening `+++`, where absent keys are reported.
const FRONT_MATTER: Range<usize> = 0..3;

/// A TOML datetime as it would be written in front matter.
fn toml_time(t: DateTime<FixedOffset>) -> String {
    let t = t.with_nanosecond(0).unwrap_or(t);
    if t.offset().local_minus_utc() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

fn check_fields(pm: &PostMortem, out: &mut Vec<Diagnostic>) {
    if pm.resolved.is_none() {
        let example = toml_time(pm.mitigated.unwrap_or(pm.started));
        out.push(place(
            pm,
            Diagnostic::new(
                Code::MissingResolved,
                "missing `resolved`, required from `In Review` on",
            )
            .label("in this front matter")
            .help(format!(
                "add `resolved = {example}` with the time the incident was over (impact ended \
                 and no more work was needed to keep it so)"
            )),
            FRONT_MATTER,
        ));
    }
    if pm.owner.is_none() {
        let span = pm.field_span("owner");
        out.push(place(
            pm,
            Diagnostic::new(
                Code::MissingOwner,
                "missing `owner`, required from `In Review` on",
            )
            .label(if span == FRONT_MATTER {
                "in this front matter"
            } else {
                "empty"
            })
            .help(
                "add `owner = \"Full Name\"`: the person who writes the post-mortem and sees its \
                 actions through",
            ),
            span,
        ));
    }
    if pm.actions.is_empty() {
        out.push(place(
            pm,
            Diagnostic::new(
                Code::MissingActions,
                "no follow-up actions, required from `In Review` on",
            )
            .label("in this front matter")
            .help(
                "add at least one action at the end of the front matter:\n[[actions]]\ntitle = \
                 \"Alert when replication lag exceeds 30 s\"\nowner = \"Full Name\"\npriority = \
                 \"P2\"\nkind = \"detect\"\nticket = \"OPS-1234\"\ndue = 2024-04-15",
            ),
            FRONT_MATTER,
        ));
    }
}

/// Whether the post-mortem has a section of `kind` with something in it.
pub fn has_section(pm: &PostMortem, kind: SectionKind) -> bool {
    pm.sections
        .iter()
        .any(|s| s.kind == Some(kind) && !s.is_empty())
}

/// The sections the rules expect of this post-mortem from "In Review" on.
pub fn expected_sections(pm: &PostMortem) -> Vec<SectionKind> {
    let mut kinds = REQUIRED_SECTIONS.to_vec();
    if pm.customer_impact {
        kinds.push(SectionKind::ExternalMessage);
    }
    kinds
}

fn section_help(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Summary => "two or three sentences: what happened, to whom, for how long, and what ended it",
        SectionKind::Impact => "who was affected and how: customers, orders, revenue, internal teams, for how long",
        SectionKind::Timeline => "a table of `| Time | Event |` rows from the first sign to the resolution, with a graph or log link behind each row",
        SectionKind::ContributingFactors => "the conditions that made the incident possible or worse, without blaming people",
        SectionKind::Resolution => "what stopped the impact and what made the fix permanent",
        _ => "",
    }
}

/// The skeleton of an external message, as a Markdown snippet to paste.
pub const EXTERNAL_MESSAGE_SKELETON: &str = "## External message\n\n\
**A short headline customers will recognise**\n\n\
Summary: on <day and date>, between <start> and <end> (<time zone>), <what customers could not \
do>.\n\n\
What happened: <the cause in plain words, without internal names>.\n\n\
What we are doing about it: <the changes that stop it happening again>.\n\n\
We are sorry for the trouble this caused.";

fn check_sections(pm: &PostMortem, out: &mut Vec<Diagnostic>) {
    for kind in expected_sections(pm) {
        let heading = kind.heading();
        if let Some(section) = pm.section(kind) {
            if section.is_empty() {
                let end = pm.source[section.offset..]
                    .find('\n')
                    .map_or(pm.source.len(), |i| section.offset + i);
                out.push(place(
                    pm,
                    Diagnostic::new(
                        Code::MissingSection,
                        format!("the `## {heading}` section is empty"),
                    )
                    .label("nothing under this heading")
                    .help(missing_section_help(kind)),
                    section.offset..end,
                ));
            }
            continue;
        }
        let (span, label) = insertion_point(pm, kind);
        out.push(place(
            pm,
            Diagnostic::new(
                Code::MissingSection,
                format!("missing `## {heading}` section"),
            )
            .label(label)
            .help(missing_section_help(kind)),
            span,
        ));
    }
}

fn missing_section_help(kind: SectionKind) -> String {
    if kind == SectionKind::ExternalMessage {
        return format!(
            "customers were affected (`customer_impact = true`), so support needs a message for \
             the status page; paste and fill in:\n{EXTERNAL_MESSAGE_SKELETON}"
        );
    }
    format!("add `## {}`: {}", kind.heading(), section_help(kind))
}

/// Where a missing section belongs: the heading of the next known section in the usual order,
/// else the last line of the file.
fn insertion_point(pm: &PostMortem, kind: SectionKind) -> (Range<usize>, String) {
    let heading = kind.heading();
    let next = pm
        .sections
        .iter()
        .filter(|s| s.kind.is_some_and(|k| k > kind))
        .min_by_key(|s| s.offset);
    if let Some(next) = next {
        let end = pm.source[next.offset..]
            .find('\n')
            .map_or(pm.source.len(), |i| next.offset + i);
        return (
            next.offset..end,
            format!("add `## {heading}` before this heading"),
        );
    }
    let text = pm.source.trim_end();
    let start = text.rfind('\n').map_or(0, |i| i + 1);
    (
        start..text.len(),
        format!("add `## {heading}` after this line"),
    )
}

/// Where a post-mortem stands with its review meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeetingState {
    /// The severity has no meeting deadline.
    NotRequired,
    /// No meeting yet and the deadline has not passed (or is not known: no `resolved` yet).
    Pending,
    /// No meeting yet and the deadline has passed.
    Overdue,
    /// The meeting took place (or is scheduled) on or before the deadline.
    Met,
    /// The meeting took place (or is scheduled) after the deadline.
    Late,
    /// "Reviewed" or "Closed" with no `[meeting] at`: held, but when is not recorded.
    Unrecorded,
}

/// The review meeting of one post-mortem against its deadline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeetingStatus {
    /// Where it stands.
    pub state: MeetingState,
    /// The severity's rule, such as "5 business days", when it has one.
    #[serde(serialize_with = "display_opt")]
    pub within: Option<Deadline>,
    /// The last day on which the meeting is on time (needs `resolved`).
    #[serde(serialize_with = "date_opt")]
    pub deadline: Option<NaiveDate>,
    /// The meeting's local date, when one is set.
    #[serde(serialize_with = "date_opt")]
    pub date: Option<NaiveDate>,
    /// Days past the deadline: of the meeting when late, of "now" when overdue; else 0.
    pub days_late: i64,
    /// Whether the meeting's day has come (it is not only scheduled).
    pub held: bool,
}

/// The meeting deadline of `pm`: `None` when its severity has none or it is not resolved yet.
pub fn meeting_deadline(pm: &PostMortem, config: &Config) -> Option<NaiveDate> {
    let within = severity_deadline(pm, config)?;
    let resolved = pm.resolved?;
    Some(calendar::deadline(
        resolved,
        within,
        &config.rules.holidays,
        pm.timezone,
    ))
}

fn severity_deadline(pm: &PostMortem, config: &Config) -> Option<Deadline> {
    config
        .severities
        .get(pm.severity.rank)
        .and_then(|s| s.meeting_within)
}

/// Where the review meeting of `pm` stands at `now`, in the post-mortem's zone.
pub fn meeting_status(pm: &PostMortem, config: &Config, now: DateTime<Utc>) -> MeetingStatus {
    let within = severity_deadline(pm, config);
    let deadline = meeting_deadline(pm, config);
    let at = pm.meeting.as_ref().and_then(|m| m.at);
    let date = at.map(|t| calendar::local_date(&t, pm.timezone));
    let today = calendar::local_date(&now, pm.timezone);
    let (state, days_late) = match within {
        None => (MeetingState::NotRequired, 0),
        Some(_) if date.is_none() && pm.status >= Status::Reviewed => (MeetingState::Unrecorded, 0),
        Some(_) => review_state(deadline, date, today),
    };
    MeetingStatus {
        state,
        within,
        deadline,
        date,
        days_late,
        held: date.is_some_and(|d| d <= today),
    }
}

/// Where a review with a meeting deadline stands on `today`, with the days it is behind: the
/// one decision of lateness that the rules, the page's checklist, the home page and the digest
/// share. A meeting on or before the deadline is met; after it, late (even while it is only
/// scheduled); none yet, overdue once the deadline has passed.
pub fn review_state(
    deadline: Option<NaiveDate>,
    meeting: Option<NaiveDate>,
    today: NaiveDate,
) -> (MeetingState, i64) {
    match (deadline, meeting) {
        (Some(deadline), Some(date)) if date > deadline => {
            (MeetingState::Late, (date - deadline).num_days())
        }
        (_, Some(_)) => (MeetingState::Met, 0),
        (Some(deadline), None) if today > deadline => {
            (MeetingState::Overdue, (today - deadline).num_days())
        }
        (_, None) => (MeetingState::Pending, 0),
    }
}

/// Whether a review in `state` needs someone now: overdue, or set for a day after its deadline
/// and not `held` yet. The home page and the digest list exactly these.
pub fn needs_attention(state: MeetingState, held: bool) -> bool {
    state == MeetingState::Overdue || (state == MeetingState::Late && !held)
}

impl MeetingStatus {
    /// See [`needs_attention`].
    pub fn needs_attention(&self) -> bool {
        needs_attention(self.state, self.held)
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

fn check_meeting(pm: &PostMortem, config: &Config, now: DateTime<Utc>, out: &mut Vec<Diagnostic>) {
    let at = pm.meeting.as_ref().and_then(|m| m.at);
    if pm.status >= Status::Reviewed && at.is_none() {
        let span = pm.field_span("meeting");
        let example = toml_time(pm.resolved.unwrap_or(pm.started));
        out.push(place(
            pm,
            Diagnostic::new(
                Code::MissingMeeting,
                format!(
                    "missing `[meeting] at`, required for a `{}` post-mortem",
                    pm.status.name()
                ),
            )
            .label(if span == FRONT_MATTER {
                "in this front matter"
            } else {
                "no `at` in this table"
            })
            .help(format!(
                "record when the review meeting took place:\n[meeting]\nat = {example}"
            )),
            span,
        ));
    }
    let status = meeting_status(pm, config, now);
    let (Some(within), Some(deadline)) = (status.within, status.deadline) else {
        return;
    };
    let severity = &pm.severity.name;
    let resolved_on = pm
        .resolved
        .map(|r| calendar::local_date(&r, pm.timezone))
        .unwrap_or_default();
    let rule = format!(
        "`{severity}` review meetings are due within {within} of `resolved` ({resolved_on} in \
         {})",
        pm.timezone
    );
    match status.state {
        MeetingState::Late => {
            let date = status.date.unwrap_or_default();
            let held = at.is_some_and(|t| t <= now);
            let verb = if held { "was held" } else { "is scheduled" };
            out.push(place(
                pm,
                Diagnostic::new(
                    Code::MeetingLate,
                    format!(
                        "the review meeting {verb} on {date}, after its deadline of {deadline}"
                    ),
                )
                .label(format!("{} late", days(status.days_late)))
                .help(if held {
                    format!(
                        "{rule}; check `at`, and say in the post-mortem why the review was late"
                    )
                } else {
                    format!("{rule}; move the meeting to {deadline} or earlier")
                }),
                pm.field_span("meeting.at"),
            ));
        }
        MeetingState::Overdue if pm.status == Status::InReview => {
            let today = calendar::local_date(&now, pm.timezone);
            let example = match local_at(pm.timezone, today, 15) {
                Some(t) => toml_time(t),
                None => format!("{today}T15:00:00Z"),
            };
            out.push(place(
                pm,
                Diagnostic::new(
                    Code::MeetingOverdue,
                    format!(
                        "the review meeting is overdue: it was due by {deadline}, {} ago",
                        days(status.days_late)
                    ),
                )
                .label("no `[meeting] at` in this front matter")
                .help(format!(
                    "{rule}; hold the review meeting, then record it:\n[meeting]\nat = {example}"
                )),
                pm.field_span("meeting"),
            ));
        }
        _ => {}
    }
}

/// A local wall-clock hour on a day, in a zone, as a fixed-offset time.
fn local_at(zone: Tz, day: NaiveDate, hour: u32) -> Option<DateTime<FixedOffset>> {
    use chrono::TimeZone;
    zone.from_local_datetime(&day.and_hms_opt(hour, 0, 0)?)
        .earliest()
        .map(|t| t.fixed_offset())
}

fn check_closing(pm: &PostMortem, out: &mut Vec<Diagnostic>) {
    for action in &pm.actions {
        if action.ticket.is_some() {
            continue;
        }
        out.push(place(
            pm,
            Diagnostic::new(
                Code::ActionWithoutTicket,
                format!("the action `{}` has no ticket", short(&action.title)),
            )
            .label("no `ticket` in this action")
            .help(
                "a Closed post-mortem tracks every action in the tracker: add `ticket = \
                 \"OPS-1234\"` (a key or a URL) to this `[[actions]]` entry",
            ),
            action.span.clone(),
        ));
    }
    if pm.customer_impact && pm.external_message_posted.is_none() {
        out.push(place(
            pm,
            Diagnostic::new(
                Code::MessageNotPosted,
                "missing `external_message_posted`, required to close a post-mortem with `customer_impact`",
            )
            .label("in this front matter")
            .help(
                "once support has posted the external message on the status page, add \
                 `external_message_posted = 2024-03-16T10:00:00Z` with when it was posted",
            ),
            FRONT_MATTER,
        ));
    }
}

fn short(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

/// One problem found in a section's Markdown, with its byte span in that Markdown.
#[derive(Clone, Debug, PartialEq)]
struct Finding {
    span: Range<usize>,
    message: String,
    label: &'static str,
    help: &'static str,
}

fn check_external_message(pm: &PostMortem, config: &Config, out: &mut Vec<Diagnostic>) {
    let Some(section) = pm.section(SectionKind::ExternalMessage) else {
        return;
    };
    let text = &*crate::markdown::without_comments(&section.markdown);
    let offset = section.content_offset;
    if !pm.full_outage {
        for m in OUTAGE.find_iter(text) {
            out.push(place(
                pm,
                Diagnostic::new(
                    Code::OutageWord,
                    format!(
                        "the external message says `{}` but `full_outage` is false",
                        m.as_str()
                    ),
                )
                .label("only for a full outage")
                .help(
                    "say what customers could not do, such as \"some payments failed\" or \
                     \"the app was slow\"; if nothing worked for anyone, set `full_outage = true`",
                ),
                offset + m.start()..offset + m.end(),
            ));
        }
    }
    for finding in internal_details(text, pm, config) {
        out.push(place(
            pm,
            Diagnostic::new(Code::InternalDetail, finding.message)
                .label(finding.label)
                .help(finding.help),
            offset + finding.span.start..offset + finding.span.end,
        ));
    }
}

static OUTAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\boutages?\b").expect("valid regex"));

static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+\b|\blocalhost\b",
    )
    .expect("valid regex")
});

static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,3}(?:\.\d{1,3}){3}\b").expect("valid regex"));

static IPV6: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}").expect("valid regex"));

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bhttps?://[^\s<>()\[\]"'`]+"#).expect("valid regex"));

static CHANNEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s(\[])(#[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_])").expect("valid regex")
});

/// Top-level labels that only resolve inside a private network.
pub const INTERNAL_SUFFIXES: &[&str] = &[
    "internal",
    "local",
    "corp",
    "lan",
    "intranet",
    "localdomain",
];

/// Hosts of chat services: a link to them is a link to a channel customers cannot open.
pub const CHAT_HOSTS: &[&str] = &[
    "slack.com",
    "teams.microsoft.com",
    "teams.live.com",
    "discord.com",
    "discord.gg",
    "chat.google.com",
    "mattermost.com",
    "zulipchat.com",
];

/// Prefixes of keys that look like tickets but name public standards, algorithms and
/// vulnerabilities (`UTF-8`, `ISO-8601`, `SHA-256`, `CVE-2021-44228`): not internal details.
pub const NOT_TICKET_PREFIXES: &[&str] = &[
    "AES", "ANSI", "CVE", "COVID", "DIN", "ECMA", "EN", "GHSA", "HTTP", "IEC", "IEEE", "ISO", "MD",
    "PCI", "RFC", "RSA", "SHA", "SOC", "SSL", "TLS", "UTF", "WCAG",
];

/// English words that are also first or last names. A name part on this list is only an
/// internal detail as part of the full name: "Park" alone is a word, "Dee Park" is a person.
const NAME_WORDS: &[&str] = &[
    "april", "august", "baker", "banks", "bell", "best", "bird", "black", "bloom", "brown", "bush",
    "case", "chance", "chase", "cook", "dawn", "day", "dean", "east", "faith", "field", "fields",
    "fisher", "fox", "frank", "frost", "gay", "glass", "gold", "grace", "gray", "green", "grey",
    "hall", "hill", "holly", "hope", "hunt", "hunter", "ivy", "jack", "joy", "june", "king",
    "lamb", "lane", "law", "little", "long", "love", "lucky", "major", "mark", "marsh", "mason",
    "may", "miles", "mills", "moss", "north", "page", "park", "parker", "pat", "penny", "pierce",
    "pool", "price", "read", "reed", "rich", "rivers", "rose", "ruby", "sage", "sharp", "shaw",
    "shore", "small", "snow", "south", "stone", "strong", "summer", "sunny", "swift", "taylor",
    "victor", "wade", "walker", "ward", "waters", "wells", "west", "white", "will", "winter",
    "wood", "woods", "young",
];

/// Internal details in an external message: people, internal hosts, private addresses, ticket
/// keys, chat channels. One finding per occurrence; a finding inside another (the host of an
/// internal URL, a last name inside a full name) is dropped.
fn internal_details(text: &str, pm: &PostMortem, config: &Config) -> Vec<Finding> {
    let mut found = Vec::new();
    find_people(text, pm, &mut found);
    find_chat(text, pm, &mut found);
    find_hosts(text, config, &mut found);
    find_addresses(text, &mut found);
    find_tickets(text, pm, config, &mut found);
    found.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    let mut kept: Vec<Finding> = Vec::new();
    for f in found {
        if kept.last().is_some_and(|k| f.span.start < k.span.end) {
            continue;
        }
        kept.push(f);
    }
    kept
}

const PERSON_HELP: &str =
    "customers need what happened, not who: say \"our engineers\" or \"our payments team\"";

fn find_people(text: &str, pm: &PostMortem, found: &mut Vec<Finding>) {
    for person in pm.people() {
        let parts: Vec<&str> = person.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        let full = parts
            .iter()
            .map(|p| regex::escape(p))
            .collect::<Vec<_>>()
            .join(r"\s+");
        if let Some(re) = compiled(&format!(r"(?i)\b{full}\b")) {
            for m in re.find_iter(text) {
                found.push(Finding {
                    span: m.range(),
                    message: format!("the external message names `{person}`"),
                    label: "a person from the post-mortem",
                    help: PERSON_HELP,
                });
            }
        }
        if parts.len() < 2 {
            continue;
        }
        for part in parts {
            let letters = part.chars().filter(|c| c.is_alphabetic()).count();
            let capitalised = part.chars().next().is_some_and(char::is_uppercase);
            if letters < 3 || !capitalised || NAME_WORDS.contains(&part.to_lowercase().as_str()) {
                continue;
            }
            let Some(re) = compiled(&format!(r"\b{}\b", regex::escape(part))) else {
                continue;
            };
            for m in re.find_iter(text) {
                found.push(Finding {
                    span: m.range(),
                    message: format!("the external message names `{part}`, as in `{person}`"),
                    label: "a person from the post-mortem",
                    help: PERSON_HELP,
                });
            }
        }
    }
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    Some(host.trim_end_matches('.').to_ascii_lowercase()).filter(|h| !h.is_empty())
}

fn under(host: &str, domain: &str) -> bool {
    let domain = domain.trim_matches('.').to_ascii_lowercase();
    !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
}

fn find_chat(text: &str, pm: &PostMortem, found: &mut Vec<Finding>) {
    let chat = pm.links.get("chat").map(|u| u.trim_end_matches('/'));
    let chat_host = chat.and_then(url_host);
    for m in URL.find_iter(text) {
        let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let Some(host) = url_host(url) else { continue };
        let is_chat = chat.is_some_and(|c| url.trim_end_matches('/') == c)
            || chat_host.as_deref() == Some(host.as_str())
            || CHAT_HOSTS.iter().any(|h| under(&host, h));
        if is_chat {
            found.push(Finding {
                span: m.start()..m.start() + url.len(),
                message: format!("the external message links to the incident chat `{url}`"),
                label: "a chat link",
                help: "customers cannot open our chat: remove the link, or point to the status \
                       page instead",
            });
        }
    }
    for caps in CHANNEL.captures_iter(text) {
        let Some(m) = caps.get(1) else { continue };
        if !m.as_str().chars().any(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        found.push(Finding {
            span: m.range(),
            message: format!(
                "the external message names the chat channel `{}`",
                m.as_str()
            ),
            label: "a chat channel",
            help: "customers cannot open our chat: remove the channel name",
        });
    }
}

fn find_hosts(text: &str, config: &Config, found: &mut Vec<Finding>) {
    for m in HOST.find_iter(text) {
        let host = m.as_str().to_ascii_lowercase();
        if host
            .split('.')
            .all(|label| label.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let internal = host == "localhost"
            || config
                .external
                .internal_domains
                .iter()
                .any(|d| under(&host, d))
            || INTERNAL_SUFFIXES.iter().any(|s| under(&host, s));
        if internal {
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message names the internal host `{}`",
                    m.as_str()
                ),
                label: "an internal host",
                help: "customers cannot reach internal hosts, and they map our network: name \
                       the service as customers know it, such as \"the app\" or \"checkout\"",
            });
        }
    }
}

/// Whether an IP address is private, loopback or link-local.
pub fn is_private_ip(text: &str) -> bool {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return v4.is_private() || v4.is_loopback() || v4.is_link_local();
    }
    if let Ok(v6) = text.parse::<Ipv6Addr>() {
        let first = v6.segments()[0];
        return v6.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80;
    }
    false
}

const ADDRESS_HELP: &str =
    "customers cannot reach private addresses, and they map our network: remove the address";

fn find_addresses(text: &str, found: &mut Vec<Finding>) {
    for m in IPV4.find_iter(text) {
        if is_private_ip(m.as_str()) {
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message contains the private address `{}`",
                    m.as_str()
                ),
                label: "a private IP address",
                help: ADDRESS_HELP,
            });
        }
    }
    let bytes = text.as_bytes();
    for m in IPV6.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(m.end()).copied();
        let glued = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.');
        if glued(before) || glued(after) || !m.as_str().contains(':') {
            continue;
        }
        if is_private_ip(m.as_str()) {
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message contains the private address `{}`",
                    m.as_str()
                ),
                label: "a private IP address",
                help: ADDRESS_HELP,
            });
        }
    }
}

/// Whether `key`, which matches the ticket pattern, is really public vocabulary: a severity's
/// name or alias (`SEV-1`), or a standard, algorithm or vulnerability id (`UTF-8`, `CVE-…`).
pub fn is_not_ticket(key: &str, config: &Config) -> bool {
    if config.severity(key).is_some() {
        return true;
    }
    let prefix = key.split(['-', '_']).next().unwrap_or(key);
    NOT_TICKET_PREFIXES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(prefix))
}

fn find_tickets(text: &str, pm: &PostMortem, config: &Config, found: &mut Vec<Finding>) {
    let help = "customers cannot open our tracker: remove the ticket key (if it is not a ticket, \
                narrow `[external] ticket_pattern` in blameless.toml)";
    if let Some(re) = compiled(&format!(r"\b(?:{})\b", config.external.ticket_pattern)) {
        for m in re.find_iter(text) {
            if m.is_empty() || is_not_ticket(m.as_str(), config) {
                continue;
            }
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message contains the ticket key `{}`",
                    m.as_str()
                ),
                label: "a ticket key",
                help,
            });
        }
    }
    for ticket in pm.actions.iter().filter_map(|a| a.ticket.as_deref()) {
        for (start, matched) in text.match_indices(ticket) {
            let end = start + matched.len();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
            if word(text[..start].chars().next_back()) || word(text[end..].chars().next()) {
                continue;
            }
            found.push(Finding {
                span: start..end,
                message: format!("the external message contains the ticket `{ticket}`"),
                label: "a ticket of this post-mortem",
                help,
            });
        }
    }
}

/// A regular expression of the configuration or of a person's name, compiled once per thread
/// rather than once per post-mortem: compiling dominated `check` on large archives. The
/// patterns are few (the config's, and one per person of the organisation).
fn compiled(pattern: &str) -> Option<Regex> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<Regex>>> =
            Default::default();
    }
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern).ok())
            .clone()
    })
}

/// The regular expression of a blame phrase: whole words, any case, any run of whitespace
/// (a line wrap included) between words, straight or curly apostrophes.
fn phrase_regex(phrase: &str) -> Option<Regex> {
    let words: Vec<String> = phrase
        .split_whitespace()
        .map(|w| regex::escape(w).replace(['\'', '\u{2019}'], "['\u{2019}]"))
        .collect();
    if words.is_empty() {
        return None;
    }
    let starts_word = phrase
        .trim()
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric);
    let ends_word = phrase
        .trim()
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric);
    let pattern = format!(
        r"(?i){}{}{}",
        if starts_word { r"\b" } else { "" },
        words.join(r"\s+"),
        if ends_word { r"\b" } else { "" }
    );
    compiled(&pattern)
}

fn check_blame(pm: &PostMortem, config: &Config, out: &mut Vec<Diagnostic>) {
    let phrases: Vec<(&str, Regex)> = config
        .rules
        .blame_phrases
        .iter()
        .filter_map(|p| Some((p.as_str(), phrase_regex(p)?)))
        .collect();
    for section in &pm.sections {
        let text = crate::markdown::without_comments(&section.markdown);
        for (phrase, re) in &phrases {
            for m in re.find_iter(&text) {
                let start = section.content_offset + m.start();
                out.push(place(
                    pm,
                    Diagnostic::new(
                        Code::BlameLanguage,
                        format!("`{phrase}` puts the blame on people"),
                    )
                    .label("blame language")
                    .help(
                        "describe what made the mistake possible or easy (a missing check, an \
                         unclear runbook, a risky default) rather than who made it",
                    ),
                    start..section.content_offset + m.end(),
                ));
            }
        }
    }
}

/// One item of the process checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What is expected, as a reader sees it: "Owner named".
    pub label: String,
    /// Whether it is done.
    pub done: bool,
    /// The rule that reports it when it is not.
    #[serde(serialize_with = "code_name")]
    pub code: Code,
    /// The status from which the rules expect it.
    #[serde(serialize_with = "status_name")]
    pub from: Status,
}

/// Where a post-mortem stands in the process, for its page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Process {
    /// The current status.
    #[serde(serialize_with = "status_name")]
    pub status: Status,
    /// The next status on the lifecycle, if any.
    #[serde(serialize_with = "status_name_opt")]
    pub next: Option<Status>,
    /// The lifecycle, in order, with the steps reached.
    pub lifecycle: Vec<Step>,
    /// The review meeting against its deadline.
    pub meeting: MeetingStatus,
    /// What the rules expect up to the next status (every step for a Closed post-mortem).
    pub checklist: Vec<Check>,
}

/// One step of the lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The status name.
    pub name: &'static str,
    /// Whether the post-mortem has reached it.
    pub reached: bool,
    /// Whether it is the current status.
    pub current: bool,
}

/// The process view of one post-mortem at `now`: lifecycle, meeting deadline, checklist.
pub fn process(pm: &PostMortem, config: &Config, now: DateTime<Utc>) -> Process {
    let next = Status::ALL.into_iter().find(|s| *s > pm.status);
    let target = next.unwrap_or(Status::Closed);
    let meeting = meeting_status(pm, config, now);
    let mut checklist = Vec::new();
    let mut add = |from: Status, label: String, done: bool, code: Code| {
        if from <= target {
            checklist.push(Check {
                label,
                done,
                code,
                from,
            });
        }
    };
    add(
        Status::InReview,
        "Owner named".into(),
        pm.owner.is_some(),
        Code::MissingOwner,
    );
    add(
        Status::InReview,
        "Resolution time recorded".into(),
        pm.resolved.is_some(),
        Code::MissingResolved,
    );
    for kind in expected_sections(pm) {
        add(
            Status::InReview,
            format!("{} section written", kind.heading()),
            has_section(pm, kind),
            Code::MissingSection,
        );
    }
    add(
        Status::InReview,
        "Follow-up actions listed".into(),
        !pm.actions.is_empty(),
        Code::MissingActions,
    );
    let held = pm
        .meeting
        .as_ref()
        .and_then(|m| m.at)
        .is_some_and(|t| t <= now);
    let (label, done, code) = match (meeting.deadline, meeting.state) {
        (Some(deadline), MeetingState::Late) => (
            format!("Review meeting held by {deadline}"),
            false,
            Code::MeetingLate,
        ),
        (Some(deadline), MeetingState::Unrecorded) => (
            format!("Review meeting held by {deadline}"),
            false,
            Code::MissingMeeting,
        ),
        (Some(deadline), _) => (
            format!("Review meeting held by {deadline}"),
            held,
            Code::MeetingOverdue,
        ),
        (None, _) => ("Review meeting held".into(), held, Code::MissingMeeting),
    };
    add(Status::Reviewed, label, done, code);
    add(
        Status::Closed,
        "Every action has a ticket".into(),
        pm.actions.iter().all(|a| a.ticket.is_some()),
        Code::ActionWithoutTicket,
    );
    if pm.customer_impact {
        add(
            Status::Closed,
            "External message posted".into(),
            pm.external_message_posted.is_some(),
            Code::MessageNotPosted,
        );
    }
    Process {
        status: pm.status,
        next,
        lifecycle: Status::ALL
            .into_iter()
            .map(|s| Step {
                name: s.name(),
                reached: s <= pm.status,
                current: s == pm.status,
            })
            .collect(),
        meeting,
        checklist,
    }
}

/// A post-mortem whose review is behind its deadline (see [`MeetingStatus::needs_attention`]).
#[derive(Clone, Debug)]
pub struct OverdueReview<'a> {
    /// The post-mortem.
    pub postmortem: &'a PostMortem,
    /// The deadline that passed (or that the scheduled meeting misses).
    pub deadline: NaiveDate,
    /// Days behind: since the deadline, or from the deadline to the scheduled meeting.
    pub days_overdue: i64,
    /// The day of a meeting scheduled after the deadline.
    pub scheduled: Option<NaiveDate>,
}

impl OverdueReview<'_> {
    /// How far behind, in words: "review due 2024-03-19, 3 days overdue" or "review due
    /// 2024-03-19, meeting set for 2024-03-25, 6 days late".
    pub fn detail(&self) -> String {
        match self.scheduled {
            Some(date) => format!(
                "review due {}, meeting set for {date}, {} late",
                self.deadline,
                days(self.days_overdue)
            ),
            None => format!(
                "review due {}, {} overdue",
                self.deadline,
                days(self.days_overdue)
            ),
        }
    }
}

/// Post-mortems whose review needs attention at `now`, most overdue first.
pub fn overdue_reviews<'a>(
    postmortems: &'a [PostMortem],
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<OverdueReview<'a>> {
    let mut out: Vec<OverdueReview<'a>> = postmortems
        .iter()
        .filter(|pm| pm.status != Status::Draft)
        .filter_map(|pm| {
            let status = meeting_status(pm, config, now);
            status.needs_attention().then_some(OverdueReview {
                postmortem: pm,
                deadline: status.deadline?,
                days_overdue: status.days_late,
                scheduled: status.date,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.postmortem.id.cmp(&b.postmortem.id))
    });
    out
}

/// Post-mortems past Draft with `customer_impact` whose external message is not posted yet,
/// oldest incident first.
pub fn unposted_messages(postmortems: &[PostMortem]) -> Vec<&PostMortem> {
    let mut out: Vec<&PostMortem> = postmortems
        .iter()
        .filter(|pm| {
            pm.status != Status::Draft && pm.customer_impact && pm.external_message_posted.is_none()
        })
        .collect();
    out.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
    out
}

/// An open action past its due date.
#[derive(Clone, Debug)]
pub struct OverdueAction<'a> {
    /// The post-mortem it belongs to.
    pub postmortem: &'a PostMortem,
    /// The action.
    pub action: &'a Action,
    /// Days since it was due.
    pub days_overdue: i64,
}

/// Whether an action is open and its due date has passed at `now` in `zone` (an action due
/// today is not overdue yet).
pub fn is_overdue(action: &Action, zone: Tz, now: DateTime<Utc>) -> bool {
    action.status == "open"
        && action
            .due
            .is_some_and(|due| calendar::local_date(&now, zone) > due)
}

/// Open actions past their due date, across the post-mortems past Draft, most overdue first.
pub fn overdue_actions(postmortems: &[PostMortem], now: DateTime<Utc>) -> Vec<OverdueAction<'_>> {
    let mut out: Vec<OverdueAction<'_>> = postmortems
        .iter()
        .filter(|pm| pm.status != Status::Draft)
        .flat_map(|pm| pm.actions.iter().map(move |a| (pm, a)))
        .filter(|(pm, a)| is_overdue(a, pm.timezone, now))
        .map(|(pm, action)| OverdueAction {
            postmortem: pm,
            action,
            days_overdue: action.due.map_or(0, |due| {
                (calendar::local_date(&now, pm.timezone) - due).num_days()
            }),
        })
        .collect();
    out.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.postmortem.id.cmp(&b.postmortem.id))
            .then_with(|| a.action.title.cmp(&b.action.title))
    });
    out
}

fn code_name<S: Serializer>(code: &Code, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.name())
}

fn status_name<S: Serializer>(status: &Status, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.name())
}

fn status_name_opt<S: Serializer>(status: &Option<Status>, s: S) -> Result<S::Ok, S::Error> {
    match status {
        Some(status) => s.serialize_str(status.name()),
        None => s.serialize_none(),
    }
}

fn display_opt<S: Serializer>(value: &Option<Deadline>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => s.collect_str(value),
        None => s.serialize_none(),
    }
}

fn date_opt<S: Serializer>(value: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => s.collect_str(value),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::render_one;
    use crate::load::Source;
    use std::path::PathBuf;

    pub(crate) const IN_REVIEW: &str = r#"+++
title = "Checkout errors after a stalled failover"
severity = "SEV-2"
status = "In Review"
started = 2024-03-12T09:41:00+01:00
resolved = 2024-03-12T11:05:00+01:00
timezone = "Europe/Berlin"
customer_impact = true
owner = "Ana Ruiz"
incident_commander = "Ben Ode"
responders = ["Dee Park (SRE)"]

[meeting]
at = 2024-03-14T15:00:00+01:00

[links]
chat = "https://chat.example.com/archives/C123"

[[actions]]
title = "Alert when replication lag exceeds 30 s"
owner = "Dee Park"
ticket = "OPS-1234"
due = 2024-04-15
+++

## Summary

Checkout failed for some customers.

## Impact

Some payments failed.

## Timeline

| Time | Event |
| --- | --- |
| 09:41 | Errors begin |

## Contributing factors

A failover stalled.

## Resolution

We promoted the replica.

## External message

On 12 March some payments failed. We are sorry.
"#;

    pub(crate) fn config() -> Config {
        let mut config = Config::default();
        config.external.internal_domains = vec!["acme.internal".into()];
        config
    }

    pub(crate) fn parse(text: &str) -> PostMortem {
        let source = Source {
            id: "pm".into(),
            path: PathBuf::from("content/pm.md"),
            bundle: None,
            assets: Vec::new(),
            bytes: text.as_bytes().to_vec(),
        };
        let parsed = crate::parse::parse(&source, &config());
        match parsed.postmortem {
            Some(pm) => pm,
            None => panic!("fixture does not parse: {:?}", parsed.diagnostics),
        }
    }

    fn now(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    const NOW: &str = "2024-03-20T12:00:00Z";

    fn run(text: &str) -> Vec<Diagnostic> {
        run_at(text, NOW)
    }

    fn run_at(text: &str, at: &str) -> Vec<Diagnostic> {
        let mut found = check(&parse(text), &config(), now(at));
        crate::diagnostic::sort(&mut found);
        found
    }

    fn codes(found: &[Diagnostic]) -> Vec<&'static str> {
        found.iter().map(|d| d.code.name()).collect()
    }

    fn only(text: &str, code: Code) -> String {
        let found = run(text);
        let mine: Vec<&Diagnostic> = found.iter().filter(|d| d.code == code).collect();
        assert_eq!(mine.len(), 1, "{found:#?}");
        render_one(mine[0])
    }

    fn with(replacements: &[(&str, &str)]) -> String {
        let mut text = IN_REVIEW.to_string();
        for (from, to) in replacements {
            assert!(text.contains(from), "fixture has no {from:?}");
            text = text.replacen(from, to, 1);
        }
        text
    }

    fn message(text: &str) -> String {
        with(&[("On 12 March some payments failed. We are sorry.", text)])
    }

    #[test]
    fn a_complete_in_review_post_mortem_passes() {
        assert_eq!(codes(&run(IN_REVIEW)), Vec::<&str>::new());
    }

    #[test]
    fn a_draft_gets_nothing() {
        let text = "+++\ntitle = \"x\"\nseverity = \"SEV-1\"\nstatus = \"Draft\"\nstarted = 2024-03-12T09:41:00Z\nresolved = 2024-03-12T10:00:00Z\ncustomer_impact = true\n+++\n\nThe outage was human error by ops@db1.acme.internal.\n";
        assert!(check(&parse(text), &config(), now(NOW)).is_empty());
    }

    #[test]
    fn missing_resolved_asks_for_the_line() {
        let text = with(&[("resolved = 2024-03-12T11:05:00+01:00\n", "")]);
        insta::assert_snapshot!(only(&text, Code::MissingResolved), @"
        warning[missing-resolved]: missing `resolved`, required from `In Review` on
         --> content/pm.md:1:1
          |
        1 | +++
          | ^^^ in this front matter
          = help: add `resolved = 2024-03-12T09:41:00+01:00` with the time the incident was over (impact ended and no more work was needed to keep it so)
        ");
    }

    #[test]
    fn missing_owner_asks_for_the_line() {
        let text = with(&[("owner = \"Ana Ruiz\"\n", "")]);
        insta::assert_snapshot!(only(&text, Code::MissingOwner), @r#"
        warning[missing-owner]: missing `owner`, required from `In Review` on
         --> content/pm.md:1:1
          |
        1 | +++
          | ^^^ in this front matter
          = help: add `owner = "Full Name"`: the person who writes the post-mortem and sees its actions through
        "#);
    }

    #[test]
    fn missing_section_points_where_it_belongs() {
        let text = with(&[("## Impact\n\nSome payments failed.\n\n", "")]);
        insta::assert_snapshot!(only(&text, Code::MissingSection), @"
        warning[missing-section]: missing `## Impact` section
          --> content/pm.md:30:1
           |
        30 | ## Timeline
           | ^^^^^^^^^^^ add `## Impact` before this heading
           = help: add `## Impact`: who was affected and how: customers, orders, revenue, internal teams, for how long
        ");
    }

    #[test]
    fn missing_last_section_points_at_the_end() {
        let text = with(&[("## Resolution\n\nWe promoted the replica.\n\n", "")])
            .replace(
                "## External message\n\nOn 12 March some payments failed. We are sorry.\n",
                "",
            )
            .replace("customer_impact = true", "customer_impact = false");
        let found = run(&text);
        assert_eq!(codes(&found), ["missing-section"]);
        assert_eq!(
            found[0].location.as_ref().unwrap().line_text,
            "A failover stalled."
        );
    }

    #[test]
    fn an_empty_section_is_missing() {
        let text = with(&[("We promoted the replica.\n", "")]);
        insta::assert_snapshot!(only(&text, Code::MissingSection), @"
        warning[missing-section]: the `## Resolution` section is empty
          --> content/pm.md:44:1
           |
        44 | ## Resolution
           | ^^^^^^^^^^^^^ nothing under this heading
           = help: add `## Resolution`: what stopped the impact and what made the fix permanent
        ");
    }

    #[test]
    fn missing_external_message_gives_the_skeleton() {
        let text = with(&[(
            "## External message\n\nOn 12 March some payments failed. We are sorry.\n",
            "",
        )]);
        insta::assert_snapshot!(only(&text, Code::MissingSection), @"
        warning[missing-section]: missing `## External message` section
          --> content/pm.md:46:1
           |
        46 | We promoted the replica.
           | ^^^^^^^^^^^^^^^^^^^^^^^^ add `## External message` after this line
           = help: customers were affected (`customer_impact = true`), so support needs a message for the status page; paste and fill in:
                   ## External message
                   
                   **A short headline customers will recognise**
                   
                   Summary: on <day and date>, between <start> and <end> (<time zone>), <what customers could not do>.
                   
                   What happened: <the cause in plain words, without internal names>.
                   
                   What we are doing about it: <the changes that stop it happening again>.
                   
                   We are sorry for the trouble this caused.
        ");
        let internal = text.replace("customer_impact = true", "customer_impact = false");
        assert!(run(&internal).is_empty());
    }

    #[test]
    fn missing_actions_gives_a_template() {
        let text = with(&[(
            "[[actions]]\ntitle = \"Alert when replication lag exceeds 30 s\"\nowner = \"Dee Park\"\nticket = \"OPS-1234\"\ndue = 2024-04-15\n",
            "",
        )]);
        insta::assert_snapshot!(only(&text, Code::MissingActions), @r#"
        warning[missing-actions]: no follow-up actions, required from `In Review` on
         --> content/pm.md:1:1
          |
        1 | +++
          | ^^^ in this front matter
          = help: add at least one action at the end of the front matter:
                  [[actions]]
                  title = "Alert when replication lag exceeds 30 s"
                  owner = "Full Name"
                  priority = "P2"
                  kind = "detect"
                  ticket = "OPS-1234"
                  due = 2024-04-15
        "#);
    }

    #[test]
    fn a_reviewed_post_mortem_needs_its_meeting_date() {
        let text = with(&[
            ("status = \"In Review\"", "status = \"Reviewed\""),
            (
                "[meeting]\nat = 2024-03-14T15:00:00+01:00\n",
                "[meeting]\nattendees = [\"Ana Ruiz\"]\n",
            ),
        ]);
        insta::assert_snapshot!(only(&text, Code::MissingMeeting), @"
        warning[missing-meeting]: missing `[meeting] at`, required for a `Reviewed` post-mortem
          --> content/pm.md:13:2
           |
        13 | [meeting]
           |  ^^^^^^^ no `at` in this table
           = help: record when the review meeting took place:
                   [meeting]
                   at = 2024-03-12T11:05:00+01:00
        ");
    }

    #[test]
    fn meeting_after_five_business_days_is_late() {
        // Resolved Tuesday 12 March: the deadline is Tuesday 19 March.
        let text = with(&[(
            "at = 2024-03-14T15:00:00+01:00",
            "at = 2024-03-20T10:00:00+01:00",
        )]);
        insta::assert_snapshot!(only(&text, Code::MeetingLate), @"
        warning[meeting-late]: the review meeting was held on 2024-03-20, after its deadline of 2024-03-19
          --> content/pm.md:14:1
           |
        14 | at = 2024-03-20T10:00:00+01:00
           | ^^ 1 day late
           = help: `SEV-2` review meetings are due within 5 business days of `resolved` (2024-03-12 in Europe/Berlin); check `at`, and say in the post-mortem why the review was late
        ");
    }

    #[test]
    fn meeting_on_the_deadline_day_is_on_time() {
        let text = with(&[(
            "at = 2024-03-14T15:00:00+01:00",
            "at = 2024-03-19T23:30:00+01:00",
        )]);
        assert!(run(&text).is_empty());
        // 23:30 UTC on the 19th is already the 20th in Berlin.
        let text = with(&[(
            "at = 2024-03-14T15:00:00+01:00",
            "at = 2024-03-19T23:30:00Z",
        )]);
        assert_eq!(codes(&run(&text)), ["meeting-late"]);
    }

    #[test]
    fn a_meeting_scheduled_after_the_deadline_is_late_before_it_happens() {
        let text = with(&[(
            "at = 2024-03-14T15:00:00+01:00",
            "at = 2024-03-25T10:00:00+01:00",
        )]);
        let found = run_at(&text, "2024-03-15T12:00:00Z");
        assert_eq!(codes(&found), ["meeting-late"]);
        assert!(
            found[0].message.contains("is scheduled"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn no_meeting_past_the_deadline_is_overdue() {
        let text = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
        insta::assert_snapshot!(only(&text, Code::MeetingOverdue), @"
        warning[meeting-overdue]: the review meeting is overdue: it was due by 2024-03-19, 1 day ago
         --> content/pm.md:1:1
          |
        1 | +++
          | ^^^ no `[meeting] at` in this front matter
          = help: `SEV-2` review meetings are due within 5 business days of `resolved` (2024-03-12 in Europe/Berlin); hold the review meeting, then record it:
                  [meeting]
                  at = 2024-03-20T15:00:00+01:00
        ");
    }

    #[test]
    fn overdue_starts_the_day_after_the_deadline_in_the_post_mortems_zone() {
        let text = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
        // 22:59 UTC on the 19th is 23:59 in Berlin: still the deadline day.
        assert!(run_at(&text, "2024-03-19T22:59:00Z").is_empty());
        assert_eq!(
            codes(&run_at(&text, "2024-03-19T23:00:00Z")),
            ["meeting-overdue"]
        );
    }

    #[test]
    fn sev1_deadline_is_three_calendar_days_over_a_weekend() {
        // Resolved Friday 15 March: due Monday 18 March.
        let text = with(&[
            ("severity = \"SEV-2\"", "severity = \"SEV-1\""),
            (
                "resolved = 2024-03-12T11:05:00+01:00",
                "resolved = 2024-03-15T11:05:00+01:00",
            ),
            (
                "at = 2024-03-14T15:00:00+01:00",
                "at = 2024-03-18T16:00:00+01:00",
            ),
        ]);
        assert!(run(&text).is_empty());
        let late = text.replace(
            "at = 2024-03-18T16:00:00+01:00",
            "at = 2024-03-19T09:00:00+01:00",
        );
        assert_eq!(codes(&run(&late)), ["meeting-late"]);
    }

    #[test]
    fn business_deadline_skips_configured_holidays() {
        let text = with(&[(
            "at = 2024-03-14T15:00:00+01:00",
            "at = 2024-03-20T10:00:00+01:00",
        )]);
        let mut config = config();
        config.rules.holidays = vec![NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()];
        assert!(check(&parse(&text), &config, now(NOW)).is_empty());
    }

    #[test]
    fn severities_without_a_deadline_have_no_meeting_rules() {
        let text = with(&[
            ("severity = \"SEV-2\"", "severity = \"SEV-3\""),
            ("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", ""),
        ]);
        assert!(run(&text).is_empty());
    }

    fn closed(text: &str) -> String {
        text.replacen("status = \"In Review\"", "status = \"Closed\"", 1)
            .replacen(
                "[meeting]",
                "external_message_posted = 2024-03-12T12:00:00Z\n\n[meeting]",
                1,
            )
    }

    #[test]
    fn a_complete_closed_post_mortem_passes() {
        assert!(run(&closed(IN_REVIEW)).is_empty());
    }

    #[test]
    fn closed_actions_need_tickets() {
        let text = closed(&with(&[("ticket = \"OPS-1234\"\n", "")]));
        insta::assert_snapshot!(only(&text, Code::ActionWithoutTicket), @r#"
        warning[action-without-ticket]: the action `Alert when replication lag exceeds 30 s` has no ticket
          --> content/pm.md:22:9
           |
        22 | title = "Alert when replication lag exceeds 30 s"
           |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ no `ticket` in this action
           = help: a Closed post-mortem tracks every action in the tracker: add `ticket = "OPS-1234"` (a key or a URL) to this `[[actions]]` entry
        "#);
        assert!(run(&with(&[("ticket = \"OPS-1234\"\n", "")])).is_empty());
    }

    #[test]
    fn closed_with_customer_impact_needs_the_message_posted() {
        let text =
            closed(IN_REVIEW).replace("external_message_posted = 2024-03-12T12:00:00Z\n", "");
        insta::assert_snapshot!(only(&text, Code::MessageNotPosted), @"
        warning[message-not-posted]: missing `external_message_posted`, required to close a post-mortem with `customer_impact`
         --> content/pm.md:1:1
          |
        1 | +++
          | ^^^ in this front matter
          = help: once support has posted the external message on the status page, add `external_message_posted = 2024-03-16T10:00:00Z` with when it was posted
        ");
        let internal = text.replace("customer_impact = true", "customer_impact = false");
        assert!(run(&internal).is_empty());
    }

    #[test]
    fn outage_word_needs_a_full_outage() {
        let text = message("Checkout had an outage. Some payments failed.");
        insta::assert_snapshot!(only(&text, Code::OutageWord), @r#"
        warning[outage-word]: the external message says `outage` but `full_outage` is false
          --> content/pm.md:50:17
           |
        50 | Checkout had an outage. Some payments failed.
           |                 ^^^^^^ only for a full outage
           = help: say what customers could not do, such as "some payments failed" or "the app was slow"; if nothing worked for anyone, set `full_outage = true`
        "#);
        let full = text.replace(
            "customer_impact = true",
            "customer_impact = true\nfull_outage = true",
        );
        assert!(run(&full).is_empty());
        let found = run(&message("Two Outages. No outaged or blackout."));
        assert_eq!(codes(&found), ["outage-word"]);
    }

    fn details(text: &str) -> Vec<String> {
        run(&message(text))
            .into_iter()
            .filter(|d| d.code == Code::InternalDetail)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn internal_detail_names_people() {
        let text = message("Thanks to Ana Ruiz and\nDee   Park. Ben was on call; Ruiz fixed it.");
        insta::assert_snapshot!(render_one(&run(&text)[0]), @r#"
        error[internal-detail]: the external message names `Ana Ruiz`
          --> content/pm.md:50:11
           |
        50 | Thanks to Ana Ruiz and
           |           ^^^^^^^^ a person from the post-mortem
           = help: customers need what happened, not who: say "our engineers" or "our payments team"
        "#);
        assert_eq!(
            details("Thanks to Ana Ruiz and\nDee   Park. Ben was on call; Ruiz fixed it."),
            [
                "the external message names `Ana Ruiz`",
                "the external message names `Dee Park`",
                "the external message names `Ben`, as in `Ben Ode`",
                "the external message names `Ruiz`, as in `Ana Ruiz`",
            ]
        );
    }

    #[test]
    fn common_words_that_are_names_are_not_people() {
        let text = message("Park your worries: our team will ode to joy.");
        assert!(details("Park your worries: the Odeon was fine.").is_empty());
        assert!(run(&text).is_empty());
    }

    #[test]
    fn internal_detail_finds_hosts_and_addresses() {
        assert_eq!(
            details(
                "See db-1.acme.internal, build.local, LOCALHOST, status.example.com, \
                 10.2.3.4, 192.168.0.1:8080, 8.8.8.8, fe80::1, ::1, 2001:db8::1 and 17:58:00."
            ),
            [
                "the external message names the internal host `db-1.acme.internal`",
                "the external message names the internal host `build.local`",
                "the external message names the internal host `LOCALHOST`",
                "the external message contains the private address `10.2.3.4`",
                "the external message contains the private address `192.168.0.1`",
                "the external message contains the private address `fe80::1`",
                "the external message contains the private address `::1`",
            ]
        );
    }

    #[test]
    fn internal_detail_finds_ticket_keys_but_not_standards_or_severities() {
        insta::assert_snapshot!(render_one(&run(&message("Fixed in PAY-610."))[0]), @"
        error[internal-detail]: the external message contains the ticket key `PAY-610`
          --> content/pm.md:50:10
           |
        50 | Fixed in PAY-610.
           |          ^^^^^^^ a ticket key
           = help: customers cannot open our tracker: remove the ticket key (if it is not a ticket, narrow `[external] ticket_pattern` in blameless.toml)
        ");
        assert_eq!(
            details("A SEV-2, UTF-8, ISO-8601, SHA-256, CVE-2021-44228; see OPS-1234 and PAY-610."),
            [
                "the external message contains the ticket key `OPS-1234`",
                "the external message contains the ticket key `PAY-610`",
            ]
        );
    }

    #[test]
    fn internal_detail_finds_chat_channels_and_links() {
        assert_eq!(
            details(
                "Join #inc-checkout or https://chat.example.com/archives/C123, \
                 https://acme.slack.com/x and https://status.example.com/#updates. \
                 We were #1 in ## rankings."
            ),
            [
                "the external message names the chat channel `#inc-checkout`",
                "the external message links to the incident chat `https://chat.example.com/archives/C123`",
                "the external message links to the incident chat `https://acme.slack.com/x`",
            ]
        );
    }

    #[test]
    fn an_internal_url_is_reported_once() {
        assert_eq!(
            details("See [graph](https://grafana.acme.internal/d/x)."),
            ["the external message names the internal host `grafana.acme.internal`"]
        );
    }

    #[test]
    fn blame_phrases_are_found_across_line_wraps() {
        let text = with(&[(
            "A failover stalled.",
            "This was human\nerror, the fault of nobody.\nThe default of 30 s was careless-ly set.",
        )]);
        let found = run(&text);
        assert_eq!(
            codes(&found),
            ["blame-language", "blame-language", "blame-language"]
        );
        insta::assert_snapshot!(render_one(&found[0]), @"
        warning[blame-language]: `human error` puts the blame on people
          --> content/pm.md:42:10
           |
        42 | This was human
           |          ^^^^^ blame language
           = help: describe what made the mistake possible or easy (a missing check, an unclear runbook, a risky default) rather than who made it
        ");
        let found: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            found,
            [
                "`human error` puts the blame on people",
                "`fault of` puts the blame on people",
                "`careless` puts the blame on people",
            ]
        );
    }

    #[test]
    fn blame_phrases_match_curly_apostrophes() {
        let mut config = config();
        config.rules.blame_phrases = vec!["didn't bother".into()];
        let text = with(&[("A failover stalled.", "They didn\u{2019}t bother.")]);
        let found = check(&parse(&text), &config, now(NOW));
        assert_eq!(codes(&found), ["blame-language"]);
    }

    #[test]
    fn process_lists_what_the_next_status_needs() {
        let text = with(&[
            ("owner = \"Ana Ruiz\"\n", ""),
            ("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", ""),
        ]);
        let process = process(&parse(&text), &config(), now("2024-03-15T12:00:00Z"));
        assert_eq!(process.next, Some(Status::Reviewed));
        assert_eq!(process.meeting.state, MeetingState::Pending);
        assert_eq!(
            process.meeting.deadline,
            NaiveDate::from_ymd_opt(2024, 3, 19)
        );
        let list: Vec<String> = process
            .checklist
            .iter()
            .map(|c| {
                format!(
                    "[{}] {} ({})",
                    if c.done { "x" } else { " " },
                    c.label,
                    c.code.name()
                )
            })
            .collect();
        insta::assert_snapshot!(list.join("\n"), @"
        [ ] Owner named (missing-owner)
        [x] Resolution time recorded (missing-resolved)
        [x] Summary section written (missing-section)
        [x] Impact section written (missing-section)
        [x] Timeline section written (missing-section)
        [x] Contributing factors section written (missing-section)
        [x] Resolution section written (missing-section)
        [x] External message section written (missing-section)
        [x] Follow-up actions listed (missing-actions)
        [ ] Review meeting held by 2024-03-19 (meeting-overdue)
        ");
        let json = serde_json::to_value(&process).unwrap();
        assert_eq!(json["meeting"]["within"], "5 business days");
        assert_eq!(json["lifecycle"][1]["current"], true);
    }

    #[test]
    fn process_of_a_closed_post_mortem_checks_every_step() {
        let process = process(&parse(&closed(IN_REVIEW)), &config(), now(NOW));
        assert_eq!(process.next, None);
        assert_eq!(process.meeting.state, MeetingState::Met);
        assert!(
            process.checklist.iter().all(|c| c.done),
            "{:#?}",
            process.checklist
        );
        assert!(process
            .checklist
            .iter()
            .any(|c| c.label == "External message posted"));
    }

    #[test]
    fn meeting_states() {
        let config = config();
        let state = |text: &str, at: &str| meeting_status(&parse(text), &config, now(at)).state;
        let no_meeting = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
        assert_eq!(
            state(&no_meeting, "2024-03-13T00:00:00Z"),
            MeetingState::Pending
        );
        assert_eq!(state(&no_meeting, NOW), MeetingState::Overdue);
        assert_eq!(state(IN_REVIEW, NOW), MeetingState::Met);
        let sev3 = IN_REVIEW.replace("SEV-2", "SEV-3");
        assert_eq!(state(&sev3, NOW), MeetingState::NotRequired);
        let reviewed = no_meeting.replace("\"In Review\"", "\"Reviewed\"");
        assert_eq!(state(&reviewed, NOW), MeetingState::Unrecorded);
        let unresolved = no_meeting.replace("resolved = 2024-03-12T11:05:00+01:00\n", "");
        assert_eq!(state(&unresolved, NOW), MeetingState::Pending);
    }

    #[test]
    fn attention_lists_overdue_reviews_messages_and_actions() {
        let overdue = parse(&with(&[(
            "[meeting]\nat = 2024-03-14T15:00:00+01:00\n",
            "",
        )]));
        let fine = parse(&closed(IN_REVIEW));
        let draft = parse(&IN_REVIEW.replace("\"In Review\"", "\"Draft\""));
        let all = [overdue, fine, draft];
        let reviews = overdue_reviews(&all, &config(), now(NOW));
        assert_eq!(reviews.len(), 1);
        assert_eq!(
            (reviews[0].deadline.to_string(), reviews[0].days_overdue),
            ("2024-03-19".into(), 1)
        );
        assert_eq!(unposted_messages(&all).len(), 1);
        assert!(overdue_actions(&all, now("2024-04-15T21:00:00Z")).is_empty());
        let late = overdue_actions(&all, now("2024-04-16T22:30:00Z"));
        // Two non-draft post-mortems with the same open action, due 15 April, two days ago in Berlin.
        assert_eq!(late.len(), 2);
        assert_eq!(late[0].days_overdue, 2);
    }
}
