//! `feedbackd survey …`: surveys from the command line, through the same `manage`
//! functions as `/v1/surveys`, so both apply the same rules and record the same history.

use super::admin::print;
use super::Database;
use super::Services;
use crate::cli::{GlobalArgs, SurveyArgs, SurveyCommand, SurveyUpdateArgs};
use feedbackd_core::manage::{self, ScheduleChange, SurveyPatch, SurveySpec, SurveyView, Transition};
use feedbackd_domain::{SurveyEvent, SurveyStatus};
use serde::Serialize;

/// `feedbackd survey …`
pub fn survey(global: &GlobalArgs, command: SurveyCommand) -> anyhow::Result<()> {
    let database = Database::open(global)?;
    let services = database.services()?;
    let db = &services.db;
    match command {
        SurveyCommand::Create { project, kind, key, question, scale_min, scale_max, questions, output } => {
            let spec = SurveySpec {
                scale_min,
                scale_max,
                questions: questions.unwrap_or_default(),
                ..SurveySpec::new(key, kind, question, SurveyStatus::Active)
            };
            let survey = services.block_on(manage::create_survey(db, project, spec))?;
            print(output, &survey, || {
                format!("created {} survey {} ({})", survey.kind, survey.id, survey.key)
            })
        }
        SurveyCommand::List { project, output } => {
            let list =
                services.block_on(db.run(move |conn| feedbackd_store::surveys::list(conn, project)))?;
            print(output, &list, || {
                list.iter()
                    .map(|s| format!("{}  {:<6} {:<8} {}", s.id, s.kind, s.status, s.key))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        SurveyCommand::Get(args) => {
            let view = services.block_on(manage::get_survey(db, args.target.project, &args.target.survey))?;
            print(args.output, &view, || view_text(&view))
        }
        SurveyCommand::Update(args) => {
            let output = args.output;
            let view = update(&services, *args)?;
            print(output, &view, || view_text(&view))
        }
        SurveyCommand::Pause(args) => transition(&services, args, Transition::Pause),
        SurveyCommand::Resume(args) => transition(&services, args, Transition::Resume),
        SurveyCommand::Archive(args) => transition(&services, args, Transition::Archive),
        SurveyCommand::History(args) => {
            let now = chrono::Utc::now();
            let events = services.block_on(manage::survey_history(
                db,
                args.target.project,
                &args.target.survey,
                now,
            ))?;
            let history = History { events };
            print(args.output, &history, || {
                history.events.iter().map(event_text).collect::<Vec<_>>().join("\n")
            })
        }
    }
}

/// As `GET /v1/surveys/{survey}/history` answers it.
#[derive(Serialize)]
struct History {
    events: Vec<SurveyEvent>,
}

fn update(services: &Services, args: SurveyUpdateArgs) -> anyhow::Result<SurveyView> {
    let patch = SurveyPatch {
        question: args.question,
        scale_min: args.scale_min,
        scale_max: args.scale_max,
        presentation: args.presentation,
        targeting: args.targeting,
        fatigue_exempt: args.fatigue_exempt,
        questions: args.questions,
        schedule: ScheduleChange {
            opens_at: args.opens_at.map(|t| t.0),
            closes_at: args.closes_at.map(|t| t.0),
            response_limit: args.response_limit.map(|n| n.0),
        },
    };
    Ok(services.block_on(manage::update_survey(
        &services.db,
        args.target.project,
        &args.target.survey,
        patch,
    ))?)
}

fn transition(services: &Services, args: SurveyArgs, transition: Transition) -> anyhow::Result<()> {
    let view = services.block_on(manage::set_survey_status(
        &services.db,
        args.target.project,
        &args.target.survey,
        transition,
    ))?;
    print(args.output, &view, || view_text(&view))
}

/// A survey, for people.
fn view_text(s: &SurveyView) -> String {
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("-".to_string(), |t| t.to_rfc3339());
    let limit = s.schedule.response_limit.map_or("none".to_string(), |n| n.to_string());
    let closed = s.schedule.closed_at.map_or(String::new(), |t| format!(" (reached {})", t.to_rfc3339()));
    format!(
        "{}  {} {} survey {}, version {}\n  {}\n  opens {}, closes {}, response limit {limit}{closed}",
        s.id,
        s.status.as_str(),
        s.kind.as_str(),
        s.key,
        s.version,
        s.question,
        at(s.schedule.opens_at),
        at(s.schedule.closes_at),
    )
}

fn event_text(e: &SurveyEvent) -> String {
    format!("{}  {:<9} {}", e.at.to_rfc3339(), e.kind.as_str(), e.detail)
}
