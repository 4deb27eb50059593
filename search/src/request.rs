//! [`SearchRequest`]: one search as the user asked it, from a URL, the CLI or JSON.

use serde::{Deserialize, Serialize};

/// The number of hits returned when a request does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// The most hits one request may ask for.
pub const MAX_LIMIT: usize = 200;

/// How hits are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (BM25); newest first when the query has no words.
    #[default]
    Relevance,
    /// Most recent `started` first.
    Newest,
}

/// One search: free text plus filters.
///
/// Filters on the same field are alternatives (`severity=SEV-1&severity=SEV-2`); filters on
/// different fields must all hold. Every field has a default, so `{}` is a valid request:
/// every post-mortem, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// Query text in tantivy's syntax: words, "phrases", `AND`/`OR`/`-`, `field:value`.
    pub q: String,
    /// Severity names to keep (case-insensitive).
    pub severity: Vec<String>,
    /// Status names to keep (case-insensitive).
    pub status: Vec<String>,
    /// Tags to keep (case-insensitive).
    pub tag: Vec<String>,
    /// Services to keep (case-insensitive).
    pub service: Vec<String>,
    /// Causes to keep (case-insensitive).
    pub cause: Vec<String>,
    /// Keep post-mortems that started at or after this instant (unix seconds).
    pub since: Option<i64>,
    /// Keep post-mortems that started before this instant (unix seconds, exclusive).
    pub until: Option<i64>,
    /// Order of the hits.
    pub sort: Sort,
    /// Number of hits to return, at most [`MAX_LIMIT`].
    pub limit: usize,
    /// Number of hits to skip, for paging.
    pub offset: usize,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            severity: Vec::new(),
            status: Vec::new(),
            tag: Vec::new(),
            service: Vec::new(),
            cause: Vec::new(),
            since: None,
            until: None,
            sort: Sort::Relevance,
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// A URL parameter that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// The parameter name, such as `since`.
    pub param: String,
    /// What was wrong, in plain words.
    pub message: String,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid `{}`: {}", self.param, self.message)
    }
}

impl std::error::Error for RequestError {}

impl SearchRequest {
    /// Reads a request from decoded URL parameters, as in `/search/?q=…&tag=…&since=2024`.
    ///
    /// `since` and `until` take a date (`2024`, `2024-03`, `2024-03-12`) or unix seconds;
    /// `until` covers the whole day, month or year it names. Empty values are ignored, so
    /// a form submitted with blank fields reads as no filter. Unknown parameters are
    /// ignored, as a browser would.
    pub fn from_query_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<SearchRequest, RequestError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut req = SearchRequest::default();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref().trim());
            if value.is_empty() {
                continue;
            }
            let error = |message: &str| RequestError {
                param: key.to_string(),
                message: message.to_string(),
            };
            match key {
                "q" => {
                    check_query(value).map_err(|message| error(&message))?;
                    req.q = value.to_string();
                }
                "severity" => req.severity.push(value.to_string()),
                "status" => req.status.push(value.to_string()),
                "tag" => req.tag.push(value.to_string()),
                "service" => req.service.push(value.to_string()),
                "cause" => req.cause.push(value.to_string()),
                "since" => {
                    let (start, _) = parse_date_span(value).ok_or_else(|| {
                        error("expected a date such as `2024`, `2024-03` or `2024-03-12`")
                    })?;
                    req.since = Some(start);
                }
                "until" => {
                    let (_, end) = parse_date_span(value).ok_or_else(|| {
                        error("expected a date such as `2024`, `2024-03` or `2024-03-12`")
                    })?;
                    req.until = Some(end);
                }
                "sort" => {
                    req.sort = match value {
                        "relevance" => Sort::Relevance,
                        "newest" => Sort::Newest,
                        _ => return Err(error("expected `relevance` or `newest`")),
                    }
                }
                "limit" => {
                    req.limit = value
                        .parse()
                        .map_err(|_| error("expected a number of hits"))?;
                }
                "offset" => {
                    req.offset = value
                        .parse()
                        .map_err(|_| error("expected a number of hits to skip"))?;
                }
                _ => {}
            }
        }
        Ok(req)
    }

    /// True when the request has no text and no filter: the whole archive.
    pub fn is_everything(&self) -> bool {
        self.q.trim().is_empty()
            && self.severity.is_empty()
            && self.status.is_empty()
            && self.tag.is_empty()
            && self.service.is_empty()
            && self.cause.is_empty()
            && self.since.is_none()
            && self.until.is_none()
    }
}

/// The longest query read, in characters: far beyond any sentence a person types.
pub const MAX_QUERY_CHARS: usize = 1000;

/// The deepest nesting of parentheses read: the parser recurses once per level.
pub const MAX_QUERY_DEPTH: usize = 16;

/// Refuses a query that is too long or nested too deep to parse safely, in plain words.
pub fn check_query(q: &str) -> Result<(), String> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(format!(
            "the query is {chars} characters long; at most {MAX_QUERY_CHARS} are read: search for fewer words"
        ));
    }
    let (mut depth, mut deepest, mut quoted) = (0usize, 0usize, false);
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_QUERY_DEPTH {
        return Err(format!(
            "the query nests parentheses {deepest} deep; at most {MAX_QUERY_DEPTH} are read: remove some"
        ));
    }
    Ok(())
}

/// Reads `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (UTC) or unix seconds into the half-open span
/// `[start, end)` it covers, in unix seconds.
pub fn parse_date_span(text: &str) -> Option<(i64, i64)> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    const DAY: i64 = 86_400;
    match parts.as_slice() {
        [year] if year.len() == 4 => {
            let y = number(year, 4)?;
            Some((
                days_from_civil(y, 1, 1) * DAY,
                days_from_civil(y + 1, 1, 1) * DAY,
            ))
        }
        [seconds] => {
            let s: i64 = seconds.parse().ok()?;
            Some((s, s.saturating_add(1)))
        }
        [year, month] => {
            let (y, m) = (number(year, 4)?, number(month, 2)?);
            if !(1..=12).contains(&m) {
                return None;
            }
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Some((
                days_from_civil(y, m, 1) * DAY,
                days_from_civil(ny, nm, 1) * DAY,
            ))
        }
        [year, month, day] => {
            let (y, m, d) = (number(year, 4)?, number(month, 2)?, number(day, 2)?);
            if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
                return None;
            }
            let start = days_from_civil(y, m, d) * DAY;
            Some((start, start + DAY))
        }
        _ => None,
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_queries_nested_or_long_beyond_the_bounds() {
        let nested = format!("{}x{}", "(".repeat(20_000), ")".repeat(20_000));
        let err = SearchRequest::from_query_pairs([("q", nested.as_str())]).unwrap_err();
        assert_eq!(err.param, "q");
        assert!(err.message.contains("characters long"), "{}", err.message);
        let deep = format!("{}x{}", "(".repeat(17), ")".repeat(17));
        let err = SearchRequest::from_query_pairs([("q", deep.as_str())]).unwrap_err();
        assert!(err.message.contains("17 deep"), "{}", err.message);
        let fine = format!("{}x{}", "(".repeat(16), ")".repeat(16));
        assert!(SearchRequest::from_query_pairs([("q", fine.as_str())]).is_ok());
        assert!(check_query("\"((((((((((((((((((\" kafka").is_ok());
    }

    #[test]
    fn reads_dates_as_spans() {
        assert_eq!(parse_date_span("1970-01-02"), Some((86_400, 172_800)));
        assert_eq!(
            parse_date_span("2024"),
            Some((1_704_067_200, 1_735_689_600))
        );
        assert_eq!(
            parse_date_span("2024-02"),
            Some((1_706_745_600, 1_709_251_200))
        );
        assert_eq!(parse_date_span("2024-02-30"), None);
        assert_eq!(parse_date_span("2024-13"), None);
        assert_eq!(parse_date_span("soon"), None);
    }

    #[test]
    fn reads_url_parameters() {
        let req = SearchRequest::from_query_pairs([
            ("q", "failover"),
            ("severity", "SEV-1"),
            ("severity", "SEV-2"),
            ("tag", ""),
            ("since", "2024-01"),
            ("until", "2024-01"),
            ("sort", "newest"),
            ("utm_source", "mail"),
        ])
        .unwrap();
        assert_eq!(req.q, "failover");
        assert_eq!(req.severity, ["SEV-1", "SEV-2"]);
        assert!(req.tag.is_empty());
        assert_eq!(req.since, Some(1_704_067_200));
        assert_eq!(req.until, Some(1_706_745_600));
        assert_eq!(req.sort, Sort::Newest);
    }

    #[test]
    fn rejects_unreadable_dates_with_the_parameter_name() {
        let err = SearchRequest::from_query_pairs([("since", "last week")]).unwrap_err();
        assert_eq!(err.param, "since");
        assert!(err.to_string().starts_with("invalid `since`"));
    }

    #[test]
    fn empty_json_is_a_valid_request() {
        let req: SearchRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(req, SearchRequest::default());
        assert!(req.is_everything());
    }
}
