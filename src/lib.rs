//! feedbackd: in-app user feedback (NPS, CSAT, CES, free text), validated, rate-limited,
//! stored durably in PostgreSQL and turned into answers for product reviews.
//!
//! The layout follows the request path: [`http`] turns wire input into domain types and
//! domain results into responses; [`ingest`] validates and durably writes answers;
//! [`store`] owns the database; [`embedded`] runs a private PostgreSQL for the zero-config
//! default; [`commands`] implements the CLI on top of all of them.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod embedded;
pub mod export;
pub mod http;
pub mod ingest;
pub mod insights;
pub mod manage;
pub mod metrics;
pub mod privacy;
pub mod ratelimit;
pub mod report;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod widget;
