//! Import: a report's body split into its title and sections, the headings matched through the
//! format's one table of section aliases (`SectionKind::TABLE`), the text of each section kept
//! as written.
//!
//! Reports use other heading levels than ours: a second H1 ("# Stats") is a section, and an
//! H3 that names a section of its own ("### What went well" under "## Lessons learned") is
//! raised to one. A paragraph that is only a bold phrase naming a section ("**Timeline**", as
//! document exports write headings) is a heading too.

use std::sync::LazyLock;

use regex::Regex;

use crate::parse::split_sections;
use crate::postmortem::SectionKind;

use super::actions::is_actions_heading;

/// One section of the imported body.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The heading as it will be written (the canonical name when only a cleaned form matched).
    pub heading: String,
    /// The section it is, when the heading names one.
    pub kind: Option<SectionKind>,
    /// Whether the heading names a list of actions.
    pub actions: bool,
    /// The Markdown under the heading, as written.
    pub markdown: String,
}

/// A report's body, split.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Body {
    /// The text of the first H1, when there is one before any section.
    pub title: Option<String>,
    /// The text before the first section (after the title).
    pub preamble: String,
    /// The sections, in order.
    pub parts: Vec<Part>,
}

static NUMBERING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d+(?:\.\d+)*[.)]?|[IVX]+\.|[A-Za-z][.)])\s+").expect("valid regex")
});

static PARENTHESES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\([^)]*\)\s*$").expect("valid regex"));

static BOLD_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\*\*|__)(?P<text>[^*_\n]{2,60}?)(?:\*\*|__):?\s*$").expect("valid regex")
});

/// A heading without its numbering ("2.1 "), emphasis, emoji, final colon or a final
/// parenthesis ("Root Cause(s)" stays, "Contributing Factors (findings)" loses it).
pub fn clean_heading(heading: &str) -> String {
    let text: String = heading
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || "'’;:,.&/()-+".contains(*c))
        .collect();
    let text = text.trim().trim_end_matches(':').trim();
    let text = NUMBERING.replace(text, "");
    text.replace('&', "and")
        .replace('’', "'")
        .trim()
        .to_string()
}

/// The section a heading names, directly or once cleaned, with the heading to write.
pub fn recognise(heading: &str) -> (String, Option<SectionKind>) {
    if let Some(kind) = SectionKind::from_heading(heading) {
        return (heading.to_string(), Some(kind));
    }
    let cleaned = clean_heading(heading);
    let candidates = [
        cleaned.clone(),
        PARENTHESES.replace(&cleaned, "").to_string(),
    ];
    for candidate in candidates {
        if let Some(kind) = SectionKind::from_heading(&candidate) {
            return (kind.heading().to_string(), Some(kind));
        }
    }
    (heading.to_string(), None)
}

static ZONE_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:[A-Za-z]+/[A-Za-z_]+|[A-Z]{2,5})\b").expect("valid regex"));

/// A zone written in a heading (`Timeline (UTC)`, `Timeline, all times CEST`), when the
/// timeline reads it.
pub(super) fn zone_in(heading: &str) -> Option<String> {
    let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)?;
    ZONE_WORD
        .find_iter(heading)
        .map(|m| m.as_str())
        .find(|z| crate::timeline::resolve_in(z, day, chrono::NaiveTime::MIN).is_some())
        .map(str::to_string)
}

/// Splits a report's body (without front matter) into title, preamble and sections.
pub fn split(body: &str) -> Body {
    let body = raise_headings(body);
    let mut out = Body::default();
    for section in split_sections(&std::sync::Arc::from(body.as_str()), 0) {
        let level = body[section.offset..]
            .trim_start()
            .chars()
            .take_while(|c| *c == '#')
            .count();
        if section.heading.is_empty() {
            out.preamble.push_str(section.markdown());
            continue;
        }
        if level == 1 && out.title.is_none() && out.parts.is_empty() {
            out.title = Some(section.heading.clone());
            out.preamble.push_str(section.markdown());
            continue;
        }
        let (heading, kind) = recognise(&section.heading);
        let actions = kind.is_none() && is_actions_heading(&clean_heading(&section.heading));
        let mut markdown = section.markdown().to_string();
        // why: "## Timeline (all times UTC)" names the zone in the words the heading loses.
        if heading != section.heading {
            if let Some(zone) = zone_in(&section.heading) {
                markdown = format!("\nAll times in {zone}.\n{markdown}");
            }
        }
        out.parts.push(Part {
            heading,
            kind,
            actions,
            markdown,
        });
    }
    out
}

/// The body with H3 to H6 headings that name a section raised to H2, and bold-phrase
/// paragraphs that name one written as H2, outside fenced code.
fn raise_headings(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut fence = false;
    let mut previous_blank = true;
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
        }
        let next_blank = lines.get(i + 1).is_none_or(|l| l.trim().is_empty());
        let names_section =
            |text: &str| recognise(text).1.is_some() || is_actions_heading(&clean_heading(text));
        let raised = if fence {
            None
        } else if let Some(text) = trimmed
            .strip_prefix("###")
            .map(|t| t.trim_start_matches('#'))
            .filter(|t| t.is_empty() || t.starts_with(' '))
        {
            let text = text.trim().trim_end_matches('#').trim();
            names_section(text).then(|| text.to_string())
        } else if previous_blank && next_blank {
            BOLD_HEADING
                .captures(trimmed)
                .map(|c| c["text"].trim().to_string())
                .filter(|t| names_section(t))
        } else {
            None
        };
        match raised {
            Some(text) => {
                out.push_str("## ");
                out.push_str(&text);
                out.push('\n');
            }
            None => out.push_str(line),
        }
        previous_blank = trimmed.is_empty();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(body: &str) -> Vec<(String, Option<SectionKind>, bool)> {
        split(body)
            .parts
            .into_iter()
            .map(|p| (p.heading, p.kind, p.actions))
            .collect()
    }

    #[test]
    fn the_first_h1_is_the_title_and_later_ones_are_sections() {
        let body = split("# Disk full\n\nDate: 2020-01-01\n\n## Summary\n\nx\n\n# Stats\n\n- a\n");
        assert_eq!(body.title.as_deref(), Some("Disk full"));
        assert_eq!(body.preamble.trim(), "Date: 2020-01-01");
        let headings: Vec<_> = body.parts.iter().map(|p| p.heading.as_str()).collect();
        assert_eq!(headings, ["Summary", "Stats"]);
        assert_eq!(body.parts[0].markdown, "\nx\n\n");
    }

    #[test]
    fn headings_of_real_reports_match_through_the_aliases() {
        use SectionKind::*;
        let body = "## Issue Summary\n## Fallout\n## Trigger\n## Root Cause(s)\n## Resolution and recovery\n## Action Items\n## 3. Lessons learned:\n## Contributing Factors (findings)\n## Timeline of events\n## Attendees\n";
        assert_eq!(
            kinds(body),
            [
                ("Issue Summary".into(), Some(Summary), false),
                ("Fallout".into(), Some(Impact), false),
                ("Trigger".into(), Some(ContributingFactors), false),
                ("Root Cause(s)".into(), Some(ContributingFactors), false),
                ("Resolution and recovery".into(), Some(Resolution), false),
                ("Action Items".into(), None, true),
                ("Lessons learned".into(), Some(LessonsLearned), false),
                (
                    "Contributing factors".into(),
                    Some(ContributingFactors),
                    false
                ),
                ("Timeline of events".into(), Some(Timeline), false),
                ("Attendees".into(), None, false),
            ]
        );
    }

    #[test]
    fn sections_named_under_lessons_learned_are_raised() {
        let body = "## Lessons learned\n\n### What went well\n\n- alerts\n\n### What went wrong\n\n- paging\n\n### Details\n\ntext\n";
        let parts = split(body).parts;
        let headings: Vec<_> = parts.iter().map(|p| (p.heading.as_str(), p.kind)).collect();
        assert_eq!(
            headings,
            [
                ("Lessons learned", Some(SectionKind::LessonsLearned)),
                ("What went well", Some(SectionKind::WhatWentWell)),
                ("What went wrong", Some(SectionKind::WhatWentWrong)),
            ]
        );
        assert!(parts[2].markdown.contains("### Details"));
    }

    #[test]
    fn bold_paragraphs_naming_a_section_are_headings() {
        let parts = split(
            "**Summary**\n\nIt broke.\n\n**Action items:**\n\n- fix it\n\nSome **bold** text.\n",
        )
        .parts;
        let headings: Vec<_> = parts.iter().map(|p| p.heading.as_str()).collect();
        assert_eq!(headings, ["Summary", "Action items:"]);
        assert!(parts[1].actions);
    }

    #[test]
    fn a_zone_in_a_heading_that_is_rewritten_becomes_a_note() {
        let parts = split("## Timeline (all times UTC)\n\n- 10:00 paged\n## 2. Timeline\n").parts;
        assert_eq!(parts[0].heading, "Timeline");
        assert_eq!(parts[0].markdown, "\nAll times in UTC.\n\n- 10:00 paged\n");
        assert_eq!(parts[1].markdown, "");
    }

    #[test]
    fn headings_inside_code_are_left_alone() {
        let parts = split("## Summary\n\n```\n### Timeline\n# not a heading\n```\n").parts;
        assert_eq!(parts.len(), 1);
        assert!(parts[0].markdown.contains("### Timeline"));
    }
}
