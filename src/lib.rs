//! feedbackd: in-app user feedback (NPS, CSAT, CES, free text), validated, rate-limited,
//! stored durably in PostgreSQL and turned into answers for product reviews.
//!
//! The layout follows the request path: [`http`] turns wire input into domain types and
//! domain results into responses; [`ingest`] validates and durably writes answers;
//! [`store`] owns the database; [`embedded`] runs a private PostgreSQL for the zero-config
//! default; [`commands`] implements the CLI on top of all of them.

pub use feedbackd_core::auth;
pub use feedbackd_core::cache;
pub mod cli;
pub mod commands;
pub mod config;
pub use feedbackd_core::export;
pub use feedbackd_core::ingest;
pub use feedbackd_core::insights;
pub use feedbackd_core::manage;
pub use feedbackd_core::privacy;
pub use feedbackd_core::ratelimit;
pub use feedbackd_domain as domain;
pub use feedbackd_http as http;
pub use feedbackd_http::pages as report;
pub use feedbackd_store::embedded;
pub mod startup;
pub use feedbackd_store as store;
pub mod telemetry;
pub use feedbackd_core::widget;
pub use feedbackd_insights::text;
