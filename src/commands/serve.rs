//! `feedbackd serve`.

use super::{demo, migrate, Database};
use crate::cli::GlobalArgs;
use crate::config::ServeArgs;
use crate::startup::Application;

/// Migrates, creates the demo project on the embedded default's first run, and serves
/// until SIGINT/SIGTERM.
pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    let database = Database::open(global)?;
    let applied = migrate(database.url())?;
    tracing::info!(applied, "database schema is current");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let app = Application::build(&config, database.url())?;
        let base_url = format!("http://{}:{}", config.listen.ip(), app.port());
        tracing::info!(%base_url, "feedbackd listening");
        if database.is_embedded() {
            let mut conn = database.connect()?;
            demo::announce(&mut conn, &global.data_dir, &base_url)?;
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
