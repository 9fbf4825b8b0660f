//! Themes of comments (issue 24): found by the background task, counted in the rollups,
//! reported with their drivers and trends, curated (rename, hide, pin, merge, undo), and
//! gone with an erased respondent, the counts equal to the rows at every step.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::ts;
use crate::mgmt_support::{call, json, secret_key};
use chrono::{Duration, SecondsFormat, Utc};
use feedbackd_domain::Scope;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration as StdDuration;

/// An app whose comment task (sentiment and themes) runs every 100 ms.
pub async fn analysing_app() -> TestApp {
    spawn_app_with(|config| {
        without_rate_limits(config);
        config.sentiment_interval = Some(StdDuration::from_millis(100));
    })
    .await
}

/// Waits until the task has analysed every comment, as a client would poll.
pub async fn until_analysed(app: &TestApp) {
    for _ in 0..150 {
        if app.count("SELECT count(*) FROM responses WHERE comment <> '' AND themes IS NULL") == 0 {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("comments were not analysed within 15 s");
}

/// What the test plants: a comment, its score, and when (hours ago). Each answer has its
/// own respondent: the same comment and score twice from one person would be a repeat,
/// which no figure counts.
struct Planted {
    comment: &'static str,
    score: i64,
    hours_ago: i64,
}

const DARK_MODE: [&str; 3] =
    ["Dark mode is what I wanted", "Finally a dark mode!", "The dark modes look good"];
const CRASH: [&str; 3] = ["Checkout crashes every time", "The checkout crashed again", "A crash at checkout"];
const INVOICE: [&str; 2] = ["Where are my invoices", "The invoice page is confusing"];
const OTHER: [&str; 3] = ["Onboarding was fine", "Search works", "Nothing to add really"];

/// This period (the last two days): dark mode with promoters, checkout crashes with
/// detractors, other comments in between. The two days before: invoices, and rarely dark
/// mode, so dark mode rises and invoices fall.
fn corpus() -> Vec<Planted> {
    let mut out = Vec::new();
    for i in 0..240usize {
        let hours_ago = 1 + (i % 40) as i64;
        let (comment, score) = match i % 3 {
            0 => (DARK_MODE[(i / 3) % 3], if i % 10 == 0 { 6 } else { 10 }),
            1 => (CRASH[(i / 3) % 3], if i % 10 == 1 { 8 } else { 2 }),
            _ => (OTHER[(i / 3) % 3], if i % 2 == 0 { 8 } else { 9 }),
        };
        out.push(Planted { comment, score, hours_ago });
    }
    for i in 0..80usize {
        let comment = if i % 8 == 0 {
            DARK_MODE[i % 3]
        } else if i % 2 == 0 {
            INVOICE[i % 2]
        } else {
            OTHER[i % 3]
        };
        out.push(Planted { comment, score: 7, hours_ago: 50 + (i % 40) as i64 });
    }
    out
}

async fn plant(app: &TestApp, corpus: &[Planted]) {
    let now = Utc::now();
    for (i, p) in corpus.iter().enumerate() {
        let body = json!({
            "survey": "nps-main", "score": p.score, "comment": p.comment, "respondent_id": format!("r{i}"),
            "client_time": (now - Duration::hours(p.hours_ago)).to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
}

/// The report of the last two days (the previous period is the two days before).
async fn report(app: &TestApp, extra: &str) -> Value {
    let from = ts(Utc::now() - Duration::hours(48));
    let min_count = if extra.contains("min_count") { "" } else { "&min_count=5" };
    let path = format!("/v1/surveys/nps-main/themes?from={from}{min_count}{extra}");
    let (status, body) = app.read(&path).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn theme<'a>(report: &'a Value, key: &str) -> Option<&'a Value> {
    report["themes"].as_array().unwrap().iter().find(|t| t["key"] == key)
}

/// NPS of the planted answers of the period whose comment is (or is not) one of `forms`.
fn planted_nps(corpus: &[Planted], forms: &[&str], mentioning: bool) -> f64 {
    let scores: Vec<i64> = corpus
        .iter()
        .filter(|p| p.hours_ago < 48 && forms.contains(&p.comment) == mentioning)
        .map(|p| p.score)
        .collect();
    let n = scores.len() as f64;
    (scores.iter().filter(|&&s| s >= 9).count() as f64 - scores.iter().filter(|&&s| s <= 6).count() as f64)
        / n
        * 100.0
}

/// Every `#theme` rollup cell equals a count of the rows it stands for.
fn assert_theme_rollups_exact(app: &TestApp) {
    let mismatched = app.count(
        "SELECT count(*) FROM ( \
           SELECT survey_id, date_trunc('hour', answered_at) AS b, t.value AS v, coalesce(score, -1) AS score, count(*) AS c \
           FROM responses CROSS JOIN LATERAL (SELECT '' AS value UNION ALL SELECT unnest(themes)) t \
           WHERE themes IS NOT NULL AND duplicate_of IS NULL GROUP BY 1, 2, 3, 4) raw \
         FULL JOIN (SELECT survey_id, bucket AS b, value AS v, score, count AS c FROM score_rollups \
           WHERE dimension = '#theme' AND count <> 0) r USING (survey_id, b, v, score) \
         WHERE raw.c IS DISTINCT FROM r.c",
    );
    assert_eq!(mismatched, 0, "theme rollups equal the rows");
}

#[tokio::test]
async fn planted_themes_and_their_effects_are_recovered() {
    let app = analysing_app().await;
    let corpus = corpus();
    plant(&app, &corpus).await;
    until_analysed(&app).await;
    assert_theme_rollups_exact(&app);

    let r = report(&app, "").await;
    assert_eq!(r["comments"], 240, "{r}");
    assert_eq!(r["previous_comments"], 80);
    assert_eq!(r["pending_comments"], 0);
    assert_eq!(r["plan"], "rollups");

    // Each planted theme, under its key, in every comment it was planted in.
    let dark = theme(&r, "dark mode").unwrap_or_else(|| panic!("no dark mode in {r}"));
    let crash = theme(&r, "checkout crash").unwrap_or_else(|| panic!("no checkout crash in {r}"));
    assert_eq!(dark["mentions"], 80);
    assert_eq!(crash["mentions"], 80);
    // "dark" and "mode" alone are the same subject: shown as "dark mode".
    assert!(theme(&r, "dark").is_none() && theme(&r, "mode").is_none(), "{r}");

    // The planted effects, in sign and size, within the reported interval.
    for (t, forms, sign) in [(dark, &DARK_MODE[..], 1.0), (crash, &CRASH[..], -1.0)] {
        let d = &t["driver"];
        assert_eq!(d["metric"], "nps");
        let truth = planted_nps(&corpus, forms, true) - planted_nps(&corpus, forms, false);
        let (diff, low, high) =
            (d["difference"].as_f64().unwrap(), d["low"].as_f64().unwrap(), d["high"].as_f64().unwrap());
        assert!((diff - truth).abs() < 1e-9, "{t}: planted {truth}");
        assert!(low < truth && truth < high && diff * sign > 0.0 && high - low < 60.0, "{t}");
        assert!((d["impact"].as_f64().unwrap() - diff / 3.0).abs() < 1e-9, "a third of the comments");
    }
    // Sorted by |impact|: the two planted themes lead.
    let first_two: Vec<&str> =
        r["themes"].as_array().unwrap()[..2].iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert!(first_two.contains(&"dark mode") && first_two.contains(&"checkout crash"), "{first_two:?}");

    // Dark mode rose (10 of 80 comments before, 80 of 240 now), invoices fell (30 → 0).
    assert_eq!(dark["trend"]["direction"], "rising", "{dark}");
    assert_eq!(dark["previous_mentions"], 10);
    let fell = report(&app, "&min_count=1").await;
    let invoices = theme(&fell, "invoic");
    assert!(invoices.is_none(), "no mention now: not listed under min_count 1");
    let by_mentions = report(&app, "&order=mentions&limit=1").await;
    assert_eq!(by_mentions["themes"].as_array().unwrap().len(), 1);
    assert!(by_mentions["more"].as_u64().unwrap() >= 2);

    // Click-through: the verbatims of a theme, and any report narrowed to it (one theme
    // alone is answered from the rollups).
    let (status, list) = app.read("/v1/responses?survey=nps-main&theme=dark%20mode&limit=500").await;
    assert_eq!(status, 200, "{list}");
    let listed = list["data"].as_array().unwrap();
    assert_eq!(listed.len(), 90);
    assert!(listed.iter().all(|a| a["themes"].as_array().unwrap().contains(&json!("dark mode"))));
    let from = ts(Utc::now() - Duration::hours(48));
    let (_, summary) = app.read(&format!("/v1/surveys/nps-main/summary?from={from}&theme=dark%20mode")).await;
    assert_eq!((summary["plan"].as_str(), summary["current"]["count"].as_u64()), (Some("rollups"), Some(80)));
    let truth = planted_nps(&corpus, &DARK_MODE, true);
    assert!((summary["current"]["nps"]["score"].as_f64().unwrap() - truth).abs() < 1e-9, "{summary}");
    let (_, both) = app
        .read(&format!("/v1/surveys/nps-main/summary?from={from}&theme=dark%20mode&theme=checkout%20crash"))
        .await;
    assert_eq!((both["plan"].as_str(), both["current"]["count"].as_u64()), (Some("raw"), Some(160)));
    let (status, bad) = app.read(&format!("/v1/responses?theme={}", "x".repeat(101))).await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (422, Some("theme")));

    // Filters read raw rows, and agree.
    let ios = report(&app, "&score_min=0").await;
    assert_eq!(ios["plan"], "raw");
    assert_eq!(theme(&ios, "dark mode").unwrap()["mentions"], 80);
}

#[tokio::test]
async fn curation_keeps_counts_exact_and_erasure_removes_comments() {
    let app = analysing_app().await;
    let corpus = corpus();
    plant(&app, &corpus).await;
    until_analysed(&app).await;
    let curator = secret_key(&app, &[Scope::SurveysRead, Scope::SurveysWrite]);
    let patch = |key: &str, body: Value| {
        let (app, curator, key) = (&app, curator.clone(), key.replace(' ', "%20"));
        async move { call(app, Method::PATCH, &format!("/v1/themes/{key}"), &curator, Some(&body)).await }
    };

    // Rename and pin: the name changes, the counts do not.
    let r = patch("checkout crash", json!({"label": "Checkout crashes", "pinned": true})).await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!((body["label"].as_str(), body["renamed"].as_bool()), (Some("Checkout crashes"), Some(true)));
    let after = report(&app, "&limit=1&order=mentions").await;
    let crash = theme(&after, "checkout crash").expect("pinned: shown beyond the limit");
    assert_eq!((crash["label"].as_str(), crash["mentions"].as_u64()), (Some("Checkout crashes"), Some(80)));

    // Hide: gone from the report unless asked for.
    assert_eq!(patch("search", json!({"hidden": true})).await.status(), 200);
    assert!(theme(&report(&app, "").await, "search").is_none());
    assert_eq!(theme(&report(&app, "&include_hidden=true").await, "search").unwrap()["hidden"], true);

    // Merge "onboard" into "search": each answer counts once, the rollups equal the rows.
    let union = app.count("SELECT count(*) FROM responses WHERE themes && ARRAY['onboard', 'search']");
    let had_onboard = app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['onboard']");
    assert_eq!(
        had_onboard,
        app.count("SELECT count(*) FROM responses WHERE comment = 'Onboarding was fine'")
    );
    let r = patch("onboard", json!({"merged_into": "search"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["answers_refiled"].as_i64(), Some(had_onboard));
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['onboard']"), 0);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['search']"), union);
    assert_theme_rollups_exact(&app);
    let merged = report(&app, "&include_hidden=true&min_count=1").await;
    assert_eq!(
        theme(&merged, "search").unwrap()["mentions"].as_i64(),
        Some(app.count(
            "SELECT count(*) FROM responses WHERE themes @> ARRAY['search'] AND answered_at >= now() - interval '48 hours'"
        ))
    );
    // New comments naming the merged theme count under the one it was merged into.
    app.post_answer(&json!({"survey": "nps-main", "score": 9, "comment": "Onboarding was fine"})).await;
    until_analysed(&app).await;
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['onboard']"), 0);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['search']"), union + 1);
    // Bad merges are refused with the field named.
    let r = patch("search", json!({"merged_into": "search"})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(json(r).await["errors"][0]["field"], "merged_into");
    assert_eq!(patch("onboard", json!({"merged_into": "dark mode"})).await.status(), 409);
    assert_eq!(patch("no such theme", json!({"hidden": true})).await.status(), 404);
    assert_eq!(patch("search", json!({"label": ""})).await.status(), 422);

    // Undo: the answers are analysed again and both themes are back.
    assert_eq!(patch("onboard", json!({"merged_into": null})).await.status(), 200);
    until_analysed(&app).await;
    assert_eq!(
        app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['onboard']"),
        app.count("SELECT count(*) FROM responses WHERE comment = 'Onboarding was fine'")
    );
    assert_theme_rollups_exact(&app);
    let listed = json(call(&app, Method::GET, "/v1/themes", &curator, None).await).await;
    let curated: Vec<&str> =
        listed["data"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(curated, ["checkout crash", "search"]);

    // Erasing a respondent removes their comments from every theme count.
    let theirs =
        app.count("SELECT count(*) FROM responses WHERE respondent_id = 'r0' AND themes @> ARRAY['dark mode'] AND answered_at >= now() - interval '48 hours'");
    assert!(theirs > 0);
    let privacy = secret_key(&app, &[Scope::Privacy]);
    assert_eq!(call(&app, Method::DELETE, "/v1/respondents/r0", &privacy, None).await.status(), 200);
    let erased = report(&app, "").await;
    assert_eq!(theme(&erased, "dark mode").unwrap()["mentions"].as_i64().unwrap(), 80 - theirs);
    assert_theme_rollups_exact(&app);
}

#[tokio::test]
async fn themes_of_another_project_are_out_of_reach() {
    let app = analysing_app().await;
    plant(&app, &corpus()[..30]).await;
    until_analysed(&app).await;
    let other = crate::mgmt_support::other_project(&app);
    let r = call(
        &app,
        Method::PATCH,
        "/v1/themes/dark%20mode",
        &other.secret_key,
        Some(&json!({"hidden": true})),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.count("SELECT count(*) FROM themes WHERE hidden"), 0);
    // Its own survey of the same key has none of these comments.
    let (status, body) = app.read_with("/v1/surveys/nps-main/themes?min_count=1", &other.secret_key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["comments"].as_u64(), body["themes"].as_array().map(Vec::len)), (Some(0), Some(0)));
    // Reading needs responses:read, curating surveys:write.
    let reader = secret_key(&app, &[Scope::ResponsesRead]);
    assert_eq!(
        call(&app, Method::PATCH, "/v1/themes/search", &reader, Some(&json!({"hidden": true})))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn a_theme_defined_by_a_search_files_old_and_new_comments_exactly() {
    let app = analysing_app().await;
    let corpus = corpus();
    plant(&app, &corpus).await;
    until_analysed(&app).await;
    let curator = secret_key(&app, &[Scope::SurveysRead, Scope::SurveysWrite]);
    let send = |method: Method, path: &str, body: Option<Value>| {
        let (app, curator, path) = (&app, curator.clone(), path.to_string());
        async move { call(app, method, &path, &curator, body.as_ref()).await }
    };
    let matching = |q: &str| {
        app.count(&format!(
            "SELECT count(*) FROM responses WHERE themes IS NOT NULL AND comment_tsv @@ websearch_to_tsquery('simple', '{q}')"
        ))
    };

    let r = send(
        Method::POST,
        "/v1/themes",
        Some(json!({"label": "Payment  Problems", "search": "checkout or invoice"})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let body = json(r).await;
    assert_eq!((body["key"].as_str(), body["pinned"].as_bool()), (Some("=payment problems"), Some(true)));
    let filed = body["answers_refiled"].as_i64().unwrap();
    assert_eq!(filed, matching("checkout or invoice"));
    assert!(filed > 0);
    assert_theme_rollups_exact(&app);
    let r = report(&app, "&limit=1&order=mentions").await;
    let searched = theme(&r, "=payment problems").expect("pinned: always reported");
    assert_eq!(searched["label"], "Payment  Problems");
    assert_eq!(searched["mentions"].as_i64(), Some(app.count(
        "SELECT count(*) FROM responses WHERE themes @> ARRAY['=payment problems'] AND answered_at >= now() - interval '48 hours'"
    )));

    // A new comment it matches names it once analysed; one it does not, does not.
    app.post_answer(&json!({"survey": "nps-main", "score": 1, "comment": "Checkout froze"})).await;
    app.post_answer(&json!({"survey": "nps-main", "score": 9, "comment": "Lovely colours"})).await;
    until_analysed(&app).await;
    assert_eq!(
        app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['=payment problems']"),
        filed + 1
    );

    // A new search refiles; the rollups follow.
    let r = send(Method::PATCH, "/v1/themes/=payment%20problems", Some(json!({"search": "invoice"}))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["answers_refiled"].as_i64(), Some(matching("invoice")));
    assert_eq!(
        app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['=payment problems']"),
        matching("invoice")
    );
    assert_theme_rollups_exact(&app);

    // What cannot be done is refused, naming the field.
    let refusals = [
        (Method::POST, "/v1/themes", json!({"label": "Payment problems", "search": "x"}), 409, None),
        (Method::POST, "/v1/themes", json!({"label": "Nothing", "search": "!!! ..."}), 422, Some("search")),
        (Method::POST, "/v1/themes", json!({"label": "", "search": "x"}), 422, Some("label")),
        (
            Method::PATCH,
            "/v1/themes/=payment%20problems",
            json!({"merged_into": "search"}),
            422,
            Some("merged_into"),
        ),
        (
            Method::PATCH,
            "/v1/themes/search",
            json!({"merged_into": "=payment problems"}),
            422,
            Some("merged_into"),
        ),
        (Method::PATCH, "/v1/themes/search", json!({"search": "x"}), 422, Some("search")),
    ];
    for (method, path, body, status, field) in refusals {
        let r = send(method.clone(), path, Some(body.clone())).await;
        assert_eq!(r.status(), status, "{method} {path} {body}");
        if let Some(field) = field {
            assert_eq!(json(r).await["errors"][0]["field"], field, "{body}");
        }
    }
    assert_eq!(
        send(Method::DELETE, "/v1/themes/dark%20mode", None).await.status(),
        409,
        "found, not defined"
    );

    // Deleted: no answer names it, and no rollup counts it.
    let r = send(Method::DELETE, "/v1/themes/=payment%20problems", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["answers_refiled"].as_i64(), Some(matching("invoice")));
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE themes @> ARRAY['=payment problems']"), 0);
    assert_eq!(app.count("SELECT count(*) FROM themes WHERE key = '=payment problems'"), 0);
    assert_theme_rollups_exact(&app);
    assert_eq!(send(Method::DELETE, "/v1/themes/=payment%20problems", None).await.status(), 404);
}
