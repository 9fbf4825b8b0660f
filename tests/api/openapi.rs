use crate::helpers::spawn_app;
use feedbackd::http::{Access, ENDPOINTS};
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
            Access::Secret(scope) => {
                assert_eq!(op["security"][0]["secret_key"][0], scope.as_str(), "{} {}", e.method, e.path)
            }
            Access::Session(scope) => {
                assert_eq!(op["security"][0]["report_session"][0], scope.as_str(), "{} {}", e.method, e.path);
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
    let doc = feedbackd::http::openapi_document();
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
