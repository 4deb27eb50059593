//! `blame-language`: phrases that put the blame on people (`[rules] blame_phrases`).

use std::rc::Rc;

use regex::Regex;

use super::external::compiled;
use super::{place, Input, Item};
use crate::diagnostic::{Code, Diagnostic};

/// The regular expression of a blame phrase: whole words, any case, any run of whitespace
/// (a line wrap included) between words, straight or curly apostrophes.
fn phrase_regex(phrase: &str) -> Option<Rc<Regex>> {
    let words: Vec<String> = phrase
        .split_whitespace()
        .map(|w| regex::escape(w).replace(['\'', '\u{2019}'], "['\u{2019}]"))
        .collect();
    if words.is_empty() {
        return None;
    }
    let starts_word = phrase
        .trim()
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric);
    let ends_word = phrase
        .trim()
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric);
    let pattern = format!(
        r"(?i){}{}{}",
        if starts_word { r"\b" } else { "" },
        words.join(r"\s+"),
        if ends_word { r"\b" } else { "" }
    );
    compiled(&pattern)
}

/// `blame-language`: a blame phrase anywhere in the body.
pub(super) fn check(input: &Input<'_>) -> Vec<Item> {
    let (pm, config) = (input.pm, input.config);
    let mut out = Vec::new();
    let phrases: Vec<(&str, Rc<Regex>)> = config
        .rules
        .blame_phrases
        .iter()
        .filter_map(|p| Some((p.as_str(), phrase_regex(p)?)))
        .collect();
    for section in &pm.sections {
        let text = crate::markdown::without_comments(section.markdown());
        for (phrase, re) in &phrases {
            for m in re.find_iter(&text) {
                let start = section.content_offset + m.start();
                out.push(place(
                    pm,
                    Diagnostic::new(
                        Code::BlameLanguage,
                        format!("`{phrase}` puts the blame on people"),
                    )
                    .label("blame language")
                    .help(
                        "describe what made the mistake possible or easy (a missing check, an \
                         unclear runbook, a risky default) rather than who made it",
                    ),
                    start..section.content_offset + m.end(),
                ));
            }
        }
    }
    vec![Item::problems(out)]
}
