//! `/v1/project`: the settings of the secret key's own project (`admin` scope).

use crate::extract::body::read_json;
use crate::extract::SecretKey;
use crate::handlers::surveys::body_limit;
use crate::wire::project::ProjectPatchIn;
use crate::{ApiError, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::manage::{self, ProjectSettings};
use feedbackd_domain::Scope;

/// Read the project's settings.
#[utoipa::path(get, path = "/v1/project", operation_id = "get_project", tag = "project",
    security(("secret_key" = ["admin"])),
    responses((status = 200, body = ProjectSettings)))]
pub async fn get(key: SecretKey, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let settings = manage::project_settings(&state.db, project_id).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Change the project's name, allowed origins, own rate limits, fatigue rules or time zone.
/// All or nothing: a `422` names every bad field.
#[utoipa::path(patch, path = "/v1/project", operation_id = "update_project", tag = "project",
    request_body = ProjectPatchIn,
    security(("secret_key" = ["admin"])),
    responses((status = 200, body = ProjectSettings)))]
pub async fn update(
    req: HttpRequest,
    key: SecretKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let input: ProjectPatchIn = read_json(&req, body, body_limit(&state)).await?;
    let settings = manage::update_project_settings(&state.db, project_id, input.into()).await?;
    // Cached keys carry their project (origins, rate limits) and widget configurations its
    // fatigue rules. Every replica forgets them when the database announces the change;
    // this one now, so the caller's next request does not race the notification.
    state.auth.forget_project(project_id);
    state.forget_surveys(project_id);
    key.audit(&state, "project.update", &settings.name, serde_json::json!({})).await;
    Ok(HttpResponse::Ok().json(settings))
}
