//! Rate limits, checked before any database work: per client IP, per project (the
//! publishable key's project-wide cap), per respondent, and per secret key. Projects may
//! override the project and respondent rates (`projects.rate_limits`).

mod keyed;
mod shared;
mod spec;

pub use keyed::{BoundedKeyed, Check};
pub use shared::{SharedLimit, SharedLimits, HEARTBEAT};
pub use spec::RateSpec;

use feedbackd_store::models::Project;
use moka::sync::Cache;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The service-wide rates.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub ip: RateSpec,
    pub project: RateSpec,
    pub respondent: RateSpec,
    pub secret_key: RateSpec,
    /// Most keys each limiter tracks before new keys share overflow buckets.
    pub max_keys: usize,
}

/// A project's own rates, stored as JSON in `projects.rate_limits`:
/// `{"project": "5000/s:10000", "respondent": "60/min:20"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectRates {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<RateSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respondent: Option<RateSpec>,
}

/// Which limiter decided, under what rate, and what it decided.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub limiter: &'static str,
    pub spec: RateSpec,
    pub check: Check,
}

impl Outcome {
    /// Whether the request may go on.
    pub fn allowed(&self) -> bool {
        matches!(self.check, Check::Allowed { .. })
    }
}

/// Limiters of one set of rates.
struct Set {
    project: BoundedKeyed<Uuid>,
    respondent: BoundedKeyed<(Uuid, String)>,
}

/// What a request is limited by.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// The client's address, before the key is even looked at.
    Ip(IpAddr),
    /// A secret key, on the read and management API.
    SecretKey(Uuid),
    /// The project-wide cap of a publishable key.
    Project(&'a Project),
    /// One respondent of a project.
    Respondent(&'a Project, &'a str),
    /// Sign-in attempts at one console account (its normalised address, whether or not
    /// an account has it): [`SIGN_IN`].
    SignIn(&'a str),
}

/// Sign-in attempts per address: ten, then one a minute. Slow enough that guessing a
/// password is hopeless, and never a lockout: its owner waits a minute at worst.
pub const SIGN_IN: RateSpec = RateSpec { count: 1, unit: Duration::from_secs(60), burst: 10 };

/// In-process limiters of one replica, each enforcing `1/share` of its rate: the whole
/// rate alone, or this replica's share while the shared limits are unreachable.
struct Local {
    ip: BoundedKeyed<IpAddr>,
    secret_key: BoundedKeyed<Uuid>,
    sign_in: BoundedKeyed<String>,
    defaults: Set,
    /// Limiters of projects with their own rates, made on first use. Keyed by the rates
    /// themselves, so nothing here goes stale: new rates arrive with the project in the
    /// key cache, which notifications keep current, and the old rates' limiters idle out.
    overrides: Cache<(Uuid, ProjectRates), Arc<Set>>,
    config: RateLimitConfig,
    share: u32,
}

impl Local {
    fn new(config: RateLimitConfig, share: u32) -> Self {
        let part = |spec: RateSpec| spec.share(share);
        Local {
            ip: BoundedKeyed::new(part(config.ip), config.max_keys),
            secret_key: BoundedKeyed::new(part(config.secret_key), config.max_keys),
            sign_in: BoundedKeyed::new(part(SIGN_IN), config.max_keys),
            defaults: Set {
                project: BoundedKeyed::new(part(config.project), config.max_keys),
                respondent: BoundedKeyed::new(part(config.respondent), config.max_keys),
            },
            overrides: Cache::builder().max_capacity(1000).time_to_idle(Duration::from_secs(3600)).build(),
            config,
            share,
        }
    }

    fn check(&self, subject: Subject<'_>) -> Outcome {
        match subject {
            Subject::Ip(ip) => outcome("ip", &self.ip, &ip),
            Subject::SecretKey(id) => outcome("secret_key", &self.secret_key, &id),
            Subject::SignIn(address) => outcome("sign_in", &self.sign_in, &address.to_string()),
            Subject::Project(project) => outcome("project", &self.set_for(project).project, &project.id),
            Subject::Respondent(project, respondent) => outcome(
                "respondent",
                &self.set_for(project).respondent,
                &(project.id, respondent.to_string()),
            ),
        }
    }

    fn set_for(&self, project: &Project) -> SetRef<'_> {
        match own_rates(project) {
            None => SetRef::Default(&self.defaults),
            Some(rates) => {
                let (config, share) = (&self.config, self.share);
                SetRef::Own(self.overrides.get_with((project.id, rates.clone()), || {
                    let rate = |own: Option<RateSpec>, default| own.unwrap_or(default).share(share);
                    Arc::new(Set {
                        project: BoundedKeyed::new(rate(rates.project, config.project), config.max_keys),
                        respondent: BoundedKeyed::new(
                            rate(rates.respondent, config.respondent),
                            config.max_keys,
                        ),
                    })
                }))
            }
        }
    }

    fn sweep(&self) {
        self.ip.sweep();
        self.secret_key.sweep();
        self.sign_in.sweep();
        self.defaults.project.sweep();
        self.defaults.respondent.sweep();
        for (_, set) in self.overrides.iter() {
            set.project.sweep();
            set.respondent.sweep();
        }
    }

    fn tracked_keys(&self) -> usize {
        self.ip.len()
            + self.secret_key.len()
            + self.sign_in.len()
            + self.defaults.project.len()
            + self.defaults.respondent.len()
    }
}

/// A project's own rates, if it has any.
fn own_rates(project: &Project) -> Option<ProjectRates> {
    project
        .rate_limits
        .as_ref()
        .and_then(|value| serde_json::from_value::<ProjectRates>(value.clone()).ok())
        .filter(|rates| *rates != ProjectRates::default())
}

/// Every limiter of the service: in-process, or shared by every replica through Redis
/// (`FEEDBACKD_REDIS_URL`) with the in-process ones as the pre-check and the fallback.
pub struct Limiters {
    local: Local,
    shared: Option<Arc<SharedLimits>>,
    /// This replica's shares, made when Redis is first found unreachable and remade when
    /// the number of replicas changes.
    fallback: Mutex<Option<Arc<Local>>>,
}

impl Limiters {
    /// In-process limiters for `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Limiters { local: Local::new(config, 1), shared: None, fallback: Mutex::new(None) }
    }

    /// Limiters shared through `shared`, for `config`.
    pub fn shared(config: RateLimitConfig, shared: Arc<SharedLimits>) -> Self {
        Limiters { shared: Some(shared), ..Limiters::new(config) }
    }

    /// Whether the limits are shared through Redis (the early address check is then only
    /// the pre-check, and the shared outcome is the one to report).
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The Redis side, if the limits are shared (for its heartbeat).
    pub fn shared_limits(&self) -> Option<&Arc<SharedLimits>> {
        self.shared.as_ref()
    }

    /// The per-address limit on this replica, before anything else is done: the whole
    /// check when the limits are in process, the pre-check when they are shared (an
    /// address over its limit on this replica alone is over it everywhere, and costs no
    /// round trip). Callers pass the address to [`Limiters::check`] too.
    pub fn early_ip(&self, ip: IpAddr) -> Outcome {
        self.local.check(Subject::Ip(ip))
    }

    /// Checks every limit of `subjects` (after [`Limiters::early_ip`] for an address):
    /// when the limits are shared, in one round trip to Redis that consumes only if all
    /// allow; in process, in order up to the first refusal (the address was checked
    /// early). Returns the outcomes checked; the last is the refusal, if any.
    pub async fn check(&self, subjects: &[Subject<'_>]) -> Vec<Outcome> {
        let Some(shared) = &self.shared else { return self.check_in_process(subjects) };
        let limits: Vec<SharedLimit> = subjects.iter().map(|s| self.shared_limit(*s)).collect();
        match shared.check(&limits).await {
            Some(checks) => limits
                .iter()
                .zip(checks)
                .map(|(limit, check)| {
                    if !matches!(check, Check::Allowed { .. }) {
                        metrics::counter!("feedbackd_rate_limited_total", "limiter" => limit.limiter)
                            .increment(1);
                    }
                    Outcome { limiter: limit.limiter, spec: limit.spec, check }
                })
                .collect(),
            None => {
                let fallback = self.fallback(shared.replicas());
                self.check_locally(&fallback, subjects)
            }
        }
    }

    /// [`Limiters::check`] against this replica's share of each limit (the limit ÷ the
    /// replicas beating in Redis; in process, the whole limit), with no round trip: for
    /// reads served from memory, whose only cost is this replica's CPU, so that Redis is
    /// not on the path of every page view. Together the replicas still admit about one limit.
    pub fn check_by_share(&self, subjects: &[Subject<'_>]) -> Vec<Outcome> {
        match &self.shared {
            None => self.check_in_process(subjects),
            Some(shared) => self.check_locally(&self.fallback(shared.replicas()), subjects),
        }
    }

    /// [`Limiters::check`] of limits kept in process (the address was checked early).
    pub fn check_in_process(&self, subjects: &[Subject<'_>]) -> Vec<Outcome> {
        let rest: Vec<Subject<'_>> =
            subjects.iter().copied().filter(|s| !matches!(s, Subject::Ip(_))).collect();
        self.check_locally(&self.local, &rest)
    }

    fn check_locally(&self, local: &Local, subjects: &[Subject<'_>]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let outcome = local.check(*subject);
            outcomes.push(outcome);
            if !outcome.allowed() {
                break;
            }
        }
        outcomes
    }

    /// The bucket and rate of `subject` in the shared limits.
    fn shared_limit(&self, subject: Subject<'_>) -> SharedLimit {
        let config = &self.local.config;
        let rates = |project: &Project| own_rates(project).unwrap_or_default();
        let (limiter, key, spec) = match subject {
            Subject::Ip(ip) => ("ip", ip.to_string(), config.ip),
            Subject::SecretKey(id) => ("secret_key", id.to_string(), config.secret_key),
            // Hashed: Redis need not hold people's addresses.
            Subject::SignIn(address) => {
                ("sign_in", hex::encode(feedbackd_domain::hash_token(address)), SIGN_IN)
            }
            Subject::Project(p) => ("project", p.id.to_string(), rates(p).project.unwrap_or(config.project)),
            Subject::Respondent(p, r) => {
                ("respondent", format!("{}:{r}", p.id), rates(p).respondent.unwrap_or(config.respondent))
            }
        };
        SharedLimit { limiter, key, spec }
    }

    /// This replica's share of every limit: while Redis is unreachable, and for reads
    /// limited by share.
    fn fallback(&self, replicas: u32) -> Arc<Local> {
        let mut slot = self.fallback.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(local) if local.share == replicas => local.clone(),
            _ => {
                let local = Arc::new(Local::new(self.local.config.clone(), replicas));
                *slot = Some(local.clone());
                local
            }
        }
    }

    /// Frees memory of keys that are idle again; run on a timer.
    pub fn sweep(&self) {
        self.local.sweep();
        let fallback = self.fallback.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(fallback) = fallback {
            fallback.sweep();
        }
    }

    /// Keys tracked by all limiters (for metrics and the memory benchmark).
    pub fn tracked_keys(&self) -> usize {
        self.local.tracked_keys()
    }
}

enum SetRef<'a> {
    Default(&'a Set),
    Own(Arc<Set>),
}

impl std::ops::Deref for SetRef<'_> {
    type Target = Set;
    fn deref(&self) -> &Set {
        match self {
            SetRef::Default(set) => set,
            SetRef::Own(set) => set,
        }
    }
}

fn outcome<K: std::hash::Hash + Eq + Clone>(
    limiter: &'static str,
    keyed: &BoundedKeyed<K>,
    key: &K,
) -> Outcome {
    let check = keyed.check(key);
    if !matches!(check, Check::Allowed { .. }) {
        metrics::counter!("feedbackd_rate_limited_total", "limiter" => limiter).increment(1);
    }
    Outcome { limiter, spec: keyed.spec(), check }
}

/// Validates a project's `rate_limits` JSON (for the CLI and API that set it).
pub fn parse_project_rates(value: &serde_json::Value) -> Result<ProjectRates, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}
