//! A golden test of a small site: every file, byte for byte, and no file more or less.
//!
//! After an intended change, run `BLESS=1 cargo test --test cli golden` and review the diff.

use std::collections::BTreeMap;
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
    let mut built: BTreeMap<String, Vec<u8>> = tree(&work.path().join("public"))
        .into_iter()
        .map(|(path, bytes)| {
            let bytes = golden_form(&path, bytes);
            (path, bytes)
        })
        .collect();
    // The theme's static files are copied as they are: compare them with the theme itself,
    // so that a change of style does not need new golden files.
    let statics: BTreeMap<String, Vec<u8>> = built
        .iter()
        .filter(|(path, _)| path.starts_with("static/"))
        .map(|(path, bytes)| (path.clone(), bytes.clone()))
        .collect();
    built.retain(|path, _| !path.starts_with("static/"));
    let mut theme: BTreeMap<String, Vec<u8>> = tree(&repo().join("themes/default/static"))
        .into_iter()
        .map(|(path, bytes)| (format!("static/{path}"), bytes))
        .collect();
    let wasm = fs::read(repo().join("search-wasm/dist/blameless_search.wasm")).unwrap();
    theme.insert(
        "static/blameless_search.wasm".into(),
        golden_form("x.wasm", wasm),
    );
    assert!(
        statics == theme,
        "the site's static files are not the theme's"
    );
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

/// Text files are kept as they are; binary ones (the wasm engine, the search index) as their
/// size and a hash, so the golden tree stays readable and small but still catches a change.
fn golden_form(path: &str, bytes: Vec<u8>) -> Vec<u8> {
    let text = [
        ".html", ".css", ".js", ".json", ".xml", ".csv", ".txt", ".eml", ".ics", ".svg",
    ];
    if text.iter().any(|ext| path.ends_with(ext)) {
        return bytes;
    }
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("binary file: {} bytes, fnv1a-64 {hash:016x}\n", bytes.len()).into_bytes()
}

fn copy_dir(from: &Path, to: &Path) {
    for (path, bytes) in tree(from) {
        let target = to.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
}
