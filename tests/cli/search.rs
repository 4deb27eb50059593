//! `blameless search` and its ranking on the sample archive and on the real corpus.

use std::fs;

use crate::harness::{repo, run_in};

pub(crate) fn hits(root: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["search", "--json", "--out"];
    let out = root.join("public-test");
    let out = out.to_str().unwrap().to_string();
    all.push(&out);
    all.extend_from_slice(args);
    let run = run_in(root, &all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

pub(crate) fn ids(hits: &[serde_json::Value]) -> Vec<&str> {
    hits.iter().map(|h| h["id"].as_str().unwrap()).collect()
}

pub(crate) fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in crate::harness::tree(&repo().join("content")) {
        let target = dir.path().join("content").join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
    for file in ["blameless.toml", "directory.toml"] {
        fs::copy(repo().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

#[test]
fn search_builds_a_missing_index_then_answers_from_it() {
    let dir = sample();
    let first = run_in(dir.path(), &["search", "replication", "lag"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("building the site"),
        "{}",
        first.stderr
    );
    assert!(
        first
            .stdout
            .starts_with("SEV-1  2023-02-14  Closed  Checkout failures after payments-db failover"),
        "{}",
        first.stdout
    );
    let second = run_in(dir.path(), &["search", "replication", "lag"]);
    assert!(
        !second.stderr.contains("building the site"),
        "{}",
        second.stderr
    );
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn search_json_has_the_documented_fields() {
    let dir = sample();
    let found = hits(dir.path(), &["\"replication lag\""]);
    assert_eq!(found.len(), 1);
    let hit = found[0].as_object().unwrap();
    let keys: Vec<&str> = hit.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["id", "score", "section", "severity", "snippet", "started", "status", "title", "url"]
    );
    assert_eq!(
        hit["url"],
        "https://postmortems.larder.example/pm/2023-02-14-payments-db-failover-stall/"
    );
    assert!(hit["snippet"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("replication lag"));
}

#[test]
fn ranking_on_the_sample_archive() {
    let dir = sample();
    let root = dir.path();
    // Title matches outrank body-only matches.
    assert_eq!(
        ids(&hits(root, &["certificate"]))[0],
        "2026-04-22-ios-push-certificate-expired"
    );
    assert_eq!(
        ids(&hits(root, &["dns"]))[..2]
            .iter()
            .filter(|id| id.contains("dns"))
            .count(),
        2
    );
    // Identifiers match as written.
    let api = hits(root, &["checkout-api"]);
    assert!(api.len() >= 5, "{api:?}");
    // Filters and date ranges.
    let sev1 = hits(root, &["--severity", "SEV-1", "--limit", "50"]);
    assert!(
        sev1.iter().all(|h| h["severity"] == "SEV-1") && sev1.len() == 3,
        "{sev1:?}"
    );
    let recent = hits(root, &["--since", "2026", "--newest", "--limit", "50"]);
    let started: Vec<&str> = recent
        .iter()
        .map(|h| h["started"].as_str().unwrap())
        .collect();
    assert!(started.iter().all(|s| s.starts_with("2026")), "{started:?}");
    let mut sorted = started.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(started, sorted);
    assert!(hits(root, &["tag:apns"]).len() == 1);
    assert!(!hits(root, &["cause:expired-credential"]).is_empty());
}

#[test]
fn ranking_on_the_real_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    fs::create_dir_all(&content).unwrap();
    for entry in fs::read_dir(repo().join("tests/fixtures/dfds")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), content.join(entry.file_name())).unwrap();
    }
    let root = dir.path();
    let kiam = hits(root, &["kiam"]);
    assert_eq!(
        ids(&kiam)[..2]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        [
            "dfds-pm2020-002-kiam-service-disruption-on-hellman",
            "dfds-pm2020-009-kiam-service-disruption-due-to-upgrade"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        ids(&hits(root, &["inotify"]))[0],
        "dfds-pm2020-001-inotify-file-watches-exhaustion"
    );
    let log4shell = hits(root, &["log4shell"]);
    assert_eq!(ids(&log4shell)[0], "dfds-pm2021-011-log4shell");
    let traefik = hits(root, &["traefik", "--limit", "3"]);
    assert!(
        traefik.iter().all(|h| h["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("traefik")
            || h["snippet"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("traefik")),
        "{traefik:?}"
    );
    let phrase = hits(root, &["\"certificate\" AND adfs"]);
    assert_eq!(ids(&phrase)[0], "dfds-pm2021-004-adfs-outage");
}

#[test]
fn a_bad_date_is_a_usage_error() {
    let dir = sample();
    let run = run_in(dir.path(), &["search", "x", "--since", "last week"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--since"), "{}", run.stderr);
}

#[test]
fn a_chat_handle_from_the_directory_finds_the_person() {
    let dir = sample();
    let root = dir.path();
    let by_name = hits(root, &["people:\"Felix Brandt\"", "--limit", "50"]);
    assert!(!by_name.is_empty());
    let by_handle = hits(root, &["fbrandt", "--limit", "50"]);
    assert_eq!(ids(&by_handle), ids(&by_name));
}

#[test]
fn severity_aliases_filter_like_their_names() {
    let dir = sample();
    let root = dir.path();
    let by_name = ids(&hits(root, &["--severity", "SEV-1", "--limit", "50"]))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    assert_eq!(by_name.len(), 3, "{by_name:?}");
    for alias in ["P1", "p1", "sev1", "sev-1"] {
        let found = hits(root, &["--severity", alias, "--limit", "50"]);
        assert_eq!(ids(&found), by_name, "--severity {alias}");
        let found = hits(root, &[&format!("severity:{alias}"), "--limit", "50"]);
        assert_eq!(ids(&found), by_name, "severity:{alias}");
    }
}

#[test]
fn an_unknown_filter_value_is_named_with_the_closest_known_one() {
    let dir = sample();
    let out = dir.path().join("public-test");
    let out = out.to_str().unwrap();
    let run = run_in(
        dir.path(),
        &["search", "--out", out, "--service", "payments"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: no service `payments`: did you mean `payments-db`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no post-mortem matches"),
        "{}",
        run.stderr
    );
    let run = run_in(
        dir.path(),
        &[
            "search",
            "--out",
            out,
            "--json",
            "--severity",
            "SEV-7",
            "--tag",
            "postgress",
        ],
    );
    assert_eq!((run.code, run.stdout.trim()), (0, "[]"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: no severity `SEV-7`: did you mean `SEV-1`, `SEV-2`, `SEV-3` or `SEV-4`?"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("warning: no tag `postgress`: did you mean `postgres`?"),
        "{}",
        run.stderr
    );
    for (flag, value, known) in [
        ("--cause", "config-chnage", "config-change"),
        ("--status", "reviewd", "Reviewed"),
    ] {
        let run = run_in(dir.path(), &["search", "--out", out, flag, value]);
        let field = &flag[2..];
        assert!(
            run.stderr.contains(&format!(
                "warning: no {field} `{value}`: did you mean `{known}`?"
            )),
            "{}",
            run.stderr
        );
    }
    // A value of the vocabulary that no post-mortem has is not unknown: just no hits.
    let run = run_in(dir.path(), &["search", "--out", out, "--cause", "hardware"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn search_rebuilds_an_index_it_cannot_open() {
    let dir = sample();
    let out = dir.path().join("public-test");
    let first = hits(dir.path(), &["kafka"]);
    // An index of another version: newer than the sources, but not one this version reads.
    fs::write(out.join("search/index/meta.json"), "{}").unwrap();
    let run = run_in(
        dir.path(),
        &["search", "--json", "--out", out.to_str().unwrap(), "kafka"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("building the site"), "{}", run.stderr);
    let again: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(again, first);
}
