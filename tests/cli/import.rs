//! `blameless import`: real and made-up reports in other shapes become sources that `check` and
//! `build` accept, never overwriting, with a report of what was guessed.

use std::fs;
use std::path::Path;

use crate::harness::{repo, Archive};

fn fixtures(dir: &str) -> String {
    repo()
        .join("tests/fixtures/import")
        .join(dir)
        .to_string_lossy()
        .into_owned()
}

fn built_without_errors(archive: &Archive) {
    let check = archive.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(!check.stderr.contains("error["), "{}", check.stderr);
    let build = archive.run(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(!build.stderr.contains("error["), "{}", build.stderr);
}

#[test]
fn every_dfds_report_imports_into_an_archive_that_builds() {
    let archive = Archive::new();
    let run = archive.run(&["import", &fixtures("dfds")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(written.len(), 7, "{}", run.stdout);
    assert!(written.contains(&"content/pm2020-002-kiam-service-disruption-on-hellman.md"));
    assert!(
        run.stderr.contains("skipped: a template"),
        "the template is not a report: {}",
        run.stderr
    );
    let kiam = fs::read_to_string(
        archive
            .root()
            .join("content/pm2020-002-kiam-service-disruption-on-hellman.md"),
    )
    .unwrap();
    assert!(kiam.contains("title = \"KIAM Service disruption\"\n"));
    assert!(kiam.contains("started = 2020-01-21T15:36:00+01:00\n"));
    assert!(kiam.contains("tags = [\"severity-not-stated\"]"));
    assert!(kiam.contains("[[actions]]\ntitle = \"Document the process of creating/updating KIAM certificates\"\nstatus = \"open\"\n"));
    built_without_errors(&archive);
}

#[test]
fn reports_in_other_shapes_import_with_their_images_in_a_bundle() {
    let archive = Archive::new();
    let report = archive.root().join("report.json");
    let run = archive.run(&[
        "import",
        &fixtures("other"),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = archive.tree("content");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "2021-05-26-dns.md",
            "2021-06-03-cache-stampede.md",
            "2022-03-03-wiki-queue-backlog.md",
            "2022-11-08-yaml-front-matter/architecture.png",
            "2022-11-08-yaml-front-matter/images/lag.png",
            "2022-11-08-yaml-front-matter/index.md",
            "2023-10-04-checkout-errors-google-docs-export.md",
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    let files_json = json["files"].as_array().unwrap();
    assert_eq!(files_json.len(), 5);
    let dns = files_json
        .iter()
        .find(|f| f["id"] == "2021-05-26-dns")
        .unwrap();
    let fields: Vec<&str> = dns["guesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "severity", "status", "started"]);
    built_without_errors(&archive);
}

#[test]
fn a_google_docs_export_keeps_its_sections_timeline_and_actions() {
    let archive = Archive::new();
    let file = format!(
        "{}/Checkout errors - Google Docs export.md",
        fixtures("other")
    );
    let run = archive.run(&["import", &file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = fs::read_to_string(
        archive
            .root()
            .join("content/2023-10-04-checkout-errors-google-docs-export.md"),
    )
    .unwrap();
    let front = text.split("+++").nth(1).unwrap();
    insta::assert_snapshot!(front.replace(&fixtures("other"), "FIXTURES"), @r#"

    title = "Checkout errors after a payment provider timeout"
    severity = "SEV-2"   # guessed: from the line `**Severity:** SEV-2`
    status = "Closed"   # guessed: from nothing: an imported report is taken as reviewed and closed
    started = 2023-10-04T12:45:00+00:00
    detected = 2023-10-04T12:51:00+00:00   # guessed: from the timeline row `On-call engineer paged by the error-rate alert`
    resolved = 2023-10-04T14:10:00+00:00   # guessed: from the timeline row `Error rate back to normal, incident resolved`
    timezone = "UTC"
    owner = "Dee Park"   # guessed: from the line `**Authors:** Dee Park, Eli Moss`

    [links]
    source = "FIXTURES/Checkout errors - Google Docs export.md"   # the file this was imported from

    [[actions]]
    title = "Set a checkout timeout on the HTTP pool (PAY-311)"
    status = "done"
    ticket = "PAY-311"

    [[actions]]
    title = "Alert on pool saturation, see https://tracker.example.com/browse/PAY-312"
    status = "open"
    ticket = "PAY-312"

    [[actions]]
    title = "Load test against a slow provider"
    status = "open"

    [[actions]]
    title = "Replace the HTTP client"
    status = "wontfix"
    "#);
    assert!(text.contains("\n## Issue Summary\n"));
    assert!(text.contains("\n## Root Cause(s)\n"));
    assert!(text.contains("\n## What went well\n"));
    assert!(text.contains("- 12:51 UTC - On-call engineer paged"));
    let check = archive.run(&["check"]);
    assert!(
        !check.stderr.contains("timeline-unparsed"),
        "{}",
        check.stderr
    );
}

#[test]
fn import_never_overwrites_and_names_the_second_copy_apart() {
    let archive = Archive::new();
    let file = format!("{}/wiki-queue-backlog.md", fixtures("other"));
    let first = archive.run(&["import", &file]);
    let second = archive.run(&["import", &file]);
    assert_eq!(first.stdout, "content/2022-03-03-wiki-queue-backlog.md\n");
    assert_eq!(
        second.stdout,
        "content/2022-03-03-wiki-queue-backlog-2.md\n"
    );
    let files = archive.tree("content");
    assert_eq!(files.len(), 2);
    assert_eq!(
        files["2022-03-03-wiki-queue-backlog.md"],
        files["2022-03-03-wiki-queue-backlog-2.md"]
    );
}

#[test]
fn an_id_taken_elsewhere_in_the_archive_is_not_reused() {
    let archive = Archive::new().pm(
        "2022-03-03-wiki-queue-backlog",
        &crate::harness::minimal("", ""),
    );
    let file = format!("{}/wiki-queue-backlog.md", fixtures("other"));
    let run = archive.run(&["import", &file, "--into", "content/imported"]);
    assert_eq!(
        run.stdout,
        "content/imported/2022-03-03-wiki-queue-backlog-2.md\n"
    );
    let check = archive.run(&["check"]);
    assert!(!check.stderr.contains("duplicate-id"), "{}", check.stderr);
}

#[test]
fn import_into_another_directory_and_with_a_default_severity() {
    let archive = Archive::new();
    let file = format!("{}/5-26-21 dns.md", fixtures("other"));
    let run = archive.run(&[
        "import",
        &file,
        "--into",
        "content/old",
        "--default-severity",
        "SEV-4",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "content/old/2021-05-26-dns.md\n");
    let text = fs::read_to_string(archive.root().join("content/old/2021-05-26-dns.md")).unwrap();
    assert!(text.contains("severity = \"SEV-4\"   # guessed"), "{text}");
    let bad = archive.run(&["import", &file, "--default-severity", "SEV-9"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("invalid --default-severity"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr
            .contains("unknown severity `SEV-9`: use one of `SEV-1`"),
        "{}",
        bad.stderr
    );
}

#[cfg(unix)]
#[test]
fn import_does_not_follow_links_in_a_directory_of_reports() {
    let archive = Archive::new();
    let reports = archive.root().join("old");
    fs::create_dir_all(&reports).unwrap();
    fs::write(reports.join("2020-01-01-real.md"), "# Real\n").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", reports.join("2020-01-02-link.md")).unwrap();
    std::os::unix::fs::symlink(Path::new("/etc"), reports.join("etc")).unwrap();
    fs::write(reports.join("2020-01-03-latin1.md"), b"# Caf\xe9 down\n").unwrap();
    let run = archive.run(&["import", "old"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "content/2020-01-01-real.md\n");
    assert!(
        run.stderr
            .contains("2020-01-03-latin1.md\n  note: skipped: not UTF-8 text"),
        "{}",
        run.stderr
    );
    let linked = archive.run(&["import", "old/2020-01-02-link.md"]);
    assert_eq!(linked.code, 2);
    assert!(linked.stderr.contains("symbolic link"), "{}", linked.stderr);
}
