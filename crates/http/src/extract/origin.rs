//! Where a browser request comes from, and whether a project's key may be used there: read
//! by the publishable-key extractor and by the CORS preflight.

use actix_web::http::header;
use actix_web::HttpRequest;
use feedbackd_core::auth::Principal;

/// The `Origin` header, if the request has one.
pub fn request_origin(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| !o.is_empty() && *o != "null")
        .map(str::to_string)
}

/// Whether a page at `origin` may use this project's key: listed, or the page is served by
/// feedbackd itself (the demo page).
pub fn origin_allowed(req: &HttpRequest, origin: &str, principal: &Principal) -> bool {
    principal.allows_origin(origin) || same_origin(req, origin)
}

pub fn same_origin(req: &HttpRequest, origin: &str) -> bool {
    let info = req.connection_info();
    origin.eq_ignore_ascii_case(&format!("{}://{}", info.scheme(), info.host()))
}
