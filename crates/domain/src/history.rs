//! A survey's history: the events stored as they happened (`survey_events`), and the
//! moments its schedule opened or closed it, which no one records (nothing runs at
//! `opens_at`), so they are worked out from the schedules it had.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// What happened to a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Created,
    /// Its question, scale, presentation, targeting or response limit changed.
    Updated,
    Paused,
    Resumed,
    Archived,
    /// Its `opens_at` or `closes_at` changed; the detail holds both new values.
    Scheduled,
    /// It stopped taking answers: `reason` `response_limit` (stored) or `schedule` (worked out).
    Closed,
    /// Its schedule opened it (worked out, never stored).
    Opened,
    /// A raised or removed response limit opened it again.
    Reopened,
}

names!(EventKind, "event" {
    Created => "created",
    Updated => "updated",
    Paused => "paused",
    Resumed => "resumed",
    Archived => "archived",
    Scheduled => "scheduled",
    Closed => "closed",
    Opened => "opened",
    Reopened => "reopened",
});

impl EventKind {
    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<EventKind> {
        s.parse().ok()
    }
}

/// One entry of a survey's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SurveyEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// What changed: `{"reason": …}` for `closed`, the new `opens_at`/`closes_at` for
    /// `scheduled`, the changed `fields` for `updated`, the previous status (`from`) for
    /// lifecycle moves.
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// The `opens_at` and `closes_at` a `created` or `scheduled` event recorded.
type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn window_of(detail: &Value) -> Window {
    let time = |name: &str| detail.get(name).and_then(Value::as_str).and_then(|s| s.parse().ok());
    (time("opens_at"), time("closes_at"))
}

/// `stored` (oldest first) with the openings and closings by schedule that happened before
/// `now`, in time order. The schedule in force from each `created` or `scheduled` event to
/// the next opened (or closed) the survey at its `opens_at` (`closes_at`) if that time fell
/// in that span: a time set in the past did not open anything then, and a time replaced
/// before it came never happened. A survey with no such event (made before histories were
/// kept) had `current` since `created_at`.
pub fn with_schedule_moments(
    stored: Vec<SurveyEvent>,
    created_at: DateTime<Utc>,
    current: Window,
    now: DateTime<Utc>,
) -> Vec<SurveyEvent> {
    let mut spans: Vec<(DateTime<Utc>, Window)> = stored
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Created | EventKind::Scheduled))
        .map(|e| (e.at, window_of(&e.detail)))
        .collect();
    if spans.is_empty() {
        spans.push((created_at, current));
    }
    let mut moments = Vec::new();
    for (i, &(from, (opens, closes))) in spans.iter().enumerate() {
        let next = spans.get(i + 1).map(|span| span.0);
        let in_force = |t: &DateTime<Utc>| from <= *t && next.map_or(true, |n| *t < n) && *t <= now;
        for (t, kind) in [(opens, EventKind::Opened), (closes, EventKind::Closed)] {
            if let Some(t) = t.filter(in_force) {
                moments.push(SurveyEvent { at: t, kind, detail: json!({"reason": "schedule"}) });
            }
        }
    }
    let mut all = stored;
    all.extend(moments);
    // Stable: a stored event keeps its place before a worked-out one at the same time.
    all.sort_by_key(|e| e.at);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn event(at: DateTime<Utc>, kind: EventKind, detail: Value) -> SurveyEvent {
        SurveyEvent { at, kind, detail }
    }

    fn kinds(events: &[SurveyEvent]) -> Vec<&'static str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn openings_and_closings_that_passed_are_merged_in_time_order() {
        let t0 = "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let h = Duration::hours;
        let created = event(t0, EventKind::Created, json!({"opens_at": t0 + h(1), "closes_at": t0 + h(10)}));
        let paused = event(t0 + h(2), EventKind::Paused, json!({"from": "active"}));
        // Moved the close before it came: the first close never happened.
        let moved =
            event(t0 + h(3), EventKind::Scheduled, json!({"opens_at": t0 + h(1), "closes_at": t0 + h(5)}));
        let all = with_schedule_moments(vec![created, paused, moved], t0, (None, None), t0 + h(6));
        assert_eq!(kinds(&all), ["created", "opened", "paused", "scheduled", "closed"]);
        assert_eq!((all[1].at, all[4].at), (t0 + h(1), t0 + h(5)));
        assert_eq!(all[4].detail, json!({"reason": "schedule"}));
        // Not yet: nothing worked out past now.
        let early =
            with_schedule_moments(all[..1].to_vec(), t0, (None, None), t0 + h(1) - Duration::seconds(1));
        assert_eq!(kinds(&early), ["created"]);
    }

    #[test]
    fn a_time_set_in_the_past_opened_nothing_and_old_surveys_use_their_schedule() {
        let t0 = "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let h = Duration::hours;
        let late = event(t0 + h(5), EventKind::Scheduled, json!({"opens_at": t0 + h(1), "closes_at": null}));
        assert_eq!(kinds(&with_schedule_moments(vec![late], t0, (None, None), t0 + h(6))), ["scheduled"]);
        let legacy = with_schedule_moments(Vec::new(), t0, (Some(t0 + h(1)), Some(t0 + h(2))), t0 + h(3));
        assert_eq!(kinds(&legacy), ["opened", "closed"]);
        assert_eq!(EventKind::parse("reopened"), Some(EventKind::Reopened));
        assert_eq!(EventKind::parse("deleted"), None);
    }
}
