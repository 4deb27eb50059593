//! `blameless build`: check the archive, then write the whole site atomically.

use anyhow::{Context as _, Result};

use super::{check_and_build, human, Context};
use crate::cli::{EXIT_CONTENT, EXIT_OK};

/// Builds the site with `jobs` worker threads (0: one per core).
pub fn run(
    mut ctx: Context,
    drafts: bool,
    base_url: Option<String>,
    jobs: usize,
    deny_warnings: bool,
) -> Result<u8> {
    if let Some(url) = base_url {
        ctx.config.base_url = url.trim_end_matches('/').to_string();
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start worker threads")?;
    let (root, out) = (ctx.root.clone(), ctx.out.clone());
    pool.install(|| {
        let built = check_and_build(ctx, drafts, deny_warnings)?;
        eprint!("{}", human(&built.checked));
        let Some(report) = built.report else {
            eprintln!(
                "build stopped: the site in {} was not changed",
                out.display()
            );
            return Ok(EXIT_CONTENT);
        };
        eprintln!(
            "built {} from {} into {} ({} files)",
            crate::diagnostic::plural(report.postmortems, "post-mortem"),
            root.display(),
            out.display(),
            report.files
        );
        Ok(EXIT_OK)
    })
}
