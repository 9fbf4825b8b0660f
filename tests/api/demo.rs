//! `FEEDBACKD_DEMO`: the embedded quick start's demo project on a database of one's own, as
//! `docker compose up` runs it.

use crate::helpers::{count, fixture, TestDb};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// `feedbackd serve` on `database_url`, its stderr lines arriving on a channel.
struct Served {
    child: Child,
    lines: Receiver<String>,
}

impl Served {
    fn start(database_url: &str, data_dir: &Path, demo: Option<&str>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_feedbackd"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("DATABASE_URL", database_url)
            .env_remove("FEEDBACKD_DEMO")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped());
        if let Some(value) = demo {
            command.env("FEEDBACKD_DEMO", value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Served { child, lines }
    }

    /// The rest of the first line containing `marker`, waiting up to 60 s for it.
    fn after(&self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| panic!("no line with {marker:?}"));
            if let Some(at) = line.find(marker) {
                return line[at + marker.len()..].trim().to_string();
            }
        }
    }

    /// SIGTERM, and a clean exit.
    fn stop(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for Served {
    /// A test that failed half-way leaves no service running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn data_dir() -> PathBuf {
    std::env::temp_dir().join(format!("feedbackd-demo-{}", uuid::Uuid::new_v4().simple()))
}

#[tokio::test]
async fn feedbackd_demo_gives_an_empty_database_the_demo_project_once() {
    // Not even migrated: the demo waits for the service's own migrations.
    let db = TestDb::empty();
    let dir = data_dir();
    let served = Served::start(&db.url, &dir, Some("1"));
    let base_url = served.after("feedbackd is running at ");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    let publishable = served.after("publishable key: ");
    let secret = served.after("secret key:");
    assert!(publishable.starts_with("fbk_pub_") && secret.starts_with("fbk_sec_"), "{publishable} {secret}");

    let client = reqwest::Client::new();
    let answered = client
        .post(format!("{base_url}/v1/responses"))
        .bearer_auth(&publishable)
        .json(&serde_json::json!({"survey": "nps-main", "score": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201);
    let surveys = client.get(format!("{base_url}/v1/surveys")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(surveys.status(), 200, "the secret key is the project's admin key");
    let kept = dir.join("demo.json");
    assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    let demo: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    assert_eq!(
        (demo["publishable_key"].as_str(), demo["secret_key"].as_str()),
        (Some(&*publishable), Some(&*secret))
    );
    served.stop();

    // A restart prints the same keys again and makes no second project.
    let again = Served::start(&db.url, &dir, Some("true"));
    assert_eq!(again.after("publishable key: "), publishable);
    again.stop();
    assert_eq!(count(&mut db.connect(), "SELECT count(*) FROM projects"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn no_demo_project_without_feedbackd_demo_or_beside_real_projects() {
    let db = TestDb::new();
    let dir = data_dir();
    let served = Served::start(&db.url, &dir, None);
    let logged = served.after("base_url=");
    let base_url = logged.split_whitespace().next().unwrap();
    assert_eq!(reqwest::get(format!("{base_url}/readyz")).await.unwrap().status(), 200);
    served.stop();
    assert_eq!(
        count(&mut db.connect(), "SELECT count(*) FROM projects"),
        0,
        "FEEDBACKD_DEMO is off by default"
    );

    let real = fixture(&db.url, &[]);
    let served = Served::start(&db.url, &dir, Some("1"));
    served.after("the database has projects of its own: no demo project");
    served.stop();
    let projects = count(&mut db.connect(), "SELECT count(*) FROM projects");
    assert_eq!(projects, 1, "only the real project {}", real.project_id);
    assert!(!dir.join("demo.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
