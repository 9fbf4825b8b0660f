//! Local calendar buckets (day, ISO week, month) in an IANA zone, DST-correct, as UTC
//! instants, clipped to the requested range.

use chrono::{DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

/// The length of a time-series bucket: a local `day`, an ISO 8601 `week` (from Monday) or
/// a `month`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Day,
    Week,
    Month,
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "day" => Ok(Interval::Day),
            "week" => Ok(Interval::Week),
            "month" => Ok(Interval::Month),
            _ => Err("must be day, week or month".into()),
        }
    }
}

/// One bucket: the local date it starts on and the UTC instants it covers, `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Bucket {
    /// The local calendar date the bucket starts on (a Monday for weeks, the 1st for months).
    pub date: NaiveDate,
    /// The first instant of the bucket, clipped to the range.
    pub start: DateTime<Utc>,
    /// The first instant after the bucket, clipped to the range.
    pub end: DateTime<Utc>,
}

/// The instant a local date begins in `tz`. Where midnight does not exist (a DST gap at
/// midnight), the day begins at the first local time that does.
pub fn start_of_local_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    // Gaps are at most a few hours; step in quarter hours (every offset is a multiple).
    for _ in 0..(4 * 24) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The local date of an instant in `tz`.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The first local date of the day, ISO week (a Monday) or month that `date` is in.
pub fn floor_date(interval: Interval, date: NaiveDate) -> NaiveDate {
    match interval {
        Interval::Day => date,
        Interval::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        Interval::Month => date.with_day(1).expect("day 1 exists"),
    }
}

fn next_date(interval: Interval, date: NaiveDate) -> NaiveDate {
    match interval {
        Interval::Day => date + Duration::days(1),
        Interval::Week => date + Duration::days(7),
        Interval::Month => date + Months::new(1),
    }
}

/// The buckets covering `[from, to)`, the first and last clipped to the range, so the
/// points of a series add up to the summary of the same range. At most `max` buckets;
/// `None` if there would be more.
pub fn buckets(
    tz: Tz,
    interval: Interval,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: usize,
) -> Option<Vec<Bucket>> {
    let mut out = Vec::new();
    if from >= to {
        return Some(out);
    }
    let mut date = floor_date(interval, local_date(tz, from));
    loop {
        let next = next_date(interval, date);
        let (start, end) = (start_of_local_day(tz, date), start_of_local_day(tz, next));
        if start >= to {
            break;
        }
        if end > from {
            if out.len() == max {
                return None;
            }
            out.push(Bucket { date, start: start.max(from), end: end.min(to) });
        }
        date = next;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe};

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn berlin_days_across_the_spring_change_are_23_hours() {
        let b = buckets(
            Europe::Berlin,
            Interval::Day,
            utc("2026-03-28T23:00:00Z"),
            utc("2026-03-30T22:00:00Z"),
            10,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].date.to_string(), "2026-03-29");
        assert_eq!(b[0].end - b[0].start, Duration::hours(23));
        assert_eq!(b[1].end - b[1].start, Duration::hours(24));
    }

    #[test]
    fn new_york_autumn_day_is_25_hours() {
        let b = buckets(
            America::New_York,
            Interval::Day,
            utc("2026-11-01T04:00:00Z"),
            utc("2026-11-02T05:00:00Z"),
            10,
        )
        .unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].end - b[0].start, Duration::hours(25));
    }

    #[test]
    fn kathmandu_days_start_at_quarter_past_six_pm_utc() {
        let b = buckets(
            Asia::Kathmandu,
            Interval::Day,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-01-03T00:00:00Z"),
            10,
        )
        .unwrap();
        assert_eq!(b[0].start, utc("2026-01-01T00:00:00Z"));
        assert_eq!(b[0].end, utc("2026-01-01T18:15:00Z"));
        assert_eq!(b[1].start, utc("2026-01-01T18:15:00Z"));
        assert_eq!(b.last().unwrap().end, utc("2026-01-03T00:00:00Z"));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let w = buckets(
            Asia::Kolkata,
            Interval::Week,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-01-20T00:00:00Z"),
            10,
        )
        .unwrap();
        assert_eq!(w[0].date.to_string(), "2025-12-29");
        assert_eq!(w[1].date.to_string(), "2026-01-05");
        assert_eq!(w[1].start, utc("2026-01-04T18:30:00Z"));
        let m = buckets(
            Europe::Berlin,
            Interval::Month,
            utc("2026-01-15T00:00:00Z"),
            utc("2026-04-15T00:00:00Z"),
            10,
        )
        .unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[2].date.to_string(), "2026-03-01");
        assert_eq!(m[3].start, utc("2026-03-31T22:00:00Z"));
    }

    #[test]
    fn empty_range_and_bucket_limit() {
        assert!(buckets(
            Europe::Berlin,
            Interval::Day,
            utc("2026-01-02T00:00:00Z"),
            utc("2026-01-02T00:00:00Z"),
            10
        )
        .unwrap()
        .is_empty());
        assert!(buckets(
            Europe::Berlin,
            Interval::Day,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-02-01T00:00:00Z"),
            5
        )
        .is_none());
    }
}
