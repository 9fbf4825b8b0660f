//! Webhook delivery with time in the test's hands (issue 18): the dispatcher is driven
//! pass by pass with the `now` the test chooses, against the real PostgreSQL and a real
//! local receiver, so the retry schedule, `Retry-After`, `410`, the five-day rule, leases
//! and the SSRF refusal are checked without sleeping.

use crate::helpers::TestApp;
use crate::mgmt_support::{call, json};
use crate::webhook_support::{dispatcher, settle, webhook_app, Receiver, Reply};
use chrono::{DateTime, Duration as Span, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_core::webhooks::dispatch::PassReport;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

async fn endpoint(app: &TestApp, url: &str) -> Value {
    let body = json!({"url": url, "event_types": ["response.created"]});
    let response = call(app, Method::POST, "/v1/webhooks", &app.fixture.secret_key, Some(&body)).await;
    assert_eq!(response.status(), 201);
    json(response).await
}

async fn answer(app: &TestApp) -> Uuid {
    let id = Uuid::now_v7();
    let body = json!({"id": id, "survey": "nps-main", "score": 2, "comment": "slow"});
    assert_eq!(app.post_answer(&body).await.status(), 201);
    id
}

#[derive(QueryableByName, Debug)]
struct DeliveryRow {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    next_attempt_at: Option<DateTime<Utc>>,
}

fn deliveries(app: &TestApp) -> Vec<DeliveryRow> {
    diesel::sql_query("SELECT state, next_attempt_at FROM webhook_deliveries ORDER BY created_at, id")
        .load(&mut app.db.connect())
        .unwrap()
}

#[derive(QueryableByName)]
struct EndpointRow {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    enabled: bool,
    #[diesel(sql_type = Nullable<Text>)]
    disabled_reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    failing_since: Option<DateTime<Utc>>,
}

fn endpoint_row(app: &TestApp, id: &str) -> EndpointRow {
    diesel::sql_query("SELECT enabled, disabled_reason, failing_since FROM webhook_endpoints WHERE id = $1")
        .bind::<SqlUuid, _>(Uuid::parse_str(id).unwrap())
        .get_result(&mut app.db.connect())
        .unwrap()
}

fn attempted(report: PassReport) -> u64 {
    report.attempted
}

#[tokio::test]
async fn failed_deliveries_follow_the_retry_schedule_then_fail() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    receiver.script((0..8).map(|_| Reply::from(500)));
    endpoint(&app, &receiver.url).await;
    answer(&app).await;
    let d = dispatcher(&app, true);
    let t0 = trunc(Utc::now());
    settle(&app, &d).await;
    assert_eq!(attempted(d.run_once(t0).await.unwrap()), 1);
    let schedule = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
    let mut at = t0;
    for (n, wait) in schedule.iter().enumerate() {
        let next = deliveries(&app)[0].next_attempt_at.expect("pending");
        let gap = (next - at).num_milliseconds() as f64 / 1000.0;
        let wait = *wait as f64;
        assert!(
            gap >= wait && gap <= wait * 1.1 + 0.01,
            "retry {}: waited {gap} s, schedule says {wait} s",
            n + 1
        );
        // Not before it is due.
        let early = next - Span::milliseconds(500);
        assert_eq!(attempted(d.run_once(early).await.unwrap()), 0, "retry {} went early", n + 1);
        assert_eq!(attempted(d.run_once(next).await.unwrap()), 1);
        at = next;
    }
    let last = &deliveries(&app)[0];
    assert_eq!((last.state.as_str(), last.next_attempt_at), ("failed", None), "eight attempts, then failed");
    let got = receiver.received();
    assert_eq!(got.len(), 8);
    let first_id = got[0].header("webhook-id").unwrap();
    assert!(got.iter().all(|r| r.header("webhook-id") == Some(first_id)), "one webhook-id on every retry");
    assert_eq!(
        app.count("SELECT count(*) FROM webhook_attempts WHERE outcome = 'failed' AND status = 500"),
        8
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_success_heals_the_endpoint() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    receiver.script([Reply { status: 429, headers: vec![("retry-after", "120".into())] }, Reply::from(503)]);
    let made = endpoint(&app, &receiver.url).await;
    answer(&app).await;
    let d = dispatcher(&app, true);
    let t0 = Utc::now();
    settle(&app, &d).await;
    d.run_once(t0).await.unwrap();
    let next = deliveries(&app)[0].next_attempt_at.unwrap();
    assert!((next - trunc(t0)).num_seconds() >= 120, "Retry-After: 120 beats the 5 s retry");
    assert_eq!(endpoint_row(&app, made["id"].as_str().unwrap()).failing_since, Some(trunc(t0)));
    assert_eq!(attempted(d.run_once(t0 + Span::seconds(60)).await.unwrap()), 0);
    d.run_once(next).await.unwrap();
    let next = deliveries(&app)[0].next_attempt_at.unwrap();
    let report = d.run_once(next).await.unwrap();
    assert_eq!(report.delivered, 1);
    let row = endpoint_row(&app, made["id"].as_str().unwrap());
    assert!(row.enabled && row.failing_since.is_none(), "a success ends the failure streak");
}

/// PostgreSQL keeps microseconds.
fn trunc(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap()
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_enabling_it_sends_what_waited() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    receiver.script([Reply::from(410)]);
    let made = endpoint(&app, &receiver.url).await;
    let id = made["id"].as_str().unwrap();
    answer(&app).await;
    let d = dispatcher(&app, true);
    let t0 = Utc::now();
    settle(&app, &d).await;
    d.run_once(t0).await.unwrap();
    let row = endpoint_row(&app, id);
    assert!(!row.enabled);
    assert_eq!(row.disabled_reason.as_deref(), Some("the endpoint answered 410 Gone"));
    assert_eq!(deliveries(&app)[0].state, "failed");
    // A disabled endpoint is sent nothing new; once it is on again, a replay of the time it
    // was off brings what it missed (and the answer it refused), with the same ids.
    answer(&app).await;
    settle(&app, &d).await;
    assert_eq!(attempted(d.run_once(t0 + Span::seconds(1)).await.unwrap()), 0);
    assert_eq!(deliveries(&app).len(), 1, "nothing queued for a disabled endpoint");
    let on = call(
        &app,
        Method::PATCH,
        &format!("/v1/webhooks/{id}"),
        &app.fixture.secret_key,
        Some(&json!({"enabled": true})),
    )
    .await;
    assert_eq!(json(on).await["disabled_reason"], Value::Null);
    let range = json!({"from": t0 - Span::minutes(1), "to": Utc::now() + Span::minutes(1)});
    let replay =
        call(&app, Method::POST, &format!("/v1/webhooks/{id}/replay"), &app.fixture.secret_key, Some(&range))
            .await;
    assert_eq!(json(replay).await["queued"], 2);
    assert_eq!(d.run_once(Utc::now()).await.unwrap().delivered, 2);
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    assert!(
        got[1..].iter().any(|r| r.header("webhook-id") == got[0].header("webhook-id")),
        "the refused one keeps its id"
    );
}

#[tokio::test]
async fn five_days_of_failures_disable_the_endpoint() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    receiver.script((0..10).map(|_| Reply::from(500)));
    let made = endpoint(&app, &receiver.url).await;
    let id = made["id"].as_str().unwrap();
    answer(&app).await;
    let d = dispatcher(&app, true);
    let t0 = Utc::now();
    settle(&app, &d).await;
    d.run_once(t0).await.unwrap();
    // Four days later it still fails, and stays on.
    answer(&app).await;
    settle(&app, &d).await;
    d.run_once(t0 + Span::days(4)).await.unwrap();
    assert!(endpoint_row(&app, id).enabled);
    answer(&app).await;
    settle(&app, &d).await;
    d.run_once(t0 + Span::days(5) + Span::minutes(1)).await.unwrap();
    let row = endpoint_row(&app, id);
    assert!(!row.enabled, "failing for five days disables it");
    assert!(row.disabled_reason.unwrap().starts_with("every attempt has failed since"));
}

#[tokio::test]
async fn addresses_that_resolve_inside_are_refused_at_delivery() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    // The API allowed loopback when the endpoint was made; the dispatcher does not.
    let url = receiver.url.replace("127.0.0.1", "localhost");
    endpoint(&app, &url).await;
    answer(&app).await;
    let d = dispatcher(&app, false);
    settle(&app, &d).await;
    d.run_once(Utc::now()).await.unwrap();
    assert!(receiver.received().is_empty(), "nothing was sent");
    assert_eq!(app.count("SELECT count(*) FROM webhook_attempts WHERE outcome = 'refused'"), 1);
    assert_eq!(deliveries(&app)[0].state, "pending", "refused is a failure: retried on the schedule");
}

#[tokio::test]
async fn a_lease_hides_a_claimed_stream_until_it_runs_out() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    endpoint(&app, &receiver.url).await;
    answer(&app).await;
    let (a, b) = (dispatcher(&app, true), dispatcher(&app, true));
    let t0 = Utc::now();
    // Replica A numbers the event and takes the endpoint's stream, then dies before sending.
    settle(&app, &a).await;
    let claimed = app
        .db
        .services()
        .run(move |conn| feedbackd_store::webhook_streams::claim(conn, t0, t0 + Span::seconds(60), 10))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(attempted(b.run_once(t0 + Span::seconds(30)).await.unwrap()), 0, "A's lease holds");
    assert_eq!(
        b.run_once(t0 + Span::seconds(61)).await.unwrap().delivered,
        1,
        "B takes it once the lease is over"
    );
    assert_eq!(receiver.received().len(), 1);
    // A comes back and ends its batch late: its lease is gone, so it moves nothing.
    let late = app
        .db
        .services()
        .run(move |conn| feedbackd_store::webhook_streams::advance(conn, &claimed[0], 1, &[]))
        .await
        .unwrap();
    assert!(late.is_none(), "a lost lease writes nothing");
    assert_eq!(app.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'"), 1);
}

#[tokio::test]
async fn one_endpoint_with_a_backlog_does_not_starve_another() {
    let app = webhook_app(false).await;
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.script((0..11).map(|_| Reply::from(503)));
    fast.script([Reply::from(503)]);
    endpoint(&app, &slow.url).await;
    for _ in 0..10 {
        answer(&app).await;
    }
    let d = dispatcher(&app, true);
    settle(&app, &d).await;
    // Each endpoint reads the feed through its own stream: both are taken at once.
    let now = Utc::now();
    endpoint(&app, &fast.url).await;
    answer(&app).await;
    settle(&app, &d).await;
    let streams = app
        .db
        .services()
        .run(move |conn| feedbackd_store::webhook_streams::claim(conn, now, now, 10))
        .await
        .unwrap();
    assert_eq!(streams.len(), 2, "one stream per endpoint, whatever the other's backlog");
    // Every first attempt fails (503), so the retries are rows: a claim takes at most four
    // of the busy endpoint's and still gives the other its turn.
    let report = d.run_once(now).await.unwrap();
    assert_eq!((report.attempted, report.delivered), (12, 0));
    let later = now + Span::seconds(10);
    let claimed = app
        .db
        .services()
        .run(move |conn| {
            feedbackd_store::webhooks::claim_due(conn, later, later + Span::seconds(60), 100, 4, &[])
        })
        .await
        .unwrap();
    let mut per_endpoint = std::collections::HashMap::new();
    for c in &claimed {
        *per_endpoint.entry(c.endpoint_id).or_insert(0) += 1;
    }
    let mut counts: Vec<i32> = per_endpoint.values().copied().collect();
    counts.sort();
    assert_eq!(
        counts,
        vec![1, 4],
        "at most four at once for the busy endpoint, and the other one gets its turn"
    );
}

#[tokio::test]
async fn a_chat_endpoint_gets_a_slack_message() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    let body = json!({"url": receiver.url, "event_types": ["response.created"], "format": "slack"});
    assert_eq!(
        call(&app, Method::POST, "/v1/webhooks", &app.fixture.secret_key, Some(&body)).await.status(),
        201
    );
    answer(&app).await;
    let d = dispatcher(&app, true);
    settle(&app, &d).await;
    d.run_once(Utc::now()).await.unwrap();
    let got = receiver.received();
    let message = got[0].json();
    assert!(message["text"].as_str().unwrap().contains("nps-main"), "{message}");
    assert!(message["blocks"].as_array().is_some_and(|b| !b.is_empty()));
    assert!(message.to_string().contains("slow"), "the comment is in the message");
}

#[tokio::test]
async fn a_stream_passes_over_what_its_endpoint_does_not_want_and_stops_before_what_it_left_out() {
    let app = webhook_app(false).await;
    let body = json!({"url": "http://127.0.0.1:9/", "event_types": ["response.created"],
                      "condition": {"band": "detractor"}});
    let made = call(&app, Method::POST, "/v1/webhooks", &app.fixture.secret_key, Some(&body)).await;
    assert_eq!(made.status(), 201);
    // Feed positions 1..=10; the detractors (score 2) are at 5, 6 and 8.
    for score in [9, 9, 9, 9, 2, 2, 9, 2, 9, 9] {
        let answer = json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": score});
        assert_eq!(app.post_answer(&answer).await.status(), 201);
    }
    settle(&app, &dispatcher(&app, true)).await;
    let batch = |read: i64, send: usize| {
        let db = app.db.services();
        async move {
            let now = Utc::now();
            db.run(move |conn| {
                let mut claims = feedbackd_store::webhook_streams::claim(conn, now, now, 1)?;
                let claim = claims.pop().expect("the stream is behind");
                let (_, events, reached) =
                    feedbackd_store::webhook_streams::next_batch(conn, &claim, read, send)?.unwrap();
                feedbackd_store::webhook_streams::advance(conn, &claim, reached, &[])?;
                Ok::<_, feedbackd_store::StoreError>((
                    events.iter().map(|e| e.position).collect::<Vec<_>>(),
                    reached,
                ))
            })
            .await
            .unwrap()
        }
    };
    // Reading at most 4 events (chunks of 2 × send) finds none wanted, and moves past them.
    assert_eq!(batch(4, 2).await, (vec![], 4));
    // One at a time: 5 fills the batch, and the stream stops just before 6, left out.
    assert_eq!(batch(100, 1).await, (vec![5], 5));
    assert_eq!(batch(100, 1).await, (vec![6], 7));
    // The rest in one chunk, to the end of the feed.
    assert_eq!(batch(100, 5).await, (vec![8], 10));
    let caught_up = app
        .db
        .services()
        .run(|conn| {
            let now = Utc::now();
            feedbackd_store::webhook_streams::claim(conn, now, now, 1)
        })
        .await
        .unwrap();
    assert!(caught_up.is_empty(), "nothing left behind");
}
