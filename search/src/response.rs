//! [`SearchResponse`]: what one search returns, ready to render or to print as JSON.

use serde::{Deserialize, Serialize};

use crate::explain::QueryErrorExplained;
use crate::unknown::UnknownValue;

/// The answer to one [`SearchRequest`](crate::SearchRequest).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// Number of matching post-mortems (all pages).
    pub total: usize,
    /// The requested page of hits, in order.
    pub hits: Vec<Hit>,
    /// Value counts of the keyword fields over all matching post-mortems.
    pub facets: Facets,
    /// True when the query matched nothing as typed and was retried with typo tolerance.
    pub fuzzy: bool,
    /// How many of `total` match every word of the query (they come first), when it has two
    /// words or more.
    pub all_words: Option<usize>,
    /// Words searched for besides those typed: near spellings of words the archive lacks
    /// (`certificate` for `certficate`) and completions of a last word cut short.
    pub also: Vec<String>,
    /// Why the query could not be read as typed, in plain words. When set, `hits` holds
    /// what a best-effort reading of the query found, possibly nothing.
    pub error: Option<QueryErrorExplained>,
    /// Every filter value of the request that names something, and what it names (`p1`
    /// names `SEV-1`), in the request's order.
    pub filters: Vec<FilterValue>,
    /// The filter values and `field:value`s of the query that name nothing in the
    /// archive, with what to use instead. They match nothing; the rest of the request
    /// still applies.
    pub unknown: Vec<UnknownValue>,
}

/// A filter value of the request, as the engine read it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterValue {
    /// The field: `severity`, `status`, `tag`, `service` or `cause`.
    pub field: String,
    /// The value as given: `p1`.
    pub given: String,
    /// The value it names, spelled as in [`Facets`] when they list it: `SEV-1`.
    pub value: String,
}

/// One matching post-mortem.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The post-mortem id; its page is `/pm/<id>/`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its severity, as written.
    pub severity: String,
    /// The severity's slug, for CSS classes and paths (`sev-1`); empty when the index has
    /// no vocabulary.
    pub severity_slug: String,
    /// Its status, as written.
    pub status: String,
    /// The status's slug (`in-review`); empty when the index has no vocabulary.
    pub status_slug: String,
    /// When impact began, in unix seconds (UTC).
    pub started: i64,
    /// Affected services, as written.
    pub services: Vec<String>,
    /// Relevance score (BM25); 0 when sorted by date or with no query text.
    pub score: f32,
    /// The section the snippet comes from, when it comes from the body.
    pub section: Option<String>,
    /// The id of that section's heading on the page, for a link straight to it.
    pub anchor: Option<String>,
    /// A passage of the body (or the summary), HTML-escaped, with `<mark>` around matches.
    pub snippet_html: String,
}

/// How many matching post-mortems have each value, per keyword field.
///
/// The lists of a scale (severity, status) are in its order, by rank; the others by count
/// (highest first), then by value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    /// Counts per severity.
    pub severity: Vec<FacetCount>,
    /// Counts per status.
    pub status: Vec<FacetCount>,
    /// Counts per tag.
    pub tag: Vec<FacetCount>,
    /// Counts per service.
    pub service: Vec<FacetCount>,
    /// Counts per cause.
    pub cause: Vec<FacetCount>,
    /// Counts per detection method.
    pub detection: Vec<FacetCount>,
}

impl Facets {
    /// The list of one field, by its name in [`FACET_FIELDS`](crate::FACET_FIELDS).
    pub fn get_mut(&mut self, field: &str) -> Option<&mut Vec<FacetCount>> {
        Some(match field {
            "severity" => &mut self.severity,
            "status" => &mut self.status,
            "tag" => &mut self.tag,
            "service" => &mut self.service,
            "cause" => &mut self.cause,
            "detection" => &mut self.detection,
            _ => return None,
        })
    }
}

/// One value of a keyword field and the number of matching post-mortems that have it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FacetCount {
    /// The value, as first written in the archive.
    pub value: String,
    /// Number of matching post-mortems with this value.
    pub count: u64,
    /// For a step of a scale (severity, status): its rank, 0 first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u64>,
    /// For a step of a scale: its slug, for CSS classes and paths (`sev-1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}
