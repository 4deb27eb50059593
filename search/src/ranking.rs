//! How a query of plain words is ranked: the one place that decides it, for the CLI and the
//! browser alike.
//!
//! A query of words (and "phrases", `field:value`s, `-exclusions`) becomes:
//!
//! - one *unit* per word, or per phrase of the vocabulary's synonyms (`disk full`): a
//!   disjunction over the fields, each with its weight, so that a word counts once per
//!   document however many fields hold it (the best field, plus a little of the others);
//! - for each unit, its alternatives, scored below the words as typed: the other members of
//!   its synonym group; near spellings when the word is not in the archive or far rarer
//!   than a close spelling (`certficate` also searches for `certificate`); and for the last
//!   word, the words it begins (`kuberne` finds `kubernetes`);
//! - stop words (`the`, `all`, `not`) search the body only, with little weight, and are not
//!   needed for a document to match every word;
//! - the score of every document that matches every unit is raised by [`ALL_WORDS`], so
//!   those rank above the ones that match only some, which still come after them.

use std::collections::BTreeSet;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::query_grammar::{UserInputAst, UserInputLeaf};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, Searcher, Term};

use crate::query::QueryBuilder;
use crate::schema::Fields;

/// Added to the score of a document that matches every word: BM25 scores of a query stay
/// far below it, so all-word matches always come first.
pub(crate) const ALL_WORDS: f32 = 1000.0;
/// The weight of each field for a word found in it.
const TITLE: f32 = 2.0;
const SUMMARY: f32 = 1.5;
const BODY: f32 = 1.0;
const FACETS: f32 = 1.5;
const PEOPLE: f32 = 1.5;
const IDENT: f32 = 2.0;
/// How much of the other fields' scores a word's best field adds to.
const TIE_BREAKER: f32 = 0.2;
/// The weight of a stop word, in the body only.
const STOP_WORD: f32 = 0.2;
/// The weight of a synonym, a near spelling and a completed prefix, against the word typed.
const SYNONYM: f32 = 0.8;
const NEAR_SPELLING: f32 = 0.7;
const COMPLETION: f32 = 0.6;
/// The weight of the words of a synonym phrase on their own.
const PHRASE_PART: f32 = 0.5;
/// How many near spellings and completions a word gets at most.
const NEAR_SPELLINGS: usize = 3;
const COMPLETIONS: usize = 8;
/// A word in one or two documents, this much rarer than a close spelling found in at least
/// [`COMMON`] documents, is taken for a typo of it.
const RARER: u64 = 10;
const COMMON: u64 = 20;

/// English words too common to rank by. `en_stem` keeps them, so they would otherwise weigh
/// as much as any word, most of all in short titles.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do", "does",
    "during", "each", "for", "from", "had", "has", "have", "he", "her", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no", "nor", "not", "of",
    "on", "once", "only", "or", "other", "our", "she", "should", "so", "some", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through",
    "to", "too", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "why", "will", "with", "would", "you", "your",
];

/// A query ranked the way this module says, with what it did to the words.
pub(crate) struct Ranked {
    /// The query to run.
    pub query: Box<dyn Query>,
    /// Matches every unit, when there are two or more; for counting them.
    pub all_words: Option<Box<dyn Query>>,
    /// The words it also searched for, besides those typed: near spellings and completions.
    pub also: Vec<String>,
}

/// One thing the searcher typed: a word (or a phrase of a synonym group), its query and
/// whether a document must have it to match "every word".
struct Unit {
    query: Box<dyn Query>,
    required: bool,
}

/// What the ranking needs of the engine.
pub(crate) struct Ranker<'a> {
    pub index: &'a Index,
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub synonyms: &'a [Vec<String>],
    pub builder: &'a QueryBuilder,
}

impl Ranker<'_> {
    /// Ranks `ast`, or `None` when it uses the syntax beyond words, phrases, field values and
    /// exclusions (`AND`, `OR`, groups, boosts), which the query builder then reads as written.
    /// `open_end` says the query does not end with a space, so its last word may be cut short.
    pub fn rank(&self, ast: &UserInputAst, open_end: bool) -> Option<Ranked> {
        let clauses: Vec<(Option<Occur>, &UserInputAst)> = match ast {
            UserInputAst::Clause(clauses) => clauses.iter().map(|(o, a)| (*o, a)).collect(),
            leaf @ UserInputAst::Leaf(_) => vec![(None, leaf)],
            UserInputAst::Boost(..) => return None,
        };
        let mut words: Vec<String> = Vec::new();
        let mut units: Vec<Unit> = Vec::new();
        let mut extra: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (occur, ast) in clauses {
            let UserInputAst::Leaf(leaf) = ast else {
                return None;
            };
            let word = match &**leaf {
                UserInputLeaf::Literal(l)
                    if l.field_name.is_none()
                        && matches!(occur, None | Some(Occur::Should))
                        && l.delimiter == tantivy::query_grammar::Delimiter::None
                        && !l.prefix =>
                {
                    Some(l.phrase.to_lowercase())
                }
                _ => None,
            };
            match word {
                Some(word) if !word.trim().is_empty() => words.push(word),
                Some(_) => {}
                None => {
                    let query = self.builder.build(ast.clone()).ok()?;
                    match occur {
                        Some(Occur::MustNot) => extra.push((Occur::MustNot, query)),
                        Some(Occur::Must) => extra.push((Occur::Must, query)),
                        _ => units.push(Unit {
                            query,
                            required: true,
                        }),
                    }
                }
            }
        }
        let mut also = BTreeSet::new();
        let mut i = 0;
        while i < words.len() {
            // why: the longest synonym phrase that starts here is one unit ("disk full").
            let (len, group) = self.synonym_at(&words[i..]);
            let last = i + len == words.len() && open_end;
            if len > 1 {
                let parts: Vec<Unit> = words[i..i + len]
                    .iter()
                    .enumerate()
                    .filter_map(|(k, w)| self.word_unit(w, None, last && k == len - 1, &mut also))
                    .collect();
                units.extend(self.phrase_unit(&words[i..i + len], group, &parts));
                // why: the words of the phrase count on their own too, below it, so that a
                // document with only some of them still comes up.
                units.extend(parts.into_iter().map(|p| Unit {
                    query: Box::new(BoostQuery::new(p.query, PHRASE_PART)),
                    required: false,
                }));
            } else {
                units.extend(self.word_unit(&words[i], group, last, &mut also));
            }
            i += len;
        }
        if units.is_empty() && extra.iter().all(|(o, _)| *o == Occur::MustNot) {
            return None;
        }
        let required: Vec<(Occur, Box<dyn Query>)> = units
            .iter()
            .filter(|u| u.required)
            .map(|u| (Occur::Must, u.query.box_clone()))
            .chain(extra.iter().map(|(o, q)| (*o, q.box_clone())))
            .collect();
        let all_words = (units.iter().filter(|u| u.required).count() >= 2)
            .then(|| -> Box<dyn Query> { Box::new(BooleanQuery::new(required)) });
        let mut any: Vec<(Occur, Box<dyn Query>)> = units
            .into_iter()
            .map(|u| (Occur::Should, u.query))
            .collect();
        if let Some(all) = &all_words {
            any.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(all.box_clone(), ALL_WORDS)),
            ));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !any.is_empty() {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        clauses.extend(extra);
        Some(Ranked {
            query: Box::new(BooleanQuery::new(clauses)),
            all_words,
            also: also.into_iter().collect(),
        })
    }

    /// The length of the longest synonym member that `words` starts with (1 when none), and
    /// its group.
    fn synonym_at(&self, words: &[String]) -> (usize, Option<&[String]>) {
        let mut best: (usize, Option<&[String]>) = (1, None);
        for group in self.synonyms {
            for member in group {
                let parts: Vec<&str> = member.split_whitespace().collect();
                let matches = parts.len() <= words.len()
                    && parts.iter().zip(words).all(|(p, w)| *p == w.as_str());
                if matches && (parts.len() > best.0 || best.1.is_none()) {
                    best = (parts.len(), Some(group.as_slice()));
                }
            }
        }
        best
    }

    fn analyzer(&self, field: Field) -> Option<TextAnalyzer> {
        self.index.tokenizer_for_field(field).ok()
    }

    /// The tokens of `text` under `field`'s tokenizer.
    fn tokens(&self, field: Field, text: &str) -> Vec<String> {
        let Some(mut analyzer) = self.analyzer(field) else {
            return Vec::new();
        };
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// `text` in `field`: a term, or a phrase of its tokens (on fields with positions).
    fn text_query(&self, field: Field, text: &str, positions: bool) -> Option<Box<dyn Query>> {
        let tokens = self.tokens(field, text);
        let terms: Vec<Term> = tokens
            .iter()
            .map(|t| Term::from_field_text(field, t))
            .collect();
        match terms.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                terms.into_iter().next()?,
                IndexRecordOption::WithFreqs,
            ))),
            _ if positions => Some(Box::new(PhraseQuery::new(terms))),
            _ => None,
        }
    }

    /// `text` over every field a word is looked for in, each with its weight, as one
    /// disjunction: the best field counts, and a little of the others.
    fn fields_query(&self, text: &str, weight: f32) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
        for (field, boost, positions) in [
            (f.title, TITLE, true),
            (f.summary, SUMMARY, true),
            (f.body, BODY, true),
            (f.facet_text, FACETS, false),
            (f.people, PEOPLE, true),
        ] {
            if let Some(q) = self.text_query(field, text, positions) {
                disjuncts.push(Box::new(BoostQuery::new(q, boost * weight)));
            }
        }
        if !text.contains(char::is_whitespace) {
            let term = Term::from_field_text(f.ident, text);
            let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
            disjuncts.push(Box::new(BoostQuery::new(Box::new(q), IDENT * weight)));
        }
        (!disjuncts.is_empty()).then(|| -> Box<dyn Query> {
            Box::new(DisjunctionMaxQuery::with_tie_breaker(
                disjuncts,
                TIE_BREAKER,
            ))
        })
    }

    /// The other members of a synonym group, each over every field, below the words typed.
    fn synonyms_of(&self, typed: &str, group: Option<&[String]>) -> Vec<Box<dyn Query>> {
        group
            .into_iter()
            .flatten()
            .filter(|m| m.as_str() != typed)
            .filter_map(|m| self.fields_query(m, SYNONYM))
            .collect()
    }

    /// A phrase of a synonym group: the phrase, its synonyms, or all of its words.
    fn phrase_unit(
        &self,
        words: &[String],
        group: Option<&[String]>,
        parts: &[Unit],
    ) -> Option<Unit> {
        let typed = words.join(" ");
        let mut alternatives: Vec<Box<dyn Query>> =
            self.fields_query(&typed, 1.0).into_iter().collect();
        alternatives.extend(self.synonyms_of(&typed, group));
        let every: Vec<(Occur, Box<dyn Query>)> = parts
            .iter()
            .filter(|p| p.required)
            .map(|p| (Occur::Must, p.query.box_clone()))
            .collect();
        if !every.is_empty() {
            alternatives.push(Box::new(BoostQuery::new(
                Box::new(BooleanQuery::new(every)),
                PHRASE_PART,
            )));
        }
        Some(Unit {
            query: Box::new(DisjunctionMaxQuery::new(alternatives)),
            required: true,
        })
    }

    fn word_unit(
        &self,
        word: &str,
        group: Option<&[String]>,
        last: bool,
        also: &mut BTreeSet<String>,
    ) -> Option<Unit> {
        if STOP_WORDS.contains(&word) {
            let q = self.text_query(self.fields.body, word, true)?;
            return Some(Unit {
                query: Box::new(BoostQuery::new(q, STOP_WORD)),
                required: false,
            });
        }
        let mut alternatives: Vec<Box<dyn Query>> =
            self.fields_query(word, 1.0).into_iter().collect();
        alternatives.extend(self.synonyms_of(word, group));
        let plain = self.tokens(self.fields.words, word);
        if let [plain] = plain.as_slice() {
            let df = self.doc_freq(plain);
            for near in self.near_spellings(plain, df) {
                alternatives.extend(self.fields_query(&near, NEAR_SPELLING));
                also.insert(near);
            }
            if last {
                for completion in self.completions(plain) {
                    alternatives.extend(self.fields_query(&completion, COMPLETION));
                    if df == 0 {
                        also.insert(completion);
                    }
                }
            }
        }
        if alternatives.is_empty() {
            return None;
        }
        Some(Unit {
            query: Box::new(DisjunctionMaxQuery::new(alternatives)),
            required: true,
        })
    }

    /// In how many documents `word` occurs, as written.
    fn doc_freq(&self, word: &str) -> u64 {
        let term = Term::from_field_text(self.fields.words, word);
        self.searcher.doc_freq(&term).unwrap_or(0)
    }

    /// Every word of the archive that starts like `from` (its first letter) and passes
    /// `keep`, with its document count.
    fn dictionary(
        &self,
        from: &str,
        upto: &str,
        mut keep: impl FnMut(&str) -> bool,
    ) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = Vec::new();
        for reader in self.searcher.segment_readers() {
            let Ok(inverted) = reader.inverted_index(self.fields.words) else {
                continue;
            };
            let Ok(mut stream) = inverted
                .terms()
                .range()
                .ge(from.as_bytes())
                .lt(upto.as_bytes())
                .into_stream()
            else {
                continue;
            };
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if keep(term) {
                    let df = u64::from(stream.value().doc_freq);
                    match out.iter_mut().find(|(t, _)| t == term) {
                        Some((_, n)) => *n += df,
                        None => out.push((term.to_string(), df)),
                    }
                }
            }
        }
        out
    }

    /// Close spellings of a word that the archive lacks, or has far more rarely than one of
    /// them: one edit for words of 4 to 7 letters, two from 8 on; the most frequent first.
    fn near_spellings(&self, word: &str, df: u64) -> Vec<String> {
        let length = word.chars().count();
        if length < 4 || word.chars().any(|c| c.is_ascii_digit()) {
            return Vec::new();
        }
        let edits = if length >= 8 { 2 } else { 1 };
        let Some(first) = word.chars().next() else {
            return Vec::new();
        };
        let (from, upto) = first_letter_range(first);
        let mut near: Vec<(usize, u64, String)> = self
            .dictionary(&from, &upto, |term| {
                term != word && term.chars().count().abs_diff(length) <= edits
            })
            .into_iter()
            .filter_map(|(term, n)| {
                let d = strsim::osa_distance(word, &term);
                let commoner = df == 0 || (df <= 2 && n >= (RARER * df).max(COMMON));
                (d <= edits && commoner).then_some((d, n, term))
            })
            .collect();
        near.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        // why: the closest spellings only; one edit away beats two, which are noise then.
        let closest = near.first().map_or(0, |n| n.0);
        near.into_iter()
            .take_while(|n| n.0 == closest)
            .take(NEAR_SPELLINGS)
            .map(|(_, _, t)| t)
            .collect()
    }

    /// The most frequent words that `prefix` begins, from 3 letters on.
    fn completions(&self, prefix: &str) -> Vec<String> {
        if prefix.chars().count() < 3 {
            return Vec::new();
        }
        let upto = format!("{prefix}\u{10ffff}");
        let mut words = self.dictionary(prefix, &upto, |term| term != prefix);
        words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        words
            .into_iter()
            .take(COMPLETIONS)
            .map(|(t, _)| t)
            .collect()
    }
}

/// The range of dictionary keys that start with `first`.
fn first_letter_range(first: char) -> (String, String) {
    let next = char::from_u32(first as u32 + 1).unwrap_or(char::MAX);
    (first.to_string(), next.to_string())
}
