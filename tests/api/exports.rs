//! Exports: a randomized data set full of awkward text exported as CSV and NDJSON, parsed
//! back with real readers and compared field by field with the rows in the database.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::{survey_id, ts};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Array, Int2, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::RunQueryDsl;
use feedbackd_core::export::format::FIXED_COLUMNS;
use feedbackd_core::manage;
use feedbackd_domain::{KeyKind, Scope};
use feedbackd_store::insights::ListedAnswer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

/// Text that breaks naive CSV writers and readers, and text that spreadsheets would run.
const NASTY: [&str; 14] = [
    "plain",
    "comma, inside",
    "a \"quoted\" word",
    "two\nlines",
    "crlf\r\nline",
    "emoji 😀🎉 and ümlauts",
    "=HYPERLINK(\"http://evil\")",
    "+1 555",
    "-2+3",
    "@SUM(A1:A2)",
    "\tstarts with a tab",
    "\rstarts with a CR",
    "  leading spaces",
    "'already quoted",
];

/// Writes `n` answers to `survey` with random awkward comments, respondent ids, attributes
/// (some keys only on some rows) and context.
pub fn insert_nasty(app: &TestApp, survey: Uuid, seed: u64, n: usize, start: DateTime<Utc>, span: Duration) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut conn = app.db.connect();
    let pick = |rng: &mut StdRng| NASTY[rng.gen_range(0..NASTY.len())].to_string();
    type Answer = (Uuid, i16, Option<String>, Option<String>, Option<String>, Value, Value, DateTime<Utc>);
    let rows: Vec<Answer> = (0..n)
        .map(|i| {
            let plan = ["free", "pro", "team"][rng.gen_range(0..3)];
            let mut attributes = json!({ "plan": plan });
            if rng.gen_bool(0.5) {
                attributes["note, with comma"] = pick(&mut rng).into();
            }
            if rng.gen_bool(0.1) {
                attributes["größe"] = "ß😀".into();
            }
            // A key that JSON must escape, and numbers and booleans as values.
            if rng.gen_bool(0.05) {
                attributes["tab\tand \"quote\""] = json!(rng.gen_range(0..3) as f64 / 2.0);
                attributes["flag"] = rng.gen_bool(0.5).into();
            }
            let context = if rng.gen_bool(0.5) {
                json!({"page_url": "https://app.example.com/a?b=1,2", "device": pick(&mut rng)})
            } else {
                json!({})
            };
            // Every tenth answer shares its time with the one before: ties across pages.
            let offset = if i % 10 == 1 { (i as i64 - 1) * 7 } else { i as i64 * 7 };
            let at =
                start + Duration::microseconds(offset * span.num_microseconds().unwrap() / (n as i64 * 7));
            (
                Uuid::now_v7(),
                rng.gen_range(0..=10),
                rng.gen_bool(0.8).then(|| pick(&mut rng)),
                rng.gen_bool(0.3)
                    .then(|| ["bug", "idea", "praise", "other"][rng.gen_range(0..4)].to_string()),
                rng.gen_bool(0.7).then(|| format!("{}-{}", pick(&mut rng), rng.gen_range(0..50))),
                attributes,
                context,
                at,
            )
        })
        .collect();
    for chunk in rows.chunks(2000) {
        diesel::sql_query(
            "INSERT INTO responses (project_id, id, survey_id, survey_version, score, comment, category, respondent_id, attributes, context, answered_at) \
             SELECT $1, u.id, $2, 1, u.score, u.comment, u.category, u.respondent, u.attributes, u.context, u.at \
             FROM unnest($3::uuid[], $4::int2[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::jsonb[], $10::timestamptz[]) \
             AS u(id, score, comment, category, respondent, attributes, context, at)",
        )
        .bind::<SqlUuid, _>(app.fixture.project_id)
        .bind::<SqlUuid, _>(survey)
        .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind::<Array<Int2>, _>(chunk.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(chunk.iter().map(|r| r.2.clone()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(chunk.iter().map(|r| r.3.clone()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(chunk.iter().map(|r| r.4.clone()).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(chunk.iter().map(|r| r.5.clone()).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(chunk.iter().map(|r| r.6.clone()).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(chunk.iter().map(|r| r.7).collect::<Vec<_>>())
        .execute(&mut conn)
        .expect("inserting answers");
    }
}

/// The rows matching `condition` (SQL on `responses`), newest first as exports are.
pub fn db_rows(app: &TestApp, condition: &str) -> Vec<ListedAnswer> {
    diesel::sql_query(format!(
        "SELECT id, survey_id, respondent_id, score, comment, category, attributes, answers, context, answered_at, received_at, \
         client_time, late, duplicate_of, sentiment, sentiment_language, themes, NULL::text AS highlight \
         FROM responses WHERE project_id = '{}' AND {condition} ORDER BY answered_at DESC, id DESC",
        app.fixture.project_id
    ))
    .load(&mut app.db.connect())
    .expect("reading rows")
}

/// What a text cell must hold: the value with the formula guard applied.
fn guarded(v: Option<&str>) -> String {
    match v {
        Some(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Some(s) => s.to_string(),
        None => String::new(),
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.address)).bearer_auth(token).send().await.expect("request")
}

const START: &str = "2026-06-01T00:00:00Z";

async fn app_with_data() -> (TestApp, DateTime<Utc>, DateTime<Utc>) {
    let app = spawn_app_with(without_rate_limits).await;
    let start: DateTime<Utc> = START.parse().unwrap();
    let nps = app.fixture.nps_survey_id;
    // More than two pages, so page boundaries (with ties on the time) are crossed.
    insert_nasty(&app, nps, 1, 11_000, start, Duration::days(10));
    insert_nasty(&app, survey_id(&app, "csat"), 2, 300, start, Duration::days(10));
    (app, start, start + Duration::days(10))
}

#[tokio::test]
async fn csv_export_parses_back_to_the_rows_field_by_field() {
    let (app, from, to) = app_with_data().await;
    let path =
        format!("/v1/exports/responses?survey=nps-main&from={}&to={}&tz=Asia/Kolkata", ts(from), ts(to));
    let response = get(&app, &path, &app.fixture.secret_key).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"feedbackd-nps-main-2026-06-01-2026-06-11.csv\""
    );
    let body = response.bytes().await.unwrap();
    assert!(!body.starts_with("\u{feff}".as_bytes()), "no BOM unless asked");
    let mut reader = csv::ReaderBuilder::new().from_reader(&body[..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let expected = db_rows(&app, &format!("survey_id = '{}'", app.fixture.nps_survey_id));
    let mut keys: Vec<String> =
        expected.iter().flat_map(|r| r.attributes.as_object().unwrap().keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    let mut want_header: Vec<String> = FIXED_COLUMNS.map(str::to_string).to_vec();
    want_header.extend(keys.iter().map(|k| format!("attributes.{k}")));
    assert_eq!(header, want_header);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), expected.len());
    let tz: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    for (record, row) in records.iter().zip(&expected) {
        let cell = |name: &str| record.get(header.iter().position(|h| h == name).unwrap()).unwrap();
        assert_eq!(cell("id"), row.id.to_string());
        assert_eq!(cell("survey_id"), row.survey_id.to_string());
        assert_eq!(cell("respondent_id"), guarded(row.respondent_id.as_deref()));
        assert_eq!(cell("score"), row.score.map(|s| s.to_string()).unwrap_or_default());
        assert_eq!(cell("comment"), guarded(row.comment.as_deref()));
        assert_eq!(cell("category"), guarded(row.category.map(|c| c.as_str())));
        let answered = DateTime::parse_from_rfc3339(cell("answered_at")).unwrap();
        assert_eq!(answered.offset().local_minus_utc(), 5 * 3600 + 1800, "times are in the chosen zone");
        assert_eq!(answered, row.answered_at.with_timezone(&tz));
        assert_eq!(DateTime::parse_from_rfc3339(cell("received_at")).unwrap(), row.received_at);
        assert_eq!(cell("late"), row.late.to_string());
        assert_eq!(cell("duplicate_of"), row.duplicate_of.map(|id| id.to_string()).unwrap_or_default());
        for field in ["page_url", "user_agent", "device", "screen"] {
            assert_eq!(cell(&format!("context.{field}")), guarded(row.context[field].as_str()));
        }
        for key in &keys {
            let want = match &row.attributes[key] {
                Value::String(s) => guarded(Some(s)),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            assert_eq!(cell(&format!("attributes.{key}")), want, "attributes.{key}");
        }
    }
}

#[tokio::test]
async fn ndjson_export_applies_the_filters_and_equals_the_rows() {
    let (app, from, to) = app_with_data().await;
    let path = format!(
        "/v1/exports/responses?format=ndjson&survey=nps-main&from={}&to={}&attributes.plan=pro&score_min=5&category=bug&category=idea",
        ts(from),
        ts(to)
    );
    let response = get(&app, &path, &app.fixture.secret_key).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    let items: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected = db_rows(
        &app,
        &format!(
            "survey_id = '{}' AND attributes->>'plan' = 'pro' AND score >= 5 AND category IN ('bug', 'idea')",
            app.fixture.nps_survey_id
        ),
    );
    assert!(expected.len() > 50, "the filter keeps a real sample: {}", expected.len());
    assert_eq!(items.len(), expected.len());
    for (item, row) in items.iter().zip(&expected) {
        assert_eq!(item["id"], row.id.to_string());
        assert_eq!(item["survey_id"], row.survey_id.to_string());
        assert_eq!(item["respondent_id"].as_str(), row.respondent_id.as_deref());
        assert_eq!(item["score"].as_i64(), row.score.map(i64::from));
        assert_eq!(item["comment"].as_str(), row.comment.as_deref());
        assert_eq!(item["category"].as_str(), row.category.map(|c| c.as_str()));
        assert_eq!(item["attributes"], row.attributes);
        assert_eq!(item["context"], row.context);
        let at: DateTime<Utc> = item["answered_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(at, row.answered_at);
    }
    // The list API shows the same items, in the same order.
    let list = get(
        &app,
        &path.replace("/v1/exports/responses", "/v1/responses").replace("format=ndjson&", ""),
        &app.fixture.secret_key,
    )
    .await;
    let list: Value = list.json().await.unwrap();
    assert_eq!(list["data"][0], items[0]);
}

#[tokio::test]
async fn bom_is_optional_and_an_empty_export_still_has_its_header() {
    let app = spawn_app_with(without_rate_limits).await;
    let response = get(&app, "/v1/exports/responses?survey=nps-main&bom=true", &app.fixture.secret_key).await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(body.starts_with("\u{feff}id,survey_id,".as_bytes()), "{body:?}");
    assert_eq!(body.iter().filter(|&&b| b == b'\n').count(), 1, "header only");
    let ndjson = get(&app, "/v1/exports/responses?format=ndjson", &app.fixture.secret_key).await;
    assert_eq!(ndjson.status(), 200);
    assert!(ndjson.headers()["content-disposition"].to_str().unwrap().contains("feedbackd-all-"));
    assert_eq!(ndjson.bytes().await.unwrap().len(), 0);
}

#[tokio::test]
async fn exports_need_the_export_scope_and_valid_parameters() {
    let app = spawn_app_with(without_rate_limits).await;
    let (db, project) = (app.db.services(), app.fixture.project_id);
    let reader =
        manage::create_key(&db, project, KeyKind::Secret, &[Scope::ResponsesRead], "r").await.unwrap();
    let exporter =
        manage::create_key(&db, project, KeyKind::Secret, &[Scope::ResponsesExport], "e").await.unwrap();
    let response = get(&app, "/v1/exports/responses", &reader.token).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "https://feedbackd.dev/problems/missing-scope");
    assert_eq!(get(&app, "/v1/exports/responses", &exporter.token).await.status(), 200);
    let bad = get(&app, "/v1/exports/responses?format=xlsx&bom=maybe&cursor=x", &exporter.token).await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["format", "bom", "cursor"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    assert_eq!(get(&app, "/v1/exports/responses?survey=nope", &exporter.token).await.status(), 404);
}

#[tokio::test]
async fn cli_export_writes_the_same_rows_to_a_file_or_stdout_without_progress_when_piped() {
    let app = spawn_app_with(without_rate_limits).await;
    let start: DateTime<Utc> = START.parse().unwrap();
    insert_nasty(&app, app.fixture.nps_survey_id, 3, 700, start, Duration::days(2));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_feedbackd"))
            .args(args)
            .env("DATABASE_URL", &app.db.url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("running feedbackd")
    };
    let project = app.fixture.project_id.to_string();
    let (from, to) = ("2026-06-01", "2026-06-02");
    let dir = std::env::temp_dir().join(format!("feedbackd-export-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.csv");
    let out = run(&[
        "export",
        "--project",
        &project,
        "--survey",
        "nps-main",
        "--from",
        from,
        "--to",
        to,
        "--tz",
        "Europe/Berlin",
        "--filter",
        "attributes.plan=pro",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !stderr.contains('\r') && !stderr.contains("answers exported"),
        "no progress bar when piped: {stderr:?}"
    );
    let expected = db_rows(
        &app,
        "attributes->>'plan' = 'pro' AND answered_at >= '2026-05-31T22:00:00Z' AND answered_at < '2026-06-02T22:00:00Z'",
    );
    assert!(stderr.contains(&format!("exported {} answers", expected.len())), "{stderr}");
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let ids: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(ids, expected.iter().map(|r| r.id.to_string()).collect::<Vec<_>>());
    assert!(!dir.join("out.csv.part").exists());

    let out =
        run(&["export", "--project", &project, "--format", "ndjson", "--from", from, "--to", "2026-06-03"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = String::from_utf8(out.stdout).unwrap();
    assert_eq!(lines.lines().count(), 700);

    let bad = run(&["export", "--project", &project, "--filter", "band=fan", "--filter", "colour=red"]);
    assert!(!bad.status.success());
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(message.contains("band") && message.contains("colour"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_database_failure_midway_aborts_the_body_instead_of_ending_it() {
    let app = spawn_app_with(|c| {
        without_rate_limits(c);
        // A pool of 4 leaves room for one export at a time.
        c.db_pool_size = 4;
    })
    .await;
    let start: DateTime<Utc> = START.parse().unwrap();
    insert_nasty(&app, app.fixture.nps_survey_id, 4, 20_000, start, Duration::days(2));
    let path = format!(
        "/v1/exports/responses?survey=nps-main&from={}&to={}",
        ts(start),
        ts(start + Duration::days(2))
    );
    let mut response = get(&app, &path, &app.fixture.secret_key).await;
    assert_eq!(response.status(), 200);
    let first = response.chunk().await.unwrap().expect("a first chunk");
    assert!(first.starts_with(b"id,survey_id,"));
    let second = get(&app, &path, &app.fixture.secret_key).await;
    assert_eq!(second.status(), 503, "one export at a time with this pool");
    assert!(second.headers().contains_key("retry-after"));
    // The export's connection ends its page's statement, then sits in its snapshot
    // transaction waiting for us to read on.
    let mut killed = 0;
    for _ in 0..100 {
        killed = crate::helpers::count(
            &mut app.db.connect(),
            &format!(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
                 WHERE datname = '{}' AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
                app.db.name
            ),
        );
        if killed > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(killed, 1);
    let mut received = first.len();
    let outcome = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break Ok(received),
            Err(e) => break Err(e),
        }
    };
    assert!(outcome.is_err(), "the body must not end cleanly after a failure: {outcome:?}");
}
