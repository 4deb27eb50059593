//! `PostMortem`: one validated post-mortem, the type every stage after parsing trusts.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;

use crate::diagnostic::{Diagnostic, LineIndex};
use crate::markdown::{self, BodyLink};
use crate::timeline::Timeline;

/// The post-mortem lifecycle, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Being written; only the format rules apply.
    Draft,
    /// Written, waiting for the review meeting.
    InReview,
    /// The review meeting took place.
    Reviewed,
    /// Every follow-up is ticketed and the external message is posted.
    Closed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::InReview,
        Status::Reviewed,
        Status::Closed,
    ];

    /// The name as written in front matter.
    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::InReview => "In Review",
            Status::Reviewed => "Reviewed",
            Status::Closed => "Closed",
        }
    }

    /// The URL-safe form used in paths and CSS classes.
    pub fn slug(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in-review",
            Status::Reviewed => "reviewed",
            Status::Closed => "closed",
        }
    }

    /// Reads a status, ignoring case and the space in "In Review".
    pub fn parse(text: &str) -> Option<Status> {
        let squashed: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .collect();
        Status::ALL
            .into_iter()
            .find(|s| s.name().replace(' ', "").eq_ignore_ascii_case(&squashed))
    }
}

/// A closed set of names written in front matter, as an enum: its values in order, each
/// value's name, and the value of a name (any case).
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// Every name, as written in front matter.
            pub const NAMES: &'static [&'static str] = &[$($text,)*];

            /// The name, as written in front matter.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The value a name stands for, in any case.
            pub fn from_name(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

named! {
    /// How the incident was noticed.
    Detection {
        Monitoring = "monitoring",
        Alert = "alert",
        CustomerReport = "customer-report",
        InternalReport = "internal-report",
        Other = "other",
    }
}

named! {
    /// The priority of a follow-up action, most urgent first.
    Priority {
        P0 = "P0",
        P1 = "P1",
        P2 = "P2",
        P3 = "P3",
    }
}

named! {
    /// What a follow-up action does.
    ActionKind {
        Prevent = "prevent",
        Mitigate = "mitigate",
        Detect = "detect",
        Process = "process",
        Other = "other",
    }
}

named! {
    /// Where a follow-up action stands.
    ActionStatus {
        /// Still to do.
        Open = "open",
        /// Done.
        Done = "done",
        /// Decided against.
        Wontfix = "wontfix",
    }
}

/// A severity as resolved against the archive's scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Severity {
    /// The canonical name, such as `SEV-1`.
    pub name: String,
    /// Position in the scale: 0 is the most severe.
    pub rank: usize,
}

impl Severity {
    /// The URL-safe form used in paths and CSS classes.
    pub fn slug(&self) -> String {
        crate::slug::slugify(&self.name)
    }
}

/// The `[meeting]` table: the post-mortem review meeting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meeting {
    /// When it took (or takes) place.
    pub at: Option<DateTime<FixedOffset>>,
    /// The times it was set for before it was moved, so that calendars update the invite.
    pub moved_from: Vec<DateTime<FixedOffset>>,
    /// Where it takes place, a room or a call link, if not the archive's `[meeting] location`.
    pub location: Option<String>,
    /// Who attended.
    pub attendees: Vec<String>,
    /// Link to the recording.
    pub recording: Option<String>,
}

/// One `[[actions]]` entry: a follow-up action.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// What is to be done.
    pub title: String,
    /// Who does it.
    pub owner: Option<String>,
    /// `P0` to `P3`.
    pub priority: Option<Priority>,
    /// prevent, mitigate, detect, process or other.
    pub kind: Option<ActionKind>,
    /// A tracker key or URL.
    pub ticket: Option<String>,
    /// When it is due.
    pub due: Option<NaiveDate>,
    /// open, done or wontfix.
    pub status: ActionStatus,
    /// When it was done (or decided against); `None` for a closed action means "since
    /// forever", as far as the archive can tell.
    pub done: Option<NaiveDate>,
    /// The service it is for, one of the post-mortem's `services`; `None` means the first.
    pub service: Option<String>,
    /// Byte span of the action's `title` value in the source, for diagnostics.
    pub span: Range<usize>,
}

impl Action {
    /// The service the action is for: its own `service`, else the post-mortem's first.
    pub fn service<'a>(&'a self, pm: &'a PostMortem) -> Option<&'a str> {
        self.service
            .as_deref()
            .or(pm.services.first().map(String::as_str))
    }

    /// Whether the action was still to do on `day`: open, or closed only after it.
    pub fn open_on(&self, day: NaiveDate) -> bool {
        match (self.status, self.done) {
            (ActionStatus::Open, _) => true,
            (_, Some(done)) => done > day,
            (_, None) => false,
        }
    }
}

/// A body section: a level-1 or level-2 heading and the Markdown under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The heading as written; empty for text before the first heading.
    pub heading: String,
    /// The well-known section this heading names, if any.
    pub kind: Option<SectionKind>,
    /// Byte offset of the heading line (or of the body) in the source.
    pub offset: usize,
    /// Byte offset of the Markdown under the heading in the source.
    pub content_offset: usize,
    /// Where the Markdown under the heading ends in the source.
    pub content_end: usize,
    // why: the text the offsets are in, shared rather than copied: a section's Markdown is a
    // slice of its source, and a copy of every body took a quarter of the parsed archive.
    pub(crate) source: Arc<str>,
}

impl Section {
    /// The Markdown under the heading.
    pub fn markdown(&self) -> &str {
        &self.source[self.content_offset..self.content_end]
    }

    /// The id of its heading on the page: the well-known section's canonical name, else the
    /// heading's slug; `introduction` for text before the first heading.
    pub fn anchor(&self) -> String {
        match self.kind {
            Some(kind) => crate::slug::slugify(kind.heading()),
            None if self.heading.is_empty() => "introduction".into(),
            None => crate::slug::slugify(&self.heading),
        }
    }

    /// Whether nothing is written under the heading: no text once comments (the template's
    /// hints) and blank lines are left out. The one test of "written" that the rules, the
    /// page's checklist and the emails share.
    pub fn is_empty(&self) -> bool {
        let mut rest = self.markdown().trim_start();
        while let Some(comment) = rest.strip_prefix("<!--") {
            match comment.find("-->") {
                Some(end) => rest = comment[end + 3..].trim_start(),
                // why: an unclosed comment runs to the end, as it does when rendered.
                None => return true,
            }
        }
        rest.is_empty()
    }
}

/// The sections the format knows, in their usual order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionKind {
    Summary,
    Impact,
    Timeline,
    ContributingFactors,
    Detection,
    Resolution,
    WhatWentWell,
    WhatWentWrong,
    WhereWeGotLucky,
    LessonsLearned,
    Questions,
    ExternalMessage,
    InternalEmail,
}

impl SectionKind {
    /// Every kind with its canonical heading and its aliases.
    pub const TABLE: &'static [(SectionKind, &'static str, &'static [&'static str])] = &[
        (
            SectionKind::Summary,
            "Summary",
            &[
                "TL;DR",
                "Overview",
                "Issue summary",
                "Incident summary",
                "Executive summary",
            ],
        ),
        (
            SectionKind::Impact,
            "Impact",
            &["Customer impact", "Fallout"],
        ),
        (
            SectionKind::Timeline,
            "Timeline",
            &[
                "Timeline of events",
                "Incident timeline",
                "Sequence of events",
                "Chronology",
            ],
        ),
        (
            SectionKind::ContributingFactors,
            "Contributing factors",
            &[
                "Root cause",
                "Root causes",
                "Root cause analysis",
                "Root cause(s)",
                "Causes",
                "Five whys",
                "Trigger",
            ],
        ),
        (SectionKind::Detection, "Detection", &[]),
        (
            SectionKind::Resolution,
            "Resolution",
            &["Remediation", "Recovery", "Resolution and recovery"],
        ),
        (SectionKind::WhatWentWell, "What went well", &[]),
        (
            SectionKind::WhatWentWrong,
            "What went wrong",
            &[
                "What didn't go well",
                "What went poorly",
                "What we didn't do so well",
            ],
        ),
        (SectionKind::WhereWeGotLucky, "Where we got lucky", &[]),
        (
            SectionKind::LessonsLearned,
            "Lessons learned",
            &["What we learned", "What can we learn"],
        ),
        (SectionKind::Questions, "Questions", &["Open questions"]),
        (
            SectionKind::ExternalMessage,
            "External message",
            &["Status page message", "Customer message"],
        ),
        (SectionKind::InternalEmail, "Internal email", &[]),
    ];

    /// The canonical heading.
    pub fn heading(self) -> &'static str {
        SectionKind::TABLE
            .iter()
            .find(|(k, _, _)| *k == self)
            .map(|(_, h, _)| *h)
            .unwrap_or_default()
    }

    /// Recognises a heading, ignoring case, surrounding space, a final colon and curly quotes.
    pub fn from_heading(heading: &str) -> Option<SectionKind> {
        let norm = |s: &str| {
            s.trim()
                .trim_end_matches(':')
                .replace('\u{2019}', "'")
                .to_lowercase()
        };
        let wanted = norm(heading);
        SectionKind::TABLE.iter().find_map(|(kind, name, aliases)| {
            (norm(name) == wanted || aliases.iter().any(|a| norm(a) == wanted)).then_some(*kind)
        })
    }
}

/// One post-mortem, parsed and checked on its own.
#[derive(Clone, Debug)]
pub struct PostMortem {
    /// The id: file stem or bundle directory name.
    pub id: String,
    /// The source file, relative to the archive root.
    pub path: PathBuf,
    /// The bundle directory (relative to the root) when the source is `<id>/index.md`.
    pub bundle: Option<PathBuf>,
    /// Files of the bundle besides `index.md`, relative to the bundle directory.
    pub assets: Vec<PathBuf>,
    /// The whole source text (BOM removed, line ends normalised), for diagnostics.
    pub source: Arc<str>,
    /// Where the lines of `source` start, built at the first diagnostic placed in it.
    pub lines: OnceLock<LineIndex>,
    /// The title.
    pub title: String,
    /// The severity on the archive's scale.
    pub severity: Severity,
    /// Where it stands in the lifecycle.
    pub status: Status,
    /// When impact began.
    pub started: DateTime<FixedOffset>,
    /// When the incident was noticed.
    pub detected: Option<DateTime<FixedOffset>>,
    /// When impact was mitigated.
    pub mitigated: Option<DateTime<FixedOffset>>,
    /// When the incident was resolved.
    pub resolved: Option<DateTime<FixedOffset>>,
    /// The zone for display (the front matter's, else the archive's).
    pub timezone: Tz,
    /// One sentence for lists and emails.
    pub summary: String,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The services involved.
    pub services: Vec<String>,
    /// Causes from the archive's vocabulary.
    pub causes: Vec<String>,
    /// How the incident was noticed.
    pub detection: Option<Detection>,
    /// Whether customers were affected.
    pub customer_impact: bool,
    /// Whether it was a full outage (only then may the message say "outage").
    pub full_outage: bool,
    /// The author responsible for the post-mortem.
    pub owner: Option<String>,
    /// Who led the response.
    pub incident_commander: Option<String>,
    /// Who took notes.
    pub scribe: Option<String>,
    /// Who shadowed the incident commander, learning the role.
    pub commander_shadow: Option<String>,
    /// Who else responded.
    pub responders: Vec<String>,
    /// Ids of related post-mortems.
    pub related: Vec<String>,
    /// When support posted the external message.
    pub external_message_posted: Option<DateTime<FixedOffset>>,
    /// The review meeting.
    pub meeting: Option<Meeting>,
    /// Named links: chat channel, dashboards, recordings.
    pub links: BTreeMap<String, String>,
    /// Follow-up actions.
    pub actions: Vec<Action>,
    /// The body, split into sections.
    pub sections: Vec<Section>,
    /// The parsed `## Timeline`.
    pub timeline: Timeline,
    /// Byte spans of front-matter keys, for diagnostics that point at a field.
    pub field_spans: BTreeMap<String, Range<usize>>,
    /// The weighted terms of the text analysis, sorted, made when the analysis first reads
    /// them ([`crate::insights::text`]): once per parse, however often the archive is analysed.
    pub terms: OnceLock<crate::insights::TermCounts>,
    /// The links and images of the body's sections, their spans in `source`, found when the
    /// links are first checked ([`crate::validate`]): once per parse, however often checked.
    pub body_links: OnceLock<Vec<BodyLink>>,
}

impl PostMortem {
    /// The first section of `kind`.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == Some(kind))
    }

    /// The links and images of the body, spans in `source`, in the order of the text.
    pub fn body_links(&self) -> &[BodyLink] {
        self.body_links.get_or_init(|| {
            self.sections
                .iter()
                .flat_map(|section| {
                    markdown::links(section.markdown())
                        .into_iter()
                        .map(|link| BodyLink {
                            span: section.content_offset + link.span.start
                                ..section.content_offset + link.span.end,
                            ..link
                        })
                })
                .collect()
        })
    }

    /// Places `diagnostic` in this post-mortem's file at byte `span` of its source; cheap for
    /// the thousandth diagnostic of one file as for the first.
    pub fn place(&self, diagnostic: Diagnostic, span: Range<usize>) -> Diagnostic {
        let lines = self.lines.get_or_init(|| LineIndex::new(&self.source));
        diagnostic.at_line(&self.path, &self.source, lines, span)
    }

    /// What its `## Timeline` section is read from, if it has one.
    pub fn timeline_input(&self) -> Option<crate::timeline::Input<'_>> {
        let section = self.section(SectionKind::Timeline)?;
        Some(crate::timeline::Input {
            path: &self.path,
            source: &self.source,
            markdown: section.markdown(),
            offset: section.content_offset,
            started: self.started,
            timezone: self.timezone,
        })
    }

    /// The span of a front-matter key, or of the front matter's start when it is absent.
    pub fn field_span(&self, key: &str) -> Range<usize> {
        self.field_spans.get(key).cloned().unwrap_or(0..3)
    }

    /// Every person named in the post-mortem (owner, commander, shadow, scribe, responders,
    /// attendees, action owners), with any "(Team)" suffix removed.
    pub fn people(&self) -> Vec<String> {
        let mut people: Vec<String> = self
            .owner
            .iter()
            .chain(&self.incident_commander)
            .chain(&self.commander_shadow)
            .chain(&self.scribe)
            .chain(&self.responders)
            .chain(self.meeting.iter().flat_map(|m| &m.attendees))
            .chain(self.actions.iter().filter_map(|a| a.owner.as_ref()))
            .map(|p| p.split('(').next().unwrap_or(p).trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        people.sort();
        people.dedup();
        people
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_read_in_any_case_and_keep_their_order() {
        assert_eq!(Priority::from_name("p1"), Some(Priority::P1));
        assert!(Priority::P0 < Priority::P3);
        assert_eq!(
            Detection::from_name("Customer-Report"),
            Some(Detection::CustomerReport)
        );
        assert_eq!(ActionStatus::NAMES, ["open", "done", "wontfix"]);
        assert_eq!(ActionKind::from_name("fix"), None);
        assert_eq!(
            serde_json::to_string(&ActionStatus::Wontfix).unwrap(),
            "\"wontfix\""
        );
    }

    #[test]
    fn status_parse_is_forgiving_about_case_and_spacing() {
        assert_eq!(Status::parse("In Review"), Some(Status::InReview));
        assert_eq!(Status::parse("in-review"), Some(Status::InReview));
        assert_eq!(Status::parse("CLOSED"), Some(Status::Closed));
        assert_eq!(Status::parse("Done"), None);
    }

    #[test]
    fn section_aliases_are_recognised() {
        assert_eq!(
            SectionKind::from_heading("Root Cause Analysis"),
            Some(SectionKind::ContributingFactors)
        );
        assert_eq!(
            SectionKind::from_heading("What didn\u{2019}t go well:"),
            Some(SectionKind::WhatWentWrong)
        );
        assert_eq!(
            SectionKind::from_heading("tl;dr"),
            Some(SectionKind::Summary)
        );
        assert_eq!(SectionKind::from_heading("Stats"), None);
    }
}
