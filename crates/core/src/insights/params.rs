//! What the reports, the list and the exports are asked: the time range, zone and filters,
//! and the list's position. Parsed from a query string in `http/`; read in `report.rs`.

use super::shapes::Range;
use super::Filter;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// How far back a report reaches when no `from` is given. A month is the period a review
/// usually looks at, and a report's body says the range it used (`range`), so the default
/// is never silent. The list and the exports have no such default: they reach back to the
/// first answer.
pub const DEFAULT_REPORT_DAYS: i64 = 30;

/// The time range and filters every report, the list and the exports take.
#[derive(Clone, Debug)]
pub struct ReportParams {
    /// The first instant asked for; `None`: the beginning for the list and the exports, the
    /// [`DEFAULT_REPORT_DAYS`] before `to` for a report ([`ReportParams::report_range`]).
    pub from: Option<DateTime<Utc>>,
    /// The first instant after the range.
    pub to: DateTime<Utc>,
    pub tz: Tz,
    pub filter: Filter,
}

impl ReportParams {
    /// The range a report covers: `from` to `to`, or the [`DEFAULT_REPORT_DAYS`] before `to`.
    pub fn report_range(&self) -> Range {
        let from = self.from.unwrap_or(self.to - Duration::days(DEFAULT_REPORT_DAYS));
        Range { from, to: self.to }
    }
}

/// A position in the list: the last answer of a page. Opaque to clients (base64url of
/// "micros since epoch,uuid").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub answered_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The cursor's wire form.
    pub fn encode(&self) -> String {
        let raw = format!("{},{}", self.answered_at.timestamp_micros(), self.id);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// Parses a wire cursor.
    pub fn decode(s: &str) -> Option<Cursor> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once(',')?;
        let answered_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        Some(Cursor { answered_at, id: id.parse().ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_without_from_covers_the_default_days_before_to() {
        let to = "2026-03-30T22:00:00Z".parse().unwrap();
        let mut p = ReportParams { from: None, to, tz: chrono_tz::UTC, filter: Filter::default() };
        assert_eq!(p.report_range().from, to - Duration::days(DEFAULT_REPORT_DAYS));
        let from = "2026-01-01T00:00:00Z".parse().unwrap();
        p.from = Some(from);
        assert_eq!((p.report_range().from, p.report_range().to), (from, to));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { answered_at: "2026-01-02T03:04:05.123456Z".parse().unwrap(), id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
