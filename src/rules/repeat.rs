//! `repeat-incident`: the incident repeats an earlier one whose prevent or detect action was
//! still open. It stays a warning until the post-mortem lists the earlier one in `related`,
//! which says the review has looked at why the action was not done in time.

use super::{place, Input, Item};
use crate::diagnostic::{Code, Diagnostic};

pub(super) fn check(input: &Input<'_>) -> Vec<Item> {
    let pm = input.pm;
    let problems = input
        .repeats
        .iter()
        .filter(|r| !pm.related.contains(&r.earlier_id))
        .map(|repeat| {
            place(
                pm,
                Diagnostic::new(
                    Code::RepeatIncident,
                    format!(
                        "this incident repeats `{}`: {}, could have prevented it",
                        repeat.earlier_id,
                        repeat.describe_actions()
                    ),
                )
                .label(repeat.reasons().join(", "))
                .help(format!(
                    "discuss in the review why the action was not done in time, then add `\"{}\"` to `related`; if it was done before this incident, give it `done = YYYY-MM-DD` in `{}`",
                    repeat.earlier_id, repeat.earlier_id
                )),
                pm.field_span("services"),
            )
        })
        .collect();
    vec![Item::problems(problems)]
}
