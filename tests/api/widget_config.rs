use crate::helpers::{spawn_app, spawn_app_with, without_rate_limits, TestApp};
use crate::mgmt_support::{archive_fixture_surveys, call, create_survey, json, other_project};
use futures_util::{stream, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `GET /v1/widget/config` with the publishable key and `query`.
pub async fn config(app: &TestApp, query: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(format!("{}/v1/widget/config", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .query(query)
        .send()
        .await
        .expect("request")
}

/// The key of the survey to show `respondent` (with `attributes`), or `None`.
pub async fn shown(app: &TestApp, respondent: &str, attributes: &[(&str, &str)]) -> Option<String> {
    let names: Vec<String> = attributes.iter().map(|(k, _)| format!("attributes[{k}]")).collect();
    let mut query = vec![("respondent_id", respondent)];
    query.extend(names.iter().map(String::as_str).zip(attributes.iter().map(|(_, v)| *v)));
    let r = config(app, &query).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let body = json(r).await;
    body["show"].as_str().map(str::to_string)
}

#[tokio::test]
async fn lists_active_surveys_with_an_etag_that_revalidates_to_304() {
    let app = spawn_app().await;
    let r = config(&app, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "private, max-age=60");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let body = json(r).await;
    let keys: Vec<&str> =
        body["surveys"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["nps-main", "feedback", "csat", "ces"]);
    assert!(body.get("show").is_none());
    assert_eq!(body["surveys"][0]["scale"], json!({"min": 0, "max": 10}));

    let again = app
        .client
        .get(format!("{}/v1/widget/config", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .header("If-None-Match", format!("W/{etag}, \"other\""))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    call(&app, Method::POST, "/v1/surveys/csat/pause", &app.fixture.secret_key, None).await;
    let changed = app
        .client
        .get(format!("{}/v1/widget/config", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(json(changed).await["surveys"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn browsers_get_cors_headers_and_foreign_origins_are_refused() {
    let app = spawn_app().await;
    let url = format!("{}/v1/widget/config", app.address);
    let preflight = app
        .client
        .request(Method::OPTIONS, &url)
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://app.example.com");
    let get = |origin: &'static str| {
        app.client.get(&url).bearer_auth(&app.fixture.publishable_key).header("Origin", origin).send()
    };
    let ok = get("https://app.example.com").await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(get("https://evil.example.com").await.unwrap().status(), 403);
    // A secret key is no widget key.
    let r = call(&app, Method::GET, "/v1/widget/config", &app.fixture.secret_key, None).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn sampling_is_deterministic_per_respondent_and_close_to_the_rate() {
    // Thousands of requests from one address: lift the per-IP limit.
    let app = spawn_app_with(without_rate_limits).await;
    archive_fixture_surveys(&app).await;
    create_survey(
        &app,
        json!({"key": "sampled", "kind": "nps", "question": "Q?", "targeting": {"sample_rate": 0.3}}),
    )
    .await;
    let n = 2000;
    let results: Vec<(usize, Option<String>)> = stream::iter(0..n)
        .map(|i| {
            let app = &app;
            async move { (i, shown(app, &format!("user-{i}"), &[]).await) }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let asked = results.iter().filter(|(_, s)| s.as_deref() == Some("sampled")).count();
    let share = asked as f64 / n as f64;
    assert!((0.25..=0.35).contains(&share), "{asked} of {n} asked");
    // Asking again gives the same answer for the same person.
    for (i, first) in results.iter().take(100) {
        assert_eq!(&shown(&app, &format!("user-{i}"), &[]).await, first);
    }
    // Reading the configuration decides and writes nothing about the person.
    assert_eq!(app.count("SELECT count(*) FROM respondent_contacts"), 0);
}

#[tokio::test]
async fn attribute_filters_pick_who_is_asked_with_version_aware_comparison() {
    let app = spawn_app().await;
    archive_fixture_surveys(&app).await;
    create_survey(
        &app,
        json!({"key": "pros", "kind": "nps", "question": "Q?", "targeting": {"filters": [
            {"attribute": "plan", "op": "in", "value": ["pro", "team"]},
            {"attribute": "app_version", "op": "gte", "value": "3.2"}
        ]}}),
    )
    .await;
    let cases: [(&[(&str, &str)], bool); 5] = [
        (&[("plan", "pro"), ("app_version", "3.10.0")], true),
        (&[("plan", "team"), ("app_version", "3.2")], true),
        (&[("plan", "free"), ("app_version", "4.0")], false),
        (&[("plan", "pro"), ("app_version", "3.1.9")], false),
        (&[("plan", "pro")], false),
    ];
    for (attributes, expected) in cases {
        let got = shown(&app, "u1", attributes).await;
        assert_eq!(got.is_some(), expected, "{attributes:?}");
    }
}

#[tokio::test]
async fn bad_queries_and_dismissals_are_problems_naming_the_field() {
    let app = spawn_app().await;
    let problem = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        body["errors"][0]["field"].as_str().unwrap().to_string()
    };
    assert_eq!(problem(config(&app, &[("attributes[plan]", "pro")]).await).await, "respondent_id");
    assert_eq!(problem(config(&app, &[("colour", "red")]).await).await, "colour");
    let long = "x".repeat(300);
    assert_eq!(
        problem(config(&app, &[("respondent_id", "u"), ("attributes[plan]", &long)]).await).await,
        "attributes.plan"
    );

    let dismiss = |body: Value| {
        app.client
            .post(format!("{}/v1/responses/dismiss", app.address))
            .bearer_auth(&app.fixture.publishable_key)
            .json(&body)
            .send()
    };
    assert_eq!(
        problem(dismiss(json!({"survey": "nope", "respondent_id": "u"})).await.unwrap()).await,
        "survey"
    );
    assert_eq!(
        problem(dismiss(json!({"survey": "nps-main", "respondent_id": ""})).await.unwrap()).await,
        "respondent_id"
    );
    assert_eq!(problem(dismiss(json!({"survey": "nps-main"})).await.unwrap()).await, "respondent_id");
    // Another project's survey is not found, whatever its id.
    let other = other_project(&app);
    let foreign = json!({"survey": other.nps_survey_id, "respondent_id": "u"});
    assert_eq!(problem(dismiss(foreign).await.unwrap()).await, "survey");
}
