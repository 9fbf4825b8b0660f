//! `/v1/webhooks`: the project's webhook endpoints (`admin` scope), their delivery log,
//! resends and replays; and `GET /v1/events`, the change feed to pull.

use crate::extract::body::read_json;
use crate::extract::SecretKey;
use crate::handlers::surveys::body_limit;
use crate::problem::ProblemSchema;
use crate::wire::webhooks::{
    DeliveryListOut, DeliveryListQuery, EndpointIn, EndpointListOut, FeedOut, FeedQuery, ReplayIn, RotateIn,
};
use crate::{ApiError, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::insights::Cursor;
use feedbackd_core::webhooks::endpoints::{
    DeliveryDetail, EndpointView, EndpointWithSecret, LogFilter, Replayed,
};
use feedbackd_core::webhooks::feed;
use feedbackd_domain::Scope;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// Records a change to an endpoint in the audit log: its id and host, never its URL (a
/// Slack or Teams URL is itself a secret).
async fn audit_endpoint(key: &SecretKey, state: &AppState, action: &'static str, endpoint: &EndpointView) {
    let host = url::Url::parse(&endpoint.url).ok().and_then(|u| u.host_str().map(str::to_string));
    key.audit(state, action, &endpoint.id.to_string(), json!({"host": host})).await
}

/// A delivery's id as the API shows it (`msg_…`), or as a plain UUID.
fn delivery_id(raw: &str) -> Result<Uuid, ApiError> {
    let hex = raw.strip_prefix("msg_").unwrap_or(raw);
    Uuid::parse_str(hex).map_err(|_| ApiError::NotFound(format!("no delivery {raw:?}")))
}

/// Add an endpoint. Its signing secret is in this answer only.
#[utoipa::path(post, path = "/v1/webhooks", operation_id = "create_webhook", tag = "webhooks",
    request_body = EndpointIn, security(("secret_key" = ["admin"])),
    responses((status = 201, body = EndpointWithSecret),
        (status = 503, description = "the operator has not set FEEDBACKD_WEBHOOK_KEY", body = ProblemSchema,
            content_type = "application/problem+json")))]
pub async fn create(
    req: HttpRequest,
    key: SecretKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let input: EndpointIn = read_json(&req, body, body_limit(&state)).await?;
    let created = state.webhooks.create(project_id, input.into_spec()).await?;
    audit_endpoint(&key, &state, "webhook.create", &created.endpoint).await;
    Ok(HttpResponse::Created().json(created))
}

/// The project's endpoints.
#[utoipa::path(get, path = "/v1/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    security(("secret_key" = ["admin"])), responses((status = 200, body = EndpointListOut)))]
pub async fn list(key: SecretKey, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    Ok(HttpResponse::Ok().json(EndpointListOut { endpoints: state.webhooks.list(project_id).await? }))
}

/// One endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{id}", operation_id = "get_webhook", tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    security(("secret_key" = ["admin"])), responses((status = 200, body = EndpointView)))]
pub async fn get(
    key: SecretKey,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    Ok(HttpResponse::Ok().json(state.webhooks.get(project_id, path.into_inner()).await?))
}

/// Change an endpoint: only the fields given.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", operation_id = "update_webhook", tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")), request_body = EndpointIn,
    security(("secret_key" = ["admin"])), responses((status = 200, body = EndpointView)))]
pub async fn update(
    req: HttpRequest,
    key: SecretKey,
    path: web::Path<Uuid>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let input: EndpointIn = read_json(&req, body, body_limit(&state)).await?;
    let updated = state.webhooks.update(project_id, path.into_inner(), input.into_spec()).await?;
    audit_endpoint(&key, &state, "webhook.update", &updated).await;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete an endpoint, with its queued deliveries and their log.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", operation_id = "delete_webhook", tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    security(("secret_key" = ["admin"])), responses((status = 204, description = "Deleted")))]
pub async fn delete(
    key: SecretKey,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let id = path.into_inner();
    state.webhooks.delete(project_id, id).await?;
    key.audit(&state, "webhook.delete", &id.to_string(), json!({})).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Give the endpoint a new secret (in this answer only). The old one keeps signing beside
/// it for `overlap_hours`: every message carries both signatures meanwhile.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", operation_id = "rotate_webhook_secret",
    tag = "webhooks", params(("id" = Uuid, Path, description = "the endpoint's id")), request_body = RotateIn,
    security(("secret_key" = ["admin"])), responses((status = 200, body = EndpointWithSecret)))]
pub async fn rotate_secret(
    req: HttpRequest,
    key: SecretKey,
    path: web::Path<Uuid>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let input: RotateIn = read_json(&req, body, body_limit(&state)).await?;
    let hours = input.overlap_hours.unwrap_or(24);
    if hours > 168 {
        return Err(ApiError::field("overlap_hours", "at most 168 (a week)"));
    }
    let overlap = Duration::from_secs(u64::from(hours) * 3600);
    let rotated = state.webhooks.rotate_secret(project_id, path.into_inner(), overlap).await?;
    audit_endpoint(&key, &state, "webhook.rotate_secret", &rotated.endpoint).await;
    Ok(HttpResponse::Ok().json(rotated))
}

/// The endpoint's deliveries, newest first, each with its state and attempt count.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", operation_id = "list_webhook_deliveries",
    tag = "webhooks", params(("id" = Uuid, Path, description = "the endpoint's id"), DeliveryListQuery),
    security(("secret_key" = ["admin"])), responses((status = 200, body = DeliveryListOut)))]
pub async fn deliveries(
    key: SecretKey,
    path: web::Path<Uuid>,
    query: web::Query<DeliveryListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 200"));
    }
    if let Some(state) = &query.state {
        if !["pending", "delivered", "failed", "skipped"].contains(&state.as_str()) {
            return Err(ApiError::field("state", "must be pending, delivered, failed or skipped"));
        }
    }
    let before = match &query.cursor {
        Some(raw) => {
            let c = Cursor::decode(raw)
                .ok_or_else(|| ApiError::field("cursor", "not a cursor this list gave out"))?;
            Some((c.answered_at, c.id))
        }
        None => None,
    };
    let filter = LogFilter { id: None, state: query.state, before };
    let mut page = state.webhooks.deliveries(project_id, path.into_inner(), filter, limit + 1).await?;
    let more = page.len() as i64 > limit;
    page.truncate(limit as usize);
    let next_cursor =
        page.last().filter(|_| more).map(|(_, (at, id))| Cursor { answered_at: *at, id: *id }.encode());
    let deliveries = page.into_iter().map(|(d, _)| d).collect();
    Ok(HttpResponse::Ok().json(DeliveryListOut { deliveries, next_cursor }))
}

/// One delivery with every attempt: outcome, HTTP status, latency, and the first KiB of
/// the receiver's answer.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries/{delivery}", operation_id = "get_webhook_delivery",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id"),
        ("delivery" = String, Path, description = "the delivery's id (`msg_…`)")),
    security(("secret_key" = ["admin"])), responses((status = 200, body = DeliveryDetail)))]
pub async fn delivery(
    key: SecretKey,
    path: web::Path<(Uuid, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let (id, delivery) = path.into_inner();
    Ok(HttpResponse::Ok().json(state.webhooks.delivery(project_id, id, delivery_id(&delivery)?).await?))
}

/// Send one delivery again now, with a fresh retry schedule and the same `webhook-id`.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery}/resend", operation_id = "resend_webhook_delivery",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id"),
        ("delivery" = String, Path, description = "the delivery's id (`msg_…`)")),
    security(("secret_key" = ["admin"])), responses((status = 202, description = "Queued")))]
pub async fn resend(
    key: SecretKey,
    path: web::Path<(Uuid, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let (id, delivery) = path.into_inner();
    state.webhooks.resend(project_id, id, delivery_id(&delivery)?).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Queue again every event of `[from, to)` that the endpoint wants: for a receiver that
/// was down, or one just added. Deliveries it had keep their `webhook-id`.
#[utoipa::path(post, path = "/v1/webhooks/{id}/replay", operation_id = "replay_webhook", tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")), request_body = ReplayIn,
    security(("secret_key" = ["admin"])), responses((status = 202, body = Replayed)))]
pub async fn replay(
    req: HttpRequest,
    key: SecretKey,
    path: web::Path<Uuid>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let input: ReplayIn = read_json(&req, body, body_limit(&state)).await?;
    let replayed = state.webhooks.replay(project_id, path.into_inner(), input.from, input.to).await?;
    Ok(HttpResponse::Accepted().json(replayed))
}

/// The project's events in commit order, after a cursor: answers created and updated,
/// erasures (erase your copy too), digests. Store each page's `next_cursor` once the page
/// is processed; a cursor older than the feed's retention gets `410`.
#[utoipa::path(get, path = "/v1/events", operation_id = "list_events", tag = "events", params(FeedQuery),
    security(("secret_key" = ["responses:export"])),
    responses((status = 200, body = FeedOut),
        (status = 410, description = "the cursor is older than the events still kept", body = ProblemSchema,
            content_type = "application/problem+json")))]
pub async fn events(
    key: SecretKey,
    query: web::Query<FeedQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::ResponsesExport)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(100);
    if !(1..=feed::MAX_PAGE).contains(&limit) {
        return Err(ApiError::field("limit", format!("must be 1 to {}", feed::MAX_PAGE)));
    }
    Ok(HttpResponse::Ok().json(feed::read(&state.db, project_id, query.after.as_deref(), limit).await?))
}
