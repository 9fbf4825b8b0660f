//! Microsoft Teams: a message with one Adaptive Card (version 1.4), the shape both the classic
//! incoming webhooks and the Workflows "post to a channel when a webhook request is received"
//! trigger accept.
//!
//! The comment goes into a `RichTextBlock` `TextRun`, which Adaptive Cards render without
//! Markdown: it needs no escaping, so nothing in it is changed or shown with stray
//! backslashes. Shorter texts (survey name, attributes, terms) sit in `TextBlock`s and `Fact`s,
//! which do render Teams' Markdown subset, and are escaped for it. The tone colours the
//! headline (`attention`, `warning`, `good`).

use super::text::{escape, fit, Markup};
use super::{alert_headline, digest_change, digest_value, AlertView, DigestView, Tone, MAX_ATTRIBUTES};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Where a comment is cut, in UTF-16 units (see the module table in `integrations`).
pub const COMMENT_CUT: usize = 2_000;
/// The serialized body, at most. Teams documents 28 KB for a webhook message; senders report
/// rejections from about 21 KB, so a card is kept under 20,000 bytes. Ordinary answers come
/// nowhere near; a pathological one (thousands of control characters, each six bytes once
/// JSON-escaped) first loses its attributes, then most of its comment ([`alert`]).
pub const MAX_BYTES: usize = 20_000;
/// A survey name, an attribute's name and value, a term: enough to recognise them.
const NAME_CUT: usize = 200;
const ATTRIBUTE_NAME_CUT: usize = 64;
const ATTRIBUTE_VALUE_CUT: usize = 256;
const TERM_CUT: usize = 50;
/// No per-text limit applies in Teams; the byte budget above bounds the whole.
const NO_LIMIT: usize = usize::MAX;

/// The alert as a Teams message: the first of these attempts that fits [`MAX_BYTES`].
pub fn alert(a: &AlertView) -> Value {
    let attempts = [(MAX_ATTRIBUTES, COMMENT_CUT), (0, COMMENT_CUT), (0, 500), (0, 100)];
    let mut body = Value::Null;
    for (attributes, cut) in attempts {
        body = alert_card(a, attributes, cut);
        if body.to_string().len() <= MAX_BYTES {
            break;
        }
    }
    body
}

fn alert_card(a: &AlertView, max_attributes: usize, comment_cut: usize) -> Value {
    let tone = Tone::of_band(a.band);
    let color = match tone {
        Tone::Bad => "attention",
        Tone::Mixed => "warning",
        Tone::Good => "good",
        Tone::Neutral => "default",
    };
    let survey = escaped(a.survey_name, NAME_CUT);
    let headline = escaped(&alert_headline(a), NAME_CUT);
    let mut body = vec![
        json!({"type": "TextBlock", "text": &survey, "size": "medium", "weight": "bolder", "wrap": true}),
        json!({"type": "TextBlock", "text": &headline, "color": color, "weight": "bolder", "wrap": true, "spacing": "none"}),
    ];
    let comment = a.comment.filter(|c| !c.trim().is_empty());
    if let Some(comment) = comment {
        let text = fit(comment, Markup::Plain, comment_cut, NO_LIMIT);
        body.push(json!({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text}]}));
    }
    let mut facts = Vec::new();
    if let Some(id) = a.respondent_id {
        facts.push(fact("Respondent", &escaped(id, NAME_CUT)));
    }
    for (name, value) in a.attributes.iter().take(max_attributes) {
        facts.push(fact(&escaped(name, ATTRIBUTE_NAME_CUT), &escaped(value, ATTRIBUTE_VALUE_CUT)));
    }
    if !facts.is_empty() {
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    let hidden = a.attributes.len().saturating_sub(max_attributes);
    let mut footer = format!("{} · {}", escaped(a.event, NAME_CUT), localized(a.answered_at));
    if hidden > 0 {
        footer.push_str(&format!(" · {hidden} more attributes in the report"));
    }
    body.push(json!({"type": "TextBlock", "text": footer, "isSubtle": true, "size": "small", "wrap": true}));
    let fallback = format!("{headline} on {survey}");
    message(body, a.report_url, &fallback)
}

/// The digest as a Teams message.
pub fn digest(d: &DigestView) -> Value {
    let survey = escaped(d.survey_name, NAME_CUT);
    let mut body = vec![
        json!({"type": "TextBlock", "text": &survey, "size": "medium", "weight": "bolder", "wrap": true}),
        json!({"type": "TextBlock", "text": escaped(d.period_label, NAME_CUT), "isSubtle": true, "wrap": true, "spacing": "none"}),
        json!({"type": "FactSet", "facts": [
            fact(&escaped(d.metric_name, TERM_CUT), &escape(Markup::TeamsMarkdown, &digest_value(d))),
            fact("Change", &digest_change(d)),
            fact("Responses", &d.responses.to_string()),
        ]}),
    ];
    for (title, items) in d.lists() {
        let items: Vec<String> = items.iter().map(|t| escaped(t, TERM_CUT)).collect();
        body.push(json!({"type": "TextBlock", "text": title, "weight": "bolder", "wrap": true}));
        body.push(json!({"type": "TextBlock", "text": items.join(" · "), "wrap": true, "spacing": "none"}));
    }
    let fallback = format!("{} digest for {survey}", escaped(d.metric_name, TERM_CUT));
    message(body, d.report_url, &fallback)
}

/// `s` escaped for Teams' Markdown and cut at `cut`.
fn escaped(s: &str, cut: usize) -> String {
    fit(s, Markup::TeamsMarkdown, cut, NO_LIMIT)
}

fn fact(title: &str, value: &str) -> Value {
    json!({"title": title, "value": value})
}

/// The time in the reader's own zone and language, through the Adaptive Card `DATE` and
/// `TIME` functions (which need exactly this RFC 3339 shape, in UTC with `Z`).
fn localized(at: DateTime<Utc>) -> String {
    let at = at.format("%Y-%m-%dT%H:%M:%SZ");
    format!("{{{{DATE({at}, SHORT)}}}} {{{{TIME({at})}}}}")
}

/// The card, with a button to the report when there is one, in its message envelope.
fn message(body: Vec<Value>, report_url: Option<&str>, fallback: &str) -> Value {
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "fallbackText": fallback,
        "body": body,
    });
    if let Some(url) = report_url.filter(|u| !u.is_empty()) {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": "Open report", "url": url}]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}
