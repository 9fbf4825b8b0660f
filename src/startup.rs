//! Building and running the HTTP service: used by `feedbackd serve` and by the tests, so
//! that tests exercise exactly what production runs.

use crate::config::Config;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use feedbackd_core::auth::Authenticator;
use feedbackd_core::background;
use feedbackd_core::cache::CacheBus;
use feedbackd_core::ingest::{Ingestor, Writer};
use feedbackd_core::ratelimit::{Limiters, SharedLimits, HEARTBEAT};
use feedbackd_core::store::{Reads, PROBE_EVERY};
use feedbackd_http::pages::session::SessionKeys;
use feedbackd_http::{self as http, AppState};
use feedbackd_store::notify::Listener;
use feedbackd_store::{migrate_once, Backoff, Db};
use secrecy::{ExposeSecret, SecretString};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// A bound, not yet running service.
pub struct Application {
    server: Server,
    port: u16,
    writer: Writer,
    /// Empties the caches when the database announces a change.
    invalidation: Listener,
    draining: Arc<AtomicBool>,
    drain_delay: Duration,
    /// The limits shared with other replicas, left at shutdown so their shares grow.
    shared_limits: Option<Arc<SharedLimits>>,
}

impl Application {
    /// Binds the listener and starts the writers. The database is not contacted: the
    /// service starts while it is away and answers 503 until it is back.
    pub fn build(config: &Config, database_url: &SecretString) -> anyhow::Result<Self> {
        feedbackd_store::deadline::set_limit(config.db_call_timeout);
        let db = Db::new(database_url, config.db_pool_size);
        let (writer, writer_handle) = Writer::start(db.url().clone(), &config.writer);
        let draining = Arc::new(AtomicBool::new(false));
        let limiters = Arc::new(match &config.redis {
            None => Limiters::new(config.rate_limits.clone()),
            Some((url, timeout)) => {
                let shared = SharedLimits::new(url.expose_secret(), *timeout).map_err(anyhow::Error::msg)?;
                spawn_heartbeat(Arc::downgrade(&shared));
                Limiters::shared(config.rate_limits.clone(), shared)
            }
        });
        spawn_limiter_janitor(Arc::downgrade(&limiters));
        let shared_limits = limiters.shared_limits().cloned();
        if let Some(every) = config.seal_interval {
            background::spawn_sealer(db.clone(), every);
        }
        crate::telemetry::spawn_metrics_upkeep();
        let ingest = Ingestor::new(
            db.clone(),
            writer_handle.clone(),
            config.limits.clone(),
            config.spam.clone(),
            config.auth_cache_ttl,
        );
        if let Some(interval) = config.retention_interval {
            feedbackd_core::privacy::spawn_retention_task(db.clone(), interval);
        }
        if let Some(every) = config.sentiment_interval {
            let writer = writer_handle.clone();
            let written = move || writer.stats().rows_written.load(std::sync::atomic::Ordering::Relaxed);
            background::spawn_comment_analyser(db.clone(), every, config.comment_analysis_share, written);
        }
        if config.session_secret.is_none() {
            tracing::info!(
                "FEEDBACKD_SESSION_SECRET is not set: report sessions end when the service restarts"
            );
        }
        let webhooks = webhook_settings(&config.webhooks)?;
        if let Some(poll) = config.webhooks.poll {
            let egress = feedbackd_core::webhooks::egress::Egress::new(webhooks.egress.clone())?;
            let settings = feedbackd_core::webhooks::WebhookSettings { poll, ..webhooks.clone() };
            feedbackd_core::webhooks::dispatch::Dispatcher::new(db.clone(), settings, egress)
                .yielding_to(writer_handle)
                .spawn();
        }
        let endpoints = feedbackd_core::webhooks::endpoints::Endpoints::new(db.clone(), webhooks);
        let auth = Authenticator::new(db.clone(), config.auth_cache_ttl);
        let widgets = feedbackd_core::widget::Widgets::new(db.clone(), config.auth_cache_ttl);
        let invalidation = CacheBus::default()
            .subscribe(auth.subscriber())
            .subscribe(ingest.subscriber())
            .subscribe(widgets.subscriber())
            .listen(db.url().clone());
        let reads = Reads::new(db.clone(), &config.read_replicas, config.db_pool_size, config.read_max_lag);
        if reads.has_replicas() {
            spawn_replica_probe(Arc::downgrade(&reads));
        }
        let state = web::Data::new(AppState {
            reads,
            auth,
            widgets,
            ingest,
            limiters,
            proxies: config.trusted_proxies.clone(),
            exports: Arc::new(tokio::sync::Semaphore::new((config.db_pool_size as usize / 4).max(1))),
            db,
            sessions: SessionKeys::new(config.session_secret.as_ref()),
            draining: draining.clone(),
            metrics_token: config.metrics_token.clone(),
            render_metrics: || crate::telemetry::prometheus().render(),
            webhooks: endpoints,
            setup_token: config.setup_token.clone(),
            sso: config.sso.clone().map(feedbackd_core::sso::Sso::new),
            public_url: config.webhooks.public_url.clone(),
        });
        let listener = TcpListener::bind(config.listen)?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(http::reject_nul_in_url))
                .wrap(from_fn(http::middleware::metrics::track_requests))
                .wrap(from_fn(http::middleware::request_id::assign))
                .app_data(state.clone())
                .configure(http::routes)
                .default_service(web::to(http::not_found))
        })
        .workers(config.workers)
        // Handlers' database calls run on their worker's blocking threads, each waiting for a
        // pooled connection. A thread beyond the pools' size only waits, yet keeps its stack
        // and allocator pages after it exits: 512 connections arriving at once made 379
        // threads and left 23 MiB behind. Calls past this wait in the queue instead.
        .worker_max_blocking_threads(blocking_threads_per_worker(config))
        // Signals are handled in `run_until_stopped`, so that SIGINT drains like SIGTERM.
        .disable_signals()
        .shutdown_timeout(config.shutdown_grace.as_secs())
        .listen(listener)?
        .run();
        Ok(Application {
            server,
            port,
            writer,
            invalidation,
            draining,
            drain_delay: config.drain_delay,
            shared_limits,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT or SIGTERM, then drains: `/readyz` turns 503, new connections
    /// are refused, in-flight requests finish, and the writers commit what is queued.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let (draining, delay) = (self.draining.clone(), self.drain_delay);
        // Installed here, before serving, not inside the task: on a loaded machine the task
        // may first run after `/readyz` already answers, and a SIGTERM before it would kill
        // the process undrained (seen in CI: exit by signal 15 right after a 201).
        let stop = StopSignals::install()?;
        tokio::spawn(async move {
            stop.wait().await;
            // Unready first, still serving: the load balancer stops sending new connections
            // before the listener closes, so none is reset in its queue.
            draining.store(true, Ordering::Relaxed);
            tracing::info!(delay_secs = delay.as_secs(), "shutting down: /readyz is 503, draining");
            tokio::time::sleep(delay).await;
            handle.stop(true).await;
        });
        self.run().await
    }

    /// Serves until stopped through [`Application::handle`].
    pub async fn run(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(shared) = &self.shared_limits {
            shared.leave().await;
        }
        // The server's workers are gone, and with them every writer handle: the writers
        // finish the queue and exit. Nothing reads the caches any more either.
        let (writer, invalidation) = (self.writer, self.invalidation);
        let _ = tokio::task::spawn_blocking(move || {
            writer.join();
            invalidation.stop();
        })
        .await;
        result
    }
}

/// Applies migrations in the background, retrying with backoff while the database is not
/// reachable, so that `serve` listens at once: `/healthz` answers, `/readyz` and every
/// database-backed request answer 503 until the schema is current. A migration that fails
/// (not a connection that does) is not retried: it is logged and `/readyz` stays 503.
pub fn migrate_in_background(url: SecretString) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Backoff::default();
        loop {
            let url = url.clone();
            let attempt = tokio::task::spawn_blocking(move || migrate_once(&url)).await;
            match attempt {
                Ok(Ok(applied)) => {
                    tracing::info!(applied, "database schema is current");
                    return;
                }
                Ok(Err(e)) if e.is_connection_lost() => tokio::time::sleep(backoff.next_after(&e)).await,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "migrating the database failed; /readyz stays 503");
                    return;
                }
                Err(join) => {
                    tracing::error!(error = %join, "the migration task failed");
                    return;
                }
            }
        }
    })
}

/// Probes the read replicas' lag every second, until the reads are dropped.
fn spawn_replica_probe(reads: Weak<Reads>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PROBE_EVERY);
        loop {
            tick.tick().await;
            let Some(reads) = reads.upgrade() else { return };
            reads.probe().await;
        }
    });
}

/// Announces this replica to the others sharing the limits, and counts them, until the
/// limiters are dropped (then it leaves the count).
fn spawn_heartbeat(shared: Weak<SharedLimits>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            let Some(shared) = shared.upgrade() else { return };
            shared.heartbeat().await;
        }
    });
}

/// Sweeps idle keys out of the rate limiters every few seconds, until they are dropped.
fn spawn_limiter_janitor(limiters: Weak<Limiters>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            let Some(limiters) = limiters.upgrade() else { return };
            limiters.sweep();
        }
    });
}

/// SIGTERM and SIGINT, caught from the moment they are installed.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Until either arrives.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

/// The webhook services' settings from the configuration.
pub fn webhook_settings(
    config: &crate::config::WebhookConfig,
) -> anyhow::Result<feedbackd_core::webhooks::WebhookSettings> {
    use feedbackd_core::webhooks::{egress::EgressPolicy, secrets, WebhookSettings};
    let secrets = match &config.key {
        Some(key) => {
            Some(Arc::new(secrets::SecretCipher::new(&secrets::MasterKey::from_base64(key.expose_secret())?)))
        }
        None => {
            tracing::info!("FEEDBACKD_WEBHOOK_KEY is not set: webhooks are off");
            None
        }
    };
    Ok(WebhookSettings {
        secrets,
        egress: EgressPolicy {
            allow_http_loopback: config.allow_http_loopback,
            allowed_networks: config.allowed_networks.clone(),
        },
        per_endpoint: config.per_endpoint,
        batch: 200,
        lease: Duration::from_secs(60),
        poll: config.poll.unwrap_or(Duration::from_millis(200)),
        log_retention: config.log_retention,
        feed_retention: config.feed_retention,
        public_url: config.public_url.clone(),
        retry_scale: config.retry_scale,
    })
}

/// Blocking threads each HTTP worker may run: its share of the connection pools (the
/// primary's and each read replica's), plus a few for password hashing, at least 8.
fn blocking_threads_per_worker(config: &Config) -> usize {
    let connections = config.db_pool_size as usize * (1 + config.read_replicas.len());
    (connections.div_ceil(config.workers.max(1)) + 4).max(8)
}
