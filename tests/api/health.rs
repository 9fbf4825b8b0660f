use crate::helpers::{fixture, server_url, spawn_app, start_server, TestDb};
use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd::config::Config;
use feedbackd::startup::migrate_in_background;
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
    // Requests that need the database are 503 too, not errors about missing tables.
    let response = post_answer(&address, UNKNOWN_KEY).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}

/// A well-formed publishable key that no database holds.
const UNKNOWN_KEY: &str = "fbk_pub_0000000000000000000000000000000000000000000000000000000000000000";

async fn post_answer(address: &str, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{address}/v1/responses"))
        .bearer_auth(key)
        .json(&serde_json::json!({"survey": "nps-main", "score": 9}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_database_that_arrives_late_is_migrated_and_served() {
    let db = TestDb::empty();
    let admin = || PgConnection::establish(&server_url()).unwrap();
    diesel::sql_query(format!("DROP DATABASE {}", db.name)).execute(&mut admin()).unwrap();
    let address = start_server(&Config::for_tests(), &db.secret_url());
    let migrating = migrate_in_background(db.secret_url());
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{address}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(client.get(format!("{address}/readyz")).send().await.unwrap().status(), 503);
    let refused = post_answer(&address, UNKNOWN_KEY).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));

    diesel::sql_query(format!("CREATE DATABASE {}", db.name)).execute(&mut admin()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{address}/readyz")).send().await.unwrap().status() != 200 {
        assert!(Instant::now() < deadline, "not ready 30 s after the database appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(migrating.is_finished() || tokio::time::timeout(Duration::from_secs(5), migrating).await.is_ok());
    let fixture = fixture(&db.url, &[]);
    assert_eq!(post_answer(&address, &fixture.publishable_key).await.status(), 201);
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
