//! Weekly survey digests (issue 18): made from answers dated over past weeks with the time
//! the test chooses, once per survey and week however often (and however concurrently)
//! they are asked for, with the figures the read API gives for the same week, in the
//! project's time zone, only where an endpoint wants them, and delivered by the dispatcher.

use crate::helpers::TestApp;
use crate::insights_support::{survey_id, survey_id_in, ts};
use crate::mgmt_support::{call, create_survey, json, other_project};
use crate::webhook_support::{dispatcher, settle, verifies, webhook_app, Receiver};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use feedbackd_core::webhooks::digest::{generate_digests, Digest};
use feedbackd_insights::stats::Z95;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Monday 2025-03-10, noon UTC: the week of 3 March has ended everywhere by then.
const NOW: &str = "2025-03-10T12:00:00Z";
/// That week and the one before it, in UTC.
const WEEK: (&str, &str) = ("2025-03-03T00:00:00Z", "2025-03-10T00:00:00Z");
const BEFORE: (&str, &str) = ("2025-02-24T00:00:00Z", "2025-03-03T00:00:00Z");

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 time")
}

async fn make_digests(app: &TestApp, now: &str) -> u64 {
    generate_digests(&app.db.services(), at(now)).await.expect("making digests")
}

/// One answer: score, comment, when.
type Answer<'a> = (Option<i16>, Option<&'a str>, &'a str);

/// Writes answers of one survey straight into the database, dated as the test says (no
/// `response.created` events: only digests are in the feed).
fn insert(app: &TestApp, project_id: Uuid, survey_id: Uuid, answers: &[Answer]) {
    diesel::sql_query(
        "INSERT INTO responses (project_id, id, survey_id, survey_version, score, comment, attributes, answered_at) \
         SELECT $1, gen_random_uuid(), $2, 1, u.score, u.comment, '{}', u.at \
         FROM unnest($3::int2[], $4::text[], $5::timestamptz[]) AS u(score, comment, at)",
    )
    .bind::<SqlUuid, _>(project_id)
    .bind::<SqlUuid, _>(survey_id)
    .bind::<Array<Nullable<diesel::sql_types::Int2>>, _>(answers.iter().map(|a| a.0).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(answers.iter().map(|a| a.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(answers.iter().map(|a| at(a.2)).collect::<Vec<_>>())
    .execute(&mut app.db.connect())
    .expect("inserting answers");
}

/// Scored answers without comments, all at `when`.
fn scores<'a>(list: &[i16], when: &'a str) -> Vec<Answer<'a>> {
    list.iter().map(|&s| (Some(s), None, when)).collect()
}

/// Creates an endpoint of the fixture's project (or with `token`'s); returns it.
async fn endpoint(app: &TestApp, token: &str, body: Value) -> Value {
    let r = call(app, Method::POST, "/v1/webhooks", token, Some(&body)).await;
    assert_eq!(r.status(), 201);
    json(r).await
}

#[derive(QueryableByName)]
struct DigestEvent {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    survey_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    data: Option<Value>,
}

/// The project's digests, by survey key, each from its `survey.digest` event; fails if a
/// survey has two.
fn digests(app: &TestApp, project_id: Uuid) -> BTreeMap<String, Digest> {
    let rows: Vec<DigestEvent> = diesel::sql_query(
        "SELECT survey_id, data FROM events WHERE project_id = $1 AND type = 'survey.digest' ORDER BY id",
    )
    .bind::<SqlUuid, _>(project_id)
    .load(&mut app.db.connect())
    .unwrap();
    let mut out = BTreeMap::new();
    for row in rows {
        let digest: Digest = serde_json::from_value(row.data.expect("a digest has data")).unwrap();
        assert_eq!(row.survey_id, Some(digest.survey_id), "the event names the digest's survey");
        let key = digest.survey_key.clone();
        assert!(out.insert(key.clone(), digest).is_none(), "two digests of {key}");
    }
    out
}

/// A summary's metrics as a digest states them: the headline value and its interval.
fn headline(metric: &str, m: &Value) -> (Option<f64>, Option<(f64, f64)>) {
    let f = |v: &Value| v.as_f64();
    match metric {
        "NPS" => f(&m["nps"]["score"]).map_or((None, None), |s| {
            let moe = f(&m["nps"]["margin_of_error"]).unwrap();
            (Some(s), Some((s - moe, s + moe)))
        }),
        "CSAT" => f(&m["csat"]["satisfied_share"]).map_or((None, None), |s| {
            let i = &m["csat"]["satisfied_interval"];
            (Some(100.0 * s), Some((100.0 * f(&i["low"]).unwrap(), 100.0 * f(&i["high"]).unwrap())))
        }),
        "CES" => f(&m["ces"]["mean"]).map_or((None, None), |mean| {
            let se = f(&m["ces"]["mean_standard_error"]).unwrap();
            (Some(mean), Some((mean - Z95 * se, mean + Z95 * se)))
        }),
        "mean" => (f(&m["mean"]), None),
        other => panic!("no headline for {other}"),
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (a, b) => a == b,
    }
}

/// The read API's summary of `[from, to)` for `survey`: its current metrics.
async fn summary(app: &TestApp, survey: &str, (from, to): (&str, &str)) -> Value {
    let path = format!("/v1/surveys/{survey}/summary?from={}&to={}", ts(at(from)), ts(at(to)));
    let (status, body) = app.read(&path).await;
    assert_eq!(status, 200, "{body}");
    body["current"].clone()
}

/// Checks a scored survey's digest against the read API's summaries of the week and the
/// week before, and returns its figures.
async fn assert_matches_summary(app: &TestApp, d: &Digest) {
    let key = &d.survey_key;
    let now = summary(app, key, WEEK).await;
    let before = summary(app, key, BEFORE).await;
    let (value, interval) = headline(&d.metric, &now);
    assert!(close(d.value, value), "{key}: value {:?}, summary {:?}", d.value, value);
    assert_eq!(d.interval.is_some(), interval.is_some(), "{key}: interval");
    if let (Some(a), Some(b)) = (d.interval, interval) {
        assert!(close(Some(a.0), Some(b.0)) && close(Some(a.1), Some(b.1)), "{key}: {a:?} vs {b:?}");
    }
    assert_eq!(d.responses, now["count"].as_u64().unwrap(), "{key}: responses");
    let change = value.zip(headline(&d.metric, &before).0).map(|(a, b)| a - b);
    assert!(close(d.change, change), "{key}: change {:?}, summaries {:?}", d.change, change);
}

#[tokio::test]
async fn weekly_digests_have_the_summary_figures_and_are_made_once() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    let secret = app.fixture.secret_key.clone();
    endpoint(&app, &secret, json!({"url": receiver.url, "event_types": ["survey.digest"]})).await;
    create_survey(&app, json!({"key": "stars", "kind": "rating", "question": "Q?"})).await;
    create_survey(&app, json!({"key": "old", "kind": "nps", "question": "Q?"})).await;
    create_survey(&app, json!({"key": "gone", "kind": "nps", "question": "Q?"})).await;
    let (pid, id) = (app.fixture.project_id, |key| survey_id(&app, key));
    let (week, before) = ("2025-03-05T10:00:00Z", "2025-02-26T10:00:00Z");
    let mut nps = scores(&[10, 10, 9, 8, 3, 0, 7], week);
    nps.extend([
        // The week's first instant is in it, the next week's first is not.
        (Some(10), None, WEEK.0),
        (Some(0), None, WEEK.1),
        (Some(9), Some("dark mode please"), week),
        (Some(10), Some("dark mode would be great"), week),
        (Some(2), Some("login broken"), week),
        (Some(3), Some("login broken again"), before),
        (Some(4), Some("login broken still"), before),
        (Some(8), Some("price high"), before),
    ]);
    nps.extend(scores(&[10, 5, 6, 9, 9], before));
    insert(&app, pid, id("nps-main"), &nps);
    insert(&app, pid, id("csat"), &[scores(&[5, 4, 3, 5, 1], week), scores(&[2, 5], before)].concat());
    // No answers the week before: no change to state.
    insert(&app, pid, id("ces"), &scores(&[1, 2, 7, 3], week));
    let text = [(None, Some("love it"), week), (None, Some("meh"), week), (None, Some("ok"), before)];
    insert(&app, pid, id("feedback"), &text);
    // Quiet this week, not the week before: its digest says so.
    insert(&app, pid, id("paused"), &scores(&[10, 2], before));
    insert(&app, pid, id("stars"), &[scores(&[4, 5], week), scores(&[3], before)].concat());
    // Answers three weeks ago only, and an archived survey: no digest.
    insert(&app, pid, id("old"), &scores(&[10], "2025-02-12T10:00:00Z"));
    insert(&app, pid, id("gone"), &scores(&[10], week));
    let r = call(&app, Method::POST, "/v1/surveys/gone/archive", &secret, None).await;
    assert_eq!(r.status(), 200);

    // The comment task's work, done here: the digests name the themes the API reports.
    feedbackd_store::comment_analysis::analyse_pending(&mut app.db.connect(), 10_000).unwrap();

    // Two replicas at once, then a restart: one digest each.
    let (a, b) = tokio::join!(make_digests(&app, NOW), make_digests(&app, NOW));
    assert_eq!(a + b, 6, "nps-main, csat, ces, feedback, paused and stars ({a} + {b})");
    assert_eq!(make_digests(&app, NOW).await, 0);
    assert_eq!(make_digests(&app, "2025-03-16T23:59:00Z").await, 0, "the next week has not ended");
    assert_eq!(app.count("SELECT count(*) FROM survey_digests WHERE period_start = '2025-03-03'"), 6);

    let made = digests(&app, pid);
    let keys: Vec<&str> = made.keys().map(String::as_str).collect();
    assert_eq!(keys, ["ces", "csat", "feedback", "nps-main", "paused", "stars"]);
    for d in made.values() {
        assert_eq!((d.period.as_str(), d.time_zone.as_str()), ("week", "UTC"));
        assert_eq!((d.start.to_string(), d.end.to_string()), ("2025-03-03".into(), "2025-03-10".into()));
        if d.metric != "responses" {
            assert_matches_summary(&app, d).await;
        }
    }
    let metrics: Vec<&str> = made.values().map(|d| d.metric.as_str()).collect();
    assert_eq!(metrics, ["CES", "CSAT", "responses", "NPS", "NPS", "mean"]);
    // Known scores. NPS: 11 answers in the week, 6 promoters and 3 detractors; 8 before,
    // 3 and 4. CSAT: 3 of 5 satisfied, 1 of 2 before. CES: no week before.
    let n = &made["nps-main"];
    assert_eq!(n.responses, 11);
    assert!(close(n.value, Some(300.0 / 11.0)) && close(n.change, Some(300.0 / 11.0 + 12.5)), "{n:?}");
    assert_eq!((made["ces"].value, made["ces"].change), (Some(3.25), None));
    assert!(close(made["csat"].value, Some(60.0)) && close(made["csat"].change, Some(10.0)));
    assert!(close(made["stars"].value, Some(4.5)) && close(made["stars"].change, Some(1.5)));
    let quiet = &made["paused"];
    assert_eq!((quiet.responses, quiet.value, quiet.interval, quiet.change), (0, None, None, None));
    let f = &made["feedback"];
    assert_eq!((f.responses, f.value, f.interval, f.change), (2, None, None, None));

    let terms = format!("/v1/surveys/nps-main/terms?limit=10&from={}&to={}", ts(at(WEEK.0)), ts(at(WEEK.1)));
    let (_, terms) = app.read(&terms).await;
    let rising: Vec<&str> =
        terms["rising"].as_array().unwrap().iter().map(|t| t["term"].as_str().unwrap()).collect();
    assert!(rising.contains(&"dark mode"), "{terms}");
    assert_eq!(n.rising_terms, rising, "the digest's rising terms are the terms API's");

    let themes = format!(
        "/v1/surveys/nps-main/themes?limit=5&min_count=2&from={}&to={}",
        ts(at(WEEK.0)),
        ts(at(WEEK.1))
    );
    let (_, themes) = app.read(&themes).await;
    let keys: Vec<&str> =
        themes["themes"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"dark mode"), "{themes}");
    assert_eq!(
        n.themes.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(),
        keys,
        "the digest's themes are the API's"
    );
    let dark = n.themes.iter().find(|t| t.key == "dark mode").unwrap();
    assert_eq!((dark.mentions, dark.label.as_str()), (2, "dark mode"));
}

#[tokio::test]
async fn a_project_in_another_time_zone_gets_its_own_weeks() {
    let app = webhook_app(false).await;
    let secret = app.fixture.secret_key.clone();
    let r =
        call(&app, Method::PATCH, "/v1/project", &secret, Some(&json!({"time_zone": "Asia/Tokyo"}))).await;
    assert_eq!(r.status(), 200);
    endpoint(&app, &secret, json!({"url": "https://hooks.example.com/d", "event_types": ["survey.digest"]}))
        .await;
    // Tokyo is UTC+9: its week of 3 March is [2 March 15:00, 9 March 15:00) in UTC.
    let answers = [
        (Some(0), None, "2025-03-02T14:00:00Z"), // Sunday 23:00 in Tokyo: the week before
        (Some(10), None, "2025-03-02T16:00:00Z"), // Monday 01:00: the week
        (Some(0), None, "2025-03-09T16:00:00Z"), // the next Monday: not yet
    ];
    insert(&app, app.fixture.project_id, app.fixture.nps_survey_id, &answers);
    assert_eq!(make_digests(&app, NOW).await, 1);
    let d = &digests(&app, app.fixture.project_id)["nps-main"];
    assert_eq!((d.start.to_string(), d.time_zone.as_str()), ("2025-03-03".into(), "Asia/Tokyo"));
    assert_eq!((d.responses, d.value, d.change), (1, Some(100.0), Some(200.0)));
    // The read API, asked for those local days in Tokyo, says the same.
    let (_, s) = app.read("/v1/surveys/nps-main/summary?from=2025-03-03&to=2025-03-09&tz=Asia/Tokyo").await;
    assert_eq!(
        (s["current"]["count"].as_u64(), s["current"]["nps"]["score"].as_f64()),
        (Some(1), Some(100.0))
    );
}

#[tokio::test]
async fn digests_are_made_only_where_an_endpoint_wants_them() {
    let app = webhook_app(false).await;
    let secret = app.fixture.secret_key.clone();
    let url = "https://hooks.example.com/d";
    let only_nps = json!({"url": url, "event_types": ["survey.digest"], "survey_ids": ["nps-main"]});
    endpoint(&app, &secret, only_nps).await;
    let other = other_project(&app);
    let disabled = json!({"url": url, "event_types": ["survey.digest"], "enabled": false});
    endpoint(&app, &other.secret_key, disabled).await;
    endpoint(&app, &other.secret_key, json!({"url": url, "event_types": ["response.created"]})).await;
    for (project, key) in [(app.fixture.project_id, "nps-main"), (app.fixture.project_id, "csat")] {
        insert(&app, project, survey_id_in(&app, project, key), &scores(&[5], WEEK.0));
    }
    insert(&app, other.project_id, other.nps_survey_id, &scores(&[5], WEEK.0));
    assert_eq!(make_digests(&app, NOW).await, 1);
    let made: Vec<String> = digests(&app, app.fixture.project_id).into_keys().collect();
    assert_eq!(made, ["nps-main"], "the endpoint wants nps-main only");
    assert!(digests(&app, other.project_id).is_empty());
    let other_rows = format!("SELECT count(*) FROM survey_digests WHERE project_id = '{}'", other.project_id);
    assert_eq!(app.count(&other_rows), 0, "no enabled digest endpoint, no digest");
}

#[tokio::test]
async fn the_dispatcher_delivers_digests_signed_and_as_chat_messages() {
    let app = webhook_app(false).await;
    let (standard, slack) = (Receiver::start().await, Receiver::start().await);
    let secret = app.fixture.secret_key.clone();
    let body = json!({"url": standard.url, "event_types": ["survey.digest"]});
    let signing = endpoint(&app, &secret, body).await["secret"].as_str().unwrap().to_string();
    let body = json!({"url": slack.url, "event_types": ["survey.digest"], "format": "slack"});
    endpoint(&app, &secret, body).await;
    let week = "2025-03-05T10:00:00Z";
    insert(&app, app.fixture.project_id, app.fixture.nps_survey_id, &scores(&[10, 10, 3], week));
    assert_eq!(make_digests(&app, NOW).await, 1);

    let d = dispatcher(&app, true);
    settle(&app, &d).await;
    assert_eq!(d.run_once(Utc::now()).await.unwrap().delivered, 2);
    let digest = &digests(&app, app.fixture.project_id)["nps-main"];
    let got = standard.received();
    assert_eq!(got.len(), 1);
    assert!(verifies(&signing, &got[0]), "signed for the endpoint");
    let envelope = got[0].json();
    assert_eq!(envelope["type"], "survey.digest");
    assert_eq!(serde_json::from_value::<Digest>(envelope["data"].clone()).unwrap(), *digest);
    let message = slack.received()[0].json();
    let text = message["text"].as_str().unwrap();
    assert!(text.starts_with("NPS digest for nps-main, week of 2025-03-03 (UTC): 33.3"), "{text}");
    assert!(text.ends_with("3 responses"), "{text}");
    assert!(message["blocks"].as_array().is_some_and(|b| !b.is_empty()));
}

#[tokio::test]
async fn a_pmf_survey_digest_states_its_pmf_score_and_change() {
    let app = webhook_app(false).await;
    let receiver = Receiver::start().await;
    let secret = app.fixture.secret_key.clone();
    endpoint(&app, &secret, json!({"url": receiver.url, "event_types": ["survey.digest"]})).await;
    create_survey(
        &app,
        json!({"key": "pmf", "kind": "choice", "question": "How would you feel?",
        "questions": [{"key": "main", "kind": "choice", "options": [
            {"key": "very_disappointed", "label": "Very"}, {"key": "not_disappointed", "label": "Not"}]}]}),
    )
    .await;
    let (pid, sid) = (app.fixture.project_id, survey_id(&app, "pmf"));
    // The week: 3 of 4 very disappointed; the week before: 1 of 2.
    let picks = [
        ("very", "2025-03-05T10:00:00Z"),
        ("very", "2025-03-06T10:00:00Z"),
        ("very", "2025-03-07T10:00:00Z"),
        ("not", "2025-03-07T11:00:00Z"),
        ("very", "2025-02-26T10:00:00Z"),
        ("not", "2025-02-27T10:00:00Z"),
    ];
    for (pick, when) in picks {
        let option = if pick == "very" { "very_disappointed" } else { "not_disappointed" };
        diesel::sql_query(
            "INSERT INTO responses (project_id, id, survey_id, survey_version, attributes, answers, answered_at) \
             VALUES ($1, gen_random_uuid(), $2, 1, '{}', $3, $4)",
        )
        .bind::<SqlUuid, _>(pid)
        .bind::<SqlUuid, _>(sid)
        .bind::<Jsonb, _>(json!({"main": {"options": [option]}}))
        .bind::<Timestamptz, _>(at(when))
        .execute(&mut app.db.connect())
        .unwrap();
    }
    make_digests(&app, NOW).await;
    let made = digests(&app, pid);
    let d = &made["pmf"];
    assert_eq!((d.metric.as_str(), d.responses), ("PMF", 4));
    assert!(close(d.value, Some(75.0)) && close(d.change, Some(25.0)), "{d:?}");
    let (low, high) = d.interval.expect("a Wilson interval");
    assert!(low < 75.0 && 75.0 < high, "{d:?}");
}
