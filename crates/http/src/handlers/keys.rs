//! `/v1/keys`: create, list and revoke the project's keys (`admin` scope).

use crate::extract::body::read_json;
use crate::extract::SecretKey;
use crate::handlers::surveys::body_limit;
use crate::wire::manage::{CreatedKeyOut, KeyIn, KeyListOut, KeyOut};
use crate::{ApiError, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::manage::{self, ManageError};
use feedbackd_domain::Scope;
use serde_json::json;
use uuid::Uuid;

/// Create a key in the caller's project. The token is in this answer only.
#[utoipa::path(post, path = "/v1/keys", operation_id = "create_key", tag = "keys", request_body = KeyIn,
    security(("secret_key" = ["admin"])),
    responses((status = 201, body = CreatedKeyOut)))]
pub async fn create(
    req: HttpRequest,
    key: SecretKey,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let input: KeyIn = read_json(&req, body, body_limit(&state)).await?;
    let created = manage::create_key(&state.db, project_id, input.kind, &input.scopes, &input.name).await?;
    let detail = json!({"kind": created.key.kind, "scopes": input.scopes, "key": created.key.id});
    key.audit(&state, "key.create", &created.key.name, detail).await;
    Ok(HttpResponse::Created().json(CreatedKeyOut::from(created)))
}

/// List the project's keys, never their tokens.
#[utoipa::path(get, path = "/v1/keys", operation_id = "list_keys", tag = "keys",
    security(("secret_key" = ["admin"])),
    responses((status = 200, body = KeyListOut)))]
pub async fn list(key: SecretKey, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let list = manage::list_keys(&state.db, project_id).await?;
    Ok(HttpResponse::Ok().json(KeyListOut { keys: list.into_iter().map(KeyOut::from).collect() }))
}

/// Revoke a key. It is refused at once, by every replica.
#[utoipa::path(post, path = "/v1/keys/{key}/revoke", operation_id = "revoke_key", tag = "keys",
    params(("key" = Uuid, Path, description = "the key's id")),
    security(("secret_key" = ["admin"])),
    responses((status = 200, body = KeyOut)))]
pub async fn revoke(
    key: SecretKey,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = key.project_id(Scope::Admin)?;
    let id = path.into_inner();
    let revoked = manage::revoke_key(&state.db, project_id, id).await.map_err(|e| match e {
        // Never name another project, even its id.
        ManageError::NotFound(_) => ApiError::NotFound(format!("no key {id} in this project")),
        other => other.into(),
    })?;
    state.auth.forget_project(project_id);
    key.audit(&state, "key.revoke", &revoked.name, json!({"key": revoked.id})).await;
    Ok(HttpResponse::Ok().json(KeyOut::from(revoked)))
}
