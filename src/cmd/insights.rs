//! `blameless insights`: the figures of `/insights/` in the terminal, or as JSON, for a
//! quarterly review. The same `insights::figures` as the site, for the post-mortems a build
//! publishes (no drafts), narrowed to a period and a service.

use std::fmt::Write as _;

use anyhow::{bail, Result};
use chrono::NaiveDate;

use super::Context;
use crate::chart::Unit;
use crate::cli::EXIT_OK;
use crate::diagnostic::{did_you_mean, plural};
use crate::insights::{self, detection_names, Insights, Measure, Stat};
use crate::pipeline;
use crate::terminal::printable;

/// Prints the figures of the incidents that started from `since` to `until` (both included)
/// and, with `service`, list it.
pub fn run(
    ctx: Context,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    service: Option<String>,
    json: bool,
) -> Result<u8> {
    if let (Some(since), Some(until)) = (since, until) {
        if until < since {
            bail!("--until must not be before --since");
        }
    }
    let checked = pipeline::check(&ctx.root, ctx.config, ctx.now)?;
    let archive = &checked.published;
    if let Some(wanted) = &service {
        let known = || archive.postmortems.iter().flat_map(|pm| &pm.services);
        if !known().any(|s| s == wanted) {
            let mut names: Vec<&str> = known().map(String::as_str).collect();
            names.sort_unstable();
            names.dedup();
            match did_you_mean(wanted, names.iter().copied()) {
                Some(s) => {
                    bail!("no post-mortem lists the service `{wanted}`: did you mean `{s}`?")
                }
                None => bail!("no post-mortem lists the service `{wanted}`"),
            }
        }
    }
    let scope: Vec<usize> = archive
        .postmortems
        .iter()
        .enumerate()
        .filter(|(_, pm)| {
            let day = insights::day_of(pm);
            since.is_none_or(|d| day >= d)
                && until.is_none_or(|d| day <= d)
                && service
                    .as_ref()
                    .is_none_or(|s| pm.services.iter().any(|x| x == s))
        })
        .map(|(i, _)| i)
        .collect();
    let figures = insights::figures(archive, &checked.analysis, &scope);
    if json {
        print!("{}", insights::export::json(&figures));
    } else {
        let title = match &service {
            Some(s) => format!("{} · service {s}", archive.config.title),
            None => archive.config.title.clone(),
        };
        print!("{}", printable(&report(&title, &figures)));
    }
    Ok(EXIT_OK)
}

fn minutes(value: Option<f64>) -> String {
    Unit::Minutes.format_or_dash(value)
}

fn heading(out: &mut String, title: &str) {
    let _ = write!(out, "\n{title}\n{}\n", "-".repeat(title.chars().count()));
}

fn stat(stat: &Stat) -> String {
    format!("{} / {}", minutes(stat.median), minutes(stat.p90))
}

/// The figures as a plain-text report.
pub fn report(title: &str, figures: &Insights) -> String {
    let mut out = format!("{title}: insights\n");
    let Some((first, last)) = figures.first.zip(figures.last) else {
        out.push_str("\nNo incidents in this selection.\n");
        return out;
    };
    let _ = writeln!(
        out,
        "{} from {first} to {last}, as of {}",
        plural(figures.incidents, "incident"),
        figures.today
    );

    heading(
        &mut out,
        &format!("Incidents per {}", figures.volume.granularity.name()),
    );
    for p in figures.volume.periods.iter().filter(|p| p.total > 0) {
        let parts: Vec<String> = figures
            .severities
            .iter()
            .zip(&p.by_severity)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        let _ = writeln!(out, "{:<9} {:>3}   {}", p.period, p.total, parts.join(", "));
    }

    heading(
        &mut out,
        "Time to detect, mitigate, resolve (median / 90th percentile, from `started`)",
    );
    let _ = writeln!(
        out,
        "{:<10} {:>9}  {:<18} {:<18} resolve",
        "severity", "incidents", "detect", "mitigate"
    );
    let rows = figures
        .severities
        .iter()
        .map(String::as_str)
        .zip(&figures.durations.by_severity)
        .chain([("all", &figures.durations.all)]);
    for (name, stats) in rows {
        let count = stats.iter().map(|s| s.count).max().unwrap_or(0);
        if count == 0 && name != "all" {
            continue;
        }
        let _ = writeln!(
            out,
            "{name:<10} {count:>9}  {:<18} {:<18} {}",
            stat(&stats[0]),
            stat(&stats[1]),
            stat(&stats[2])
        );
    }
    let trend: Vec<String> = figures
        .durations
        .trend
        .iter()
        .filter(|q| q.medians[2].is_some())
        .map(|q| format!("{} {}", q.quarter, minutes(q.medians[2])))
        .collect();
    if !trend.is_empty() {
        let _ = writeln!(
            out,
            "median {} per quarter: {}",
            Measure::Resolve.label(),
            trend.join(", ")
        );
    }

    heading(&mut out, "Detection");
    let names = detection_names();
    let mut totals = vec![0; names.len()];
    for q in &figures.detection {
        for (total, n) in totals.iter_mut().zip(&q.counts) {
            *total += n;
        }
    }
    let parts: Vec<String> = names
        .iter()
        .zip(&totals)
        .filter(|(_, n)| **n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    let _ = writeln!(out, "{}", parts.join(", "));
    let shares: Vec<String> = figures
        .detection
        .iter()
        .filter_map(|q| {
            Some(format!(
                "{} {}",
                q.quarter,
                Unit::Percent.format(q.customer_share?)
            ))
        })
        .collect();
    if !shares.is_empty() {
        let _ = writeln!(
            out,
            "found by customers, per quarter: {}",
            shares.join(", ")
        );
    }

    heading(&mut out, "Recurring services and causes");
    let services: Vec<String> = figures
        .services
        .rows
        .iter()
        .take(5)
        .map(|r| format!("{} {}", r.service, r.total))
        .collect();
    let _ = writeln!(out, "most incidents: {}", services.join(", "));
    for year in figures.causes.iter().take(3) {
        let causes: Vec<String> = year
            .causes
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let _ = writeln!(out, "top causes {}: {}", year.year, causes.join(", "));
    }
    if figures.hot_spots.is_empty() {
        let _ = writeln!(out, "hot spots: none");
    }
    for spot in &figures.hot_spots {
        let _ = writeln!(
            out,
            "hot spot: {} `{}`, {} from {} to {}{}",
            spot.kind.name(),
            spot.name,
            plural(spot.incidents.len(), "incident"),
            spot.from,
            spot.to,
            if spot.active { " (recent)" } else { "" }
        );
    }

    heading(&mut out, "Repeat incidents");
    if figures.repeats.is_empty() {
        let _ = writeln!(out, "none");
    }
    for r in &figures.repeats {
        let _ = writeln!(
            out,
            "{} {} repeats {}: {}, could have prevented it ({})",
            r.started,
            r.id,
            r.earlier,
            r.actions,
            r.reasons.join(", ")
        );
    }

    let actions = &figures.actions;
    heading(&mut out, "Follow-up actions");
    let open: usize = actions.open_by_priority.iter().map(|p| p.open).sum();
    let _ = writeln!(
        out,
        "{}, {open} open, {} overdue",
        plural(actions.total, "action"),
        actions.overdue
    );
    let done: Vec<String> = actions
        .completion
        .iter()
        .filter_map(|q| Some(format!("{} {}", q.quarter, Unit::Percent.format(q.rate?))))
        .collect();
    if !done.is_empty() {
        let _ = writeln!(out, "done, by quarter of creation: {}", done.join(", "));
    }
    let ages: Vec<String> = actions
        .open_by_priority
        .iter()
        .filter(|p| p.open > 0)
        .map(|p| {
            format!(
                "{} {} (median {})",
                p.priority,
                p.open,
                Unit::Days.format_or_dash(p.median_age_days)
            )
        })
        .collect();
    if !ages.is_empty() {
        let _ = writeln!(out, "open by priority: {}", ages.join(", "));
    }
    let kinds: Vec<String> = actions
        .by_kind
        .iter()
        .filter(|k| k.done + k.open + k.wontfix > 0)
        .map(|k| format!("{} {}/{}", k.kind, k.done, k.done + k.open))
        .collect();
    let _ = writeln!(out, "done of decided, by kind: {}", kinds.join(", "));
    for s in &actions.stale {
        let _ = writeln!(
            out,
            "stale {}: {}{}, open for {} days ({})",
            s.priority,
            s.title,
            s.ticket
                .as_ref()
                .map_or(String::new(), |t| format!(" [{t}]")),
            s.age_days,
            s.id
        );
    }

    let process = &figures.process;
    heading(&mut out, "Process");
    let _ = writeln!(
        out,
        "reviews held on time: {} ({} of {} due)",
        Unit::Percent.format_or_dash(process.on_time_share),
        process.reviews_on_time,
        process.reviews_due
    );
    let _ = writeln!(
        out,
        "resolved to review: median {}, 90th percentile {}",
        Unit::Days.format_or_dash(process.days_to_review.median),
        Unit::Days.format_or_dash(process.days_to_review.p90)
    );
    let _ = writeln!(
        out,
        "external messages posted: {} of {} incidents with customer impact",
        process.messages_posted, process.messages_needed
    );
    out
}
