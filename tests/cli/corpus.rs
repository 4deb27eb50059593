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
    // The insights of real, untidy data: every chart is well-formed SVG with figures in it.
    let page = fs::read_to_string(root.path().join("public/insights/index.html")).unwrap();
    let charts = crate::insights::charts(&page);
    assert!(charts.len() >= 8, "{} charts", charts.len());
    let json: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(root.path().join("public/insights/insights.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["incidents"], 39);
    assert!(json["durations"]["all"][2]["median"].as_f64().unwrap() > 0.0);
    // Without a directory nothing about people changes: no name warnings, no team pages.
    assert!(!run.stderr.contains("unknown-person"), "{}", run.stderr);
    assert!(!root.path().join("public/teams").exists());
    let home = fs::read_to_string(root.path().join("public/index.html")).unwrap();
    assert!(
        !home.contains("teams/"),
        "the navigation links to team pages"
    );
}

/// The README's publish step, run on the sample archive years from now: date-driven reminders
/// must never fail a publish.
#[test]
fn the_readme_publish_step_does_not_fail_as_time_passes() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let publish = readme
        .split("publish:")
        .nth(1)
        .expect("a publish job in the README");
    let command = publish
        .lines()
        .find_map(|line| line.trim().strip_prefix("- run: blameless build"))
        .expect("a build step in the publish job");
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let mut args = vec!["build"];
    args.extend(command.split_whitespace());
    args.extend(["--out", site.to_str().unwrap(), "--now", "2035-01-01"]);
    let run = run_in(&repo(), &args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    assert!(
        run.stderr.contains("warning[meeting-overdue]"),
        "{}",
        run.stderr
    );
}
