//! Ingestion: an answer checked against its survey, turned into a row, written by group
//! commit, and acknowledged only once committed.

mod error;
pub mod ip;
pub mod submission;
pub mod writer;

pub use error::IngestError;
pub use feedbackd_domain::Category;
use submission::AnswerTime;
pub use submission::Submission;
pub use writer::{Writer, WriterHandle};

use crate::auth::Principal;
use crate::cache::{ProjectCache, Subscriber};
use crate::settings::{Limits, SpamConfig};
use chrono::{DateTime, Utc};
use feedbackd_domain::questions::{self, MainAnswer};
use feedbackd_domain::{
    Answers, FieldError, Questions, RespondentId, Scale, Schedule, SurveyKind, SurveyStatus,
};
use feedbackd_store::models::{NewAnswer, Survey};
use feedbackd_store::notify::Table;
pub use feedbackd_store::responses::FollowUp;
use feedbackd_store::responses::{self, FollowUpOutcome, Stored};
use feedbackd_store::{surveys, Db};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long after an answer a widget may still add its follow-up comment.
const FOLLOW_UP_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// What a survey says about the answers it takes, cached by (project, id or key).
#[derive(Debug, Clone)]
struct SurveyRules {
    id: Uuid,
    version: i32,
    kind: SurveyKind,
    scale: Option<Scale>,
    status: SurveyStatus,
    created_at: DateTime<Utc>,
    schedule: Schedule,
    questions: Arc<Questions>,
}

impl From<&Survey> for SurveyRules {
    fn from(s: &Survey) -> Self {
        SurveyRules {
            id: s.id,
            version: s.version,
            kind: s.kind,
            scale: s.scale(),
            status: s.status,
            created_at: s.created_at,
            schedule: s.schedule(),
            // Checked on every write; unreadable would be a bug, and then no question is
            // answerable rather than every answer refused.
            questions: Arc::new(serde_json::from_value(s.questions.clone()).unwrap_or_default()),
        }
    }
}

/// Records answers for authenticated widgets.
#[derive(Clone)]
pub struct Ingestor {
    db: Db,
    writer: WriterHandle,
    limits: Arc<Limits>,
    spam: SpamConfig,
    surveys: ProjectCache<(Uuid, String), Option<SurveyRules>>,
}

/// Why an answer was acknowledged but not stored.
#[derive(Debug, Clone, Copy)]
enum Drop {
    Honeypot,
    TooFast,
}

/// Outcome of one item of a batch.
pub type ItemResult = Result<Recorded, IngestError>;

/// A committed answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub created: bool,
}

impl Ingestor {
    /// An ingestor writing through `writer`, caching survey lookups for `cache_ttl`.
    pub fn new(db: Db, writer: WriterHandle, limits: Limits, spam: SpamConfig, cache_ttl: Duration) -> Self {
        let surveys =
            ProjectCache::new(10_000, cache_ttl, &[Table::Surveys], |(project, _), _| Some(*project));
        Ingestor { db, writer, limits: Arc::new(limits), spam, surveys }
    }

    /// Whether the answer looks like a bot's: it is then acknowledged and not stored, so
    /// bots learn nothing from the answer.
    fn drop_reason(&self, s: &Submission) -> Option<Drop> {
        if s.honeypot {
            return Some(Drop::Honeypot);
        }
        let min = self.spam.min_time_to_answer;
        s.time_to_answer.filter(|t| !min.is_zero() && *t < min).map(|_| Drop::TooFast)
    }

    /// An answer that needs no write: a bot's, acknowledged as if stored. Only what no
    /// honest client sends ends here; a repeat by a person is stored (and flagged).
    fn settled_without_write(&self, row: &NewAnswer, dropped: Option<Drop>) -> Option<Recorded> {
        let reason = match dropped? {
            Drop::Honeypot => "dropped_honeypot",
            Drop::TooFast => "dropped_too_fast",
        };
        metrics::counter!("feedbackd_answers_total", "outcome" => reason).increment(1);
        Some(Recorded { id: row.id, survey_id: row.survey_id, created: true })
    }

    /// The limits answers are checked against.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Forgets the project's cached survey rules, so an edit made through this process (a
    /// pause, a new version) applies to its next answer even while notifications are down.
    pub fn forget_surveys(&self, project_id: Uuid) {
        self.surveys.forget_project(project_id);
    }

    /// The survey cache, for the notifications to empty.
    pub fn subscriber(&self) -> Box<dyn Subscriber> {
        Box::new(self.surveys.clone())
    }

    /// The writer, for its counters.
    pub fn writer(&self) -> &WriterHandle {
        &self.writer
    }

    /// Checks one answer against its survey and stores it.
    #[tracing::instrument(skip_all, fields(project = %principal.project.id))]
    pub async fn record(
        &self,
        principal: &Principal,
        submission: Submission,
        client_ip: Option<IpAddr>,
    ) -> Result<Recorded, IngestError> {
        let dropped = self.drop_reason(&submission);
        let row = self.prepare(principal, submission, client_ip).await.inspect_err(count_invalid)?;
        if let Some(settled) = self.settled_without_write(&row, dropped) {
            return Ok(settled);
        }
        let id = row.id;
        let stored = self.writer.write(vec![row]).await?;
        recorded(id, stored[0])
    }

    /// Checks and stores up to a batch of answers in one commit. Invalid items are refused
    /// one by one; the valid ones are written together. An error of the whole (database
    /// down, queue full) is returned as `Err`, and nothing was stored.
    #[tracing::instrument(skip_all, fields(project = %principal.project.id, items = submissions.len()))]
    pub async fn record_batch(
        &self,
        principal: &Principal,
        submissions: Vec<Result<Submission, FieldError>>,
        client_ip: Option<IpAddr>,
    ) -> Result<Vec<ItemResult>, IngestError> {
        let mut results: Vec<Option<ItemResult>> = Vec::with_capacity(submissions.len());
        let mut rows = Vec::new();
        let mut slots = Vec::new();
        for submission in submissions {
            let (prepared, dropped) = match submission {
                Ok(s) => {
                    let dropped = self.drop_reason(&s);
                    (self.prepare(principal, s, client_ip).await.inspect_err(count_invalid), dropped)
                }
                Err(error) => (Err(IngestError::Invalid(vec![error])), None),
            };
            match prepared {
                Ok(row) => match self.settled_without_write(&row, dropped) {
                    Some(settled) => results.push(Some(Ok(settled))),
                    None => {
                        slots.push(results.len());
                        rows.push(row);
                        results.push(None);
                    }
                },
                Err(e @ (IngestError::Invalid(_) | IngestError::SurveyClosed(_))) => {
                    results.push(Some(Err(e)))
                }
                Err(other) => return Err(other),
            }
        }
        if !rows.is_empty() {
            let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
            let stored = self.writer.write(rows).await?;
            for ((slot, id), stored) in slots.into_iter().zip(ids).zip(stored) {
                results[slot] = Some(recorded(id, stored));
            }
        }
        Ok(results.into_iter().map(|r| r.expect("every slot is filled")).collect())
    }

    /// Adds the follow-up comment (and category) to an answer just given.
    pub async fn follow_up(
        &self,
        principal: &Principal,
        id: Uuid,
        follow_up: FollowUp,
    ) -> Result<Recorded, IngestError> {
        let project_id = principal.project.id;
        let not_before = Utc::now() - FOLLOW_UP_WINDOW;
        let follow_up = self.check_follow_up_answers(project_id, id, follow_up).await?;
        let outcome = self
            .db
            .run(move |conn| responses::add_follow_up(conn, project_id, id, &follow_up, not_before))
            .await?;
        match outcome {
            FollowUpOutcome::Applied { survey_id } => Ok(Recorded { id, survey_id, created: false }),
            FollowUpOutcome::Conflict => Err(IngestError::Conflict),
            FollowUpOutcome::NotFound => Err(IngestError::NotFound),
        }
    }

    /// The follow-up with its answers checked against the survey and put in their stored
    /// form, judged by what the answer already says (its score, its main options).
    async fn check_follow_up_answers(
        &self,
        project_id: Uuid,
        id: Uuid,
        mut follow_up: FollowUp,
    ) -> Result<FollowUp, IngestError> {
        if follow_up.answers.is_empty() {
            return Ok(follow_up);
        }
        let target = self.db.run(move |conn| responses::follow_up_target(conn, project_id, id)).await?;
        let Some((survey_id, score, stored)) = target else { return Err(IngestError::NotFound) };
        let rules =
            self.survey_rules(project_id, &survey_id.to_string()).await?.ok_or(IngestError::NotFound)?;
        let stored: Answers = stored.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
        let main_options = stored.get(questions::MAIN).map(|a| a.options.clone()).unwrap_or_default();
        let main = MainAnswer { kind: rules.kind, scale: rules.scale, score, options: &main_options };
        let checked = rules
            .questions
            .check_answers(&follow_up.answers, main, self.limits.max_comment_chars)
            .map_err(IngestError::Invalid)?;
        follow_up.answers = match serde_json::to_value(checked) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Ok(follow_up)
    }

    /// Runs every check that needs the survey and builds the row.
    async fn prepare(
        &self,
        principal: &Principal,
        s: Submission,
        client_ip: Option<IpAddr>,
    ) -> Result<NewAnswer, IngestError> {
        let project = &principal.project;
        let survey = self.survey_rules(project.id, &s.survey).await?;
        let mut errors = s.errors;
        let respondent_id = s
            .respondent_id
            .map(RespondentId::parse)
            .transpose()
            .map_err(|e| errors.push(FieldError::new("respondent_id", e.to_string())))
            .ok()
            .flatten();
        let score = match &survey {
            None => {
                errors.push(FieldError::new("survey", format!("no survey {:?} in this project", s.survey)));
                None
            }
            Some(rules) if rules.status != SurveyStatus::Active => {
                errors.push(FieldError::new(
                    "survey",
                    format!("is {} and takes no answers", rules.status.as_str()),
                ));
                None
            }
            Some(rules) => {
                submission::check_against_survey(s.score, rules.kind, rules.scale, s.comment.as_deref())
                    .map_err(|e| errors.push(e))
                    .ok()
                    .flatten()
            }
        };
        if s.category.is_some()
            && survey.as_ref().is_some_and(|r| r.kind != SurveyKind::Text)
            && s.comment.is_none()
        {
            errors.push(FieldError::new("category", "needs a comment"));
        }
        let now = Utc::now();
        // Open by status but not by schedule (or full): no field is wrong, the survey is.
        if let Some(why) = survey
            .as_ref()
            .filter(|r| r.status == SurveyStatus::Active)
            .and_then(|r| r.schedule.closed_because(now))
        {
            return Err(IngestError::SurveyClosed(why));
        }
        let created_at = survey.as_ref().map(|rules| rules.created_at);
        let time = submission::answered_at(s.client_time, now, created_at, &self.limits)
            .map_err(|e| errors.push(e))
            .unwrap_or(AnswerTime { counted_at: now, late: false });
        let answers = survey.as_ref().and_then(|rules| {
            let main = MainAnswer {
                kind: rules.kind,
                scale: rules.scale,
                score: score.map(|s| s.get()),
                options: &[],
            };
            check_answers(&rules.questions, &s.answers, main, self.limits.max_comment_chars, &mut errors)
        });
        let Some(survey) = survey.filter(|_| errors.is_empty()) else {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(IngestError::Invalid(errors));
        };
        Ok(NewAnswer {
            project_id: project.id,
            id: s.id.unwrap_or_else(Uuid::now_v7),
            survey_id: survey.id,
            survey_version: survey.version,
            respondent_id,
            score,
            comment: s.comment,
            category: s.category,
            attributes: Value::Object(s.attributes),
            context: Value::Object(s.context),
            client_ip: client_ip.and_then(|ip| ip::apply_policy(project.ip_policy, ip)),
            client_time: s.client_time,
            answered_at: time.counted_at,
            late: time.late,
            answers,
        })
    }

    async fn survey_rules(
        &self,
        project_id: Uuid,
        reference: &str,
    ) -> Result<Option<SurveyRules>, IngestError> {
        let reference = reference.to_string();
        self.surveys
            .get_or_load((project_id, reference.clone()), || async move {
                let survey =
                    self.db.run(move |conn| surveys::find_by_ref(conn, project_id, &reference)).await?;
                Ok(survey.as_ref().map(SurveyRules::from))
            })
            .await
    }
}

/// The answers to store (`None`: none given), checked against the survey's questions;
/// problems go to `errors`. A choice survey's main answer is required.
fn check_answers(
    questions: &Questions,
    sent: &serde_json::Map<String, Value>,
    main: MainAnswer<'_>,
    max_text_chars: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    if main.kind == SurveyKind::Choice && !sent.contains_key(questions::MAIN) {
        errors.push(FieldError::new("answers.main", "is required for a choice survey"));
    }
    if sent.is_empty() {
        return None;
    }
    match questions.check_answers(sent, main, max_text_chars) {
        Ok(answers) => serde_json::to_value(answers).ok(),
        Err(e) => {
            errors.extend(e);
            None
        }
    }
}

fn count_invalid(error: &IngestError) {
    if matches!(error, IngestError::Invalid(_)) {
        metrics::counter!("feedbackd_answers_total", "outcome" => "invalid").increment(1);
    }
}

/// The answer to a client for a written row, counted by what happened to it.
fn recorded(id: Uuid, stored: Stored) -> Result<Recorded, IngestError> {
    let outcome = match (stored.refused_full, stored.created, stored.duplicate) {
        (true, _, _) => "survey_full",
        (false, true, true) => "duplicate",
        (false, true, false) => "created",
        (false, false, _) => "replayed",
    };
    metrics::counter!("feedbackd_answers_total", "outcome" => outcome).increment(1);
    if stored.refused_full {
        return Err(IngestError::SurveyClosed("is closed: it reached its response limit".into()));
    }
    Ok(Recorded { id, survey_id: stored.survey_id, created: stored.created })
}
