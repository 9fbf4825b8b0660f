//! `feedbackd webhook …`: endpoints from the command line, through the same `Endpoints`
//! service as `/v1/webhooks`, so both apply the same rules (the URL's, the surveys', the
//! condition's) and seal secrets with the same key.

use super::admin::print;
use super::Database;
use crate::cli::{
    DeliveryArgs, EndpointArgs, EndpointOptions, GlobalArgs, WebhookCli, WebhookCommand, WebhookUpdateArgs,
};
use chrono::{DateTime, SecondsFormat, Utc};
use feedbackd_core::webhooks::endpoints::{
    DeliveryDetail, DeliveryView, EndpointSpec, EndpointView, EndpointWithSecret, Endpoints, LogFilter,
    Replayed, MAX_REPLAY,
};
use feedbackd_domain::webhook::{Condition, EventType};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// `feedbackd webhook …`
pub fn run(global: &GlobalArgs, cli: WebhookCli) -> anyhow::Result<()> {
    let mut config = cli.settings.into_config()?;
    let database = Database::open(global)?;
    config.key = database.webhook_key(config.key.take(), &global.data_dir)?;
    let services = database.services()?;
    let endpoints = Endpoints::new(services.db.clone(), crate::startup::webhook_settings(&config)?);
    match cli.command {
        WebhookCommand::Create { project, endpoint, disabled, output } => {
            let spec = EndpointSpec { enabled: Some(!disabled), ..spec(endpoint) };
            let created = services.block_on(endpoints.create(project, spec))?;
            print(output, &created, || with_secret("created webhook endpoint", &created))
        }
        WebhookCommand::List { project, output } => {
            let list = services.block_on(endpoints.list(project))?;
            print(output, &list, || match list.is_empty() {
                true => "no webhook endpoints".to_string(),
                false => list.iter().map(line).collect::<Vec<_>>().join("\n"),
            })
        }
        WebhookCommand::Get(EndpointArgs { target, output }) => {
            let endpoint = services.block_on(endpoints.get(target.project, target.id))?;
            print(output, &endpoint, || view_text(&endpoint))
        }
        WebhookCommand::Update(args) => {
            let (target, output) = (&args.target, args.output);
            let (project, id) = (target.project, target.id);
            let updated = services.block_on(endpoints.update(project, id, update_spec(*args)))?;
            print(output, &updated, || format!("updated webhook endpoint {}", view_text(&updated)))
        }
        WebhookCommand::Delete(EndpointArgs { target, output }) => {
            services.block_on(endpoints.delete(target.project, target.id))?;
            let deleted = Deleted { id: target.id, deleted: true };
            print(output, &deleted, || format!("deleted webhook endpoint {} with its deliveries", target.id))
        }
        WebhookCommand::RotateSecret { target, overlap_hours, output } => {
            let overlap = Duration::from_secs(u64::from(overlap_hours) * 3600);
            let rotated = services.block_on(endpoints.rotate_secret(target.project, target.id, overlap))?;
            print(output, &rotated, || with_secret("rotated the secret of webhook endpoint", &rotated))
        }
        WebhookCommand::Deliveries { target, state, limit, output } => {
            let filter = LogFilter { state: state.map(|s| s.name()), ..LogFilter::default() };
            let page = services.block_on(endpoints.deliveries(target.project, target.id, filter, limit))?;
            let list: Vec<DeliveryView> = page.into_iter().map(|(delivery, _)| delivery).collect();
            print(output, &list, || match list.is_empty() {
                true => "no deliveries".to_string(),
                false => list.iter().map(delivery_line).collect::<Vec<_>>().join("\n"),
            })
        }
        WebhookCommand::Delivery(DeliveryArgs { target, delivery, output }) => {
            let detail = services.block_on(endpoints.delivery(target.project, target.id, delivery))?;
            print(output, &detail, || detail_text(&detail))
        }
        WebhookCommand::Resend(DeliveryArgs { target, delivery, output }) => {
            services.block_on(endpoints.resend(target.project, target.id, delivery))?;
            let resent =
                Resent { delivery: feedbackd_core::webhooks::signing::message_id(delivery), queued: true };
            print(output, &resent, || format!("{} queued to be sent again now", resent.delivery))
        }
        WebhookCommand::Replay { target, from, to, output } => {
            let replayed = services.block_on(endpoints.replay(target.project, target.id, from, to))?;
            print(output, &replayed, || replay_text(&replayed, from, to))
        }
    }
}

/// `webhook delete --json`.
#[derive(Serialize)]
struct Deleted {
    id: Uuid,
    deleted: bool,
}

/// `webhook resend --json`.
#[derive(Serialize)]
struct Resent {
    delivery: String,
    queued: bool,
}

/// The flags as the service's spec: what is not given stays `None`.
fn spec(options: EndpointOptions) -> EndpointSpec {
    EndpointSpec {
        url: options.url,
        description: options.description,
        format: options.format,
        event_types: (!options.events.is_empty()).then_some(options.events),
        survey_ids: (!options.surveys.is_empty()).then_some(Some(options.surveys)),
        condition: options.condition.given(),
        enabled: None,
    }
}

fn update_spec(args: WebhookUpdateArgs) -> EndpointSpec {
    let mut spec = spec(args.endpoint);
    if args.all_surveys {
        spec.survey_ids = Some(None);
    }
    if args.no_condition {
        spec.condition = Some(Condition::default());
    }
    spec.enabled = match (args.enable, args.disable) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    spec
}

/// An endpoint with the secret it was just given: the only time it is shown.
fn with_secret(did: &str, e: &EndpointWithSecret) -> String {
    format!(
        "{did} {}\n\nSigning secret (give it to the receiver's Standard Webhooks verifier):\n{}\n\
         It is shown once and will not be shown again: only a sealed copy is stored. \
         Lost, it can only be replaced (`feedbackd webhook rotate-secret`).",
        view_text(&e.endpoint),
        e.secret
    )
}

fn state(e: &EndpointView) -> &'static str {
    if e.enabled {
        "enabled"
    } else {
        "disabled"
    }
}

fn events(types: &[EventType]) -> String {
    types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
}

/// One endpoint in a list.
fn line(e: &EndpointView) -> String {
    format!("{}  {:<8} {:<8} {}  {}", e.id, state(e), e.format.as_str(), e.url, events(&e.event_types))
}

/// An endpoint, for people.
fn view_text(e: &EndpointView) -> String {
    let surveys = e.survey_ids.as_ref().map_or("every survey".to_string(), |ids| {
        ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
    });
    let mut text = format!(
        "{}\n  events: {}\n  surveys: {surveys}\n  answers: {}",
        line(e),
        events(&e.event_types),
        condition_text(&e.condition)
    );
    let notes = [
        (!e.description.is_empty()).then(|| format!("description: {}", e.description)),
        e.disabled_reason.as_ref().map(|why| format!("disabled by the service: {why}")),
        e.failing_since.map(|t| format!("failing since {}", at(t))),
        e.previous_secret_expires_at.map(|t| format!("the previous secret signs too until {}", at(t))),
    ];
    for note in notes.into_iter().flatten() {
        text.push_str("\n  ");
        text.push_str(&note);
    }
    text
}

fn condition_text(c: &Condition) -> String {
    let parts: Vec<String> = [
        c.band.map(|b| format!("band {}", b.as_str())),
        c.min_score.map(|n| format!("score ≥ {n}")),
        c.max_score.map(|n| format!("score ≤ {n}")),
        c.has_comment.map(|with| if with { "with a comment" } else { "without a comment" }.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "every answer".to_string()
    } else {
        parts.join(", ")
    }
}

/// One delivery in the log.
fn delivery_line(d: &DeliveryView) -> String {
    let next = d.next_attempt_at.map_or(String::new(), |t| format!("  next {}", at(t)));
    let last = d.last_attempt.as_ref().map_or(String::new(), |a| {
        format!("  last {} {}", a.outcome, a.status.map_or("-".to_string(), |s| s.to_string()))
    });
    format!(
        "{}  {:<9} {} attempt(s)  {} {}  created {}{last}{next}",
        d.id,
        d.state,
        d.attempts,
        d.event_type.map_or("-", EventType::as_str),
        d.event_id.as_deref().unwrap_or("-"),
        at(d.created_at),
    )
}

/// A delivery and its attempts.
fn detail_text(d: &DeliveryDetail) -> String {
    let mut text = delivery_line(&d.delivery);
    for a in &d.attempts {
        let status = a.status.map_or("-".to_string(), |s| s.to_string());
        text.push_str(&format!(
            "\n  #{} {}  {:<11} {status:>3}  {} ms  {}",
            a.attempt,
            at(a.attempted_at),
            a.outcome,
            a.latency_ms,
            a.response.replace('\n', " ")
        ));
    }
    text
}

/// A time, for people: to the second, in UTC.
fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn replay_text(replayed: &Replayed, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let mut text =
        format!("queued {} deliveries of the events from {} to {}", replayed.queued, at(from), at(to));
    if let Some(resume) = replayed.resume_from {
        text.push_str(&format!(
            "\nA replay looks at {MAX_REPLAY} events at most; replay the rest with --from {}.",
            at(resume)
        ));
    }
    text
}
