//! A survey's schedule (opens_at, closes_at) and response limit through the API, and its
//! history.

use crate::helpers::{spawn_app, TestApp};
use crate::mgmt_support::{call, create_survey, json};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use diesel::{OptionalExtension, RunQueryDsl};
use reqwest::{Method, Response};
use serde_json::{json, Value};

async fn patch(app: &TestApp, survey: &str, body: Value) -> Response {
    call(app, Method::PATCH, &format!("/v1/surveys/{survey}"), &app.fixture.secret_key, Some(&body)).await
}

/// The fields a 422 names.
async fn bad_fields(r: Response) -> Vec<String> {
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The survey_counters row of the fixture's NPS survey, if it has one.
fn counter(app: &TestApp) -> Option<i64> {
    #[derive(diesel::QueryableByName)]
    struct Answers {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!(
        "SELECT answers::bigint AS n FROM survey_counters WHERE survey_id = '{}'",
        app.fixture.nps_survey_id
    );
    diesel::sql_query(sql).get_result::<Answers>(&mut app.db.connect()).optional().unwrap().map(|row| row.n)
}

async fn history_kinds(app: &TestApp, survey: &str) -> Vec<Value> {
    let r =
        call(app, Method::GET, &format!("/v1/surveys/{survey}/history"), &app.fixture.secret_key, None).await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    body["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn schedule_times_without_an_offset_are_read_in_the_project_zone() {
    let app = spawn_app().await;
    let admin = &app.fixture.secret_key;
    let zone = json!({"time_zone": "America/New_York"});
    assert_eq!(call(&app, Method::PATCH, "/v1/project", admin, Some(&zone)).await.status(), 200);
    let survey = |opens: &str, closes: Option<&str>| json!({"key": "sched", "kind": "nps", "question": "Q?", "opens_at": opens, "closes_at": closes});

    // 02:30 on 8 March 2026 does not exist in New York: the clocks jump from 02:00 to 03:00.
    let r = call(&app, Method::POST, "/v1/surveys", admin, Some(&survey("2026-03-08T02:30", None))).await;
    assert_eq!(bad_fields(r).await, ["opens_at"]);
    // 01:30 on 1 November 2026 happens twice: the earlier (EDT, UTC-4) is taken.
    let created = create_survey(&app, survey("2026-11-01T01:30", Some("2026-12-01T09:00"))).await;
    assert_eq!(created["opens_at"], "2026-11-01T05:30:00Z");
    assert_eq!(created["closes_at"], "2026-12-01T14:00:00Z", "EST, UTC-5");
    assert!(created["response_limit"].is_null() && created["closed_at"].is_null());

    // An offset wins over the zone; closes_at must come after opens_at, whichever changed.
    let edited = json(patch(&app, "sched", json!({"closes_at": "2026-12-01T09:00:00+01:00"})).await).await;
    assert_eq!(
        (edited["opens_at"].as_str(), edited["closes_at"].as_str()),
        (Some("2026-11-01T05:30:00Z"), Some("2026-12-01T08:00:00Z"))
    );
    let r = patch(&app, "sched", json!({"closes_at": "2026-10-01T00:00"})).await;
    assert_eq!(bad_fields(r).await, ["closes_at"]);
    let r = patch(&app, "sched", json!({"opens_at": "soon"})).await;
    assert_eq!(bad_fields(r).await, ["opens_at"]);
    let r = patch(&app, "sched", json!({"response_limit": 0})).await;
    assert_eq!(bad_fields(r).await, ["response_limit"]);
    let r = patch(&app, "sched", json!({"response_limit": 100_000_001})).await;
    assert_eq!(bad_fields(r).await, ["response_limit"]);

    // Absent keeps a value; null clears it.
    let kept = json(patch(&app, "sched", json!({"question": "Still?"})).await).await;
    assert_eq!(kept["opens_at"], "2026-11-01T05:30:00Z");
    let cleared = json(patch(&app, "sched", json!({"opens_at": null})).await).await;
    assert!(cleared["opens_at"].is_null());
    assert_eq!(cleared["closes_at"], "2026-12-01T08:00:00Z");
}

#[tokio::test]
async fn a_response_limit_counts_stored_answers_and_closes_and_reopens_the_survey() {
    let app = spawn_app().await;
    for score in [1, 5, 9] {
        assert_eq!(app.post_answer(&json!({"survey": "nps-main", "score": score})).await.status(), 201);
    }
    assert_eq!(counter(&app), None, "an unlimited survey has no counter");

    let open = json(patch(&app, "nps-main", json!({"response_limit": 5})).await).await;
    assert_eq!((open["response_limit"].as_i64(), open["closed_at"].is_null()), (Some(5), true));
    assert_eq!(counter(&app), Some(3), "started from the answers stored");

    // A limit at or below the answers stored closes the survey, once.
    let closed = json(patch(&app, "nps-main", json!({"response_limit": 3})).await).await;
    assert!(closed["closed_at"].is_string(), "{closed}");
    let again = json(patch(&app, "nps-main", json!({"response_limit": 2})).await).await;
    assert_eq!(again["closed_at"], closed["closed_at"]);
    // Raising it above the count reopens it; removing it drops the counter.
    let reopened = json(patch(&app, "nps-main", json!({"response_limit": 10})).await).await;
    assert!(reopened["closed_at"].is_null());
    assert_eq!(counter(&app), Some(3));
    json(patch(&app, "nps-main", json!({"response_limit": 1})).await).await;
    let unlimited = json(patch(&app, "nps-main", json!({"response_limit": null})).await).await;
    assert!(unlimited["response_limit"].is_null() && unlimited["closed_at"].is_null());
    assert_eq!(counter(&app), None);

    let events = history_kinds(&app, "nps-main").await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created", "updated", "updated", "closed", "updated", "updated", "reopened", "updated", "closed",
            "updated", "reopened"
        ]
    );
    assert_eq!(events[3]["detail"], json!({"reason": "response_limit", "answers": 3}));
    assert_eq!(events[3]["at"], closed["closed_at"], "the event and the survey agree on when");
    assert_eq!(events[1]["detail"]["response_limit"], 5);

    // A limit given at creation starts counting from zero.
    let limited = create_survey(
        &app,
        json!({"key": "limited", "kind": "csat", "question": "Q?", "response_limit": 100}),
    )
    .await;
    let id = limited["id"].as_str().unwrap();
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM survey_counters WHERE survey_id = '{id}' AND answers = 0")),
        1
    );
}

#[tokio::test]
async fn a_limit_set_on_a_survey_with_answers_holds_at_ingest_and_raising_it_reopens() {
    let app = spawn_app().await;
    let answer = json!({"survey": "nps-main", "score": 9});
    for _ in 0..2 {
        assert_eq!(app.post_answer(&answer).await.status(), 201);
    }
    json(patch(&app, "nps-main", json!({"response_limit": 3})).await).await;
    // The writer goes on from the counter management started: one more fits, then it is full.
    assert_eq!(app.post_answer(&answer).await.status(), 201);
    let full = app.post_answer(&answer).await;
    assert_eq!(full.status(), 409);
    assert_eq!(json(full).await["type"], "https://feedbackd.dev/problems/survey-closed");
    let survey =
        json(call(&app, Method::GET, "/v1/surveys/nps-main", &app.fixture.secret_key, None).await).await;
    assert!(survey["closed_at"].is_string(), "{survey}");

    let reopened = json(patch(&app, "nps-main", json!({"response_limit": 5})).await).await;
    assert!(reopened["closed_at"].is_null());
    assert_eq!(app.post_answer(&answer).await.status(), 201);
    assert_eq!(counter(&app), Some(4));
    let stored = format!("SELECT count(*) FROM responses WHERE survey_id = '{}'", app.fixture.nps_survey_id);
    assert_eq!(app.count(&stored), 4, "the counter is the answers stored");
    let events = history_kinds(&app, "nps-main").await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "updated", "closed", "updated", "reopened"]);
}

#[tokio::test]
async fn setting_a_limit_waits_for_answers_in_flight_so_none_slips_past_the_count() {
    let app = spawn_app().await;
    let project = app.fixture.project_id;
    assert_eq!(app.post_answer(&json!({"survey": "nps-main", "score": 7})).await.status(), 201);
    // A writer's transaction in flight: it holds the writers' lock shared (its first insert
    // took it) and has not yet written the row for nps-main that it will commit.
    let mut writer = app.db.connect();
    let insert = |survey: &str| {
        format!(
            "INSERT INTO responses (project_id, id, survey_id, survey_version, score, answered_at) \
             SELECT '{project}', gen_random_uuid(), id, 1, 4, now() FROM surveys \
             WHERE project_id = '{project}' AND key = '{survey}'"
        )
    };
    for sql in ["BEGIN".to_string(), insert("csat")] {
        diesel::sql_query(sql).execute(&mut writer).unwrap();
    }
    let (client, address, token) = (app.client.clone(), app.address.clone(), app.fixture.secret_key.clone());
    let limit = tokio::spawn(async move {
        client
            .patch(format!("{address}/v1/surveys/nps-main"))
            .bearer_auth(token)
            .json(&json!({"response_limit": 2}))
            .send()
            .await
            .unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(!limit.is_finished(), "the count must wait for the writer in flight");
    for sql in [insert("nps-main"), "COMMIT".to_string()] {
        diesel::sql_query(sql).execute(&mut writer).unwrap();
    }
    let r = limit.await.unwrap();
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(counter(&app), Some(2), "both answers counted");
    assert!(body["closed_at"].is_string(), "2 answers reach a limit of 2: {body}");
}

#[tokio::test]
async fn changing_a_limit_while_a_writer_holds_its_counter_waits_without_deadlock() {
    let app = spawn_app().await;
    let (project, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    json(patch(&app, "nps-main", json!({"response_limit": 5})).await).await;
    // A writer's transaction as the writer runs it: the counter locked first, then the
    // answer inserted (which locks the survey's row for its foreign key), then counted.
    let mut writer = app.db.connect();
    for sql in [
        "BEGIN".to_string(),
        format!("SELECT answers FROM survey_counters WHERE survey_id = '{survey}' FOR UPDATE"),
    ] {
        diesel::sql_query(sql).execute(&mut writer).unwrap();
    }
    let (client, address, token) = (app.client.clone(), app.address.clone(), app.fixture.secret_key.clone());
    let raise = tokio::spawn(async move {
        client
            .patch(format!("{address}/v1/surveys/nps-main"))
            .bearer_auth(token)
            .json(&json!({"response_limit": 10, "question": "Raised?"}))
            .send()
            .await
            .unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for sql in [
        format!(
            "INSERT INTO responses (project_id, id, survey_id, survey_version, score, answered_at) \
             VALUES ('{project}', gen_random_uuid(), '{survey}', 1, 6, now())"
        ),
        format!("UPDATE survey_counters SET answers = answers + 1 WHERE survey_id = '{survey}'"),
        "COMMIT".to_string(),
    ] {
        diesel::sql_query(sql).execute(&mut writer).expect("the writer is not chosen as a deadlock victim");
    }
    let r = raise.await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["response_limit"], 10);
    assert_eq!(counter(&app), Some(1));
}

#[tokio::test]
async fn history_lists_events_and_the_schedules_openings_oldest_first() {
    let app = spawn_app().await;
    let admin = &app.fixture.secret_key;
    let start = Utc::now();
    // Written and read back at millisecond precision.
    let at_ms = |t: DateTime<Utc>| rfc3339(t).parse::<DateTime<Utc>>().unwrap();
    let (opens, closes) = (at_ms(start + Duration::seconds(1)), at_ms(start + Duration::seconds(2)));
    create_survey(
        &app,
        json!({"key": "timed", "kind": "ces", "question": "Q?",
               "opens_at": rfc3339(opens), "closes_at": rfc3339(closes)}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    assert_eq!(call(&app, Method::POST, "/v1/surveys/timed/pause", admin, None).await.status(), 200);
    let later = rfc3339(start + Duration::days(1));
    assert_eq!(patch(&app, "timed", json!({"closes_at": later})).await.status(), 200);
    assert_eq!(call(&app, Method::POST, "/v1/surveys/timed/resume", admin, None).await.status(), 200);

    let events = history_kinds(&app, "timed").await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "opened", "closed", "paused", "scheduled", "resumed"]);
    let at = |i: usize| events[i]["at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!((at(1), at(2)), (opens, closes));
    assert_eq!(events[1]["detail"], json!({"reason": "schedule"}));
    assert_eq!(events[2]["detail"], json!({"reason": "schedule"}));
    assert_eq!(
        events[4]["detail"]["closes_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
        later.parse::<DateTime<Utc>>().unwrap()
    );
    assert!((1..events.len()).all(|i| at(i - 1) <= at(i)), "{events:?}");

    let r = call(&app, Method::GET, "/v1/surveys/nope/history", admin, None).await;
    assert_eq!(r.status(), 404);
}
