//! `blameless timeline`: chat exports as timeline rows, each fixture against its golden output,
//! and appended to a post-mortem without duplicating rows.

use std::fs;

use crate::harness::{minimal, repo, Archive};

fn chat(path: &str) -> String {
    repo()
        .join("tests/fixtures/chat")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

fn golden(name: &str) -> String {
    fs::read_to_string(repo().join("tests/fixtures/chat/golden").join(name)).unwrap()
}

/// An archive whose zone is Berlin, where clocks moved on 2024-03-31.
fn berlin() -> Archive {
    Archive::new().file("blameless.toml", "timezone = \"Europe/Berlin\"\n")
}

fn timeline(archive: &Archive, args: &[&str]) -> String {
    let mut all = vec!["timeline"];
    all.extend_from_slice(args);
    let run = archive.run(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// Appends the bracketed IRC log, written in New York, to the post-mortem `a`.
fn bracketed_into_a(archive: &Archive, extra: &[&str]) {
    let log = chat("irc/bracketed.log");
    let mut args = vec![log.as_str(), "--zone", "America/New_York", "--into", "a"];
    args.extend_from_slice(extra);
    timeline(archive, &args);
}

#[test]
fn a_slack_channel_folder_becomes_rows_across_a_daylight_saving_change() {
    let out = timeline(&berlin(), &[&chat("slack/inc-checkout")]);
    assert_eq!(out, golden("slack.md"));
}

#[test]
fn a_single_slack_json_file_reads_with_the_users_beside_it() {
    let out = timeline(&berlin(), &[&chat("slack/history.json")]);
    assert_eq!(out, golden("slack-history.md"));
}

#[test]
fn marked_messages_are_those_with_a_reaction_pin_or_star() {
    let out = timeline(&berlin(), &[&chat("slack/inc-checkout"), "--marked"]);
    assert_eq!(out, golden("slack-marked.md"));
}

#[test]
fn since_until_and_grep_cut_the_rows() {
    let out = timeline(
        &berlin(),
        &[
            &chat("slack/inc-checkout"),
            "--since",
            "2024-03-31 00:00",
            "--until",
            "2024-03-31 03:30",
            "--grep",
            "(?i)checkout",
        ],
    );
    assert_eq!(out, golden("slack-window.md"));
}

#[test]
fn irc_logs_in_every_format_read_in_their_zone() {
    for (file, expected) in [
        ("irc/irssi.log", "irssi.md"),
        ("irc/weechat.log", "weechat.md"),
        ("irc/#inc-checkout_20240330.log", "znc.md"),
        ("irc/bracketed.log", "bracketed.md"),
        ("plain.txt", "plain.md"),
    ] {
        let out = timeline(&berlin(), &[&chat(file), "--zone", "America/New_York"]);
        assert_eq!(out, golden(expected), "{file}");
    }
}

#[test]
fn chat_handles_resolve_through_the_directory() {
    let archive = berlin().file(
        "directory.toml",
        "[[person]]\nname = \"Ana Ruiz\"\naliases = [\"ana\"]\n\n[[person]]\nname = \"Ben Ode\"\naliases = [\"bode\"]\n",
    );
    let out = timeline(
        &archive,
        &[&chat("irc/irssi.log"), "--zone", "America/New_York"],
    );
    assert!(out.contains("**Ana Ruiz**: on it"), "{out}");
    assert!(out.contains("**Ben Ode**: provider status page"), "{out}");
}

#[test]
fn into_appends_to_the_timeline_once_within_the_incident_window() {
    let body = "## Summary\n\nCheckout failed.\n\n## Timeline\n\n| Time (Europe/Berlin) | Event |\n| --- | --- |\n| 2024-03-30 23:48 | Impact begins |\n\n## Resolution\n\nRestarted.\n";
    let front = "resolved = 2024-03-31T01:20:00Z\ntimezone = \"Europe/Berlin\"\n";
    let text = minimal(front, body).replace(
        "started = 2024-03-12T09:41:00Z",
        "started = 2024-03-30T22:48:00Z",
    );
    let archive = berlin().pm("2024-03-30-checkout", &text);
    let first = archive.run(&[
        "timeline",
        &chat("slack/inc-checkout"),
        "--into",
        "2024-03-30-checkout",
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("appended 10 rows"),
        "{}",
        first.stderr
    );
    let after_first =
        fs::read_to_string(archive.root().join("content/2024-03-30-checkout.md")).unwrap();
    assert_eq!(after_first, golden("into.md"));
    let second = archive.run(&[
        "timeline",
        &chat("slack/inc-checkout"),
        "--into",
        "2024-03-30-checkout",
    ]);
    assert!(
        second.stderr.contains("appended 0 rows"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("10 were there already"),
        "{}",
        second.stderr
    );
    let after_second =
        fs::read_to_string(archive.root().join("content/2024-03-30-checkout.md")).unwrap();
    assert_eq!(after_first, after_second);
    let check = archive.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(!check.stderr.contains("timeline-"), "{}", check.stderr);
}

#[test]
fn into_creates_the_timeline_section_when_there_is_none() {
    let archive = berlin().pm(
        "a",
        &minimal("", "## Summary\n\nx\n").replace("2024-03-12T09:41:00Z", "2024-03-30T22:00:00Z"),
    );
    bracketed_into_a(&archive, &[]);
    let text = fs::read_to_string(archive.root().join("content/a.md")).unwrap();
    assert!(text.ends_with("## Timeline\n\n| Time (Europe/Berlin) | Event |\n| --- | --- |\n| 2024-03-30 23:48 | **alertbot** (bot): [FIRING] checkout 5xx rate 7.2% |\n| 23:50 | **ana**: on it |\n| 2024-04-01 03:15 | **bode**: error rate back to normal |\n"), "{text}");
    let unknown = archive.run(&["timeline", &chat("plain.txt"), "--into", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no post-mortem `nope`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_log_without_dates_says_how_to_date_it() {
    let archive = berlin().file("ops.log", "09:41 <ana> db is down\n");
    let run = archive.run(&["timeline", "ops.log"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "| Time (Europe/Berlin) | Event |\n| --- | --- |\n"
    );
    assert!(
        run.stderr.contains("warning: no messages in ops.log"),
        "{}",
        run.stderr
    );
    let dated = archive.file("ops_20240312.log", "09:41 <ana> db is down\n");
    let run = dated.run(&["timeline", "ops_20240312.log"]);
    assert!(
        run.stdout
            .ends_with("| 2024-03-12 09:41 | **ana**: db is down |\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn into_a_timeline_that_is_a_list_adds_a_table_below_it() {
    let body =
        "## Timeline\n\n- 2024-03-30 23:40 Deploy of the pool change\n\n## Resolution\n\nx\n";
    let text = minimal("timezone = \"Europe/Berlin\"\n", body)
        .replace("2024-03-12T09:41:00Z", "2024-03-30T22:00:00Z");
    let archive = berlin().pm("a", &text);
    bracketed_into_a(&archive, &["--until", "2024-03-31 00:00"]);
    let written = fs::read_to_string(archive.root().join("content/a.md")).unwrap();
    assert!(written.contains("- 2024-03-30 23:40 Deploy of the pool change\n\n| Time (Europe/Berlin) | Event |\n| --- | --- |\n| 2024-03-30 23:48 | **alertbot** (bot): [FIRING] checkout 5xx rate 7.2% |\n| 23:50 | **ana**: on it |\n\n## Resolution\n"), "{written}");
    let check = archive.run(&["check"]);
    assert!(!check.stderr.contains("timeline-"), "{}", check.stderr);
}
