//! [`Engine`]: an opened index that answers [`SearchRequest`]s.
//!
//! This is the one query path: `blameless search`, `blameless serve` and the browser's
//! wasm module all call [`Engine::search`], so ranking, syntax and snippets agree.

use std::ops::Bound;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DateTime, DocAddress, Index, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, Term,
};

use crate::explain::{explain, QueryErrorExplained};
use crate::facets::FacetCounter;
use crate::request::{SearchRequest, Sort, MAX_LIMIT};
use crate::response::{Hit, SearchResponse};
use crate::schema::{normalize_keyword, register_tokenizers, Fields};

/// Boost of title matches over body matches, so that a title hit ranks first.
const TITLE_BOOST: f32 = 3.0;
/// Boost of identifier matches (`OPS-1234`, `checkout-api`).
const IDENT_BOOST: f32 = 2.0;
/// Boost of summary matches.
const SUMMARY_BOOST: f32 = 1.5;
/// Length of a snippet in characters.
const SNIPPET_CHARS: usize = 220;

/// An opened blameless index, ready to answer searches.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens an index written by [`build_index`](crate::build_index), from any tantivy
    /// directory (the file system, memory, or HTTP ranges in the browser).
    pub fn open(index: Index) -> tantivy::Result<Engine> {
        register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Engine {
            index,
            reader,
            fields,
        })
    }

    /// Opens the index in a directory of the file system.
    #[cfg(feature = "writer")]
    pub fn open_dir(dir: &std::path::Path) -> tantivy::Result<Engine> {
        Engine::open(crate::writer::open_read_only(dir)?)
    }

    /// The tantivy index, for tools that need more than [`Engine::search`].
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Number of post-mortems in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Answers one request. Never fails: a query that cannot be read, or an index that
    /// cannot be read, comes back as [`SearchResponse::error`].
    pub fn search(&self, req: &SearchRequest) -> SearchResponse {
        let searcher = self.reader.searcher();
        let q = req.q.trim();
        let mut error = None;
        if let Err(message) = crate::request::check_query(q) {
            return SearchResponse {
                error: Some(QueryErrorExplained::rejected(message)),
                ..SearchResponse::default()
            };
        }
        let text_query = if q.is_empty() {
            None
        } else {
            match self.parser(false).parse_query(q) {
                Ok(query) => Some(query),
                Err(parse_error) => {
                    error = Some(explain(q, &parse_error));
                    // why: show what a best-effort reading finds under the explanation.
                    let (query, _) = self.parser(false).parse_query_lenient(q);
                    Some(query)
                }
            }
        };
        let mut response = match self.run(&searcher, req, text_query.as_deref()) {
            Ok(response) => response,
            Err(engine_error) => {
                return SearchResponse {
                    error: Some(error.unwrap_or_else(|| QueryErrorExplained::engine(engine_error))),
                    ..SearchResponse::default()
                }
            }
        };
        if response.total == 0 && error.is_none() && has_words(q) {
            if let Ok(fuzzy_query) = self.parser(true).parse_query(q) {
                if let Ok(retried) = self.run(&searcher, req, Some(&*fuzzy_query)) {
                    if retried.total > 0 {
                        response = retried;
                        response.fuzzy = true;
                    }
                }
            }
        }
        response.error = error;
        response
    }

    /// A query parser over the default fields, with typo tolerance when `fuzzy`.
    fn parser(&self, fuzzy: bool) -> QueryParser {
        let f = &self.fields;
        let mut parser =
            QueryParser::for_index(&self.index, vec![f.title, f.body, f.summary, f.ident]);
        parser.set_field_boost(f.title, TITLE_BOOST);
        parser.set_field_boost(f.summary, SUMMARY_BOOST);
        parser.set_field_boost(f.ident, IDENT_BOOST);
        if fuzzy {
            for field in [f.title, f.body, f.summary, f.ident] {
                parser.set_field_fuzzy(field, false, 1, true);
            }
        }
        parser
    }

    /// The text query (if any) under the request's filters, leaving out the filter on
    /// `skip` (a keyword field name) when given.
    fn query(
        &self,
        req: &SearchRequest,
        text_query: Option<&dyn Query>,
        skip: Option<&str>,
    ) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text_query) = text_query {
            clauses.push((Occur::Must, text_query.box_clone()));
        }
        let f = &self.fields;
        for (name, field, values) in [
            ("severity", f.severity, &req.severity),
            ("status", f.status, &req.status),
            ("tag", f.tag, &req.tag),
            ("service", f.service, &req.service),
            ("cause", f.cause, &req.cause),
        ] {
            if values.is_empty() || skip == Some(name) {
                continue;
            }
            let alternatives: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|value| {
                    let term = Term::from_field_text(field, &normalize_keyword(value));
                    let query: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, query)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
        if req.since.is_some() || req.until.is_some() {
            let bound = |secs: Option<i64>, inclusive: bool| match secs {
                None => Bound::Unbounded,
                Some(secs) => {
                    let term =
                        Term::from_field_date(f.started, DateTime::from_timestamp_secs(secs));
                    if inclusive {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    }
                }
            };
            let range = RangeQuery::new(bound(req.since, true), bound(req.until, false));
            clauses.push((Occur::Must, Box::new(range)));
        }
        if clauses.is_empty() {
            Box::new(AllQuery)
        } else if text_query.is_none() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
            Box::new(BooleanQuery::new(clauses))
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }

    /// Runs the text query (if any) under the request's filters.
    fn run(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text_query: Option<&dyn Query>,
    ) -> tantivy::Result<SearchResponse> {
        let query = self.query(req, text_query, None);
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let by_date = req.sort == Sort::Newest || text_query.is_none();
        let (addresses, total, facets) = if by_date {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_fast_field::<DateTime>("started", Order::Desc);
            let (docs, total, facets) = searcher.search(&*query, &(top, Count, FacetCounter))?;
            let docs: Vec<(f32, DocAddress)> = docs.into_iter().map(|(_, a)| (0.0, a)).collect();
            (docs, total, facets)
        } else {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_score();
            searcher.search(&*query, &(top, Count, FacetCounter))?
        };
        let mut facets = facets;
        // why: a field's own filter must not hide its other values, or choosing SEV-1 would
        // leave no way to see how many SEV-2 there are; each filtered field is counted under
        // the other filters only.
        for (name, values) in [
            ("severity", &req.severity),
            ("status", &req.status),
            ("tag", &req.tag),
            ("service", &req.service),
            ("cause", &req.cause),
        ] {
            if values.is_empty() {
                continue;
            }
            let others = self.query(req, text_query, Some(name));
            let mut counts = searcher.search(&*others, &FacetCounter)?;
            if let (Some(target), Some(source)) = (facets.get_mut(name), counts.get_mut(name)) {
                *target = std::mem::take(source);
            }
        }
        let hits = if req.limit == 0 {
            Vec::new()
        } else {
            self.hits(searcher, text_query, &addresses)?
        };
        Ok(SearchResponse {
            total,
            hits,
            facets,
            fuzzy: false,
            error: None,
        })
    }

    /// Loads the stored fields of the hits and makes their snippets.
    fn hits(
        &self,
        searcher: &Searcher,
        text_query: Option<&dyn Query>,
        addresses: &[(f32, DocAddress)],
    ) -> tantivy::Result<Vec<Hit>> {
        let f = &self.fields;
        let generator = |field| -> tantivy::Result<Option<SnippetGenerator>> {
            let Some(query) = text_query else {
                return Ok(None);
            };
            let mut generator = SnippetGenerator::create(searcher, query, field)?;
            generator.set_max_num_chars(SNIPPET_CHARS);
            Ok(Some(generator))
        };
        let body_snippets = generator(f.body)?;
        let summary_snippets = generator(f.summary)?;
        let mut hits = Vec::with_capacity(addresses.len());
        for &(score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let body = text(f.body);
            let summary = text(f.summary);
            let snippet_html = make_snippet(
                body_snippets.as_ref(),
                summary_snippets.as_ref(),
                &body,
                &summary,
            );
            hits.push(Hit {
                id: text(f.id),
                title: text(f.title),
                severity: text(f.severity),
                status: text(f.status),
                started: doc
                    .get_first(f.started)
                    .and_then(|v| v.as_datetime())
                    .map_or(0, |d| d.into_timestamp_secs()),
                services: doc
                    .get_all(f.service)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                score,
                snippet_html,
            });
        }
        Ok(hits)
    }
}

/// Picks the best passage: a body match, else a summary match, else the summary, else
/// the start of the body.
fn make_snippet(
    body_snippets: Option<&SnippetGenerator>,
    summary_snippets: Option<&SnippetGenerator>,
    body: &str,
    summary: &str,
) -> String {
    for (generator, text) in [(body_snippets, body), (summary_snippets, summary)] {
        if let Some(generator) = generator {
            let mut snippet = generator.snippet(text);
            if !snippet.highlighted().is_empty() {
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                return snippet.to_html();
            }
        }
    }
    let plain = if summary.is_empty() { body } else { summary };
    escape_html(&truncate_words(plain, SNIPPET_CHARS))
}

/// Cuts `text` at a word boundary before `max_chars`, with an ellipsis when cut.
fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(space) if space > max_chars / 2 => &cut[..space],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end())
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// True when the query has something to retry with typo tolerance.
fn has_words(q: &str) -> bool {
    q.chars().any(char::is_alphanumeric)
}

/// Answers one request on an index; a shorthand for [`Engine::open`] then
/// [`Engine::search`], for one-off searches.
pub fn search(index: &Index, req: &SearchRequest) -> SearchResponse {
    match Engine::open(index.clone()) {
        Ok(engine) => engine.search(req),
        Err(error) => SearchResponse {
            error: Some(QueryErrorExplained::engine(error)),
            ..SearchResponse::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SearchDoc;

    fn doc(id: &str, title: &str, body: &str, started: i64) -> SearchDoc {
        SearchDoc {
            id: id.to_string(),
            title: title.to_string(),
            body: body.to_string(),
            severity: "SEV-3".to_string(),
            status: "Closed".to_string(),
            started,
            ..SearchDoc::default()
        }
    }

    const JAN_2024: i64 = 1_704_067_200;
    const DAY: i64 = 86_400;

    fn corpus() -> Vec<SearchDoc> {
        let filler = "The team met and reviewed the dashboards. ".repeat(20);
        vec![
            SearchDoc {
                severity: "SEV-1".into(),
                tags: vec!["postgres".into(), "failover".into()],
                services: vec!["checkout".into(), "payments-db".into()],
                causes: vec!["config-change".into()],
                idents: vec![
                    "checkout-api".into(),
                    "OPS-1234".into(),
                    "db-01.acme.internal".into(),
                ],
                detection: Some("monitoring".into()),
                summary: "Checkout failed while the primary database failed over.".into(),
                ..doc(
                    "2024-03-12-failover",
                    "Replication lag stalled the Postgres failover",
                    &format!("{filler} Replication lag grew to 40 s before the switch. {filler}"),
                    JAN_2024 + 70 * DAY,
                )
            },
            SearchDoc {
                tags: vec!["Postgres".into(), "cdn".into()],
                services: vec!["web".into()],
                causes: vec!["deploy".into()],
                ..doc(
                    "2024-01-05-cdn",
                    "Stale pages after a CDN purge",
                    &format!(
                        "{filler} We saw lag in replication of the cache, and a later \
                         replication of the config fixed it. {filler}"
                    ),
                    JAN_2024 + 4 * DAY,
                )
            },
            SearchDoc {
                severity: "SEV-2".into(),
                tags: vec!["dns".into()],
                services: vec!["checkout".into()],
                causes: vec!["config-change".into()],
                ..doc(
                    "2023-11-02-dns",
                    "DNS resolution errors in checkout",
                    "A resolver config change returned SERVFAIL for internal names.",
                    JAN_2024 - 60 * DAY,
                )
            },
            SearchDoc {
                severity: "SEV-1".into(),
                status: "Draft".into(),
                tags: vec!["certificates".into()],
                services: vec!["api-gateway".into()],
                causes: vec!["expired-credential".into()],
                ..doc(
                    "2024-06-01-cert",
                    "Expired certificate on the API gateway",
                    "Clients failed the TLS handshake until the certificate was renewed.",
                    JAN_2024 + 152 * DAY,
                )
            },
        ]
    }

    fn engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().unwrap();
        let index_dir = dir.path().join("search");
        crate::build_index(&index_dir, corpus()).unwrap();
        let engine = Engine::open_dir(&index_dir).unwrap();
        (dir, engine)
    }

    fn q(text: &str) -> SearchRequest {
        SearchRequest {
            q: text.to_string(),
            ..SearchRequest::default()
        }
    }

    fn ids(response: &SearchResponse) -> Vec<&str> {
        response.hits.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn title_match_outranks_body_only_match() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("replication"));
        assert_eq!(ids(&response), ["2024-03-12-failover", "2024-01-05-cdn"]);
        assert!(response.hits[0].score > response.hits[1].score);
        assert!(response.hits[0]
            .snippet_html
            .contains("<mark>Replication</mark>"));
    }

    #[test]
    fn stems_english_words() {
        let (_dir, engine) = engine();
        assert_eq!(ids(&engine.search(&q("renewing"))), ["2024-06-01-cert"]);
    }

    #[test]
    fn phrase_matches_only_adjacent_words() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("\"replication lag\""));
        assert_eq!(ids(&response), ["2024-03-12-failover"]);
        let both = engine.search(&q("replication lag"));
        assert_eq!(both.total, 2);
    }

    #[test]
    fn matches_identifiers_as_whole_words() {
        let (_dir, engine) = engine();
        for query in [
            "checkout-api",
            "OPS-1234",
            "ops-1234",
            "db-01.acme.internal",
        ] {
            assert_eq!(
                ids(&engine.search(&q(query))),
                ["2024-03-12-failover"],
                "query {query}"
            );
        }
        assert_eq!(
            ids(&engine.search(&q("2023-11-02-dns"))),
            ["2023-11-02-dns"]
        );
    }

    #[test]
    fn filters_are_case_insensitive_and_alternatives_within_a_field() {
        let (_dir, engine) = engine();
        let req = SearchRequest {
            severity: vec!["sev-1".into()],
            ..SearchRequest::default()
        };
        assert_eq!(
            ids(&engine.search(&req)),
            ["2024-06-01-cert", "2024-03-12-failover"]
        );
        let req = SearchRequest {
            tag: vec!["POSTGRES".into(), "dns".into()],
            ..SearchRequest::default()
        };
        assert_eq!(engine.search(&req).total, 3);
        let req = SearchRequest {
            q: "checkout".into(),
            severity: vec!["SEV-2".into()],
            ..SearchRequest::default()
        };
        assert_eq!(ids(&engine.search(&req)), ["2023-11-02-dns"]);
    }

    #[test]
    fn keyword_fields_work_in_the_query_syntax() {
        let (_dir, engine) = engine();
        assert_eq!(engine.search(&q("tag:postgres")).total, 2);
        assert_eq!(engine.search(&q("severity:SEV-1")).total, 2);
        assert_eq!(ids(&engine.search(&q("cause:deploy"))), ["2024-01-05-cdn"]);
        assert_eq!(engine.search(&q("service:checkout -tag:dns")).total, 1);
        assert_eq!(
            ids(&engine.search(&q("title:certificate"))),
            ["2024-06-01-cert"]
        );
    }

    #[test]
    fn counts_facets_over_the_matching_documents() {
        let (_dir, engine) = engine();
        let facets = engine.search(&SearchRequest::default()).facets;
        let pairs = |list: &[crate::FacetCount]| {
            list.iter()
                .map(|f| (f.value.clone(), f.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pairs(&facets.severity),
            [
                ("SEV-1".into(), 2),
                ("SEV-2".into(), 1),
                ("SEV-3".into(), 1)
            ]
        );
        // why: `postgres` and `Postgres` are one value, shown as first written.
        assert_eq!(pairs(&facets.tag)[0], ("Postgres".into(), 2));
        assert_eq!(pairs(&facets.detection), [("monitoring".into(), 1)]);
        let narrowed = engine.search(&q("checkout")).facets;
        assert_eq!(pairs(&narrowed.service)[0], ("checkout".into(), 2));
    }

    #[test]
    fn a_filtered_field_still_counts_its_other_values() {
        let (_dir, engine) = engine();
        let req = SearchRequest {
            severity: vec!["SEV-1".into()],
            ..SearchRequest::default()
        };
        let response = engine.search(&req);
        assert_eq!(response.total, 2);
        let severities: Vec<(String, u64)> = response
            .facets
            .severity
            .iter()
            .map(|f| (f.value.clone(), f.count))
            .collect();
        assert_eq!(
            severities,
            [
                ("SEV-1".into(), 2),
                ("SEV-2".into(), 1),
                ("SEV-3".into(), 1)
            ]
        );
        let statuses: u64 = response.facets.status.iter().map(|f| f.count).sum();
        assert_eq!(statuses, 2, "other fields are counted under the filter");
    }

    #[test]
    fn date_range_keeps_since_and_drops_until() {
        let (_dir, engine) = engine();
        let req = SearchRequest {
            since: Some(JAN_2024),
            until: Some(JAN_2024 + 152 * DAY),
            ..SearchRequest::default()
        };
        assert_eq!(
            ids(&engine.search(&req)),
            ["2024-03-12-failover", "2024-01-05-cdn"]
        );
        let req = SearchRequest {
            until: Some(JAN_2024),
            ..SearchRequest::default()
        };
        assert_eq!(ids(&engine.search(&req)), ["2023-11-02-dns"]);
    }

    #[test]
    fn sorts_newest_first_and_pages() {
        let (_dir, engine) = engine();
        let req = SearchRequest {
            q: "replication".into(),
            sort: Sort::Newest,
            ..SearchRequest::default()
        };
        assert_eq!(
            ids(&engine.search(&req)),
            ["2024-03-12-failover", "2024-01-05-cdn"]
        );
        let all = engine.search(&SearchRequest::default());
        assert_eq!(
            ids(&all),
            [
                "2024-06-01-cert",
                "2024-03-12-failover",
                "2024-01-05-cdn",
                "2023-11-02-dns"
            ]
        );
        let page = SearchRequest {
            limit: 2,
            offset: 2,
            ..SearchRequest::default()
        };
        let page = engine.search(&page);
        assert_eq!(ids(&page), ["2024-01-05-cdn", "2023-11-02-dns"]);
        assert_eq!(page.total, 4);
        assert_eq!(all.hits[0].started, JAN_2024 + 152 * DAY);
        assert_eq!(all.hits[1].services, ["checkout", "payments-db"]);
    }

    #[test]
    fn retries_with_typo_tolerance_when_nothing_matches() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("gatway"));
        assert!(response.fuzzy);
        assert_eq!(ids(&response), ["2024-06-01-cert"]);
        let transposed = engine.search(&q("resovler"));
        assert_eq!(
            (ids(&transposed), transposed.fuzzy),
            (vec!["2023-11-02-dns"], true)
        );
        let exact = engine.search(&q("certificate"));
        assert!(!exact.fuzzy);
        let nothing = engine.search(&q("zzzzqqqq"));
        assert_eq!((nothing.total, nothing.fuzzy), (0, false));
    }

    #[test]
    fn explains_syntax_errors_in_plain_words() {
        let (_dir, engine) = engine();
        let unknown = engine.search(&q("error: timeout"));
        let error = unknown.error.expect("an unknown field is explained");
        assert_eq!(error.message, "there is no field `error` to search in");
        assert!(error.hint.unwrap().contains("quotes"));
        let only_negative = engine.search(&q("-postgres"));
        assert!(only_negative.error.is_some() || only_negative.total == 2);
    }

    #[test]
    fn never_panics_on_odd_queries() {
        let (_dir, engine) = engine();
        for text in [
            "\"unclosed",
            "(a",
            "a)",
            "title:",
            ":",
            "AND",
            "a OR",
            "[1 TO",
            "started:[x TO y]",
            "*",
            "^2",
            "a^",
            "\u{0}",
            "💥",
            "tag:\"\"",
            "-",
            "--",
            "\"\"",
            "title:(a OR",
            "started:2024",
            "ident:[a TO b]",
        ] {
            let response = engine.search(&q(text));
            if let Some(error) = &response.error {
                assert!(!error.message.is_empty(), "query {text:?}");
            }
        }
    }

    #[test]
    fn builds_the_same_bytes_from_the_same_documents() {
        let dir = tempfile::tempdir().unwrap();
        let mut reversed = corpus();
        reversed.reverse();
        let a = crate::build_index(&dir.path().join("a"), corpus()).unwrap();
        let b = crate::build_index(&dir.path().join("b"), reversed).unwrap();
        assert_eq!(a.files, b.files);
        for name in a.files.keys() {
            let bytes_a = std::fs::read(dir.path().join("a").join(name)).unwrap();
            let bytes_b = std::fs::read(dir.path().join("b").join(name)).unwrap();
            assert!(bytes_a == bytes_b, "{name} differs");
        }
        assert!(a.files.contains_key("meta.json"));
        assert!(a.files.contains_key(crate::HOTCACHE_FILE));
    }

    #[test]
    fn lazy_opening_answers_like_the_file_system() {
        let (dir, engine) = engine();
        let index_dir = dir.path().join("search");
        // why: small pages, so that this tiny index is not all in the hot cache.
        let hot = crate::record_hot_cache(&index_dir, 512).unwrap();
        let hot =
            crate::HotCache::decode(tantivy::directory::OwnedBytes::new(hot.encode())).unwrap();
        let (lazy, directory) = crate::open_lazy(hot, crate::FileFetcher::new(&index_dir)).unwrap();
        for text in ["replication", "\"replication lag\"", "checkout-api", ""] {
            assert_eq!(
                lazy.search(&q(text)),
                engine.search(&q(text)),
                "query {text:?}"
            );
        }
        assert!(directory.stats().requests > 0);
    }
}
