//! `feedbackd project|key|survey …`: management from the command line. With `--json`,
//! exactly one JSON document goes to stdout; otherwise a short human summary.

use super::Database;
use crate::cli::{GlobalArgs, KeyCommand, OutputArgs, ProjectCommand, SurveyCommand};
use crate::domain::SurveyStatus;
use crate::manage::{self, SurveySpec};
use crate::store::{keys, projects, surveys};
use serde::Serialize;

/// `feedbackd project …`
pub fn project(global: &GlobalArgs, command: ProjectCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let mut conn = database.connect()?;
    match command {
        ProjectCommand::Create { name, origins, output } => {
            let project = manage::create_project(&mut conn, &name, &origins)?;
            print(output, &project, || format!("created project {} ({})", project.id, project.name))
        }
        ProjectCommand::List { output } => {
            let list = projects::list(&mut conn)?;
            print(output, &list, || {
                list.iter().map(|p| format!("{}  {}", p.id, p.name)).collect::<Vec<_>>().join("\n")
            })
        }
    }
}

/// `feedbackd key …`
pub fn key(global: &GlobalArgs, command: KeyCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let mut conn = database.connect()?;
    match command {
        KeyCommand::Create { project, kind, scopes, name, output } => {
            let created = manage::create_key(&mut conn, project, kind, &scopes, &name)?;
            print(output, &created, || {
                format!(
                    "created {} key {}\n{}\nThis token is shown once; only its hash is stored.",
                    created.key.kind, created.key.id, created.token
                )
            })
        }
        KeyCommand::List { project, output } => {
            let list = keys::list(&mut conn, project)?;
            print(output, &list, || {
                list.iter()
                    .map(|k| {
                        let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                        format!(
                            "{}  {:<11} {}…  {:<7} {}  {}",
                            k.id,
                            k.kind,
                            k.prefix,
                            state,
                            k.scopes.join(","),
                            k.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        KeyCommand::Revoke { project, id, output } => {
            let key = manage::revoke_key(&mut conn, project, id)?;
            print(output, &key, || format!("revoked key {}", key.id))
        }
    }
}

/// `feedbackd survey …`
pub fn survey(global: &GlobalArgs, command: SurveyCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let mut conn = database.connect()?;
    match command {
        SurveyCommand::Create { project, kind, key, question, scale_min, scale_max, output } => {
            let spec = SurveySpec {
                key: &key,
                kind,
                question: &question,
                scale_min,
                scale_max,
                status: SurveyStatus::Active,
            };
            let survey = manage::create_survey(&mut conn, project, &spec)?;
            print(output, &survey, || {
                format!("created {} survey {} ({})", survey.kind, survey.id, survey.key)
            })
        }
        SurveyCommand::List { project, output } => {
            let list = surveys::list(&mut conn, project)?;
            print(output, &list, || {
                list.iter()
                    .map(|s| format!("{}  {:<6} {:<8} {}", s.id, s.kind, s.status, s.key))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

fn print<T: Serialize>(output: OutputArgs, value: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if output.json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}
