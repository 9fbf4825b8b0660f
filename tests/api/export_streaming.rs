//! Exports as a stream: the CSV's attribute columns come from the keys each survey's answers
//! have carried (kept by the insert trigger, whoever writes the answers), and a client that
//! reads slowly gets the whole file although no database call may outlive the deadline.

use crate::exports::insert_nasty;
use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::insights_support::{survey_id, ts};
use chrono::{DateTime, Duration, Utc};
use feedbackd_core::export::format::FIXED_COLUMNS;
use serde_json::json;

async fn export(app: &TestApp, query: &str) -> reqwest::Response {
    let response = app
        .client
        .get(format!("{}/v1/exports/responses?{query}", app.address))
        .bearer_auth(&app.fixture.secret_key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{query}");
    response
}

/// The attribute columns of a CSV export.
async fn attribute_columns(app: &TestApp, query: &str) -> Vec<String> {
    let body = export(app, query).await.text().await.unwrap();
    let header = body.lines().next().unwrap();
    let columns: Vec<&str> = header.split(',').collect();
    assert_eq!(columns[..FIXED_COLUMNS.len()], FIXED_COLUMNS);
    columns[FIXED_COLUMNS.len()..].iter().map(|c| c.to_string()).collect()
}

#[tokio::test]
async fn csv_columns_are_every_key_the_surveys_answers_have_carried() {
    let app = spawn_app_with(without_rate_limits).await;
    let day = |d: i64| Utc::now() - Duration::days(d);
    // Score 4 is on both surveys' scales (NPS 0-10, CSAT 1-5).
    let answer = |survey: &str, at: DateTime<Utc>, attributes: serde_json::Value| json!({"survey": survey, "score": 4, "attributes": attributes, "client_time": ts(at)});
    // Through the real ingest path: the trigger sees what the writer inserts.
    for body in [
        answer("nps-main", day(20), json!({"plan": "pro", "beta": true})),
        answer("nps-main", day(2), json!({"plan": "free"})),
        answer("csat", day(2), json!({"store": "eu"})),
    ] {
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
    let recent = format!("from={}&to={}", ts(day(5)), ts(Utc::now()));
    // The last five days hold no answer with `beta`: its column is there all the same, so
    // every export of the survey has the same columns; csat's key is not the survey's.
    assert_eq!(
        attribute_columns(&app, &format!("survey=nps-main&{recent}")).await,
        ["attributes.beta", "attributes.plan"]
    );
    assert_eq!(
        attribute_columns(&app, &recent).await,
        ["attributes.beta", "attributes.plan", "attributes.store"],
        "an export of every survey has every survey's keys"
    );
    let body = export(&app, &format!("survey=nps-main&{recent}")).await.text().await.unwrap();
    let row: Vec<&str> = body.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[FIXED_COLUMNS.len()..], ["", "free"]);
    assert_eq!(body.lines().count(), 2);

    // Answers written by COPY (as `feedbackd seed` writes them) are seen by the trigger too.
    let line = format!(
        "{}\t{}\t{}\t1\t\\N\t5\t\\N\t\\N\t{{\"copied\": 1}}\t{}\t{}\n",
        app.fixture.project_id,
        uuid::Uuid::now_v7(),
        app.fixture.nps_survey_id,
        ts(day(1)),
        ts(day(1)),
    );
    assert_eq!(feedbackd_store::bulk::copy_answers(&mut app.db.connect(), &line).unwrap(), 1);
    assert_eq!(
        attribute_columns(&app, &format!("survey=nps-main&{recent}")).await,
        ["attributes.beta", "attributes.copied", "attributes.plan"]
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM attribute_keys WHERE project_id = '{}' AND survey_id = '{}'",
            app.fixture.project_id,
            survey_id(&app, "csat")
        )),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_gets_the_whole_export_while_calls_keep_their_deadline() {
    let app = spawn_app_with(|c| {
        without_rate_limits(c);
        c.db_call_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let start: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
    // About 9 MB of CSV: more than the server's socket buffer (4 MB at most here) holds.
    insert_nasty(&app, app.fixture.nps_survey_id, 5, 40_000, start, Duration::days(3));
    let path = format!(
        "/v1/exports/responses?survey=nps-main&from={}&to={}",
        ts(start),
        ts(start + Duration::days(3))
    );
    let whole = export(&app, path.trim_start_matches("/v1/exports/responses?")).await.bytes().await.unwrap();
    assert_eq!(csv::Reader::from_reader(&whole[..]).records().count(), 40_000);

    // A reader with a small window that stops for longer than the deadline: the service's
    // buffers fill and the export waits on the client. A database call that waited with
    // it would be cut off and the body would break off.
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let token = app.fixture.secret_key.clone();
    let slow = tokio::task::spawn_blocking(move || slow_get(port, &path, &token)).await.unwrap();
    assert!(slow == whole, "the slow read got {} bytes of {}", slow.len(), whole.len());
}

/// GETs `path` over a socket with a 4 KiB receive buffer, stops for 2.5 s after the first
/// 64 KiB, and returns the body (de-chunked).
fn slow_get(port: u16, path: &str, token: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (mut raw, mut buf, mut paused) = (Vec::new(), [0u8; 4096], false);
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if !paused && raw.len() > 64 * 1024 {
            paused = true;
            std::thread::sleep(std::time::Duration::from_millis(2500));
        }
    }
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head") + 4;
    assert!(raw.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&raw[..head_end]));
    let (mut body, mut rest) = (Vec::new(), &raw[head_end..]);
    loop {
        let line_end =
            rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size line (the body broke off)");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
        rest = &rest[line_end + 2 + size + 2..];
    }
}
