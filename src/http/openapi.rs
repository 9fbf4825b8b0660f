//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and
//! the DTOs' `ToSchema` derives, served at `GET /openapi.json` and printed by
//! `feedbackd openapi`.

use super::problem::ProblemSchema;
use super::{exports, health, insights, keys, report, responses, sdk, surveys, widget, ENDPOINTS};
use actix_web::HttpResponse;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::Required;
use utoipa::openapi::{ResponseBuilder, ResponsesBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "feedbackd",
        description = "In-app feedback (NPS, CSAT, CES, free text). Widgets use a publishable key; \
            management uses scoped secret keys. Every error is `application/problem+json` (RFC 9457).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        health::healthz, health::readyz, health::metrics, openapi_json,
        responses::create, responses::create_batch, responses::follow_up,
        widget::config, widget::dismiss, sdk::widget_script, sdk::demo_page,
        surveys::create, surveys::list, surveys::get, surveys::update,
        surveys::pause, surveys::resume, surveys::archive,
        keys::create, keys::list, keys::revoke,
        insights::summary, insights::timeseries, insights::breakdown, insights::terms, insights::list,
        exports::responses,
        report::index, report::login_form, report::login, report::logout, report::css, report::js, report::report_page,
        report::export_csv,
    ),
    components(schemas(ProblemSchema)),
    modifiers(&SecuritySchemes, &Preflights),
    tags(
        (name = "responses", description = "Answers from widgets (publishable key)"),
        (name = "widget", description = "Widget configuration and dismissals (publishable key)"),
        (name = "insights", description = "Reports and the answers themselves (secret key, responses:read)"),
        (name = "surveys", description = "Survey management (secret key)"),
        (name = "keys", description = "Key management (secret key, `admin`)"),
        (name = "reports", description = "HTML report pages for people (session cookie from the login form), not JSON"),
        (name = "operations", description = "Health and the API description"),
    )
)]
struct ApiDoc;

/// The document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The two kinds of key: a secret key only ever in the header; a publishable key in the
/// header or, for `navigator.sendBeacon`, as `?key=`.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(description.to_string());
            SecurityScheme::Http(http)
        };
        components.add_security_scheme(
            "secret_key",
            bearer("A secret key `fbk_sec_…` with scopes; never accepted in the URL."),
        );
        components.add_security_scheme(
            "publishable_key",
            bearer("A publishable key `fbk_pub_…`; requests from browsers must come from an allowed origin."),
        );
        components.add_security_scheme(
            "report_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "fbk_report",
                "The report pages' session, set by POST /reports/login: a signed key id and expiry, never the key.",
            ))),
        );
        components.add_security_scheme(
            "publishable_key_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "key",
                "A publishable key as `?key=`, for `navigator.sendBeacon`, which cannot set headers.",
            ))),
        );
    }
}

/// CORS preflights (`OPTIONS`) on every widget path, derived from the route table.
struct Preflights;

impl Modify for Preflights {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let mut done: Vec<&str> = Vec::new();
        for e in ENDPOINTS.iter().filter(|e| e.cors) {
            if done.contains(&e.path) {
                continue;
            }
            done.push(e.path);
            let Some(item) = doc.paths.paths.get_mut(e.path) else { continue };
            let responses = ResponsesBuilder::new()
                .response("204", ResponseBuilder::new().description("the origin may call this path"))
                .response("403", ResponseBuilder::new().description("the origin is not allowed"))
                .build();
            let parameters = path_parameters(e.path).map(|name| {
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build()
            });
            let operation = OperationBuilder::new()
                .parameters(Some(parameters))
                .summary(Some("CORS preflight"))
                .operation_id(Some(format!("preflight {}", e.path)))
                .tag("widget")
                .responses(responses)
                .build();
            item.options = Some(operation);
        }
    }
}

/// The `{name}`s of a path.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}
