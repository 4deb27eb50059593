//! Search schema, index writer and query engine shared by the site build, the CLI and the
//! browser's wasm module.
//!
//! This crate is the one place that knows the index. The build calls [`build_index`] with
//! one [`SearchDoc`] per post-mortem; `blameless search` opens the result with
//! [`Engine::open_dir`]; the wasm module opens the same files over HTTP range requests
//! with [`RangeDirectory`] and [`HotCache`], in rounds of parallel requests
//! ([`LazyEngine`]). All of them answer a [`SearchRequest`] with
//! [`Engine::search`], so one query syntax and one ranking hold everywhere.
//!
//! ```text
//! SearchDoc* + Vocabulary ─► build_index(dir) ─► dir/{meta.json, <hash>.*, vocabulary.json, hotcache.bin}
//! dir ─► Engine::open_dir ─┐
//! HotCache + RangeFetcher ─► RangeDirectory ─► Index::open ─► Engine::open ─┤
//!                                      SearchRequest ─► Engine::search ─► SearchResponse
//! ```
//!
//! The schema: `title`, `body` and `summary` are English-stemmed text with positions, so
//! "phrases" work; `ident` holds hosts, services, error codes, ticket keys and the id,
//! split on whitespace only, so `checkout-api` and `OPS-1234` match as one word; `tag`,
//! `service`, `cause`, `severity`, `status` and `detection` are lowercase keywords
//! (`tag:postgres`, `severity:sev-1`) with a column for facet counts; `severity_rank` and
//! `status_rank` are columns of each document's rank on its scale, for the facets' order;
//! `started` is a date for the since/until range and newest-first sorting.
//!
//! Beside the index, [`Vocabulary`] (`vocabulary.json`) names the archive's scales: so
//! `P1` finds SEV-1 in a filter and in `severity:P1`, and hits and facets carry their
//! slugs. A filter value that names nothing comes back in [`SearchResponse::unknown`] with
//! the closest known values ([`UnknownValue`]), for the CLI and the page to show alike.
//!
//! The query syntax is tantivy's: words, "phrases", `AND`/`OR`/`-`, `field:value`, over
//! title (boosted), summary, body and ident by default. A query that matches nothing is
//! retried with one typo allowed per word ([`SearchResponse::fuzzy`]); a query that
//! cannot be read comes back explained ([`SearchResponse::error`]), never as a panic.
//!
//! The `writer` feature (on by default) adds [`build_index`] and file-system access; the
//! wasm module turns it off.

mod doc;
mod engine;
mod explain;
mod facets;
mod hotcache;
mod lazy;
mod query;
mod range_directory;
mod ranking;
#[cfg(feature = "writer")]
mod read_only;
mod request;
mod response;
mod schema;
mod stemmer;
mod synonyms;
mod unknown;
mod vocabulary;
#[cfg(feature = "writer")]
mod writer;

pub use doc::{SearchDoc, SectionStart};
pub use engine::{search, Engine};
pub use explain::QueryErrorExplained;
pub use hotcache::{page_runs, HotCache, HotFile, DEFAULT_PAGE_SIZE, HOTCACHE_FILE};
pub use lazy::{LazyEngine, Round, Rounds, MAX_ROUNDS};
pub use range_directory::{
    FetchStats, Fetched, RangeDirectory, RangeFetcher, Wanted, MAX_MERGED_GAP, MERGE_GAP,
    WAVE_REQUESTS,
};
pub use request::{
    check_query, parse_date_span, RequestError, SearchRequest, Sort, DEFAULT_LIMIT, MAX_LIMIT,
    MAX_QUERY_CHARS, MAX_QUERY_DEPTH,
};
pub use response::{FacetCount, Facets, FilterValue, Hit, SearchResponse};
pub use schema::{prose_analyzer, FACET_FIELDS, QUERY_FIELDS};
pub use synonyms::DEFAULT_SYNONYMS;
pub use tantivy;
pub use unknown::{Suggestion, UnknownValue};
pub use vocabulary::{Step, Vocabulary, VOCABULARY_FILE};
#[cfg(feature = "writer")]
pub use writer::{
    build_index, build_index_in_order, index_order, record_hot_cache, update_index, BuildError,
    FileFetcher, IndexStats,
};

/// Opens an index lazily over a fetcher, behind a hot cache: what the browser does.
///
/// Returns the engine and the directory, whose [`RangeDirectory::stats`] tell how much
/// was fetched beyond the hot cache.
pub fn open_lazy(
    hot_cache: HotCache,
    fetcher: impl RangeFetcher,
) -> tantivy::Result<(Engine, RangeDirectory)> {
    let directory = RangeDirectory::new(hot_cache, fetcher);
    let index = tantivy::Index::open(directory.clone())?;
    Ok((Engine::open(index)?, directory))
}
