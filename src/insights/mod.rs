//! Insights: what the archive teaches across incidents, as pure functions of the `Archive` and
//! its "now". Every figure the site, the facet pages, the JSON and CSV, `blameless insights` and
//! the digest show is computed here once, so they can never disagree.
//!
//! ```text
//! Archive ─► Analysis::new ─► text vectors ─► repeats (repeats.rs), related (related.rs)
//! Archive + Analysis + scope ─► figures ─► Insights ─► /insights/, facet blocks, JSON, CSV,
//!                                                      `blameless insights`, the digest
//! ```
//!
//! Durations are in minutes, ages in days. Medians and 90th percentiles, never means: incident
//! durations are heavy-tailed, and one eight-hour outage would drag a mean past every typical
//! incident. The median of an even count is the mean of its two middle values; the 90th
//! percentile is the nearest rank (the value at rank ⌈0.9 n⌉ of the sorted values).

pub mod export;
mod hot_spots;
pub mod related;
pub mod repeats;
#[cfg(test)]
mod tests;
pub mod text;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::archive::Archive;
use crate::calendar::local_date;
use crate::config::ProcessPart;
use crate::postmortem::{ActionKind, ActionStatus, Detection, PostMortem, Priority};
use crate::rules::{meeting_status, MeetingState};

pub use hot_spots::{hot_spots, HotSpot, SpotKind};
pub use related::{Reason, Related};
pub use repeats::Repeat;
pub use text::{TermCounts, TextVectors};

/// Everything computed across the archive once per build: the repeats and, through the same
/// text vectors, the related incidents of each post-mortem.
pub struct Analysis {
    /// Every repeat incident, by the later incident's position, then the earlier's.
    pub repeats: Vec<Repeat>,
    /// Positions in `repeats`, by the earlier incident's position.
    by_earlier: Vec<usize>,
    /// The related post-mortems of each position, best first, once asked for.
    related: Vec<OnceLock<Vec<Related>>>,
    finder: related::Finder,
}

impl Analysis {
    /// Analyses `archive`.
    pub fn new(archive: &Archive) -> Analysis {
        let text = TextVectors::new(archive);
        let repeats = repeats::find(archive, |a, b| text.similarity(a, b));
        let finder = related::Finder::new(archive, text, archive.config.insights.related);
        let mut by_earlier: Vec<usize> = (0..repeats.len()).collect();
        by_earlier.sort_by_key(|&i| (repeats[i].earlier, repeats[i].later));
        Analysis {
            repeats,
            by_earlier,
            related: (0..archive.postmortems.len())
                .map(|_| OnceLock::new())
                .collect(),
            finder,
        }
    }

    /// The related post-mortems of the post-mortem at `index`, best first; found when first
    /// asked for, since a preview shows few of them and `check` none.
    pub fn related(&self, index: usize) -> &[Related] {
        self.related[index].get_or_init(|| self.finder.of(index))
    }

    /// The repeats in which the post-mortem at `index` is the earlier incident, oldest later
    /// incident last.
    pub fn repeated_by(&self, index: usize) -> impl Iterator<Item = &Repeat> {
        let start = self
            .by_earlier
            .partition_point(|&r| self.repeats[r].earlier < index);
        self.by_earlier[start..]
            .iter()
            .map(|&r| &self.repeats[r])
            .take_while(move |r| r.earlier == index)
    }

    /// The repeats in which the post-mortem at `index` is the later incident.
    pub fn repeats_of(&self, index: usize) -> &[Repeat] {
        let start = self.repeats.partition_point(|r| r.later < index);
        let end = self.repeats.partition_point(|r| r.later <= index);
        &self.repeats[start..end]
    }
}

/// The granularity of the incidents-per-period chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Calendar months, `2024-03`.
    Month,
    /// Calendar quarters, `2024-Q1`.
    Quarter,
}

impl Granularity {
    /// `month` or `quarter`.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
        }
    }
}

/// Archives spanning more than this many months are charted by quarter.
pub const MONTHS_BY_MONTH: i32 = 36;

/// The figures of one scope of the archive (the whole of it, a facet value, a period).
#[derive(Clone, Debug, Serialize)]
pub struct Insights {
    /// "Now", the day the figures were computed for.
    pub today: NaiveDate,
    /// How many incidents are in scope.
    pub incidents: usize,
    /// The first and the last incident's start date.
    pub first: Option<NaiveDate>,
    /// The last incident's start date.
    pub last: Option<NaiveDate>,
    /// The severity names, most severe first: the order of every per-severity list.
    pub severities: Vec<String>,
    /// Incidents per period, by severity.
    pub volume: Volume,
    /// Time to detect, mitigate and resolve.
    pub durations: Durations,
    /// How incidents were detected, per quarter.
    pub detection: Vec<DetectionQuarter>,
    /// Incidents per service and quarter, the most affected services first.
    pub services: ServiceHeat,
    /// The most frequent causes of each year, newest year first.
    pub causes: Vec<CauseYear>,
    /// Services and causes with many incidents in a short time.
    pub hot_spots: Vec<HotSpot>,
    /// Follow-up actions.
    pub actions: ActionFigures,
    /// The post-mortem process itself.
    pub process: ProcessFigures,
    /// Incidents that an open action could have prevented.
    pub repeats: Vec<RepeatFigure>,
}

/// Incidents per period, stacked by severity.
#[derive(Clone, Debug, Serialize)]
pub struct Volume {
    /// Month or quarter.
    pub granularity: Granularity,
    /// Every period from the first incident's to the last's, empty ones included.
    pub periods: Vec<PeriodCount>,
}

/// The incidents of one period.
#[derive(Clone, Debug, Serialize)]
pub struct PeriodCount {
    /// `2024-03` or `2024-Q1`.
    pub period: String,
    /// Incidents per severity, in the order of [`Insights::severities`].
    pub by_severity: Vec<usize>,
    /// All incidents of the period.
    pub total: usize,
}

/// A distribution's summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stat {
    /// How many values.
    pub count: usize,
    /// The median, `None` without values.
    pub median: Option<f64>,
    /// The 90th percentile (nearest rank), `None` without values.
    pub p90: Option<f64>,
    /// Every value, sorted.
    pub values: Vec<f64>,
}

impl Stat {
    /// Summarises `values` (any order).
    pub fn of(mut values: Vec<f64>) -> Stat {
        values.sort_by(f64::total_cmp);
        Stat {
            count: values.len(),
            // why: two decimals, so that figures read and compare the same everywhere.
            median: median(&values).map(|m| (m * 100.0).round() / 100.0),
            p90: percentile(&values, 90),
            values,
        }
    }
}

/// The median of sorted values: the middle one, or the mean of the two middle ones.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The `p`th percentile of sorted values by nearest rank: the value at rank ⌈p n / 100⌉.
pub fn percentile(sorted: &[f64], p: usize) -> Option<f64> {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The three durations of an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// From `started` to `detected`.
    Detect,
    /// From `started` to `mitigated`.
    Mitigate,
    /// From `started` to `resolved`.
    Resolve,
}

impl Measure {
    /// Every measure, in the order they happen.
    pub const ALL: [Measure; 3] = [Measure::Detect, Measure::Mitigate, Measure::Resolve];

    /// "time to detect".
    pub fn label(self) -> &'static str {
        match self {
            Measure::Detect => "time to detect",
            Measure::Mitigate => "time to mitigate",
            Measure::Resolve => "time to resolve",
        }
    }

    /// The minutes from `started` to this measure's time, when it is recorded and not
    /// before the start.
    pub fn minutes(self, pm: &PostMortem) -> Option<f64> {
        let end = match self {
            Measure::Detect => pm.detected,
            Measure::Mitigate => pm.mitigated,
            Measure::Resolve => pm.resolved,
        }?;
        let seconds = (end - pm.started).num_seconds();
        (seconds >= 0).then(|| seconds as f64 / 60.0)
    }
}

/// Time to detect, mitigate and resolve.
#[derive(Clone, Debug, Serialize)]
pub struct Durations {
    /// Per severity, in the order of [`Insights::severities`]: detect, mitigate, resolve.
    pub by_severity: Vec<[Stat; 3]>,
    /// All severities together.
    pub all: [Stat; 3],
    /// The median of each measure per quarter (minutes), every quarter in scope.
    pub trend: Vec<QuarterMedians>,
}

/// The medians of one quarter.
#[derive(Clone, Debug, Serialize)]
pub struct QuarterMedians {
    /// `2024-Q1`.
    pub quarter: String,
    /// Detect, mitigate, resolve; `None` for a quarter without the measure.
    pub medians: [Option<f64>; 3],
}

/// How the incidents of one quarter were detected.
#[derive(Clone, Debug, Serialize)]
pub struct DetectionQuarter {
    /// `2024-Q1`.
    pub quarter: String,
    /// Incidents per detection method, in the order of `Detection::ALL`, then not recorded.
    pub counts: Vec<usize>,
    /// The share of incidents with a recorded method that customers reported, in percent.
    pub customer_share: Option<f64>,
}

/// The names of the detection columns: every method, then "not recorded".
pub fn detection_names() -> Vec<&'static str> {
    Detection::NAMES
        .iter()
        .copied()
        .chain(["not recorded"])
        .collect()
}

/// Incidents per service and quarter.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceHeat {
    /// Every quarter in scope.
    pub quarters: Vec<String>,
    /// The services with the most incidents (at most [`HEAT_ROWS`]), with a count per quarter.
    pub rows: Vec<ServiceRow>,
}

/// One row of the heat map.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceRow {
    /// The service.
    pub service: String,
    /// All its incidents in scope.
    pub total: usize,
    /// Its incidents per quarter.
    pub counts: Vec<u32>,
}

/// How many services the heat map shows.
pub const HEAT_ROWS: usize = 12;

/// How many causes each year lists.
pub const TOP_CAUSES: usize = 5;

/// The most frequent causes of one year.
#[derive(Clone, Debug, Serialize)]
pub struct CauseYear {
    /// The year.
    pub year: i32,
    /// Causes and their incident counts, most frequent first (ties by name).
    pub causes: Vec<(String, usize)>,
}

/// Follow-up action figures.
#[derive(Clone, Debug, Serialize)]
pub struct ActionFigures {
    /// Every action in scope.
    pub total: usize,
    /// Per quarter of creation (the incident's start).
    pub completion: Vec<QuarterCompletion>,
    /// Open actions by priority: P0 to P3, then without priority.
    pub open_by_priority: Vec<PriorityAge>,
    /// Open actions past their due date.
    pub overdue: usize,
    /// Open P0 and P1 actions older than the configured number of days, oldest first.
    pub stale: Vec<StaleAction>,
    /// Done, open and won't-fix actions by kind: every kind, then without kind.
    pub by_kind: Vec<KindCount>,
}

/// The actions created in one quarter and what became of them.
#[derive(Clone, Debug, Serialize)]
pub struct QuarterCompletion {
    /// `2024-Q1`.
    pub quarter: String,
    /// Actions created.
    pub created: usize,
    /// Of which done.
    pub done: usize,
    /// Of which decided against.
    pub wontfix: usize,
    /// Done, in percent of those not decided against; `None` when there are none.
    pub rate: Option<f64>,
}

/// The open actions of one priority.
#[derive(Clone, Debug, Serialize)]
pub struct PriorityAge {
    /// `P0`..`P3`, or `none`.
    pub priority: String,
    /// How many are open.
    pub open: usize,
    /// Their median age in days.
    pub median_age_days: Option<f64>,
}

/// An urgent action open for too long.
#[derive(Clone, Debug, Serialize)]
pub struct StaleAction {
    /// The post-mortem's id.
    pub id: String,
    /// What is to be done.
    pub title: String,
    /// `P0` or `P1`.
    pub priority: String,
    /// The ticket, if any.
    pub ticket: Option<String>,
    /// Days since the incident started.
    pub age_days: i64,
}

/// The actions of one kind.
#[derive(Clone, Debug, Serialize)]
pub struct KindCount {
    /// prevent, mitigate, detect, process, other or `none`.
    pub kind: String,
    /// Done.
    pub done: usize,
    /// Still open.
    pub open: usize,
    /// Decided against.
    pub wontfix: usize,
}

/// The post-mortem process itself.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessFigures {
    /// Reviews due by now (their severity has a deadline, and it has passed or the meeting
    /// was held): held on time plus late or still missing.
    pub reviews_due: usize,
    /// Of which held on or before the deadline.
    pub reviews_on_time: usize,
    /// `reviews_on_time` in percent of `reviews_due`.
    pub on_time_share: Option<f64>,
    /// Days from `resolved` to the review meeting, for meetings held.
    pub days_to_review: Stat,
    /// Incidents with customer impact, which need an external message.
    pub messages_needed: usize,
    /// Of which the message was posted.
    pub messages_posted: usize,
}

/// A repeat incident as a figure: the later, the earlier, and the actions left open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RepeatFigure {
    /// The later incident's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its start date.
    pub started: NaiveDate,
    /// The earlier incident's id.
    pub earlier: String,
    /// Its title.
    pub earlier_title: String,
    /// The open actions, as "OPS-123, open for 94 days".
    pub actions: String,
    /// Why they match: "same service `x`", …
    pub reasons: Vec<String>,
}

/// The local date an incident started on: the day of every per-period figure.
pub fn day_of(pm: &PostMortem) -> NaiveDate {
    local_date(&pm.started, pm.timezone)
}

/// `2024-Q1`.
pub fn quarter(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), day.month0() / 3 + 1)
}

fn month(day: NaiveDate) -> String {
    format!("{}-{:02}", day.year(), day.month())
}

/// Every month (or quarter) from `first` to `last`, both included.
fn periods(first: NaiveDate, last: NaiveDate, granularity: Granularity) -> Vec<String> {
    let step = match granularity {
        Granularity::Month => 1,
        Granularity::Quarter => 3,
    };
    let index = |d: NaiveDate| (d.year() * 12 + d.month0() as i32) / step;
    (index(first)..=index(last))
        .map(|i| {
            let (year, month0) = ((i * step) / 12, (i * step) % 12);
            match granularity {
                Granularity::Month => format!("{year}-{:02}", month0 + 1),
                Granularity::Quarter => format!("{year}-Q{}", month0 / 3 + 1),
            }
        })
        .collect()
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round1(100.0 * part as f64 / whole as f64))
}

/// Rounded to one decimal, so figures read and compare the same everywhere.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The figures of the post-mortems at `scope` (positions in `archive.postmortems`).
pub fn figures(archive: &Archive, analysis: &Analysis, scope: &[usize]) -> Insights {
    let config = &archive.config;
    let today = local_date(&archive.now, config.timezone);
    let pms: Vec<&PostMortem> = scope.iter().map(|&i| &*archive.postmortems[i]).collect();
    let days: Vec<NaiveDate> = pms.iter().map(|pm| day_of(pm)).collect();
    let first = days.iter().min().copied();
    let last = days.iter().max().copied();
    let severities: Vec<String> = config.severities.iter().map(|s| s.name.clone()).collect();
    let quarters = match (first, last) {
        (Some(f), Some(l)) => periods(f, l, Granularity::Quarter),
        _ => Vec::new(),
    };
    let quarter_of = |day: NaiveDate| quarters.binary_search(&quarter(day)).unwrap_or(0);

    let granularity = match (first, last) {
        (Some(f), Some(l))
            if (l.year() - f.year()) * 12 + l.month() as i32 - f.month() as i32
                >= MONTHS_BY_MONTH =>
        {
            Granularity::Quarter
        }
        _ => Granularity::Month,
    };
    let period_names = match (first, last) {
        (Some(f), Some(l)) => periods(f, l, granularity),
        _ => Vec::new(),
    };
    let mut volume: Vec<PeriodCount> = period_names
        .into_iter()
        .map(|period| PeriodCount {
            period,
            by_severity: vec![0; severities.len()],
            total: 0,
        })
        .collect();
    for (pm, day) in pms.iter().zip(&days) {
        let key = match granularity {
            Granularity::Month => month(*day),
            Granularity::Quarter => quarter(*day),
        };
        if let Ok(i) = volume.binary_search_by(|p| p.period.cmp(&key)) {
            if let Some(n) = volume[i].by_severity.get_mut(pm.severity.rank) {
                *n += 1;
            }
            volume[i].total += 1;
        }
    }

    let measures = |pms: &mut dyn Iterator<Item = &&PostMortem>| -> [Vec<f64>; 3] {
        let mut out: [Vec<f64>; 3] = Default::default();
        for pm in pms {
            for (slot, measure) in out.iter_mut().zip(Measure::ALL) {
                slot.extend(measure.minutes(pm));
            }
        }
        out
    };
    let stats = |values: [Vec<f64>; 3]| values.map(Stat::of);
    let by_severity = (0..severities.len())
        .map(|rank| {
            stats(measures(
                &mut pms.iter().filter(|pm| pm.severity.rank == rank),
            ))
        })
        .collect();
    let all = stats(measures(&mut pms.iter()));
    let mut per_quarter: Vec<[Vec<f64>; 3]> = vec![Default::default(); quarters.len()];
    for (pm, day) in pms.iter().zip(&days) {
        for (slot, measure) in per_quarter[quarter_of(*day)].iter_mut().zip(Measure::ALL) {
            slot.extend(measure.minutes(pm));
        }
    }
    let trend = quarters
        .iter()
        .zip(per_quarter)
        .map(|(quarter, values)| QuarterMedians {
            quarter: quarter.clone(),
            medians: values.map(|v| Stat::of(v).median.map(round1)),
        })
        .collect();

    let methods = Detection::ALL.len();
    let mut detection: Vec<DetectionQuarter> = quarters
        .iter()
        .map(|q| DetectionQuarter {
            quarter: q.clone(),
            counts: vec![0; methods + 1],
            customer_share: None,
        })
        .collect();
    for (pm, day) in pms.iter().zip(&days) {
        let column = pm
            .detection
            .and_then(|d| Detection::ALL.iter().position(|x| *x == d))
            .unwrap_or(methods);
        detection[quarter_of(*day)].counts[column] += 1;
    }
    let customer = Detection::ALL
        .iter()
        .position(|d| *d == Detection::CustomerReport)
        .unwrap_or(0);
    for q in &mut detection {
        q.customer_share = percent(q.counts[customer], q.counts[..methods].iter().sum());
    }

    let mut per_service: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (pm, day) in pms.iter().zip(&days) {
        for service in dedup(&pm.services) {
            per_service
                .entry(service)
                .or_insert_with(|| vec![0; quarters.len()])[quarter_of(*day)] += 1;
        }
    }
    let mut rows: Vec<ServiceRow> = per_service
        .into_iter()
        .map(|(service, counts)| ServiceRow {
            service: service.to_string(),
            total: counts.iter().map(|&c| c as usize).sum(),
            counts,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| a.service.cmp(&b.service))
    });
    rows.truncate(HEAT_ROWS);

    let mut per_year: BTreeMap<i32, BTreeMap<&str, usize>> = BTreeMap::new();
    for (pm, day) in pms.iter().zip(&days) {
        for cause in dedup(&pm.causes) {
            *per_year
                .entry(day.year())
                .or_default()
                .entry(cause)
                .or_default() += 1;
        }
    }
    let causes = per_year
        .into_iter()
        .rev()
        .map(|(year, counts)| {
            let mut causes: Vec<(String, usize)> = counts
                .into_iter()
                .map(|(c, n)| (c.to_string(), n))
                .collect();
            causes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            causes.truncate(TOP_CAUSES);
            CauseYear { year, causes }
        })
        .collect();

    Insights {
        today,
        incidents: pms.len(),
        first,
        last,
        volume: Volume {
            granularity,
            periods: volume,
        },
        durations: Durations {
            by_severity,
            all,
            trend,
        },
        detection,
        services: ServiceHeat {
            quarters: quarters.clone(),
            rows,
        },
        causes,
        hot_spots: hot_spots(archive, scope),
        actions: action_figures(archive, &pms, &quarters, today),
        process: process_figures(archive, &pms),
        repeats: repeat_figures(archive, analysis, scope),
        severities,
    }
}

/// Each value once, in the order first written.
fn dedup(values: &[String]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::with_capacity(values.len());
    for v in values {
        if !seen.contains(&v.as_str()) {
            seen.push(v);
        }
    }
    seen
}

fn action_figures(
    archive: &Archive,
    pms: &[&PostMortem],
    quarters: &[String],
    today: NaiveDate,
) -> ActionFigures {
    let stale_days = i64::from(archive.config.insights.stale_action_days);
    let mut completion: Vec<QuarterCompletion> = quarters
        .iter()
        .map(|q| QuarterCompletion {
            quarter: q.clone(),
            created: 0,
            done: 0,
            wontfix: 0,
            rate: None,
        })
        .collect();
    let mut ages: Vec<Vec<f64>> = vec![Vec::new(); Priority::ALL.len() + 1];
    let mut kinds: Vec<[usize; 3]> = vec![[0; 3]; ActionKind::ALL.len() + 1];
    let mut stale = Vec::new();
    let mut overdue = 0;
    let mut total = 0;
    for pm in pms {
        let day = day_of(pm);
        let age = (today - day).num_days().max(0);
        let q = quarters.binary_search(&quarter(day)).unwrap_or(0);
        for action in &pm.actions {
            total += 1;
            let row = &mut completion[q];
            row.created += 1;
            let kind = action
                .kind
                .and_then(|k| ActionKind::ALL.iter().position(|x| *x == k))
                .unwrap_or(ActionKind::ALL.len());
            let state = match action.status {
                ActionStatus::Done => 0,
                ActionStatus::Open => 1,
                ActionStatus::Wontfix => 2,
            };
            kinds[kind][state] += 1;
            match action.status {
                ActionStatus::Done => row.done += 1,
                ActionStatus::Wontfix => row.wontfix += 1,
                ActionStatus::Open => {
                    let priority = action.priority.map_or(Priority::ALL.len(), |p| p as usize);
                    ages[priority].push(age as f64);
                    if crate::rules::is_overdue(action, pm.timezone, archive.now) {
                        overdue += 1;
                    }
                    if matches!(action.priority, Some(Priority::P0 | Priority::P1))
                        && age > stale_days
                    {
                        stale.push(StaleAction {
                            id: pm.id.clone(),
                            title: action.title.clone(),
                            priority: action.priority.map(|p| p.to_string()).unwrap_or_default(),
                            ticket: action.ticket.clone(),
                            age_days: age,
                        });
                    }
                }
            }
        }
    }
    for row in &mut completion {
        row.rate = percent(row.done, row.created - row.wontfix);
    }
    stale.sort_by(|a, b| {
        b.age_days
            .cmp(&a.age_days)
            .then_with(|| a.priority.cmp(&b.priority))
            .then_with(|| a.id.cmp(&b.id))
    });
    let name = |names: &[&str], i: usize| names.get(i).copied().unwrap_or("none").to_string();
    ActionFigures {
        total,
        completion,
        open_by_priority: ages
            .into_iter()
            .enumerate()
            .map(|(i, ages)| PriorityAge {
                priority: name(Priority::NAMES, i),
                open: ages.len(),
                median_age_days: Stat::of(ages).median.map(round1),
            })
            .collect(),
        overdue,
        stale,
        by_kind: kinds
            .into_iter()
            .enumerate()
            .map(|(i, [done, open, wontfix])| KindCount {
                kind: name(ActionKind::NAMES, i),
                done,
                open,
                wontfix,
            })
            .collect(),
    }
}

fn process_figures(archive: &Archive, pms: &[&PostMortem]) -> ProcessFigures {
    let (mut due, mut on_time, mut to_review) = (0, 0, Vec::new());
    for pm in pms {
        let status = meeting_status(pm, &archive.config, archive.now);
        match status.state {
            MeetingState::Met if status.held => {
                due += 1;
                on_time += 1;
            }
            MeetingState::Late | MeetingState::Overdue => due += 1,
            _ => {}
        }
        let at = pm.meeting.as_ref().and_then(|m| m.at);
        if let (true, Some(at), Some(resolved)) = (status.held, at, pm.resolved) {
            let days = (at - resolved).num_minutes() as f64 / (24.0 * 60.0);
            to_review.push(round1(days.max(0.0)));
        }
    }
    let needed: Vec<&&PostMortem> = pms
        .iter()
        .filter(|pm| {
            pm.customer_impact
                && archive
                    .config
                    .requires(&pm.severity, ProcessPart::ExternalMessage)
        })
        .collect();
    ProcessFigures {
        reviews_due: due,
        reviews_on_time: on_time,
        on_time_share: percent(on_time, due),
        days_to_review: Stat::of(to_review),
        messages_needed: needed.len(),
        messages_posted: needed
            .iter()
            .filter(|pm| pm.external_message_posted.is_some())
            .count(),
    }
}

/// What follow-up work a period saw: actions decided and actions done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodActions {
    /// Actions of the incidents at `scope` (those that started in the period).
    pub created: usize,
    /// Actions anywhere in the archive whose `done` date falls in the period.
    pub done: usize,
}

/// The actions created by the incidents at `scope`, and those done in `[since, until)`.
pub fn period_actions(
    archive: &Archive,
    scope: &[usize],
    since: NaiveDate,
    until: NaiveDate,
) -> PeriodActions {
    PeriodActions {
        created: scope
            .iter()
            .map(|&i| archive.postmortems[i].actions.len())
            .sum(),
        done: archive
            .postmortems
            .iter()
            .flat_map(|pm| &pm.actions)
            .filter(|a| a.status == ActionStatus::Done)
            .filter(|a| a.done.is_some_and(|d| since <= d && d < until))
            .count(),
    }
}

/// The repeats whose later incident is at `scope`, newest first.
pub fn repeat_figures(
    archive: &Archive,
    analysis: &Analysis,
    scope: &[usize],
) -> Vec<RepeatFigure> {
    let mut out: Vec<RepeatFigure> = scope
        .iter()
        .flat_map(|&i| analysis.repeats_of(i))
        .map(|repeat| {
            let later = &archive.postmortems[repeat.later];
            let earlier = &archive.postmortems[repeat.earlier];
            RepeatFigure {
                id: later.id.clone(),
                title: later.title.clone(),
                started: day_of(later),
                earlier: earlier.id.clone(),
                earlier_title: earlier.title.clone(),
                actions: repeat.describe_actions(),
                reasons: repeat.reasons(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
    out
}
