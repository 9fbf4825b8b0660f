use crate::helpers::{count, start_server, TestDb};
use feedbackd::config::Config;
use serde_json::Value;
use std::process::{Command, Output};

/// Runs the binary against `db` (or no database).
pub(crate) fn feedbackd(db: Option<&TestDb>, args: &[&str]) -> Output {
    feedbackd_with(db, &[], args)
}

/// Runs the binary against `db` with these environment variables too.
pub(crate) fn feedbackd_with(db: Option<&TestDb>, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_feedbackd"));
    command.args(args).env_remove("DATABASE_URL").env("RUST_LOG", "warn").envs(env.iter().copied());
    if let Some(db) = db {
        command.env("DATABASE_URL", &db.url);
    }
    command.output().expect("running feedbackd")
}

/// The one JSON document a successful command printed.
pub(crate) fn json(output: &Output) -> Value {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("stdout is exactly one JSON document")
}

#[test]
fn cli_creates_projects_keys_and_surveys_as_json() {
    let db = TestDb::new();
    let project = json(&feedbackd(
        Some(&db),
        &["project", "create", "--name", "Acme", "--origin", "https://App.acme.com", "--json"],
    ));
    assert_eq!(project["name"], "Acme");
    assert_eq!(project["allowed_origins"][0], "https://app.acme.com");
    let project_id = project["id"].as_str().unwrap();
    let survey = json(&feedbackd(
        Some(&db),
        &[
            "survey",
            "create",
            "--project",
            project_id,
            "--kind",
            "csat",
            "--key",
            "csat-1",
            "--question",
            "Happy?",
            "--json",
        ],
    ));
    assert_eq!((survey["scale_min"].as_i64(), survey["scale_max"].as_i64()), (Some(1), Some(5)));
    let listed = json(&feedbackd(Some(&db), &["survey", "list", "--project", project_id, "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let duplicate = feedbackd(
        Some(&db),
        &[
            "survey",
            "create",
            "--project",
            project_id,
            "--kind",
            "nps",
            "--key",
            "csat-1",
            "--question",
            "Again?",
        ],
    );
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already has a survey"));
}

#[test]
fn a_new_key_is_shown_once_and_stored_only_as_its_hash() {
    let db = TestDb::new();
    let project = json(&feedbackd(Some(&db), &["project", "create", "--name", "P", "--json"]));
    let id = project["id"].as_str().unwrap();
    let key = json(&feedbackd(
        Some(&db),
        &["key", "create", "--project", id, "--kind", "secret", "--scope", "responses:read", "--json"],
    ));
    let token = key["token"].as_str().unwrap();
    assert!(token.starts_with("fbk_sec_") && token.len() == 72);
    let mut conn = db.connect();
    let plaintext_anywhere = count(
        &mut conn,
        &format!(
            "SELECT count(*) FROM api_keys WHERE position('{token}' in \
             (api_keys.*)::text) > 0 OR position('{hex}' in (api_keys.*)::text) > 0",
            hex = &token[8..]
        ),
    );
    assert_eq!(plaintext_anywhere, 0, "the token must not be stored");
    let hash = hex::encode(feedbackd_domain::hash_token(token));
    assert_eq!(count(&mut conn, &format!("SELECT count(*) FROM api_keys WHERE token_hash = '\\x{hash}'")), 1);
    let listed = json(&feedbackd(Some(&db), &["key", "list", "--project", id, "--json"]));
    assert!(listed[0].get("token").is_none() && listed[0].get("token_hash").is_none(), "{listed}");
    let bad_scope =
        feedbackd(Some(&db), &["key", "create", "--project", id, "--kind", "secret", "--scope", "root"]);
    assert!(!bad_scope.status.success());
    assert!(String::from_utf8_lossy(&bad_scope.stderr).contains("unknown scope"));
}

#[tokio::test]
async fn a_key_revoked_with_the_cli_is_refused() {
    let db = TestDb::new();
    let fixture = crate::helpers::fixture(&db.url, &[]);
    let mut config = Config::for_tests();
    config.auth_cache_ttl = std::time::Duration::ZERO;
    let address = start_server(&config, &db.secret_url());
    let send = || {
        reqwest::Client::new()
            .post(format!("{address}/v1/responses"))
            .bearer_auth(&fixture.publishable_key)
            .json(&serde_json::json!({"survey": "nps-main", "score": 7}))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 201);
    let keys =
        json(&feedbackd(Some(&db), &["key", "list", "--project", &fixture.project_id.to_string(), "--json"]));
    let key_id = keys.as_array().unwrap().iter().find(|k| k["kind"] == "publishable").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = json(&feedbackd(
        Some(&db),
        &["key", "revoke", "--project", &fixture.project_id.to_string(), "--id", &key_id, "--json"],
    ));
    assert!(revoked["revoked_at"].is_string());
    let response = send().await.unwrap();
    assert_eq!(response.status(), 401);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["detail"], "the key has been revoked");
}

#[test]
fn cli_makes_lists_and_revokes_share_links_within_their_limits() {
    let db = TestDb::new();
    let fixture = crate::helpers::fixture(&db.url, &[]);
    let project = fixture.project_id.to_string();
    let link = |args: &[&str]| {
        let mut all = vec!["report-link", args[0], "--project", &project];
        all.extend_from_slice(&args[1..]);
        feedbackd(Some(&db), &all)
    };
    let made = json(&link(&[
        "create",
        "--survey",
        "nps-main",
        "--expires-in-hours",
        "24",
        "--label",
        "board",
        "--json",
    ]));
    let url = made["url"].as_str().unwrap();
    assert!(url.starts_with("/reports/shared#fbk_share_"), "{made}");
    assert_eq!((made["status"].as_str(), made["label"].as_str()), (Some("active"), Some("board")));
    assert!(made["created_by"].is_null(), "made by no key");
    let secret = url.trim_start_matches("/reports/shared#fbk_share_");
    let stored = count(
        &mut db.connect(),
        &format!("SELECT count(*) FROM report_links r WHERE position('{secret}' in r::text) > 0"),
    );
    assert_eq!(stored, 0, "the token must not be stored");

    let too_long = link(&["create", "--survey", "nps-main", "--expires-in-hours", "2161"]);
    assert!(!too_long.status.success());
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("expires_in_hours"));
    let unknown = link(&["create", "--survey", "nope"]);
    assert!(!unknown.status.success());

    let id = made["id"].as_str().unwrap();
    let revoked = json(&link(&["revoke", "--id", id, "--json"]));
    assert_eq!(revoked["status"], "revoked");
    let listed = json(&link(&["list", "--survey", "nps-main", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("url").is_none() && !listed.to_string().contains(secret));
    let text = link(&["list"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("{id}  revoked  nps-main")));
}

#[test]
fn configuration_errors_name_the_setting_and_exit_non_zero() {
    let out = feedbackd(None, &["serve", "--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--listen"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_feedbackd"))
        .args(["serve"])
        .env("FEEDBACKD_WRITER_BATCH", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--writer-batch"));

    let out = Command::new(env!("CARGO_BIN_EXE_feedbackd"))
        .args(["serve"])
        .env("FEEDBACKD_MAX_BODY_BYTES", "8192")
        .env("FEEDBACKD_MAX_BATCH_BODY_BYTES", "4096")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FEEDBACKD_MAX_BATCH_BODY_BYTES"));
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        vec!["serve"],
        vec!["migrate"],
        vec!["project", "create"],
        vec!["project", "list"],
        vec!["key", "create"],
        vec!["key", "list"],
        vec!["key", "revoke"],
        vec!["survey", "create"],
        vec!["survey", "list"],
        vec!["survey", "get"],
        vec!["survey", "update"],
        vec!["survey", "pause"],
        vec!["survey", "resume"],
        vec!["survey", "archive"],
        vec!["survey", "history"],
        vec!["project", "show"],
        vec!["project", "update"],
        vec!["report-link", "create"],
        vec!["report-link", "list"],
        vec!["report-link", "revoke"],
    ] {
        let mut args = command.clone();
        args.push("--help");
        let out = feedbackd(None, &args);
        assert!(out.status.success(), "{command:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Example"),
            "{command:?} --help has no example"
        );
    }
}
