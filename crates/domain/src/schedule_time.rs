//! Times people write for a survey's schedule: an instant with its offset
//! (`2026-12-01T09:00:00+01:00`, `…Z`), or a wall-clock time without one
//! (`2026-12-01T09:00`), which means that time in the project's time zone.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

/// Wall-clock forms accepted without an offset, most precise first.
const LOCAL_FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"];

/// A schedule time as written, before the project's zone is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum ScheduleTime {
    /// Carried its offset: the same instant in every zone.
    Instant(DateTime<Utc>),
    /// No offset: read in the project's zone when the change is applied.
    Local(NaiveDateTime),
}

impl ScheduleTime {
    /// The instant this time means in `zone`. A wall-clock time the clocks skip (the hour
    /// lost when daylight saving time starts) is refused; one that happens twice (the hour
    /// repeated when it ends) is the earlier, so a survey opens or closes at the first.
    pub fn resolve(self, zone: Tz) -> Result<DateTime<Utc>, String> {
        let local = match self {
            ScheduleTime::Instant(t) => return Ok(t),
            ScheduleTime::Local(local) => local,
        };
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
            LocalResult::None => Err(format!(
                "{} does not exist in {zone}: the clocks skip it when daylight saving time starts; \
                 pick a time outside the gap or give an offset",
                local.format("%Y-%m-%dT%H:%M")
            )),
        }
    }
}

impl FromStr for ScheduleTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(ScheduleTime::Instant(t.with_timezone(&Utc)));
        }
        LOCAL_FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())
            .map(ScheduleTime::Local)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a time: write RFC 3339 with an offset (2026-12-01T09:00:00Z) or a \
                     local time in the project's time zone (2026-12-01T09:00)"
                )
            })
    }
}

impl TryFrom<String> for ScheduleTime {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Parses an IANA time zone name (`Europe/Berlin`, `UTC`).
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| format!("{name:?} is not an IANA time zone name such as Europe/Berlin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn local_times_follow_the_zone_and_offsets_win() {
        let ny = chrono_tz::America::New_York;
        let t = |s: &str| s.parse::<ScheduleTime>().unwrap().resolve(ny);
        assert_eq!(t("2026-12-01T09:00"), Ok(at("2026-12-01T14:00:00Z")));
        assert_eq!(t("2026-07-01T09:00:30.5"), Ok(at("2026-07-01T13:00:30.5Z")));
        assert_eq!(t("2026-12-01T09:00:00+01:00"), Ok(at("2026-12-01T08:00:00Z")));
        assert_eq!(t("2026-12-01T09:00:00Z"), Ok(at("2026-12-01T09:00:00Z")));
    }

    #[test]
    fn a_skipped_time_is_refused_and_a_repeated_one_is_the_earlier() {
        let ny = chrono_tz::America::New_York;
        let gap = "2026-03-08T02:30".parse::<ScheduleTime>().unwrap().resolve(ny);
        assert!(gap.unwrap_err().contains("does not exist in America/New_York"));
        let twice = "2026-11-01T01:30".parse::<ScheduleTime>().unwrap().resolve(ny);
        assert_eq!(twice, Ok(at("2026-11-01T05:30:00Z")), "EDT, before the clocks go back");
        // Kathmandu is UTC+5:45: minutes, not only hours.
        let ktm = "2026-01-01T00:00".parse::<ScheduleTime>().unwrap().resolve(chrono_tz::Asia::Kathmandu);
        assert_eq!(ktm, Ok(at("2025-12-31T18:15:00Z")));
    }

    #[test]
    fn refuses_what_is_not_a_time_or_a_zone() {
        for bad in ["", "soon", "2026-12-01", "2026-13-01T09:00", "09:00"] {
            assert!(bad.parse::<ScheduleTime>().is_err(), "{bad}");
        }
        assert_eq!(parse_time_zone("Asia/Kolkata"), Ok(chrono_tz::Asia::Kolkata));
        assert!(parse_time_zone("Mars/Olympus_Mons").is_err());
    }
}
