//! Slack: an incoming-webhook message, a `text` fallback (what notifications and screen readers
//! show) and Block Kit `blocks`: a header, sections, a context line and a button to the report.
//!
//! Block Kit has no colour (only legacy secondary attachments do, and Slack may collapse
//! those), so the tone is a coloured circle in the header. Text from respondents goes only
//! into `mrkdwn` objects, escaped and marked `verbatim` (no automatic links or mentions); the
//! `plain_text` header and button carry only our own words.

use super::text::{fit, Markup};
use super::{alert_headline, digest_change, digest_value, AlertView, DigestView, Tone, MAX_ATTRIBUTES};
use serde_json::{json, Value};

/// Where a comment is cut, in UTF-16 units (see the module table in `integrations`).
pub const COMMENT_CUT: usize = 1_000;
/// A section's `text`, at most (Block Kit: section block).
const SECTION_TEXT_MAX: usize = 3_000;
/// A header's `plain_text`, at most (Block Kit: header block).
const HEADER_MAX: usize = 150;
/// One of a section's `fields`, at most (Block Kit: section block).
const FIELD_MAX: usize = 2_000;
/// A button's `url`, at most (Block Kit: button element); a longer link is left out.
const URL_MAX: usize = 3_000;
/// The comment in the notification fallback: a glance, the blocks carry the rest.
const FALLBACK_COMMENT_CUT: usize = 200;
/// A survey name, an attribute's name and value, a term: enough to recognise them.
const NAME_CUT: usize = 200;
const ATTRIBUTE_NAME_CUT: usize = 50;
const ATTRIBUTE_VALUE_CUT: usize = 300;
const TERM_CUT: usize = 50;

/// The alert as a Slack message.
pub fn alert(a: &AlertView) -> Value {
    let tone = Tone::of_band(a.band);
    let headline = alert_headline(a);
    let survey = escaped(a.survey_name, NAME_CUT);
    let event = match a.event {
        "response.updated" => "answer updated",
        _ => "new answer",
    };

    let mut blocks = vec![header(&format!("{} {headline}", tone.marker()))];
    let mut facts = Vec::new();
    if let Some(id) = a.respondent_id {
        facts.push(field("Respondent", &escaped(id, NAME_CUT)));
    }
    let ts = a.answered_at.timestamp();
    let fallback = super::utc_label(a.answered_at);
    facts.push(field("Answered", &format!("<!date^{ts}^{{date_short_pretty}} {{time}}|{fallback}>")));
    blocks
        .push(json!({"type": "section", "text": mrkdwn(&format!("*{survey}* · {event}")), "fields": facts}));

    let comment = a.comment.filter(|c| !c.trim().is_empty());
    if let Some(comment) = comment {
        let text = fit(comment, Markup::SlackMrkdwn, COMMENT_CUT, SECTION_TEXT_MAX);
        blocks.push(json!({"type": "section", "text": mrkdwn(&text)}));
    }
    let shown = a.attributes.iter().take(MAX_ATTRIBUTES);
    let attributes: Vec<Value> = shown
        .map(|(k, v)| field(&escaped(k, ATTRIBUTE_NAME_CUT), &escaped(v, ATTRIBUTE_VALUE_CUT)))
        .collect();
    if !attributes.is_empty() {
        blocks.push(json!({"type": "section", "fields": attributes}));
    }
    let mut context = vec![mrkdwn(&format!("feedbackd · {}", escaped(a.event, NAME_CUT)))];
    let hidden = a.attributes.len().saturating_sub(MAX_ATTRIBUTES);
    if hidden > 0 {
        context.push(mrkdwn(&format!("{hidden} more attributes in the report")));
    }
    blocks.push(json!({"type": "context", "elements": context}));
    blocks.extend(report_button(a.report_url));

    let mut text = format!("{} {} on {survey}", tone.marker(), escaped(&headline, NAME_CUT));
    if let Some(comment) = comment {
        text.push_str(": ");
        text.push_str(&fit(comment, Markup::SlackMrkdwn, FALLBACK_COMMENT_CUT, SECTION_TEXT_MAX));
    }
    json!({"text": text, "blocks": blocks})
}

/// The digest as a Slack message.
pub fn digest(d: &DigestView) -> Value {
    let survey = escaped(d.survey_name, NAME_CUT);
    let period = escaped(d.period_label, NAME_CUT);
    let metric = escaped(d.metric_name, TERM_CUT);
    let (value, change) = (digest_value(d), digest_change(d));

    let mut blocks = vec![header(&format!("📊 {} digest", fit(d.metric_name, Markup::Plain, 20, 20)))];
    let fields =
        vec![field(&metric, &value), field("Change", &change), field("Responses", &d.responses.to_string())];
    blocks
        .push(json!({"type": "section", "text": mrkdwn(&format!("*{survey}*\n{period}")), "fields": fields}));
    for (title, items) in d.lists() {
        let items: Vec<String> = items.iter().map(|t| escaped(t, TERM_CUT)).collect();
        blocks.push(json!({"type": "section", "text": mrkdwn(&format!("*{title}*\n{}", items.join(" · ")))}));
    }
    blocks.extend(report_button(d.report_url));

    let text = format!(
        "{metric} digest for {survey}, {period}: {value}, change {change}, {} responses",
        d.responses
    );
    json!({"text": text, "blocks": blocks})
}

/// `s` escaped for `mrkdwn` and cut at `cut`.
fn escaped(s: &str, cut: usize) -> String {
    fit(s, Markup::SlackMrkdwn, cut, FIELD_MAX)
}

/// A `mrkdwn` text object whose text is already escaped; `verbatim` so that Slack does not
/// turn bare `@channel`, `#channel` or URLs in it into mentions and links.
fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text, "verbatim": true})
}

/// A header block of our own words, cut to the header's limit.
fn header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": fit(text, Markup::Plain, HEADER_MAX, HEADER_MAX), "emoji": true}})
}

/// A section field: a bold label over an escaped value. The cuts keep it under
/// [`FIELD_MAX`] even when every character escapes to five: an attribute is at most
/// 5 × 50 + 5 × 300 + 3 = 1,753 units, a respondent id 5 × 200 + 14.
fn field(label: &str, value: &str) -> Value {
    mrkdwn(&format!("*{label}*\n{value}"))
}

/// An actions block with a link button to the report, when there is a link Slack accepts.
fn report_button(url: Option<&str>) -> Option<Value> {
    let url = url.filter(|u| !u.is_empty() && super::text::units(u) <= URL_MAX)?;
    Some(json!({"type": "actions", "elements": [{
        "type": "button",
        "text": {"type": "plain_text", "text": "Open report"},
        "url": url,
        "action_id": "open_report",
    }]}))
}
