//! How a time range is answered: whole UTC months from month rollups and whole UTC days
//! from day rollups (sealed days only), whole UTC hours from hourly
//! rollups, whole quarter hours at the edges from quarter-hour rollups, and the
//! sub-quarter ragged edges from raw rows.
//!
//! Counts add up, so a piece may also be *subtracted*: a Berlin day (23:00 to 23:00 UTC) is
//! one day row, plus the hour before it, minus its own last hour — three reads instead of
//! twenty-four.

use chrono::{DateTime, Datelike, Duration, Months, TimeZone, Utc};

/// Where the counts of a piece come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Monthly,
    Daily,
    Hourly,
    Quarter,
    Raw,
}

/// A part `[start, end)` of bucket number `bucket`, read from `source`, whose counts are
/// added to the bucket (`sign` 1) or taken from it (`sign` -1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub source: Source,
    pub bucket: i32,
    pub sign: i32,
}

/// Which rollups a decomposition may use.
#[derive(Clone, Copy, Debug)]
pub struct Grains {
    /// Quarter-hour rollups hold totals only: false for a segment or a grouped read.
    pub quarters: bool,
    /// Days before this instant (a UTC midnight) are in the day rollups, and their months
    /// in the month rollups.
    pub sealed_before: Option<DateTime<Utc>>,
}

const DAY: i64 = 86_400;

fn floor_to(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let s = t.timestamp();
    let floored = s.div_euclid(secs) * secs;
    Utc.timestamp_opt(floored, 0).single().unwrap_or(t)
}

/// The start of `t`'s UTC month.
fn month_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).single().unwrap_or(t)
}

/// The start of the UTC month after `t`'s, or `t` when a month starts there.
fn month_ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let f = month_floor(t);
    if f == t {
        t
    } else {
        f.checked_add_months(Months::new(1)).unwrap_or(t)
    }
}

/// Whichever of `down` and `up` is nearer `t` (`up` on a tie).
fn nearer(t: DateTime<Utc>, down: DateTime<Utc>, up: DateTime<Utc>) -> DateTime<Utc> {
    if up - t <= t - down {
        up
    } else {
        down
    }
}

fn ceil_to(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let f = floor_to(t, secs);
    if f == t {
        t
    } else {
        f + Duration::seconds(secs)
    }
}

/// Splits `[start, end)` of bucket `bucket` into pieces.
pub fn decompose(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    bucket: i32,
    grains: Grains,
    out: &mut Vec<Piece>,
) {
    if start >= end {
        return;
    }
    if let Some(sealed_before) = grains.sealed_before {
        // Each edge goes to the nearer midnight: forwards (added) or backwards (subtracted).
        let midnight = |t: DateTime<Utc>| nearer(t, floor_to(t, DAY), ceil_to(t, DAY));
        let day0 = midnight(start);
        let day1 = midnight(end).min(floor_to(sealed_before, DAY));
        if day0 < day1 {
            below_days(start, day0, bucket, grains, out);
            days(day0, day1, sealed_before, bucket, out);
            below_days(day1, end, bucket, grains, out);
            return;
        }
    }
    below_days(start, end, bucket, grains, out);
}

/// From `a` to `b`: `[a, b)` added going forwards (sign 1), `[b, a)` subtracted going
/// backwards (sign -1).
fn directed(a: DateTime<Utc>, b: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>, i32) {
    if a <= b {
        (a, b, 1)
    } else {
        (b, a, -1)
    }
}

/// The distinct pieces to read, and the buckets each one counts towards, with their signs.
/// Adjacent buckets share edges (what one day adds, the next subtracts), so a time series
/// reads each edge once.
#[derive(Debug, Default)]
pub struct ReadPlan {
    /// Pieces numbered by their position here (`bucket` is that number, `sign` 1).
    pub reads: Vec<Piece>,
    /// For each read: `(bucket, sign)` of every use.
    pub uses: Vec<Vec<(usize, i64)>>,
}

impl ReadPlan {
    /// Plans `pieces` (of any buckets and signs).
    pub fn new(pieces: Vec<Piece>) -> Self {
        let mut plan = ReadPlan::default();
        let mut index: std::collections::HashMap<(DateTime<Utc>, DateTime<Utc>, Source), usize> =
            std::collections::HashMap::new();
        for p in pieces {
            let id = *index.entry((p.start, p.end, p.source)).or_insert_with(|| {
                plan.reads.push(Piece { bucket: plan.reads.len() as i32, sign: 1, ..p.clone() });
                plan.uses.push(Vec::new());
                plan.reads.len() - 1
            });
            plan.uses[id].push((p.bucket as usize, i64::from(p.sign)));
        }
        plan
    }
}

/// Appends `piece`, merged into the last one when they continue each other.
fn push(out: &mut Vec<Piece>, piece: Piece) {
    if piece.start >= piece.end {
        return;
    }
    if let Some(last) = out.last_mut() {
        let same = (last.bucket, last.source, last.sign) == (piece.bucket, piece.source, piece.sign);
        if same && last.end == piece.start {
            last.end = piece.end;
            return;
        }
    }
    out.push(piece);
}

/// Pieces for the sealed UTC days from `day0` to `day1`: whole sealed months from month
/// rows, the edges going to the nearer month start as the day edges go to the nearer
/// midnight; day rows for the rest.
fn days(
    day0: DateTime<Utc>,
    day1: DateTime<Utc>,
    sealed_before: DateTime<Utc>,
    bucket: i32,
    out: &mut Vec<Piece>,
) {
    let mut read = |a, b, source| {
        let (start, end, sign) = directed(a, b);
        push(out, Piece { start, end, source, bucket, sign });
    };
    let month_start = |t: DateTime<Utc>| nearer(t, month_floor(t), month_ceil(t));
    // A month row holds its sealed days; only a month sealed to its end is whole.
    let (m0, m1) = (month_start(day0), month_start(day1).min(month_floor(sealed_before)));
    if m0 < m1 {
        read(day0, m0, Source::Daily);
        read(m0, m1, Source::Monthly);
        read(m1, day1, Source::Daily);
    } else {
        read(day0, day1, Source::Daily);
    }
}

/// Pieces of hourly, quarter-hour and raw grain from `from` to `to` (see [`directed`]).
fn below_days(from: DateTime<Utc>, to: DateTime<Utc>, bucket: i32, grains: Grains, out: &mut Vec<Piece>) {
    let (start, end, sign) = directed(from, to);
    if start >= end {
        return;
    }
    let mut add = |s: DateTime<Utc>, e: DateTime<Utc>, source: Source| {
        let source = if source == Source::Quarter && !grains.quarters { Source::Raw } else { source };
        push(out, Piece { start: s, end: e, source, bucket, sign });
    };
    let (q0, q1) = (ceil_to(start, 900), floor_to(end, 900));
    if q0 >= q1 {
        add(start, end, Source::Raw);
        return;
    }
    let (h0, h1) = (ceil_to(start, 3600), floor_to(end, 3600));
    add(start, q0, Source::Raw);
    if h0 < h1 {
        add(q0, h0, Source::Quarter);
        add(h0, h1, Source::Hourly);
        add(h1, q1, Source::Quarter);
    } else {
        add(q0, q1, Source::Quarter);
    }
    add(q1, end, Source::Raw);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const TOTALS: Grains = Grains { quarters: true, sealed_before: None };

    #[test]
    fn a_ragged_range_uses_every_grain() {
        let mut out = Vec::new();
        decompose(utc("2026-01-01T10:07:00Z"), utc("2026-01-01T14:50:30Z"), 0, TOTALS, &mut out);
        let got: Vec<_> = out.iter().map(|p| (p.start.format("%H:%M:%S").to_string(), p.source)).collect();
        assert_eq!(
            got,
            [
                ("10:07:00".into(), Source::Raw),
                ("10:15:00".into(), Source::Quarter),
                ("11:00:00".into(), Source::Hourly),
                ("14:00:00".into(), Source::Quarter),
                ("14:45:00".into(), Source::Raw),
            ]
        );
    }

    #[test]
    fn without_quarters_the_edges_are_raw() {
        let mut out = Vec::new();
        let grains = Grains { quarters: false, sealed_before: None };
        decompose(utc("2026-01-01T10:07:00Z"), utc("2026-01-01T14:50:30Z"), 3, grains, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].end, utc("2026-01-01T11:00:00Z"));
        assert!(out.iter().all(|p| p.bucket == 3));
    }

    #[test]
    fn a_berlin_day_is_a_day_row_plus_one_hour_minus_another() {
        let mut out = Vec::new();
        let grains = Grains { quarters: true, sealed_before: Some(utc("2026-02-01T00:00:00Z")) };
        decompose(utc("2026-01-09T23:00:00Z"), utc("2026-01-10T23:00:00Z"), 0, grains, &mut out);
        let got: Vec<_> =
            out.iter().map(|p| (p.start.format("%dT%H").to_string(), p.source, p.sign)).collect();
        assert_eq!(
            got,
            [
                ("09T23".into(), Source::Hourly, 1),
                ("10T00".into(), Source::Daily, 1),
                ("10T23".into(), Source::Hourly, -1),
            ]
        );
    }

    #[test]
    fn days_from_the_seal_on_are_read_by_the_hour() {
        let mut out = Vec::new();
        let grains = Grains { quarters: true, sealed_before: Some(utc("2026-01-03T00:00:00Z")) };
        decompose(utc("2026-01-01T00:00:00Z"), utc("2026-01-05T00:00:00Z"), 0, grains, &mut out);
        let got: Vec<_> = out.iter().map(|p| (p.start.format("%d").to_string(), p.source, p.sign)).collect();
        assert_eq!(got, [("01".into(), Source::Daily, 1), ("03".into(), Source::Hourly, 1)]);
    }

    #[test]
    fn a_series_reads_each_shared_edge_once() {
        let grains = Grains { quarters: true, sealed_before: Some(utc("2026-02-01T00:00:00Z")) };
        let mut pieces = Vec::new();
        for (i, day) in ["09", "10", "11"].iter().enumerate() {
            let start = utc(&format!("2026-01-{day}T23:00:00Z"));
            decompose(start, start + Duration::days(1), i as i32, grains, &mut pieces);
        }
        let plan = ReadPlan::new(pieces);
        // Three day rows and four edge hours, the middle two used by two days each.
        assert_eq!(plan.reads.len(), 7);
        let shared: Vec<_> = plan.uses.iter().filter(|u| u.len() == 2).collect();
        assert_eq!(shared, [&vec![(0, -1), (1, 1)], &vec![(1, -1), (2, 1)]]);
    }

    #[test]
    fn a_year_is_whole_months_and_the_days_nearer_them() {
        let mut out = Vec::new();
        let grains = Grains { quarters: false, sealed_before: Some(utc("2026-11-20T00:00:00Z")) };
        decompose(utc("2025-11-20T09:00:00Z"), utc("2026-11-20T09:00:00Z"), 0, grains, &mut out);
        let got: Vec<_> =
            out.iter().map(|p| (p.start.format("%Y-%m-%dT%H").to_string(), p.source, p.sign)).collect();
        assert_eq!(
            got,
            [
                ("2025-11-20T00".into(), Source::Hourly, -1),
                ("2025-11-20T00".into(), Source::Daily, 1),
                ("2025-12-01T00".into(), Source::Monthly, 1),
                // The month of the seal is not whole: its days are read.
                ("2026-11-01T00".into(), Source::Daily, 1),
                ("2026-11-20T00".into(), Source::Hourly, 1),
            ]
        );
        // Days after the 15th go forwards to the next month, and it is subtracted from.
        out.clear();
        decompose(utc("2026-01-25T00:00:00Z"), utc("2026-06-05T00:00:00Z"), 0, grains, &mut out);
        let got: Vec<_> =
            out.iter().map(|p| (p.start.format("%m-%d").to_string(), p.source, p.sign)).collect();
        assert_eq!(
            got,
            [
                ("01-25".into(), Source::Daily, 1),
                ("02-01".into(), Source::Monthly, 1),
                ("06-01".into(), Source::Daily, 1),
            ]
        );
        out.clear();
        decompose(utc("2026-01-05T00:00:00Z"), utc("2026-05-28T00:00:00Z"), 0, grains, &mut out);
        let got: Vec<_> =
            out.iter().map(|p| (p.start.format("%m-%d").to_string(), p.source, p.sign)).collect();
        assert_eq!(
            got,
            [
                ("01-01".into(), Source::Daily, -1),
                ("01-01".into(), Source::Monthly, 1),
                ("05-28".into(), Source::Daily, -1),
            ]
        );
    }

    proptest! {
        /// Every instant of the range is counted exactly once and every other instant not at
        /// all, whatever the grains; each piece is aligned to its source's grain.
        #[test]
        fn signed_pieces_count_every_instant_once(
            a in 0i64..40_000_000, len in 0i64..40_000_000, quarters in any::<bool>(),
            sealed in proptest::option::of(0i64..900)
        ) {
            let base = 1_780_012_800; // a UTC midnight
            let start = Utc.timestamp_opt(base + a, 0).unwrap();
            let end = start + Duration::seconds(len);
            let sealed_before = sealed.map(|d| Utc.timestamp_opt(base + d * DAY, 0).unwrap());
            let mut out = Vec::new();
            decompose(start, end, 0, Grains { quarters, sealed_before }, &mut out);
            for p in &out {
                prop_assert!(p.start < p.end);
                let aligned = |secs: i64| p.start.timestamp() % secs == 0 && p.end.timestamp() % secs == 0;
                match p.source {
                    Source::Monthly => prop_assert!(
                        month_floor(p.start) == p.start && month_floor(p.end) == p.end
                            && Some(p.end) <= sealed_before
                    ),
                    Source::Daily => prop_assert!(aligned(DAY) && Some(p.end) <= sealed_before),
                    Source::Hourly => prop_assert!(aligned(3600)),
                    Source::Quarter => prop_assert!(quarters && aligned(900)),
                    Source::Raw => prop_assert!(p.end - p.start < Duration::hours(2)),
                }
            }
            let mut edges: Vec<DateTime<Utc>> = out.iter().flat_map(|p| [p.start, p.end]).collect();
            edges.extend([start, end]);
            for t in edges.iter().flat_map(|&t| [t - Duration::seconds(1), t]) {
                let counted: i32 = out.iter().filter(|p| p.start <= t && t < p.end).map(|p| p.sign).sum();
                prop_assert_eq!(counted, i32::from(start <= t && t < end), "at {}", t);
            }
            prop_assert!(out.len() <= 14, "{} pieces", out.len());
        }
    }
}
