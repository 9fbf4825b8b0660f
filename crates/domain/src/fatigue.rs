//! Respect for the respondent: the project's fatigue rules, and the one decision that
//! applies them when a widget is about to show a survey (`POST /v1/responses/shown`).
//!
//! Config reads decide nothing that needs a person's history, so they stay read-only and
//! cacheable; the history (answered, dismissed, shown and ignored, on any device) is read
//! once, when a survey is really about to appear.

use super::FieldError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest rest between surveys, in days (ten years), as for per-survey recontact.
const MAX_DAYS: u32 = 3650;
/// Longest wait after an ignored survey, in hours (a year).
const MAX_IGNORED_HOURS: u32 = 8760;
/// Most surveys one session may see.
const MAX_PER_SESSION: u32 = 100;

/// A project's fatigue rules. Every field has a default, so `{}` is a sensible project.
/// Surveys marked `fatigue_exempt` (a feedback button the person opens) escape them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Fatigue {
    /// A person is shown at most one survey per this many days across the project, and a
    /// survey they answered or dismissed is not shown to them again within it (0: off).
    #[schema(maximum = 3650, default = 14)]
    pub days_between_surveys: u32,
    /// At most this many surveys in one widget session (0: no cap).
    #[schema(maximum = 100, default = 1)]
    pub max_per_session: u32,
    /// A survey shown and neither answered nor dismissed is not shown to that person again
    /// for this many hours (0: off).
    #[schema(maximum = 8760, default = 72)]
    pub ignored_wait_hours: u32,
}

impl Default for Fatigue {
    fn default() -> Self {
        Fatigue { days_between_surveys: 14, max_per_session: 1, ignored_wait_hours: 72 }
    }
}

impl Fatigue {
    /// Every rule the settings break, with paths under `fatigue`.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.days_between_surveys > MAX_DAYS {
            errors.push(FieldError::new("days_between_surveys", format!("at most {MAX_DAYS}")));
        }
        if self.max_per_session > MAX_PER_SESSION {
            errors.push(FieldError::new("max_per_session", format!("at most {MAX_PER_SESSION}")));
        }
        if self.ignored_wait_hours > MAX_IGNORED_HOURS {
            errors.push(FieldError::new("ignored_wait_hours", format!("at most {MAX_IGNORED_HOURS}")));
        }
        errors.into_iter().map(|e| e.under("fatigue")).collect()
    }

    /// The stored JSON, read leniently: the defaults fill what is missing, and a value
    /// that no longer parses (written by hand) falls back to them rather than failing
    /// every widget of the project.
    pub fn from_stored(value: &serde_json::Value) -> Fatigue {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }
}

/// What is remembered of one person and one survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact {
    pub survey_id: Uuid,
    /// Whether that survey escapes the fatigue rules (its contacts do not count either).
    pub exempt: bool,
    pub last_shown_at: Option<DateTime<Utc>>,
    pub last_answered_at: Option<DateTime<Utc>>,
    pub last_dismissed_at: Option<DateTime<Utc>>,
}

impl Contact {
    /// The last time the person answered or dismissed the survey.
    pub fn last_decided_at(&self) -> Option<DateTime<Utc>> {
        self.last_answered_at.max(self.last_dismissed_at)
    }

    /// The last time anything happened between the person and the survey.
    fn last_contact_at(&self) -> Option<DateTime<Utc>> {
        self.last_decided_at().max(self.last_shown_at)
    }
}

/// Why a survey is not shown now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Not taking answers: paused, archived, not yet open, past its close, or full.
    Closed,
    /// The person saw, answered or dismissed a survey of the project too recently.
    ProjectRest,
    /// The person answered or dismissed this survey within its recontact period.
    SurveyRest,
    /// The person was shown this survey lately and ignored it.
    Ignored,
    /// This session has seen as many surveys as the project allows.
    SessionCap,
}

names!(Refusal, "refusal" {
    Closed => "closed",
    ProjectRest => "project_rest",
    SurveyRest => "survey_rest",
    Ignored => "ignored",
    SessionCap => "session_cap",
});

impl Refusal {
    /// The name read back from storage.
    pub fn parse(s: &str) -> Option<Refusal> {
        s.parse().ok()
    }
}

/// The survey about to be shown, as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub survey_id: Uuid,
    pub exempt: bool,
    /// The survey's own recontact period in days (0: none).
    pub recontact_days: u32,
    /// Whether it takes answers now (status, schedule, limit).
    pub open: bool,
}

/// Whether `candidate` may be shown to a person with these `contacts` (every survey of the
/// project they met), whose session has seen `session_shown` surveys already. Pure and
/// deterministic; the strictest rule that applies wins.
pub fn may_show(
    candidate: Candidate,
    rules: &Fatigue,
    contacts: &[Contact],
    session_shown: u32,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if !candidate.open {
        return Err(Refusal::Closed);
    }
    if candidate.exempt {
        return Ok(());
    }
    if rules.max_per_session > 0 && session_shown >= rules.max_per_session {
        return Err(Refusal::SessionCap);
    }
    let within = |at: Option<DateTime<Utc>>, span: Duration| at.is_some_and(|at| now < at + span);
    let own = contacts.iter().find(|c| c.survey_id == candidate.survey_id);
    let own_decided = own.and_then(Contact::last_decided_at);
    if candidate.recontact_days > 0 && within(own_decided, Duration::days(candidate.recontact_days.into())) {
        return Err(Refusal::SurveyRest);
    }
    if rules.days_between_surveys > 0 {
        let rest = Duration::days(rules.days_between_surveys.into());
        let other_met = contacts
            .iter()
            .filter(|c| c.survey_id != candidate.survey_id && !c.exempt)
            .any(|c| within(c.last_contact_at(), rest));
        if other_met || within(own_decided, rest) {
            return Err(Refusal::ProjectRest);
        }
    }
    if rules.ignored_wait_hours > 0 {
        let ignored = own.and_then(|c| c.last_shown_at.filter(|shown| Some(*shown) > own_decided));
        if within(ignored, Duration::hours(rules.ignored_wait_hours.into())) {
            return Err(Refusal::Ignored);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: Uuid) -> Candidate {
        Candidate { survey_id: id, exempt: false, recontact_days: 0, open: true }
    }

    fn contact(id: Uuid) -> Contact {
        Contact {
            survey_id: id,
            exempt: false,
            last_shown_at: None,
            last_answered_at: None,
            last_dismissed_at: None,
        }
    }

    #[test]
    fn one_survey_per_period_across_the_project() {
        let (nps, csat) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        let rules = Fatigue::default();
        let answered = Contact { last_answered_at: Some(now - Duration::days(3)), ..contact(nps) };
        assert_eq!(may_show(candidate(nps), &rules, &[answered], 0, now), Err(Refusal::ProjectRest));
        assert_eq!(may_show(candidate(csat), &rules, &[answered], 0, now), Err(Refusal::ProjectRest));
        let later = now + Duration::days(11) + Duration::seconds(1);
        assert_eq!(may_show(candidate(csat), &rules, &[answered], 0, later), Ok(()));
        let off = Fatigue { days_between_surveys: 0, ..rules };
        assert_eq!(may_show(candidate(csat), &off, &[answered], 0, now), Ok(()));
        // An exempt survey's contacts do not count, and it escapes the rules.
        let button = Contact { exempt: true, ..answered };
        assert_eq!(may_show(candidate(csat), &rules, &[button], 0, now), Ok(()));
        let exempt = Candidate { exempt: true, ..candidate(csat) };
        assert_eq!(may_show(exempt, &rules, &[answered], 5, now), Ok(()));
    }

    #[test]
    fn an_ignored_survey_waits_and_a_closed_one_never_shows() {
        let nps = Uuid::new_v4();
        let now = Utc::now();
        let rules = Fatigue { days_between_surveys: 0, ..Fatigue::default() };
        let shown = Contact { last_shown_at: Some(now - Duration::hours(71)), ..contact(nps) };
        assert_eq!(may_show(candidate(nps), &rules, &[shown], 0, now), Err(Refusal::Ignored));
        assert_eq!(may_show(candidate(nps), &rules, &[shown], 0, now + Duration::hours(2)), Ok(()));
        // Answered after it was shown: not ignored.
        let answered = Contact { last_answered_at: Some(now - Duration::hours(70)), ..shown };
        assert_eq!(may_show(candidate(nps), &rules, &[answered], 0, now), Ok(()));
        let closed = Candidate { open: false, exempt: true, ..candidate(nps) };
        assert_eq!(may_show(closed, &rules, &[], 0, now), Err(Refusal::Closed));
    }

    #[test]
    fn the_session_cap_and_the_surveys_own_period_apply() {
        let nps = Uuid::new_v4();
        let now = Utc::now();
        let rules = Fatigue { days_between_surveys: 0, ..Fatigue::default() };
        assert_eq!(may_show(candidate(nps), &rules, &[], 1, now), Err(Refusal::SessionCap));
        let strict = Candidate { recontact_days: 90, ..candidate(nps) };
        let dismissed = Contact { last_dismissed_at: Some(now - Duration::days(60)), ..contact(nps) };
        assert_eq!(may_show(strict, &rules, &[dismissed], 0, now), Err(Refusal::SurveyRest));
    }

    #[test]
    fn settings_default_and_are_bounded() {
        assert_eq!(Fatigue::from_stored(&serde_json::json!({})), Fatigue::default());
        let partial = Fatigue::from_stored(&serde_json::json!({"max_per_session": 3}));
        assert_eq!((partial.max_per_session, partial.days_between_surveys), (3, 14));
        let wild = Fatigue { days_between_surveys: 4000, max_per_session: 101, ignored_wait_hours: 9000 };
        let fields: Vec<_> = wild.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["fatigue.days_between_surveys", "fatigue.max_per_session", "fatigue.ignored_wait_hours"]
        );
    }
}
