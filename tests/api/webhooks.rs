//! Webhooks end to end (issue 18): endpoints made through the API, answers posted to the
//! real service, deliveries received by a real local receiver, signed so that the
//! Standard Webhooks reference verifier accepts them.

use crate::mgmt_support::{call, json, other_project};
use crate::webhook_support::{verifies, webhook_app, Received, Receiver};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

async fn create_endpoint(app: &crate::helpers::TestApp, body: Value) -> Value {
    let response = call(app, Method::POST, "/v1/webhooks", &app.fixture.secret_key, Some(&body)).await;
    assert_eq!(response.status(), 201);
    json(response).await
}

fn by_type(received: &[Received]) -> HashMap<String, Vec<Value>> {
    let mut map: HashMap<String, Vec<Value>> = HashMap::new();
    for r in received {
        let body = r.json();
        map.entry(body["type"].as_str().unwrap().to_string()).or_default().push(body);
    }
    map
}

#[tokio::test]
async fn every_acknowledged_answer_is_delivered_once_signed_and_shaped_like_the_read_api() {
    let app = webhook_app(true).await;
    let receiver = Receiver::start().await;
    let endpoint = create_endpoint(
        &app,
        json!({"url": receiver.url, "event_types": ["response.created", "response.updated", "response.erased"],
               "description": "warehouse"}),
    )
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    // The secret is shown once: neither the list nor the endpoint shows it again.
    let listed = json(call(&app, Method::GET, "/v1/webhooks", &app.fixture.secret_key, None).await).await;
    assert!(!listed.to_string().contains(&secret[6..]));
    assert_eq!(listed["endpoints"][0]["id"], endpoint["id"]);

    let mut acknowledged = HashSet::new();
    for i in 0..40 {
        let id = Uuid::now_v7();
        let body = json!({"id": id, "survey": "nps-main", "score": i % 11, "respondent_id": format!("u{}", i % 7),
                          "comment": format!("answer {i} ✓ مرحبا <b>&</b>")});
        assert_eq!(app.post_answer(&body).await.status(), 201);
        // A replay of the same id is acknowledged again, and is no new event.
        if i % 10 == 0 {
            assert_eq!(app.post_answer(&body).await.status(), 200);
        }
        acknowledged.insert(id.to_string());
    }
    let received = receiver.wait_for(40, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received_all = receiver.received();
    assert_eq!(received_all.len(), received.len(), "no delivery beyond one per answer");
    let created = &by_type(&received_all)["response.created"];
    let delivered: HashSet<String> =
        created.iter().map(|b| b["data"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(created.len(), 40, "one delivery per acknowledged answer");
    assert_eq!(delivered, acknowledged, "exactly the acknowledged answers");
    for r in &received_all {
        assert!(verifies(&secret, r), "the reference verifier accepts {:?}", r.header("webhook-id"));
        assert!(r.header("webhook-id").unwrap().starts_with("msg_"));
        assert_eq!((r.path.as_str(), r.header("content-type")), ("/hook", Some("application/json")));
    }
    let ids: HashSet<&str> = received_all.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    assert_eq!(ids.len(), received_all.len(), "every delivery has its own webhook-id");

    // `data` has the read API's field names and values.
    let (status, list) = app.read("/v1/responses?survey=nps-main&limit=100").await;
    assert_eq!(status, 200);
    let first = &list["data"][0];
    let sent = created.iter().find(|b| b["data"]["id"] == first["id"]).unwrap();
    let mut expected = first.clone();
    expected.as_object_mut().unwrap().remove("highlight");
    // Sentiment and themes are found later; the webhook went out before.
    for field in ["sentiment", "sentiment_language", "themes"] {
        expected[field] = sent["data"][field].clone();
    }
    assert_eq!(sent["data"], expected);
    assert_eq!(sent["version"], 1);
    assert!(sent["id"].as_str().unwrap().starts_with("evt_"));

    // A follow-up and an erasure flow on too.
    let no_comment_id = Uuid::now_v7();
    let body = json!({"id": no_comment_id, "survey": "nps-main", "score": 3, "respondent_id": "late"});
    assert_eq!(app.post_answer(&body).await.status(), 201);
    let patch = app
        .client
        .patch(format!("{}/v1/responses/{no_comment_id}", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"comment": "forgot to say: the search is slow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    // Its creation and its follow-up go out before it is erased (an event whose answer is
    // erased first is skipped: nothing of an erased answer leaves the service).
    receiver.wait_for(42, Duration::from_secs(20)).await;
    let erase = call(&app, Method::DELETE, "/v1/respondents/late", &app.fixture.secret_key, None).await;
    assert_eq!(erase.status(), 200);
    let received = receiver.wait_for(43, Duration::from_secs(20)).await;
    let kinds = by_type(&received);
    let updated = &kinds["response.updated"];
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["data"]["id"], json!(no_comment_id));
    let erased = &kinds["response.erased"];
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0]["data"], json!({"id": no_comment_id, "survey_id": app.fixture.nps_survey_id}));
    assert!(!erased[0].to_string().contains("late"), "an erasure carries no personal data");

    // The delivery log shows each delivery with its attempt.
    let id = endpoint["id"].as_str().unwrap();
    // The last attempt is recorded just after the receiver answered it.
    let mut log = Value::Null;
    for _ in 0..100 {
        let path = format!("/v1/webhooks/{id}/deliveries?limit=200&state=pending");
        log = json(call(&app, Method::GET, &path, &app.fixture.secret_key, None).await).await;
        if log["deliveries"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(log["deliveries"], json!([]), "nothing left pending");
    let path = format!("/v1/webhooks/{id}/deliveries?limit=200");
    let log = json(call(&app, Method::GET, &path, &app.fixture.secret_key, None).await).await;
    let deliveries = log["deliveries"].as_array().unwrap();
    assert!(deliveries.len() >= 42, "{log}");
    assert!(deliveries.iter().all(|d| d["state"] == "delivered" || d["state"] == "skipped"), "{log}");
    let delivered = deliveries.iter().find(|d| d["state"] == "delivered").unwrap();
    assert_eq!(delivered["last_attempt"]["status"], 200, "{delivered}");
    assert_eq!(delivered["last_attempt"]["response"], "ok");
    let one = deliveries[0]["id"].as_str().unwrap();
    let detail = json(
        call(
            &app,
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries/{one}"),
            &app.fixture.secret_key,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["attempts"][0]["attempt"], 1, "{detail}");
    assert!(detail["attempts"][0]["latency_ms"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn a_resend_and_a_replay_keep_the_webhook_id() {
    let app = webhook_app(true).await;
    let receiver = Receiver::start().await;
    let endpoint =
        create_endpoint(&app, json!({"url": receiver.url, "event_types": ["response.created"]})).await;
    let id = endpoint["id"].as_str().unwrap();
    for i in 0..3 {
        let body = json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": i});
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
    let first = receiver.wait_for(3, Duration::from_secs(20)).await;
    let msg = first[0].header("webhook-id").unwrap().to_string();
    let path = format!("/v1/webhooks/{id}/deliveries/{msg}/resend");
    assert_eq!(call(&app, Method::POST, &path, &app.fixture.secret_key, None).await.status(), 202);
    let again = receiver.wait_for(4, Duration::from_secs(20)).await;
    assert_eq!(again[3].header("webhook-id"), Some(msg.as_str()));
    assert_eq!(again[3].body, first[0].body, "the same event, the same body");

    // A replay of the last hour queues all three again, with their ids (once the resend
    // is recorded: a replay leaves a delivery that is still on its way alone).
    for _ in 0..200 {
        if app.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'") == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let now = chrono::Utc::now();
    let range = json!({"from": now - chrono::Duration::hours(1), "to": now + chrono::Duration::minutes(1)});
    let replayed =
        call(&app, Method::POST, &format!("/v1/webhooks/{id}/replay"), &app.fixture.secret_key, Some(&range))
            .await;
    assert_eq!(replayed.status(), 202);
    let replayed = json(replayed).await;
    assert_eq!((replayed["queued"].clone(), replayed["resume_from"].clone()), (json!(3), Value::Null));
    let all = receiver.wait_for(7, Duration::from_secs(20)).await;
    let original: HashSet<_> = first.iter().map(|r| r.header("webhook-id").unwrap().to_string()).collect();
    let replay: HashSet<_> = all[4..].iter().map(|r| r.header("webhook-id").unwrap().to_string()).collect();
    assert_eq!(replay, original);
}

#[tokio::test]
async fn a_condition_and_a_survey_filter_choose_the_answers() {
    let app = webhook_app(true).await;
    let receiver = Receiver::start().await;
    create_endpoint(
        &app,
        json!({"url": receiver.url, "event_types": ["response.created"], "survey_ids": ["nps-main"],
               "condition": {"band": "detractor", "has_comment": true}}),
    )
    .await;
    let post = |survey: &'static str, score: i64, comment: Option<&'static str>| {
        let mut body = json!({"id": Uuid::now_v7(), "survey": survey, "score": score});
        if let Some(c) = comment {
            body["comment"] = json!(c);
        }
        body
    };
    let wanted = post("nps-main", 2, Some("too slow"));
    for body in [
        post("nps-main", 9, Some("great")),
        post("nps-main", 1, None),
        post("csat", 1, Some("bad")),
        wanted.clone(),
    ] {
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
    let got = receiver.wait_for(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_all = receiver.received();
    assert_eq!(got_all.len(), 1, "only the detractor with a comment: {:?}", got.len());
    assert_eq!(got_all[0].json()["data"]["id"], wanted["id"]);
}

#[tokio::test]
async fn endpoints_refuse_unsafe_urls_and_belong_to_their_project() {
    let app = webhook_app(false).await;
    let key = &app.fixture.secret_key;
    for url in [
        "http://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "http://example.com/hook",
        "https://user:pw@example.com/",
        "ftp://example.com/",
    ] {
        let response = call(
            &app,
            Method::POST,
            "/v1/webhooks",
            key,
            Some(&json!({"url": url, "event_types": ["response.created"]})),
        )
        .await;
        assert_eq!(response.status(), 422, "{url}");
        let problem = json(response).await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
    }
    let missing =
        call(&app, Method::POST, "/v1/webhooks", key, Some(&json!({"url": "https://hooks.example.com/x"})))
            .await;
    assert_eq!(json(missing).await["errors"][0]["field"], "event_types");
    let bad_event = call(
        &app,
        Method::POST,
        "/v1/webhooks",
        key,
        Some(&json!({"url": "https://hooks.example.com/x", "event_types": ["response.deleted"]})),
    )
    .await;
    assert_eq!(bad_event.status(), 422);
    let unknown_survey = call(&app, Method::POST, "/v1/webhooks", key,
        Some(&json!({"url": "https://hooks.example.com/x", "event_types": ["response.created"], "survey_ids": ["nope"]}))).await;
    assert_eq!(json(unknown_survey).await["errors"][0]["field"], "survey_ids[0]");

    let made = create_endpoint(
        &app,
        json!({"url": "https://hooks.example.com/x", "event_types": ["response.created"]}),
    )
    .await;
    let id = made["id"].as_str().unwrap();
    let other = other_project(&app);
    for (method, path) in [
        (Method::GET, format!("/v1/webhooks/{id}")),
        (Method::DELETE, format!("/v1/webhooks/{id}")),
        (Method::GET, format!("/v1/webhooks/{id}/deliveries")),
    ] {
        let response = call(&app, method.clone(), &path, &other.secret_key, None).await;
        assert_eq!(response.status(), 404, "{method} {path} from another project");
    }
    let listed = json(call(&app, Method::GET, "/v1/webhooks", &other.secret_key, None).await).await;
    assert_eq!(listed["endpoints"], json!([]));
    // The secret is sealed in the database: the stored bytes do not hold it.
    let secret = made["secret"].as_str().unwrap();
    let raw = base64_decode(&secret[6..]);
    let stored = app.count(&format!(
        "SELECT count(*) FROM webhook_endpoints WHERE position(decode('{}', 'hex') in secret) > 0",
        hex::encode(&raw)
    ));
    assert_eq!(stored, 0, "the raw secret is not in the row");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[tokio::test]
async fn a_rotation_signs_with_both_secrets_while_it_overlaps() {
    let app = webhook_app(true).await;
    let receiver = Receiver::start().await;
    let endpoint =
        create_endpoint(&app, json!({"url": receiver.url, "event_types": ["response.created"]})).await;
    let (id, old) = (endpoint["id"].as_str().unwrap(), endpoint["secret"].as_str().unwrap().to_string());
    let rotated = json(
        call(
            &app,
            Method::POST,
            &format!("/v1/webhooks/{id}/rotate-secret"),
            &app.fixture.secret_key,
            Some(&json!({"overlap_hours": 2})),
        )
        .await,
    )
    .await;
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    assert_eq!(
        app.post_answer(&json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": 5})).await.status(),
        201
    );
    let got = receiver.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].header("webhook-signature").unwrap().split(' ').count(), 2);
    assert!(verifies(&old, &got[0]) && verifies(&new, &got[0]), "both secrets verify during the overlap");

    // Without an overlap the old secret stops at once.
    let rotated = json(
        call(
            &app,
            Method::POST,
            &format!("/v1/webhooks/{id}/rotate-secret"),
            &app.fixture.secret_key,
            Some(&json!({"overlap_hours": 0})),
        )
        .await,
    )
    .await;
    let newest = rotated["secret"].as_str().unwrap();
    assert_eq!(
        app.post_answer(&json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": 6})).await.status(),
        201
    );
    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert!(verifies(newest, &got[1]) && !verifies(&new, &got[1]));
}
