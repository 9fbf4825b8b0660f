//! Arguments of `feedbackd webhook …`: what `/v1/webhooks` takes, as flags. The command reads
//! the webhook settings of `serve` (the same variables, checked the same way), so the key
//! that seals a new secret and the rules a URL must pass are the service's.

use super::OutputArgs;
use crate::config::WebhookArgs;
use chrono::{DateTime, Utc};
use clap::{ArgAction, Args, Subcommand, ValueEnum};
use feedbackd_domain::webhook::{Band, Condition, EventType, Format};
use uuid::Uuid;

/// `feedbackd webhook`: the settings it reads, then what to do.
///
/// Only the key and the URL rules matter to these commands; the settings of dispatching
/// (poll, concurrency, retention, public URL) are read with them, because they are one
/// group in `serve`, but hidden here.
#[derive(Debug, Args)]
#[command(
    mut_arg("webhook_poll_ms", |a| a.hide(true)),
    mut_arg("webhook_concurrency", |a| a.hide(true)),
    mut_arg("webhook_log_days", |a| a.hide(true)),
    mut_arg("event_retention_days", |a| a.hide(true)),
    mut_arg("public_url", |a| a.hide(true))
)]
pub struct WebhookCli {
    #[command(flatten, next_help_heading = "Webhook settings (as `serve` reads them)")]
    pub settings: WebhookArgs,
    #[command(subcommand)]
    pub command: WebhookCommand,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint. Its signing secret (`whsec_…`) is printed once and never again.
    #[command(
        mut_arg("url", |a| a.required(true)),
        mut_arg("events", |a| a.required(true)),
        after_help = "Examples:\n  feedbackd webhook create --project 7c9e… --url https://hooks.example.com/feedbackd \
        --event response.created --event response.erased\n  \
        feedbackd webhook create --project 7c9e… --url https://hooks.slack.com/services/… --format slack \
        --event response.created --survey nps-main --band detractor --description \"detractors to #feedback\" --json"
    )]
    Create {
        /// Project id.
        #[arg(long)]
        project: Uuid,
        #[command(flatten)]
        endpoint: EndpointOptions,
        /// Create it switched off: nothing is queued for it until `webhook update --enable`.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List a project's endpoints (never their secrets).
    #[command(after_help = "Example:\n  feedbackd webhook list --project 7c9e… --json")]
    List {
        /// Project id.
        #[arg(long)]
        project: Uuid,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show one endpoint, as `GET /v1/webhooks/{id}` answers it.
    #[command(after_help = "Example:\n  feedbackd webhook get --project 7c9e… 0193…")]
    Get(EndpointArgs),
    /// Change an endpoint: only what is given. `--enable` also clears why the service
    /// disabled it, and its queued deliveries go out again.
    #[command(after_help = "Examples:\n  feedbackd webhook update --project 7c9e… 0193… --enable\n  \
        feedbackd webhook update --project 7c9e… 0193… --event response.created --max-score 6 --has-comment true")]
    Update(Box<WebhookUpdateArgs>),
    /// Delete an endpoint, with its queued deliveries and their log.
    #[command(after_help = "Example:\n  feedbackd webhook delete --project 7c9e… 0193…")]
    Delete(EndpointArgs),
    /// Give an endpoint a new secret, printed once. The old one keeps signing beside it for
    /// the overlap (every message then carries both signatures).
    #[command(
        after_help = "Example:\n  feedbackd webhook rotate-secret --project 7c9e… 0193… --overlap-hours 48"
    )]
    RotateSecret {
        #[command(flatten)]
        target: EndpointTarget,
        /// Hours the current secret keeps signing too: 0 (drop it now) to 168 (a week).
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(0..=168))]
        overlap_hours: u32,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// An endpoint's deliveries, newest first: state, attempts, event.
    #[command(
        after_help = "Example:\n  feedbackd webhook deliveries --project 7c9e… 0193… --state failed --limit 20"
    )]
    Deliveries {
        #[command(flatten)]
        target: EndpointTarget,
        #[arg(long, value_enum)]
        state: Option<DeliveryState>,
        /// How many: 1 to 200.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=200))]
        limit: i64,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// One delivery with every attempt: outcome, HTTP status, latency, the receiver's answer.
    #[command(after_help = "Example:\n  feedbackd webhook delivery --project 7c9e… 0193… msg_0193…")]
    Delivery(DeliveryArgs),
    /// Send one delivery again now, with a fresh retry schedule and the same `webhook-id`.
    #[command(after_help = "Example:\n  feedbackd webhook resend --project 7c9e… 0193… msg_0193…")]
    Resend(DeliveryArgs),
    /// Queue again every event of [FROM, TO) the endpoint wants: for a receiver that was
    /// down, or one just added. Deliveries it had keep their `webhook-id`.
    #[command(after_help = "Example:\n  feedbackd webhook replay --project 7c9e… 0193… \
        --from 2026-11-29T00:00:00Z --to 2026-11-30T00:00:00Z")]
    Replay {
        #[command(flatten)]
        target: EndpointTarget,
        /// Start, RFC 3339 (included).
        #[arg(long)]
        from: DateTime<Utc>,
        /// End, RFC 3339 (excluded).
        #[arg(long)]
        to: DateTime<Utc>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Which endpoint.
#[derive(Debug, Args)]
pub struct EndpointTarget {
    /// Project id: every endpoint belongs to one.
    #[arg(long)]
    pub project: Uuid,
    /// Endpoint id (from `webhook list`).
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

/// An endpoint and how to print it.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    #[command(flatten)]
    pub target: EndpointTarget,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One delivery of an endpoint, and how to print it.
#[derive(Debug, Args)]
pub struct DeliveryArgs {
    #[command(flatten)]
    pub target: EndpointTarget,
    /// The delivery's id: `msg_…` (the `webhook-id`, from `webhook deliveries`).
    #[arg(value_parser = delivery_id, value_name = "DELIVERY")]
    pub delivery: Uuid,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What an endpoint is made of, for `create` and `update`; what is not given is kept (on
/// update) or takes its default (on create).
#[derive(Debug, Args)]
pub struct EndpointOptions {
    /// Where to send: https://… (plain http only to loopback, with
    /// FEEDBACKD_WEBHOOK_ALLOW_HTTP_LOOPBACK, for development).
    #[arg(long)]
    pub url: Option<String>,
    /// An event to send (repeatable; on update, the list given replaces the old one).
    #[arg(long = "event", value_name = "TYPE", value_enum)]
    pub events: Vec<EventType>,
    /// Only answers of this survey, key or id (repeatable; the list given replaces the old
    /// one); default every survey.
    #[arg(long = "survey", value_name = "SURVEY")]
    pub surveys: Vec<String>,
    /// The body: Standard Webhooks JSON, or a chat tool's incoming-webhook message.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub condition: ConditionArgs,
    /// What it is for (at most 500 characters).
    #[arg(long)]
    pub description: Option<String>,
}

/// Which answers an endpoint wants; all that are given must hold, erasures always pass.
/// On update, giving any of them replaces the whole condition.
#[derive(Debug, Args)]
pub struct ConditionArgs {
    /// Only scores in this band.
    #[arg(long, value_enum)]
    pub band: Option<Band>,
    /// Only scores at or below this.
    #[arg(long, value_name = "N")]
    pub max_score: Option<i16>,
    /// Only scores at or above this.
    #[arg(long, value_name = "N")]
    pub min_score: Option<i16>,
    /// Only answers with (true) or without (false) a comment.
    #[arg(long, action = ArgAction::Set, value_name = "true|false")]
    pub has_comment: Option<bool>,
}

impl ConditionArgs {
    /// The condition the flags make, or `None` when no flag was given.
    pub fn given(&self) -> Option<Condition> {
        let condition = Condition {
            band: self.band,
            max_score: self.max_score,
            min_score: self.min_score,
            has_comment: self.has_comment,
        };
        (condition != Condition::default()).then_some(condition)
    }
}

/// `feedbackd webhook update`: what to change.
#[derive(Debug, Args)]
pub struct WebhookUpdateArgs {
    #[command(flatten)]
    pub target: EndpointTarget,
    #[command(flatten)]
    pub endpoint: EndpointOptions,
    /// Send answers of every survey again (drops the --survey list).
    #[arg(long, conflicts_with = "surveys")]
    pub all_surveys: bool,
    /// Send every answer again (drops the condition).
    #[arg(long, conflicts_with_all = ["band", "max_score", "min_score", "has_comment"])]
    pub no_condition: bool,
    /// Switch it on (clears why the service switched it off).
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Switch it off: what is queued waits, and events meanwhile are not queued for it
    /// (`webhook replay` sends them once it is on again).
    #[arg(long)]
    pub disable: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A delivery's state in the log.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeliveryState {
    /// Owed: waiting for its next attempt.
    Pending,
    Delivered,
    /// The retries ran out, or the receiver answered 410.
    Failed,
    /// The answer was erased before it went out.
    Skipped,
}

impl DeliveryState {
    /// The name the delivery log uses, which is the flag's value.
    pub fn name(self) -> String {
        self.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
    }
}

/// A delivery's id as the log shows it (`msg_…`, the `webhook-id`), or as a plain UUID.
fn delivery_id(raw: &str) -> Result<Uuid, String> {
    let hex = raw.strip_prefix("msg_").unwrap_or(raw);
    Uuid::parse_str(hex)
        .map_err(|_| format!("{raw:?} is not a delivery id (msg_… from `webhook deliveries`)"))
}
