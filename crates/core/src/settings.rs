//! The settings the services take, built by the binary's `config.rs` from flags and
//! `FEEDBACKD_*` variables (which is where their defaults and ranges live).

use std::time::Duration;

/// Signals that an answer comes from a bot. (Repeats are the writer's: `WriterConfig`.)
#[derive(Debug, Clone)]
pub struct SpamConfig {
    pub min_time_to_answer: Duration,
}

/// Size and time limits on ingested answers.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_batch_body_bytes: usize,
    pub max_batch_answers: usize,
    pub max_comment_chars: usize,
    pub max_attributes: usize,
    pub max_attribute_key_chars: usize,
    pub max_attribute_value_chars: usize,
    pub max_url_chars: usize,
    pub max_clock_skew: chrono::Duration,
    pub max_backdate: chrono::Duration,
}

/// Settings of the group-commit writer.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub queue: usize,
    pub batch: usize,
    pub writers: usize,
    pub timeout: Duration,
    /// A repeat of an answer received this recently is stored but not counted; 0: never.
    pub duplicate_window: Duration,
}
