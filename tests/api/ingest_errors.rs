//! Every bad input is a 4xx problem+json naming what is wrong, and nothing is stored.

use crate::helpers::spawn_app;
use serde_json::{json, Value};

/// A case: name, body, content type, expected status, and the field (for 422) or the
/// problem type suffix (otherwise) the answer must name.
struct Case {
    name: &'static str,
    body: String,
    content_type: &'static str,
    status: u16,
    names: &'static str,
}

fn case(name: &'static str, body: Value, status: u16, names: &'static str) -> Case {
    Case { name, body: body.to_string(), content_type: "application/json", status, names }
}

fn raw(name: &'static str, body: &str, content_type: &'static str, status: u16, names: &'static str) -> Case {
    Case { name, body: body.to_string(), content_type, status, names }
}

fn cases() -> Vec<Case> {
    let future = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    // The fixture's surveys were created a year ago.
    let ancient = (chrono::Utc::now() - chrono::Duration::days(800)).to_rfc3339();
    let deep = format!(r#"{{"survey": {}1{}}}"#, "[".repeat(40), "]".repeat(40));
    vec![
        case("nps score above ten", json!({"survey": "nps-main", "score": 11}), 422, "score"),
        case("nps score below zero", json!({"survey": "nps-main", "score": -1}), 422, "score"),
        case("csat score above five", json!({"survey": "csat", "score": 6}), 422, "score"),
        case("csat score zero", json!({"survey": "csat", "score": 0}), 422, "score"),
        case("ces score above seven", json!({"survey": "ces", "score": 8}), 422, "score"),
        case("fractional score", json!({"survey": "nps-main", "score": 9.5}), 422, "score"),
        case("score as a string", json!({"survey": "nps-main", "score": "9"}), 422, "score"),
        case("missing score on nps", json!({"survey": "nps-main"}), 422, "score"),
        case(
            "score on a text survey",
            json!({"survey": "feedback", "score": 3, "comment": "x"}),
            422,
            "score",
        ),
        case("text survey without comment", json!({"survey": "feedback"}), 422, "comment"),
        case("blank comment on text survey", json!({"survey": "feedback", "comment": "   "}), 422, "comment"),
        case("missing survey", json!({"score": 9}), 422, "survey"),
        // Found by the fuzz run: PostgreSQL text cannot hold U+0000 (it was a 500).
        case("nul in the survey", json!({"survey": "nps\u{0}", "score": 9}), 422, "survey"),
        case(
            "nul in an attribute",
            json!({"survey": "nps-main", "score": 9, "attributes": {"plan": "a\u{0}"}}),
            422,
            "attributes.plan",
        ),
        case("empty survey", json!({"survey": "", "score": 9}), 422, "survey"),
        case("unknown survey", json!({"survey": "nope", "score": 9}), 422, "survey"),
        case("paused survey", json!({"survey": "paused", "score": 9}), 422, "survey"),
        case("unknown top-level field", json!({"survey": "nps-main", "score": 9, "bogus": 1}), 422, "bogus"),
        case(
            "unknown context field",
            json!({"survey": "nps-main", "score": 9, "context": {"x": 1}}),
            422,
            "context.x",
        ),
        case("id not a uuid", json!({"id": "123", "survey": "nps-main", "score": 9}), 422, "id"),
        case(
            "comment too long",
            json!({"survey": "nps-main", "score": 9, "comment": "x".repeat(5001)}),
            422,
            "comment",
        ),
        case(
            "unknown category",
            json!({"survey": "feedback", "comment": "x", "category": "rant"}),
            422,
            "category",
        ),
        case(
            "respondent id too long",
            json!({"survey": "nps-main", "score": 9, "respondent_id": "u".repeat(300)}),
            422,
            "respondent_id",
        ),
        case(
            "empty respondent id",
            json!({"survey": "nps-main", "score": 9, "respondent_id": ""}),
            422,
            "respondent_id",
        ),
        case(
            "attribute value too long",
            json!({"survey": "nps-main", "score": 9, "attributes": {"plan": "p".repeat(300)}}),
            422,
            "attributes.plan",
        ),
        case(
            "nested attribute",
            json!({"survey": "nps-main", "score": 9, "attributes": {"plan": {"a": 1}}}),
            422,
            "attributes.plan",
        ),
        case(
            "null attribute",
            json!({"survey": "nps-main", "score": 9, "attributes": {"plan": null}}),
            422,
            "attributes.plan",
        ),
        case(
            "attribute key with spaces",
            json!({"survey": "nps-main", "score": 9, "attributes": {"my plan": "x"}}),
            422,
            "attributes.my plan",
        ),
        case(
            "too many attributes",
            json!({"survey": "nps-main", "score": 9, "attributes": (0..40).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>()}),
            422,
            "attributes",
        ),
        case(
            "country not iso",
            json!({"survey": "nps-main", "score": 9, "attributes": {"country": "Germany"}}),
            422,
            "attributes.country",
        ),
        case(
            "locale not bcp47",
            json!({"survey": "nps-main", "score": 9, "attributes": {"locale": "english please"}}),
            422,
            "attributes.locale",
        ),
        case(
            "attributes not an object",
            json!({"survey": "nps-main", "score": 9, "attributes": [1, 2]}),
            422,
            "attributes",
        ),
        case(
            "page url not a url",
            json!({"survey": "nps-main", "score": 9, "context": {"page_url": "not a url"}}),
            422,
            "context.page_url",
        ),
        case(
            "page url too long",
            json!({"survey": "nps-main", "score": 9, "context": {"page_url": format!("https://a.example/{}", "p".repeat(3000))}}),
            422,
            "context.page_url",
        ),
        case(
            "client time in the future",
            json!({"survey": "nps-main", "score": 9, "client_time": future}),
            422,
            "client_time",
        ),
        case(
            "client time before the survey existed",
            json!({"survey": "nps-main", "score": 9, "client_time": ancient}),
            422,
            "client_time",
        ),
        case(
            "client time not a date",
            json!({"survey": "nps-main", "score": 9, "client_time": "yesterday"}),
            422,
            "client_time",
        ),
        case(
            "category on nps without comment",
            json!({"survey": "nps-main", "score": 9, "category": "bug"}),
            422,
            "category",
        ),
        case("body is an array", json!([1, 2]), 422, ""),
        raw("body is not json", "{survey: nps}", "application/json", 400, "malformed"),
        raw("body is truncated", r#"{"survey": "nps-main", "score": "#, "application/json", 400, "malformed"),
        raw("body is empty", "", "application/json", 400, "malformed"),
        raw("json nested too deep", &deep, "application/json", 400, "malformed"),
        raw(
            "trailing garbage",
            r#"{"survey": "nps-main", "score": 9} xx"#,
            "application/json",
            400,
            "malformed",
        ),
        raw(
            "form encoded",
            "survey=nps-main&score=9",
            "application/x-www-form-urlencoded",
            415,
            "unsupported-media-type",
        ),
        raw(
            "body over the size limit",
            &format!(r#"{{"survey": "nps-main", "score": 9, "comment": "{}"}}"#, "x".repeat(70_000)),
            "application/json",
            413,
            "payload-too-large",
        ),
    ]
}

#[tokio::test]
async fn each_bad_input_is_a_problem_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = cases();
    assert!(cases.len() >= 30);
    for case in cases {
        let response = app
            .client
            .post(format!("{}/v1/responses", app.address))
            .bearer_auth(&app.fixture.publishable_key)
            .header("Content-Type", case.content_type)
            .body(case.body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        let problem: Value = response.json().await.unwrap();
        assert_eq!(status, case.status, "{}: {problem}", case.name);
        assert_eq!(content_type, "application/problem+json", "{}", case.name);
        assert_eq!(problem["status"], case.status, "{}", case.name);
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{}", case.name);
        if case.status == 422 {
            let fields: Vec<&str> =
                problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
            assert!(
                fields.contains(&case.names),
                "{}: expected field {:?} in {problem}",
                case.name,
                case.names
            );
        } else {
            assert_eq!(
                problem["type"],
                format!("https://feedbackd.dev/problems/{}", case.names),
                "{}",
                case.name
            );
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM responses"), 0);
    assert_eq!(app.count("SELECT count(*) FROM score_rollups"), 0);
}

#[tokio::test]
async fn several_bad_fields_are_all_listed() {
    let app = spawn_app().await;
    let response = app
        .post_answer(&json!({"survey": "nps-main", "score": 11, "attributes": {"plan": "p".repeat(65 * 4)}}))
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["detail"], "2 fields are invalid");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["attributes.plan", "score"]);
    assert_eq!(problem["errors"][1]["message"], "must be 0..=10 for an NPS survey");
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_whole() {
    let app = spawn_app().await;
    let answers: Vec<Value> = (0..101).map(|_| json!({"survey": "nps-main", "score": 9})).collect();
    let response = app
        .client
        .post(format!("{}/v1/responses/batch", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({ "answers": answers }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "answers");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("FEEDBACKD_MAX_BATCH_ANSWERS"));
    assert_eq!(app.count("SELECT count(*) FROM responses"), 0);
}

#[tokio::test]
async fn a_nul_in_the_url_is_a_bad_request_not_a_server_error() {
    let app = spawn_app().await;
    for path in ["/v1/surveys/nps%00", "/v1/responses?survey=%00", "/v1/widget/config?respondent_id=%00"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&app.fixture.secret_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "https://feedbackd.dev/problems/malformed", "{path}");
    }
}
