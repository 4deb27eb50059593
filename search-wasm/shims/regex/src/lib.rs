//! `regex` for the browser's module: the part of its API that tantivy compiles against, for
//! the one kind of pattern the module reaches, a class of literal characters.
//!
//! tantivy needs `regex` at run time in the browser for one thing: printing a facet, which
//! escapes its slashes with `Regex::new(r"[\\/]")` and `replace_all`. The other users of
//! the crate in tantivy (the regex tokenizer, aggregations, the query parser's regex
//! queries) are compiled but never run there. A whole regex engine, even regex-lite, is
//! about 20 KB of the gzipped module; this one matches a class of literal characters such
//! as `[\\/]` and refuses every other pattern with an [`Error`], so nothing can match
//! differently from the real crate: it fails instead. The tests check it against
//! regex-lite.

use std::borrow::Cow;
use std::fmt;

/// The characters that `regex` treats as syntax, which [`escape`] escapes.
const META: &str = r"\.+*?()|[]{}^$#&-~";

/// A compiled pattern: one class of literal characters.
#[derive(Clone, Debug)]
pub struct Regex {
    pattern: String,
    class: Vec<char>,
}

/// Why a pattern was refused.
#[derive(Clone, Debug)]
pub struct Error {
    pattern: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a class of literal characters such as `[\\\\/]`, the only patterns \
             this build of `regex` supports",
            self.pattern
        )
    }
}

impl std::error::Error for Error {}

/// Escapes every character of `text` that `regex` reads as syntax.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if META.contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Regex {
    /// Compiles `pattern`, which must be `[...]` holding literal characters, the characters
    /// of [`META`] escaped with `\`; anything else (ranges, negation, classes such as `\d`,
    /// more than one class) is an [`Error`].
    pub fn new(pattern: &str) -> Result<Regex, Error> {
        let refused = || Error {
            pattern: pattern.to_string(),
        };
        let inner = pattern
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .filter(|inner| !inner.is_empty() && !inner.starts_with('^'))
            .ok_or_else(refused)?;
        let mut class = Vec::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            let literal = match c {
                '\\' => chars.next().filter(|&e| META.contains(e)),
                c if META.contains(c) => None,
                c => Some(c),
            };
            class.push(literal.ok_or_else(refused)?);
        }
        Ok(Regex {
            pattern: pattern.to_string(),
            class,
        })
    }

    /// The pattern this was compiled from.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `haystack` holds a character of the class.
    pub fn is_match(&self, haystack: &str) -> bool {
        self.find(haystack).is_some()
    }

    /// The leftmost match in `haystack`.
    pub fn find<'h>(&self, haystack: &'h str) -> Option<Match<'h>> {
        self.find_at(haystack, 0)
    }

    /// The leftmost match in `haystack` at or after byte `start`.
    fn find_at<'h>(&self, haystack: &'h str, start: usize) -> Option<Match<'h>> {
        let (offset, c) = haystack[start..]
            .char_indices()
            .find(|(_, c)| self.class.contains(c))?;
        Some(Match {
            haystack,
            start: start + offset,
            end: start + offset + c.len_utf8(),
        })
    }

    /// `haystack` with every match replaced by what `rep` makes of it, borrowed when
    /// nothing matched.
    pub fn replace_all<'h, R: Replacer>(&self, haystack: &'h str, mut rep: R) -> Cow<'h, str> {
        let Some(first) = self.find(haystack) else {
            return Cow::Borrowed(haystack);
        };
        let mut replaced = String::with_capacity(haystack.len() + 8);
        let mut last = 0;
        let mut next = Some(first);
        while let Some(found) = next {
            replaced.push_str(&haystack[last..found.start]);
            rep.replace_append(found.as_str(), &mut replaced);
            last = found.end;
            next = self.find_at(haystack, last);
        }
        replaced.push_str(&haystack[last..]);
        Cow::Owned(replaced)
    }
}

/// One match: a character of the class.
#[derive(Clone, Copy, Debug)]
pub struct Match<'h> {
    haystack: &'h str,
    start: usize,
    end: usize,
}

impl<'h> Match<'h> {
    /// Its first byte in the haystack.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The byte after its last one.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The matched text.
    pub fn as_str(&self) -> &'h str {
        &self.haystack[self.start..self.end]
    }
}

/// What a match is replaced with.
pub trait Replacer {
    /// Appends the replacement of `matched` to `dst`.
    fn replace_append(&mut self, matched: &str, dst: &mut String);
}

/// A replacement string, expanded as `regex` does: `$0` or `${0}` (any name that reads as
/// the number 0) is the match, `$$` a
/// dollar; a pattern of one class has no other groups, so any other name is empty.
impl Replacer for &str {
    fn replace_append(&mut self, matched: &str, dst: &mut String) {
        let mut rest: &str = self;
        while let Some(dollar) = rest.find('$') {
            dst.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
                match braced.find('}') {
                    Some(close) => (Some(&braced[..close]), &braced[close + 1..]),
                    None => (None, after),
                }
            } else if let Some(tail) = after.strip_prefix('$') {
                dst.push('$');
                rest = tail;
                continue;
            } else {
                let len = after
                    .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
                    .unwrap_or(after.len());
                (
                    Some(&after[..len]).filter(|name| !name.is_empty()),
                    &after[len..],
                )
            };
            match name {
                Some(name) if name.parse::<usize>() == Ok(0) => dst.push_str(matched),
                Some(_) => {}
                None => dst.push('$'),
            }
            rest = tail;
        }
        dst.push_str(rest);
    }
}

impl Replacer for String {
    fn replace_append(&mut self, matched: &str, dst: &mut String) {
        self.as_str().replace_append(matched, dst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAYSTACKS: &[&str] = &[
        "",
        "plain",
        "/",
        "\\",
        "a/b\\c",
        "//\\\\",
        "/team/sre/",
        "Café/naïve\\日本/",
        "ends with a slash/",
    ];

    #[test]
    fn the_facet_escape_matches_regex_lite() {
        let ours = Regex::new(r"[\\/]").unwrap();
        let theirs = regex_lite::Regex::new(r"[\\/]").unwrap();
        for haystack in HAYSTACKS {
            for replacement in [
                "\\/",
                "<$0>",
                "${0}!",
                "$$",
                "$1",
                "$",
                "${",
                "x$0y$name",
                "$00",
                "${00}",
            ] {
                assert_eq!(
                    ours.replace_all(haystack, replacement),
                    theirs.replace_all(haystack, replacement),
                    "{haystack:?} with {replacement:?}"
                );
            }
            let (ours, theirs) = (ours.find(haystack), theirs.find(haystack));
            assert_eq!(
                ours.map(|m| (m.start(), m.end(), m.as_str())),
                theirs.map(|m| (m.start(), m.end(), m.as_str())),
                "{haystack:?}"
            );
        }
    }

    #[test]
    fn escape_matches_regex_lite() {
        for text in ["a.b*c", r"\.+*?()|[]{}^$#&-~", "Café", ""] {
            assert_eq!(escape(text), regex_lite::escape(text));
        }
    }

    #[test]
    fn classes_of_escaped_literals_compile() {
        let class = Regex::new(r"[\.\-a]").unwrap();
        assert!(class.is_match("x.y") && class.is_match("-") && class.is_match("a"));
        assert!(!class.is_match("b"));
        assert_eq!(class.as_str(), r"[\.\-a]");
    }

    #[test]
    fn other_patterns_are_refused_not_misread() {
        for pattern in [
            "", "/", "[]", "[^/]", "[a-z]", r"[\d]", "[/]+", "a[/]", r"\@(", "[[]", "(a|b)",
        ] {
            let error = Regex::new(pattern).expect_err(pattern);
            assert!(error.to_string().contains(pattern), "{error}");
        }
    }
}
