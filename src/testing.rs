//! Fixtures for the unit tests: a source from text, and the post-mortem it parses to.

use std::sync::Arc;

use crate::config::Config;
use crate::load::Source;
use crate::parse::Parsed;
use crate::postmortem::PostMortem;

/// `text` as the source `content/{id}.md`.
pub fn source(id: &str, text: &str) -> Source {
    Source {
        id: id.into(),
        path: format!("content/{id}.md").into(),
        bundle: None,
        assets: Vec::new(),
        bytes: text.as_bytes().to_vec(),
        stamp: None,
    }
}

/// `text` parsed as `content/{id}.md`, with its diagnostics.
pub fn parsed(id: &str, text: &str, config: &Config) -> Parsed {
    crate::parse::parse(&source(id, text), config)
}

/// The post-mortem `text` parses to as `content/{id}.md`; panics with the diagnostics when it
/// does not parse.
pub fn parse(id: &str, text: &str, config: &Config) -> PostMortem {
    let parsed = parsed(id, text, config);
    match parsed.postmortem {
        Some(pm) => Arc::unwrap_or_clone(pm),
        None => panic!("fixture {id} does not parse: {:?}", parsed.diagnostics),
    }
}
