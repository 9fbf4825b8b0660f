//! Answers that are stored but flagged: repeats of an earlier answer (kept out of the
//! figures, never acknowledged with another answer's id) and late answers from devices that
//! were offline for weeks (counted when they arrive).

use crate::helpers::{spawn_app, start_server, TestApp};
use crate::insights_support::survey_id;
use chrono::{DateTime, Duration, Utc};
use feedbackd::config::Config;
use serde_json::{json, Value};
use uuid::Uuid;

async fn post(app: &TestApp, address: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{address}/v1/responses"))
        .bearer_auth(&app.fixture.publishable_key)
        .json(body)
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn patch_comment(app: &TestApp, id: Uuid, comment: &str) -> u16 {
    let response = app
        .client
        .patch(format!("{}/v1/responses/{id}", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"comment": comment}))
        .send()
        .await
        .expect("request");
    response.status().as_u16()
}

/// The summary's answer count for a survey over the last day.
async fn counted(app: &TestApp, survey: &str) -> i64 {
    let (status, body) = app.read(&format!("/v1/surveys/{survey}/summary")).await;
    assert_eq!(status, 200, "{body}");
    body["current"]["count"].as_i64().unwrap_or_else(|| panic!("no count in {body}"))
}

/// What the rollups hold for the project: the figures' own view of the answers.
fn rolled_up(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT coalesce(sum(count), 0)::int8 AS n FROM score_rollups WHERE project_id = '{}' AND dimension = ''",
        app.fixture.project_id
    ))
}

#[tokio::test]
async fn the_same_comment_on_another_survey_is_another_answer() {
    // The reproduction from issue 16: "ok" on two surveys within five minutes.
    let app = spawn_app().await;
    let first = Uuid::parse_str("11111111-1111-4111-8111-111111111111").unwrap();
    let second = Uuid::parse_str("33333333-3333-4333-8333-333333333333").unwrap();
    let nps = json!({"id": first, "survey": "nps-main", "score": 0, "respondent_id": "r", "comment": "ok"});
    assert_eq!(post(&app, &app.address, &nps).await.0, 201);
    let csat = json!({"id": second, "survey": "csat", "score": 5, "respondent_id": "r", "comment": "ok"});
    let (status, body) = post(&app, &app.address, &csat).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], second.to_string());
    assert_eq!(body["survey_id"], survey_id(&app, "csat").to_string());
    assert_eq!(body["created"], true);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE duplicate_of IS NULL"), 2);
    assert_eq!(patch_comment(&app, second, "ok").await, 200, "the id the client holds exists");
    assert_eq!(counted(&app, "csat").await, 1);
    assert_eq!(counted(&app, "nps-main").await, 1);
}

#[tokio::test]
async fn a_different_score_with_the_same_comment_is_counted() {
    let app = spawn_app().await;
    for score in [3, 9] {
        let body = json!({"survey": "nps-main", "score": score, "respondent_id": "r", "comment": "ok"});
        assert_eq!(post(&app, &app.address, &body).await.0, 201);
    }
    assert_eq!(counted(&app, "nps-main").await, 2);
    assert_eq!(rolled_up(&app), 2);
}

#[tokio::test]
async fn a_repeat_is_stored_flagged_and_left_out_of_the_figures() {
    let app = spawn_app().await;
    let (first, repeat) = (Uuid::now_v7(), Uuid::now_v7());
    let answer = |id: Uuid, comment: &str| json!({"id": id, "survey": "nps-main", "score": 2, "respondent_id": "r", "comment": comment});
    assert_eq!(post(&app, &app.address, &answer(first, "Too slow")).await.0, 201);
    // The same words with other white space around them are the same comment.
    let (status, body) = post(&app, &app.address, &answer(repeat, "  Too slow\n")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], repeat.to_string(), "acknowledged with its own id, never the first's");
    assert_eq!(body["created"], true);
    let flagged =
        format!("SELECT count(*) FROM responses WHERE id = '{repeat}' AND duplicate_of = '{first}'");
    assert_eq!(app.count(&flagged), 1);
    // A replay of the repeat is a replay, not a third answer.
    let (status, body) = post(&app, &app.address, &answer(repeat, "  Too slow\n")).await;
    assert_eq!((status, body["created"].clone()), (200, json!(false)));

    assert_eq!(counted(&app, "nps-main").await, 1);
    assert_eq!(rolled_up(&app), 1);
    let (_, list) = app.read("/v1/responses?survey=nps-main").await;
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.to_string()]);
    let (_, list) = app.read("/v1/responses?survey=nps-main&include_duplicates=true").await;
    let items = list["data"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let listed_repeat = items.iter().find(|a| a["id"] == repeat.to_string()).unwrap();
    assert_eq!(listed_repeat["duplicate_of"], first.to_string());

    let csv = |query: &'static str| {
        let app = &app;
        async move {
            let url = format!("{}/v1/exports/responses?survey=nps-main{query}", app.address);
            let body = app.client.get(url).bearer_auth(&app.fixture.secret_key).send().await.unwrap();
            let text = body.text().await.unwrap();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header = reader.headers().unwrap().clone();
            let column = header.iter().position(|h| h == "duplicate_of").unwrap();
            reader.records().map(|r| r.unwrap()[column].to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(csv("").await, [""]);
    let mut flags = csv("&include_duplicates=true").await;
    flags.sort();
    assert_eq!(flags, [String::new(), first.to_string()]);

    // The client still holds the repeat's id: its follow-up works.
    assert_eq!(patch_comment(&app, repeat, "  Too slow\n").await, 200);
    // Erasing the person takes both, and the figures stay exact.
    let erased = app
        .client
        .delete(format!("{}/v1/respondents/r", app.address))
        .bearer_auth(&app.fixture.secret_key)
        .send()
        .await
        .unwrap();
    assert!(erased.status().is_success(), "{}", erased.status());
    assert_eq!(app.count("SELECT count(*) FROM responses"), 0);
    assert_eq!(rolled_up(&app), 0);
}

#[tokio::test]
async fn every_replica_and_a_restart_decide_a_repeat_the_same_way() {
    let app = spawn_app().await;
    let other = start_server(&Config::for_tests(), &app.db.secret_url());
    let answer = json!({"survey": "nps-main", "score": 10, "respondent_id": "r", "comment": "Great"});
    assert_eq!(post(&app, &app.address, &answer).await.0, 201);
    let (status, body) = post(&app, &other, &answer).await;
    assert_eq!(status, 201);
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM responses WHERE id = '{id}' AND duplicate_of IS NOT NULL")),
        1
    );
    assert_eq!(counted(&app, "nps-main").await, 1);
}

#[tokio::test]
async fn a_repeat_within_one_batch_is_flagged_too() {
    let app = spawn_app().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let item = |id: Uuid| json!({"id": id, "survey": "nps-main", "score": 5, "respondent_id": "r", "comment": "meh"});
    let response = app
        .client
        .post(format!("{}/v1/responses/batch", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"answers": [item(a), item(b)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let out: Value = response.json().await.unwrap();
    let ids: Vec<&str> =
        out["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a.to_string(), b.to_string()]);
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM responses WHERE id = '{b}' AND duplicate_of = '{a}'")),
        1
    );
    assert_eq!(rolled_up(&app), 1);
}

#[tokio::test]
async fn a_window_of_zero_turns_the_rule_off() {
    let app = crate::helpers::spawn_app_with(|c| c.writer.duplicate_window = std::time::Duration::ZERO).await;
    let answer = json!({"survey": "nps-main", "score": 5, "respondent_id": "r", "comment": "meh"});
    for _ in 0..2 {
        assert_eq!(post(&app, &app.address, &answer).await.0, 201);
    }
    assert_eq!(rolled_up(&app), 2);
}

#[tokio::test]
async fn an_answer_that_waited_offline_for_weeks_counts_when_it_arrives() {
    let app = spawn_app().await;
    let sent = Utc::now() - Duration::days(35);
    let sent_text = sent.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let sent: DateTime<Utc> = sent_text.parse().unwrap();
    let id = Uuid::now_v7();
    let answer = json!({"id": id, "survey": "nps-main", "score": 9, "client_time": sent_text});
    let (status, body) = post(&app, &app.address, &answer).await;
    assert_eq!(status, 201, "{body}");
    let (_, list) = app.read("/v1/responses?survey=nps-main").await;
    let listed = &list["data"][0];
    assert_eq!(listed["id"], id.to_string());
    assert_eq!(listed["late"], true);
    let client_time: DateTime<Utc> = listed["client_time"].as_str().unwrap().parse().unwrap();
    assert_eq!(client_time, sent, "the device's time is kept as sent");
    let answered: DateTime<Utc> = listed["answered_at"].as_str().unwrap().parse().unwrap();
    let received: DateTime<Utc> = listed["received_at"].as_str().unwrap().parse().unwrap();
    assert!((answered - received).num_seconds().abs() <= 5, "counted on arrival: {answered} vs {received}");
    assert_eq!(counted(&app, "nps-main").await, 1, "in today's figures");

    // A survey cannot have been answered before it existed.
    app.execute("UPDATE surveys SET created_at = now() - interval '10 days' WHERE key = 'ces'");
    let (status, body) =
        post(&app, &app.address, &json!({"survey": "ces", "score": 5, "client_time": sent_text})).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "client_time");
    assert_eq!(body["errors"][0]["message"], "is before the survey existed");
}
