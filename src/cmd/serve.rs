//! `blameless serve`: build, serve on 127.0.0.1, rebuild and reload on every change.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{check_and_build, human, Context};
use crate::cli::{resolve_now, EXIT_OK};
use crate::diagnostic::{self, Format};
use crate::load::{self, ConfigError};

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
    let (root, out) = (ctx.root, ctx.out);
    let site = out.clone();
    crate::serve::serve(&site, port, &watch, move || {
        rebuild(&root, &out, port, drafts, now.as_deref())
    })?;
    Ok(EXIT_OK)
}

/// One build for `serve`: `None` when it succeeded, else the problems to show.
fn rebuild(root: &Path, out: &Path, port: u16, drafts: bool, now: Option<&str>) -> Option<String> {
    let result = (|| -> Result<Option<String>> {
        let mut config = match load::load_config(root) {
            Ok(config) => config,
            Err(ConfigError::Io(err)) => return Err(err),
            Err(ConfigError::Invalid(d)) => return Ok(Some(diagnostic::render(&d, Format::Human))),
        };
        // why: a preview's links point at the preview.
        config.base_url = format!("http://localhost:{port}");
        let ctx = Context {
            root: root.to_path_buf(),
            out: PathBuf::from(out),
            now: resolve_now(now)?,
            config,
        };
        let built = check_and_build(ctx, drafts, false)?;
        let report = human(&built.checked);
        eprint!("{report}");
        match built.report {
            Some(built) => {
                eprintln!(
                    "built {}",
                    diagnostic::plural(built.postmortems, "post-mortem")
                );
                Ok(None)
            }
            None => Ok(Some(report)),
        }
    })();
    match result {
        Ok(problems) => problems,
        Err(err) => {
            let text = format!("error: {err:#}\n");
            eprint!("{text}");
            Some(text)
        }
    }
}
