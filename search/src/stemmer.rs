//! [`EnglishStemmer`]: the last step of the prose fields' tokenizer, on the writer's side and
//! the reader's alike (the CLI's and the browser's).
//!
//! tantivy's own `Stemmer` filter comes with its `stemmer` feature, which links the
//! Snowball stemmers of 18 languages into every build: 145 KB of the browser's wasm module
//! (46 KB gzipped). This filter runs the same algorithm of the same crate, English only, so
//! the index keeps the terms that tantivy's `en_stem` gave it.

use std::borrow::Cow;
use std::mem;

use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Replaces each token by its Snowball English stem (`renewing` becomes `renew`). Tokens
/// must be lowercase already: the algorithm leaves capitals alone.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EnglishStemmer;

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = EnglishStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> EnglishStemmerFilter<T> {
        EnglishStemmerFilter { inner: tokenizer }
    }
}

/// A tokenizer whose tokens [`EnglishStemmer`] stems.
#[derive(Clone)]
pub(crate) struct EnglishStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for EnglishStemmerFilter<T> {
    type TokenStream<'a> = EnglishStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        EnglishStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: Stemmer::new(Algorithm::English),
            buffer: String::new(),
        }
    }
}

/// The stemmed tokens of one text.
pub(crate) struct EnglishStemmerStream<S> {
    tail: S,
    stemmer: Stemmer,
    /// Reused for stems equal to their word, so that those cost no allocation.
    buffer: String,
}

impl<S: TokenStream> TokenStream for EnglishStemmerStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            Cow::Owned(stem) => token.text = stem,
            Cow::Borrowed(stem) => {
                self.buffer.clear();
                self.buffer.push_str(stem);
                mem::swap(&mut token.text, &mut self.buffer);
            }
        }
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
    fn drops_words_longer_than_forty_bytes() {
        let long = "a".repeat(41);
        assert_eq!(stems(&format!("disk {long} full")), ["disk", "full"]);
    }
}
