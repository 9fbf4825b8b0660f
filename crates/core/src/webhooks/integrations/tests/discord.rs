//! Discord bodies: schema, limits (6,000 in all), escaping, mentions, the cut, the link.

use super::*;
use crate::webhooks::integrations::discord::COMMENT_CUT;

/// Discord's embed limits in UTF-16 units, and the 6,000 across all embeds.
fn assert_limits(body: &Value) {
    assert!(units(body["content"].as_str().unwrap_or("")) <= 2_000);
    let embeds = body["embeds"].as_array().expect("embeds");
    assert!(embeds.len() <= 10);
    let len = |v: &Value| units(v.as_str().unwrap_or(""));
    let mut total = 0;
    for embed in embeds {
        let (title, description, footer) =
            (len(&embed["title"]), len(&embed["description"]), len(&embed["footer"]["text"]));
        assert!(title <= 256 && description <= 4_096 && footer <= 2_048);
        total += title + description + footer + len(&embed["author"]["name"]);
        let fields = embed["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert!(fields.len() <= 25);
        for field in fields {
            let (name, value) = (len(&field["name"]), len(&field["value"]));
            assert!((1..=256).contains(&name) && (1..=1_024).contains(&value));
            total += name + value;
        }
    }
    assert!(total <= 6_000, "{total} characters in the embeds");
    assert_eq!(body["allowed_mentions"], serde_json::json!({"parse": []}), "nothing may ping");
    assert_no_broken_cut(body);
}

fn embed(body: &Value) -> &Value {
    &body["embeds"][0]
}

fn description(body: &Value) -> &str {
    embed(body)["description"].as_str().expect("a description")
}

#[test]
fn a_plain_detractor_alert_matches_the_schema_in_red_with_the_report_link() {
    let attributes = attributes();
    let body = alert_body(Format::Discord, &alert(Some("Checkout kept failing."), &attributes));
    assert_matches(DISCORD_SCHEMA, &body);
    assert_limits(&body);
    assert_eq!(embed(&body)["title"], "NPS 3/10 · detractor · Checkout NPS");
    assert_eq!(embed(&body)["color"], 0xD9_30_25);
    assert_eq!(embed(&body)["url"], REPORT);
    assert_eq!(embed(&body)["timestamp"], "2026-11-23T09:30:00Z");
    assert_eq!(description(&body), "Checkout kept failing.");
    assert!(body["content"].as_str().is_some_and(|c| c.contains("Checkout NPS")));
    let fields = embed(&body)["fields"].as_array().expect("fields");
    assert!(
        fields.iter().any(|f| f["name"] == r"utm\_source" && f["value"] == r"\*\*promo\*\*\_x"),
        "{fields:?}"
    );
}

#[test]
fn a_hard_comment_is_escaped_cut_whole_and_cannot_ping() {
    let comment = hard_comment();
    let attributes = attributes();
    let body = alert_body(Format::Discord, &alert(Some(&comment), &attributes));
    assert_matches(DISCORD_SCHEMA, &body);
    assert_limits(&body);
    let shown = description(&body);
    assert!(shown.contains(r"\<script>alert(1)\</script> & a\<b>c"), "{shown}");
    assert!(shown.contains(
        r"\*bold\* \_it\_ \~strike\~ \|pipe\| \|\|spoiler\|\| \`code\` \[link\](https://evil.example)"
    ));
    assert!(shown.contains("@everyone @here \\<@123> \\<!channel>"), "{shown}");
    assert!(shown.contains("\n\\# heading\n\\- item\n1\\. one\n"), "{shown}");
    assert_cut(&comment, &unescape_backslashes(shown), COMMENT_CUT);
    assert!(!body["content"].as_str().unwrap_or("").contains("everyone"), "the comment stays out of content");
}

#[test]
fn escaping_and_many_long_attributes_stay_within_six_thousand_in_all() {
    let stars = "*".repeat(6_000);
    let name = "_".repeat(1_000);
    let attributes: Vec<(String, String)> =
        (0..25).map(|i| (format!("{name}{i}"), "~".repeat(2_000))).collect();
    let a = AlertView {
        survey_name: &name,
        respondent_id: Some(&name),
        band: Some(&name),
        ..alert(Some(&stars), &attributes)
    };
    let body = alert_body(Format::Discord, &a);
    assert_matches(DISCORD_SCHEMA, &body);
    assert_limits(&body);
    assert!(description(&body).ends_with(r"\*…"));
    assert!(embed(&body)["footer"]["text"].as_str().is_some_and(|f| f.contains("15 more attributes")));
}

#[test]
fn empty_attribute_values_show_a_dash_discord_accepts() {
    let attributes = vec![("plan".to_string(), String::new()), (" ".to_string(), "x".to_string())];
    let body = alert_body(Format::Discord, &alert(None, &attributes));
    assert_matches(DISCORD_SCHEMA, &body);
    assert!(embed(&body)["description"].is_null());
    let fields = embed(&body)["fields"].as_array().expect("fields");
    assert_eq!(fields[1]["value"], "—");
    assert_eq!(fields[2]["name"], "—");
}

#[test]
fn a_digest_matches_the_schema_with_its_figures_terms_and_link() {
    let terms = terms();
    let body = digest_body(Format::Discord, &digest(&terms, &[]));
    assert_matches(DISCORD_SCHEMA, &body);
    assert_limits(&body);
    let fields = embed(&body)["fields"].as_array().expect("fields");
    assert_eq!(fields[0]["value"], "42.0 (95% interval 35.1 to 48.9)");
    assert_eq!(fields[1]["value"], "+3.2");
    assert_eq!(fields[3]["value"], r"checkout · pay\_pal · \<slow>");
    assert_eq!(embed(&body)["url"], REPORT);
    assert_eq!(embed(&body)["description"], "week of 2026-11-23 (Europe/Berlin)");
}

#[test]
fn the_schema_refuses_what_discord_refuses_and_any_mention() {
    let attributes = attributes();
    let good = alert_body(Format::Discord, &alert(Some("ok"), &attributes));
    let broken = |path: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(path).expect("the path exists") = value;
        body
    };
    assert_rejects(DISCORD_SCHEMA, &broken("/allowed_mentions/parse", serde_json::json!(["everyone"])));
    assert_rejects(DISCORD_SCHEMA, &broken("/embeds/0/description", Value::from("x".repeat(4_097))));
    assert_rejects(DISCORD_SCHEMA, &broken("/embeds/0/description", Value::from("*not escaped*")));
    assert_rejects(DISCORD_SCHEMA, &broken("/embeds/0/title", Value::from("x".repeat(257))));
    assert_rejects(DISCORD_SCHEMA, &broken("/embeds/0/fields/0/value", Value::from("")));
    assert_rejects(DISCORD_SCHEMA, &broken("/embeds/0/color", Value::from(0x1_00_00_00)));
    assert_rejects(DISCORD_SCHEMA, &broken("/content", Value::from("x".repeat(2_001))));
}
