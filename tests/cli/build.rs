//! `blameless build`: atomic, deterministic, safe with hostile input.

use std::fs;

use crate::harness::{minimal, Archive};

fn sample() -> Archive {
    Archive::new()
        .pm(
            "2024-03-12-disk",
            &minimal(
                "tags = [\"disk\"]\nservices = [\"build-cache\"]\nrelated = [\"2024-04-01-dns\"]\n",
                "## Summary\n\nThe build cache disk filled up.\n\n## Timeline\n\n- 09:41 UTC disk at 100%\n- 10:02 UTC cleaned\n",
            )
            .replace("Draft", "Closed"),
        )
        .file(
            "content/2024-04-01-dns/index.md",
            minimal("", "## Summary\n\nDNS. ![graph](graph.svg)\n")
                .replace("2024-03-12T09:41:00Z", "2024-04-01T08:00:00Z"),
        )
        .file("content/2024-04-01-dns/graph.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
}

#[test]
fn a_build_with_content_errors_keeps_the_previous_site() {
    let a = sample();
    assert_eq!(a.run(&["build"]).code, 0);
    let before = a.tree("public");
    let a = a.pm("broken", "+++\ntitle = \n+++\n");
    let run = a.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("the site in"), "{}", run.stderr);
    assert_eq!(a.tree("public"), before);
}

#[test]
fn a_build_with_a_broken_template_keeps_the_previous_site() {
    let a = sample();
    assert_eq!(a.run(&["build"]).code, 0);
    let before = a.tree("public");
    let a = a.file("themes/default/templates/postmortem.html", "{% if %}");
    let run = a.run(&["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("templates do not compile"),
        "{}",
        run.stderr
    );
    assert_eq!(a.tree("public"), before);
    let leftovers: Vec<_> = fs::read_dir(a.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let a = sample();
    assert_eq!(a.run(&["build", "--out", "one", "-j", "1"]).code, 0);
    assert_eq!(a.run(&["build", "--out", "two", "-j", "4"]).code, 0);
    let one = a.tree("one");
    assert!(one.len() > 10);
    assert_eq!(one, a.tree("two"));
}

#[test]
fn drafts_are_published_only_when_asked() {
    let a = Archive::new().pm("2024-a", &minimal("", ""));
    assert_eq!(a.run(&["build"]).code, 0);
    assert!(!a.root().join("public/pm/2024-a/index.html").exists());
    assert_eq!(a.run(&["build", "--drafts"]).code, 0);
    assert!(a.root().join("public/pm/2024-a/index.html").exists());
}

#[test]
fn theme_files_in_the_archive_override_the_embedded_ones() {
    let a = sample().file("themes/default/static/style.css", "body { color: red }");
    assert_eq!(a.run(&["build"]).code, 0);
    assert_eq!(
        fs::read_to_string(a.root().join("public/static/style.css")).unwrap(),
        "body { color: red }"
    );
}

#[test]
fn script_in_a_source_never_reaches_the_page_as_script() {
    let hostile = minimal(
        "tags = [\"<script>alert('tag')</script>\"]\nowner = \"\\\"><img src=x onerror=alert(1)>\"\n[links]\nchat = \"javascript:alert('link')\"\n",
        "## Summary\n\n<script>alert('body')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n[click](javascript:alert('md')) <a href=\"javascript:alert(2)\">a</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n",
    )
    .replace("Disk full on the build cache", "<script>alert('title')</script>");
    let a = Archive::new().pm("x", &hostile);
    let run = a.run(&["build", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (path, bytes) in a.tree("public") {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        for needle in [
            "<script>alert",
            "<iframe",
            "<img src=x",
            "=\"javascript:",
            "<a href=\"javascript",
        ] {
            assert!(!html.contains(needle), "{path} contains {needle}");
        }
    }
    let page = fs::read_to_string(a.root().join("public/pm/x/index.html")).unwrap();
    assert!(
        page.contains("<h1>&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;</h1>"),
        "{page}"
    );
    assert!(
        page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
}

#[test]
fn nothing_outside_the_archive_is_read_or_written() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let a = Archive::new().file(
        "content/x/index.md",
        minimal(
            "tags = [\"../../../escape\"]\nservices = [\"..\"]\n",
            &format!(
                "## Summary\n\n![a](../../secret.txt) [b]({}/secret.txt) [c](../x/../../../secret.txt)\n",
                outside.path().display()
            ),
        ),
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        a.root().join("content/x/link.txt"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        // A link is an error that shows neither its target nor what it points to.
        let run = a.run(&["build", "--drafts"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("error[symbolic-link]"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("secret\n"), "{}", run.stderr);
        fs::remove_file(a.root().join("content/x/link.txt")).unwrap();
    }
    let run = a.run(&["build", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("points outside the post-mortem"),
        "{}",
        run.stderr
    );
    let site = a.tree("public");
    assert!(site.values().all(|bytes| bytes != b"secret"));
    assert!(!site.contains_key("pm/x/link.txt"));
    assert!(
        site.contains_key("tags/escape/index.html"),
        "{:?}",
        site.keys().collect::<Vec<_>>()
    );
    assert!(!site.keys().any(|k| k.contains("..")));
    let entries: Vec<_> = fs::read_dir(a.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
}

#[test]
fn base_url_can_be_overridden() {
    let a = sample();
    let run = a.run(&["build", "--base-url", "https://pm.example.org/archive/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = fs::read_to_string(a.root().join("public/404.html")).unwrap();
    assert!(
        page.contains("href=\"/archive/static/style.css\""),
        "{page}"
    );
}

#[test]
fn long_backlogs_are_cut_in_digests_and_paged_in_actions() {
    let mut front = String::from("owner = \"Ana\"\nresolved = 2024-03-12T10:00:00Z\n");
    for i in 0..205 {
        front.push_str(&format!(
            "\n[[actions]]\ntitle = \"Action {i:03}\"\nticket = \"OPS-{i}\"\ndue = 2024-03-13\n"
        ));
    }
    let a = Archive::new().pm(
        "2024-03-12-backlog",
        &minimal(&front, "## Summary\n\nx\n").replace("Draft", "In Review"),
    );
    let run = a.run(&["build", "--now", "2024-04-01T00:00:00Z"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = fs::read_to_string(a.root().join("public/digest/2024-W11/index.html")).unwrap();
    assert!(digest.contains("185 more</a>"), "{digest}");
    let actions = fs::read_to_string(a.root().join("public/actions/index.html")).unwrap();
    assert!(actions.contains("1–200 of 205"), "{actions}");
    let second = fs::read_to_string(a.root().join("public/actions/page/2/index.html")).unwrap();
    assert!(
        second.contains("Action 204") && second.contains("href=\"../../\""),
        "{second}"
    );
}

#[test]
fn a_build_without_base_url_warns_once_and_shows_the_fix() {
    let a = sample();
    let run = a.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("warning[missing-base-url]").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--base-url URL"), "{}", run.stderr);
    let run = a.run(&["build", "--base-url", "https://pm.example.com/"]);
    assert!(!run.stderr.contains("missing-base-url"), "{}", run.stderr);
    let feed = fs::read_to_string(a.root().join("public/feed.xml")).unwrap();
    assert!(feed.contains("https://pm.example.com/pm/"), "{feed}");
    // `check` judges the sources, not where the site will live.
    assert!(!a.run(&["check"]).stderr.contains("missing-base-url"));
}

/// A review set for a day after its deadline: the rules, the home page and the digest agree.
#[test]
fn a_meeting_scheduled_after_its_deadline_is_late_everywhere() {
    let a = Archive::new()
        .file("blameless.toml", "base_url = \"https://pm.example.com\"\n")
        .pm(
            "2024-03-12-late",
            &minimal(
                "resolved = 2024-03-12T11:00:00Z\nowner = \"Ana\"\n[meeting]\nat = 2024-04-05T10:00:00Z\n",
                "## Summary\n\nx\n",
            )
            .replace("SEV-3", "SEV-2")
            .replace("Draft", "In Review"),
        );
    let now = ["--now", "2024-03-25T12:00:00Z"];
    let check = a.run(&["check", "--format", "json", now[0], now[1]]);
    assert!(
        check.stdout.contains("\"meeting-late\""),
        "{}",
        check.stdout
    );
    assert!(
        !check.stdout.contains("\"meeting-overdue\""),
        "{}",
        check.stdout
    );
    let run = a.run(&["build", now[0], now[1]]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let home = fs::read_to_string(a.root().join("public/index.html")).unwrap();
    assert!(
        home.contains("review due 2024-03-19, meeting set for 2024-04-05, 17 days late"),
        "{home}"
    );
    let digest = a.run(&[
        "digest",
        "--since",
        "2024-03-18",
        "--until",
        "2024-03-24",
        now[0],
        now[1],
    ]);
    let message = mail_parser::MessageParser::default()
        .parse(digest.stdout.as_bytes())
        .unwrap();
    // why: the text part is filled at 72 columns; the sentence may run over two lines.
    let text = message.body_text(0).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("review due 2024-03-19, meeting set for 2024-04-05, 17 days late"),
        "{text}"
    );
}

#[test]
fn the_site_catalog_leaves_out_the_bodies_and_export_has_them() {
    let a = Archive::new()
        .pm(
            "a",
            &minimal(
                "",
                "## Summary\n\nThe disk filled.\n\n## Timeline\n\n- 09:41 UTC disk full\n",
            ),
        )
        .pm("b", &minimal("", "## Summary\n\nA draft.\n"));
    let run = a.run(&["build", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(a.root().join("public/postmortems.json")).unwrap(),
    )
    .unwrap();
    let entry = &site["postmortems"][0];
    assert_eq!(entry["title"], "Disk full on the build cache");
    assert!(entry.get("sections").is_none() && entry.get("timeline").is_none());

    let run = a.run(&["export"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let export: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        export["postmortems"].as_array().unwrap().len(),
        0,
        "drafts stay out"
    );
    let run = a.run(&["export", "--drafts"]);
    let export: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let a_entry = export["postmortems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "a")
        .unwrap();
    assert_eq!(
        a_entry["sections"][0]["markdown"].as_str().unwrap().trim(),
        "The disk filled."
    );
    assert_eq!(a_entry["timeline"][0]["time"], "2024-03-12T09:41:00+00:00");
}
