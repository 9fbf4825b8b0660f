//! Outbound webhooks: the pieces the dispatcher calls for one delivery attempt.
//!
//! - [`egress`]: the HTTP request itself, refused for private and internal addresses.

pub mod egress;
