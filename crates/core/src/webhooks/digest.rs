//! `survey.digest`: a survey's figures for a period just ended, as an event's `data`.

use serde::{Deserialize, Serialize};

/// What a digest event carries.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Digest {
    pub survey_id: uuid::Uuid,
    pub survey_key: String,
    /// `day` or `week`.
    pub period: String,
    /// The period's first day, in the survey's time zone.
    pub start: chrono::NaiveDate,
    /// The day after its last.
    pub end: chrono::NaiveDate,
    pub time_zone: String,
    /// `NPS`, `CSAT`, `CES` or `mean`.
    pub metric: String,
    pub value: Option<f64>,
    /// The 95 % interval of `value`: `[low, high]`.
    #[schema(value_type = Option<Vec<f64>>, min_items = 2, max_items = 2)]
    pub interval: Option<(f64, f64)>,
    /// `value` minus the period before's.
    pub change: Option<f64>,
    pub responses: u64,
    /// Terms said more often than in the period before.
    pub rising_terms: Vec<String>,
}

impl Digest {
    /// How a chat message names the period.
    pub fn period_label(&self) -> String {
        match self.period.as_str() {
            "day" => format!("{} ({})", self.start, self.time_zone),
            _ => format!("week of {} ({})", self.start, self.time_zone),
        }
    }
}
