//! Issue 19: surveys with more questions than the score. Definitions through the API, bad
//! answers named by question and option, follow-ups that fill in, and option counts from
//! the read API equal to the stored rows after a random load with partial answers, late
//! PATCHes, erasures and sealed days.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::ts;
use crate::mgmt_support::{call, create_survey, json};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Jsonb, Nullable, SmallInt, Timestamptz};
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// An NPS survey with a reason (detractors and passives), areas (up to 2), a rating and a text.
pub fn nps_with_questions(key: &str) -> Value {
    json!({
        "key": key, "kind": "nps", "question": "How likely are you to recommend us?",
        "questions": [
            {"key": "reason", "kind": "choice", "text": "What is the main reason for your score?",
             "locales": {"de": "Was ist der Hauptgrund?"}, "other": true, "shuffle": true,
             "options": [{"key": "price", "label": "Price", "locales": {"de": "Preis"}},
                         {"key": "bugs", "label": "Bugs"}, {"key": "speed", "label": "Speed"},
                         {"key": "other", "label": "Something else"}],
             "show_if": {"bands": ["detractor", "passive"]}},
            {"key": "areas", "kind": "choice", "text": "Which areas do you use?", "multiple": true, "max_picks": 2,
             "options": [{"key": "web", "label": "Web"}, {"key": "ios", "label": "iOS"}, {"key": "api", "label": "API"}]},
            {"key": "ease", "kind": "rating", "text": "How easy was it?", "scale": {"min": 1, "max": 5}},
            {"key": "improve", "kind": "text", "text": "What could we improve?"}
        ]
    })
}

/// A product-market-fit survey: a choice survey whose main question offers `very_disappointed`.
pub fn pmf_survey(key: &str) -> Value {
    json!({
        "key": key, "kind": "choice",
        "question": "How would you feel if you could no longer use the product?",
        "questions": [
            {"key": "main", "kind": "choice", "options": [
                {"key": "very_disappointed", "label": "Very disappointed"},
                {"key": "somewhat_disappointed", "label": "Somewhat disappointed"},
                {"key": "not_disappointed", "label": "Not disappointed"}]},
            {"key": "why", "kind": "text", "text": "Why not?", "show_if": {"options": ["not_disappointed"]}}
        ]
    })
}

async fn patch(app: &TestApp, id: &str, body: &Value) -> (u16, Value) {
    let r =
        call(app, Method::PATCH, &format!("/v1/responses/{id}"), &app.fixture.publishable_key, Some(body))
            .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn problem_fields(body: &Value) -> Vec<String> {
    let mut fields: Vec<String> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    fields.sort();
    fields
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_created_read_back_and_refused_when_they_break_the_rules() {
    let app = spawn_app_with(|_| {}).await;
    let created = create_survey(&app, nps_with_questions("nps-q")).await;
    assert_eq!(created["questions"][0]["options"][0]["locales"]["de"], "Preis");
    assert_eq!(created["questions"].as_array().unwrap().len(), 4);
    // The widget configuration carries them as the API shows them.
    let config = call(&app, Method::GET, "/v1/widget/config", &app.fixture.publishable_key, None).await;
    let config = json(config).await;
    let survey = config["surveys"].as_array().unwrap().iter().find(|s| s["key"] == "nps-q").cloned();
    assert_eq!(survey.expect("in the config")["questions"], created["questions"], "{config}");

    let mut bad = nps_with_questions("nps-bad");
    bad["questions"][0]["options"] = json!([{"key": "only", "label": "One"}]);
    bad["questions"][2]["scale"] = json!({"min": 1, "max": 7});
    bad["questions"][3]["show_if"] = json!({"bands": ["high"]});
    let r = call(&app, Method::POST, "/v1/surveys", &app.fixture.secret_key, Some(&bad)).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problem_fields(&json(r).await),
        ["questions[0].options", "questions[0].other", "questions[2].scale", "questions[3].show_if.bands"]
    );
    // A choice survey needs its main question first.
    let mut no_main = pmf_survey("pmf-bad");
    no_main["questions"].as_array_mut().unwrap().remove(0);
    let r = call(&app, Method::POST, "/v1/surveys", &app.fixture.secret_key, Some(&no_main)).await;
    assert_eq!(r.status(), 422);
    assert!(problem_fields(&json(r).await).contains(&"questions".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_additional_answer_is_a_422_naming_question_and_option_and_stores_nothing() {
    let app = spawn_app_with(|_| {}).await;
    create_survey(&app, nps_with_questions("nps-q")).await;
    create_survey(&app, pmf_survey("pmf")).await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"reason": "prise"}}),
            "answers.reason",
            "unknown option \"prise\"",
        ),
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"reason": ["price", "bugs"]}}),
            "answers.reason",
            "at most 1 option",
        ),
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"areas": ["web", "ios", "api"]}}),
            "answers.areas",
            "at most 2 options",
        ),
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"areas": ["web", "web"]}}),
            "answers.areas",
            "\"web\" is picked twice",
        ),
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"reason": ["other"]}}),
            "answers.reason.other",
            "is required when option \"other\"",
        ),
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"reason": {"options": ["bugs"], "other": "x"}}}),
            "answers.reason.other",
            "only for option \"other\"",
        ),
        (
            json!({"survey": "nps-q", "score": 10, "answers": {"reason": "price"}}),
            "answers.reason",
            "not shown to a promoter",
        ),
        (json!({"survey": "nps-q", "score": 3, "answers": {"ease": 9}}), "answers.ease", "1..=5"),
        (json!({"survey": "nps-q", "score": 3, "answers": {"improve": ""}}), "answers.improve", "1 to"),
        (
            json!({"survey": "nps-q", "score": 3, "answers": {"nope": "x"}}),
            "answers.nope",
            "no question \"nope\"",
        ),
        (json!({"survey": "pmf", "answers": {}}), "answers.main", "is required for a choice survey"),
        (
            json!({"survey": "pmf", "score": 3, "answers": {"main": "very_disappointed"}}),
            "score",
            "takes `answers.main`",
        ),
        (
            json!({"survey": "pmf", "answers": {"main": "very_disappointed", "why": "x"}}),
            "answers.why",
            "not shown for this main answer",
        ),
    ];
    for (body, field, message) in cases {
        let r = app.post_answer(&body).await;
        let status = r.status().as_u16();
        let problem: Value = r.json().await.unwrap();
        assert_eq!(status, 422, "{body} → {problem}");
        let error = problem["errors"].as_array().unwrap().iter().find(|e| e["field"] == field);
        let error = error.unwrap_or_else(|| panic!("{body}: no error on {field}: {problem}"));
        assert!(error["message"].as_str().unwrap().contains(message), "{body}: {error}");
    }
    assert_eq!(app.count("SELECT count(*) FROM responses"), 0, "nothing of a refused answer is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_fill_in_answers_but_never_overwrite_them() {
    let app = spawn_app_with(|_| {}).await;
    create_survey(&app, nps_with_questions("nps-q")).await;
    let r = app.post_answer(&json!({"survey": "nps-q", "score": 2})).await;
    assert_eq!(r.status(), 201);
    let id = json(r).await["id"].as_str().unwrap().to_string();
    assert_eq!(patch(&app, &id, &json!({"answers": {"reason": "bugs"}})).await.0, 200);
    // The same again is a replay; another answer to it is a conflict; a new one fills in.
    assert_eq!(patch(&app, &id, &json!({"answers": {"reason": ["bugs"]}})).await.0, 200);
    assert_eq!(patch(&app, &id, &json!({"answers": {"reason": "price"}})).await.0, 409);
    let (status, body) =
        patch(&app, &id, &json!({"answers": {"ease": 4}, "comment": "Crashes on save"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch(&app, &id, &json!({"answers": {"ease": 11}})).await;
    assert_eq!((status, problem_fields(&body)), (422, vec!["answers.ease".to_string()]));
    let stored = app.count(&format!(
        "SELECT count(*) FROM responses WHERE id = '{id}' AND comment = 'Crashes on save' \
         AND answers = '{{\"reason\": {{\"options\": [\"bugs\"]}}, \"ease\": {{\"rating\": 4}}}}'::jsonb"
    ));
    assert_eq!(stored, 1);
    // The question counts moved with the PATCHes, once.
    let (_, report) = app.read("/v1/surveys/nps-q/questions").await;
    assert_eq!(report["responses"], 1);
    assert_eq!(report["questions"][0]["answered"], 1);
    assert_eq!(report["questions"][0]["options"][1]["key"], "bugs");
    assert_eq!(report["questions"][0]["options"][1]["count"], 1);
    assert_eq!(report["questions"][2]["mean"], 4.0);
    // A promoter is never asked the reason, so it cannot be added later either.
    let r = app.post_answer(&json!({"survey": "nps-q", "score": 10})).await;
    let promoter = json(r).await["id"].as_str().unwrap().to_string();
    let (status, body) = patch(&app, &promoter, &json!({"answers": {"reason": "price"}})).await;
    assert_eq!((status, problem_fields(&body)), (422, vec!["answers.reason".to_string()]));
    // A filter names an option: empty would mean "answered" to rollups and nothing to rows.
    let (status, body) = app.read("/v1/surveys/nps-q/summary?answers[reason]=").await;
    assert_eq!((status, problem_fields(&body)), (422, vec!["answers.reason".to_string()]));
}

/// One stored answer, as the test reads it back.
#[derive(diesel::QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Nullable<SmallInt>)]
    score: Option<i16>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    answers: Option<Value>,
    #[diesel(sql_type = Timestamptz)]
    answered_at: DateTime<Utc>,
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Counts per question and value (`""`: answered) of rows in `[from, to)`, and how many rows.
fn expected(
    rows: &[Row],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    only: Option<(&str, &str)>,
) -> (u64, BTreeMap<(String, String), u64>) {
    let mut counts = BTreeMap::new();
    let mut n = 0;
    for r in rows.iter().filter(|r| r.answered_at >= from && r.answered_at < to) {
        let answers = r.answers.clone().unwrap_or(json!({}));
        if let Some((q, option)) = only {
            if !answers[q]["options"].as_array().is_some_and(|a| a.iter().any(|o| o == option)) {
                continue;
            }
        }
        n += 1;
        for (q, a) in answers.as_object().unwrap() {
            *counts.entry((q.clone(), String::new())).or_default() += 1;
            for o in a["options"].as_array().into_iter().flatten() {
                *counts.entry((q.clone(), o.as_str().unwrap().to_string())).or_default() += 1;
            }
            if let Some(rating) = a.get("rating") {
                *counts.entry((q.clone(), rating.to_string())).or_default() += 1;
            }
        }
    }
    (n, counts)
}

/// The report's counts in the same shape.
fn reported(report: &Value) -> (u64, BTreeMap<(String, String), u64>) {
    let mut counts = BTreeMap::new();
    for q in report["questions"].as_array().unwrap() {
        let key = q["key"].as_str().unwrap().to_string();
        if q["answered"].as_u64().unwrap() > 0 {
            counts.insert((key.clone(), String::new()), q["answered"].as_u64().unwrap());
        }
        for o in q["options"].as_array().unwrap() {
            if o["count"].as_u64().unwrap() > 0 {
                counts.insert(
                    (key.clone(), o["key"].as_str().unwrap().to_string()),
                    o["count"].as_u64().unwrap(),
                );
            }
        }
    }
    (report["responses"].as_u64().unwrap(), counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn option_counts_equal_the_stored_rows_after_partial_answers_late_patches_erasures_and_seals() {
    let app = spawn_app_with(without_rate_limits).await;
    create_survey(&app, nps_with_questions("nps-q")).await;
    // It has run for a while, so answers may be dated back.
    app.execute("UPDATE surveys SET created_at = created_at - interval '30 days' WHERE key = 'nps-q'");
    let mut rng = Lcg(19);
    let now = Utc::now();
    let mut ids = Vec::new();
    for i in 0..360u64 {
        let score = rng.below(11) as i64;
        let mut answers = serde_json::Map::new();
        // A third leave after the score; the others answer some of what they are shown.
        let partial = rng.below(3) == 0;
        if !partial {
            if score <= 8 && rng.below(4) > 0 {
                let pick = ["price", "bugs", "speed", "other"][rng.below(4) as usize];
                let v = if pick == "other" {
                    json!({"options": ["other"], "other": "the docs"})
                } else {
                    json!(pick)
                };
                answers.insert("reason".into(), v);
            }
            if rng.below(2) == 0 {
                let all = ["web", "ios", "api"];
                let first = rng.below(3) as usize;
                let mut picks = vec![all[first]];
                if rng.below(2) == 0 {
                    picks.push(all[(first + 1 + rng.below(2) as usize) % 3]);
                }
                answers.insert("areas".into(), json!(picks));
            }
            if rng.below(3) == 0 {
                answers.insert("ease".into(), json!(1 + rng.below(5)));
            }
        }
        // Answers over the last nine days, so sealed days and the open day both count.
        let at = now - Duration::minutes((rng.below(9 * 24 * 60)) as i64) - Duration::seconds(30);
        let body = json!({"survey": "nps-q", "score": score, "answers": answers,
                          "respondent_id": format!("u{}", i % 40), "client_time": at});
        let r = app.post_answer(&body).await;
        let status = r.status();
        let out = json(r).await;
        assert_eq!(status, 201, "{out}");
        ids.push((out["id"].as_str().unwrap().to_string(), score, partial));
    }
    // Seal the finished days, so later changes must keep the day rollups exact too.
    app.execute("SELECT feedbackd_seal_days(project_id, id, now(), 400) FROM surveys WHERE key = 'nps-q'");
    // Late follow-ups: some who left after the score come back for a question.
    for (id, score, _) in ids.iter().filter(|(_, _, partial)| *partial).take(60) {
        let answers = if *score <= 8 {
            json!({"reason": "speed", "ease": 2})
        } else {
            json!({"improve": "more exports"})
        };
        let (status, body) = patch(&app, id, &json!({"answers": answers})).await;
        assert_eq!(status, 200, "{body}");
    }
    // Two people are erased.
    let privacy = crate::mgmt_support::secret_key(&app, &[feedbackd_domain::Scope::Privacy]);
    for person in ["u3", "u17"] {
        let r = call(&app, Method::DELETE, &format!("/v1/respondents/{person}"), &privacy, None).await;
        assert_eq!(r.status(), 200);
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT r.score, r.answers, r.answered_at FROM responses r JOIN surveys s ON s.id = r.survey_id \
         WHERE s.key = 'nps-q' AND r.duplicate_of IS NULL",
    )
    .load(&mut app.db.connect())
    .unwrap();
    assert!(rows.len() > 300, "{} rows", rows.len());

    // Ranges with ragged edges in a zone 45 minutes off the hour, and the whole period.
    let ranges = [
        (now - Duration::days(10), now + Duration::minutes(1)),
        (now - Duration::days(7) + Duration::minutes(37), now - Duration::days(1) - Duration::seconds(611)),
    ];
    for (from, to) in ranges {
        let q = format!("from={}&to={}&tz=Asia/Kathmandu", ts(from), ts(to));
        let (status, report) = app.read(&format!("/v1/surveys/nps-q/questions?{q}")).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(reported(&report), expected(&rows, from, to, None), "range {from}..{to}");
        assert_eq!(report["plan"], "rollups");
        // NPS among those who chose *bugs*: the rollup selection equals the rows.
        let (status, summary) =
            app.read(&format!("/v1/surveys/nps-q/summary?{q}&answers[reason]=bugs")).await;
        assert_eq!(status, 200, "{summary}");
        let (n, _) = expected(&rows, from, to, Some(("reason", "bugs")));
        assert_eq!(summary["current"]["count"].as_u64(), Some(n));
        let bugs_scores: Vec<i16> = rows
            .iter()
            .filter(|r| r.answered_at >= from && r.answered_at < to)
            .filter(|r| r.answers.as_ref().is_some_and(|a| a["reason"]["options"][0] == "bugs"))
            .map(|r| r.score.unwrap())
            .collect();
        let nps = 100.0
            * (bugs_scores.iter().filter(|&&s| s >= 9).count() as f64
                - bugs_scores.iter().filter(|&&s| s <= 6).count() as f64)
            / bugs_scores.len().max(1) as f64;
        if !bugs_scores.is_empty() {
            assert!((summary["current"]["nps"]["score"].as_f64().unwrap() - nps).abs() < 1e-9, "{summary}");
        }
        // The breakdown by the question: one segment per option, the rest "not set".
        let (status, breakdown) =
            app.read(&format!("/v1/surveys/nps-q/breakdown?{q}&by=answers.reason")).await;
        assert_eq!(status, 200, "{breakdown}");
        let bugs = breakdown["segments"].as_array().unwrap().iter().find(|s| s["value"] == "bugs");
        assert_eq!(bugs.map(|s| s["count"].as_u64()), Some(Some(n)).filter(|_| n > 0), "{breakdown}");
        let (all, counts) = expected(&rows, from, to, None);
        let answered = counts.get(&("reason".to_string(), String::new())).copied().unwrap_or(0);
        assert_eq!(breakdown["total"]["count"].as_u64(), Some(all));
        assert_eq!(breakdown["not_set"]["count"].as_u64().unwrap_or(0), all - answered);
    }
    // The rollups of every question equal a GROUP BY over the rows, hour by hour.
    let mismatched = app.count(
        "SELECT count(*) FROM (SELECT '?' || a.key AS d, v.value, date_trunc('hour', r.answered_at, 'UTC') AS b, \
           coalesce(r.score, -1::int2) AS score, count(*) AS c FROM responses r \
           CROSS JOIN LATERAL jsonb_each(r.answers) a(key, answer) \
           CROSS JOIN LATERAL (SELECT ''::text AS value UNION ALL SELECT jsonb_array_elements_text(a.answer -> 'options') \
             UNION ALL SELECT a.answer ->> 'rating' WHERE a.answer ? 'rating') v \
           WHERE r.duplicate_of IS NULL GROUP BY 1, 2, 3, 4) raw \
         FULL JOIN (SELECT dimension AS d, value, bucket AS b, score, count AS c FROM score_rollups \
           WHERE dimension LIKE '?%' AND count <> 0) r USING (d, value, b, score) WHERE raw.c IS DISTINCT FROM r.c",
    );
    assert_eq!(mismatched, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pmf_survey_reports_its_score_with_an_interval() {
    let app = spawn_app_with(without_rate_limits).await;
    create_survey(&app, pmf_survey("pmf")).await;
    let picks = [("very_disappointed", 9), ("somewhat_disappointed", 7), ("not_disappointed", 4)];
    for (pick, n) in picks {
        for _ in 0..n {
            let mut answers = json!({"main": pick});
            if pick == "not_disappointed" {
                answers["why"] = json!("I use a spreadsheet");
            }
            let r = app.post_answer(&json!({"survey": "pmf", "answers": answers})).await;
            assert_eq!(r.status(), 201);
        }
    }
    let (status, report) = app.read("/v1/surveys/pmf/questions").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["responses"], 20);
    let pmf = &report["pmf"];
    assert_eq!(pmf["n"], 20);
    assert!((pmf["share"].as_f64().unwrap() - 0.45).abs() < 1e-12);
    // Wilson 95 % for 9 of 20: 0.2582 .. 0.6579.
    assert!((pmf["interval"]["low"].as_f64().unwrap() - 0.2582).abs() < 1e-3, "{pmf}");
    assert!((pmf["interval"]["high"].as_f64().unwrap() - 0.6579).abs() < 1e-3, "{pmf}");
    assert_eq!(report["questions"][1]["answered"], 4);
    // The summary of a choice survey has no score to report; the questions do.
    let (status, _) = app.read("/v1/surveys/pmf/summary").await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_retire_options_and_keep_their_answers_in_reports_and_exports() {
    let app = spawn_app_with(|_| {}).await;
    create_survey(&app, nps_with_questions("nps-q")).await;
    for reason in ["price", "bugs", "bugs"] {
        let r = app
            .post_answer(&json!({"survey": "nps-q", "score": 4, "answers": {"reason": reason, "ease": 3}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    // "bugs" leaves the list; "support" joins it; areas, ease and improve are left out.
    let edit = json!({"questions": [{"key": "reason", "kind": "choice", "text": "Why?",
        "options": [{"key": "price", "label": "Price"}, {"key": "support", "label": "Support"}]}]});
    let r = call(&app, Method::PATCH, "/v1/surveys/nps-q", &app.fixture.secret_key, Some(&edit)).await;
    let status = r.status();
    let survey = json(r).await;
    assert_eq!(status, 200, "{survey}");
    assert_eq!(survey["version"], 2);
    let options: Vec<(String, bool)> = survey["questions"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["key"].as_str().unwrap().to_string(), o["retired"].as_bool().unwrap_or(false)))
        .collect();
    let expected: Vec<(String, bool)> =
        [("price", false), ("support", false), ("bugs", true), ("speed", true), ("other", true)]
            .into_iter()
            .map(|(k, r)| (k.to_string(), r))
            .collect();
    assert_eq!(options, expected);
    // A retired option is refused, its answers stay in the report, marked.
    let r = app.post_answer(&json!({"survey": "nps-q", "score": 4, "answers": {"reason": "bugs"}})).await;
    assert_eq!(r.status(), 422);
    let (_, report) = app.read("/v1/surveys/nps-q/questions").await;
    let bugs =
        report["questions"][0]["options"].as_array().unwrap().iter().find(|o| o["key"] == "bugs").cloned();
    assert_eq!(
        bugs.as_ref().map(|b| (b["count"].as_u64(), b["retired"].as_bool())),
        Some((Some(2), Some(true)))
    );
    // Changing a question's kind would change what its answers mean.
    let kind = json!({"questions": [{"key": "ease", "kind": "text", "text": "Easy?"}]});
    let r = call(&app, Method::PATCH, "/v1/surveys/nps-q", &app.fixture.secret_key, Some(&kind)).await;
    assert_eq!(r.status(), 422);
    // The CSV has one column per question and option, in the survey's order.
    let r = call(
        &app,
        Method::GET,
        "/v1/exports/responses?survey=nps-q&format=csv",
        &app.fixture.secret_key,
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let question_columns: Vec<&str> =
        headers.iter().map(String::as_str).filter(|h| h.starts_with("answers.")).collect();
    assert_eq!(
        question_columns,
        [
            "answers.reason.price",
            "answers.reason.support",
            "answers.reason.bugs",
            "answers.reason.speed",
            "answers.reason.other",
            "answers.areas.web",
            "answers.areas.ios",
            "answers.areas.api",
            "answers.ease",
            "answers.improve",
        ]
    );
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let bugs_picked = rows.iter().filter(|r| &r[column("answers.reason.bugs")] == "1").count();
    let price_not = rows.iter().filter(|r| &r[column("answers.reason.price")] == "0").count();
    assert_eq!((bugs_picked, price_not), (2, 2));
    assert!(rows
        .iter()
        .all(|r| &r[column("answers.ease")] == "3" && r[column("answers.areas.web")].is_empty()));
}
