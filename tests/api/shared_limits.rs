//! Issue 21: rate limits shared by replicas through Redis. Three replicas of the real
//! service on one database and one private Redis (started here on a free port, never the
//! machine's) admit about one global limit between them; with Redis killed they go on with
//! their shares of it, and they share again once Redis is back. The widget configuration
//! is limited by those shares always, with no call to Redis.

use crate::helpers::{fixture, start_server, TestDb};
use feedbackd::config::Config;
use feedbackd_core::ratelimit::RateSpec;
use secrecy::SecretString;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Redis of the test's own, killed when dropped.
struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = PrivateRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts it (again) on its port, empty, and waits until it answers.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no goodbye to the clients.
    /// Limit checks Redis has run (its `EVALSHA` and `EVAL` calls).
    fn script_calls(&self) -> u64 {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "info", "commandstats"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|line| line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:"))
            .filter_map(|line| line.split("calls=").nth(1)?.split(',').next()?.parse::<u64>().ok())
            .sum()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three replicas on one database, sharing `redis` (or each limiting alone without it).
fn replicas(db: &TestDb, redis: Option<&PrivateRedis>, ip: &str, project: &str) -> Vec<String> {
    let mut config = Config::for_tests();
    config.rate_limits.ip = ip.parse::<RateSpec>().unwrap();
    config.rate_limits.project = project.parse::<RateSpec>().unwrap();
    config.redis = redis.map(|r| (SecretString::from(r.url()), Duration::from_millis(500)));
    (0..3).map(|_| start_server(&config, &db.secret_url())).collect()
}

/// What the load asks for.
#[derive(Clone, Copy)]
enum Ask {
    /// `POST /v1/responses`: limits checked in Redis, one round trip per answer.
    Answers,
    /// `GET /v1/widget/config`: limited by each replica's share, no round trip.
    Config,
}

/// Sends `ask` to the replicas in turn from 12 tasks for `length`; returns (admitted,
/// refused 429, anything else, seconds taken).
async fn load(replicas: &[String], key: &str, ask: Ask, length: Duration) -> (u64, u64, u64, f64) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..12)
        .map(|task| {
            let (client, replicas, key) = (client.clone(), replicas.to_vec(), key.to_string());
            tokio::spawn(async move {
                let (mut ok, mut refused, mut other) = (0, 0, 0);
                let mut i = task;
                while started.elapsed() < length {
                    let base = &replicas[i % replicas.len()];
                    i += 1;
                    let request = match ask {
                        Ask::Answers => client
                            .post(format!("{base}/v1/responses"))
                            .json(&serde_json::json!({"survey": "nps-main", "score": 9})),
                        Ask::Config => client.get(format!("{base}/v1/widget/config")),
                    };
                    match request.bearer_auth(&key).send().await.map(|r| r.status().as_u16()) {
                        Ok(200 | 201) => ok += 1,
                        Ok(429) => refused += 1,
                        _ => other += 1,
                    }
                }
                (ok, refused, other)
            })
        })
        .collect();
    let (mut ok, mut refused, mut other) = (0, 0, 0);
    for task in tasks {
        let (o, r, x) = task.await.unwrap();
        (ok, refused, other) = (ok + o, refused + r, other + x);
    }
    (ok, refused, other, started.elapsed().as_secs_f64())
}

/// What GCRA admits at `per_sec` with `burst` over `secs`.
fn allowance(per_sec: f64, burst: f64, secs: f64) -> f64 {
    burst + per_sec * secs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_sharing_redis_admit_one_global_limit_per_address_and_per_project() {
    let redis = PrivateRedis::start();
    let db = TestDb::new();
    let key = fixture(&db.url, &[]).publishable_key;

    // Per address (all requests come from 127.0.0.1).
    let shared = replicas(&db, Some(&redis), "20/s:20", "100000/s");
    let (ok, refused, other, secs) = load(&shared, &key, Ask::Answers, Duration::from_secs(2)).await;
    let limit = allowance(20.0, 20.0, secs);
    println!(
        "per address, shared: {ok} admitted, {refused} refused in {secs:.2} s; the limit admits {limit:.0}"
    );
    assert_eq!(other, 0);
    assert!(refused > 0, "the load must exceed the limit");
    assert!((ok as f64) <= 1.1 * limit, "{ok} admitted, limit {limit:.0}");
    assert!((ok as f64) >= 0.8 * limit, "{ok} admitted, limit {limit:.0}: the shared limit is too strict");

    // Per project, through one publishable key.
    let shared = replicas(&db, Some(&redis), "100000/s", "30/s:30");
    let (ok, _, other, secs) = load(&shared, &key, Ask::Answers, Duration::from_secs(2)).await;
    let limit = allowance(30.0, 30.0, secs);
    println!("per project, shared: {ok} admitted in {secs:.2} s; the limit admits {limit:.0}");
    assert_eq!(other, 0);
    assert!((ok as f64) <= 1.1 * limit && (ok as f64) >= 0.8 * limit, "{ok} admitted, limit {limit:.0}");

    // The headers state each shared limit once (the local pre-check is not reported).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/responses", shared[0]))
        .bearer_auth(&key)
        .json(&serde_json::json!({"survey": "nps-main", "score": 9}))
        .send()
        .await
        .unwrap();
    let state = r.headers()["ratelimit"].to_str().unwrap().to_string();
    assert_eq!((state.matches("\"ip\"").count(), state.matches("\"project\"").count()), (1, 1), "{state}");

    // The widget configuration, read on every page view, is limited by each replica's
    // share (the limit ÷ the replicas beating in Redis), with no round trip to Redis.
    // A Redis of its own, so that the replicas above do not count in the shares.
    let redis = PrivateRedis::start();
    let by_share = replicas(&db, Some(&redis), "100000/s", "30/s:30");
    tokio::time::sleep(feedbackd_core::ratelimit::HEARTBEAT + Duration::from_millis(500)).await;
    let scripts_before = redis.script_calls();
    let (ok, refused, other, secs) = load(&by_share, &key, Ask::Config, Duration::from_secs(2)).await;
    let limit = allowance(30.0, 30.0, secs);
    println!("configuration by share: {ok} admitted, {refused} refused in {secs:.2} s; the limit admits {limit:.0}");
    assert_eq!(other, 0);
    assert!(refused > 0, "the load must exceed the limit");
    assert!((ok as f64) <= 1.1 * limit && (ok as f64) >= 0.7 * limit, "{ok} admitted, limit {limit:.0}");
    assert_eq!(redis.script_calls(), scripts_before, "configuration reads made no call to Redis");

    // Each replica alone admits its own limit: what the shared limits are for. About
    // three limits; more than one and a half is already far from one shared limit (at
    // most 1.1 above), and leaves room for a CI machine so busy that the load stalls (at
    // 30/s, with a browser test and a Kotlin compile beside it, 140 were admitted of 270).
    let alone = replicas(&db, None, "100000/s", "5/s:5");
    let (ok, refused, other, secs) = load(&alone, &key, Ask::Config, Duration::from_secs(2)).await;
    let limit = allowance(5.0, 5.0, secs);
    println!(
        "per project, alone: {ok} admitted, {refused} refused in {secs:.2} s against one limit of {limit:.0}"
    );
    assert_eq!(other, 0);
    assert!(refused > 0, "the load must exceed the three limits");
    assert!((ok as f64) > 1.5 * limit, "three replicas alone admit about three limits ({ok})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_replicas_keep_their_share_of_the_limit_and_share_again_when_it_returns() {
    let mut redis = PrivateRedis::start();
    let db = TestDb::new();
    let key = fixture(&db.url, &[]).publishable_key;
    let shared = replicas(&db, Some(&redis), "100000/s", "30/s:30");
    // Every replica has beaten at least twice: each knows there are three.
    tokio::time::sleep(feedbackd_core::ratelimit::HEARTBEAT + Duration::from_millis(500)).await;
    load(&shared, &key, Ask::Answers, Duration::from_millis(300)).await;

    redis.kill();
    let (ok, refused, other, secs) = load(&shared, &key, Ask::Answers, Duration::from_secs(2)).await;
    // Each replica admits a third of the rate with a third of the burst.
    let limit = 3.0 * allowance(10.0, 10.0, secs);
    println!("Redis down: {ok} admitted, {refused} refused in {secs:.2} s; the shares admit {limit:.0}");
    assert_eq!(other, 0, "Redis down is no reason for anything but 200 or 429");
    assert!(refused > 0);
    assert!((ok as f64) <= 1.15 * limit && (ok as f64) >= 0.7 * limit, "{ok} admitted, shares {limit:.0}");

    redis.restart();
    // Calls go local for a second after a failure, then probe Redis again; a probe that
    // meets the client still reconnecting goes local for another second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    load(&shared, &key, Ask::Answers, Duration::from_secs(2)).await;
    let (ok, _, other, secs) = load(&shared, &key, Ask::Answers, Duration::from_secs(2)).await;
    let limit = allowance(30.0, 30.0, secs);
    println!("Redis back: {ok} admitted in {secs:.2} s; the limit admits {limit:.0}");
    assert_eq!(other, 0);
    assert!((ok as f64) <= 1.1 * limit, "{ok} admitted: the replicas share one limit again ({limit:.0})");
}
