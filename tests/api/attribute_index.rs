//! Indexing an attribute key (`feedbackd project index`): its rollups are filled exactly
//! from the stored answers, reports switch to them with the same numbers, later answers
//! keep them exact, unindexing goes back to raw rows, and writers racing the backfill lose
//! nothing. The backfill walks in chunks behind a watermark (migration 000210): at every
//! moment the key's rollups count exactly the answers at or after it, reports read raw
//! rows until the walk ends, and a walk that stopped goes on where it was.

use crate::helpers::{spawn_app_with, wait, without_rate_limits, TestApp};
use crate::insights_support::*;
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Int2, Nullable, Text, Uuid as SqlUuid};
use diesel::RunQueryDsl;
use feedbackd_core::manage::indexing::{set_indexed, set_indexed_in_chunks, IndexChange};
use feedbackd_store::indexing::{self as store, Watermark};
use std::collections::BTreeMap;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn index(app: &TestApp, key: &str, on: bool) -> IndexChange {
    wait(set_indexed(&app.db.services(), app.fixture.project_id, key, on)).expect("indexing")
}

/// `(value, score) → count` of one dimension in the hourly rollups, or from the raw rows.
fn counts(app: &TestApp, sql: &str) -> BTreeMap<(Option<String>, i16), i64> {
    #[derive(diesel::QueryableByName)]
    struct Cell {
        #[diesel(sql_type = Nullable<Text>)]
        value: Option<String>,
        #[diesel(sql_type = Int2)]
        score: i16,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(app.fixture.project_id)
        .load::<Cell>(&mut app.db.connect())
        .unwrap()
        .into_iter()
        .filter(|c| c.n != 0)
        .map(|c| ((c.value, c.score), c.n))
        .collect()
}

const ROLLED_UP: &str = "SELECT value, score, sum(count)::int8 AS n FROM score_rollups \
                         WHERE project_id = $1 AND dimension = 'plan' GROUP BY 1, 2";
/// Answers without a score count as score -1, as the trigger counts them.
const RAW: &str = "SELECT left(attributes ->> 'plan', 128) AS value, coalesce(score, -1::int2) AS score, \
                   count(*) AS n FROM responses WHERE project_id = $1 AND attributes ? 'plan' GROUP BY 1, 2";

#[tokio::test]
async fn an_indexed_attribute_is_read_from_rollups_with_the_raw_numbers() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let rows = random_rows(11, 1500, utc("2026-06-01T00:00:00Z"), Duration::days(4), 0, 10);
    let mut rows = insert_sealed(&app, survey, rows, utc("2026-06-03T00:00:00Z"));
    let (from, to) = (utc("2026-06-01T05:17:00Z"), utc("2026-06-04T20:40:00Z"));
    let breakdown = format!(
        "/v1/surveys/nps-main/breakdown?by=attributes.plan&from={}&to={}&min_count=1",
        ts(from),
        ts(to)
    );
    let filtered =
        format!("/v1/surveys/nps-main/summary?attributes.plan=pro&from={}&to={}", ts(from), ts(to));
    let check = |body: &serde_json::Value, rows: &[Row]| {
        for s in body["segments"].as_array().unwrap() {
            let value = s["value"].as_str().unwrap();
            let expected = fold(rows, from, to, |r| r.plan == value);
            assert_eq!(distribution(s), expected, "{value}");
        }
        assert_eq!(body["segments"].as_array().unwrap().len(), PLANS.len());
    };

    let (status, before) = app.read(&breakdown).await;
    assert_eq!((status, before["plan"].as_str()), (200, Some("raw")), "{before}");
    check(&before, &rows);

    let change = index(&app, "attributes.plan", true);
    assert!(change.changed && change.hourly_rows > 0 && change.daily_rows > 0, "{change:?}");
    assert_eq!(change.indexed_attributes.last().map(String::as_str), Some("plan"));
    assert!(!index(&app, "plan", true).changed, "indexing again changes nothing");
    assert_eq!(counts(&app, ROLLED_UP), counts(&app, RAW));

    let (_, after) = app.read(&breakdown).await;
    assert_eq!(after["plan"], "rollups");
    check(&after, &rows);
    assert_eq!(after["segments"], before["segments"]);
    let (_, summary) = app.read(&filtered).await;
    assert_eq!(summary["plan"], "rollups");
    assert_eq!(distribution(&summary["current"]), fold(&rows, from, to, |r| r.plan == "pro"));

    // Later answers, into sealed days and open ones, go to the new dimension too.
    let late = random_rows(12, 400, utc("2026-06-01T00:00:00Z"), Duration::days(4), 0, 10);
    insert(&app, survey, &late);
    rows.extend(late);
    assert_eq!(counts(&app, ROLLED_UP), counts(&app, RAW));
    let (_, later) = app.read(&breakdown).await;
    check(&later, &rows);

    let removed = index(&app, "plan", false);
    assert!(removed.changed && removed.hourly_rows > 0, "{removed:?}");
    assert!(!removed.indexed_attributes.contains(&"plan".to_string()));
    assert!(counts(&app, ROLLED_UP).is_empty());
    let (_, raw_again) = app.read(&breakdown).await;
    assert_eq!(raw_again["plan"], "raw");
    assert_eq!(raw_again["segments"], later["segments"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_racing_the_backfill_are_counted_once() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-06-01T00:00:00Z");
    insert(&app, survey, &random_rows(21, 3000, start, Duration::days(3), 0, 10));
    std::thread::scope(|scope| {
        for seed in 0..3 {
            let app = &app;
            scope.spawn(move || {
                for round in 0..6 {
                    let rows = random_rows(100 + seed * 10 + round, 150, start, Duration::days(3), 0, 10);
                    insert(app, survey, &rows);
                }
            });
        }
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(30));
            assert!(index(&app, "plan", true).changed);
        });
    });
    assert_eq!(counts(&app, ROLLED_UP), counts(&app, RAW));
}

/// Cells of dimension `plan` in the hourly and the day rollups that differ from the raw
/// answers they must count: those at or after the walk's watermark while a walk is under
/// way, all of them once it is done, none while `plan` is not indexed (day rows: sealed
/// days only).
const PLAN_MISMATCHES: &str = "
    WITH mark AS (
        SELECT coalesce((SELECT counted_from FROM attribute_backfills WHERE project_id = $1 AND key = 'plan'),
                        CASE WHEN 'plan' = ANY(indexed_attributes) THEN '-infinity' ELSE 'infinity' END::timestamptz)
               AS counted_from
        FROM projects WHERE id = $1
    ), raw AS (
        SELECT r.survey_id, left(r.attributes ->> 'plan', 128) AS value,
               date_trunc('hour', r.answered_at, 'UTC') AS bucket, coalesce(r.score, -1::int2) AS score,
               count(*) AS n
        FROM responses r, mark
        WHERE r.project_id = $1 AND r.attributes ? 'plan' AND r.answered_at >= mark.counted_from
        GROUP BY 1, 2, 3, 4
    ), hourly AS (
        SELECT survey_id, value, bucket, score, count AS n FROM score_rollups
        WHERE project_id = $1 AND dimension = 'plan' AND count <> 0
    ), raw_days AS (
        SELECT r.survey_id, r.value, date_trunc('day', r.bucket, 'UTC') AS day, r.score, sum(r.n) AS n
        FROM raw r JOIN rollup_seals s ON (s.project_id, s.survey_id) = ($1, r.survey_id)
        WHERE r.bucket < s.sealed_before GROUP BY 1, 2, 3, 4
    ), daily AS (
        SELECT survey_id, value, day, score, count::numeric AS n FROM score_rollups_daily
        WHERE project_id = $1 AND dimension = 'plan' AND count <> 0
    )
    SELECT count(*) AS n FROM (
        (SELECT * FROM raw EXCEPT SELECT * FROM hourly) UNION ALL (SELECT * FROM hourly EXCEPT SELECT * FROM raw)
        UNION ALL
        (SELECT * FROM raw_days EXCEPT SELECT * FROM daily) UNION ALL (SELECT * FROM daily EXCEPT SELECT * FROM raw_days)
    ) diff";

/// (mismatching cells, whether a walk was under way), read in one snapshot.
fn plan_mismatches(app: &TestApp) -> (i64, bool) {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect();
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let walking =
                diesel::sql_query("SELECT count(*) AS n FROM attribute_backfills WHERE project_id = $1")
                    .bind::<SqlUuid, _>(app.fixture.project_id)
                    .get_result::<N>(conn)?;
            let wrong = diesel::sql_query(PLAN_MISMATCHES)
                .bind::<SqlUuid, _>(app.fixture.project_id)
                .get_result::<N>(conn)?;
            Ok::<_, diesel::result::Error>((wrong.n, walking.n > 0))
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_moment_of_a_chunked_backfill_is_exact_while_writers_insert_and_erase() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-06-01T00:00:00Z");
    // Sealed days, late answers into them, and erased answers, before the walk starts.
    insert_sealed(
        &app,
        survey,
        random_rows(31, 3000, start, Duration::days(4), 0, 10),
        utc("2026-06-03T00:00:00Z"),
    );
    // Answers without a score (a text survey's), in sealed days and open ones: the trigger
    // counts them as -1, and so must the walk.
    app.execute(&format!(
        "INSERT INTO responses (project_id, id, survey_id, survey_version, attributes, answered_at) \
         SELECT '{}', gen_random_uuid(), '{survey}', 1, jsonb_build_object('plan', 'free'), \
                TIMESTAMPTZ '2026-06-01Z' + i * interval '97 minutes' FROM generate_series(1, 50) AS i",
        app.fixture.project_id
    ));
    let done = std::sync::atomic::AtomicBool::new(false);
    let (checks, change) = std::thread::scope(|scope| {
        for seed in 0..3 {
            let app = &app;
            scope.spawn(move || {
                for round in 0..8 {
                    let rows = random_rows(200 + seed * 10 + round, 120, start, Duration::days(4), 0, 10);
                    insert(app, survey, &rows);
                    // Erase some of them again: answers the walk may or may not have counted.
                    let erased: Vec<uuid::Uuid> = rows.iter().step_by(7).map(|r| r.id).collect();
                    diesel::sql_query("DELETE FROM responses WHERE project_id = $1 AND id = ANY($2)")
                        .bind::<SqlUuid, _>(app.fixture.project_id)
                        .bind::<diesel::sql_types::Array<SqlUuid>, _>(erased)
                        .execute(&mut app.db.connect())
                        .unwrap();
                }
            });
        }
        let checker = scope.spawn(|| {
            let mut mid_walk = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let (wrong, walking) = plan_mismatches(&app);
                assert_eq!(wrong, 0, "rollups and the raw answers at or after the watermark differ");
                mid_walk += walking as usize;
            }
            mid_walk
        });
        let indexer = scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(30));
            let change =
                wait(set_indexed_in_chunks(&app.db.services(), app.fixture.project_id, "plan", true, 100));
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            change.expect("indexing")
        });
        let change = indexer.join().unwrap();
        (checker.join().unwrap(), change)
    });
    assert!(change.changed && change.filled && change.chunks > 20, "{change:?}");
    assert!(checks > 0, "the checker saw no moment of the walk");
    assert_eq!(plan_mismatches(&app), (0, false));
    assert_eq!(counts(&app, ROLLED_UP), counts(&app, RAW));
}

#[tokio::test]
async fn a_stopped_backfill_reads_raw_rows_and_goes_on_where_it_was() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let rows = random_rows(41, 2000, utc("2026-06-01T00:00:00Z"), Duration::days(4), 0, 10);
    let rows = insert_sealed(&app, survey, rows, utc("2026-06-03T00:00:00Z"));
    let (from, to) = (utc("2026-06-01T00:00:00Z"), utc("2026-06-05T00:00:00Z"));
    let breakdown = format!(
        "/v1/surveys/nps-main/breakdown?by=attributes.plan&from={}&to={}&min_count=1",
        ts(from),
        ts(to)
    );
    // A walk that stopped after three chunks, as a killed `project index` leaves it.
    let stop_walk = || {
        app.execute(&format!(
            "UPDATE projects SET indexed_attributes = array_append(indexed_attributes, 'plan') WHERE id = '{}'",
            app.fixture.project_id
        ));
        let mut conn = app.db.connect();
        let project = app.fixture.project_id;
        store::start_backfill(&mut conn, project, "plan").unwrap();
        for _ in 0..3 {
            let mark = store::backfill_watermark(&mut conn, project, "plan").unwrap().unwrap();
            let from = store::chunk_start(&mut conn, project, mark, 300).unwrap();
            assert!(from.is_some());
            store::fill_chunk(&mut conn, project, "plan", from, mark).unwrap();
        }
        let mark = store::backfill_watermark(&mut conn, project, "plan").unwrap();
        assert!(matches!(mark, Some(Watermark(Some(_)))), "{mark:?}");
    };
    stop_walk();
    assert_eq!(plan_mismatches(&app), (0, true));
    assert!(!counts(&app, ROLLED_UP).is_empty(), "three chunks filled something");
    let (status, half) = app.read(&breakdown).await;
    assert_eq!((status, half["plan"].as_str()), (200, Some("raw")), "{half}");
    for s in half["segments"].as_array().unwrap() {
        let value = s["value"].as_str().unwrap();
        assert_eq!(distribution(s), fold(&rows, from, to, |r| r.plan == value), "{value}");
    }

    let resumed = index(&app, "plan", true);
    assert!(!resumed.changed && resumed.filled && resumed.chunks > 0, "{resumed:?}");
    assert_eq!(plan_mismatches(&app), (0, false));
    assert_eq!(counts(&app, ROLLED_UP), counts(&app, RAW));
    let (_, whole) = app.read(&breakdown).await;
    assert_eq!(whole["plan"], "rollups");
    assert_eq!(whole["segments"], half["segments"]);
    assert_eq!(index(&app, "plan", true).chunks, 0, "a filled key is left alone");

    // Unindexed in the middle of a walk: the walk ends and its rollups go.
    index(&app, "plan", false);
    stop_walk();
    let removed = index(&app, "plan", false);
    assert!(removed.changed && removed.hourly_rows > 0, "{removed:?}");
    assert_eq!(plan_mismatches(&app), (0, false));
    assert!(counts(&app, ROLLED_UP).is_empty());
    let (_, raw_again) = app.read(&breakdown).await;
    assert_eq!((raw_again["plan"].as_str(), &raw_again["segments"]), (Some("raw"), &half["segments"]));
}

#[tokio::test]
async fn bad_keys_and_full_lists_are_refused() {
    let app = spawn_app_with(without_rate_limits).await;
    let db = app.db.services();
    for bad in ["", "attributes.", &"k".repeat(65), "a\0b"] {
        let refused = set_indexed(&db, app.fixture.project_id, bad, true).await;
        assert!(matches!(refused, Err(feedbackd_core::manage::ManageError::Invalid(_))), "{bad:?}");
    }
    let missing = set_indexed(&db, uuid::Uuid::new_v4(), "plan", true).await;
    assert!(matches!(missing, Err(feedbackd_core::manage::ManageError::NotFound(_))));
    let already = index(&app, "platform", true).indexed_attributes.len();
    for i in already..feedbackd_core::manage::indexing::MAX_INDEXED {
        assert!(index(&app, &format!("k{i}"), true).changed);
    }
    let full = set_indexed(&db, app.fixture.project_id, "one-more", true).await;
    assert!(matches!(full, Err(feedbackd_core::manage::ManageError::Conflict(_))), "{full:?}");
    for chunk in [0, -1, feedbackd_core::manage::indexing::MAX_CHUNK_ROWS + 1] {
        let refused = set_indexed_in_chunks(&db, app.fixture.project_id, "plan", true, chunk).await;
        assert!(matches!(refused, Err(feedbackd_core::manage::ManageError::Invalid(_))), "{chunk}");
    }
}
