//! A survey's schedule and response limit: a change read in the project's time zone, the
//! limit's counter kept equal to the answers stored, and the survey closed or reopened
//! when a new limit says so.

use super::ManageError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use feedbackd_domain::{FieldError, Schedule, ScheduleTime};
use feedbackd_store::indexing::lock_writers;
use feedbackd_store::Conn;
use feedbackd_store::{survey_counters, surveys};
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

/// Locks what a change of `reference`'s limit needs, before the survey's row is locked, in
/// the order writers take theirs (a limited survey's counter row, then the survey's row), so
/// the two cannot deadlock. A counter that exists is locked `FOR UPDATE`: writers adding to
/// it wait, and ingest of other surveys goes on. A survey without one that is given a limit
/// gets one, started from a count of its stored answers under the writers' lock, taken
/// exclusively until the transaction ends so no answer commits between the count and the
/// limit. Returns the answers counted, or `None` when the change leaves the limit alone.
pub(super) fn lock_counter(
    conn: &mut Conn,
    project_id: Uuid,
    reference: &str,
    change: &ScheduleChange,
) -> Result<Option<i32>, ManageError> {
    let Some(limit) = change.response_limit else { return Ok(None) };
    let Some(survey) = surveys::find_by_ref(conn, project_id, reference)? else { return Ok(None) };
    if let Some(answers) = survey_counters::lock(conn, project_id, survey.id)? {
        return Ok(Some(answers));
    }
    match limit {
        Some(n) if (1..=MAX_RESPONSE_LIMIT).contains(&n) => {
            lock_writers(conn)?;
            Ok(Some(survey_counters::start(conn, project_id, survey.id)?))
        }
        // No limit, or one that will be refused: nothing to count.
        _ => Ok(None),
    }
}

/// What a new limit does to the survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitMove {
    /// The answers stored (this many) reach the new limit: it stops taking answers now.
    Close { answers: i32 },
    /// It was closed by its limit, which is now above the answers stored, or gone.
    Reopen,
}

/// Says whether the survey closes or reopens under its new limit, given the `answers`
/// [`lock_counter`] counted, and drops the counter when the limit goes.
pub(super) fn settle_limit(
    conn: &mut Conn,
    project_id: Uuid,
    survey_id: Uuid,
    old: &Schedule,
    new_limit: Option<i32>,
    answers: Option<i32>,
) -> Result<Option<LimitMove>, ManageError> {
    if new_limit == old.response_limit {
        return Ok(None);
    }
    let closed = old.closed_at.is_some();
    let Some(limit) = new_limit else {
        survey_counters::remove(conn, project_id, survey_id)?;
        return Ok(closed.then_some(LimitMove::Reopen));
    };
    let answers = answers.ok_or_else(|| {
        ManageError::Store(feedbackd_store::StoreError::Internal(format!(
            "survey {survey_id}: a limit without a counter locked first"
        )))
    })?;
    Ok(match (limit <= answers, closed) {
        (true, false) => Some(LimitMove::Close { answers }),
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
