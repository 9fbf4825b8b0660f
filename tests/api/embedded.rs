//! The README's run command: `feedbackd serve` with no DATABASE_URL.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn serve_without_database_url_runs_its_own_postgres_with_a_demo_project() {
    let dir = std::env::temp_dir().join(format!("feedbackd-embedded-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_feedbackd"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("base_url=") {
                let _ = tx.send(line[at + 9..].split_whitespace().next().unwrap().to_string());
            }
        }
    });
    let base_url = rx.recv_timeout(Duration::from_secs(90)).expect("the service announced its address");
    let ready = reqwest::get(format!("{base_url}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    let demo_path = dir.join("demo.json");
    assert_eq!(std::fs::metadata(&demo_path).unwrap().permissions().mode() & 0o777, 0o600);
    let demo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&demo_path).unwrap()).unwrap();
    assert_eq!(demo["base_url"], base_url);
    let response = reqwest::Client::new()
        .post(format!("{base_url}/v1/responses"))
        .bearer_auth(demo["publishable_key"].as_str().unwrap())
        .json(&serde_json::json!({"survey": demo["survey_key"], "score": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // SIGTERM drains and exits cleanly, stopping the cluster it started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!dir.join("pg/postmaster.pid").exists(), "the embedded PostgreSQL was stopped");
    let _ = std::fs::remove_dir_all(&dir);
}
