//! Output: writes the rendered site atomically and never touches what it did not write.
//!
//! A build first checks that `out` may be replaced ([`check_out`]), takes a lock beside it, and
//! clears what an earlier killed build left there. The files then go to a fresh staging
//! directory beside the target, which carries the [`MARKER`] file from its first moment, and is
//! swapped in only when every file is written. On Linux the swap is one atomic exchange of the
//! two directories, so the site is never missing; elsewhere it is two renames, and a build
//! killed between them has its old site put back by the next build.

use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use crate::render::{OutputFile, Sink};
use crate::safe_fs;

/// The file every site carries, so that a later build knows the directory is its own.
pub const MARKER: &str = ".blameless-site";

const MARKER_TEXT: &str =
    "This directory was written by `blameless build`, which replaces it whole on every build.\n";

/// Refuses an `out` that is not blameless's to replace: a file or a symbolic link, the archive
/// or anything holding it, a directory inside `content/` or `themes/`, or a non-empty directory
/// without the [`MARKER`]. Nothing is written.
pub fn check_out(root: &Path, out: &Path) -> Result<()> {
    let shown = out.display();
    let meta = match fs::symlink_metadata(out) {
        Ok(meta) => Some(meta),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => {
            return Err(err).with_context(|| format!("cannot inspect the output directory {shown}"))
        }
    };
    if let Some(meta) = &meta {
        if meta.file_type().is_symlink() {
            bail!("refusing to write the site to {shown}: it is a symbolic link, and blameless never writes through one; give the real directory with --out");
        }
        if !meta.is_dir() {
            bail!("refusing to write the site to {shown}: it is a file, not a directory; choose another --out");
        }
    }
    let root = resolve(root);
    let resolved = resolve(out);
    for (name, protected) in [
        ("archive root", root.clone()),
        ("sources in `content/`", root.join(crate::load::CONTENT_DIR)),
        ("themes in `themes/`", root.join(crate::load::THEMES_DIR)),
        (
            "configuration `blameless.toml`",
            root.join(crate::config::FILE_NAME),
        ),
    ] {
        if protected.starts_with(&resolved) {
            bail!("refusing to write the site to {shown}: replacing it would delete the {name} ({}); choose an --out outside the archive's sources, such as `public/`", protected.display());
        }
    }
    for inside in [crate::load::CONTENT_DIR, crate::load::THEMES_DIR] {
        if resolved.starts_with(root.join(inside)) {
            bail!("refusing to write the site to {shown}: it is inside `{inside}/`, where it would be read back as sources; choose an --out outside it, such as `public/`");
        }
    }
    if meta.is_some() && !is_site(out) {
        let empty = fs::read_dir(out)
            .with_context(|| format!("cannot list the output directory {shown}"))?
            .next()
            .is_none();
        if !empty {
            bail!("refusing to replace {shown}: it is not empty and was not written by blameless (it has no `{MARKER}` file); remove it yourself, or choose an empty or new --out");
        }
    }
    Ok(())
}

/// Whether `dir` is a site that blameless wrote: a real directory with a real marker file.
fn is_site(dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
        && fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// `path` made absolute with its existing part's links and `..` resolved, so that two spellings
/// of one directory compare equal.
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// A site being written: the staging directory beside `out`, and the lock that keeps other
/// builds of the same `out` away until it is swapped in or dropped.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    /// What `Copy` sources are relative to: the archive root.
    root: PathBuf,
    /// How many files were put, the marker included.
    written: AtomicUsize,
    committed: bool,
    _lock: File,
}

impl Staging {
    /// Checks `out` (see [`check_out`]), waits for any other build of it, clears what killed
    /// builds left, and creates the staging directory with its marker.
    pub fn begin(root: &Path, out: &Path) -> Result<Staging> {
        check_out(root, out)?;
        let (parent, name) = parent_and_name(out);
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create the output's parent {}", parent.display()))?;
        let lock = lock(&parent, &name)?;
        // why: with the lock held no other build is writing, so every leftover is stale.
        recover(&parent, &name, out)?;
        let dir = tempfile::Builder::new()
            .prefix(&staging_prefix(&name))
            .tempdir_in(&parent)
            .with_context(|| format!("cannot create a staging directory in {}", parent.display()))?
            .keep();
        let staging = Staging {
            dir,
            out: out.to_path_buf(),
            root: root.to_path_buf(),
            written: AtomicUsize::new(1),
            committed: false,
            _lock: lock,
        };
        fs::write(staging.dir.join(MARKER), MARKER_TEXT)
            .with_context(|| format!("cannot write {}", staging.dir.join(MARKER).display()))?;
        Ok(staging)
    }

    /// The staging directory, for stages that write their files in place (the search index).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `files` into the staging directory.
    pub fn write(&self, files: &[OutputFile]) -> Result<()> {
        // why: creating thousands of files is bound by the file system, which takes them in
        // parallel.
        files.par_iter().try_for_each(|file| self.write_one(file))
    }

    /// How many files the site has so far, the marker included.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::Relaxed)
    }

    fn write_one(&self, file: &OutputFile) -> Result<()> {
        let relative = safe_relative(file.path())?;
        let target = self.dir.join(relative);
        let write = || match file {
            OutputFile::Bytes { contents, .. } => fs::write(&target, contents),
            OutputFile::Copy { from, .. } => safe_fs::copy(&self.root.join(from), &target),
        };
        // why: the directory is made when the first of its files finds it missing, not asked
        // for before every file: a post-mortem's four files made four `mkdir` and three
        // `stat` calls for one directory, 2 % of a build's profile.
        match write() {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = target.parent() {
                    fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                write()
            }
            written => written,
        }
        .with_context(|| format!("cannot write {}", target.display()))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Swaps the staging directory in as `out`.
    pub fn commit(mut self) -> Result<()> {
        swap_in(&self.dir, &self.out)?;
        self.committed = true;
        Ok(())
    }
}

impl Sink for Staging {
    fn put(&self, file: OutputFile) -> Result<()> {
        self.write_one(&file)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // why: after a swap the staging path holds the old site, which goes; before one, it
        // holds a half-written site, which goes too. Either way it is ours (it has the marker).
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Writes `files` as the new contents of `out`: [`Staging::begin`], `write`, `commit`.
pub fn publish(files: &[OutputFile], root: &Path, out: &Path) -> Result<()> {
    let staging = Staging::begin(root, out)?;
    staging.write(files)?;
    staging.commit()
}

fn parent_and_name(out: &Path) -> (PathBuf, String) {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    (parent, name)
}

fn staging_prefix(name: &str) -> String {
    format!(".{name}.new-")
}

fn old_name(name: &str) -> String {
    format!(".{name}.old")
}

/// Locks the output's `parent` directory against other builds, waiting (and saying so) while
/// another holds it. On Unix the directory itself is locked, so no lock file is left behind;
/// elsewhere a `.NAME.lock` file beside the site is.
fn lock(parent: &Path, name: &str) -> Result<File> {
    let (path, file) = lock_file(parent, name);
    let file = file.with_context(|| format!("cannot open {} to lock it", path.display()))?;
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(fs::TryLockError::WouldBlock) => {
            eprintln!(
                "waiting for another build to finish writing the site in {}",
                parent.display()
            );
        }
        Err(fs::TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

/// What [`lock`] locks: on Unix the output's parent directory itself.
#[cfg(unix)]
fn lock_file(parent: &Path, _name: &str) -> (PathBuf, io::Result<File>) {
    (parent.to_path_buf(), File::open(parent))
}

/// What [`lock`] locks: elsewhere a `.NAME.lock` file beside the site.
#[cfg(not(unix))]
fn lock_file(parent: &Path, name: &str) -> (PathBuf, io::Result<File>) {
    let path = parent.join(format!(".{name}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path);
    (path, file)
}

/// Clears what killed builds left beside `out`: puts an old site back when `out` is missing,
/// and removes staging and old directories that carry the marker (or are still empty).
fn recover(parent: &Path, name: &str, out: &Path) -> Result<()> {
    let old = parent.join(old_name(name));
    if fs::symlink_metadata(out).is_err() && is_site(&old) {
        fs::rename(&old, out)
            .with_context(|| format!("cannot put the previous site {} back", old.display()))?;
    }
    let prefix = staging_prefix(name);
    let entries =
        fs::read_dir(parent).with_context(|| format!("cannot list {}", parent.display()))?;
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !(file_name.starts_with(&prefix) || file_name == old_name(name)) {
            continue;
        }
        let path = entry.path();
        let empty = fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none());
        if is_site(&path) || (empty && entry.file_type().is_ok_and(|t| t.is_dir())) {
            fs::remove_dir_all(&path).with_context(|| {
                format!("cannot remove {}, left by an earlier build", path.display())
            })?;
        }
    }
    Ok(())
}

/// Refuses paths that could leave the output directory.
fn safe_relative(path: &str) -> Result<&Path> {
    let p = Path::new(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("refusing to write `{path}`: output paths must stay inside the site");
    }
    Ok(p)
}

/// Puts `staging` at `out`. Afterwards `staging` holds the old site, if there was one.
fn swap_in(staging: &Path, out: &Path) -> Result<()> {
    if fs::symlink_metadata(out).is_err() {
        return fs::rename(staging, out)
            .with_context(|| format!("cannot move the new site to {}", out.display()));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // why: some file systems cannot exchange; they get the two renames below.
            Err(err) if err == rustix::io::Errno::INVAL || err == rustix::io::Errno::NOSYS => {}
            Err(err) => {
                return Err(io::Error::from(err))
                    .with_context(|| format!("cannot swap the new site into {}", out.display()))
            }
        }
    }
    let (parent, name) = parent_and_name(out);
    let old = parent.join(old_name(&name));
    fs::rename(out, &old)
        .with_context(|| format!("cannot move the old site {} aside", out.display()))?;
    if let Err(err) = fs::rename(staging, out) {
        // why: put the old site back so that a failure never leaves no site at all.
        let _ = fs::rename(&old, out);
        return Err(err).with_context(|| format!("cannot move the new site to {}", out.display()));
    }
    fs::rename(&old, staging)
        .with_context(|| format!("cannot move the old site {} away", old.display()))
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
