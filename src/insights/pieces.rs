//! How a time range is answered: whole UTC hours from hourly rollups, whole quarter hours at
//! the edges from quarter-hour rollups, and the sub-quarter ragged edges from raw rows.

use chrono::{DateTime, TimeZone, Utc};

/// Where the counts of a piece come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Hourly,
    Quarter,
    Raw,
}

/// A part `[start, end)` of bucket number `bucket`, read from `source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub source: Source,
    pub bucket: i32,
}

fn floor_to(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let s = t.timestamp();
    let floored = s.div_euclid(secs) * secs;
    Utc.timestamp_opt(floored, 0).single().unwrap_or(t)
}

fn ceil_to(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let f = floor_to(t, secs);
    if f == t {
        t
    } else {
        f + chrono::Duration::seconds(secs)
    }
}

/// Splits `[start, end)` of bucket `bucket` into pieces. Without quarter rollups (they hold
/// totals only), the quarter parts are read from raw rows too.
pub fn decompose(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    bucket: i32,
    quarters: bool,
    out: &mut Vec<Piece>,
) {
    if start >= end {
        return;
    }
    let mut push = |s: DateTime<Utc>, e: DateTime<Utc>, source: Source| {
        if s < e {
            let source = if source == Source::Quarter && !quarters { Source::Raw } else { source };
            // Adjacent raw parts of one bucket read as one range.
            if let Some(last) = out.last_mut() {
                if last.bucket == bucket && last.source == source && last.end == s {
                    last.end = e;
                    return;
                }
            }
            out.push(Piece { start: s, end: e, source, bucket });
        }
    };
    let (q0, q1) = (ceil_to(start, 900), floor_to(end, 900));
    if q0 >= q1 {
        push(start, end, Source::Raw);
        return;
    }
    let (h0, h1) = (ceil_to(start, 3600), floor_to(end, 3600));
    push(start, q0, Source::Raw);
    if h0 < h1 {
        push(q0, h0, Source::Quarter);
        push(h0, h1, Source::Hourly);
        push(h1, q1, Source::Quarter);
    } else {
        push(q0, q1, Source::Quarter);
    }
    push(q1, end, Source::Raw);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_ragged_range_uses_every_grain() {
        let mut out = Vec::new();
        decompose(utc("2026-01-01T10:07:00Z"), utc("2026-01-01T14:50:30Z"), 0, true, &mut out);
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
        decompose(utc("2026-01-01T10:07:00Z"), utc("2026-01-01T14:50:30Z"), 3, false, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].end, utc("2026-01-01T11:00:00Z"));
        assert!(out.iter().all(|p| p.bucket == 3));
    }

    proptest! {
        #[test]
        fn pieces_tile_the_range_exactly(a in 0i64..400_000, len in 0i64..400_000, quarters in any::<bool>()) {
            let start = Utc.timestamp_opt(1_780_000_000 + a, 0).unwrap();
            let end = start + chrono::Duration::seconds(len);
            let mut out = Vec::new();
            decompose(start, end, 0, quarters, &mut out);
            let mut at = start;
            for p in &out {
                prop_assert_eq!(p.start, at);
                prop_assert!(p.start < p.end);
                match p.source {
                    Source::Hourly => prop_assert!(p.start.timestamp() % 3600 == 0 && p.end.timestamp() % 3600 == 0),
                    Source::Quarter => prop_assert!(p.start.timestamp() % 900 == 0 && p.end.timestamp() % 900 == 0),
                    Source::Raw => prop_assert!(p.end - p.start < chrono::Duration::hours(2)),
                }
                at = p.end;
            }
            prop_assert_eq!(at, if len > 0 { end } else { start });
        }
    }
}
