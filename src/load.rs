//! The only stage that reads the archive: finds the root, reads `blameless.toml` and the
//! post-mortem sources under `content/`, as bytes. Everything after this is pure.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::{self, Config};
use crate::diagnostic::{Code, Diagnostic};
use crate::directory::{self, Directory};
use crate::safe_fs;

/// The directory under the root that holds the sources.
pub const CONTENT_DIR: &str = "content";

/// The directory under the root that holds the archive's themes.
pub const THEMES_DIR: &str = "themes";

/// One post-mortem source file, unread beyond its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// The id: the file stem, or the bundle directory's name.
    pub id: String,
    /// The file, relative to the archive root.
    pub path: PathBuf,
    /// For a bundle, its directory relative to the root.
    pub bundle: Option<PathBuf>,
    /// The files of a bundle besides `index.md`, relative to the bundle directory.
    pub assets: Vec<PathBuf>,
    /// The raw contents; empty for a source the caller said it knows (see
    /// [`load_sources_except`]).
    pub bytes: Vec<u8>,
    /// The file's stamp when it was listed or read, when the stamp tells this version from
    /// any other (see [`Stamp::of`]).
    pub stamp: Option<Stamp>,
}

impl Source {
    /// Whether this is the version of the file that `was` is, with the same bundle files:
    /// told by the stamps when `was` has one, else by the bytes.
    pub fn is_same(&self, was: &Source) -> bool {
        self.id == was.id
            && self.path == was.path
            && self.bundle == was.bundle
            && self.assets == was.assets
            && match was.stamp {
                Some(stamp) => self.stamp == Some(stamp),
                None => self.bytes == was.bytes,
            }
    }
}

/// What tells one version of a file from another without reading it: its length, its times
/// of modification and (on Unix) of change, and its device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: SystemTime,
    changed: (i64, i64),
    file: (u64, u64),
}

/// How long before it is seen a file must have last changed for its stamp to be trusted.
// why: file times come from a coarse clock (a few milliseconds on Linux, two seconds on FAT),
// so a version written within the same tick as the one seen can carry the same times.
pub(crate) const SETTLED: Duration = Duration::from_secs(2);

impl Stamp {
    /// The stamp of a file whose metadata, taken at `seen`, is `meta`; `None` when it changed
    /// less than [`SETTLED`] before (or the system does not give its times).
    pub fn of(meta: &fs::Metadata, seen: SystemTime) -> Option<Stamp> {
        let modified = meta.modified().ok()?;
        #[cfg(unix)]
        let (changed, file) = {
            use std::os::unix::fs::MetadataExt;
            ((meta.ctime(), meta.ctime_nsec()), (meta.dev(), meta.ino()))
        };
        #[cfg(not(unix))]
        let (changed, file) = ((0, 0), (0, 0));
        #[cfg(unix)]
        let last = UNIX_EPOCH
            + Duration::new(
                changed.0.max(0) as u64,
                changed.1.clamp(0, 999_999_999) as u32,
            );
        #[cfg(not(unix))]
        let last = modified;
        let settled = seen
            .duration_since(last.max(modified))
            .is_ok_and(|d| d >= SETTLED);
        settled.then_some(Stamp {
            len: meta.len(),
            modified,
            changed,
            file,
        })
    }
}

/// The archive root: the nearest directory from `start` upward that holds `blameless.toml` or
/// `content/`, else `start` itself. The nearest wins, so an archive without a configuration is
/// never mistaken for an unrelated one that has one farther up.
pub fn find_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join(config::FILE_NAME).is_file() || dir.join(CONTENT_DIR).is_dir())
        .unwrap_or(start)
        .to_path_buf()
}

/// Why the configuration could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Io(anyhow::Error),
    /// The file has problems, reported like content problems.
    Invalid(Vec<Diagnostic>),
}

/// Reads `blameless.toml` at `root` (or the defaults when there is none) and the
/// `directory.toml` beside it, if any. The problems of both are reported together.
pub fn load_config(root: &Path) -> Result<Config, ConfigError> {
    let config = read_optional(root, config::FILE_NAME)?
        .map(|text| Config::parse(&text, Path::new(config::FILE_NAME)))
        .unwrap_or_else(|| Ok(Config::default()));
    let directory = read_optional(root, directory::FILE_NAME)?
        .map(|text| Directory::parse(&text, Path::new(directory::FILE_NAME)))
        .transpose();
    match (config, directory) {
        (Ok(mut config), Ok(directory)) => {
            config.directory = directory.map(Arc::new);
            Ok(config)
        }
        (Err(mut a), Err(b)) => {
            a.extend(b);
            Err(ConfigError::Invalid(a))
        }
        (Err(problems), _) | (_, Err(problems)) => Err(ConfigError::Invalid(problems)),
    }
}

/// The text of the file `name` at `root`, or `None` when there is none.
fn read_optional(root: &Path, name: &str) -> Result<Option<String>, ConfigError> {
    let path = root.join(name);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(ConfigError::Io(
            anyhow::Error::new(err).context(format!("cannot read {}", path.display())),
        )),
    }
}

/// Every source under `root/content`, sorted by path, and the problems met while listing them.
pub struct Loaded {
    /// The sources, read.
    pub sources: Vec<Source>,
    /// One `symbolic-link` diagnostic for each link that was not followed.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads every source under `root/content`, sorted by path.
///
/// Symbolic links are never followed, at listing or at reading, so nothing outside the archive
/// is read or published; each one is reported, without its target or contents.
pub fn load_sources(root: &Path) -> Result<Loaded> {
    load_sources_except(root, &|_| false)
}

/// [`load_sources`], but the sources for which `known` holds, asked with a source as listed
/// (its stamp, no bytes), are not read: the caller has their bytes from an earlier read.
pub fn load_sources_except(
    root: &Path,
    known: &(dyn Fn(&Source) -> bool + Sync),
) -> Result<Loaded> {
    // why: before the listing, so that a file changed while it runs is never taken as settled.
    let seen = SystemTime::now();
    let content = root.join(CONTENT_DIR);
    if !fs::symlink_metadata(&content).is_ok_and(|m| m.is_dir()) {
        anyhow::bail!(
            "no `{CONTENT_DIR}/` directory in {}: post-mortems live in `{CONTENT_DIR}/<id>.md`",
            root.display()
        );
    }
    let mut loaded = Loaded {
        sources: Vec::new(),
        diagnostics: Vec::new(),
    };
    let mut walker = walk(&content);
    while let Some(entry) = walker.next() {
        let entry = entry.with_context(|| format!("cannot list {}", content.display()))?;
        let path = entry.path();
        if entry.file_type().is_symlink() {
            loaded.diagnostics.push(symlink(root, path));
        } else if entry.file_type().is_dir() && entry.depth() > 0 && is_bundle(path) {
            walker.skip_current_dir();
            let source = read_bundle(root, path, seen, &mut loaded.diagnostics)?;
            loaded.sources.push(source);
        } else if entry.file_type().is_file() && path.extension().is_some_and(|e| e == "md") {
            let id = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            loaded.sources.push(Source {
                id,
                path: relative(root, path),
                stamp: entry.metadata().ok().and_then(|m| Stamp::of(&m, seen)),
                ..Source::default()
            });
        }
    }
    // why: the walk is cheap; reading thousands of files is not, and goes faster in parallel.
    loaded.sources.par_iter_mut().try_for_each(|source| {
        if known(source) {
            return Ok(());
        }
        let path = root.join(&source.path);
        let seen = SystemTime::now();
        (source.bytes, source.stamp) =
            read(&path, seen).with_context(|| format!("cannot read {}", path.display()))?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(loaded)
}

/// The bytes of the file at `path` and the stamp of the version read.
fn read(path: &Path, seen: SystemTime) -> std::io::Result<(Vec<u8>, Option<Stamp>)> {
    let mut file = safe_fs::open(path)?;
    let stamp = Stamp::of(&file.metadata()?, seen);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok((bytes, stamp))
}

/// A directory is a bundle when its `index.md` is a regular file (a link to one is reported
/// when the walk reaches it).
fn is_bundle(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join("index.md")).is_ok_and(|m| m.is_file())
}

fn walk(dir: &Path) -> walkdir::FilterEntry<walkdir::IntoIter, fn(&walkdir::DirEntry) -> bool> {
    WalkDir::new(dir)
        .sort_by_file_name()
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()))
}

/// The diagnostic for a link that was not followed: its path only, never what it points to.
fn symlink(root: &Path, path: &Path) -> Diagnostic {
    Diagnostic::new(
        Code::SymbolicLink,
        format!(
            "`{}` is a symbolic link, which blameless does not follow",
            relative(root, path).display()
        ),
    )
    .in_file(&relative(root, path))
    .help("put the file itself in the archive instead of a link to it")
}

fn read_bundle(
    root: &Path,
    dir: &Path,
    seen: SystemTime,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Source> {
    let index = dir.join("index.md");
    let mut assets = Vec::new();
    for entry in walk(dir) {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if entry.file_type().is_symlink() {
            diagnostics.push(symlink(root, entry.path()));
        } else if entry.file_type().is_file() && entry.path() != index {
            assets.push(
                entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap_or(entry.path())
                    .to_path_buf(),
            );
        }
    }
    Ok(Source {
        id: dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: relative(root, &index),
        bundle: Some(relative(root, dir)),
        assets,
        bytes: Vec::new(),
        stamp: fs::symlink_metadata(&index)
            .ok()
            .and_then(|m| Stamp::of(&m, seen)),
    })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with(['.', '_'])
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_files_and_bundles_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        fs::create_dir_all(content.join("2024/b-bundle/img")).unwrap();
        fs::write(content.join("a.md"), "x").unwrap();
        fs::write(content.join("2024/b-bundle/index.md"), "y").unwrap();
        fs::write(content.join("2024/b-bundle/img/graph.png"), "png").unwrap();
        fs::write(content.join("2024/b-bundle/notes.md"), "not a post-mortem").unwrap();
        fs::write(content.join(".hidden.md"), "z").unwrap();
        fs::write(content.join("readme.txt"), "z").unwrap();
        let sources = load_sources(dir.path()).unwrap().sources;
        let ids: Vec<_> = sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["b-bundle", "a"]);
        assert_eq!(sources[0].path, Path::new("content/2024/b-bundle/index.md"));
        assert_eq!(
            sources[0].assets,
            [PathBuf::from("img/graph.png"), PathBuf::from("notes.md")]
        );
    }

    #[cfg(unix)]
    #[test]
    fn does_not_follow_symlinks_out_of_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.md"), "secret").unwrap();
        let bundle = dir.path().join("content/b");
        fs::create_dir_all(&bundle).unwrap();
        fs::write(bundle.join("index.md"), "y").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.md"), bundle.join("s.md")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("content/linked")).unwrap();
        let loaded = load_sources(dir.path()).unwrap();
        assert_eq!(loaded.sources.len(), 1);
        assert!(loaded.sources[0].assets.is_empty());
        let found: Vec<_> = loaded.diagnostics.iter().map(|d| &d.message).collect();
        assert_eq!(
            found,
            [
                "`content/b/s.md` is a symbolic link, which blameless does not follow",
                "`content/linked` is a symbolic link, which blameless does not follow"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_bundle_index_that_is_a_link_is_reported_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("content/x");
        fs::create_dir_all(&bundle).unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", bundle.join("index.md")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("content/y.md")).unwrap();
        let loaded = load_sources(dir.path()).unwrap();
        assert!(loaded.sources.is_empty());
        let codes: Vec<_> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::SymbolicLink, Code::SymbolicLink]);
        assert!(loaded.diagnostics.iter().all(|d| d.location.is_none()));
    }

    #[test]
    fn the_nearest_archive_wins_over_a_configured_one_farther_up() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("blameless.toml"), "").unwrap();
        let inner = dir.path().join("projects/archive");
        fs::create_dir_all(inner.join("content/2024")).unwrap();
        assert_eq!(find_root(&inner), inner);
        assert_eq!(find_root(&inner.join("content/2024")), inner);
    }

    #[test]
    fn root_is_found_upward_from_a_subdirectory() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("blameless.toml"), "").unwrap();
        fs::create_dir_all(dir.path().join("content/deep")).unwrap();
        assert_eq!(find_root(&dir.path().join("content/deep")), dir.path());
    }
}
