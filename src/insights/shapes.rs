//! What the reports answer: the JSON of the summary, time series, breakdown, terms and the
//! list of answers. Kept apart from the queries that fill them (`report.rs`).

use super::buckets::{Bucket, Interval};
use super::metrics::{Change, Metrics};
use super::terms::Term;
use crate::domain::{Scale, SurveyKind};
use crate::store::insights::ListedAnswer;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A range `[from, to)`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The survey a report is about.
#[derive(Clone, Debug, Serialize)]
pub struct SurveyInfo {
    pub id: Uuid,
    pub key: String,
    pub kind: SurveyKind,
    pub scale: Scale,
}

/// Where the counts came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// Day, hour and quarter-hour rollups, plus raw rows at the edges.
    Rollups,
    /// Raw rows only: a filter or grouping the rollups cannot answer.
    Raw,
}

/// `GET /v1/surveys/{id}/summary`.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub survey: SurveyInfo,
    pub range: Range,
    pub previous_range: Range,
    pub current: Metrics,
    pub previous: Metrics,
    pub change: Change,
    pub plan: Plan,
}

/// One point of a time series.
#[derive(Debug, Serialize)]
pub struct Point {
    #[serde(flatten)]
    pub bucket: Bucket,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// `GET /v1/surveys/{id}/timeseries`.
#[derive(Debug, Serialize)]
pub struct TimeSeries {
    pub survey: SurveyInfo,
    pub interval: Interval,
    pub tz: String,
    pub range: Range,
    pub points: Vec<Point>,
    pub plan: Plan,
}

/// One segment of a breakdown.
#[derive(Debug, Serialize)]
pub struct Segment {
    /// The attribute's value; absent for `other` and `not_set`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// How many values were folded into this row (`other` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<usize>,
    /// Share of all answers in the range.
    pub share: f64,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// `GET /v1/surveys/{id}/breakdown`.
#[derive(Debug, Serialize)]
pub struct Breakdown {
    pub survey: SurveyInfo,
    pub by: String,
    pub range: Range,
    pub min_count: u64,
    pub total: Metrics,
    /// Values with at least `min_count` answers, largest first, at most `limit`.
    pub segments: Vec<Segment>,
    /// Every other value, together.
    pub other: Option<Segment>,
    /// Answers without the attribute.
    pub not_set: Option<Segment>,
    pub plan: Plan,
}

/// `GET /v1/surveys/{id}/terms`.
#[derive(Debug, Serialize)]
pub struct Terms {
    pub survey: SurveyInfo,
    pub range: Range,
    pub previous_range: Range,
    pub comments: u64,
    pub previous_comments: u64,
    /// Whether a period had more comments than were read (only the newest were).
    pub truncated: bool,
    pub top: Vec<Term>,
    pub rising: Vec<Term>,
}

/// `GET /v1/responses`.
#[derive(Debug, Serialize)]
pub struct Page {
    pub data: Vec<ListedAnswer>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
