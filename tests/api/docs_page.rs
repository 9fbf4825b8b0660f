//! The API reference page (`GET /docs`): its files over HTTP with their types and the
//! page's policy, and in headless Chromium (tests/browser/docs.mjs) the operations of
//! `/openapi.json` rendered, no CSP violation, no request beyond the service, and "Try it out".

use crate::browser::{repo, require_browser_tools, run};
use crate::helpers::spawn_app;
use serde_json::Value;
use std::io::Read;
use tokio::process::Command;

/// The page's files, as the page names them, with their types.
const FILES: [(&str, &str); 4] = [
    ("/docs", "text/html; charset=utf-8"),
    ("/docs/assets/docs.js", "application/javascript; charset=utf-8"),
    ("/docs/assets/swagger-ui-bundle.js", "application/javascript; charset=utf-8"),
    ("/docs/assets/swagger-ui.css", "text/css; charset=utf-8"),
];

#[tokio::test]
async fn the_docs_page_and_its_files_are_served_with_the_strict_policy() {
    let app = spawn_app().await;
    let page = app.client.get(format!("{}/docs", app.address)).send().await.unwrap().text().await.unwrap();
    for (path, content_type) in FILES {
        if path != "/docs" {
            assert!(page.contains(&format!("src=\"{path}\"")) || page.contains(&format!("href=\"{path}\"")));
        }
        let r = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let header = |name: &str| r.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("content-type"), content_type, "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("x-frame-options"), "DENY");
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.split(';').any(|d| d.trim() == directive), "{path}: {directive} in {csp}");
        }
        assert!(!csp.contains("unsafe") && !csp.contains("http"), "{path}: {csp}");
    }
    // No inline script: every <script> names its file and holds nothing.
    assert_eq!(page.matches("<script").count(), page.matches("<script src=\"/docs/assets/").count());
    assert_eq!(page.matches("<script").count(), page.matches("></script>").count());

    // The renderer is the vendored one, at its pinned version, gzipped like the other files.
    let vendored = repo().join("crates/http/vendor/swagger-ui");
    let bundle = std::fs::read_to_string(vendored.join("swagger-ui-bundle.js")).unwrap();
    let r = app
        .client
        .get(format!("{}/docs/assets/swagger-ui-bundle.js", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let mut served = String::new();
    flate2::read::GzDecoder::new(&r.bytes().await.unwrap()[..]).read_to_string(&mut served).unwrap();
    assert!(served == bundle, "the served bundle is the vendored file");
    let version = std::fs::read_to_string(vendored.join("VERSION")).unwrap();
    assert!(std::fs::read_to_string(vendored.join("SOURCE"))
        .unwrap()
        .contains(&format!("@{}", version.trim())));
    assert!(vendored.join("LICENSE").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_renders_every_operation_and_tries_one_in_a_real_browser() {
    require_browser_tools();
    let app = spawn_app().await;
    let result = std::env::temp_dir().join(format!("feedbackd-docs-{}.json", uuid::Uuid::new_v4()));
    run(
        Command::new("node")
            .arg("tests/browser/docs.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_RESULT", &result)
            .env("ARTIFACTS_DIR", repo().join("artifacts/docs")),
        "node tests/browser/docs.mjs",
    )
    .await;
    let shown: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("the test's result")).unwrap();
    let _ = std::fs::remove_file(&result);

    // Checked here once more against the document the service serves.
    let doc: Value =
        app.client.get(format!("{}/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    let operations = |section: &str| {
        doc[section]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().keys())
            .filter(|k| methods.contains(&k.as_str()))
            .count()
    };
    assert_eq!(operations("webhooks"), 4, "what webhooks send: one entry per event type");
    assert_eq!(
        shown["operations"],
        operations("paths") + operations("webhooks"),
        "one block per operation of the document, and per webhook"
    );
    assert_eq!(shown["tried"], 200, "Try it out: GET /healthz");
    assert_eq!(shown["csp_violations"], serde_json::json!([]));
    assert_eq!(shown["outside_requests"], serde_json::json!([]));
    assert!(repo().join("artifacts/docs/docs.png").exists(), "screenshot saved");
}
