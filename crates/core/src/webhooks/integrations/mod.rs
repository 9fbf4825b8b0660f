//! Message bodies for chat integrations: a detractor alert or a survey digest as the JSON that
//! a Slack, Microsoft Teams or Discord incoming webhook accepts. Pure functions from a view to
//! a body, no I/O: the dispatcher posts what [`alert_body`] and [`digest_body`] return to an
//! endpoint whose format is not the default Standard Webhooks event.
//!
//! Every text that comes from a respondent or a project (comment, survey name, attributes,
//! terms) is escaped for the markup it lands in ([`text::Markup`]) and cut, when too long, at
//! a grapheme-cluster boundary with "…" appended ([`text::fit`]): no character, emoji ZWJ
//! sequence or flag is ever split, and right-to-left text passes through as it came. Lengths
//! are counted in UTF-16 code units, never fewer than the characters any platform counts.
//!
//! | format  | a comment is cut at | why that length |
//! |---------|---------------------|-----------------|
//! | Slack   | 1,000 | a section's text holds 3,000 characters; `&amp;`-style escaping can grow a comment up to five times, and the cut also stops at 3,000 escaped |
//! | Teams   | 2,000 | no per-text limit, but the whole message must stay under 28 KB; 2,000 units are at most 6 KB of UTF-8, and a card over `teams::MAX_BYTES` sheds attributes, then comment |
//! | Discord | 1,500 | an embed description holds 4,096 and all the text of a message's embeds 6,000; backslash escaping at most doubles it, and the cut also stops at 3,000 escaped |
//!
//! The limits, from each platform's documentation (the schemas under `schemas/` encode them
//! and name their sources):
//! - Slack Block Kit (docs.slack.dev, reference/block-kit): ≤ 50 blocks per message; header
//!   `plain_text` ≤ 150; section `text` ≤ 3,000; ≤ 10 section `fields` of ≤ 2,000 each;
//!   ≤ 10 context elements; button text ≤ 75, `url` ≤ 3,000, `action_id` ≤ 255; escaping of
//!   `&`, `<`, `>` from "Formatting message text".
//! - Teams (learn.microsoft.com, "Create an Incoming Webhook", "Format cards in Teams"): the
//!   message is limited to 28 KB (`teams::MAX_BYTES` keeps well under it); Markdown in
//!   `TextBlock` and `Fact` (bold, italic, lists, links), none in `RichTextBlock`/`TextRun`.
//! - Discord (discord.com/developers, "Execute Webhook", "Embed Limits"): `content` ≤ 2,000;
//!   ≤ 10 embeds; title ≤ 256, description ≤ 4,096, ≤ 25 fields with name ≤ 256 and value
//!   ≤ 1,024, footer ≤ 2,048, author ≤ 256, and ≤ 6,000 of all these together.

mod discord;
mod slack;
mod teams;
pub mod text;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use feedbackd_domain::SurveyKind;
use serde::{Deserialize, Serialize};

/// A chat platform whose incoming webhooks an endpoint posts to. (The default, an event
/// signed to the Standard Webhooks spec, is not a chat format and is built elsewhere.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A Slack incoming webhook: `text` and Block Kit `blocks`.
    Slack,
    /// A Microsoft Teams incoming webhook or Workflows trigger: an Adaptive Card message.
    Teams,
    /// A Discord webhook: `content`, one embed and `allowed_mentions`.
    Discord,
}

/// One answer, as an alert shows it (say, a detractor's).
#[derive(Clone, Copy, Debug)]
pub struct AlertView<'a> {
    /// The survey's name as the project gave it.
    pub survey_name: &'a str,
    /// What the survey asks for; names the score ("NPS 3/10").
    pub kind: SurveyKind,
    /// The answer's score; `None` for free-text feedback.
    pub score: Option<i16>,
    /// The top of the survey's scale, to show a score as "3/10".
    pub scale_max: Option<i16>,
    /// The score's band as the condition named it: "detractor", "passive", "promoter",
    /// "low", "high"…; it picks the colour ([`Tone::of_band`]).
    pub band: Option<&'a str>,
    /// The respondent's comment, whole: each format cuts it at its own length.
    pub comment: Option<&'a str>,
    /// The respondent id the app sent, if any.
    pub respondent_id: Option<&'a str>,
    /// Respondent attributes flattened to text; the first [`MAX_ATTRIBUTES`] are shown.
    pub attributes: &'a [(String, String)],
    /// When the answer was committed.
    pub answered_at: DateTime<Utc>,
    /// The survey's report page.
    pub report_url: Option<&'a str>,
    /// "response.created" or "response.updated".
    pub event: &'a str,
}

/// A periodic survey digest.
#[derive(Clone, Copy, Debug)]
pub struct DigestView<'a> {
    /// The survey's name as the project gave it.
    pub survey_name: &'a str,
    /// For example "week of 2026-11-23 (Europe/Berlin)".
    pub period_label: &'a str,
    /// "NPS", "CSAT", "CES", "mean", or "responses" (a text survey's, without a value).
    pub metric_name: &'a str,
    /// The metric over the period; `None` when nobody answered.
    pub value: Option<f64>,
    /// The 95 % interval around `value`.
    pub interval: Option<(f64, f64)>,
    /// The change from the previous period, in the metric's unit.
    pub change: Option<f64>,
    /// Answers in the period.
    pub responses: u64,
    /// The first [`MAX_TERMS`] are shown.
    pub rising_terms: &'a [String],
    /// The period's top themes, each as one line ("dark mode (impact +3.1, rising)").
    pub themes: &'a [String],
    /// The survey's report page.
    pub report_url: Option<&'a str>,
}

impl DigestView<'_> {
    /// The digest's lists under their titles, the empty ones left out: what every chat
    /// format shows below the figures, each in its own markup.
    pub fn lists(&self) -> impl Iterator<Item = (&'static str, &[String])> {
        let n = self.rising_terms.len().min(MAX_TERMS);
        [("Top themes", self.themes), ("Rising terms", &self.rising_terms[..n])]
            .into_iter()
            .filter(|(_, items)| !items.is_empty())
    }
}

/// Attributes shown at most: Slack's section holds 10 fields, and more would bury the comment.
pub const MAX_ATTRIBUTES: usize = 10;
/// Rising terms shown at most in a digest.
pub const MAX_TERMS: usize = 10;

/// The body to post for an alert.
pub fn alert_body(format: Format, alert: &AlertView) -> serde_json::Value {
    match format {
        Format::Slack => slack::alert(alert),
        Format::Teams => teams::alert(alert),
        Format::Discord => discord::alert(alert),
    }
}

/// The body to post for a digest.
pub fn digest_body(format: Format, digest: &DigestView) -> serde_json::Value {
    match format {
        Format::Slack => slack::digest(digest),
        Format::Teams => teams::digest(digest),
        Format::Discord => discord::digest(digest),
    }
}

/// How an answer reads at a glance, shown as a colour where the format has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Detractor, low: red.
    Bad,
    /// Passive, neutral: amber.
    Mixed,
    /// Promoter, high: green.
    Good,
    /// No band, or one this module does not know.
    Neutral,
}

impl Tone {
    /// The tone of a band name, whatever its case.
    pub fn of_band(band: Option<&str>) -> Self {
        match band.map(str::to_ascii_lowercase).as_deref() {
            Some("detractor" | "low" | "dissatisfied" | "negative") => Tone::Bad,
            Some("passive" | "neutral" | "medium") => Tone::Mixed,
            Some("promoter" | "high" | "satisfied" | "positive") => Tone::Good,
            _ => Tone::Neutral,
        }
    }

    /// A coloured circle for formats without colour (Slack's Block Kit has none).
    fn marker(self) -> &'static str {
        match self {
            Tone::Bad => "🔴",
            Tone::Mixed => "🟠",
            Tone::Good => "🟢",
            Tone::Neutral => "⚪",
        }
    }
}

/// What the survey kind is called in a message.
fn kind_label(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Nps => "NPS",
        SurveyKind::Csat => "CSAT",
        SurveyKind::Ces => "CES",
        SurveyKind::Rating => "Rating",
        SurveyKind::Text => "Feedback",
        SurveyKind::Choice => "Survey",
    }
}

/// "3/10", "3" without a scale, or `None` without a score.
fn score_label(alert: &AlertView) -> Option<String> {
    let score = alert.score?;
    Some(match alert.scale_max {
        Some(max) => format!("{score}/{max}"),
        None => score.to_string(),
    })
}

/// The headline of an alert from our own words only: "NPS 3/10 · detractor".
fn alert_headline(alert: &AlertView) -> String {
    let mut line = kind_label(alert.kind).to_string();
    if let Some(score) = score_label(alert) {
        line.push(' ');
        line.push_str(&score);
    }
    if let Some(band) = alert.band {
        line.push_str(" · ");
        line.push_str(band);
    }
    line
}

/// A metric's value as the report pages print it: one decimal, CSAT as a percentage.
fn metric_value(metric: &str, v: f64) -> Option<String> {
    v.is_finite().then(|| {
        if metric.eq_ignore_ascii_case("CSAT") {
            format!("{v:.1}%")
        } else {
            format!("{v:.1}")
        }
    })
}

/// "42.0 (95% interval 35.1 to 48.9)", "no answers yet", or the count of a text
/// survey's answers (it has no score; its digest's metric is the responses).
fn digest_value(d: &DigestView) -> String {
    let Some(value) = d.value.and_then(|v| metric_value(d.metric_name, v)) else {
        return match d.responses {
            0 => "no answers yet".to_string(),
            n => n.to_string(),
        };
    };
    match d
        .interval
        .and_then(|(lo, hi)| Some((metric_value(d.metric_name, lo)?, metric_value(d.metric_name, hi)?)))
    {
        Some((lo, hi)) => format!("{value} (95% interval {lo} to {hi})"),
        None => value,
    }
}

/// "+3.2", "−1.0" or "no earlier period".
fn digest_change(d: &DigestView) -> String {
    match d.change.filter(|c| c.is_finite()) {
        Some(c) if c < 0.0 => format!("−{:.1}", -c),
        Some(c) => format!("+{c:.1}"),
        None => "no earlier period".to_string(),
    }
}

/// When the answer came, for formats without a date token of their own.
fn utc_label(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
