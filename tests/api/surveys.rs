use crate::helpers::{spawn_app, spawn_app_with};
use crate::mgmt_support::{call, create_survey, json};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

fn fields(problem: &Value) -> Vec<String> {
    let mut out: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn creates_reads_lists_and_edits_a_survey_and_content_edits_bump_the_version() {
    let app = spawn_app().await;
    let admin = &app.fixture.secret_key;
    let created = create_survey(
        &app,
        json!({
            "key": "nps-q4", "kind": "nps", "question": "How likely are you to recommend us?",
            "presentation": {
                "labels": {"low": "Not likely", "high": "Very likely"},
                "follow_up": {"question": "Why?", "detractor": "What went wrong?", "promoter": "What do you love?"},
                "locales": {"de": {"question": "Wie wahrscheinlich…?", "labels": {"low": "Unwahrscheinlich"}}}
            },
            "targeting": {"sample_rate": 0.5, "recontact_days": 90,
                          "filters": [{"attribute": "plan", "op": "in", "value": ["pro", "team"]}]}
        }),
    )
    .await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "active");
    assert_eq!(created["scale"], json!({"min": 0, "max": 10}));
    assert_eq!(created["presentation"]["follow_up"]["detractor"], "What went wrong?");
    assert_eq!(created["targeting"]["recontact_days"], 90);
    let id = created["id"].as_str().unwrap();

    let by_key = json(call(&app, Method::GET, "/v1/surveys/nps-q4", admin, None).await).await;
    let by_id = json(call(&app, Method::GET, &format!("/v1/surveys/{id}"), admin, None).await).await;
    assert_eq!(by_key, created);
    assert_eq!(by_id, created);

    let list = json(call(&app, Method::GET, "/v1/surveys", admin, None).await).await;
    assert_eq!(list["surveys"].as_array().unwrap().len(), 6);
    let paused = json(call(&app, Method::GET, "/v1/surveys?status=paused", admin, None).await).await;
    let keys: Vec<_> = paused["surveys"].as_array().unwrap().iter().map(|s| s["key"].clone()).collect();
    assert_eq!(keys, [json!("paused")]);

    let edit = |body: Value| {
        let app = &app;
        async move { call(app, Method::PATCH, "/v1/surveys/nps-q4", admin, Some(&body)).await }
    };
    let edited = json(edit(json!({"question": "Would you recommend us?"})).await).await;
    assert_eq!(
        (edited["version"].clone(), edited["question"].clone()),
        (json!(2), json!("Would you recommend us?"))
    );
    // Targeting decides who is asked, not what an answer means: no new version.
    let retargeted = json(edit(json!({"targeting": {"sample_rate": 1}})).await).await;
    assert_eq!(retargeted["version"], 2);
    assert_eq!(retargeted["targeting"], json!({"sample_rate": 1.0, "recontact_days": 0}));
    // An edit that changes nothing keeps the version.
    assert_eq!(json(edit(json!({"question": "Would you recommend us?"})).await).await["version"], 2);
    let relabelled = json(edit(json!({"presentation": {"labels": {"low": "No"}}})).await).await;
    assert_eq!(relabelled["version"], 3);

    let r = edit(json!({"key": "renamed"})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(fields(&json(r).await), ["key"]);
}

#[tokio::test]
async fn invalid_surveys_are_refused_naming_every_field() {
    let app = spawn_app().await;
    let r = call(
        &app,
        Method::POST,
        "/v1/surveys",
        &app.fixture.secret_key,
        Some(&json!({
            "key": "Bad Key", "kind": "csat", "question": "",
            "presentation": {"follow_up": {"promoter": "Yay"}, "locales": {"Deutsch": {}}},
            "targeting": {"sample_rate": 1.5, "filters": [{"attribute": "v", "op": "gte", "value": "abc"}]}
        })),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(
        fields(&json(r).await),
        [
            "key",
            "presentation.follow_up",
            "presentation.locales.Deutsch",
            "question",
            "targeting.filters[0].value",
            "targeting.sample_rate"
        ]
    );
    let nps_scale = json!({"key": "x", "kind": "nps", "question": "Q?", "scale_min": 1});
    let r = call(&app, Method::POST, "/v1/surveys", &app.fixture.secret_key, Some(&nps_scale)).await;
    assert_eq!(fields(&json(r).await), ["scale"]);
    let taken = json!({"key": "nps-main", "kind": "nps", "question": "Q?"});
    let r = call(&app, Method::POST, "/v1/surveys", &app.fixture.secret_key, Some(&taken)).await;
    assert_eq!(r.status(), 409);
    let unknown = json!({"key": "x", "kind": "nps", "question": "Q?", "colour": "red"});
    let r = call(&app, Method::POST, "/v1/surveys", &app.fixture.secret_key, Some(&unknown)).await;
    assert_eq!(fields(&json(r).await), ["colour"]);
}

#[tokio::test]
async fn pause_resume_and_archive_follow_the_lifecycle_and_take_effect_at_once() {
    let app = spawn_app().await;
    let admin = &app.fixture.secret_key;
    let act = |what: &'static str| {
        let app = &app;
        async move { call(app, Method::POST, &format!("/v1/surveys/nps-main/{what}"), admin, None).await }
    };
    let answer = json!({"survey": "nps-main", "score": 9});

    assert_eq!(json(act("pause").await).await["status"], "paused");
    // Pausing again is a no-op, so a retried call succeeds.
    assert_eq!(json(act("pause").await).await["status"], "paused");
    // The survey cache of this process is cleared by the edit: no TTL wait.
    let refused = app.post_answer(&answer).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(json(act("resume").await).await["status"], "active");
    assert_eq!(app.post_answer(&answer).await.status(), 201);

    assert_eq!(json(act("archive").await).await["status"], "archived");
    for what in ["resume", "pause"] {
        let r = act(what).await;
        assert_eq!(r.status(), 409, "{what} an archived survey");
        assert_eq!(json(r).await["type"], "https://feedbackd.dev/problems/conflict");
    }
    let r =
        call(&app, Method::PATCH, "/v1/surveys/nps-main", admin, Some(&json!({"question": "New?"}))).await;
    assert_eq!(r.status(), 409);

    let draft =
        create_survey(&app, json!({"key": "d", "kind": "csat", "question": "Q?", "status": "draft"})).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(call(&app, Method::POST, "/v1/surveys/d/pause", admin, None).await.status(), 409);
    assert_eq!(
        json(call(&app, Method::POST, "/v1/surveys/d/resume", admin, None).await).await["status"],
        "active"
    );
}

#[tokio::test]
async fn answers_record_the_survey_version_current_when_they_arrive() {
    let app = spawn_app_with(|c| c.auth_cache_ttl = Duration::ZERO).await;
    assert_eq!(app.post_answer(&json!({"survey": "nps-main", "score": 7})).await.status(), 201);
    let edit = json!({"question": "How likely is it that you would recommend us?"});
    let r = call(&app, Method::PATCH, "/v1/surveys/nps-main", &app.fixture.secret_key, Some(&edit)).await;
    assert_eq!(json(r).await["version"], 2);
    assert_eq!(app.post_answer(&json!({"survey": "nps-main", "score": 8})).await.status(), 201);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE score = 7 AND survey_version = 1"), 1);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE score = 8 AND survey_version = 2"), 1);
}
