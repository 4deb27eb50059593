//! `blameless check`: exit codes, formats, rule levels.

use crate::harness::{minimal, run_in, Archive};

fn broken_link_archive() -> Archive {
    Archive::new().pm("a", &minimal("", "## Summary\n\nSee [x](missing.md).\n"))
}

#[test]
fn a_clean_archive_exits_zero() {
    let run = Archive::new().pm("a", &minimal("", "")).run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "checked 1 post-mortem: no problems\n");
}

#[test]
fn warnings_pass_unless_denied() {
    let a = broken_link_archive();
    assert_eq!(a.run(&["check"]).code, 0);
    assert_eq!(a.run(&["check", "--deny-warnings"]).code, 1);
}

#[test]
fn rule_levels_come_from_the_config() {
    let a = broken_link_archive().file("blameless.toml", "[rules]\nbroken-link = \"error\"\n");
    let run = a.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error[broken-link]"),
        "{}",
        run.stderr
    );
    let a = broken_link_archive().file("blameless.toml", "[rules]\nbroken-link = \"allow\"\n");
    let run = a.run(&["check", "--deny-warnings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn json_format_is_an_array_on_stdout() {
    let run = broken_link_archive().run(&["check", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        value[0],
        serde_json::json!({
            "severity": "warning",
            "code": "broken-link",
            "message": "link to `missing.md`: there is no post-mortem `missing`",
            "file": "content/a.md",
            "line": 10,
            "column": 5,
            "help": "link to another post-mortem by its file name, such as `2024-03-12-checkout-failover.md`",
        })
    );
}

#[test]
fn github_format_prints_annotations() {
    let run = broken_link_archive().run(&["check", "--format", "github"]);
    assert_eq!(
        run.stderr,
        "::warning file=content/a.md,line=10,col=5,title=broken-link::link to `missing.md`: there \
         is no post-mortem `missing`%0Ahelp: link to another post-mortem by its file name, such \
         as `2024-03-12-checkout-failover.md`\n"
    );
}

#[test]
fn every_problem_of_every_file_is_reported_in_one_run() {
    let a = Archive::new()
        .pm("a", "+++\ntitle = 1\n+++\n")
        .pm("b", &minimal("owner = 2\n", ""))
        .pm("c", "no front matter")
        .pm("d", &minimal("", ""));
    let run = a.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let value: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let files: Vec<&str> = value.iter().map(|d| d["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "content/a.md",
            "content/a.md",
            "content/a.md",
            "content/a.md",
            "content/b.md",
            "content/c.md"
        ]
    );
}

#[test]
fn a_missing_content_directory_is_an_environment_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::harness::run_in(dir.path(), &["check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no `content/` directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_two() {
    let run = Archive::new().run(&["check", "--format", "xml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'xml'"), "{}", run.stderr);
}

#[test]
fn check_given_files_reports_only_their_problems() {
    let a = Archive::new()
        .pm("a", &minimal("sumary = \"x\"\n", ""))
        .pm("b", &minimal("", "See [c](c.md).\n"))
        .pm("c", &minimal("", ""));
    // `b` links to `c`, which exists: cross-file checks still see the whole archive.
    let run = a.run(&["check", "content/b.md", "content/c.md"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "checked 2 files: no problems\n");
    let run = run_in(&a.root().join("content"), &["check", "a.md"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown field `sumary`"),
        "{}",
        run.stderr
    );
    let run = a.run(&["check", "content/nope.md"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no file content/nope.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_post_mortem_with_a_problem_set_to_warning_is_published_and_found() {
    let a = Archive::new()
        .file("blameless.toml", "[rules]\nunknown-field = \"warning\"\n")
        .pm(
            "a",
            &minimal("sumary = \"x\"\n", "## External message\n\nSorry.\n"),
        )
        .pm("b", &minimal("", ""));
    assert_eq!(a.run(&["check"]).code, 0);
    let run = a.run(&["build", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("built 2 post-mortems"),
        "{}",
        run.stderr
    );
    assert!(a.root().join("public/pm/a/index.html").is_file());
    let run = a.run(&["message", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "Sorry.\n");
}

#[test]
fn github_annotations_name_files_from_the_repository_top() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    let root = repo.path().join("docs/incidents");
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::write(
        root.join("content/a.md"),
        minimal("", "## Summary\n\nSee [x](missing.md).\n"),
    )
    .unwrap();
    let run = |workspace: Option<&std::path::Path>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_blameless"));
        command
            .args(["check", "--format", "github"])
            .current_dir(&root)
            .env_remove("GITHUB_WORKSPACE");
        if let Some(dir) = workspace {
            command.env("GITHUB_WORKSPACE", dir);
        }
        String::from_utf8(command.output().unwrap().stderr).unwrap()
    };
    let found = run(None);
    assert!(
        found.starts_with("::warning file=docs/incidents/content/a.md,line=10,col=5,"),
        "{found}"
    );
    let found = run(Some(&repo.path().join("docs")));
    assert!(
        found.starts_with("::warning file=incidents/content/a.md,"),
        "{found}"
    );
}
