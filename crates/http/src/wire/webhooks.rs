//! Wire shapes of the webhook endpoints, their delivery log, and the change feed.

use chrono::{DateTime, Utc};
use feedbackd_core::webhooks::endpoints::{DeliveryView, EndpointSpec, EndpointView};
use feedbackd_core::webhooks::feed::FeedPage;
use feedbackd_domain::webhook::{Condition, EventType, Format};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /v1/webhooks`, and `PATCH /v1/webhooks/{id}` (where every field is optional and
/// an absent one is kept).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// Where to send: `https://…` (plain `http` only to loopback, when the operator allows
    /// it for development). At most 2048 characters.
    #[schema(example = "https://hooks.example.com/feedbackd")]
    pub url: Option<String>,
    /// What it is for (at most 500 characters).
    pub description: Option<String>,
    /// The body: `standard` (Standard Webhooks JSON, the default), `slack`, `teams` or `discord`.
    pub format: Option<Format>,
    /// The events to send: `response.created`, `response.updated`, `response.erased`,
    /// `survey.digest`.
    pub event_types: Option<Vec<EventType>>,
    /// Only answers of these surveys (ids or keys); `null`: every survey (the default).
    #[serde(default, deserialize_with = "crate::extract::body::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub survey_ids: Option<Option<Vec<String>>>,
    /// Only answers that meet it, e.g. `{"band": "detractor"}`; erasures always pass.
    pub condition: Option<Condition>,
    /// Off: nothing new is queued for it, and what was queued waits. Turning it on clears
    /// why the service turned it off and sends what waited; a replay brings what it missed.
    pub enabled: Option<bool>,
}

impl EndpointIn {
    pub fn into_spec(self) -> EndpointSpec {
        EndpointSpec {
            url: self.url,
            description: self.description,
            format: self.format,
            event_types: self.event_types,
            survey_ids: self.survey_ids,
            condition: self.condition,
            enabled: self.enabled,
        }
    }
}

/// `GET /v1/webhooks`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointListOut {
    pub endpoints: Vec<EndpointView>,
}

/// `POST /v1/webhooks/{id}/rotate-secret`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateIn {
    /// Hours the current secret keeps signing beside the new one (0 to 168; default 24).
    #[schema(minimum = 0, maximum = 168, example = 24)]
    pub overlap_hours: Option<u32>,
}

/// `POST /v1/webhooks/{id}/replay`: the events of `[from, to)` again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// `GET /v1/webhooks/{id}/deliveries` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state: `pending`, `delivered`, `failed`, `skipped`.
    pub state: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1 to 200; default 50.
    pub limit: Option<i64>,
}

/// A page of the delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryListOut {
    pub deliveries: Vec<DeliveryView>,
    /// Pass as `cursor` for older deliveries; null at the end.
    #[schema(required)]
    pub next_cursor: Option<String>,
}

/// `GET /v1/events` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Resume after this cursor (an event's `cursor`, or a page's `next_cursor`); absent:
    /// from the oldest event kept.
    pub after: Option<String>,
    /// 1 to 1000; default 100.
    pub limit: Option<i64>,
}

/// Re-exported so the OpenAPI derive names it from here.
pub type FeedOut = FeedPage;
