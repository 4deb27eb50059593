//! A golden test of a small site: every file, byte for byte, and no file more or less.
//!
//! After an intended change, run `BLESS=1 cargo test --test cli golden` and review the diff.

use std::fs;
use std::path::Path;

use crate::harness::{repo, run_in, tree};

#[test]
fn the_small_site_matches_its_golden_files() {
    let source = repo().join("tests/fixtures/small");
    let work = tempfile::tempdir().unwrap();
    copy_dir(&source, work.path());
    let run = run_in(work.path(), &["build", "--now", "2024-06-01T00:00:00Z"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let built = tree(&work.path().join("public"));
    let golden_dir = repo().join("tests/golden/small");
    if std::env::var_os("BLESS").is_some() {
        let _ = fs::remove_dir_all(&golden_dir);
        for (path, bytes) in &built {
            let target = golden_dir.join(path);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::write(target, bytes).unwrap();
        }
        return;
    }
    let golden = tree(&golden_dir);
    let built_names: Vec<&String> = built.keys().collect();
    let golden_names: Vec<&String> = golden.keys().collect();
    assert_eq!(
        built_names, golden_names,
        "the site has extra or missing files"
    );
    for (path, bytes) in &built {
        if bytes != &golden[path] {
            panic!(
                "{path} differs from its golden file; if intended, rerun with BLESS=1\n--- built ---\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for (path, bytes) in tree(from) {
        let target = to.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
}
