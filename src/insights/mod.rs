//! Insights: what the archive teaches across incidents, as pure functions of the `Archive` and
//! its "now". Every figure the site, the facet pages, the JSON and CSV, `blameless insights` and
//! the digest show is computed here once, so they can never disagree.

pub mod related;
pub mod text;
