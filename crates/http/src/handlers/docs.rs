//! The API reference page (`GET /docs`): Swagger UI rendering this service's own
//! `/openapi.json`, with "Try it out" against this same service (the document's `servers` is
//! `/`). The renderer is vendored at a pinned version in `crates/http/vendor/swagger-ui/`
//! (`scripts/vendor-docs-renderer` fetches it from npm) and, like the page and the script that
//! starts it, embedded in the binary: the page loads nothing from any other origin.

use crate::pages::handlers::asset;
use actix_web::HttpResponse;

const PAGE: &str = include_str!("docs/docs.html");
/// The page's own script, which starts Swagger UI (its policy allows no inline script).
const BOOT: &str = include_str!("docs/docs.js");
const RENDERER_JS: &str = include_str!("../../vendor/swagger-ui/swagger-ui-bundle.js");
const RENDERER_CSS: &str = include_str!("../../vendor/swagger-ui/swagger-ui.css");

/// The report pages' policy (`crate::pages::sign_in::CSP`) with one addition,
/// `connect-src 'self'`: the page fetches the document and "Try it out" calls the API, both on
/// this origin. Swagger UI needs nothing looser: no inline script or `<style>` (its styles
/// are the stylesheet, and React sets element styles through the DOM, which CSP allows), no
/// `eval`, and `data:` images only for the stylesheet's icons. No form posts anywhere
/// ("Authorize" is a form its script handles).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The API reference: every operation of `/openapi.json`, with "Try it out".
#[utoipa::path(get, path = "/docs", operation_id = "docs_page", tag = "operations",
    responses((status = 200, description = "the API reference page (Swagger UI)", content_type = "text/html")))]
pub async fn page() -> HttpResponse {
    asset(CSP, "text/html; charset=utf-8", PAGE)
}

/// The API reference page's script: starts the renderer on `/openapi.json`.
#[utoipa::path(get, path = "/docs/assets/docs.js", operation_id = "docs_js", tag = "operations",
    responses((status = 200, description = "the script that starts the renderer", content_type = "application/javascript")))]
pub async fn boot_js() -> HttpResponse {
    asset(CSP, "application/javascript; charset=utf-8", BOOT)
}

/// The API reference page's renderer: Swagger UI's bundle, at a version pinned in the repository.
#[utoipa::path(get, path = "/docs/assets/swagger-ui-bundle.js", operation_id = "docs_renderer_js", tag = "operations",
    responses((status = 200, description = "Swagger UI, minified (Apache-2.0)", content_type = "application/javascript")))]
pub async fn renderer_js() -> HttpResponse {
    asset(CSP, "application/javascript; charset=utf-8", RENDERER_JS)
}

/// The API reference page's stylesheet: Swagger UI's.
#[utoipa::path(get, path = "/docs/assets/swagger-ui.css", operation_id = "docs_renderer_css", tag = "operations",
    responses((status = 200, description = "Swagger UI's stylesheet (Apache-2.0)", content_type = "text/css")))]
pub async fn renderer_css() -> HttpResponse {
    asset(CSP, "text/css; charset=utf-8", RENDERER_CSS)
}
