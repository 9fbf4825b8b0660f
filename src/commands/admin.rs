//! `feedbackd project|key|survey|report-link …`: management from the command line. With `--json`,
//! exactly one JSON document goes to stdout; otherwise a short human summary.

use super::Database;
use crate::cli::{
    GlobalArgs, KeyCommand, OutputArgs, ProjectCommand, ProjectUpdateArgs, ReportLinkCommand,
    RetentionCommand,
};
use crate::domain::StoredScope;
use crate::manage::report_links::{self, LinkSpec, LinkView};
use crate::manage::{self, FatigueChange, ProjectChange, ProjectSettings};
use crate::privacy;
use crate::store::{keys, projects};
use diesel::{Connection, PgConnection};
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
        ProjectCommand::Show { project, output } => {
            let settings = manage::project_settings(&mut conn, project)?;
            print(output, &settings, || settings_text(&settings))
        }
        ProjectCommand::Update(args) => {
            let output = args.output;
            let settings = update_project(&mut conn, *args)?;
            print(output, &settings, || settings_text(&settings))
        }
        ProjectCommand::Index { project, key, remove, output } => {
            let change = manage::indexing::set_indexed(&mut conn, project, &key, !remove)?;
            print(output, &change, || {
                let did = match (change.changed, remove) {
                    (false, false) => "was already indexed".to_string(),
                    (false, true) => "was not indexed".to_string(),
                    (true, false) => format!(
                        "indexed: {} hourly and {} day rollup rows filled",
                        change.hourly_rows, change.daily_rows
                    ),
                    (true, true) => format!(
                        "no longer indexed: {} hourly and {} day rollup rows deleted",
                        change.hourly_rows, change.daily_rows
                    ),
                };
                format!(
                    "project {}: {} {did}; indexed now: {}",
                    project,
                    change.key,
                    change.indexed_attributes.join(", ")
                )
            })
        }
        ProjectCommand::List { output } => {
            let list = projects::list(&mut conn)?;
            print(output, &list, || {
                list.iter().map(|p| format!("{}  {}", p.id, p.name)).collect::<Vec<_>>().join("\n")
            })
        }
    }
}

/// `feedbackd project update`: the settings the API changes, then the privacy settings only
/// the CLI changes, in one transaction (a refused setting changes nothing).
fn update_project(conn: &mut PgConnection, args: ProjectUpdateArgs) -> anyhow::Result<ProjectSettings> {
    let change = ProjectChange {
        name: args.name,
        allowed_origins: args.origins,
        rate_project: args.rate_limit_project.map(|r| r.0),
        rate_respondent: args.rate_limit_respondent.map(|r| r.0),
        fatigue: FatigueChange {
            days_between_surveys: args.fatigue_days,
            max_per_session: args.fatigue_per_session,
            ignored_wait_hours: args.fatigue_ignored_hours,
        },
        time_zone: args.time_zone,
    };
    let project = args.project;
    let retention = args.retention_days.map(|r| r.0);
    Ok(conn.transaction(|conn| {
        let settings = manage::update_project_settings(conn, project, change)?;
        if retention.is_none() && args.ip_policy.is_none() {
            return Ok::<_, manage::ManageError>(settings);
        }
        manage::update_project_privacy(conn, project, retention, args.ip_policy)?;
        manage::project_settings(conn, project)
    })?)
}

/// A project's settings, for people.
fn settings_text(p: &ProjectSettings) -> String {
    let or_default = |rate: &Option<String>| rate.clone().unwrap_or_else(|| "the service's".into());
    let origins =
        if p.allowed_origins.is_empty() { "none".to_string() } else { p.allowed_origins.join(", ") };
    let kept = p.retention_days.map_or("forever".to_string(), |d| format!("{d} days"));
    let f = &p.fatigue;
    format!(
        "project {} ({})\n  allowed origins: {origins}\n  rate limits: project {}, respondent {}\n  \
         fatigue: one survey per {} days, {} per session, {} h after an ignored one\n  time zone: {}\n  \
         answers kept {kept}, client IPs: {}",
        p.id,
        p.name,
        or_default(&p.rate_limits.project),
        or_default(&p.rate_limits.respondent),
        f.days_between_surveys,
        f.max_per_session,
        f.ignored_wait_hours,
        p.time_zone,
        p.ip_policy
    )
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
                            k.scopes.iter().map(StoredScope::as_str).collect::<Vec<_>>().join(","),
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

/// `feedbackd report-link …`
pub fn report_link(global: &GlobalArgs, command: ReportLinkCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let mut conn = database.connect()?;
    let line = |l: &LinkView| {
        format!(
            "{}  {:<7}  {}  expires {}  {}",
            l.id,
            l.status.as_str(),
            l.survey_key,
            l.expires_at.format("%Y-%m-%d %H:%M UTC"),
            l.label.as_deref().unwrap_or("")
        )
    };
    match command {
        ReportLinkCommand::Create { project, survey, expires_in_hours, label, output } => {
            let spec = LinkSpec {
                expires_in_hours: Some(expires_in_hours),
                label: label.as_deref(),
                created_by: None,
            };
            let created = report_links::create_link(&mut conn, project, &survey, &spec)?;
            print(output, &created, || {
                format!(
                    "created share link {}\n{}\nPut the service's address in front (https://feedback.example.com{}). \
                     It is shown once; only its hash is stored.",
                    line(&created.link),
                    created.url,
                    created.url
                )
            })
        }
        ReportLinkCommand::List { project, survey, output } => {
            let list = report_links::list_links(&mut conn, project, survey.as_deref())?;
            print(output, &list, || list.iter().map(line).collect::<Vec<_>>().join("\n"))
        }
        ReportLinkCommand::Revoke { project, id, output } => {
            let link = report_links::revoke_link(&mut conn, project, id)?;
            print(output, &link, || format!("revoked share link {}", line(&link)))
        }
    }
}

/// `feedbackd retention …`
pub fn retention(global: &GlobalArgs, command: RetentionCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let mut conn = database.connect()?;
    match command {
        RetentionCommand::Run { output } => {
            let report = privacy::run_retention(&mut conn, chrono::Utc::now(), privacy::RETENTION_BATCH)?;
            print(output, &report, || {
                if !report.ran {
                    return "another retention run holds the lock; nothing done".to_string();
                }
                let lines: Vec<String> = report
                    .projects
                    .iter()
                    .map(|p| {
                        format!(
                            "{}  {} days: {} answers, {} contact rows deleted (before {})",
                            p.project_id, p.retention_days, p.answers_deleted, p.contacts_deleted, p.horizon
                        )
                    })
                    .collect();
                if lines.is_empty() {
                    "no project has a retention".to_string()
                } else {
                    lines.join("\n")
                }
            })
        }
    }
}

pub(super) fn print<T: Serialize>(
    output: OutputArgs,
    value: &T,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if output.json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}
