//! Changes made outside a running service (the CLI, psql, another replica) reach its caches
//! at once through PostgreSQL notifications, not after the cache period. The apps here keep
//! the default cache period (10 s), so a test that waited for it would fail.

use crate::cli::{feedbackd, json as cli_json};
use crate::helpers::{count, server_url, spawn_app_with, start_server, without_rate_limits, TestApp};
use crate::mgmt_support::call;
use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd::config::Config;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a change may take to reach every process.
const AT_ONCE: Duration = Duration::from_secs(1);

/// The `application_name` of the listener's connection.
const LISTENER: &str = "feedbackd-invalidation";

/// `clients` tasks sending requests in a loop, stopped when dropped: the light load that
/// the change has to cut through.
struct Load(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Load {
    fn drop(&mut self) {
        self.0.iter().for_each(|task| task.abort());
    }
}

fn keep_busy(clients: usize, request: impl Fn() -> RequestBuilder + Send + Sync + 'static) -> Load {
    let request = Arc::new(request);
    Load(
        (0..clients)
            .map(|_| {
                let request = request.clone();
                tokio::spawn(async move {
                    loop {
                        let _ = request().send().await;
                    }
                })
            })
            .collect(),
    )
}

/// How long `status` took to become `expected`, polling; panics after [`AT_ONCE`].
async fn becomes<F, Fut>(expected: StatusCode, status: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StatusCode>,
{
    becomes_within(AT_ONCE, expected, status).await
}

async fn becomes_within<F, Fut>(limit: Duration, expected: StatusCode, mut status: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StatusCode>,
{
    let started = Instant::now();
    loop {
        let seen = status().await;
        if seen == expected {
            return started.elapsed();
        }
        let waited = started.elapsed();
        assert!(waited < limit, "still {seen} after {waited:?}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The id of the fixture project's key of `kind`.
fn key_id(app: &TestApp, kind: &str) -> Uuid {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    diesel::sql_query(format!("SELECT id FROM api_keys WHERE kind = '{kind}' LIMIT 1"))
        .get_result::<Id>(&mut app.db.connect())
        .expect("the fixture has the key")
        .id
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement).execute(&mut app.db.connect()).expect(statement);
}

fn answer(app: &TestApp, address: &str, survey: &str) -> RequestBuilder {
    app.client
        .post(format!("{address}/v1/responses"))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"survey": survey, "score": 8}))
}

async fn status(request: RequestBuilder) -> StatusCode {
    request.send().await.expect("request").status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_with_the_cli_is_refused_within_a_second_under_load() {
    let app = spawn_app_with(without_rate_limits).await;
    let list_surveys = {
        let (client, address, token) =
            (app.client.clone(), app.address.clone(), app.fixture.secret_key.clone());
        move || client.get(format!("{address}/v1/surveys")).bearer_auth(&token)
    };
    assert_eq!(status(list_surveys()).await, 200);
    let _load = keep_busy(4, list_surveys.clone());
    let _ingest = keep_busy(2, {
        let (client, address, token) =
            (app.client.clone(), app.address.clone(), app.fixture.publishable_key.clone());
        move || {
            client
                .post(format!("{address}/v1/responses"))
                .bearer_auth(&token)
                .json(&json!({"survey": "nps-main", "score": 9}))
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (project, id) = (app.fixture.project_id.to_string(), key_id(&app, "secret").to_string());
    // The CLI runs while the load goes on (on the runtime's other thread).
    let revoked = tokio::task::block_in_place(|| {
        cli_json(&feedbackd(Some(&app.db), &["key", "revoke", "--project", &project, "--id", &id, "--json"]))
    });
    assert!(revoked["revoked_at"].is_string());
    let took = becomes(StatusCode::UNAUTHORIZED, || status(list_surveys())).await;
    eprintln!("refused {took:?} after the CLI returned");
}

#[tokio::test]
async fn a_key_revoked_through_one_replica_is_refused_by_another_within_a_second() {
    let app = spawn_app_with(without_rate_limits).await;
    let mut config = Config::for_tests();
    without_rate_limits(&mut config);
    let other = start_server(&config, &app.db.secret_url());
    assert_eq!(status(answer(&app, &other, "nps-main")).await, 201, "the other replica caches the key");
    let id = key_id(&app, "publishable");
    let revoked =
        call(&app, Method::POST, &format!("/v1/keys/{id}/revoke"), &app.fixture.secret_key, None).await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(status(answer(&app, &app.address, "nps-main")).await, 401, "refused at once where revoked");
    becomes(StatusCode::UNAUTHORIZED, || status(answer(&app, &other, "nps-main"))).await;
}

#[tokio::test]
async fn a_survey_paused_or_created_outside_the_service_applies_at_once() {
    let app = spawn_app_with(without_rate_limits).await;
    assert_eq!(status(answer(&app, &app.address, "nps-main")).await, 201);
    sql(&app, "UPDATE surveys SET status = 'paused' WHERE key = 'nps-main'");
    becomes(StatusCode::UNPROCESSABLE_ENTITY, || status(answer(&app, &app.address, "nps-main"))).await;

    // An unknown survey is cached as unknown too: creating it must reach that entry.
    assert_eq!(status(answer(&app, &app.address, "late")).await, 422);
    let project = app.fixture.project_id.to_string();
    cli_json(&feedbackd(
        Some(&app.db),
        &[
            "survey",
            "create",
            "--project",
            &project,
            "--kind",
            "nps",
            "--key",
            "late",
            "--question",
            "Q?",
            "--json",
        ],
    ));
    becomes(StatusCode::CREATED, || status(answer(&app, &app.address, "late"))).await;
}

#[tokio::test]
async fn a_projects_origins_and_rate_limits_apply_at_once() {
    let app = spawn_app_with(without_rate_limits).await;
    let from_new_origin =
        || answer(&app, &app.address, "nps-main").header("Origin", "https://new.example.com");
    assert_eq!(status(from_new_origin()).await, 403);
    sql(&app, "UPDATE projects SET allowed_origins = '{https://app.example.com,https://new.example.com}'");
    becomes(StatusCode::CREATED, || status(from_new_origin())).await;

    sql(&app, r#"UPDATE projects SET rate_limits = '{"project": "1/h:1"}'"#);
    becomes(StatusCode::TOO_MANY_REQUESTS, || status(answer(&app, &app.address, "nps-main"))).await;
}

/// The pid of the listener's backend on the app's database, or 0 when there is none.
fn listener_pid(app: &TestApp) -> i64 {
    count(
        &mut app.db.connect(),
        &format!(
            "SELECT coalesce(max(pid), 0)::bigint AS n FROM pg_stat_activity \
             WHERE datname = '{}' AND application_name = '{LISTENER}'",
            app.db.name
        ),
    )
}

/// Waits for the app's listener to be connected (and not as `not`); returns its pid.
async fn listening(app: &TestApp, not: i64) -> i64 {
    let started = Instant::now();
    loop {
        let pid = listener_pid(app);
        if pid != 0 && pid != not {
            return pid;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no connection named {LISTENER}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_listener_reconnects_after_its_connection_is_killed() {
    let app = spawn_app_with(without_rate_limits).await;
    let killed = listening(&app, 0).await;
    sql(&app, &format!("SELECT pg_terminate_backend({killed})"));
    listening(&app, killed).await;
    assert_eq!(status(answer(&app, &app.address, "nps-main")).await, 201);
    sql(&app, "UPDATE api_keys SET revoked_at = now() WHERE kind = 'publishable'");
    becomes(StatusCode::UNAUTHORIZED, || status(answer(&app, &app.address, "nps-main"))).await;
}

#[tokio::test]
async fn a_change_missed_while_the_listener_was_away_applies_once_it_is_back() {
    let app = spawn_app_with(without_rate_limits).await;
    let allow = |yes: bool| {
        let mut admin = PgConnection::establish(&server_url()).expect("admin connection");
        let statement = format!("ALTER DATABASE {} ALLOW_CONNECTIONS {yes}", app.db.name);
        diesel::sql_query(statement).execute(&mut admin).expect("ALTER DATABASE");
    };
    // Out of range: refused after the key and survey lookups, before any database work, so
    // it keeps working while the database takes no new connections.
    let out_of_range = || {
        app.client
            .post(format!("{}/v1/responses", app.address))
            .bearer_auth(&app.fixture.publishable_key)
            .json(&json!({"survey": "nps-main", "score": 99}))
    };
    let mut conn = app.db.connect();
    let killed = listening(&app, 0).await;
    assert_eq!(status(out_of_range()).await, 422);

    allow(false);
    diesel::sql_query(format!("SELECT pg_terminate_backend({killed})")).execute(&mut conn).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    diesel::sql_query("UPDATE api_keys SET revoked_at = now() WHERE kind = 'publishable'")
        .execute(&mut conn)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Nobody heard it: the cached key still works, as it would until its time to live ends.
    assert_eq!(status(out_of_range()).await, 422);
    allow(true);
    // Back after its backoff (under a second here), the listener forgets all it may have missed.
    becomes_within(Duration::from_secs(3), StatusCode::UNAUTHORIZED, || status(out_of_range())).await;
}
