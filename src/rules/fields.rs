//! The fields a post-mortem needs from "In Review" on: `owner`, `resolved`, and `[[actions]]`
//! when its severity's process has actions.

use super::{place, toml_time, Input, Item, FRONT_MATTER};
use crate::config::ProcessPart;
use crate::diagnostic::{Code, Diagnostic};
use crate::postmortem::Status;

/// `missing-owner`: someone writes the post-mortem and sees its actions through.
pub(super) fn owner(input: &Input<'_>) -> Vec<Item> {
    let pm = input.pm;
    let mut problems = Vec::new();
    if pm.owner.is_none() {
        let span = pm.field_span("owner");
        problems.push(place(
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
    vec![Item::expected(Status::InReview, "Owner named", problems)]
}

/// `missing-resolved`: when the incident was over.
pub(super) fn resolved(input: &Input<'_>) -> Vec<Item> {
    let pm = input.pm;
    let mut problems = Vec::new();
    if pm.resolved.is_none() {
        let example = toml_time(pm.mitigated.unwrap_or(pm.started));
        problems.push(place(
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
    vec![Item::expected(
        Status::InReview,
        "Resolution time recorded",
        problems,
    )]
}

/// `missing-actions`: at least one follow-up action, for a severity whose process has actions.
pub(super) fn actions(input: &Input<'_>) -> Vec<Item> {
    if !input.requires(ProcessPart::Actions) {
        return Vec::new();
    }
    let pm = input.pm;
    let mut problems = Vec::new();
    if pm.actions.is_empty() {
        problems.push(place(
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
    vec![Item::expected(
        Status::InReview,
        "Follow-up actions listed",
        problems,
    )]
}
