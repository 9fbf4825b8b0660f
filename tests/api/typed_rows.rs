//! Enum columns are read into their types once, with the row. A key keeps the scope names a
//! newer version wrote, granting nothing by them; a value that no type knows fails the read
//! with an error that names it: a 500, never a panic.

use crate::helpers::spawn_app;
use crate::mgmt_support::{call, json, secret_key};
use feedbackd_domain::Scope;
use feedbackd_store::surveys;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn scope_names_from_a_newer_version_are_listed_and_grant_nothing() {
    let app = spawn_app().await;
    let reader = secret_key(&app, &[Scope::SurveysRead]);
    app.execute("UPDATE api_keys SET scopes = scopes || '{surveys:delete}' WHERE scopes = '{surveys:read}'");
    assert_eq!(call(&app, Method::GET, "/v1/surveys", &reader, None).await.status(), 200);
    let write = json!({"key": "new", "kind": "nps", "question": "Q?"});
    assert_eq!(call(&app, Method::POST, "/v1/surveys", &reader, Some(&write)).await.status(), 403);
    let list = json(call(&app, Method::GET, "/v1/keys", &app.fixture.secret_key, None).await).await;
    let scopes: Vec<_> = list["keys"].as_array().unwrap().iter().map(|k| k["scopes"].clone()).collect();
    assert!(scopes.contains(&json!(["surveys:read", "surveys:delete"])), "{scopes:?}");
}

#[tokio::test]
async fn a_stored_value_no_type_knows_fails_the_read_naming_it() {
    let app = spawn_app().await;
    app.execute("ALTER TABLE surveys DROP CONSTRAINT surveys_status_check");
    app.execute("UPDATE surveys SET status = 'retired' WHERE key = 'nps-main'");
    let error = surveys::find_by_ref(&mut app.db.connect(), app.fixture.project_id, "nps-main").unwrap_err();
    assert!(format!("{error:?}").contains(r#"stored value \"retired\" is not a SurveyStatus"#), "{error:?}");
    let admin = &app.fixture.secret_key;
    assert_eq!(call(&app, Method::GET, "/v1/surveys/nps-main", admin, None).await.status(), 500);
    assert_eq!(call(&app, Method::GET, "/v1/project", admin, None).await.status(), 200, "still serving");
}
