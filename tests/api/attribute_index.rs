//! Indexing an attribute key (`feedbackd project index`): its rollups are filled exactly
//! from the stored answers, reports switch to them with the same numbers, later answers
//! keep them exact, unindexing goes back to raw rows, and writers racing the backfill lose
//! nothing.

use crate::helpers::{spawn_app_with, wait, without_rate_limits, TestApp};
use crate::insights_support::*;
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Int2, Nullable, Text, Uuid as SqlUuid};
use diesel::RunQueryDsl;
use feedbackd_core::manage::indexing::{set_indexed, IndexChange};
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
const RAW: &str = "SELECT left(attributes ->> 'plan', 128) AS value, score, count(*) AS n FROM responses \
                   WHERE project_id = $1 AND score IS NOT NULL AND attributes ? 'plan' GROUP BY 1, 2";

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
}
