//! The report page's honesty about small numbers: a breakdown segment with too few answers
//! gets no score and no bar, and a tiny p-value reads "p < 0.001", never "p = 0.000".

use crate::helpers::spawn_app;
use crate::insights_support::{insert, Row};
use crate::report::{page, session};
use chrono::{DateTime, Duration, Utc};
use feedbackd_http::pages::MIN_SEGMENT_ANSWERS;

/// `n` answers with `score` on `platform`, an hour apart from `start`.
fn answers(n: usize, score: i16, platform: Option<&'static str>, start: DateTime<Utc>) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            id: uuid::Uuid::now_v7(),
            score,
            at: start + Duration::hours(i as i64),
            platform,
            country: "DE",
            plan: "pro",
            comment: None,
            category: None,
        })
        .collect()
}

/// The part of the page between two markers.
fn section<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let start = body.find(from).unwrap_or_else(|| panic!("{from} in the page"));
    let end = start + body[start..].find(to).unwrap_or_else(|| panic!("{to} after {from}"));
    &body[start..end]
}

/// The breakdown table's row of `label`.
fn row<'a>(breakdown: &'a str, label: &str) -> &'a str {
    let th = format!("<th scope=\"row\">{label}</th>");
    let start = breakdown.find(&th).unwrap_or_else(|| panic!("a row for {label}: {breakdown}"));
    let end = start + breakdown[start..].find("</tr>").unwrap();
    &breakdown[start..end]
}

#[tokio::test]
async fn small_segments_get_no_score_and_tiny_p_values_read_below_a_thousandth() {
    let app = spawn_app().await;
    let today = Utc::now().date_naive();
    let start = (today - Duration::days(14)).and_hms_opt(0, 0, 0).unwrap().and_utc();
    let enough = MIN_SEGMENT_ANSWERS as usize;
    let mut rows = Vec::new();
    // This period: many iOS answers, mostly promoters; one web promoter; three without a platform.
    rows.extend(answers(enough, 10, Some("ios"), start));
    rows.extend(answers(enough / 3, 0, Some("ios"), start + Duration::days(3)));
    rows.extend(answers(1, 10, Some("web"), start + Duration::days(5)));
    rows.extend(answers(3, 0, None, start + Duration::days(6)));
    // The period before: mostly detractors, so the change is far beyond chance.
    rows.extend(answers(enough, 0, Some("ios"), start - Duration::days(14)));
    rows.extend(answers(enough / 3, 10, Some("ios"), start - Duration::days(10)));
    insert(&app, app.fixture.nps_survey_id, &rows);

    let cookie = session(&app, &app.fixture.secret_key).await;
    let query = format!("from={}&to={}&tz=UTC", today - Duration::days(14), today - Duration::days(1));
    let r = page(&app, Some(&cookie), &format!("/reports/nps-main?{query}")).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();

    let breakdown = section(&body, "id=\"breakdown-h\"", "aria-labelledby=\"terms-h\"");
    let chart = section(breakdown, "<svg", "</svg>");
    assert!(chart.contains("<title>ios: "), "a segment with enough answers has its bar: {chart}");
    assert!(!chart.contains("<title>web: "), "one answer draws no bar: {chart}");
    assert!(!chart.contains("<title>not set: "), "three answers draw no bar: {chart}");
    for (label, count) in [("web", 1), ("not set", 3)] {
        let r = row(breakdown, label);
        assert!(r.contains("too few answers"), "{label}: {r}");
        assert!(r.contains(&format!("<td>{count}</td>")), "{label} keeps its count: {r}");
        assert!(!r.contains("100.0") && !r.contains("-100.0"), "{label} shows no score: {r}");
    }
    assert!(!row(breakdown, "ios").contains("too few answers"));
    assert!(breakdown.contains(&format!("fewer than {MIN_SEGMENT_ANSWERS} answers")), "{breakdown}");

    let change = section(&body, "id=\"headline-change\"", "</p>");
    assert!(change.contains("significant (p &lt; 0.001)"), "{change}");
    assert!(!body.contains("p = 0.000"), "no p-value rounds to zero anywhere");
}
