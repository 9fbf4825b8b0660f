//! feedbackd's services: what the HTTP layer and the CLI call. Each takes domain types and
//! the store's [`Db`](feedbackd_store::Db), applies the rules, and answers domain results.
//!
//! - [`ingest`]: validates answers and writes them durably through the group-commit writer;
//! - [`manage`]: projects, surveys, keys, share links, settings, history;
//! - [`insights`]: the reports, over the rollups and raw rows;
//! - [`export`]: CSV and NDJSON of the raw answers;
//! - [`widget`]: what a widget shows, and to whom;
//! - [`privacy`]: erasure and retention;
//! - [`auth`], [`ratelimit`]: who may call, and how often;
//! - [`cache`]: what the services keep in memory, forgotten on database notification;
//! - [`webhooks`]: signing, secrets at rest and the SSRF-safe delivery of one attempt.

pub mod accounts;
pub mod auth;
pub mod background;
pub mod cache;
pub mod console;
pub mod export;
pub mod ingest;
pub mod insights;
pub mod manage;
pub mod privacy;
pub mod ratelimit;
pub mod settings;
pub mod sso;
pub mod webhooks;
pub mod widget;

/// What the layers above see of the store: the pool, its error, and the rows the services
/// answer with. The queries stay behind the services.
pub mod store {
    pub use feedbackd_store::accounts::{Session, User};
    pub use feedbackd_store::console::{Actor, AuditEvent, Invitation};
    pub use feedbackd_store::models::{ApiKey, Project};
    pub use feedbackd_store::replicas::{ReadTarget, Reads, PROBE_EVERY};
    pub use feedbackd_store::{Db, StoreError};

    /// Whether migrations are pending (the schema is behind this binary): readiness asks.
    pub async fn schema_behind(db: &Db) -> Result<bool, StoreError> {
        db.run(feedbackd_store::has_pending_migrations).await
    }
}
