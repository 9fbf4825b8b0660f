//! The handlers, one file per resource. Each extracts, converts, calls one service of
//! `feedbackd-core` and maps the result.

pub mod docs;
pub mod exports;
pub mod insights;
pub mod keys;
pub mod operations;
pub mod privacy;
pub mod project;
pub mod responses;
pub mod sdk;
pub mod share_links;
pub mod surveys;
pub mod themes;
pub mod webhooks;
pub mod widget;
