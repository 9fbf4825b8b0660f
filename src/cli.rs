//! The command line. Every setting is a flag with a `FEEDBACKD_*` (or `DATABASE_URL`)
//! environment variable behind it, so clap gives one precedence rule (flag, then
//! environment, then default) and one clear message for a wrong value.

mod manage;
pub mod reference;
mod webhooks;

pub use manage::{OrNone, ProjectUpdateArgs, SurveyArgs, SurveyCommand, SurveyTarget, SurveyUpdateArgs};
pub use webhooks::{
    ConditionArgs, DeliveryArgs, DeliveryState, EndpointArgs, EndpointOptions, EndpointTarget, WebhookCli,
    WebhookCommand, WebhookUpdateArgs,
};

use crate::config::ServeArgs;
use crate::telemetry::LogFormat;
use clap::{Args, Parser, Subcommand};
use feedbackd_core::export::ExportFormat;
use feedbackd_domain::{KeyKind, Scope};
use secrecy::SecretString;
use std::path::PathBuf;
use uuid::Uuid;

/// feedbackd: in-app feedback (NPS, CSAT, CES, free text) stored durably in PostgreSQL.
#[derive(Debug, Parser)]
#[command(version, about, propagate_version = true)]
#[command(after_help = "Examples:\n  feedbackd serve\n  \
    DATABASE_URL=postgres://feedbackd@db/feedbackd feedbackd serve --listen 0.0.0.0:8080\n  \
    feedbackd project create --name Acme --origin https://app.acme.com --json")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes: where the database is, and how to log.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL URL. Without it, feedbackd runs its own PostgreSQL under --data-dir.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,
    /// Directory of the embedded default: its PostgreSQL cluster (pg/) and demo.json.
    #[arg(long, global = true, env = "FEEDBACKD_DATA_DIR", default_value = ".feedbackd")]
    pub data_dir: PathBuf,
    /// Log format.
    #[arg(long, global = true, env = "FEEDBACKD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first).
    #[command(after_help = "Example:\n  FEEDBACKD_LISTEN=0.0.0.0:8080 feedbackd serve")]
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit. Safe to run from several replicas at once.
    #[command(after_help = "Example:\n  DATABASE_URL=postgres://localhost/feedbackd feedbackd migrate")]
    Migrate,
    /// Manage projects (tenants).
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage API keys: publishable keys for widgets, scoped secret keys for the read API.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage surveys.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Manage share links to a survey's report page (read-only, expiring, revocable).
    #[command(subcommand)]
    ReportLink(ReportLinkCommand),
    /// Manage webhook endpoints: where answers are sent, signed, as they arrive; their
    /// delivery log, resends and replays.
    Webhook(WebhookCli),
    /// Print the HTTP API's OpenAPI 3.1 document (JSON) and exit; needs no database.
    #[command(after_help = "Example:\n  feedbackd openapi > openapi.json")]
    Openapi,
    /// Fill a survey with realistic synthetic answers (for benchmarks and demos).
    #[command(
        after_help = "Example:\n  feedbackd seed --project 7c9e… --survey nps-main --responses 10000000 --days 365"
    )]
    Seed(SeedArgs),
    /// Export answers as CSV or NDJSON (the same export as `GET /v1/exports/responses`).
    #[command(
        after_help = "Examples:\n  feedbackd export --project 7c9e… --survey nps-main --from 2026-10-01 --to 2026-10-31 \\\n    --tz Europe/Berlin --output october.csv\n  \
        feedbackd export --project 7c9e… --format ndjson --filter attributes.plan=pro --filter band=detractor | jq .comment"
    )]
    Export(ExportArgs),
    /// Retention: delete answers older than each project's retention.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Console accounts: people who sign in, and their role in each project.
    #[command(subcommand)]
    User(UserCommand),
    /// Maintain the score rollups.
    #[command(subcommand)]
    Rollups(RollupsCommand),
    /// Print a completion script for a shell to stdout.
    #[command(
        after_help = "Examples:\n  feedbackd completions bash > ~/.local/share/bash-completion/completions/feedbackd\n  \
        feedbackd completions zsh > ~/.zfunc/_feedbackd\n  \
        feedbackd completions fish > ~/.config/fish/completions/feedbackd.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, feedbackd(1), as roff to stdout.
    #[command(after_help = "Examples:\n  feedbackd man | man -l -\n  \
        feedbackd man > /usr/local/share/man/man1/feedbackd.1")]
    Man,
    /// Print docs/configuration.md, the reference of every setting, from these definitions.
    #[command(hide = true)]
    ConfigReference,
}

/// `feedbackd rollups …`
#[derive(Debug, Subcommand)]
pub enum RollupsCommand {
    /// Seal every survey's finished UTC days into the day rollups now (the service does
    /// it every `FEEDBACKD_SEAL_INTERVAL_SECS`); safe while the service runs.
    #[command(after_help = "Example:\n  feedbackd rollups seal")]
    Seal,
}

/// `feedbackd export`: which answers, in which format, to where.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Project id.
    #[arg(long)]
    pub project: Uuid,
    /// Survey key or id; default every survey.
    #[arg(long)]
    pub survey: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Start (RFC 3339, or a date meaning that local day); default: the first answer.
    #[arg(long)]
    pub from: Option<String>,
    /// End (RFC 3339, exclusive, or a date whose day is included); default now.
    #[arg(long)]
    pub to: Option<String>,
    /// IANA time zone for dates and the CSV's times; default UTC.
    #[arg(long)]
    pub tz: Option<String>,
    /// Any filter of the read API as NAME=VALUE (repeatable): score_min=9, band=detractor,
    /// attributes.plan=pro, has_comment=true, category=bug, q="dark mode",
    /// include_duplicates=true.
    #[arg(long = "filter", value_name = "NAME=VALUE")]
    pub filters: Vec<String>,
    /// Start the CSV with a UTF-8 byte order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
    /// Write here (atomically, when complete) instead of to stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Delete, in every project with a retention, the answers answered before the horizon
    /// (in batches of 5,000 rows per transaction) and contact rows not touched since.
    #[command(after_help = "Example:\n  feedbackd retention run --json")]
    Run {
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Its password is read from standard input (`--password-stdin`),
    /// or made up and printed once.
    #[command(after_help = "Examples:\n  feedbackd user create --email ana@example.com --admin\n  \
        printf '%s' \"$PASSWORD\" | feedbackd user create --email ana@example.com --password-stdin")]
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// May create projects and manage every one of them.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (its first line) instead of making one up.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Give an account a role in a project, or change it: owner (everything, keys and
    /// members included), editor (surveys, share links, exports), viewer (reports, exports).
    #[command(
        after_help = "Example:\n  feedbackd user role --project 7c9e… --email ana@example.com --role editor"
    )]
    Role {
        #[arg(long)]
        project: uuid::Uuid,
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: feedbackd_domain::Role,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// `--retention-days`: a number of days, or `none` to keep answers forever.
#[derive(Debug, Clone, Copy)]
pub struct RetentionDays(pub Option<i32>);

fn parse_retention_days(s: &str) -> Result<RetentionDays, String> {
    if s == "none" {
        return Ok(RetentionDays(None));
    }
    match s.parse::<i32>() {
        Ok(days) if (1..=36_500).contains(&days) => Ok(RetentionDays(Some(days))),
        _ => Err("must be a number of days from 1 to 36500, or `none`".into()),
    }
}

/// `feedbackd seed`: how many synthetic answers, over how long.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Project id.
    #[arg(long)]
    pub project: Uuid,
    /// Survey key or id.
    #[arg(long)]
    pub survey: String,
    /// How many answers to add.
    #[arg(long, default_value_t = 100_000)]
    pub responses: u64,
    /// Spread over this many days up to now.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Answers per COPY statement (the rollup triggers run once per statement).
    #[arg(long, default_value_t = 50_000)]
    pub batch: usize,
    /// Connections seeding in parallel, each its own slice of the period.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Random seed: the same seed gives the same answers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `--json`: print exactly one JSON document on stdout instead of text.
#[derive(Debug, Args, Clone, Copy)]
pub struct OutputArgs {
    /// Print one JSON document on stdout (for scripts).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project.
    #[command(after_help = "Example:\n  feedbackd project create --name Acme \
        --origin https://app.acme.com --origin https://acme.com --json")]
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Browser origin allowed to send answers (repeatable; `*` allows any).
        #[arg(long = "origin", value_name = "URL")]
        origins: Vec<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show a project's settings, as `GET /v1/project` answers them.
    #[command(after_help = "Example:\n  feedbackd project show --project 7c9e… --json")]
    Show {
        #[arg(long)]
        project: Uuid,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Change a project's settings: those `PATCH /v1/project` changes (name, origins, own
    /// rate limits, fatigue rules, time zone) and its privacy settings, which only the CLI sets.
    #[command(
        after_help = "Examples:\n  feedbackd project update --project 7c9e… --retention-days 365 --ip-policy truncate\n  \
        feedbackd project update --project 7c9e… --origin https://app.acme.com --origin https://acme.com \
        --rate-limit-respondent 60/min:20 --fatigue-days 30 --time-zone Europe/Berlin --json"
    )]
    Update(Box<ProjectUpdateArgs>),
    /// Give an attribute key rollups of its own, so breakdowns and filters by it read rollups
    /// instead of raw rows. Fills them from the stored answers, newest first, in chunks that
    /// each hold ingestion for milliseconds; reports count the key from the raw answers
    /// until the last chunk. Interrupted, it goes on where it stopped when run again.
    #[command(after_help = "Examples:\n  feedbackd project index --project 7c9e… --key plan\n  \
                            feedbackd project index --project 7c9e… --key plan --remove")]
    Index {
        #[arg(long)]
        project: Uuid,
        /// The attribute key (`plan`, or `attributes.plan`).
        #[arg(long)]
        key: String,
        /// Stop indexing it instead, and delete its rollups.
        #[arg(long)]
        remove: bool,
        /// Answers per chunk of the fill (each chunk holds ingestion while it runs).
        #[arg(long, default_value_t = feedbackd_core::manage::indexing::CHUNK_ROWS, value_name = "N")]
        chunk_answers: i64,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List projects.
    #[command(after_help = "Example:\n  feedbackd project list --json")]
    List {
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key. The token is printed once; only its SHA-256 hash is stored.
    #[command(after_help = "Examples:\n  feedbackd key create --project 7c9e… --kind publishable\n  \
        feedbackd key create --project 7c9e… --kind secret --scope surveys:read --scope responses:read --json")]
    Create {
        /// Project id.
        #[arg(long)]
        project: Uuid,
        #[arg(long, value_enum)]
        kind: KeyKind,
        /// Scope of a secret key (repeatable): surveys:read, surveys:write, responses:read,
        /// responses:export, reports:share, privacy, admin.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<Scope>,
        /// A name to recognise the key by.
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List a project's keys (never their tokens).
    #[command(after_help = "Example:\n  feedbackd key list --project 7c9e… --json")]
    List {
        #[arg(long)]
        project: Uuid,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Revoke a key; it is refused from then on.
    #[command(after_help = "Example:\n  feedbackd key revoke --project 7c9e… --id 0193…")]
    Revoke {
        #[arg(long)]
        project: Uuid,
        /// Key id (from `key list`).
        #[arg(long)]
        id: Uuid,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportLinkCommand {
    /// Make a share link to a survey's report page. The link is printed once; only its
    /// token's hash is stored. It is relative: put the service's address in front.
    #[command(after_help = "Example:\n  feedbackd report-link create --project 7c9e… --survey nps-main \
        --expires-in-hours 72 --label \"design review\" --json")]
    Create {
        #[arg(long)]
        project: Uuid,
        /// Survey key or id.
        #[arg(long)]
        survey: String,
        /// Hours until the link expires: 1 to 2160 (90 days).
        #[arg(long, default_value_t = feedbackd_core::manage::report_links::DEFAULT_HOURS)]
        expires_in_hours: u32,
        /// A name to recognise the link by.
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List a project's share links (never their tokens), live, expired and revoked.
    #[command(
        after_help = "Example:\n  feedbackd report-link list --project 7c9e… --survey nps-main --json"
    )]
    List {
        #[arg(long)]
        project: Uuid,
        /// Only this survey's links (key or id).
        #[arg(long)]
        survey: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Revoke a share link; pages it opened are refused from their next request on.
    #[command(after_help = "Example:\n  feedbackd report-link revoke --project 7c9e… --id 0193…")]
    Revoke {
        #[arg(long)]
        project: Uuid,
        /// Link id (from `report-link list`).
        #[arg(long)]
        id: Uuid,
        #[command(flatten)]
        output: OutputArgs,
    },
}
