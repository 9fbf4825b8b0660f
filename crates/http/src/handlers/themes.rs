//! `/v1/themes`: curating the project's themes (rename, hide, pin, merge). The reports
//! are under `/v1/surveys/{survey}/themes`.

use crate::extract::body::read_json;
use crate::extract::SecretKey;
use crate::handlers::surveys::body_limit;
use crate::wire::themes::{ThemeChangedOut, ThemeDefineIn, ThemeDeletedOut, ThemeListOut, ThemePatchIn};
use crate::{ApiError, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::manage;
use feedbackd_domain::Scope;

/// The themes an operator has curated.
#[utoipa::path(get, path = "/v1/themes", operation_id = "list_themes", tag = "themes",
    security(("secret_key" = ["surveys:read"])),
    responses((status = 200, body = ThemeListOut)))]
pub async fn list(key: SecretKey, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysRead)?;
    let data = manage::curated_themes(&state.db, project_id).await?;
    Ok(HttpResponse::Ok().json(ThemeListOut { data: data.into_iter().map(Into::into).collect() }))
}

/// Rename, hide, pin, or merge a theme into another (or undo that). Counts stay exact:
/// a merge refiles the answers in the same transaction.
#[utoipa::path(patch, path = "/v1/themes/{theme}", operation_id = "update_theme", tag = "themes",
    params(("theme" = String, Path, description = "the theme's key, as reports give it")),
    request_body = ThemePatchIn,
    security(("secret_key" = ["surveys:write"])),
    responses((status = 200, body = ThemeChangedOut),
        (status = 404, description = "no such theme in the key's project", body = crate::problem::ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "the theme is merged into another already", body = crate::problem::ProblemSchema, content_type = "application/problem+json")))]
pub async fn update(
    req: HttpRequest,
    key: SecretKey,
    theme: web::Path<String>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysWrite)?;
    let input: ThemePatchIn = read_json(&req, body, body_limit(&state)).await?;
    let changed = manage::update_theme(&state.db, project_id, &theme, input.into()).await?;
    key.audit(
        &state,
        "theme.update",
        &changed.theme.key,
        serde_json::json!({"refiled": changed.answers_refiled}),
    )
    .await;
    Ok(HttpResponse::Ok().json(ThemeChangedOut::from(changed)))
}

/// Define a theme by a search: every analysed comment it matches names the theme, now and
/// from then on. Such a theme is pinned; its key is `=` and its name, lowercased.
#[utoipa::path(post, path = "/v1/themes", operation_id = "define_theme", tag = "themes",
    request_body = ThemeDefineIn,
    security(("secret_key" = ["surveys:write"])),
    responses((status = 201, body = ThemeChangedOut),
        (status = 409, description = "the project has a theme of that name already", body = crate::problem::ProblemSchema, content_type = "application/problem+json")))]
pub async fn define(
    req: HttpRequest,
    key: SecretKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysWrite)?;
    let input: ThemeDefineIn = read_json(&req, body, body_limit(&state)).await?;
    let defined = manage::define_theme(&state.db, project_id, &input.label, &input.search).await?;
    key.audit(&state, "theme.define", &defined.theme.key, serde_json::json!({"search": input.search})).await;
    Ok(HttpResponse::Created().json(ThemeChangedOut::from(defined)))
}

/// Delete a theme defined by a search (a theme found in the comments can only be hidden):
/// the answers forget it.
#[utoipa::path(delete, path = "/v1/themes/{theme}", operation_id = "delete_theme", tag = "themes",
    params(("theme" = String, Path, description = "the theme's key")),
    security(("secret_key" = ["surveys:write"])),
    responses((status = 200, body = ThemeDeletedOut),
        (status = 404, description = "no such theme in the key's project", body = crate::problem::ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "the theme was found in the comments, not defined by a search", body = crate::problem::ProblemSchema, content_type = "application/problem+json")))]
pub async fn delete(
    key: SecretKey,
    theme: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::SurveysWrite)?;
    let refiled = manage::delete_theme(&state.db, project_id, &theme).await?;
    key.audit(&state, "theme.delete", &theme, serde_json::json!({"refiled": refiled})).await;
    Ok(HttpResponse::Ok().json(ThemeDeletedOut { key: theme.into_inner(), answers_refiled: refiled }))
}
