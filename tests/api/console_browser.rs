//! The console in headless Chromium (tests/browser/console.mjs): the first-run page, a
//! project and an NPS survey with a reason question made in the browser, the widget's
//! preview, the snippet copied, an invitation opened once, axe-core on every page, and
//! screenshots of each (artifacts/console).

use crate::browser::{repo, require_browser_tools, run};
use crate::helpers::{spawn_app_with, without_rate_limits};
use serde_json::Value;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_person_runs_a_survey_from_the_console_in_a_real_browser() {
    require_browser_tools();
    let token = "fbk_setup_browser-test";
    let app = spawn_app_with(|config| {
        without_rate_limits(config);
        config.setup_token = Some(token.to_string().into());
    })
    .await;
    // Answers to the fixture's NPS survey, for its row in the list and its report.
    for i in 0..30 {
        let body =
            serde_json::json!({"survey": "nps-main", "score": i % 11, "comment": format!("comment {i}")});
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
    let result = std::env::temp_dir().join(format!("feedbackd-console-{}.json", uuid::Uuid::new_v4()));
    run(
        Command::new("node")
            .arg("tests/browser/console.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_SETUP_TOKEN", token)
            .env("FEEDBACKD_RESULT", &result)
            .env("FEEDBACKD_FIXTURE_PROJECT", app.fixture.project_id.to_string())
            .env("ARTIFACTS_DIR", repo().join("artifacts/console")),
        "node tests/browser/console.mjs",
    )
    .await;
    let shown: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("the test's result")).unwrap();
    let _ = std::fs::remove_file(&result);

    // What the browser did, as the database holds it.
    let project = shown["project"].as_str().unwrap();
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM projects WHERE id = '{project}' AND name = 'Checkout'")),
        1
    );
    let survey = format!(
        "SELECT count(*) FROM surveys WHERE project_id = '{project}' AND key = 'checkout-nps' AND kind = 'nps' \
         AND status = 'active' AND questions @> '[{{\"key\": \"reason\", \"kind\": \"text\"}}]'"
    );
    assert_eq!(app.count(&survey), 1, "the survey with its reason question");
    assert_eq!(shown["preview_sent"], 0);
    assert_eq!(app.count("SELECT count(*) FROM responses"), 30, "the preview stored no answer");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE is_admin AND email = 'ana@example.com'"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.project_id = '{project}' AND u.email = 'vic@example.com' AND m.role = 'viewer'"
        )),
        1,
        "the invitation made a viewer"
    );
    assert_eq!(shown["key_shown"], true);

    // The list and the report show what the API answers.
    let (_, summary) = app.read_with("/v1/surveys/nps-main/summary", &app.fixture.secret_key).await;
    let nps = summary["current"]["nps"]["score"].as_f64().unwrap();
    assert_eq!(shown["report_headline"], format!("{nps:.1}"));
    let cells = shown["list_cells"].as_array().unwrap();
    assert_eq!(cells[4], "30", "answers in 30 days: {cells:?}");
    assert_eq!(cells[5], format!("{nps:.1} NPS"), "{cells:?}");
    assert_eq!(shown["csv_lines"], 31, "a header and every comment");
    let pages = shown["pages"].as_array().unwrap();
    assert!(pages.len() >= 11, "axe and a screenshot on every page: {pages:?}");
    for page in pages {
        assert!(repo().join("artifacts/console").join(format!("{}.png", page.as_str().unwrap())).exists());
    }
}
