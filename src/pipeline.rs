//! The pipeline that `check` and `build` share: load, parse in parallel, validate, apply the
//! archive's rule levels; then, for a build, render, index and publish.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::archive::Archive;
use crate::config::Config;
use crate::diagnostic::{self, Diagnostic, Level};
use crate::index;
use crate::load;
use crate::output;
use crate::parse;
use crate::postmortem::Status;
use crate::render::{self, Renderer};
use crate::rules;
use crate::theme::Theme;
use crate::validate;

/// The outcome of checking an archive.
pub struct Checked {
    /// Every post-mortem that could be read, drafts included.
    pub archive: Archive,
    /// Every problem, levels applied, `allow`ed ones removed, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether the diagnostics fail the run.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == Level::Error || (deny_warnings && d.level == Level::Warning))
    }
}

/// Loads and checks the archive at `root`.
pub fn check(root: &Path, config: Config, now: DateTime<Utc>) -> Result<Checked> {
    let loaded = load::load_sources(root)?;
    let parsed: Vec<parse::Parsed> = loaded
        .sources
        .par_iter()
        .map(|source| parse::parse(source, &config))
        .collect();
    let (postmortems, mut diagnostics) = validate::validate(parsed);
    diagnostics.extend(loaded.diagnostics);
    let archive = Archive::new(config, postmortems, now);
    let process: Vec<Vec<Diagnostic>> = archive
        .postmortems
        .par_iter()
        .map(|pm| rules::check(pm, &archive.config, now))
        .collect();
    diagnostics.extend(process.into_iter().flatten());
    diagnostics.retain_mut(|d| {
        d.level = archive.config.rules.level(d.code);
        d.level != Level::Allow
    });
    diagnostic::sort(&mut diagnostics);
    let diagnostics = diagnostic::bound(diagnostics);
    Ok(Checked {
        archive,
        diagnostics,
    })
}

/// What a build is asked to do.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Where the site goes.
    pub out: PathBuf,
    /// Whether Draft post-mortems are published.
    pub drafts: bool,
}

/// What a build did.
#[derive(Debug)]
pub struct BuildReport {
    /// How many post-mortems were published.
    pub postmortems: usize,
    /// How many files were written.
    pub files: usize,
}

/// Renders and publishes a checked archive. The caller decides whether the diagnostics allow it.
pub fn build(root: &Path, checked: &Checked, options: &BuildOptions) -> Result<BuildReport> {
    let mut archive = checked.archive.clone();
    if !options.drafts {
        archive.retain(|pm| pm.status != Status::Draft);
    }
    let theme_dir = root
        .join(crate::load::THEMES_DIR)
        .join(&archive.config.theme);
    let theme = Theme::load(&theme_dir)?;
    let renderer = Renderer::new(theme)?;
    let staging = output::Staging::begin(root, &options.out)
        .with_context(|| format!("cannot publish the site to {}", options.out.display()))?;
    // why: indexing is single-threaded for deterministic bytes; it runs beside the rendering,
    // straight into the staging directory, so nothing is left elsewhere if the build is killed.
    let (files, index) = rayon::join(
        || render::render(&archive, &renderer),
        || index::build(&archive, &staging.path().join(index::SITE_DIR)),
    );
    let files = files?;
    let index = index?;
    staging
        .write(&files, root)
        .and_then(|()| staging.commit())
        .with_context(|| format!("cannot publish the site to {}", options.out.display()))?;
    Ok(BuildReport {
        postmortems: archive.postmortems.len(),
        // why: the marker, the rendered files and the index's.
        files: 1 + files.len() + index.files.len(),
    })
}
