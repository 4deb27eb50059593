//! blameless: a validated post-mortem archive rendered as a static site.
//!
//! The pipeline, one stage per module, values flowing one way:
//!
//! ```text
//! blameless.toml, directory.toml ─► Config
//! content/**.md ─► load ─► Source ─► parse (rayon) ─► PostMortem + diagnostics
//!                                 ─► validate (cross-file) ─► Archive + diagnostics
//! Archive ─► render (rayon, Tera) ─► output files ─► output (temp dir, then rename)
//! ```

pub mod archive;
pub mod artifacts;
pub(crate) mod calendar;
pub mod chart;
pub mod chat;
pub mod cli;
pub(crate) mod cmd;
pub mod config;
pub mod diagnostic;
pub mod directory;
pub mod import;
pub mod index;
pub mod insights;
pub mod load;
pub(crate) mod markdown;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod postmortem;
pub(crate) mod preview;
pub mod render;
pub mod rules;
pub(crate) mod safe_fs;
pub(crate) mod scaffold;
pub(crate) mod serve;
pub(crate) mod slug;
pub(crate) mod terminal;
#[cfg(test)]
mod testing;
pub mod theme;
pub mod timeline;
pub(crate) mod validate;
pub(crate) mod view;
