//! Import: dates, times and zones as reports write them, for `started` and the other key times.
//!
//! A report names its times in many ways: `2020-04-15 07:15`, `April 15, 2020 at 7:15 pm`,
//! `15/04/2020`, a file name such as `2018-03-26-db.md`, `5-26-21` or `7-14-2016`. Reading the
//! time of day and its zone is the timeline's job (`crate::timeline::leading_time`); this module
//! finds the date around it and the zone a report names ("All times in CEST", "12:45 UTC").

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use regex::Regex;

use crate::timeline;

/// A date found in a text, with where it ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FoundDate {
    /// The day.
    pub date: NaiveDate,
    /// Byte where the date starts in the text.
    pub start: usize,
    /// Byte just after the date.
    pub end: usize,
}

const MONTHS: &str = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[^\d]|$)")
        .expect("valid regex")
});

static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})(?:[^\d]|$)")
        .expect("valid regex")
});

static MONTH_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?P<mon>{MONTHS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"
    ))
    .expect("valid regex")
});

static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{MONTHS})\.?,?\s+(?P<y>\d{{4}})\b"
    ))
    .expect("valid regex")
});

fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_lowercase();
    [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| lower.starts_with(m))
    .map(|i| i as u32 + 1)
}

fn year(text: &str) -> Option<i32> {
    let y: i32 = text.parse().ok()?;
    // why: a two-digit year in a file name (`5-26-21`) is this century's.
    let y = if text.len() == 2 { 2000 + y } else { y };
    (1990..=2199).contains(&y).then_some(y)
}

/// The first date written in `text`, in any of the forms reports use. Numeric dates with the
/// year last are read month first (`5-26-21`, `7-14-2016`) unless the first number cannot be a
/// month (`26/05/2021`).
pub fn find_date(text: &str) -> Option<FoundDate> {
    let mut found: Vec<FoundDate> = Vec::new();
    let digits = |caps: &regex::Captures<'_>, name: &str| caps[name].parse::<u32>().ok();
    for caps in ISO.captures_iter(text) {
        let (Some(y), Some(m), Some(d)) =
            (year(&caps["y"]), digits(&caps, "m"), digits(&caps, "d"))
        else {
            continue;
        };
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
            let start = caps.name("y").map_or(0, |g| g.start());
            let end = caps.name("d").map_or(0, |g| g.end());
            found.push(FoundDate { date, start, end });
            break;
        }
    }
    for caps in NUMERIC.captures_iter(text) {
        let (Some(a), Some(b), Some(y)) =
            (digits(&caps, "a"), digits(&caps, "b"), year(&caps["y"]))
        else {
            continue;
        };
        let (m, d) = if a > 12 { (b, a) } else { (a, b) };
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
            let start = caps.name("a").map_or(0, |g| g.start());
            let end = caps.name("y").map_or(0, |g| g.end());
            found.push(FoundDate { date, start, end });
            break;
        }
    }
    for re in [&*MONTH_FIRST, &*DAY_FIRST] {
        if let Some(caps) = re.captures(text) {
            let (Some(m), Some(d), Some(y)) = (
                month_number(&caps["mon"]),
                digits(&caps, "d"),
                year(&caps["y"]),
            ) else {
                continue;
            };
            if let (Some(date), Some(all)) = (NaiveDate::from_ymd_opt(y, m, d), caps.get(0)) {
                found.push(FoundDate {
                    date,
                    start: all.start(),
                    end: all.end(),
                });
            }
        }
    }
    found.into_iter().min_by_key(|f| f.start)
}

/// A date and, when written, a time of day and zone, read from one line of text.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundTime {
    /// The day.
    pub date: NaiveDate,
    /// The time of day, when one follows the date (or precedes it).
    pub time: Option<NaiveTime>,
    /// The zone written with the time, as written.
    pub zone: Option<String>,
}

static TIME_ANYWHERE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\d:])(\d{1,2}:\d{2})").expect("valid regex"));

/// The first date in `line` with the time of day written near it ("2020-04-15 07:15",
/// "April 15, 2020 at 7:15 pm UTC", "07:15 CET on 15 April 2020").
pub fn find_time(line: &str) -> Option<FoundTime> {
    let found = find_date(line)?;
    // why: "2020-04-15 07:15" and "2020-04-15T07:15" are read whole by the timeline's reader,
    // which then also knows the zone after them.
    if let Some(t) = timeline::leading_time(&line[found.start..]) {
        if t.date == Some(found.date) {
            return Some(FoundTime {
                date: found.date,
                time: Some(t.time),
                zone: t.zone,
            });
        }
    }
    let after = &line[found.end..];
    let after = after
        .trim_start_matches([',', ' ', '\t'])
        .trim_start_matches("at ")
        .trim_start_matches("T")
        .trim_start();
    let near = timeline::leading_time(after).or_else(|| {
        // A time written before the date: "07:15 CET on 15 April 2020".
        let before = &line[..found.start];
        let m = TIME_ANYWHERE.captures_iter(before).last()?;
        let start = m.get(1)?.start();
        timeline::leading_time(&before[start..])
    });
    Some(FoundTime {
        date: found.date,
        time: near.as_ref().map(|t| t.time),
        zone: near.and_then(|t| t.zone),
    })
}

/// Where a report's zone came from, for the guess report.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportZone {
    /// The zone as written (`CET`, `UTC`, `Europe/Berlin`), or the archive's zone's name.
    pub name: String,
    /// Whether the report named it.
    pub stated: bool,
}

static ZONE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?\s*)?(?P<zone>[A-Z]{2,5}\b|[A-Za-z]+/[A-Za-z_]+)")
        .expect("valid regex")
});

/// The zone a report states: a note such as "All times in CEST" or a header "Time (UTC)", else
/// the zone most written after its times ("12:45 UTC"), else `fallback`.
pub fn report_zone(text: &str, fallback: Tz) -> ReportZone {
    if let Some(zone) = text.lines().find_map(timeline::zone_of_note) {
        return ReportZone {
            name: zone,
            stated: true,
        };
    }
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let noon = NaiveTime::from_hms_opt(12, 0, 0).expect("valid time");
    let day = NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date");
    for caps in ZONE_WORD.captures_iter(text) {
        let zone = &caps["zone"];
        if timeline::resolve_in(zone, day, noon).is_some() {
            *counts.entry(zone.to_string()).or_default() += 1;
        }
    }
    match counts.into_iter().max_by_key(|(_, n)| *n) {
        Some((name, _)) => ReportZone { name, stated: true },
        None => ReportZone {
            name: fallback.name().to_string(),
            stated: false,
        },
    }
}

/// `date` at `time` (midnight when `None`) in `zone` (as written), else in `fallback`.
pub fn resolve(
    date: NaiveDate,
    time: Option<NaiveTime>,
    zone: &str,
    fallback: Tz,
) -> Option<DateTime<FixedOffset>> {
    let time = time.unwrap_or(NaiveTime::MIN);
    timeline::resolve_in(zone, date, time).or_else(|| {
        fallback
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|t| t.fixed_offset())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Option<String> {
        find_date(text).map(|f| f.date.to_string())
    }

    #[test]
    fn reads_iso_dates_in_file_names_and_text() {
        assert_eq!(
            day("2018-03-26-database-outage").as_deref(),
            Some("2018-03-26")
        );
        assert_eq!(day("Incident on 2020/04/15").as_deref(), Some("2020-04-15"));
        assert_eq!(day("no date here"), None);
        assert_eq!(day("20202-01-16 12:00"), None);
    }

    #[test]
    fn numeric_dates_with_the_year_last_are_month_first_unless_they_cannot_be() {
        assert_eq!(day("outage-5-26-21").as_deref(), Some("2021-05-26"));
        assert_eq!(day("7-14-2016 postmortem").as_deref(), Some("2016-07-14"));
        assert_eq!(day("26/05/2021").as_deref(), Some("2021-05-26"));
        assert_eq!(day("13-13-2021"), None);
    }

    #[test]
    fn reads_dates_with_month_names() {
        assert_eq!(day("On April 15th, 2020 we").as_deref(), Some("2020-04-15"));
        assert_eq!(day("15 Apr 2020").as_deref(), Some("2020-04-15"));
        assert_eq!(day("the 3rd of March 2021").as_deref(), Some("2021-03-03"));
    }

    #[test]
    fn reads_the_time_and_zone_near_a_date() {
        let t = find_time("Fault occurs 2020-04-15 07:15 UTC").unwrap();
        assert_eq!(t.time, NaiveTime::from_hms_opt(7, 15, 0));
        assert_eq!(t.zone.as_deref(), Some("UTC"));
        let t = find_time("April 15, 2020 at 7:15 pm CEST").unwrap();
        assert_eq!(t.time, NaiveTime::from_hms_opt(19, 15, 0));
        assert_eq!(t.zone.as_deref(), Some("CEST"));
        let t = find_time("07:15 CET on 15 April 2020").unwrap();
        assert_eq!(t.time, NaiveTime::from_hms_opt(7, 15, 0));
        assert_eq!(t.zone.as_deref(), Some("CET"));
        let t = find_time("Date: 2020-04-15").unwrap();
        assert_eq!((t.time, t.zone), (None, None));
    }

    #[test]
    fn the_zone_of_a_report_is_its_note_else_the_zone_after_its_times() {
        let utc = chrono_tz::UTC;
        assert_eq!(
            report_zone("x\nAll times in CEST.\n12:00 UTC", utc),
            ReportZone {
                name: "CEST".into(),
                stated: true
            }
        );
        assert_eq!(
            report_zone("- 12:45 PDT paged\n- 13:00 PDT fixed", utc).name,
            "PDT"
        );
        assert_eq!(report_zone("- 04:49 PM UTC paged", utc).name, "UTC");
        assert_eq!(
            report_zone("| Time (UTC) | Event |", utc),
            ReportZone {
                name: "UTC".into(),
                stated: true
            }
        );
        assert!(!report_zone("- 10:34 paged", utc).stated);
    }

    #[test]
    fn resolves_in_the_named_zone_across_daylight_saving() {
        let date = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        let berlin = resolve(
            date,
            NaiveTime::from_hms_opt(9, 0, 0),
            "Europe/Berlin",
            chrono_tz::UTC,
        );
        assert_eq!(berlin.unwrap().to_rfc3339(), "2024-07-01T09:00:00+02:00");
        let cet = resolve(date, None, "CET", chrono_tz::UTC);
        assert_eq!(cet.unwrap().to_rfc3339(), "2024-07-01T00:00:00+01:00");
        let unknown = resolve(date, None, "Nowhere", chrono_tz::Europe::Oslo);
        assert_eq!(unknown.unwrap().to_rfc3339(), "2024-07-01T00:00:00+02:00");
    }
}
