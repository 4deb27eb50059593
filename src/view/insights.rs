//! The insights page and the facet pages' block of figures: [`Insights`] as charts (inline SVG
//! from `chart`), each with the same numbers as a table, and as tiles and lists. Only layout
//! and wording are decided here; every number comes from `insights::figures`.

use serde::Serialize;

use super::{card, Card};
use crate::archive::Archive;
use crate::chart::{
    self, BarChart, HeatMap, LineChart, Noun, Series, StripChart, StripGroup, Unit,
};
use crate::insights::{detection_names, Insights, Measure, Stat};

/// A figure in a tile: "Median time to resolve: 2 h".
#[derive(Serialize)]
pub struct Tile {
    label: &'static str,
    value: String,
    note: String,
}

/// A table of numbers: a chart's data for screen readers and for the curious.
#[derive(Serialize)]
pub struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One chart and its table.
#[derive(Serialize)]
pub struct ChartView {
    /// The SVG, escaped by `chart`.
    svg: String,
    /// What the numbers are, as the table's caption.
    caption: String,
    table: Table,
}

/// A hot spot as a list item.
#[derive(Serialize)]
pub struct HotSpotView {
    kind: &'static str,
    name: String,
    href: String,
    from: String,
    to: String,
    count: usize,
    active: bool,
    /// The latest incidents, newest first.
    incidents: Vec<Card>,
    /// How many more it has.
    more: usize,
}

/// A repeat as a list item.
#[derive(Serialize)]
pub struct RepeatItem {
    pm: Card,
    earlier: Card,
    actions: String,
    reasons: String,
}

/// Everything `/insights/` shows.
#[derive(Serialize)]
pub struct InsightsView {
    tiles: Vec<Tile>,
    volume: ChartView,
    durations: Vec<ChartView>,
    trend: ChartView,
    detection: ChartView,
    services: ChartView,
    causes: Vec<CauseYearView>,
    hot_spots: Vec<HotSpotView>,
    completion: ChartView,
    kinds: ChartView,
    open_by_priority: Table,
    stale: Vec<StaleView>,
    overdue: usize,
    stale_days: u32,
    /// The stale actions beyond [`STALE_LISTED`], which only `insights.json` lists.
    more_stale: usize,
    process: Vec<Tile>,
    repeats: Vec<RepeatItem>,
    more_repeats: usize,
    granularity: &'static str,
}

/// The top causes of a year: name, facet slug and incidents of each.
#[derive(Serialize)]
pub struct CauseYearView {
    year: i32,
    causes: Vec<(String, String, usize)>,
}

/// An urgent action open too long.
#[derive(Serialize)]
pub struct StaleView {
    pm: Card,
    title: String,
    priority: String,
    ticket: Option<String>,
    age: String,
}

/// The small block on a facet page: tiles and the volume chart of the subset.
#[derive(Serialize)]
pub struct FacetInsights {
    tiles: Vec<Tile>,
    volume: ChartView,
    hot_spots: Vec<HotSpotView>,
    repeats: usize,
}

fn minutes(value: Option<f64>) -> String {
    Unit::Minutes.format_or_dash(value)
}

fn number(value: Option<f64>, unit: Unit) -> String {
    unit.format_or_dash(value)
}

fn incidents() -> Noun {
    Noun::new("incident", "incidents")
}

/// The first, the last and the count of a scope, as "18 incidents from 2023-02-14 to …".
fn span(figures: &Insights) -> String {
    match (figures.first, figures.last) {
        (Some(first), Some(last)) => format!(
            "{} from {first} to {last}",
            crate::diagnostic::plural(figures.incidents, "incident")
        ),
        _ => "no incidents".into(),
    }
}

fn tiles(figures: &Insights) -> Vec<Tile> {
    let [detect, _, resolve] = &figures.durations.all;
    let open: usize = figures
        .actions
        .open_by_priority
        .iter()
        .map(|p| p.open)
        .sum();
    vec![
        Tile {
            label: "Incidents",
            value: figures.incidents.to_string(),
            note: match (figures.first, figures.last) {
                (Some(first), Some(last)) => format!("{first} to {last}"),
                _ => String::new(),
            },
        },
        Tile {
            label: "Median time to detect",
            value: minutes(detect.median),
            note: format!("90th percentile {}", minutes(detect.p90)),
        },
        Tile {
            label: "Median time to resolve",
            value: minutes(resolve.median),
            note: format!("90th percentile {}", minutes(resolve.p90)),
        },
        Tile {
            label: "Open actions",
            value: open.to_string(),
            note: format!("{} overdue", figures.actions.overdue),
        },
        Tile {
            label: "Repeat incidents",
            value: figures.repeats.len().to_string(),
            note: "an open action could have prevented them".into(),
        },
    ]
}

fn volume(figures: &Insights, id: &str) -> ChartView {
    let periods = &figures.volume.periods;
    let categories: Vec<String> = periods.iter().map(|p| p.period.clone()).collect();
    let series: Vec<Series> = figures
        .severities
        .iter()
        .enumerate()
        .map(|(rank, name)| Series {
            name: name.clone(),
            class: chart::severity_class(rank),
            values: periods.iter().map(|p| p.by_severity[rank] as f64).collect(),
        })
        .filter(|s| s.values.iter().any(|v| *v > 0.0))
        .collect();
    let per = figures.volume.granularity.name();
    let mut head = vec![per.to_string()];
    head.extend(figures.severities.iter().cloned());
    head.push("all".into());
    let rows = periods
        .iter()
        .map(|p| {
            std::iter::once(p.period.clone())
                .chain(p.by_severity.iter().map(usize::to_string))
                .chain([p.total.to_string()])
                .collect()
        })
        .collect();
    ChartView {
        svg: chart::bars(&BarChart {
            id: id.into(),
            title: format!("How many incidents a {per}, and how severe?"),
            description: format!(
                "Incidents per {per}, stacked by severity; {}.",
                span(figures)
            ),
            x_label: per.into(),
            y_label: "incidents".into(),
            categories,
            series,
            stacked: true,
            percent: false,
            noun: incidents(),
        }),
        caption: format!("Incidents per {per} and severity"),
        table: Table { head, rows },
    }
}

fn durations(figures: &Insights) -> Vec<ChartView> {
    Measure::ALL
        .iter()
        .enumerate()
        .map(|(m, measure)| {
            let stats: Vec<(&String, usize, &Stat)> = figures
                .severities
                .iter()
                .enumerate()
                .map(|(rank, name)| (name, rank, &figures.durations.by_severity[rank][m]))
                .filter(|(_, _, s)| s.count > 0)
                .collect();
            let label = measure.label();
            let from = match measure {
                Measure::Detect => "`started` to `detected`",
                Measure::Mitigate => "`started` to `mitigated`",
                Measure::Resolve => "`started` to `resolved`",
            };
            ChartView {
                svg: chart::strips(&StripChart {
                    id: format!("duration-{}", label.replace(' ', "-")),
                    title: format!("How long did {}take, by severity?", match measure {
                        Measure::Detect => "detection ",
                        Measure::Mitigate => "mitigation ",
                        Measure::Resolve => "resolution ",
                    }),
                    description: format!(
                        "The {label} of each incident (from {from}) as a dot per incident, with the median and the 90th percentile of each severity."
                    ),
                    x_label: format!("{label} (log scale)"),
                    groups: stats
                        .iter()
                        .map(|(name, rank, stat)| StripGroup {
                            name: (*name).clone(),
                            class: chart::severity_class(*rank),
                            values: quantiles(&stat.values, STRIP_DOTS),
                            median: stat.median,
                            p90: stat.p90,
                        })
                        .collect(),
                    unit: Unit::Minutes,
                    noun: incidents(),
                }),
                caption: format!("The {label} by severity, from {from}"),
                table: Table {
                    head: ["severity", "incidents", "median", "90th percentile"]
                        .map(String::from)
                        .to_vec(),
                    rows: stats
                        .iter()
                        .map(|(name, _, stat)| {
                            vec![
                                (*name).clone(),
                                stat.count.to_string(),
                                minutes(stat.median),
                                minutes(stat.p90),
                            ]
                        })
                        .chain(std::iter::once({
                            let all = &figures.durations.all[m];
                            vec![
                                "all".into(),
                                all.count.to_string(),
                                minutes(all.median),
                                minutes(all.p90),
                            ]
                        }))
                        .collect(),
                },
            }
        })
        .collect()
}

/// At most `n` of the sorted `values`, evenly spaced by rank, the first and the last included.
fn quantiles(values: &[f64], n: usize) -> Vec<f64> {
    if values.len() <= n || n < 2 {
        return values.to_vec();
    }
    let last = values.len() - 1;
    (0..n).map(|i| values[i * last / (n - 1)]).collect()
}

fn trend(figures: &Insights) -> ChartView {
    let trend = &figures.durations.trend;
    let categories: Vec<String> = trend.iter().map(|q| q.quarter.clone()).collect();
    let series = Measure::ALL
        .iter()
        .enumerate()
        .map(|(m, measure)| Series {
            name: format!("median {}", measure.label()),
            class: chart::category_class(m),
            values: trend
                .iter()
                .map(|q| q.medians[m].unwrap_or(f64::NAN))
                .collect(),
        })
        .collect();
    let mut head = vec!["quarter".to_string()];
    head.extend(Measure::ALL.iter().map(|m| format!("median {}", m.label())));
    ChartView {
        svg: chart::lines(&LineChart {
            id: "duration-trend".into(),
            title: "Are we getting faster? Median durations per quarter".into(),
            description: "The median time to detect, to mitigate and to resolve of the incidents that started in each quarter; a gap is a quarter without the measure.".into(),
            x_label: "quarter".into(),
            y_label: "median duration".into(),
            categories,
            series,
            y_unit: Unit::Minutes,
        }),
        caption: "Median durations per quarter".into(),
        table: Table {
            head,
            rows: trend
                .iter()
                .map(|q| {
                    std::iter::once(q.quarter.clone())
                        .chain(q.medians.iter().map(|m| minutes(*m)))
                        .collect()
                })
                .collect(),
        },
    }
}

fn detection(figures: &Insights) -> ChartView {
    let names = detection_names();
    let quarters = &figures.detection;
    let series = names
        .iter()
        .enumerate()
        .map(|(i, name)| Series {
            name: name.replace('-', " "),
            class: chart::category_class(i),
            values: quarters.iter().map(|q| q.counts[i] as f64).collect(),
        })
        .filter(|s| s.values.iter().any(|v| *v > 0.0))
        .collect();
    let mut head = vec!["quarter".to_string()];
    head.extend(names.iter().map(|n| n.replace('-', " ")));
    head.push("found by customers".into());
    ChartView {
        svg: chart::bars(&BarChart {
            id: "detection".into(),
            title: "Who noticed first? Share of incidents by how they were detected".into(),
            description: "For each quarter, the share of incidents detected by monitoring, alerts, customer reports, internal reports or otherwise.".into(),
            x_label: "quarter".into(),
            y_label: "share of incidents".into(),
            categories: quarters.iter().map(|q| q.quarter.clone()).collect(),
            series,
            stacked: true,
            percent: true,
            noun: incidents(),
        }),
        caption: "Incidents per quarter by detection; the share reported by customers is of those with a recorded method".into(),
        table: Table {
            head,
            rows: quarters
                .iter()
                .map(|q| {
                    std::iter::once(q.quarter.clone())
                        .chain(q.counts.iter().map(usize::to_string))
                        .chain([number(q.customer_share, Unit::Percent)])
                        .collect()
                })
                .collect(),
        },
    }
}

fn services(figures: &Insights) -> ChartView {
    let heat = &figures.services;
    let mut head = vec!["service".to_string()];
    head.extend(heat.quarters.iter().cloned());
    head.push("all".into());
    ChartView {
        svg: chart::heat_map(&HeatMap {
            id: "services".into(),
            title: "Which services keep having incidents?".into(),
            description: format!(
                "Incidents per quarter of the {} services with the most incidents.",
                heat.rows.len()
            ),
            x_label: "quarter".into(),
            y_label: "service".into(),
            columns: heat.quarters.clone(),
            rows: heat
                .rows
                .iter()
                .map(|r| (r.service.clone(), r.counts.clone()))
                .collect(),
            noun: incidents(),
        }),
        caption: "Incidents per service and quarter".into(),
        table: Table {
            head,
            rows: heat
                .rows
                .iter()
                .map(|r| {
                    std::iter::once(r.service.clone())
                        .chain(r.counts.iter().map(u32::to_string))
                        .chain([r.total.to_string()])
                        .collect()
                })
                .collect(),
        },
    }
}

fn completion(figures: &Insights) -> ChartView {
    let rows = &figures.actions.completion;
    ChartView {
        svg: chart::lines(&LineChart {
            id: "completion".into(),
            title: "Do we finish what we decide? Actions done, by quarter of creation".into(),
            description: "Of the follow-up actions of the incidents of each quarter, the share done by now, not counting those decided against.".into(),
            x_label: "quarter the action was created".into(),
            y_label: "actions done".into(),
            categories: rows.iter().map(|q| q.quarter.clone()).collect(),
            series: vec![Series {
                name: "done".into(),
                class: chart::category_class(2),
                values: rows.iter().map(|q| q.rate.unwrap_or(f64::NAN)).collect(),
            }],
            y_unit: Unit::Percent,
        }),
        caption: "Follow-up actions per quarter of creation".into(),
        table: Table {
            head: ["quarter", "created", "done", "won't fix", "done (%)"]
                .map(String::from)
                .to_vec(),
            rows: rows
                .iter()
                .map(|q| {
                    vec![
                        q.quarter.clone(),
                        q.created.to_string(),
                        q.done.to_string(),
                        q.wontfix.to_string(),
                        number(q.rate, Unit::Percent),
                    ]
                })
                .collect(),
        },
    }
}

fn kinds(figures: &Insights) -> ChartView {
    let kinds: Vec<_> = figures
        .actions
        .by_kind
        .iter()
        .filter(|k| k.done + k.open + k.wontfix > 0)
        .collect();
    let series = |name: &str, class: usize, get: fn(&crate::insights::KindCount) -> usize| Series {
        name: name.into(),
        class: chart::category_class(class),
        values: kinds.iter().map(|k| get(k) as f64).collect(),
    };
    ChartView {
        svg: chart::bars(&BarChart {
            id: "kinds".into(),
            title: "Which kinds of follow-up get done?".into(),
            description: "Follow-up actions by kind, split into done, open and won't fix.".into(),
            x_label: "kind".into(),
            y_label: "actions".into(),
            categories: kinds.iter().map(|k| k.kind.clone()).collect(),
            series: vec![
                series("done", 2, |k| k.done),
                series("open", 1, |k| k.open),
                series("won't fix", 7, |k| k.wontfix),
            ],
            stacked: true,
            percent: false,
            noun: Noun::new("action", "actions"),
        }),
        caption: "Follow-up actions by kind and status".into(),
        table: Table {
            head: ["kind", "done", "open", "won't fix"]
                .map(String::from)
                .to_vec(),
            rows: kinds
                .iter()
                .map(|k| {
                    vec![
                        k.kind.clone(),
                        k.done.to_string(),
                        k.open.to_string(),
                        k.wontfix.to_string(),
                    ]
                })
                .collect(),
        },
    }
}

/// How many of a hot spot's incidents its line links, the latest ones.
const HOT_SPOT_LINKS: usize = 5;

/// The most dots a strip shows; past it, evenly spaced quantiles of the values stand for them.
// why: 10,000 incidents would be 30,000 marks, a page of megabytes; 300 quantiles draw the same
// distribution, and the median and 90th percentile stay exact.
const STRIP_DOTS: usize = 300;

fn hot_spots(figures: &Insights, archive: &Archive, only: Option<&str>) -> Vec<HotSpotView> {
    figures
        .hot_spots
        .iter()
        .filter(|spot| only.is_none_or(|name| spot.name == name))
        .map(|spot| {
            let facet = match spot.kind {
                crate::insights::SpotKind::Service => "services",
                crate::insights::SpotKind::Cause => "causes",
            };
            HotSpotView {
                kind: spot.kind.name(),
                href: format!("{facet}/{}/", crate::slug::slugify(&spot.name)),
                name: spot.name.clone(),
                from: spot.from.to_string(),
                to: spot.to.to_string(),
                count: spot.incidents.len(),
                active: spot.active,
                incidents: spot
                    .incidents
                    .iter()
                    .rev()
                    .take(HOT_SPOT_LINKS)
                    .filter_map(|id| archive.get(id))
                    .map(|pm| card(pm, &archive.config))
                    .collect(),
                more: spot.incidents.len().saturating_sub(HOT_SPOT_LINKS),
            }
        })
        .collect()
}

/// How many repeats the page lists, the most recent; `insights.json` has them all.
const REPEATS_LISTED: usize = 50;

/// How many stale actions the page lists, the oldest; `insights.json` has them all.
// why: a backlog of open P0 and P1 actions grows with the archive; listed whole, 20,000 of
// them made the page 5 MB.
const STALE_LISTED: usize = 50;

fn repeats(figures: &Insights, archive: &Archive) -> Vec<RepeatItem> {
    figures
        .repeats
        .iter()
        .take(REPEATS_LISTED)
        .filter_map(|r| {
            Some(RepeatItem {
                pm: card(archive.get(&r.id)?, &archive.config),
                earlier: card(archive.get(&r.earlier)?, &archive.config),
                actions: r.actions.clone(),
                reasons: super::reasons(&r.reasons),
            })
        })
        .collect()
}

/// The view of `/insights/`.
pub fn insights_view(figures: &Insights, archive: &Archive) -> InsightsView {
    let actions = &figures.actions;
    let process = &figures.process;
    InsightsView {
        tiles: tiles(figures),
        volume: volume(figures, "volume"),
        durations: durations(figures),
        trend: trend(figures),
        detection: detection(figures),
        services: services(figures),
        causes: figures
            .causes
            .iter()
            .map(|y| {
                let causes = y
                    .causes
                    .iter()
                    .map(|(c, n)| (c.clone(), crate::slug::slugify(c), *n))
                    .collect();
                CauseYearView {
                    year: y.year,
                    causes,
                }
            })
            .collect(),
        hot_spots: hot_spots(figures, archive, None),
        completion: completion(figures),
        kinds: kinds(figures),
        open_by_priority: Table {
            head: ["priority", "open", "median age"]
                .map(String::from)
                .to_vec(),
            rows: actions
                .open_by_priority
                .iter()
                .filter(|p| p.open > 0)
                .map(|p| {
                    vec![
                        p.priority.clone(),
                        p.open.to_string(),
                        number(p.median_age_days, Unit::Days),
                    ]
                })
                .collect(),
        },
        stale: actions
            .stale
            .iter()
            .take(STALE_LISTED)
            .filter_map(|s| {
                Some(StaleView {
                    pm: card(archive.get(&s.id)?, &archive.config),
                    title: s.title.clone(),
                    priority: s.priority.clone(),
                    ticket: s.ticket.clone(),
                    age: crate::rules::days(s.age_days),
                })
            })
            .collect(),
        overdue: actions.overdue,
        stale_days: archive.config.insights.stale_action_days,
        more_stale: actions.stale.len().saturating_sub(STALE_LISTED),
        process: vec![
            Tile {
                label: "Reviews held on time",
                value: number(process.on_time_share, Unit::Percent),
                note: format!(
                    "{} of {} reviews due by now",
                    process.reviews_on_time, process.reviews_due
                ),
            },
            Tile {
                label: "Resolved to review",
                value: number(process.days_to_review.median, Unit::Days),
                note: format!(
                    "median; 90th percentile {}",
                    number(process.days_to_review.p90, Unit::Days)
                ),
            },
            Tile {
                label: "External messages posted",
                value: format!("{} of {}", process.messages_posted, process.messages_needed),
                note: "incidents with customer impact".into(),
            },
        ],
        repeats: repeats(figures, archive),
        more_repeats: figures.repeats.len().saturating_sub(REPEATS_LISTED),
        granularity: figures.volume.granularity.name(),
    }
}

/// The block of figures on a facet value's page; `hot_spot` names the service or cause whose
/// hot spots it shows (none on a tag's page).
pub fn facet_insights(
    figures: &Insights,
    archive: &Archive,
    id: &str,
    hot_spot: Option<&str>,
) -> FacetInsights {
    FacetInsights {
        tiles: tiles(figures),
        volume: volume(figures, id),
        hot_spots: match hot_spot {
            Some(name) => hot_spots(figures, archive, Some(name)),
            None => Vec::new(),
        },
        repeats: figures.repeats.len(),
    }
}
