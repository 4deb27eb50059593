//! The commands, one file each. `cli` parses the arguments, finds the archive and hands each
//! command a [`Context`]; the commands print and return the exit code.

pub mod build;
pub mod check;
pub mod digest;
pub mod import;
pub mod insights;
pub mod new;
pub mod search;
pub mod serve;
pub mod show;
pub mod timeline;

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::{Config, DEFAULT_BASE_URL};
use crate::diagnostic::{self, Code, Diagnostic, Format, Level};
use crate::pipeline::{self, BuildOptions, BuildReport, Checked};

/// What every command is given: where the archive and the site are, "now", and the
/// configuration.
pub struct Context {
    /// The archive root.
    pub root: PathBuf,
    /// The site directory.
    pub out: PathBuf,
    /// "Now", fixed for the whole run.
    pub now: DateTime<Utc>,
    /// `blameless.toml`, read.
    pub config: Config,
}

/// What [`check_and_build`] did.
pub struct Built {
    /// The checked archive and its diagnostics (not yet printed).
    pub checked: Checked,
    /// The build, or `None` when the diagnostics stopped it and the site was left as it was.
    pub report: Option<BuildReport>,
}

/// Checks the archive and builds the site when the diagnostics allow it: the one path that
/// `build`, `serve` and `search` share. A site without `base_url` gets a `missing-base-url`
/// warning here, where links are written, and not in `check`.
pub fn check_and_build(ctx: Context, drafts: bool, deny_warnings: bool) -> Result<Built> {
    let checked = for_build(pipeline::check(&ctx.root, ctx.config, ctx.now)?);
    if checked.fails(deny_warnings) {
        return Ok(Built {
            checked,
            report: None,
        });
    }
    let options = BuildOptions {
        out: ctx.out,
        drafts,
    };
    let report = pipeline::build(&ctx.root, &checked, &options)?;
    Ok(Built {
        checked,
        report: Some(report),
    })
}

/// The checked archive with what a build adds to its diagnostics: `missing-base-url`.
pub fn for_build(mut checked: Checked) -> Checked {
    let missing = Diagnostic::new(
        Code::MissingBaseUrl,
        format!("no `base_url`: emails, the feed, invites and the digest link to `{DEFAULT_BASE_URL}`"),
    )
    .in_file(Path::new(crate::config::FILE_NAME))
    .help("add `base_url = \"https://postmortems.example.com\"` to blameless.toml, or pass `--base-url URL` to `build`");
    let level = checked.archive.config.rules.level(Code::MissingBaseUrl);
    if checked.archive.config.base_url == DEFAULT_BASE_URL && level != Level::Allow {
        checked
            .diagnostics
            .insert(0, Diagnostic { level, ..missing });
    }
    checked
}

/// The scale's name for a severity given on the command line, or the scale's mildest when none
/// is given; an unknown one is a usage error that lists the scale.
pub fn severity_or_mildest(config: &Config, name: Option<&str>) -> Result<String> {
    match name {
        Some(name) => match config.severity(name) {
            Some((_, spec)) => Ok(spec.name.clone()),
            None => anyhow::bail!(
                "unknown severity `{name}`: use one of {}",
                config
                    .severities
                    .iter()
                    .map(|s| format!("`{}`", s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None => Ok(config
            .severities
            .last()
            .map_or_else(|| "SEV-3".to_string(), |s| s.name.clone())),
    }
}

/// The diagnostics as a person reads them.
pub fn human(checked: &Checked) -> String {
    diagnostic::render(&checked.diagnostics, Format::Human)
}

/// The exit code for diagnostics that do or do not fail the run.
pub fn exit_for(fails: bool) -> u8 {
    if fails {
        crate::cli::EXIT_CONTENT
    } else {
        crate::cli::EXIT_OK
    }
}
