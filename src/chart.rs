//! Charts: figures drawn as inline SVG at build time, for the insights page.
//!
//! A leaf of the render stage: each function takes a chart description the caller built from
//! the `Archive`'s figures and returns one `<svg>` element as a string, ready to be pasted into
//! a template. Nothing here reads the disk, the clock or a random source, so the same input
//! gives the same bytes.
//!
//! The SVG holds shapes, positions and class names only, never a colour: the theme's
//! `style.css` colours every mark through CSS custom properties, so the charts follow its light
//! palette, its dark palette and its print styles. Series take one of these classes:
//!
//! - `c-sev0` … `c-sev5`: a severity's colour, most severe first ([`severity_class`]);
//! - `c-cat0` … `c-cat7`: a categorical palette for anything else ([`category_class`]).
//!
//! Heat-map cells are shades of `--accent`, classes `h0` (an empty cell) to `h5`. Embed a chart
//! inside `<div class="chart-wrap">`, which scrolls it sideways on a phone rather than shrink
//! its text below legibility.

use std::fmt::Write as _;

/// The width of every chart in SVG user units; heights follow from the content.
const WIDTH: f64 = 640.0;
/// The text size of ticks, labels and the legend, in user units.
// why: CSS keeps a chart at least 544 px wide (`.chart { min-width: 34rem }`), so 13 units
// never render below 11 px.
const FONT: f64 = 13.0;
/// The size of the visible title.
const TITLE_FONT: f64 = 15.0;
/// An upper estimate of a character's advance, as a fraction of the font size.
// why: the width of text is unknown without the font; the site's sans-serif stack averages
// about 0.55 em, and over-estimating only spaces labels more widely.
const CHAR_EM: f64 = 0.6;
/// The blank margin left and right of the plot area and the title.
const MARGIN: f64 = 16.0;
/// The number of heat-map shades above the empty cell's.
const HEAT_LEVELS: u32 = 5;
/// The number of colours in the categorical palette.
pub const CATEGORY_COLOURS: usize = 8;
/// The number of colours in the severity palette.
pub const SEVERITY_COLOURS: usize = 6;

/// How the values of an axis read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Whole things: `0`, `5`, `10`, `25k`.
    Count,
    /// A share of 100: `40%`.
    Percent,
    /// A duration given in minutes, shown as `45 min`, `3 h` or `2 d`.
    Minutes,
    /// A duration given in days: `12 d`.
    Days,
}

impl Unit {
    /// A value as an axis or a tooltip shows it, with at most one decimal.
    pub fn format(self, value: f64) -> String {
        let value = if value.is_finite() { value } else { 0.0 };
        match self {
            Unit::Count => compact(value),
            Unit::Percent => format!("{}%", decimals(value, 1)),
            Unit::Minutes if value.abs() < 60.0 => format!("{} min", duration(value)),
            // why: up to 48 h reads better in hours ("36 h") than as "1.5 d".
            Unit::Minutes if value.abs() < 2880.0 => format!("{} h", duration(value / 60.0)),
            Unit::Minutes => format!("{} d", duration(value / 1440.0)),
            Unit::Days => format!("{} d", duration(value)),
        }
    }

    /// A figure that may be missing, for tables and reports: as [`Unit::format`], or `–`.
    pub fn format_or_dash(self, value: Option<f64>) -> String {
        value.map_or_else(|| "–".into(), |v| self.format(v))
    }

    /// A tick's label: as [`Unit::format`], but a bare `0` at a duration axis' origin.
    fn tick(self, value: f64) -> String {
        if value == 0.0 && matches!(self, Unit::Minutes | Unit::Days) {
            "0".into()
        } else {
            self.format(value)
        }
    }

    /// The candidate tick steps, in this unit, from which the axis takes the first that gives
    /// at most `MAX_TICKS` intervals; the last is multiplied by ten until one does.
    fn steps(self) -> &'static [f64] {
        match self {
            Unit::Count => &[1.0, 2.0, 5.0, 10.0],
            Unit::Percent => &[1.0, 2.0, 5.0, 10.0, 20.0, 25.0],
            // why: durations step in clock units (15 min, 1 h, 6 h, 1 d, 1 week), not in
            // powers of ten, so ticks land on "2 h" rather than "100 min".
            Unit::Minutes => &[
                1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 180.0, 360.0, 720.0, 1440.0, 2880.0,
                10080.0, 20160.0, 43200.0, 129600.0, 525600.0,
            ],
            Unit::Days => &[1.0, 2.0, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0],
        }
    }
}

/// How the things a chart counts are called, for tooltips: `1 incident`, `4 incidents`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Noun {
    /// The singular, shown after exactly 1.
    pub one: String,
    /// The plural, shown after any other number.
    pub other: String,
}

impl Noun {
    /// A noun from its singular and plural.
    pub fn new(one: &str, other: &str) -> Noun {
        Noun {
            one: one.to_string(),
            other: other.to_string(),
        }
    }

    /// A count followed by this noun, or the bare count when the noun is empty.
    fn count(&self, value: f64) -> String {
        let word = if value == 1.0 { &self.one } else { &self.other };
        if word.is_empty() {
            compact(value)
        } else {
            format!("{} {word}", compact(value))
        }
    }
}

/// The series class of a severity rank, 0 the most severe: `c-sev0`…`c-sev5`, ranks beyond
/// the palette sharing its last colour.
pub fn severity_class(rank: usize) -> String {
    format!("c-sev{}", rank.min(SEVERITY_COLOURS - 1))
}

/// The series class of the `index`th series that is not a severity: `c-cat0`…`c-cat7`,
/// repeating after eight.
pub fn category_class(index: usize) -> String {
    format!("c-cat{}", index % CATEGORY_COLOURS)
}

/// One named row of values: a bar colour or a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The name in the legend and the tooltips.
    pub name: String,
    /// The colour class: `c-sev0`…`c-sev5` or `c-cat0`…`c-cat7`.
    pub class: String,
    /// One value per category, in the chart's category order; a missing or NaN value is no
    /// value (no bar, a break in a line) and values past the last category are ignored.
    pub values: Vec<f64>,
}

/// Vertical bars, one group or stack per category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Unique on the page; the ids of the `<title>` and `<desc>` start with it.
    pub id: String,
    /// The question the chart answers, shown above it.
    pub title: String,
    /// What the chart shows, for screen readers.
    pub description: String,
    /// What the categories are, under the x axis.
    pub x_label: String,
    /// What the bars measure, beside the y axis.
    pub y_label: String,
    /// The x axis, left to right.
    pub categories: Vec<String>,
    /// The bars of each category, drawn left to right or bottom to top. Negative values
    /// count as zero.
    pub series: Vec<Series>,
    /// One stack per category rather than bars side by side.
    pub stacked: bool,
    /// Each stack as its share of the category's total, all stacks reaching 100%; implies
    /// `stacked`.
    pub percent: bool,
    /// What the values count, for the tooltips.
    pub noun: Noun,
}

/// Lines over categories, such as months.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Unique on the page; the ids of the `<title>` and `<desc>` start with it.
    pub id: String,
    /// The question the chart answers, shown above it.
    pub title: String,
    /// What the chart shows, for screen readers.
    pub description: String,
    /// What the categories are, under the x axis.
    pub x_label: String,
    /// What the lines measure, beside the y axis.
    pub y_label: String,
    /// The x axis, left to right.
    pub categories: Vec<String>,
    /// One line each; a NaN value breaks the line. Negative values count as zero.
    pub series: Vec<Series>,
    /// How the values read on the y axis and in the tooltips.
    pub y_unit: Unit,
}

/// One row of a strip chart: the values of one group and their summary.
#[derive(Debug, Clone, PartialEq)]
pub struct StripGroup {
    /// The row's label.
    pub name: String,
    /// The colour class of its dots: `c-sev0`…`c-sev5` or `c-cat0`…`c-cat7`.
    pub class: String,
    /// One dot each; NaN values are left out.
    pub values: Vec<f64>,
    /// Drawn as a solid tick when given.
    pub median: Option<f64>,
    /// The 90th percentile, drawn as a dashed tick when given.
    pub p90: Option<f64>,
}

/// The spread of a measure per group: a dot per value on one horizontal row per group.
#[derive(Debug, Clone, PartialEq)]
pub struct StripChart {
    /// Unique on the page; the ids of the `<title>` and `<desc>` start with it.
    pub id: String,
    /// The question the chart answers, shown above it.
    pub title: String,
    /// What the chart shows, for screen readers.
    pub description: String,
    /// What the values measure, under the x axis.
    pub x_label: String,
    /// The rows, top to bottom.
    pub groups: Vec<StripGroup>,
    /// How the values read; `Minutes` draws a logarithmic axis, durations spanning minutes
    /// to weeks.
    pub unit: Unit,
    /// What one dot stands for, in the legend: "one incident".
    pub noun: Noun,
}

/// Counts in a grid of rows and columns, each cell shaded by its count.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// Unique on the page; the ids of the `<title>` and `<desc>` start with it.
    pub id: String,
    /// The question the chart answers, shown above it.
    pub title: String,
    /// What the chart shows, for screen readers.
    pub description: String,
    /// What the columns are, under the grid.
    pub x_label: String,
    /// What the rows are, beside the grid.
    pub y_label: String,
    /// The column labels, left to right.
    pub columns: Vec<String>,
    /// Each row's label and its count per column; missing counts are zero.
    pub rows: Vec<(String, Vec<u32>)>,
    /// What the counts count, for the tooltips.
    pub noun: Noun,
}

/// A bar chart: grouped bars, stacks, or stacks of 100%.
pub fn bars(chart: &BarChart) -> String {
    let mut svg = Svg::default();
    let legend: Vec<(&str, &str, Mark)> = chart
        .series
        .iter()
        .map(|s| (s.name.as_str(), s.class.as_str(), Mark::Swatch))
        .collect();
    let top = svg.header(&chart.title, &legend);
    let height = 360.0_f64.max(top + 200.0);
    let stacked = chart.stacked || chart.percent;
    let value = |s: &Series, i: usize| {
        s.values
            .get(i)
            .copied()
            .filter(|v| v.is_finite())
            .map(|v| v.max(0.0))
    };
    let n = chart.categories.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| chart.series.iter().filter_map(|s| value(s, i)).sum())
        .collect();
    let has_data = (0..n).any(|i| chart.series.iter().any(|s| value(s, i).is_some()));
    if !has_data {
        svg.no_data(top, height);
        return svg.finish(&chart.id, &chart.title, &chart.description, height);
    }
    let max = if chart.percent {
        100.0
    } else if stacked {
        totals.iter().copied().fold(0.0, f64::max)
    } else {
        (0..n)
            .flat_map(|i| chart.series.iter().filter_map(move |s| value(s, i)))
            .fold(0.0, f64::max)
    };
    let unit = if chart.percent {
        Unit::Percent
    } else {
        Unit::Count
    };
    let plot = svg.axes(
        top,
        height,
        &ValueAxis::new(max, unit),
        &chart.categories,
        &chart.x_label,
        &chart.y_label,
    );
    let slot = plot.width() / n as f64;
    // why: a gap of a fifth of the slot keeps neighbouring categories apart at any count.
    let band = slot * 0.8;
    for (i, category) in chart.categories.iter().enumerate() {
        let x0 = plot.area.left + slot * i as f64 + (slot - band) / 2.0;
        let mut below = 0.0;
        for (k, series) in chart.series.iter().enumerate() {
            let Some(v) = value(series, i) else { continue };
            let mut tip = format!("{category} · {}: {}", series.name, chart.noun.count(v));
            let (x, width, from, to) = if stacked {
                let shown = if chart.percent && totals[i] > 0.0 {
                    v / totals[i] * 100.0
                } else if chart.percent {
                    0.0
                } else {
                    v
                };
                if chart.percent {
                    tip = format!(
                        "{category} · {}: {} ({})",
                        series.name,
                        Unit::Percent.format(shown),
                        chart.noun.count(v)
                    );
                }
                let from = below;
                below += shown;
                (x0, band, from, below)
            } else {
                let width = band / chart.series.len() as f64;
                (x0 + width * k as f64, width, 0.0, v)
            };
            let (y_top, y_bottom) = (plot.y(to), plot.y(from));
            let _ = write!(
                svg.body,
                r#"<rect class="bar {}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
                escape(&series.class),
                num(x),
                num(y_top),
                num(width),
                num(y_bottom - y_top),
                escape(&tip),
            );
            svg.body.push('\n');
        }
    }
    svg.finish(&chart.id, &chart.title, &chart.description, height)
}

/// A line chart over categories; each value also gets a dot with its tooltip.
pub fn lines(chart: &LineChart) -> String {
    let mut svg = Svg::default();
    let legend: Vec<(&str, &str, Mark)> = chart
        .series
        .iter()
        .map(|s| (s.name.as_str(), s.class.as_str(), Mark::Swatch))
        .collect();
    let top = svg.header(&chart.title, &legend);
    let height = 360.0_f64.max(top + 200.0);
    let n = chart.categories.len();
    let value = |s: &Series, i: usize| {
        s.values
            .get(i)
            .copied()
            .filter(|v| v.is_finite())
            .map(|v| v.max(0.0))
    };
    let max = (0..n)
        .flat_map(|i| chart.series.iter().filter_map(move |s| value(s, i)))
        .fold(f64::NAN, f64::max);
    if max.is_nan() {
        svg.no_data(top, height);
        return svg.finish(&chart.id, &chart.title, &chart.description, height);
    }
    let plot = svg.axes(
        top,
        height,
        &ValueAxis::new(max, chart.y_unit),
        &chart.categories,
        &chart.x_label,
        &chart.y_label,
    );
    let slot = plot.width() / n as f64;
    let x = |i: usize| plot.area.left + slot * (i as f64 + 0.5);
    for series in &chart.series {
        let class = escape(&series.class);
        // why: each run of values between NaNs is its own subpath, so a gap shows as a break
        // rather than a line drawn across the months without a value.
        let mut path = String::new();
        let mut pen_down = false;
        for i in 0..n {
            match value(series, i) {
                Some(v) => {
                    let command = if pen_down { 'L' } else { 'M' };
                    let _ = write!(path, "{command}{} {}", num(x(i)), num(plot.y(v)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = writeln!(svg.body, r#"<path class="line {class}" d="{path}"/>"#);
        }
        for i in 0..n {
            let Some(v) = value(series, i) else { continue };
            let tip = format!(
                "{} · {}: {}",
                chart.categories[i],
                series.name,
                chart.y_unit.format(v)
            );
            let _ = writeln!(
                svg.body,
                r#"<circle class="point {class}" cx="{}" cy="{}" r="3.5"><title>{}</title></circle>"#,
                num(x(i)),
                num(plot.y(v)),
                escape(&tip),
            );
        }
    }
    svg.finish(&chart.id, &chart.title, &chart.description, height)
}

/// A strip chart: per group a row of dots, one per value, with its median and 90th
/// percentile as labelled ticks.
pub fn strips(chart: &StripChart) -> String {
    const ROW: f64 = 56.0;
    let mut svg = Svg::default();
    let one = if chart.noun.one.is_empty() {
        "one value".to_string()
    } else {
        format!("one {}", chart.noun.one)
    };
    let top = svg.header(
        &chart.title,
        &[
            (one.as_str(), "key", Mark::Dot),
            ("median", "median", Mark::Tick),
            ("90th percentile", "p90", Mark::Tick),
        ],
    );
    let finite = |g: &StripGroup| -> Vec<f64> {
        g.values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .map(|v| v.max(0.0))
            .collect()
    };
    let all: Vec<f64> = chart.groups.iter().flat_map(finite).collect();
    let rows_height = ROW * chart.groups.len().max(1) as f64;
    let height = top + rows_height + 56.0;
    if all.is_empty() {
        let height = height.max(top + 120.0);
        svg.no_data(top, height);
        return svg.finish(&chart.id, &chart.title, &chart.description, height);
    }
    let (lo, hi) = all.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    let scale = if chart.unit == Unit::Minutes {
        Scale::log(lo, hi)
    } else {
        Scale::Linear(ValueAxis::new(hi, chart.unit))
    };
    let names: Vec<String> = chart
        .groups
        .iter()
        .map(|g| fit(&g.name, 150.0, FONT))
        .collect();
    let name_width = names
        .iter()
        .map(|n| text_width(n, FONT))
        .fold(0.0, f64::max);
    let plot = Plot {
        left: MARGIN + name_width + 14.0,
        right: WIDTH - MARGIN - 10.0,
        top,
        bottom: top + rows_height,
    };
    let x = |v: f64| plot.left + scale.fraction(v) * plot.width();
    // The value axis: gridlines through every row, labels beneath.
    let mut last_label_end = f64::NEG_INFINITY;
    for tick in scale.ticks() {
        let tx = x(tick);
        let label = chart.unit.tick(tick);
        let half = text_width(&label, FONT) / 2.0;
        let _ = writeln!(
            svg.body,
            r#"<line class="grid" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>"#,
            num(tx),
            num(plot.top),
            num(plot.bottom)
        );
        // why: on a log axis ticks crowd where the range is short; a label that would touch
        // the previous one is left out, its gridline kept.
        if tx - half > last_label_end + 4.0 {
            svg.text(tx, plot.bottom + 18.0, "tick", "middle", &label);
            last_label_end = tx + half;
        }
    }
    svg.text(
        (plot.left + plot.right) / 2.0,
        plot.bottom + 42.0,
        "axis-label",
        "middle",
        &chart.x_label,
    );
    for (row, group) in chart.groups.iter().enumerate() {
        let y0 = plot.top + ROW * row as f64;
        let mid = y0 + ROW / 2.0;
        let class = escape(&group.class);
        svg.text(
            plot.left - 14.0,
            mid + FONT * 0.35,
            "row-label",
            "end",
            &names[row],
        );
        let values = finite(group);
        if values.is_empty() {
            svg.text(plot.left + 6.0, mid + FONT * 0.35, "empty", "start", "none");
            continue;
        }
        for (i, &v) in values.iter().enumerate() {
            // why: the golden ratio's fractional multiples spread dots evenly over the band
            // without a random source, so the same values always land in the same places.
            let jitter = ((i as f64 * 0.618_034).fract() - 0.5) * 16.0;
            let tip = format!("{}: {}", group.name, chart.unit.format(v));
            let _ = writeln!(
                svg.body,
                r#"<circle class="dot {class}" cx="{}" cy="{}" r="4"><title>{}</title></circle>"#,
                num(x(v)),
                num(mid + jitter),
                escape(&tip),
            );
        }
        let ticks = [
            (group.median, "median", "median", y0 + 14.0),
            (group.p90, "p90", "p90", y0 + ROW - 5.0),
        ];
        for (value, class, word, label_y) in ticks {
            let Some(v) = value.filter(|v| v.is_finite()).map(|v| v.max(0.0)) else {
                continue;
            };
            let tx = x(v);
            let _ = writeln!(
                svg.body,
                r#"<line class="{class}" x1="{0}" y1="{1}" x2="{0}" y2="{2}"><title>{3}</title></line>"#,
                num(tx),
                num(mid - 12.0),
                num(mid + 12.0),
                escape(&format!("{}: {word} {}", group.name, chart.unit.format(v))),
            );
            let label = format!("{word} {}", chart.unit.format(v));
            let half = text_width(&label, FONT) / 2.0;
            let cx = tx.clamp(plot.left + half, (plot.right - half).max(plot.left + half));
            svg.text(cx, label_y, "tick-label", "middle", &label);
        }
    }
    svg.finish(&chart.id, &chart.title, &chart.description, height)
}

/// A heat map: a grid of cells shaded `h0`…`h5` by count, each non-zero cell printing its
/// count.
pub fn heat_map(map: &HeatMap) -> String {
    const CELL: f64 = 28.0;
    let mut svg = Svg::default();
    let top = svg.header(&map.title, &[]);
    let max = map
        .rows
        .iter()
        .flat_map(|(_, counts)| counts.iter().take(map.columns.len()))
        .copied()
        .max()
        .unwrap_or(0);
    // The shade key, right-aligned under the title: 0, the five shades, the maximum.
    let top = if map.columns.is_empty() || map.rows.is_empty() {
        top
    } else {
        let label = format!("{max}");
        let right = WIDTH - MARGIN - text_width(&label, FONT);
        svg.text(right, top + 12.0, "legend-text", "start", &label);
        let mut x = right - 6.0 - 16.0 * f64::from(HEAT_LEVELS + 1);
        svg.text(x - 6.0, top + 12.0, "legend-text", "end", "0");
        let _ = write!(svg.body, r#"<g class="legend scale">"#);
        for level in 0..=HEAT_LEVELS {
            let _ = write!(
                svg.body,
                r#"<rect class="cell h{level}" x="{}" y="{}" width="14" height="14"/>"#,
                num(x),
                num(top + 1.0),
            );
            x += 16.0;
        }
        let _ = writeln!(svg.body, "</g>");
        top + 26.0
    };
    let rows_height = CELL * map.rows.len().max(1) as f64;
    let height = top + rows_height + 56.0;
    if map.columns.is_empty() || map.rows.is_empty() {
        let height = height.max(top + 120.0);
        svg.no_data(top, height);
        return svg.finish(&map.id, &map.title, &map.description, height);
    }
    let names: Vec<String> = map
        .rows
        .iter()
        .map(|(name, _)| fit(name, 150.0, FONT))
        .collect();
    let name_width = names
        .iter()
        .map(|n| text_width(n, FONT))
        .fold(0.0, f64::max);
    // why: the upright y label, then a gap wide enough for a capital's overhang.
    let left = MARGIN + FONT + 16.0 + name_width + 8.0;
    let plot = Plot {
        left,
        right: WIDTH - MARGIN,
        top,
        bottom: top + rows_height,
    };
    let cell_width = plot.width() / map.columns.len() as f64;
    for (r, ((row_name, counts), label)) in map.rows.iter().zip(&names).enumerate() {
        let y = plot.top + CELL * r as f64;
        svg.text(
            plot.left - 8.0,
            y + CELL / 2.0 + FONT * 0.35,
            "row-label",
            "end",
            label,
        );
        for (c, column) in map.columns.iter().enumerate() {
            let count = counts.get(c).copied().unwrap_or(0);
            let level = if count == 0 {
                0
            } else {
                // why: the ceiling keeps every non-zero count off the empty cell's shade.
                (u64::from(count) * u64::from(HEAT_LEVELS)).div_ceil(u64::from(max.max(1)))
            };
            let x = plot.left + cell_width * c as f64;
            let tip = format!(
                "{row_name} · {column}: {}",
                map.noun.count(f64::from(count))
            );
            let _ = writeln!(
                svg.body,
                r#"<rect class="cell h{level}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
                num(x + 1.0),
                num(y + 1.0),
                num((cell_width - 2.0).max(0.5)),
                num(CELL - 2.0),
                escape(&tip),
            );
            if count > 0 {
                let digits = count.to_string();
                // why: wide grids shrink the number to its cell rather than let it spill into
                // the next one.
                let size = (12.0_f64).min((cell_width - 3.0) / (digits.len() as f64 * CHAR_EM));
                let strong = if level == u64::from(HEAT_LEVELS) {
                    " on-accent"
                } else {
                    ""
                };
                let _ = writeln!(
                    svg.body,
                    r#"<text class="cell-count{strong}" x="{}" y="{}" text-anchor="middle" font-size="{}" aria-hidden="true">{digits}</text>"#,
                    num(x + cell_width / 2.0),
                    num(y + CELL / 2.0 + size * 0.35),
                    num(size.max(1.0)),
                );
            }
        }
    }
    svg.category_labels(&map.columns, plot.left, cell_width, plot.bottom + 18.0);
    svg.text(
        (plot.left + plot.right) / 2.0,
        plot.bottom + 42.0,
        "axis-label",
        "middle",
        &map.x_label,
    );
    svg.y_label(
        MARGIN + FONT / 2.0,
        (plot.top + plot.bottom) / 2.0,
        &map.y_label,
    );
    svg.finish(&map.id, &map.title, &map.description, height)
}

/// The plot area of a chart, in user units.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Plot {
    fn width(&self) -> f64 {
        self.right - self.left
    }
}

/// A plot area with its linear value axis, from zero up: maps values to y.
struct ValuePlot {
    area: Plot,
    axis_top: f64,
}

impl ValuePlot {
    fn width(&self) -> f64 {
        self.area.width()
    }

    fn y(&self, value: f64) -> f64 {
        let share = (value / self.axis_top).clamp(0.0, 1.0);
        self.area.bottom - share * (self.area.bottom - self.area.top)
    }
}

/// A linear axis from zero to a round top, with round ticks.
#[derive(Debug, Clone, Copy)]
struct ValueAxis {
    step: f64,
    top: f64,
    unit: Unit,
}

/// The most intervals an axis is divided into.
const MAX_TICKS: f64 = 6.0;

impl ValueAxis {
    /// An axis covering `max`: the smallest of the unit's round steps that needs at most
    /// `MAX_TICKS` intervals.
    fn new(max: f64, unit: Unit) -> ValueAxis {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            // why: an axis of only zeros still needs a height; five reads as "a few".
            match unit {
                Unit::Percent => 100.0,
                _ => 5.0,
            }
        };
        let steps = unit.steps();
        let mut scale = 1.0;
        let step = loop {
            if let Some(s) = steps
                .iter()
                .map(|s| s * scale)
                .find(|s| max / s <= MAX_TICKS)
            {
                break s;
            }
            scale *= 10.0;
        };
        let top = (max / step - 1e-9).ceil().max(1.0) * step;
        ValueAxis { step, top, unit }
    }

    fn ticks(&self) -> Vec<f64> {
        let count = (self.top / self.step).round() as usize;
        (0..=count).map(|i| self.step * i as f64).collect()
    }
}

/// How the strip chart places values across its width.
enum Scale {
    Linear(ValueAxis),
    /// Logarithmic between two round durations, in minutes.
    Log {
        lo: f64,
        hi: f64,
    },
}

/// The round durations, in minutes, a logarithmic axis ticks at: 1 min, 5 min, 15 min, 1 h,
/// 4 h, 1 d, 7 d, 30 d, 365 d; beyond that, tenfold.
const LOG_TICKS: [f64; 9] = [
    1.0, 5.0, 15.0, 60.0, 240.0, 1440.0, 10080.0, 43200.0, 525600.0,
];

impl Scale {
    /// A log scale from the round duration at or below `lo` to the one at or above `hi`.
    fn log(lo: f64, hi: f64) -> Scale {
        let ladder = Self::ladder(hi);
        // why: zero has no logarithm; anything under a minute sits at the axis' start.
        let lo = ladder
            .iter()
            .copied()
            .filter(|&t| t <= lo.max(1.0))
            .fold(1.0, f64::max);
        let hi = ladder
            .iter()
            .copied()
            .find(|&t| t >= hi && t > lo)
            .unwrap_or(lo * 5.0);
        Scale::Log { lo, hi }
    }

    /// The log ticks, extended tenfold until one passes `hi`.
    fn ladder(hi: f64) -> Vec<f64> {
        let mut ladder = LOG_TICKS.to_vec();
        let mut last = LOG_TICKS[LOG_TICKS.len() - 1];
        while last < hi && last.is_finite() {
            last *= 10.0;
            ladder.push(last);
        }
        ladder
    }

    /// Where `value` falls across the axis, from 0 to 1.
    fn fraction(&self, value: f64) -> f64 {
        let share = match self {
            Scale::Linear(axis) => value / axis.top,
            Scale::Log { lo, hi } => (value.max(*lo).ln() - lo.ln()) / (hi.ln() - lo.ln()),
        };
        share.clamp(0.0, 1.0)
    }

    fn ticks(&self) -> Vec<f64> {
        match self {
            Scale::Linear(axis) => axis.ticks(),
            Scale::Log { lo, hi } => Self::ladder(*hi)
                .into_iter()
                .filter(|t| t >= lo && t <= hi)
                .collect(),
        }
    }
}

/// How a legend entry is drawn: a series' colour, or one of the strip chart's marks.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Swatch,
    Dot,
    Tick,
}

/// A chart being written: the elements inside the `<svg>`.
#[derive(Default)]
struct Svg {
    body: String,
}

impl Svg {
    /// The visible title, wrapped to two lines, and a legend when there is more than one
    /// entry; returns where the plot area may start.
    fn header(&mut self, title: &str, legend: &[(&str, &str, Mark)]) -> f64 {
        let mut y = 8.0;
        for line in wrap(title, WIDTH - 2.0 * MARGIN, TITLE_FONT, 2) {
            y += TITLE_FONT * 1.3;
            // why: the `<title>` already names the chart to screen readers.
            let _ = writeln!(
                self.body,
                r#"<text class="chart-title" x="{}" y="{}" font-size="{}" aria-hidden="true">{}</text>"#,
                num(MARGIN),
                num(y),
                num(TITLE_FONT),
                escape(&line)
            );
        }
        y += 10.0;
        if legend.len() > 1 {
            let _ = writeln!(self.body, r#"<g class="legend">"#);
            let mut x = MARGIN;
            y += 6.0;
            for (name, class, mark) in legend {
                let name = fit(name, 200.0, FONT);
                let width = 14.0 + 6.0 + text_width(&name, FONT) + 18.0;
                if x > MARGIN && x + width > WIDTH - MARGIN {
                    x = MARGIN;
                    y += 20.0;
                }
                let class = escape(class);
                let (middle, top) = (num(x + 6.0), num(y - 10.0));
                let mark = match mark {
                    Mark::Swatch => format!(
                        r#"<rect class="swatch {class}" x="{}" y="{top}" width="12" height="12" rx="2"/>"#,
                        num(x)
                    ),
                    Mark::Dot => format!(
                        r#"<circle class="dot {class}" cx="{middle}" cy="{}" r="4"/>"#,
                        num(y - 4.0)
                    ),
                    Mark::Tick => format!(
                        r#"<line class="{class}" x1="{middle}" y1="{top}" x2="{middle}" y2="{}"/>"#,
                        num(y + 2.0)
                    ),
                };
                let _ = writeln!(
                    self.body,
                    r#"<g class="legend-item">{mark}{}</g>"#,
                    text_element(x + 18.0, y, "legend-text", "start", &name),
                );
                x += width;
            }
            let _ = writeln!(self.body, "</g>");
            y += 16.0;
        }
        y
    }

    /// The value axis on the left with its gridlines, the categories under the plot, and both
    /// axis labels; returns the plot area.
    fn axes(
        &mut self,
        top: f64,
        height: f64,
        axis: &ValueAxis,
        categories: &[String],
        x_label: &str,
        y_label: &str,
    ) -> ValuePlot {
        let ticks = axis.ticks();
        let labels: Vec<String> = ticks.iter().map(|&t| axis.unit.tick(t)).collect();
        let label_width = labels
            .iter()
            .map(|l| text_width(l, FONT))
            .fold(0.0, f64::max);
        let area = Plot {
            left: MARGIN + FONT + 16.0 + label_width + 6.0,
            right: WIDTH - MARGIN,
            top: top + 6.0,
            bottom: height - 52.0,
        };
        let plot = ValuePlot {
            area,
            axis_top: axis.top,
        };
        for (&tick, label) in ticks.iter().zip(&labels) {
            let y = plot.y(tick);
            let class = if tick == 0.0 { "axis" } else { "grid" };
            let _ = writeln!(
                self.body,
                r#"<line class="{class}" x1="{0}" y1="{1}" x2="{2}" y2="{1}"/>"#,
                num(area.left),
                num(y),
                num(area.right)
            );
            self.text(area.left - 6.0, y + FONT * 0.35, "tick", "end", label);
        }
        let slot = area.width() / categories.len() as f64;
        self.category_labels(categories, area.left, slot, area.bottom + 18.0);
        self.text(
            (area.left + area.right) / 2.0,
            area.bottom + 42.0,
            "axis-label",
            "middle",
            x_label,
        );
        self.y_label(MARGIN + FONT / 2.0, (area.top + area.bottom) / 2.0, y_label);
        plot
    }

    /// Category labels centred under their slots: shortened to fit a slot, and when even
    /// the shortest readable label does not fit, only every n-th.
    fn category_labels(&mut self, categories: &[String], left: f64, slot: f64, y: f64) {
        // why: seven characters keep "2024-03" and "Tue" whole; longer names are cut to the
        // slot with an ellipsis, their full text in the label's tooltip.
        let room = (slot - 6.0).max(text_width("2024-03", FONT));
        let labels: Vec<String> = categories.iter().map(|c| fit(c, room, FONT)).collect();
        let widest = labels
            .iter()
            .map(|l| text_width(l, FONT))
            .fold(0.0, f64::max);
        let every = ((widest + 6.0) / slot).ceil().max(1.0) as usize;
        let _ = writeln!(self.body, r#"<g class="categories">"#);
        for (i, (label, full)) in labels.iter().zip(categories).enumerate() {
            if i % every != 0 {
                continue;
            }
            let x = left + slot * (i as f64 + 0.5);
            if label == full {
                self.text(x, y, "tick", "middle", label);
            } else {
                let _ = writeln!(
                    self.body,
                    r#"<text class="tick" x="{}" y="{}" text-anchor="middle">{}<title>{}</title></text>"#,
                    num(x),
                    num(y),
                    escape(label),
                    escape(full)
                );
            }
        }
        let _ = writeln!(self.body, "</g>");
    }

    /// The y axis' label, written upwards and centred on `(x, y)`.
    fn y_label(&mut self, x: f64, y: f64, label: &str) {
        let label = fit(label, 240.0, FONT);
        let _ = writeln!(
            self.body,
            r#"<text class="axis-label" x="{0}" y="{1}" text-anchor="middle" dominant-baseline="central" transform="rotate(-90 {0} {1})">{2}</text>"#,
            num(x),
            num(y),
            escape(&label)
        );
    }

    /// "No data" in the middle of the plot area.
    fn no_data(&mut self, top: f64, height: f64) {
        let _ = writeln!(
            self.body,
            r#"<rect class="frame" x="{}" y="{}" width="{}" height="{}"/>"#,
            num(MARGIN),
            num(top),
            num(WIDTH - 2.0 * MARGIN),
            num(height - top - MARGIN)
        );
        self.text(
            WIDTH / 2.0,
            (top + height) / 2.0,
            "empty",
            "middle",
            "No data",
        );
    }

    fn text(&mut self, x: f64, y: f64, class: &str, anchor: &str, content: &str) {
        self.body
            .push_str(&text_element(x, y, class, anchor, content));
        self.body.push('\n');
    }

    /// The `<svg>` element around the body, named by its title and described.
    fn finish(self, id: &str, title: &str, description: &str, height: f64) -> String {
        let id = escape(id);
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" "#,
                r#"aria-labelledby="{id}-title {id}-desc" class="chart" font-size="{f}">"#,
                "\n",
                r#"<title id="{id}-title">{title}</title>"#,
                "\n",
                r#"<desc id="{id}-desc">{desc}</desc>"#,
                "\n{body}</svg>"
            ),
            w = num(WIDTH),
            h = num(height.ceil()),
            f = num(FONT),
            id = id,
            title = escape(title),
            desc = escape(description),
            body = self.body,
        )
    }
}

fn text_element(x: f64, y: f64, class: &str, anchor: &str, content: &str) -> String {
    format!(
        r#"<text class="{class}" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
        num(x),
        num(y),
        escape(content)
    )
}

/// The estimated width of `text` at `size`.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_EM
}

/// `text` cut to `width` with an ellipsis, whole if it fits.
fn fit(text: &str, width: f64, size: f64) -> String {
    let room = (width / (size * CHAR_EM)).floor().max(2.0) as usize;
    if text.chars().count() <= room {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(room - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// `text` broken at spaces into at most `max_lines` lines of `width`, the last cut to fit.
fn wrap(text: &str, width: f64, size: f64, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while words.peek().is_some() {
        let mut line = String::new();
        while let Some(word) = words.peek() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && text_width(&candidate, size) > width {
                break;
            }
            line = candidate;
            words.next();
        }
        if lines.len() + 1 == max_lines {
            let rest: Vec<&str> = words.collect();
            if !rest.is_empty() {
                line = format!("{line} {}", rest.join(" "));
            }
            lines.push(fit(&line, width, size));
            break;
        }
        lines.push(fit(&line, width, size));
    }
    lines
}

/// A coordinate with at most two decimals, never NaN, infinite or `-0`.
fn num(value: f64) -> String {
    if !value.is_finite() {
        return "0".into();
    }
    decimals(value, 2)
}

/// `value` rounded to `places` decimals, trailing zeros dropped.
fn decimals(value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    match text {
        "-0" => "0".into(),
        other => other.into(),
    }
}

/// A duration's number: one decimal under ten (`1.5 h`), whole above (`39 h`, not `39.2 h`).
fn duration(value: f64) -> String {
    if value.abs() < 10.0 {
        decimals(value, 1)
    } else {
        compact(value.round())
    }
}

/// A count as an axis shows it: `950`, `12k`, `1.5M`.
fn compact(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1e6 {
        format!("{}M", decimals(value / 1e6, 1))
    } else if abs >= 1e4 {
        format!("{}k", decimals(value / 1e3, 1))
    } else {
        decimals(value, 1)
    }
}

/// `text` safe inside XML text and attribute values, on one line: control characters XML
/// forbids are dropped, line breaks and tabs become spaces.
fn escape(text: &str) -> String {
    let line: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    crate::markdown::escape_html(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, class: &str, values: &[f64]) -> Series {
        Series {
            name: name.into(),
            class: class.into(),
            values: values.to_vec(),
        }
    }

    fn bar_chart(categories: &[&str], series: Vec<Series>) -> BarChart {
        BarChart {
            id: "sev".into(),
            title: "How many incidents each quarter, by severity?".into(),
            description: "Incidents per quarter, one bar per severity.".into(),
            x_label: "Quarter".into(),
            y_label: "Incidents".into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            series,
            stacked: false,
            percent: false,
            noun: Noun::new("incident", "incidents"),
        }
    }

    fn line_chart(categories: usize, series: Vec<Series>) -> LineChart {
        LineChart {
            id: "ttr".into(),
            title: "Is recovery getting faster?".into(),
            description: "Median time to recover per month.".into(),
            x_label: "Month".into(),
            y_label: "Time to recover".into(),
            categories: months(categories),
            series,
            y_unit: Unit::Minutes,
        }
    }

    fn strip_chart(groups: Vec<StripGroup>) -> StripChart {
        StripChart {
            id: "detect".into(),
            title: "How long until we noticed?".into(),
            description: "Time to detect per detection method.".into(),
            x_label: "Time to detect".into(),
            groups,
            unit: Unit::Minutes,
            noun: Noun::new("incident", "incidents"),
        }
    }

    fn group(name: &str, values: &[f64], median: Option<f64>, p90: Option<f64>) -> StripGroup {
        StripGroup {
            name: name.into(),
            class: "c-cat0".into(),
            values: values.to_vec(),
            median,
            p90,
        }
    }

    fn heat(columns: &[&str], rows: Vec<(&str, Vec<u32>)>) -> HeatMap {
        HeatMap {
            id: "when".into(),
            title: "When do incidents start?".into(),
            description: "Incidents by weekday and hour.".into(),
            x_label: "Hour".into(),
            y_label: "Weekday".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows.into_iter().map(|(n, c)| (n.to_string(), c)).collect(),
            noun: Noun::new("incident", "incidents"),
        }
    }

    fn months(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{}-{:02}", 2021 + i / 12, i % 12 + 1))
            .collect()
    }

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"))
    }

    fn has_class(node: &roxmltree::Node, class: &str) -> bool {
        node.attribute("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == class))
    }

    fn marks<'a, 'i>(
        doc: &'a roxmltree::Document<'i>,
        tag: &str,
        class: &str,
    ) -> Vec<roxmltree::Node<'a, 'i>> {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag) && has_class(n, class))
            .collect()
    }

    fn number(node: &roxmltree::Node, name: &str) -> f64 {
        node.attribute(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .parse()
            .unwrap()
    }

    fn tooltip(node: &roxmltree::Node) -> String {
        node.children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or_default()
            .to_string()
    }

    /// Every chart type over the edge cases the brief names.
    fn edge_cases() -> Vec<String> {
        let mut out = Vec::new();
        let nan = f64::NAN;
        let shapes: Vec<(Vec<&str>, Vec<Series>)> = vec![
            (vec![], vec![]),
            (vec![], vec![series("a", "c-sev0", &[1.0])]),
            (vec!["Q1", "Q2"], vec![]),
            (vec!["Q1", "Q2"], vec![series("a", "c-sev0", &[0.0, 0.0])]),
            (vec!["Q1"], vec![series("a", "c-sev0", &[3.0])]),
            (vec!["Q1"], vec![series("a", "c-sev0", &[nan])]),
            (
                vec!["Q1", "Q2", "Q3"],
                vec![
                    series("a", "c-sev0", &[1e7, nan, 2.5e6]),
                    series("b", "c-sev1", &[nan, f64::INFINITY, -3.0]),
                ],
            ),
        ];
        for (categories, s) in shapes {
            for (stacked, percent) in [(false, false), (true, false), (true, true)] {
                let mut chart = bar_chart(&categories, s.clone());
                chart.stacked = stacked;
                chart.percent = percent;
                out.push(bars(&chart));
            }
            let mut line = line_chart(categories.len(), s.clone());
            out.push(lines(&line));
            line.y_unit = Unit::Count;
            out.push(lines(&line));
        }
        for groups in [
            vec![],
            vec![group("Pager", &[], None, None)],
            vec![group("Pager", &[0.0], Some(0.0), Some(0.0))],
            vec![group("Pager", &[45.0], Some(45.0), Some(45.0))],
            vec![
                group("Pager", &[nan, 3.0, 1e7], Some(nan), Some(1e7)),
                group("Customer", &[], Some(3.0), None),
            ],
        ] {
            let mut chart = strip_chart(groups);
            out.push(strips(&chart));
            chart.unit = Unit::Days;
            out.push(strips(&chart));
        }
        out.push(heat_map(&heat(&[], vec![])));
        out.push(heat_map(&heat(&["0"], vec![])));
        out.push(heat_map(&heat(&[], vec![("Mon", vec![1])])));
        out.push(heat_map(&heat(&["0", "1"], vec![("Mon", vec![0, 0])])));
        out.push(heat_map(&heat(&["0"], vec![("Mon", vec![u32::MAX])])));
        out
    }

    #[test]
    fn every_chart_is_an_image_named_by_its_title_and_description() {
        for svg in edge_cases() {
            let doc = parse(&svg);
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(
                root.tag_name().namespace(),
                Some("http://www.w3.org/2000/svg")
            );
            assert_eq!(root.attribute("role"), Some("img"));
            assert_eq!(root.attribute("class"), Some("chart"));
            let id = ["sev", "ttr", "detect", "when"]
                .into_iter()
                .find(|id| svg.contains(&format!(r#"id="{id}-title""#)))
                .expect("a known id");
            assert_eq!(
                root.attribute("aria-labelledby"),
                Some(format!("{id}-title {id}-desc").as_str())
            );
            let first = root.first_element_child().unwrap();
            assert_eq!(first.tag_name().name(), "title");
            assert_eq!(first.attribute("id"), Some(format!("{id}-title").as_str()));
            let second = first.next_sibling_element().unwrap();
            assert_eq!(second.tag_name().name(), "desc");
            assert_eq!(second.attribute("id"), Some(format!("{id}-desc").as_str()));
            let view: Vec<f64> = root
                .attribute("viewBox")
                .unwrap()
                .split(' ')
                .map(|v| v.parse().unwrap())
                .collect();
            assert_eq!(view[..3], [0.0, 0.0, WIDTH]);
            assert!(view[3] > 100.0);
            let visible = marks(&doc, "text", "chart-title");
            assert_eq!(visible[0].text(), first.text(), "the visible title");
        }
    }

    #[test]
    fn no_output_holds_a_colour_nan_or_infinity_or_a_long_decimal() {
        let colour = regex::Regex::new(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(").unwrap();
        let long_decimal = regex::Regex::new(r"\d\.\d{3}").unwrap();
        let mut outputs = edge_cases();
        let mut full = bar_chart(
            &["Q1", "Q2"],
            vec![series("a", "c-sev0", &[1.0 / 3.0, 2.0])],
        );
        outputs.push(bars(&full));
        full.percent = true;
        outputs.push(bars(&full));
        for svg in &outputs {
            let doc = parse(svg);
            for node in doc.descendants().filter(|n| n.is_element()) {
                for attribute in node.attributes() {
                    let value = attribute.value();
                    assert!(!colour.is_match(value), "colour in {value:?}\n{svg}");
                    if attribute.name() != "class" && attribute.name() != "id" {
                        assert!(!long_decimal.is_match(value), "{value:?}\n{svg}");
                    }
                }
            }
            for word in ["NaN", "inf"] {
                assert!(!svg.contains(word), "{word} in\n{svg}");
            }
        }
        assert_eq!(outputs, {
            let mut again = edge_cases();
            again.push(bars(&bar_chart(
                &["Q1", "Q2"],
                vec![series("a", "c-sev0", &[1.0 / 3.0, 2.0])],
            )));
            again.push(bars(&full));
            again
        });
    }

    #[test]
    fn a_chart_without_values_says_no_data() {
        let empty = [
            bars(&bar_chart(&[], vec![series("a", "c-sev0", &[])])),
            bars(&bar_chart(
                &["Q1"],
                vec![series("a", "c-sev0", &[f64::NAN])],
            )),
            lines(&line_chart(0, vec![])),
            strips(&strip_chart(vec![group("Pager", &[], None, None)])),
            heat_map(&heat(&[], vec![("Mon", vec![])])),
        ];
        for svg in empty {
            let doc = parse(&svg);
            let texts: Vec<&str> = marks(&doc, "text", "empty")
                .iter()
                .filter_map(|n| n.text())
                .collect();
            assert_eq!(texts, ["No data"], "{svg}");
        }
        let zeros = bars(&bar_chart(&["Q1"], vec![series("a", "c-sev0", &[0.0])]));
        assert!(!zeros.contains("No data"), "zero is a value");
    }

    #[test]
    fn bar_heights_are_proportional_to_values() {
        let chart = bar_chart(
            &["2024-Q2", "2024-Q3"],
            vec![
                series("SEV-1", "c-sev1", &[2.0, 4.0]),
                series("SEV-2", "c-sev2", &[7.0, f64::NAN]),
            ],
        );
        let svg = bars(&chart);
        let doc = parse(&svg);
        let rects = marks(&doc, "rect", "bar");
        assert_eq!(rects.len(), 3, "one bar per value, none for NaN");
        let heights: Vec<f64> = rects.iter().map(|r| number(r, "height")).collect();
        // Written category by category: Q2's 2 and 7, then Q3's 4.
        assert!((heights[0] * 2.0 - heights[2]).abs() < 0.5, "{heights:?}");
        assert!((heights[0] * 3.5 - heights[1]).abs() < 0.5, "{heights:?}");
        // Every bar stands on the same baseline.
        let bottoms: Vec<f64> = rects
            .iter()
            .map(|r| number(r, "y") + number(r, "height"))
            .collect();
        assert!(bottoms.iter().all(|b| (b - bottoms[0]).abs() < 0.02));
        assert_eq!(tooltip(&rects[2]), "2024-Q3 · SEV-1: 4 incidents");
        assert_eq!(tooltip(&rects[1]), "2024-Q2 · SEV-2: 7 incidents");
    }

    /// The bars of each category, in the order written.
    fn stacks(svg: &str, categories: usize) -> Vec<Vec<(f64, f64)>> {
        let doc = parse(svg);
        let rects = marks(&doc, "rect", "bar");
        let mut by_x: Vec<(f64, Vec<(f64, f64)>)> = Vec::new();
        for r in &rects {
            let x = number(r, "x");
            match by_x.iter_mut().find(|(bx, _)| (bx - x).abs() < 0.01) {
                Some((_, stack)) => stack.push((number(r, "y"), number(r, "height"))),
                None => by_x.push((x, vec![(number(r, "y"), number(r, "height"))])),
            }
        }
        assert_eq!(by_x.len(), categories, "{svg}");
        by_x.into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn stacked_segments_touch_and_sum_to_the_total() {
        let mut chart = bar_chart(
            &["Q1", "Q2"],
            vec![
                series("SEV-0", "c-sev0", &[1.0, 2.0]),
                series("SEV-1", "c-sev1", &[2.0, 4.0]),
                series("SEV-2", "c-sev2", &[0.0, 6.0]),
            ],
        );
        chart.stacked = true;
        let stacks = stacks(&bars(&chart), 2);
        let totals: Vec<f64> = stacks
            .iter()
            .map(|s| s.iter().map(|(_, h)| h).sum())
            .collect();
        assert!(
            (totals[0] * 4.0 - totals[1]).abs() < 0.5,
            "3 and 12: {totals:?}"
        );
        for stack in &stacks {
            for pair in stack.windows(2) {
                let ((upper_y, upper_h), (lower_y, _)) = (pair[1], pair[0]);
                assert!((upper_y + upper_h - lower_y).abs() < 0.02, "{stack:?}");
            }
        }
    }

    #[test]
    fn percent_stacks_all_reach_the_same_top() {
        let mut chart = bar_chart(
            &["Q1", "Q2", "Q3"],
            vec![
                series("Pager", "c-cat0", &[1.0, 5.0, 3.0]),
                series("Customer", "c-cat1", &[3.0, 1.0, 0.0]),
            ],
        );
        chart.percent = true;
        let svg = bars(&chart);
        let stacks = stacks(&svg, 3);
        let tops: Vec<f64> = stacks
            .iter()
            .map(|s| s.iter().map(|(y, _)| *y).fold(f64::INFINITY, f64::min))
            .collect();
        let heights: Vec<f64> = stacks
            .iter()
            .map(|s| s.iter().map(|(_, h)| h).sum())
            .collect();
        for i in 1..3 {
            assert!((tops[i] - tops[0]).abs() < 0.05, "{tops:?}");
            assert!((heights[i] - heights[0]).abs() < 0.05, "{heights:?}");
        }
        // A quarter and three quarters of the first stack.
        assert!((stacks[0][0].1 * 3.0 - stacks[0][1].1).abs() < 0.5);
        let doc = parse(&svg);
        assert_eq!(
            tooltip(&marks(&doc, "rect", "bar")[1]),
            "Q1 · Customer: 75% (3 incidents)"
        );
    }

    #[test]
    fn the_legend_has_one_entry_per_series_and_none_for_one_series() {
        let three = bar_chart(
            &["Q1"],
            vec![
                series("SEV-0", "c-sev0", &[1.0]),
                series("SEV-1", "c-sev1", &[1.0]),
                series("SEV-2 & <older>", "c-sev2", &[1.0]),
            ],
        );
        let svg = bars(&three);
        let doc = parse(&svg);
        let items = marks(&doc, "g", "legend-item");
        let names: Vec<&str> = items
            .iter()
            .map(|i| marks_in(i, "legend-text")[0].text().unwrap())
            .collect();
        assert_eq!(names, ["SEV-0", "SEV-1", "SEV-2 & <older>"]);
        let swatches: Vec<&str> = items
            .iter()
            .map(|i| {
                let swatch = i.children().find(|c| has_class(c, "swatch")).unwrap();
                swatch.attribute("class").unwrap()
            })
            .collect();
        assert_eq!(
            swatches,
            ["swatch c-sev0", "swatch c-sev1", "swatch c-sev2"]
        );

        let lines = lines(&line_chart(2, vec![series("p50", "c-cat0", &[1.0, 2.0])]));
        assert!(marks(&parse(&lines), "g", "legend-item").is_empty());
    }

    fn marks_in<'a, 'i>(
        node: &roxmltree::Node<'a, 'i>,
        class: &str,
    ) -> Vec<roxmltree::Node<'a, 'i>> {
        node.descendants().filter(|n| has_class(n, class)).collect()
    }

    /// The y axis' tick labels of a bar or line chart, bottom to top.
    fn y_ticks(svg: &str) -> Vec<String> {
        let doc = parse(svg);
        let mut ticks: Vec<(f64, String)> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("text") && has_class(n, "tick"))
            .map(|n| (number(&n, "y"), n.text().unwrap().to_string()))
            .collect();
        ticks.sort_by(|a, b| b.0.total_cmp(&a.0));
        ticks.into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn value_ticks_are_round_and_cover_the_maximum() {
        let cases: [(f64, &[&str]); 6] = [
            (0.0, &["0", "1", "2", "3", "4", "5"]),
            (1.0, &["0", "1"]),
            (7.0, &["0", "2", "4", "6", "8"]),
            (37.0, &["0", "10", "20", "30", "40"]),
            (99.0, &["0", "20", "40", "60", "80", "100"]),
            (1e7, &["0", "2M", "4M", "6M", "8M", "10M"]),
        ];
        for (max, expected) in cases {
            let chart = bar_chart(
                &["Q1", "Q2"],
                vec![series("a", "c-sev0", &[max / 2.0, max])],
            );
            assert_eq!(y_ticks(&bars(&chart)), expected, "max {max}");
        }
        let mut percent = bar_chart(&["Q1"], vec![series("a", "c-sev0", &[3.0])]);
        percent.percent = true;
        assert_eq!(
            y_ticks(&bars(&percent)),
            ["0%", "20%", "40%", "60%", "80%", "100%"]
        );
        let durations = lines(&line_chart(
            2,
            vec![series("p50", "c-cat0", &[50.0, 170.0])],
        ));
        assert_eq!(
            y_ticks(&durations),
            ["0", "30 min", "1 h", "1.5 h", "2 h", "2.5 h", "3 h"]
        );
        let gridlines = marks(&parse(&durations), "line", "grid").len();
        assert_eq!(gridlines, 6, "one per tick above the axis");
    }

    #[test]
    fn durations_read_in_minutes_hours_and_days() {
        assert_eq!(Unit::Minutes.format(45.0), "45 min");
        assert_eq!(Unit::Minutes.format(180.0), "3 h");
        assert_eq!(Unit::Minutes.format(48.5), "49 min");
        assert_eq!(Unit::Minutes.format(2352.0), "39 h");
        assert_eq!(Unit::Minutes.format(90.0), "1.5 h");
        assert_eq!(Unit::Minutes.format(2880.0), "2 d");
        assert_eq!(Unit::Days.format(12.0), "12 d");
        assert_eq!(Unit::Percent.format(100.0 / 3.0), "33.3%");
        assert_eq!(Unit::Count.format(25_000.0), "25k");
        assert_eq!(Unit::Count.format(f64::NAN), "0");
    }

    /// The category labels under the plot: their centres and texts.
    fn category_labels(svg: &str) -> Vec<(f64, String)> {
        let doc = parse(svg);
        let group = marks(&doc, "g", "categories");
        assert_eq!(group.len(), 1, "{svg}");
        group[0]
            .children()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| (number(&n, "x"), n.text().unwrap().to_string()))
            .collect()
    }

    fn assert_no_overlap(labels: &[(f64, String)]) {
        for pair in labels.windows(2) {
            let right_end = pair[0].0 + text_width(&pair[0].1, FONT) / 2.0;
            let left_end = pair[1].0 - text_width(&pair[1].1, FONT) / 2.0;
            assert!(left_end - right_end >= 4.0, "{pair:?} overlap");
        }
        for (x, label) in labels {
            let half = text_width(label, FONT) / 2.0;
            assert!(
                x - half >= 0.0 && x + half <= WIDTH,
                "{label} leaves the chart"
            );
        }
    }

    #[test]
    fn forty_month_labels_do_not_overlap() {
        let values: Vec<f64> = (0..40).map(|i| f64::from(i % 7)).collect();
        let mut chart = bar_chart(&[], vec![series("all", "c-cat0", &values)]);
        chart.categories = months(40);
        let labels = category_labels(&bars(&chart));
        assert!(labels.len() >= 6, "{labels:?}");
        assert_eq!(labels[0].1, "2021-01");
        assert_no_overlap(&labels);

        let line = line_chart(40, vec![series("p50", "c-cat0", &values)]);
        assert_no_overlap(&category_labels(&lines(&line)));

        let hours: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
        let columns: Vec<&str> = hours.iter().map(String::as_str).collect();
        let map = heat(&columns, vec![("Mon", (0..24).collect())]);
        let labels = category_labels(&heat_map(&map));
        assert!(labels.len() >= 6, "{labels:?}");
        assert_no_overlap(&labels);
    }

    #[test]
    fn long_category_names_are_shortened_with_the_full_name_in_a_tooltip() {
        let name = "Synthetic monitoring from three regions";
        let chart = bar_chart(
            &[name, "Customer report", "Pager"],
            vec![series("n", "c-cat0", &[1.0, 2.0, 3.0])],
        );
        let svg = bars(&chart);
        let labels = category_labels(&svg);
        assert_eq!(labels.len(), 3);
        assert!(labels[0].1.ends_with('…') && labels[0].1.len() < name.len());
        assert_eq!(labels[1].1, "Customer report");
        assert_no_overlap(&labels);
        let doc = parse(&svg);
        let first = marks_in(&marks(&doc, "g", "categories")[0], "tick")[0];
        assert_eq!(tooltip(&first), name);
    }

    #[test]
    fn lines_break_at_missing_values_and_dot_every_value() {
        let chart = line_chart(
            5,
            vec![
                series("p50", "c-cat0", &[30.0, 45.0, f64::NAN, 60.0, 90.0]),
                series("p90", "c-cat1", &[f64::NAN, 120.0]),
            ],
        );
        let svg = lines(&chart);
        let doc = parse(&svg);
        let paths = marks(&doc, "path", "line");
        assert_eq!(paths.len(), 2);
        let d = paths[0].attribute("d").unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 2, "{d}");
        let points = marks(&doc, "circle", "point");
        assert_eq!(points.len(), 5);
        assert_eq!(tooltip(&points[2]), "2021-04 · p50: 1 h");
        assert_eq!(tooltip(&points[4]), "2021-02 · p90: 2 h");
        // A higher value is drawn higher.
        assert!(number(&points[1], "cy") > number(&points[3], "cy"));
    }

    #[test]
    fn strips_draw_a_dot_per_value_and_labelled_summary_ticks() {
        let chart = strip_chart(vec![
            group(
                "Monitoring",
                &[3.0, 5.0, 12.0, 45.0, 240.0],
                Some(12.0),
                Some(200.0),
            ),
            group("Customer", &[], None, None),
            group("Pager", &[90.0, f64::NAN], Some(90.0), None),
        ]);
        let svg = strips(&chart);
        let doc = parse(&svg);
        let dots: Vec<_> = marks(&doc, "circle", "dot")
            .into_iter()
            .filter(|d| d.parent().is_some_and(|p| p == doc.root_element()))
            .collect();
        assert_eq!(dots.len(), 6, "one per finite value");
        assert_eq!(tooltip(&dots[3]), "Monitoring: 45 min");
        // The log axis: round durations, equal distances for equal ratios.
        let x = |i: usize| number(&dots[i], "cx");
        assert!(x(0) < x(1) && x(1) < x(2));
        let ticks: Vec<&str> = doc
            .root_element()
            .children()
            .filter(|n| has_class(n, "tick"))
            .map(|n| n.text().unwrap())
            .collect();
        assert_eq!(ticks, ["1 min", "5 min", "15 min", "1 h", "4 h"]);
        let labels: Vec<&str> = marks(&doc, "text", "tick-label")
            .iter()
            .map(|n| n.text().unwrap())
            .collect();
        assert_eq!(labels, ["median 12 min", "p90 3.3 h", "median 1.5 h"]);
        let medians: Vec<_> = marks(&doc, "line", "median")
            .into_iter()
            .filter(|n| n.has_children())
            .collect();
        assert_eq!(medians.len(), 2);
        assert!(
            (number(&medians[0], "x1") - x(2)).abs() < 0.02,
            "median at 12 min"
        );
        let rows: Vec<&str> = marks(&doc, "text", "row-label")
            .iter()
            .map(|n| n.text().unwrap())
            .collect();
        assert_eq!(rows, ["Monitoring", "Customer", "Pager"]);
        assert_eq!(marks(&doc, "text", "empty")[0].text(), Some("none"));
        // Dots of one value repeated spread over the row, the same way every time.
        let same = strip_chart(vec![group("Pager", &[10.0; 4], None, None)]);
        let svg = strips(&same);
        let doc = parse(&svg);
        let ys: Vec<f64> = marks(&doc, "circle", "dot")
            .iter()
            .skip(1)
            .map(|d| number(d, "cy"))
            .collect();
        assert_eq!(ys.len(), 4);
        assert!(ys.windows(2).all(|w| (w[0] - w[1]).abs() > 1.0), "{ys:?}");
        assert_eq!(svg, strips(&same));
    }

    #[test]
    fn heat_map_shades_each_cell_and_prints_non_zero_counts() {
        let map = heat(
            &["00", "06", "12", "18"],
            vec![("Mon", vec![0, 1, 4, 10]), ("Tue", vec![2])],
        );
        let svg = heat_map(&map);
        let doc = parse(&svg);
        let cells: Vec<_> = marks(&doc, "rect", "cell")
            .into_iter()
            .filter(|c| c.has_children())
            .collect();
        assert_eq!(cells.len(), 8, "one per row and column");
        let shades: Vec<&str> = cells
            .iter()
            .map(|c| c.attribute("class").unwrap())
            .collect();
        assert_eq!(
            shades,
            [
                "cell h0", "cell h1", "cell h2", "cell h5", "cell h1", "cell h0", "cell h0",
                "cell h0"
            ]
        );
        assert_eq!(tooltip(&cells[1]), "Mon · 06: 1 incident");
        assert_eq!(tooltip(&cells[3]), "Mon · 18: 10 incidents");
        let counts: Vec<&str> = marks(&doc, "text", "cell-count")
            .iter()
            .map(|n| n.text().unwrap())
            .collect();
        assert_eq!(counts, ["1", "4", "10", "2"]);
        let key = marks(&doc, "g", "scale");
        assert_eq!(
            marks_in(&key[0], "cell").len(),
            6,
            "the key shows every shade"
        );
    }

    #[test]
    fn the_stylesheet_colours_every_class_the_charts_use() {
        let css = include_str!("../themes/default/static/style.css");
        for n in 0..SEVERITY_COLOURS {
            assert!(css.contains(&format!(".chart .c-sev{n} {{ --c: var(--sev{n}); }}")));
        }
        for n in 0..CATEGORY_COLOURS {
            assert!(css.contains(&format!(".chart .c-cat{n} {{ --c: var(--cat{n}); }}")));
        }
        for n in 0..=HEAT_LEVELS {
            assert!(
                css.contains(&format!(".chart .h{n} {{ fill-opacity:")),
                "h{n}"
            );
        }
        assert_eq!(severity_class(9), "c-sev5");
        assert_eq!(category_class(9), "c-cat1");
    }

    #[test]
    fn text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&#39;");
        let mut chart = bar_chart(&["<Q1>"], vec![series("\"x\" & y", "c-sev0", &[1.0])]);
        chart.title = "Fast & <safe>?".into();
        let svg = bars(&chart);
        let doc = parse(&svg);
        assert_eq!(
            doc.root_element().first_element_child().unwrap().text(),
            Some("Fast & <safe>?")
        );
        assert_eq!(
            tooltip(&marks(&doc, "rect", "bar")[0]),
            "<Q1> · \"x\" & y: 1 incident"
        );
    }
}
