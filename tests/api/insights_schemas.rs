//! The insights endpoints' real answers against the schemas their operations reference in
//! the served OpenAPI document: every report of every scored kind, with answers and
//! without, with `other` and `not_set` rows, the terms of a text survey, and a searched,
//! paged list.

use crate::helpers::{spawn_app_with, without_rate_limits};
use crate::insights_support::{insert, random_rows, survey_id, ts};
use crate::json_schema::violations;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn insights_answers_match_their_documented_schemas() {
    let app = spawn_app_with(without_rate_limits).await;
    let doc: Value =
        app.client.get(format!("{}/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    let start = utc("2026-03-01T00:00:00Z");
    // A lone answer (no standard error, no test) well before the others.
    let lone = utc("2026-01-05T10:00:00Z");
    for (key, min, max, seed) in [("nps-main", 0, 10, 1), ("csat", 1, 5, 2), ("ces", 1, 7, 3)] {
        let id = survey_id(&app, key);
        insert(&app, id, &random_rows(seed, 400, start, Duration::days(6), min, max));
        insert(&app, id, &random_rows(seed, 1, lone, Duration::seconds(1), min, max));
    }
    for (i, comment) in
        ["Export crashes on big files", "Export is slow", "Love the dark mode"].iter().enumerate()
    {
        let answer = json!({"survey": "feedback", "comment": comment, "category": "bug", "respondent_id": format!("u{i}"),
            "attributes": {"platform": "web", "build": 7}, "context": {"page_url": "https://app.example.com/x"}});
        assert_eq!(app.post_answer(&answer).await.status(), 201);
    }

    let range = format!("from={}&to={}", ts(start + Duration::days(3)), ts(start + Duration::days(6)));
    let lone = format!("from={}&to={}", ts(lone), ts(lone + Duration::seconds(1)));
    let empty = "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z";
    let mut requests: Vec<(&str, String)> = Vec::new();
    for survey in ["nps-main", "csat", "ces"] {
        let report = |name: &'static str, query: &str| (name, format!("/v1/surveys/{survey}/{name}?{query}"));
        for query in [range.as_str(), lone.as_str(), empty] {
            requests.push(report("summary", query));
        }
        requests.push(report("timeseries", &format!("{range}&interval=day&tz=Asia/Kathmandu")));
        requests.push(report("timeseries", &format!("{empty}&interval=week")));
        requests.push(report("breakdown", &format!("{range}&by=platform&limit=2")));
        requests.push(report("breakdown", &format!("{range}&by=attributes.plan&min_count=100000")));
        requests.push(report("breakdown", empty));
        requests.push(report("terms", &range));
    }
    requests.push(("terms", "/v1/surveys/feedback/terms?min_count=1".into()));
    requests.push(("responses", "/v1/responses?limit=2".into()));
    requests.push(("responses", "/v1/responses?survey=feedback&q=export".into()));
    requests.push(("responses", format!("/v1/responses?survey=nps-main&{empty}")));

    let mut seen = String::new();
    for (operation, path) in &requests {
        let template = match *operation {
            "responses" => "/v1/responses".to_string(),
            name => format!("/v1/surveys/{{survey}}/{name}"),
        };
        let schema =
            &doc["paths"][&template]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let reference =
            schema["$ref"].as_str().unwrap_or_else(|| panic!("{template}: 200 has no body schema"));
        assert!(reference.starts_with("#/components/schemas/"), "{template}: {reference}");
        let (status, body) = app.read(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let found = violations(&doc, schema, &body);
        assert!(found.is_empty(), "{path} against {reference}:\n{}\n{body:#}", found.join("\n"));
        seen.push_str(&body.to_string());
    }
    // The answers took the shapes worth checking: nulls where serde writes them, and the
    // optional fields present.
    for shape in [
        r#""other":{"#,
        r#""not_set":{"#,
        r#""other":null"#,
        r#""values":"#,
        r#""test":null"#,
        r#""delta":null"#,
        r#""degrees_of_freedom":"#,
        r#""test":"two_proportion_z""#,
        r#""mean_standard_error":null"#,
        r#""mean_standard_error":0."#,
        r#""highlight":"#,
        r#""next_cursor":null"#,
        r#""next_cursor":""#,
        r#""category":"bug""#,
        r#""score":null"#,
        r#""rising":[{"#,
    ] {
        assert!(seen.contains(shape), "no answer had {shape}");
    }
}
