//! Webhooks and the change feed: every answer can flow on, signed, retried, never lost.
//!
//! - the outbox is the `events` table, written in the answers' own transactions (see
//!   `feedbackd_store::events`); [`dispatch`] numbers events, streams each endpoint's
//!   feed to it through a cursor of its own, and retries what failed;
//! - [`endpoints`] manages endpoints, their secrets, the delivery log, resends and replays;
//! - [`feed`] lists the events to pull, with an opaque cursor;
//! - [`digest`] makes each survey's weekly `survey.digest` event, once, from the dispatcher's loop;
//! - [`payload`] says what an event looks like, [`integrations`] as a chat message;
//! - [`signing`], [`secrets`] and [`egress`] sign, keep secrets sealed, and send safely.

pub mod digest;
pub mod dispatch;
pub mod egress;
pub mod endpoints;
pub mod feed;
pub mod integrations;
pub mod payload;
mod recorder;
pub mod secrets;
pub mod signing;

use feedbackd_domain::FieldError;
use feedbackd_store::StoreError;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How webhooks are sent and kept, from the binary's configuration.
#[derive(Clone)]
pub struct WebhookSettings {
    /// Seals endpoint secrets; `None` when no key is configured (endpoints cannot be made).
    pub secrets: Option<Arc<secrets::SecretCipher>>,
    pub egress: egress::EgressPolicy,
    /// Deliveries one process sends to one endpoint at once.
    pub per_endpoint: usize,
    /// Deliveries one pass claims at most.
    pub batch: usize,
    /// How long a claimed delivery is this dispatcher's before others may take it.
    pub lease: Duration,
    /// How often an idle dispatcher looks for work.
    pub poll: Duration,
    /// Settled deliveries and their attempts are kept this long.
    pub log_retention: Duration,
    /// Events are kept this long in the feed (longer while a delivery still needs them).
    pub feed_retention: Duration,
    /// The service's public address, for links in chat messages.
    pub public_url: Option<String>,
    /// Multiplies the retry schedule (1 in production; fault drills shrink it).
    pub retry_scale: f64,
}

/// Why a webhook operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid input: {}", .0.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("no webhook endpoint {0} in this project")]
    NotFound(Uuid),
    #[error("no delivery {0} for this endpoint")]
    NoDelivery(Uuid),
    #[error("{0}")]
    Conflict(String),
    /// The cursor points before what the feed still keeps.
    #[error("{0}")]
    CursorExpired(String),
    #[error("webhooks need FEEDBACKD_WEBHOOK_KEY (32 random bytes, base64) to seal endpoint secrets")]
    NoKey,
    #[error("{0}")]
    Sealing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<secrets::SealError> for WebhookError {
    fn from(e: secrets::SealError) -> Self {
        WebhookError::Sealing(e.to_string())
    }
}
