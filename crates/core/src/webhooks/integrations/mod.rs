//! Message bodies for chat integrations (Slack, Microsoft Teams, Discord): what an endpoint
//! whose format is not the default Standard Webhooks event receives. Pure functions, no I/O.
//!
//! [`text`] escapes and cuts the texts that go into them.

pub mod text;
