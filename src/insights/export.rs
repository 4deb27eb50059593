//! The figures as files: `/insights/insights.json` (the [`Insights`] value as it is) and
//! `/insights/insights.csv`, one row per number in a long format that a spreadsheet pivots:
//! `figure,group,period,value`.

use super::{detection_names, Insights, Measure};

/// The figures as pretty JSON.
pub fn json(insights: &Insights) -> String {
    // why: the figures hold only strings, numbers and lists; encoding cannot fail.
    serde_json::to_string_pretty(insights).unwrap_or_default() + "\n"
}

/// The figures as CSV, with a header line.
pub fn csv(insights: &Insights) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |figure: &str, group: &str, period: &str, value: Option<f64>| {
        if let Some(value) = value {
            rows.push([figure.into(), group.into(), period.into(), number(value)]);
        }
    };
    let count = |n: usize| Some(n as f64);
    for p in &insights.volume.periods {
        for (severity, n) in insights.severities.iter().zip(&p.by_severity) {
            row("incidents", severity, &p.period, count(*n));
        }
    }
    let groups = insights
        .severities
        .iter()
        .map(String::as_str)
        .zip(&insights.durations.by_severity)
        .chain([("all", &insights.durations.all)]);
    for (group, stats) in groups {
        for (measure, stat) in Measure::ALL.iter().zip(stats) {
            let name = measure.label().replace(' ', "_");
            row(&format!("{name}_count"), group, "", count(stat.count));
            row(&format!("{name}_median_minutes"), group, "", stat.median);
            row(&format!("{name}_p90_minutes"), group, "", stat.p90);
        }
    }
    for q in &insights.durations.trend {
        for (measure, median) in Measure::ALL.iter().zip(q.medians) {
            let name = measure.label().replace(' ', "_");
            row(&format!("{name}_median_minutes"), "all", &q.quarter, median);
        }
    }
    let methods = detection_names();
    for q in &insights.detection {
        for (method, n) in methods.iter().zip(&q.counts) {
            row("detected_by", method, &q.quarter, count(*n));
        }
        row(
            "customer_reported_percent",
            "all",
            &q.quarter,
            q.customer_share,
        );
    }
    for r in &insights.services.rows {
        for (quarter, n) in insights.services.quarters.iter().zip(&r.counts) {
            row(
                "service_incidents",
                &r.service,
                quarter,
                Some(f64::from(*n)),
            );
        }
    }
    for year in &insights.causes {
        for (cause, n) in &year.causes {
            row("cause_incidents", cause, &year.year.to_string(), count(*n));
        }
    }
    for spot in &insights.hot_spots {
        let group = format!("{}:{}", spot.kind.name(), spot.name);
        let period = format!("{}..{}", spot.from, spot.to);
        row(
            "hot_spot_incidents",
            &group,
            &period,
            count(spot.incidents.len()),
        );
    }
    let actions = &insights.actions;
    row("actions", "all", "", count(actions.total));
    for q in &actions.completion {
        row("actions_created", "all", &q.quarter, count(q.created));
        row("actions_done", "all", &q.quarter, count(q.done));
        row("actions_wontfix", "all", &q.quarter, count(q.wontfix));
        row("actions_done_percent", "all", &q.quarter, q.rate);
    }
    for p in &actions.open_by_priority {
        row("open_actions", &p.priority, "", count(p.open));
        row(
            "open_action_median_age_days",
            &p.priority,
            "",
            p.median_age_days,
        );
    }
    row("overdue_actions", "all", "", count(actions.overdue));
    row(
        "stale_urgent_actions",
        "all",
        "",
        count(actions.stale.len()),
    );
    for k in &actions.by_kind {
        row("actions_done", &k.kind, "", count(k.done));
        row("actions_open", &k.kind, "", count(k.open));
        row("actions_wontfix", &k.kind, "", count(k.wontfix));
    }
    let process = &insights.process;
    row("reviews_due", "all", "", count(process.reviews_due));
    row("reviews_on_time", "all", "", count(process.reviews_on_time));
    row("reviews_on_time_percent", "all", "", process.on_time_share);
    row(
        "days_to_review_median",
        "all",
        "",
        process.days_to_review.median,
    );
    row("days_to_review_p90", "all", "", process.days_to_review.p90);
    row("messages_needed", "all", "", count(process.messages_needed));
    row("messages_posted", "all", "", count(process.messages_posted));
    row("repeat_incidents", "all", "", count(insights.repeats.len()));

    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let header = ["figure", "group", "period", "value"];
    // why: writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    for r in &rows {
        let _ = writer.write_record(r.iter().map(|cell| crate::artifacts::actions::defuse(cell)));
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// A number as written in the CSV: whole numbers without a decimal point.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.1}")
    }
}
