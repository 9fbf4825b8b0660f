//! Rate limits shared by every replica, in Redis (issue 21): GCRA over all the limits a
//! request is subject to, in one Lua script and one round trip, consuming only if every
//! limit passes. The script reads Redis' own clock, so replicas with skewed clocks agree.
//!
//! Redis is never in the way: each call has a bounded timeout, and while Redis is slow or
//! down every replica enforces its share of each limit locally (the limit divided by the
//! replicas it last knew of, from a heartbeat set in Redis), says so in a metric and a log
//! line, and probes Redis again after a pause.

use super::keyed::Check;
use super::spec::RateSpec;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

/// GCRA for N keys at once. KEYS: one bucket per limit. ARGV: per limit, the emission
/// interval and the burst, in microseconds and cells. Returns per limit the cells left
/// (≥ 0) or, for a limit that refused, minus the microseconds until it would allow one;
/// buckets are written only when none refused.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out, tats, ok = {}, {}, true
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - burst * interval
  if now < allow_at then
    ok = false
    out[i] = -(allow_at - now)
  else
    out[i] = math.floor((now - allow_at) / interval)
    tats[i] = new_tat
  end
end
if ok then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], tats[i], 'PX', math.ceil((tats[i] - now) / 1000) + 1)
  end
end
return out
";

/// Every replica's heartbeat: a sorted set of instance ids scored by their last beat (ms).
const REPLICAS_KEY: &str = "feedbackd:replicas";
/// How often a replica beats, and after how long without a beat it is forgotten.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
const FORGOTTEN_AFTER: Duration = Duration::from_secs(15);
/// After a failure, calls go local for this long before one probes Redis again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// One limit of a request, named for the headers and the metrics.
#[derive(Debug, Clone)]
pub struct SharedLimit {
    pub limiter: &'static str,
    /// The bucket, unique per limiter and subject (`ip:203.0.113.5`).
    pub key: String,
    pub spec: RateSpec,
}

/// The Redis side of the limiters.
pub struct SharedLimits {
    client: redis::Client,
    connection: OnceCell<redis::aio::ConnectionManager>,
    script: redis::Script,
    timeout: Duration,
    instance: String,
    /// Replicas seen beating in the last 15 s, this one included (at least 1).
    replicas: AtomicU32,
    /// Whether the last call reached Redis.
    up: AtomicBool,
    /// When calls may try Redis again after a failure (ms since `started`).
    retry_at_ms: AtomicU64,
    started: Instant,
}

impl SharedLimits {
    /// Limits in the Redis at `url`, each call bounded by `timeout`. Connects lazily, so a
    /// replica starts (and is ready) whether or not Redis is up.
    pub fn new(url: &str, timeout: Duration) -> Result<Arc<Self>, String> {
        let client = redis::Client::open(url).map_err(|e| format!("FEEDBACKD_REDIS_URL: {e}"))?;
        metrics::gauge!("feedbackd_ratelimit_shared_up").set(0.0);
        Ok(Arc::new(SharedLimits {
            client,
            connection: OnceCell::new(),
            script: redis::Script::new(GCRA),
            timeout,
            instance: uuid::Uuid::new_v4().to_string(),
            replicas: AtomicU32::new(1),
            up: AtomicBool::new(false),
            retry_at_ms: AtomicU64::new(0),
            started: Instant::now(),
        }))
    }

    /// The replicas this one knows of (itself included), for the local share of a limit.
    pub fn replicas(&self) -> u32 {
        self.replicas.load(Ordering::Relaxed).max(1)
    }

    /// Whether calls go to Redis now (false: the local shares decide).
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    async fn connection(&self) -> Result<redis::aio::ConnectionManager, redis::RedisError> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        self.connection
            .get_or_try_init(|| self.client.get_connection_manager_with_config(config))
            .await
            .cloned()
    }

    /// Checks `limits` in one round trip; `None` when Redis could not answer in time (the
    /// caller then decides locally). Consumes a cell of every limit only if all allow.
    pub async fn check(&self, limits: &[SharedLimit]) -> Option<Vec<Check>> {
        if limits.is_empty() {
            return Some(vec![]);
        }
        let now_ms = self.started.elapsed().as_millis() as u64;
        if !self.is_up() && now_ms < self.retry_at_ms.load(Ordering::Relaxed) {
            return None;
        }
        let mut invocation = self.script.prepare_invoke();
        for limit in limits {
            let interval = (limit.spec.unit.as_micros() / u128::from(limit.spec.count)).max(1) as u64;
            invocation.key(format!("feedbackd:rl:{}:{}", limit.limiter, limit.key));
            invocation.arg(interval).arg(limit.spec.burst);
        }
        let call = async {
            let mut connection = self.connection().await?;
            invocation.invoke_async::<Vec<i64>>(&mut connection).await
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(cells)) if cells.len() == limits.len() => {
                self.mark(true, "");
                Some(cells.into_iter().map(to_check).collect())
            }
            Ok(Ok(_)) => {
                self.mark(false, "the limit script answered with the wrong number of cells");
                None
            }
            Ok(Err(e)) => {
                self.mark(false, &e.to_string());
                None
            }
            Err(_) => {
                self.mark(false, &format!("no answer within {} ms", self.timeout.as_millis()));
                None
            }
        }
    }

    /// Records whether Redis answered; logs and counts only the changes.
    fn mark(&self, up: bool, why: &str) {
        let was = self.up.swap(up, Ordering::Relaxed);
        if !up {
            let retry = self.started.elapsed() + RETRY_AFTER_FAILURE;
            self.retry_at_ms.store(retry.as_millis() as u64, Ordering::Relaxed);
            metrics::counter!("feedbackd_ratelimit_shared_failures_total").increment(1);
        }
        if was != up {
            metrics::gauge!("feedbackd_ratelimit_shared_up").set(if up { 1.0 } else { 0.0 });
            if up {
                tracing::info!("rate limits are shared through Redis again");
            } else {
                tracing::warn!(
                    error = why,
                    replicas = self.replicas(),
                    "Redis is unreachable: each replica enforces its share of every rate limit"
                );
            }
        }
    }

    /// Announces this replica and counts the live ones; run every [`HEARTBEAT`].
    pub async fn heartbeat(&self) {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
        let forget_before = now_ms.saturating_sub(FORGOTTEN_AFTER.as_millis() as u64);
        let call = async {
            let mut connection = self.connection().await?;
            let (_, _, live): ((), (), u32) = redis::pipe()
                .zadd(REPLICAS_KEY, &self.instance, now_ms)
                .zrembyscore(REPLICAS_KEY, 0, forget_before)
                .zcard(REPLICAS_KEY)
                .query_async(&mut connection)
                .await?;
            Ok::<u32, redis::RedisError>(live)
        };
        if let Ok(Ok(live)) = tokio::time::timeout(self.timeout * 4, call).await {
            self.replicas.store(live.max(1), Ordering::Relaxed);
            metrics::gauge!("feedbackd_ratelimit_replicas").set(f64::from(live.max(1)));
        }
    }

    /// Takes this replica out of the count at shutdown, so the others' shares grow at once.
    pub async fn leave(&self) {
        if let Ok(mut connection) = self.connection().await {
            let mut remove = redis::cmd("ZREM");
            remove.arg(REPLICAS_KEY).arg(&self.instance);
            let _ = tokio::time::timeout(self.timeout * 4, remove.query_async::<()>(&mut connection)).await;
        }
    }
}

fn to_check(cell: i64) -> Check {
    if cell >= 0 {
        Check::Allowed { remaining: u32::try_from(cell).unwrap_or(u32::MAX) }
    } else {
        Check::Refused { retry_after: Duration::from_micros(cell.unsigned_abs()) }
    }
}
