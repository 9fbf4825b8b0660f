//! Every body checked against its format's schema (`schemas/*.json`, written from each
//! platform's documentation, plus Microsoft's own Adaptive Card schema from npm), and against
//! what JSON Schema cannot say: lengths in UTF-16 units, Discord's 6,000 in all, Teams' bytes,
//! and that a cut comment is a prefix of the original, at a grapheme boundary, plus "…".

use super::text::{units, ELLIPSIS};
use super::*;
use chrono::TimeZone;
use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;

mod discord;
mod slack;
mod teams;

const SLACK_SCHEMA: &str = include_str!("schemas/slack.json");
const TEAMS_SCHEMA: &str = include_str!("schemas/teams.json");
const ADAPTIVE_CARD_SCHEMA: &str = include_str!("schemas/adaptive-card.json");
const DISCORD_SCHEMA: &str = include_str!("schemas/discord.json");

const REPORT: &str = "https://feedback.example.com/reports/surveys/nps-main?from=2026-11-01&to=2026-11-30";

/// What a hostile or merely international comment holds: emoji with ZWJ, a flag and a skin
/// tone; Arabic and Hebrew; every character some format treats as markup; mentions.
const HARD_START: &str = "Family 👨‍👩‍👧‍👦 flag 🇺🇦 thumbs 👍🏽\n\
    مرحبا بالعالم — שלום עולם\n\
    <script>alert(1)</script> & a<b>c\n\
    *bold* _it_ ~strike~ |pipe| ||spoiler|| `code` [link](https://evil.example)\n\
    @everyone @here <@123> <!channel>\n\
    # heading\n\
    - item\n\
    1. one\n";

/// The intact pieces that must survive whatever the format does around them.
const INTACT: [&str; 5] = ["👨‍👩‍👧‍👦", "🇺🇦", "👍🏽", "مرحبا بالعالم", "שלום עולם"];

/// [`HARD_START`] followed by family emoji and words up to 6,000 characters, so that every
/// format's cut falls among multi-unit grapheme clusters.
fn hard_comment() -> String {
    let mut s = HARD_START.to_string();
    while s.chars().count() < 6_000 {
        s.push_str("👨‍👩‍👧‍👦 and more words ");
    }
    s
}

fn attributes() -> Vec<(String, String)> {
    [
        ("plan", "pro"),
        ("platform", "ios"),
        ("utm_source", "**promo**_x"),
        ("locale", "ar_EG"),
        ("city", "תל אביב"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn alert<'a>(comment: Option<&'a str>, attributes: &'a [(String, String)]) -> AlertView<'a> {
    AlertView {
        survey_name: "Checkout NPS",
        kind: SurveyKind::Nps,
        score: Some(3),
        scale_max: Some(10),
        band: Some("detractor"),
        comment,
        respondent_id: Some("user-42"),
        attributes,
        answered_at: Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).single().expect("a valid time"),
        report_url: Some(REPORT),
        event: "response.created",
    }
}

const TERMS: [&str; 3] = ["checkout", "pay_pal", "<slow>"];

fn digest<'a>(terms: &'a [String], themes: &'a [String]) -> DigestView<'a> {
    DigestView {
        survey_name: "Checkout NPS",
        period_label: "week of 2026-11-23 (Europe/Berlin)",
        metric_name: "NPS",
        value: Some(42.0),
        interval: Some((35.14, 48.86)),
        change: Some(3.2),
        responses: 1234,
        rising_terms: terms,
        themes,
        report_url: Some(REPORT),
    }
}

fn terms() -> Vec<String> {
    TERMS.iter().map(|t| t.to_string()).collect()
}

/// Fails with every schema error and the body when `body` does not match `schema`.
fn assert_matches(schema: &str, body: &Value) {
    let schema: Value = serde_json::from_str(schema).expect("the schema is JSON");
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}\nin {body:#}");
}

/// Fails when `body` matches `schema`: the schemas must refuse what the platforms refuse.
fn assert_rejects(schema: &str, body: &Value) {
    let schema: Value = serde_json::from_str(schema).expect("the schema is JSON");
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    assert!(!validator.is_valid(body), "accepted {body:#}");
}

/// `shown` (already unescaped) is `original` cut at a grapheme boundary to at most `cut`
/// units with "…", and not much shorter than the cut.
fn assert_cut(original: &str, shown: &str, cut: usize) {
    let kept = shown.strip_suffix(ELLIPSIS).expect("a cut comment ends with …");
    assert!(original.starts_with(kept), "not a prefix of the original: {kept:?}");
    assert!(original.grapheme_indices(true).any(|(i, _)| i == kept.len()), "cut inside a grapheme cluster");
    assert!(units(kept) + units(ELLIPSIS) <= cut, "{} units over a cut of {cut}", units(kept));
    assert!(units(kept) + 30 >= cut, "cut far too short: {} of {cut}", units(kept));
    for piece in INTACT {
        assert!(kept.contains(piece), "{piece} did not come through intact");
    }
}

/// Undoes Slack's three entities, to compare with the original.
fn unescape_slack(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Undoes CommonMark-style backslash escapes, to compare with the original.
fn unescape_backslashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every string in `v`, for checks that hold for any text in a body.
fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// No text in any body holds a lone surrogate or a broken cluster at a cut: every string that
/// ends with "…" ends a whole grapheme before it.
fn assert_no_broken_cut(body: &Value) {
    for s in strings(body) {
        if let Some(kept) = s.strip_suffix(ELLIPSIS) {
            let last = kept.graphemes(true).next_back().unwrap_or("");
            assert!(!last.ends_with('\u{200d}'), "dangling ZWJ before the ellipsis in {s:?}");
            assert!(!last.ends_with('\\'), "half an escape before the ellipsis in {s:?}");
        }
    }
}

#[test]
fn the_teams_byte_budget_is_under_the_documented_28_kb() {
    const { assert!(super::teams::MAX_BYTES < 28 * 1024) };
}

#[test]
fn bands_pick_their_tone_whatever_the_case() {
    assert_eq!(Tone::of_band(Some("Detractor")), Tone::Bad);
    assert_eq!(Tone::of_band(Some("low")), Tone::Bad);
    assert_eq!(Tone::of_band(Some("passive")), Tone::Mixed);
    assert_eq!(Tone::of_band(Some("PROMOTER")), Tone::Good);
    assert_eq!(Tone::of_band(Some("high")), Tone::Good);
    assert_eq!(Tone::of_band(Some("other")), Tone::Neutral);
    assert_eq!(Tone::of_band(None), Tone::Neutral);
}

#[test]
fn digests_print_values_as_the_reports_do() {
    let terms = terms();
    let d = digest(&terms, &[]);
    assert_eq!(digest_value(&d), "42.0 (95% interval 35.1 to 48.9)");
    assert_eq!(digest_change(&d), "+3.2");
    let csat = DigestView { metric_name: "CSAT", interval: None, change: Some(-1.04), ..d };
    assert_eq!(digest_value(&csat), "42.0%");
    assert_eq!(digest_change(&csat), "−1.0");
    let empty = DigestView { value: None, change: Some(f64::NAN), responses: 0, ..d };
    assert_eq!(digest_value(&empty), "no answers yet");
    assert_eq!(digest_change(&empty), "no earlier period");
    let text = DigestView { metric_name: "responses", value: None, interval: None, change: None, ..d };
    assert_eq!(digest_value(&text), "1234");
}

#[test]
fn digests_list_the_top_themes_then_the_rising_terms_in_every_format() {
    let terms = terms();
    let themes =
        ["dark mode (impact +3.1, rising)".to_string(), "<checkout> crash (impact −4.0)".to_string()];
    let d = digest(&terms, &themes);
    let titles: Vec<&str> = d.lists().map(|(title, _)| title).collect();
    assert_eq!(titles, ["Top themes", "Rising terms"]);
    for (format, schema) in
        [(Format::Slack, SLACK_SCHEMA), (Format::Teams, TEAMS_SCHEMA), (Format::Discord, DISCORD_SCHEMA)]
    {
        let body = digest_body(format, &d);
        assert_matches(schema, &body);
        let text = body.to_string();
        assert!(text.contains("Top themes") && text.contains("dark mode (impact +3.1, rising)"), "{text}");
    }
    // Each format's own escaping applies to them as to the terms (Slack's entities here).
    assert!(digest_body(Format::Slack, &d).to_string().contains("&lt;checkout&gt; crash"));
    let none = digest(&[], &[]);
    assert_eq!(none.lists().count(), 0);
    assert!(!digest_body(Format::Slack, &none).to_string().contains("Top themes"));
}

#[test]
fn an_answer_without_comment_score_or_link_still_makes_valid_bodies() {
    let a = AlertView {
        kind: SurveyKind::Text,
        score: None,
        scale_max: None,
        band: None,
        comment: Some("   "),
        respondent_id: None,
        report_url: None,
        event: "",
        ..alert(None, &[])
    };
    assert_matches(SLACK_SCHEMA, &alert_body(Format::Slack, &a));
    assert_matches(TEAMS_SCHEMA, &alert_body(Format::Teams, &a));
    assert_matches(DISCORD_SCHEMA, &alert_body(Format::Discord, &a));
}
