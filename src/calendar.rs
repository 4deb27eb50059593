//! Review-meeting deadlines: the calendar arithmetic behind `meeting-late` and
//! `meeting-overdue`, shared by the process rules, the page's process box and the digest.
//!
//! A deadline is a day, not an instant: the meeting is on time when it takes place on or before
//! the deadline's date in the post-mortem's zone. Days are counted from the day after the local
//! date of `resolved`, so an incident resolved late on a Friday evening gets the same deadline
//! as one resolved that Friday morning.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Weekday};
use chrono_tz::Tz;

use crate::config::Deadline;

/// The last day (inclusive) on which the review meeting is on time.
///
/// `within` counts from the day after `resolved`'s local date in `zone`: "3 calendar days" is
/// that date plus three; "5 business days" is the fifth day after it that is neither a Saturday,
/// a Sunday nor one of `holidays`. A deadline of 0 days is the resolution day itself.
pub fn deadline(
    resolved: DateTime<FixedOffset>,
    within: Deadline,
    holidays: &[NaiveDate],
    zone: Tz,
) -> NaiveDate {
    let start = resolved.with_timezone(&zone).date_naive();
    if !within.business {
        return start
            .checked_add_days(Days::new(within.days.into()))
            .unwrap_or(NaiveDate::MAX);
    }
    let mut day = start;
    let mut left = within.days;
    while left > 0 {
        match day.succ_opt() {
            Some(next) => day = next,
            None => return NaiveDate::MAX,
        }
        if is_business_day(day, holidays) {
            left -= 1;
        }
    }
    day
}

/// Whether `day` is a business day: a weekday that is not one of `holidays`.
pub fn is_business_day(day: NaiveDate, holidays: &[NaiveDate]) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// The local date of `time` in `zone`.
pub fn local_date<T: chrono::TimeZone>(time: &DateTime<T>, zone: Tz) -> NaiveDate {
    time.with_timezone(&zone).date_naive()
}

/// "1 h 24 min", "6 min", "2 d 3 h": a duration as people say it.
pub fn duration(d: chrono::TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(duration(TimeDelta::minutes(6)), "6 min");
        assert_eq!(duration(TimeDelta::minutes(84)), "1 h 24 min");
        assert_eq!(duration(TimeDelta::minutes(120)), "2 h");
        assert_eq!(duration(TimeDelta::minutes(60 * 51)), "2 d 3 h");
        assert_eq!(duration(TimeDelta::minutes(-5)), "0 min");
    }

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const CALENDAR_3: Deadline = Deadline {
        days: 3,
        business: false,
    };
    const BUSINESS_5: Deadline = Deadline {
        days: 5,
        business: true,
    };

    #[test]
    fn calendar_days_are_added_to_the_resolution_date() {
        // 2024-03-12 is a Tuesday; weekends do not matter for calendar days.
        assert_eq!(
            deadline(at("2024-03-12T11:05:00+01:00"), CALENDAR_3, &[], Tz::UTC),
            date("2024-03-15")
        );
        assert_eq!(
            deadline(at("2024-03-15T11:05:00Z"), CALENDAR_3, &[], Tz::UTC),
            date("2024-03-18")
        );
    }

    #[test]
    fn business_days_skip_the_weekend() {
        // Thursday 2024-03-14: Fri 15, Mon 18, Tue 19, Wed 20, Thu 21.
        assert_eq!(
            deadline(at("2024-03-14T10:00:00Z"), BUSINESS_5, &[], Tz::UTC),
            date("2024-03-21")
        );
    }

    #[test]
    fn business_days_skip_holidays() {
        // Monday 2024-12-23: Tue 24, (25, 26 holidays), Fri 27, Mon 30, Tue 31, (1 Jan), Thu 2.
        let holidays = [date("2024-12-25"), date("2024-12-26"), date("2025-01-01")];
        assert_eq!(
            deadline(at("2024-12-23T10:00:00Z"), BUSINESS_5, &holidays, Tz::UTC),
            date("2025-01-02")
        );
        assert_eq!(
            deadline(at("2024-12-23T10:00:00Z"), BUSINESS_5, &[], Tz::UTC),
            date("2024-12-30")
        );
    }

    #[test]
    fn resolved_on_a_friday_evening_counts_from_monday() {
        // Friday 2024-03-15 at 22:30 local: Mon 18 .. Fri 22.
        assert_eq!(
            deadline(at("2024-03-15T22:30:00+01:00"), BUSINESS_5, &[], Tz::UTC),
            date("2024-03-22")
        );
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            deadline(at("2024-03-15T22:30:00+01:00"), BUSINESS_5, &[], berlin),
            date("2024-03-22")
        );
    }

    #[test]
    fn resolved_on_a_saturday_counts_from_monday() {
        // Saturday 2024-03-16: Mon 18 .. Fri 22; calendar days still count the Sunday.
        assert_eq!(
            deadline(at("2024-03-16T09:00:00Z"), BUSINESS_5, &[], Tz::UTC),
            date("2024-03-22")
        );
        assert_eq!(
            deadline(at("2024-03-16T09:00:00Z"), CALENDAR_3, &[], Tz::UTC),
            date("2024-03-19")
        );
    }

    #[test]
    fn the_local_date_of_resolved_is_what_counts() {
        // 23:30 UTC on Friday 15 March is already Saturday 16 March in Berlin...
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let late = at("2024-03-15T23:30:00Z");
        assert_eq!(deadline(late, CALENDAR_3, &[], Tz::UTC), date("2024-03-18"));
        assert_eq!(deadline(late, CALENDAR_3, &[], berlin), date("2024-03-19"));
        // ...and 20:00 in New York on Thursday 14 March is Friday 15 March in UTC.
        let new_york: Tz = "America/New_York".parse().unwrap();
        let evening = at("2024-03-14T20:00:00-04:00");
        assert_eq!(
            deadline(evening, BUSINESS_5, &[], new_york),
            date("2024-03-21")
        );
        assert_eq!(
            deadline(evening, BUSINESS_5, &[], Tz::UTC),
            date("2024-03-22")
        );
    }

    #[test]
    fn a_zero_day_deadline_is_the_resolution_day() {
        let none = Deadline {
            days: 0,
            business: true,
        };
        assert_eq!(
            deadline(at("2024-03-16T09:00:00Z"), none, &[], Tz::UTC),
            date("2024-03-16")
        );
    }

    #[test]
    fn knows_business_days() {
        assert!(is_business_day(date("2024-03-15"), &[]));
        assert!(!is_business_day(date("2024-03-16"), &[]));
        assert!(!is_business_day(date("2024-03-17"), &[]));
        assert!(!is_business_day(date("2024-12-25"), &[date("2024-12-25")]));
    }
}
