//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and
//! the DTOs' `ToSchema` derives, served at `GET /openapi.json` and printed by
//! `feedbackd openapi`.

use crate::handlers::{
    docs, exports, insights, keys, operations, privacy, project, responses, sdk, share_links, surveys,
    themes, webhooks, widget,
};
use crate::pages::handlers as pages;
use crate::problem::ProblemSchema;
use crate::routes::Access;
use crate::ENDPOINTS;
use actix_web::http::Method;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::Required;
use utoipa::openapi::{ContentBuilder, Ref};
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
    // Relative, so the document is right on every deployment that serves it (and a tool that
    // loads it from `/openapi.json` calls that same service); clients pass their base URL.
    servers((url = "/", description = "the service that serves this document")),
    paths(
        operations::healthz, operations::readyz, operations::metrics, operations::openapi_json,
        docs::page, docs::boot_js, docs::renderer_js, docs::renderer_css,
        responses::create, responses::create_batch, responses::follow_up,
        widget::config, widget::dismiss, widget::shown, sdk::widget_script, sdk::demo_page,
        surveys::create, surveys::list, surveys::get, surveys::update,
        surveys::pause, surveys::resume, surveys::archive, surveys::history,
        project::get, project::update,
        keys::create, keys::list, keys::revoke,
        insights::summary, insights::timeseries, insights::breakdown, insights::questions, insights::terms, insights::themes, insights::list,
        themes::list, themes::define, themes::update, themes::delete,
        exports::responses, privacy::erase,
        pages::index, pages::login_form, pages::login, pages::logout, pages::css, pages::js, pages::report_page,
        pages::export_csv, pages::shared_form, pages::open_shared,
        share_links::create, share_links::list, share_links::revoke,
        webhooks::create, webhooks::list, webhooks::get, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::replay, webhooks::deliveries, webhooks::delivery, webhooks::resend,
        webhooks::events,
    ),
    components(schemas(
        ProblemSchema,
        feedbackd_core::webhooks::payload::Envelope,
        feedbackd_core::webhooks::digest::Digest,
    )),
    modifiers(&SecuritySchemes, &Preflights, &CommonProblems, &Descriptions, &Scopes),
    tags(
        (name = "responses", description = "Answers from widgets (publishable key)"),
        (name = "widget", description = "Widget configuration and dismissals (publishable key)"),
        (name = "insights", description = "Reports and the answers themselves (secret key, responses:read)"),
        (name = "surveys", description = "Survey management (secret key)"),
        (name = "themes", description = "The project's themes of comments: rename, hide, pin, merge (secret key, `surveys:write`)"),
        (name = "privacy", description = "Erasure of a respondent's data (secret key, `privacy`)"),
        (name = "project", description = "The key's own project: origins, rate limits, fatigue rules, time zone (secret key, `admin`)"),
        (name = "keys", description = "Key management (secret key, `admin`)"),
        (name = "report-links", description = "Share links to one survey's report page (secret key, `reports:share`)"),
        (name = "webhooks", description = "Endpoints that answers flow on to, signed to the Standard Webhooks spec, with their delivery log (secret key, `admin`)"),
        (name = "events", description = "The change feed to pull: every answer created, updated and erased, in commit order (secret key, `responses:export`)"),
        (name = "reports", description = "HTML report pages for people (session cookie from the login form), not JSON"),
        (name = "operations", description = "Health, metrics, and the API description and its reference page"),
    )
)]
struct ApiDoc;

/// The document, as served: the paths, and what webhooks send.
pub fn document() -> crate::openapi_webhooks::Document {
    crate::openapi_webhooks::Document {
        api: ApiDoc::openapi(),
        webhooks: crate::openapi_webhooks::webhooks(),
    }
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
                "The report pages' session, set by POST /reports/login or POST /reports/shared: a signed key or \
                 share link id and expiry, never the key or the link's token.",
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
                .description(Some(
                    "What a browser asks before a cross-origin call: allowed for the project's origins only.",
                ))
                // Only letters, digits and `_`, as operation ids must be to stay valid in a URL.
                .operation_id(Some(format!("preflight{}", e.path.replace(['/', '-', '{', '}'], "_"))))
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

/// The problems every keyed endpoint can answer (and an open one with parameters, its
/// `400`), added to each operation from the route table rather than repeated in every
/// `#[utoipa::path]` (where they drifted: the fuzz run found undocumented 400s and 429s).
/// Annotations keep only what is specific to one endpoint (a `409`, say), and win where
/// they describe the same status.
struct CommonProblems;

/// Each problem: its status, and when it happens.
const MALFORMED: (u16, &str) = (400, "the request does not parse (URL, query string or JSON)");
const KEYED_PROBLEMS: &[(u16, &str)] = &[
    (401, "no key, or an unknown or revoked one"),
    (403, "the key may not do this (kind, scope, or origin)"),
    (422, "a parameter or field breaks a rule; `errors` names each"),
    (429, "over a rate limit; retry after `Retry-After` seconds"),
    (503, "the database or the writer cannot take this now; retry after `Retry-After` seconds"),
];
const PATH_PROBLEM: (u16, &str) = (404, "no such resource in the key's project");
const BODY_PROBLEMS: &[(u16, &str)] = &[
    (413, "the body is over its size limit"),
    (415, "the body is not JSON (`application/json` or `text/plain`)"),
];

impl Modify for CommonProblems {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for e in ENDPOINTS {
            let Some(item) = doc.paths.paths.get_mut(e.path) else { continue };
            let Some(operation) = operation_mut(item, &e.method) else { continue };
            let mut problems = vec![MALFORMED];
            match e.access {
                Access::Open if operation.parameters.is_none() => continue,
                Access::Open => {}
                // Pages for people answer HTML error pages, documented by each handler; only
                // a URL refused before routing (a %00) is problem+json there too.
                Access::Session(_) => {
                    let malformed = problem(MALFORMED.0, MALFORMED.1);
                    match operation.responses.responses.get_mut("400") {
                        Some(utoipa::openapi::RefOr::T(page)) => page.content.extend(malformed.content),
                        _ => {
                            operation.responses.responses.insert("400".into(), malformed.into());
                        }
                    }
                    continue;
                }
                _ => problems.extend_from_slice(KEYED_PROBLEMS),
            }
            if path_parameters(e.path).next().is_some() {
                problems.push(PATH_PROBLEM);
            }
            if operation.request_body.is_some() {
                problems.extend_from_slice(BODY_PROBLEMS);
            }
            for (status, description) in problems {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(status, description).into());
            }
        }
    }
}

/// A problem+json response, with `Retry-After` where the client should come back.
fn problem(status: u16, description: &str) -> utoipa::openapi::Response {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    let mut response =
        ResponseBuilder::new().description(description).content("application/problem+json", content);
    if matches!(status, 429 | 503) {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0));
        response = response.header("Retry-After", Header::new(seconds));
    }
    response.build()
}

fn operation_mut<'a>(item: &'a mut PathItem, method: &Method) -> Option<&'a mut Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        _ => None,
    }
}

/// Scopes of secret keys and report sessions, moved out of the security requirements into
/// `x-scopes` on each operation (and its description). OAS 3.1 lets a requirement list role
/// names for any scheme, but only OAuth2 schemes can declare them, so linters (Spectral's
/// `oas3-operation-security-defined`) and client generators take any listed scope as
/// undeclared. Requirements keep the scheme, with an empty list.
struct Scopes;

impl Modify for Scopes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for e in ENDPOINTS {
            let (Access::Secret(scope) | Access::Session(scope)) = e.access else { continue };
            let Some(item) = doc.paths.paths.get_mut(e.path) else { continue };
            let Some(operation) = operation_mut(item, &e.method) else { continue };
            for requirement in operation.security.iter_mut().flatten() {
                *requirement = without_scopes(requirement);
            }
            let scope = scope.as_str();
            let extensions = operation.extensions.get_or_insert_with(Default::default);
            extensions.insert("x-scopes".into(), serde_json::json!([scope]));
            let said = format!("Needs the scope `{scope}`.");
            operation.description = Some(match operation.description.take() {
                Some(text) => format!("{text}\n\n{said}"),
                None => said,
            });
        }
    }
}

/// The same schemes, each with no scopes.
fn without_scopes(requirement: &SecurityRequirement) -> SecurityRequirement {
    let schemes: std::collections::BTreeMap<String, Vec<String>> =
        serde_json::from_value(serde_json::to_value(requirement).expect("a requirement serialises"))
            .expect("a requirement is a map");
    schemes.into_keys().fold(SecurityRequirement::default(), |all, name| all.add(name, Vec::<String>::new()))
}

/// Every operation gets a description (generators turn it into the client's doc comment):
/// utoipa makes a doc comment's first paragraph the summary and only the rest the
/// description, so a one-paragraph comment leaves none. Such a paragraph becomes the
/// description and its first sentence the summary.
struct Descriptions;

impl Modify for Descriptions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.patch, &mut item.put, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                if operation.description.is_some() {
                    continue;
                }
                let Some(paragraph) = operation.summary.take() else { continue };
                operation.summary = Some(first_sentence(&paragraph));
                operation.description = Some(paragraph);
            }
        }
    }
}

/// Up to the first full stop or colon that ends a clause, on one line.
fn first_sentence(paragraph: &str) -> String {
    let end = paragraph
        .match_indices(['.', ':'])
        .map(|(i, _)| i)
        .find(|&i| paragraph[i + 1..].starts_with(char::is_whitespace) || i + 1 == paragraph.len())
        .unwrap_or(paragraph.len());
    paragraph[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}
