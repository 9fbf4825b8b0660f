//! The CLI's commands.

mod admin;
mod demo;
mod export;
mod seed;
mod serve;
mod surveys;
mod users;
mod webhooks;

use crate::cli::{Cli, Command, GlobalArgs, RollupsCommand};
use anyhow::Context;
use clap::CommandFactory;
use feedbackd_store::embedded::EmbeddedPostgres;
use feedbackd_store::{migrate_once, Backoff, Db};
use secrecy::SecretString;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global, *args),
        Command::Migrate => {
            let database = Database::open(&cli.global)?;
            let applied = migrate(database.url())?;
            eprintln!("{applied} migration(s) applied; the schema is current");
            Ok(())
        }
        Command::Project(command) => admin::project(&cli.global, command),
        Command::Key(command) => admin::key(&cli.global, command),
        Command::Survey(command) => surveys::survey(&cli.global, command),
        Command::ReportLink(command) => admin::report_link(&cli.global, command),
        Command::Webhook(webhook) => webhooks::run(&cli.global, webhook),
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&feedbackd_http::openapi_document())?);
            Ok(())
        }
        Command::Seed(args) => seed::run(&cli.global, args),
        Command::Rollups(RollupsCommand::Seal) => {
            let database = Database::open(&cli.global)?;
            let services = database.services()?;
            let up_to = chrono::Utc::now() - chrono::Duration::hours(1);
            let report = services.block_on(feedbackd_core::background::seal_days(&services.db, up_to))?;
            eprintln!("sealed {} survey(s) in {} step(s)", report.surveys, report.steps);
            Ok(())
        }
        Command::Export(args) => export::run(&cli.global, args),
        Command::Retention(command) => admin::retention(&cli.global, command),
        Command::User(command) => users::run(&cli.global, command),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a failed write (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "feedbackd", &mut script);
            Ok(std::io::stdout().write_all(&script)?)
        }
        Command::Man => Ok(clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?),
        Command::ConfigReference => {
            print!("{}", crate::cli::reference::configuration_reference());
            Ok(())
        }
    }
}

/// The database a command works on: `DATABASE_URL`, or the embedded cluster under the data
/// directory (started for the command, and stopped after it if it was not running).
pub struct Database {
    url: SecretString,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Resolves the database of the global options.
    pub fn open(global: &GlobalArgs) -> anyhow::Result<Self> {
        match &global.database_url {
            Some(url) => Ok(Database { url: url.clone(), embedded: None }),
            None => {
                let pg = EmbeddedPostgres::start(&global.data_dir)?;
                Ok(Database { url: pg.url(), embedded: Some(pg) })
            }
        }
    }

    /// The connection URL.
    pub fn url(&self) -> &SecretString {
        &self.url
    }

    /// Whether this is the embedded default.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// The key that seals webhook secrets: `configured` (FEEDBACKD_WEBHOOK_KEY) if given;
    /// otherwise the embedded default's, kept under the data directory, so that `serve` and
    /// `feedbackd webhook` seal and open secrets with the same key. Another database without
    /// a configured key has none (webhooks are off).
    pub fn webhook_key(
        &self,
        configured: Option<SecretString>,
        data_dir: &Path,
    ) -> anyhow::Result<Option<SecretString>> {
        match configured {
            None if self.is_embedded() => Ok(Some(local_webhook_key(data_dir)?)),
            key => Ok(key),
        }
    }

    /// The services a one-shot command calls: the same async functions as the API, on a
    /// small pool and a runtime of the command's own. One worker thread beside the one
    /// waiting: an export's producer keeps streaming while the command writes the file.
    pub fn services(&self) -> anyhow::Result<Services> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        Ok(Services { db: Db::new(&self.url, 2), runtime })
    }
}

/// A pool and a runtime to wait for the services on.
pub struct Services {
    pub db: Db,
    runtime: tokio::runtime::Runtime,
}

impl Services {
    /// Runs a service call to its end.
    pub fn block_on<F: std::future::Future>(&self, call: F) -> F::Output {
        self.runtime.block_on(call)
    }
}

/// Applies migrations, waiting up to a minute for a database that is still starting.
pub fn migrate(url: &SecretString) -> anyhow::Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut backoff = Backoff::default();
    loop {
        match migrate_once(url) {
            Ok(applied) => return Ok(applied),
            Err(e) if e.is_connection_lost() && Instant::now() < deadline => {
                std::thread::sleep(backoff.next_after(&e));
            }
            Err(e) => return Err(e).context("migrating the database"),
        }
    }
}

/// The embedded default's webhook key: generated on the first start and kept beside the
/// database (readable by this user only), so endpoints made in one run still sign in the
/// next. A deployment sets FEEDBACKD_WEBHOOK_KEY instead.
fn local_webhook_key(data_dir: &Path) -> anyhow::Result<SecretString> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("webhook.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_string().into());
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let key = feedbackd_core::webhooks::secrets::MasterKey::generate().expose_base64();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(key.as_bytes())?;
    Ok(key.into())
}
