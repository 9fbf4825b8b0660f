//! Rate limits, trusted proxies, and spam signals.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use feedbackd::config::Config;
use serde_json::{json, Value};
use std::time::Duration;

fn rate(spec: &str) -> feedbackd::ratelimit::RateSpec {
    spec.parse().unwrap()
}

async fn send(app: &TestApp, forwarded_for: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/v1/responses", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&body);
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    request.send().await.unwrap()
}

fn nps() -> Value {
    json!({"survey": "nps-main", "score": 9})
}

async fn db_calls(app: &TestApp) -> f64 {
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("feedbackd_db_calls_total"))
        .and_then(|l| l.split_whitespace().last())
        .map_or(0.0, |v| v.parse().unwrap())
}

#[tokio::test]
async fn the_ip_limiter_trips_at_its_rate_says_so_in_headers_and_recovers() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.ip = rate("5/s:5");
    })
    .await;
    for left in (0..5).rev() {
        let ok = send(&app, None, nps()).await;
        assert_eq!(ok.status(), 201);
        let policy = ok.headers()["ratelimit-policy"].to_str().unwrap().to_string();
        assert!(policy.contains("\"ip\";q=5;w=1"), "{policy}");
        let state = ok.headers()["ratelimit"].to_str().unwrap().to_string();
        assert!(state.contains(&format!("\"ip\";r={left};")), "{state}");
    }
    let before = db_calls(&app).await;
    // At once: a refusal is held until the address could be served again (the tarpit), so
    // requests sent one after another would each find a token waiting.
    let started = std::time::Instant::now();
    let refusals = futures_util::future::join_all((0..20).map(|_| send(&app, None, nps()))).await;
    assert!(started.elapsed() >= Duration::from_millis(150), "refusals are held, not sent at once");
    for refused in refusals {
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert!(refused.headers()["ratelimit"].to_str().unwrap().contains("\"ip\";r=0;"));
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["type"], "https://feedbackd.dev/problems/rate-limited");
        assert!(problem["detail"].as_str().unwrap().contains("`ip`"));
    }
    assert_eq!(db_calls(&app).await, before, "refused requests made no database round trip");
    assert_eq!(app.count("SELECT count(*) FROM responses"), 5);
    // One token comes back every 200 ms.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(send(&app, None, nps()).await.status(), 201);
}

#[tokio::test]
async fn the_project_limiter_caps_a_key_across_addresses() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.project = rate("3/min:3");
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    for i in 0..3 {
        assert_eq!(send(&app, Some(&format!("203.0.113.{i}")), nps()).await.status(), 201);
    }
    let refused = send(&app, Some("203.0.113.99"), nps()).await;
    assert_eq!(refused.status(), 429);
    let problem: Value = refused.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("`project`"));
}

#[tokio::test]
async fn a_project_can_have_its_own_rate() {
    let app = spawn_app_with(without_rate_limits).await;
    let mut conn = app.db.connect();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE projects SET rate_limits = '{{\"project\": \"2/min:2\"}}' WHERE id = '{}'",
            app.fixture.project_id
        )),
        &mut conn,
    )
    .unwrap();
    // The key cache holds the project; a fresh app would see the change at once, this one
    // within the cache period, so start one that reads the database now.
    let address = crate::helpers::start_server(
        &{
            let mut c = Config::for_tests();
            without_rate_limits(&mut c);
            c
        },
        &app.db.secret_url(),
    );
    let client = reqwest::Client::new();
    let post = || {
        client
            .post(format!("{address}/v1/responses"))
            .bearer_auth(&app.fixture.publishable_key)
            .json(&nps())
            .send()
    };
    assert_eq!(post().await.unwrap().status(), 201);
    assert_eq!(post().await.unwrap().status(), 201);
    assert_eq!(post().await.unwrap().status(), 429);
}

#[tokio::test]
async fn the_respondent_limiter_keeps_one_person_from_flooding() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.respondent = rate("2/min:2");
    })
    .await;
    let answer = |who: &str| json!({"survey": "nps-main", "score": 3, "respondent_id": who});
    assert_eq!(send(&app, None, answer("u1")).await.status(), 201);
    assert_eq!(send(&app, None, answer("u1")).await.status(), 201);
    let refused = send(&app, None, answer("u1")).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers()["ratelimit"].to_str().unwrap().contains("\"respondent\";r=0"));
    assert_eq!(send(&app, None, answer("u2")).await.status(), 201);
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.ip = rate("3/min:3");
    })
    .await;
    for i in 0..3 {
        assert_eq!(send(&app, Some(&format!("198.51.100.{i}")), nps()).await.status(), 201);
    }
    // A fresh address in the header does not buy a fresh bucket.
    assert_eq!(send(&app, Some("198.51.100.200"), nps()).await.status(), 429);
}

#[tokio::test]
async fn a_forwarded_for_from_a_trusted_proxy_is_used() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.ip = rate("2/min:2");
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 201);
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 201);
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 429);
    assert_eq!(send(&app, Some("203.0.113.6"), nps()).await.status(), 201);
}

#[tokio::test]
async fn honeypot_and_too_fast_answers_are_acknowledged_and_not_stored() {
    let app = spawn_app_with(without_rate_limits).await;
    let bot = send(&app, None, json!({"survey": "nps-main", "score": 10, "hp": "http://spam.example"})).await;
    assert_eq!(bot.status(), 201);
    let body: Value = bot.json().await.unwrap();
    assert_eq!(body["created"], true, "a bot cannot tell it was dropped");
    let fast = send(&app, None, json!({"survey": "nps-main", "score": 10, "time_to_answer_ms": 120})).await;
    assert_eq!(fast.status(), 201);
    let human =
        send(&app, None, json!({"survey": "nps-main", "score": 8, "hp": "", "time_to_answer_ms": 4200}))
            .await;
    assert_eq!(human.status(), 201);
    assert_eq!(app.count("SELECT count(*) FROM responses"), 1);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE score = 8"), 1);
}

#[tokio::test]
async fn the_same_comment_from_one_respondent_within_minutes_is_stored_once() {
    let app = spawn_app_with(without_rate_limits).await;
    let answer =
        json!({"survey": "feedback", "comment": "The export button does nothing", "respondent_id": "u9"});
    let first = send(&app, None, answer.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(&app, None, answer.clone()).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let mut other = answer.clone();
    other["respondent_id"] = json!("u10");
    assert_eq!(send(&app, None, other).await.status(), 201);
    assert_eq!(app.count("SELECT count(*) FROM responses"), 2);
}
