//! Discord: an "Execute Webhook" body with a short `content` line (what notifications show),
//! one embed coloured by tone, and `allowed_mentions: {"parse": []}` so that no text in it,
//! `@everyone` and `<@id>` included, can ping anyone.
//!
//! Every text Discord renders as Markdown (content, title, description, field names and
//! values) is escaped; the footer, which Discord shows literally, carries only our words.
//! The cuts below keep one embed within Discord's 6,000-character total even when every
//! character escapes to two: title 256 + description 3,000 + respondent 10 + 128 +
//! 10 attributes × (64 + 128) + footer 80 = 5,394.

use super::text::{fit, units, Markup};
use super::{alert_headline, digest_change, digest_value, AlertView, DigestView, Tone, MAX_ATTRIBUTES};
use chrono::SecondsFormat;
use serde_json::{json, Value};

/// Where a comment is cut, in UTF-16 units (see the module table in `integrations`).
pub const COMMENT_CUT: usize = 1_500;
/// The escaped comment, at most: the description holds 4,096, the embed 6,000 in all.
const DESCRIPTION_MAX: usize = 3_000;
/// A survey name in a title or content line: raw cut, and its escaped form at most.
const NAME_CUT: (usize, usize) = (150, 190);
/// Our headline ("NPS 3/10 · detractor"), with a band name from the caller.
const HEADLINE_CUT: (usize, usize) = (50, 60);
const RESPONDENT_CUT: (usize, usize) = (100, 128);
const ATTRIBUTE_NAME_CUT: (usize, usize) = (48, 64);
const ATTRIBUTE_VALUE_CUT: (usize, usize) = (100, 128);
const TERM_CUT: (usize, usize) = (50, 64);
const METRIC_CUT: (usize, usize) = (20, 24);
const PERIOD_CUT: (usize, usize) = (200, 400);
/// Discord documents no limit for an embed's `url`; links longer than this are left out.
const URL_MAX: usize = 2_048;

/// The alert as a Discord webhook body.
pub fn alert(a: &AlertView) -> Value {
    let headline = cut(&alert_headline(a), HEADLINE_CUT);
    let survey = cut(a.survey_name, NAME_CUT);
    let mut embed = json!({
        "title": format!("{headline} · {survey}"),
        "color": color(Tone::of_band(a.band)),
        "timestamp": a.answered_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    if let Some(comment) = a.comment.filter(|c| !c.trim().is_empty()) {
        embed["description"] = json!(fit(comment, Markup::DiscordMarkdown, COMMENT_CUT, DESCRIPTION_MAX));
    }
    let mut fields = Vec::new();
    if let Some(id) = a.respondent_id {
        fields.push(field("Respondent", &cut(id, RESPONDENT_CUT)));
    }
    for (name, value) in a.attributes.iter().take(MAX_ATTRIBUTES) {
        fields.push(field(&cut(name, ATTRIBUTE_NAME_CUT), &cut(value, ATTRIBUTE_VALUE_CUT)));
    }
    if !fields.is_empty() {
        embed["fields"] = json!(fields);
    }
    let hidden = a.attributes.len().saturating_sub(MAX_ATTRIBUTES);
    let mut footer = format!("feedbackd · {}", fit(a.event, Markup::Plain, 32, 32));
    if hidden > 0 {
        footer.push_str(&format!(" · {hidden} more attributes in the report"));
    }
    embed["footer"] = json!({"text": footer});
    link(&mut embed, a.report_url);
    body(format!("{headline} on {survey}"), embed)
}

/// The digest as a Discord webhook body.
pub fn digest(d: &DigestView) -> Value {
    let metric = cut(d.metric_name, METRIC_CUT);
    let survey = cut(d.survey_name, NAME_CUT);
    let mut fields = vec![
        inline_field(&metric, &cut(&digest_value(d), TERM_CUT)),
        inline_field("Change", &digest_change(d)),
        inline_field("Responses", &d.responses.to_string()),
    ];
    for (title, items) in d.lists() {
        let items: Vec<String> = items.iter().map(|t| cut(t, TERM_CUT)).collect();
        fields.push(field(title, &items.join(" · ")));
    }
    let mut embed = json!({
        "title": format!("📊 {metric} digest · {survey}"),
        "description": cut(d.period_label, PERIOD_CUT),
        "color": color(Tone::Neutral),
        "fields": fields,
        "footer": {"text": "feedbackd · survey.digest"},
    });
    link(&mut embed, d.report_url);
    body(format!("{metric} digest for {survey}"), embed)
}

/// `s` escaped for Discord and cut at `(raw, escaped)` units.
fn cut(s: &str, (raw, escaped): (usize, usize)) -> String {
    fit(s, Markup::DiscordMarkdown, raw, escaped)
}

/// The embed's side bar: red, amber, green, or Discord's blurple.
fn color(tone: Tone) -> u32 {
    match tone {
        Tone::Bad => 0xD9_30_25,
        Tone::Mixed => 0xF9_AB_00,
        Tone::Good => 0x1E_8E_3E,
        Tone::Neutral => 0x58_65_F2,
    }
}

/// An embed field; Discord rejects an empty name or value, so those show a dash.
fn field(name: &str, value: &str) -> Value {
    let or_dash = |s: &str| if s.trim().is_empty() { "—".to_string() } else { s.to_string() };
    json!({"name": or_dash(name), "value": or_dash(value)})
}

/// A field that sits beside its neighbours.
fn inline_field(name: &str, value: &str) -> Value {
    let mut field = field(name, value);
    field["inline"] = json!(true);
    field
}

/// Links the embed's title to the report.
fn link(embed: &mut Value, url: Option<&str>) {
    if let Some(url) = url.filter(|u| !u.is_empty() && units(u) <= URL_MAX) {
        embed["url"] = json!(url);
    }
}

fn body(content: String, embed: Value) -> Value {
    json!({"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}})
}
