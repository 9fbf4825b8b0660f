//! `/v1/…/report-links`: share links to one survey's report page (`reports:share` scope,
//! which editors hold and owners through `admin`). A link's token appears once, in the
//! create answer's `url`, inside the URL fragment.

use crate::extract::body::read_json;
use crate::extract::SecretKey;
use crate::handlers::surveys::body_limit;
use crate::problem::ProblemSchema;
use crate::wire::manage::{ReportLinkIn, ReportLinkListOut, ReportLinkListQuery};
use crate::{ApiError, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::manage::report_links::{self, CreatedLink, LinkSpec, LinkView};
use feedbackd_domain::Scope;
use serde_json::json;
use uuid::Uuid;

/// Make a share link to a survey's report page. The link is in this answer only.
#[utoipa::path(post, path = "/v1/surveys/{survey}/report-links", operation_id = "create_report_link",
    tag = "report-links", request_body = ReportLinkIn,
    params(("survey" = String, Path, description = "the survey's id or key")),
    security(("secret_key" = ["reports:share"])),
    responses((status = 201, body = CreatedLink),
        (status = 409, description = "the project has 100 live share links", body = ProblemSchema,
            content_type = "application/problem+json")))]
pub async fn create(
    req: HttpRequest,
    key: SecretKey,
    path: web::Path<String>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let principal = key.require(Scope::ReportsShare)?;
    let (project_id, key_id) = (principal.project.id, principal.key_id);
    let input: ReportLinkIn = read_json(&req, body, body_limit(&state)).await?;
    let survey = path.into_inner();
    let spec =
        LinkSpec { expires_in_hours: input.expires_in_hours, label: input.label, created_by: Some(key_id) };
    let created = report_links::create_link(&state.db, project_id, &survey, spec).await?;
    key.audit(&state, "share_link.create", &created.link.survey_key, json!({"link": created.link.id})).await;
    Ok(HttpResponse::Created().json(created))
}

/// List the project's share links, live, expired and revoked, never their tokens.
#[utoipa::path(get, path = "/v1/report-links", operation_id = "list_report_links", tag = "report-links",
    params(ReportLinkListQuery),
    security(("secret_key" = ["reports:share"])),
    responses((status = 200, body = ReportLinkListOut),
        (status = 404, description = "no such survey in the key's project", body = ProblemSchema,
            content_type = "application/problem+json")))]
pub async fn list(
    key: SecretKey,
    query: web::Query<ReportLinkListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::ReportsShare)?;
    let survey = query.into_inner().survey;
    let links = report_links::list_links(&state.db, project_id, survey).await?;
    Ok(HttpResponse::Ok().json(ReportLinkListOut { links }))
}

/// Revoke a share link: pages it opened are refused from their next request on. Revoking
/// again changes nothing.
#[utoipa::path(post, path = "/v1/report-links/{id}/revoke", operation_id = "revoke_report_link",
    tag = "report-links",
    params(("id" = Uuid, Path, description = "the link's id")),
    security(("secret_key" = ["reports:share"])),
    responses((status = 200, body = LinkView)))]
pub async fn revoke(
    key: SecretKey,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::ReportsShare)?;
    let id = path.into_inner();
    let revoked = report_links::revoke_link(&state.db, project_id, id).await?;
    key.audit(&state, "share_link.revoke", &revoked.survey_key, json!({"link": revoked.id})).await;
    Ok(HttpResponse::Ok().json(revoked))
}
