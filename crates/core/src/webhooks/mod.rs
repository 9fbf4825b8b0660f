//! Outbound webhooks: the pieces the dispatcher calls for one delivery attempt.
//!
//! - [`signing`]: Standard Webhooks v1 signatures and the endpoint secret;
//! - [`secrets`]: endpoint secrets encrypted at rest under a master key;
//! - [`egress`]: the HTTP request itself, refused for private and internal addresses;
//! - [`integrations`]: Slack, Teams and Discord message bodies.

pub mod egress;
pub mod integrations;
pub mod secrets;
pub mod signing;
