//! The demo project of the embedded default (and of `--demo` on any database), so that a
//! newcomer has keys to try at once.

use feedbackd_core::manage::{self, SurveySpec};
use feedbackd_domain::{KeyKind, Scope, SurveyKind, SurveyStatus};
use feedbackd_store::Db;
use serde::{Deserialize, Serialize};
use std::path::Path;
use uuid::Uuid;

/// What `demo.json` holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Demo {
    pub base_url: String,
    pub project_id: Uuid,
    pub survey_id: Uuid,
    pub survey_key: String,
    pub publishable_key: String,
    pub secret_key: String,
}

/// On first run (no projects) creates a demo project with an NPS survey and two keys,
/// writes them to `demo.json` (owner-only), and prints them; later, while that project is
/// still in the database, prints them again from `demo.json`. A database that already has
/// projects of its own gets nothing: the demo is for a first try, never beside real data.
pub async fn announce(db: &Db, data_dir: &Path, base_url: &str) -> anyhow::Result<()> {
    let path = data_dir.join("demo.json");
    let projects = manage::list_projects(db).await?;
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let mut demo: Demo = serde_json::from_str(&existing)?;
        // Keys are stored only as hashes, so the file is the one copy; it is stale when its
        // database was replaced (a new PostgreSQL volume beside a kept data directory).
        if projects.iter().any(|p| p.id == demo.project_id) {
            if demo.base_url != base_url {
                demo.base_url = base_url.to_string();
                feedbackd_store::embedded::write_private(
                    &path,
                    serde_json::to_string_pretty(&demo)?.as_bytes(),
                )?;
            }
            print(&demo, &path);
            return Ok(());
        }
    }
    if !projects.is_empty() {
        tracing::info!(projects = projects.len(), "the database has projects of its own: no demo project");
        return Ok(());
    }
    let project = manage::create_project(db, "Demo", &["*".to_string()]).await?;
    let question = "How likely are you to recommend us to a friend or colleague?";
    // A reason question after the score, so the demo shows what the widget's steps look like.
    let reason = serde_json::json!([{
        "key": "reason", "kind": "choice", "text": "What is the main reason for your score?",
        "options": [
            {"key": "price", "label": "Price"}, {"key": "features", "label": "Missing features"},
            {"key": "bugs", "label": "Bugs"}, {"key": "support", "label": "Support"},
            {"key": "other", "label": "Something else"}],
        "other": true, "shuffle": true, "show_if": {"bands": ["detractor", "passive"]}}]);
    let spec = SurveySpec {
        questions: serde_json::from_value(reason)?,
        ..SurveySpec::new("nps-main".into(), SurveyKind::Nps, question.into(), SurveyStatus::Active)
    };
    let survey = manage::create_survey(db, project.id, spec).await?;
    let publishable = manage::create_key(db, project.id, KeyKind::Publishable, &[], "demo widget").await?;
    let secret = manage::create_key(db, project.id, KeyKind::Secret, &[Scope::Admin], "demo admin").await?;
    let demo = Demo {
        base_url: base_url.to_string(),
        project_id: project.id,
        survey_id: survey.id,
        survey_key: survey.key,
        publishable_key: publishable.token,
        secret_key: secret.token,
    };
    std::fs::create_dir_all(data_dir)?;
    feedbackd_store::embedded::write_private(&path, serde_json::to_string_pretty(&demo)?.as_bytes())?;
    print(&demo, &path);
    Ok(())
}

/// Prints where the console is: its first-run page (with the setup token) while no
/// account exists, else its sign-in.
pub async fn announce_console(db: &Db, base_url: &str, setup_token: Option<&str>) -> anyhow::Result<()> {
    let link = match setup_token {
        Some(token) if !feedbackd_core::console::has_users(db).await? => {
            format!("{base_url}/console/setup?token={token}  (first run: create the first account)")
        }
        _ => format!("{base_url}/console/"),
    };
    eprintln!("  console:         {link}\n");
    Ok(())
}

fn print(demo: &Demo, path: &Path) {
    // On stderr with the logs: stdout stays clean for scripts.
    eprintln!(
        "\n  feedbackd is running at {base}\n  demo project {project}, NPS survey \"{survey}\"\n  \
         publishable key: {public}\n  secret key:      {secret}\n  \
         widget demo:     {base}/demo?key={public}&survey={survey}\n  (kept in {path}, readable only by you)\n\n  \
         try: curl -X POST {base}/v1/responses -H 'Authorization: Bearer {public}' \\\n         \
         -H 'Content-Type: application/json' -d '{{\"survey\":\"{survey}\",\"score\":9}}'\n",
        base = demo.base_url,
        project = demo.project_id,
        survey = demo.survey_key,
        public = demo.publishable_key,
        secret = demo.secret_key,
        path = path.display(),
    );
}
