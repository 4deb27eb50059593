//! The internal digest for a period `[since, until)`: what engineering managers read each week.
//! As an RFC 5322 email (`blameless digest`) and as data for `/digest/`, one digest per ISO week.
//!
//! Dates are days in the archive's zone (`blameless.toml timezone`); `until` is exclusive. A
//! digest holds:
//! - post-mortems reviewed in the period: "Reviewed" or "Closed" ones whose review meeting
//!   (`[meeting] at`) falls in it; one with no meeting date counts at its `resolved` time (the
//!   format records no date of review or closing);
//! - new post-mortems: those whose incident started in the period, whatever their status;
//! - reviews overdue at the end of the period (or at "now", if earlier): a deadline passed and no
//!   meeting held by then;
//! - open actions past their due date at that time. An action done since without a `done` date
//!   does not show in the digests of past weeks;
//! - recurring themes: the hot spots that an incident of the period belongs to, and the
//!   incidents of the period that repeat an earlier one (both from `insights`);
//! - the period's follow-up work: actions created by its incidents, and actions whose `done`
//!   date falls in it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::email::{build, Body};
use super::mail_layout::{self, fill, markdown_text};
use super::message::plain_text;
use super::{absolute_rewriter, page_url, site_host};
use crate::archive::Archive;
use crate::calendar::local_date;
use crate::config::Config;
use crate::insights::{self, Analysis, HotSpot, PeriodActions, RepeatFigure};
use crate::markdown::{self, escape_html};
use crate::postmortem::{PostMortem, SectionKind, Status};

/// How many days the default period covers.
pub const DEFAULT_DAYS: u64 = 7;

/// One post-mortem in a digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestItem {
    /// The id.
    pub id: String,
    /// The title.
    pub title: String,
    /// The absolute URL of its page.
    pub url: String,
    /// The severity's name.
    pub severity: String,
    /// The status's name.
    pub status: String,
    /// The day that put it in the digest (reviewed, or started), `YYYY-MM-DD`.
    pub date: String,
    /// The one-sentence summary.
    pub summary: String,
    /// `## Lessons learned` as plain text, if written.
    pub learnings: Option<String>,
    /// `## Lessons learned` as written, for the email to lay out.
    #[serde(skip)]
    pub learnings_markdown: Option<String>,
    /// The owner.
    pub owner: Option<String>,
}

/// A review overdue at the digest's date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverdueReview {
    /// The post-mortem.
    pub postmortem: DigestItem,
    /// The deadline that passed, `YYYY-MM-DD`.
    pub deadline: String,
    /// Days behind: since the deadline, or from it to a meeting set later.
    pub days_overdue: i64,
    /// How far behind, in the words of the home page: "review due …, 3 days overdue".
    pub detail: String,
}

/// An open action past its due date at the digest's date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverdueAction {
    /// The post-mortem's id.
    pub id: String,
    /// The post-mortem's title.
    pub postmortem: String,
    /// The absolute URL of the post-mortem's page.
    pub url: String,
    /// The action.
    pub title: String,
    /// Who does it.
    pub owner: Option<String>,
    /// Its priority.
    pub priority: Option<crate::postmortem::Priority>,
    /// When it was due, `YYYY-MM-DD`.
    pub due: String,
    /// Days since it was due.
    pub days_overdue: i64,
    /// Its ticket.
    pub ticket: Option<String>,
}

/// The digest of one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// The first day, `YYYY-MM-DD`.
    pub since: String,
    /// The day after the last, `YYYY-MM-DD`.
    pub until: String,
    /// The last day, `YYYY-MM-DD`.
    pub last_day: String,
    /// The time the overdue lists are computed at: the end of the period, or "now" if earlier.
    pub as_of: String,
    /// Post-mortems reviewed in the period, in review order.
    pub reviewed: Vec<DigestItem>,
    /// Post-mortems whose incident started in the period, oldest first.
    pub started: Vec<DigestItem>,
    /// Reviews overdue at `as_of`, most overdue first.
    pub overdue_reviews: Vec<OverdueReview>,
    /// How many reviews were overdue in all; the list holds the [`LIST_LIMIT`] most overdue.
    pub overdue_reviews_total: usize,
    /// Open actions past due at `as_of`, most overdue first.
    pub overdue_actions: Vec<OverdueAction>,
    /// How many actions were past due in all; the list holds the [`LIST_LIMIT`] most overdue.
    pub overdue_actions_total: usize,
    /// Hot spots with an incident that started in the period.
    pub hot_spots: Vec<DigestHotSpot>,
    /// Incidents of the period that repeat an earlier one.
    pub repeats: Vec<RepeatFigure>,
    /// Actions created and done in the period.
    pub actions: PeriodActions,
}

impl Digest {
    /// Whether the digest has nothing to report.
    pub fn is_empty(&self) -> bool {
        self.reviewed.is_empty()
            && self.started.is_empty()
            && self.overdue_reviews.is_empty()
            && self.overdue_actions.is_empty()
            && self.hot_spots.is_empty()
            && self.actions.done == 0
    }
}

/// A hot spot as the digest tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestHotSpot {
    /// `service` or `cause`.
    pub kind: &'static str,
    /// The service or cause.
    pub name: String,
    /// Its first incident's start date.
    pub from: NaiveDate,
    /// Its last incident's start date.
    pub to: NaiveDate,
    /// How many incidents it has.
    pub count: usize,
}

/// One ISO week's digest, for `/digest/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestWeek {
    /// The ISO week, such as `2024-W11`: also a URL-safe slug.
    pub week: String,
    /// The digest of the week (Monday to Sunday).
    pub digest: Digest,
    /// The subject of the week's digest email.
    pub subject: String,
    /// Whether the site has the week's email (`/digest/<week>.eml`): one of the newest
    /// [`EMAIL_WEEKS`].
    pub email: bool,
}

/// How many of the newest weeks have their digest email in the site. An email is sent in the
/// days after its week; older weeks keep their page, and `blameless digest --since --until`
/// writes the email of any period. (At 10,000 post-mortems the emails of every week since
/// 2018 were 60 MB of the site.)
pub const EMAIL_WEEKS: usize = 12;

/// How many overdue reviews and actions a digest lists; the rest are counted.
pub const LIST_LIMIT: usize = 20;

/// The default period: the `DEFAULT_DAYS` days before `now`'s date in the archive's zone.
pub fn default_period(config: &Config, now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let until = local_date(&now, config.timezone);
    let since = until
        .checked_sub_days(Days::new(DEFAULT_DAYS))
        .unwrap_or(NaiveDate::MIN);
    (since, until)
}

/// The first instant of `day` in the archive's zone.
fn start_of(config: &Config, day: NaiveDate) -> DateTime<Utc> {
    config
        .timezone
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.to_utc(),
        )
}

/// When `pm` counts as reviewed: its meeting, else its resolution; `None` before "Reviewed".
pub fn review_time(pm: &PostMortem) -> Option<DateTime<Utc>> {
    if pm.status < Status::Reviewed {
        return None;
    }
    pm.meeting
        .as_ref()
        .and_then(|m| m.at)
        .or(pm.resolved)
        .map(|t| t.to_utc())
}

fn item(pm: &PostMortem, config: &Config, date: NaiveDate) -> DigestItem {
    // why: the email lays the learnings out from their Markdown, the page shows the text.
    let learnings = pm
        .section(SectionKind::LessonsLearned)
        .map(|s| (plain_text(s.markdown()), s.markdown().to_string()))
        .filter(|(text, _)| !text.is_empty());
    DigestItem {
        id: pm.id.clone(),
        title: pm.title.clone(),
        url: page_url(config, &pm.id),
        severity: pm.severity.name.clone(),
        status: pm.status.name().into(),
        date: date.to_string(),
        summary: pm.summary.clone(),
        learnings: learnings.as_ref().map(|(text, _)| text.clone()),
        learnings_markdown: learnings.map(|(_, markdown)| markdown),
        owner: pm.owner.clone(),
    }
}

/// What every digest of an archive looks at, worked out once: review times, start times,
/// review deadlines and open actions with a due date.
struct Backlog<'a> {
    /// Post-mortems by the time they count as reviewed, in time order.
    reviewed: Vec<(DateTime<Utc>, &'a PostMortem)>,
    /// Post-mortems by the time they started, in time order.
    started: Vec<(DateTime<Utc>, &'a PostMortem)>,
    /// Reviews that can be overdue: post-mortem, deadline, and when the meeting was held.
    reviews: Vec<(&'a PostMortem, NaiveDate, Option<DateTime<Utc>>)>,
    /// Open actions with a due date, past Draft, in due-date order, each with its position
    /// in the archive's order (the last tie-break of the digest's list).
    actions: Vec<DueAction<'a>>,
    /// Every hot spot of the archive, with its incidents' start times in order.
    hot_spots: Vec<(HotSpot, Vec<DateTime<Utc>>)>,
    /// The repeats and related incidents.
    analysis: &'a Analysis,
}

impl<'a> Backlog<'a> {
    fn new(archive: &'a Archive, analysis: &'a Analysis) -> Backlog<'a> {
        let config = &archive.config;
        let pms = &archive.postmortems;
        let mut reviewed: Vec<_> = pms
            .iter()
            .filter_map(|pm| Some((review_time(pm)?, &**pm)))
            .collect();
        reviewed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let mut started: Vec<_> = pms.iter().map(|pm| (pm.started.to_utc(), &**pm)).collect();
        started.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let reviews = pms
            .iter()
            .filter(|pm| pm.status != Status::Draft)
            .filter_map(|pm| {
                let held = pm.meeting.as_ref().and_then(|m| m.at).map(|t| t.to_utc());
                // why: "Reviewed" or "Closed" without a date had its meeting, unrecorded.
                if held.is_none() && pm.status >= Status::Reviewed {
                    return None;
                }
                Some((&**pm, crate::rules::meeting_deadline(pm, config)?, held))
            })
            .collect();
        let mut actions: Vec<DueAction<'a>> = pms
            .iter()
            .filter(|pm| pm.status != Status::Draft)
            .flat_map(|pm| pm.actions.iter().map(move |a| (&**pm, a)))
            .filter(|(_, a)| a.status == crate::postmortem::ActionStatus::Open)
            .filter_map(|(pm, a)| Some((pm, a, a.due?)))
            .enumerate()
            .map(|(position, (pm, action, due))| DueAction {
                postmortem: pm,
                action,
                due,
                position,
            })
            .collect();
        actions.sort_by_key(|a| (a.due, a.position));
        let everything: Vec<usize> = (0..pms.len()).collect();
        Backlog {
            reviewed,
            started,
            reviews,
            actions,
            hot_spots: insights::hot_spots(archive, &everything)
                .into_iter()
                .map(|spot| {
                    let mut times: Vec<DateTime<Utc>> = spot
                        .incidents
                        .iter()
                        .filter_map(|id| archive.get(id))
                        .map(|pm| pm.started.to_utc())
                        .collect();
                    times.sort();
                    (spot, times)
                })
                .collect(),
            analysis,
        }
    }
}

/// An open action with a due date, in [`Backlog::actions`].
#[derive(Clone, Copy)]
struct DueAction<'a> {
    postmortem: &'a PostMortem,
    action: &'a crate::postmortem::Action,
    due: NaiveDate,
    /// Its place among the backlog's actions in the archive's order.
    position: usize,
}

/// No zone's date is more than a day from UTC's; two, to be safe.
const ZONE_SLACK: Days = Days::new(2);

/// The actions of `due` (in due-date order) overdue at `as_of`, the `limit` most overdue
/// first (the oldest, then by post-mortem, title and position), with how many are overdue in
/// all. `today` gives the date at `as_of` in a post-mortem's zone.
// why: every week's digest asks this of the whole backlog; in due-date order it reads only
// the overdue actions near the top of the list and those whose zone decides, not all of it.
fn late_actions<'a>(
    due: &[DueAction<'a>],
    as_of: DateTime<Utc>,
    limit: usize,
    mut today: impl FnMut(chrono_tz::Tz) -> NaiveDate,
) -> (Vec<(i64, DueAction<'a>)>, usize) {
    let utc = as_of.date_naive();
    let (Some(surely), Some(possibly)) = (
        utc.checked_sub_days(ZONE_SLACK),
        utc.checked_add_days(ZONE_SLACK),
    ) else {
        return (Vec::new(), 0);
    };
    let mut days = |a: &DueAction| (today(a.postmortem.timezone) - a.due).num_days();
    // why: due before `surely` is overdue in every zone; due on or after `possibly`, in none.
    let certain = due.partition_point(|a| a.due < surely);
    let candidates = &due[..due.partition_point(|a| a.due < possibly)];
    let total = certain + candidates[certain..].iter().filter(|a| days(a) > 0).count();
    // why: the `limit`-th overdue action in due-date order is at least (today - its due - a
    // slack) days late; one due more than two slacks after it is later than that in every zone.
    let mut late: Vec<(i64, DueAction<'a>)> = Vec::new();
    let mut bound: Option<NaiveDate> = None;
    for a in candidates {
        if bound.is_some_and(|bound| a.due > bound) {
            break;
        }
        let overdue = days(a);
        if overdue > 0 {
            late.push((overdue, *a));
            if late.len() == limit {
                bound = a
                    .due
                    .checked_add_days(ZONE_SLACK)
                    .and_then(|d| d.checked_add_days(ZONE_SLACK));
            }
        }
    }
    first(&mut late, limit, |a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.postmortem.id.cmp(&b.1.postmortem.id))
            .then_with(|| a.1.action.title.cmp(&b.1.action.title))
            .then_with(|| a.1.position.cmp(&b.1.position))
    });
    (late, total)
}

/// Keeps the first `limit` of `items` in `order`, sorted, and drops the rest. `order` must be
/// total, so that the result is the one a full sort would give.
// why: every week's digest picks the worst of a backlog that grows with the archive; sorting
// all of it for every week was the digest's largest cost on a large archive.
fn first<T>(items: &mut Vec<T>, limit: usize, mut order: impl FnMut(&T, &T) -> Ordering) {
    if limit == 0 {
        items.clear();
        return;
    }
    if items.len() > limit {
        items.select_nth_unstable_by(limit - 1, &mut order);
        items.truncate(limit);
    }
    items.sort_unstable_by(order);
}

/// The entries of a time-ordered list that fall in `[from, to)`.
fn between<'a, 'b>(
    list: &'b [(DateTime<Utc>, &'a PostMortem)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> &'b [(DateTime<Utc>, &'a PostMortem)] {
    let start = list.partition_point(|(t, _)| *t < from);
    let end = list.partition_point(|(t, _)| *t < to);
    &list[start..end.max(start)]
}

/// The digest of `[since, until)`, with the overdue lists at the end of the period or at `now`,
/// whichever is earlier.
pub fn digest(
    archive: &Archive,
    analysis: &Analysis,
    since: NaiveDate,
    until: NaiveDate,
    now: DateTime<Utc>,
) -> Digest {
    digest_of(archive, &Backlog::new(archive, analysis), since, until, now)
}

fn digest_of(
    archive: &Archive,
    backlog: &Backlog<'_>,
    since: NaiveDate,
    until: NaiveDate,
    now: DateTime<Utc>,
) -> Digest {
    let config = &archive.config;
    let zone = config.timezone;
    let (from, to) = (start_of(config, since), start_of(config, until));
    let as_of = to.min(now);
    let listed = |list: &[(DateTime<Utc>, &PostMortem)]| -> Vec<DigestItem> {
        between(list, from, to)
            .iter()
            .filter(|(at, _)| *at <= now)
            .map(|(at, pm)| item(pm, config, local_date(at, zone)))
            .collect()
    };
    let reviewed = listed(&backlog.reviewed);
    let started = listed(&backlog.started);

    // why: a post-mortem's dates are in its own zone; "today" is worked out once per zone.
    let mut today_in: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    let mut today = |tz: chrono_tz::Tz| {
        *today_in
            .entry(tz.name())
            .or_insert_with(|| local_date(&as_of, tz))
    };

    // why: a long backlog would repeat in every weekly digest; each lists the most overdue
    // and counts the rest, and the lists are built only for what is shown.
    // why: the deadline is worked out once per post-mortem (the backlog); lateness on the
    // period's last day is the rules' own decision.
    let mut late_reviews: Vec<(i64, &PostMortem, crate::rules::OverdueReview)> = backlog
        .reviews
        .iter()
        .filter_map(|&(pm, deadline, held)| {
            let date = held.map(|t| local_date(&t, pm.timezone));
            let today = today(pm.timezone);
            let (state, days) = crate::rules::review_state(Some(deadline), date, today);
            let held = date.is_some_and(|d| d <= today);
            let late = crate::rules::OverdueReview {
                postmortem: pm,
                deadline,
                days_overdue: days,
                scheduled: date.filter(|_| state == crate::rules::MeetingState::Late),
            };
            crate::rules::needs_attention(state, held).then_some((days, pm, late))
        })
        .collect();
    let overdue_reviews_total = late_reviews.len();
    first(&mut late_reviews, LIST_LIMIT, |a, b| {
        b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id))
    });
    let overdue_reviews = late_reviews
        .into_iter()
        .map(|(days_overdue, pm, late)| OverdueReview {
            postmortem: item(pm, config, local_date(&pm.started, pm.timezone)),
            deadline: late.deadline.to_string(),
            days_overdue,
            detail: late.detail(),
        })
        .collect();

    let (late_actions, overdue_actions_total) =
        late_actions(&backlog.actions, as_of, LIST_LIMIT, &mut today);
    let overdue_actions = late_actions
        .into_iter()
        .map(|(days_overdue, late)| OverdueAction {
            id: late.postmortem.id.clone(),
            postmortem: late.postmortem.title.clone(),
            url: page_url(config, &late.postmortem.id),
            title: late.action.title.clone(),
            owner: late.action.owner.clone(),
            priority: late.action.priority,
            due: late.due.to_string(),
            days_overdue,
            ticket: late.action.ticket.clone(),
        })
        .collect();

    let new_ids: BTreeSet<&str> = between(&backlog.started, from, to)
        .iter()
        .filter(|(at, _)| *at <= now)
        .map(|(_, pm)| pm.id.as_str())
        .collect();
    let scope: Vec<usize> = new_ids
        .iter()
        .filter_map(|id| archive.position(id))
        .collect();
    let hot_spots = backlog
        .hot_spots
        .iter()
        .filter(|(_, times)| {
            let first = times.partition_point(|t| *t < from);
            times.get(first).is_some_and(|t| *t < to && *t <= now)
        })
        .map(|(spot, _)| DigestHotSpot {
            kind: spot.kind.name(),
            name: spot.name.clone(),
            from: spot.from,
            to: spot.to,
            count: spot.incidents.len(),
        })
        .collect();

    Digest {
        since: since.to_string(),
        until: until.to_string(),
        last_day: until.pred_opt().unwrap_or(until).to_string(),
        as_of: as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        reviewed,
        started,
        overdue_reviews,
        overdue_reviews_total,
        overdue_actions,
        overdue_actions_total,
        hot_spots,
        repeats: insights::repeat_figures(archive, backlog.analysis, &scope),
        actions: insights::period_actions(archive, &scope, since, until),
    }
}

/// "… and N more" under a list that was cut at [`LIST_LIMIT`].
fn more(text: &mut String, html: &mut String, shown: usize, total: usize, url: &str) {
    if total > shown {
        let line = format!("… and {} more: {url}", total - shown);
        let _ = writeln!(text, "{}\n", fill(&line, "", ""));
        let _ = writeln!(
            html,
            "<p>… and <a href=\"{}\">{} more</a></p>",
            escape_html(url),
            total - shown
        );
    }
}

/// The subject of the digest email.
pub fn subject(config: &Config, digest: &Digest) -> String {
    let prefix = config.email.subject_prefix.trim();
    let text = format!("Digest {} to {}", digest.since, digest.last_day);
    if prefix.is_empty() {
        text
    } else {
        format!("{prefix} {text}")
    }
}

fn heading(text: &mut String, html: &mut String, title: &str, count: usize) {
    let title = format!("{title} ({count})");
    let _ = write!(text, "\n{title}\n{}\n\n", "-".repeat(title.chars().count()));
    let _ = writeln!(html, "<h2>{}</h2>", escape_html(&title));
}

/// The digest as an email body: plain text and HTML.
pub fn body(config: &Config, digest: &Digest) -> Body {
    let title = format!(
        "{}: digest for {} to {}",
        config.title, digest.since, digest.last_day
    );
    let mut text = format!("{}\n", fill(&title, "", ""));
    let mut html = format!("<h1>{}</h1>\n", escape_html(&title));
    if digest.is_empty() {
        text.push_str("\nNothing to report for this period.\n");
        html.push_str("<p>Nothing to report for this period.</p>\n");
    }
    let items =
        |text: &mut String, html: &mut String, title: &str, list: &[DigestItem], verb: &str| {
            if list.is_empty() {
                return;
            }
            heading(text, html, title, list.len());
            html.push_str("<ul>\n");
            for i in list {
                let rewrite = absolute_rewriter(config, &i.id);
                let line = format!(
                    "{}: {} ({}, {verb} {})",
                    i.severity, i.title, i.status, i.date
                );
                let _ = writeln!(text, "{}", fill(&line, "- ", "  "));
                if !i.summary.is_empty() {
                    let _ = writeln!(text, "{}", fill(&i.summary, "  ", "  "));
                }
                if let Some(learnings) = &i.learnings_markdown {
                    let _ = writeln!(
                        text,
                        "  Learnings:\n{}",
                        markdown_text(learnings, &rewrite, 4)
                    );
                }
                let _ = writeln!(text, "{}\n", fill(&i.url, "  ", "  "));
                let _ = write!(
                    html,
                    "<li><a href=\"{}\">{}: {}</a> ({}, {verb} {})",
                    escape_html(&i.url),
                    escape_html(&i.severity),
                    escape_html(&i.title),
                    escape_html(&i.status),
                    i.date
                );
                if !i.summary.is_empty() {
                    let _ = write!(html, "<p>{}</p>", escape_html(&i.summary));
                }
                if let Some(learnings) = &i.learnings_markdown {
                    let _ = write!(
                        html,
                        "<p><strong>Learnings:</strong></p>\n{}",
                        markdown::to_html(learnings, &rewrite)
                    );
                }
                html.push_str("</li>\n");
            }
            html.push_str("</ul>\n");
        };
    items(
        &mut text,
        &mut html,
        "Reviewed",
        &digest.reviewed,
        "reviewed",
    );
    items(
        &mut text,
        &mut html,
        "New post-mortems",
        &digest.started,
        "started",
    );
    if !digest.overdue_reviews.is_empty() {
        heading(
            &mut text,
            &mut html,
            "Overdue reviews",
            digest.overdue_reviews_total,
        );
        html.push_str("<ul>\n");
        for r in &digest.overdue_reviews {
            let p = &r.postmortem;
            let owner = p.owner.as_deref().unwrap_or("no owner");
            let line = format!("{}: {}: {} ({owner})", p.severity, p.title, r.detail);
            let _ = writeln!(
                text,
                "{}\n{}\n",
                fill(&line, "- ", "  "),
                fill(&p.url, "  ", "  ")
            );
            let _ = writeln!(
                html,
                "<li><a href=\"{}\">{}: {}</a>: {} ({})</li>",
                escape_html(&p.url),
                escape_html(&p.severity),
                escape_html(&p.title),
                escape_html(&r.detail),
                escape_html(owner)
            );
        }
        html.push_str("</ul>\n");
        more(
            &mut text,
            &mut html,
            digest.overdue_reviews.len(),
            digest.overdue_reviews_total,
            &format!("{}/", config.base_url),
        );
    }
    if !digest.overdue_actions.is_empty() {
        heading(
            &mut text,
            &mut html,
            "Actions past due",
            digest.overdue_actions_total,
        );
        html.push_str("<ul>\n");
        for a in &digest.overdue_actions {
            let facts: Vec<String> = [
                a.priority.map(|p| p.to_string()),
                a.owner.clone(),
                Some(format!("due {}, {} days overdue", a.due, a.days_overdue)),
                a.ticket.clone(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let line = format!("{} ({})", a.title, facts.join(", "));
            let from = format!("from {}: {}", a.postmortem, a.url);
            let _ = writeln!(
                text,
                "{}\n{}\n",
                fill(&line, "- ", "  "),
                fill(&from, "  ", "  ")
            );
            let _ = writeln!(
                html,
                "<li>{} ({}), from <a href=\"{}\">{}</a></li>",
                escape_html(&a.title),
                escape_html(&facts.join(", ")),
                escape_html(&a.url),
                escape_html(&a.postmortem)
            );
        }
        html.push_str("</ul>\n");
        more(
            &mut text,
            &mut html,
            digest.overdue_actions.len(),
            digest.overdue_actions_total,
            &format!("{}/actions/", config.base_url),
        );
    }
    themes(&mut text, &mut html, config, digest);
    mail_layout::body(
        &title,
        text,
        &html,
        "All post-mortems",
        &format!("{}/", config.base_url),
    )
}

/// The recurring themes and the follow-up work of the period.
fn themes(text: &mut String, html: &mut String, config: &Config, digest: &Digest) {
    if !digest.hot_spots.is_empty() || !digest.repeats.is_empty() {
        let count = digest.hot_spots.len() + digest.repeats.len();
        heading(text, html, "Recurring themes", count);
        html.push_str("<ul>\n");
        for spot in &digest.hot_spots {
            let line = format!(
                "Hot spot: {} `{}`, {} incidents from {} to {}",
                spot.kind, spot.name, spot.count, spot.from, spot.to
            );
            let _ = writeln!(text, "{}", fill(&line, "- ", "  "));
            let _ = writeln!(html, "<li>{}</li>", escape_html(&line));
        }
        for r in &digest.repeats {
            let (url, earlier) = (page_url(config, &r.id), page_url(config, &r.earlier));
            let line = format!(
                "Repeat: {} repeats {}: {}, could have prevented it ({})",
                r.title,
                r.earlier_title,
                r.actions,
                r.reasons.join(", ")
            );
            let _ = writeln!(
                text,
                "{}\n{}",
                fill(&line, "- ", "  "),
                fill(&url, "  ", "  ")
            );
            let _ = writeln!(
                html,
                "<li>Repeat: <a href=\"{}\">{}</a> repeats <a href=\"{}\">{}</a>: {}, could have prevented it ({})</li>",
                escape_html(&url),
                escape_html(&r.title),
                escape_html(&earlier),
                escape_html(&r.earlier_title),
                escape_html(&r.actions),
                escape_html(&r.reasons.join(", "))
            );
        }
        html.push_str("</ul>\n");
    }
    let actions = &digest.actions;
    if actions.created > 0 || actions.done > 0 {
        let line = format!(
            "{} created by this period's incidents, {} done in the period, {} past due.",
            crate::diagnostic::plural(actions.created, "action"),
            actions.done,
            digest.overdue_actions_total
        );
        let _ = write!(
            text,
            "\nFollow-up work\n--------------\n\n{}\n",
            fill(&line, "", "")
        );
        let _ = writeln!(
            html,
            "<h2>Follow-up work</h2>\n<p>{}</p>",
            escape_html(&line)
        );
    }
}

/// The digest of `[since, until)` as an RFC 5322 email dated `now`.
pub fn digest_email(
    archive: &Archive,
    analysis: &Analysis,
    since: NaiveDate,
    until: NaiveDate,
    now: DateTime<Utc>,
) -> String {
    email(
        &archive.config,
        &digest(archive, analysis, since, until, now),
        now,
    )
}

/// The email of a digest already worked out, dated `now`.
pub fn email(config: &Config, digest: &Digest, now: DateTime<Utc>) -> String {
    let message_id = format!(
        "digest.{}.{}@{}",
        digest.since,
        digest.until,
        site_host(config)
    );
    build(
        config,
        &subject(config, digest),
        &message_id,
        now,
        &body(config, digest),
        &[],
    )
}

/// The Monday of `day`'s ISO week.
fn monday(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(day.weekday().num_days_from_monday().into()))
        .unwrap_or(day)
}

/// A week with a digest in the site: its Monday and what the site names it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    /// The Monday the week starts on.
    pub since: NaiveDate,
    /// The ISO week, such as `2024-W11`: also a URL-safe slug.
    pub name: String,
    /// Whether the site has the week's email (`/digest/<week>.eml`): one of the newest
    /// [`EMAIL_WEEKS`].
    pub email: bool,
}

/// Every ISO week in which a post-mortem started or was reviewed, up to `now`, newest first:
/// what the site has a digest of, known without making the digests.
pub fn weeks(archive: &Archive, now: DateTime<Utc>) -> Vec<Week> {
    let zone = archive.config.timezone;
    let mondays: BTreeSet<NaiveDate> = archive
        .postmortems
        .iter()
        .flat_map(|pm| [Some(pm.started.to_utc()), review_time(pm)])
        .flatten()
        .filter(|t| *t <= now)
        .map(|t| monday(local_date(&t, zone)))
        .collect();
    mondays
        .into_iter()
        .rev()
        .enumerate()
        .map(|(newest, since)| {
            let iso = since.iso_week();
            Week {
                since,
                name: format!("{}-W{:02}", iso.year(), iso.week()),
                email: newest < EMAIL_WEEKS,
            }
        })
        .collect()
}

/// The digest of each of `weeks`, in their order.
pub fn digests(
    archive: &Archive,
    analysis: &Analysis,
    weeks: &[Week],
    now: DateTime<Utc>,
) -> Vec<DigestWeek> {
    let backlog = Backlog::new(archive, analysis);
    weeks
        .par_iter()
        .map(|week| {
            let until = week
                .since
                .checked_add_days(Days::new(7))
                .unwrap_or(week.since);
            let digest = digest_of(archive, &backlog, week.since, until, now);
            DigestWeek {
                week: week.name.clone(),
                subject: subject(&archive.config, &digest),
                email: week.email,
                digest,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;
    use mail_parser::MessageParser;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    proptest::proptest! {
        /// The first few by a total order are what a full sort would put first.
        #[test]
        fn the_first_few_are_those_of_a_full_sort(
            items in proptest::collection::vec((0i64..5, 0u8..4), 0..60),
            limit in 0usize..25,
        ) {
            let items: Vec<(i64, u8, usize)> =
                items.into_iter().enumerate().map(|(i, (a, b))| (a, b, i)).collect();
            let mut sorted = items.clone();
            sorted.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            sorted.truncate(limit);
            let mut picked = items;
            first(&mut picked, limit, |x, y| {
                y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2))
            });
            proptest::prop_assert_eq!(picked, sorted);
        }
    }

    proptest::proptest! {
        /// The overdue actions read near the top of the due-date order are those a scan of
        /// every action finds, in every zone, for any day.
        #[test]
        fn late_actions_are_those_of_a_full_scan(
            actions in proptest::collection::vec((0usize..4, 0u8..3, 0u64..40), 0..50),
            hours in 0u64..(42 * 24),
            limit in 0usize..8,
        ) {
            let zones = ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", "Europe/Berlin"];
            let base = crate::testing::parse("2024-03-12-base", fixtures::FULL, &fixtures::config());
            let pms: Vec<PostMortem> = zones
                .iter()
                .enumerate()
                .map(|(i, zone)| PostMortem {
                    id: format!("pm-{i}"),
                    timezone: zone.parse().unwrap(),
                    ..base.clone()
                })
                .collect();
            let start = date("2024-01-01");
            let made: Vec<(usize, crate::postmortem::Action)> = actions
                .iter()
                .map(|&(pm, title, due)| {
                    let action = crate::postmortem::Action {
                        title: format!("action {title}"),
                        due: start.checked_add_days(Days::new(due)),
                        ..base.actions[0].clone()
                    };
                    (pm, action)
                })
                .collect();
            let mut due: Vec<DueAction> = made
                .iter()
                .enumerate()
                .map(|(position, (pm, action))| DueAction {
                    postmortem: &pms[*pm],
                    action,
                    due: action.due.unwrap(),
                    position,
                })
                .collect();
            due.sort_by_key(|a| (a.due, a.position));
            let as_of = start.and_time(chrono::NaiveTime::MIN).and_utc()
                + chrono::Duration::hours(hours as i64);
            let today = |tz: chrono_tz::Tz| local_date(&as_of, tz);

            let mut every: Vec<(i64, DueAction)> = due
                .iter()
                .map(|a| ((today(a.postmortem.timezone) - a.due).num_days(), *a))
                .filter(|(days, _)| *days > 0)
                .collect();
            let total = every.len();
            every.sort_by(|a, b| {
                b.0.cmp(&a.0)
                    .then_with(|| a.1.postmortem.id.cmp(&b.1.postmortem.id))
                    .then_with(|| a.1.action.title.cmp(&b.1.action.title))
                    .then_with(|| a.1.position.cmp(&b.1.position))
            });
            every.truncate(limit);

            let (late, counted) = late_actions(&due, as_of, limit, today);
            let key = |list: &[(i64, DueAction)]| -> Vec<(i64, String, usize)> {
                list.iter().map(|(d, a)| (*d, a.postmortem.id.clone(), a.position)).collect()
            };
            proptest::prop_assert_eq!(counted, total);
            proptest::prop_assert_eq!(key(&late), key(&every));
        }
    }

    #[test]
    fn default_period_is_the_last_seven_days() {
        let (since, until) = default_period(&fixtures::config(), fixtures::now());
        assert_eq!((since, until), (date("2024-03-25"), date("2024-04-01")));
    }

    #[test]
    fn digest_lists_reviews_new_post_mortems_and_what_is_overdue() {
        let archive = fixtures::archive();
        let digest = digest(
            &archive,
            &Analysis::new(&archive),
            date("2024-03-11"),
            date("2024-04-01"),
            fixtures::now(),
        );
        let ids = |items: &[DigestItem]| items.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&digest.reviewed), ["2024-03-12-checkout-failover"]);
        assert_eq!(digest.reviewed[0].date, "2024-03-14");
        assert_eq!(
            ids(&digest.started),
            [
                "2024-03-12-checkout-failover",
                "2024-03-20-search-slow",
                "2024-03-25-cdn-purge"
            ]
        );
        // SEV-1 resolved Wednesday 20 March: due Saturday 23 March; the period ends 1 April.
        assert_eq!(digest.overdue_reviews.len(), 1);
        assert_eq!(digest.overdue_reviews[0].deadline, "2024-03-23");
        assert_eq!(digest.overdue_reviews[0].days_overdue, 9);
        assert_eq!(digest.overdue_actions.len(), 1);
        assert_eq!(digest.overdue_actions[0].title, "Cap query fan-out");
    }

    #[test]
    fn a_severity_without_the_review_meeting_has_no_overdue_review() {
        use crate::config::ProcessPart;
        let mut archive = fixtures::archive();
        let period = |archive: &Archive| {
            digest(
                archive,
                &Analysis::new(archive),
                date("2024-03-11"),
                date("2024-04-01"),
                fixtures::now(),
            )
        };
        assert_eq!(period(&archive).overdue_reviews_total, 1);
        // The overdue review is a SEV-1's: its process leaves the meeting out from now on
        // (its deadline left in place, so the process alone decides).
        archive.config.severities[0].process = vec![ProcessPart::Actions, ProcessPart::Tickets];
        let digest = period(&archive);
        assert!(digest.overdue_reviews.is_empty());
        assert_eq!(digest.overdue_reviews_total, 0);
        assert_eq!(digest.overdue_actions.len(), 1, "its actions are still due");
    }

    #[test]
    fn overdue_lists_are_computed_at_the_end_of_the_period() {
        let archive = fixtures::archive();
        // The action is due 22 March, the review 23 March: neither is late on the 22nd.
        let early = digest(
            &archive,
            &Analysis::new(&archive),
            date("2024-03-18"),
            date("2024-03-22"),
            fixtures::now(),
        );
        assert!(early.overdue_reviews.is_empty());
        assert!(early.overdue_actions.is_empty());
        let later = digest(
            &archive,
            &Analysis::new(&archive),
            date("2024-03-18"),
            date("2024-03-25"),
            fixtures::now(),
        );
        assert_eq!(later.overdue_reviews[0].days_overdue, 2);
        assert_eq!(later.overdue_actions[0].days_overdue, 3);
        // A period that has not ended yet is computed at "now".
        let now = fixtures::at("2024-03-24T12:00:00Z");
        let current = digest(
            &archive,
            &Analysis::new(&archive),
            date("2024-03-18"),
            date("2024-03-25"),
            now,
        );
        assert_eq!(current.overdue_reviews[0].days_overdue, 1);
        assert_eq!(current.as_of, "2024-03-24T12:00:00Z");
    }

    #[test]
    fn digest_email_is_snapshotted_and_parses_back() {
        let archive = fixtures::archive();
        let raw = digest_email(
            &archive,
            &Analysis::new(&archive),
            date("2024-03-11"),
            date("2024-04-01"),
            fixtures::now(),
        );
        assert_eq!(
            raw,
            digest_email(
                &archive,
                &Analysis::new(&archive),
                date("2024-03-11"),
                date("2024-04-01"),
                fixtures::now()
            )
        );
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(
            message.subject(),
            Some("[Post-mortem] Digest 2024-03-11 to 2024-03-31")
        );
        assert_eq!(
            message.message_id(),
            Some("digest.2024-03-11.2024-04-01@postmortems.acme.example")
        );
        let text = message.body_text(0).unwrap().replace("\r\n", "\n");
        insta::assert_snapshot!(text, @"
        Acme post-mortems: digest for 2024-03-11 to 2024-03-31

        Reviewed (1)
        ------------

        - SEV-2: Checkout errors after a stalled failover (Closed, reviewed
          2024-03-14)
          A stalled Postgres failover made 18% of checkouts fail for 39 minutes.
          Learnings:
            1. Failovers need a timeout.
            2. Runbooks need a manual path, as in 2023
               (https://postmortems.acme.example/pm/2023-02-14-failover/).
          https://postmortems.acme.example/pm/2024-03-12-checkout-failover/


        New post-mortems (3)
        --------------------

        - SEV-2: Checkout errors after a stalled failover (Closed, started
          2024-03-12)
          A stalled Postgres failover made 18% of checkouts fail for 39 minutes.
          Learnings:
            1. Failovers need a timeout.
            2. Runbooks need a manual path, as in 2023
               (https://postmortems.acme.example/pm/2023-02-14-failover/).
          https://postmortems.acme.example/pm/2024-03-12-checkout-failover/

        - SEV-1: Search slow for all users (In Review, started 2024-03-20)
          Search took 8 s per query for an hour.
          Learnings:
            Fan-out needs a cap.
          https://postmortems.acme.example/pm/2024-03-20-search-slow/

        - SEV-3: CDN purge rate-limited (Draft, started 2024-03-25)
          Purges were rate-limited.
          https://postmortems.acme.example/pm/2024-03-25-cdn-purge/


        Overdue reviews (1)
        -------------------

        - SEV-1: Search slow for all users: review due 2024-03-23, 9 days
          overdue (Chen Li)
          https://postmortems.acme.example/pm/2024-03-20-search-slow/


        Actions past due (1)
        --------------------

        - Cap query fan-out (P0, Chen Li, due 2024-03-22, 10 days overdue)
          from Search slow for all users:
          https://postmortems.acme.example/pm/2024-03-20-search-slow/


        Follow-up work
        --------------

        3 actions created by this period's incidents, 0 done in the period, 1
        past due.

        All post-mortems: https://postmortems.acme.example/
        ");
        let html = message.body_html(0).unwrap();
        assert!(html.contains(">Overdue reviews (1)</h2>"), "{html}");
    }

    #[test]
    fn an_empty_period_says_so() {
        let archive = fixtures::archive();
        let digest = digest(
            &archive,
            &Analysis::new(&archive),
            date("2020-01-01"),
            date("2020-01-08"),
            fixtures::now(),
        );
        assert!(digest.is_empty());
        assert!(body(&archive.config, &digest)
            .text
            .contains("Nothing to report"));
    }

    #[test]
    fn weeks_are_iso_weeks_newest_first() {
        let archive = fixtures::archive();
        let listed = weeks(&archive, fixtures::now());
        let names: Vec<&str> = listed.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["2024-W13", "2024-W12", "2024-W11"]);
        let weeks = digests(&archive, &Analysis::new(&archive), &listed, fixtures::now());
        let names: Vec<&str> = weeks.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(names, ["2024-W13", "2024-W12", "2024-W11"]);
        assert_eq!(weeks[2].digest.since, "2024-03-11");
        assert_eq!(weeks[2].digest.until, "2024-03-18");
        assert_eq!(weeks[2].digest.reviewed.len(), 1);
        let json = serde_json::to_value(&weeks).unwrap();
        assert_eq!(
            json[0]["digest"]["started"][0]["id"],
            "2024-03-25-cdn-purge"
        );
    }

    #[test]
    fn a_long_backlog_is_cut_and_counted() {
        let mut text = String::from(
            "+++\ntitle = \"Backlog\"\nseverity = \"SEV-3\"\nstatus = \"Closed\"\nstarted = 2024-01-02T10:00:00Z\n",
        );
        for i in 0..25 {
            text.push_str(&format!(
                "\n[[actions]]\ntitle = \"Action {i:02}\"\nticket = \"OPS-{i}\"\ndue = 2024-02-{:02}\n",
                i + 1
            ));
        }
        text.push_str("+++\n");
        let config = crate::artifacts::fixtures::config();
        let pm = crate::artifacts::fixtures::parse("2024-01-02-backlog", &text);
        let archive = Archive::new(config.clone(), vec![pm], crate::artifacts::fixtures::now());
        let d = digest(
            &archive,
            &Analysis::new(&archive),
            NaiveDate::from_ymd_opt(2024, 3, 25).unwrap(),
            NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            crate::artifacts::fixtures::now(),
        );
        assert_eq!(d.overdue_actions_total, 25);
        assert_eq!(d.overdue_actions.len(), LIST_LIMIT);
        assert_eq!(
            d.overdue_actions[0].title, "Action 00",
            "most overdue first"
        );
        let body = body(&config, &d);
        assert!(body.text.contains("Actions past due (25)"), "{}", body.text);
        assert!(body
            .text
            .contains("… and 5 more: https://postmortems.acme.example/actions/"));
    }
}
