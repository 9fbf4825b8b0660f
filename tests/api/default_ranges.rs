//! What a request without `from`/`to` covers: the list and the exports (HTTP and CLI) every
//! answer, however old; the reports a default period that their body states; and the
//! OpenAPI document says which is which.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::{insert, random_rows, Row};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// Three answers: a year and a bit old, forty days old (just outside a month) and an hour old.
fn old_and_new_answers(app: &TestApp) -> Vec<Row> {
    let now = Utc::now();
    let mut rows = random_rows(61, 3, now, Duration::seconds(1), 0, 10);
    for (row, age) in rows.iter_mut().zip([Duration::days(400), Duration::days(40), Duration::hours(1)]) {
        row.at = now - age;
    }
    insert(app, app.fixture.nps_survey_id, &rows);
    rows
}

/// The ids of `rows`, newest first (the order of the list and the exports).
fn newest_first(rows: &[Row]) -> Vec<String> {
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse((r.at, r.id)));
    rows.iter().map(|r| r.id.to_string()).collect()
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    let url = format!("{}{path}", app.address);
    app.client.get(url).bearer_auth(&app.fixture.secret_key).send().await.expect("request")
}

#[tokio::test]
async fn an_export_without_a_range_holds_every_answer_from_the_first() {
    let app = spawn_app_with(without_rate_limits).await;
    let expected = newest_first(&old_and_new_answers(&app));

    let csv = get(&app, "/v1/exports/responses?survey=nps-main").await;
    assert_eq!(csv.status(), 200);
    let today = Utc::now().format("%Y-%m-%d");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"feedbackd-nps-main-until-{today}.csv\"").as_str(),
        "no first day to name: the file says it runs until today"
    );
    let body = csv.bytes().await.unwrap();
    let ids: Vec<String> =
        csv::Reader::from_reader(&body[..]).records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(ids, expected);

    let ndjson = get(&app, "/v1/exports/responses?format=ndjson").await.text().await.unwrap();
    let ids: Vec<String> = ndjson
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, expected, "every survey, every answer");

    // The list is what the export pages through: the same answers.
    let (status, list) = app.read("/v1/responses?survey=nps-main").await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);

    // A `to` alone still reaches back to the first answer.
    let to = (Utc::now() - Duration::days(30)).format("%Y-%m-%d");
    let older = get(&app, &format!("/v1/exports/responses?format=ndjson&to={to}")).await;
    assert_eq!(older.text().await.unwrap().lines().count(), 2);
}

#[tokio::test]
async fn the_cli_export_without_from_writes_every_answer() {
    let app = spawn_app_with(without_rate_limits).await;
    let expected = newest_first(&old_and_new_answers(&app));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedbackd"))
        .args(["export", "--project", &app.fixture.project_id.to_string(), "--survey", "nps-main"])
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running feedbackd");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ids: Vec<String> =
        csv::Reader::from_reader(&out.stdout[..]).records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(ids, expected);
}

/// `body["range"]` as instants.
fn range(body: &Value) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |name: &str| body["range"][name].as_str().unwrap_or_else(|| panic!("range.{name}: {body}"));
    (at("from").parse().unwrap(), at("to").parse().unwrap())
}

#[tokio::test]
async fn every_report_states_the_range_it_used() {
    let app = spawn_app_with(without_rate_limits).await;
    let rows = old_and_new_answers(&app);
    for report in ["summary", "timeseries", "breakdown", "terms"] {
        let before = Utc::now();
        let (status, body) = app.read(&format!("/v1/surveys/nps-main/{report}")).await;
        assert_eq!(status, 200, "{report}: {body}");
        let (from, to) = range(&body);
        assert!(to >= before - Duration::seconds(1) && to <= Utc::now(), "{report}: to is now, {to}");
        assert_eq!(to - from, Duration::days(30), "{report}: the default is the 30 days before to");

        let path = format!("/v1/surveys/nps-main/{report}?from=2026-01-01&to=2026-01-31&tz=Asia/Kolkata");
        let (status, body) = app.read(&path).await;
        assert_eq!(status, 200, "{report}: {body}");
        let (from, to) = range(&body);
        assert_eq!(from.to_rfc3339(), "2025-12-31T18:30:00+00:00", "{report}");
        assert_eq!(to.to_rfc3339(), "2026-01-31T18:30:00+00:00", "{report}: a date `to` includes its day");
    }
    // The default month holds the newest answer only.
    let (_, summary) = app.read("/v1/surveys/nps-main/summary").await;
    assert_eq!(summary["current"]["count"], 1);
    assert!(rows.len() > 1);
}

#[tokio::test]
async fn the_openapi_document_states_each_default_range() {
    let doc = serde_json::to_value(feedbackd_http::openapi_document()).unwrap();
    let description = |path: &str, name: &str| -> String {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let p = params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path} has no {name}"));
        p["description"].as_str().unwrap_or_default().to_string()
    };
    for path in ["/v1/exports/responses", "/v1/responses"] {
        let from = description(path, "from");
        assert!(from.contains("default: the first answer"), "{path}: {from}");
        assert!(description(path, "to").contains("default now"), "{path}");
    }
    for report in ["summary", "timeseries", "breakdown", "terms"] {
        let path = format!("/v1/surveys/{{survey}}/{report}");
        let from = description(&path, "from");
        assert!(from.contains("default 30 days before `to`") && from.contains("`range`"), "{path}: {from}");
    }
}
