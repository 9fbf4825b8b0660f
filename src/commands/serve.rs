//! `feedbackd serve`.

use super::{demo, migrate, Database};
use crate::cli::GlobalArgs;
use crate::config::ServeArgs;
use crate::startup::{migrate_in_background, Application};
use feedbackd_domain::NewToken;
use secrecy::ExposeSecret;
use std::net::SocketAddr;

/// Serves until SIGINT/SIGTERM, migrating in the background (a database that arrives late
/// is waited for while `/readyz` answers 503). The embedded default is local and started
/// here, so it is migrated first and gets its demo project on the first run; another
/// database gets one with `--demo`, once its migrations are done.
pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let want_demo = args.demo;
    let mut config = args.into_config()?;
    let database = Database::open(global)?;
    // A first try gets a first-run link for the console (printed with the demo keys).
    if config.setup_token.is_none() && (database.is_embedded() || want_demo) {
        config.setup_token = Some(NewToken::setup().plaintext.into());
    }
    let setup_token = config.setup_token.as_ref().map(|t| t.expose_secret().to_string());
    config.webhooks.key = database.webhook_key(config.webhooks.key.take(), &global.data_dir)?;
    if database.is_embedded() {
        let applied = migrate(database.url())?;
        tracing::info!(applied, "database schema is current");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let migrated = (!database.is_embedded()).then(|| migrate_in_background(database.url().clone()));
        let app = Application::build(&config, database.url())?;
        let base_url = format!("http://{}:{}", config.listen.ip(), app.port());
        tracing::info!(%base_url, "feedbackd listening");
        let demo_url = reachable_url(config.listen, app.port());
        let db = || feedbackd_store::Db::new(database.url(), 1);
        match migrated {
            None => {
                demo::announce(&db(), &global.data_dir, &demo_url).await?;
                demo::announce_console(&db(), &demo_url, setup_token.as_deref()).await?;
            }
            Some(migrated) if want_demo => {
                let (db, data_dir) = (db(), global.data_dir.clone());
                tokio::spawn(async move {
                    // A failed migration has logged why; the demo then fails on the schema.
                    let _ = migrated.await;
                    if let Err(error) = demo::announce(&db, &data_dir, &demo_url).await {
                        tracing::error!(error = format!("{error:#}"), "creating the demo project failed");
                    }
                    let _ = demo::announce_console(&db, &demo_url, setup_token.as_deref()).await;
                });
            }
            Some(_) => {}
        }
        app.run_until_stopped().await?;
        anyhow::Ok(())
    })?;
    // Wait for the blocking threads (which hold and drop libpq connections) before the
    // process exits: OpenSSL's exit-time cleanup racing with a connection being torn down on
    // another thread crashed about one shutdown in six (double free, found by the ingest
    // benchmark's shutdown check).
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    // Dropping the database stops an embedded cluster this process started.
    drop(database);
    Ok(())
}

/// The address to print for people: a service listening on every interface (as in a
/// container) is reached as `localhost`, not at `0.0.0.0`.
fn reachable_url(listen: SocketAddr, port: u16) -> String {
    if listen.ip().is_unspecified() {
        format!("http://localhost:{port}")
    } else {
        format!("http://{}", SocketAddr::new(listen.ip(), port))
    }
}
