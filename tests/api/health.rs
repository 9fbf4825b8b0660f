use crate::helpers::{spawn_app, start_server, TestDb};
use feedbackd::config::Config;
use secrecy::SecretString;
use std::time::{Duration, Instant};

#[tokio::test]
async fn healthz_and_readyz_answer_ok_when_migrated() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn readyz_is_unavailable_fast_when_the_database_is_unreachable() {
    // Port 1 on loopback: nothing listens, so connections are refused.
    let url = SecretString::from("postgres://postgres@127.0.0.1:1/nothing");
    let address = start_server(&Config::for_tests(), &url);
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{address}/healthz")).send().await.unwrap().status(), 200);
    let started = Instant::now();
    let response = client.get(format!("{address}/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(5), "readyz took {:?}", started.elapsed());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["reason"], "database unavailable");
}

#[tokio::test]
async fn readyz_is_unavailable_while_the_schema_is_behind() {
    let db = TestDb::empty();
    let address = start_server(&Config::for_tests(), &db.secret_url());
    let response = reqwest::get(format!("{address}/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["reason"].as_str().unwrap().contains("migrate"), "{body}");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/v2/nothing", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let response = app.client.get(format!("{}/v1/responses/batch", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}
