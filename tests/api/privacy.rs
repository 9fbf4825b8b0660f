//! Privacy: erasure of a respondent (rows, contacts and rollup counts; other projects
//! untouched), retention (exactly the rows past the horizon, by the CLI and by the
//! server's background task), project privacy settings, and the IP policy at ingest.

use crate::helpers::{count, spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::{distribution, ts};
use crate::mgmt_support::{call, json, other_project, secret_key};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::sql_types::{Double, Integer, Timestamptz, Uuid as SqlUuid};
use diesel::RunQueryDsl;
use feedbackd_domain::Scope;
use reqwest::Method;
use std::collections::BTreeMap;
use std::process::Command;
use uuid::Uuid;

/// `n` answers of respondents `u0`..`u19` (scores and platforms cycling) spread evenly over
/// `[start, start + span)`, written in one statement (the rollup triggers count them).
fn insert_people(app: &TestApp, project: Uuid, survey: Uuid, n: i32, start: DateTime<Utc>, span: Duration) {
    diesel::sql_query(
        "INSERT INTO responses (project_id, id, survey_id, survey_version, respondent_id, score, attributes, answered_at) \
         SELECT $1, gen_random_uuid(), $2, 1, 'u' || (i % 20), (i * 7) % 11, \
                jsonb_build_object('platform', (ARRAY['ios', 'web', 'android'])[1 + i % 3]), \
                $3 + make_interval(secs => i * $4) \
         FROM generate_series(0, $5 - 1) AS i",
    )
    .bind::<SqlUuid, _>(project)
    .bind::<SqlUuid, _>(survey)
    .bind::<Timestamptz, _>(start)
    .bind::<Double, _>(span.num_milliseconds() as f64 / 1000.0 / f64::from(n))
    .bind::<Integer, _>(n)
    .execute(&mut app.db.connect())
    .expect("inserting answers");
}

/// Every rollup total and per-platform count of the project equals a count of its rows.
fn assert_rollups_exact(app: &TestApp, project: Uuid) {
    let raw = app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{project}'"));
    let rolled = app.count(&format!(
        "SELECT coalesce(sum(count), 0)::int8 AS n FROM score_rollups WHERE project_id = '{project}' AND dimension = ''"
    ));
    let quarter = app.count(&format!(
        "SELECT coalesce(sum(count), 0)::int8 AS n FROM score_rollups_quarter WHERE project_id = '{project}'"
    ));
    assert_eq!((rolled, quarter), (raw, raw));
    let mismatched = app.count(&format!(
        "SELECT count(*) FROM (SELECT survey_id, date_trunc('hour', answered_at) AS b, attributes->>'platform' AS v, score, count(*) AS c \
           FROM responses WHERE project_id = '{project}' GROUP BY 1, 2, 3, 4) raw \
         FULL JOIN (SELECT survey_id, bucket AS b, value AS v, score, count AS c FROM score_rollups \
           WHERE project_id = '{project}' AND dimension = 'platform' AND count > 0) r USING (survey_id, b, v, score) \
         WHERE raw.c IS DISTINCT FROM r.c"
    ));
    assert_eq!(mismatched, 0, "per-platform rollups equal the rows");
}

/// Counts per score of the survey's rows in `[from, to)`, straight from the table.
fn raw_distribution(
    app: &TestApp,
    survey: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<i16, u64> {
    #[derive(diesel::QueryableByName)]
    struct ScoreCount {
        #[diesel(sql_type = diesel::sql_types::SmallInt)]
        score: i16,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<ScoreCount> = diesel::sql_query(
        "SELECT score, count(*) AS n FROM responses WHERE survey_id = $1 AND answered_at >= $2 AND answered_at < $3 GROUP BY score",
    )
    .bind::<SqlUuid, _>(survey)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(&mut app.db.connect())
    .unwrap();
    rows.into_iter().map(|r| (r.score, r.n as u64)).collect()
}

#[tokio::test]
async fn erasure_removes_a_respondents_rows_and_counts_in_this_project_only() {
    let app = spawn_app_with(without_rate_limits).await;
    let (mine, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    let other = other_project(&app);
    let start: DateTime<Utc> = "2026-08-01T00:00:00Z".parse().unwrap();
    insert_people(&app, mine, survey, 4000, start, Duration::days(4));
    insert_people(&app, other.project_id, other.nps_survey_id, 400, start, Duration::days(4));
    let of = |project: Uuid, table: &str| {
        format!("SELECT count(*) FROM {table} WHERE project_id = '{project}' AND respondent_id = 'u3'")
    };
    let before = app.count(&of(mine, "responses"));
    assert_eq!(before, 200);
    assert_eq!(app.count(&of(mine, "respondent_contacts")), 1, "the insert trigger remembered them");
    let other_before = (
        app.count(&of(other.project_id, "responses")),
        app.count(&of(other.project_id, "respondent_contacts")),
    );

    let reader = secret_key(&app, &[Scope::ResponsesRead, Scope::ResponsesExport]);
    let refused = call(&app, Method::DELETE, "/v1/respondents/u3", &reader, None).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.count(&of(mine, "responses")), before);

    let privacy = secret_key(&app, &[Scope::Privacy]);
    let r = call(&app, Method::DELETE, "/v1/respondents/u3", &privacy, None).await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["respondent_id"], "u3");
    assert_eq!(body["deleted"], 200);
    assert_eq!(body["contacts_deleted"], 1);
    assert_eq!(app.count(&of(mine, "responses")), 0);
    assert_eq!(app.count(&of(mine, "respondent_contacts")), 0);
    assert_eq!(app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{mine}'")), 3800);
    // Other projects keep everything, including their own `u3`.
    let other_after = (
        app.count(&of(other.project_id, "responses")),
        app.count(&of(other.project_id, "respondent_contacts")),
    );
    assert_eq!(other_after, other_before);
    assert_eq!(other_after.0, 20);

    // Idempotent: the admin key may erase too, and there is nothing left.
    let again =
        json(call(&app, Method::DELETE, "/v1/respondents/u3", &app.fixture.secret_key, None).await).await;
    assert_eq!((again["deleted"].as_u64(), again["contacts_deleted"].as_u64()), (Some(0), Some(0)));

    // The rollups lost exactly the erased answers: the summary (rollups, ragged raw edges)
    // equals a count of the rows.
    assert_rollups_exact(&app, mine);
    assert_rollups_exact(&app, other.project_id);
    let (from, to) = (start + Duration::minutes(37), start + Duration::days(3) + Duration::seconds(611));
    let (status, summary) =
        app.read(&format!("/v1/surveys/nps-main/summary?from={}&to={}", ts(from), ts(to))).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["plan"], "rollups");
    assert_eq!(distribution(&summary["current"]), raw_distribution(&app, survey, from, to));

    let long = "x".repeat(257);
    let r = call(&app, Method::DELETE, &format!("/v1/respondents/{long}"), &privacy, None).await;
    assert_eq!(r.status(), 422);
    assert_eq!(json(r).await["errors"][0]["field"], "respondent_id");
}

fn feedbackd(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_feedbackd"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running feedbackd")
}

fn cli_json(output: std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

#[tokio::test]
async fn retention_run_deletes_exactly_the_answers_past_the_horizon() {
    let app = spawn_app_with(|c| {
        without_rate_limits(c);
        c.retention_interval = None;
    })
    .await;
    let (mine, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    let other = other_project(&app);
    // 12,000 answers over the last 60 days (more than two batches past a 30-day horizon),
    // none within an hour of the horizon, so the test's clock and the run's cannot disagree.
    let now = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    insert_people(
        &app,
        mine,
        survey,
        6000,
        now - Duration::days(60),
        Duration::days(30) - Duration::hours(1),
    );
    insert_people(
        &app,
        mine,
        survey,
        6000,
        now - Duration::days(30) + Duration::hours(1),
        Duration::days(29),
    );
    insert_people(
        &app,
        other.project_id,
        other.nps_survey_id,
        500,
        now - Duration::days(60),
        Duration::days(60),
    );
    let old_ids = |project: Uuid| {
        format!("SELECT count(*) FROM responses WHERE project_id = '{project}' AND answered_at < now() - interval '30 days'")
    };
    assert_eq!(app.count(&old_ids(mine)), 6000);
    let other_old = app.count(&old_ids(other.project_id));
    assert!(other_old > 200);

    let project = cli_json(feedbackd(
        &app,
        &[
            "project",
            "update",
            "--project",
            &mine.to_string(),
            "--retention-days",
            "30",
            "--ip-policy",
            "truncate",
            "--json",
        ],
    ));
    assert_eq!(
        (project["retention_days"].as_i64(), project["ip_policy"].as_str()),
        (Some(30), Some("truncate"))
    );
    let bad =
        feedbackd(&app, &["project", "update", "--project", &mine.to_string(), "--retention-days", "0"]);
    assert!(!bad.status.success());

    let report = cli_json(feedbackd(&app, &["retention", "run", "--json"]));
    assert_eq!(report["ran"], true);
    let projects = report["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 1, "only projects with a retention: {report}");
    assert_eq!(projects[0]["answers_deleted"], 6000);
    assert_eq!(app.count(&old_ids(mine)), 0);
    assert_eq!(app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{mine}'")), 6000);
    assert_eq!(
        app.count(&old_ids(other.project_id)),
        other_old,
        "a project without retention keeps everything"
    );
    assert_rollups_exact(&app, mine);
    // The rollup rows the deletes left at zero went with them, in every rollup table.
    let empty = |table: &str, time: &str| {
        app.count(&format!(
            "SELECT count(*) FROM {table} WHERE project_id = '{mine}' AND count = 0 AND {time} < now() - interval '30 days'"
        ))
    };
    assert!(projects[0]["empty_rollups_deleted"].as_i64().unwrap() > 0, "{report}");
    assert_eq!(
        (
            empty("score_rollups", "bucket"),
            empty("score_rollups_quarter", "bucket"),
            empty("score_rollups_daily", "day"),
            empty("score_rollups_monthly", "month")
        ),
        (0, 0, 0, 0)
    );
    // Contacts of people seen only before the horizon went; the others stay.
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM respondent_contacts WHERE project_id = '{mine}'")),
        20
    );

    // Nothing more to do; `none` keeps answers forever again.
    let second = cli_json(feedbackd(&app, &["retention", "run", "--json"]));
    assert_eq!(second["projects"][0]["answers_deleted"], 0);
    let project = cli_json(feedbackd(
        &app,
        &["project", "update", "--project", &mine.to_string(), "--retention-days", "none", "--json"],
    ));
    assert!(project["retention_days"].is_null());
}

#[tokio::test]
async fn the_server_runs_retention_in_the_background() {
    let app = spawn_app_with(|c| {
        without_rate_limits(c);
        c.retention_interval = Some(std::time::Duration::from_millis(300));
    })
    .await;
    let (mine, survey) = (app.fixture.project_id, app.fixture.nps_survey_id);
    let now = Utc::now();
    insert_people(&app, mine, survey, 300, now - Duration::days(20), Duration::days(5));
    insert_people(&app, mine, survey, 100, now - Duration::days(5), Duration::days(4));
    count(&mut app.db.connect(), &format!("WITH u AS (UPDATE projects SET retention_days = 10 WHERE id = '{mine}' RETURNING 1) SELECT count(*) FROM u"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let total = || app.count(&format!("SELECT count(*) FROM responses WHERE project_id = '{mine}'"));
    while total() != 100 {
        assert!(std::time::Instant::now() < deadline, "retention did not run: {} rows", total());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_rollups_exact(&app, mine);
}

#[tokio::test]
async fn the_ip_policy_decides_what_is_kept_of_the_address() {
    let app = spawn_app_with(|c| {
        without_rate_limits(c);
        // The project (and its policy) is cached with the key; see every change at once.
        c.auth_cache_ttl = std::time::Duration::ZERO;
    })
    .await;
    let mine = app.fixture.project_id;
    for (policy, expected) in
        [("drop", None), ("truncate", Some("127.0.0.0/24")), ("keep", Some("127.0.0.1/32"))]
    {
        count(&mut app.db.connect(), &format!("WITH u AS (UPDATE projects SET ip_policy = '{policy}' WHERE id = '{mine}' RETURNING 1) SELECT count(*) FROM u"));
        let id = Uuid::now_v7();
        let r = app.post_answer(&serde_json::json!({"id": id, "survey": "nps-main", "score": 9})).await;
        assert_eq!(r.status(), 201);
        #[derive(diesel::QueryableByName)]
        struct Ip {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            ip: Option<String>,
        }
        let stored: Ip = diesel::sql_query("SELECT client_ip::text AS ip FROM responses WHERE id = $1")
            .bind::<SqlUuid, _>(id)
            .get_result(&mut app.db.connect())
            .unwrap();
        assert_eq!(stored.ip.as_deref(), expected, "policy {policy}");
    }
}
