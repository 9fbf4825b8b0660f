//! The `webhooks` section of the OpenAPI 3.1 document: what feedbackd sends to an
//! endpoint, per event type, with the Standard Webhooks headers. utoipa 5 has no field for
//! it, so the served document is the generated one with this section beside it.

use feedbackd_domain::webhook::EventType;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The OpenAPI document as served: utoipa's, plus `webhooks`.
#[derive(Serialize)]
pub struct Document {
    #[serde(flatten)]
    pub api: utoipa::openapi::OpenApi,
    pub webhooks: Map<String, Value>,
}

/// What each event says, and the schema of its `data`.
fn event(kind: EventType) -> (&'static str, &'static str, Value) {
    match kind {
        EventType::ResponseCreated => (
            "An answer was stored",
            "Sent once per stored answer (a flagged repeat is not sent). `data` is the answer as \
             `GET /v1/responses` lists it, read when the delivery goes out.",
            json!({"$ref": "#/components/schemas/ListedAnswer"}),
        ),
        EventType::ResponseUpdated => (
            "An answer got its follow-up",
            "Sent when a widget adds the comment or category after the score. `data` is the whole \
             answer as it is now.",
            json!({"$ref": "#/components/schemas/ListedAnswer"}),
        ),
        EventType::ResponseErased => (
            "An answer was erased",
            "Sent for each answer a respondent's erasure deleted: erase your copy too. Carries ids only.",
            json!({"type": "object", "required": ["id", "survey_id"],
                   "properties": {"id": {"type": "string", "format": "uuid"},
                                  "survey_id": {"type": "string", "format": "uuid"}}}),
        ),
        EventType::SurveyDigest => (
            "A survey's figures for the week just ended",
            "The metric with its 95 % interval, its change on the week before, the number of answers \
             and the rising terms, for a week in the project's time zone.",
            json!({"$ref": "#/components/schemas/Digest"}),
        ),
    }
}

fn header(name: &str, description: &str, example: &str) -> Value {
    json!({"name": name, "in": "header", "required": true, "description": description,
           "schema": {"type": "string"}, "example": example})
}

/// One entry per event type.
pub fn webhooks() -> Map<String, Value> {
    let headers = [
        header(
            "webhook-id",
            "The delivery's id: the same on every retry, resend and replay; deduplicate on it.",
            "msg_01938f3c7a2b7d4e8f9a0b1c2d3e4f50",
        ),
        header(
            "webhook-timestamp",
            "Unix seconds when this attempt was signed; refuse old ones.",
            "1764547200",
        ),
        header(
            "webhook-signature",
            "`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under the \
             endpoint's secret; two, space-separated, while a rotation overlaps.",
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        ),
    ];
    EventType::ALL
        .into_iter()
        .map(|kind| {
            let (summary, description, data) = event(kind);
            let body = json!({"allOf": [
                {"$ref": "#/components/schemas/Envelope"},
                {"type": "object", "properties": {"type": {"const": kind.as_str()}, "data": data}}
            ]});
            let operation = json!({
                "operationId": format!("webhook_{}", kind.as_str().replace('.', "_")),
                "summary": summary,
                "description": format!("{description} Slack, Teams and Discord endpoints get a chat \
                    message instead (no erasures). Any 2xx is success; 3xx is a failure (no redirect is \
                    followed); 410 disables the endpoint; 429 and 503 are retried after `Retry-After`; \
                    anything else on the retry schedule."),
                "tags": ["webhooks"],
                "parameters": headers,
                "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
                "responses": {
                    "2XX": {"description": "Received; anything else is retried"},
                    "410": {"description": "Disables the endpoint"}
                }
            });
            (kind.as_str().to_string(), json!({ "post": operation }))
        })
        .collect()
}
