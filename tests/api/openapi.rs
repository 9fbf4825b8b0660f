use crate::helpers::spawn_app;
use feedbackd_http::{Access, ENDPOINTS};
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test]
async fn every_mounted_route_is_documented_and_nothing_else() {
    let app = spawn_app().await;
    let r = app.client.get(format!("{}/openapi.json", app.address)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let mut mounted = BTreeSet::new();
    for e in ENDPOINTS {
        mounted.insert((e.path.to_string(), e.method.as_str().to_lowercase()));
        if e.cors {
            mounted.insert((e.path.to_string(), "options".into()));
        }
    }
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((path.clone(), method.clone()));
        }
    }
    assert_eq!(mounted, documented);

    for e in ENDPOINTS {
        let op = &doc["paths"][e.path][e.method.as_str().to_lowercase()];
        let schemes: Vec<String> = op["security"]
            .as_array()
            .map(|list| list.iter().flat_map(|r| r.as_object().unwrap().keys().cloned()).collect())
            .unwrap_or_default();
        match e.access {
            Access::Open => assert!(schemes.is_empty(), "{}", e.path),
            Access::Publishable => assert!(schemes.contains(&"publishable_key".to_string()), "{}", e.path),
            // Scopes in `x-scopes`: only OAuth2 schemes can declare them (see `Scopes`).
            Access::Secret(scope) => {
                assert_eq!(op["security"][0]["secret_key"], serde_json::json!([]), "{} {}", e.method, e.path);
                assert_eq!(op["x-scopes"][0], scope.as_str(), "{} {}", e.method, e.path)
            }
            Access::Session(scope) => {
                assert_eq!(
                    op["security"][0]["report_session"],
                    serde_json::json!([]),
                    "{} {}",
                    e.method,
                    e.path
                );
                assert_eq!(op["x-scopes"][0], scope.as_str(), "{} {}", e.method, e.path);
                // For people (a page, a download), documented as such: not a JSON operation.
                let content = op["responses"]["200"]["content"].as_object().unwrap();
                assert!(content.keys().all(|k| k.starts_with("text/")), "{}: {content:?}", e.path);
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["secret_key"]["scheme"], "bearer");
    assert_eq!(schemes["publishable_key"]["scheme"], "bearer");
    assert_eq!(schemes["report_session"]["in"], "cookie");
    assert!(doc["components"]["schemas"]["Problem"]["properties"]["errors"].is_object());
}

#[tokio::test]
async fn every_keyed_operation_documents_the_common_problems() {
    let doc = feedbackd_http::openapi_document();
    let doc = serde_json::to_value(doc).unwrap();
    // Report pages (`Access::Session`) answer HTML error pages instead, documented per handler.
    for e in ENDPOINTS.iter().filter(|e| matches!(e.access, Access::Publishable | Access::Secret(_))) {
        let responses = &doc["paths"][e.path][e.method.as_str().to_lowercase()]["responses"];
        for status in ["400", "401", "403", "422", "429", "503"] {
            let problem = &responses[status]["content"]["application/problem+json"]["schema"]["$ref"];
            assert_eq!(problem, "#/components/schemas/Problem", "{} {} {status}", e.method, e.path);
        }
        assert!(responses["429"]["headers"]["Retry-After"].is_object(), "{} {}", e.method, e.path);
        if e.path.contains('{') {
            assert!(responses["404"].is_object(), "{} {}", e.method, e.path);
        }
    }
    let create = &doc["paths"]["/v1/responses"]["post"]["responses"];
    assert!(create["413"].is_object() && create["415"].is_object());
    assert!(doc["paths"]["/v1/surveys"]["get"]["responses"]["413"].is_null());
}

#[tokio::test]
async fn every_operation_has_a_short_summary_a_description_and_a_url_safe_id() {
    let doc = serde_json::to_value(feedbackd_http::openapi_document()).unwrap();
    assert_eq!(doc["servers"][0]["url"], "/");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{method} {path}: {id:?}"
            );
            let description = op["description"].as_str().unwrap_or_default();
            assert!(!description.is_empty(), "{method} {path} has no description");
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty() && !summary.contains('\n'), "{method} {path}: summary {summary:?}");
        }
    }
}

#[test]
fn the_document_describes_what_webhooks_send() {
    let doc = serde_json::to_value(feedbackd_http::openapi_document()).unwrap();
    let webhooks = doc["webhooks"].as_object().expect("a webhooks section");
    let names: Vec<&str> = webhooks.keys().map(String::as_str).collect();
    assert_eq!(names, ["response.created", "response.erased", "response.updated", "survey.digest"]);
    for (name, item) in webhooks {
        let op = &item["post"];
        let headers: Vec<&str> =
            op["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(headers, ["webhook-id", "webhook-timestamp", "webhook-signature"], "{name}");
        let body = &op["requestBody"]["content"]["application/json"]["schema"]["allOf"];
        assert_eq!(body[0]["$ref"], "#/components/schemas/Envelope");
        assert_eq!(body[1]["properties"]["type"]["const"], name.as_str());
        // Every schema it names is in the document.
        if let Some(reference) = body[1]["properties"]["data"]["$ref"].as_str() {
            let schema = reference.trim_start_matches("#/components/schemas/");
            assert!(doc["components"]["schemas"][schema].is_object(), "{name}: {reference}");
        }
    }
}
