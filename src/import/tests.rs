//! Tests of the whole conversion of one report: what is recovered, what is marked as guessed,
//! and that `check` accepts what is written.

use super::*;

fn now() -> DateTime<Utc> {
    "2024-11-14T16:00:00Z".parse().unwrap()
}

fn convert_with(stem: &str, text: &str, config: &Config) -> Converted {
    let converted = convert(&Input {
        path: &format!("old/{stem}.md"),
        stem,
        text,
        config,
        default_severity: "SEV-3",
        now: now(),
    });
    assert!(
        !converted
            .report
            .problems
            .iter()
            .any(|p| p.starts_with("check: error")),
        "{:?}\n{}",
        converted.report.problems,
        converted.source
    );
    converted
}

fn run(stem: &str, text: &str) -> Converted {
    convert_with(stem, text, &Config::default())
}

fn parsed(converted: &Converted) -> crate::postmortem::PostMortem {
    crate::testing::parse(&converted.id, &converted.source, &Config::default())
}

fn guessed(converted: &Converted, field: &str) -> Option<String> {
    converted
        .report
        .guesses
        .iter()
        .find(|g| g.field == field)
        .map(|g| g.from.clone())
}

#[test]
fn title_prefixes_go_into_the_id_and_the_date() {
    assert_eq!(
        split_title("Incident on 2020-04-15 - Database failover"),
        (
            "Database failover".into(),
            NaiveDate::from_ymd_opt(2020, 4, 15),
            None
        )
    );
    assert_eq!(
        split_title("PM2020-002 - KIAM service disruption"),
        (
            "KIAM service disruption".into(),
            None,
            Some("PM2020-002".into())
        )
    );
    assert_eq!(
        split_title("INC-1234: Checkout errors"),
        ("Checkout errors".into(), None, Some("INC-1234".into()))
    );
    assert_eq!(
        split_title("2018-03-26 Postmortem: Cache stampede"),
        (
            "Cache stampede".into(),
            NaiveDate::from_ymd_opt(2018, 3, 26),
            None
        )
    );
    assert_eq!(
        split_title("Postmortem for ADSync migration"),
        ("ADSync migration".into(), None, None)
    );
    assert_eq!(
        split_title("[OPS-12] Disk full"),
        ("Disk full".into(), None, Some("OPS-12".into()))
    );
    assert_eq!(split_title("ALB 502 Errors").0, "ALB 502 Errors");
    assert_eq!(split_title("Incident report").0, "Incident report");
    assert_eq!(split_title("500 errors on login").0, "500 errors on login");
}

#[test]
fn the_title_is_the_front_matter_s_else_the_first_h1_else_the_file_name() {
    let c = run(
        "x",
        "---\ntitle: From front matter\n---\n# From the heading\n",
    );
    assert_eq!(c.report.title, "From front matter");
    assert!(c.source.contains("\n# From the heading\n"), "{}", c.source);
    let c = run("x", "---\ntitle: Same\n---\n# Same\n\ntext\n");
    assert!(!c.source.contains("# Same"), "{}", c.source);
    let c = run(
        "PM2021-004 - ADFS outage",
        "# ADFS Outage\n\n## Summary\n\nx\n",
    );
    assert_eq!(c.report.title, "ADFS Outage");
    assert_eq!(c.id, "pm2021-004-adfs-outage");
    assert!(guessed(&c, "title").is_none());
    let c = run("2018-03-26-cache-stampede", "Some text.\n");
    assert_eq!(c.report.title, "Cache stampede");
    assert_eq!(guessed(&c, "title").as_deref(), Some("the file name"));
    assert!(c
        .source
        .contains("title = \"Cache stampede\"   # guessed: from the file name"));
    assert_eq!(c.id, "2018-03-26-cache-stampede");
}

#[test]
fn started_comes_from_front_matter_first() {
    let c = run("x", "---\ntitle: DB\ndate: 2021-05-26 14:03\ntimezone: Europe/Berlin\n---\n## Timeline\n\n- 2021-05-20 10:00 earlier row\n");
    assert_eq!(c.report.started, "2021-05-26T14:03:00+02:00");
    assert!(guessed(&c, "started").is_none());
    assert!(c.source.contains("timezone = \"Europe/Berlin\""));
}

#[test]
fn started_and_resolved_come_from_key_event_lines() {
    let text = "# Cache down\n\nAll times in UTC.\n\n## Key events\n\n- Fault occurs 2020-04-15 07:15\n- Detected 2020-04-15 07:20\n- Resolved 2020-04-15 09:00\n";
    let pm = parsed(&run("x", text));
    assert_eq!(pm.started.to_rfc3339(), "2020-04-15T07:15:00+00:00");
    assert_eq!(
        pm.detected.unwrap().to_rfc3339(),
        "2020-04-15T07:20:00+00:00"
    );
    assert_eq!(
        pm.resolved.unwrap().to_rfc3339(),
        "2020-04-15T09:00:00+00:00"
    );
}

#[test]
fn a_date_line_and_the_first_timeline_row_give_the_day_and_the_time() {
    let text = "# Login errors\n\nDate: March 3, 2022\n\n## Timeline\n\nAll times in CET.\n\n- 10:34 first alert\n- 11:00 fixed\n";
    let c = run("x", text);
    assert_eq!(c.report.started, "2022-03-03T10:34:00+01:00");
    assert!(guessed(&c, "started")
        .unwrap()
        .contains("the first timeline row"));
}

#[test]
fn started_is_the_first_timeline_row_in_the_zone_the_report_names() {
    let text = "# KIAM down\n\n## Timeline\n\nAll times in CET.\n\n| Time | Event |\n| --- | --- |\n| 2020-01-21 15:36 | Certificate expires |\n| 2020-01-21 16:02 | First alert |\n| 2020-01-21 18:04 | Service restored |\n";
    let pm = parsed(&run("x", text));
    assert_eq!(pm.started.to_rfc3339(), "2020-01-21T15:36:00+01:00");
    assert_eq!(
        pm.detected.unwrap().to_rfc3339(),
        "2020-01-21T16:02:00+01:00"
    );
    assert_eq!(
        pm.resolved.unwrap().to_rfc3339(),
        "2020-01-21T18:04:00+01:00"
    );
    assert_eq!(pm.timeline.entries.len(), 3);
}

#[test]
fn a_first_row_with_a_date_but_no_time_gives_the_day() {
    let text = "# X\n\n## Timeline\n\nAll times in UTC.\n\n| Time | Event |\n| --- | --- |\n| 2021-12-10 | Vulnerability published |\n| 2021-12-10 15:40 | We learn of it |\n";
    let c = run("x", text);
    assert_eq!(c.report.started, "2021-12-10T00:00:00+00:00");
    assert!(guessed(&c, "started")
        .unwrap()
        .contains("the first timeline row's date"));
}

#[test]
fn a_zone_in_the_timeline_heading_is_the_report_s_zone() {
    let text = "# X\n\n## Timeline (all times PDT)\n\n- 2020-04-15 10:00 paged\n";
    let c = run("x", text);
    assert_eq!(c.report.started, "2020-04-15T10:00:00-07:00");
    assert!(guessed(&c, "started").is_none());
}

#[test]
fn a_zone_written_after_the_times_is_the_report_s_zone() {
    let text = "# X\n\n## Timeline\n\n- 2020-04-15 04:49 PM PDT paged\n- 05:10 PM PDT fixed\n";
    let c = run("x", text);
    assert_eq!(c.report.started, "2020-04-15T16:49:00-07:00");
    assert!(guessed(&c, "started").is_none());
}

#[test]
fn started_falls_back_to_the_file_name_in_its_forms() {
    for (stem, day) in [
        ("2018-03-26-db-outage", "2018-03-26"),
        ("5-26-21-cache-stampede", "2021-05-26"),
        ("7-14-2016 DNS failure", "2016-07-14"),
    ] {
        let c = run(stem, "# Something broke\n\nNo times at all.\n");
        assert_eq!(&c.report.started[..10], day, "{stem}");
        assert!(
            guessed(&c, "started").unwrap().contains("the file name"),
            "{stem}"
        );
        assert!(c
            .source
            .contains("# guessed: from the file name, at midnight"));
    }
    let c = run("notes", "# Incident on 2019-02-01 - Queue backlog\n");
    assert_eq!(c.report.title, "Queue backlog");
    assert_eq!(&c.report.started[..10], "2019-02-01");
    let c = run("PM2020-003 - Queue backlog", "# Queue backlog\n");
    assert_eq!(c.report.started, "2020-01-01T00:00:00+00:00");
    assert!(guessed(&c, "started").unwrap().contains("the year"));
    let c = run("notes", "# Queue backlog\n");
    assert!(guessed(&c, "started").unwrap().contains("states no date"));
    assert_eq!(c.report.started, "2024-11-14T16:00:00+00:00");
}

#[test]
fn severity_is_read_from_the_text_and_mapped_through_the_scale() {
    for (text, expected) in [
        ("# X\n\nThis was a SEV-1 incident.\n", "SEV-1"),
        ("# X\n\nSeverity: high\n", "SEV-2"),
        ("# [P2] Queue backlog\n", "SEV-2"),
        ("# X\n\n**Priority:** P3\n", "SEV-3"),
        ("---\nseverity: critical\n---\n# X\n", "SEV-1"),
        ("# X\n\nsev2 declared\n", "SEV-2"),
    ] {
        let pm = parsed(&run("x", text));
        assert_eq!(pm.severity.name, expected, "{text}");
        assert!(!pm.tags.contains(&"severity-not-stated".to_string()));
    }
}

#[test]
fn an_unstated_severity_is_the_default_with_a_tag() {
    let c = run(
        "x",
        "# X\n\nTwo teams were busy with other severity 1 work.\n",
    );
    let pm = parsed(&c);
    assert_eq!(pm.severity.name, "SEV-3");
    assert!(pm.tags.contains(&"severity-not-stated".to_string()));
    assert!(guessed(&c, "severity")
        .unwrap()
        .contains("states no severity"));
}

#[test]
fn a_custom_scale_maps_words_by_rank() {
    let config = Config::parse(
        "[[severity]]\nname = \"Critical\"\n[[severity]]\nname = \"Major\"\naliases = [\"P2\"]\n[[severity]]\nname = \"Minor\"\n",
        Path::new("blameless.toml"),
    )
    .unwrap();
    assert_eq!(map_severity("P2", &config).as_deref(), Some("Major"));
    assert_eq!(map_severity("low", &config).as_deref(), Some("Minor"));
    assert_eq!(map_severity("SEV-1", &config).as_deref(), Some("Critical"));
    assert_eq!(map_severity("purple", &config), None);
}

#[test]
fn sections_of_real_reports_are_recognised_and_kept_as_written() {
    let text = "# X\n\n## Issue Summary\n\nIt **broke**.\n\n## Fallout\n\nOrders failed.\n\n## Root Cause(s)\n\n- a cache\n\n## Resolution and recovery\n\nRolled back.\n\n## Lessons learned\n\n### What went well\n\n- alerts\n\n### What went wrong\n\n- paging\n";
    let pm = parsed(&run("x", text));
    let kinds: Vec<_> = pm.sections.iter().filter_map(|s| s.kind).collect();
    use SectionKind::*;
    assert_eq!(
        kinds,
        [
            Summary,
            Impact,
            ContributingFactors,
            Resolution,
            LessonsLearned,
            WhatWentWell,
            WhatWentWrong
        ]
    );
    let summary = pm
        .sections
        .iter()
        .find(|s| s.kind == Some(Summary))
        .unwrap();
    assert!(summary.markdown().contains("It **broke**."));
}

#[test]
fn the_three_timeline_shapes_become_rows() {
    let table = "# X\n\n## Timeline\n\n| Time (UTC) | Event |\n| --- | --- |\n| 2020-04-15 12:45 | paged |\n| 2020-04-15 12:50 | acked |\n";
    let list = "# X\n\n## Timeline\n\n2020-04-15 12:45 UTC - paged\n12:50 UTC - acked\n\n- 04:49 PM UTC rolled back\n";
    let headings = "# X\n\nDate: 2020-04-15\n\n## Timeline\n\n### 10:34\n\nThe queue\nfilled.\n\n### 10:50\n\nDrained.\n";
    for (text, rows) in [(table, 2), (list, 3), (headings, 2)] {
        let c = run("x", text);
        let pm = parsed(&c);
        assert_eq!(pm.timeline.entries.len(), rows, "{}", c.source);
        assert!(
            pm.timeline.entries.iter().all(|e| e.time.is_some()),
            "{}",
            c.source
        );
        assert_eq!(c.report.timeline_times, rows);
    }
    let pm = parsed(&run("x", headings));
    assert_eq!(pm.timeline.entries[0].event, "The queue filled.");
    assert_eq!(pm.started.to_rfc3339(), "2020-04-15T10:34:00+00:00");
}

#[test]
fn actions_become_action_tables_with_status_and_ticket() {
    let text = "# X\n\n## Action Items\n\n- [done] Rotate the key OPS-12\n- [ ] Add an alert\n* [x] Document it in [the wiki](https://wiki.example.com/a)\n\n## Notes\n\nTODO: tune the pool\n";
    let c = run("x", text);
    let pm = parsed(&c);
    let actions: Vec<_> = pm
        .actions
        .iter()
        .map(|a| (a.title.as_str(), a.status, a.ticket.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [
            ("Rotate the key OPS-12", ActionStatus::Done, Some("OPS-12")),
            ("Add an alert", ActionStatus::Open, None),
            (
                "Document it in the wiki",
                ActionStatus::Done,
                Some("https://wiki.example.com/a")
            ),
            ("tune the pool", ActionStatus::Open, None),
        ]
    );
    assert!(
        c.source.contains("- [done] Rotate the key OPS-12"),
        "the section stays as written"
    );
}

#[test]
fn links_images_code_and_tables_are_kept_and_images_point_into_the_bundle() {
    let text = "# X\n\n## Summary\n\nSee ![graph](images/graph.png) and ![spaced](my%20shot.png) and ![up](../shared/up.png \"Up\") and [logs](https://logs.example.com).\n\n```sh\n## not a heading\nkubectl get pods\n```\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n";
    let c = run("x", text);
    assert_eq!(
        c.images,
        [
            Image {
                from: "images/graph.png".into(),
                to: "images/graph.png".into()
            },
            Image {
                from: "my shot.png".into(),
                to: "my shot.png".into()
            },
            Image {
                from: "../shared/up.png".into(),
                to: "up.png".into()
            },
        ]
    );
    assert!(c.source.contains("![graph](images/graph.png)"));
    assert!(c.source.contains("![spaced](my%20shot.png)"));
    assert!(c.source.contains("![up](up.png \"Up\")"));
    assert!(c.source.contains("[logs](https://logs.example.com)"));
    assert!(c
        .source
        .contains("```sh\n## not a heading\nkubectl get pods\n```"));
    assert!(c.source.contains("| 1 | 2 |"));
    assert!(c.source.contains("[links]\nsource = \"old/x.md\""));
}

#[test]
fn key_times_out_of_order_are_dropped_rather_than_written() {
    let text =
        "# X\n\nAll times in UTC.\n\n- Started: 2020-04-15 10:00\n- Resolved: 2020-04-15 09:00\n";
    let c = run("x", text);
    assert!(parsed(&c).resolved.is_none());
    assert!(
        c.report.problems.iter().any(|p| p.contains("`resolved`")),
        "{:?}",
        c.report.problems
    );
}

#[test]
fn the_written_source_of_a_bare_text_passes_check() {
    let c = run("weird", "");
    assert_eq!(c.report.title, "Weird");
    let c = run("x", "---\nnot closed\n\n# T\n");
    assert_eq!(c.report.title, "T");
    let c = run(
        "x",
        "+++\ntitle = 3\nauthors = [\"a\"]\n+++\n## Summary\n\nx\n",
    );
    assert_eq!(c.report.title, "3");
}

#[test]
fn a_guess_quoting_control_characters_keeps_the_front_matter_valid() {
    // why: the severity line's pattern starts at any space, so a match can take in the line
    // break before it, or a control character a report happens to hold.
    for control in ['\n', '\u{b}', '\u{c}', '\r'] {
        let converted = run("x", &format!("* {control}SEV-5\n"));
        assert!(
            converted
                .source
                .contains("# guessed: from the line `*  SEV-5`"),
            "{}",
            converted.source
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Untidy input never panics, and what is written always passes `check`.
    #[test]
    fn any_text_converts_into_a_source_that_passes_check(
        text in "(# |## |### |- |\\* |\\| |---\n|\\+\\+\\+\n|2020-04-1[0-9] |1[0-9]:[0-5][0-9] |UTC |CEST |SEV-[0-9] |P[0-4] |Severity: |Date: |TODO: |\\[x\\] |!\\[i\\]\\(\\.\\./a\\.png\\) |```\n|Timeline|Action items|Summary|\\*\\*|[a-zé]{1,6} |\\n){0,60}",
        stem in "[A-Za-z0-9 ._-]{0,20}",
    ) {
        run(&stem, &text);
    }
}

#[test]
fn the_owner_and_commander_come_from_front_matter_or_labelled_lines() {
    let c = run("x", "# X\n\n**Authors:** Dee Park, Eli Moss\nIncident commander: @Ben Ode\n\n## Summary\n\nOwner: not this one\n");
    let pm = parsed(&c);
    assert_eq!(pm.owner.as_deref(), Some("Dee Park"));
    assert_eq!(pm.incident_commander.as_deref(), Some("Ben Ode"));
    assert!(guessed(&c, "owner").unwrap().contains("**Authors:**"));
    let c = run("x", "---\nauthor: Chen Li\n---\n# X\n");
    assert_eq!(parsed(&c).owner.as_deref(), Some("Chen Li"));
    assert!(guessed(&c, "owner").is_none());
}

#[test]
fn an_sre_book_style_report_keeps_its_zone_and_action_table() {
    let text = "# Shakespeare Sonnet++ Postmortem (incident #465)\n\n## Summary\n\nSearch was down.\n\n## Action Items\n\n| Action Item | Type | Owner | Bug |\n| --- | --- | --- | --- |\n| Update playbook with instructions for responding to cascading failure | mitigate | jennifer | n/a **DONE** |\n| Use flux capacitor to balance load between clusters | prevent | martin | Bug 5554823 **TODO** |\n\n## Timeline\n\n### 2015-10-21 (all times US/Pacific)\n\n14:51 News reports that a new Shakespearean sonnet has been discovered\n14:53 Traffic to Shakespeare search increases by 88x\n";
    let c = run("shakespeare", text);
    let pm = parsed(&c);
    assert_eq!(pm.title, "Shakespeare Sonnet++ Postmortem (incident #465)");
    assert_eq!(pm.started.to_rfc3339(), "2015-10-21T14:51:00-07:00");
    assert!(
        c.source.contains("timezone = \"US/Pacific\""),
        "{}",
        c.source
    );
    assert_eq!(pm.timeline.entries.len(), 2);
    let titles: Vec<&str> = pm.actions.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Update playbook with instructions for responding to cascading failure",
            "Use flux capacitor to balance load between clusters"
        ]
    );
}
