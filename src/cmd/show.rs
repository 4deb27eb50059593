//! `blameless message ID` and `blameless email ID`: one post-mortem's artifact, printed; and
//! `blameless export`: the complete catalog of the archive.

use anyhow::{bail, Result};

use super::Context;
use crate::archive::Archive;
use crate::artifacts;
use crate::cli::{EXIT_CONTENT, EXIT_OK};
use crate::diagnostic::{self, Format};
use crate::pipeline;
use crate::postmortem::PostMortem;

/// Prints the external status-page message of `id`, as plain text.
pub fn message(ctx: Context, id: &str) -> Result<u8> {
    with_postmortem(
        ctx,
        id,
        |pm, _| match artifacts::message::external_message(pm) {
            Some(message) => Ok(crate::terminal::printable(&message).into_owned()),
            None => bail!(
                "`{}` has no `## External message` section: add one to {}",
                pm.id,
                pm.path.display()
            ),
        },
    )
}

/// Prints the internal email of `id`, as an RFC 5322 message.
pub fn email(ctx: Context, id: &str) -> Result<u8> {
    let now = ctx.now;
    with_postmortem(ctx, id, |pm, archive| {
        Ok(artifacts::email::internal_email(pm, &archive.config, now))
    })
}

/// Prints the complete catalog (bodies included) of the published archive, or of every
/// post-mortem with `drafts`. Fails, printing nothing, when the archive has errors.
pub fn export(ctx: Context, drafts: bool) -> Result<u8> {
    let checked = pipeline::check(&ctx.root, ctx.config, ctx.now)?;
    if checked.fails(false) {
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.level == diagnostic::Level::Error)
            .cloned()
            .collect();
        eprint!("{}", diagnostic::render(&errors, Format::Human));
        return Ok(EXIT_CONTENT);
    }
    let archive = if drafts {
        &checked.archive
    } else {
        &checked.published
    };
    print!(
        "{}",
        artifacts::catalog::json(archive, artifacts::catalog::Contents::Complete)
    );
    Ok(EXIT_OK)
}

/// Runs `print` on one post-mortem of the checked archive (drafts included) and prints the
/// result; its own errors are shown when it could not be read.
fn with_postmortem(
    ctx: Context,
    id: &str,
    print: impl FnOnce(&PostMortem, &Archive) -> Result<String>,
) -> Result<u8> {
    let checked = pipeline::check(&ctx.root, ctx.config, ctx.now)?;
    let by_prefix: Vec<&PostMortem> = checked
        .archive
        .postmortems
        .iter()
        .filter(|pm| pm.id.starts_with(id))
        .map(|pm| &**pm)
        .collect();
    // why: ids are long (`2024-03-12-checkout-errors-after-a-failover`); a unique start is
    // enough to name one.
    let found = match (checked.archive.get(id), by_prefix.as_slice()) {
        (Some(pm), _) => Some(pm),
        (None, [pm]) if !id.is_empty() => Some(*pm),
        (None, [_, _, ..]) if !id.is_empty() => {
            let names: Vec<String> = by_prefix
                .iter()
                .take(5)
                .map(|pm| format!("`{}`", pm.id))
                .collect();
            bail!(
                "`{id}` starts {} ids: {}{}; give more of the one you mean",
                by_prefix.len(),
                names.join(", "),
                if by_prefix.len() > 5 { ", …" } else { "" }
            );
        }
        _ => None,
    };
    let Some(pm) = found else {
        let own: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| {
                d.level == diagnostic::Level::Error
                    && d.file.as_deref().is_some_and(|f| {
                        f.file_stem().is_some_and(|s| s == id)
                            || (f.file_stem().is_some_and(|s| s == "index")
                                && f.parent()
                                    .and_then(|p| p.file_name())
                                    .is_some_and(|p| p == id))
                    })
            })
            .cloned()
            .collect();
        if !own.is_empty() {
            eprint!("{}", diagnostic::render(&own, Format::Human));
            return Ok(EXIT_CONTENT);
        }
        let ids = checked.archive.postmortems.iter().map(|pm| pm.id.as_str());
        match diagnostic::did_you_mean(id, ids) {
            Some(similar) => bail!("no post-mortem `{id}`: did you mean `{similar}`?"),
            None => bail!("no post-mortem `{id}`: the id is the file name without `.md`"),
        }
    };
    let text = print(pm, &checked.archive)?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(EXIT_OK)
}
