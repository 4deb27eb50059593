//! `blameless new`: a scaffold that passes `check` as a Draft.

use crate::harness::Archive;

#[test]
fn new_writes_a_draft_that_passes_check() {
    let a = Archive::new();
    let run = a.run(&[
        "new",
        "Checkout errors after a failover",
        "--severity",
        "p1",
        "--started",
        "2024-03-12 09:41",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "content/2024-03-12-checkout-errors-after-a-failover.md"
    );
    let text = std::fs::read_to_string(a.root().join(run.stdout.trim())).unwrap();
    assert!(text.contains("severity = \"SEV-1\""));
    assert!(text.contains("## Contributing factors"));
    assert!(text.contains("## External message"));
    let check = a.run(&["check", "--deny-warnings"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn new_never_overwrites_and_gives_a_second_incident_of_the_day_its_own_file() {
    let a = Archive::new();
    let args = ["new", "Same title", "--started", "2024-03-12T09:41:00Z"];
    assert_eq!(a.run(&args).code, 0);
    let first = std::fs::read(a.root().join("content/2024-03-12-same-title.md")).unwrap();
    let again = a.run(&args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout.trim(), "content/2024-03-12-same-title-2.md");
    assert_eq!(
        std::fs::read(a.root().join("content/2024-03-12-same-title.md")).unwrap(),
        first
    );
    assert_eq!(a.run(&["check", "--deny-warnings"]).code, 0);
}

#[test]
fn new_with_a_multi_line_or_non_latin_title_writes_a_file_that_reads_back() {
    let a = Archive::new();
    let run = a.run(&[
        "new",
        "Überlast\n+++\nim Zahlungsdienst",
        "--started",
        "2024-03-12T09:41:00Z",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "content/2024-03-12-uberlast-plus-plus-plus-im-zahlungsdienst.md"
    );
    let run = a.run(&["new", "東京 停電", "--started", "2024-03-12T09:41:00Z"]);
    assert_eq!(
        run.stdout.trim(),
        "content/2024-03-12-dong-jing-ting-dian.md"
    );
    let check = a.run(&["check", "--deny-warnings", "--format", "json"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let text = std::fs::read_to_string(
        a.root()
            .join("content/2024-03-12-uberlast-plus-plus-plus-im-zahlungsdienst.md"),
    )
    .unwrap();
    assert!(
        text.contains("title = \"Überlast +++ im Zahlungsdienst\""),
        "{text}"
    );
}

#[test]
fn new_rejects_an_unknown_severity() {
    let run = Archive::new().run(&["new", "X", "--severity", "SEV-9"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown severity `SEV-9`"),
        "{}",
        run.stderr
    );
}

#[test]
fn message_email_and_digest_print_the_artifacts() {
    let a = Archive::new().pm(
        "2024-a",
        &crate::harness::minimal(
            "customer_impact = true\n",
            "## Summary\n\nShort.\n\n## External message\n\nSome **customers** could not [log in](https://status.example.com).\n",
        ),
    );
    let message = a.run(&["message", "2024-a"]);
    assert_eq!(message.code, 0, "{}", message.stderr);
    assert_eq!(
        message.stdout,
        "Some customers could not log in (https://status.example.com).\n"
    );
    let email = a.run(&["email", "2024-a"]);
    assert_eq!(email.code, 0, "{}", email.stderr);
    assert!(email.stdout.starts_with("From: "), "{}", email.stdout);
    assert!(email.stdout.contains("multipart/alternative"));
    let digest = a.run(&["digest", "--since", "2024-03-11", "--until", "2024-03-17"]);
    assert_eq!(digest.code, 0, "{}", digest.stderr);
    assert!(
        digest.stdout.contains("Disk full on the build cache"),
        "{}",
        digest.stdout
    );
    let missing = a.run(&["message", "2024-b"]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "error: no post-mortem `2024-b`: did you mean `2024-a`?\n"
    );
}

#[test]
fn message_and_email_take_a_unique_start_of_an_id() {
    let body = "## Summary\n\nShort.\n\n## External message\n\nSome customers could not log in.\n";
    let a = Archive::new()
        .pm(
            "2024-03-12-checkout-errors",
            &crate::harness::minimal("", body),
        )
        .pm("2024-03-12-login-slow", &crate::harness::minimal("", body))
        .pm("2024-04-01-dns", &crate::harness::minimal("", body));
    let run = a.run(&["message", "2024-04"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "Some customers could not log in.\n");
    assert_eq!(a.run(&["email", "2024-03-12-ch"]).code, 0);
    let run = a.run(&["message", "2024-03-12"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: `2024-03-12` starts 2 ids: `2024-03-12-checkout-errors`, `2024-03-12-login-slow`; give more of the one you mean\n"
    );
}
