//! Rate limits, checked before any database work: per client IP, per project (the
//! publishable key's project-wide cap), per respondent, and per secret key. Projects may
//! override the project and respondent rates (`projects.rate_limits`).

mod keyed;
mod spec;

pub use keyed::{BoundedKeyed, Check};
pub use spec::RateSpec;

use feedbackd_store::models::Project;
use moka::sync::Cache;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;
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

/// Every limiter of the service.
pub struct Limiters {
    ip: BoundedKeyed<IpAddr>,
    secret_key: BoundedKeyed<Uuid>,
    defaults: Set,
    /// Limiters of projects with their own rates, made on first use. Keyed by the rates
    /// themselves, so nothing here goes stale: new rates arrive with the project in the
    /// key cache, which notifications keep current, and the old rates' limiters idle out.
    overrides: Cache<(Uuid, ProjectRates), Arc<Set>>,
    config: RateLimitConfig,
}

impl Limiters {
    /// Limiters for `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Limiters {
            ip: BoundedKeyed::new(config.ip, config.max_keys),
            secret_key: BoundedKeyed::new(config.secret_key, config.max_keys),
            defaults: Set {
                project: BoundedKeyed::new(config.project, config.max_keys),
                respondent: BoundedKeyed::new(config.respondent, config.max_keys),
            },
            overrides: Cache::builder().max_capacity(1000).time_to_idle(Duration::from_secs(3600)).build(),
            config,
        }
    }

    /// Per client address, before the key is even looked at.
    pub fn check_ip(&self, ip: IpAddr) -> Outcome {
        outcome("ip", &self.ip, &ip)
    }

    /// Per secret key, on the read and management API.
    pub fn check_secret_key(&self, key_id: Uuid) -> Outcome {
        outcome("secret_key", &self.secret_key, &key_id)
    }

    /// The project-wide cap of a publishable key.
    pub fn check_project(&self, project: &Project) -> Outcome {
        let set = self.set_for(project);
        outcome("project", &set.project, &project.id)
    }

    /// Per respondent of a project.
    pub fn check_respondent(&self, project: &Project, respondent: &str) -> Outcome {
        let set = self.set_for(project);
        outcome("respondent", &set.respondent, &(project.id, respondent.to_string()))
    }

    fn set_for(&self, project: &Project) -> SetRef<'_> {
        let rates = project
            .rate_limits
            .as_ref()
            .and_then(|value| serde_json::from_value::<ProjectRates>(value.clone()).ok())
            .filter(|rates| *rates != ProjectRates::default());
        match rates {
            None => SetRef::Default(&self.defaults),
            Some(rates) => {
                let config = &self.config;
                SetRef::Own(self.overrides.get_with((project.id, rates.clone()), || {
                    Arc::new(Set {
                        project: BoundedKeyed::new(rates.project.unwrap_or(config.project), config.max_keys),
                        respondent: BoundedKeyed::new(
                            rates.respondent.unwrap_or(config.respondent),
                            config.max_keys,
                        ),
                    })
                }))
            }
        }
    }

    /// Frees memory of keys that are idle again; run on a timer.
    pub fn sweep(&self) {
        self.ip.sweep();
        self.secret_key.sweep();
        self.defaults.project.sweep();
        self.defaults.respondent.sweep();
        for (_, set) in self.overrides.iter() {
            set.project.sweep();
            set.respondent.sweep();
        }
    }

    /// Keys tracked by all limiters (for metrics and the memory benchmark).
    pub fn tracked_keys(&self) -> usize {
        self.ip.len() + self.secret_key.len() + self.defaults.project.len() + self.defaults.respondent.len()
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
