//! [`Engine`]: an opened index that answers [`SearchRequest`]s.
//!
//! This is the one query path: `blameless search`, `blameless serve` and the browser's
//! wasm module all call [`Engine::search`], so ranking, syntax and snippets agree.

use std::ops::Bound;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::directory::error::OpenReadError;
use tantivy::directory::CompositeFile;
use tantivy::query::{
    AllQuery, BooleanQuery, EnableScoring, Occur, Query, QueryParserError, RangeQuery, TermQuery,
};
use tantivy::query_grammar::{self, UserInputAst, UserInputLeaf};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::Directory as _;
use tantivy::{
    DateTime, DocAddress, Index, IndexReader, Order, ReloadPolicy, Score, Searcher,
    TantivyDocument, Term,
};

use crate::explain::{explain, QueryErrorExplained};
use crate::facets::FacetCounter;
use crate::query::QueryBuilder;
use crate::request::{SearchRequest, Sort, MAX_LIMIT};
use crate::response::{Facets, FilterValue, Hit, SearchResponse};
use crate::schema::{normalize_keyword, register_tokenizers, Fields};
use crate::unknown::{replace_in_query, Known, UnknownValue};
use crate::vocabulary::{Vocabulary, VOCABULARY_FILE};

/// Boost of title matches over body matches, so that a title hit ranks first.
const TITLE_BOOST: f32 = 3.0;
/// Boost of identifier matches (`OPS-1234`, `checkout-api`).
const IDENT_BOOST: f32 = 2.0;
/// Boost of summary matches.
const SUMMARY_BOOST: f32 = 1.5;
/// Length of a snippet in characters.
const SNIPPET_CHARS: usize = 220;

/// The fields that words without a field name are looked for in, with their boosts.
pub(crate) fn default_fields(f: &Fields) -> Vec<(Field, Score)> {
    vec![
        (f.title, TITLE_BOOST),
        (f.body, 1.0),
        (f.summary, SUMMARY_BOOST),
        (f.ident, IDENT_BOOST),
    ]
}

/// What `collector` gathers of the documents that `query` matches, one segment after the
/// other, as [`Searcher::search`] does on its default executor.
///
/// why: `Searcher::search` goes through tantivy's executor, whose thread-pool branch brings
/// rayon scopes and crossbeam channels for each collector into the browser's module (about
/// 8 KB gzipped), where there is one thread; the engine never asks for a pool.
fn collect<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
) -> tantivy::Result<C::Fruit> {
    let scoring = if collector.requires_scoring() {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    let weight = query.weight(scoring)?;
    collector.check_schema(searcher.schema())?;
    let fruits = (searcher.segment_readers().iter().enumerate())
        .map(|(ord, segment)| collector.collect_segment(&*weight, ord as u32, segment))
        .collect::<tantivy::Result<Vec<_>>>()?;
    collector.merge_fruits(fruits)
}

/// A scoring pass of a request: its ranked query, the count of documents with every word,
/// the retry with near spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    Ranked,
    AllWords,
    Fuzzy,
}

/// What a scoring pass found, before any document is read: the top documents with their
/// scores, the total and the facet counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scored {
    addresses: Vec<(f32, DocAddress)>,
    total: usize,
    facets: Facets,
}

/// Where [`Engine::search_with`] looks up the scoring passes of its request before it runs
/// them, and keeps them.
pub(crate) trait Scores {
    /// The pass `pass`: kept, or from `score`.
    fn get_or_score(
        &self,
        pass: Pass,
        score: &mut dyn FnMut() -> tantivy::Result<Scored>,
    ) -> tantivy::Result<Scored>;
}

/// Keeps nothing: every pass is scored.
struct Forget;

impl Scores for Forget {
    fn get_or_score(
        &self,
        _: Pass,
        score: &mut dyn FnMut() -> tantivy::Result<Scored>,
    ) -> tantivy::Result<Scored> {
        score()
    }
}

/// An opened blameless index, ready to answer searches.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    vocabulary: Vocabulary,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens an index written by [`build_index`](crate::build_index), from any tantivy
    /// directory (the file system, memory, or HTTP ranges in the browser), with the
    /// [`Vocabulary`] beside it (an index without one opens with an empty vocabulary).
    pub fn open(index: Index) -> tantivy::Result<Engine> {
        register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let vocabulary = match index.directory().atomic_read(Path::new(VOCABULARY_FILE)) {
            Ok(bytes) => Vocabulary::from_json(&bytes).map_err(|e| {
                tantivy::TantivyError::InvalidArgument(format!("`{VOCABULARY_FILE}`: {e}"))
            })?,
            Err(OpenReadError::FileDoesNotExist(_)) => Vocabulary::default(),
            Err(error) => return Err(error.into()),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Engine {
            index,
            reader,
            fields,
            vocabulary,
        })
    }

    /// The archive's vocabulary that came with the index.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Opens the index in a directory of the file system.
    #[cfg(feature = "writer")]
    pub fn open_dir(dir: &std::path::Path) -> tantivy::Result<Engine> {
        Engine::open(crate::read_only::open_read_only(dir)?)
    }

    /// The tantivy index, for tools that need more than [`Engine::search`].
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// A searcher over the index as opened.
    pub(crate) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// The fields of the schema.
    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Number of post-mortems in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Answers one request. Never fails: a query that cannot be read, or an index that
    /// cannot be read, comes back as [`SearchResponse::error`].
    pub fn search(&self, req: &SearchRequest) -> SearchResponse {
        self.search_with(req, &Forget)
    }

    /// [`Engine::search`], with its scoring passes looked up in and kept by `scores`.
    pub(crate) fn search_with(&self, req: &SearchRequest, scores: &dyn Scores) -> SearchResponse {
        let searcher = self.reader.searcher();
        let q = req.q.trim();
        if let Err(message) = crate::request::check_query(q) {
            return SearchResponse {
                error: Some(QueryErrorExplained::rejected(message)),
                ..SearchResponse::default()
            };
        }
        let mut unknown = Vec::new();
        let (resolved, mut filters) = self.resolve_filters(&searcher, req, &mut unknown);
        let (text_query, ranked_with, error) = self.text_query(&searcher, &req.q, &mut unknown);
        let ranked = scores.get_or_score(Pass::Ranked, &mut || {
            self.score(&searcher, &resolved, text_query.as_deref())
        });
        // why: counted before the hits are read, so that over a discovering directory the
        // round that lacks only the hits' documents has scored everything.
        let all_words = ranked_with
            .as_ref()
            .and_then(|r| r.all_words.as_ref())
            .map(|all| {
                let query = self.query(&resolved, Some(&**all), None);
                let counted = scores.get_or_score(Pass::AllWords, &mut || {
                    Ok(Scored {
                        total: collect(&searcher, &*query, &Count)?,
                        ..Scored::default()
                    })
                });
                counted.ok().map(|c| c.total)
            });
        let mut response = match self.answer(&searcher, &resolved, text_query.as_deref(), ranked) {
            Ok(response) => response,
            Err(engine_error) => {
                return SearchResponse {
                    error: Some(error.unwrap_or_else(|| QueryErrorExplained::engine(engine_error))),
                    unknown,
                    ..SearchResponse::default()
                }
            }
        };
        if let Some(ranked) = &ranked_with {
            response.all_words = all_words.flatten();
            response.also = ranked.also.clone();
        }
        if response.total == 0 && error.is_none() && has_words(q) && ranked_with.is_none() {
            let fuzzy_query = query_grammar::parse_query(q).ok().and_then(|ast| {
                let ast = self.resolve_query(&searcher, ast, q, &mut Vec::new());
                self.builder(true).build(ast).ok()
            });
            if let Some(fuzzy_query) = fuzzy_query {
                let scored = scores.get_or_score(Pass::Fuzzy, &mut || {
                    self.score(&searcher, &resolved, Some(&*fuzzy_query))
                });
                let retried = self.answer(&searcher, &resolved, Some(&*fuzzy_query), scored);
                if let Ok(retried) = retried {
                    if retried.total > 0 {
                        response = retried;
                        response.fuzzy = true;
                    }
                }
            }
        }
        self.decorate(&mut response.facets);
        // why: the page marks a facet value as chosen when a filter names it; give the
        // value in the facet's own spelling (`Postgres` for `postgres`).
        for filter in &mut filters {
            let listed = response.facets.get_mut(&filter.field).and_then(|list| {
                list.iter()
                    .find(|f| f.value.to_lowercase() == filter.value.to_lowercase())
            });
            if let Some(facet) = listed {
                filter.value = facet.value.clone();
            }
        }
        response.error = error;
        response.filters = filters;
        response.unknown = unknown;
        response
    }

    /// The text query of `raw` (the query as typed), ranked by [`crate::ranking`] when it is
    /// words, else read as written; with the ranking's extras and the explained syntax
    /// error, if any (then the query is a best-effort reading).
    #[allow(clippy::type_complexity)]
    fn text_query(
        &self,
        searcher: &Searcher,
        raw: &str,
        unknown: &mut Vec<UnknownValue>,
    ) -> (
        Option<Box<dyn Query>>,
        Option<crate::ranking::Ranked>,
        Option<QueryErrorExplained>,
    ) {
        let q = raw.trim();
        if q.is_empty() {
            return (None, None, None);
        }
        let ast = query_grammar::parse_query(q)
            .map(|ast| self.resolve_query(searcher, ast, q, unknown))
            .map_err(|_| QueryParserError::SyntaxError(q.to_string()));
        let builder = self.builder(false);
        let ranker = crate::ranking::Ranker {
            index: &self.index,
            searcher,
            fields: &self.fields,
            synonyms: &self.vocabulary.synonyms,
            builder: &builder,
        };
        // why: `req.q` keeps a trailing space when the searcher has finished the word.
        let open_end = !raw.ends_with(char::is_whitespace);
        let ranked = ast.as_ref().ok().and_then(|ast| ranker.rank(ast, open_end));
        if let Some(ranked) = ranked {
            return (Some(ranked.query.box_clone()), Some(ranked), None);
        }
        match ast.and_then(|ast| builder.build(ast)) {
            Ok(query) => (Some(query), None, None),
            Err(parse_error) => {
                let error = explain(q, &parse_error);
                // why: show what a best-effort reading finds under the explanation.
                let (ast, _) = query_grammar::parse_query_lenient(q);
                let ast = self.resolve_query(searcher, ast, q, &mut Vec::new());
                let (query, _) = self.builder(false).build_lenient(ast);
                (Some(query), None, Some(error))
            }
        }
    }

    /// Reads, without stopping at a failed read, what [`Engine::search`] of `req` will read
    /// of the postings: the dictionary entry of every term of its queries, then the
    /// postings and (for phrases) the positions of those found.
    ///
    /// Over a [`RangeDirectory`](crate::RangeDirectory) that discovers, each failed read
    /// notes its bytes, so that one round of requests fetches all the entries, the next one
    /// all the postings ([`crate::LazyEngine`]). On other directories it only warms caches.
    pub fn warm(&self, req: &SearchRequest) {
        let searcher = self.reader.searcher();
        if crate::request::check_query(req.q.trim()).is_err() {
            return;
        }
        let mut unknown = Vec::new();
        let (resolved, _) = self.resolve_filters(&searcher, req, &mut unknown);
        let (text_query, ranked, _) = self.text_query(&searcher, &req.q, &mut unknown);
        let mut queries = vec![self.query(&resolved, text_query.as_deref(), None)];
        if let Some(all) = ranked.as_ref().and_then(|r| r.all_words.as_ref()) {
            queries.push(self.query(&resolved, Some(&**all), None));
        }
        // why: sorted, so that the reads, hence what a wave fetches, do not depend on hashing.
        let mut terms: BTreeMap<Term, bool> = BTreeMap::new();
        for query in &queries {
            query.query_terms(&mut |term, positions| {
                *terms.entry(term.clone()).or_default() |= positions;
            });
        }
        let directory = self.index.directory();
        for segment in searcher.segment_readers() {
            let composite = |ext: &str| {
                let path = format!("{}.{ext}", segment.segment_id().uuid_string());
                let slice = directory.open_read(Path::new(&path)).ok()?;
                CompositeFile::open(&slice).ok()
            };
            let (postings, positions) = (composite("idx"), composite("pos"));
            // why: scoring reads the length norms of each field it scores, one field after
            // the other; read them all now, in the same round as the dictionary entries.
            let fields: BTreeSet<Field> = terms.keys().map(Term::field).collect();
            for field in fields {
                let _ = segment.get_fieldnorms_reader(field);
            }
            for (term, with_positions) in &terms {
                let Ok(inverted) = segment.inverted_index(term.field()) else {
                    continue;
                };
                let Ok(Some(info)) = inverted.get_term_info(term) else {
                    continue;
                };
                // why: the postings and the positions are read apart, so that a miss of the
                // one does not hide the other until the next round.
                if let Some(slice) = postings.as_ref().and_then(|c| c.open_read(term.field())) {
                    let _ = slice.read_bytes_slice(info.postings_range.clone());
                }
                if *with_positions && !info.positions_range.is_empty() {
                    if let Some(slice) = positions.as_ref().and_then(|c| c.open_read(term.field()))
                    {
                        let _ = slice.read_bytes_slice(info.positions_range.clone());
                    }
                }
            }
        }
    }

    /// Reads the request's filter values: each one that names something becomes the
    /// archive's spelling (`p1` becomes `SEV-1`); each one that names nothing is kept
    /// (it matches nothing, honestly) and reported in `unknown`.
    fn resolve_filters(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        unknown: &mut Vec<UnknownValue>,
    ) -> (SearchRequest, Vec<FilterValue>) {
        let mut resolved = req.clone();
        let mut filters = Vec::new();
        for (field, values) in [
            ("severity", &mut resolved.severity),
            ("status", &mut resolved.status),
            ("tag", &mut resolved.tag),
            ("service", &mut resolved.service),
            ("cause", &mut resolved.cause),
        ] {
            for value in values.iter_mut() {
                match self.resolve_value(searcher, field, value) {
                    Some(name) => {
                        filters.push(FilterValue {
                            field: field.to_string(),
                            given: value.clone(),
                            value: name.clone(),
                        });
                        *value = name;
                    }
                    None => self.report_unknown(searcher, field, value, None, unknown),
                }
            }
        }
        (resolved, filters)
    }

    /// The value of a keyword field that `value` names, or `None` when the archive has
    /// no such value: a step of a scale by any of its names, else a value of the index.
    fn resolve_value(&self, searcher: &Searcher, field: &str, value: &str) -> Option<String> {
        if let Some(name) = self.vocabulary.resolve(field, value) {
            return Some(name.to_string());
        }
        let handle = self.keyword_field(field)?;
        let term = Term::from_field_text(handle, &normalize_keyword(value.trim()));
        // why: an unreadable dictionary must not turn a filter into a false warning.
        let known = searcher.doc_freq(&term).map_or(true, |n| n > 0);
        known.then(|| value.to_string())
    }

    /// Records `value` of `field` as unknown, once, with the closest known values; for a
    /// value of the query text, each suggestion carries the query with it in place.
    fn report_unknown(
        &self,
        searcher: &Searcher,
        field: &str,
        value: &str,
        q: Option<&str>,
        unknown: &mut Vec<UnknownValue>,
    ) {
        let lower = value.to_lowercase();
        let in_query = q.is_some();
        if unknown
            .iter()
            .any(|u| u.field == field && u.in_query == in_query && u.value.to_lowercase() == lower)
        {
            return;
        }
        let indexed;
        let known: Vec<Known<'_>> = match self.vocabulary.scale(field) {
            Some(scale) if !scale.is_empty() => scale
                .iter()
                .map(|step| Known {
                    value: &step.name,
                    names: step.names().collect(),
                })
                .collect(),
            _ if field == "cause" && self.vocabulary.lists(field) => self
                .vocabulary
                .cause
                .iter()
                .map(|cause| Known {
                    value: cause,
                    names: vec![cause],
                })
                .collect(),
            _ => {
                indexed = indexed_values(searcher, field);
                indexed
                    .iter()
                    .map(|v| Known {
                        value: v,
                        names: vec![v],
                    })
                    .collect()
            }
        };
        let mut found = UnknownValue::new(field, value, in_query, &known);
        if let Some(q) = q {
            for suggestion in &mut found.suggestions {
                suggestion.q = replace_in_query(q, field, value, &suggestion.value);
            }
        }
        unknown.push(found);
    }

    /// Rewrites the `field:value`s of a parsed query over keyword fields: a step of a
    /// scale by any of its names becomes its canonical name (`severity:P1` finds SEV-1);
    /// a value the archive does not have is reported in `unknown`.
    fn resolve_query(
        &self,
        searcher: &Searcher,
        ast: UserInputAst,
        q: &str,
        unknown: &mut Vec<UnknownValue>,
    ) -> UserInputAst {
        match ast {
            UserInputAst::Clause(clauses) => UserInputAst::Clause(
                clauses
                    .into_iter()
                    .map(|(occur, ast)| (occur, self.resolve_query(searcher, ast, q, unknown)))
                    .collect(),
            ),
            UserInputAst::Boost(ast, boost) => UserInputAst::Boost(
                Box::new(self.resolve_query(searcher, *ast, q, unknown)),
                boost,
            ),
            UserInputAst::Leaf(leaf) => {
                let mut resolve = |field: &str, value: &mut String| {
                    if self.keyword_field(field).is_none() {
                        return;
                    }
                    match self.resolve_value(searcher, field, value) {
                        Some(name) => *value = name,
                        None => self.report_unknown(searcher, field, value, Some(q), unknown),
                    }
                };
                let leaf = match *leaf {
                    // why: a prefix (`tag:post*`, where the grammar keeps the `*` in the
                    // phrase) names no one value.
                    UserInputLeaf::Literal(mut literal)
                        if !literal.prefix && !literal.phrase.ends_with('*') =>
                    {
                        if let Some(field) = literal.field_name.clone() {
                            resolve(&field, &mut literal.phrase);
                        }
                        UserInputLeaf::Literal(literal)
                    }
                    UserInputLeaf::Set {
                        field: Some(field),
                        mut elements,
                    } => {
                        for element in &mut elements {
                            resolve(&field, element);
                        }
                        UserInputLeaf::Set {
                            field: Some(field),
                            elements,
                        }
                    }
                    other => other,
                };
                UserInputAst::Leaf(Box::new(leaf))
            }
        }
    }

    /// The handle of a keyword field (one of [`FACET_FIELDS`](crate::FACET_FIELDS)) by name.
    fn keyword_field(&self, name: &str) -> Option<Field> {
        let f = &self.fields;
        Some(match name {
            "severity" => f.severity,
            "status" => f.status,
            "tag" => f.tag,
            "service" => f.service,
            "cause" => f.cause,
            "detection" => f.detection,
            _ => return None,
        })
    }

    /// Gives the values of the scales their slugs.
    fn decorate(&self, facets: &mut Facets) {
        for field in ["severity", "status"] {
            if let Some(list) = facets.get_mut(field) {
                for facet in list {
                    facet.slug = self
                        .vocabulary
                        .slug(field, &facet.value)
                        .map(str::to_string);
                }
            }
        }
    }

    /// The query builder over the default fields, with typo tolerance when `fuzzy`.
    fn builder(&self, fuzzy: bool) -> QueryBuilder {
        QueryBuilder::new(&self.index, default_fields(&self.fields), fuzzy)
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

    /// Scores the text query (if any) under the request's filters: the top documents, the
    /// total and the facet counts.
    fn score(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text_query: Option<&dyn Query>,
    ) -> tantivy::Result<Scored> {
        let query = self.query(req, text_query, None);
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let by_date = req.sort == Sort::Newest || text_query.is_none();
        let (addresses, total, facets) = if by_date {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_fast_field::<DateTime>("started", Order::Desc);
            let (docs, total, facets) = collect(searcher, &*query, &(top, Count, FacetCounter))?;
            let docs: Vec<(f32, DocAddress)> = docs.into_iter().map(|(_, a)| (0.0, a)).collect();
            (docs, total, facets)
        } else {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_score();
            collect(searcher, &*query, &(top, Count, FacetCounter))?
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
            let mut counts = collect(searcher, &*others, &FacetCounter)?;
            if let (Some(target), Some(source)) = (facets.get_mut(name), counts.get_mut(name)) {
                *target = std::mem::take(source);
            }
        }
        Ok(Scored {
            addresses,
            total,
            facets,
        })
    }

    /// The answer of a scoring pass: its documents read, with their snippets.
    fn answer(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        text_query: Option<&dyn Query>,
        scored: tantivy::Result<Scored>,
    ) -> tantivy::Result<SearchResponse> {
        let Scored {
            addresses,
            total,
            facets,
        } = scored?;
        let hits = if req.limit == 0 {
            Vec::new()
        } else {
            self.hits(searcher, text_query, &addresses)?
        };
        Ok(SearchResponse {
            total,
            hits,
            facets,
            ..SearchResponse::default()
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
        // why: every document is read before the first failure is returned, so that over a
        // discovering directory one round fetches the blocks of all the hits.
        let docs: Vec<tantivy::Result<TantivyDocument>> =
            addresses.iter().map(|&(_, a)| searcher.doc(a)).collect();
        let mut hits = Vec::with_capacity(addresses.len());
        for (&(score, _), doc) in addresses.iter().zip(docs) {
            let doc = doc?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let body = text(f.body);
            let summary = text(f.summary);
            let (snippet_html, at) = make_snippet(
                body_snippets.as_ref(),
                summary_snippets.as_ref(),
                &body,
                &summary,
            );
            let sections: Vec<crate::SectionStart> =
                serde_json::from_str(&text(f.sections)).unwrap_or_default();
            let section = at.and_then(|at| sections.iter().rev().find(|s| s.offset <= at));
            let (severity, status) = (text(f.severity), text(f.status));
            let slug = |field, name: &str| {
                let slug = self.vocabulary.slug(field, name);
                slug.unwrap_or_default().to_string()
            };
            hits.push(Hit {
                id: text(f.id),
                title: text(f.title),
                severity_slug: slug("severity", &severity),
                severity,
                status_slug: slug("status", &status),
                status,
                started: doc
                    .get_first(f.started)
                    .and_then(|v| v.as_datetime())
                    .map_or(0, |d| d.into_timestamp_secs()),
                services: doc
                    .get_all(f.service)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                score,
                section: section.map(|s| s.heading.clone()),
                anchor: section.map(|s| s.anchor.clone()),
                snippet_html,
            });
        }
        Ok(hits)
    }
}

/// Picks the best passage: a body match, else a summary match, else the summary, else
/// the start of the body; with an ellipsis where the text goes on, and the byte offset of a
/// body passage (for its section).
fn make_snippet(
    body_snippets: Option<&SnippetGenerator>,
    summary_snippets: Option<&SnippetGenerator>,
    body: &str,
    summary: &str,
) -> (String, Option<usize>) {
    for (generator, text, in_body) in [
        (body_snippets, body, true),
        (summary_snippets, summary, false),
    ] {
        if let Some(generator) = generator {
            let mut snippet = generator.snippet(text);
            if !snippet.highlighted().is_empty() {
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                let range = snippet.fragment_range();
                let before = if text[..range.start].trim().is_empty() {
                    ""
                } else {
                    "… "
                };
                let after = if text[range.end..].trim().is_empty() {
                    ""
                } else {
                    " …"
                };
                let html = format!("{before}{}{after}", snippet.to_html().trim());
                // why: the section is the one of the first word found, not of the
                // fragment's start, which may lie in the section before.
                let first = snippet.highlighted().first().map_or(0, |h| h.start);
                return (html, in_body.then_some(range.start + first));
            }
        }
    }
    let plain = if summary.is_empty() { body } else { summary };
    (escape_html(&truncate_words(plain, SNIPPET_CHARS)), None)
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

/// The values of a keyword field in the index, as first written, sorted by their lowercase
/// form: the candidates for a "did you mean".
fn indexed_values(searcher: &Searcher, field: &str) -> Vec<String> {
    let mut by_key: BTreeMap<String, String> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let Ok(Some(column)) = segment.fast_fields().str(field) else {
            continue;
        };
        let Ok(mut stream) = column.dictionary().stream() else {
            continue;
        };
        while let Some((key, _)) = stream.next() {
            if let Ok(text) = std::str::from_utf8(key) {
                by_key
                    .entry(text.to_lowercase())
                    .or_insert_with(|| text.to_string());
            }
        }
    }
    by_key.into_values().collect()
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
    use crate::{FilterValue, SearchDoc};

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
                services: vec!["web".into(), "payment-gateway".into()],
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

    /// `docs` with their ranks on the default scale and lifecycle, as the build sets them.
    fn ranked(docs: Vec<SearchDoc>) -> Vec<SearchDoc> {
        let vocabulary = crate::vocabulary::tests::vocabulary();
        let rank = |field, name: &str| vocabulary.step(field, name).map_or(0, |s| s.rank);
        docs.into_iter()
            .map(|doc| SearchDoc {
                severity_rank: rank("severity", &doc.severity),
                status_rank: rank("status", &doc.status),
                ..doc
            })
            .collect()
    }

    fn build(dir: &std::path::Path, docs: Vec<SearchDoc>) -> crate::IndexStats {
        crate::build_index(dir, ranked(docs), &crate::vocabulary::tests::vocabulary()).unwrap()
    }

    fn engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().unwrap();
        let index_dir = dir.path().join("search");
        build(&index_dir, corpus());
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
    fn an_index_written_in_order_is_the_index_of_any_order() {
        let docs = || {
            ranked(vec![
                doc("b", "Disk full", "the disk filled", 100),
                doc("a", "Disk full again", "the disk filled", 100),
                doc("c", "DNS", "resolver timeouts", 300),
            ])
        };
        let vocabulary = crate::vocabulary::tests::vocabulary();
        let (any, ordered) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        crate::build_index(any.path(), docs(), &vocabulary).unwrap();
        let mut sorted = docs();
        sorted.sort_by(|a, b| crate::index_order((a.started, &a.id), (b.started, &b.id)));
        assert_eq!(
            sorted.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            ["c", "a", "b"]
        );
        crate::build_index_in_order(ordered.path(), sorted, &vocabulary).unwrap();
        let files = |dir: &std::path::Path| {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
                .map(|(p, bytes)| (p.rsplit('/').next().unwrap().to_string(), bytes))
                .collect();
            files.sort();
            files
        };
        assert_eq!(files(any.path()), files(ordered.path()));

        let out_of_order = tempfile::tempdir().unwrap();
        let err =
            crate::build_index_in_order(out_of_order.path(), docs(), &vocabulary).unwrap_err();
        assert!(
            err.to_string().contains("out of the index's order"),
            "{err}"
        );
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
            service: vec!["Payment-Gateway".into()],
            ..SearchRequest::default()
        };
        assert_eq!(ids(&engine.search(&req)), ["2024-01-05-cdn"]);
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
    fn a_misspelled_word_also_searches_for_its_near_spellings() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("gatway "));
        // why: the other hit has the service `payment-gateway`.
        assert_eq!(ids(&response), ["2024-06-01-cert", "2024-01-05-cdn"]);
        assert_eq!(response.also, ["gateway"]);
        let transposed = engine.search(&q("resovler "));
        assert_eq!(ids(&transposed), ["2023-11-02-dns"]);
        assert_eq!(transposed.also, ["resolver"]);
        // why: with other words that match, the typo is still expanded, not dropped.
        let mixed = engine.search(&q("expired certficate "));
        assert_eq!(mixed.also, ["certificate"]);
        assert_eq!(ids(&mixed)[0], "2024-06-01-cert");
        let exact = engine.search(&q("certificate "));
        assert!(exact.also.is_empty());
        let nothing = engine.search(&q("zzzzqqqq"));
        assert_eq!(nothing.total, 0);
    }

    #[test]
    fn a_snippet_names_its_section_and_marks_where_the_text_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let filler = "The weekly report was written and read by everyone as usual. ".repeat(8);
        let body = format!(
            "Summary\n{filler}\n\nContributing factors\nThe resolver cache expired. {filler}"
        );
        let factors = body.find("Contributing").unwrap();
        let mut pm = doc("2024-01-01-a", "A title", &body, JAN_2024);
        pm.sections = vec![
            crate::SectionStart {
                offset: 0,
                heading: "Summary".into(),
                anchor: "summary".into(),
            },
            crate::SectionStart {
                offset: factors,
                heading: "Contributing factors".into(),
                anchor: "contributing-factors".into(),
            },
        ];
        build(dir.path(), vec![pm]);
        let engine = Engine::open_dir(dir.path()).unwrap();
        let hit = &engine.search(&q("resolver cache ")).hits[0];
        assert_eq!(hit.section.as_deref(), Some("Contributing factors"));
        assert_eq!(hit.anchor.as_deref(), Some("contributing-factors"));
        assert!(hit.snippet_html.starts_with("… "), "{}", hit.snippet_html);
        assert!(hit.snippet_html.ends_with(" …"), "{}", hit.snippet_html);
    }

    #[test]
    fn the_last_word_is_completed_while_typing() {
        let (_dir, engine) = engine();
        let typing = engine.search(&q("resol"));
        assert_eq!(ids(&typing), ["2023-11-02-dns"]);
        let finished = engine.search(&q("resol "));
        assert_eq!(finished.total, 0, "a finished word is not a prefix");
        let short = engine.search(&q("c"));
        assert!(short.total < 5, "one letter does not match everything");
    }

    #[test]
    fn documents_with_every_word_rank_first_and_are_counted() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("expired resolver "));
        assert_eq!(response.all_words, Some(0));
        assert!(response.total >= 2, "either word matches");
        let both = engine.search(&q("expired certificate "));
        assert_eq!(both.all_words, Some(1));
        assert_eq!(ids(&both)[0], "2024-06-01-cert");
    }

    #[test]
    fn synonyms_find_the_words_of_the_document() {
        let dir = tempfile::tempdir().unwrap();
        let mut vocabulary = crate::vocabulary::tests::vocabulary();
        vocabulary.synonyms = crate::DEFAULT_SYNONYMS
            .iter()
            .map(|g| g.iter().map(|w| w.to_string()).collect())
            .collect();
        let docs = vec![
            doc(
                "2024-01-01-disk",
                "Builds failed",
                "The runner said no space left on device.",
                JAN_2024,
            ),
            doc(
                "2024-02-01-k8s",
                "Pods evicted",
                "Kubernetes evicted the pods.",
                JAN_2024 + DAY,
            ),
        ];
        crate::build_index(dir.path(), ranked(docs), &vocabulary).unwrap();
        let engine = Engine::open_dir(dir.path()).unwrap();
        assert_eq!(ids(&engine.search(&q("disk full "))), ["2024-01-01-disk"]);
        assert_eq!(ids(&engine.search(&q("k8s "))), ["2024-02-01-k8s"]);
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
        let a = build(&dir.path().join("a"), corpus());
        let b = build(&dir.path().join("b"), reversed);
        assert_eq!(a.files, b.files);
        for name in a.files.keys() {
            let bytes_a = std::fs::read(dir.path().join("a").join(name)).unwrap();
            let bytes_b = std::fs::read(dir.path().join("b").join(name)).unwrap();
            assert!(bytes_a == bytes_b, "{name} differs");
        }
        assert!(a.files.contains_key("meta.json"));
        assert!(a.files.contains_key(crate::HOTCACHE_FILE));
        assert!(a.files.contains_key(crate::VOCABULARY_FILE));
    }

    #[test]
    fn aliases_name_their_step_in_filters_and_in_the_query() {
        let (_dir, engine) = engine();
        let sev1 = ["2024-06-01-cert", "2024-03-12-failover"];
        for alias in ["SEV-1", "P1", "p1", "sev1", "sev-1", "Sev 1"] {
            let req = SearchRequest {
                severity: vec![alias.into()],
                ..SearchRequest::default()
            };
            let response = engine.search(&req);
            assert_eq!(ids(&response), sev1, "filter {alias}");
            assert!(response.unknown.is_empty(), "filter {alias}");
            assert_eq!(
                response.filters,
                [FilterValue {
                    field: "severity".into(),
                    given: alias.into(),
                    value: "SEV-1".into()
                }]
            );
            let response = engine.search(&q(&format!("severity:{alias:?}")));
            let mut by_query = ids(&response);
            by_query.sort();
            assert_eq!(
                by_query,
                ["2024-03-12-failover", "2024-06-01-cert"],
                "query {alias}"
            );
        }
        assert_eq!(engine.search(&q("severity:P2 OR severity:P1")).total, 3);
        assert_eq!(engine.search(&q("-severity:P3")).total, 3);
        let req = SearchRequest {
            status: vec!["closed".into()],
            tag: vec!["POSTGRES".into()],
            ..SearchRequest::default()
        };
        let response = engine.search(&req);
        assert_eq!(response.total, 2);
        // why: the filter's value is spelt as the facet that it selects.
        let values: Vec<&str> = response.filters.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(values, ["Closed", "Postgres"]);
    }

    #[test]
    fn the_facets_of_a_scale_come_in_its_order_with_their_slugs() {
        let dir = tempfile::tempdir().unwrap();
        let step = |rank, name: &str| crate::Step {
            name: name.into(),
            aliases: Vec::new(),
            rank,
            slug: name.to_lowercase(),
        };
        let vocabulary = crate::Vocabulary {
            severity: vec![step(0, "High"), step(1, "Medium"), step(2, "Low")],
            ..crate::Vocabulary::default()
        };
        let docs: Vec<SearchDoc> = [("High", 0), ("Medium", 1), ("Medium", 1), ("Low", 2)]
            .into_iter()
            .chain([("Low", 2), ("Low", 2)])
            .enumerate()
            .map(|(i, (severity, rank))| SearchDoc {
                severity: severity.into(),
                severity_rank: rank,
                ..doc(&format!("pm-{i}"), "Title", "Body", JAN_2024 + i as i64)
            })
            .collect();
        crate::build_index(dir.path(), docs, &vocabulary).unwrap();
        let engine = Engine::open_dir(dir.path()).unwrap();
        let response = engine.search(&SearchRequest::default());
        let severities: Vec<(&str, u64, Option<u64>, Option<&str>)> = response
            .facets
            .severity
            .iter()
            .map(|f| (f.value.as_str(), f.count, f.rank, f.slug.as_deref()))
            .collect();
        assert_eq!(
            severities,
            [
                ("High", 1, Some(0), Some("high")),
                ("Medium", 2, Some(1), Some("medium")),
                ("Low", 3, Some(2), Some("low"))
            ]
        );
        assert_eq!(response.hits[0].severity_slug, "low");
        // why: no status in this vocabulary: ranks from the column, no slug.
        assert_eq!(response.facets.status[0].slug, None);
        assert_eq!(response.hits[0].status_slug, "");
    }

    #[test]
    fn hits_and_facets_carry_the_slugs_of_the_vocabulary() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("certificate"));
        let hit = &response.hits[0];
        assert_eq!(
            (hit.severity_slug.as_str(), hit.status_slug.as_str()),
            ("sev-1", "draft")
        );
        let everything = engine.search(&SearchRequest::default());
        let statuses: Vec<(&str, Option<&str>)> = everything
            .facets
            .status
            .iter()
            .map(|f| (f.value.as_str(), f.slug.as_deref()))
            .collect();
        assert_eq!(
            statuses,
            [("Draft", Some("draft")), ("Closed", Some("closed"))]
        );
    }

    #[test]
    fn unknown_filter_values_are_reported_with_the_closest_known_ones() {
        let (_dir, engine) = engine();
        let req = SearchRequest {
            service: vec!["payments".into()],
            severity: vec!["SEV-7".into(), "SEV-1".into()],
            ..SearchRequest::default()
        };
        let response = engine.search(&req);
        assert_eq!(response.total, 0, "an unknown service matches nothing");
        let messages: Vec<&str> = response
            .unknown
            .iter()
            .map(|u| u.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "no severity `SEV-7`: did you mean `SEV-1`, `SEV-2`, `SEV-3` or `SEV-4`?",
                "no service `payments`: did you mean `payments-db`?",
            ]
        );
        assert!(response.unknown.iter().all(|u| !u.in_query));
        let tags = SearchRequest {
            tag: vec!["certificate".into()],
            cause: vec!["capacity".into(), "config-chnage".into()],
            status: vec!["Reviewd".into()],
            ..SearchRequest::default()
        };
        let messages: Vec<String> = engine
            .search(&tags)
            .unknown
            .into_iter()
            .map(|u| u.message)
            .collect();
        assert_eq!(
            messages,
            [
                "no status `Reviewd`: did you mean `Reviewed`?",
                "no tag `certificate`: did you mean `certificates`?",
                "no cause `config-chnage`: did you mean `config-change`?",
            ],
            "`capacity` is a cause of the vocabulary, though no post-mortem has it"
        );
        let known_but_empty = SearchRequest {
            severity: vec!["SEV-4".into()],
            ..SearchRequest::default()
        };
        let response = engine.search(&known_but_empty);
        assert_eq!((response.total, response.unknown.len()), (0, 0));
    }

    #[test]
    fn unknown_values_of_the_query_come_with_the_query_fixed() {
        let (_dir, engine) = engine();
        let response = engine.search(&q("lag service:payments"));
        let unknown = &response.unknown[0];
        assert!(unknown.in_query);
        assert_eq!(
            unknown.message,
            "no service `payments`: did you mean `payments-db`?"
        );
        assert_eq!(
            unknown.suggestions[0].q.as_deref(),
            Some("lag service:payments-db")
        );
        let fixed = engine.search(&q(unknown.suggestions[0].q.as_deref().unwrap()));
        assert_eq!(ids(&fixed)[0], "2024-03-12-failover");
        assert!(fixed.unknown.is_empty());
        let prefix = engine.search(&q("tag:post*"));
        assert!(prefix.unknown.is_empty(), "{:?}", prefix.unknown);
        assert!(engine.search(&q("title:payments")).unknown.is_empty());
    }

    #[test]
    fn the_vocabulary_comes_with_the_hot_cache() {
        let (dir, engine) = engine();
        let index_dir = dir.path().join("search");
        let bytes = std::fs::read(index_dir.join(crate::HOTCACHE_FILE)).unwrap();
        let hot = crate::HotCache::decode(tantivy::directory::OwnedBytes::new(bytes)).unwrap();
        let (lazy, directory) = crate::open_lazy(hot, crate::FileFetcher::new(&index_dir)).unwrap();
        assert_eq!(directory.stats().requests, 0, "opening fetched nothing");
        assert_eq!(lazy.vocabulary(), engine.vocabulary());
        assert_eq!(lazy.vocabulary().severity[0].aliases, ["P1", "sev1"]);
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
