//! Teams bodies: both schemas, the byte budget, escaping, the cut, the report link.

use super::*;
use crate::webhooks::integrations::teams::{COMMENT_CUT, MAX_BYTES};

/// Our schema for the whole message, Microsoft's for the card, and the size Teams accepts.
fn assert_valid(body: &Value) {
    assert_matches(TEAMS_SCHEMA, body);
    assert_matches(ADAPTIVE_CARD_SCHEMA, &body["attachments"][0]["content"]);
    let bytes = body.to_string().len();
    assert!(bytes <= MAX_BYTES, "{bytes} bytes");
    assert_no_broken_cut(body);
}

fn card(body: &Value) -> &Value {
    &body["attachments"][0]["content"]
}

fn element<'a>(body: &'a Value, kind: &str) -> Option<&'a Value> {
    card(body)["body"].as_array()?.iter().find(|e| e["type"] == kind)
}

fn comment_text(body: &Value) -> &str {
    element(body, "RichTextBlock").expect("a comment")["inlines"][0]["text"].as_str().expect("text")
}

fn facts(body: &Value) -> Vec<(String, String)> {
    let facts = element(body, "FactSet").map(|f| f["facts"].as_array().cloned().unwrap_or_default());
    let title_value = |f: &Value| {
        (f["title"].as_str().unwrap_or("").to_string(), f["value"].as_str().unwrap_or("").to_string())
    };
    facts.unwrap_or_default().iter().map(title_value).collect()
}

#[test]
fn a_plain_detractor_alert_matches_both_schemas_in_attention_colour_with_the_report_link() {
    let attributes = attributes();
    let body = alert_body(Format::Teams, &alert(Some("Checkout kept failing."), &attributes));
    assert_valid(&body);
    let blocks = card(&body)["body"].as_array().expect("body");
    assert_eq!(blocks[0]["text"], "Checkout NPS");
    assert_eq!(blocks[1]["text"], "NPS 3/10 · detractor");
    assert_eq!(blocks[1]["color"], "attention");
    assert_eq!(comment_text(&body), "Checkout kept failing.");
    assert_eq!(card(&body)["actions"][0]["url"], REPORT);
    let facts = facts(&body);
    assert!(facts.contains(&("utm\\_source".into(), "\\*\\*promo\\*\\*\\_x".into())), "{facts:?}");
    assert!(facts.contains(&("city".into(), "תל אביב".into())), "{facts:?}");
    let footer = blocks.last().expect("a footer")["text"].as_str().expect("text");
    assert!(footer.contains("{{DATE(2026-11-23T09:30:00Z, SHORT)}}"), "{footer}");
}

#[test]
fn a_hard_comment_goes_unescaped_into_a_text_run_cut_whole_and_intact() {
    let comment = hard_comment();
    let attributes = attributes();
    let body = alert_body(Format::Teams, &alert(Some(&comment), &attributes));
    assert_valid(&body);
    let shown = comment_text(&body);
    // A TextRun renders no Markdown, so nothing needs escaping and nothing is changed.
    assert!(shown.contains("<script>alert(1)</script> & a<b>c"), "{shown}");
    assert!(shown.contains("*bold* _it_ ~strike~ |pipe|"), "{shown}");
    assert_cut(&comment, shown, COMMENT_CUT);
}

#[test]
fn markdown_in_text_blocks_and_facts_is_escaped() {
    let attributes = vec![("- list".to_string(), "1. one [x](y)".to_string())];
    let a = AlertView { survey_name: "**Bold** _survey_", ..alert(None, &attributes) };
    let body = alert_body(Format::Teams, &a);
    assert_valid(&body);
    assert_eq!(card(&body)["body"][0]["text"], r"\*\*Bold\*\* \_survey\_");
    assert!(facts(&body).contains(&(r"\- list".into(), r"1\. one \[x\](y)".into())));
}

#[test]
fn a_body_of_control_characters_sheds_attributes_then_comment_to_fit_the_byte_budget() {
    let noise = "\u{1}".repeat(6_000);
    let attributes: Vec<(String, String)> =
        (0..25).map(|i| (format!("k{i}"), "\u{1}".repeat(2_000))).collect();
    let body = alert_body(Format::Teams, &alert(Some(&noise), &attributes));
    assert_valid(&body);
    assert!(facts(&body).iter().all(|(title, _)| title == "Respondent"), "attributes went first");
    let (comment, normal) = (hard_comment(), super::attributes());
    let ordinary = alert_body(Format::Teams, &alert(Some(&comment), &normal));
    assert_eq!(facts(&ordinary).len(), 1 + normal.len(), "an ordinary answer keeps its attributes");
}

#[test]
fn a_digest_matches_both_schemas_with_its_figures_terms_and_link() {
    let terms = terms();
    let body = digest_body(Format::Teams, &digest(&terms, &[]));
    assert_valid(&body);
    let facts = facts(&body);
    assert!(facts.contains(&("NPS".into(), "42.0 (95% interval 35.1 to 48.9)".into())), "{facts:?}");
    assert!(facts.contains(&("Change".into(), "+3.2".into())));
    assert!(facts.contains(&("Responses".into(), "1234".into())));
    assert!(body.to_string().contains(r"checkout · pay\\_pal · <slow>"), "{body}");
    assert_eq!(card(&body)["actions"][0]["url"], REPORT);
}

#[test]
fn without_a_report_link_the_card_has_no_actions() {
    let body = alert_body(Format::Teams, &AlertView { report_url: None, ..alert(None, &[]) });
    assert_valid(&body);
    assert!(card(&body)["actions"].is_null());
}

#[test]
fn the_schemas_refuse_what_teams_refuses() {
    let attributes = attributes();
    let good = alert_body(Format::Teams, &alert(Some("ok"), &attributes));
    let broken = |path: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(path).expect("the path exists") = value;
        body
    };
    assert_rejects(TEAMS_SCHEMA, &broken("/attachments/0/contentType", Value::from("application/json")));
    assert_rejects(TEAMS_SCHEMA, &broken("/attachments/0/content/body/0/text", Value::from("a_b_c")));
    assert_rejects(TEAMS_SCHEMA, &broken("/attachments/0/content/body/1/color", Value::from("red")));
    assert_rejects(TEAMS_SCHEMA, &broken("/attachments/0/content/version", Value::from("2.0")));
    let card = |path: &str, value: Value| {
        let mut card = good["attachments"][0]["content"].clone();
        *card.pointer_mut(path).expect("the path exists") = value;
        card
    };
    assert_rejects(ADAPTIVE_CARD_SCHEMA, &card("/body/0/size", Value::from("huge")));
    assert_rejects(ADAPTIVE_CARD_SCHEMA, &card("/type", Value::from("Card")));
}
