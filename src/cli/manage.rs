//! Arguments of `feedbackd survey …` and `feedbackd project update`: everything the
//! management API can change, as flags. They are parsed into the types the API's bodies
//! become, and the commands call the same `manage` functions.

use super::{parse_retention_days, OutputArgs, RetentionDays};
use clap::{ArgAction, Args, Subcommand};
use feedbackd_core::ingest::ip::IpPolicy;
use feedbackd_domain::{Presentation, Questions, ScheduleTime, SurveyKind, Targeting};
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::str::FromStr;
use uuid::Uuid;

/// `VALUE` or `none`: a setting that can be removed.
#[derive(Debug, Clone)]
pub struct OrNone<T>(pub Option<T>);

/// Parses `none`, or a value of `T`.
fn or_none<T: FromStr>(s: &str) -> Result<OrNone<T>, String>
where
    T::Err: Display,
{
    if s == "none" {
        return Ok(OrNone(None));
    }
    s.parse::<T>().map(|v| OrNone(Some(v))).map_err(|e| e.to_string())
}

/// Parses JSON given inline or, as `@path`, read from a file.
fn json_arg<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    let text = match s.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?,
        None => s.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Which survey.
#[derive(Debug, Args)]
pub struct SurveyTarget {
    /// Project id.
    #[arg(long)]
    pub project: Uuid,
    /// Survey key or id.
    #[arg(long)]
    pub survey: String,
}

/// A survey and how to print it.
#[derive(Debug, Args)]
pub struct SurveyArgs {
    #[command(flatten)]
    pub target: SurveyTarget,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum SurveyCommand {
    /// Create an active survey.
    #[command(after_help = "Example:\n  feedbackd survey create --project 7c9e… --kind nps --key nps-main \
        --question \"How likely are you to recommend us to a friend?\" --json")]
    Create {
        #[arg(long)]
        project: Uuid,
        #[arg(long, value_enum)]
        kind: SurveyKind,
        /// Slug the widget uses: lowercase letters, digits, '-' and '_'.
        #[arg(long)]
        key: String,
        #[arg(long)]
        question: String,
        /// Lowest score (default by kind: NPS 0, CSAT 1, CES 1, rating 1).
        #[arg(long)]
        scale_min: Option<i16>,
        /// Highest score (default by kind: NPS 10, CSAT 5, CES 7, rating 5).
        #[arg(long)]
        scale_max: Option<i16>,
        /// Questions beyond the score, as the API takes them: [{"key": "reason", "kind":
        /// "choice", "text": "…", "options": […]}]. A choice survey's first is `main`.
        #[arg(long, value_parser = json_arg::<Questions>, value_name = "JSON|@FILE")]
        questions: Option<Questions>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List a project's surveys.
    #[command(after_help = "Example:\n  feedbackd survey list --project 7c9e… --json")]
    List {
        #[arg(long)]
        project: Uuid,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show one survey, as `GET /v1/surveys/{survey}` answers it.
    #[command(after_help = "Example:\n  feedbackd survey get --project 7c9e… --survey nps-main --json")]
    Get(SurveyArgs),
    /// Edit a survey, as `PATCH /v1/surveys/{survey}` does: its text, display rules,
    /// translations, fatigue exemption, schedule and response limit.
    #[command(after_help = "Examples:\n  feedbackd survey update --project 7c9e… --survey nps-main \
        --opens-at 2026-12-01T09:00 --closes-at 2026-12-31T18:00 --response-limit 500\n  \
        feedbackd survey update --project 7c9e… --survey nps-main --presentation @nps-translations.json \
        --fatigue-exempt false --response-limit none --json")]
    Update(Box<SurveyUpdateArgs>),
    /// Pause an active survey: it takes no answers and is not shown until resumed.
    #[command(after_help = "Example:\n  feedbackd survey pause --project 7c9e… --survey nps-main")]
    Pause(SurveyArgs),
    /// Resume a paused survey, or activate a draft.
    #[command(after_help = "Example:\n  feedbackd survey resume --project 7c9e… --survey nps-main")]
    Resume(SurveyArgs),
    /// Archive a survey for good; its answers stay.
    #[command(after_help = "Example:\n  feedbackd survey archive --project 7c9e… --survey nps-main")]
    Archive(SurveyArgs),
    /// A survey's history, oldest first: what was done to it, and when its schedule or its
    /// response limit opened or closed it.
    #[command(after_help = "Example:\n  feedbackd survey history --project 7c9e… --survey nps-main --json")]
    History(SurveyArgs),
}

/// `feedbackd survey update`: what to change; what is not given keeps its value.
#[derive(Debug, Args)]
pub struct SurveyUpdateArgs {
    #[command(flatten)]
    pub target: SurveyTarget,
    /// New question (a new version of the survey).
    #[arg(long)]
    pub question: Option<String>,
    /// Lowest score (not for NPS).
    #[arg(long)]
    pub scale_min: Option<i16>,
    /// Highest score (not for NPS).
    #[arg(long)]
    pub scale_max: Option<i16>,
    /// Display rules, replaced whole: {"sample_rate": 0.5, "recontact_days": 30, "filters": […]}.
    #[arg(long, value_parser = json_arg::<Targeting>, value_name = "JSON|@FILE")]
    pub targeting: Option<Targeting>,
    /// Labels, follow-up questions and translations (`locales`), replaced whole.
    #[arg(long, value_parser = json_arg::<Presentation>, value_name = "JSON|@FILE")]
    pub presentation: Option<Presentation>,
    /// The questions as they should be; what is left out stays, retired.
    #[arg(long, value_parser = json_arg::<Questions>, value_name = "JSON|@FILE")]
    pub questions: Option<Questions>,
    /// Whether the survey escapes the project's fatigue rules (a feedback button).
    #[arg(long, action = ArgAction::Set, value_name = "true|false")]
    pub fatigue_exempt: Option<bool>,
    /// Takes answers from this time on: RFC 3339, or a local time (2026-12-01T09:00) in the
    /// project's time zone; `none` removes it.
    #[arg(long, value_parser = or_none::<ScheduleTime>, value_name = "TIME|none")]
    pub opens_at: Option<OrNone<ScheduleTime>>,
    /// Takes no answers from this time on; written as --opens-at.
    #[arg(long, value_parser = or_none::<ScheduleTime>, value_name = "TIME|none")]
    pub closes_at: Option<OrNone<ScheduleTime>>,
    /// Closes itself once this many answers are stored (1 to 100000000), or `none`.
    #[arg(long, value_parser = or_none::<i64>, value_name = "N|none")]
    pub response_limit: Option<OrNone<i64>>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `feedbackd project update`: what to change; what is not given keeps its value.
#[derive(Debug, Args)]
pub struct ProjectUpdateArgs {
    #[arg(long)]
    pub project: Uuid,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Browser origin allowed to send answers (repeatable; the list given replaces the old one).
    #[arg(long = "origin", value_name = "URL")]
    pub origins: Option<Vec<String>>,
    /// The project's own rate through its publishable key (COUNT/UNIT[:BURST]), or `none`
    /// for the service's.
    #[arg(long, value_parser = or_none::<String>, value_name = "RATE|none")]
    pub rate_limit_project: Option<OrNone<String>>,
    /// The project's own rate per respondent id, or `none` for the service's.
    #[arg(long, value_parser = or_none::<String>, value_name = "RATE|none")]
    pub rate_limit_respondent: Option<OrNone<String>>,
    /// A person sees at most one survey per this many days across the project (0: off).
    #[arg(long, value_name = "DAYS")]
    pub fatigue_days: Option<u32>,
    /// At most this many surveys per widget session (0: no cap).
    #[arg(long, value_name = "N")]
    pub fatigue_per_session: Option<u32>,
    /// A survey shown and ignored waits this many hours before it is shown again (0: off).
    #[arg(long, value_name = "HOURS")]
    pub fatigue_ignored_hours: Option<u32>,
    /// IANA zone in which schedule times without an offset are read.
    #[arg(long, value_name = "AREA/CITY")]
    pub time_zone: Option<String>,
    /// Delete answers older than this many days (by answered_at), or `none` to keep them.
    #[arg(long, value_parser = parse_retention_days, value_name = "DAYS|none")]
    pub retention_days: Option<RetentionDays>,
    /// What is kept of client addresses: drop (nothing), truncate (IPv4 /24, IPv6 /48), keep.
    #[arg(long, value_enum)]
    pub ip_policy: Option<IpPolicy>,
    #[command(flatten)]
    pub output: OutputArgs,
}
