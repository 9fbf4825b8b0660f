//! `DELETE /v1/respondents/{respondent_id}`: erasure on a person's request.

use crate::extract::SecretKey;
use crate::{ApiError, AppState};
use actix_web::{web, HttpResponse};
use feedbackd_core::privacy::{self, Erased};
use feedbackd_domain::{RespondentId, Scope};

/// Erase what the key's project stores about one respondent: their answers and their
/// contact rows (impressions, dismissals).
#[utoipa::path(delete, path = "/v1/respondents/{respondent_id}", operation_id = "erase_respondent", tag = "privacy",
    params(("respondent_id" = String, Path, description = "the respondent id the apps sent")),
    security(("secret_key" = ["privacy"])),
    responses((status = 200, body = Erased, description = "Every answer and contact row of the respondent in this project deleted (0 when there were none: erasure is idempotent)")))]
pub async fn erase(
    key: SecretKey,
    state: web::Data<AppState>,
    respondent_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = key.require(Scope::Privacy)?;
    let respondent_id = RespondentId::parse(respondent_id.into_inner())
        .map_err(|e| ApiError::field("respondent_id", e.to_string()))?;
    let erased = privacy::erase(&state.db, principal.project.id, respondent_id).await?;
    // That an erasure happened, and its size; not whose (that is what was erased).
    let detail = serde_json::json!({"answers": erased.deleted, "contacts": erased.contacts_deleted});
    key.audit(&state, "respondent.erase", "", detail).await;
    Ok(HttpResponse::Ok().json(erased))
}
