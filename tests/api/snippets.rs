//! The SDK snippets that are not a browser: the React Native snippet type-checks, and the
//! curl examples run against the real service.

use crate::browser::{repo, run};
use crate::helpers::spawn_app;
use tokio::process::Command;

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
