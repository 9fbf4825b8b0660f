//! A survey's schedule and response limit: a change read in the project's time zone, the
//! limit's counter kept equal to the answers stored, and the survey closed or reopened
//! when a new limit says so.

use super::ManageError;
use crate::domain::{FieldError, Schedule, ScheduleTime};
use crate::store::indexing::lock_writers;
use crate::store::{survey_counters, surveys};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;
use uuid::Uuid;

/// Highest response limit (the database checks the same).
pub const MAX_RESPONSE_LIMIT: i64 = 100_000_000;

/// A change to a survey's schedule. For each field, `None` keeps the current value and
/// `Some(None)` clears it (JSON: absent keeps, `null` clears).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScheduleChange {
    pub opens_at: Option<Option<ScheduleTime>>,
    pub closes_at: Option<Option<ScheduleTime>>,
    /// 1 to [`MAX_RESPONSE_LIMIT`] answers.
    pub response_limit: Option<Option<i64>>,
}

impl ScheduleChange {
    /// `current` with this change applied, local times read in `zone`. `closed_at` is left
    /// as it was: [`settle_limit`] decides it. Every bad field is added to `errors`.
    pub(super) fn apply(&self, current: &Schedule, zone: Tz, errors: &mut Vec<FieldError>) -> Schedule {
        let opens_at = resolve("opens_at", self.opens_at, current.opens_at, zone, errors);
        let closes_at = resolve("closes_at", self.closes_at, current.closes_at, zone, errors);
        let response_limit = match self.response_limit {
            None => current.response_limit,
            Some(None) => None,
            Some(Some(n)) => match i32::try_from(n) {
                Ok(n) if (1..=MAX_RESPONSE_LIMIT).contains(&i64::from(n)) => Some(n),
                _ => {
                    let message = format!("must be 1 to {MAX_RESPONSE_LIMIT} answers, or null for no limit");
                    errors.push(FieldError::new("response_limit", message));
                    current.response_limit
                }
            },
        };
        if let (Some(opens), Some(closes)) = (opens_at, closes_at) {
            if opens >= closes {
                let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                // Name the side that was changed; the other one is what it is held against.
                let error = if self.closes_at.is_some() {
                    FieldError::new("closes_at", format!("must be after opens_at ({})", at(opens)))
                } else {
                    FieldError::new("opens_at", format!("must be before closes_at ({})", at(closes)))
                };
                errors.push(error);
            }
        }
        Schedule { opens_at, closes_at, response_limit, closed_at: current.closed_at }
    }
}

fn resolve(
    field: &str,
    change: Option<Option<ScheduleTime>>,
    current: Option<DateTime<Utc>>,
    zone: Tz,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    match change {
        None => current,
        Some(None) => None,
        Some(Some(time)) => time.resolve(zone).map_err(|m| errors.push(FieldError::new(field, m))).ok(),
    }
}

/// Takes the writers' lock exclusively (until the transaction ends) when `change` sets a
/// limit on the survey `reference` while it has no counter: the counter then starts from a
/// count of the stored answers, and no answer may commit between that count and the limit.
/// Call it first in the transaction, before any row lock, so that it is taken in the order
/// writers take theirs and the two cannot deadlock. Returns whether it was taken.
pub(super) fn lock_writers_to_start_count(
    conn: &mut PgConnection,
    project_id: Uuid,
    reference: &str,
    change: &ScheduleChange,
) -> Result<bool, ManageError> {
    // A limit that will be refused needs no count.
    if !matches!(change.response_limit, Some(Some(n)) if (1..=MAX_RESPONSE_LIMIT).contains(&n)) {
        return Ok(false);
    }
    let Some(survey) = surveys::find_by_ref(conn, project_id, reference)? else { return Ok(false) };
    if survey_counters::exists(conn, project_id, survey.id)? {
        return Ok(false);
    }
    lock_writers(conn)?;
    Ok(true)
}

/// What a new limit does to the survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitMove {
    /// The answers stored reach the new limit: it stops taking answers now.
    Close,
    /// It was closed by its limit, which is now above the answers stored, or gone.
    Reopen,
}

/// Brings the survey's counter in line with its new limit (started from the answers stored
/// when a limit appears, dropped when it goes) and says whether the survey closes or
/// reopens. `writers_locked`: [`lock_writers_to_start_count`] took the lock.
pub(super) fn settle_limit(
    conn: &mut PgConnection,
    project_id: Uuid,
    survey_id: Uuid,
    old: &Schedule,
    new_limit: Option<i32>,
    writers_locked: bool,
) -> Result<Option<LimitMove>, ManageError> {
    if new_limit == old.response_limit {
        return Ok(None);
    }
    let closed = old.closed_at.is_some();
    let Some(limit) = new_limit else {
        survey_counters::remove(conn, project_id, survey_id)?;
        return Ok(closed.then_some(LimitMove::Reopen));
    };
    // Locked: a writer adding to it waits for this transaction, and this one for it.
    let answers = match survey_counters::lock(conn, project_id, survey_id)? {
        Some(answers) => answers,
        None => {
            // The counter went after we looked (its limit removed meanwhile): lock now.
            if !writers_locked {
                lock_writers(conn)?;
            }
            survey_counters::start(conn, project_id, survey_id)?
        }
    };
    Ok(match (limit <= answers, closed) {
        (true, false) => Some(LimitMove::Close),
        (false, true) => Some(LimitMove::Reopen),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> Option<Option<ScheduleTime>> {
        Some(Some(s.parse().unwrap()))
    }

    #[test]
    fn a_change_keeps_clears_and_checks_each_field() {
        let zone = chrono_tz::Europe::Berlin;
        let current = Schedule {
            opens_at: Some("2026-12-01T08:00:00Z".parse().unwrap()),
            response_limit: Some(10),
            ..Schedule::default()
        };
        let mut errors = Vec::new();
        let change = ScheduleChange {
            closes_at: local("2026-12-24T12:00"),
            response_limit: Some(None),
            ..Default::default()
        };
        let next = change.apply(&current, zone, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(next.opens_at, current.opens_at);
        assert_eq!(next.closes_at, Some("2026-12-24T11:00:00Z".parse().unwrap()));
        assert_eq!(next.response_limit, None);

        let backwards = ScheduleChange { closes_at: local("2026-11-30T12:00"), ..Default::default() };
        backwards.apply(&current, zone, &mut errors);
        let too_many =
            ScheduleChange { response_limit: Some(Some(MAX_RESPONSE_LIMIT + 1)), ..Default::default() };
        too_many.apply(&current, zone, &mut errors);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["closes_at", "response_limit"]);
    }
}
