//! Issue 21: a primary that hangs instead of dying. Its processes are stopped (SIGSTOP):
//! connections to it stay open and silent, which neither the server's statement timeout
//! nor TCP keepalives end. The service's own call deadline must cut them, answer 503 with
//! `Retry-After` meanwhile (never hang), and find the promoted standby by itself.
//! A private primary and standby (Debian's PostgreSQL), never the machine's cluster.

use crate::helpers::{primary_and_standby, start_server};
use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd::config::Config;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// The postmaster of the cluster under `dir` and every process it started.
fn cluster_pids(dir: &Path) -> Vec<String> {
    let pid_file = std::fs::read_to_string(dir.join("pg/postmaster.pid")).expect("postmaster.pid");
    let postmaster = pid_file.lines().next().unwrap().trim().to_string();
    let mut pids = vec![postmaster.clone()];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // pid (comm) state ppid …; comm may hold spaces, so split after its closing paren.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if after.split_whitespace().nth(1) == Some(postmaster.as_str()) {
            pids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    pids
}

fn signal(pids: &[String], signal: &str) -> bool {
    std::process::Command::new("kill").arg(signal).args(pids).status().is_ok_and(|s| s.success())
}

/// Stopped processes, continued when dropped: a failing test must not leave a frozen
/// cluster behind (its own teardown, `pg_ctl stop`, would wait for it in vain).
struct Frozen(Vec<String>);

impl Frozen {
    fn freeze(pids: Vec<String>) -> Self {
        assert!(signal(&pids, "-STOP"), "stopping the primary");
        Frozen(pids)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(&self.0, "-CONT");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_primary_is_left_behind_for_the_promoted_standby() {
    let dir = std::env::temp_dir().join(format!("feedbackd-deadline-test-{}", uuid::Uuid::new_v4()));
    let (primary, standby, keys) = primary_and_standby(&dir);
    // Both hosts, as an operator writes them for failover.
    let both = primary.url().expose_secret().replacen(
        &format!("127.0.0.1:{}", primary.port()),
        &format!("127.0.0.1:{},127.0.0.1:{}", primary.port(), standby.port()),
        1,
    ) + "&target_session_attrs=read-write";
    let mut config = Config::for_tests();
    config.db_call_timeout = Duration::from_secs(1);
    config.writer.timeout = Duration::from_secs(2);
    let base = start_server(&config, &SecretString::from(both));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let post = |score: i32| {
        client
            .post(format!("{base}/v1/responses"))
            .bearer_auth(&keys.publishable_key)
            .json(&json!({"survey": "nps-main", "score": score}))
            .send()
    };
    for score in [9, 10] {
        assert_eq!(post(score).await.unwrap().status(), 201);
    }
    let summary =
        || client.get(format!("{base}/v1/surveys/nps-main/summary")).bearer_auth(&keys.secret_key).send();
    assert_eq!(summary().await.unwrap().status(), 200, "the pool holds connections to the primary");

    // The primary hangs; the standby is promoted, as a failover manager would.
    let frozen = Frozen::freeze(cluster_pids(&dir.join("primary")));
    let hung_at = Instant::now();
    let mut on_standby = PgConnection::establish(standby.url().expose_secret()).unwrap();
    diesel::sql_query("SELECT pg_promote()").execute(&mut on_standby).unwrap();

    // Every request is answered, each refusal a 503 with Retry-After, until one is stored.
    let mut slowest = Duration::ZERO;
    let stored_after = loop {
        let sent = Instant::now();
        let response = post(7).await.expect("an answer, not a hang");
        slowest = slowest.max(sent.elapsed());
        if response.status() == 201 {
            break hung_at.elapsed();
        }
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        assert!(hung_at.elapsed() < Duration::from_secs(30), "no answer stored 30 s after the hang");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The limit (1 s), then a new connection: the hung host holds each attempt for libpq's
    // connect_timeout (3 s) before the standby is tried (6.7 and 8.8 s measured; without
    // the deadline, never).
    eprintln!("stored {stored_after:?} after the hang; slowest request {slowest:?}");
    assert!(stored_after < Duration::from_secs(20), "stored {stored_after:?} after the hang");
    assert!(slowest < Duration::from_secs(8), "a request waited {slowest:?}");
    let reads = loop {
        let response = summary().await.expect("an answer, not a hang");
        if response.status() == 200 {
            break response.json::<serde_json::Value>().await.unwrap();
        }
        assert_eq!(response.status(), 503);
        assert!(
            hung_at.elapsed() < Duration::from_secs(30),
            "reports still refused 30 s after the promotion"
        );
    };
    // Whatever the standby had replayed before the hang, plus the answer stored after it.
    let stored: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM responses")
        .get_result(&mut on_standby)
        .unwrap();
    assert_eq!(reads["current"]["count"].as_i64(), Some(stored), "reports read the new primary");
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    let cut = metrics
        .lines()
        .find_map(|line| line.strip_prefix("feedbackd_db_calls_cut_total "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(cut >= 1.0, "the hung calls were cut: {cut}");

    drop(frozen);
    drop(on_standby);
    drop(standby);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dir);
}
