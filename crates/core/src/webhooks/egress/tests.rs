//! Attempts against real receivers on 127.0.0.1: raw TCP servers that answer exactly the
//! bytes a test gives them, count connections, and hand back what they received.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::*;

/// What a test receiver does with each connection.
#[derive(Clone)]
enum Reply {
    /// Reads the request, writes these bytes, closes.
    Send(Vec<u8>),
    /// Reads the request, writes these bytes, then keeps the connection open forever.
    SendThenHold(Vec<u8>),
    /// Reads the request and never answers.
    Silence,
    /// Closes the connection at once (a TLS handshake fails on it).
    Hangup,
}

struct Receiver {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: mpsc::UnboundedReceiver<String>,
}

impl Receiver {
    fn url(&self, scheme: &str, host: &str, path: &str) -> Url {
        let text = format!("{scheme}://{host}:{}{path}", self.addr.port());
        Url::parse(&text).expect("test URL")
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn receiver(reply: Reply) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let connections = Arc::new(AtomicUsize::new(0));
    let (sent, requests) = mpsc::unbounded_channel();
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, reply.clone(), sent.clone()));
        }
    });
    Receiver { addr, connections, requests }
}

async fn serve(mut stream: TcpStream, reply: Reply, requests: mpsc::UnboundedSender<String>) {
    if matches!(reply, Reply::Hangup) {
        return;
    }
    let _ = requests.send(read_request(&mut stream).await);
    match reply {
        Reply::Send(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::SendThenHold(bytes) => {
            let _ = stream.write_all(&bytes).await;
            std::future::pending::<()>().await;
        }
        Reply::Silence => std::future::pending::<()>().await,
        Reply::Hangup => {}
    }
}

/// The request's head and its `Content-Length` body, so closing does not reset the client.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn response(status_line: &str, headers: &str, body: &str) -> Reply {
    Reply::Send(
        format!("HTTP/1.1 {status_line}\r\n{headers}Content-Length: {}\r\n\r\n{body}", body.len())
            .into_bytes(),
    )
}

fn development() -> EgressPolicy {
    EgressPolicy { allow_http_loopback: true, allowed_networks: Vec::new() }
}

fn egress(policy: EgressPolicy) -> Egress {
    let timeouts = Timeouts { total: Duration::from_secs(5), connect: Duration::from_secs(2) };
    Egress::with_timeouts(policy, timeouts).expect("client builds")
}

async fn post(egress: &Egress, url: &Url) -> Attempt {
    let headers = [("webhook-id", "msg_test".to_owned())];
    egress.send(url, &headers, Bytes::from_static(br#"{"score":9}"#)).await
}

#[tokio::test]
async fn delivers_on_200_with_latency_and_body_prefix() {
    let mut receiver = receiver(response("200 OK", "", "thanks")).await;
    let attempt = post(&egress(development()), &receiver.url("http", "127.0.0.1", "/in")).await;
    assert_eq!(attempt.outcome, Outcome::Delivered);
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.body_prefix, "thanks");
    assert!(attempt.latency > Duration::ZERO && attempt.latency < Duration::from_secs(5));
    let request = receiver.requests.recv().await.expect("request");
    let lower = request.to_ascii_lowercase();
    assert!(request.starts_with("POST /in HTTP/1.1\r\n"), "{request}");
    assert!(lower.contains("\r\ncontent-type: application/json\r\n"), "{request}");
    assert!(lower.contains("\r\nuser-agent: feedbackd-webhooks/0."), "{request}");
    assert!(lower.contains("\r\nwebhook-id: msg_test\r\n"), "{request}");
    assert!(request.ends_with("\r\n\r\n{\"score\":9}"), "{request}");
}

#[tokio::test]
async fn a_redirect_fails_and_its_target_is_never_requested() {
    let target = receiver(response("200 OK", "", "")).await;
    let location = target.url("http", "127.0.0.1", "/landing");
    let redirecting = receiver(response("302 Found", &format!("Location: {location}\r\n"), "")).await;
    let attempt = post(&egress(development()), &redirecting.url("http", "127.0.0.1", "/")).await;
    assert_eq!(attempt.outcome, Outcome::Failed);
    assert_eq!(attempt.status, Some(302));
    assert_eq!(target.connections(), 0);
}

#[tokio::test]
async fn gone_on_410() {
    let receiver = receiver(response("410 Gone", "", "endpoint removed")).await;
    let attempt = post(&egress(development()), &receiver.url("http", "127.0.0.1", "/")).await;
    assert_eq!(attempt.outcome, Outcome::Gone);
    assert_eq!(attempt.body_prefix, "endpoint removed");
}

#[tokio::test]
async fn retry_later_on_429_honours_retry_after_seconds() {
    let receiver = receiver(response("429 Too Many Requests", "Retry-After: 7\r\n", "")).await;
    let attempt = post(&egress(development()), &receiver.url("http", "127.0.0.1", "/")).await;
    assert_eq!(attempt.outcome, Outcome::RetryLater);
    assert_eq!(attempt.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn failed_on_500_without_retry_after() {
    let receiver = receiver(response("500 Internal Server Error", "Retry-After: 7\r\n", "")).await;
    let attempt = post(&egress(development()), &receiver.url("http", "127.0.0.1", "/")).await;
    assert_eq!(attempt.outcome, Outcome::Failed);
    assert_eq!(attempt.retry_after, None, "only 429 and 503 are asked to wait");
}

#[tokio::test]
async fn unreachable_when_the_receiver_never_answers() {
    let receiver = receiver(Reply::Silence).await;
    let timeouts = Timeouts { total: Duration::from_millis(300), connect: Duration::from_millis(300) };
    let egress = Egress::with_timeouts(development(), timeouts).expect("client builds");
    let started = Instant::now();
    let attempt = post(&egress, &receiver.url("http", "127.0.0.1", "/")).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(attempt.outcome, Outcome::Unreachable { reason: "no answer within 300ms".into() });
    assert_eq!(attempt.status, None);
}

#[tokio::test]
async fn unreachable_when_nothing_listens() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
    let attempt = post(&egress(development()), &url).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Unreachable { reason } if !reason.contains("127.0.0.1:")),
        "{:?}",
        attempt.outcome
    );
}

#[tokio::test]
async fn a_5_mb_body_is_cut_to_1_kib_without_waiting_for_the_rest() {
    // Announces one byte more than it sends and then holds the connection: a client that
    // read the whole body would wait for the timeout.
    let body_len = 5 * 1024 * 1024;
    let mut bytes = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body_len + 1).into_bytes();
    bytes.resize(bytes.len() + body_len, b'x');
    let receiver = receiver(Reply::SendThenHold(bytes)).await;
    let started = Instant::now();
    let attempt = post(&egress(development()), &receiver.url("http", "127.0.0.1", "/")).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(attempt.outcome, Outcome::Delivered);
    assert_eq!(attempt.body_prefix, "x".repeat(BODY_PREFIX_LEN));
}

#[tokio::test]
async fn refuses_metadata_private_and_mapped_loopback_literals_without_connecting() {
    let receiver = receiver(response("200 OK", "", "")).await;
    let egress = egress(EgressPolicy::default());
    let mapped = receiver.url("https", "[::ffff:127.0.0.1]", "/");
    for url in [
        Url::parse("https://169.254.169.254/latest/meta-data/").expect("url"),
        Url::parse("http://10.0.0.1/").expect("url"),
        Url::parse("https://10.0.0.1/").expect("url"),
        mapped,
    ] {
        let attempt = post(&egress, &url).await;
        assert!(matches!(attempt.outcome, Outcome::Refused { .. }), "{url}: {:?}", attempt.outcome);
    }
    assert_eq!(receiver.connections(), 0);
}

#[tokio::test]
async fn refuses_a_name_that_resolves_to_loopback_without_connecting() {
    let receiver = receiver(response("200 OK", "", "")).await;
    let url = receiver.url("https", "localhost", "/");
    let attempt = post(&egress(EgressPolicy::default()), &url).await;
    match attempt.outcome {
        Outcome::Refused { reason } => assert!(
            reason.starts_with("localhost resolves only to addresses webhooks may not reach"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(receiver.connections(), 0);
}

#[tokio::test]
async fn development_reaches_a_loopback_name_over_http() {
    let receiver = receiver(response("204 No Content", "", "")).await;
    let url = receiver.url("http", "localhost", "/");
    let attempt = post(&egress(development()), &url).await;
    assert_eq!(attempt.outcome, Outcome::Delivered);
    assert_eq!(receiver.connections(), 1);
}

#[tokio::test]
async fn an_allowed_network_passes_the_resolver() {
    let receiver = receiver(Reply::Hangup).await;
    let policy = EgressPolicy {
        allow_http_loopback: false,
        allowed_networks: vec!["127.0.0.0/8".parse().expect("net")],
    };
    let attempt = post(&egress(policy), &receiver.url("https", "localhost", "/")).await;
    // It connected (then TLS failed on a server that hung up): the filter let it through.
    assert!(matches!(attempt.outcome, Outcome::Unreachable { .. }), "{:?}", attempt.outcome);
    assert!(receiver.connections() >= 1);
}

#[tokio::test]
async fn a_header_http_cannot_carry_is_refused() {
    let receiver = receiver(response("200 OK", "", "")).await;
    let headers = [("webhook-id", "msg_1\r\nx-injected: 1".to_owned())];
    let url = receiver.url("http", "127.0.0.1", "/");
    let attempt = egress(development()).send(&url, &headers, Bytes::new()).await;
    assert!(matches!(attempt.outcome, Outcome::Refused { .. }));
    assert_eq!(receiver.connections(), 0);
}

#[test]
fn classifies_status_codes() {
    for (status, outcome) in [
        (200, Outcome::Delivered),
        (204, Outcome::Delivered),
        (299, Outcome::Delivered),
        (301, Outcome::Failed),
        (304, Outcome::Failed),
        (400, Outcome::Failed),
        (404, Outcome::Failed),
        (410, Outcome::Gone),
        (429, Outcome::RetryLater),
        (500, Outcome::Failed),
        (502, Outcome::Failed),
        (503, Outcome::RetryLater),
    ] {
        assert_eq!(classify(status), outcome, "{status}");
    }
}

#[test]
fn parses_retry_after_seconds_and_dates_with_a_cap() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let in_90_s = httpdate::fmt_http_date(now + Duration::from_secs(90));
    let an_hour_ago = httpdate::fmt_http_date(now - Duration::from_secs(3600));
    let next_year = httpdate::fmt_http_date(now + Duration::from_secs(365 * 86_400));
    let parse = |value: &str| parse_retry_after(value, now);
    assert_eq!(parse("7"), Some(Duration::from_secs(7)));
    assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
    assert_eq!(parse("0"), Some(Duration::ZERO));
    assert_eq!(parse(&in_90_s), Some(Duration::from_secs(90)));
    assert_eq!(parse(&an_hour_ago), Some(Duration::ZERO));
    assert_eq!(parse(&next_year), Some(MAX_RETRY_AFTER));
    assert_eq!(parse("999999999999999999999999"), Some(MAX_RETRY_AFTER));
    for garbage in ["", "-5", "1.5", "soon", "7 s"] {
        assert_eq!(parse(garbage), None, "{garbage:?}");
    }
}

#[test]
fn body_prefix_drops_a_character_cut_by_the_cap_only() {
    assert_eq!(lossy_utf8("abé".as_bytes()), "abé");
    assert_eq!(lossy_utf8(&"abé".as_bytes()[..3]), "ab");
    assert_eq!(lossy_utf8(&"a😀".as_bytes()[..4]), "a");
    assert_eq!(lossy_utf8(b"a\xffb"), "a\u{fffd}b");
}
