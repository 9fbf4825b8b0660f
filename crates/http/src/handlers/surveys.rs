//! `/v1/surveys`: create, list, read, edit, pause, resume and archive surveys of the
//! secret key's own project.

use crate::extract::body::{read_json, BodyLimit};
use crate::extract::SecretKey;
use crate::problem::ProblemSchema;
use crate::wire::manage::{SurveyHistoryOut, SurveyIn, SurveyListOut, SurveyListQuery, SurveyPatchIn};
use crate::{ApiError, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::manage::{self, SurveyView, Transition};
use feedbackd_domain::{Scope, SurveyStatus};
use serde_json::json;
use uuid::Uuid;

/// The key's project, if the key holds `scope`, and the survey the path names (id or key).
fn survey_of(key: &SecretKey, scope: Scope, path: web::Path<String>) -> Result<(Uuid, String), ApiError> {
    Ok((key.project_id(scope)?, path.into_inner()))
}

/// Management bodies share the widget body limit: rules are small.
pub(super) fn body_limit(state: &AppState) -> BodyLimit {
    BodyLimit { bytes: state.ingest.limits().max_body_bytes, setting: "FEEDBACKD_MAX_BODY_BYTES" }
}

/// Create a survey.
#[utoipa::path(post, path = "/v1/surveys", operation_id = "create_survey", tag = "surveys", request_body = SurveyIn,
    security(("secret_key" = ["surveys:write"])),
    responses((status = 201, body = SurveyView),
        (status = 409, description = "the key is taken", body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn create(
    req: HttpRequest,
    key: SecretKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysWrite)?;
    let input: SurveyIn = read_json(&req, body, body_limit(&state)).await?;
    let status = input.status.unwrap_or(SurveyStatus::Active);
    if !matches!(status, SurveyStatus::Draft | SurveyStatus::Active) {
        return Err(ApiError::field("status", "a new survey is `draft` or `active`"));
    }
    let view =
        SurveyView::try_from(manage::create_survey(&state.db, project_id, input.into_spec(status)).await?)?;
    state.forget_surveys(project_id);
    key.audit(&state, "survey.create", &view.key, json!({"kind": view.kind, "status": view.status})).await;
    Ok(HttpResponse::Created().json(view))
}

/// List the project's surveys.
#[utoipa::path(get, path = "/v1/surveys", operation_id = "list_surveys", tag = "surveys", params(SurveyListQuery),
    security(("secret_key" = ["surveys:read"])),
    responses((status = 200, body = SurveyListOut)))]
pub async fn list(
    key: SecretKey,
    query: web::Query<SurveyListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysRead)?;
    let status = query.into_inner().status;
    let surveys = manage::list_surveys(&state.db, project_id, status).await?;
    Ok(HttpResponse::Ok().json(SurveyListOut { surveys }))
}

/// Read one survey, by id or key.
#[utoipa::path(get, path = "/v1/surveys/{survey}", operation_id = "get_survey", tag = "surveys",
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["surveys:read"])),
    responses((status = 200, body = SurveyView)))]
pub async fn get(
    key: SecretKey,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, reference) = survey_of(&key, Scope::SurveysRead, path)?;
    let view = manage::get_survey(&state.db, project_id, &reference).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A survey's history, oldest first: created, updated, scheduled, paused, resumed,
/// archived, closed and reopened by its response limit (all stored as they happen), and
/// the moments its schedule opened or closed it that have passed (worked out from the
/// schedules it had: `opened`/`closed` with `{"reason": "schedule"}`).
#[utoipa::path(get, path = "/v1/surveys/{survey}/history", operation_id = "survey_history", tag = "surveys",
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["surveys:read"])),
    responses((status = 200, body = SurveyHistoryOut)))]
pub async fn history(
    key: SecretKey,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, reference) = survey_of(&key, Scope::SurveysRead, path)?;
    let events = manage::survey_history(&state.db, project_id, &reference, chrono::Utc::now()).await?;
    Ok(HttpResponse::Ok().json(SurveyHistoryOut { events }))
}

/// Edit a survey. A change to its question, scale or presentation bumps its version; its
/// schedule and response limit change here too (`null` clears them).
#[utoipa::path(patch, path = "/v1/surveys/{survey}", operation_id = "update_survey", tag = "surveys", request_body = SurveyPatchIn,
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["surveys:write"])),
    responses((status = 200, body = SurveyView),
        (status = 409, description = "the survey is archived", body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    key: SecretKey,
    path: web::Path<String>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysWrite)?;
    let input: SurveyPatchIn = read_json(&req, body, body_limit(&state)).await?;
    let reference = path.into_inner();
    let view = manage::update_survey(&state.db, project_id, &reference, input.into()).await?;
    state.forget_surveys(project_id);
    key.audit(&state, "survey.update", &view.key, json!({"version": view.version})).await;
    Ok(HttpResponse::Ok().json(view))
}

async fn transition(
    key: SecretKey,
    path: web::Path<String>,
    state: web::Data<AppState>,
    transition: Transition,
    action: &'static str,
) -> Result<HttpResponse, ApiError> {
    let (project_id, reference) = survey_of(&key, Scope::SurveysWrite, path)?;
    let view = manage::set_survey_status(&state.db, project_id, &reference, transition).await?;
    state.forget_surveys(project_id);
    key.audit(&state, action, &view.key, json!({"status": view.status})).await;
    Ok(HttpResponse::Ok().json(view))
}

/// Pause an active survey: it takes no answers and is not shown until resumed.
#[utoipa::path(post, path = "/v1/surveys/{survey}/pause", operation_id = "pause_survey", tag = "surveys",
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["surveys:write"])),
    responses((status = 200, body = SurveyView),
        (status = 409, body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn pause(
    key: SecretKey,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    transition(key, path, state, Transition::Pause, "survey.pause").await
}

/// Resume a paused survey, or activate a draft.
#[utoipa::path(post, path = "/v1/surveys/{survey}/resume", operation_id = "resume_survey", tag = "surveys",
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["surveys:write"])),
    responses((status = 200, body = SurveyView),
        (status = 409, body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn resume(
    key: SecretKey,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    transition(key, path, state, Transition::Resume, "survey.resume").await
}

/// Archive a survey for good; its answers stay.
#[utoipa::path(post, path = "/v1/surveys/{survey}/archive", operation_id = "archive_survey", tag = "surveys",
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["surveys:write"])),
    responses((status = 200, body = SurveyView)))]
pub async fn archive(
    key: SecretKey,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    transition(key, path, state, Transition::Archive, "survey.archive").await
}
