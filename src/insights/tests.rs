//! Every figure against numbers worked out by hand on a small archive, and the edge cases.
//!
//! The archive (now = 2024-08-01, all times UTC):
//!
//! | id | severity | started | detect | mitigate | resolve | services | causes | detection |
//! |----|----------|---------|--------|----------|---------|----------|--------|-----------|
//! | a  | SEV-1 | 2024-01-10 10:00 | 10 min | 40 min | 120 min | checkout | deploy | monitoring |
//! | b  | SEV-2 | 2024-02-15 10:00 | 30 min | 60 min | 240 min | checkout, payments | deploy | customer-report |
//! | c  | SEV-2 | 2024-03-01 10:00 | —      | —      | 90 min  | search | capacity | — |
//! | d  | SEV-1 | 2024-04-05 10:00 | 5 min  | 20 min | 60 min  | checkout | config-change | alert |
//! | e  | SEV-3 | 2024-07-01 10:00 | —      | —      | —       | search | capacity | — |

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::config::Config;

fn pm(id: &str, front: &str) -> PostMortem {
    let text = format!("+++\ntitle = \"Incident {id}\"\nstatus = \"In Review\"\n{front}\n+++\n\n## Summary\n\nSomething broke.\n");
    crate::testing::parse(id, &text, &Config::default())
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-08-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

/// The post-mortems of `archive` as values, to change and build another archive from.
fn owned(archive: &Archive) -> Vec<PostMortem> {
    archive
        .postmortems
        .iter()
        .map(|pm| PostMortem::clone(pm))
        .collect()
}

fn archive() -> Archive {
    let postmortems = vec![
        pm(
            "a",
            r#"severity = "SEV-1"
started = 2024-01-10T10:00:00Z
detected = 2024-01-10T10:10:00Z
mitigated = 2024-01-10T10:40:00Z
resolved = 2024-01-10T12:00:00Z
services = ["checkout"]
causes = ["deploy"]
detection = "monitoring"
customer_impact = true
external_message_posted = 2024-01-10T13:00:00Z
[meeting]
at = 2024-01-12T10:00:00Z
[[actions]]
title = "Canary every deploy"
kind = "prevent"
priority = "P1"
ticket = "OPS-1"
[[actions]]
title = "Alert on error rate"
kind = "detect"
priority = "P2"
done = 2024-02-01"#,
        ),
        pm(
            "b",
            r#"severity = "SEV-2"
started = 2024-02-15T10:00:00Z
detected = 2024-02-15T10:30:00Z
mitigated = 2024-02-15T11:00:00Z
resolved = 2024-02-15T14:00:00Z
services = ["checkout", "payments"]
causes = ["deploy"]
detection = "customer-report"
customer_impact = true
[meeting]
at = 2024-02-26T10:00:00Z
[[actions]]
title = "Roll back faster"
kind = "mitigate"
priority = "P2"
status = "done"
[[actions]]
title = "Weekly deploy review"
kind = "process"
status = "wontfix""#,
        ),
        pm(
            "c",
            r#"severity = "SEV-2"
started = 2024-03-01T10:00:00Z
resolved = 2024-03-01T11:30:00Z
services = ["search"]
causes = ["capacity"]"#,
        ),
        pm(
            "d",
            r#"severity = "SEV-1"
started = 2024-04-05T10:00:00Z
detected = 2024-04-05T10:05:00Z
mitigated = 2024-04-05T10:20:00Z
resolved = 2024-04-05T11:00:00Z
services = ["checkout"]
causes = ["config-change"]
detection = "alert"
[[actions]]
title = "Validate the config before rollout"
kind = "prevent"
priority = "P0"
ticket = "OPS-9"
due = 2024-05-01"#,
        ),
        pm(
            "e",
            r#"severity = "SEV-3"
started = 2024-07-01T10:00:00Z
services = ["search"]
causes = ["capacity"]"#,
        ),
    ];
    Archive::new(Config::default(), postmortems, now())
}

fn everything(archive: &Archive) -> Insights {
    let analysis = Analysis::new(archive);
    let scope: Vec<usize> = (0..archive.postmortems.len()).collect();
    figures(archive, &analysis, &scope)
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn medians_and_percentiles_follow_their_definitions() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[3.0]), Some(3.0));
    assert_eq!(median(&[1.0, 2.0, 10.0, 40.0]), Some(6.0));
    assert_eq!(percentile(&[5.0, 10.0, 30.0], 90), Some(30.0));
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(percentile(&ten, 90), Some(9.0));
    assert_eq!(percentile(&[7.0], 90), Some(7.0));
    assert_eq!(percentile(&[], 90), None);
}

#[test]
fn incidents_per_month_by_severity() {
    let figures = everything(&archive());
    assert_eq!(figures.incidents, 5);
    assert_eq!(figures.first, Some(day("2024-01-10")));
    assert_eq!(figures.last, Some(day("2024-07-01")));
    assert_eq!(figures.volume.granularity, Granularity::Month);
    let rows: Vec<(&str, &[usize])> = figures
        .volume
        .periods
        .iter()
        .map(|p| (p.period.as_str(), p.by_severity.as_slice()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2024-01", &[1, 0, 0, 0][..]),
            ("2024-02", &[0, 1, 0, 0]),
            ("2024-03", &[0, 1, 0, 0]),
            ("2024-04", &[1, 0, 0, 0]),
            ("2024-05", &[0, 0, 0, 0]),
            ("2024-06", &[0, 0, 0, 0]),
            ("2024-07", &[0, 0, 1, 0]),
        ]
    );
}

#[test]
fn durations_per_severity_are_medians_and_90th_percentiles() {
    let figures = everything(&archive());
    let summary = |stat: &Stat| (stat.count, stat.median, stat.p90);
    let [detect, mitigate, resolve] = &figures.durations.by_severity[0];
    assert_eq!(summary(detect), (2, Some(7.5), Some(10.0)));
    assert_eq!(summary(mitigate), (2, Some(30.0), Some(40.0)));
    assert_eq!(summary(resolve), (2, Some(90.0), Some(120.0)));
    let [detect, mitigate, resolve] = &figures.durations.by_severity[1];
    assert_eq!(summary(detect), (1, Some(30.0), Some(30.0)));
    assert_eq!(summary(mitigate), (1, Some(60.0), Some(60.0)));
    assert_eq!(summary(resolve), (2, Some(165.0), Some(240.0)));
    let [detect, _, resolve] = &figures.durations.by_severity[2];
    assert_eq!(summary(detect), (0, None, None), "SEV-3 has no times");
    assert_eq!(summary(resolve), (0, None, None));
    let [detect, _, resolve] = &figures.durations.all;
    assert_eq!(summary(detect), (3, Some(10.0), Some(30.0)));
    assert_eq!(detect.values, [5.0, 10.0, 30.0]);
    assert_eq!(summary(resolve), (4, Some(105.0), Some(240.0)));
    let trend: Vec<(&str, [Option<f64>; 3])> = figures
        .durations
        .trend
        .iter()
        .map(|q| (q.quarter.as_str(), q.medians))
        .collect();
    assert_eq!(
        trend,
        [
            ("2024-Q1", [Some(20.0), Some(50.0), Some(120.0)]),
            ("2024-Q2", [Some(5.0), Some(20.0), Some(60.0)]),
            ("2024-Q3", [None, None, None]),
        ]
    );
}

#[test]
fn detection_per_quarter_with_the_share_customers_found() {
    let figures = everything(&archive());
    assert_eq!(
        detection_names(),
        [
            "monitoring",
            "alert",
            "customer-report",
            "internal-report",
            "other",
            "not recorded"
        ]
    );
    let rows: Vec<(&str, &[usize], Option<f64>)> = figures
        .detection
        .iter()
        .map(|q| (q.quarter.as_str(), q.counts.as_slice(), q.customer_share))
        .collect();
    assert_eq!(
        rows,
        [
            ("2024-Q1", &[1, 0, 1, 0, 0, 1][..], Some(50.0)),
            ("2024-Q2", &[0, 1, 0, 0, 0, 0], Some(0.0)),
            ("2024-Q3", &[0, 0, 0, 0, 0, 1], None),
        ]
    );
}

#[test]
fn services_causes_and_hot_spots() {
    let figures = everything(&archive());
    assert_eq!(figures.services.quarters, ["2024-Q1", "2024-Q2", "2024-Q3"]);
    let rows: Vec<(&str, usize, &[u32])> = figures
        .services
        .rows
        .iter()
        .map(|r| (r.service.as_str(), r.total, r.counts.as_slice()))
        .collect();
    assert_eq!(
        rows,
        [
            ("checkout", 3, &[2, 1, 0][..]),
            ("search", 2, &[1, 0, 1]),
            ("payments", 1, &[1, 0, 0]),
        ]
    );
    assert_eq!(figures.causes.len(), 1);
    assert_eq!(figures.causes[0].year, 2024);
    assert_eq!(
        figures.causes[0].causes,
        [
            ("capacity".to_string(), 2),
            ("deploy".to_string(), 2),
            ("config-change".to_string(), 1)
        ]
    );
    // why: a, b and d are 86 days apart; c and e (capacity, search) are 122 days apart.
    assert_eq!(
        figures.hot_spots,
        [HotSpot {
            kind: SpotKind::Service,
            name: "checkout".into(),
            from: day("2024-01-10"),
            to: day("2024-04-05"),
            incidents: vec!["a".into(), "b".into(), "d".into()],
            active: false,
        }]
    );
}

#[test]
fn hot_spots_merge_overlapping_windows_and_split_distant_ones() {
    let mut config = Config::default();
    config.insights.hot_spot_days = 10;
    let at = |id: &str, date: &str| {
        pm(
            id,
            &format!("severity = \"SEV-3\"\nstarted = {date}T10:00:00Z\nservices = [\"dns\"]"),
        )
    };
    let postmortems = vec![
        at("p1", "2024-01-01"),
        at("p2", "2024-01-05"),
        at("p3", "2024-01-11"),
        at("p4", "2024-01-15"),
        at("p5", "2024-03-01"),
        at("p6", "2024-03-02"),
        at("p7", "2024-03-03"),
        at("p8", "2024-06-01"),
    ];
    let archive = Archive::new(config, postmortems, now());
    let scope: Vec<usize> = (0..archive.postmortems.len()).collect();
    let spots = hot_spots(&archive, &scope);
    let found: Vec<(NaiveDate, NaiveDate, usize)> = spots
        .iter()
        .map(|s| (s.from, s.to, s.incidents.len()))
        .collect();
    assert_eq!(
        found,
        [
            (day("2024-03-01"), day("2024-03-03"), 3),
            (day("2024-01-01"), day("2024-01-15"), 4),
        ]
    );
}

#[test]
fn action_figures() {
    let figures = everything(&archive());
    let actions = &figures.actions;
    assert_eq!(actions.total, 5);
    let completion: Vec<(&str, usize, usize, usize, Option<f64>)> = actions
        .completion
        .iter()
        .map(|q| (q.quarter.as_str(), q.created, q.done, q.wontfix, q.rate))
        .collect();
    assert_eq!(
        completion,
        [
            ("2024-Q1", 4, 2, 1, Some(66.7)),
            ("2024-Q2", 1, 0, 0, Some(0.0)),
            ("2024-Q3", 0, 0, 0, None),
        ]
    );
    let open: Vec<(&str, usize, Option<f64>)> = actions
        .open_by_priority
        .iter()
        .map(|p| (p.priority.as_str(), p.open, p.median_age_days))
        .collect();
    assert_eq!(
        open,
        [
            ("P0", 1, Some(118.0)),
            ("P1", 1, Some(204.0)),
            ("P2", 0, None),
            ("P3", 0, None),
            ("none", 0, None),
        ]
    );
    assert_eq!(actions.overdue, 1);
    let stale: Vec<(&str, &str, i64)> = actions
        .stale
        .iter()
        .map(|s| (s.id.as_str(), s.priority.as_str(), s.age_days))
        .collect();
    assert_eq!(stale, [("a", "P1", 204), ("d", "P0", 118)]);
    let kinds: Vec<(&str, [usize; 3])> = actions
        .by_kind
        .iter()
        .map(|k| (k.kind.as_str(), [k.done, k.open, k.wontfix]))
        .collect();
    assert_eq!(
        kinds,
        [
            ("prevent", [0, 2, 0]),
            ("mitigate", [1, 0, 0]),
            ("detect", [1, 0, 0]),
            ("process", [0, 0, 1]),
            ("other", [0, 0, 0]),
            ("none", [0, 0, 0]),
        ]
    );
}

#[test]
fn process_figures_count_reviews_against_their_deadlines() {
    let process = everything(&archive()).process;
    // why: a met its 3-day deadline; b (5 business days) was late; c and d have none yet.
    assert_eq!((process.reviews_due, process.reviews_on_time), (4, 1));
    assert_eq!(process.on_time_share, Some(25.0));
    assert_eq!(process.days_to_review.values, [1.9, 10.8]);
    assert_eq!(process.days_to_review.median, Some(6.35));
    assert_eq!((process.messages_needed, process.messages_posted), (2, 1));
}

#[test]
fn process_figures_count_only_what_the_severitys_process_asks_for() {
    let mut archive = archive();
    // why: SEV-2 (b and c) now follows neither the review meeting nor the external message.
    archive.config.severities[1].process = vec![ProcessPart::Actions, ProcessPart::Tickets];
    let process = everything(&archive).process;
    assert_eq!((process.reviews_due, process.reviews_on_time), (2, 1));
    // A meeting b held anyway still counts in the days to review.
    assert_eq!(process.days_to_review.values, [1.9, 10.8]);
    assert_eq!((process.messages_needed, process.messages_posted), (1, 1));
}

#[test]
fn an_incident_repeats_an_earlier_one_whose_prevent_action_was_open() {
    let archive = archive();
    let figures = everything(&archive);
    assert_eq!(figures.repeats.len(), 1, "{:?}", figures.repeats);
    let repeat = &figures.repeats[0];
    assert_eq!((repeat.id.as_str(), repeat.earlier.as_str()), ("b", "a"));
    // why: a's detect action was done on 2024-02-01, before b started; only OPS-1 was open.
    assert_eq!(repeat.actions, "OPS-1, open for 36 days");
    assert_eq!(
        repeat.reasons,
        ["same service `checkout`", "same cause `deploy`"]
    );
}

#[test]
fn a_closed_action_without_a_date_never_makes_a_repeat_and_a_later_done_date_does() {
    let archive = archive();
    let mut pms = owned(&archive);
    let a = pms.iter_mut().find(|pm| pm.id == "a").unwrap();
    a.actions[0].status = ActionStatus::Done;
    let closed = Archive::new(Config::default(), pms.clone(), now());
    assert!(repeats::find(&closed, |_, _| 0.0).is_empty());
    let a = pms.iter_mut().find(|pm| pm.id == "a").unwrap();
    a.actions[0].done = Some(day("2024-02-16"));
    let late = Archive::new(Config::default(), pms, now());
    let found = repeats::find(&late, |_, _| 0.0);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].later_id, "b");
}

#[test]
fn similar_text_with_a_shared_service_makes_a_repeat_without_a_shared_cause() {
    let archive = archive();
    let (a, d) = (
        archive.position("a").unwrap(),
        archive.position("d").unwrap(),
    );
    let similar = |x: usize, y: usize| if (x, y) == (d, a) { 0.9 } else { 0.0 };
    let found = repeats::find(&archive, similar);
    let pairs: Vec<(&str, &str, bool)> = found
        .iter()
        .map(|r| (r.later_id.as_str(), r.earlier_id.as_str(), r.similar_text))
        .collect();
    assert_eq!(pairs, [("d", "a", true), ("b", "a", false)]);
    assert_eq!(found[0].open_days, 86);
}

#[test]
fn an_incident_repeats_only_actions_for_the_service_it_is_about() {
    let archive = archive();
    let mut pms = owned(&archive);
    let b = pms.iter_mut().find(|pm| pm.id == "b").unwrap();
    // why: b is now about the cluster and only felt the impact on checkout.
    b.services = vec!["k8s".into(), "checkout".into()];
    let moved = Archive::new(Config::default(), pms.clone(), now());
    assert!(repeats::find(&moved, |_, _| 0.0).is_empty());
    let a = pms.iter_mut().find(|pm| pm.id == "a").unwrap();
    a.services.push("k8s".into());
    a.actions[0].service = Some("k8s".into());
    let named = Archive::new(Config::default(), pms, now());
    let found = repeats::find(&named, |_, _| 0.0);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].reasons(),
        ["same service `k8s`", "same cause `deploy`"]
    );
}

#[test]
fn only_the_newest_earlier_incident_that_qualifies_is_repeated() {
    let archive = archive();
    let mut pms = owned(&archive);
    let mut again = pms.iter().find(|pm| pm.id == "a").unwrap().clone();
    again.id = "a2".into();
    again.started = DateTime::parse_from_rfc3339("2024-01-20T10:00:00Z").unwrap();
    again.resolved = Some(DateTime::parse_from_rfc3339("2024-01-20T11:00:00Z").unwrap());
    pms.push(again);
    let archive = Archive::new(Config::default(), pms, now());
    let found = repeats::find(&archive, |_, _| 0.0);
    let pairs: Vec<(&str, &str)> = found
        .iter()
        .map(|r| (r.later_id.as_str(), r.earlier_id.as_str()))
        .collect();
    // why: a2 repeats a; b would repeat both, and names the newer.
    assert_eq!(pairs, [("b", "a2"), ("a2", "a")]);
}

#[test]
fn an_empty_scope_has_no_figures_and_no_panic() {
    let archive = archive();
    let figures = figures(&archive, &Analysis::new(&archive), &[]);
    assert_eq!(figures.incidents, 0);
    assert!(figures.volume.periods.is_empty());
    assert!(figures.detection.is_empty());
    assert_eq!(figures.durations.all[2].median, None);
    assert_eq!(figures.actions.total, 0);
    assert_eq!(figures.process.on_time_share, None);
}

#[test]
fn a_single_incident_without_times_in_one_month() {
    let archive = Archive::new(
        Config::default(),
        vec![pm(
            "only",
            "severity = \"SEV-2\"\nstarted = 2024-05-31T23:30:00Z",
        )],
        now(),
    );
    let figures = everything(&archive);
    assert_eq!(figures.volume.periods.len(), 1);
    assert_eq!(figures.volume.periods[0].period, "2024-05");
    assert_eq!(figures.volume.periods[0].by_severity, [0, 1, 0, 0]);
    assert!(figures.durations.all.iter().all(|s| s.count == 0));
    assert_eq!(figures.detection[0].counts[5], 1);
    assert_eq!(figures.detection[0].customer_share, None);
    assert!(figures.hot_spots.is_empty());
}

#[test]
fn ten_years_in_one_severity_are_counted_by_quarter() {
    let postmortems = (0..40)
        .map(|q| {
            let (year, month) = (2015 + q / 4, (q % 4) * 3 + 1);
            pm(
                &format!("q{q}"),
                &format!("severity = \"SEV-3\"\nstarted = {year}-{month:02}-15T10:00:00Z\nresolved = {year}-{month:02}-15T10:{q:02}:00Z"),
            )
        })
        .collect();
    let archive = Archive::new(Config::default(), postmortems, now());
    let figures = everything(&archive);
    assert_eq!(figures.volume.granularity, Granularity::Quarter);
    let periods = &figures.volume.periods;
    assert_eq!(periods.len(), 40);
    assert_eq!(
        (periods[0].period.as_str(), periods[39].period.as_str()),
        ("2015-Q1", "2024-Q4")
    );
    assert!(periods.iter().all(|p| p.by_severity == [0, 0, 1, 0]));
    let resolve = &figures.durations.by_severity[2][2];
    assert_eq!(
        (resolve.count, resolve.median, resolve.p90),
        (40, Some(19.5), Some(35.0))
    );
    assert!(figures.durations.by_severity[0][2].median.is_none());
    assert_eq!(figures.causes.len(), 0);
}

#[test]
fn the_csv_has_one_number_per_row_and_agrees_with_the_json() {
    let figures = everything(&archive());
    let csv = export::csv(&figures);
    let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["figure", "group", "period", "value"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let find = |figure: &str, group: &str, period: &str| {
        rows.iter()
            .find(|r| r[0] == figure && r[1] == group && r[2] == period)
            .map(|r| r[3].clone())
    };
    assert_eq!(find("incidents", "SEV-1", "2024-04").as_deref(), Some("1"));
    assert_eq!(
        find("time_to_resolve_median_minutes", "all", "").as_deref(),
        Some("105")
    );
    assert_eq!(
        find("actions_done_percent", "all", "2024-Q1").as_deref(),
        Some("66.7")
    );
    assert_eq!(
        find("reviews_on_time_percent", "all", "").as_deref(),
        Some("25")
    );
    let json: serde_json::Value = serde_json::from_str(&export::json(&figures)).unwrap();
    assert_eq!(json["durations"]["all"][2]["median"], 105.0);
    assert_eq!(json["hot_spots"][0]["name"], "checkout");
    assert_eq!(json["repeats"][0]["earlier"], "a");
}

#[test]
fn the_digest_lists_the_recurring_themes_and_the_follow_up_work_of_its_period() {
    use crate::artifacts::digest;
    let archive = archive();
    let analysis = Analysis::new(&archive);
    let week = digest::digest(
        &archive,
        &analysis,
        day("2024-02-12"),
        day("2024-02-19"),
        now(),
    );
    assert_eq!(week.repeats.len(), 1);
    assert_eq!(
        (
            week.repeats[0].id.as_str(),
            week.repeats[0].earlier.as_str()
        ),
        ("b", "a")
    );
    let spots: Vec<&str> = week.hot_spots.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(spots, ["checkout"], "b belongs to the checkout hot spot");
    assert_eq!(
        week.actions,
        PeriodActions {
            created: 2,
            done: 0
        }
    );
    let quiet = digest::digest(
        &archive,
        &analysis,
        day("2024-01-29"),
        day("2024-02-05"),
        now(),
    );
    assert!(quiet.repeats.is_empty() && quiet.hot_spots.is_empty());
    assert_eq!(
        quiet.actions,
        PeriodActions {
            created: 0,
            done: 1
        }
    );

    let raw = digest::digest_email(
        &archive,
        &analysis,
        day("2024-02-12"),
        day("2024-02-19"),
        now(),
    );
    let message = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    // why: the text part is filled at 72 columns; a sentence may run over lines.
    let text = message.body_text(0).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Recurring themes (2)"), "{text}");
    assert!(
        text.contains("Hot spot: service `checkout`, 3 incidents from 2024-01-10 to 2024-04-05"),
        "{text}"
    );
    assert!(
        text.contains("Repeat: Incident b repeats Incident a: OPS-1, open for 36 days, could have prevented it"),
        "{text}"
    );
    assert!(
        text.contains("2 actions created by this period's incidents, 0 done in the period"),
        "{text}"
    );
    let html = message.body_html(0).unwrap();
    assert!(html.contains(">Recurring themes (2)</h2>"), "{html}");
}
