//! Plain-words explanations of queries that tantivy's parser rejects.
//!
//! The parser's own messages (`Syntax Error: …`, `Field does not exist: 'x'`) are written
//! for programmers; a reader of post-mortems gets what went wrong and how to fix it.

use serde::{Deserialize, Serialize};
use tantivy::query::QueryParserError;

use crate::schema::QUERY_FIELDS;

/// A query that could not be read as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryErrorExplained {
    /// What is wrong, in plain words, as one sentence.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub hint: Option<String>,
    /// The query engine's own message, for bug reports.
    pub detail: String,
}

impl QueryErrorExplained {
    /// An error that is not about the query (such as the index failing to load).
    pub fn engine(detail: impl std::fmt::Display) -> QueryErrorExplained {
        QueryErrorExplained {
            message: "the search index could not be read".to_string(),
            hint: Some("reload the page; if it keeps failing, rebuild the site".to_string()),
            detail: detail.to_string(),
        }
    }
}

impl QueryErrorExplained {
    /// A query refused before parsing (see [`crate::request::check_query`]).
    pub fn rejected(message: String) -> QueryErrorExplained {
        QueryErrorExplained {
            detail: message.clone(),
            message,
            hint: None,
        }
    }
}

/// Explains a parser error for the query `q`.
pub(crate) fn explain(q: &str, error: &QueryParserError) -> QueryErrorExplained {
    let fields = QUERY_FIELDS.join(", ");
    let (message, hint) = match error {
        QueryParserError::SyntaxError(_) => syntax_problem(q),
        QueryParserError::FieldDoesNotExist(field) => (
            format!("there is no field `{field}` to search in"),
            Some(format!(
                "the fields are {fields}; to search for the text `{field}:` itself, put it \
                 in quotes"
            )),
        ),
        QueryParserError::AllButQueryForbidden => (
            "the query only excludes words, so it cannot match anything by itself".to_string(),
            Some("add a word to look for, such as `failover -postgres`".to_string()),
        ),
        QueryParserError::FieldDoesNotHavePositionsIndexed(field) => (
            format!("the field `{field}` does not support \"phrases\""),
            Some(format!("search `{field}:` for single words instead")),
        ),
        QueryParserError::RangeMustNotHavePhrase => (
            "a range `[a TO b]` cannot have a phrase as a bound".to_string(),
            Some("use single words or dates as the bounds".to_string()),
        ),
        QueryParserError::DateFormatError(_) => (
            "a date in the query could not be read".to_string(),
            Some(
                "write dates like `2024-03-12T00:00:00Z`, or use the since/until filters"
                    .to_string(),
            ),
        ),
        QueryParserError::FieldNotIndexed(field) => (
            format!("the field `{field}` cannot be searched"),
            Some(format!("the fields are {fields}")),
        ),
        QueryParserError::PhrasePrefixRequiresAtLeastTwoTerms { phrase, .. } => (
            format!("the prefix phrase \"{phrase}\" needs at least two words"),
            None,
        ),
        _ => (
            "the query could not be read".to_string(),
            Some("try plain words, or put the text in quotes".to_string()),
        ),
    };
    QueryErrorExplained {
        message,
        hint,
        detail: error.to_string(),
    }
}

/// Finds the likely cause of a syntax error by looking at the query text itself.
fn syntax_problem(q: &str) -> (String, Option<String>) {
    if q.chars().filter(|&c| c == '"').count() % 2 == 1 {
        return (
            "a quotation mark is not closed".to_string(),
            Some("add the closing `\"` or remove the opening one".to_string()),
        );
    }
    let mut depth = 0i32;
    for c in q.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return (
                "a `)` closes a parenthesis that was never opened".to_string(),
                Some("remove it, or add the matching `(`".to_string()),
            );
        }
    }
    if depth > 0 {
        return (
            "a parenthesis is not closed".to_string(),
            Some("add the closing `)`".to_string()),
        );
    }
    if q.contains('[') || q.contains('{') || q.contains(" TO ") {
        return (
            "a range could not be read".to_string(),
            Some("write ranges as `field:[a TO b]`".to_string()),
        );
    }
    let trimmed = q.trim_end();
    if trimmed.ends_with(':') || q.contains(": ") {
        return (
            "a `field:` is not followed by a value".to_string(),
            Some("write `tag:postgres` with no space after the colon".to_string()),
        );
    }
    for op in ["AND", "OR", "NOT"] {
        let words: Vec<&str> = q.split_whitespace().collect();
        if words.first() == Some(&op) && op != "NOT" || words.last() == Some(&op) {
            return (
                format!("`{op}` needs a word on each side"),
                Some(format!(
                    "remove `{op}`, or write `{}` in lower case to search for the word",
                    op.to_lowercase()
                )),
            );
        }
    }
    (
        "the query could not be read".to_string(),
        Some(
            "check quotes and parentheses; a colon means `field:value`, so put text with \
             colons in quotes"
                .to_string(),
        ),
    )
}
