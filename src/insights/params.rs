//! What the reports, the list and the exports are asked: the time range, zone and filters,
//! and the list's position. Parsed from a query string in `http/`; read in `report.rs`.

use super::Filter;
use base64::Engine;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// The time range and filters every report takes.
#[derive(Clone, Debug)]
pub struct ReportParams {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: Tz,
    pub filter: Filter,
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
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { answered_at: "2026-01-02T03:04:05.123456Z".parse().unwrap(), id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
