//! Output: writes the rendered site atomically. The files go to a fresh directory beside the
//! target, which is swapped in only when every file is written; a build that fails for any
//! reason leaves the previous site byte-for-byte intact.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use crate::render::OutputFile;

/// Writes `files` as the new contents of `out`. `root` is the archive root that `Copy` sources
/// are relative to.
pub fn publish(files: &[OutputFile], root: &Path, out: &Path) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create the output's parent {}", parent.display()))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a staging directory in {}", parent.display()))?;
    let mut dirs = BTreeSet::new();
    for file in files {
        if let Some(dir) = safe_relative(file.path())?.parent() {
            dirs.insert(staging.path().join(dir));
        }
    }
    for dir in &dirs {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // why: creating thousands of files is bound by the file system, which takes them in parallel.
    files.par_iter().try_for_each(|file| {
        let target = staging.path().join(file.path());
        match file {
            OutputFile::Bytes { contents, .. } => fs::write(&target, contents),
            OutputFile::Copy { from, .. } => fs::copy(root.join(from), &target).map(drop),
        }
        .with_context(|| format!("cannot write {}", target.display()))
    })?;
    swap_in(staging.keep(), out)
}

/// Refuses paths that could leave the output directory.
fn safe_relative(path: &str) -> Result<&Path> {
    let p = Path::new(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("refusing to write `{path}`: output paths must stay inside the site");
    }
    Ok(p)
}

fn swap_in(staging: PathBuf, out: &Path) -> Result<()> {
    if !out.exists() {
        return fs::rename(&staging, out)
            .with_context(|| format!("cannot move the new site to {}", out.display()));
    }
    let old = staging.with_file_name(format!(
        "{}.old",
        staging.file_name().unwrap_or_default().to_string_lossy()
    ));
    fs::rename(out, &old)
        .with_context(|| format!("cannot move the old site {} aside", out.display()))?;
    if let Err(err) = fs::rename(&staging, out) {
        // why: put the old site back so that a failure never leaves no site at all.
        let _ = fs::rename(&old, out);
        return Err(err).with_context(|| format!("cannot move the new site to {}", out.display()));
    }
    fs::remove_dir_all(&old)
        .with_context(|| format!("cannot remove the old site {}", old.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(path: &str, contents: &str) -> OutputFile {
        OutputFile::Bytes {
            path: path.into(),
            contents: contents.as_bytes().to_vec(),
        }
    }

    #[test]
    fn replaces_the_site_and_leaves_no_staging_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(
            &[bytes("a/index.html", "one"), bytes("old.html", "x")],
            dir.path(),
            &out,
        )
        .unwrap();
        publish(&[bytes("a/index.html", "two")], dir.path(), &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/index.html")).unwrap(), "two");
        assert!(!out.join("old.html").exists());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["public"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[bytes("index.html", "old")], dir.path(), &out).unwrap();
        let missing = OutputFile::Copy {
            path: "pm/x/img.png".into(),
            from: "content/x/missing.png".into(),
        };
        assert!(publish(&[bytes("index.html", "new"), missing], dir.path(), &out).is_err());
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_paths_that_climb_out() {
        let dir = tempfile::tempdir().unwrap();
        let err = publish(
            &[bytes("../evil.html", "x")],
            dir.path(),
            &dir.path().join("public"),
        );
        assert!(err.unwrap_err().to_string().contains("must stay inside"));
        assert!(!dir.path().join("evil.html").exists());
    }
}
