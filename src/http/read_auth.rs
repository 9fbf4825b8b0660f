//! The read API's key: a secret key with the `responses:read` scope, from the
//! `Authorization` header only (a secret key must never be in a URL, which ends up in logs).

use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::domain::{KeyKind, Scope};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A secret key holding `responses:read` (or `admin`).
pub struct ReadKey(pub Arc<Principal>);

/// The bearer token of the `Authorization` header.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

impl FromRequest for ReadKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
            let token = bearer(&req)
                .ok_or(ApiError::Unauthorized("send a secret key as `Authorization: Bearer fbk_sec_…`"))?;
            let principal = state.auth.authenticate(&token).await?;
            if principal.kind != KeyKind::Secret {
                return Err(ApiError::Forbidden {
                    kind: "wrong-key-kind",
                    detail: "this endpoint takes a secret key (fbk_sec_…)".into(),
                });
            }
            let scope = Scope::ResponsesRead;
            if !principal.has_scope(scope) {
                return Err(ApiError::Forbidden {
                    kind: "missing-scope",
                    detail: format!("the key lacks the scope {scope}"),
                });
            }
            Ok(ReadKey(principal))
        })
    }
}
