//! `blameless check [FILE...]`: every problem of the archive, or of the files given, in one
//! run, without writing anything.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::{exit_for, Context};
use crate::diagnostic::{self, display_path, Format};
use crate::pipeline;

/// Checks the archive and prints its diagnostics in `format`. With `files`, only the
/// diagnostics of those files are printed and decide the exit code; the checks that look
/// across files (duplicate ids, related, links) still see the whole archive.
pub fn run(
    ctx: Context,
    files: &[PathBuf],
    cwd: &Path,
    format: Format,
    deny_warnings: bool,
) -> Result<u8> {
    let only = files
        .iter()
        .map(|file| archive_path(&ctx.root, cwd, file))
        .collect::<Result<Vec<String>>>()?;
    let mut checked = pipeline::check(&ctx.root, ctx.config, ctx.now)?;
    if !only.is_empty() {
        checked.diagnostics.retain(|d| {
            d.file
                .as_deref()
                .is_some_and(|f| only.contains(&display_path(f)))
        });
    }
    if format == Format::Github {
        // why: annotations land on a pull request's diff only with repository paths; an
        // archive in a sub-folder has archive paths that differ.
        if let Some(prefix) = repository_prefix(&ctx.root) {
            for d in &mut checked.diagnostics {
                d.file = d.file.take().map(|file| prefix.join(file));
            }
        }
    }
    let rendered = diagnostic::render(&checked.diagnostics, format);
    if format == Format::Json {
        print!("{rendered}");
    } else {
        eprint!("{rendered}");
    }
    if format == Format::Human && checked.diagnostics.is_empty() {
        let what = if only.is_empty() {
            diagnostic::plural(checked.archive.postmortems.len(), "post-mortem")
        } else {
            diagnostic::plural(only.len(), "file")
        };
        eprintln!("checked {what}: no problems");
    }
    Ok(exit_for(checked.fails(deny_warnings)))
}

/// Where the archive root is inside the repository: `GITHUB_WORKSPACE` when set, else the
/// nearest directory upward with `.git`; `None` when the root is the repository or none is
/// found.
fn repository_prefix(root: &Path) -> Option<PathBuf> {
    let root = root.canonicalize().ok()?;
    let top = match std::env::var_os("GITHUB_WORKSPACE") {
        Some(dir) => PathBuf::from(dir).canonicalize().ok()?,
        None => root
            .ancestors()
            .find(|dir| dir.join(".git").exists())?
            .to_path_buf(),
    };
    let prefix = root.strip_prefix(&top).ok()?;
    (!prefix.as_os_str().is_empty()).then(|| prefix.to_path_buf())
}

/// A file named on the command line (relative to `cwd`), as the path diagnostics use:
/// relative to the archive root, with forward slashes.
fn archive_path(root: &Path, cwd: &Path, file: &Path) -> Result<String> {
    let absolute = cwd.join(file);
    let Ok(real) = absolute.canonicalize() else {
        bail!(
            "no file {}: name a post-mortem source such as `content/<id>.md`",
            file.display()
        );
    };
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    match real.strip_prefix(&root) {
        Ok(relative) if relative.starts_with(crate::load::CONTENT_DIR) => {
            Ok(display_path(relative))
        }
        _ => bail!(
            "{} is not in the archive's `{}/` ({})",
            file.display(),
            crate::load::CONTENT_DIR,
            root.join(crate::load::CONTENT_DIR).display()
        ),
    }
}
