//! API tests: the real service over HTTP, against a fresh real PostgreSQL database each.

mod helpers;

mod abuse;
mod answer_flags;
mod attribute_index;
mod browser;
mod cli;
mod cli_manage;
mod embedded;
mod exports;
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
mod project_settings;
mod report;
mod report_browser;
mod report_links;
mod rollup_seals;
mod snippets;
mod survey_schedule;
mod surveys;
mod widget_config;
