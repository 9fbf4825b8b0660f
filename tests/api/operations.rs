//! Request ids and metrics.

use crate::helpers::{spawn_app, spawn_app_with};
use serde_json::{json, Value};

#[tokio::test]
async fn a_request_id_is_echoed_or_made_and_named_in_problems() {
    let app = spawn_app().await;
    let given = app
        .client
        .post(format!("{}/v1/responses", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .header("X-Request-Id", "trace-42.a")
        .json(&json!({"survey": "nps-main", "score": 99}))
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-42.a");
    let problem: Value = given.json().await.unwrap();
    assert_eq!(problem["request_id"], "trace-42.a");

    let made = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);

    // An id that could break a log line is replaced, not trusted.
    let unsafe_id = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("X-Request-Id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert_ne!(unsafe_id.headers()["x-request-id"], "a b\tc");
}

fn sample(metrics: &str, name_and_labels: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name_and_labels.split('{').next().unwrap()))
        .filter(|l| {
            name_and_labels.split(['{', ',', '}']).skip(1).filter(|p| !p.is_empty()).all(|p| l.contains(p))
        })
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_count_answers_requests_and_writer_batches() {
    let app = spawn_app().await;
    let metrics = || async {
        app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap()
    };
    let before = metrics().await;
    for score in [9, 10] {
        assert_eq!(app.post_answer(&json!({"survey": "nps-main", "score": score})).await.status(), 201);
    }
    assert_eq!(app.post_answer(&json!({"survey": "nps-main", "score": 11})).await.status(), 422);
    let after = metrics().await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(delta(r#"feedbackd_answers_total{outcome="created"}"#), 2.0);
    assert_eq!(delta(r#"feedbackd_answers_total{outcome="invalid"}"#), 1.0);
    assert_eq!(delta(r#"feedbackd_http_requests_total{route="/v1/responses",status="201"}"#), 2.0);
    assert_eq!(delta(r#"feedbackd_http_requests_total{route="/v1/responses",status="422"}"#), 1.0);
    assert!(delta("feedbackd_writer_batch_rows_count") >= 1.0, "{after}");
    assert!(after.contains("feedbackd_http_request_duration_seconds_bucket"));
    assert!(after.contains("feedbackd_writer_queue_depth"));
    // What the webhook dispatcher gives way to: requests waiting for their commit, none once
    // every answer is acknowledged.
    let answer = json!({"survey": "nps-main", "score": 7});
    let burst = (0..40).map(|_| app.post_answer(&answer));
    assert!(futures_util::future::join_all(burst).await.iter().all(|r| r.status() == 201));
    assert_eq!(sample(&metrics().await, "feedbackd_writer_in_flight"), 0.0);
}

async fn get_metrics(app: &crate::helpers::TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}/metrics", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn metrics_are_open_without_a_token_setting() {
    let app = spawn_app().await;
    assert_eq!(get_metrics(&app, None).await.status(), 200);
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let app = spawn_app_with(|c| c.metrics_token = Some("s3cret-metrics".to_string().into())).await;
    for token in [None, Some("wrong"), Some("s3cret-metric"), Some("")] {
        let response = get_metrics(&app, token).await;
        assert_eq!(response.status(), 401, "{token:?}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 401);
    }
    let response = get_metrics(&app, Some("s3cret-metrics")).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("feedbackd_db_pool_max_connections"));
}

#[tokio::test]
async fn metrics_count_replays_refusals_commits_and_pool_use() {
    let app = spawn_app_with(|c| {
        c.rate_limits.respondent = "1/h:1".parse().unwrap();
        c.db_pool_size = 7;
        c.writer.queue = 333;
    })
    .await;
    let text = |r: reqwest::Response| async { r.text().await.unwrap() };
    let before = text(get_metrics(&app, None).await).await;
    let id = uuid::Uuid::now_v7();
    let answer = json!({"id": id, "survey": "nps-main", "score": 9});
    assert_eq!(app.post_answer(&answer).await.status(), 201);
    assert_eq!(app.post_answer(&answer).await.status(), 200);
    let person = |score: u8| json!({"survey": "nps-main", "score": score, "respondent_id": "u1"});
    assert_eq!(app.post_answer(&person(7)).await.status(), 201);
    assert_eq!(app.post_answer(&person(8)).await.status(), 429);
    let after = text(get_metrics(&app, None).await).await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(delta(r#"feedbackd_answers_total{outcome="replayed"}"#), 1.0);
    assert_eq!(delta(r#"feedbackd_rate_limited_total{limiter="respondent"}"#), 1.0);
    assert_eq!(delta(r#"feedbackd_http_requests_total{route="/v1/responses",status="429"}"#), 1.0);
    assert_eq!(
        delta(r#"feedbackd_http_request_duration_seconds_count{route="/v1/responses",status="200"}"#),
        1.0
    );
    assert!(delta("feedbackd_writer_commit_seconds_count") >= 1.0, "{after}");
    assert_eq!(sample(&after, "feedbackd_db_pool_max_connections"), 7.0);
    assert_eq!(sample(&after, "feedbackd_writer_queue_capacity"), 333.0);
    // The survey lookup used the pool, so it holds at least one connection.
    assert!(sample(&after, "feedbackd_db_pool_connections") >= 1.0, "{after}");
}
