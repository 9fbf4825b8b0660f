//! The read API's key: a [`SecretKey`] holding `responses:read` (or `admin`). It shares the
//! secret key's rules (header only, never the URL; per-key rate limit).

use super::extract::SecretKey;
use super::ApiError;
use crate::auth::Principal;
use crate::domain::Scope;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A secret key holding `responses:read` (or `admin`).
pub struct ReadKey(pub Arc<Principal>);

impl FromRequest for ReadKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = SecretKey::from_request(req, payload);
        Box::pin(async move {
            let key = key.await?;
            key.require(Scope::ResponsesRead)?;
            Ok(ReadKey(key.0))
        })
    }
}
