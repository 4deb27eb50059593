//! Real archives build without errors: the sample content and the real public corpus.

use std::fs;

use crate::harness::{repo, run_in, tree};

#[test]
fn the_sample_archive_builds_without_errors() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("site");
    let run = run_in(&repo(), &["build", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("error["), "{}", run.stderr);
    let files = tree(&out_dir);
    assert!(files.contains_key("pm/2024-12-19-checkout-psp-timeouts/error-rate.svg"));
    assert!(
        files
            .keys()
            .filter(|k| k.starts_with("pm/") && k.ends_with("index.html"))
            .count()
            >= 15
    );
}

#[test]
fn the_real_corpus_builds_without_errors() {
    let corpus = repo().join("tests/fixtures/dfds");
    assert!(
        corpus.is_dir(),
        "the corpus is expected at {}",
        corpus.display()
    );
    let root = tempfile::tempdir().unwrap();
    let content = root.path().join("content");
    fs::create_dir_all(&content).unwrap();
    for entry in fs::read_dir(&corpus).unwrap() {
        let entry = entry.unwrap();
        // The licence travels with the copy.
        fs::copy(entry.path(), content.join(entry.file_name())).unwrap();
    }
    let run = run_in(root.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("error["), "{}", run.stderr);
    assert!(
        run.stderr.contains("built 39 post-mortems"),
        "{}",
        run.stderr
    );
}
