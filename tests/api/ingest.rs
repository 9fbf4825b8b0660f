use crate::helpers::{fixture, spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

#[tokio::test]
async fn stores_an_nps_answer_and_acknowledges_it_with_201() {
    let app = spawn_app().await;
    let id = Uuid::now_v7();
    let response = app
        .post_answer(&json!({
            "id": id, "survey": "nps-main", "score": 9, "comment": "Love the new editor",
            "respondent_id": "user-8812",
            "attributes": {"platform": "web", "app_version": "3.4.1", "plan": "pro", "country": "DE", "beta": true},
            "context": {"page_url": "https://app.example.com/editor"},
        }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let out = body(response).await;
    assert_eq!(out, json!({"id": id, "survey_id": app.fixture.nps_survey_id, "created": true}));
    let stored = app.count(&format!(
        "SELECT count(*) FROM responses WHERE id = '{id}' AND score = 9 AND respondent_id = 'user-8812' \
         AND comment = 'Love the new editor' AND attributes->>'plan' = 'pro' AND attributes->'beta' = 'true' \
         AND context->>'page_url' = 'https://app.example.com/editor' AND survey_version = 1 \
         AND client_ip IS NULL AND abs(extract(epoch from answered_at - now())) < 60"
    ));
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn a_replay_gets_200_and_the_same_body_and_changes_nothing() {
    let app = spawn_app().await;
    let answer = json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": 3});
    let first = app.post_answer(&answer).await;
    assert_eq!(first.status(), 201);
    let first = body(first).await;
    // The replay carries a different score: the first write wins, the replay is a no-op.
    let mut replay = answer.clone();
    replay["score"] = json!(10);
    let second = app.post_answer(&replay).await;
    assert_eq!(second.status(), 200);
    let second = body(second).await;
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["survey_id"], first["survey_id"]);
    assert_eq!(second["created"], false);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE score = 3"), 1);
    assert_eq!(app.count("SELECT count(*) FROM responses"), 1);
    assert_eq!(
        app.count("SELECT coalesce(sum(count), 0)::bigint AS n FROM score_rollups WHERE dimension = ''"),
        1
    );
}

#[tokio::test]
async fn the_server_makes_a_uuid_v7_when_the_client_sends_none() {
    let app = spawn_app().await;
    let out = body(app.post_answer(&json!({"survey": "nps-main", "score": 8})).await).await;
    let id: Uuid = out["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(id.get_version_num(), 7);
}

#[tokio::test]
async fn free_text_feedback_goes_to_a_text_survey_with_a_category() {
    let app = spawn_app().await;
    let response = app
        .post_answer(&json!({"survey": "feedback", "comment": "Export is broken", "category": "bug"}))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        app.count("SELECT count(*) FROM responses WHERE category = 'bug' AND score IS NULL AND comment = 'Export is broken'"),
        1
    );
    // Text answers have no score: the rollups count them as score -1 (totals only).
    assert_eq!(app.count("SELECT count(*) FROM score_rollups WHERE score <> -1"), 0);
    assert_eq!(
        app.count("SELECT sum(count)::int8 AS n FROM score_rollups WHERE dimension = '' AND score = -1"),
        1
    );
}

#[tokio::test]
async fn a_survey_is_found_by_id_as_well_as_by_key() {
    let app = spawn_app().await;
    let response = app.post_answer(&json!({"survey": app.fixture.nps_survey_id, "score": 10})).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_plausible_client_time_dates_the_answer() {
    let app = spawn_app().await;
    let when = chrono::Utc::now() - chrono::Duration::days(2);
    let when = when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let response = app.post_answer(&json!({"survey": "nps-main", "score": 6, "client_time": when})).await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.count(&format!("SELECT count(*) FROM responses WHERE answered_at = '{when}'")), 1);
}

#[tokio::test]
async fn a_batch_answers_each_item_and_stores_only_the_valid_ones() {
    let app = spawn_app().await;
    let known = Uuid::now_v7();
    assert_eq!(app.post_answer(&json!({"id": known, "survey": "nps-main", "score": 5})).await.status(), 201);
    let response = app
        .client
        .post(format!("{}/v1/responses/batch", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"answers": [
            {"survey": "nps-main", "score": 10},
            {"survey": "nps-main", "score": 42},
            {"id": known, "survey": "nps-main", "score": 5},
            {"survey": "csat", "score": 4, "bogus": 1},
            {"survey": "ces", "score": 7},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let out = body(response).await;
    let statuses: Vec<i64> =
        out["results"].as_array().unwrap().iter().map(|r| r["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [201, 422, 200, 422, 201]);
    assert_eq!(out["results"][1]["errors"][0]["field"], "score");
    assert_eq!(out["results"][3]["errors"][0]["field"], "bogus");
    assert_eq!(app.count("SELECT count(*) FROM responses"), 3);
}

#[tokio::test]
async fn a_follow_up_adds_a_comment_once_and_never_overwrites() {
    let app = spawn_app().await;
    let id = Uuid::now_v7();
    app.post_answer(&json!({"id": id, "survey": "nps-main", "score": 4})).await;
    let patch = |comment: &str| {
        app.client
            .patch(format!("{}/v1/responses/{id}", app.address))
            .bearer_auth(&app.fixture.publishable_key)
            .json(&json!({"comment": comment}))
            .send()
    };
    assert_eq!(patch("Too slow").await.unwrap().status(), 200);
    assert_eq!(patch("Too slow").await.unwrap().status(), 200, "a replay of the same follow-up is fine");
    assert_eq!(patch("Actually fine").await.unwrap().status(), 409);
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM responses WHERE id = '{id}' AND comment = 'Too slow'")),
        1
    );
    let unknown = app
        .client
        .patch(format!("{}/v1/responses/{}", app.address, Uuid::now_v7()))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"comment": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn send_beacon_style_requests_carry_the_key_in_the_query_as_text() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/v1/responses?key={}", app.address, app.fixture.publishable_key))
        .header("Content-Type", "text/plain;charset=UTF-8")
        .body(r#"{"survey":"nps-main","score":9}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn post_with_key(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/responses", app.address))
        .bearer_auth(key)
        .json(&json!({"survey": "nps-main", "score": 9}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_secret_and_foreign_keys_are_refused() {
    let app = spawn_app().await;
    let unknown = post_with_key(&app, &format!("fbk_pub_{}", "0".repeat(64))).await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(unknown.headers()["www-authenticate"], "Bearer");
    let secret = post_with_key(&app, &app.fixture.secret_key).await;
    assert_eq!(secret.status(), 403);
    assert_eq!(body(secret).await["type"], "https://feedbackd.dev/problems/wrong-key-kind");
    let none =
        app.client.post(format!("{}/v1/responses", app.address)).json(&json!({})).send().await.unwrap();
    assert_eq!(none.status(), 401);

    // Another project's key cannot write into this project's survey, even by its id.
    let other = fixture(&app.db.url, &[]);
    let response = app
        .client
        .post(format!("{}/v1/responses", app.address))
        .bearer_auth(&other.publishable_key)
        .json(&json!({"survey": app.fixture.nps_survey_id, "score": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(body(response).await["errors"][0]["field"], "survey");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{}'", app.fixture.project_id)),
        0
    );
}

#[tokio::test]
async fn cors_allows_only_the_projects_origins() {
    let app = spawn_app().await;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/v1/responses", app.address))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    assert!(allowed.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let refused = preflight("https://evil.example.net").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("access-control-allow-origin").is_none());

    let post = |origin: &'static str| {
        app.client
            .post(format!("{}/v1/responses", app.address))
            .bearer_auth(&app.fixture.publishable_key)
            .header("Origin", origin)
            .json(&json!({"survey": "nps-main", "score": 9}))
            .send()
    };
    let ok = post("https://app.example.com").await.unwrap();
    assert_eq!(ok.status(), 201);
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://app.example.com");
    let evil = post("https://evil.example.net").await.unwrap();
    assert_eq!(evil.status(), 403);
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    assert_eq!(body(evil).await["type"], "https://feedbackd.dev/problems/origin-not-allowed");
    assert_eq!(app.count("SELECT count(*) FROM responses"), 1);
}
