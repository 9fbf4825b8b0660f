//! The change feed (`GET /v1/events`, issue 18): every committed change in one order, read
//! with an opaque cursor, with no gap even while answers commit concurrently; erasures in
//! it; retention answered with `410`; one project's events only.

use crate::helpers::TestApp;
use crate::mgmt_support::{call, json, other_project, secret_key};
use crate::webhook_support::webhook_app;
use diesel::prelude::*;
use feedbackd_domain::Scope;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

async fn page(app: &TestApp, key: &str, query: &str) -> (u16, Value) {
    let response = call(app, Method::GET, &format!("/v1/events{query}"), key, None).await;
    (response.status().as_u16(), json(response).await)
}

/// Reads the feed from `cursor` until `n` events came or 10 s passed; returns them and
/// the last cursor.
async fn read_until(
    app: &TestApp,
    key: &str,
    mut cursor: Option<String>,
    n: usize,
) -> (Vec<Value>, Option<String>) {
    let mut events = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while events.len() < n && std::time::Instant::now() < deadline {
        let query = match &cursor {
            Some(c) => format!("?limit=7&after={c}"),
            None => "?limit=7".to_string(),
        };
        let (status, body) = page(app, key, &query).await;
        assert_eq!(status, 200, "{body}");
        let got = body["data"].as_array().unwrap().clone();
        cursor = Some(body["next_cursor"].as_str().unwrap().to_string());
        if got.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        events.extend(got);
    }
    (events, cursor)
}

fn position(event: &Value) -> i64 {
    event["id"].as_str().unwrap().trim_start_matches("evt_").parse().unwrap()
}

#[tokio::test]
async fn the_feed_lists_every_change_in_order_and_resumes_from_a_cursor() {
    let app = webhook_app(true).await;
    let key = secret_key(&app, &[Scope::ResponsesExport]);
    let mut posted = Vec::new();
    for i in 0..12 {
        let id = Uuid::now_v7();
        let body = json!({"id": id, "survey": "nps-main", "score": i % 11, "respondent_id": format!("p{}", i % 3),
                          "comment": "ok"});
        assert_eq!(app.post_answer(&body).await.status(), 201);
        posted.push(id.to_string());
    }
    let (first, cursor) = read_until(&app, &key, None, 12).await;
    let ids: Vec<String> = first.iter().map(|e| e["data"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, posted, "commit order");
    assert!(first.iter().all(|e| e["type"] == "response.created" && e["version"] == 1));
    assert!(first.windows(2).all(|w| position(&w[0]) < position(&w[1])));
    // Resuming from an event's own cursor gives what follows it, and nothing before.
    let third = first[2]["cursor"].as_str().unwrap();
    let (status, body) = page(&app, &key, &format!("?after={third}&limit=3")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["id"], first[3]["id"]);
    assert_eq!(body["has_more"], true);

    // An erasure: one event per erased answer, with ids only; the earlier events of those
    // answers no longer carry what they said.
    let erase = call(&app, Method::DELETE, "/v1/respondents/p0", &app.fixture.secret_key, None).await;
    assert_eq!(erase.status(), 200);
    let (more, _) = read_until(&app, &key, cursor, 4).await;
    assert_eq!(more.len(), 4);
    assert!(more.iter().all(|e| e["type"] == "response.erased"));
    assert!(more.iter().all(|e| e["data"].as_object().unwrap().len() == 2), "{:?}", more[0]);
    let (_, again) = page(&app, &key, "?limit=100").await;
    let erased_created: Vec<&Value> =
        again["data"].as_array().unwrap().iter().filter(|e| e["data"]["erased"] == true).collect();
    assert_eq!(erased_created.len(), 4);
    assert!(erased_created.iter().all(|e| e["data"].get("comment").is_none()));

    // Another project sees none of it; a key without the scope is refused.
    let other = other_project(&app);
    let other_key = secret_key_for(&app, other.project_id);
    let (status, body) = page(&app, &other_key, "").await;
    assert_eq!((status, body["data"].clone()), (200, json!([])));
    let reader = secret_key(&app, &[Scope::ResponsesRead]);
    assert_eq!(page(&app, &reader, "").await.0, 403);
    for bad in ["?after=bm9wZQ", "?limit=0", "?limit=5000"] {
        let (status, problem) = page(&app, &key, bad).await;
        assert_eq!(status, 422, "{bad}: {problem}");
    }
}

fn secret_key_for(app: &TestApp, project: Uuid) -> String {
    use feedbackd_core::manage;
    use feedbackd_domain::KeyKind;
    crate::helpers::wait(manage::create_key(
        &app.db.services(),
        project,
        KeyKind::Secret,
        &[Scope::ResponsesExport],
        "t",
    ))
    .unwrap()
    .token
}

#[tokio::test]
async fn concurrent_commits_leave_no_gap_for_a_reader_following_the_feed() {
    let app = webhook_app(true).await;
    let key = secret_key(&app, &[Scope::ResponsesExport]);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, address, token) =
                (app.client.clone(), app.address.clone(), app.fixture.publishable_key.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..25 {
                    let id = Uuid::now_v7();
                    let body = json!({"id": id, "survey": "nps-main", "score": (w + i) % 11});
                    let response = client
                        .post(format!("{address}/v1/responses"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 201);
                    ids.push(id.to_string());
                }
                ids
            })
        })
        .collect();
    // The reader follows the feed while the writers commit.
    let (events, _) = read_until(&app, &key, None, 200).await;
    let mut acknowledged = HashSet::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    let seen: Vec<String> = events.iter().map(|e| e["data"]["id"].as_str().unwrap().to_string()).collect();
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), 200, "each event once");
    assert_eq!(unique, acknowledged, "every acknowledged answer, none skipped by the cursor");
    assert!(events.windows(2).all(|w| position(&w[0]) < position(&w[1])), "strictly in order");
}

#[tokio::test]
async fn a_cursor_older_than_retention_is_gone() {
    let app = webhook_app(true).await;
    let key = secret_key(&app, &[Scope::ResponsesExport]);
    for i in 0..6 {
        let body = json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": i});
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
    let (events, _) = read_until(&app, &key, None, 6).await;
    let early = events[1]["cursor"].as_str().unwrap().to_string();
    // Retention takes the oldest four.
    app.execute(&format!(
        "UPDATE events SET occurred_at = now() - interval '30 days' WHERE position <= {}",
        position(&events[3])
    ));
    let horizon = chrono::Utc::now() - chrono::Duration::days(14);
    let deleted = app
        .db
        .services()
        .run(move |conn| feedbackd_store::events::delete_before(conn, horizon, 100))
        .await
        .unwrap();
    assert_eq!(deleted, 4);
    let (status, problem) = page(&app, &key, &format!("?after={early}")).await;
    assert_eq!(status, 410, "{problem}");
    assert_eq!(problem["type"], "https://feedbackd.dev/problems/gone");
    // From the last removed event on, the feed is whole.
    let fine = events[3]["cursor"].as_str().unwrap();
    let (status, body) = page(&app, &key, &format!("?after={fine}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["id"], events[4]["id"]);
}

#[test]
fn a_rolled_back_write_leaves_no_event() {
    use feedbackd_store::models::NewAnswer;
    let db = crate::helpers::TestDb::new();
    let fixture = crate::helpers::fixture(&db.url, &["https://app.example.com"]);
    let mut conn = db.connect();
    conn.begin_test_transaction().unwrap();
    let row = NewAnswer {
        project_id: fixture.project_id,
        id: Uuid::now_v7(),
        survey_id: fixture.nps_survey_id,
        survey_version: 1,
        respondent_id: None,
        score: feedbackd_domain::Scale { min: 0, max: 10 }.score(7),
        comment: None,
        category: None,
        attributes: json!({}),
        context: json!({}),
        client_ip: None,
        client_time: None,
        answered_at: chrono::Utc::now(),
        late: false,
        answers: None,
    };
    let stored = feedbackd_store::responses::insert_batch(&mut conn, &[row], Duration::ZERO).unwrap();
    assert!(stored[0].created);
    let inside = crate::helpers::count(&mut conn, "SELECT count(*) FROM events");
    assert_eq!(inside, 1, "the event is written with the answer");
    drop(conn);
    let after = crate::helpers::count(&mut db.connect(), "SELECT count(*) FROM events");
    assert_eq!(after, 0, "and rolled back with it");
}
