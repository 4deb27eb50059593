//! Hardening: a build never destroys, leaks or crashes, whatever the input or the flags.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::harness::{minimal, run_in, tree, Archive};

fn archive() -> Archive {
    Archive::new()
        .file("blameless.toml", "title = \"Ops\"\n")
        .pm(
            "2024-03-12-disk",
            &minimal("", "## Summary\n\nThe disk filled up.\n"),
        )
}

/// Every file under the archive's sources, to compare before and after a refused run.
fn sources(a: &Archive) -> Vec<(String, Vec<u8>)> {
    ["content", "themes"]
        .iter()
        .flat_map(|dir| tree(&a.root().join(dir)))
        .chain(fs::read(a.root().join("blameless.toml")).map(|b| ("toml".into(), b)))
        .collect()
}

#[test]
fn an_out_that_is_the_archive_or_holds_its_sources_is_refused_and_nothing_is_touched() {
    let a = archive().file("themes/default/static/extra.css", "p{}");
    let before = sources(&a);
    let root = a.root().to_str().unwrap().to_string();
    let content = a.root().join("content");
    let cases: Vec<(&Path, Vec<&str>)> = vec![
        (&content, vec!["build", "--out", "."]),
        (&content, vec!["build", "--out", "../content"]),
        (a.root(), vec!["build", "--out", "."]),
        (a.root(), vec!["build", "--root", &root, "--out", &root]),
        (a.root(), vec!["build", "--out", "themes"]),
        (a.root(), vec!["build", "--out", "themes/default"]),
        (a.root(), vec!["build", "--out", "content/site"]),
        (a.root(), vec!["build", "--out", ".."]),
        (a.root(), vec!["build", "--out", "/"]),
        (a.root(), vec!["build", "--out", "blameless.toml"]),
    ];
    for (dir, args) in cases {
        let run = run_in(dir, &args);
        assert_eq!(run.code, 2, "{args:?} ran: {}", run.stderr);
        assert!(run.stderr.contains("refusing"), "{args:?}: {}", run.stderr);
        assert_eq!(sources(&a), before, "{args:?} changed the sources");
    }
}

#[test]
fn an_out_that_is_a_file_or_a_foreign_directory_is_refused() {
    let a = archive()
        .file("NOTES.txt", "my notes")
        .file("docs/handbook.md", "keep me");
    let run = a.run(&["build", "--out", "NOTES.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("it is a file"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(a.root().join("NOTES.txt")).unwrap(),
        "my notes"
    );
    let run = a.run(&["build", "--out", "docs"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("was not written by blameless"),
        "{}",
        run.stderr
    );
    assert_eq!(a.tree("docs").len(), 1);
    fs::create_dir(a.root().join("empty")).unwrap();
    assert_eq!(a.run(&["build", "--out", "empty"]).code, 0);
    assert!(a.root().join("empty/.blameless-site").is_file());
    // A site blameless wrote is replaced on the next build.
    assert_eq!(a.run(&["build", "--out", "empty"]).code, 0);
}

#[cfg(unix)]
#[test]
fn an_out_that_is_a_symbolic_link_is_refused() {
    let a = archive();
    let elsewhere = tempfile::tempdir().unwrap();
    fs::write(elsewhere.path().join("keep.txt"), "x").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), a.root().join("public")).unwrap();
    let run = a.run(&["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(elsewhere.path().join("keep.txt").exists());
}

#[test]
fn serve_refuses_an_out_inside_content_instead_of_rebuilding_forever() {
    let a = archive();
    let run = a.run(&["serve", "--port", "0", "--out", "content/public"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("inside `content/`"), "{}", run.stderr);
    assert!(!a.root().join("content/public").exists());
}

#[test]
fn the_next_build_clears_what_a_killed_build_left_and_restores_a_missing_site() {
    let a = archive();
    assert_eq!(a.run(&["build"]).code, 0);
    let site = a.tree("public");
    // A build killed between the two renames of a swap: the old site aside, no `public/`.
    fs::rename(a.root().join("public"), a.root().join(".public.old")).unwrap();
    // Builds killed while writing: staging directories with the marker, and an empty one.
    for stale in [".public.new-AAAAAA", ".public.new-BBBBBB"] {
        fs::create_dir(a.root().join(stale)).unwrap();
    }
    fs::write(a.root().join(".public.new-AAAAAA/.blameless-site"), "x").unwrap();
    // Not blameless's: kept.
    fs::create_dir(a.root().join(".public.new-mine")).unwrap();
    fs::write(a.root().join(".public.new-mine/notes.txt"), "x").unwrap();
    let broken = a.pm("broken", "+++\ntitle = \n+++\n");
    // A failed build still changes nothing.
    assert_eq!(broken.run(&["build"]).code, 1);
    fs::remove_file(broken.root().join("content/broken.md")).unwrap();
    let run = broken.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(broken.tree("public"), site);
    let mut left: Vec<String> = fs::read_dir(broken.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    left.sort();
    assert_eq!(left, [".public.new-mine"]);
}

#[test]
fn two_builds_into_one_out_at_once_leave_one_whole_site() {
    let a = archive();
    assert_eq!(a.run(&["build"]).code, 0);
    let site = a.tree("public");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_blameless"))
            .arg("build")
            .current_dir(a.root())
            .env("SOURCE_DATE_EPOCH", "1731600000")
            .output()
            .unwrap()
    };
    for _ in 0..3 {
        let (one, two) = std::thread::scope(|s| {
            let one = s.spawn(spawn);
            let two = s.spawn(spawn);
            (one.join().unwrap(), two.join().unwrap())
        });
        assert!(one.status.success() || two.status.success());
        assert_eq!(a.tree("public"), site);
    }
    let left = fs::read_dir(a.root())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(left, 0);
}

#[test]
fn the_nearest_archive_is_built_and_the_summary_names_it() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join("blameless.toml"), "title = \"Other\"\n").unwrap();
    fs::create_dir_all(outer.path().join("content")).unwrap();
    let inner = outer.path().join("team/archive");
    fs::create_dir_all(inner.join("content")).unwrap();
    fs::write(
        inner.join("content/2024-03-12-disk.md"),
        minimal("", "## Summary\n\nDisk.\n"),
    )
    .unwrap();
    let run = run_in(&inner.join("content"), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(inner.join("public/index.html").is_file());
    assert!(!outer.path().join("public").exists());
    let shown = inner.canonicalize().unwrap();
    assert!(
        run.stderr.contains(&format!("from {}", shown.display())),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_source_that_is_a_link_is_reported_and_never_read() {
    let a = archive();
    fs::create_dir_all(a.root().join("content/leak")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", a.root().join("content/leak/index.md"))
        .unwrap();
    let secret = tempfile::tempdir().unwrap();
    fs::write(secret.path().join("secret.md"), "TOKEN-1234-SECRET").unwrap();
    std::os::unix::fs::symlink(
        secret.path().join("secret.md"),
        a.root().join("content/2024-01-01-x.md"),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_blameless"))
        .args(["check", "--format", "json"])
        .current_dir(a.root())
        .env("CI_TOKEN", "hunter2-do-not-print")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        !stdout.contains("hunter2") && !stdout.contains("TOKEN-1234"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("\"symbolic-link\"").count(), 2, "{stdout}");
    assert!(stdout.contains("content/leak/index.md"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn a_bundle_asset_or_theme_file_that_is_a_link_is_never_published() {
    let a = archive()
        .file(
            "content/2024-04-01-dns/index.md",
            minimal("", "## Summary\n\nDNS. ![graph](graph.svg)\n"),
        )
        .file("content/2024-04-01-dns/graph.svg", "<svg/>");
    std::os::unix::fs::symlink(
        "/etc/passwd",
        a.root().join("content/2024-04-01-dns/passwd.txt"),
    )
    .unwrap();
    let run = a.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[symbolic-link]"),
        "{}",
        run.stderr
    );
    assert!(!a.root().join("public").exists());
    fs::remove_file(a.root().join("content/2024-04-01-dns/passwd.txt")).unwrap();
    fs::create_dir_all(a.root().join("themes/default/static")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", a.root().join("themes/default/static/p.txt"))
        .unwrap();
    let run = a.run(&["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(!a.root().join("public").exists());
}

#[test]
fn a_theme_outside_themes_is_refused() {
    for theme in ["/etc", "../x", "../../"] {
        let a = archive().file("blameless.toml", format!("theme = {theme:?}\n"));
        let run = a.run(&["build"]);
        assert_eq!(run.code, 2, "{theme}: {}", run.stderr);
        assert!(
            run.stderr.contains("`theme` must be the name"),
            "{}",
            run.stderr
        );
        assert!(!a.root().join("public").exists());
    }
}

#[test]
fn non_ascii_words_and_deep_nesting_build_and_serve_no_panic() {
    let body = format!(
        "## Summary\n\nCafé Österreich 東京 naïve über-load ü\n\n{} deep\n\n{}bold{}\n\n## External message\n\n{} quoted\n",
        ">".repeat(7000),
        "*".repeat(5000),
        "*".repeat(5000),
        ">".repeat(7000)
    );
    let a = archive().pm(
        "2024-05-01-cafe",
        &minimal("", &body).replace("Draft", "Closed"),
    );
    let run = a.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = a.run(&["search", "Österreich", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("2024-05-01-cafe"), "{}", run.stdout);
    let run = a.run(&["message", "2024-05-01-cafe"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn thousands_of_one_problem_give_bounded_output() {
    let links: String = (0..8000).map(|i| format!("[x](missing-{i}.md) ")).collect();
    let a = archive().pm(
        "2024-06-01-links",
        &minimal("", &format!("## Summary\n\n{links}\n")),
    );
    let run = a.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("warning[broken-link]").count(), 51);
    assert!(
        run.stderr
            .contains("7950 more `broken-link` problems in this file are not shown"),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(2000)..]
    );
    let keys: String = (0..20_000).map(|i| format!("k{i} = 1\n")).collect();
    let a = archive().pm("2024-06-02-keys", &format!("+++\n{keys}+++\n"));
    let run = a.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.matches("\"unknown-field\"").count() <= 51);
}

#[test]
fn a_query_nested_beyond_reason_is_refused_with_a_clear_error() {
    let a = archive();
    assert_eq!(a.run(&["build"]).code, 0);
    let query = format!("{}disk{}", "(".repeat(20_000), ")".repeat(20_000));
    let run = a.run(&["search", &query]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot search: the query is"),
        "{}",
        run.stderr
    );
    let deep = format!("{}disk{}", "(".repeat(40), ")".repeat(40));
    let run = a.run(&["search", &deep]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("40 deep"), "{}", run.stderr);
}

#[test]
fn escape_sequences_in_titles_never_reach_the_terminal() {
    let a = archive().pm(
        "2024-07-01-esc",
        &minimal(
            "summary = \"Disk \\u001b]0;owned\\u0007 full\"\n",
            "## Summary\n\nDisk full.\n\n## External message\n\nWe are sorry \u{1b}[2J for the disk.\n",
        )
        .replace("Disk full on the build cache", "Disk \\u001b[31mfull")
        .replace("Draft", "Closed"),
    );
    assert_eq!(a.run(&["build"]).code, 0);
    let run = a.run(&["search", "disk"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Disk"), "{}", run.stdout);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
        "{:?}",
        run.stdout
    );
    let json = a.run(&["search", "disk", "--json"]);
    assert!(json.stdout.contains("\\u001b[31mfull"), "{}", json.stdout);
    let run = a.run(&["message", "2024-07-01-esc"]);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
}
