//! A webhook receiver for the tests: a real HTTP server on a free loopback port that keeps
//! every request it gets and answers with the statuses a test scripts.

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use feedbackd::config::Config;
use feedbackd_core::webhooks::dispatch::Dispatcher;
use feedbackd_core::webhooks::egress::{Egress, Timeouts};
use secrecy::SecretString;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A base64 master key for the tests (fixed: it seals, it does not need to be secret here).
pub const TEST_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The headers as `standardwebhooks` wants them.
    pub fn header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in &self.headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }
}

/// A status to answer with, and headers to add.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
}

impl From<u16> for Reply {
    fn from(status: u16) -> Self {
        Reply { status, headers: Vec::new() }
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    /// Answered in order; 200 once they run out.
    script: Mutex<VecDeque<Reply>>,
}

/// The receiver. Dropping it does not stop the server; the test process ends it.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(State::default());
        let shared = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server =
            HttpServer::new(move || App::new().app_data(shared.clone()).default_service(web::to(receive)))
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
        tokio::spawn(server);
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), state }
    }

    /// Answers the next requests with these, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came, for at most `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    state.received.lock().unwrap().push(Received {
        path: req.path().to_string(),
        headers,
        body: body.to_vec(),
    });
    let reply = state.script.lock().unwrap().pop_front().unwrap_or(Reply::from(200));
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in reply.headers {
        response.insert_header((name, value));
    }
    response.body("ok")
}

/// The service with webhooks on: the test key, loopback receivers allowed, and a
/// dispatcher polling every 20 ms (`dispatch: false` leaves dispatching to the test).
pub async fn webhook_app(dispatch: bool) -> TestApp {
    spawn_app_with(|config| {
        without_rate_limits(config);
        config.webhooks.key = Some(SecretString::from(TEST_KEY));
        config.webhooks.allow_http_loopback = true;
        config.webhooks.poll = dispatch.then_some(Duration::from_millis(20));
    })
    .await
}

/// Verifies a delivery with the Standard Webhooks reference verifier and `secret`.
pub fn verifies(secret: &str, delivery: &Received) -> bool {
    let verifier = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
    verifier.verify(&delivery.body, &delivery.header_map()).is_ok()
}

/// A dispatcher on the app's database; `allow_loopback: false` is production's policy.
pub fn dispatcher(app: &TestApp, allow_loopback: bool) -> Dispatcher {
    let mut config = Config::for_tests();
    config.webhooks.key = Some(SecretString::from(TEST_KEY));
    config.webhooks.allow_http_loopback = allow_loopback;
    let settings = feedbackd::startup::webhook_settings(&config.webhooks).unwrap();
    let timeouts = Timeouts { total: Duration::from_secs(2), connect: Duration::from_secs(1) };
    let egress = Egress::with_timeouts(settings.egress.clone(), timeouts).unwrap();
    Dispatcher::new(app.db.services(), settings, egress)
}

/// Numbers every committed event. The sequencer only takes events once no older write
/// transaction of the cluster is still running (tests of other databases run beside this
/// one), so it is asked until none is left.
pub async fn settle(app: &TestApp, d: &Dispatcher) {
    for _ in 0..200 {
        d.sequence().await.unwrap();
        if app.count("SELECT count(*) FROM events WHERE position IS NULL") == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("events were not sequenced within 5 s");
}
