//! Outbound webhooks: the pieces the dispatcher calls for one delivery attempt.
//!
//! - [`signing`]: Standard Webhooks v1 signatures and the endpoint secret;
//! - [`egress`]: the HTTP request itself, refused for private and internal addresses.

pub mod egress;
pub mod signing;
