//! The site of `blameless serve`: the checked archive, rendered a file at a time as the browser
//! asks for it. Every file comes from [`render::render_to`] with a sink that wants only that
//! file, so the preview shows exactly what a build writes, and a rebuild renders nothing ahead.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Result;

use crate::archive::Archive;
use crate::insights::Analysis;
use crate::render::{self, OutputFile, Renderer, Shared, Sink};
use crate::serve::Pages;

/// A checked archive, ready to render any file of its site.
pub struct Site {
    archive: Archive,
    analysis: Analysis,
    renderer: Renderer,
    shared: Shared,
    /// The archive root, which copied files are relative to.
    root: PathBuf,
    /// Every path a file of the site may have.
    // why: the few a file is only sometimes made at (a post-mortem without an external
    // message has no `external-message.txt`) are found out when asked for.
    files: HashSet<String>,
    /// Every directory of the site, `pm/a` for `pm/a/index.html`.
    dirs: HashSet<String>,
}

impl Site {
    /// The site of `archive`, whose copied files are under `root`.
    pub fn new(archive: Archive, analysis: Analysis, renderer: Renderer, root: PathBuf) -> Site {
        let shared = Shared::new(&archive);
        let listing = Listing::default();
        let mut site = Site {
            archive,
            analysis,
            renderer,
            shared,
            root,
            files: HashSet::new(),
            dirs: HashSet::new(),
        };
        // why: a sink that wants nothing makes nothing; listing the paths costs no rendering,
        // so it cannot fail but by a bug, and then the site is empty rather than wrong.
        let _ = site.render(&listing);
        site.files = listing.0.into_inner().unwrap_or_else(|e| e.into_inner());
        site.dirs = site
            .files
            .iter()
            .flat_map(|path| {
                path.match_indices('/')
                    .map(|(at, _)| path[..at].to_string())
            })
            .collect();
        site
    }

    fn render(&self, sink: &dyn Sink) -> Result<()> {
        render::render_to(
            &self.archive,
            &self.analysis,
            &self.renderer,
            &self.shared,
            sink,
        )
    }
}

impl Pages for Site {
    fn file(&self, path: &str) -> Option<Result<OutputFile>> {
        if !self.files.contains(path) {
            return None;
        }
        let one = One {
            path,
            file: Mutex::default(),
        };
        if let Err(err) = self.render(&one) {
            return Some(Err(err));
        }
        let file = one.file.into_inner().unwrap_or_else(|e| e.into_inner())?;
        Some(Ok(match file {
            OutputFile::Copy { path, from } => OutputFile::Copy {
                path,
                from: self.root.join(from),
            },
            bytes => bytes,
        }))
    }

    fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }
}

/// A sink that wants no file and notes the path of each.
#[derive(Default)]
struct Listing(Mutex<HashSet<String>>);

impl Sink for Listing {
    fn put(&self, _file: OutputFile) -> Result<()> {
        Ok(())
    }

    fn wants(&self, path: &str) -> bool {
        if let Ok(mut paths) = self.0.lock() {
            paths.insert(path.to_string());
        }
        false
    }
}

/// A sink that wants the file at one path.
struct One<'a> {
    path: &'a str,
    file: Mutex<Option<OutputFile>>,
}

impl Sink for One<'_> {
    fn put(&self, file: OutputFile) -> Result<()> {
        *self.file.lock().unwrap_or_else(|e| e.into_inner()) = Some(file);
        Ok(())
    }

    fn wants(&self, path: &str) -> bool {
        path == self.path
    }
}
