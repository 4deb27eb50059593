//! The review meeting: its deadline, where it stands, the rules that report it
//! (`missing-meeting`, `meeting-late`, `meeting-overdue`), and the reviews that need someone.
//! A severity whose process leaves the meeting out has none of these: no deadline, no rule, no
//! checklist line, never overdue.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::borrow::Borrow;

use super::{date_opt, days, display_opt, place, toml_time, Input, Item, FRONT_MATTER};
use crate::calendar;
use crate::config::{Config, Deadline, ProcessPart};
use crate::diagnostic::{Code, Diagnostic};
use crate::postmortem::{PostMortem, Status};

/// Where a post-mortem stands with its review meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeetingState {
    /// The severity has no meeting deadline, or its process no review meeting.
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

/// The meeting deadline of `pm`: `None` when its severity has none (or no review meeting in
/// its process) or it is not resolved yet.
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
    if !config.requires(&pm.severity, ProcessPart::ReviewMeeting) {
        return None;
    }
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

/// `missing-meeting`, `meeting-late`, `meeting-overdue`: one checklist line, the review
/// meeting held by its deadline, for a severity whose process has a review meeting.
pub(super) fn check(input: &Input<'_>) -> Vec<Item> {
    if !input.requires(ProcessPart::ReviewMeeting) {
        return Vec::new();
    }
    let (pm, config, now) = (input.pm, input.config, input.now);
    let mut out = Vec::new();
    let at = pm.meeting.as_ref().and_then(|m| m.at);
    let status = meeting_status(pm, config, now);
    let label = match status.deadline {
        Some(deadline) => format!("Review meeting held by {deadline}"),
        None => "Review meeting held".to_string(),
    };
    find(input, at, &status, &mut out);
    vec![Item {
        label: Some(label),
        from: Status::Reviewed,
        pending: out.is_empty() && at.is_none_or(|t| t > now),
        problems: out,
    }]
}

fn find(
    input: &Input<'_>,
    at: Option<DateTime<FixedOffset>>,
    status: &MeetingStatus,
    out: &mut Vec<Diagnostic>,
) {
    let (pm, now) = (input.pm, input.now);
    if input.status >= Status::Reviewed && at.is_none() {
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
        MeetingState::Overdue if input.status == Status::InReview => {
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
pub fn overdue_reviews<'a, P: Borrow<PostMortem>>(
    postmortems: &'a [P],
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<OverdueReview<'a>> {
    let mut out: Vec<OverdueReview<'a>> = postmortems
        .iter()
        .map(Borrow::borrow)
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
