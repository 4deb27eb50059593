//! Text similarity: one TF-IDF vector per post-mortem of the `Archive`, built once per build,
//! and an inverted index over them that finds a post-mortem's most similar others without
//! comparing every pair. [`super::related`] combines it with the shared services, causes and
//! tags.
//!
//! The text of a post-mortem is its title (counted three times), its summary (twice) and the
//! plain text of its body sections. The Timeline, the External message and the Internal email
//! are left out: a timeline is terse log lines whose words ("paged", "alert", "deployed") every
//! incident shares, and the two messages restate the summary in words for readers outside
//! engineering, so they would count the summary again and add the same courtesy phrases to every
//! incident.
//!
//! Words are Unicode-aware lowercase runs of alphanumeric characters, without English stop
//! words, words shorter than three characters and pure numbers; a final plural `s` is dropped.
//! A term weighs `(1 + ln tf) × ln(N / df)`, and each vector is L2-normalised, so that the dot
//! product of two vectors is their cosine. A term found in every post-mortem weighs nothing.
//!
//! Finding similar post-mortems takes each one's [`QUERY_TERMS`] heaviest terms, adds up partial
//! dot products over those terms' postings (each list keeps only its [`MAX_POSTINGS`] heaviest
//! entries) in a dense scratch array, and computes the exact cosine only for the best of those
//! candidates. That is a few hundred thousand multiplications per post-mortem at 10,000, where
//! all pairs would be fifty million sparse dot products.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::archive::Archive;
use crate::markdown;
use crate::postmortem::{PostMortem, SectionKind};

/// How many times a word of the title counts.
const TITLE_WEIGHT: u32 = 3;
/// How many times a word of the summary counts.
const SUMMARY_WEIGHT: u32 = 2;

/// How many of a post-mortem's heaviest terms look up candidates in the inverted index.
// why: the heaviest two dozen terms carry most of a normalised vector's length in post-mortems
// of a few hundred distinct words; more terms mostly add long, cheap-to-miss posting lists.
pub const QUERY_TERMS: usize = 24;

/// How many postings a term keeps: its heaviest, the others are dropped from the index.
// why: a term in thousands of post-mortems has a low idf, so the contribution of any one of its
// postings is small; keeping the heaviest bounds the work per query term at 10,000 and more.
pub const MAX_POSTINGS: usize = 300;

/// How many candidates, the best by partial dot product, [`TextVectors::similar`] scores exactly.
// why: partial dot products rank the true neighbours near the top but not in order; rescoring a
// few dozen costs a few microseconds and fixes the order.
const RESCORE: usize = 48;

/// English words too common to tell incidents apart, sorted for binary search. Only words of
/// three characters or more: shorter ones are dropped anyway.
const STOP_WORDS: &[&str] = &[
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "and",
    "any",
    "are",
    "aren",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "can",
    "cannot",
    "could",
    "couldn",
    "did",
    "didn",
    "does",
    "doesn",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "etc",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadn",
    "has",
    "hasn",
    "have",
    "haven",
    "having",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "into",
    "isn",
    "its",
    "itself",
    "just",
    "may",
    "might",
    "more",
    "most",
    "must",
    "nor",
    "not",
    "now",
    "off",
    "once",
    "only",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "same",
    "shall",
    "she",
    "should",
    "shouldn",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "too",
    "under",
    "until",
    "upon",
    "very",
    "via",
    "was",
    "wasn",
    "were",
    "weren",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "would",
    "wouldn",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// The TF-IDF vectors of an archive's post-mortems, with the inverted index that finds similar
/// ones.
#[derive(Clone, Debug)]
pub struct TextVectors {
    /// One vector per post-mortem, at its index in `archive.postmortems`: `(term, weight)`
    /// sorted by term, weights positive, L2 norm 1 (or empty).
    vectors: Vec<Vec<(u32, f32)>>,
    /// For each term, its heaviest postings `(document, weight)`, sorted by document.
    postings: Vec<Vec<(u32, f32)>>,
}

/// Reusable memory for finding similar post-mortems: one per rayon task, so that the queries
/// of a build allocate nothing per post-mortem but their answers. Make it with
/// [`TextVectors::scratch`].
#[derive(Clone, Debug)]
pub struct Scratch {
    /// Partial dot product per document, zero outside a query.
    dots: Vec<f32>,
    /// The documents whose `dots` the current query made non-zero.
    touched: Vec<u32>,
    /// The query document's vector spread over every term, zero outside a query.
    query: Vec<f32>,
}

impl TextVectors {
    /// Builds the vectors of every post-mortem of `archive`, one per index of
    /// `archive.postmortems`; the same archive always gives the same vectors, whatever the
    /// number of threads.
    pub fn new(archive: &Archive) -> TextVectors {
        let counted: Vec<&TermCounts> = archive
            .postmortems
            .par_iter()
            .map(|pm| pm.terms.get_or_init(|| term_counts(pm)))
            .collect();
        // why: ids are given in the order of documents, then of terms within a document (sorted
        // by text), so they are the same on every run; the map is only looked up, never listed.
        let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
        let mut df: Vec<u32> = Vec::new();
        let counted: Vec<Vec<(u32, u32)>> = counted
            .into_iter()
            .map(|terms| {
                terms
                    .iter()
                    .map(|(term, tf)| {
                        let next = ids.len() as u32;
                        let id = *ids.entry(term).or_insert(next);
                        if id == next {
                            df.push(0);
                        }
                        df[id as usize] += 1;
                        (id, tf)
                    })
                    .collect()
            })
            .collect();
        let n = counted.len() as f32;
        let idf: Vec<f32> = df.iter().map(|&df| (n / df as f32).ln()).collect();
        let vectors: Vec<Vec<(u32, f32)>> = counted
            .into_par_iter()
            .map(|terms| weigh(terms, &idf))
            .collect();
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); df.len()];
        for (doc, vector) in vectors.iter().enumerate() {
            for &(term, weight) in vector {
                postings[term as usize].push((doc as u32, weight));
            }
        }
        postings.par_iter_mut().for_each(|list| {
            if list.len() > MAX_POSTINGS {
                list.select_nth_unstable_by(MAX_POSTINGS - 1, heaviest_first);
                list.truncate(MAX_POSTINGS);
                list.sort_unstable_by_key(|&(doc, _)| doc);
            }
            list.shrink_to_fit();
        });
        TextVectors { vectors, postings }
    }

    /// The number of post-mortems.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    /// Whether the archive had no post-mortems.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// The cosine similarity of post-mortems `a` and `b` (indices into `archive.postmortems`),
    /// in [0, 1]: 1 for the same words in the same proportions, 0 for no rare word in common.
    /// Symmetric, and equal to what [`TextVectors::similarities`] gives.
    pub fn similarity(&self, a: usize, b: usize) -> f32 {
        let (mut x, mut y) = (self.vectors[a].iter(), self.vectors[b].iter());
        let (mut p, mut q) = (x.next(), y.next());
        let mut dot = 0.0;
        while let (Some(&(s, u)), Some(&(t, v))) = (p, q) {
            match s.cmp(&t) {
                std::cmp::Ordering::Less => p = x.next(),
                std::cmp::Ordering::Greater => q = y.next(),
                std::cmp::Ordering::Equal => {
                    dot += u * v;
                    p = x.next();
                    q = y.next();
                }
            }
        }
        dot.clamp(0.0, 1.0)
    }

    /// Memory for [`TextVectors::candidates`], [`TextVectors::similarities`] and
    /// [`TextVectors::similar`]; keep one per thread or rayon task.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            dots: vec![0.0; self.vectors.len()],
            touched: Vec::new(),
            query: vec![0.0; self.postings.len()],
        }
    }

    /// The post-mortems that share one of the heaviest terms of `doc` with it, each with a
    /// partial dot product (a lower bound of their cosine), sorted by index; `doc` itself is
    /// left out.
    pub fn candidates(&self, doc: usize, scratch: &mut Scratch) -> Vec<(usize, f32)> {
        let mut terms = self.vectors[doc].clone();
        if terms.len() > QUERY_TERMS {
            terms.select_nth_unstable_by(QUERY_TERMS - 1, heaviest_first);
            terms.truncate(QUERY_TERMS);
        }
        // why: the same order of additions on every run, so the partial sums are identical.
        terms.sort_unstable_by_key(|&(term, _)| term);
        for (term, weight) in terms {
            for &(other, w) in &self.postings[term as usize] {
                let dot = &mut scratch.dots[other as usize];
                if *dot == 0.0 {
                    scratch.touched.push(other);
                }
                *dot += weight * w;
            }
        }
        // why: when a query touches a good share of the archive, one pass over the dense
        // array lists the touched in index order faster than sorting them.
        if scratch.touched.len() > scratch.dots.len() / 16 {
            scratch.touched.clear();
            let touched = scratch
                .dots
                .iter()
                .enumerate()
                .filter(|(_, &dot)| dot != 0.0);
            scratch
                .touched
                .extend(touched.map(|(other, _)| other as u32));
        } else {
            scratch.touched.sort_unstable();
            // why: a product that underflows to zero leaves its document untouched-looking.
            scratch.touched.dedup();
        }
        let mut found = Vec::with_capacity(scratch.touched.len());
        for &other in &scratch.touched {
            let dot = std::mem::take(&mut scratch.dots[other as usize]);
            if other as usize != doc {
                found.push((other as usize, dot));
            }
        }
        scratch.touched.clear();
        found
    }

    /// The exact cosines of `doc` with each of `others`, in their order: the same values as
    /// [`TextVectors::similarity`], faster for many `others`.
    pub fn similarities(&self, doc: usize, others: &[usize], scratch: &mut Scratch) -> Vec<f32> {
        for &(term, weight) in &self.vectors[doc] {
            scratch.query[term as usize] = weight;
        }
        let cosines = others
            .iter()
            .map(|&other| {
                // why: the products summed in term order, as in `similarity`; the terms that
                // `doc` lacks add exact zeros, so both give the same bits.
                let dot: f32 = self.vectors[other]
                    .iter()
                    .map(|&(term, w)| scratch.query[term as usize] * w)
                    .sum();
                dot.clamp(0.0, 1.0)
            })
            .collect();
        for &(term, _) in &self.vectors[doc] {
            scratch.query[term as usize] = 0.0;
        }
        cosines
    }

    /// The at most `limit` post-mortems most similar to `doc`, with their cosines, best first
    /// (ties by index); those with nothing in common are left out, and so is `doc`.
    pub fn similar(&self, doc: usize, limit: usize, scratch: &mut Scratch) -> Vec<(usize, f32)> {
        let mut found = self.candidates(doc, scratch);
        let keep = RESCORE.max(limit);
        if found.len() > keep {
            found.select_nth_unstable_by(keep - 1, heaviest_first);
            found.truncate(keep);
        }
        let others: Vec<usize> = found.iter().map(|&(other, _)| other).collect();
        let cosines = self.similarities(doc, &others, scratch);
        let mut similar: Vec<(usize, f32)> = others
            .into_iter()
            .zip(cosines)
            .filter(|&(_, cosine)| cosine > 0.0)
            .collect();
        similar.sort_unstable_by(heaviest_first);
        similar.truncate(limit);
        similar
    }
}

/// Orders `(key, weight)` pairs by weight, heaviest first, then by key.
fn heaviest_first<K: Ord>(a: &(K, f32), b: &(K, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0))
}

/// The weighted term counts of one post-mortem, sorted by term.
fn term_counts(pm: &PostMortem) -> TermCounts {
    let title = pm.title.to_lowercase();
    let summary = pm.summary.to_lowercase();
    let mut body = String::new();
    for section in &pm.sections {
        if matches!(
            section.kind,
            Some(SectionKind::Timeline | SectionKind::ExternalMessage | SectionKind::InternalEmail)
        ) {
            continue;
        }
        // why: a heading the format knows ("Impact", "Resolution") is the same in every
        // post-mortem; one of the author's own says what the section is about.
        if section.kind.is_none() {
            body.push_str(&section.heading);
            body.push('\n');
        }
        body.push_str(&markdown::to_text(&markdown::without_comments(
            section.markdown(),
        )));
        body.push('\n');
    }
    let body = body.to_lowercase();
    // why: a fast hash for short words; the counts are sorted before they are used.
    let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
    for (text, weight) in [
        (&title, TITLE_WEIGHT),
        (&summary, SUMMARY_WEIGHT),
        (&body, 1),
    ] {
        for word in long_words(text) {
            *counts.entry(word).or_insert(0) += weight;
        }
    }
    // why: stop words and plurals are looked at once per distinct word, not once per use.
    let mut terms: Vec<(&str, u32)> = counts
        .into_iter()
        .filter_map(|(word, tf)| Some((term(word)?, tf)))
        .collect();
    terms.sort_unstable();
    let mut merged = TermCounts::default();
    for (term, tf) in terms {
        merged.add(term, tf);
    }
    merged.text.shrink_to_fit();
    merged.ends.shrink_to_fit();
    merged
}

/// The distinct terms of one post-mortem with their weighted counts, sorted by term: one
/// string of them all and the end and count of each: with a string for each term, the terms
/// kept with the parses of 50,000 post-mortems took 165 MB more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermCounts {
    /// The terms, one after the other.
    text: String,
    /// Where each term ends in `text`, and its count.
    ends: Vec<(u32, u32)>,
}

impl TermCounts {
    /// Adds `tf` to the count of `term`, which sorts at or after the last term added.
    fn add(&mut self, term: &str, tf: u32) {
        let last_start = match self.ends.len() {
            0 | 1 => 0,
            n => self.ends[n - 2].0 as usize,
        };
        match self.ends.last_mut() {
            Some((end, sum)) if self.text[last_start..*end as usize] == *term => *sum += tf,
            _ => {
                self.text.push_str(term);
                self.ends.push((self.text.len() as u32, tf));
            }
        }
    }

    /// Each term and its count, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&(end, _)| end));
        starts
            .zip(&self.ends)
            .map(|(start, &(end, tf))| (&self.text[start as usize..end as usize], tf))
    }
}

/// The alphanumeric runs of `text` of three characters or more, as slices of it.
fn long_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().nth(2).is_some())
}

/// The term a lowercase word counts as, if any: none for a number or a stop word.
fn term(word: &str) -> Option<&str> {
    if word.chars().all(char::is_numeric) || STOP_WORDS.binary_search(&word).is_ok() {
        return None;
    }
    Some(singular(word))
}

/// `word` without a final plural `s`: "timeouts" is "timeout", but "status", "process",
/// "analysis" and the three-letter "dns" stay as they are.
fn singular(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if stem.chars().nth(2).is_some() && !stem.ends_with(['s', 'u', 'i']) => stem,
        _ => word,
    }
}

/// The L2-normalised TF-IDF vector of one document's `(term, tf)` counts, sorted by term.
fn weigh(counts: Vec<(u32, u32)>, idf: &[f32]) -> Vec<(u32, f32)> {
    let mut vector: Vec<(u32, f32)> = counts
        .into_iter()
        .map(|(term, tf)| (term, (1.0 + (tf as f32).ln()) * idf[term as usize]))
        .filter(|&(_, weight)| weight > 0.0)
        .collect();
    vector.sort_unstable_by_key(|&(term, _)| term);
    let norm = vector.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
    for (_, weight) in &mut vector {
        *weight /= norm;
    }
    vector
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::{TimeZone, Utc};

    /// The terms of lowercase `text`, in order.
    fn words(text: &str) -> impl Iterator<Item = &str> {
        long_words(text).filter_map(term)
    }

    /// An archive of `(id, title, body)` post-mortems, started a day apart, the first newest.
    fn archive(entries: &[(&str, &str, &str)]) -> Archive {
        let config = Config::default();
        let postmortems = entries
            .iter()
            .enumerate()
            .map(|(i, (id, title, body))| {
                let text = format!(
                    "+++\ntitle = \"{title}\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = 2024-03-{:02}T09:00:00Z\n+++\n\n{body}\n",
                    28 - i
                );
                crate::testing::parse(id, &text, &config)
            })
            .collect();
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        Archive::new(config, postmortems, now)
    }

    fn position(archive: &Archive, id: &str) -> usize {
        archive
            .postmortems
            .iter()
            .position(|pm| pm.id == id)
            .unwrap()
    }

    const FILLER: &[(&str, &str, &str)] = &[
        (
            "f1",
            "Badge printer jammed",
            "## Summary\n\nThe lobby badge printer jammed on glossy cards.",
        ),
        (
            "f2",
            "Coffee machine descaling",
            "## Summary\n\nThe kitchen espresso machine needed descaling twice.",
        ),
    ];

    fn with_filler(entries: &[(&'static str, &'static str, &'static str)]) -> Archive {
        let all: Vec<_> = entries.iter().chain(FILLER).copied().collect();
        archive(&all)
    }

    #[test]
    fn identical_texts_are_fully_similar_and_unrelated_ones_not_at_all() {
        let body = "## Summary\n\nThe postgres replica fell behind and the failover promoted a stale primary.";
        let archive = with_filler(&[
            ("a", "Replica lag on postgres", body),
            ("b", "Replica lag on postgres", body),
        ]);
        let text = TextVectors::new(&archive);
        let (a, b) = (position(&archive, "a"), position(&archive, "b"));
        let f1 = position(&archive, "f1");
        assert!((text.similarity(a, b) - 1.0).abs() < 1e-5);
        assert!(text.similarity(a, f1) < 1e-6);
        assert_eq!(text.similarity(a, f1), text.similarity(f1, a));
    }

    #[test]
    fn partly_shared_words_give_a_cosine_between_the_extremes() {
        let archive = with_filler(&[
            (
                "a",
                "Kafka consumer lag",
                "## Impact\n\nOrders waited while the kafka consumer group rebalanced.",
            ),
            (
                "b",
                "Kafka broker disk full",
                "## Impact\n\nThe kafka broker disk filled with retained segments.",
            ),
        ]);
        let text = TextVectors::new(&archive);
        let cosine = text.similarity(position(&archive, "a"), position(&archive, "b"));
        assert!(cosine > 0.05 && cosine < 0.9, "{cosine}");
    }

    #[test]
    fn term_counts_keep_each_term_once_in_order_with_its_summed_count() {
        let mut counts = TermCounts::default();
        for (term, tf) in [
            ("disk", 1),
            ("disk", 3),
            ("dns", 2),
            ("replica", 1),
            ("replica", 1),
        ] {
            counts.add(term, tf);
        }
        let listed: Vec<(&str, u32)> = counts.iter().collect();
        assert_eq!(listed, [("disk", 4), ("dns", 2), ("replica", 2)]);
        assert_eq!(TermCounts::default().iter().count(), 0);
        // why: a term that another one begins with is still a term of its own.
        let mut prefixes = TermCounts::default();
        prefixes.add("fail", 1);
        prefixes.add("failover", 1);
        prefixes.add("failover", 1);
        let listed: Vec<(&str, u32)> = prefixes.iter().collect();
        assert_eq!(listed, [("fail", 1), ("failover", 2)]);
    }

    #[test]
    fn stop_words_short_words_and_numbers_are_not_terms() {
        let words: Vec<&str> =
            words("the db was down for 2024 minutes, and it is 42 timeouts").collect();
        assert_eq!(words, ["minute", "timeout"]);
        // Texts that differ only in stop words are the same text.
        let archive = with_filler(&[
            (
                "a",
                "Cache eviction storm",
                "## Summary\n\nThe cache evicted all of their keys.",
            ),
            (
                "b",
                "Cache eviction storm",
                "## Summary\n\nCache evicted keys.",
            ),
        ]);
        let text = TextVectors::new(&archive);
        let cosine = text.similarity(position(&archive, "a"), position(&archive, "b"));
        assert!((cosine - 1.0).abs() < 1e-5, "{cosine}");
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP_WORDS.iter().all(|w| w.len() >= 3));
    }

    #[test]
    fn plurals_lose_their_s_but_not_status_or_dns() {
        let words: Vec<&str> = words("timeouts status process analysis dns services").collect();
        assert_eq!(
            words,
            ["timeout", "status", "process", "analysis", "dns", "service"]
        );
    }

    #[test]
    fn non_ascii_words_are_read_without_a_panic() {
        let words: Vec<&str> = words("café überlast データベース障害 naïve été s").collect();
        assert_eq!(
            words,
            ["café", "überlast", "データベース障害", "naïve", "été"]
        );
        let archive = with_filler(&[
            (
                "a",
                "Café Überlast",
                "## Summary\n\nDie Datenbank im Café war überlastet. データベース障害",
            ),
            (
                "b",
                "CAFÉ ÜBERLAST",
                "## Summary\n\nDatenbank überlastet. データベース障害",
            ),
        ]);
        let text = TextVectors::new(&archive);
        let cosine = text.similarity(position(&archive, "a"), position(&archive, "b"));
        assert!(cosine > 0.5, "{cosine}");
    }

    #[test]
    fn comments_timeline_and_messages_do_not_count() {
        let archive = with_filler(&[
            (
                "a",
                "Certificate expired",
                "## Summary\n\n<!-- Describe the kafka incident -->\nThe certificate expired.\n\n## Timeline\n\n- 09:00 kafka alert\n\n## External message\n\nKafka kafka kafka.",
            ),
            ("b", "Kafka rebalancing", "## Summary\n\nKafka rebalanced."),
        ]);
        let text = TextVectors::new(&archive);
        let cosine = text.similarity(position(&archive, "a"), position(&archive, "b"));
        assert_eq!(cosine, 0.0);
    }

    #[test]
    fn terms_in_every_post_mortem_carry_no_weight() {
        let archive = archive(&[
            ("a", "Outage one", "## Summary\n\nOutage of payments."),
            ("b", "Outage two", "## Summary\n\nOutage of search."),
        ]);
        let text = TextVectors::new(&archive);
        assert_eq!(text.similarity(0, 1), 0.0);
    }

    #[test]
    fn similar_finds_the_nearest_first_and_agrees_with_similarity() {
        let archive = with_filler(&[
            (
                "a",
                "Redis failover",
                "## Summary\n\nRedis sentinel failover dropped sessions.",
            ),
            (
                "b",
                "Redis failover again",
                "## Summary\n\nRedis sentinel failover dropped sessions again.",
            ),
            ("c", "Redis memory", "## Summary\n\nRedis memory filled."),
        ]);
        let text = TextVectors::new(&archive);
        let mut scratch = text.scratch();
        let a = position(&archive, "a");
        let similar = text.similar(a, 5, &mut scratch);
        let ids: Vec<&str> = similar
            .iter()
            .map(|&(i, _)| archive.postmortems[i].id.as_str())
            .collect();
        assert_eq!(ids, ["b", "c"]);
        for &(other, cosine) in &similar {
            assert_eq!(cosine, text.similarity(a, other));
        }
        // The scratch is clean again: the same query gives the same answer.
        assert_eq!(text.similar(a, 5, &mut scratch), similar);
        assert_eq!(text.similar(a, 1, &mut scratch), similar[..1]);
    }
}
