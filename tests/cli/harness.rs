//! A small chainable harness: an archive in a temp dir, and the real `blameless` binary.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A post-mortem with every required field, for tests that only care about one thing.
pub fn minimal(extra_front: &str, body: &str) -> String {
    format!(
        "+++\ntitle = \"Disk full on the build cache\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = 2024-03-12T09:41:00Z\n{extra_front}+++\n\n{body}"
    )
}

/// An archive on disk.
pub struct Archive {
    dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Archive {
    /// An empty archive with a `content/` directory and no config.
    pub fn new() -> Archive {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(dir.path().join("content")).expect("content dir");
        Archive { dir }
    }

    /// Writes a file (path relative to the root).
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Archive {
        let full = self.dir.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
        fs::write(full, contents).expect("write");
        self
    }

    /// Writes `content/<id>.md`.
    pub fn pm(self, id: &str, text: &str) -> Archive {
        self.file(&format!("content/{id}.md"), text)
    }

    /// The archive root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `blameless` with `args` in the root, with a fixed "now".
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.root(), args)
    }

    /// Every file under `dir` (relative to the root) with its bytes.
    pub fn tree(&self, dir: &str) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root().join(dir))
    }
}

/// Runs the binary in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_blameless"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1731600000")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run blameless");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every file under `dir`, by path relative to it with forward slashes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// The repository root (where `content/` holds the sample archive).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
