//! The index schema: field names, tokenizers, and the typed handle on both.
//!
//! Writing (`build_index`) and reading (`Engine`) go through [`Fields`], so that the
//! two sides cannot disagree on a name or an option.

use tantivy::schema::{Field, Schema};
use tantivy::tokenizer::{
    LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, WhitespaceTokenizer,
};
use tantivy::Index;

use crate::stemmer::EnglishStemmer;

/// Tokenizer of the prose fields: simple words, lowercase, English stemming
/// ([`prose_analyzer`]).
// why: the name of tantivy's own English analyzer, which this one reproduces: the schema of
// an index stays what it was, and an index written before opens as it did.
const PROSE_TOKENIZER: &str = "en_stem";
/// Tokenizer of the unstemmed fields (`words`, `people`, `owner`): simple words, lowercase.
pub(crate) const PLAIN_TOKENIZER: &str = "default";
/// Tokenizer of the identifier field: whitespace-separated, lowercase.
pub(crate) const IDENT_TOKENIZER: &str = "blameless_ident";
/// Tokenizer of the keyword fields (tag, service, ...): the whole value, lowercase.
pub(crate) const KEYWORD_TOKENIZER: &str = "blameless_keyword";

/// The keyword fields that can be filtered on and counted as facets, in display order.
pub const FACET_FIELDS: [&str; 6] = ["severity", "status", "tag", "service", "cause", "detection"];

/// The keyword fields that are steps of a scale, and the fast column of each document's
/// rank on it: facets list these in the scale's order, not by count.
pub(crate) const RANK_FIELDS: [(&str, &str); 2] =
    [("severity", "severity_rank"), ("status", "status_rank")];

/// The field names a query may use (`title:word`), for error messages.
pub const QUERY_FIELDS: [&str; 13] = [
    "title",
    "body",
    "summary",
    "ident",
    "owner",
    "people",
    "id",
    "tag",
    "service",
    "cause",
    "severity",
    "status",
    "detection",
];

/// Typed handles on every field of the schema.
#[derive(Clone, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    pub body: Field,
    pub summary: Field,
    pub ident: Field,
    /// Title, summary and body, unstemmed: the dictionary that typos and prefixes are
    /// looked up in.
    pub words: Field,
    /// Services, causes and tags as prose, so that they take part in ranking.
    pub facet_text: Field,
    /// Everyone named: owner, commander, scribe, responders, attendees, action owners.
    pub people: Field,
    pub owner: Field,
    /// The body's section starts, as JSON ([`crate::SectionStart`]); stored only.
    pub sections: Field,
    pub tag: Field,
    pub service: Field,
    pub cause: Field,
    pub severity: Field,
    pub status: Field,
    pub detection: Field,
    pub started: Field,
    #[cfg_attr(not(feature = "writer"), allow(dead_code))]
    pub severity_rank: Field,
    #[cfg_attr(not(feature = "writer"), allow(dead_code))]
    pub status_rank: Field,
}

impl Fields {
    /// Looks the fields up in the schema of an existing index.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let get = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: get("id")?,
            title: get("title")?,
            body: get("body")?,
            summary: get("summary")?,
            ident: get("ident")?,
            words: get("words")?,
            facet_text: get("facet_text")?,
            people: get("people")?,
            owner: get("owner")?,
            sections: get("sections")?,
            tag: get("tag")?,
            service: get("service")?,
            cause: get("cause")?,
            severity: get("severity")?,
            status: get("status")?,
            detection: get("detection")?,
            started: get("started")?,
            severity_rank: get("severity_rank")?,
            status_rank: get("status_rank")?,
        })
    }
}

/// Builds the schema that every blameless index has.
#[cfg(feature = "writer")]
pub(crate) fn build_schema() -> Schema {
    use tantivy::schema::{
        DateOptions, DateTimePrecision, IndexRecordOption, TextFieldIndexing, TextOptions, STORED,
        STRING,
    };
    let mut builder = Schema::builder();
    builder.add_text_field("id", STRING | STORED);
    let prose = |stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PROSE_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    builder.add_text_field("title", prose(true));
    builder.add_text_field("body", prose(true));
    builder.add_text_field("summary", prose(true));
    // why: tantivy's query parser turns `checkout-api` into a phrase over a prose field;
    // a whitespace-tokenized copy lets the same word match as one term, without positions.
    builder.add_text_field(
        "ident",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(IDENT_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    let plain = |record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PLAIN_TOKENIZER)
                .set_index_option(record),
        )
    };
    // why: typos and prefixes are matched against the words as written (`certficate` is
    // one letter from `certificate`, not from the stem `certif`); only the dictionary and
    // the document counts are read, so no frequencies or positions.
    builder.add_text_field("words", plain(IndexRecordOption::Basic));
    builder.add_text_field("facet_text", prose(false));
    builder.add_text_field("people", plain(IndexRecordOption::WithFreqsAndPositions));
    builder.add_text_field("owner", plain(IndexRecordOption::WithFreqsAndPositions));
    builder.add_text_field("sections", STORED);
    for name in FACET_FIELDS {
        // why: the inverted index is lowercase so that `severity:sev-1` matches `SEV-1`;
        // the fast column keeps the value as written, for display in facet counts.
        let options = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(KEYWORD_TOKENIZER)
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_fast("raw");
        let options = if matches!(name, "severity" | "status" | "service") {
            options.set_stored()
        } else {
            options
        };
        builder.add_text_field(name, options);
    }
    builder.add_date_field(
        "started",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_stored()
            .set_precision(DateTimePrecision::Seconds),
    );
    // why: a column, not a term: only facets (and sorting) read the rank, never a query.
    for (_, rank) in RANK_FIELDS {
        builder.add_u64_field(rank, tantivy::schema::FAST);
    }
    builder.build()
}

/// The analyzer of the prose fields, as tantivy's `en_stem` has it: simple words, those
/// over 40 bytes dropped, lowercase, Snowball English stems.
pub fn prose_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(EnglishStemmer)
        .build()
}

/// Registers the tokenizers the schema names; needed on every opened [`Index`].
pub(crate) fn register_tokenizers(index: &Index) {
    index
        .tokenizers()
        .register(PROSE_TOKENIZER, prose_analyzer());
    index.tokenizers().register(
        IDENT_TOKENIZER,
        TextAnalyzer::builder(WhitespaceTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    index.tokenizers().register(
        KEYWORD_TOKENIZER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// Lowercases a keyword the way [`KEYWORD_TOKENIZER`] does, for building filter terms.
pub(crate) fn normalize_keyword(value: &str) -> String {
    value.to_lowercase()
}
