//! Rate limits, trusted proxies, and spam signals.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use feedbackd::config::Config;
use serde_json::{json, Value};
use std::time::Duration;

fn rate(spec: &str) -> feedbackd_core::ratelimit::RateSpec {
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

/// An unlabelled counter's value, 0 before its first increment.
pub async fn counter(app: &TestApp, name: &str) -> f64 {
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().last())
        .map_or(0.0, |v| v.parse().unwrap())
}

/// The `feedbackd_db_calls_total` counter: database round trips the service made.
pub async fn db_calls(app: &TestApp) -> f64 {
    counter(app, "feedbackd_db_calls_total").await
}

#[tokio::test]
async fn the_ip_limiter_trips_at_its_rate_says_so_in_headers_and_recovers() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.ip = rate("5/s:5");
    })
    .await;
    // A token comes back every 200 ms: on a slow (loaded) machine some may return while the
    // test runs, so what is allowed grows with the time taken, never beyond it.
    let refill = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let refilled =
        |at: std::time::Instant| (at.duration_since(started).as_millis() / refill.as_millis()) as usize;
    for left in (0..5).rev() {
        let ok = send(&app, None, nps()).await;
        assert_eq!(ok.status(), 201);
        let policy = ok.headers()["ratelimit-policy"].to_str().unwrap().to_string();
        assert!(policy.contains("\"ip\";q=5;w=1"), "{policy}");
        let state = ok.headers()["ratelimit"].to_str().unwrap().to_string();
        let r: usize =
            state.split("\"ip\";r=").nth(1).and_then(|v| v.split(';').next()).unwrap().parse().unwrap();
        assert!((left..=left + refilled(std::time::Instant::now())).contains(&r), "{state}, {left} left");
    }
    let before = db_calls(&app).await;
    // At once: a refusal is held until the address could be served again (the tarpit), so
    // requests sent one after another would each find a token waiting.
    let burst = std::time::Instant::now();
    let since_start = burst.duration_since(started).as_micros() % refill.as_micros();
    let next_token = refill - Duration::from_micros(since_start as u64);
    let answers = futures_util::future::join_all((0..20).map(|_| send(&app, None, nps()))).await;
    assert!(
        burst.elapsed() + Duration::from_millis(50) >= next_token,
        "refusals are held until a token could come back, not sent at once"
    );
    let served = answers.iter().filter(|a| a.status() == 201).count();
    assert!(served <= refilled(std::time::Instant::now()), "{served} served of 20 sent at once");
    for refused in answers.into_iter().filter(|a| a.status() != 201) {
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert!(refused.headers()["ratelimit"].to_str().unwrap().contains("\"ip\";r=0;"));
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["type"], "https://feedbackd.dev/problems/rate-limited");
        assert!(problem["detail"].as_str().unwrap().contains("`ip`"));
    }
    let calls = db_calls(&app).await - before;
    assert!(calls <= served as f64, "refused requests made no database round trip ({calls} calls)");
    assert_eq!(app.count("SELECT count(*) FROM responses"), 5 + served as i64);
    // One token comes back every 200 ms.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(send(&app, None, nps()).await.status(), 201);
}

#[tokio::test]
async fn the_project_limiter_caps_a_key_across_addresses() {
    let app = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.rate_limits.project = rate("3/min:3");
        c.trusted_proxies.nets = vec!["127.0.0.0/8".parse().unwrap()];
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
        c.trusted_proxies.nets = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 201);
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 201);
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 429);
    assert_eq!(send(&app, Some("203.0.113.6"), nps()).await.status(), 201);
}

/// Behind a load balancer that is not listed, every widget shares its address: the
/// operator is told, in the log and in a counter.
#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_counted() {
    const UNTRUSTED: &str = "feedbackd_untrusted_forwarded_total";
    // The tests' defaults trust no proxy, so the test client (127.0.0.1) is untrusted.
    let app = spawn_app_with(without_rate_limits).await;
    let before = counter(&app, UNTRUSTED).await;
    assert_eq!(send(&app, Some("203.0.113.5"), nps()).await.status(), 201);
    let forwarded = app
        .client
        .post(format!("{}/v1/responses", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .header("Forwarded", "for=203.0.113.6;proto=https")
        .json(&nps())
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), 201);
    assert_eq!(send(&app, None, nps()).await.status(), 201);
    // Once per request, though the address is looked up twice (limiter, IP policy).
    assert_eq!(counter(&app, UNTRUSTED).await - before, 2.0);

    let trusting = spawn_app_with(|c: &mut Config| {
        without_rate_limits(c);
        c.trusted_proxies.nets = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let before = counter(&trusting, UNTRUSTED).await;
    assert_eq!(send(&trusting, Some("203.0.113.5"), nps()).await.status(), 201);
    assert_eq!(counter(&trusting, UNTRUSTED).await - before, 0.0);
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
async fn the_same_comment_from_one_respondent_within_minutes_is_flagged_not_counted() {
    let app = spawn_app_with(without_rate_limits).await;
    let answer =
        json!({"survey": "feedback", "comment": "The export button does nothing", "respondent_id": "u9"});
    let first = send(&app, None, answer.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(&app, None, answer.clone()).await;
    assert_eq!(again.status(), 201, "a new answer, acknowledged as itself");
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["id"], first["id"]);
    let mut other = answer.clone();
    other["respondent_id"] = json!("u10");
    assert_eq!(send(&app, None, other).await.status(), 201);
    assert_eq!(app.count("SELECT count(*) FROM responses"), 3);
    let flagged =
        format!("SELECT count(*) FROM responses WHERE duplicate_of = '{}'", first["id"].as_str().unwrap());
    assert_eq!(app.count(&flagged), 1);
}
