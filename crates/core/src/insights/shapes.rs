//! What the reports answer: the JSON of the summary, time series, breakdown, terms and the
//! list of answers. Kept apart from the queries that fill them (`report.rs`). Their
//! `ToSchema`s are the OpenAPI schemas of the insights endpoints, so every attribute that
//! changes what serde writes (`flatten`, `skip_serializing_if`) has its schema twin here.

use super::buckets::{Bucket, Interval};
use super::metrics::{Change, Metrics};
use super::terms::Term;
use chrono::{DateTime, Utc};
use feedbackd_domain::{Scale, SurveyKind};
use feedbackd_store::insights::ListedAnswer;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A range of instants, `[from, to)`: in every report, the one it used (what was asked,
/// with the defaults filled in).
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct Range {
    /// The first instant in the range.
    pub from: DateTime<Utc>,
    /// The first instant after the range.
    pub to: DateTime<Utc>,
}

impl Range {
    /// The range of equal length just before this one (what a report compares with).
    pub fn previous(&self) -> Range {
        Range { from: self.from - (self.to - self.from), to: self.from }
    }
}

/// The survey a report is about.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SurveyInfo {
    pub id: Uuid,
    /// The slug widgets use.
    pub key: String,
    pub kind: SurveyKind,
    /// The survey's score range (0 to 0 for a text survey, which only `/terms` reports on).
    pub scale: Scale,
}

/// Where the counts came from: `rollups` (day, hour and quarter-hour rollups, plus raw
/// rows at the edges) or `raw` (raw rows only: a filter or grouping rollups cannot answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Rollups,
    Raw,
}

/// `GET /v1/surveys/{survey}/summary`: the metrics of a range and of the range of equal
/// length before it, and the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub survey: SurveyInfo,
    /// The range asked for.
    pub range: Range,
    /// The range of equal length just before it.
    pub previous_range: Range,
    /// The metrics of `range`.
    pub current: Metrics,
    /// The metrics of `previous_range`.
    pub previous: Metrics,
    /// From `previous` to `current`.
    pub change: Change,
    pub plan: Plan,
}

/// One point of a time series: a bucket and the metrics of its answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    #[serde(flatten)]
    pub bucket: Bucket,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// `GET /v1/surveys/{survey}/timeseries`: the metrics per local day, ISO week or month.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeSeries {
    pub survey: SurveyInfo,
    pub interval: Interval,
    /// The IANA time zone the buckets follow.
    pub tz: String,
    pub range: Range,
    /// One per bucket of the range, oldest first, empty ones included.
    pub points: Vec<Point>,
    pub plan: Plan,
}

/// One segment of a breakdown: the answers with one value of the attribute (or the
/// `other` and `not_set` rows), and their metrics.
#[derive(Debug, Serialize, ToSchema)]
pub struct Segment {
    /// The attribute's value; absent for `other` and `not_set`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub value: Option<String>,
    /// How many values were folded into this row (`other` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub values: Option<usize>,
    /// Share of all answers in the range, 0..1.
    pub share: f64,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// `GET /v1/surveys/{survey}/breakdown`: the metrics per value of an attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown {
    pub survey: SurveyInfo,
    /// The attribute key the answers are grouped by (without `attributes.`).
    pub by: String,
    pub range: Range,
    /// The fewest answers a value needs for a row of its own.
    pub min_count: u64,
    /// The metrics of every answer in the range.
    pub total: Metrics,
    /// Values with at least `min_count` answers, largest first, at most `limit`.
    pub segments: Vec<Segment>,
    /// Every other value, together; null when there is none.
    #[schema(required)]
    pub other: Option<Segment>,
    /// Answers without the attribute; null when there are none.
    #[schema(required)]
    pub not_set: Option<Segment>,
    pub plan: Plan,
}

/// `GET /v1/surveys/{survey}/terms`: frequent and rising words and two-word phrases in
/// comments.
#[derive(Debug, Serialize, ToSchema)]
pub struct Terms {
    pub survey: SurveyInfo,
    pub range: Range,
    /// The range of equal length just before it, which `rising` compares with.
    pub previous_range: Range,
    /// Comments read in `range`.
    pub comments: u64,
    /// Comments read in `previous_range`.
    pub previous_comments: u64,
    /// Whether a period had more comments than were read (only the newest were).
    pub truncated: bool,
    /// The most frequent terms, most frequent first.
    pub top: Vec<Term>,
    /// The terms whose share grew most (`lift` above 1), highest lift first.
    pub rising: Vec<Term>,
}

/// `GET /v1/responses`: a page of answers, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResponsePage)]
pub struct Page {
    pub data: Vec<ListedAnswer>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required)]
    pub next_cursor: Option<String>,
}
