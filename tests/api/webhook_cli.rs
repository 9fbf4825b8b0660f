//! `feedbackd webhook …`: the CLI manages endpoints through the same service as the API,
//! seals their secrets with the service's key (so what it creates, the service signs
//! with), and shows a secret once.

use crate::cli::{feedbackd_with, json};
use crate::helpers::{fixture, TestDb};
use crate::webhook_support::{verifies, webhook_app, Receiver, TEST_KEY};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::time::Duration;
use uuid::Uuid;

/// The service's webhook settings, as the tests' service has them.
const ENV: &[(&str, &str)] =
    &[("FEEDBACKD_WEBHOOK_KEY", TEST_KEY), ("FEEDBACKD_WEBHOOK_ALLOW_HTTP_LOOPBACK", "true")];

/// Runs `feedbackd webhook COMMAND --project P ARGS…` against `db`.
fn webhook(db: &TestDb, env: &[(&str, &str)], project: &str, args: &[&str]) -> Output {
    let mut all = vec!["webhook", args[0], "--project", project];
    all.extend_from_slice(&args[1..]);
    feedbackd_with(Some(db), env, &all)
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn failed_saying(output: &Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {}", String::from_utf8_lossy(&output.stdout));
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in: {stderr}");
    }
}

/// The `whsec_` secret a text output shows, checking it shows exactly one.
fn the_one_secret(text: &str) -> String {
    let secrets: Vec<&str> = text.lines().filter(|l| l.starts_with("whsec_")).collect();
    assert_eq!(secrets.len(), 1, "one secret, on a line of its own: {text}");
    assert_eq!(text.matches("whsec_").count(), 1, "{text}");
    assert!(text.contains("will not be shown again"), "{text}");
    secrets[0].to_string()
}

/// The delivery log once its newest delivery has settled after `attempts` attempts (the
/// receiver has the message a moment before the attempt is recorded).
fn settled_log(run: impl Fn(&[&str]) -> Output, id: &str, attempts: i64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let log = json(&run(&["deliveries", id, "--json"]));
        let newest = &log[0];
        if (newest["state"] != "pending" && newest["attempts"] == attempts)
            || std::time::Instant::now() > deadline
        {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_cli_creates_an_endpoint_the_service_signs_for_and_manages_its_log() {
    let app = webhook_app(true).await;
    let receiver = Receiver::start().await;
    let project = app.fixture.project_id.to_string();
    let run = |args: &[&str]| tokio::task::block_in_place(|| webhook(&app.db, ENV, &project, args));

    let created = stdout(&run(&[
        "create",
        "--url",
        &receiver.url,
        "--event",
        "response.created",
        "--survey",
        "nps-main",
        "--description",
        "from the CLI",
    ]));
    let secret = the_one_secret(&created);
    let id = created.strip_prefix("created webhook endpoint ").unwrap().split_whitespace().next().unwrap();
    let id = Uuid::parse_str(id).unwrap().to_string();

    let listed = json(&run(&["list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let endpoint = &listed[0];
    assert_eq!(
        (endpoint["id"].as_str(), endpoint["url"].as_str()),
        (Some(id.as_str()), Some(receiver.url.as_str()))
    );
    assert_eq!(endpoint["event_types"], json!(["response.created"]));
    assert_eq!(endpoint["survey_ids"], json!([app.fixture.nps_survey_id]));
    assert!(endpoint.get("secret").is_none());
    let list_text = stdout(&run(&["list"]));
    assert!(list_text.contains(&id) && !list_text.contains("whsec_"), "{list_text}");
    assert!(!listed.to_string().contains(&secret[6..]), "never shown again");

    // The service opens what the CLI sealed: the delivery verifies with the CLI's secret.
    let answer = json!({"survey": "nps-main", "score": 3, "comment": "slow"});
    assert_eq!(app.post_answer(&answer).await.status(), 201);
    let got = receiver.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1);
    assert!(verifies(&secret, &got[0]));
    let message = got[0].header("webhook-id").unwrap().to_string();

    let log = settled_log(run, &id, 1);
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(
        (log[0]["id"].as_str(), log[0]["state"].as_str()),
        (Some(message.as_str()), Some("delivered"))
    );
    assert_eq!(log[0]["last_attempt"]["status"], 200);
    assert_eq!(json(&run(&["deliveries", &id, "--state", "failed", "--json"])), json!([]));
    let detail = json(&run(&["delivery", &id, &message, "--json"]));
    assert_eq!(
        (detail["attempts"][0]["outcome"].as_str(), detail["attempts"][0]["status"].as_i64()),
        (Some("delivered"), Some(200))
    );
    assert!(stdout(&run(&["deliveries", &id])).contains(&message));

    // A resend and a replay send the same message again, under the same webhook-id.
    assert_eq!(json(&run(&["resend", &id, &message, "--json"]))["delivery"], message);
    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got[1].header("webhook-id"), Some(message.as_str()));
    assert_eq!(settled_log(run, &id, 2)[0]["state"], "delivered");
    let (from, to) =
        (chrono::Utc::now() - chrono::Duration::hours(1), chrono::Utc::now() + chrono::Duration::minutes(1));
    let replayed =
        json(&run(&["replay", &id, "--from", &from.to_rfc3339(), "--to", &to.to_rfc3339(), "--json"]));
    assert_eq!(replayed, json!({"queued": 1, "resume_from": null}));
    let got = receiver.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(got[2].header("webhook-id"), Some(message.as_str()));

    // A rotation prints the new secret once; both sign while the overlap lasts.
    let rotated = stdout(&run(&["rotate-secret", &id, "--overlap-hours", "1"]));
    let new_secret = the_one_secret(&rotated);
    assert_ne!(new_secret, secret);
    assert!(rotated.contains("the previous secret signs too until"), "{rotated}");
    assert_eq!(app.post_answer(&answer).await.status(), 201);
    let got = receiver.wait_for(4, Duration::from_secs(20)).await;
    assert!(verifies(&new_secret, &got[3]) && verifies(&secret, &got[3]));

    let changed =
        json(&run(&["update", &id, "--disable", "--band", "detractor", "--has-comment", "true", "--json"]));
    assert_eq!(
        (changed["enabled"].as_bool(), &changed["condition"]),
        (Some(false), &json!({"band": "detractor", "has_comment": true}))
    );
    let changed = json(&run(&["update", &id, "--enable", "--no-condition", "--all-surveys", "--json"]));
    assert_eq!(
        (changed["enabled"].as_bool(), &changed["condition"], &changed["survey_ids"]),
        (Some(true), &json!({}), &Value::Null)
    );

    assert_eq!(json(&run(&["delete", &id, "--json"])), json!({"id": id, "deleted": true}));
    assert_eq!(json(&run(&["list", "--json"])), json!([]));
    failed_saying(&run(&["deliveries", &id]), &["no webhook endpoint", &id]);
}

#[test]
fn webhook_cli_refuses_a_url_the_service_would_refuse_and_exits_non_zero() {
    let db = TestDb::new();
    let project = fixture(&db.url, &[]).project_id.to_string();
    let key = &[("FEEDBACKD_WEBHOOK_KEY", TEST_KEY)][..];
    let create = |env: &[(&str, &str)], url: &str, extra: &[&str]| {
        let mut args = vec!["create", "--url", url, "--event", "response.created"];
        args.extend_from_slice(extra);
        webhook(&db, env, &project, &args)
    };
    failed_saying(&create(key, "ftp://hooks.example.com/x", &[]), &["url", "must use https, not ftp"]);
    failed_saying(&create(key, "https://10.1.2.3/hook", &[]), &["url", "10.1.2.3", "private"]);
    failed_saying(&create(key, "http://127.0.0.1:9/hook", &[]), &["url", "must use https, not http"]);
    failed_saying(&create(key, "https://user:pw@hooks.example.com/", &[]), &["url", "user name or password"]);
    failed_saying(
        &create(key, "https://hooks.example.com/", &["--survey", "nope"]),
        &["survey_ids[0]", "nope"],
    );
    failed_saying(
        &create(key, "https://hooks.example.com/", &["--min-score", "9", "--max-score", "6"]),
        &["condition.min_score"],
    );
    let missing = webhook(&db, key, &project, &["create", "--url", "https://hooks.example.com/"]);
    failed_saying(&missing, &["--event"]);
    assert_eq!(json(&webhook(&db, key, &project, &["list", "--json"])), json!([]), "nothing was created");

    // The CLI reads the service's network rules too.
    let internal = [key[0], ("FEEDBACKD_WEBHOOK_ALLOWED_NETWORKS", "10.1.2.0/24")];
    let allowed = json(&create(&internal, "https://10.1.2.3/hook", &["--json", "--disabled"]));
    assert_eq!(
        (allowed["url"].as_str(), allowed["enabled"].as_bool()),
        (Some("https://10.1.2.3/hook"), Some(false))
    );
    assert!(allowed["secret"].as_str().unwrap().starts_with("whsec_"));
}

#[test]
fn webhook_cli_needs_the_key_to_make_a_secret_but_not_to_list() {
    let db = TestDb::new();
    let project = fixture(&db.url, &[]).project_id.to_string();
    let args = ["create", "--url", "https://hooks.example.com/", "--event", "response.erased"];
    failed_saying(&webhook(&db, &[], &project, &args), &["FEEDBACKD_WEBHOOK_KEY"]);
    failed_saying(
        &webhook(&db, &[("FEEDBACKD_WEBHOOK_KEY", "c2hvcnQ=")], &project, &args),
        &["FEEDBACKD_WEBHOOK_KEY"],
    );
    assert_eq!(stdout(&webhook(&db, &[], &project, &["list"])).trim(), "no webhook endpoints");
}

#[test]
fn webhook_cli_on_the_embedded_database_keeps_its_key_beside_it() {
    let dir = std::env::temp_dir().join(format!("feedbackd-whcli-{}", Uuid::new_v4().simple()));
    let dir_arg = dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--data-dir", dir_arg]);
        feedbackd_with(None, &[], &all)
    };
    assert!(run(&["migrate"]).status.success());
    let project = json(&run(&["project", "create", "--name", "Embedded", "--json"]));
    let project = project["id"].as_str().unwrap();
    let created = json(&run(&[
        "webhook",
        "create",
        "--project",
        project,
        "--url",
        "https://hooks.example.com/",
        "--event",
        "response.created",
        "--json",
    ]));
    let key = dir.join("webhook.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let sealed_with = std::fs::read_to_string(&key).unwrap();
    let id = created["id"].as_str().unwrap();
    let rotated = json(&run(&["webhook", "rotate-secret", "--project", project, id, "--json"]));
    assert!(rotated["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), sealed_with, "the same key, kept");
    let _ = std::fs::remove_dir_all(&dir);
}
