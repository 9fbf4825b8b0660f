//! Summaries, time series and breakdowns against an independent fold over the raw rows,
//! on randomized data, for ranges that cut through hours and quarters and in zones with
//! DST changes and 30- and 45-minute offsets. The data of each straddles a seal: days
//! before it come from the day rollups, and answers arrive late and are erased after it.

use crate::helpers::{spawn_app_with, without_rate_limits};
use crate::insights_support::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn summaries_match_the_raw_rows_for_ragged_ranges_and_every_filter() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-03-01T00:00:00Z");
    let rows = random_rows(7, 3000, start, Duration::days(12), 0, 10);
    let rows = insert_sealed(&app, survey, rows, utc("2026-03-07T00:00:00Z"));
    let mut rng = StdRng::seed_from_u64(99);
    let mut compared = 0;

    type Keep = fn(&Row) -> bool;
    let filters: Vec<(&str, Keep)> = vec![
        ("", |_| true),
        ("&attributes.platform=ios", |r| r.platform == Some("ios")),
        ("&attributes.platform=ios&attributes.platform=web", |r| matches!(r.platform, Some("ios" | "web"))),
        ("&attributes.plan=pro", |r| r.plan == "pro"),
        ("&band=detractor", |r| r.score <= 6),
        ("&score_min=7&score_max=8", |r| (7..=8).contains(&r.score)),
        ("&has_comment=true", |r| r.comment.is_some()),
        ("&has_comment=false", |r| r.comment.is_none()),
        ("&category=bug", |r| r.category == Some("bug")),
        ("&q=crash", |r| r.comment.as_deref().is_some_and(|c| c.split(' ').any(|w| w == "crash"))),
    ];
    for round in 0..12 {
        // Ranges of minutes to days, starting anywhere (mostly off the hour and quarter).
        let from = start + Duration::seconds(rng.gen_range(0..10 * 86_400));
        let len = Duration::seconds(rng.gen_range(1..[600, 7200, 86_400 * 4][round % 3]));
        let to = from + len;
        for (query, keep) in &filters {
            let path = format!("/v1/surveys/nps-main/summary?from={}&to={}{query}", ts(from), ts(to));
            let (status, body) = app.read(&path).await;
            assert_eq!(status, 200, "{path}: {body}");
            let expected = fold(&rows, from, to, keep);
            assert_eq!(distribution(&body["current"]), expected, "{path}");
            let previous = fold(&rows, from - len, from, keep);
            assert_eq!(distribution(&body["previous"]), previous, "{path} previous");
            let n: u64 = expected.values().sum();
            compared += n;
            assert_eq!(body["current"]["count"], n, "{path}");
            match nps_of(&expected) {
                Some(nps) => assert!((body["current"]["nps"]["score"].as_f64().unwrap() - nps).abs() < 1e-9),
                None => assert!(body["current"]["nps"].is_null()),
            }
            let plan =
                if query.is_empty() || *query == "&attributes.platform=ios" { "rollups" } else { "raw" };
            assert_eq!(body["plan"], plan, "{path}");
        }
    }
    assert!(compared > 2000, "the ranges held too few answers to test anything: {compared}");
}

#[tokio::test]
async fn empty_ranges_and_single_answers_are_answered() {
    let app = spawn_app_with(without_rate_limits).await;
    let csat = survey_id(&app, "csat");
    let at = utc("2026-05-04T10:17:31.5Z");
    let mut rows = random_rows(3, 1, at, Duration::seconds(1), 4, 4);
    rows[0].at = at;
    insert(&app, csat, &rows);

    let (status, body) =
        app.read("/v1/surveys/csat/summary?from=2026-05-04T10:17:31Z&to=2026-05-04T10:17:32Z").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["current"]["count"], 1);
    assert_eq!(body["current"]["csat"]["satisfied"], 1);
    assert!(body["current"]["csat"]["mean_standard_error"].is_null());
    assert!(body["change"]["test"].is_null());

    let (status, body) =
        app.read("/v1/surveys/csat/summary?from=2026-05-04T10:17:32Z&to=2026-05-04T10:17:32Z").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["current"]["count"], 0);
    assert!(body["current"]["csat"].is_null());

    let (_, body) =
        app.read("/v1/surveys/csat/timeseries?from=2026-05-04&to=2026-05-04&tz=Asia/Kathmandu").await;
    let points = body["points"].as_array().unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["count"], 1);
    assert_eq!(points[0]["start"], "2026-05-03T18:15:00Z");
}

/// The local bucket date of `t`, computed directly from the zone's offset at `t`.
fn local_bucket(tz: Tz, interval: &str, t: DateTime<Utc>) -> NaiveDate {
    let d = t.with_timezone(&tz).date_naive();
    match interval {
        "day" => d,
        "week" => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        _ => d.with_day(1).unwrap(),
    }
}

#[tokio::test]
async fn time_series_buckets_are_local_days_weeks_and_months_across_dst() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    // Both spring changes (US 8 March, EU 29 March) and both autumn ones (EU 25 Oct, US 1 Nov).
    let mut rows = random_rows(11, 2500, utc("2026-02-25T00:00:00Z"), Duration::days(45), 0, 10);
    rows.extend(random_rows(12, 1500, utc("2026-10-15T00:00:00Z"), Duration::days(25), 0, 10));
    let rows = insert_sealed(&app, survey, rows, utc("2026-10-27T00:00:00Z"));

    let cases = [
        ("Europe/Berlin", "day", "2026-03-20T05:07:00Z", "2026-04-02T13:52:10Z"),
        ("America/New_York", "day", "2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z"),
        ("America/New_York", "day", "2026-10-25T03:00:00Z", "2026-11-05T11:11:11Z"),
        ("Asia/Kolkata", "day", "2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z"),
        ("Asia/Kathmandu", "day", "2026-10-16T07:31:00Z", "2026-10-30T00:00:00Z"),
        ("Europe/Berlin", "week", "2026-02-25T00:00:00Z", "2026-04-11T00:00:00Z"),
        ("Asia/Kathmandu", "week", "2026-10-15T00:00:00Z", "2026-11-09T00:00:00Z"),
        ("America/New_York", "month", "2026-02-25T00:00:00Z", "2026-11-10T00:00:00Z"),
        ("UTC", "month", "2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z"),
    ];
    type Keep = fn(&Row) -> bool;
    let filters: [(&str, Keep); 3] = [
        ("", |_| true),
        // One indexed value: hourly rollups of that value, edges of local days from raw rows.
        ("&attributes.platform=ios", |r| r.platform == Some("ios")),
        ("&band=promoter", |r| r.score >= 9),
    ];
    for ((zone, interval, from, to), (filter, keep)) in
        cases.into_iter().flat_map(|c| filters.map(|f| (c, f)))
    {
        let (from, to) = (utc(from), utc(to));
        let tz: Tz = zone.parse().unwrap();
        let path = format!(
            "/v1/surveys/nps-main/timeseries?interval={interval}&tz={zone}&from={}&to={}{filter}",
            ts(from),
            ts(to)
        );
        let (status, body) = app.read(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        // Expected: every row of the range in the local bucket of its own time.
        let mut expected: BTreeMap<NaiveDate, BTreeMap<i16, u64>> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.at >= from && r.at < to && keep(r)) {
            *expected.entry(local_bucket(tz, interval, r.at)).or_default().entry(r.score).or_default() += 1;
        }
        let points = body["points"].as_array().unwrap();
        // One point per bucket, none missing: from the bucket of `from` to that of `to`.
        let first = local_bucket(tz, interval, from);
        let last = local_bucket(tz, interval, to - Duration::microseconds(1));
        assert_eq!(points[0]["date"], first.to_string(), "{path}");
        assert_eq!(points.last().unwrap()["date"], last.to_string(), "{path}");
        for pair in points.windows(2) {
            assert_eq!(pair[0]["end"], pair[1]["start"], "{path}: contiguous");
            let (a, b): (NaiveDate, NaiveDate) = (
                pair[0]["date"].as_str().unwrap().parse().unwrap(),
                pair[1]["date"].as_str().unwrap().parse().unwrap(),
            );
            let step = match interval {
                "day" => a + Duration::days(1),
                "week" => a + Duration::days(7),
                _ => a.checked_add_months(chrono::Months::new(1)).unwrap(),
            };
            assert_eq!(b, step, "{path}: no gaps");
        }
        for p in points {
            let date: NaiveDate = p["date"].as_str().unwrap().parse().unwrap();
            let want = expected.remove(&date).unwrap_or_default();
            assert_eq!(distribution(p), want, "{path} at {date}");
        }
        assert!(expected.is_empty(), "{path}: rows outside every point: {expected:?}");
    }
}

#[tokio::test]
async fn breakdowns_match_the_raw_rows_with_threshold_and_other() {
    let app = spawn_app_with(without_rate_limits).await;
    let survey = app.fixture.nps_survey_id;
    let start = utc("2026-06-01T00:00:00Z");
    let rows = random_rows(5, 2000, start, Duration::days(5), 0, 10);
    let rows = insert_sealed(&app, survey, rows, utc("2026-06-03T00:00:00Z"));
    let (from, to) = (utc("2026-06-01T03:22:10Z"), utc("2026-06-04T19:05:00Z"));

    for (by, value_of) in [
        ("platform", (|r: &Row| r.platform.map(str::to_string)) as fn(&Row) -> Option<String>),
        ("attributes.plan", |r: &Row| Some(r.plan.to_string())),
        ("country", |r: &Row| Some(r.country.to_string())),
    ] {
        let path =
            format!("/v1/surveys/nps-main/breakdown?by={by}&from={}&to={}&min_count=1", ts(from), ts(to));
        let (status, body) = app.read(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let mut expected: BTreeMap<Option<String>, BTreeMap<i16, u64>> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.at >= from && r.at < to) {
            *expected.entry(value_of(r)).or_default().entry(r.score).or_default() += 1;
        }
        let segments = body["segments"].as_array().unwrap();
        let mut last = u64::MAX;
        for s in segments {
            let value = s["value"].as_str().map(str::to_string);
            assert_eq!(distribution(s), expected.remove(&value).unwrap(), "{path} {value:?}");
            let n = s["count"].as_u64().unwrap();
            assert!(n <= last, "{path}: largest first");
            last = n;
        }
        match expected.remove(&None) {
            Some(missing) => assert_eq!(distribution(&body["not_set"]), missing, "{path} not set"),
            None => assert!(body["not_set"].is_null(), "{path}"),
        }
        assert!(expected.is_empty(), "{path}: {expected:?}");
        let plan = if by == "attributes.plan" { "raw" } else { "rollups" };
        assert_eq!(body["plan"], plan);
    }

    // A threshold above the smaller countries folds them into `other`.
    let path = format!("/v1/surveys/nps-main/breakdown?by=country&from={}&to={}&limit=2", ts(from), ts(to));
    let (_, body) = app.read(&path).await;
    assert_eq!(body["segments"].as_array().unwrap().len(), 2);
    assert_eq!(body["other"]["values"], 4);
    let total: u64 = rows.iter().filter(|r| r.at >= from && r.at < to).count() as u64;
    let sum: u64 =
        body["segments"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum::<u64>()
            + body["other"]["count"].as_u64().unwrap();
    assert_eq!(sum, total);
    assert_eq!(body["total"]["count"], total);
}
