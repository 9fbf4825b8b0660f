//! The read API's parameters as the OpenAPI document states them, so that a client
//! generated from it sends what the service takes: `limit` within the bounds the schema
//! gives, and the attribute filter as a `deepObject`.

use crate::helpers::{spawn_app_with, without_rate_limits};
use crate::insights_support::*;
use chrono::{Duration, Utc};
use serde_json::Value;

/// The `limit` schema of `path`'s GET.
fn limit_schema(doc: &Value, path: &str) -> (i64, i64) {
    let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
    let limit =
        parameters.iter().find(|p| p["name"] == "limit").unwrap_or_else(|| panic!("{path}: no limit"));
    let (min, max) = (&limit["schema"]["minimum"], &limit["schema"]["maximum"]);
    let (min, max) = (min.as_i64().unwrap(), max.as_i64().unwrap());
    let text = limit["description"].as_str().unwrap_or_default();
    assert!(text.contains(&format!("{min} to {max}")), "{path}: {text:?} says other bounds");
    (min, max)
}

#[tokio::test]
async fn limit_bounds_in_the_schema_are_the_ones_the_service_applies() {
    let app = spawn_app_with(without_rate_limits).await;
    let doc = serde_json::to_value(feedbackd_http::openapi_document()).unwrap();
    for (path, url) in [
        ("/v1/responses", "/v1/responses?"),
        ("/v1/surveys/{survey}/breakdown", "/v1/surveys/nps-main/breakdown?"),
        ("/v1/surveys/{survey}/terms", "/v1/surveys/nps-main/terms?"),
    ] {
        let (min, max) = limit_schema(&doc, path);
        for (limit, ok) in [(min - 1, false), (min, true), (max, true), (max + 1, false)] {
            let (status, body) = app.read(&format!("{url}limit={limit}")).await;
            assert_eq!(status == 200, ok, "{path} limit={limit}: {status} {body}");
        }
    }
}

#[tokio::test]
async fn the_attribute_filter_is_a_deep_object_that_filters_as_the_dotted_form() {
    let app = spawn_app_with(without_rate_limits).await;
    let doc = serde_json::to_value(feedbackd_http::openapi_document()).unwrap();
    for path in ["/v1/responses", "/v1/surveys/{survey}/summary", "/v1/exports/responses"] {
        let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let attributes = parameters.iter().find(|p| p["name"] == "attributes").expect(path);
        assert_eq!(attributes["style"], "deepObject", "{path}");
        assert_eq!(attributes["schema"]["additionalProperties"]["type"], "string", "{path}");
    }

    let start = Utc::now() - Duration::days(3);
    insert(&app, app.fixture.nps_survey_id, &random_rows(7, 60, start, Duration::days(2), 0, 10));
    let ids = |body: &Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
    };
    let (status, dotted) =
        app.read("/v1/responses?attributes.plan=pro&attributes.country=DE&limit=500").await;
    assert_eq!(status, 200, "{dotted}");
    let (status, deep) =
        app.read("/v1/responses?attributes%5Bplan%5D=pro&attributes%5Bcountry%5D=DE&limit=500").await;
    assert_eq!(status, 200, "{deep}");
    assert!(!ids(&dotted).is_empty());
    assert_eq!(ids(&deep), ids(&dotted));
    let (status, all) = app.read("/v1/responses?limit=500").await;
    assert_eq!(status, 200);
    assert!(ids(&all).len() > ids(&deep).len(), "the filter left answers out");
}
