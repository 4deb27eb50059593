//! [`SearchDoc`]: what the site build hands to the index for one post-mortem.

#[cfg(feature = "writer")]
use crate::schema::Fields;
use serde::{Deserialize, Serialize};
#[cfg(feature = "writer")]
use tantivy::{DateTime, TantivyDocument};

/// One post-mortem as the search index sees it.
///
/// The build fills it from the validated post-mortem; nothing here is parsed again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchDoc {
    /// The post-mortem id (file stem), unique in the archive.
    pub id: String,
    /// The title, searched with a boost.
    pub title: String,
    /// The plain text of the Markdown body, searched and used for snippets.
    pub body: String,
    /// One sentence for result lists, used as the snippet when the body has no match.
    pub summary: String,
    /// Hosts, services, error codes, ticket keys and the id, matched as whole words.
    pub idents: Vec<String>,
    /// Tags, as written in the front matter.
    pub tags: Vec<String>,
    /// Affected services.
    pub services: Vec<String>,
    /// Causes from the archive's controlled vocabulary.
    pub causes: Vec<String>,
    /// Severity name, such as `SEV-2`.
    pub severity: String,
    /// The severity's rank on the archive's scale: 0 is the most severe.
    pub severity_rank: u64,
    /// Status name, such as `In Review`.
    pub status: String,
    /// The status's rank in the lifecycle: 0 is `Draft`.
    pub status_rank: u64,
    /// How the incident was detected, when known.
    pub detection: Option<String>,
    /// When impact began, in unix seconds (UTC).
    pub started: i64,
    /// The owner of the post-mortem.
    pub owner: Option<String>,
    /// Everyone the post-mortem names.
    pub people: Vec<String>,
    /// Where each section starts in `body`, so that a snippet can say where it comes from.
    pub sections: Vec<SectionStart>,
}

/// The start of a section in [`SearchDoc::body`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SectionStart {
    /// Byte offset in the body.
    pub offset: usize,
    /// The heading as written.
    pub heading: String,
    /// The id of the heading on the post-mortem's page.
    pub anchor: String,
}

impl SearchDoc {
    /// Converts to a tantivy document of the blameless schema.
    #[cfg(feature = "writer")]
    pub(crate) fn to_document(&self, fields: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::with_capacity(self.document_bytes());
        doc.add_text(fields.id, &self.id);
        doc.add_text(fields.title, &self.title);
        doc.add_text(fields.body, &self.body);
        if !self.summary.is_empty() {
            doc.add_text(fields.summary, &self.summary);
        }
        // why: the id goes in as an identifier too, so `2024-03-12-db` finds its post-mortem.
        doc.add_text(fields.ident, &self.id);
        for ident in &self.idents {
            doc.add_text(fields.ident, ident);
        }
        let keyword_lists = [
            (fields.tag, &self.tags),
            (fields.service, &self.services),
            (fields.cause, &self.causes),
        ];
        for (field, values) in keyword_lists {
            for value in values {
                doc.add_text(field, value);
            }
        }
        for text in [&self.title, &self.summary, &self.body] {
            if !text.is_empty() {
                doc.add_text(fields.words, text);
            }
        }
        for value in self.tags.iter().chain(&self.services).chain(&self.causes) {
            doc.add_text(fields.facet_text, value);
        }
        for person in &self.people {
            doc.add_text(fields.people, person);
        }
        if let Some(owner) = &self.owner {
            doc.add_text(fields.owner, owner);
        }
        if !self.sections.is_empty() {
            // why: stored, never searched: read back only to name a snippet's section.
            doc.add_text(
                fields.sections,
                serde_json::to_string(&self.sections).unwrap_or_default(),
            );
        }
        doc.add_text(fields.severity, &self.severity);
        doc.add_u64(fields.severity_rank, self.severity_rank);
        doc.add_text(fields.status, &self.status);
        doc.add_u64(fields.status_rank, self.status_rank);
        if let Some(detection) = &self.detection {
            doc.add_text(fields.detection, detection);
        }
        doc.add_date(fields.started, DateTime::from_timestamp_secs(self.started));
        doc
    }

    /// About the bytes that [`SearchDoc::to_document`] writes: every text once, the title,
    /// summary and body twice, and a few bytes of framing for each value.
    // why: a document that grows from tantivy's default of 1 KiB to a post-mortem's 20 KiB
    // is copied five times, and the copies are freed on the writer's thread, not the
    // preparing one: at 10,000 post-mortems the regrowth and the fresh pages it faulted in
    // were 4 % of a build's profile.
    #[cfg(feature = "writer")]
    fn document_bytes(&self) -> usize {
        const FRAMING: usize = 16;
        let lists = [
            &self.idents,
            &self.tags,
            &self.services,
            &self.causes,
            &self.people,
        ];
        let listed: usize = lists
            .iter()
            .flat_map(|list| list.iter())
            .map(|value| value.len() + FRAMING)
            .sum();
        let prose = self.title.len() + self.summary.len() + self.body.len();
        let sections: usize = self
            .sections
            .iter()
            .map(|s| s.heading.len() + s.anchor.len() + 2 * FRAMING)
            .sum();
        2 * prose + listed + sections + 2 * self.id.len() + 32 * FRAMING
    }
}
