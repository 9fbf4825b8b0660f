//! Exports of answers as CSV or NDJSON, streamed in constant memory.
//!
//! [`start`] is the one entry point, shared by `GET /v1/exports/responses`, the CLI's
//! `feedbackd export` and any page that offers a download: it resolves the survey and the
//! filters exactly as the list does ([`insights::list_query`]), then a blocking thread reads
//! keyset pages of the list's own query inside one read-only repeatable-read transaction
//! (one snapshot: the columns found first match every row that follows), encoding each
//! answer as PostgreSQL sends it, and hands encoded chunks to a bounded channel. A slow
//! reader therefore holds at most [`CHANNEL_CHUNKS`] chunks of [`format::CHUNK_BYTES`]
//! plus one page's worth ([`PAGE_ROWS`] answers, encoded) in memory, whatever the
//! export's size.

mod csv_line;
pub mod format;
mod members;

use crate::insights::InsightsError;
use crate::insights::{self, ReportParams};
use bytes::Bytes;
use chrono::Duration;
use feedbackd_domain::Questions;
use feedbackd_store::insights::{self as q, ListQuery};
use feedbackd_store::models::Project;
use feedbackd_store::{read_snapshot, Conn};
use feedbackd_store::{Db, StoreError};
use format::{Encoder, QuestionColumn};
use futures_util::stream::{self, BoxStream, StreamExt};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc::{self, error::TrySendError};

/// Answers read per keyset page: enough that the per-query cost is small, few enough that
/// the chunks a slow client leaves queued during one page stay a few megabytes.
pub const PAGE_ROWS: i64 = 5000;
/// Encoded chunks waiting for the client at most.
pub const CHANNEL_CHUNKS: usize = 4;
/// Most attribute columns of a CSV export.
pub const MAX_ATTRIBUTE_COLUMNS: i64 = 1000;

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// RFC 4180 CSV, UTF-8, one column per attribute key.
    Csv,
    /// One JSON object per line, each an item of `GET /v1/responses`.
    Ndjson,
}

impl ExportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "csv" => Ok(ExportFormat::Csv),
            "ndjson" => Ok(ExportFormat::Ndjson),
            _ => Err(()),
        }
    }
}

/// How to write an export.
#[derive(Clone, Copy, Debug)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// Start a CSV with a UTF-8 byte order mark, so Excel reads it as UTF-8.
    pub bom: bool,
}

/// Why an export stopped after it started. The body is then cut off without its proper
/// end (the chunked encoding is not terminated), so no client takes it for a whole file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("encoding the export failed: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A started export: its name, media type, a count of the rows streamed so far, and the body.
pub struct Export {
    /// `feedbackd-<survey key or all>-<first day>-<last day>.<csv|ndjson>` (local days in
    /// `tz`), with `until` for the first day of an export without `from`.
    pub filename: String,
    pub content_type: &'static str,
    /// Rows encoded so far (for progress).
    pub rows: Arc<AtomicU64>,
    /// The file's bytes. An `Err` item means the export failed midway (already logged).
    pub body: BoxStream<'static, Result<Bytes, ExportError>>,
}

/// Starts exporting the answers of `survey` (every survey when `None`) that `params` select,
/// newest first; without `params.from`, every answer from the first. Returns once the first chunk is ready, so that a bad survey, a bad filter or
/// an unreachable database is still an error the caller can answer before the first byte.
pub async fn start(
    db: &Db,
    project: &Project,
    survey: Option<&str>,
    params: ReportParams,
    options: ExportOptions,
) -> Result<Export, InsightsError> {
    let (mut query, found) = insights::list_query(db, project, survey, &params).await?;
    query.limit = PAGE_ROWS;
    let filename = filename(found.as_ref().map_or("all", |s| s.key.as_str()), &params, options.format);
    let rows = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = mpsc::channel(CHANNEL_CHUNKS);
    let (counter, tz) = (rows.clone(), params.tz);
    // The columns of one survey's questions; an export of every survey has none.
    let questions = found
        .as_ref()
        .and_then(|s| serde_json::from_value::<Questions>(s.questions.clone()).ok())
        .map(|q| QuestionColumn::all(&q))
        .unwrap_or_default();
    let db = db.clone();
    let producer = async move {
        db.run(move |conn| {
            if let Err(e) = produce(conn, query, questions, tz, options, &counter, &tx) {
                tracing::error!(error = %e, rows = counter.load(Ordering::Relaxed), "export failed");
                // The receiver may be gone already (client left); then nobody needs to know.
                let _ = tx.blocking_send(Err(e));
            }
            Ok::<_, StoreError>(())
        })
        .await
    };
    tokio::spawn(async move {
        if let Err(e) = producer.await {
            tracing::error!(error = %e, "export could not start");
        }
    });
    let first = match rx.recv().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(ExportError::Store(e))) => return Err(e.into()),
        Some(Err(e)) => return Err(StoreError::Internal(e.to_string()).into()),
        None => return Err(StoreError::Internal("the export ended before it began".into()).into()),
    };
    let rest = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let body = stream::once(async move { Ok(first) }).chain(rest).boxed();
    Ok(Export { filename, content_type: options.format.content_type(), rows, body })
}

/// Reads the pages in one snapshot and sends them encoded, a chunk at a time. Stops quietly
/// when the receiver is gone (the client disconnected).
fn produce(
    conn: &mut Conn,
    mut query: ListQuery,
    questions: Vec<QuestionColumn>,
    tz: chrono_tz::Tz,
    options: ExportOptions,
    rows: &AtomicU64,
    tx: &mpsc::Sender<Result<Bytes, ExportError>>,
) -> Result<(), ExportError> {
    let label = options.format.extension();
    read_snapshot(conn, |conn| {
        let mut encoder = match options.format {
            ExportFormat::Csv => {
                let keys = q::attribute_keys(conn, &query, MAX_ATTRIBUTE_COLUMNS)?;
                Encoder::csv(keys, questions, tz, options.bom)
            }
            ExportFormat::Ndjson => Encoder::ndjson(),
        };
        let mut outbox = Outbox { tx, pending: VecDeque::new() };
        loop {
            // The page arrives row by row and is encoded as it comes, so PostgreSQL finds the
            // next rows while this thread encodes. A database call must not wait on the
            // client (the call deadline would end it), so a slow client's chunks queue here,
            // at most one page of them, until the page's statement is over.
            let (count, last) = q::list_each(conn, &query, |answer| {
                if !outbox.gone() {
                    encoder.row(&answer)?;
                    if encoder.is_full() {
                        outbox.offer(Bytes::from(encoder.take()));
                    }
                }
                Ok::<_, ExportError>(())
            })?;
            if !outbox.flush() {
                return Ok(());
            }
            rows.fetch_add(count as u64, Ordering::Relaxed);
            metrics::counter!("feedbackd_export_rows_total", "format" => label).increment(count as u64);
            match last {
                Some(last) if count == query.limit => query.before = Some(last),
                _ => break,
            }
        }
        // The last chunk is sent even when empty: it is what tells `start` the export began.
        outbox.offer(Bytes::from(encoder.take()));
        outbox.flush();
        Ok(())
    })
}

/// Encoded chunks on their way to the client, in order: handed over without waiting while
/// the channel has room, queued when it has none.
struct Outbox<'a> {
    tx: &'a mpsc::Sender<Result<Bytes, ExportError>>,
    pending: VecDeque<Bytes>,
}

impl Outbox<'_> {
    /// Whether the client has gone (nothing more needs encoding).
    fn gone(&self) -> bool {
        self.tx.is_closed()
    }

    /// Queues `chunk` and hands over as many queued chunks as the channel takes now.
    fn offer(&mut self, chunk: Bytes) {
        self.pending.push_back(chunk);
        while let Some(next) = self.pending.pop_front() {
            match self.tx.try_send(Ok(next)) {
                Ok(()) => {}
                Err(TrySendError::Full(Ok(next))) => {
                    self.pending.push_front(next);
                    break;
                }
                // Closed: the client left; `gone` now says so.
                Err(_) => break,
            }
        }
    }

    /// Hands over every queued chunk, waiting for the client as long as it reads. False when
    /// the client has gone.
    fn flush(&mut self) -> bool {
        while let Some(next) = self.pending.pop_front() {
            if self.tx.blocking_send(Ok(next)).is_err() {
                return false;
            }
        }
        true
    }
}

/// The download's file name: survey key and the range as local days (the last day
/// included); `until-<last day>` for an export from the first answer, whose day is not
/// known before the rows are read.
fn filename(survey: &str, p: &ReportParams, format: ExportFormat) -> String {
    let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&p.tz).format("%Y-%m-%d").to_string();
    let last = match p.from {
        Some(from) if p.to <= from => p.to,
        _ => p.to - Duration::microseconds(1),
    };
    let first = p.from.map_or_else(|| "until".to_string(), day);
    format!("feedbackd-{survey}-{first}-{}.{}", day(last), format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::Filter;

    #[test]
    fn file_names_name_the_survey_and_the_local_days() {
        let mut p = ReportParams {
            from: Some("2026-03-28T23:00:00Z".parse().unwrap()),
            to: "2026-03-30T22:00:00Z".parse().unwrap(),
            tz: chrono_tz::Europe::Berlin,
            filter: Filter::default(),
        };
        assert_eq!(
            filename("nps-main", &p, ExportFormat::Csv),
            "feedbackd-nps-main-2026-03-29-2026-03-30.csv"
        );
        p.from = None;
        assert_eq!(filename("all", &p, ExportFormat::Ndjson), "feedbackd-all-until-2026-03-30.ndjson");
    }
}
