//! The web widget in headless Chromium (tests/browser/widget.test.mjs, questions.test.mjs and
//! triggers.test.mjs: playwright-core and axe-core) against the real service on a fresh database,
//! and on the snippets' shared question cases (questions-cases.test.mjs). Missing tools fail the test with
//! what to install: `scripts/test` installs them, and a skipped check could hide a broken widget.

use crate::helpers::{spawn_app, TestApp};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails with the install command when something the browser tests need is missing.
pub fn require_browser_tools() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (apt-get install chromium)"));
    }
    if std::process::Command::new("node").arg("--version").output().is_err() {
        missing.push("node (apt-get install nodejs npm)".into());
    }
    if !repo().join("tests/browser/node_modules/playwright-core").exists() {
        missing.push("tests/browser/node_modules (npm ci --prefix tests/browser)".into());
    }
    assert!(
        missing.is_empty(),
        "the browser tests need: {}; `scripts/test` installs them",
        missing.join(", ")
    );
}

/// Runs a command to the end with the test's output, and fails unless it exits 0.
pub async fn run(command: &mut Command, what: &str) {
    let status = command
        .current_dir(repo())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .unwrap_or_else(|e| panic!("starting {what}: {e}"));
    assert!(status.success(), "{what} failed ({status}); its output is above");
}

fn text(app: &TestApp, sql: &str) -> Option<String> {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        t: Option<String>,
    }
    use diesel::RunQueryDsl;
    diesel::sql_query(sql).get_result::<T>(&mut app.db.connect()).expect("query").t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_widget_answers_land_once_in_a_real_browser() {
    require_browser_tools();
    let app = spawn_app().await;
    let result = std::env::temp_dir().join(format!("feedbackd-widget-{}.json", uuid::Uuid::new_v4()));
    run(
        Command::new("node")
            .arg("tests/browser/widget.test.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_KEY", &app.fixture.publishable_key)
            .env("FEEDBACKD_RESULT", &result)
            .env("DATABASE_URL", &app.db.url)
            .env("ARTIFACTS_DIR", repo().join("artifacts")),
        "node tests/browser/widget.test.mjs",
    )
    .await;
    let sent: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("the test's result")).unwrap();
    let _ = std::fs::remove_file(&result);

    for survey in ["nps", "csat", "text", "ces"] {
        let id = sent[survey]["id"].as_str().unwrap_or_else(|| panic!("an id for {survey}"));
        let rows = app.count(&format!("SELECT count(*) FROM responses WHERE id = '{id}'"));
        assert_eq!(rows, 1, "{survey} answer {id} is stored exactly once");
        if let Some(score) = sent[survey]["score"].as_i64() {
            let stored = text(&app, &format!("SELECT score::text AS t FROM responses WHERE id = '{id}'"));
            assert_eq!(stored, Some(score.to_string()), "{survey} score");
        }
        if let Some(comment) = sent[survey]["comment"].as_str() {
            let stored = text(&app, &format!("SELECT comment AS t FROM responses WHERE id = '{id}'"));
            assert_eq!(stored.as_deref(), Some(comment), "{survey} comment");
        }
    }
    let category = text(
        &app,
        &format!("SELECT category AS t FROM responses WHERE id = '{}'", sent["text"]["id"].as_str().unwrap()),
    );
    assert_eq!(category.as_deref(), Some("bug"));
    let dismissed = app.count("SELECT count(*) FROM respondent_contacts WHERE last_dismissed_at IS NOT NULL");
    assert_eq!(dismissed, 1, "Escape recorded a dismissal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_widget_triggers_fire_as_configured_in_a_real_browser() {
    require_browser_tools();
    let app = spawn_app().await;
    run(
        Command::new("node")
            .arg("tests/browser/triggers.test.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_KEY", &app.fixture.publishable_key)
            .env("FEEDBACKD_SECRET", &app.fixture.secret_key),
        "node tests/browser/triggers.test.mjs",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_widget_asks_additional_questions_with_the_keyboard_in_a_real_browser() {
    require_browser_tools();
    let app = spawn_app().await;
    let result = std::env::temp_dir().join(format!("feedbackd-questions-{}.json", uuid::Uuid::new_v4()));
    run(
        Command::new("node")
            .arg("tests/browser/questions.test.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_KEY", &app.fixture.publishable_key)
            .env("FEEDBACKD_SECRET", &app.fixture.secret_key)
            .env("FEEDBACKD_RESULT", &result)
            .env("ARTIFACTS_DIR", repo().join("artifacts")),
        "node tests/browser/questions.test.mjs",
    )
    .await;
    let sent: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("the test's result")).unwrap();
    let _ = std::fs::remove_file(&result);

    // One row per answer: the score, the POST's, and what the PATCHes added to it.
    let nps = &sent["nps"];
    let id = nps["id"].as_str().expect("the NPS answer's id");
    assert_eq!(app.count(&format!("SELECT count(*) FROM responses WHERE id = '{id}'")), 1);
    let row =
        |column: &str| text(&app, &format!("SELECT {column}::text AS t FROM responses WHERE id = '{id}'"));
    assert_eq!(row("score").as_deref(), Some("3"));
    assert_eq!(row("comment").as_deref(), nps["comment"].as_str());
    let answers: Value = serde_json::from_str(&row("answers").expect("answers stored")).unwrap();
    assert_eq!(answers, nps["answers"], "only the reason: the rating was skipped");
    assert_eq!(answers["reason"]["options"].as_array().map(Vec::len), Some(1));

    let pmf = &sent["pmf"];
    let id = pmf["id"].as_str().expect("the PMF answer's id");
    let stored =
        text(&app, &format!("SELECT answers::text AS t FROM responses WHERE id = '{id}' AND score IS NULL"));
    let stored: Value = serde_json::from_str(&stored.expect("the PMF answer, without a score")).unwrap();
    assert_eq!(stored, pmf["answers"]);
}

/// The shared question cases of the app snippets (tests/data/snippet-questions.json) hold for
/// the web widget too: the served file against a stubbed configuration, no service needed.
#[tokio::test]
async fn web_widget_asks_the_questions_the_shared_snippet_cases_expect() {
    require_browser_tools();
    run(
        Command::new("node").arg("tests/browser/questions-cases.test.mjs"),
        "node tests/browser/questions-cases.test.mjs",
    )
    .await;
}
