//! [`UnknownValue`]: a filter value (or a `field:value` of the query) that names nothing in
//! the archive, with the closest values it does have.
//!
//! The decision lives here, beside the index that knows the values, so that `blameless
//! search` and the search page say the same thing: "no service `payments`: did you mean
//! `payments-db`?".

use serde::{Deserialize, Serialize};

/// How close a known value must be to count as a likely typo (Jaro-Winkler, as in the
/// main crate's "did you mean").
const CLOSE_ENOUGH: f64 = 0.8;
/// The most close values suggested.
const MAX_SUGGESTIONS: usize = 4;
/// A field with at most this many known values lists them all when none is close.
const MAX_LISTED: usize = 12;

/// A value that names nothing in the archive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnknownValue {
    /// The field: `severity`, `status`, `tag`, `service`, `cause` or `detection`.
    pub field: String,
    /// The value as given.
    pub value: String,
    /// True when it came from the query text (`service:payments`), false when from a
    /// filter (`--service`, `?service=`).
    pub in_query: bool,
    /// Known values to use instead, best first: the close ones, or every value of a small
    /// field (a scale) when none is close.
    pub suggestions: Vec<Suggestion>,
    /// What to tell the user, in the diagnostic style: lowercase, values in backticks.
    pub message: String,
}

/// A known value to use instead of an unknown one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Suggestion {
    /// The value, as the archive writes it.
    pub value: String,
    /// For a value from the query text: the query with this value in its place, when the
    /// value could be found in it.
    pub q: Option<String>,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A known value and the names it answers to (a severity step: name, aliases, slug).
pub(crate) struct Known<'a> {
    /// The value to suggest.
    pub value: &'a str,
    /// The spellings compared with the unknown value.
    pub names: Vec<&'a str>,
}

impl UnknownValue {
    /// Names `value` of `field` as unknown, with the closest of `known` (in their order:
    /// rank for a scale, else sorted), and fills in the message.
    pub(crate) fn new(field: &str, value: &str, in_query: bool, known: &[Known<'_>]) -> Self {
        let wanted = value.trim().to_lowercase();
        let scores: Vec<f64> = known
            .iter()
            .map(|k| {
                k.names
                    .iter()
                    .map(|name| strsim::jaro_winkler(&wanted, &name.to_lowercase()))
                    .fold(0.0, f64::max)
            })
            .collect();
        let best = scores.iter().copied().fold(0.0, f64::max);
        // why: ties are kept (SEV-7 is as close to SEV-1 as to SEV-4): choosing one of
        // them would be a guess.
        let close: Vec<&str> = known
            .iter()
            .zip(&scores)
            .filter(|(_, &score)| best > CLOSE_ENOUGH && best - score < 1e-9)
            .map(|(k, _)| k.value)
            .take(MAX_SUGGESTIONS)
            .collect();
        let listed = close.is_empty() && !known.is_empty() && known.len() <= MAX_LISTED;
        let values: Vec<&str> = if listed {
            known.iter().map(|k| k.value).collect()
        } else {
            close
        };
        let message = match (values.is_empty(), listed) {
            (true, _) => format!("no {field} `{value}` in the archive"),
            (false, false) => format!("no {field} `{value}`: did you mean {}?", or_list(&values)),
            (false, true) => format!("no {field} `{value}`: expected {}", or_list(&values)),
        };
        UnknownValue {
            field: field.to_string(),
            value: value.to_string(),
            in_query,
            suggestions: values
                .into_iter()
                .map(|v| Suggestion {
                    value: v.to_string(),
                    q: None,
                })
                .collect(),
            message,
        }
    }
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn or_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The query `q` with `field:value` (quoted or not, any case) replaced by
/// `field:replacement`, or `None` when `q` does not hold it as a whole word.
pub(crate) fn replace_in_query(
    q: &str,
    field: &str,
    value: &str,
    replacement: &str,
) -> Option<String> {
    let prefix = format!("{field}:");
    let needs_quotes = !replacement
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let new = if needs_quotes {
        format!("{prefix}\"{replacement}\"")
    } else {
        format!("{prefix}{replacement}")
    };
    let wanted = value.to_lowercase();
    let mut out = String::with_capacity(q.len() + replacement.len());
    let mut rest = q;
    let mut replaced = false;
    let mut at_boundary = true;
    while !rest.is_empty() {
        if at_boundary && rest.starts_with(&prefix) {
            let after = &rest[prefix.len()..];
            let quote = after.chars().next().filter(|c| matches!(c, '"' | '\''));
            let body = quote.map_or(after, |q| &after[q.len_utf8()..]);
            let end = match quote {
                Some(q) => body.find(q),
                None => Some(
                    body.find(|c: char| c.is_whitespace() || matches!(c, ')' | '^'))
                        .unwrap_or(body.len()),
                ),
            };
            if let Some(end) = end {
                if body[..end].to_lowercase() == wanted {
                    out.push_str(&new);
                    let consumed = prefix.len() + quote.map_or(0, |q| 2 * q.len_utf8()) + end;
                    rest = &rest[consumed..];
                    replaced = true;
                    at_boundary = false;
                    continue;
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
        at_boundary = c.is_whitespace() || matches!(c, '(' | '+' | '-');
    }
    replaced.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known<'a>(values: &[&'a str]) -> Vec<Known<'a>> {
        values
            .iter()
            .map(|v| Known {
                value: v,
                names: vec![v],
            })
            .collect()
    }

    #[test]
    fn suggests_the_closest_service() {
        let unknown = UnknownValue::new(
            "service",
            "payments",
            false,
            &known(&["checkout-api", "payment-gateway", "payments-db"]),
        );
        assert_eq!(
            unknown.message,
            "no service `payments`: did you mean `payments-db`?"
        );
        assert_eq!(unknown.suggestions.len(), 1);
    }

    #[test]
    fn keeps_ties_and_lists_a_small_scale_when_nothing_is_close() {
        let scale = known(&["SEV-1", "SEV-2", "SEV-3", "SEV-4"]);
        let tie = UnknownValue::new("severity", "SEV-7", false, &scale);
        assert_eq!(
            tie.message,
            "no severity `SEV-7`: did you mean `SEV-1`, `SEV-2`, `SEV-3` or `SEV-4`?"
        );
        let far = UnknownValue::new("severity", "critical", false, &scale);
        assert_eq!(
            far.message,
            "no severity `critical`: expected `SEV-1`, `SEV-2`, `SEV-3` or `SEV-4`"
        );
        let many: Vec<String> = (0..20).map(|i| format!("tag{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let none = UnknownValue::new("tag", "zebra", false, &known(&many));
        assert_eq!(none.message, "no tag `zebra` in the archive");
        assert!(none.suggestions.is_empty());
    }

    #[test]
    fn replaces_a_field_value_in_the_query_text() {
        let fix = |q: &str, value: &str, by: &str| replace_in_query(q, "service", value, by);
        assert_eq!(
            fix("lag service:payments", "payments", "payments-db").as_deref(),
            Some("lag service:payments-db")
        );
        assert_eq!(
            fix("(service:\"Payments\" OR dns)", "payments", "payments db").as_deref(),
            Some("(service:\"payments db\" OR dns)")
        );
        assert_eq!(
            fix("-service:payments^2", "payments", "x").as_deref(),
            Some("-service:x^2")
        );
        assert_eq!(fix("myservice:payments", "payments", "x"), None);
        assert_eq!(fix("service:paymentsdb", "payments", "x"), None);
    }
}
