//! Month rollups (migration 000190) of the themes: a month row equals its sealed days'
//! answers whoever wrote them (the comment task before and after a seal, the sealer, late
//! answers, a merge, erasure), and a themes report over months that the planner answers
//! from them equals the rows.

use crate::helpers::TestApp;
use crate::insights_support::{insert, random_rows, ts};
use crate::mgmt_support::{call, json, secret_key};
use crate::themes::{analysing_app, until_analysed};
use chrono::{DateTime, Duration, Utc};
use feedbackd_domain::Scope;
use reqwest::Method;
use serde_json::json;

/// Month cells that differ from the analysed answers of their month's sealed days.
fn months_off(app: &TestApp) -> i64 {
    app.count(
        "WITH s AS (SELECT survey_id, sealed_before FROM rollup_seals), \
         raw AS (SELECT r.survey_id, date_trunc('month', r.answered_at, 'UTC') AS month, t.value, \
                        coalesce(r.score, -1) AS score, count(*) AS n \
                 FROM responses r JOIN s USING (survey_id) \
                 CROSS JOIN LATERAL (SELECT '' AS value UNION ALL SELECT unnest(r.themes)) t \
                 WHERE r.themes IS NOT NULL AND r.duplicate_of IS NULL AND r.answered_at < s.sealed_before \
                 GROUP BY 1, 2, 3, 4), \
         m AS (SELECT survey_id, month, value, score, count AS n FROM score_rollups_monthly WHERE dimension = '#theme' AND count <> 0) \
         SELECT count(*) AS n FROM raw FULL JOIN m USING (survey_id, month, value, score) WHERE raw.n IS DISTINCT FROM m.n",
    )
}

fn seal(app: &TestApp, up_to: DateTime<Utc>) {
    let mut conn = app.db.connect();
    feedbackd_store::seals::seal_survey(&mut conn, app.fixture.project_id, app.fixture.nps_survey_id, up_to)
        .expect("sealing");
}

/// Every theme of the report against a count of the rows: (themes compared, mismatches).
async fn report_against_rows(app: &TestApp, from: DateTime<Utc>, to: DateTime<Utc>) -> (usize, Vec<String>) {
    let path = format!("/v1/surveys/nps-main/themes?from={}&to={}&min_count=1&limit=200", ts(from), ts(to));
    let (status, report) = app.read(&path).await;
    assert_eq!(status, 200, "{report}");
    let in_range = format!(
        "duplicate_of IS NULL AND answered_at >= '{}' AND answered_at < '{}' AND survey_id = '{}'",
        from.to_rfc3339(),
        to.to_rfc3339(),
        app.fixture.nps_survey_id
    );
    let mut off = Vec::new();
    let comments =
        app.count(&format!("SELECT count(*) FROM responses WHERE themes IS NOT NULL AND {in_range}"));
    if report["comments"].as_i64() != Some(comments) {
        off.push(format!("comments: {} reported, {comments} rows", report["comments"]));
    }
    let themes = report["themes"].as_array().unwrap();
    for theme in themes {
        let key = theme["key"].as_str().unwrap();
        let rows = app.count(&format!(
            "SELECT count(*) FROM responses WHERE themes @> ARRAY['{}'] AND {in_range}",
            key.replace('\'', "''")
        ));
        if theme["mentions"].as_i64() != Some(rows) {
            off.push(format!("{key}: {} reported, {rows} rows", theme["mentions"]));
        }
    }
    (themes.len(), off)
}

#[tokio::test]
async fn month_rows_equal_their_days_and_the_report_reads_them() {
    let app = analysing_app().await;
    let now = Utc::now();
    let start = now - Duration::days(160);
    let rows = random_rows(24, 2400, start, Duration::days(158), 0, 10);
    let (early, late) = rows.split_at(1600);

    // Analysed, then sealed: the sealer's day rows carry the themes into the months.
    insert(&app, app.fixture.nps_survey_id, early);
    until_analysed(&app).await;
    seal(&app, now - Duration::days(40));
    // Late answers into sealed days, analysed after the seal: the comment task's day rows.
    insert(&app, app.fixture.nps_survey_id, late);
    until_analysed(&app).await;
    seal(&app, now);
    assert!(app.count("SELECT count(*) FROM score_rollups_monthly WHERE dimension = '#theme' AND value <> '' AND count > 0") > 100);
    assert_eq!(months_off(&app), 0, "month rows equal the rows of their sealed days");

    // A ragged range of about four months: whole months from month rows, edges from days,
    // hours and raw rows.
    let (from, to) = (now - Duration::days(141) - Duration::minutes(7), now - Duration::days(12));
    let (compared, off) = report_against_rows(&app, from, to).await;
    assert!(compared > 20, "only {compared} themes");
    assert_eq!(off, Vec::<String>::new());

    // The month rows are what is read: a count planted in them shows in the report.
    let planted = "UPDATE score_rollups_monthly SET count = count + 1000 \
                   WHERE dimension = '#theme' AND value = '' AND month = date_trunc('month', now() - interval '80 days', 'UTC')";
    assert!(app.count(&format!("WITH u AS ({planted} RETURNING 1) SELECT count(*) FROM u")) > 0);
    let (_, off) = report_against_rows(&app, from, to).await;
    assert!(off.iter().any(|o| o.starts_with("comments:")), "{off:?}");
    app.count(&format!("WITH u AS ({} RETURNING 1) SELECT count(*) FROM u", planted.replace('+', "-")));

    // A merge refiles answers of sealed months; deleting answers (as erasure and retention
    // do) takes them out; the months follow both.
    let (_, report) = app.read(&format!("/v1/surveys/nps-main/themes?from={}&to={}", ts(from), ts(to))).await;
    let key = |i: usize| report["themes"][i]["key"].as_str().unwrap().to_string();
    let (top, into) = (key(1), key(0));
    let curator = secret_key(&app, &[Scope::SurveysRead, Scope::SurveysWrite]);
    let r = call(
        &app,
        Method::PATCH,
        &format!("/v1/themes/{}", top.replace(' ', "%20")),
        &curator,
        Some(&json!({"merged_into": into})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(json(r).await["answers_refiled"].as_i64().unwrap() > 0);
    app.count(
        "WITH d AS (DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE themes <> '{}' \
         AND answered_at < now() - interval '60 days' ORDER BY id LIMIT 150) RETURNING 1) SELECT count(*) FROM d",
    );
    assert_eq!(months_off(&app), 0, "after a merge and a delete");
    let (_, off) = report_against_rows(&app, from, to).await;
    assert_eq!(off, Vec::<String>::new());
}
