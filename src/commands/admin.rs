//! `feedbackd project|key|survey|report-link …`: management from the command line. With `--json`,
//! exactly one JSON document goes to stdout; otherwise a short human summary.

use super::Database;
use crate::cli::{
    GlobalArgs, KeyCommand, OutputArgs, ProjectCommand, ProjectUpdateArgs, ReportLinkCommand,
    RetentionCommand,
};
use feedbackd_core::manage::report_links::{self, LinkSpec, LinkView};
use feedbackd_core::manage::{self, FatigueChange, PrivacyChange, ProjectChange, ProjectSettings};
use feedbackd_core::privacy;
use feedbackd_domain::StoredScope;
use serde::Serialize;

/// `feedbackd project …`
pub fn project(global: &GlobalArgs, command: ProjectCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let services = database.services()?;
    let db = &services.db;
    match command {
        ProjectCommand::Create { name, origins, output } => {
            let project = services.block_on(manage::create_project(db, &name, &origins))?;
            print(output, &project, || format!("created project {} ({})", project.id, project.name))
        }
        ProjectCommand::Show { project, output } => {
            let settings = services.block_on(manage::project_settings(db, project))?;
            print(output, &settings, || settings_text(&settings))
        }
        ProjectCommand::Update(args) => {
            let output = args.output;
            let settings = services.block_on(manage::update_project_settings(
                db,
                args.project,
                project_change(*args),
            ))?;
            print(output, &settings, || settings_text(&settings))
        }
        ProjectCommand::Index { project, key, remove, chunk_answers, output } => {
            let change = services.block_on(manage::indexing::set_indexed_in_chunks(
                db,
                project,
                &key,
                !remove,
                chunk_answers,
            ))?;
            print(output, &change, || {
                let filled = format!(
                    "{} hourly and {} day rollup rows filled in {} chunks (the longest held ingestion {} ms)",
                    change.hourly_rows, change.daily_rows, change.chunks, change.slowest_chunk_ms
                );
                let did = match (change.changed, remove) {
                    (_, false) if !change.filled => format!("was unindexed while filling ({filled})"),
                    (false, false) if change.chunks == 0 => "was already indexed".to_string(),
                    (false, false) => format!("was indexed; its interrupted backfill is done: {filled}"),
                    (false, true) => "was not indexed".to_string(),
                    (true, false) => format!("indexed: {filled}"),
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
            let list = services.block_on(manage::list_projects(db))?;
            print(output, &list, || {
                list.iter().map(|p| format!("{}  {}", p.id, p.name)).collect::<Vec<_>>().join("\n")
            })
        }
    }
}

/// `feedbackd project update`: the settings the API changes, and the privacy settings only
/// the CLI changes, in one transaction (a refused setting changes nothing).
fn project_change(args: ProjectUpdateArgs) -> ProjectChange {
    ProjectChange {
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
        privacy: PrivacyChange {
            retention_days: args.retention_days.map(|r| r.0),
            ip_policy: args.ip_policy,
        },
    }
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
    let services = database.services()?;
    let db = &services.db;
    match command {
        KeyCommand::Create { project, kind, scopes, name, output } => {
            let created = services.block_on(manage::create_key(db, project, kind, &scopes, &name))?;
            print(output, &created, || {
                format!(
                    "created {} key {}\n{}\nThis token is shown once; only its hash is stored.",
                    created.key.kind, created.key.id, created.token
                )
            })
        }
        KeyCommand::List { project, output } => {
            let list = services.block_on(manage::list_keys(db, project))?;
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
            let key = services.block_on(manage::revoke_key(db, project, id))?;
            print(output, &key, || format!("revoked key {}", key.id))
        }
    }
}

/// `feedbackd report-link …`
pub fn report_link(global: &GlobalArgs, command: ReportLinkCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let services = database.services()?;
    let db = &services.db;
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
            let spec = LinkSpec { expires_in_hours: Some(expires_in_hours), label, created_by: None };
            let created = services.block_on(report_links::create_link(db, project, &survey, spec))?;
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
            let list = services.block_on(report_links::list_links(db, project, survey))?;
            print(output, &list, || list.iter().map(line).collect::<Vec<_>>().join("\n"))
        }
        ReportLinkCommand::Revoke { project, id, output } => {
            let link = services.block_on(report_links::revoke_link(db, project, id))?;
            print(output, &link, || format!("revoked share link {}", line(&link)))
        }
    }
}

/// `feedbackd retention …`
pub fn retention(global: &GlobalArgs, command: RetentionCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let services = database.services()?;
    let db = &services.db;
    match command {
        RetentionCommand::Run { output } => {
            let report = services.block_on(privacy::run_retention(
                db,
                chrono::Utc::now(),
                privacy::RETENTION_BATCH,
            ))?;
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
