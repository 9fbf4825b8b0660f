//! Telemetry: logs (human-readable text on a terminal, JSON lines for log collectors) and
//! the Prometheus recorder behind `GET /metrics`.

use clap::ValueEnum;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (colored on a terminal).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber. The level comes from `RUST_LOG` (default `info`).
/// Logs go to stderr so that `--json` output on stdout stays a single document.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // try_init: tests call this from many places; only the first one wins.
    let _ = if format == LogFormat::Json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets in seconds: fine below 10 ms, where ingest lives.
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
/// A webhook attempt may take up to its 15 s timeout: the receivers' side of the range.
const WEBHOOK_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0];
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0];

/// The process's recorder, installed on first call.
pub fn prometheus() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .expect("valid buckets")
            .set_buckets_for_metric(
                Matcher::Full("feedbackd_webhook_attempt_seconds".into()),
                WEBHOOK_BUCKETS,
            )
            .expect("valid buckets")
            .set_buckets_for_metric(Matcher::Full("feedbackd_writer_batch_rows".into()), BATCH_BUCKETS)
            .expect("valid buckets")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// Drains the histograms' raw samples into their buckets every few seconds. The exporter
/// keeps every recorded value until a scrape or an upkeep folds it in, so without this a
/// service nobody scrapes grew by every request's latency sample (the soak run's RSS
/// growth, BENCHMARKS.md).
pub fn spawn_metrics_upkeep() {
    let handle = prometheus();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
