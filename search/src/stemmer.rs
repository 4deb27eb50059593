//! [`EnglishStemmer`]: the last step of the prose fields' tokenizer, on the writer's side and
//! the reader's alike (the CLI's and the browser's).
//!
//! tantivy's own `Stemmer` filter comes with its `stemmer` feature, which links the
//! Snowball stemmers of 18 languages into every build: 145 KB of the browser's wasm module
//! (46 KB gzipped). This filter runs the same algorithm of the same crate, English only, so
//! the index keeps the terms that tantivy's `en_stem` gave it.
//!
//! Each tokenizer remembers the stems it worked out: prose repeats a small vocabulary, and
//! the algorithm took half the writer's time at 10,000 post-mortems when it ran for every
//! word.

use std::borrow::Cow;

use frostem::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Replaces each token by its Snowball English stem (`renewing` becomes `renew`). Tokens
/// must be lowercase already: the algorithm leaves capitals alone.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EnglishStemmer;

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = EnglishStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> EnglishStemmerFilter<T> {
        EnglishStemmerFilter {
            inner: tokenizer,
            stems: StemCache::default(),
        }
    }
}

/// A tokenizer whose tokens [`EnglishStemmer`] stems.
#[derive(Clone)]
pub(crate) struct EnglishStemmerFilter<T> {
    inner: T,
    stems: StemCache,
}

impl<T: Tokenizer> Tokenizer for EnglishStemmerFilter<T> {
    type TokenStream<'a> = EnglishStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        EnglishStemmerStream {
            tail: self.inner.token_stream(text),
            stems: &mut self.stems,
        }
    }
}

/// The stems of the words a tokenizer has seen, up to [`StemCache::CAPACITY`] words.
struct StemCache {
    stemmer: Stemmer,
    stems: FxHashMap<Box<str>, Box<str>>,
}

impl StemCache {
    /// Enough for the vocabulary that makes most of a corpus's words (a few MB at most);
    /// rarer words past it are stemmed each time.
    const CAPACITY: usize = 1 << 16;

    /// Replaces `word` by its stem.
    fn stem(&mut self, word: &mut String) {
        if let Some(stem) = self.stems.get(word.as_str()) {
            word.clear();
            word.push_str(stem);
            return;
        }
        let stem: Box<str> = match self.stemmer.stem(word) {
            Cow::Owned(stem) => stem.into(),
            Cow::Borrowed(stem) => stem.into(),
        };
        if self.stems.len() < Self::CAPACITY {
            self.stems.insert(word.as_str().into(), stem.clone());
        }
        word.clear();
        word.push_str(&stem);
    }
}

impl Default for StemCache {
    fn default() -> StemCache {
        StemCache {
            stemmer: Stemmer::new(Algorithm::English),
            stems: FxHashMap::default(),
        }
    }
}

// why: a copy of a tokenizer starts with no stems; what it learns is its own.
impl Clone for StemCache {
    fn clone(&self) -> StemCache {
        StemCache::default()
    }
}

/// The stemmed tokens of one text.
pub(crate) struct EnglishStemmerStream<'a, S> {
    tail: S,
    stems: &'a mut StemCache,
}

impl<S: TokenStream> TokenStream for EnglishStemmerStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        self.stems.stem(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::TokenStream as _;

    fn stems(text: &str) -> Vec<String> {
        let mut analyzer = crate::schema::prose_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_english_words_as_snowball_does() {
        // The stems the index has always had: tantivy's `en_stem` gave these.
        assert_eq!(stems("Dogs are the bests!"), ["dog", "are", "the", "best"]);
        assert_eq!(
            stems("Renewing the certificates; replication lagging, connections failed over"),
            ["renew", "the", "certif", "replic", "lag", "connect", "fail", "over"]
        );
    }

    #[test]
    fn keeps_positions_and_offsets_of_the_words() {
        let mut analyzer = crate::schema::prose_analyzer();
        let mut stream = analyzer.token_stream("Failing over");
        assert!(stream.advance());
        assert_eq!(
            (stream.token().position, stream.token().offset_from),
            (0, 0)
        );
        assert_eq!(stream.token().offset_to, 7);
        assert_eq!(stream.token().text, "fail");
        assert!(stream.advance());
        assert_eq!(stream.token().position, 1);
        assert!(!stream.advance());
    }

    #[test]
    fn a_remembered_stem_is_the_stem_the_algorithm_gives() {
        let text = "renewing renewals failed failing failover renewing failed";
        let fresh: Vec<String> = text.split(' ').map(|word| stems(word).remove(0)).collect();
        assert_eq!(stems(text), fresh);
        assert_eq!(
            stems(&format!("{text} {text}")),
            [&fresh[..], &fresh[..]].concat()
        );
    }

    #[test]
    fn a_full_cache_still_stems_every_word() {
        let mut cache = super::StemCache::default();
        let words: Vec<String> = (0..super::StemCache::CAPACITY + 10)
            .map(|i| format!("word{i}ing"))
            .collect();
        for word in &words {
            let mut token = word.clone();
            cache.stem(&mut token);
        }
        assert_eq!(cache.stems.len(), super::StemCache::CAPACITY);
        let mut token = "connections".to_string();
        cache.stem(&mut token);
        assert_eq!(token, "connect");
        let mut token = words.last().unwrap().clone();
        cache.stem(&mut token);
        assert_eq!(token, words.last().unwrap().trim_end_matches("ing"));
    }

    #[test]
    fn drops_words_longer_than_forty_bytes() {
        let long = "a".repeat(41);
        assert_eq!(stems(&format!("disk {long} full")), ["disk", "full"]);
    }
}
