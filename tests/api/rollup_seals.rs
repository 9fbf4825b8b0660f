//! Day rollups (migration 000030): sealing finished days, with writers racing the sealer,
//! must leave every sealed day's rows equal to the sum of its hours — the invariant that
//! lets reports read a day row instead of 24 hourly ones — and every month row equal to the
//! sum of its days (migration 000190).

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::{insert, random_rows};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::sql_types::{Array, Uuid as SqlUuid};
use diesel::RunQueryDsl;
use feedbackd_store::seals;

/// Day cells that differ from the sum of their hours, over the survey's sealed days, plus
/// day rows of days not sealed (there must be none).
fn cells_off(app: &TestApp) -> i64 {
    app.count(&format!(
        "WITH s AS (SELECT sealed_before FROM rollup_seals WHERE project_id = '{p}' AND survey_id = '{s}'), \
         h AS (SELECT dimension, value, date_trunc('day', bucket, 'UTC') AS day, score, sum(count) AS n \
               FROM score_rollups, s WHERE project_id = '{p}' AND survey_id = '{s}' AND bucket < s.sealed_before \
               GROUP BY 1, 2, 3, 4 HAVING sum(count) <> 0), \
         d AS (SELECT dimension, value, day, score, count AS n FROM score_rollups_daily \
               WHERE project_id = '{p}' AND survey_id = '{s}' AND count <> 0) \
         SELECT count(*) AS n FROM h FULL JOIN d USING (dimension, value, day, score) WHERE h.n IS DISTINCT FROM d.n",
        p = app.fixture.project_id,
        s = app.fixture.nps_survey_id
    ))
}

/// Month cells that differ from the sum of their days.
fn months_off(app: &TestApp) -> i64 {
    app.count(
        "WITH d AS (SELECT project_id, survey_id, dimension, value, date_trunc('month', day, 'UTC') AS month, score, \
                          sum(count) AS n FROM score_rollups_daily GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(count) <> 0), \
         m AS (SELECT project_id, survey_id, dimension, value, month, score, count AS n FROM score_rollups_monthly \
               WHERE count <> 0) \
         SELECT count(*) AS n FROM d FULL JOIN m USING (project_id, survey_id, dimension, value, month, score) \
         WHERE d.n IS DISTINCT FROM m.n",
    )
}

fn sealed_before(app: &TestApp) -> Option<DateTime<Utc>> {
    let mut conn = app.db.connect();
    feedbackd_store::insights::sealed_before(&mut conn, app.fixture.project_id, app.fixture.nps_survey_id)
        .unwrap()
}

#[tokio::test]
async fn sealed_days_equal_their_hours_while_writers_race_the_sealer() {
    let app = spawn_app_with(without_rate_limits).await;
    let (project, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    let start: DateTime<Utc> = "2026-05-01T00:00:00Z".parse().unwrap();
    let rows = random_rows(21, 6000, start, Duration::days(10), 0, 10);
    std::thread::scope(|scope| {
        // Writers add and erase answers all over the ten days while the seal moves day by day.
        scope.spawn(|| {
            for (i, chunk) in rows.chunks(200).enumerate() {
                insert(&app, survey, chunk);
                if i % 3 == 0 {
                    let ids: Vec<_> = chunk.iter().step_by(4).map(|r| r.id).collect();
                    diesel::sql_query("DELETE FROM responses WHERE project_id = $1 AND id = ANY($2)")
                        .bind::<SqlUuid, _>(project)
                        .bind::<Array<SqlUuid>, _>(ids)
                        .execute(&mut app.db.connect())
                        .unwrap();
                }
            }
        });
        scope.spawn(|| {
            let mut conn = app.db.connect();
            for day in 1..=8 {
                seals::seal_survey(&mut conn, project, survey, start + Duration::days(day)).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(40));
            }
        });
    });
    assert_eq!(sealed_before(&app), Some(start + Duration::days(8)));
    assert!(app.count("SELECT count(*) FROM score_rollups_daily") > 100, "the day rollups stayed empty");
    assert_eq!((cells_off(&app), months_off(&app)), (0, 0));

    // Sealing again finds nothing to do; sealing further goes on from the seal.
    let mut conn = app.db.connect();
    assert_eq!(seals::seal_survey(&mut conn, project, survey, start + Duration::days(8)).unwrap(), 0);
    assert_eq!(seals::seal_survey(&mut conn, project, survey, start + Duration::days(12)).unwrap(), 1);
    assert_eq!(sealed_before(&app), Some(start + Duration::days(12)));
    assert_eq!((cells_off(&app), months_off(&app)), (0, 0));
}

#[tokio::test]
async fn the_service_seals_finished_days_by_itself() {
    let app = spawn_app_with(|c| {
        without_rate_limits(c);
        c.seal_interval = Some(std::time::Duration::from_millis(200));
    })
    .await;
    let now = Utc::now();
    let rows = random_rows(4, 500, now - Duration::days(3), Duration::days(3), 0, 10);
    insert(&app, app.fixture.nps_survey_id, &rows);
    // Finished days up to an hour ago: the seal ends at the midnight before `now - 1h`.
    let expected = (now - Duration::hours(1)).duration_trunc(Duration::days(1)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sealed_before(&app) != Some(expected) || cells_off(&app) != 0 {
        assert!(std::time::Instant::now() < deadline, "not sealed: {:?}", sealed_before(&app));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sealed_answers = rows.iter().filter(|r| r.at < expected).count() as i64;
    assert_eq!(
        app.count(&format!(
            "SELECT coalesce(sum(count), 0)::int8 AS n FROM score_rollups_daily WHERE dimension = '' AND survey_id = '{}'",
            app.fixture.nps_survey_id
        )),
        sealed_answers
    );
}
