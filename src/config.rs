//! Service settings. Each is a `serve` flag backed by a `FEEDBACKD_*` variable; clap checks
//! types and ranges (with a message naming the flag and the variable), and
//! [`ServeArgs::into_config`] checks what spans several settings. Nothing else reads the
//! environment.

use clap::Args;
use feedbackd_core::ratelimit::{RateLimitConfig, RateSpec};
pub use feedbackd_core::settings::{Limits, SpamConfig, WriterConfig};
use feedbackd_http::extract::client_ip::{ForwardingHeader, TrustedProxies};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::time::Duration;

/// Flags of `feedbackd serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the log says which).
    #[arg(long, env = "FEEDBACKD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "FEEDBACKD_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Database connections for reads and lookups (the writers have their own).
    #[arg(long, env = "FEEDBACKD_DB_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub db_pool_size: u32,
    /// Longest a database call may take (milliseconds). Past it the call fails and its
    /// connection is closed, so that a database host that hangs (its connections open and
    /// silent) cannot hold requests, and a failover is followed. Indexing an attribute is exempt.
    #[arg(long, env = "FEEDBACKD_DB_CALL_TIMEOUT_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub db_call_timeout_ms: u64,
    /// Streaming standbys for reports, report pages, the list and exports, separated by
    /// spaces (a URL may name several hosts). Writes stay on DATABASE_URL.
    #[arg(long, env = "FEEDBACKD_READ_DATABASE_URL", value_delimiter = ' ', num_args = 0.., hide_env_values = true)]
    pub read_database_url: Vec<SecretString>,
    /// A replica further behind than this (milliseconds of replay lag) is not read; the
    /// primary is, until the replica catches up.
    #[arg(long, env = "FEEDBACKD_READ_MAX_LAG_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub read_max_lag_ms: u64,
    /// Seconds to finish in-flight requests after SIGTERM/SIGINT before exiting.
    #[arg(long, env = "FEEDBACKD_SHUTDOWN_GRACE_SECS", default_value_t = 25,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: u64,
    /// Seconds between SIGTERM and closing the listener, while `/readyz` already answers 503:
    /// time for a load balancer to stop sending new connections here.
    #[arg(long, env = "FEEDBACKD_DRAIN_DELAY_SECS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub drain_delay_secs: u64,
    /// Seconds a key or survey lookup is cached at most. Changes reach the cache at once by
    /// database notification; this bounds their delay while the notifications are down.
    #[arg(long, env = "FEEDBACKD_AUTH_CACHE_TTL_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub auth_cache_ttl_secs: u64,
    /// Seconds between passes that seal finished UTC days into the day rollups (which make
    /// long-range reports fast); 0 turns the task off (`feedbackd rollups seal` does it once).
    #[arg(long, env = "FEEDBACKD_SEAL_INTERVAL_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub seal_interval_secs: u64,
    /// A token that `GET /metrics` requires as `Authorization: Bearer <token>`; unset, the
    /// metrics are open (keep the port private then).
    #[arg(long, env = "FEEDBACKD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<SecretString>,
    /// Seconds between retention runs, which delete answers older than each project's
    /// retention; 0 disables them here (run `feedbackd retention run` from cron instead).
    #[arg(long, env = "FEEDBACKD_RETENTION_INTERVAL_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(0..=604_800))]
    pub retention_interval_secs: u64,
    /// Seconds between passes of the task that detects the language of new comments, scores
    /// their sentiment and finds their themes (each pass drains the queue); 0 turns it off
    /// in this process.
    #[arg(long, env = "FEEDBACKD_SENTIMENT_INTERVAL_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub sentiment_interval_secs: u64,
    /// The most of its time, in percent, the comment task spends working while this
    /// replica's ingest is busy: after each batch it rests in proportion, so a burst of
    /// answers with comments keeps the cores for ingest; once ingest is quiet it catches up
    /// flat out (scripts/bench-themes).
    #[arg(long, env = "FEEDBACKD_COMMENT_ANALYSIS_SHARE", default_value_t = 20,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub comment_analysis_share: u8,
    /// Secret (32 characters or more) that signs report-page sessions; replicas must share
    /// it. Unset: a random one per start, so sessions end when the service restarts.
    #[arg(long, env = "FEEDBACKD_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<SecretString>,
    /// Opens the console's first-run page (`/console/setup?token=…`) to whoever holds this
    /// token, until the first account exists. The embedded default and `--demo` make one up
    /// and print the page's link. Unset otherwise: the first account then comes from
    /// `feedbackd user create --admin`.
    #[arg(long, env = "FEEDBACKD_SETUP_TOKEN", hide_env_values = true)]
    pub setup_token: Option<SecretString>,
    /// Single sign-on to the console: the OpenID Connect provider's issuer URL (discovery
    /// reads `/.well-known/openid-configuration` under it). Needs the client id and secret;
    /// register `{FEEDBACKD_PUBLIC_URL}/console/sso/callback` as the redirect URI.
    /// Written exactly as the provider's `iss` claim (with or without a trailing slash).
    #[arg(long, env = "FEEDBACKD_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The console's client id at the OpenID Connect provider.
    #[arg(long, env = "FEEDBACKD_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The console's client secret at the OpenID Connect provider.
    #[arg(long, env = "FEEDBACKD_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<SecretString>,
    /// What the sign-in button calls the provider ("Sign in with …").
    #[arg(long, env = "FEEDBACKD_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,
    /// On a database with no project yet, create a demo project (an NPS survey, a publishable
    /// and an admin key), keep its keys in `demo.json` under --data-dir and print them, as the
    /// embedded default always does. For a first try, such as `docker compose up`.
    #[arg(long, env = "FEEDBACKD_DEMO", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub writer: WriterArgs,
    #[command(flatten)]
    pub abuse: AbuseArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// Webhooks and the change feed.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// 32 random bytes, base64 (`openssl rand -base64 32`), that seal endpoint signing
    /// secrets in the database, so a dump alone cannot sign; replicas must share it. Unset:
    /// endpoints cannot be created or sent to, except with the embedded database, which keeps
    /// a generated key in `webhook.key` under --data-dir.
    #[arg(long, env = "FEEDBACKD_WEBHOOK_KEY", hide_env_values = true)]
    pub webhook_key: Option<SecretString>,
    /// Milliseconds an idle dispatcher waits before looking for new events and due
    /// deliveries again; 0 turns dispatching off in this process (another replica sends).
    #[arg(long, env = "FEEDBACKD_WEBHOOK_POLL_MS", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub webhook_poll_ms: u64,
    /// Deliveries one process sends to one endpoint at once: a slow receiver holds at most
    /// this many, and never starves the others.
    #[arg(long, env = "FEEDBACKD_WEBHOOK_CONCURRENCY", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub webhook_concurrency: u32,
    /// Allow plain-http endpoints on loopback (development only).
    #[arg(long, env = "FEEDBACKD_WEBHOOK_ALLOW_HTTP_LOOPBACK", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_http_loopback: bool,
    /// Private networks endpoints may be in (CIDR, comma-separated), e.g. an internal
    /// receiver at 10.1.2.0/24. Every other private, loopback, link-local or metadata
    /// address is refused after DNS resolution.
    #[arg(long, env = "FEEDBACKD_WEBHOOK_ALLOWED_NETWORKS", value_delimiter = ',')]
    pub webhook_allowed_networks: Vec<ipnet::IpNet>,
    /// Days the delivery log keeps settled deliveries and their attempts.
    #[arg(long, env = "FEEDBACKD_WEBHOOK_LOG_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub webhook_log_days: u32,
    /// Days the change feed keeps events (longer while a delivery still needs them).
    #[arg(long, env = "FEEDBACKD_EVENT_RETENTION_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub event_retention_days: u32,
    /// The address people reach this service at (e.g. `https://feedback.example.com`), for
    /// the report links in Slack, Teams and Discord messages. Unset: no link.
    #[arg(long, env = "FEEDBACKD_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Shrinks the retry schedule by this factor (0.01: 5 min become 3 s) for fault drills
    /// such as scripts/chaos-webhooks; never for production.
    #[arg(long, env = "FEEDBACKD_WEBHOOK_RETRY_SCALE", default_value_t = 1.0, hide = true,
          value_parser = retry_scale)]
    pub webhook_retry_scale: f64,
}

fn retry_scale(raw: &str) -> Result<f64, String> {
    let scale: f64 = raw.parse().map_err(|_| format!("{raw:?} is not a number"))?;
    (0.001..=1.0).contains(&scale).then_some(scale).ok_or_else(|| "must be from 0.001 to 1".to_string())
}

/// Rate limits, trusted proxies and spam signals.
#[derive(Debug, Clone, Args)]
pub struct AbuseArgs {
    /// Requests per client IP on the widget endpoints (COUNT/UNIT[:BURST], UNIT s|min|h).
    #[arg(long, env = "FEEDBACKD_RATE_LIMIT_IP", default_value = "20/s:60")]
    pub rate_limit_ip: RateSpec,
    /// Requests per project through its publishable key: protects the database.
    #[arg(long, env = "FEEDBACKD_RATE_LIMIT_PROJECT", default_value = "2000/s:4000")]
    pub rate_limit_project: RateSpec,
    /// Answers per respondent id.
    #[arg(long, env = "FEEDBACKD_RATE_LIMIT_RESPONDENT", default_value = "30/min:10")]
    pub rate_limit_respondent: RateSpec,
    /// Requests per secret key on the read and management API.
    #[arg(long, env = "FEEDBACKD_RATE_LIMIT_SECRET_KEY", default_value = "50/s:100")]
    pub rate_limit_secret_key: RateSpec,
    /// Redis shared by every replica, for rate limits enforced across all of them
    /// (`redis://host:6379/0`); without it each replica limits alone.
    #[arg(long, env = "FEEDBACKD_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,
    /// How long a rate-limit call to Redis may take before this replica decides alone
    /// with its share of the limit (milliseconds).
    #[arg(long, env = "FEEDBACKD_REDIS_TIMEOUT_MS", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=5000))]
    pub redis_timeout_ms: u64,
    /// Keys each limiter tracks before new ones share overflow buckets (bounds memory).
    #[arg(long, env = "FEEDBACKD_RATE_LIMIT_MAX_KEYS", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1000..=100_000_000))]
    pub rate_limit_max_keys: u64,
    /// Proxies (comma-separated CIDRs) whose forwarding header (FEEDBACKD_FORWARDED_HEADER) is believed.
    #[arg(long, env = "FEEDBACKD_TRUSTED_PROXIES", value_delimiter = ',', num_args = 0..)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The one header the trusted proxies write the client's address into:
    /// `x-forwarded-for` or `forwarded` (RFC 7239). The other is ignored, so that a client
    /// cannot name its own address in the header a proxy passes through.
    #[arg(long, env = "FEEDBACKD_FORWARDED_HEADER", default_value_t = ForwardingHeader::XForwardedFor)]
    pub forwarded_header: ForwardingHeader,
    /// Answers given faster than this after the widget showed (its `time_to_answer_ms`) are
    /// taken for bots: acknowledged and dropped. 0 disables.
    #[arg(long, env = "FEEDBACKD_MIN_TIME_TO_ANSWER_MS", default_value_t = 400)]
    pub min_time_to_answer_ms: u64,
    /// An answer that repeats one the same respondent gave the same survey (same score and
    /// comment) within this many seconds is stored, flagged, and left out of the figures.
    #[arg(long, env = "FEEDBACKD_DUPLICATE_COMMENT_WINDOW_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub duplicate_comment_window_secs: u64,
}

/// Size limits on what widgets send. Over a limit is a 413 or 422 naming it, never truncation.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest body of a single answer, in bytes.
    #[arg(long, env = "FEEDBACKD_MAX_BODY_BYTES", default_value_t = 64 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=16 * 1024 * 1024))]
    pub max_body_bytes: u64,
    /// Largest body of a batch, in bytes.
    #[arg(long, env = "FEEDBACKD_MAX_BATCH_BODY_BYTES", default_value_t = 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=64 * 1024 * 1024))]
    pub max_batch_body_bytes: u64,
    /// Most answers in one batch.
    #[arg(long, env = "FEEDBACKD_MAX_BATCH_ANSWERS", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub max_batch_answers: u32,
    /// Longest comment, in characters.
    #[arg(long, env = "FEEDBACKD_MAX_COMMENT_CHARS", default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_comment_chars: u32,
    /// Most attributes on one answer.
    #[arg(long, env = "FEEDBACKD_MAX_ATTRIBUTES", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(0..=256))]
    pub max_attributes: u32,
    /// Longest attribute key, in characters.
    #[arg(long, env = "FEEDBACKD_MAX_ATTRIBUTE_KEY_CHARS", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_attribute_key_chars: u32,
    /// Longest attribute value (and respondent id, user agent), in characters.
    #[arg(long, env = "FEEDBACKD_MAX_ATTRIBUTE_VALUE_CHARS", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_attribute_value_chars: u32,
    /// Longest page URL, in characters.
    #[arg(long, env = "FEEDBACKD_MAX_URL_CHARS", default_value_t = 2048,
          value_parser = clap::value_parser!(u32).range(16..=65_536))]
    pub max_url_chars: u32,
    /// How far in the future a client timestamp may be (clock skew), in seconds.
    #[arg(long, env = "FEEDBACKD_MAX_CLOCK_SKEW_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub max_clock_skew_secs: u64,
    /// How old a client timestamp may be (offline queues), in days.
    #[arg(long, env = "FEEDBACKD_MAX_BACKDATE_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub max_backdate_days: u32,
}

/// The group-commit writer.
#[derive(Debug, Clone, Args)]
pub struct WriterArgs {
    /// Answers waiting for the writer before new ones are refused with 503.
    #[arg(long, env = "FEEDBACKD_WRITER_QUEUE", default_value_t = 8192,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub writer_queue: u32,
    /// Most answers written in one transaction (1 disables batching).
    #[arg(long, env = "FEEDBACKD_WRITER_BATCH", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub writer_batch: u32,
    /// Writer connections; two let one batch commit while the next is inserted.
    #[arg(long, env = "FEEDBACKD_WRITERS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=32))]
    pub writers: u32,
    /// Milliseconds an answer may wait for its commit before the client gets 503 (and retries).
    #[arg(long, env = "FEEDBACKD_INGEST_TIMEOUT_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(100..=120_000))]
    pub ingest_timeout_ms: u64,
}

/// Validated settings of the service, shared by every worker.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub workers: usize,
    pub db_pool_size: u32,
    /// Longest a database call may take before its connection is closed.
    pub db_call_timeout: Duration,
    /// Read replicas, and the lag past which they are not read.
    pub read_replicas: Vec<SecretString>,
    pub read_max_lag: Duration,
    pub shutdown_grace: Duration,
    pub drain_delay: Duration,
    pub auth_cache_ttl: Duration,
    /// How often finished days are sealed; `None`: never (by this process).
    pub seal_interval: Option<Duration>,
    /// The token `/metrics` requires, if any.
    pub metrics_token: Option<SecretString>,
    /// Time between retention runs; `None` disables them in this process.
    pub retention_interval: Option<Duration>,
    /// Time between sentiment passes; `None` disables them in this process.
    pub sentiment_interval: Option<Duration>,
    /// The share of the time (0..=1) the comment task may work.
    pub comment_analysis_share: f64,
    pub limits: Limits,
    pub writer: WriterConfig,
    pub rate_limits: RateLimitConfig,
    /// Redis for limits shared across replicas, and how long a call may take.
    pub redis: Option<(SecretString, Duration)>,
    pub trusted_proxies: TrustedProxies,
    pub spam: SpamConfig,
    /// Signs report-page sessions; `None`: a random secret per start.
    pub session_secret: Option<SecretString>,
    /// Opens the console's first-run page; `None`: closed.
    pub setup_token: Option<SecretString>,
    /// Single sign-on to the console; `None`: passwords only.
    pub sso: Option<feedbackd_core::sso::SsoSettings>,
    pub webhooks: WebhookConfig,
}

/// How this process handles webhooks.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Seals endpoint secrets; `None`: webhooks are off.
    pub key: Option<SecretString>,
    /// `None`: this process does not dispatch.
    pub poll: Option<Duration>,
    pub per_endpoint: usize,
    pub allow_http_loopback: bool,
    pub allowed_networks: Vec<ipnet::IpNet>,
    pub log_retention: Duration,
    pub feed_retention: Duration,
    pub public_url: Option<String>,
    pub retry_scale: f64,
}

/// A setting that is valid alone but not with the others.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ServeArgs {
    /// Checks the settings against each other and builds the [`Config`].
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let l = self.limits;
        if l.max_batch_body_bytes < l.max_body_bytes {
            return Err(ConfigError(format!(
                "FEEDBACKD_MAX_BATCH_BODY_BYTES ({}) must be at least FEEDBACKD_MAX_BODY_BYTES ({})",
                l.max_batch_body_bytes, l.max_body_bytes
            )));
        }
        if self.session_secret.as_ref().is_some_and(|s| s.expose_secret().chars().count() < 32) {
            return Err(ConfigError("FEEDBACKD_SESSION_SECRET must be at least 32 characters".into()));
        }
        let oidc =
            [self.oidc_issuer.is_some(), self.oidc_client_id.is_some(), self.oidc_client_secret.is_some()];
        if oidc.contains(&true) && oidc.contains(&false) {
            return Err(ConfigError(
                "single sign-on needs FEEDBACKD_OIDC_ISSUER, FEEDBACKD_OIDC_CLIENT_ID and FEEDBACKD_OIDC_CLIENT_SECRET together".into(),
            ));
        }
        if let Some(issuer) = &self.oidc_issuer {
            url::Url::parse(issuer)
                .map_err(|e| ConfigError(format!("FEEDBACKD_OIDC_ISSUER is not a URL ({e}): {issuer}")))?;
        }
        let workers = match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        Ok(Config {
            listen: self.listen,
            workers,
            db_pool_size: self.db_pool_size,
            db_call_timeout: Duration::from_millis(self.db_call_timeout_ms),
            read_replicas: self.read_database_url,
            read_max_lag: Duration::from_millis(self.read_max_lag_ms),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            drain_delay: Duration::from_secs(self.drain_delay_secs),
            auth_cache_ttl: Duration::from_secs(self.auth_cache_ttl_secs),
            seal_interval: (self.seal_interval_secs > 0)
                .then(|| Duration::from_secs(self.seal_interval_secs)),
            metrics_token: self.metrics_token.filter(|t| !t.expose_secret().is_empty()),
            retention_interval: (self.retention_interval_secs > 0)
                .then(|| Duration::from_secs(self.retention_interval_secs)),
            sentiment_interval: (self.sentiment_interval_secs > 0)
                .then(|| Duration::from_secs(self.sentiment_interval_secs)),
            comment_analysis_share: f64::from(self.comment_analysis_share) / 100.0,
            limits: Limits {
                max_body_bytes: l.max_body_bytes as usize,
                max_batch_body_bytes: l.max_batch_body_bytes as usize,
                max_batch_answers: l.max_batch_answers as usize,
                max_comment_chars: l.max_comment_chars as usize,
                max_attributes: l.max_attributes as usize,
                max_attribute_key_chars: l.max_attribute_key_chars as usize,
                max_attribute_value_chars: l.max_attribute_value_chars as usize,
                max_url_chars: l.max_url_chars as usize,
                max_clock_skew: chrono::Duration::seconds(l.max_clock_skew_secs as i64),
                max_backdate: chrono::Duration::days(i64::from(l.max_backdate_days)),
            },
            writer: WriterConfig {
                queue: self.writer.writer_queue as usize,
                batch: self.writer.writer_batch as usize,
                writers: self.writer.writers as usize,
                timeout: Duration::from_millis(self.writer.ingest_timeout_ms),
                duplicate_window: Duration::from_secs(self.abuse.duplicate_comment_window_secs),
            },
            rate_limits: RateLimitConfig {
                ip: self.abuse.rate_limit_ip,
                project: self.abuse.rate_limit_project,
                respondent: self.abuse.rate_limit_respondent,
                secret_key: self.abuse.rate_limit_secret_key,
                max_keys: self.abuse.rate_limit_max_keys as usize,
            },
            redis: self.abuse.redis_url.map(|url| (url, Duration::from_millis(self.abuse.redis_timeout_ms))),
            trusted_proxies: TrustedProxies {
                nets: self.abuse.trusted_proxies,
                header: self.abuse.forwarded_header,
            },
            session_secret: self.session_secret,
            setup_token: self.setup_token,
            sso: match (self.oidc_issuer, self.oidc_client_id, self.oidc_client_secret) {
                (Some(issuer), Some(client_id), Some(client_secret)) => {
                    Some(feedbackd_core::sso::SsoSettings {
                        issuer,
                        client_id,
                        client_secret,
                        name: self.oidc_name,
                    })
                }
                _ => None,
            },
            webhooks: self.webhooks.into_config()?,
            spam: SpamConfig { min_time_to_answer: Duration::from_millis(self.abuse.min_time_to_answer_ms) },
        })
    }
}

impl WebhookArgs {
    /// Checks the key and builds the [`WebhookConfig`]; `feedbackd webhook` builds its
    /// own from the same variables this way.
    pub fn into_config(self) -> Result<WebhookConfig, ConfigError> {
        if let Some(key) = &self.webhook_key {
            feedbackd_core::webhooks::secrets::MasterKey::from_base64(key.expose_secret())
                .map_err(|e| ConfigError(format!("FEEDBACKD_WEBHOOK_KEY: {e}")))?;
        }
        let days = |d: u32| Duration::from_secs(u64::from(d) * 86_400);
        Ok(WebhookConfig {
            key: self.webhook_key,
            poll: (self.webhook_poll_ms > 0).then(|| Duration::from_millis(self.webhook_poll_ms)),
            per_endpoint: self.webhook_concurrency as usize,
            allow_http_loopback: self.webhook_allow_http_loopback,
            allowed_networks: self.webhook_allowed_networks,
            log_retention: days(self.webhook_log_days),
            feed_retention: days(self.event_retention_days),
            public_url: self.public_url.map(|u| u.as_str().trim_end_matches('/').to_string()),
            retry_scale: self.webhook_retry_scale,
        })
    }
}

impl Config {
    /// Settings for tests and embedding: the defaults of `feedbackd serve`, listening on a free port.
    pub fn for_tests() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            serve: ServeArgs,
        }
        // Parsed from an empty command line so the defaults live in one place (FEEDBACKD_*
        // variables still apply, so a test run can be tuned); only the address is fixed.
        let mut args = Defaults::parse_from(["feedbackd"]).serve;
        args.listen = "127.0.0.1:0".parse().expect("literal address");
        // Sealing moves reads between rollups while a test runs: tests that want it ask.
        args.seal_interval_secs = 0;
        // Scoring rewrites rows that tests compare with what they read: tests that want it ask.
        args.sentiment_interval_secs = 0;
        // The dispatcher queries in the background (tests count round trips): tests that
        // want webhooks or the change feed to move ask.
        args.webhooks.webhook_poll_ms = 0;
        args.into_config().expect("defaults are valid")
    }
}
