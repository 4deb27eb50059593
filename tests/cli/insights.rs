//! `/insights/`, `insights.json` and `blameless insights`: one set of figures, wherever it is
//! read, on an archive with a repeat incident.

use crate::harness::{minimal, Archive};

const NOW: &str = "2024-06-01T00:00:00Z";

/// Every `<svg>` of a page, parsed by an XML parser: panics on one that is not well-formed.
pub fn charts(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("a closed svg") + start + 6;
        let svg = &rest[start..end];
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        assert!(
            root.children().any(|n| n.has_tag_name("title")),
            "a chart without a title"
        );
        out.push(svg.to_string());
        rest = &rest[end..];
    }
    out
}

/// Three incidents of the build cache, the second repeating the first, and one of the CDN.
fn archive() -> Archive {
    let pm = |started: &str, resolved: &str, service: &str, extra: &str| {
        minimal(
            &format!(
                "resolved = {resolved}\nowner = \"Ana Ruiz\"\nservices = [\"{service}\"]\ncauses = [\"capacity\"]\ndetection = \"alert\"\n{extra}"
            ),
            "## Summary\n\nThe build cache filled up.\n",
        )
        .replace("Draft", "In Review")
        .replace("2024-03-12T09:41:00Z", started)
    };
    Archive::new()
        .pm(
            "2024-03-12-cache-full",
            &pm(
                "2024-03-12T09:00:00Z",
                "2024-03-12T10:00:00Z",
                "build-cache",
                "\n[[actions]]\ntitle = \"Evict old layers daily\"\nkind = \"prevent\"\npriority = \"P1\"\nticket = \"OPS-7\"\n",
            ),
        )
        .pm(
            "2024-04-02-cache-full-again",
            &pm(
                "2024-04-02T09:00:00Z",
                "2024-04-02T13:00:00Z",
                "build-cache",
                "",
            ),
        )
        .pm(
            "2024-05-20-cdn-purge",
            &pm(
                "2024-05-20T09:00:00Z",
                "2024-05-20T09:30:00Z",
                "cdn",
                "",
            ),
        )
}

#[test]
fn the_page_the_json_and_the_command_show_the_same_figures() {
    let a = archive();
    let build = a.run(&["build", "--now", NOW]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let page = std::fs::read_to_string(a.root().join("public/insights/index.html")).unwrap();
    assert!(charts(&page).len() >= 8);
    assert!(
        page.contains("OPS-7, open for 21 days"),
        "the repeat is listed"
    );
    let site_json =
        std::fs::read_to_string(a.root().join("public/insights/insights.json")).unwrap();
    let cli = a.run(&["insights", "--json", "--now", NOW]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    assert_eq!(cli.stdout, site_json, "the command and the site agree");

    let json: serde_json::Value = serde_json::from_str(&cli.stdout).unwrap();
    assert_eq!(json["incidents"], 3);
    // Resolved after 60, 240 and 30 minutes: the median is 60, the 90th percentile 240.
    assert_eq!(json["durations"]["all"][2]["median"], 60.0);
    assert_eq!(json["durations"]["all"][2]["p90"], 240.0);
    assert_eq!(json["repeats"][0]["id"], "2024-04-02-cache-full-again");

    let csv = std::fs::read_to_string(a.root().join("public/insights/insights.csv")).unwrap();
    assert!(csv.starts_with("figure,group,period,value\n"), "{csv}");
    assert!(
        csv.contains("time_to_resolve_median_minutes,all,,60\n"),
        "{csv}"
    );

    let repeat = std::fs::read_to_string(
        a.root()
            .join("public/pm/2024-04-02-cache-full-again/index.html"),
    )
    .unwrap();
    assert!(repeat.contains("Repeat incident"), "the later page says so");
    let earlier =
        std::fs::read_to_string(a.root().join("public/pm/2024-03-12-cache-full/index.html"))
            .unwrap();
    assert!(
        earlier.contains("Repeated by"),
        "the earlier page links forward"
    );
    assert!(earlier.contains("href=\"../../pm/2024-04-02-cache-full-again/\""));
    let facet =
        std::fs::read_to_string(a.root().join("public/services/build-cache/index.html")).unwrap();
    assert_eq!(charts(&facet).len(), 1, "the facet's volume chart");
    assert!(facet.contains("Median time to resolve"));
}

#[test]
fn the_report_narrows_to_a_service_and_a_period() {
    let a = archive();
    let all = a.run(&["insights", "--now", NOW]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(
        all.stdout
            .contains("3 incidents from 2024-03-12 to 2024-05-20"),
        "{}",
        all.stdout
    );
    assert!(
        all.stdout.contains(
            "2024-04-02-cache-full-again repeats 2024-03-12-cache-full: OPS-7, open for 21 days"
        ),
        "{}",
        all.stdout
    );
    let cache = a.run(&["insights", "--service", "build-cache", "--now", NOW]);
    assert!(
        cache
            .stdout
            .contains("2 incidents from 2024-03-12 to 2024-04-02"),
        "{}",
        cache.stdout
    );
    let may = a.run(&[
        "insights",
        "--since",
        "2024-05-01",
        "--until",
        "2024-05-31",
        "--now",
        NOW,
    ]);
    assert!(
        may.stdout
            .contains("1 incident from 2024-05-20 to 2024-05-20"),
        "{}",
        may.stdout
    );
    assert!(
        may.stdout
            .contains("Repeat incidents\n----------------\nnone"),
        "{}",
        may.stdout
    );
    let none = a.run(&["insights", "--since", "2025-01-01", "--now", NOW]);
    assert_eq!(none.code, 0);
    assert!(
        none.stdout.contains("No incidents in this selection."),
        "{}",
        none.stdout
    );

    let typo = a.run(&["insights", "--service", "build-cach", "--now", NOW]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr
            .contains("no post-mortem lists the service `build-cach`: did you mean `build-cache`?"),
        "{}",
        typo.stderr
    );
    let backwards = a.run(&["insights", "--since", "2024-05-01", "--until", "2024-04-01"]);
    assert_eq!(backwards.code, 2);
}

#[test]
fn the_repeat_is_a_warning_until_the_later_post_mortem_links_the_earlier() {
    let a = archive();
    let run = a.run(&["check", "--now", NOW]);
    assert!(
        run.stderr.contains("warning[repeat-incident]"),
        "{}",
        run.stderr
    );
    let path = a.root().join("content/2024-04-02-cache-full-again.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "owner = ",
            "related = [\"2024-03-12-cache-full\"]\nowner = ",
        ),
    )
    .unwrap();
    let run = a.run(&["check", "--now", NOW]);
    assert!(!run.stderr.contains("repeat-incident"), "{}", run.stderr);
    let build = a.run(&["build", "--now", NOW]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let page = std::fs::read_to_string(
        a.root()
            .join("public/pm/2024-04-02-cache-full-again/index.html"),
    )
    .unwrap();
    assert!(
        page.contains("Repeat incident"),
        "still a repeat on the page"
    );
}

#[test]
fn the_page_lists_the_oldest_stale_actions_and_the_json_all_of_them() {
    let actions: String = (1..=55)
        .map(|n| {
            format!("\n[[actions]]\ntitle = \"Harden runner {n:02}\"\nkind = \"prevent\"\npriority = \"P1\"\n")
        })
        .collect();
    let a = archive().pm(
        "2024-01-08-runner-pool",
        &minimal(
            &format!("services = [\"ci\"]\n{actions}"),
            "## Summary\n\nRunners ran out.\n",
        )
        .replace("Draft", "In Review")
        .replace("2024-03-12T09:41:00Z", "2024-01-08T09:00:00Z"),
    );
    let build = a.run(&["build", "--now", NOW]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let page = std::fs::read_to_string(a.root().join("public/insights/index.html")).unwrap();
    let stale = page
        .split("<ul class=\"plain stale\">")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("the stale actions are listed");
    // 56 stale actions: the 55 of January first (the oldest), then OPS-7 of March.
    assert_eq!(stale.matches("<li>").count(), 50);
    assert!(!stale.contains("OPS-7"), "the newest is left out");
    assert!(
        page.contains("… and 6 more: every one is in <a href=\"insights.json\">insights.json</a>"),
        "the page says how many it left out"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(a.root().join("public/insights/insights.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["actions"]["stale"].as_array().unwrap().len(), 56);
}
