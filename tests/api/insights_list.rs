//! The list of answers (filters, keyset pages, search with snippets), terms, and the read
//! API's keys and parameter errors.

use crate::helpers::{spawn_app_with, without_rate_limits};
use crate::insights_support::*;
use chrono::{DateTime, Duration, Utc};
use feedbackd_core::manage;
use feedbackd_domain::{KeyKind, Scope};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn pages_are_newest_first_complete_and_stable_under_inserts() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-07-01T00:00:00Z");
    let mut rows = random_rows(21, 300, start, Duration::days(2), 0, 10);
    // Ties on answered_at are broken by id.
    for r in rows.iter_mut().take(20) {
        r.at = start + Duration::hours(5);
    }
    insert(&app, survey, &rows);
    let (from, to) = (start, start + Duration::days(2));
    let keep = |r: &Row| r.platform == Some("ios") && r.score >= 5;
    let mut expected: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
    expected.sort_by_key(|r| std::cmp::Reverse((r.at, r.id)));

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page = 0;
    loop {
        let mut path = format!(
            "/v1/responses?survey=nps-main&from={}&to={}&attributes.platform=ios&score_min=5&limit=7",
            ts(from),
            ts(to)
        );
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = app.read(&path).await;
        assert_eq!(status, 200, "{body}");
        for a in body["data"].as_array().unwrap() {
            seen.push(a["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap());
        }
        if page == 1 {
            // Newer answers arriving between pages do not shift the pages that follow.
            let newer = random_rows(22, 30, to - Duration::minutes(30), Duration::minutes(29), 5, 10);
            insert(&app, survey, &newer);
        }
        page += 1;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, expected.iter().map(|r| r.id).collect::<Vec<_>>());
}

#[tokio::test]
async fn search_finds_words_and_highlights_them() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-07-10T00:00:00Z");
    let rows = random_rows(31, 400, start, Duration::days(1), 0, 10);
    insert(&app, survey, &rows);
    let path =
        format!("/v1/responses?q=export&from={}&to={}&limit=500", ts(start), ts(start + Duration::days(1)));
    let (status, body) = app.read(&path).await;
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().unwrap();
    let expected = rows.iter().filter(|r| r.comment.as_deref().is_some_and(|c| c.contains("export"))).count();
    assert_eq!(data.len(), expected);
    assert!(expected > 0);
    for a in data {
        assert!(a["highlight"].as_str().unwrap().contains("<mark>export</mark>"), "{a}");
    }
}

#[tokio::test]
async fn terms_count_comments_and_find_rising_ones() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-08-01T00:00:00Z");
    let mut rows = random_rows(41, 200, start, Duration::days(2), 0, 10);
    for (i, r) in rows.iter_mut().enumerate() {
        let second_day = r.at >= start + Duration::days(1);
        r.comment = Some(
            if second_day && i % 2 == 0 { "Checkout crashes on export" } else { "love the editor" }.into(),
        );
    }
    insert(&app, survey, &rows);
    let mid = start + Duration::days(1);
    let path =
        format!("/v1/surveys/nps-main/terms?from={}&to={}&limit=5", ts(mid), ts(mid + Duration::days(1)));
    let (status, body) = app.read(&path).await;
    assert_eq!(status, 200, "{body}");
    let now = rows.iter().filter(|r| r.at >= mid).count() as u64;
    assert_eq!(body["comments"], now);
    assert_eq!(body["previous_comments"], rows.len() as u64 - now);
    let rising: Vec<&str> =
        body["rising"].as_array().unwrap().iter().map(|t| t["term"].as_str().unwrap()).collect();
    assert!(rising.contains(&"checkout crashes"), "{rising:?}");
    assert!(!rising.contains(&"the"));
}

#[tokio::test]
async fn read_api_needs_a_secret_key_with_responses_read() {
    let app = spawn_app_with(without_rate_limits).await;
    let path = "/v1/surveys/nps-main/summary";
    let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers()["content-type"], "application/problem+json");

    let (status, _) = app.read_with(path, &app.fixture.publishable_key).await;
    assert_eq!(status, 403);

    let db = app.db.services();
    let narrow = manage::create_key(&db, app.fixture.project_id, KeyKind::Secret, &[Scope::SurveysRead], "n")
        .await
        .unwrap();
    let (status, body) = app.read_with(path, &narrow.token).await;
    assert_eq!(status, 403);
    assert_eq!(body["type"], "https://feedbackd.dev/problems/missing-scope");
    assert!(body["detail"].as_str().unwrap().contains("responses:read"));
    let reader =
        manage::create_key(&db, app.fixture.project_id, KeyKind::Secret, &[Scope::ResponsesRead], "r")
            .await
            .unwrap();
    assert_eq!(app.read_with(path, &reader.token).await.0, 200);
    // A secret key is never taken from the URL.
    let response =
        app.client.get(format!("{}{path}?key={}", app.address, reader.token)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);

    // Another project's survey is not found.
    let other = manage::create_project(&db, "Other", &[]).await.unwrap();
    let (nps, active) = (feedbackd_domain::SurveyKind::Nps, feedbackd_domain::SurveyStatus::Active);
    let spec = manage::SurveySpec::new("theirs".into(), nps, "Q?".into(), active);
    let theirs = manage::create_survey(&db, other.id, spec).await.unwrap();
    let (status, body) = app.read(&format!("/v1/surveys/{}/summary", theirs.id)).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn bad_parameters_are_422_naming_each() {
    let app = spawn_app_with(without_rate_limits).await;
    for (path, field) in [
        ("/v1/surveys/nps-main/summary?tz=Mars/Base", "tz"),
        ("/v1/surveys/nps-main/summary?from=last-week", "from"),
        ("/v1/surveys/nps-main/summary?from=2026-02-01&to=2026-01-01", "from"),
        ("/v1/surveys/nps-main/summary?band=fans", "band"),
        ("/v1/surveys/csat/summary?band=promoter", "band"),
        ("/v1/surveys/nps-main/summary?score_min=x", "score_min"),
        ("/v1/surveys/nps-main/summary?colour=red", "colour"),
        ("/v1/surveys/nps-main/timeseries?interval=hour", "interval"),
        ("/v1/surveys/nps-main/timeseries?interval=day&from=2020-01-01&to=2026-01-01", "interval"),
        ("/v1/surveys/nps-main/breakdown?by=", "by"),
        ("/v1/surveys/nps-main/breakdown?by=platform&min_count=0", "min_count"),
        ("/v1/surveys/feedback/summary", "survey"),
        ("/v1/responses?cursor=nonsense", "cursor"),
        ("/v1/responses?limit=10000", "limit"),
        ("/v1/responses?category=rant", "category"),
    ] {
        let (status, body) = app.read(path).await;
        assert_eq!(status, 422, "{path}: {body}");
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{path}: {body}");
    }
    assert_eq!(app.read("/v1/surveys/nope/summary").await.0, 404);
}
