//! Issue 21: background work on several replicas. Two sealers and two retention runs at once
//! (what two replicas' timers do) must leave the results as one would: every sealed day
//! equal to its hours, every answer past the retention deleted once, the rollups equal to
//! the rows that are left. Checked on the results, not on logs.

use crate::helpers::{spawn_app_with, without_rate_limits};
use crate::insights_support::{insert, random_rows};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::RunQueryDsl;
use feedbackd_store::{privacy, seals};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_seal_or_delete_the_same_work_twice() {
    let app = spawn_app_with(without_rate_limits).await;
    let (project, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    // Whole seconds: some answers sit exactly on hour boundaries, one of them on the
    // horizon, and PostgreSQL rounds nanoseconds where the bound parameter truncates them.
    let now = Utc::now().duration_trunc(Duration::seconds(1)).unwrap();
    let start: DateTime<Utc> = now - Duration::days(20);
    let rows = random_rows(77, 8000, start, Duration::days(19), 0, 10);
    insert(&app, survey, &rows);
    app.execute(&format!("UPDATE projects SET retention_days = 12 WHERE id = '{project}'"));
    let due = app.count(&format!(
        "SELECT count(*) FROM responses WHERE project_id = '{project}' AND answered_at < '{}'::timestamptz - interval '12 days'",
        now.to_rfc3339()
    ));
    let total = app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{project}'"));
    assert!(due > 1000 && due < total, "{due} of {total} due");

    // Two sealers (one per replica) over the same days, and two retention runs, at once.
    let db = app.db.services();
    let (a, b) = std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut conn = app.db.connect();
                for day in (0..=19).rev() {
                    seals::seal_survey(&mut conn, project, survey, now - Duration::days(day)).unwrap();
                }
            });
        }
        let retention = |db: feedbackd_store::Db| {
            scope.spawn(move || crate::helpers::wait(feedbackd_core::privacy::run_retention(&db, now, 500)))
        };
        let (a, b) = (retention(db.clone()), retention(db.clone()));
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let deleted: u64 = [&a, &b]
        .iter()
        .flat_map(|r| r.projects.iter().filter(|p| p.project_id == project).map(|p| p.answers_deleted))
        .sum();
    assert_eq!(deleted, due as u64, "every answer past the retention deleted once ({a:?} {b:?})");
    let left = app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{project}'"));
    assert_eq!(left, total - due);

    // Every sealed day equals the sum of its hours; the totals equal the rows left.
    let off = app.count(&format!(
        "WITH s AS (SELECT sealed_before FROM rollup_seals WHERE project_id = '{project}' AND survey_id = '{survey}'), \
         h AS (SELECT dimension, value, date_trunc('day', bucket, 'UTC') AS day, score, sum(count) AS n \
               FROM score_rollups, s WHERE project_id = '{project}' AND survey_id = '{survey}' \
               AND bucket < s.sealed_before GROUP BY 1, 2, 3, 4 HAVING sum(count) <> 0), \
         d AS (SELECT dimension, value, day, score, count AS n FROM score_rollups_daily \
               WHERE project_id = '{project}' AND survey_id = '{survey}' AND count <> 0) \
         SELECT count(*) AS n FROM h FULL JOIN d USING (dimension, value, day, score) WHERE h.n IS DISTINCT FROM d.n"
    ));
    assert_eq!(off, 0, "a day sealed twice (or missed) would differ from its hours");
    assert!(app.count("SELECT count(*) FROM score_rollups_daily WHERE count <> 0") > 50);
    let rolled = app.count(&format!(
        "SELECT coalesce(sum(count), 0)::int8 AS n FROM score_rollups WHERE project_id = '{project}' AND dimension = ''"
    ));
    assert_eq!(rolled, left, "the rollups lost exactly the deleted answers");
}

/// The deadlock the test above once hit (CI, 2026-12-03): retention's delete of empty
/// rollup rows waited on a row a sealer held while the sealer waited on one it held. Now
/// the delete skips rows another transaction holds, and a later run removes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_skips_empty_rollup_rows_another_transaction_holds() {
    let app = spawn_app_with(without_rate_limits).await;
    let (project, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    // Two monthly rows a year old that count nothing, as retention's subtractions leave them.
    app.execute(&format!(
        "INSERT INTO score_rollups_monthly (project_id, survey_id, dimension, value, month, score, count) \
         SELECT '{project}', '{survey}', '', '', date_trunc('month', now() - interval '1 year', 'UTC'), s, 0 \
         FROM (VALUES (5::smallint), (6::smallint)) AS v(s)"
    ));
    let left = |score: i64| {
        app.count(&format!(
            "SELECT count(*) FROM score_rollups_monthly WHERE project_id = '{project}' AND score = {score}"
        ))
    };
    let mut holder = app.db.connect();
    for sql in ["BEGIN", "UPDATE score_rollups_monthly SET count = count WHERE score = 5"] {
        diesel::sql_query(sql).execute(&mut holder).unwrap();
    }

    // Waiting for the held row would end in this timeout.
    let mut retention = app.db.connect();
    diesel::sql_query("SET statement_timeout = '10s'").execute(&mut retention).unwrap();
    let mut delete = || {
        privacy::delete_empty_rollups_before(&mut retention, project, Utc::now() - Duration::days(30), 500)
            .expect("the delete waited for a row another transaction holds")
    };
    assert_eq!(delete(), 1);
    assert_eq!((left(5), left(6)), (1, 0), "the free row went, the held one stayed");

    diesel::sql_query("COMMIT").execute(&mut holder).unwrap();
    assert_eq!(delete(), 1);
    assert_eq!(left(5), 0, "the next run takes the row once it is free");
}
