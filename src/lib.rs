//! The `feedbackd` binary's library: the command line ([`cli`], [`commands`]), the service
//! settings ([`config`]), building and running the server ([`startup`]), and logs and
//! metrics ([`telemetry`]). Everything else lives in the workspace's crates, one per layer:
//!
//! ```text
//! feedbackd (this crate)   CLI, config, startup, telemetry
//!   └ feedbackd-http       routes, handlers, extractors, middleware, wire types, pages, OpenAPI
//!       └ feedbackd-core   the services: ingest, manage, insights, export, widget, privacy, auth
//!           └ feedbackd-store     schema, rows, queries, migrations, the embedded cluster
//!               └ feedbackd-insights  pure statistics and text analysis
//!                   └ feedbackd-domain    kinds, scales, keys, rules; no I/O
//! ```
//!
//! A crate names only crates below it, so a wrong-way import does not compile.

pub mod cli;
pub mod commands;
pub mod config;
pub mod startup;
pub mod telemetry;
