//! Managing a project's webhook endpoints (`admin` scope): create with a secret shown
//! once, change, rotate the secret with an overlap, delete; the delivery log, a resend and
//! a replay of a time range.

use super::secrets::SecretCipher;
use super::signing::EndpointSecret;
use super::{egress, WebhookError, WebhookSettings};
use chrono::{DateTime, Utc};
use feedbackd_domain::webhook::{Condition, EventType, Format};
use feedbackd_domain::FieldError;
pub use feedbackd_store::webhooks::LogFilter;
use feedbackd_store::webhooks::{self as rows, Endpoint, EndpointChanges, LoggedDelivery, NewEndpoint};
use feedbackd_store::{events, surveys, Db};
use serde::Serialize;
use uuid::Uuid;

/// Endpoints one project may have.
const MAX_ENDPOINTS: usize = 50;
/// Surveys one endpoint may name.
const MAX_SURVEYS: usize = 100;
/// Events one replay call looks at, at most; a longer range is replayed in several calls.
pub const MAX_REPLAY: u64 = 100_000;
const REPLAY_BATCH: i64 = 5_000;

/// What a replay queued, and where to go on when the range held more than one call takes.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Replayed {
    /// Deliveries queued (events the endpoint wants; conditions are checked).
    pub queued: u64,
    /// Null when the whole range was replayed; otherwise call again with this as `from`
    /// (the last event looked at: replaying it twice keeps its webhook-id).
    #[schema(required)]
    pub resume_from: Option<DateTime<Utc>>,
}

/// An endpoint as the API shows it: never its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub format: Format,
    pub event_types: Vec<EventType>,
    /// Only answers of these surveys; null: every survey.
    #[schema(required)]
    pub survey_ids: Option<Vec<Uuid>>,
    pub condition: Condition,
    pub enabled: bool,
    /// Why it was disabled, if the service did it (a `410 Gone`, five days of failures).
    #[schema(required)]
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs too.
    #[schema(required)]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Since when every attempt has failed; null while it is healthy.
    #[schema(required)]
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Endpoint> for EndpointView {
    fn from(e: Endpoint) -> Self {
        EndpointView {
            id: e.id,
            url: e.url,
            description: e.description,
            format: e.format.parse().unwrap_or_default(),
            event_types: e.event_types.iter().filter_map(|t| t.parse().ok()).collect(),
            survey_ids: e.survey_ids,
            condition: serde_json::from_value(e.condition).unwrap_or_default(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            previous_secret_expires_at: e.previous_secret_expires_at,
            failing_since: e.failing_since,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret: the answer to create and to rotate, the only
/// times the secret leaves the service.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_` and the base64 of the key: give it to your Standard Webhooks verifier.
    pub secret: String,
}

/// One delivery in the log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` the receiver saw (`msg_…`), the same on every attempt.
    pub id: String,
    /// The event's id in the change feed (`evt_…`); null once the feed no longer keeps it.
    #[schema(required)]
    pub event_id: Option<String>,
    #[schema(required)]
    pub event_type: Option<EventType>,
    #[schema(required)]
    pub response_id: Option<Uuid>,
    /// `pending`, `delivered`, `failed` (retries ran out, or 410), `skipped` (the answer
    /// was erased before it went out).
    pub state: String,
    pub attempts: i32,
    /// When it is tried next (pending only).
    #[schema(required)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[schema(required)]
    pub settled_at: Option<DateTime<Utc>>,
    /// The last attempt (null before the first): outcome, HTTP status, latency and the
    /// first KiB of the receiver's answer.
    #[schema(required)]
    pub last_attempt: Option<LastAttempt>,
}

/// What a delivery's last attempt came to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastAttempt {
    pub outcome: String,
    #[schema(required)]
    pub status: Option<i16>,
    pub latency_ms: i32,
    pub response: String,
}

impl From<LoggedDelivery> for DeliveryView {
    fn from(d: LoggedDelivery) -> Self {
        DeliveryView {
            id: super::signing::message_id(d.id),
            event_id: d.event_position.map(super::payload::event_id),
            event_type: d.event_type.and_then(|t| t.parse().ok()),
            response_id: d.response_id,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            settled_at: d.settled_at,
            last_attempt: d.last_outcome.map(|outcome| LastAttempt {
                outcome,
                status: d.last_status,
                latency_ms: d.last_latency_ms.unwrap_or_default(),
                response: d.last_response.unwrap_or_default(),
            }),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    /// `delivered`, `gone`, `retry_later`, `failed`, `refused` (not sent: the address is
    /// not allowed, or the service cannot sign), `unreachable`, `skipped`.
    pub outcome: String,
    /// The receiver's HTTP status, if it answered.
    #[schema(required)]
    pub status: Option<i16>,
    pub latency_ms: i32,
    /// The first KiB of the receiver's answer, or why there was none.
    pub response: String,
}

impl From<rows::Attempt> for AttemptView {
    fn from(a: rows::Attempt) -> Self {
        AttemptView {
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            outcome: a.outcome,
            status: a.status,
            latency_ms: a.latency_ms,
            response: a.response,
        }
    }
}

/// A delivery with its attempts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub attempts: Vec<AttemptView>,
}

/// What an endpoint is made of; on update, `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct EndpointSpec {
    pub url: Option<String>,
    pub description: Option<String>,
    pub format: Option<Format>,
    pub event_types: Option<Vec<EventType>>,
    pub survey_ids: Option<Option<Vec<String>>>,
    pub condition: Option<Condition>,
    pub enabled: Option<bool>,
}

/// The endpoint service.
#[derive(Clone)]
pub struct Endpoints {
    db: Db,
    settings: WebhookSettings,
}

impl Endpoints {
    pub fn new(db: Db, settings: WebhookSettings) -> Self {
        Endpoints { db, settings }
    }

    fn sealer(&self) -> Result<&SecretCipher, WebhookError> {
        self.settings.secrets.as_deref().ok_or(WebhookError::NoKey)
    }

    /// Checks a spec; returns its URL (normalised) and surveys (resolved to ids).
    async fn check(
        &self,
        project_id: Uuid,
        spec: &EndpointSpec,
    ) -> Result<(Option<String>, Option<Option<Vec<Uuid>>>), WebhookError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let url = match &spec.url {
            Some(raw) => match egress::validate_url(raw, &self.settings.egress) {
                Ok(url) => Some(url.to_string()),
                Err(problem) => {
                    errors.push(FieldError::new("url", problem.to_string()));
                    None
                }
            },
            None => None,
        };
        if spec.event_types.as_ref().is_some_and(Vec::is_empty) {
            errors.push(FieldError::new("event_types", "name at least one event type"));
        }
        if spec.description.as_ref().is_some_and(|d| d.chars().count() > 500) {
            errors.push(FieldError::new("description", "at most 500 characters"));
        }
        if let Some(condition) = &spec.condition {
            errors.extend(condition.validate());
        }
        let surveys = match &spec.survey_ids {
            Some(Some(refs)) if refs.len() > MAX_SURVEYS => {
                errors.push(FieldError::new("survey_ids", format!("at most {MAX_SURVEYS} surveys")));
                None
            }
            Some(Some(refs)) => {
                let refs = refs.clone();
                let found = self
                    .db
                    .run(move |conn| {
                        refs.iter()
                            .map(|r| {
                                Ok((r.clone(), surveys::find_by_ref(conn, project_id, r)?.map(|s| s.id)))
                            })
                            .collect::<Result<Vec<_>, feedbackd_store::StoreError>>()
                    })
                    .await?;
                let mut ids = Vec::new();
                for (i, (reference, id)) in found.into_iter().enumerate() {
                    match id {
                        Some(id) => ids.push(id),
                        None => errors.push(FieldError::new(
                            format!("survey_ids[{i}]"),
                            format!("no survey {reference:?} in this project"),
                        )),
                    }
                }
                Some(Some(ids))
            }
            Some(None) => Some(None),
            None => None,
        };
        if errors.is_empty() {
            Ok((url, surveys))
        } else {
            Err(WebhookError::Invalid(errors))
        }
    }

    /// Creates an endpoint with a new secret.
    pub async fn create(
        &self,
        project_id: Uuid,
        spec: EndpointSpec,
    ) -> Result<EndpointWithSecret, WebhookError> {
        let mut missing = Vec::new();
        if spec.url.is_none() {
            missing.push(FieldError::new("url", "required"));
        }
        if spec.event_types.is_none() {
            missing.push(FieldError::new("event_types", "required"));
        }
        if !missing.is_empty() {
            return Err(WebhookError::Invalid(missing));
        }
        let (url, surveys) = self.check(project_id, &spec).await?;
        let id = Uuid::now_v7();
        let secret = EndpointSecret::generate();
        let sealed = self.sealer()?.seal(id, &secret)?;
        let new = NewEndpoint {
            id,
            project_id,
            url: url.unwrap_or_default(),
            description: spec.description.unwrap_or_default(),
            format: spec.format.unwrap_or_default().as_str().to_string(),
            event_types: names(spec.event_types.unwrap_or_default()),
            survey_ids: surveys.flatten(),
            condition: serde_json::to_value(spec.condition.unwrap_or_default()).unwrap_or_default(),
            enabled: spec.enabled.unwrap_or(true),
            secret: sealed,
        };
        let endpoint = self
            .db
            .run(move |conn| {
                feedbackd_store::transaction(conn, |conn| {
                    if rows::endpoints(conn, project_id)?.len() >= MAX_ENDPOINTS {
                        return Err(WebhookError::Conflict(format!(
                            "a project has at most {MAX_ENDPOINTS} webhook endpoints"
                        )));
                    }
                    Ok(rows::insert_endpoint(conn, &new)?)
                })
            })
            .await?;
        Ok(EndpointWithSecret { endpoint: endpoint.into(), secret: secret.to_whsec() })
    }

    pub async fn list(&self, project_id: Uuid) -> Result<Vec<EndpointView>, WebhookError> {
        let all = self.db.run(move |conn| rows::endpoints(conn, project_id)).await?;
        Ok(all.into_iter().map(EndpointView::from).collect())
    }

    pub async fn get(&self, project_id: Uuid, id: Uuid) -> Result<EndpointView, WebhookError> {
        Ok(self.find(project_id, id).await?.into())
    }

    async fn find(&self, project_id: Uuid, id: Uuid) -> Result<Endpoint, WebhookError> {
        self.db.run(move |conn| rows::endpoint(conn, project_id, id)).await?.ok_or(WebhookError::NotFound(id))
    }

    /// Changes what is given. Enabling an endpoint clears why it was disabled and its
    /// failure streak; its pending deliveries go out again.
    pub async fn update(
        &self,
        project_id: Uuid,
        id: Uuid,
        spec: EndpointSpec,
    ) -> Result<EndpointView, WebhookError> {
        let (url, surveys) = self.check(project_id, &spec).await?;
        let enabling = spec.enabled == Some(true);
        let changes = EndpointChanges {
            url,
            description: spec.description,
            format: spec.format.map(|f| f.as_str().to_string()),
            event_types: spec.event_types.map(names),
            survey_ids: surveys,
            condition: spec.condition.map(|c| serde_json::to_value(c).unwrap_or_default()),
            enabled: spec.enabled,
            disabled_reason: enabling.then_some(None),
        };
        let updated = self
            .db
            .run(move |conn| {
                feedbackd_store::transaction(conn, |conn| {
                    if enabling {
                        rows::before_enabling(conn, project_id, id)?;
                    }
                    let updated = rows::update_endpoint(conn, project_id, id, &changes)?;
                    Ok::<_, WebhookError>(updated)
                })
            })
            .await?
            .ok_or(WebhookError::NotFound(id))?;
        Ok(updated.into())
    }

    /// Deletes the endpoint with its deliveries and their log.
    pub async fn delete(&self, project_id: Uuid, id: Uuid) -> Result<(), WebhookError> {
        let deleted = self.db.run(move |conn| rows::delete_endpoint(conn, project_id, id)).await?;
        deleted.then_some(()).ok_or(WebhookError::NotFound(id))
    }

    /// Gives the endpoint a new secret. The current one keeps signing beside it for
    /// `overlap` (every message then carries both signatures), so receivers can switch
    /// without losing a message; a zero overlap drops it at once.
    pub async fn rotate_secret(
        &self,
        project_id: Uuid,
        id: Uuid,
        overlap: std::time::Duration,
    ) -> Result<EndpointWithSecret, WebhookError> {
        let current = self.find(project_id, id).await?;
        let sealer = self.sealer()?;
        let secret = EndpointSecret::generate();
        let sealed = sealer.seal(id, &secret)?;
        let until = Utc::now() + chrono::Duration::from_std(overlap).unwrap_or_default();
        let previous = (!overlap.is_zero()).then_some(current.secret);
        let expires = previous.as_ref().map(|_| until);
        let updated = self
            .db
            .run(move |conn| rows::rotate_secret(conn, project_id, id, &sealed, previous.as_deref(), expires))
            .await?
            .ok_or(WebhookError::NotFound(id))?;
        Ok(EndpointWithSecret { endpoint: updated.into(), secret: secret.to_whsec() })
    }

    /// The endpoint's deliveries, newest first.
    pub async fn deliveries(
        &self,
        project_id: Uuid,
        id: Uuid,
        filter: LogFilter,
        limit: i64,
    ) -> Result<Vec<(DeliveryView, (DateTime<Utc>, Uuid))>, WebhookError> {
        self.find(project_id, id).await?;
        let page = self.db.run(move |conn| rows::deliveries(conn, project_id, id, &filter, limit)).await?;
        Ok(page.into_iter().map(|d| ((d.created_at, d.id), d)).map(|(key, d)| (d.into(), key)).collect())
    }

    /// One delivery of the endpoint, with every attempt.
    pub async fn delivery(
        &self,
        project_id: Uuid,
        id: Uuid,
        delivery_id: Uuid,
    ) -> Result<DeliveryDetail, WebhookError> {
        self.find(project_id, id).await?;
        let (listed, attempts) = self
            .db
            .run(move |conn| {
                let only = LogFilter { id: Some(delivery_id), ..LogFilter::default() };
                let listed = rows::deliveries(conn, project_id, id, &only, 1)?.pop();
                Ok::<_, feedbackd_store::StoreError>((listed, rows::attempts(conn, project_id, delivery_id)?))
            })
            .await?;
        let listed = listed.ok_or(WebhookError::NoDelivery(delivery_id))?;
        Ok(DeliveryDetail {
            delivery: listed.into(),
            attempts: attempts.into_iter().map(AttemptView::from).collect(),
        })
    }

    /// Sends one delivery again, now, with a fresh retry schedule and the same `webhook-id`.
    pub async fn resend(&self, project_id: Uuid, id: Uuid, delivery_id: Uuid) -> Result<(), WebhookError> {
        self.find(project_id, id).await?;
        let found =
            self.db.run(move |conn| rows::resend(conn, project_id, id, delivery_id, Utc::now())).await?;
        found.then_some(()).ok_or(WebhookError::NoDelivery(delivery_id))
    }

    /// Queues again every event of `[from, to)` the endpoint wants (a receiver that was
    /// down, or one just added); returns how many. Deliveries it already had keep their
    /// `webhook-id`. At most [`MAX_REPLAY`] events are looked at per call.
    pub async fn replay(
        &self,
        project_id: Uuid,
        id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Replayed, WebhookError> {
        if from >= to {
            return Err(WebhookError::Invalid(vec![FieldError::new("to", "must be after from")]));
        }
        self.find(project_id, id).await?;
        let now = Utc::now();
        let (mut queued, mut looked_at, mut after) = (0, 0, 0);
        loop {
            let (n, next) = self
                .db
                .run(move |conn| events::replay(conn, project_id, id, from, to, after, REPLAY_BATCH, now))
                .await?;
            queued += n;
            looked_at += REPLAY_BATCH as u64;
            match next {
                None => return Ok(Replayed { queued, resume_from: None }),
                Some((_, at)) if looked_at >= MAX_REPLAY => {
                    return Ok(Replayed { queued, resume_from: Some(at) })
                }
                Some((position, _)) => after = position,
            }
        }
    }
}

fn names(types: Vec<EventType>) -> Vec<String> {
    let mut names: Vec<String> = types.into_iter().map(|t| t.as_str().to_string()).collect();
    names.sort();
    names.dedup();
    names
}
