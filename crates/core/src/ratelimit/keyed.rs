//! A keyed limiter whose memory stays bounded however many distinct keys appear.

use super::spec::RateSpec;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::RateLimiter;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Past the cap, keys share this many overflow buckets (by hash) until the janitor's
/// sweep frees room: a flood of fresh keys is still limited, and memory stays bounded.
const OVERFLOW_BUCKETS: u64 = 4096;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Slot<K> {
    Key(K),
    Overflow(u16),
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    Allowed { remaining: u32 },
    Refused { retry_after: Duration },
}

/// A governor keyed limiter with a cap on the keys it tracks.
pub struct BoundedKeyed<K: Hash + Eq + Clone> {
    limiter: RateLimiter<Slot<K>, DefaultKeyedStateStore<Slot<K>>, DefaultClock, StateInformationMiddleware>,
    spec: RateSpec,
    cap: usize,
    hasher: std::collections::hash_map::RandomState,
    /// Counting the keys walks every shard of the map, so it is done once every
    /// `LEN_SAMPLE` checks (and at each sweep), not on every request.
    checks: AtomicU64,
    full: AtomicBool,
}

/// How many checks pass between two counts of the tracked keys.
const LEN_SAMPLE: u64 = 256;

impl<K: Hash + Eq + Clone> BoundedKeyed<K> {
    /// A limiter allowing `spec` per key, tracking at most `cap` keys (plus the overflow buckets).
    pub fn new(spec: RateSpec, cap: usize) -> Self {
        BoundedKeyed {
            limiter: RateLimiter::keyed(spec.quota()).with_middleware::<StateInformationMiddleware>(),
            spec,
            cap,
            hasher: Default::default(),
            checks: AtomicU64::new(0),
            full: AtomicBool::new(false),
        }
    }

    /// Takes one request from `key`'s bucket.
    pub fn check(&self, key: &K) -> Check {
        if self.checks.fetch_add(1, Ordering::Relaxed) % LEN_SAMPLE == 0 {
            self.full.store(self.limiter.len() >= self.cap, Ordering::Relaxed);
        }
        let slot = if !self.full.load(Ordering::Relaxed) {
            Slot::Key(key.clone())
        } else {
            Slot::Overflow((self.hasher.hash_one(key) % OVERFLOW_BUCKETS) as u16)
        };
        match self.limiter.check_key(&slot) {
            Ok(snapshot) => Check::Allowed { remaining: snapshot.remaining_burst_capacity() },
            Err(not_until) => {
                Check::Refused { retry_after: not_until.wait_time_from(self.limiter.clock().now()) }
            }
        }
    }

    /// The rate this limiter enforces.
    pub fn spec(&self) -> RateSpec {
        self.spec
    }

    /// Forgets keys whose buckets are full again (they would behave as new), and gives the
    /// memory back. Called by the janitor on a timer.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        self.full.store(self.limiter.len() >= self.cap, Ordering::Relaxed);
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_at_the_burst_and_keeps_keys_apart() {
        let limiter = BoundedKeyed::new("1/h:3".parse().unwrap(), 100);
        for expected in [2, 1, 0] {
            assert!(matches!(limiter.check(&"a"), Check::Allowed { remaining } if remaining == expected));
        }
        let Check::Refused { retry_after } = limiter.check(&"a") else { panic!("fourth request passed") };
        assert!(retry_after > Duration::from_secs(1000));
        assert!(matches!(limiter.check(&"b"), Check::Allowed { .. }));
    }

    #[test]
    fn past_the_cap_new_keys_share_overflow_buckets_and_memory_stays_bounded() {
        let limiter = BoundedKeyed::new("1/h:1".parse().unwrap(), 1000);
        for i in 0..50_000u32 {
            limiter.check(&i);
        }
        // The count is sampled, so up to one sample's worth of keys may slip past the cap.
        let bound = 1000 + LEN_SAMPLE as usize + OVERFLOW_BUCKETS as usize;
        assert!(limiter.len() <= bound, "{} keys", limiter.len());
    }
}
