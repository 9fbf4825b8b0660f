//! The change feed to pull (`GET /v1/events`): a project's events in the order the
//! sequencer numbered them, after an opaque cursor. A connector that stores the last
//! cursor it processed resumes after a crash with no gap and nothing reordered; what it
//! may see twice is the page it had not yet stored its cursor for.

use super::payload::{envelope, Envelope};
use super::WebhookError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use feedbackd_domain::FieldError;
use feedbackd_store::events;
use feedbackd_store::insights::answers_by_keys;
use feedbackd_store::Db;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Events one page holds at most.
pub const MAX_PAGE: i64 = 1_000;

/// One page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    /// Oldest first.
    pub data: Vec<FeedItem>,
    /// Pass as `after` for the next page; the same cursor again when there is nothing new
    /// yet (poll with it).
    pub next_cursor: String,
    /// Whether more events were waiting when this page was read.
    pub has_more: bool,
}

/// An event and the cursor just after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    #[serde(flatten)]
    pub event: Envelope,
    /// Resume after this event.
    pub cursor: String,
}

/// The cursor after position `position`. Opaque to clients: a version and the position.
pub fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{position}"))
}

/// The position a cursor stands after.
pub fn decode_cursor(cursor: &str) -> Result<i64, WebhookError> {
    let bad = || WebhookError::Invalid(vec![FieldError::new("after", "not a cursor this feed gave out")]);
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    text.strip_prefix("v1:").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 0).ok_or_else(bad)
}

/// The events of the project after `after` (none: from the oldest kept), at most `limit`.
pub async fn read(
    db: &Db,
    project_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<FeedPage, WebhookError> {
    let position = after.map(decode_cursor).transpose()?.unwrap_or(0);
    let limit = limit.clamp(1, MAX_PAGE);
    let (events, (first_kept, last), answers) = db
        .run(move |conn| {
            feedbackd_store::read_snapshot(conn, |conn| {
                let horizon = events::horizon(conn, project_id)?;
                let events = events::feed(conn, project_id, position, limit + 1)?;
                let keys: Vec<(Uuid, Uuid)> = events
                    .iter()
                    .filter(|e| e.kind != "response.erased")
                    .filter_map(|e| Some((project_id, e.response_id?)))
                    .collect();
                let answers = answers_by_keys(conn, &keys)?;
                Ok::<_, WebhookError>((events, horizon, answers))
            })
        })
        .await?;
    // Retention removes the oldest events of a project's feed; a cursor from before the
    // oldest kept one would skip what was removed, so it is refused, not served.
    let first = first_kept.unwrap_or(last + 1);
    if let Some(after) = after {
        if position < first - 1 {
            return Err(WebhookError::CursorExpired(format!(
                "the cursor {after:?} is older than the events still kept; start again without `after` \
                 (or from a full export) and erase what the feed no longer shows"
            )));
        }
    }
    let answers: HashMap<Uuid, _> = answers.into_iter().map(|a| (a.id, a)).collect();
    let has_more = events.len() as i64 > limit;
    let data: Vec<FeedItem> = events
        .iter()
        .take(limit as usize)
        .filter_map(|e| {
            let kind = e.event_type().ok()?;
            let answer = e.response_id.and_then(|id| answers.get(&id));
            Some(FeedItem { event: envelope(e, kind, answer), cursor: encode_cursor(e.position) })
        })
        .collect();
    // A page that is not full has shown everything numbered so far (positions and the
    // counter commit together, and the page comes from one snapshot): its cursor moves to
    // the last number handed out, so a quiet project's cursor never falls behind retention.
    let next_cursor = if has_more {
        events.get(limit as usize - 1).map_or(position, |e| e.position)
    } else {
        last.max(position)
    };
    Ok(FeedPage { data, next_cursor: encode_cursor(next_cursor), has_more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        for p in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(p)).unwrap(), p);
        }
        for bad in ["", "abc", "djE6LTE", &URL_SAFE_NO_PAD.encode("v2:5")] {
            assert!(decode_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
