//! Insights, the pure part: the metrics (functions over counts per score, the sufficient
//! statistics of everything reported), their intervals and significance tests, calendar
//! buckets, how a range is split over rollups and raw rows, the terms of comments, the
//! text analysis of comments, and what their themes do to the score. No I/O: everything here is tested without a database.

pub mod buckets;
pub mod drivers;
pub mod filter;
pub mod metrics;
pub mod pieces;
pub mod significance;
pub mod stats;
pub mod terms;
pub mod text;

pub use buckets::Interval;
pub use filter::{Band, Filter};
