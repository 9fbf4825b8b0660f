//! Extractors: the caller's key, where the request came from, JSON bodies, and the
//! reports' query.

pub mod body;
pub mod client_ip;
pub mod insights_query;
pub mod json;
pub mod origin;

use crate::middleware::ratelimit::{enforce_early_ip, limit, limit_by_share};
use crate::{ApiError, AppState};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use feedbackd_core::auth::Principal;
use feedbackd_core::ratelimit::Subject;
use feedbackd_domain::{KeyKind, Scope};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

/// The token presented: `Authorization: Bearer …`, or `?key=` for `navigator.sendBeacon`
/// (which cannot set headers). Only publishable keys are accepted in the query string:
/// URLs end up in logs, and a secret key must never be in one.
pub fn presented_token(req: &HttpRequest) -> Option<(String, bool)> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| (token.trim().to_string(), false));
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, token)| (token.into_owned(), true))
}

/// A publishable key of a project whose allowed origins include the request's `Origin`,
/// within the per-address and per-project limits.
pub type PublishableKey = Publishable<false>;

/// A publishable key for a read served from memory (the widget configuration, asked on
/// every page view): its address and project limits are this replica's share of each
/// ([`Limiters::check_by_share`](feedbackd_core::ratelimit::Limiters::check_by_share)),
/// so the hottest path makes no round trip to Redis.
pub type ConfigKey = Publishable<true>;

/// [`PublishableKey`] and [`ConfigKey`]: limited in Redis when limits are shared, or by
/// this replica's share (`BY_SHARE`).
pub struct Publishable<const BY_SHARE: bool>(pub Arc<Principal>);

impl<const BY_SHARE: bool> FromRequest for Publishable<BY_SHARE> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let key = AnswerKey::authenticate(&req).await?;
            if BY_SHARE {
                let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
                tarpit(limit_by_share(&req, &state.limiters, &key.subjects(&[]))).await?;
            } else {
                key.settle(&req, &[]).await?;
            }
            Ok(Publishable(key.principal))
        })
    }
}

/// A publishable key whose rate limits are not checked yet: the answer endpoints know the
/// respondents only once the body is read, and check them with the address and the
/// project in one call ([`AnswerKey::settle`]), one round trip when limits are shared.
/// The key's principal is reached only through `settle`, so no handler can skip it.
pub struct AnswerKey {
    principal: Arc<Principal>,
    ip: Option<IpAddr>,
}

impl AnswerKey {
    /// The address's early limit, the key, and the origin.
    async fn authenticate(req: &HttpRequest) -> Result<AnswerKey, ApiError> {
        let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
        // Before anything else, so a flood costs no key lookup and no database work.
        let ip = state.proxies.client_ip(req);
        if let Some(ip) = ip {
            tarpit(enforce_early_ip(req, &state.limiters, ip)).await?;
        }
        let (token, _) = presented_token(req)
            .ok_or(ApiError::Unauthorized("send the publishable key as `Authorization: Bearer fbk_pub_…`"))?;
        if !token.starts_with("fbk_pub_") {
            return Err(ApiError::Forbidden {
                kind: "wrong-key-kind",
                detail:
                    "this endpoint takes a publishable key (fbk_pub_…); never put a secret key in a widget"
                        .into(),
            });
        }
        let principal = state.auth.authenticate(&token).await?;
        if principal.kind != KeyKind::Publishable {
            return Err(ApiError::Unauthorized("the key is not valid"));
        }
        if let Some(origin) = origin::request_origin(req) {
            if !origin::origin_allowed(req, &origin, &principal) {
                return Err(ApiError::Forbidden {
                    kind: "origin-not-allowed",
                    detail: format!("origin {origin} is not allowed for this project"),
                });
            }
        }
        // The CORS layer reads it to add Access-Control-Allow-Origin to the answer.
        req.extensions_mut().insert(principal.clone());
        Ok(AnswerKey { principal, ip })
    }

    /// Checks the address, the project and `respondents` at once; the key's principal
    /// once they all allow.
    pub async fn settle(&self, req: &HttpRequest, respondents: &[&str]) -> Result<&Arc<Principal>, ApiError> {
        let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
        tarpit(limit(req, &state.limiters, &self.subjects(respondents)).await).await?;
        Ok(&self.principal)
    }

    /// The limits of this request: the address, the project, and `respondents`.
    fn subjects<'a>(&'a self, respondents: &[&'a str]) -> Vec<Subject<'a>> {
        let project = &self.principal.project;
        let mut subjects: Vec<Subject<'_>> = self.ip.map(Subject::Ip).into_iter().collect();
        subjects.push(Subject::Project(project));
        subjects.extend(respondents.iter().map(|r| Subject::Respondent(project, r)));
        subjects
    }
}

impl FromRequest for AnswerKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { AnswerKey::authenticate(&req).await })
    }
}

/// A secret key (`Authorization: Bearer fbk_sec_…`), never taken from the query string.
/// It only ever acts on its own project; [`SecretKey::require`] checks a scope.
pub struct SecretKey(pub Arc<Principal>);

impl SecretKey {
    /// The key's project, if the key holds `scope`: where every management handler starts.
    pub fn project_id(&self, scope: Scope) -> Result<uuid::Uuid, ApiError> {
        Ok(self.require(scope)?.project.id)
    }

    /// The key's principal if it holds `scope` (`admin` holds all), else a 403 naming it.
    pub fn require(&self, scope: Scope) -> Result<&Principal, ApiError> {
        if self.0.has_scope(scope) {
            Ok(&self.0)
        } else {
            Err(ApiError::Forbidden {
                kind: "missing-scope",
                detail: format!("this key lacks the `{scope}` scope this request needs"),
            })
        }
    }

    /// Records a change made with this key in its project's audit log, beside the
    /// console's (after the change, as the console does: a crash between loses the entry).
    pub async fn audit(
        &self,
        state: &AppState,
        action: &'static str,
        target: &str,
        detail: serde_json::Value,
    ) {
        let actor = feedbackd_core::store::Actor::Key { id: self.0.key_id, name: self.0.key_name.clone() };
        feedbackd_core::console::record(&state.db, self.0.project.id, actor, action, target, detail).await;
    }
}

impl FromRequest for SecretKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
            let (token, from_query) = presented_token(&req)
                .ok_or(ApiError::Unauthorized("send a secret key as `Authorization: Bearer fbk_sec_…`"))?;
            if from_query {
                // Not even looked up: a URL ends up in logs and browser history.
                return Err(ApiError::Unauthorized(
                    "a secret key is only accepted in the Authorization header, never in the URL",
                ));
            }
            if !token.starts_with("fbk_sec_") {
                return Err(ApiError::Forbidden {
                    kind: "wrong-key-kind",
                    detail: "this endpoint takes a secret key (fbk_sec_…)".into(),
                });
            }
            let principal = state.auth.authenticate(&token).await?;
            if principal.kind != KeyKind::Secret {
                return Err(ApiError::Unauthorized("the key is not valid"));
            }
            limit(&req, &state.limiters, &[Subject::SecretKey(principal.key_id)]).await?;
            Ok(SecretKey(principal))
        })
    }
}

/// Longest a refusal of the per-address limiter is held before it is sent.
const TARPIT_MAX: std::time::Duration = std::time::Duration::from_secs(1);

/// Holds a per-address refusal until that address could be served again (at most
/// [`TARPIT_MAX`]). A flooder then gets one refusal per connection per refill interval
/// instead of as many as it can send, so the flood stops eating the CPU that honest clients
/// need; waiting costs a timer, not a thread.
async fn tarpit(result: Result<(), ApiError>) -> Result<(), ApiError> {
    if let Err(ApiError::RateLimited { limiter: "ip", wait, .. }) = &result {
        tokio::time::sleep((*wait).min(TARPIT_MAX)).await;
    }
    result
}

/// The client's address: the socket peer, or what a trusted proxy says it is.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
    state.proxies.client_ip(req)
}
