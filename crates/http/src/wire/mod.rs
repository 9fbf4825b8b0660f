//! The JSON bodies the API reads and writes (serde, validator, utoipa), converted to and
//! from the services' types here so that nothing past the handlers sees raw input.

pub mod answers;
pub mod manage;
pub mod project;
pub mod themes;
pub mod webhooks;
