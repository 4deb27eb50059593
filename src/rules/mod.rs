//! Rules: the post-mortem process rules of the design for one validated post-mortem, as one
//! table ([`RULES`]) with a file per family (fields, sections, the review meeting, closing, the
//! external message, blame language), and the process view the site and the digest build on.
//!
//! Runs after `validate`, on each `PostMortem`, as a pure function of the post-mortem, the
//! configuration and the injected "now". Diagnostics come out at their codes' default levels;
//! the pipeline applies `blameless.toml [rules]` afterwards, as for every other code. A Draft is
//! exempt from every process rule.
//!
//! Each rule returns the [`Item`]s it checks with the problems found in each. `check` reports
//! the problems; the page's checklist ([`process`]) is the same items judged as if the
//! post-mortem were at its next status, so a line is done exactly when its rule finds nothing.
//!
//! A rule of a part of the process (`[[severity]] process`: the review meeting, actions,
//! tickets, the external message) asks [`Input::requires`] first, and returns no item for a
//! severity that leaves its part out: no problem and no checklist line.

mod blame;
mod closing;
mod external;
mod fields;
mod meeting;
mod repeat;
mod sections;
#[cfg(test)]
mod tests;

use std::ops::Range;

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};
use serde::{Serialize, Serializer};

use crate::config::{Config, Deadline, ProcessPart};
use crate::diagnostic::{Code, Diagnostic};
use crate::insights::Repeat;
use crate::postmortem::{PostMortem, Status};

pub use closing::{is_overdue, overdue_actions, unposted_messages, OverdueAction};
pub use external::{
    is_not_ticket, is_private_ip, CHAT_HOSTS, INTERNAL_SUFFIXES, NOT_TICKET_PREFIXES,
};
pub use meeting::{
    meeting_deadline, meeting_status, needs_attention, overdue_reviews, review_state, MeetingState,
    MeetingStatus, OverdueReview,
};
pub use sections::{expected_sections, has_section, EXTERNAL_MESSAGE_SKELETON, REQUIRED_SECTIONS};

/// What a rule judges: one post-mortem, at `now`, as if it were at `status`.
pub struct Input<'a> {
    /// The post-mortem.
    pub pm: &'a PostMortem,
    /// The archive's configuration.
    pub config: &'a Config,
    /// "Now", for deadlines.
    pub now: DateTime<Utc>,
    /// The status the rules judge by: the post-mortem's own in [`check`], the next one for
    /// the checklist.
    pub status: Status,
    /// The earlier incidents this one repeats (see `insights::repeats`).
    pub repeats: &'a [Repeat],
}

impl Input<'_> {
    /// Whether the post-mortem's severity follows `part` of the process.
    pub fn requires(&self, part: ProcessPart) -> bool {
        self.config.requires(&self.pm.severity, part)
    }
}

/// One thing a rule checks, and what it found.
pub struct Item {
    /// The checklist line, for what the process expects; `None` for what is only ever a
    /// problem (an internal detail in the external message).
    pub label: Option<String>,
    /// The status from which the process expects it.
    pub from: Status,
    /// What is wrong with it.
    pub problems: Vec<Diagnostic>,
    /// Nothing is wrong but it is not done yet: a review meeting still to come.
    pub pending: bool,
}

impl Item {
    /// A checklist line expected from `from`, with its problems.
    fn expected(from: Status, label: impl Into<String>, problems: Vec<Diagnostic>) -> Item {
        Item {
            label: Some(label.into()),
            from,
            problems,
            pending: false,
        }
    }

    /// Problems that are not a checklist line.
    fn problems(problems: Vec<Diagnostic>) -> Item {
        Item {
            label: None,
            from: Status::InReview,
            problems,
            pending: false,
        }
    }
}

/// One process rule: the codes it reports, and the check that finds them.
pub struct Rule {
    /// Every code the rule can report, the first being the one a checklist line stands for.
    pub codes: &'static [Code],
    /// Whether its items are lines of the page's checklist (else they are only problems, and
    /// the checklist need not run it).
    pub listed: bool,
    /// Whether what it finds depends on the post-mortem and the configuration alone, not on
    /// `now` nor the repeats: a caller may keep these problems for as long as both are the same.
    pub timeless: bool,
    /// The check.
    pub check: fn(&Input<'_>) -> Vec<Item>,
}

/// Every process rule, in the order of the page's checklist.
pub const RULES: &[Rule] = &[
    Rule {
        codes: &[Code::MissingOwner],
        listed: true,
        timeless: true,
        check: fields::owner,
    },
    Rule {
        codes: &[Code::MissingResolved],
        listed: true,
        timeless: true,
        check: fields::resolved,
    },
    Rule {
        codes: &[Code::MissingSection],
        listed: true,
        timeless: true,
        check: sections::check,
    },
    Rule {
        codes: &[Code::MissingActions],
        listed: true,
        timeless: true,
        check: fields::actions,
    },
    Rule {
        codes: &[
            Code::MissingMeeting,
            Code::MeetingLate,
            Code::MeetingOverdue,
        ],
        listed: true,
        timeless: false,
        check: meeting::check,
    },
    Rule {
        codes: &[Code::ActionWithoutTicket],
        listed: true,
        timeless: true,
        check: closing::tickets,
    },
    Rule {
        codes: &[Code::MessageNotPosted],
        listed: true,
        timeless: true,
        check: closing::message_posted,
    },
    Rule {
        codes: &[Code::OutageWord, Code::InternalDetail],
        listed: false,
        timeless: true,
        check: external::check,
    },
    Rule {
        codes: &[Code::BlameLanguage],
        listed: false,
        timeless: true,
        check: blame::check,
    },
    Rule {
        codes: &[Code::RepeatIncident],
        listed: false,
        timeless: false,
        check: repeat::check,
    },
];

/// Every process rule for one post-mortem, at the codes' default levels, sorted by position.
///
/// A Draft gets none. `now` decides whether a review meeting is overdue; `repeats` are the
/// earlier incidents this one repeats.
pub fn check(
    pm: &PostMortem,
    config: &Config,
    now: DateTime<Utc>,
    repeats: &[Repeat],
) -> Vec<Diagnostic> {
    let mut out = check_part(pm, config, now, repeats, true);
    out.extend(check_part(pm, config, now, repeats, false));
    crate::diagnostic::sort(&mut out);
    out
}

/// The problems [`check`] finds with the rules whose [`Rule::timeless`] is `timeless`, unsorted.
pub fn check_part(
    pm: &PostMortem,
    config: &Config,
    now: DateTime<Utc>,
    repeats: &[Repeat],
    timeless: bool,
) -> Vec<Diagnostic> {
    if pm.status == Status::Draft {
        return Vec::new();
    }
    let input = Input {
        pm,
        config,
        now,
        status: pm.status,
        repeats,
    };
    RULES
        .iter()
        .filter(|rule| rule.timeless == timeless)
        .flat_map(|rule| (rule.check)(&input))
        .flat_map(|item| item.problems)
        .collect()
}

pub(crate) fn place(pm: &PostMortem, diagnostic: Diagnostic, span: Range<usize>) -> Diagnostic {
    pm.place(diagnostic, span)
}

/// The span of the front matter's opening `+++`, where absent keys are reported.
pub(crate) const FRONT_MATTER: Range<usize> = 0..3;

/// A TOML datetime as it would be written in front matter.
pub(crate) fn toml_time(t: DateTime<FixedOffset>) -> String {
    let t = t.with_nanosecond(0).unwrap_or(t);
    if t.offset().local_minus_utc() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

pub(crate) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

pub(crate) fn short(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
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
    /// What the severity's process leaves out, as the page says it: "SEV-4: no review meeting,
    /// follow-up actions or tickets required"; `None` when it follows the whole process.
    pub lighter: Option<String>,
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
    // why: no checklist line comes from the repeats, so the checklist needs none.
    let input = Input {
        pm,
        config,
        now,
        status: target,
        repeats: &[],
    };
    let checklist = RULES
        .iter()
        .flat_map(|rule| {
            (rule.check)(&input)
                .into_iter()
                .map(move |item| (rule, item))
        })
        .filter_map(|(rule, item)| {
            let label = item.label?;
            Some(Check {
                label,
                done: item.problems.is_empty() && !item.pending,
                code: item.problems.first().map_or(rule.codes[0], |d| d.code),
                from: item.from,
            })
        })
        .filter(|check| check.from <= target)
        .collect();
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
        lighter: lighter(pm, config),
    }
}

/// The sentence of [`Process::lighter`].
fn lighter(pm: &PostMortem, config: &Config) -> Option<String> {
    let skipped: Vec<&str> = ProcessPart::ALL
        .iter()
        .filter(|part| !config.requires(&pm.severity, **part))
        .map(|part| part.noun())
        .collect();
    let (last, rest) = skipped.split_last()?;
    let list = match rest {
        [] => last.to_string(),
        _ => format!("{} or {last}", rest.join(", ")),
    };
    Some(format!("{}: no {list} required", pm.severity.name))
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
