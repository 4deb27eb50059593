//! Closing a post-mortem: tickets for every action (`action-without-ticket`), the external
//! message posted (`message-not-posted`), each for a severity whose process has that part, and
//! the open actions past their due date.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::borrow::Borrow;

use super::{place, short, Input, Item, FRONT_MATTER};
use crate::calendar;
use crate::config::{Config, ProcessPart};
use crate::diagnostic::{Code, Diagnostic};
use crate::postmortem::{Action, PostMortem, Status};

/// `action-without-ticket`: a Closed post-mortem tracks every action in the tracker.
pub(super) fn tickets(input: &Input<'_>) -> Vec<Item> {
    if input.status != Status::Closed || !input.requires(ProcessPart::Tickets) {
        return Vec::new();
    }
    let pm = input.pm;
    let mut out = Vec::new();
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
    vec![Item::expected(
        Status::Closed,
        "Every action has a ticket",
        out,
    )]
}

/// `message-not-posted`: a Closed post-mortem with customer impact had its message posted.
pub(super) fn message_posted(input: &Input<'_>) -> Vec<Item> {
    let pm = input.pm;
    if input.status != Status::Closed
        || !pm.customer_impact
        || !input.requires(ProcessPart::ExternalMessage)
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    if pm.external_message_posted.is_none() {
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
    vec![Item::expected(
        Status::Closed,
        "External message posted",
        out,
    )]
}

/// Post-mortems past Draft with `customer_impact` whose external message is not posted yet,
/// oldest incident first; only those whose severity's process has the external message.
pub fn unposted_messages<'a, P: Borrow<PostMortem>>(
    postmortems: &'a [P],
    config: &Config,
) -> Vec<&'a PostMortem> {
    let mut out: Vec<&PostMortem> = postmortems
        .iter()
        .map(Borrow::borrow)
        .filter(|pm| {
            pm.status != Status::Draft
                && pm.customer_impact
                && pm.external_message_posted.is_none()
                && config.requires(&pm.severity, ProcessPart::ExternalMessage)
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
    action.status == crate::postmortem::ActionStatus::Open
        && action
            .due
            .is_some_and(|due| calendar::local_date(&now, zone) > due)
}

/// Open actions past their due date, across the post-mortems past Draft, most overdue first.
pub fn overdue_actions<P: Borrow<PostMortem>>(
    postmortems: &[P],
    now: DateTime<Utc>,
) -> Vec<OverdueAction<'_>> {
    let mut out: Vec<OverdueAction<'_>> = postmortems
        .iter()
        .map(Borrow::borrow)
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
