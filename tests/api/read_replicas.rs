//! Issue 21: reads from a streaming standby. A private primary and its standby (Debian's
//! PostgreSQL, `pg_basebackup -R`, never the machine's cluster): reports read the replica
//! while it is fresh and say how fresh (`X-Feedbackd-As-Of`), and the primary while the
//! replica lags past the bound or is down; writes always go to the primary.

use crate::helpers::{primary_and_standby, start_server};
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd::config::Config;
use secrecy::ExposeSecret;
use serde_json::json;
use std::time::Duration;

struct Read {
    from: String,
    as_of: DateTime<Utc>,
    count: u64,
}

async fn summary(client: &reqwest::Client, base: &str, key: &str) -> Read {
    let r = client.get(format!("{base}/v1/surveys/nps-main/summary")).bearer_auth(key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let header = |name: &str| r.headers()[name].to_str().unwrap().to_string();
    let (from, as_of) = (header("x-feedbackd-read-from"), header("x-feedbackd-as-of").parse().unwrap());
    let body: serde_json::Value = r.json().await.unwrap();
    Read { from, as_of, count: body["current"]["count"].as_u64().unwrap() }
}

async fn answer(client: &reqwest::Client, base: &str, key: &str, n: usize) {
    for i in 0..n {
        let r = client
            .post(format!("{base}/v1/responses"))
            .bearer_auth(key)
            .json(&json!({"survey": "nps-main", "score": i % 11}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_read_a_fresh_replica_and_the_primary_when_it_lags_or_is_down() {
    let dir = std::env::temp_dir().join(format!("feedbackd-replica-test-{}", uuid::Uuid::new_v4()));
    let (primary, mut standby, keys) = primary_and_standby(&dir);
    let mut config = Config::for_tests();
    config.read_replicas = vec![standby.url()];
    config.read_max_lag = Duration::from_secs(1);
    let base = start_server(&config, &primary.url());
    let client = reqwest::Client::new();

    // Written on the primary, read on the replica once it has replayed them.
    answer(&client, &base, &keys.publishable_key, 12).await;
    let written = Utc::now();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let read = summary(&client, &base, &keys.secret_key).await;
    assert_eq!((read.from.as_str(), read.count), ("replica", 12));
    assert!(read.as_of >= written && read.as_of <= Utc::now(), "as of {}", read.as_of);

    // Replay paused: the replica falls behind, and reads go to the primary, fresh.
    let mut on_standby = PgConnection::establish(standby.url().expose_secret()).unwrap();
    diesel::sql_query("SELECT pg_wal_replay_pause()").execute(&mut on_standby).unwrap();
    answer(&client, &base, &keys.publishable_key, 5).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let read = summary(&client, &base, &keys.secret_key).await;
    assert_eq!((read.from.as_str(), read.count), ("primary", 17), "a lagging replica is not read");
    diesel::sql_query("SELECT pg_wal_replay_resume()").execute(&mut on_standby).unwrap();
    drop(on_standby);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let read = summary(&client, &base, &keys.secret_key).await;
    assert_eq!((read.from.as_str(), read.count), ("replica", 17), "caught up, it is read again");

    // Down: the primary answers, with no error in between.
    standby.stop();
    for _ in 0..6 {
        let read = summary(&client, &base, &keys.secret_key).await;
        assert_eq!(read.count, 17);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let read = summary(&client, &base, &keys.secret_key).await;
    assert_eq!(read.from, "primary");
    drop(standby);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dir);
}
