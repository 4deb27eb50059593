//! `missing-section`: the sections a post-mortem needs from "In Review" on, and where a missing
//! one belongs.

use std::ops::Range;

use super::{place, Input, Item};
use crate::config::{Config, ProcessPart};
use crate::diagnostic::{Code, Diagnostic};
use crate::postmortem::{PostMortem, SectionKind, Status};

/// Sections every post-mortem needs from "In Review" on, whatever its severity: the record is
/// what search, related incidents and repeats read.
pub const REQUIRED_SECTIONS: &[SectionKind] = &[
    SectionKind::Summary,
    SectionKind::Impact,
    SectionKind::Timeline,
    SectionKind::ContributingFactors,
    SectionKind::Resolution,
];

/// Whether the post-mortem has a section of `kind` with something in it.
pub fn has_section(pm: &PostMortem, kind: SectionKind) -> bool {
    pm.sections
        .iter()
        .any(|s| s.kind == Some(kind) && !s.is_empty())
}

/// The sections the rules expect of this post-mortem from "In Review" on: the required ones,
/// and the external message when customers were affected and the severity's process has it.
pub fn expected_sections(pm: &PostMortem, config: &Config) -> Vec<SectionKind> {
    let mut kinds = REQUIRED_SECTIONS.to_vec();
    if pm.customer_impact && config.requires(&pm.severity, ProcessPart::ExternalMessage) {
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

/// `missing-section`: one checklist line per section the post-mortem needs.
pub(super) fn check(input: &Input<'_>) -> Vec<Item> {
    let pm = input.pm;
    expected_sections(pm, input.config)
        .into_iter()
        .map(|kind| {
            let heading = kind.heading();
            let mut problems = Vec::new();
            match pm.section(kind) {
                Some(section) if section.is_empty() => {
                    let end = pm.source[section.offset..]
                        .find('\n')
                        .map_or(pm.source.len(), |i| section.offset + i);
                    problems.push(place(
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
                Some(_) => {}
                None => {
                    let (span, label) = insertion_point(pm, kind);
                    problems.push(place(
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
            Item::expected(
                Status::InReview,
                format!("{heading} section written"),
                problems,
            )
        })
        .collect()
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
