//! Exactly-once under concurrency, rollups equal to the raw rows, and durability across a
//! database restart.

use crate::helpers::{fixture, spawn_app, spawn_app_with, start_server, without_rate_limits};
use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd::config::Config;
use feedbackd_domain::KeyKind;
use feedbackd_store::embedded::EmbeddedPostgres;
use rand::{Rng, SeedableRng};
use secrecy::ExposeSecret;
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[tokio::test]
async fn fifty_concurrent_replays_store_one_row_and_count_once() {
    let app = Arc::new(spawn_app().await);
    let answer =
        json!({"id": Uuid::now_v7(), "survey": "nps-main", "score": 10, "attributes": {"platform": "ios"}});
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (app, answer) = (app.clone(), answer.clone());
            tokio::spawn(async move { app.post_answer(&answer).await.status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 49, "{statuses:?}");
    assert_eq!(app.count("SELECT count(*) FROM responses"), 1);
    assert_eq!(app.count("SELECT sum(count)::bigint AS n FROM score_rollups WHERE dimension = ''"), 1);
    assert_eq!(
        app.count("SELECT sum(count)::bigint AS n FROM score_rollups WHERE dimension = 'platform'"),
        1
    );
    assert_eq!(app.count("SELECT sum(count)::bigint AS n FROM score_rollups_quarter"), 1);
}

/// Rows of (dimension, value, bucket, score, count) that differ between the rollups and a
/// recomputation from the raw answers.
const ROLLUP_MISMATCHES: &str = "
    WITH raw AS (
        SELECT r.project_id, r.survey_id, '' AS dimension, '' AS value,
               date_trunc('hour', r.answered_at, 'UTC') AS bucket, r.score, count(*) AS count
        FROM responses r WHERE r.score IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6
        UNION ALL
        SELECT r.project_id, r.survey_id, k, r.attributes ->> k,
               date_trunc('hour', r.answered_at, 'UTC'), r.score, count(*)
        FROM responses r JOIN projects p ON p.id = r.project_id, unnest(p.indexed_attributes) k
        WHERE r.score IS NOT NULL AND r.attributes ? k GROUP BY 1, 2, 3, 4, 5, 6
    ), rolled AS (SELECT * FROM score_rollups WHERE count <> 0)
    SELECT count(*) AS n FROM (
        (SELECT * FROM raw EXCEPT SELECT project_id, survey_id, dimension, value, bucket, score, count FROM rolled)
        UNION ALL
        (SELECT project_id, survey_id, dimension, value, bucket, score, count FROM rolled EXCEPT SELECT * FROM raw)
    ) diff";

const QUARTER_MISMATCHES: &str = "
    WITH raw AS (
        SELECT project_id, survey_id, date_bin('15 minutes', answered_at, TIMESTAMPTZ '2000-01-01Z') AS bucket,
               score, count(*) AS count
        FROM responses WHERE score IS NOT NULL GROUP BY 1, 2, 3, 4
    ), rolled AS (SELECT * FROM score_rollups_quarter WHERE count <> 0)
    SELECT count(*) AS n FROM ((SELECT * FROM raw EXCEPT SELECT * FROM rolled)
                               UNION ALL (SELECT * FROM rolled EXCEPT SELECT * FROM raw)) diff";

#[tokio::test]
async fn rollups_equal_a_recount_of_the_raw_rows_after_a_random_load() {
    let app = Arc::new(spawn_app_with(without_rate_limits).await);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xfeedbac);
    let platforms = ["web", "ios", "android"];
    let mut sent_ids = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..300 {
        // Some answers are replays of earlier ids, and some are backdated into other hours.
        let id = if !sent_ids.is_empty() && rng.gen_bool(0.15) {
            sent_ids[rng.gen_range(0..sent_ids.len())]
        } else {
            Uuid::now_v7()
        };
        sent_ids.push(id);
        let minutes_ago = rng.gen_range(0..(3 * 24 * 60));
        let when = (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc3339();
        let (survey, score) = match rng.gen_range(0..3) {
            0 => ("nps-main", rng.gen_range(0..=10)),
            1 => ("csat", rng.gen_range(1..=5)),
            _ => ("ces", rng.gen_range(1..=7)),
        };
        let mut attributes = json!({"plan": "pro"});
        if rng.gen_bool(0.8) {
            attributes["platform"] = json!(platforms[rng.gen_range(0..3)]);
        }
        let answer = json!({"id": id, "survey": survey, "score": score, "client_time": when, "attributes": attributes});
        let app = app.clone();
        tasks.push(tokio::spawn(async move { app.post_answer(&answer).await.status().as_u16() }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status == 200 || status == 201, "{status}");
    }
    let distinct = sent_ids.iter().collect::<HashSet<_>>().len() as i64;
    assert_eq!(app.count("SELECT count(*) FROM responses"), distinct);
    assert_eq!(app.count("SELECT sum(count)::bigint AS n FROM score_rollups WHERE dimension = ''"), distinct);
    assert_eq!(app.count(ROLLUP_MISMATCHES), 0);
    assert_eq!(app.count(QUARTER_MISMATCHES), 0);
}

/// Sends one answer until it is acknowledged; returns how many 503s it met.
async fn send_until_acknowledged(
    client: &reqwest::Client,
    address: &str,
    key: &str,
    id: Uuid,
    score: i64,
) -> usize {
    let mut unavailable = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let result = client
            .post(format!("{address}/v1/responses"))
            .bearer_auth(key)
            .json(&json!({"id": id, "survey": "nps-main", "score": score}))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match result.map(|r| r.status().as_u16()) {
            Ok(200 | 201) => return unavailable,
            Ok(503) => unavailable += 1,
            other => panic!("unexpected answer for {id}: {other:?}"),
        }
        assert!(Instant::now() < deadline, "{id} was never acknowledged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_acknowledged_answer_survives_a_database_restart_exactly_once() {
    let dir = std::env::temp_dir().join(format!("feedbackd-durability-{}", Uuid::new_v4().simple()));
    let pg = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || EmbeddedPostgres::start(&dir).expect("starting a private PostgreSQL")
    })
    .await
    .unwrap();
    let url = pg.url();
    let fixture = {
        let mut conn = PgConnection::establish(url.expose_secret()).unwrap();
        feedbackd_store::run_migrations(&mut conn).unwrap();
        fixture(url.expose_secret(), &[])
    };
    let mut config = Config::for_tests();
    without_rate_limits(&mut config);
    config.writer.timeout = Duration::from_secs(2);
    // Every request looks its key up through the pool, whose connections the restart kills.
    config.auth_cache_ttl = Duration::ZERO;
    let address = start_server(&config, &url);
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let unavailable = Arc::new(Mutex::new(0usize));
    const ANSWERS: usize = 400;
    const SENDERS: usize = 8;
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (client, address, key) = (client.clone(), address.clone(), fixture.publishable_key.clone());
            let (acknowledged, unavailable) = (acknowledged.clone(), unavailable.clone());
            tokio::spawn(async move {
                for i in (sender..ANSWERS).step_by(SENDERS) {
                    let id = Uuid::now_v7();
                    let refused = send_until_acknowledged(&client, &address, &key, id, (i % 11) as i64).await;
                    *unavailable.lock().unwrap() += refused;
                    acknowledged.lock().unwrap().push(id);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();
    // Take the database away partway through, then bring it back on the same port.
    while acknowledged.lock().unwrap().len() < ANSWERS / 4 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pg = tokio::task::spawn_blocking(move || {
        let mut pg = pg;
        pg.stop();
        std::thread::sleep(Duration::from_millis(1500));
        pg.start_again().expect("restarting PostgreSQL");
        pg
    })
    .await
    .unwrap();
    for sender in senders {
        sender.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), ANSWERS);
    let unavailable = *unavailable.lock().unwrap();
    assert!(unavailable > 0, "the outage was never seen; the test proved nothing");
    let mut conn = PgConnection::establish(url.expose_secret()).unwrap();
    // A key made after the restart is not in any cache: its lookup must go through the
    // pool, whose old connections the restart killed, and still succeed.
    let db = feedbackd_store::Db::new(&url, 2);
    let fresh = feedbackd_core::manage::create_key(&db, fixture.project_id, KeyKind::Publishable, &[], "")
        .await
        .unwrap();
    let refused = send_until_acknowledged(&client, &address, &fresh.token, Uuid::now_v7(), 5).await;
    eprintln!("a key made after the restart was refused {refused} times before it worked");
    let ids = acknowledged.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(",");
    let found =
        crate::helpers::count(&mut conn, &format!("SELECT count(*) FROM responses WHERE id IN ({ids})"));
    assert_eq!(found as usize, ANSWERS, "every acknowledged answer is stored");
    let stored = crate::helpers::count(&mut conn, "SELECT count(*) FROM responses") as usize;
    assert_eq!(stored, ANSWERS + 1, "and nothing twice (plus the fresh key's answer)");
    let counted = crate::helpers::count(
        &mut conn,
        "SELECT sum(count)::bigint AS n FROM score_rollups WHERE dimension = ''",
    );
    assert_eq!(counted as usize, ANSWERS + 1);
    eprintln!(
        "durability: {ANSWERS} acknowledged, {found} found, {unavailable} answered 503 during the outage"
    );
    drop(conn);
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_full_queue_is_answered_503_at_once_and_held_answers_commit_when_the_database_frees_up() {
    let app = Arc::new(
        spawn_app_with(|config| {
            config.writer.queue = 2;
            config.writer.writers = 1;
        })
        .await,
    );
    // Block the writer: it waits for this lock with its batch in hand.
    let mut blocker = app.db.connect();
    diesel::sql_query("BEGIN").execute(&mut blocker).unwrap();
    diesel::sql_query("LOCK TABLE responses IN ACCESS EXCLUSIVE MODE").execute(&mut blocker).unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let sent = Instant::now();
                let response = app.post_answer(&json!({"survey": "nps-main", "score": 9})).await;
                let retry_after = response.headers().get("retry-after").is_some();
                (response.status().as_u16(), retry_after, sent.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    diesel::sql_query("COMMIT").execute(&mut blocker).unwrap();
    let mut accepted = 0;
    let mut shed = 0;
    for task in tasks {
        let (status, retry_after, took) = task.await.unwrap();
        match status {
            201 => accepted += 1,
            503 => {
                shed += 1;
                assert!(retry_after, "a 503 carries Retry-After");
                assert!(took < Duration::from_millis(900), "shedding is immediate, took {took:?}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(shed >= 10, "most requests were shed: {shed} of 20");
    assert!(accepted >= 1, "the held answers were committed once the lock went");
    assert_eq!(app.count("SELECT count(*) FROM responses"), accepted);
    assert!(started.elapsed() < Duration::from_secs(5));
}
