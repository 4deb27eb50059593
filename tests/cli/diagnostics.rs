//! The exact human rendering of every format-level diagnostic code, through the real binary.

use crate::harness::{minimal, Archive};

fn check(archive: &Archive) -> String {
    let run = archive.run(&["check"]);
    assert_eq!(run.code, 1, "expected content errors:\n{}", run.stderr);
    run.stderr
}

#[test]
fn invalid_front_matter() {
    let a = Archive::new().pm("a", "+++\ntitle = \"x\nseverity = \"SEV-3\"\n+++\n");
    insta::assert_snapshot!(check(&a));
}

#[test]
fn missing_front_matter() {
    let a = Archive::new().pm("a", "# Just markdown\n");
    insta::assert_snapshot!(check(&a));
}

#[test]
fn unknown_field() {
    let a = Archive::new().pm("a", &minimal("sumary = \"x\"\n", ""));
    insta::assert_snapshot!(check(&a));
}

#[test]
fn missing_field() {
    let a = Archive::new().pm(
        "a",
        "+++\ntitle = \"x\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\n+++\n",
    );
    insta::assert_snapshot!(check(&a));
}

#[test]
fn invalid_value() {
    let a = Archive::new().pm(
        "a",
        &minimal("detection = \"pager\"\ncauses = [\"config-chnage\"]\n", ""),
    );
    insta::assert_snapshot!(check(&a));
}

#[test]
fn invalid_id() {
    let a = Archive::new().pm("bad id!", &minimal("", ""));
    insta::assert_snapshot!(check(&a));
}

#[test]
fn invalid_encoding() {
    let text = minimal("owner = \"Jos\u{0}\"\n", "");
    let bytes = text.replace('\u{0}', "\u{1}").into_bytes();
    let bytes: Vec<u8> = bytes
        .into_iter()
        .map(|b| if b == 1 { 0xe9 } else { b })
        .collect();
    let a = Archive::new().file("content/a.md", bytes);
    insta::assert_snapshot!(check(&a));
}

#[test]
fn duplicate_id() {
    let a = Archive::new()
        .file("content/2024/a.md", minimal("", ""))
        .file("content/a/index.md", minimal("", ""));
    insta::assert_snapshot!(check(&a));
}

#[test]
fn times_out_of_order() {
    let a = Archive::new().pm(
        "a",
        &minimal(
            "detected = 2024-03-12T09:30:00Z\nresolved = 2024-03-12T11:00:00+01:00\n",
            "",
        ),
    );
    insta::assert_snapshot!(check(&a));
}

#[test]
fn unknown_related() {
    let a = Archive::new()
        .pm(
            "2024-a",
            &minimal("related = [\"2024-b\", \"2024-c\"]\n", ""),
        )
        .pm("2024-b", &minimal("", ""));
    insta::assert_snapshot!(check(&a));
}

#[test]
fn broken_link() {
    let a = Archive::new().pm(
        "a",
        &minimal(
            "",
            "## Summary\n\nLike [the last one](2023-old.md) and ![graph](graph.png).\n",
        ),
    );
    let run = a.run(&["check"]);
    assert_eq!(run.code, 0, "broken links are warnings");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn unsafe_link() {
    let a = Archive::new().pm(
        "a",
        &minimal(
            "",
            "## Summary\n\nSee [the fix](javascript:fix()) and ![dump](data:text/html;base64,PGI+).\n",
        ),
    );
    let run = a.run(&["check"]);
    assert_eq!(run.code, 0, "unsafe links are warnings");
    insta::assert_snapshot!(run.stderr);
}

#[cfg(unix)]
#[test]
fn symbolic_link() {
    let a = Archive::new().pm("a", &minimal("", ""));
    std::os::unix::fs::symlink("/etc/hostname", a.root().join("content/b.md")).unwrap();
    insta::assert_snapshot!(check(&a));
}

#[test]
fn timeline_unparsed_and_out_of_order() {
    let a = Archive::new()
        .file(
            "blameless.toml",
            "[rules]\nmissing-owner = \"allow\"\nmissing-resolved = \"allow\"\nmissing-section = \"allow\"\nmissing-actions = \"allow\"\n",
        )
        .pm(
            "a",
            &minimal("", "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n| 10:00 | b |\n| 09:50 | a |\n| HH:mm | c |\n")
                .replace("Draft", "In Review"),
        );
    let run = a.run(&["check"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn invalid_config() {
    let a = Archive::new()
        .file(
            "blameless.toml",
            "title = \"x\"\n[rules]\noutage_word = \"error\"\n",
        )
        .pm("a", &minimal("", ""));
    let run = a.run(&["check"]);
    assert_eq!(run.code, 2, "a broken config is an environment error");
    insta::assert_snapshot!(run.stderr);
}

/// The process rules, through the real binary: every code of the rules table, one snapshot each.
#[test]
fn process_rules() {
    let sections = "## Summary\n\nx\n\n## Impact\n\nx\n\n## Timeline\n\n- 09:41 UTC start\n\n## Contributing factors\n\nx\n\n## Resolution\n\nx\n";
    let a = Archive::new()
        .pm(
            "2024-a-incomplete",
            &minimal("", "## Summary\n\nThe deploy failed because of human error.\n")
                .replace("Draft", "In Review")
                .replace("SEV-3", "SEV-2"),
        )
        .pm(
            "2024-b-closed",
            &minimal(
                "resolved = 2024-03-12T10:00:00Z\nowner = \"Ana Ruiz\"\ncustomer_impact = true\n\n[meeting]\nat = 2024-03-20T10:00:00Z\n\n[[actions]]\ntitle = \"Add a replication lag alert\"\nowner = \"Ana Ruiz\"\n",
                &format!(
                    "{sections}\n## External message\n\nSorry for the outage. Ana Ruiz restarted db-1.acme.internal \
                     (10.0.3.7) under OPS-42; follow #inc-checkout for updates.\n"
                ),
            )
            .replace("Draft", "Closed")
            .replace("SEV-3", "SEV-1"),
        )
        .pm(
            "2024-c-overdue",
            &minimal(
                "resolved = 2024-03-12T10:00:00Z\nowner = \"Ben Ode\"\nservices = [\"build-cache\"]\ncauses = [\"capacity\"]\n\n[[actions]]\ntitle = \"x\"\nticket = \"OPS-1\"\nkind = \"prevent\"\n",
                sections,
            )
            .replace("Draft", "In Review")
            .replace("SEV-3", "SEV-2"),
        )
        .pm(
            "2024-d-unrecorded",
            &minimal(
                "resolved = 2024-03-12T10:00:00Z\nowner = \"Ben Ode\"\n\n[[actions]]\ntitle = \"x\"\nticket = \"OPS-1\"\n",
                sections,
            )
            .replace("Draft", "Reviewed")
            // why: the default SEV-3 has no review meeting in its process.
            .replace("SEV-3", "SEV-2"),
        );
    // why: the build cache fills up again while c's prevent action OPS-1 is still open.
    let a = a.pm(
        "2024-e-repeat",
        &minimal(
            "resolved = 2024-03-25T10:00:00Z\nowner = \"Ben Ode\"\nservices = [\"build-cache\"]\ncauses = [\"capacity\"]\n\n[[actions]]\ntitle = \"y\"\nticket = \"OPS-2\"\n",
            sections,
        )
        .replace("Draft", "In Review")
        .replace("2024-03-12T09:41:00Z", "2024-03-25T09:00:00Z"),
    );
    let run = a.run(&["check", "--now", "2024-04-01T00:00:00Z"]);
    assert_eq!(run.code, 1, "internal-detail is an error:\n{}", run.stderr);
    // why: one snapshot per code, each with every diagnostic of that code in the four files.
    let blocks: Vec<&str> = run.stderr.split("\n\n").collect();
    for code in blameless::rules::RULES.iter().flat_map(|rule| rule.codes) {
        let name = code.name();
        let shown: Vec<&str> = blocks
            .iter()
            .copied()
            .filter(|b| {
                b.starts_with(&format!("error[{name}]"))
                    || b.starts_with(&format!("warning[{name}]"))
            })
            .collect();
        assert!(!shown.is_empty(), "no {name}:\n{}", run.stderr);
        insta::assert_snapshot!(
            format!("process_{}", name.replace('-', "_")),
            shown.join("\n\n")
        );
    }
}
