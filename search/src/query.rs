//! Queries from the parsed query text, as tantivy's query parser reads it for this schema.
//!
//! The text of a query is parsed by tantivy's grammar (`query_grammar`) into a
//! [`UserInputAst`]; this module turns that into a query over the index: a word or phrase
//! without a field is looked for in the default fields, each with its boost; a fielded one
//! in its field, through the field's tokenizer; ranges, sets, `field:*` and `*` as tantivy
//! has them. It does what tantivy's `QueryParser` does for the field types of this schema
//! (text, date, unsigned integers), with the same errors, and nothing else: tantivy's
//! parser also reads `field:/regex/`, which this engine refuses anyway, and which brings
//! a regular-expression compiler and its Unicode tables into the browser's module.
//! A unit test checks that both give the same query for the same text.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, ExistsQuery, FuzzyTermQuery, Occur,
    PhrasePrefixQuery, PhraseQuery, Query, QueryParserError, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::query_grammar::{UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{
    Field, FieldType, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::time::format_description::well_known::Rfc3339;
use tantivy::time::OffsetDateTime;
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::{DateTime, Index, Score, Term};

/// How typo tolerance reads a word of the default fields: one edit, a transposition
/// counting as one.
const FUZZY_DISTANCE: u8 = 1;

/// Builds queries from parsed query text over one index.
pub(crate) struct QueryBuilder {
    schema: Schema,
    tokenizers: TokenizerManager,
    /// The fields a word without a field is looked for in, each with its boost.
    defaults: Vec<(Field, Score)>,
    /// Whether the words of the default fields match with one typo.
    fuzzy: bool,
}

/// A query on its way: the clauses keep their shape until the end, so that empty ones can be
/// dropped and a query that only excludes can be told.
enum Node {
    Clause(Vec<(Occur, Node)>),
    Boost(Box<Node>, Score),
    Leaf(Box<dyn Query>),
}

impl Node {
    /// `self` boosted by `boost`, unless the boost changes nothing.
    fn boost(self, boost: Score) -> Node {
        if (boost - 1.0).abs() < Score::EPSILON {
            self
        } else {
            Node::Boost(Box::new(self), boost)
        }
    }

    /// Whether every clause of `self` excludes.
    fn all_negative(&self) -> bool {
        match self {
            Node::Leaf(_) => false,
            Node::Boost(node, _) => node.all_negative(),
            Node::Clause(clauses) => clauses
                .iter()
                .all(|(occur, node)| *occur == Occur::MustNot || node.all_negative()),
        }
    }

    /// Makes a query that only excludes match everything else.
    fn make_non_negative(&mut self) {
        match self {
            Node::Leaf(_) => {}
            Node::Boost(node, _) => node.make_non_negative(),
            Node::Clause(clauses) => clauses.push((Occur::Should, Node::Leaf(Box::new(AllQuery)))),
        }
    }

    /// `self` without its empty clauses; `None` when nothing is left.
    fn trim(self) -> Option<Node> {
        match self {
            Node::Clause(clauses) => {
                let clauses: Vec<(Occur, Node)> = clauses
                    .into_iter()
                    .filter_map(|(occur, node)| node.trim().map(|node| (occur, node)))
                    .collect();
                (!clauses.is_empty()).then_some(Node::Clause(clauses))
            }
            node => Some(node),
        }
    }

    /// The query of a trimmed node.
    fn into_query(self) -> Box<dyn Query> {
        match self {
            Node::Clause(clauses) => Box::new(BooleanQuery::new(
                clauses
                    .into_iter()
                    .map(|(occur, node)| (occur, node.into_query()))
                    .collect(),
            )),
            Node::Boost(node, boost) => Box::new(BoostQuery::new(node.into_query(), boost)),
            Node::Leaf(query) => query,
        }
    }
}

/// A node, with what went wrong in it (a part that cannot be searched is an empty clause,
/// dropped at the end, as tantivy's parser has it); [`QueryBuilder::build_lenient`] goes on
/// past the errors.
type Built = (Node, Vec<QueryParserError>);

/// Nothing, because of `errors`.
fn failed(errors: Vec<QueryParserError>) -> Built {
    (Node::Clause(Vec::new()), errors)
}

impl QueryBuilder {
    /// A builder over `index` whose words without a field go to `defaults` (with boosts),
    /// with one typo allowed in them when `fuzzy`.
    pub fn new(index: &Index, defaults: Vec<(Field, Score)>, fuzzy: bool) -> QueryBuilder {
        QueryBuilder {
            schema: index.schema(),
            tokenizers: index.tokenizers().clone(),
            defaults,
            fuzzy,
        }
    }

    /// The query of `ast`, or the first thing in it that cannot be searched.
    pub fn build(&self, ast: UserInputAst) -> Result<Box<dyn Query>, QueryParserError> {
        let (query, mut errors) = self.build_lenient(ast);
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors.swap_remove(0))
        }
    }

    /// The query of what can be searched in `ast`, with what cannot.
    pub fn build_lenient(&self, ast: UserInputAst) -> (Box<dyn Query>, Vec<QueryParserError>) {
        let (mut node, mut errors) = self.node(ast);
        let empty = matches!(&node, Node::Clause(clauses) if clauses.is_empty());
        if !empty && node.all_negative() {
            errors.push(QueryParserError::AllButQueryForbidden);
            node.make_non_negative();
        }
        let query = node
            .trim()
            .map_or_else(|| Box::new(EmptyQuery) as Box<dyn Query>, Node::into_query);
        (query, errors)
    }

    fn node(&self, ast: UserInputAst) -> Built {
        match ast {
            UserInputAst::Clause(clauses) => {
                let mut nodes = Vec::new();
                let mut errors = Vec::new();
                for (occur, ast) in clauses {
                    let (node, mut more) = self.node(ast);
                    nodes.push((occur.unwrap_or(Occur::Should), node));
                    errors.append(&mut more);
                }
                (Node::Clause(nodes), errors)
            }
            UserInputAst::Boost(ast, boost) => {
                let (node, errors) = self.node(*ast);
                (node.boost(boost.into_inner() as Score), errors)
            }
            UserInputAst::Leaf(leaf) => self.leaf(*leaf),
        }
    }

    fn leaf(&self, leaf: UserInputLeaf) -> Built {
        match leaf {
            UserInputLeaf::Literal(literal) => self.literal(&literal),
            UserInputLeaf::All => (Node::Leaf(Box::new(AllQuery)), Vec::new()),
            UserInputLeaf::Range {
                field,
                lower,
                upper,
            } => {
                let field = match self.target(field, "Range") {
                    Ok(field) => field,
                    Err(error) => return failed(vec![error]),
                };
                let mut errors = Vec::new();
                let mut bound = |bound: &UserInputBound| {
                    self.bound(field, bound).unwrap_or_else(|error| {
                        errors.push(error);
                        Bound::Unbounded
                    })
                };
                let (lower, upper) = (bound(&lower), bound(&upper));
                if lower == Bound::Unbounded && upper == Bound::Unbounded {
                    // why: `[* TO *]`, or bounds that could not be read: no range at all.
                    return failed(errors);
                }
                (Node::Leaf(Box::new(RangeQuery::new(lower, upper))), errors)
            }
            UserInputLeaf::Set { field, elements } => {
                // why: tantivy's parser says "Range" here too; the explanation is the same.
                let field = match self.target(field, "Range") {
                    Ok(field) => field,
                    Err(error) => return failed(vec![error]),
                };
                let mut terms = Vec::new();
                let mut errors = Vec::new();
                for element in &elements {
                    match self.boundary_term(field, element) {
                        Ok(term) => terms.push(term),
                        Err(error) => errors.push(error),
                    }
                }
                (Node::Leaf(Box::new(TermSetQuery::new(terms))), errors)
            }
            UserInputLeaf::Exists { field } => (
                Node::Leaf(Box::new(ExistsQuery::new(field, true))),
                Vec::new(),
            ),
            UserInputLeaf::Regex { .. } => failed(vec![QueryParserError::UnsupportedQuery(
                "Regex queries are not allowed.".to_string(),
            )]),
        }
    }

    /// The field a range or set names; they need one.
    fn target(&self, field: Option<String>, what: &str) -> Result<Field, QueryParserError> {
        let name = field.ok_or_else(|| {
            QueryParserError::UnsupportedQuery(format!(
                "{what} query need to target a specific field."
            ))
        })?;
        self.field(&name)
    }

    /// The boost of `field`: a default field keeps its boost when named, as in tantivy.
    fn boost_of(&self, field: Field) -> Score {
        self.defaults
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(1.0, |(_, boost)| *boost)
    }

    fn field(&self, name: &str) -> Result<Field, QueryParserError> {
        self.schema
            .get_field(name)
            .map_err(|_| QueryParserError::FieldDoesNotExist(name.to_string()))
    }

    /// A word or phrase: in its field, or in each default field (any one of them matching).
    fn literal(&self, literal: &UserInputLiteral) -> Built {
        let fields = match &literal.field_name {
            Some(name) => match self.field(name) {
                Ok(field) => vec![(field, self.boost_of(field))],
                Err(error) => return failed(vec![error]),
            },
            None => self.defaults.clone(),
        };
        let mut nodes = Vec::new();
        let mut errors = Vec::new();
        for (field, boost) in fields {
            match self.words(field, literal) {
                Ok(Some(query)) => nodes.push(Node::Leaf(query).boost(boost)),
                Ok(None) => {}
                Err(error) => errors.push(error),
            }
        }
        if !nodes.is_empty() {
            // why: found in some default field; the others may just not take such a value.
            errors.clear();
        }
        let node = if nodes.len() == 1 {
            nodes.remove(0)
        } else {
            Node::Clause(nodes.into_iter().map(|n| (Occur::Should, n)).collect())
        };
        (node, errors)
    }

    /// The query of `literal`'s text in `field`; `None` when its tokenizer leaves no word.
    fn words(
        &self,
        field: Field,
        literal: &UserInputLiteral,
    ) -> Result<Option<Box<dyn Query>>, QueryParserError> {
        let entry = self.schema.get_field_entry(field);
        let name = entry.name();
        if !entry.field_type().is_indexed() {
            return Err(QueryParserError::FieldNotIndexed(name.to_string()));
        }
        let phrase = literal.phrase.as_str();
        let term = match entry.field_type() {
            FieldType::Str(options) => {
                let (indexing, mut analyzer) = self.analyzer(name, options)?;
                let mut terms: Vec<(usize, Term)> = Vec::new();
                analyzer.token_stream(phrase).process(&mut |token| {
                    terms.push((token.position, Term::from_field_text(field, &token.text)));
                });
                if terms.len() <= 1 {
                    if literal.prefix {
                        return Err(QueryParserError::PhrasePrefixRequiresAtLeastTwoTerms {
                            phrase: phrase.to_string(),
                            tokenizer: indexing.tokenizer().to_string(),
                        });
                    }
                    match terms.pop() {
                        Some((_, term)) => term,
                        None => return Ok(None),
                    }
                } else if !indexing.index_option().has_positions() {
                    return Err(QueryParserError::FieldDoesNotHavePositionsIndexed(
                        name.to_string(),
                    ));
                } else if literal.prefix {
                    return Ok(Some(Box::new(PhrasePrefixQuery::new_with_offset(terms))));
                } else {
                    return Ok(Some(Box::new(PhraseQuery::new_with_offset_and_slop(
                        terms,
                        literal.slop,
                    ))));
                }
            }
            FieldType::Date(_) => Term::from_field_date_for_search(field, date(phrase)?),
            _ => self.boundary_term(field, phrase)?,
        };
        let fuzzy = self.fuzzy && self.defaults.iter().any(|(f, _)| *f == term.field());
        Ok(Some(if fuzzy {
            Box::new(FuzzyTermQuery::new(term, FUZZY_DISTANCE, true))
        } else {
            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
        }))
    }

    /// How the text field `name` with `options` is indexed, and the analyzer it was indexed
    /// with.
    fn analyzer<'o>(
        &self,
        name: &str,
        options: &'o TextOptions,
    ) -> Result<(&'o TextFieldIndexing, TextAnalyzer), QueryParserError> {
        let indexing = options
            .get_indexing_options()
            .ok_or_else(|| QueryParserError::FieldNotIndexed(name.to_string()))?;
        let analyzer = self.tokenizers.get(indexing.tokenizer()).ok_or_else(|| {
            QueryParserError::UnknownTokenizer {
                field: name.to_string(),
                tokenizer: indexing.tokenizer().to_string(),
            }
        })?;
        Ok((indexing, analyzer))
    }

    fn bound(&self, field: Field, bound: &UserInputBound) -> Result<Bound<Term>, QueryParserError> {
        Ok(match bound {
            UserInputBound::Inclusive(text) if text != "*" => {
                Bound::Included(self.boundary_term(field, text)?)
            }
            UserInputBound::Exclusive(text) if text != "*" => {
                Bound::Excluded(self.boundary_term(field, text)?)
            }
            _ => Bound::Unbounded,
        })
    }

    /// The one term `text` is in `field`: the end of a range or an element of a set.
    fn boundary_term(&self, field: Field, text: &str) -> Result<Term, QueryParserError> {
        let entry = self.schema.get_field_entry(field);
        let name = entry.name();
        let field_type = entry.field_type();
        if !field_type.is_indexed() && !field_type.is_fast() {
            return Err(QueryParserError::FieldNotIndexed(name.to_string()));
        }
        match field_type {
            FieldType::U64(_) => Ok(Term::from_field_u64(field, text.parse()?)),
            FieldType::I64(_) => Ok(Term::from_field_i64(field, text.parse()?)),
            FieldType::Date(_) => Ok(Term::from_field_date(field, date(text)?)),
            FieldType::Str(options) => {
                let (_, mut analyzer) = self.analyzer(name, options)?;
                let mut terms = Vec::new();
                analyzer.token_stream(text).process(&mut |token| {
                    terms.push(Term::from_field_text(field, &token.text));
                });
                match <[Term; 1]>::try_from(terms) {
                    Ok([term]) => Ok(term),
                    Err(terms) => Err(QueryParserError::UnsupportedQuery(format!(
                        "Range query boundary cannot have multiple tokens: {text:?} [{terms:?}]."
                    ))),
                }
            }
            _ => Err(QueryParserError::UnsupportedQuery(format!(
                "the field {name:?} cannot be searched by value"
            ))),
        }
    }
}

/// A date as a query writes it (RFC 3339).
fn date(text: &str) -> Result<DateTime, QueryParserError> {
    Ok(DateTime::from_utc(OffsetDateTime::parse(text, &Rfc3339)?))
}

#[cfg(test)]
mod tests {
    use tantivy::query::QueryParser;
    use tantivy::query_grammar;

    use super::*;
    use crate::engine::default_fields;
    use crate::schema::{build_schema, register_tokenizers, Fields};

    fn index() -> (Index, Fields) {
        let index = Index::create_in_ram(build_schema());
        register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema()).unwrap();
        (index, fields)
    }

    /// The queries both builders are compared on: every kind of leaf on every kind of field
    /// of the schema, boolean structure, boosts, and what each of them refuses.
    const QUERIES: &[&str] = &[
        "failover",
        "replica lag",
        "Failovers AND postgres",
        "+disk -full",
        "-postgres",
        "-postgres -mysql",
        "(a OR b) AND -c",
        "\"connection pool exhausted\"",
        "\"connection pool\"~2",
        "\"connection po\"*",
        "\"pool\"*",
        "title:failover",
        "title:\"primary failover\"",
        "body:(lag OR latency)",
        "summary:dns^2",
        "failover^3 dns",
        "tag:postgres",
        "tag:\"Postgres\"",
        "severity:SEV-1",
        "service:checkout status:Open",
        "ident:INC-1234",
        "id:2024-03-12-failover",
        "owner:alice",
        "people:\"Alice Smith\"",
        "words:failover",
        "sections:timeline",
        "severity_rank:1",
        "started:2024-03-12T00:00:00Z",
        "started:2024",
        "started:[2024-01-01T00:00:00Z TO 2024-06-01T00:00:00Z}",
        "started:[2024-01-01T00:00:00Z TO *]",
        "started:[* TO *]",
        "started:[x TO y]",
        "severity_rank:[1 TO 3]",
        "status_rank:{0 TO 2]",
        "tag:[a TO m]",
        "title:[a TO b c]",
        "ident:[a TO b]",
        "tag: IN [postgres dns]",
        "severity_rank: IN [1 2 x]",
        "tag:*",
        "*",
        "* -postgres",
        "title:/fail.*/",
        "nosuch:word",
        "nosuch:[a TO b]",
        "title.sub:word",
        "the",
        "\"\"",
        "tag:\"\"",
        "a AND (b OR (c AND -d))^2",
        "💥 café",
    ];

    fn tantivy_parser(index: &Index, fields: &Fields, fuzzy: bool) -> QueryParser {
        let defaults = default_fields(fields);
        let mut parser = QueryParser::for_index(index, defaults.iter().map(|d| d.0).collect());
        for (field, boost) in defaults {
            parser.set_field_boost(field, boost);
            if fuzzy {
                parser.set_field_fuzzy(field, false, FUZZY_DISTANCE, true);
            }
        }
        parser
    }

    fn builder(index: &Index, fields: &Fields, fuzzy: bool) -> QueryBuilder {
        QueryBuilder::new(index, default_fields(fields), fuzzy)
    }

    #[test]
    fn builds_what_tantivys_parser_builds() {
        let (index, fields) = index();
        for fuzzy in [false, true] {
            let ours = builder(&index, &fields, fuzzy);
            let theirs = tantivy_parser(&index, &fields, fuzzy);
            for text in QUERIES {
                let (ast, _) = query_grammar::parse_query_lenient(text);
                let strict = (
                    format!("{:?}", ours.build(ast.clone())),
                    format!("{:?}", theirs.build_query_from_user_input_ast(ast.clone())),
                );
                assert_eq!(strict.0, strict.1, "query {text:?}, fuzzy {fuzzy}");
                let (query, errors) = ours.build_lenient(ast.clone());
                let (their_query, their_errors) =
                    theirs.build_query_from_user_input_ast_lenient(ast);
                assert_eq!(
                    format!("{query:?} {errors:?}"),
                    format!("{their_query:?} {their_errors:?}"),
                    "lenient query {text:?}, fuzzy {fuzzy}"
                );
            }
        }
    }

    #[test]
    fn refuses_regular_expressions_and_reads_the_rest() {
        let (index, fields) = index();
        let ours = builder(&index, &fields, false);
        let (ast, _) = query_grammar::parse_query_lenient("title:/fail.*/ dns");
        assert!(matches!(
            ours.build(ast.clone()),
            Err(QueryParserError::UnsupportedQuery(_))
        ));
        let (query, errors) = ours.build_lenient(ast);
        assert_eq!(errors.len(), 1);
        assert!(format!("{query:?}").contains("dns"), "{query:?}");
    }
}
