//! Test harness: a fresh database per test (copied from a template migrated once per
//! schema version), the real service on a free port, and an HTTP client.

use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd::config::Config;
use feedbackd::startup::Application;
use feedbackd_core::manage::{self, SurveySpec};
use feedbackd_domain::{KeyKind, Scope, SurveyKind, SurveyStatus};
use feedbackd_store::embedded::EmbeddedPostgres;
use feedbackd_store::Db;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The server tests run against: `TEST_DATABASE_URL`, else `DATABASE_URL`, else the local one.
pub fn server_url() -> String {
    let configured = std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let database = url::Url::parse(&configured)
        .expect("TEST_DATABASE_URL is a URL")
        .path()
        .trim_start_matches('/')
        .to_string();
    with_database(&configured, &database)
}

/// `server_url()` pointing at another database. The test server is on loopback, so TLS is
/// off: it keeps libpq from loading OpenSSL, whose exit-time cleanup can race with
/// connections still closing on other threads when a test process ends.
pub fn url_for(database: &str) -> String {
    with_database(&server_url(), database)
}

fn with_database(server: &str, database: &str) -> String {
    let mut url = url::Url::parse(server).expect("TEST_DATABASE_URL is a URL");
    url.set_path(database);
    if !url.query_pairs().any(|(k, _)| k == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    url.to_string()
}

/// A database of its own, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A pool on this database, for fixtures that call the services directly.
    pub fn services(&self) -> Db {
        Db::new(&SecretString::from(self.url.clone()), 2)
    }

    /// A fresh copy of the migrated template.
    pub fn new() -> Self {
        let template = ensure_template();
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&server_url()).expect("connecting to the test server");
        // Copies from one template may race; PostgreSQL refuses the copy while another
        // session is connected to the template, so retry briefly.
        for attempt in 0.. {
            match diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin)
            {
                Ok(_) => break,
                Err(e) if attempt < 50 => {
                    eprintln!("retrying CREATE DATABASE: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("creating the test database: {e}"),
            }
        }
        TestDb { url: url_for(&name), name }
    }

    /// An empty database (no schema), for migration tests.
    pub fn empty() -> Self {
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&server_url()).expect("connecting to the test server");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("CREATE DATABASE");
        TestDb { url: url_for(&name), name }
    }

    pub fn secret_url(&self) -> SecretString {
        SecretString::from(self.url.clone())
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connecting to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&server_url()) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut admin);
        }
    }
}

/// Migrates a template database once per schema version, under an advisory lock so that
/// parallel test processes wait for one another instead of racing.
fn ensure_template() -> String {
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut hasher = Sha256::new();
    let mut files: Vec<_> = walk(&migrations);
    files.sort();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).expect("reading a migration"));
    }
    let name = format!("feedbackd_tpl_{}", &hex::encode(hasher.finalize())[..16]);
    let mut admin = PgConnection::establish(&server_url()).expect("connecting to the test server");
    diesel::sql_query("SELECT pg_advisory_lock(727272)").execute(&mut admin).expect("lock");
    if !database_exists(&mut admin, &name) {
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {building}")).execute(&mut admin).unwrap();
        {
            let mut conn = PgConnection::establish(&url_for(&building)).unwrap();
            feedbackd_store::run_migrations(&mut conn).expect("migrating the template");
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&mut admin).unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727272)").execute(&mut admin).expect("unlock");
    name
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] })
        .collect()
}

pub fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    count(conn, &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")) > 0
}

/// Runs a query returning one bigint named `n`.
pub fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql =
        if sql.contains(" AS n") { sql.to_string() } else { sql.replacen("count(*)", "count(*) AS n", 1) };
    diesel::sql_query(sql).get_result::<N>(conn).expect("count query").n
}

/// Waits for a service call from synchronous test code: on a runtime of its own, in a
/// thread of its own, since the test itself may be running inside one.
pub fn wait<T: Send>(call: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                runtime.expect("a runtime for the service call").block_on(call)
            })
            .join()
            .expect("the service call panicked")
    })
}

/// A project with an NPS survey (`nps-main`), a text survey (`feedback`), and keys.
pub struct Fixture {
    pub project_id: Uuid,
    pub nps_survey_id: Uuid,
    pub publishable_key: String,
    pub secret_key: String,
}

pub fn fixture(database_url: &str, origins: &[&str]) -> Fixture {
    let services = &Db::new(&SecretString::from(database_url.to_string()), 2);
    let conn = &mut PgConnection::establish(database_url).expect("connecting to the test database");
    let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
    let project = wait(manage::create_project(services, "Test", &origins)).unwrap();
    let survey = |key: &str, kind: SurveyKind, status: SurveyStatus| {
        let spec = SurveySpec::new(key.into(), kind, "Q?".into(), status);
        wait(manage::create_survey(services, project.id, spec)).unwrap()
    };
    let nps = survey("nps-main", SurveyKind::Nps, SurveyStatus::Active);
    survey("feedback", SurveyKind::Text, SurveyStatus::Active);
    survey("csat", SurveyKind::Csat, SurveyStatus::Active);
    survey("ces", SurveyKind::Ces, SurveyStatus::Active);
    survey("paused", SurveyKind::Nps, SurveyStatus::Paused);
    // The surveys have run for a year, so tests may date answers back (an answer dated
    // before its survey existed is refused).
    diesel::sql_query("UPDATE surveys SET created_at = created_at - interval '1 year' WHERE project_id = $1")
        .bind::<diesel::sql_types::Uuid, _>(project.id)
        .execute(conn)
        .unwrap();
    let publishable =
        wait(manage::create_key(services, project.id, KeyKind::Publishable, &[], "widget")).unwrap();
    let secret =
        wait(manage::create_key(services, project.id, KeyKind::Secret, &[Scope::Admin], "admin")).unwrap();
    Fixture {
        project_id: project.id,
        nps_survey_id: nps.id,
        publishable_key: publishable.token,
        secret_key: secret.token,
    }
}

/// The service running on a free port against its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub fixture: Fixture,
}

/// Lifts the rate limits, for tests that load the service from one address on purpose.
pub fn without_rate_limits(config: &mut Config) {
    let unlimited: feedbackd_core::ratelimit::RateSpec = "1000000/s".parse().unwrap();
    config.rate_limits.ip = unlimited;
    config.rate_limits.project = unlimited;
    config.rate_limits.respondent = unlimited;
    config.rate_limits.secret_key = unlimited;
}

/// Starts the service with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service with settings changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::new();
    let fixture = fixture(&db.url, &["https://app.example.com"]);
    let mut config = Config::for_tests();
    tweak(&mut config);
    let address = start_server(&config, &db.secret_url());
    TestApp { address, client: reqwest::Client::new(), db, fixture }
}

/// Starts the real service on `url`; returns its base URL.
/// A private primary (Debian's PostgreSQL under `dir`, never the machine's cluster) with the
/// schema and a fixture, and its streaming standby: for tests that take servers away.
pub fn primary_and_standby(dir: &std::path::Path) -> (EmbeddedPostgres, EmbeddedPostgres, Fixture) {
    use secrecy::ExposeSecret;
    let primary = EmbeddedPostgres::start(&dir.join("primary")).expect("a private primary");
    {
        let mut conn = PgConnection::establish(primary.url().expose_secret()).unwrap();
        feedbackd_store::run_migrations(&mut conn).unwrap();
    }
    let keys = fixture(primary.url().expose_secret(), &[]);
    let standby = primary.start_standby(&dir.join("standby")).expect("a streaming standby");
    (primary, standby, keys)
}

pub fn start_server(config: &Config, url: &SecretString) -> String {
    let app = Application::build(config, url).expect("building the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    address
}

impl TestApp {
    /// POSTs a JSON answer with the publishable key.
    pub async fn post_answer(&self, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}/v1/responses", self.address))
            .bearer_auth(&self.fixture.publishable_key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub fn count(&self, sql: &str) -> i64 {
        count(&mut self.db.connect(), sql)
    }

    /// Runs a statement on the test database, as an operator at psql would.
    pub fn execute(&self, sql: &str) -> usize {
        diesel::sql_query(sql).execute(&mut self.db.connect()).expect(sql)
    }
}
