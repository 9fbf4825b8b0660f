//! The web widget (`GET /sdk/feedbackd.js`) and a demo page that shows it against a
//! project (`GET /demo?key=fbk_pub_…`). Both are embedded in the binary, so a bare
//! `feedbackd serve` can show the widget without any other server.

use crate::ApiError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The widget as served: `sdk-snippets/web/feedbackd.min.js`, which `scripts/minify-widget`
/// makes from the readable `feedbackd.js` with the pinned terser (a test re-minifies the
/// source and requires the same bytes). Browsers download the minified widget, and the
/// size budget (`scripts/widget-size`) measures exactly what this route answers.
pub const WIDGET_JS: &str = include_str!("../../../../sdk-snippets/web/feedbackd.min.js");
const DEMO_HTML: &str = include_str!("../../../../sdk-snippets/web/demo.html");
/// Browsers and proxies may reuse the widget for an hour, then revalidate with the ETag.
const WIDGET_CACHE: &str = "public, max-age=3600";

/// The widget script.
#[utoipa::path(get, path = "/sdk/feedbackd.js", operation_id = "get_widget_script", tag = "widget",
    params(("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer")),
    responses(
        (status = 200, description = "the dependency-free web widget, minified", content_type = "application/javascript",
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "unchanged since the ETag in If-None-Match")))]
pub async fn widget_script(req: HttpRequest) -> HttpResponse {
    static ETAG: OnceLock<String> = OnceLock::new();
    // Weak: the gzipped and the plain answer are the same script, not the same bytes.
    let etag = ETAG.get_or_init(|| format!("W/\"{}\"", &hex::encode(Sha256::digest(WIDGET_JS))[..32]));
    let unchanged = crate::matches_etag(&req, etag);
    let mut response = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, WIDGET_CACHE))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if unchanged {
        return response.finish();
    }
    response.content_type("application/javascript; charset=utf-8").body(WIDGET_JS)
}

/// A page showing the widget for the project of a publishable key given in the URL.
#[utoipa::path(get, path = "/demo", operation_id = "get_demo_page", tag = "widget",
    params(
        ("key" = String, Query, description = "the project's publishable key `fbk_pub_…` (never a secret key)"),
        ("survey" = Option<String>, Query, description = "the key of a survey for the page's \"show\" button"),
    ),
    responses(
        (status = 200, description = "the demo page", content_type = "text/html"),
        (status = 422, body = crate::problem::ProblemSchema, content_type = "application/problem+json")))]
pub async fn demo_page(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut key = None;
    let mut survey = String::new();
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "key" => key = Some(value.into_owned()),
            "survey" => survey = value.into_owned(),
            _ => {}
        }
    }
    let field = |name: &str, message: &str| {
        ApiError::Validation(vec![feedbackd_domain::FieldError::new(name, message.to_string())])
    };
    // Only characters that need no escaping in HTML, so nothing from the URL can inject markup.
    let safe = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = key.ok_or_else(|| field("key", "give the project's publishable key: /demo?key=fbk_pub_…"))?;
    if !key.starts_with("fbk_pub_") || !safe(&key) || key.len() > 128 {
        return Err(field("key", "must be a publishable key (fbk_pub_…); a secret key never goes in a page"));
    }
    if !safe(&survey) || survey.len() > 64 {
        return Err(field("survey", "must be a survey key (letters, digits, - and _)"));
    }
    let label = if survey.is_empty() { "picked for me".to_string() } else { format!("“{survey}”") };
    let html =
        DEMO_HTML.replace("{{KEY}}", &key).replace("{{SURVEY_LABEL}}", &label).replace("{{SURVEY}}", &survey);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(content_security_policy()).unwrap(),
        ))
        // The key is in the URL: keep it out of caches and of other sites' logs.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(html))
}

/// Scripts and connections only from this server, no inline script, and the page's one
/// inline stylesheet allowed by its hash (the widget's styles are constructed stylesheets).
fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let style = DEMO_HTML
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map_or("", |(css, _)| css);
        format!(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'sha256-{}'; img-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            base64(&Sha256::digest(style))
        )
    })
}

/// Standard base64 with padding (RFC 4648), for the CSP hash.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
