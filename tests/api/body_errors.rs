//! Every malformed JSON body, on every endpoint that reads one, is answered in the user's
//! words: the field by its dotted path (`""` for the body itself), never a Rust type name
//! or serde's phrasing.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use serde_json::{json, Value};

/// Words of serde and Rust that must never reach a client.
const FORBIDDEN: &[&str] = &[
    "struct",
    "answerin",
    "invalid type",
    "invalid value",
    "expected",
    "u8",
    "u32",
    "u64",
    "i16",
    "i64",
    "f64",
    "variant",
    "sequence",
    "map",
    "at line",
    "column",
    "eof",
    "ident",
    "serde",
];

/// Which key a request is sent with.
#[derive(Clone, Copy)]
enum Key {
    Publishable,
    Secret,
}

/// A request and the one problem it must get: `field` is `None` for a `400` (then
/// `message` is the `detail`), else the only field named, with its message.
struct Row {
    method: &'static str,
    path: &'static str,
    key: Key,
    body: Vec<u8>,
    status: u16,
    field: Option<&'static str>,
    message: &'static str,
}

const ANSWER: &str = "/v1/responses";
/// What every endpoint answers to a `null` body.
const NULL_BODY: &str = "must be a JSON object, not null";

fn row(path: &'static str, body: &str, field: &'static str, message: &'static str) -> Row {
    let key = if path.starts_with("/v1/responses") { Key::Publishable } else { Key::Secret };
    Row { method: "POST", path, key, body: body.into(), status: 422, field: Some(field), message }
}

fn malformed(body: &[u8], detail: &'static str) -> Row {
    let key = Key::Publishable;
    Row { method: "POST", path: ANSWER, key, body: body.to_vec(), status: 400, field: None, message: detail }
}

fn patch(mut row: Row) -> Row {
    row.method = "PATCH";
    row
}

fn rows() -> Vec<Row> {
    vec![
        // The whole body: only an object is a request.
        row(ANSWER, "null", "", NULL_BODY),
        row(ANSWER, " true", "", "must be a JSON object, not true"),
        row(ANSWER, "42", "", "must be a JSON object, not a number"),
        row(ANSWER, "-4.5", "", "must be a JSON object, not a number"),
        row(ANSWER, r#""x""#, "", "must be a JSON object, not a string"),
        row(ANSWER, "[]", "", "must be a JSON object, not an array"),
        row(ANSWER, r#"[{"survey": "nps-main"}]"#, "", "must be a JSON object, not an array"),
        // Wrong types, at the top and deeper.
        row(ANSWER, r#"{"survey": "nps-main", "score": "9"}"#, "score", "must be a whole number, not a string"),
        row(ANSWER, r#"{"survey": "nps-main", "score": 9.5}"#, "score", "must be a whole number, not 9.5"),
        row(ANSWER, r#"{"survey": "nps-main", "score": true}"#, "score", "must be a whole number, not true"),
        row(ANSWER, r#"{"survey": "nps-main", "score": 1e3}"#, "score", "must be a whole number written without a fraction or exponent"),
        row(ANSWER, r#"{"survey": "nps-main", "score": 1e400}"#, "score", "is a number out of range"),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 99999999999999999999}"#,
            "score",
            "must be a whole number from -9223372036854775808 to 9223372036854775807",
        ),
        row(ANSWER, r#"{"survey": 5}"#, "survey", "must be a string, not 5"),
        row(ANSWER, r#"{"survey": null}"#, "survey", "must be a string, not null"),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "id": "not-a-uuid"}"#,
            "id",
            "must be a UUID such as 0193a6f0-7c1e-7a3b-9f00-3c5d2e1a4b77",
        ),
        row(ANSWER, r#"{"survey": "nps-main", "score": 9, "id": 7}"#, "id", "must be a UUID, not 7"),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "client_time": "yesterday"}"#,
            "client_time",
            "must be a date and time in RFC 3339 form, such as 2026-11-24T09:15:02Z",
        ),
        row(
            ANSWER,
            r#"{"survey": "feedback", "comment": "x", "category": "rant"}"#,
            "category",
            r#"must be one of "bug", "idea", "praise", "other""#,
        ),
        row(
            ANSWER,
            r#"{"survey": "feedback", "comment": "x", "category": 5}"#,
            "category",
            r#"must be one of "bug", "idea", "praise", "other""#,
        ),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "time_to_answer_ms": -1}"#,
            "time_to_answer_ms",
            "must be a whole number from 0 to 18446744073709551615, not -1",
        ),
        row(ANSWER, r#"{"survey": "nps-main", "score": 9, "attributes": [1]}"#, "attributes", "must be an object, not an array"),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "attributes": {"plan": [1]}}"#,
            "attributes.plan",
            "must be a string, number or boolean",
        ),
        row(ANSWER, r#"{"survey": "nps-main", "score": 9, "context": [1]}"#, "context", "must be an object, not an array"),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "context": {"page_url": 1}}"#,
            "context.page_url",
            "must be a string, not 1",
        ),
        // Fields that are unknown, missing or repeated.
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "bogus": 1}"#,
            "bogus",
            "is not a known field; known fields: id, survey, score, comment, category, respondent_id, \
             attributes, answers, context, client_time, hp, time_to_answer_ms",
        ),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "context": {"x": 1}}"#,
            "context.x",
            "is not a known field; known fields: page_url, user_agent, device, screen",
        ),
        row(ANSWER, r#"{"score": 9}"#, "survey", "is required"),
        row(ANSWER, r#"{"survey": "nps-main", "score": 1, "score": 2}"#, "score", "is given more than once"),
        row(
            ANSWER,
            r#"{"survey": "nps-main", "score": 9, "attributes": {"plan": "a", "plan": "b"}}"#,
            "attributes.plan",
            "is given more than once",
        ),
        // Not JSON at all: a 400 saying where.
        malformed(b"{} {}", "the body is not valid JSON: there is more after the JSON value (at character 4)"),
        malformed(b"{}x", "the body is not valid JSON: there is more after the JSON value (at character 3)"),
        malformed(
            br#"{"survey": "nps-main"} {"score": 9}"#,
            "the body is not valid JSON: there is more after the JSON value (at character 24)",
        ),
        malformed(
            br#"{"survey": "nps-main", "score": "#,
            "the body is not valid JSON: it ends before the JSON value is complete",
        ),
        malformed(br#"{"survey": "nps"#, "the body is not valid JSON: it ends before the JSON value is complete"),
        malformed(
            br#"{"survey": "a\q"}"#,
            "the body is not valid JSON: a string has an invalid backslash escape (at character 15)",
        ),
        malformed(
            br#"{"survey": "a\ud800"}"#,
            "the body is not valid JSON: a string has an incomplete \\u escape (at character 20)",
        ),
        malformed(
            b"{\"survey\": \"a\tb\"}",
            "the body is not valid JSON: a string holds a raw control character such as a tab or \
             line break; escape it (at character 14)",
        ),
        malformed(b"{\"survey\": \"a\xffb\"}", "the body is not valid UTF-8 text (at character 14)"),
        malformed(b"{survey: 1}", "the body is not valid JSON: names must be strings in double quotes (at character 2)"),
        malformed(br#"{"survey" "a"}"#, "the body is not valid JSON: a colon must follow each name (at character 11)"),
        malformed(
            br#"{"survey": "a" "score": 9}"#,
            "the body is not valid JSON: a comma or } must follow each value in an object (at character 16)",
        ),
        malformed(
            br#"{"survey": tru}"#,
            "the body is not valid JSON: only true, false and null may be written without quotes (at character 15)",
        ),
        malformed(
            br#"{"survey": }"#,
            "the body is not valid JSON: a value is missing or is not written as JSON (at character 12)",
        ),
        malformed(
            br#"{"survey": "a",}"#,
            "the body is not valid JSON: a comma is followed by nothing (at character 16)",
        ),
        malformed(
            br#"{"survey": "nps-main", "score": 01}"#,
            "the body is not valid JSON: a number is not written as JSON allows (at character 34)",
        ),
        malformed(b"  ", "the body is empty; send a JSON object"),
        // The other endpoints that read a body go through the same parser.
        row("/v1/responses/batch", "null", "", NULL_BODY),
        row("/v1/responses/batch", r#"{"answers": null}"#, "answers", "must be an array, not null"),
        row("/v1/responses/batch", r#"{"answers": [], "answers": []}"#, "answers", "is given more than once"),
        row("/v1/responses/dismiss", "[]", "", "must be a JSON object, not an array"),
        patch(row("/v1/responses/01936a6f-0000-7000-8000-000000000000", "null", "", NULL_BODY)),
        patch(row(
            "/v1/responses/01936a6f-0000-7000-8000-000000000000",
            r#"{"comment": 5}"#,
            "comment",
            "must be a string, not 5",
        )),
        row("/v1/surveys", "null", "", NULL_BODY),
        row(
            "/v1/surveys",
            r#"{"key": "k", "kind": "xyz", "question": "Q?"}"#,
            "kind",
            r#"must be one of "nps", "csat", "ces", "rating", "text", "choice""#,
        ),
        row(
            "/v1/surveys",
            r#"{"key": "k", "kind": "nps", "question": "Q?", "scale_min": 70000}"#,
            "scale_min",
            "must be a whole number from -32768 to 32767, not 70000",
        ),
        row(
            "/v1/surveys",
            r#"{"key": "k", "kind": "nps", "question": "Q?", "targeting": {"sample_rate": "all"}}"#,
            "targeting.sample_rate",
            "must be a number, not a string",
        ),
        row(
            "/v1/surveys",
            r#"{"key": "k", "kind": "nps", "question": "Q?",
                "targeting": {"filters": [{"attribute": "plan", "op": "like", "value": "pro"}]}}"#,
            "targeting.filters[0].op",
            r#"must be one of "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte""#,
        ),
        row(
            "/v1/surveys",
            r#"{"key": "k", "kind": "nps", "question": "Q?",
                "targeting": {"filters": [{"attribute": "plan", "op": "eq", "value": {}}]}}"#,
            "targeting.filters[0].value",
            "has a type this field does not accept",
        ),
        patch(row("/v1/surveys/nps-main", "true", "", "must be a JSON object, not true")),
        patch(row("/v1/surveys/nps-main", r#"{"presentation": 5}"#, "presentation", "must be an object, not 5")),
        row("/v1/keys", "null", "", NULL_BODY),
        row("/v1/keys", r#"{"kind": "secret", "scopes": "admin"}"#, "scopes", "must be an array, not a string"),
        row(
            "/v1/keys",
            r#"{"kind": "secret", "scopes": [7]}"#,
            "scopes[0]",
            r#"must be one of "surveys:read", "surveys:write", "responses:read", "responses:export", "reports:share", "privacy", "admin""#,
        ),
        row("/v1/surveys/nps-main/report-links", "null", "", NULL_BODY),
        row(
            "/v1/surveys/nps-main/report-links",
            r#"{"expires_in_hours": -1}"#,
            "expires_in_hours",
            "must be a whole number from 0 to 4294967295, not -1",
        ),
        row(
            "/v1/surveys/nps-main/report-links",
            r#"{"expires_in_hours": 1.5}"#,
            "expires_in_hours",
            "must be a whole number, not 1.5",
        ),
    ]
}

fn assert_plain(text: &str, context: &str) {
    let lower = text.to_lowercase();
    for word in FORBIDDEN {
        assert!(!lower.contains(word), "{context}: {text:?} contains {word:?}");
    }
}

async fn send(app: &TestApp, row: &Row) -> (u16, Value) {
    let url = format!("{}{}", app.address, row.path);
    let key = match row.key {
        Key::Publishable => &app.fixture.publishable_key,
        Key::Secret => &app.fixture.secret_key,
    };
    let request = match row.method {
        "PATCH" => app.client.patch(url),
        _ => app.client.post(url),
    };
    let response = request
        .bearer_auth(key)
        .header("Content-Type", "application/json")
        .body(row.body.clone())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn every_malformed_body_is_answered_in_plain_words() {
    let app = spawn_app_with(without_rate_limits).await;
    for row in rows() {
        let context = format!("{} {} {}", row.method, row.path, String::from_utf8_lossy(&row.body));
        let (status, problem) = send(&app, &row).await;
        assert_eq!(status, row.status, "{context}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert_plain(detail, &context);
        match row.field {
            None => assert_eq!(detail, row.message, "{context}"),
            Some(field) => {
                assert_eq!(problem["errors"], json!([{"field": field, "message": row.message}]), "{context}");
                assert_plain(row.message, &context);
                let named = if field.is_empty() { "the body".to_string() } else { field.to_string() };
                assert_eq!(detail, format!("{named} {}", row.message), "{context}");
            }
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM responses"), 0);
}

#[tokio::test]
async fn batch_items_are_parsed_alone_and_named_in_plain_words() {
    let app = spawn_app_with(without_rate_limits).await;
    let body = r#"{"answers": [null, {"survey": "nps-main", "score": "9"}, [1],
        {"survey": "nps-main", "score": 1, "score": 2}, {"survey": "nps-main", "score": 1e400},
        {"survey": "nps-main", "score": 9}]}"#;
    let response = app
        .client
        .post(format!("{}/v1/responses/batch", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let out: Value = response.json().await.unwrap();
    let errors = |i: usize| out["results"][i]["errors"].clone();
    assert_eq!(errors(0), json!([{"field": "", "message": "must be a JSON object, not null"}]));
    assert_eq!(errors(1), json!([{"field": "score", "message": "must be a whole number, not a string"}]));
    assert_eq!(errors(2), json!([{"field": "", "message": "must be a JSON object, not an array"}]));
    assert_eq!(errors(3), json!([{"field": "score", "message": "is given more than once"}]));
    assert_eq!(errors(4), json!([{"field": "score", "message": "is a number out of range"}]));
    assert_eq!(out["results"][5]["status"], 201);
    for i in 0..5 {
        assert_eq!(out["results"][i]["status"], 422);
        assert_plain(errors(i)[0]["message"].as_str().unwrap(), &format!("item {i}"));
    }
}
