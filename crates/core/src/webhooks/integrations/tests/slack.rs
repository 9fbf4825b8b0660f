//! Slack bodies: schema, limits, escaping, the cut, the report link.

use super::*;
use crate::webhooks::integrations::slack::COMMENT_CUT;

/// Block Kit's limits, in UTF-16 units, for every block of `body`.
fn assert_limits(body: &Value) {
    let blocks = body["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= 50);
    for block in blocks {
        match block["type"].as_str() {
            Some("header") => assert!(units(block["text"]["text"].as_str().unwrap_or("")) <= 150),
            Some("section") => {
                assert!(units(block["text"]["text"].as_str().unwrap_or("")) <= 3_000);
                let fields = block["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                assert!(fields.len() <= 10);
                assert!(fields.iter().all(|f| units(f["text"].as_str().unwrap_or("")) <= 2_000));
            }
            Some("context") => assert!(block["elements"].as_array().map_or(0, Vec::len) <= 10),
            Some("actions") => {
                for button in block["elements"].as_array().expect("elements") {
                    assert!(units(button["text"]["text"].as_str().unwrap_or("")) <= 75);
                    assert!(units(button["url"].as_str().unwrap_or("")) <= 3_000);
                }
            }
            other => panic!("unexpected block {other:?}"),
        }
    }
    assert_no_broken_cut(body);
}

fn report_url(body: &Value) -> Option<&str> {
    let blocks = body["blocks"].as_array()?;
    let actions = blocks.iter().find(|b| b["type"] == "actions")?;
    actions["elements"][0]["url"].as_str()
}

/// The section that holds the comment: the one with text and no fields after the first.
fn comment_text(body: &Value) -> &str {
    let blocks = body["blocks"].as_array().expect("blocks");
    blocks
        .iter()
        .skip(2)
        .find(|b| b["type"] == "section" && b["fields"].is_null())
        .expect("a comment section")["text"]["text"]
        .as_str()
        .expect("text")
}

#[test]
fn a_plain_detractor_alert_matches_the_schema_with_a_red_marker_and_the_report_link() {
    let attributes = attributes();
    let body = alert_body(Format::Slack, &alert(Some("Checkout kept failing."), &attributes));
    assert_matches(SLACK_SCHEMA, &body);
    assert_limits(&body);
    assert_eq!(body["blocks"][0]["text"]["text"], "🔴 NPS 3/10 · detractor");
    assert_eq!(comment_text(&body), "Checkout kept failing.");
    assert_eq!(report_url(&body), Some(REPORT));
    let text = body["text"].as_str().expect("a fallback text");
    assert!(text.contains("Checkout NPS") && text.contains("Checkout kept failing."), "{text}");
    assert!(body.to_string().contains(r"utm_source*\n**promo**_x"), "attributes keep their text");
}

#[test]
fn a_hard_comment_is_escaped_cut_whole_and_kept_intact() {
    let comment = hard_comment();
    let attributes = attributes();
    let body = alert_body(Format::Slack, &alert(Some(&comment), &attributes));
    assert_matches(SLACK_SCHEMA, &body);
    assert_limits(&body);
    let shown = comment_text(&body);
    assert!(shown.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; a&lt;b&gt;c"), "{shown}");
    assert!(shown.contains("&lt;@123&gt; &lt;!channel&gt;"), "no mention can form: {shown}");
    assert!(!shown.contains('<') && !shown.contains('>'), "no raw control character: {shown}");
    assert!(shown.contains("*bold* _it_ ~strike~ |pipe|"), "Slack documents no escape for these");
    assert_cut(&comment, &unescape_slack(shown), COMMENT_CUT);
    let fallback = unescape_slack(body["text"].as_str().expect("text"));
    assert!(fallback.ends_with(ELLIPSIS) && fallback.contains("👨‍👩‍👧‍👦"), "{fallback}");
}

#[test]
fn a_comment_of_ampersands_stays_within_a_section_once_escaped() {
    let comment = "&".repeat(6_000);
    let body = alert_body(Format::Slack, &alert(Some(&comment), &[]));
    assert_matches(SLACK_SCHEMA, &body);
    assert_limits(&body);
    let shown = comment_text(&body);
    assert!(units(shown) <= 3_000 && shown.ends_with("&amp;…"), "{}", units(shown));
}

#[test]
fn long_names_and_many_attributes_stay_within_the_field_limits() {
    let name = "<&>".repeat(500);
    let attributes: Vec<(String, String)> =
        (0..25).map(|i| (format!("{name}{i}"), "&".repeat(2_000))).collect();
    let a = AlertView { survey_name: &name, respondent_id: Some(&name), ..alert(Some("ok"), &attributes) };
    let body = alert_body(Format::Slack, &a);
    assert_matches(SLACK_SCHEMA, &body);
    assert_limits(&body);
    assert!(body.to_string().contains("15 more attributes in the report"));
}

#[test]
fn a_report_link_slack_would_refuse_is_left_out() {
    let long = format!("https://example.com/{}", "a".repeat(3_000));
    let body = alert_body(Format::Slack, &AlertView { report_url: Some(&long), ..alert(None, &[]) });
    assert_matches(SLACK_SCHEMA, &body);
    assert_eq!(report_url(&body), None);
}

#[test]
fn a_digest_matches_the_schema_with_its_figures_terms_and_link() {
    let terms = terms();
    let body = digest_body(Format::Slack, &digest(&terms, &[]));
    assert_matches(SLACK_SCHEMA, &body);
    assert_limits(&body);
    let json = body.to_string();
    assert!(
        json.contains("42.0 (95% interval 35.1 to 48.9)") && json.contains("+3.2") && json.contains("1234")
    );
    assert!(json.contains("checkout · pay_pal · &lt;slow&gt;"), "{json}");
    assert!(json.contains("week of 2026-11-23 (Europe/Berlin)"));
    assert_eq!(report_url(&body), Some(REPORT));
}

#[test]
fn the_schema_refuses_what_slack_refuses() {
    let attributes = attributes();
    let good = alert_body(Format::Slack, &alert(Some("ok"), &attributes));
    let broken = |path: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(path).expect("the path exists") = value;
        body
    };
    assert_rejects(SLACK_SCHEMA, &broken("/blocks/0/text/text", Value::from("x".repeat(151))));
    assert_rejects(SLACK_SCHEMA, &broken("/blocks/2/text/text", Value::from("a <b> & c")));
    assert_rejects(SLACK_SCHEMA, &broken("/blocks/2/text/text", Value::from("x".repeat(3_001))));
    assert_rejects(
        SLACK_SCHEMA,
        &broken("/blocks/3/fields", Value::from(vec![good["blocks"][3]["fields"][0].clone(); 11])),
    );
    assert_rejects(SLACK_SCHEMA, &broken("/blocks", Value::from(vec![good["blocks"][0].clone(); 51])));
    assert_rejects(SLACK_SCHEMA, &broken("/blocks/5/elements/0/text/text", Value::from("x".repeat(76))));
    assert_rejects(SLACK_SCHEMA, &broken("/text", Value::from("")));
}
