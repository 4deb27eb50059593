//! `blameless serve`: build, serve on 127.0.0.1, rebuild and reload on every change.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::{for_build, human, Context};
use crate::archive::Archive;
use crate::cli::{resolve_now, EXIT_OK};
use crate::diagnostic::{self, Format};
use crate::load::{self, ConfigError};
use crate::preview::Site;
use crate::serve::Rebuilt;
use crate::{index, output, pipeline};

/// Serves the site of `ctx` on `port` until the process ends. `now` is the `--now` flag, read
/// again at every rebuild so that an unfixed "now" follows the clock.
pub fn run(ctx: Context, now: Option<String>, port: u16, drafts: bool) -> Result<u8> {
    // why: before listening, so that a bad `--out` is one clear error, not a server whose
    // every rebuild fails.
    crate::output::check_out(&ctx.root, &ctx.out)?;
    let watch = vec![
        ctx.root.join(load::CONTENT_DIR),
        ctx.root.join(load::THEMES_DIR),
        ctx.root.join(crate::config::FILE_NAME),
        ctx.root.join(crate::directory::FILE_NAME),
    ];
    let site = ctx.out.clone();
    let mut preview = Preview {
        root: ctx.root,
        out: ctx.out,
        port,
        drafts,
        now,
        memo: pipeline::Memo::default(),
        indexed: false,
    };
    crate::serve::serve(&site, port, &watch, move || preview.rebuild())?;
    Ok(EXIT_OK)
}

/// What a preview keeps from one rebuild to the next.
struct Preview {
    root: PathBuf,
    out: PathBuf,
    port: u16,
    drafts: bool,
    /// The `--now` flag, read again at every rebuild so that an unfixed "now" follows the clock.
    now: Option<String>,
    /// The sources and their parses, so that a rebuild parses only what changed.
    memo: pipeline::Memo,
    /// Whether `out` holds the index of the last good rebuild, to update rather than rewrite.
    indexed: bool,
}

impl Preview {
    /// Checks the archive, brings its search index up to date and hands over its pages, or
    /// the problems to show.
    fn rebuild(&mut self) -> Rebuilt {
        self.try_rebuild().unwrap_or_else(|err| {
            let text = format!("error: {err:#}\n");
            eprint!("{text}");
            Err(text)
        })
    }

    fn try_rebuild(&mut self) -> Result<Rebuilt> {
        // why: taken for the length of the rebuild, so that one that fails or panics half-way
        // leaves the next to start from a clean slate: every source parsed, the index rewritten.
        let mut memo = std::mem::take(&mut self.memo);
        let indexed = std::mem::replace(&mut self.indexed, false);
        let root = &self.root;
        let mut config = match load::load_config(root) {
            Ok(config) => config,
            Err(ConfigError::Io(err)) => return Err(err),
            Err(ConfigError::Invalid(d)) => return Ok(Err(diagnostic::render(&d, Format::Human))),
        };
        // why: a preview's links point at the preview.
        config.base_url = format!("http://localhost:{}", self.port);
        let now = resolve_now(self.now.as_deref())?;
        let checked = for_build(pipeline::check_again(root, config, now, &mut memo)?);
        let report = human(&checked);
        eprint!("{report}");
        if checked.fails(false) {
            (self.memo, self.indexed) = (memo, indexed);
            return Ok(Err(report));
        }
        let (archive, analysis) = checked.into_site(self.drafts);
        let renderer = pipeline::renderer(root, &archive.config)?;
        let changed = memo.take_changed().filter(|_| indexed);
        let postmortems = archive.postmortems.len();
        // why: the index is written by one thread, the site's paths are listed by another.
        let (site, index) = rayon::join(
            || Site::new(archive.clone(), analysis, renderer, root.clone()),
            || self.index(&archive, changed),
        );
        index?;
        (self.memo, self.indexed) = (memo, true);
        eprintln!("built {}", diagnostic::plural(postmortems, "post-mortem"));
        Ok(Ok(Arc::new(site)))
    }

    /// Brings the search index in `out` up to date with `archive`: updates the post-mortems
    /// in `changed`, or writes it anew when that is `None`.
    fn index(&self, archive: &Archive, changed: Option<BTreeSet<String>>) -> Result<()> {
        match changed {
            Some(changed) => {
                if !changed.is_empty() {
                    index::update(archive, &self.out.join(index::SITE_DIR), &changed)?;
                }
            }
            None => {
                let (root, out) = (&self.root, &self.out);
                let staging = output::Staging::begin(root, out).with_context(|| {
                    format!("cannot write the search index to {}", out.display())
                })?;
                index::build(archive, &staging.path().join(index::SITE_DIR))?;
                staging.commit().with_context(|| {
                    format!("cannot write the search index to {}", out.display())
                })?;
            }
        }
        Ok(())
    }
}
