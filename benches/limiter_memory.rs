//! Resident memory of the rate limiters when a million distinct client addresses and a
//! million distinct respondents show up (issue: limiter memory stays bounded).
//!
//! Run: `cargo bench --bench limiter_memory`. Prints the figures BENCHMARKS.md records.

use feedbackd_core::ratelimit::{Limiters, RateLimitConfig, Subject};
use feedbackd_store::models::Project;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn drive(limiters: &Limiters, project: &Project, keys: u32) -> Duration {
    let started = Instant::now();
    for i in 0..keys {
        // Distinct IPv6 addresses (the worst case for key size) and distinct respondents.
        let ip = IpAddr::V6(Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0000_0000u128 + u128::from(i)));
        limiters.early_ip(ip);
        limiters.check_in_process(&[Subject::Respondent(project, &format!("respondent-{i}"))]);
    }
    started.elapsed()
}

fn main() {
    const KEYS: u32 = 1_000_000;
    let project = Project {
        id: uuid::Uuid::now_v7(),
        name: "bench".into(),
        allowed_origins: vec![],
        retention_days: None,
        ip_policy: feedbackd_domain::IpPolicy::Drop,
        indexed_attributes: vec![],
        rate_limits: None,
        created_at: chrono::Utc::now(),
        fatigue: serde_json::json!({}),
        time_zone: "UTC".into(),
    };
    println!("limiter memory, {KEYS} distinct IPv6 addresses and {KEYS} distinct respondents");
    println!("{:<44} {:>10} {:>14} {:>10}", "configuration", "RSS MiB", "keys tracked", "seconds");
    let baseline = rss_mib();
    println!("{:<44} {:>10.1} {:>14} {:>10}", "process before any limiter", baseline, 0, "-");
    for (label, max_keys) in
        [("cap 200,000 keys per limiter (default)", 200_000), ("cap 2,000,000 (effectively none)", 2_000_000)]
    {
        let limiters = Limiters::new(RateLimitConfig {
            ip: "20/s:60".parse().unwrap(),
            project: "2000/s:4000".parse().unwrap(),
            respondent: "30/min:10".parse().unwrap(),
            secret_key: "50/s:100".parse().unwrap(),
            max_keys,
        });
        let took = drive(&limiters, &project, KEYS);
        println!(
            "{:<44} {:>10.1} {:>14} {:>10.2}",
            label,
            rss_mib(),
            limiters.tracked_keys(),
            took.as_secs_f64()
        );
        // Respondent buckets refill in 20 s at 30/min:10; wait that out, then sweep.
        std::thread::sleep(Duration::from_secs(21));
        limiters.sweep();
        println!(
            "{:<44} {:>10.1} {:>14} {:>10}",
            "  after the janitor's sweep",
            rss_mib(),
            limiters.tracked_keys(),
            "-"
        );
        drop(limiters);
    }
}
