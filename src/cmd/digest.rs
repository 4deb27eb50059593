//! `blameless digest`: the internal digest email for a period.

use anyhow::{bail, Result};
use chrono::NaiveDate;

use super::Context;
use crate::artifacts;
use crate::cli::EXIT_OK;
use crate::insights::Analysis;
use crate::pipeline;

/// Prints the digest of `since` to `until` (both included; default: the last 7 days).
pub fn run(ctx: Context, since: Option<NaiveDate>, until: Option<NaiveDate>) -> Result<u8> {
    let checked = pipeline::check(&ctx.root, ctx.config, ctx.now)?;
    let (default_since, default_until) =
        artifacts::digest::default_period(&checked.archive.config, ctx.now);
    let since = since.unwrap_or(default_since);
    // why: `--until` names the last day shown, the digest's bound is the day after.
    let until = until.and_then(|d| d.succ_opt()).unwrap_or(default_until);
    if until <= since {
        bail!("--until must not be before --since");
    }
    print!(
        "{}",
        artifacts::digest::digest_email(
            &checked.archive,
            // why: the digest lists new drafts too; its analysis is of the same archive (a
            // draft neither repeats nor is repeated).
            &Analysis::new(&checked.archive),
            since,
            until,
            ctx.now
        )
    );
    Ok(EXIT_OK)
}
