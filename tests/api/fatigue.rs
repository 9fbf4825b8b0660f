//! Respect for the respondent: the configuration is read-only and served from memory; the
//! decision to show a survey is taken once, when it is about to appear, by the project's
//! fatigue rules on every device; limits and schedules close surveys on time.

use crate::abuse::db_calls;
use crate::helpers::{spawn_app, spawn_app_with, without_rate_limits, TestApp};
use crate::mgmt_support::{archive_fixture_surveys, call, create_survey};
use futures_util::{stream, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

/// Reports that `survey` is about to appear; the status and the decision.
async fn shown(app: &TestApp, survey: &str, respondent: Option<&str>, session: Option<&str>) -> (u16, Value) {
    shown_with_id(app, Uuid::now_v7(), survey, respondent, session).await
}

async fn shown_with_id(
    app: &TestApp,
    id: Uuid,
    survey: &str,
    respondent: Option<&str>,
    session: Option<&str>,
) -> (u16, Value) {
    let body = json!({"id": id, "survey": survey, "respondent_id": respondent, "session_id": session});
    let r = app
        .client
        .post(format!("{}/v1/responses/shown", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&body)
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Whether the widget may show `survey` to `respondent` now (a fresh impression).
async fn may_show(app: &TestApp, survey: &str, respondent: &str) -> Result<(), String> {
    let (status, body) = shown(app, survey, Some(respondent), None).await;
    assert_eq!(status, 201, "{body}");
    match body["show"].as_bool() {
        Some(true) => Ok(()),
        _ => Err(body["reason"].as_str().unwrap_or("?").to_string()),
    }
}

async fn config_keys(app: &TestApp) -> Vec<String> {
    let r = app
        .client
        .get(format!("{}/v1/widget/config", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["surveys"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap().to_string()).collect()
}

/// Moves a person's history back in time, as if `days` had passed.
fn age_contacts(app: &TestApp, respondent: &str, days: i64) {
    let shift = format!("interval '{days} days'");
    app.execute(&format!(
        "UPDATE respondent_contacts SET last_shown_at = last_shown_at - {shift}, \
         last_answered_at = last_answered_at - {shift}, last_dismissed_at = last_dismissed_at - {shift} \
         WHERE respondent_id = '{respondent}'"
    ));
}

/// The project's fatigue rules, set in the database before the app caches the project.
async fn app_with_fatigue(fatigue: Value) -> TestApp {
    let app = spawn_app_with(without_rate_limits).await;
    app.execute(&format!("UPDATE projects SET fatigue = '{fatigue}'"));
    app
}

#[tokio::test]
async fn after_one_survey_a_person_sees_none_for_the_projects_period_on_any_device() {
    let app = app_with_fatigue(json!({"days_between_surveys": 14})).await;
    assert_eq!(may_show(&app, "nps-main", "ana").await, Ok(()));
    let answer = json!({"survey": "nps-main", "score": 9, "respondent_id": "ana"});
    assert_eq!(app.post_answer(&answer).await.status(), 201);
    // Neither the same survey nor another, from any device (no device state is sent).
    assert_eq!(may_show(&app, "nps-main", "ana").await, Err("project_rest".into()));
    assert_eq!(may_show(&app, "csat", "ana").await, Err("project_rest".into()));
    assert_eq!(may_show(&app, "csat", "bo").await, Ok(()), "others are not affected");
    age_contacts(&app, "ana", 13);
    assert_eq!(may_show(&app, "csat", "ana").await, Err("project_rest".into()));
    age_contacts(&app, "ana", 2);
    assert_eq!(may_show(&app, "csat", "ana").await, Ok(()), "offered the next after 14 days");
}

#[tokio::test]
async fn an_ignored_survey_waits_and_a_dismissed_one_rests() {
    let app = app_with_fatigue(json!({"days_between_surveys": 0, "ignored_wait_hours": 72})).await;
    assert_eq!(may_show(&app, "nps-main", "cy").await, Ok(()));
    // Shown, neither answered nor dismissed: not again within the wait.
    assert_eq!(may_show(&app, "nps-main", "cy").await, Err("ignored".into()));
    app.execute("UPDATE respondent_contacts SET last_shown_at = last_shown_at - interval '73 hours'");
    assert_eq!(may_show(&app, "nps-main", "cy").await, Ok(()));
    // A survey's own recontact period is stricter than the project's (off here).
    let set = json!({"targeting": {"recontact_days": 30}});
    assert_eq!(
        call(&app, Method::PATCH, "/v1/surveys/csat", &app.fixture.secret_key, Some(&set)).await.status(),
        200
    );
    let dismiss = app
        .client
        .post(format!("{}/v1/responses/dismiss", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"survey": "csat", "respondent_id": "cy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dismiss.status(), 204);
    assert_eq!(may_show(&app, "csat", "cy").await, Err("survey_rest".into()));
    age_contacts(&app, "cy", 31);
    assert_eq!(may_show(&app, "csat", "cy").await, Ok(()));
}

#[tokio::test]
async fn a_session_sees_at_most_its_cap_and_an_exempt_survey_escapes_the_rules() {
    let app = app_with_fatigue(json!({"days_between_surveys": 0, "max_per_session": 1})).await;
    let (_, first) = shown(&app, "nps-main", None, Some("tab-1")).await;
    assert_eq!(first["show"], true);
    let (_, second) = shown(&app, "csat", None, Some("tab-1")).await;
    assert_eq!((second["show"].clone(), second["reason"].clone()), (json!(false), json!("session_cap")));
    let (_, other_tab) = shown(&app, "csat", None, Some("tab-2")).await;
    assert_eq!(other_tab["show"], true);
    // A feedback button the person opens is exempt.
    let set = json!({"targeting": {"fatigue_exempt": true}});
    assert_eq!(
        call(&app, Method::PATCH, "/v1/surveys/feedback", &app.fixture.secret_key, Some(&set)).await.status(),
        200
    );
    let (_, button) = shown(&app, "feedback", None, Some("tab-1")).await;
    assert_eq!(button["show"], true);
}

#[tokio::test]
async fn a_shown_report_is_idempotent_by_its_id() {
    let app = app_with_fatigue(json!({})).await;
    let id = Uuid::now_v7();
    let (status, first) = shown_with_id(&app, id, "nps-main", Some("dee"), None).await;
    assert_eq!(
        (status, first["show"].clone(), first["id"].clone()),
        (201, json!(true), json!(id.to_string()))
    );
    // The retry of the same appearance gets the same answer, not "ignored".
    let (status, again) = shown_with_id(&app, id, "nps-main", Some("dee"), None).await;
    assert_eq!((status, again["show"].clone()), (200, json!(true)));
    assert_eq!(app.count("SELECT count(*) FROM survey_impressions"), 1);
    let (status, bad) = shown(&app, "nope", Some("dee"), Some(&"s".repeat(129))).await;
    assert_eq!(status, 422, "{bad}");
    let fields: Vec<&str> =
        bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["session_id"]);
}

#[tokio::test]
async fn reading_the_configuration_touches_the_database_once_per_snapshot() {
    let app = spawn_app_with(without_rate_limits).await;
    // The listener empties every cache when it starts listening: wait for that first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap();
        if metrics.text().await.unwrap().contains("feedbackd_cache_invalidation_connected 1") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the invalidation listener never connected");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(config_keys(&app).await, ["nps-main", "feedback", "csat", "ces"]);
    let before = db_calls(&app).await;
    for i in 0..50 {
        let r = app
            .client
            .get(format!("{}/v1/widget/config?respondent_id=user-{i}", app.address))
            .bearer_auth(&app.fixture.publishable_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["fatigue"]["days_between_surveys"], 14, "{body}");
        assert!(body.get("show").is_some());
    }
    assert_eq!(db_calls(&app).await - before, 0.0, "50 config reads made no database call");
    assert_eq!(app.count("SELECT count(*) FROM respondent_contacts"), 0, "and wrote nothing");
}

#[tokio::test]
async fn a_limited_survey_ends_at_exactly_its_limit_under_concurrency() {
    let app = spawn_app_with(without_rate_limits).await;
    archive_fixture_surveys(&app).await;
    create_survey(&app, json!({"key": "limited", "kind": "nps", "question": "Q?"})).await;
    app.execute("UPDATE surveys SET response_limit = 100 WHERE key = 'limited'");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await; // the change is announced
    assert_eq!(config_keys(&app).await, ["limited"], "cached from here on");
    let statuses: Vec<u16> = stream::iter(0..300)
        .map(|i| {
            let app = &app;
            async move {
                let answer = json!({"survey": "limited", "score": i % 11, "respondent_id": format!("r{i}")});
                app.post_answer(&answer).await.status().as_u16()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 100);
    assert_eq!(statuses.iter().filter(|&&s| s == 409).count(), 200, "{statuses:?}");
    assert_eq!(app.count("SELECT count(*) FROM responses"), 100);
    assert_eq!(app.count("SELECT answers::int8 AS n FROM survey_counters"), 100);
    assert_eq!(app.count("SELECT count(*) FROM surveys WHERE key = 'limited' AND closed_at IS NOT NULL"), 1);
    assert_eq!(app.count("SELECT count(*) FROM survey_events WHERE kind = 'closed'"), 1);
    // Widgets stop showing it at once (the database announces the change), and one more
    // answer gets a clear problem.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while config_keys(&app).await.contains(&"limited".to_string()) {
        assert!(std::time::Instant::now() < deadline, "still offered a second after it closed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let r = app.post_answer(&json!({"survey": "limited", "score": 5})).await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["type"], "https://feedbackd.dev/problems/survey-closed");
    assert!(problem["detail"].as_str().unwrap().contains("limit"), "{problem}");
}

#[tokio::test]
async fn a_scheduled_survey_takes_answers_only_while_it_is_open() {
    let app = spawn_app().await;
    archive_fixture_surveys(&app).await;
    create_survey(&app, json!({"key": "later", "kind": "csat", "question": "Q?"})).await;
    app.execute("UPDATE surveys SET opens_at = now() + interval '1 hour' WHERE key = 'later'");
    assert!(config_keys(&app).await.is_empty(), "not listed before it opens");
    let r = app.post_answer(&json!({"survey": "later", "score": 4})).await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("not open yet"), "{problem}");
    let (_, decision) = shown(&app, "later", Some("eve"), None).await;
    assert_eq!(decision["reason"], "closed");
}
