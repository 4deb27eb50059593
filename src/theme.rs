//! The theme: templates and static files embedded in the binary, overridden file by file by the
//! archive's own `themes/<name>/` directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

use crate::safe_fs;

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!("../themes/default/", $path)) as &[u8]),)*]
    };
}

/// The default theme's files, by path relative to the theme directory.
pub const EMBEDDED: &[(&str, &[u8])] = embed![
    "templates/base.html",
    "templates/macros.html",
    "templates/card.html",
    "templates/index.html",
    "templates/postmortem.html",
    "templates/facet.html",
    "templates/facet_index.html",
    "templates/404.html",
    "templates/actions.html",
    "templates/digest_index.html",
    "templates/digest.html",
    "templates/search.html",
    "templates/insights.html",
    "templates/teams.html",
    "templates/team.html",
    "static/style.css",
    "static/favicon.svg",
    "static/site.js",
    "static/search.js",
    "static/search-worker.js",
];

/// The browser search engine, built from `search-wasm/` by `scripts/build-wasm.sh`.
pub const SEARCH_WASM: &[u8] = include_bytes!("../search-wasm/dist/blameless_search.wasm");

/// A theme: every file by its path relative to the theme directory (`templates/…`, `static/…`).
#[derive(Clone, Debug, Default)]
pub struct Theme {
    /// The files' contents.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Theme {
    /// The embedded default theme.
    pub fn embedded() -> Theme {
        let mut files: BTreeMap<String, Vec<u8>> = EMBEDDED
            .iter()
            .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
            .collect();
        files.insert("static/blameless_search.wasm".into(), SEARCH_WASM.to_vec());
        Theme { files }
    }

    /// The embedded theme with the files of `dir` (if it exists) laid over it. A symbolic link
    /// anywhere in the theme is an error: it could publish any file of the machine.
    pub fn load(dir: &Path) -> Result<Theme> {
        let mut theme = Theme::embedded();
        for link in [dir.parent(), Some(dir)].into_iter().flatten() {
            if safe_fs::is_link(link).unwrap_or(false) {
                bail!(
                    "the theme directory {} is a symbolic link, which blameless does not follow",
                    link.display()
                );
            }
        }
        if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Ok(theme);
        }
        for entry in WalkDir::new(dir).sort_by_file_name().follow_links(false) {
            let entry = entry.with_context(|| format!("cannot list theme {}", dir.display()))?;
            if entry.file_type().is_symlink() {
                bail!(
                    "the theme file {} is a symbolic link, which blameless does not follow: put the file itself there",
                    entry.path().display()
                );
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = safe_fs::read(entry.path())
                .with_context(|| format!("cannot read theme file {}", entry.path().display()))?;
            theme.files.insert(relative, bytes);
        }
        Ok(theme)
    }

    /// The templates, as (name, text) pairs, name relative to `templates/`.
    pub fn templates(&self) -> Result<Vec<(String, String)>> {
        self.files
            .iter()
            .filter_map(|(path, bytes)| {
                let name = path.strip_prefix("templates/")?;
                Some(
                    String::from_utf8(bytes.clone())
                        .map(|text| (name.to_string(), text))
                        .with_context(|| format!("theme template {path} is not UTF-8")),
                )
            })
            .collect()
    }

    /// The static files, path relative to `static/`.
    pub fn statics(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .filter_map(|(path, bytes)| Some((path.strip_prefix("static/")?, bytes.as_slice())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_the_archive_theme_overrides_the_embedded_one() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("static")).unwrap();
        fs::write(dir.path().join("static/style.css"), "body{}").unwrap();
        fs::write(dir.path().join("static/extra.css"), "p{}").unwrap();
        let theme = Theme::load(dir.path()).unwrap();
        assert_eq!(theme.files["static/style.css"], b"body{}");
        assert_eq!(theme.files["static/extra.css"], b"p{}");
        assert_eq!(
            theme.files["templates/base.html"],
            Theme::embedded().files["templates/base.html"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_theme_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("static")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("static/passwd.txt")).unwrap();
        let err = Theme::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        let linked = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(dir.path(), linked.path().join("mine")).unwrap();
        let err = Theme::load(&linked.path().join("mine"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
    }

    #[test]
    fn a_missing_theme_directory_gives_the_embedded_theme() {
        let theme = Theme::load(Path::new("/nonexistent/theme")).unwrap();
        assert_eq!(theme.files.len(), EMBEDDED.len() + 1);
    }
}
