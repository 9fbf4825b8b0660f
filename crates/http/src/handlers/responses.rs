//! Ingest endpoints for widgets: one answer, a batch, and the follow-up.

use crate::extract::body::{parse_item, read_json, BodyLimit};
use crate::extract::{client_ip, AnswerKey, PublishableKey};
use crate::problem::ProblemSchema;
use crate::wire::answers::{AnswerIn, BatchIn, FollowUpIn, RecordedOut};
use crate::{ApiError, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::ingest::IngestError;
use feedbackd_domain::FieldError;
use serde::Serialize;
use uuid::Uuid;

fn answer_limit(state: &AppState) -> BodyLimit {
    BodyLimit { bytes: state.ingest.limits().max_body_bytes, setting: "FEEDBACKD_MAX_BODY_BYTES" }
}

/// Store one answer from a widget: `201` when stored now, `200` for a replay of a stored id.
#[utoipa::path(post, path = "/v1/responses", operation_id = "create_response", tag = "responses", request_body = AnswerIn, security(("publishable_key" = []), ("publishable_key_query" = [])),
    responses((status = 201, description = "stored", body = RecordedOut),
        (status = 200, description = "a replay of a stored id", body = RecordedOut)))]
pub async fn create(
    req: HttpRequest,
    key: AnswerKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: AnswerIn = read_json(&req, body, answer_limit(&state)).await?;
    let submission = input.into_submission(state.ingest.limits());
    // The address, the project and the respondent, at once, before anything is written.
    let principal =
        key.settle(&req, &submission.respondent_id.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let recorded = state.ingest.record(principal, submission, client_ip(&req)).await?;
    let status = if recorded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(RecordedOut::from(recorded)))
}

/// One item's result in a batch: the status it would have had alone, and its body.
#[derive(Serialize, utoipa::ToSchema)]
struct ItemOut {
    index: usize,
    status: u16,
    #[serde(flatten)]
    outcome: ItemBody,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum ItemBody {
    Recorded(RecordedOut),
    Invalid {
        errors: Vec<FieldError>,
    },
    /// The survey took no more answers (`status` 409).
    Closed {
        detail: String,
    },
}

#[derive(Serialize, utoipa::ToSchema)]
struct BatchOut {
    results: Vec<ItemOut>,
}

/// Store answers from an offline queue: up to the batch limit, one commit, a result per item.
/// `200` with per-item statuses; `503` for the whole batch when nothing could be stored.
#[utoipa::path(post, path = "/v1/responses/batch", operation_id = "create_responses_batch", tag = "responses", request_body = BatchIn, security(("publishable_key" = []), ("publishable_key_query" = [])),
    responses((status = 200, description = "a result per answer", body = BatchOut)))]
pub async fn create_batch(
    req: HttpRequest,
    key: AnswerKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limits = state.ingest.limits();
    let limit = BodyLimit { bytes: limits.max_batch_body_bytes, setting: "FEEDBACKD_MAX_BATCH_BODY_BYTES" };
    let batch: BatchIn = read_json(&req, body, limit).await?;
    if batch.answers.is_empty() || batch.answers.len() > limits.max_batch_answers {
        return Err(ApiError::field(
            "answers",
            format!(
                "must hold 1 to {} answers (FEEDBACKD_MAX_BATCH_ANSWERS); got {}",
                limits.max_batch_answers,
                batch.answers.len()
            ),
        ));
    }
    let submissions: Vec<_> = batch
        .answers
        .into_iter()
        .map(|item| parse_item::<AnswerIn>(&item).map(|answer| answer.into_submission(limits)))
        .collect();
    // One request per respondent it answers for, with the address and the project.
    let mut respondents: Vec<&str> =
        submissions.iter().flatten().filter_map(|s| s.respondent_id.as_deref()).collect();
    respondents.sort();
    respondents.dedup();
    let principal = key.settle(&req, &respondents).await?;
    let results = state.ingest.record_batch(principal, submissions, client_ip(&req)).await?;
    let results = results
        .into_iter()
        .enumerate()
        .map(|(index, result)| match result {
            Ok(recorded) => ItemOut {
                index,
                status: if recorded.created { 201 } else { 200 },
                outcome: ItemBody::Recorded(recorded.into()),
            },
            Err(IngestError::Invalid(errors)) => {
                ItemOut { index, status: 422, outcome: ItemBody::Invalid { errors } }
            }
            Err(closed @ IngestError::SurveyClosed(_)) => {
                ItemOut { index, status: 409, outcome: ItemBody::Closed { detail: closed.to_string() } }
            }
            Err(other) => unreachable!("record_batch returns only validation errors per item: {other}"),
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchOut { results }))
}

/// Add the follow-up comment to an answer just given.
#[utoipa::path(patch, path = "/v1/responses/{id}", operation_id = "add_follow_up", tag = "responses", request_body = FollowUpIn, security(("publishable_key" = []), ("publishable_key_query" = [])),
    params(("id" = Uuid, Path, description = "the answer's id")),
    responses((status = 200, body = RecordedOut), (status = 409, body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn follow_up(
    req: HttpRequest,
    key: PublishableKey,
    path: web::Path<Uuid>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: FollowUpIn = read_json(&req, body, answer_limit(&state)).await?;
    let follow_up = input.into_follow_up(state.ingest.limits()).map_err(ApiError::Validation)?;
    let recorded = state.ingest.follow_up(&key.0, path.into_inner(), follow_up).await?;
    Ok(HttpResponse::Ok().json(RecordedOut::from(recorded)))
}
