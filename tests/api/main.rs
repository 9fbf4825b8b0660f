//! API tests: the real service over HTTP, against a fresh real PostgreSQL database each.

mod helpers;

mod abuse;
mod answer_flags;
mod attribute_index;
mod body_errors;
mod browser;
mod cache_invalidation;
mod cli;
mod default_ranges;
mod embedded;
mod exports;
mod fatigue;
mod health;
mod ingest;
mod ingest_consistency;
mod ingest_errors;
mod insights_list;
mod insights_reports;
mod insights_schemas;
mod insights_support;
mod json_schema;
mod keys_api;
mod mgmt_support;
mod migrations;
mod openapi;
mod operations;
mod privacy;
mod report;
mod report_browser;
mod report_links;
mod report_segments;
mod rollup_seals;
mod snippets;
mod surveys;
mod widget_config;
