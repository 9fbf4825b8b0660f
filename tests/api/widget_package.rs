//! The web widget as an npm package (sdk-snippets/web), tested the way a developer meets it:
//! `npm pack`, the tarball installed into a fresh Vite app (tests/packaging/vite-app), the
//! package's types checked by tsc, `vite build`, and the built app answering in Chromium
//! against the real service (tests/packaging/widget-package.test.mjs).

use crate::browser::{repo, require_browser_tools, run};
use crate::helpers::spawn_app;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tokio::process::Command;

const VITE_APP: &str = "tests/packaging/vite-app";

/// `npm pack`s the widget into a new temporary folder and returns the tarball's path.
async fn pack() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("feedbackd-pack-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    run(
        Command::new("npm").args(["pack", "./sdk-snippets/web", "--silent", "--pack-destination"]).arg(&dir),
        "npm pack sdk-snippets/web",
    )
    .await;
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .expect("npm pack wrote a .tgz")
}

/// The tarball's `package/<name>`, read with tar as npm would unpack it.
async fn packed_file(tarball: &Path, name: &str) -> Vec<u8> {
    let dir = tarball.parent().unwrap();
    let member = format!("package/{name}");
    run(Command::new("tar").arg("-xzf").arg(tarball).arg("-C").arg(dir).arg(&member), "tar -xzf").await;
    std::fs::read(dir.join(member)).unwrap()
}

#[tokio::test]
async fn the_packed_script_build_is_byte_identical_to_the_served_widget() {
    let app = spawn_app().await;
    let tarball = pack().await;
    let manifest: Value = serde_json::from_slice(&packed_file(&tarball, "package.json").await).unwrap();
    let script = manifest["exports"]["./script"].as_str().expect("a ./script export");
    assert!(manifest.get("dependencies").is_none(), "no runtime dependencies: {manifest}");
    // One release, one version: the package is the widget this binary serves.
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"), "package.json's version is Cargo.toml's");
    let packed = packed_file(&tarball, script.trim_start_matches("./")).await;

    let served = app.client.get(format!("{}/sdk/feedbackd.js", app.address)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap();
    assert!(
        packed == served,
        "the package's {script} ({} B) is not what GET /sdk/feedbackd.js serves ({} B)",
        packed.len(),
        served.len()
    );
    // The ESM entry runs those same bytes rather than a second build of the widget.
    let entry = manifest["exports"]["."]["import"].as_str().expect("an ESM entry");
    let entry = String::from_utf8(packed_file(&tarball, entry.trim_start_matches("./")).await).unwrap();
    assert!(entry.contains(&format!("import '{script}';")), "{entry}");
    let _ = std::fs::remove_dir_all(tarball.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packed_widget_works_in_a_vite_app_in_a_real_browser() {
    require_browser_tools();
    let vite_app = repo().join(VITE_APP);
    assert!(
        vite_app.join("node_modules/vite").exists(),
        "{VITE_APP}/node_modules is missing: run `npm ci --prefix {VITE_APP}` (scripts/test does)"
    );
    let tarball = pack().await;
    // --no-save: the committed manifest and lock file pin only Vite; the widget is this
    // build's tarball, never a cached copy of an earlier one with the same version.
    run(
        Command::new("npm")
            .args([
                "install",
                "--prefix",
                VITE_APP,
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
            ])
            .arg(&tarball),
        "npm install <tarball> in the Vite app",
    )
    .await;
    let tsc = repo().join("tests/browser/node_modules/.bin/tsc");
    run(Command::new(tsc).args(["-p", &format!("{VITE_APP}/tsconfig.json")]), "tsc (the package's types)")
        .await;
    run(Command::new("npm").args(["run", "--prefix", VITE_APP, "build"]), "vite build").await;

    let app = spawn_app().await;
    let result = tarball.with_file_name("result.json");
    run(
        Command::new("node")
            .arg("tests/packaging/widget-package.test.mjs")
            .env("FEEDBACKD_BASE", &app.address)
            .env("FEEDBACKD_KEY", &app.fixture.publishable_key)
            .env("FEEDBACKD_RESULT", &result)
            .env("VITE_DIST", vite_app.join("dist")),
        "node tests/packaging/widget-package.test.mjs",
    )
    .await;
    let sent: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("the test's result")).unwrap();
    let _ = std::fs::remove_dir_all(tarball.parent().unwrap());

    for case in ["answer", "offline", "replay"] {
        let id = sent[case]["id"].as_str().unwrap_or_else(|| panic!("an id for {case}"));
        let score = sent[case]["score"].as_i64().unwrap();
        let rows = app.count(&format!("SELECT count(*) FROM responses WHERE id = '{id}'"));
        assert_eq!(rows, 1, "the {case} answer {id} is stored exactly once");
        let scored =
            app.count(&format!("SELECT count(*) FROM responses WHERE id = '{id}' AND score = {score}"));
        assert_eq!(scored, 1, "the {case} answer's score is {score}");
    }
}
