//! What wraps every request, or the routes that need it: request ids, metrics, CORS, and
//! the rate limits.

pub mod cors;
pub mod metrics;
pub mod ratelimit;
pub mod request_id;
