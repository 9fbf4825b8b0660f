//! Single sign-on pages: `/console/sso` sends the browser to the OpenID Connect provider,
//! `/console/sso/callback` brings it back signed in. Between the two, a short-lived cookie
//! signed under the server secret holds the state, the nonce and the PKCE verifier; it is
//! bound to this browser, so a code from someone else's flow cannot sign anyone in.

use super::auth::{plain_loopback, query_value, see_other, ConsoleError};
use super::sign_in::{begin, safe_next};
use crate::pages::session::same_secret;
use crate::{ApiError, AppState};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use feedbackd_core::sso::{Pending, Sso, SsoError};

/// The cookie between leaving for the provider and coming back.
const COOKIE: &str = "fbk_sso";
/// Where the provider sends people back.
pub const CALLBACK_PATH: &str = "/console/sso/callback";
/// How long a person may take at the provider.
const FLOW_SECONDS: i64 = 600;

/// What the cookie holds: the flow's secrets, where to go after, and until when.
#[derive(serde::Serialize, serde::Deserialize)]
struct Flow {
    pending: Pending,
    next: String,
    expires: i64,
}

fn configured(state: &AppState) -> Result<&Sso, ConsoleError> {
    state.sso.as_ref().ok_or_else(|| ApiError::NotFound("single sign-on is not configured".into()).into())
}

/// The callback's absolute URL: under `FEEDBACKD_PUBLIC_URL` when it is set (what the
/// provider has registered), else where this request came to.
fn callback_url(req: &HttpRequest, state: &AppState) -> String {
    match &state.public_url {
        Some(base) => format!("{base}{CALLBACK_PATH}"),
        None => {
            let info = req.connection_info();
            format!("{}://{}{CALLBACK_PATH}", info.scheme(), info.host())
        }
    }
}

fn flow_cookie(req: &HttpRequest, value: String, max_age: time::Duration) -> Cookie<'static> {
    // Lax: the provider's redirect back is a top-level GET from another site.
    Cookie::build(COOKIE, value)
        .path("/console/sso")
        .http_only(true)
        .secure(!plain_loopback(req))
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

/// Leaves for the provider.
pub async fn start(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    let sso = configured(&state)?;
    let (url, pending) = sso.start(&callback_url(&req, &state)).await.map_err(refusal)?;
    let flow = Flow {
        pending,
        next: safe_next(&query_value(&req, "next")).to_string(),
        expires: chrono::Utc::now().timestamp() + FLOW_SECONDS,
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&flow).expect("a flow serialises"));
    let value = format!("{payload}.{}", state.sessions.tag("console-sso", &payload));
    let mut response = see_other(&url);
    let _ = response.add_cookie(&flow_cookie(&req, value, time::Duration::seconds(FLOW_SECONDS)));
    Ok(response)
}

/// The flow this browser started, if its cookie is ours, intact and not expired.
fn flow_of(req: &HttpRequest, state: &AppState) -> Option<Flow> {
    let cookie = req.cookie(COOKIE)?;
    let (payload, tag) = cookie.value().split_once('.')?;
    if !same_secret(tag, &state.sessions.tag("console-sso", payload)) {
        return None;
    }
    let flow: Flow = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    (flow.expires > chrono::Utc::now().timestamp()).then_some(flow)
}

/// Back from the provider: checks the state against this browser's flow, exchanges the
/// code, checks the ID token, and signs in.
pub async fn callback(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    let sso = configured(&state)?;
    let error = query_value(&req, "error");
    if !error.is_empty() {
        let description = query_value(&req, "error_description");
        return Err(refuse(&format!("the provider said {error} {description}")));
    }
    let flow = flow_of(&req, &state).ok_or_else(|| {
        refuse("this sign-in did not start in this browser, or took over ten minutes; start again")
    })?;
    if !same_secret(&query_value(&req, "state"), &flow.pending.state) {
        return Err(refuse("the state does not match this browser's sign-in; start again"));
    }
    let user = sso
        .finish(&state.db, &callback_url(&req, &state), &query_value(&req, "code"), &flow.pending)
        .await
        .map_err(refusal)?;
    let mut response = begin(&req, &state, &user, &flow.next).await?;
    let _ = response.add_cookie(&flow_cookie(&req, String::new(), time::Duration::ZERO));
    Ok(response)
}

fn refusal(error: SsoError) -> ConsoleError {
    match error {
        SsoError::Store(e) => e.into(),
        SsoError::Invalid(e) => e.into(),
        SsoError::Provider(detail) => {
            tracing::warn!(%detail, "single sign-on: the provider failed");
            ApiError::Unavailable {
                detail: "the identity provider cannot be reached now",
                retry_after_secs: 30,
            }
            .into()
        }
        refused => {
            tracing::info!(reason = %refused, "single sign-on refused");
            refuse(&refused.to_string())
        }
    }
}

/// A sign-in the console will not complete, and why (a 403 page).
fn refuse(detail: &str) -> ConsoleError {
    ApiError::Forbidden { kind: "sso", detail: format!("single sign-on failed: {detail}") }.into()
}

/// The sign-in page's link to the provider, if one is configured.
pub fn link(state: &AppState, next: &str) -> Option<(String, String)> {
    let sso = state.sso.as_ref()?;
    let href = format!("/console/sso?next={}", super::layout::urlencode(next));
    Some((href, format!("Sign in with {}", sso.name())))
}
