//! The SDK snippets that are not a browser: the React Native snippet type-checks and its
//! question rules pass the shared cases, the Android snippet's Kotlin compiles, its display rules
//! decide as the server does and its question rules pass the same cases, and the curl examples
//! run against the real service.

use crate::browser::{repo, run};
use crate::helpers::spawn_app;
use chrono::{Duration, TimeZone, Utc};
use feedbackd_domain::fatigue::{may_show, Candidate, Contact, Refusal};
use feedbackd_domain::Fatigue;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tokio::process::Command;
use uuid::Uuid;

#[tokio::test]
async fn react_native_snippet_type_checks() {
    let tsc = repo().join("tests/browser/node_modules/.bin/tsc");
    assert!(tsc.exists(), "tsc is missing: run `npm ci --prefix tests/browser` (scripts/test does)");
    run(
        Command::new(tsc).args(["-p", "sdk-snippets/react-native/tsconfig.json"]),
        "tsc (React Native snippet)",
    )
    .await;
}

/// The React Native snippet's question rules (`rules.ts`: which additional questions follow a
/// main answer, bands, localized labels, option order, choice answers), compiled with the
/// pinned tsc and run by node on `tests/data/snippet-questions.json`, the cases the app
/// snippets' question rules share.
#[tokio::test]
async fn react_native_question_rules_pass_the_shared_cases() {
    let tsc = repo().join("tests/browser/node_modules/.bin/tsc");
    assert!(tsc.exists(), "tsc is missing: run `npm ci --prefix tests/browser` (scripts/test does)");
    let out = repo().join("target/react-native-rules");
    let _ = std::fs::remove_dir_all(&out);
    run(Command::new(tsc).args(["-p", "tests/react-native/tsconfig.json"]), "tsc (React Native rules test)")
        .await;
    run(
        Command::new("node").arg(out.join("tests/react-native/rules.test.mjs")),
        "node tests/react-native/rules.test.mts",
    )
    .await;
}

/// The server's fatigue verdicts (`may_show`) over a grid of situations, in the form the
/// Android snippet's rules read: the project's rules, the survey's targeting, and what the
/// device remembers per survey key (last shown `s`, answered `a`, dismissed `d`, in Unix ms,
/// and whether exempt `x`).
fn server_fatigue_cases() -> (Value, BTreeSet<String>) {
    let now = Utc.timestamp_millis_opt(1_790_000_000_000).unwrap();
    let ms = |ago: Option<Duration>| ago.map(|ago| (now - ago).timestamp_millis());
    let at = |ago: Option<Duration>| ago.map(|ago| now - ago);
    let (h, d) = (Duration::hours, Duration::days);
    let (nps, csat) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let defaults = Fatigue::default();
    let rules = [
        defaults,
        Fatigue { days_between_surveys: 0, ..defaults },
        Fatigue { max_per_session: 0, ..defaults },
        Fatigue { ignored_wait_hours: 0, ..defaults },
        Fatigue { days_between_surveys: 3, max_per_session: 2, ignored_wait_hours: 24 },
    ];
    // (exempt, recontact_days)
    let candidates = [(false, 0), (false, 30), (true, 0)];
    // Each rule's span, a moment inside and exactly at its end (14 days between surveys, 72
    // hours after an ignored survey, 30 days of recontact; 3 days and 24 hours in the last rules).
    let shown = [None, Some(h(1)), Some(h(24)), Some(h(71)), Some(h(72)), Some(h(73)), Some(d(15))];
    // (answered, dismissed) ago
    let decided = [
        (None, None),
        (Some(h(1)), None),
        (Some(d(13)), None),
        (Some(d(14)), None),
        (Some(d(15)), None),
        (Some(d(3)), None),
        (None, Some(d(29))),
        (None, Some(d(30))),
        (None, Some(d(31))),
    ];
    // Another survey of the project: (exempt, shown, answered) ago
    let others = [
        None,
        Some((false, Some(d(1)), None)),
        Some((false, None, Some(d(13)))),
        Some((false, Some(d(14)), None)),
        Some((false, Some(d(20)), Some(d(15)))),
        Some((true, Some(h(1)), Some(d(1)))),
    ];
    let device = |exempt: bool, s: Option<Duration>, a: Option<Duration>, dismissed: Option<Duration>| {
        let mut c = json!({"x": exempt});
        for (what, ago) in [("s", s), ("a", a), ("d", dismissed)] {
            if let Some(ms) = ms(ago) {
                c[what] = ms.into();
            }
        }
        c
    };
    let mut cases = Vec::new();
    let mut verdicts = BTreeSet::new();
    for rule in &rules {
        for &(exempt, recontact_days) in &candidates {
            for &s in &shown {
                for &(a, dismissed) in &decided {
                    for other in &others {
                        for session_shown in 0..3 {
                            let own = Contact {
                                survey_id: nps,
                                exempt,
                                last_shown_at: at(s),
                                last_answered_at: at(a),
                                last_dismissed_at: at(dismissed),
                            };
                            let mut contacts = vec![own];
                            let mut memory = json!({"nps": device(exempt, s, a, dismissed)});
                            if let Some((x, os, oa)) = *other {
                                contacts.push(Contact {
                                    survey_id: csat,
                                    exempt: x,
                                    last_shown_at: at(os),
                                    last_answered_at: at(oa),
                                    last_dismissed_at: None,
                                });
                                memory["csat"] = device(x, os, oa, None);
                            }
                            let candidate = Candidate { survey_id: nps, exempt, recontact_days, open: true };
                            let verdict = may_show(candidate, rule, &contacts, session_shown, now);
                            let server = verdict.map_or_else(|r| r.as_str().to_string(), |()| "show".into());
                            verdicts.insert(server.clone());
                            cases.push(json!({
                                "key": "nps",
                                "fatigue": rule,
                                "targeting": {"fatigue_exempt": exempt, "recontact_days": recontact_days},
                                "memory": {"surveys": memory},
                                "session_shown": session_shown,
                                "now": now.timestamp_millis(),
                                "show": verdict.is_ok(),
                                "server": server,
                            }));
                        }
                    }
                }
            }
        }
    }
    (json!({"defaults": defaults, "cases": cases}), verdicts)
}

#[tokio::test]
async fn android_snippet_compiles_and_its_rules_decide_as_the_server_does() {
    assert!(
        std::process::Command::new("java").arg("-version").output().is_ok(),
        "java is missing (apt-get install default-jre-headless); `scripts/test` installs it"
    );
    let json_jar = std::path::Path::new("/usr/share/java/com.android.json.jar");
    assert!(
        json_jar.exists(),
        "Android's org.json is missing (apt-get install libandroid-json-java); `scripts/test` installs it"
    );
    let (cases, verdicts) = server_fatigue_cases();
    // The grid reaches every decision the fatigue rules can take (not `closed`: only the
    // server knows a survey's status), so agreeing means something.
    let expected: BTreeSet<String> = [
        "show",
        Refusal::ProjectRest.as_str(),
        Refusal::SurveyRest.as_str(),
        Refusal::Ignored.as_str(),
        Refusal::SessionCap.as_str(),
    ]
    .map(String::from)
    .into();
    assert_eq!(verdicts, expected);
    let file = std::env::temp_dir().join(format!("feedbackd-fatigue-cases-{}.json", std::process::id()));
    std::fs::write(&file, cases.to_string()).unwrap();
    run(
        Command::new("bash").arg("scripts/compile-kotlin-snippets").arg(&file),
        "scripts/compile-kotlin-snippets",
    )
    .await;
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_examples_run_against_the_service() {
    assert!(
        std::process::Command::new("curl").arg("--version").output().is_ok(),
        "curl is missing (apt-get install curl)"
    );
    let app = spawn_app().await;
    run(
        Command::new("bash")
            .arg("sdk-snippets/curl/examples.sh")
            .env("BASE", &app.address)
            .env("KEY", &app.fixture.publishable_key)
            .env("SECRET", &app.fixture.secret_key),
        "sdk-snippets/curl/examples.sh",
    )
    .await;
    let answers = app.count("SELECT count(*) FROM responses");
    assert!(answers >= 4, "the examples stored their answers ({answers})");
}

#[tokio::test]
async fn demo_page_and_widget_are_served_with_strict_headers() {
    let app = spawn_app().await;
    let key = &app.fixture.publishable_key;
    let page =
        app.client.get(format!("{}/demo?key={key}&survey=nps-main", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| page.headers()[name].to_str().unwrap().to_string();
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let csp = header("content-security-policy");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("data-key=\"{key}\"")));
    assert!(!html.contains("fbk_sec_"));

    let secret = &app.fixture.secret_key;
    let refused = app.client.get(format!("{}/demo?key={secret}", app.address)).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let injected =
        app.client.get(format!("{}/demo?key=fbk_pub_%22%3E%3Cscript%3E", app.address)).send().await.unwrap();
    assert_eq!(injected.status(), 422);

    let js = app.client.get(format!("{}/sdk/feedbackd.js", app.address)).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["content-type"], "application/javascript; charset=utf-8");
    assert_eq!(js.headers()["cache-control"], "public, max-age=3600");
    let etag = js.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(format!("{}/sdk/feedbackd.js", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn static_files_are_gzipped_for_clients_that_accept_it_and_pages_are_not() {
    use std::io::Read;
    let app = spawn_app().await;
    // What the route serves is the committed minified widget, byte for byte.
    let served = include_str!("../../sdk-snippets/web/feedbackd.min.js");
    let get = |path: &str, gzip: bool| {
        let request = app.client.get(format!("{}{path}", app.address));
        let request = if gzip { request.header("Accept-Encoding", "gzip") } else { request };
        async move { request.send().await.unwrap() }
    };

    let zipped = get("/sdk/feedbackd.js", true).await;
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert!(zipped.headers()["vary"].to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"));
    let wire = zipped.bytes().await.unwrap();
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&wire[..]).read_to_string(&mut unzipped).unwrap();
    assert_eq!(unzipped, served);
    assert!(wire.len() * 2 < served.len(), "{} bytes gzipped of {}", wire.len(), served.len());

    let plain = get("/sdk/feedbackd.js", false).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), served);
    let css = get("/reports/assets/report.css", true).await;
    assert_eq!(css.headers()["content-encoding"], "gzip");
    // A page may carry a secret beside reflected input: never compressed (BREACH).
    let page = get("/reports/login", true).await;
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn the_served_widget_is_its_source_minified_by_the_pinned_terser() {
    run(Command::new("bash").args(["scripts/minify-widget", "--check"]), "scripts/minify-widget --check")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_widget_stays_under_ten_kilobytes_gzipped() {
    let app = spawn_app().await;
    run(Command::new("bash").args(["scripts/widget-size", &app.address]), "scripts/widget-size").await;
}
