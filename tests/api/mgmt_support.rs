//! Helpers for the management and widget-configuration tests: keys with chosen scopes, a
//! second project, and requests with a bearer token.

use crate::helpers::{fixture, wait, Fixture, TestApp};
use feedbackd_core::manage;
use feedbackd_domain::{KeyKind, Scope};
use reqwest::{Method, Response};
use serde_json::Value;

/// A secret key of the fixture's project holding exactly `scopes`.
pub fn secret_key(app: &TestApp, scopes: &[Scope]) -> String {
    wait(manage::create_key(&app.db.services(), app.fixture.project_id, KeyKind::Secret, scopes, "test"))
        .unwrap()
        .token
}

/// Another project in the same database, with the same surveys and its own keys.
pub fn other_project(app: &TestApp) -> Fixture {
    fixture(&app.db.url, &["https://other.example.com"])
}

/// Sends `method path` with `token` and an optional JSON body.
pub async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Option<&Value>) -> Response {
    let mut request = app.client.request(method, format!("{}{path}", app.address)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request")
}

/// The JSON body of a response.
pub async fn json(response: Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Archives every survey of the fixture, so a test's own surveys are the only active ones.
pub async fn archive_fixture_surveys(app: &TestApp) {
    for key in ["nps-main", "feedback", "csat", "ces", "paused"] {
        let r = call(app, Method::POST, &format!("/v1/surveys/{key}/archive"), &app.fixture.secret_key, None)
            .await;
        assert_eq!(r.status(), 200, "archiving {key}");
    }
}

/// Creates a survey through the API with the fixture's admin key; returns it.
pub async fn create_survey(app: &TestApp, body: Value) -> Value {
    let r = call(app, Method::POST, "/v1/surveys", &app.fixture.secret_key, Some(&body)).await;
    let status = r.status();
    let out = json(r).await;
    assert_eq!(status, 201, "{out}");
    out
}
