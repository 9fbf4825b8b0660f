//! A project's settings through the API: name, allowed origins, its own rate limits,
//! fatigue rules and time zone.

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::mgmt_support::{call, json, secret_key};
use feedbackd_domain::Scope;
use reqwest::{Method, Response};
use serde_json::{json, Value};

async fn patch_project(app: &TestApp, body: Value) -> Response {
    call(app, Method::PATCH, "/v1/project", &app.fixture.secret_key, Some(&body)).await
}

/// `GET /v1/widget/config` from a page at `origin`.
async fn widget_from(app: &TestApp, origin: &str) -> Response {
    app.client
        .get(format!("{}/v1/widget/config", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .header("Origin", origin)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn project_settings_show_the_defaults_and_refuse_bad_fields_naming_each() {
    let app = spawn_app().await;
    let r = call(&app, Method::GET, "/v1/project", &app.fixture.secret_key, None).await;
    assert_eq!(r.status(), 200);
    let project = json(r).await;
    assert_eq!(project["id"], app.fixture.project_id.to_string());
    assert_eq!(project["allowed_origins"], json!(["https://app.example.com"]));
    assert_eq!(project["rate_limits"], json!({"project": null, "respondent": null}));
    assert_eq!(
        project["fatigue"],
        json!({"days_between_surveys": 14, "max_per_session": 1, "ignored_wait_hours": 72})
    );
    assert_eq!(project["time_zone"], "UTC");

    let r = patch_project(
        &app,
        json!({
            "name": " ",
            "allowed_origins": ["https://ok.example.com", "ftp://files.example.com", "https://a.example.com/app"],
            "rate_limits": {"project": "lots", "respondent": "60/min:20"},
            "fatigue": {"max_per_session": 101, "days_between_surveys": 7},
            "time_zone": "Mars/Olympus_Mons"
        }),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let mut fields: Vec<String> = json(r).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "allowed_origins[1]",
            "allowed_origins[2]",
            "fatigue.max_per_session",
            "name",
            "rate_limits.project",
            "time_zone"
        ]
    );
    let unchanged = json(call(&app, Method::GET, "/v1/project", &app.fixture.secret_key, None).await).await;
    assert_eq!(unchanged, project, "a refused change changes nothing");
    let r = patch_project(&app, json!({"retention_days": 30})).await;
    assert_eq!(r.status(), 422, "privacy settings stay with the operator's CLI");

    // Only an admin key reads or changes the project.
    let surveys_only = secret_key(&app, &[Scope::SurveysRead, Scope::SurveysWrite]);
    assert_eq!(call(&app, Method::GET, "/v1/project", &surveys_only, None).await.status(), 403);
}

#[tokio::test]
async fn changed_settings_are_stored_merged_and_apply_to_widgets_at_once() {
    // The key cache would otherwise keep the old project for 10 s; this replica forgets it.
    let app = spawn_app_with(|c| c.auth_cache_ttl = std::time::Duration::from_secs(600)).await;
    assert_eq!(widget_from(&app, "https://app.example.com").await.status(), 200);
    assert_eq!(widget_from(&app, "https://new.example.com").await.status(), 403);

    let r = patch_project(
        &app,
        json!({
            "name": "Renamed",
            "allowed_origins": ["https://New.example.com", "https://new.example.com:443"],
            "rate_limits": {"project": "2/min:3"},
            "fatigue": {"max_per_session": 2},
            "time_zone": "Asia/Kathmandu"
        }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let project = json(r).await;
    assert_eq!(project["name"], "Renamed");
    assert_eq!(project["allowed_origins"], json!(["https://new.example.com"]), "normalised, once");
    assert_eq!(project["rate_limits"], json!({"project": "2/min:3", "respondent": null}));
    assert_eq!(
        project["fatigue"],
        json!({"days_between_surveys": 14, "max_per_session": 2, "ignored_wait_hours": 72}),
        "the rules not named keep their values"
    );
    assert_eq!(project["time_zone"], "Asia/Kathmandu");
    let stored = app.count(&format!(
        "SELECT count(*) FROM projects WHERE id = '{}' AND rate_limits = '{{\"project\": \"2/min:3\"}}'::jsonb",
        app.fixture.project_id
    ));
    assert_eq!(stored, 1, "stored as the rate limiter reads it");

    let old = widget_from(&app, "https://app.example.com").await;
    assert_eq!(old.status(), 403);
    let new = widget_from(&app, "https://new.example.com").await;
    assert_eq!(new.status(), 200);
    assert_eq!(new.headers()["access-control-allow-origin"], "https://new.example.com");
    // The project's own rate (a burst of 3): the fourth request of the minute is refused.
    assert_eq!(widget_from(&app, "https://new.example.com").await.status(), 200);
    assert_eq!(widget_from(&app, "https://new.example.com").await.status(), 200);
    let limited = widget_from(&app, "https://new.example.com").await;
    assert_eq!(limited.status(), 429);
    assert!(json(limited).await["detail"].as_str().unwrap().contains("`project`"));

    // null removes an override; an absent field keeps its value.
    let cleared = json(patch_project(&app, json!({"rate_limits": null})).await).await;
    assert_eq!(cleared["rate_limits"], json!({"project": null, "respondent": null}));
    assert_eq!(cleared["fatigue"]["max_per_session"], 2);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM projects WHERE id = '{}' AND rate_limits IS NULL",
            app.fixture.project_id
        )),
        1
    );
}
