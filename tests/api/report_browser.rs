//! The report page in headless Chromium (tests/browser/report.mjs): sign in through the
//! form, the headline against the summary API, one chart point per bucket, a `<script>`
//! comment shown as text, filters, the CSV download against the export API, screenshots
//! (light, dark, print), axe-core, and a share link opened from its URL with the fragment.

use crate::browser::{repo, require_browser_tools, run};
use crate::helpers::spawn_app;
use crate::insights_support::{insert, random_rows, survey_id, Row};
use crate::mgmt_support::{call, json, secret_key};
use crate::report::summary;
use chrono::{Duration, Utc};
use feedbackd_domain::Scope;
use serde_json::Value;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_page_works_in_a_real_browser() {
    require_browser_tools();
    let app = spawn_app().await;
    let nps = survey_id(&app, "nps-main");
    let today = Utc::now().date_naive();
    let start = today.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(28);
    let mut rows = random_rows(42, 1500, start, Duration::days(28), 0, 10);
    let evil = Row {
        id: uuid::Uuid::now_v7(),
        comment: Some("<script>alert(1)</script> the crash <img src=x onerror=alert(2)>".into()),
        // The newest answer of the period (it ends at local midnight in Berlin, 23:00 UTC).
        at: start + Duration::days(27) + Duration::minutes(22 * 60 + 59),
        ..rows[0].clone()
    };
    rows.push(evil);
    insert(&app, nps, &rows);
    let key = secret_key(&app, &[Scope::ResponsesRead, Scope::ResponsesExport]);
    let period =
        format!("from={}&to={}&tz=Europe/Berlin", today - Duration::days(14), today - Duration::days(1));

    let path = "/v1/surveys/nps-main/report-links";
    let r =
        call(&app, reqwest::Method::POST, path, &app.fixture.secret_key, Some(&serde_json::json!({}))).await;
    let share_url = json(r).await["url"].as_str().unwrap().to_string();

    let result = std::env::temp_dir().join(format!("feedbackd-report-{}.json", uuid::Uuid::new_v4()));
    run(
        Command::new("node")
            .arg("tests/browser/report.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_SECRET_KEY", &key)
            .env("FEEDBACKD_QUERY", &period)
            .env("FEEDBACKD_SHARE_URL", &share_url)
            .env("FEEDBACKD_RESULT", &result)
            .env("ARTIFACTS_DIR", repo().join("artifacts/report")),
        "node tests/browser/report.mjs",
    )
    .await;
    let shown: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("the test's result")).unwrap();
    let _ = std::fs::remove_file(&result);

    // The page's numbers, checked here against the API once more (not only in the script).
    let summary = summary(&app, &key, &period).await;
    let score = summary["current"]["nps"]["score"].as_f64().unwrap();
    assert!(summary["current"]["count"].as_u64().unwrap() > 100, "the period has answers");
    assert_eq!(shown["headline"], format!("{score:.1}"));
    assert_eq!(shown["points"], 14, "one point per local day of 14 days");
    assert_eq!(shown["escaped"], true);
    assert!(shown["filtered"].as_u64().unwrap() > 0);
    assert!(shown["csv_rows"].as_u64() >= shown["filtered"].as_u64(), "the CSV holds the filtered list");
    for shot in ["report-light.png", "report-dark.png", "report-print.png", "report.pdf"] {
        assert!(repo().join("artifacts/report").join(shot).exists(), "{shot} saved");
    }
}
