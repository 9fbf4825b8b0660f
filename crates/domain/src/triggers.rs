//! When a survey appears: conditions the widget evaluates on the device (page URL, time on
//! the page, scroll depth, app events, exit intent, how long it has known the person).
//! The server only stores and validates them; it never sees page views, which is what
//! keeps `GET /v1/widget/config` read-only.

use super::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most URL patterns on one survey.
const MAX_URLS: usize = 20;
/// Longest URL pattern (the widget sends at most 2048 characters of the page URL).
const MAX_URL_CHARS: usize = 2048;
/// Longest delay: ten minutes on one page is already a rare visit.
const MAX_DELAY_MS: u32 = 600_000;
/// Longest app event name.
const MAX_EVENT_CHARS: usize = 64;
/// Most page views or days to wait for (ten years of days).
const MAX_SEEN: u32 = 3650;

/// Every condition given must hold (they combine with AND); with none, the survey shows as
/// soon as the page loads. The moments (`delay_ms`, `scroll_percent`, `event`,
/// `exit_intent`) are counted per page view; `min_page_views` and `min_days_seen` from what
/// the device remembers of the person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Triggers {
    /// The page URL (`location.href`, with query and fragment) matches any of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub url: Vec<UrlPattern>,
    /// Milliseconds on the page first (0..=600000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 600000)]
    pub delay_ms: Option<u32>,
    /// How far down the page the person has scrolled, in percent (0..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 100)]
    pub scroll_percent: Option<u32>,
    /// An app event reported on this page: `feedbackd.track("checkout_completed")`
    /// (1 to 64 of `A-Z a-z 0-9 _ . : -`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "checkout_completed")]
    pub event: Option<String>,
    /// The pointer leaves the page through the top of the window (desktop browsers);
    /// shows the survey at most once per session.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exit_intent: bool,
    /// The device has seen the person on at least this many page views (this one included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 3650)]
    pub min_page_views: Option<u32>,
    /// The device first saw the person at least this many days ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 3650)]
    pub min_days_seen: Option<u32>,
}

/// One page URL pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UrlPattern {
    #[serde(rename = "match")]
    pub kind: UrlMatch,
    /// The URL, its beginning, or the glob (1 to 2048 characters).
    #[schema(example = "https://shop.example.com/checkout*")]
    pub value: String,
}

/// How a [`UrlPattern`] compares with the whole page URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UrlMatch {
    /// Equal, character for character.
    Exact,
    /// The URL starts with the value.
    Prefix,
    /// The whole URL matches: `*` is any run of characters (`/` included, or none), `?`
    /// exactly one; every other character is itself. There is no escape.
    Glob,
}

impl Triggers {
    /// No condition: the survey shows on page load.
    pub fn is_empty(&self) -> bool {
        *self == Triggers::default()
    }

    /// Every rule these triggers break, with paths under `triggers`.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.url.len() > MAX_URLS {
            errors.push(FieldError::new("url", format!("at most {MAX_URLS} patterns")));
        }
        for (i, pattern) in self.url.iter().enumerate() {
            let chars = pattern.value.chars().count();
            if chars == 0 || chars > MAX_URL_CHARS {
                errors.push(FieldError::new(
                    format!("url[{i}].value"),
                    format!("must be 1 to {MAX_URL_CHARS} characters"),
                ));
            }
        }
        if self.delay_ms.is_some_and(|ms| ms > MAX_DELAY_MS) {
            errors.push(FieldError::new("delay_ms", format!("at most {MAX_DELAY_MS} (ten minutes)")));
        }
        if self.scroll_percent.is_some_and(|p| p > 100) {
            errors.push(FieldError::new("scroll_percent", "must be 0 to 100"));
        }
        if let Some(event) = &self.event {
            let allowed = |c: char| c.is_ascii_alphanumeric() || "_.:-".contains(c);
            if event.is_empty() || event.len() > MAX_EVENT_CHARS || !event.chars().all(allowed) {
                errors.push(FieldError::new(
                    "event",
                    format!("must be 1 to {MAX_EVENT_CHARS} of A-Z a-z 0-9 _ . : -"),
                ));
            }
        }
        for (field, value) in [("min_page_views", self.min_page_views), ("min_days_seen", self.min_days_seen)]
        {
            if value.is_some_and(|n| n > MAX_SEEN) {
                errors.push(FieldError::new(field, format!("at most {MAX_SEEN}")));
            }
        }
        errors.into_iter().map(|e| e.under("triggers")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Triggers {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn accepts_every_trigger_and_round_trips() {
        let wire = json!({"url": [{"match": "glob", "value": "https://shop.example.com/checkout*"},
                                  {"match": "exact", "value": "https://shop.example.com/"}],
            "delay_ms": 600000, "scroll_percent": 100, "event": "checkout.completed:v2-x_y",
            "exit_intent": true, "min_page_views": 3, "min_days_seen": 7});
        let triggers = parse(wire.clone());
        assert!(triggers.check().is_empty(), "{:?}", triggers.check());
        assert_eq!(serde_json::to_value(&triggers).unwrap(), wire);
        assert!(parse(json!({})).is_empty());
        assert_eq!(serde_json::to_value(Triggers::default()).unwrap(), json!({}));
    }

    #[test]
    fn rejects_each_out_of_range_trigger_by_its_path() {
        let triggers = parse(json!({"url": [{"match": "prefix", "value": ""}], "delay_ms": 600001,
            "scroll_percent": 101, "event": "checkout completed", "min_page_views": 3651,
            "min_days_seen": 3651}));
        let fields: Vec<_> = triggers.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "triggers.url[0].value",
                "triggers.delay_ms",
                "triggers.scroll_percent",
                "triggers.event",
                "triggers.min_page_views",
                "triggers.min_days_seen"
            ]
        );
        let long = parse(json!({"event": "e".repeat(65)}));
        assert_eq!(long.check()[0].field, "triggers.event");
        let many = parse(json!({"url": vec![json!({"match": "exact", "value": "x"}); 21]}));
        assert_eq!(many.check()[0].field, "triggers.url");
    }

    #[test]
    fn refuses_unknown_match_kinds_and_fields() {
        let bad = |v| serde_json::from_value::<Triggers>(v).is_err();
        assert!(bad(json!({"url": [{"match": "regex", "value": "x"}]})));
        assert!(bad(json!({"url": [{"match": "exact", "value": "x", "case": "i"}]})));
        assert!(bad(json!({"on_scroll": 50})));
    }
}
