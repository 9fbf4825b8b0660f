//! The CLI can do to surveys and project settings what the API can, with the same rules.

use crate::cli::{feedbackd, json};
use crate::helpers::{count, fixture, TestDb};
use serde_json::json;
use std::process::Output;

fn failed_naming(output: &Output, fields: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    for field in fields {
        assert!(stderr.contains(field), "{field} not named in: {stderr}");
    }
}

#[test]
fn cli_edits_schedules_and_moves_surveys_through_their_lifecycle() {
    let db = TestDb::new();
    let project = fixture(&db.url, &[]).project_id.to_string();
    let run = |args: &[&str]| {
        let mut all = vec![args[0], args[1], "--project", project.as_str()];
        all.extend_from_slice(&args[2..]);
        feedbackd(Some(&db), &all)
    };
    let zone = json(&run(&["project", "update", "--time-zone", "America/New_York", "--json"]));
    assert_eq!(zone["time_zone"], "America/New_York");

    let gap = run(&["survey", "update", "--survey", "nps-main", "--opens-at", "2026-03-08T02:30"]);
    failed_naming(&gap, &["opens_at", "America/New_York"]);
    let zero = run(&["survey", "update", "--survey", "nps-main", "--response-limit", "0"]);
    failed_naming(&zero, &["response_limit"]);

    let translations = std::env::temp_dir().join(format!("presentation-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&translations, r#"{"locales": {"de": {"question": "Würden Sie uns empfehlen?"}}}"#)
        .unwrap();
    let at_file = format!("@{}", translations.display());
    let updated = json(&run(&[
        "survey",
        "update",
        "--survey",
        "nps-main",
        "--question",
        "Would you recommend us?",
        "--presentation",
        &at_file,
        "--targeting",
        r#"{"sample_rate": 0.5, "recontact_days": 30}"#,
        "--fatigue-exempt",
        "true",
        "--opens-at",
        "2026-11-01T01:30",
        "--closes-at",
        "2026-12-01T09:00:00Z",
        "--response-limit",
        "50",
        "--json",
    ]));
    std::fs::remove_file(&translations).unwrap();
    assert_eq!(updated["question"], "Would you recommend us?");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["presentation"]["locales"]["de"]["question"], "Würden Sie uns empfehlen?");
    assert_eq!(
        updated["targeting"],
        json!({"sample_rate": 0.5, "recontact_days": 30, "fatigue_exempt": true})
    );
    assert_eq!(
        (updated["opens_at"].as_str(), updated["closes_at"].as_str(), updated["response_limit"].as_i64()),
        (Some("2026-11-01T05:30:00Z"), Some("2026-12-01T09:00:00Z"), Some(50))
    );
    let counters = count(&mut db.connect(), "SELECT count(*) FROM survey_counters WHERE answers = 0");
    assert_eq!(counters, 1, "the limit's counter, as through the API");
    let cleared = json(&run(&["survey", "update", "--survey", "nps-main", "--closes-at", "none", "--json"]));
    assert!(cleared["closes_at"].is_null() && cleared["opens_at"].is_string());
    let got = json(&run(&["survey", "get", "--survey", "nps-main", "--json"]));
    assert_eq!(got, cleared);

    for (command, status) in [("pause", "paused"), ("resume", "active"), ("archive", "archived")] {
        let moved = json(&run(&["survey", command, "--survey", "nps-main", "--json"]));
        assert_eq!(moved["status"], status, "{command}");
    }
    let refused = run(&["survey", "resume", "--survey", "nps-main"]);
    failed_naming(&refused, &["archived"]);

    let history = json(&run(&["survey", "history", "--survey", "nps-main", "--json"]));
    let kinds: Vec<&str> =
        history["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "updated", "scheduled", "scheduled", "paused", "resumed", "archived"]);
    let text = run(&["survey", "history", "--survey", "nps-main"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("archived"));
}

#[test]
fn cli_shows_and_updates_project_settings_with_the_api_rules() {
    let db = TestDb::new();
    let project = fixture(&db.url, &["https://app.example.com"]).project_id.to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["project", args[0], "--project", project.as_str()];
        all.extend_from_slice(&args[1..]);
        feedbackd(Some(&db), &all)
    };
    let shown = json(&run(&["show", "--json"]));
    assert_eq!(shown["fatigue"]["days_between_surveys"], 14);

    let bad = run(&[
        "update",
        "--origin",
        "https://ok.example.com",
        "--origin",
        "ftp://files.example.com",
        "--rate-limit-project",
        "lots",
        "--fatigue-per-session",
        "101",
        "--time-zone",
        "Mars/Olympus_Mons",
    ]);
    failed_naming(
        &bad,
        &["allowed_origins[1]", "rate_limits.project", "fatigue.max_per_session", "time_zone"],
    );
    assert_eq!(json(&run(&["show", "--json"])), shown, "nothing changed");

    let updated = json(&run(&[
        "update",
        "--name",
        "Renamed",
        "--origin",
        "https://a.example.com",
        "--origin",
        "https://b.example.com",
        "--rate-limit-project",
        "5000/s:10000",
        "--rate-limit-respondent",
        "60/min:20",
        "--fatigue-days",
        "7",
        "--fatigue-ignored-hours",
        "24",
        "--time-zone",
        "Europe/Berlin",
        "--json",
    ]));
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["allowed_origins"], json!(["https://a.example.com", "https://b.example.com"]));
    assert_eq!(updated["rate_limits"], json!({"project": "5000/s:10000", "respondent": "60/min:20"}));
    assert_eq!(
        updated["fatigue"],
        json!({"days_between_surveys": 7, "max_per_session": 1, "ignored_wait_hours": 24})
    );
    assert_eq!(updated["time_zone"], "Europe/Berlin");
    let removed = json(&run(&["update", "--rate-limit-project", "none", "--json"]));
    assert_eq!(removed["rate_limits"], json!({"project": null, "respondent": "60/min:20"}));
    let text = run(&["show"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Europe/Berlin"));
}

#[test]
fn cli_creates_and_edits_a_survey_with_questions_by_the_api_rules() {
    let db = TestDb::new();
    let project = fixture(&db.url, &[]).project_id.to_string();
    let run = |args: &[&str]| {
        let mut all = vec![args[0], args[1], "--project", project.as_str()];
        all.extend_from_slice(&args[2..]);
        feedbackd(Some(&db), &all)
    };
    let pmf = r#"[{"key": "main", "kind": "choice", "options": [
        {"key": "very_disappointed", "label": "Very"}, {"key": "not_disappointed", "label": "Not"}]},
        {"key": "why", "kind": "text", "text": "Why?", "show_if": {"options": ["not_disappointed"]}}]"#;
    let created = run(&[
        "survey",
        "create",
        "--kind",
        "choice",
        "--key",
        "pmf",
        "--question",
        "How would you feel?",
        "--questions",
        pmf,
        "--json",
    ]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert_eq!(json(&created)["kind"], "choice");
    // An option left out is retired, not lost; a kind change is refused, naming the field.
    let edited = json(&run(&[
        "survey",
        "update",
        "--survey",
        "pmf",
        "--json",
        "--questions",
        r#"[{"key": "main", "kind": "choice", "options": [{"key": "very_disappointed", "label": "Very"},
            {"key": "somewhat", "label": "Somewhat"}]}]"#,
    ]));
    let options = &edited["questions"][0]["options"];
    assert_eq!(
        (options[2]["key"].as_str(), options[2]["retired"].as_bool()),
        (Some("not_disappointed"), Some(true))
    );
    assert_eq!(edited["questions"][1]["retired"], true);
    let kind = run(&[
        "survey",
        "update",
        "--survey",
        "pmf",
        "--questions",
        r#"[{"key": "why", "kind": "rating", "text": "?", "scale": {"min": 1, "max": 5}}]"#,
    ]);
    failed_naming(&kind, &["questions[0].kind"]);
    let bad = run(&[
        "survey",
        "create",
        "--kind",
        "nps",
        "--key",
        "q2",
        "--question",
        "Q?",
        "--questions",
        r#"[{"key": "r", "kind": "choice", "text": "Why?", "options": [{"key": "a", "label": "A"}]}]"#,
    ]);
    failed_naming(&bad, &["questions[0].options"]);
}
