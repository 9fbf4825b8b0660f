//! The report page in headless Chromium (tests/browser/report.mjs): sign in through the
//! form, the headline against the summary API, one chart point per bucket, the questions
//! against the questions API and an option's link, a `<script>` comment shown as text,
//! filters, the themes against the themes API and a theme's comments, the CSV download
//! against the export API, screenshots (light, dark, print),
//! axe-core (a PMF survey's page too), and a share link opened from its URL with the fragment.

use crate::browser::{repo, require_browser_tools, run};
use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::{insert, random_rows, survey_id, Row};
use crate::mgmt_support::{call, create_survey, json, secret_key};
use crate::questions::{nps_with_questions, pmf_survey};
use crate::report::summary;
use crate::themes::until_analysed;
use chrono::{DateTime, Duration, Utc};
use feedbackd_domain::Scope;
use serde_json::Value;
use tokio::process::Command;

/// Gives nps-main issue 19's questions, with answers to them from `start` on (a day
/// apart), and makes a PMF survey `pmf` with answers of its own.
async fn questions_and_answers(app: &TestApp, start: DateTime<Utc>) {
    let questions = serde_json::json!({"questions": nps_with_questions("nps-main")["questions"]});
    let r =
        call(app, reqwest::Method::PATCH, "/v1/surveys/nps-main", &app.fixture.secret_key, Some(&questions))
            .await;
    assert_eq!(r.status(), 200);
    let reasons = ["price", "bugs", "speed", "price", "other"];
    for i in 0..40usize {
        let score = (i % 11) as i64;
        let area = ["web", "ios", "api"][i % 3];
        let mut answers = serde_json::json!({"areas": [area], "ease": 1 + i % 5});
        if score <= 8 && i % 4 != 3 {
            answers["reason"] = match reasons[i % 5] {
                "other" => serde_json::json!({"options": ["other"], "other": "the docs"}),
                pick => serde_json::json!(pick),
            };
        }
        let at = start + Duration::hours(9 + 24 * (i as i64 % 13));
        let body =
            serde_json::json!({"survey": "nps-main", "score": score, "answers": answers, "client_time": at});
        let r = app.post_answer(&body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    create_survey(app, pmf_survey("pmf")).await;
    for (i, pick) in
        ["very_disappointed", "somewhat_disappointed", "not_disappointed"].iter().cycle().take(25).enumerate()
    {
        let mut answers = serde_json::json!({"main": pick});
        if *pick == "not_disappointed" {
            answers["why"] = serde_json::json!("A spreadsheet does it");
        }
        let comment = (i % 4 == 0).then_some("It saves me an hour a week");
        let r = app
            .post_answer(&serde_json::json!({"survey": "pmf", "answers": answers, "comment": comment}))
            .await;
        assert_eq!(r.status(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_page_works_in_a_real_browser() {
    require_browser_tools();
    let app = spawn_app_with(|config| {
        without_rate_limits(config);
        config.sentiment_interval = Some(std::time::Duration::from_millis(100));
    })
    .await;
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
    questions_and_answers(&app, start + Duration::days(14)).await;
    until_analysed(&app).await;
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
    assert!(shown["themes"].as_u64().unwrap() > 0, "the themes section was checked");
    assert!(shown["filtered"].as_u64().unwrap() > 0);
    assert!(shown["csv_rows"].as_u64() >= shown["filtered"].as_u64(), "the CSV holds the filtered list");
    let (_, questions) = app.read_with(&format!("/v1/surveys/nps-main/questions?{period}"), &key).await;
    assert_eq!(shown["questions"], questions["questions"].as_array().unwrap().len());
    assert_eq!(shown["reason_answered"], questions["questions"][0]["answered"]);
    assert!(questions["questions"][0]["answered"].as_u64().unwrap() > 10, "{questions}");
    let (_, price) =
        app.read_with(&format!("/v1/surveys/nps-main/summary?{period}&answers[reason]=price"), &key).await;
    assert_eq!(shown["price_headline"], format!("{:.1}", price["current"]["nps"]["score"].as_f64().unwrap()));
    for shot in ["report-light.png", "report-dark.png", "report-print.png", "report.pdf", "report-pmf.png"] {
        assert!(repo().join("artifacts/report").join(shot).exists(), "{shot} saved");
    }
}
