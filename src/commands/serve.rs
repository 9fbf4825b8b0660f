//! `feedbackd serve`.

use super::{demo, migrate, Database};
use crate::cli::GlobalArgs;
use crate::config::ServeArgs;
use crate::startup::{migrate_in_background, Application};

/// Serves until SIGINT/SIGTERM, migrating in the background (a database that arrives late
/// is waited for while `/readyz` answers 503). The embedded default is local and started
/// here, so it is migrated first and gets its demo project on the first run.
pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    let database = Database::open(global)?;
    if database.is_embedded() {
        let applied = migrate(database.url())?;
        tracing::info!(applied, "database schema is current");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        if !database.is_embedded() {
            migrate_in_background(database.url().clone());
        }
        let app = Application::build(&config, database.url())?;
        let base_url = format!("http://{}:{}", config.listen.ip(), app.port());
        tracing::info!(%base_url, "feedbackd listening");
        if database.is_embedded() {
            let db = feedbackd_store::Db::new(database.url(), 1);
            demo::announce(&db, &global.data_dir, &base_url).await?;
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
