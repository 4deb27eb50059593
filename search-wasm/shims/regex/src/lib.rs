//! `regex` for the browser's module: regex-lite, which has the same API for what tantivy
//! uses of it (escaping slashes when a facet is printed) without Unicode tables or a
//! compiled automaton, about 200 KB less of wasm.
pub use regex_lite::*;
