//! A rate as operators write it: `20/s`, `600/min:100` (rate, then an optional burst).

use governor::Quota;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// `count` requests per `unit`, with bursts of up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RateSpec {
    pub count: u32,
    pub unit: Duration,
    pub burst: u32,
}

impl RateSpec {
    /// The governor quota: one cell every `unit / count`, `burst` at once.
    pub fn quota(&self) -> Quota {
        let period = self.unit / self.count;
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("period is positive")
            .allow_burst(NonZeroU32::new(self.burst).expect("burst is positive"))
    }

    /// One of `replicas` equal shares of this rate (at least one request per period and a
    /// burst of one): what each replica enforces alone while the shared limits are down.
    pub fn share(self, replicas: u32) -> RateSpec {
        if replicas <= 1 {
            return self;
        }
        RateSpec { count: self.count, unit: self.unit * replicas, burst: (self.burst / replicas).max(1) }
    }

    /// Seconds for an empty bucket to refill (the `w` of the RateLimit-Policy header).
    pub fn window_secs(&self) -> u64 {
        let period = self.unit.as_secs_f64() / f64::from(self.count);
        (period * f64::from(self.burst)).ceil().max(1.0) as u64
    }
}

impl FromStr for RateSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let help =
            || format!("{s:?} is not a rate; write COUNT/UNIT[:BURST] with UNIT s, min or h, e.g. 20/s:40");
        let (rate, burst) = match s.split_once(':') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (s, None),
        };
        let (count, unit) = rate.split_once('/').ok_or_else(help)?;
        let count: u32 = count.trim().parse().map_err(|_| help())?;
        let unit = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(help()),
        };
        let burst = match burst {
            Some(b) => b.trim().parse().map_err(|_| help())?,
            None => count,
        };
        if count == 0 || burst == 0 || count > 1_000_000 || burst > 1_000_000 {
            return Err(format!("{s:?}: rate and burst must be 1..=1000000"));
        }
        Ok(RateSpec { count, unit, burst })
    }
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}:{}", self.count, self.burst)
    }
}

impl TryFrom<String> for RateSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<RateSpec> for String {
    fn from(r: RateSpec) -> String {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_with_and_without_bursts() {
        let r: RateSpec = "20/s:40".parse().unwrap();
        assert_eq!((r.count, r.unit, r.burst), (20, Duration::from_secs(1), 40));
        assert_eq!(r.window_secs(), 2);
        let r: RateSpec = "600/min".parse().unwrap();
        assert_eq!(r.burst, 600);
        assert_eq!(r.quota().replenish_interval(), Duration::from_millis(100));
        assert_eq!(r.to_string(), "600/min:600");
        for bad in ["", "20", "20/day", "0/s", "x/s", "5/s:0"] {
            assert!(bad.parse::<RateSpec>().is_err(), "{bad}");
        }
    }
}
