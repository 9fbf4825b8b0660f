//! One delivery attempt over HTTP, safe against request forgery (SSRF).
//!
//! The dispatcher signs a payload, calls [`Egress::send`], and stores the [`Attempt`]: what
//! to do next follows from its [`Outcome`]. Nothing here retries, follows a redirect, or
//! reads more than [`BODY_PREFIX_LEN`] bytes of an answer.

mod policy;
mod resolve;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use url::Url;

pub use policy::{check_url, is_forbidden, literal_ip, validate_url, EgressPolicy, UrlProblem, MAX_URL_LEN};
use resolve::{ForbiddenDestination, GuardedResolver};

/// How much of a receiver's answer is kept for the delivery log: enough to show an error
/// message, never enough for a hostile receiver to fill memory.
pub const BODY_PREFIX_LEN: usize = 1024;

/// The longest `Retry-After` honoured: a receiver cannot park a delivery for a year.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

const USER_AGENT: &str = concat!("feedbackd-webhooks/", env!("CARGO_PKG_VERSION"));

/// How long one attempt may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From connecting to the end of what is read of the answer.
    pub total: Duration,
    /// To resolve and connect (TCP and TLS).
    pub connect: Duration,
}

impl Default for Timeouts {
    /// 15 s for the whole attempt (the timeout receivers are told about), 5 s to connect.
    fn default() -> Self {
        Self { total: Duration::from_secs(15), connect: Duration::from_secs(5) }
    }
}

/// What the dispatcher does next, decided by the answer (or its absence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: done.
    Delivered,
    /// 410 Gone: the receiver asks to stop; the caller disables the endpoint.
    Gone,
    /// 429 or 503: retry, no sooner than [`Attempt::retry_after`] when it is set.
    RetryLater,
    /// Any other status, 3xx included (redirects are not followed): retry on the schedule.
    Failed,
    /// Not sent: the URL or its resolved addresses break the [`EgressPolicy`].
    Refused {
        /// A sentence for the delivery log.
        reason: String,
    },
    /// Sent nowhere or no answer: lookup or connection failure, TLS error, timeout.
    Unreachable {
        /// A sentence for the delivery log (without the URL, which may hold a token).
        reason: String,
    },
}

/// What one attempt did, for the delivery log and the retry decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// What to do next.
    pub outcome: Outcome,
    /// The answer's status code, when there was an answer.
    pub status: Option<u16>,
    /// From sending until the answer's headers arrived (or the attempt gave up).
    pub latency: Duration,
    /// The first [`BODY_PREFIX_LEN`] bytes of the answer's body, lossy UTF-8.
    pub body_prefix: String,
    /// The receiver's `Retry-After` on a 429 or 503, at most [`MAX_RETRY_AFTER`].
    pub retry_after: Option<Duration>,
}

impl Attempt {
    fn without_answer(outcome: Outcome, latency: Duration) -> Self {
        Self { outcome, status: None, latency, body_prefix: String::new(), retry_after: None }
    }
}

/// The delivery client could not be built (its TLS configuration failed to load).
#[derive(Debug, thiserror::Error)]
#[error("the webhook HTTP client could not be built")]
pub struct EgressBuildError(#[source] reqwest::Error);

/// Sends webhook attempts under one [`EgressPolicy`]. Holds one connection pool: build it
/// once and share it.
#[derive(Debug, Clone)]
pub struct Egress {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
    timeouts: Timeouts,
}

impl Egress {
    /// A client with the default [`Timeouts`].
    pub fn new(policy: EgressPolicy) -> Result<Self, EgressBuildError> {
        Self::with_timeouts(policy, Timeouts::default())
    }

    /// A client with other timeouts (tests use short ones).
    pub fn with_timeouts(policy: EgressPolicy, timeouts: Timeouts) -> Result<Self, EgressBuildError> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeouts.total)
            .connect_timeout(timeouts.connect)
            // A redirect would be a second request to a host nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            // One call is one attempt in the delivery log; the dispatcher owns retries.
            .retry(reqwest::retry::never())
            // A proxy (HTTP_PROXY in the environment) resolves names itself, past our filter.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&policy))))
            .build()
            .map_err(EgressBuildError)?;
        Ok(Self { client, policy, timeouts })
    }

    /// The policy this client enforces (the API validates new URLs with the same one).
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// POSTs `body` as `application/json` with `headers` (the signature headers) to `url`,
    /// once. Never panics and never fails: every way it can end is an [`Outcome`].
    pub async fn send(&self, url: &Url, headers: &[(&str, String)], body: Bytes) -> Attempt {
        let started = Instant::now();
        let refused =
            |reason: String| Attempt::without_answer(Outcome::Refused { reason }, started.elapsed());
        // Host names are checked by the resolver; IP literals never reach it.
        if let Err(problem) = check_url(url, &self.policy) {
            return refused(problem.to_string());
        }
        let headers = match header_map(headers) {
            Ok(headers) => headers,
            Err(reason) => return refused(reason),
        };
        let request = self.client.post(url.clone()).headers(headers).body(body);
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let outcome = self.failure(error);
                return Attempt::without_answer(outcome, started.elapsed());
            }
        };
        let latency = started.elapsed();
        let status = response.status().as_u16();
        let outcome = classify(status);
        let retry_after = match outcome {
            Outcome::RetryLater => response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, SystemTime::now())),
            _ => None,
        };
        let body_prefix = read_prefix(&mut response).await;
        Attempt { outcome, status: Some(status), latency, body_prefix, retry_after }
    }

    /// The outcome of a request that got no answer: refused if our resolver filtered every
    /// address, unreachable otherwise.
    fn failure(&self, error: reqwest::Error) -> Outcome {
        let error = error.without_url();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(cause) = source {
            if let Some(forbidden) = cause.downcast_ref::<ForbiddenDestination>() {
                return Outcome::Refused { reason: forbidden.to_string() };
            }
            source = cause.source();
        }
        let reason = if error.is_timeout() && error.is_connect() {
            format!("could not connect within {:?}", self.timeouts.connect)
        } else if error.is_timeout() {
            format!("no answer within {:?}", self.timeouts.total)
        } else {
            cause_chain(&error)
        };
        Outcome::Unreachable { reason }
    }
}

/// The caller's headers, then `Content-Type: application/json` (every payload, Slack's and
/// Discord's included, is JSON). A name or value HTTP cannot carry is refused, not sent.
fn header_map(headers: &[(&str, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::with_capacity(headers.len() + 1);
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a valid HTTP header name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of the header {name} is not valid in HTTP"))?;
        map.insert(header, value);
    }
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(map)
}

/// The outcome a status code calls for.
pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        429 | 503 => Outcome::RetryLater,
        _ => Outcome::Failed,
    }
}

/// A `Retry-After` value as a delay from `now`: delay-seconds or an HTTP-date (a date in
/// the past is no delay), capped at [`MAX_RETRY_AFTER`]. Anything else is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still "a very long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// Reads at most [`BODY_PREFIX_LEN`] bytes of the body, then drops the rest with the
/// connection. A read error or the timeout ends the prefix where it is: the status already
/// decided the outcome.
async fn read_prefix(response: &mut reqwest::Response) -> String {
    let mut prefix = Vec::with_capacity(BODY_PREFIX_LEN);
    while prefix.len() < BODY_PREFIX_LEN {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(BODY_PREFIX_LEN - prefix.len());
                prefix.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    lossy_utf8(&prefix)
}

/// Lossy UTF-8, minus a character cut in half at the end by the length cap (it would
/// otherwise show as a replacement character that the receiver never sent).
fn lossy_utf8(bytes: &[u8]) -> String {
    let cut = (bytes.len().saturating_sub(3)..bytes.len())
        .find(|&at| {
            matches!(std::str::from_utf8(&bytes[at..]),
                Err(error) if error.valid_up_to() == 0 && error.error_len().is_none())
        })
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..cut]).into_owned()
}

/// An error and its causes, `: `-separated, for the delivery log.
fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
