//! Reading JSON bodies with every limit checked before parsing, and every failure turned
//! into a problem that names the field.

use crate::extract::json::{self, Rejection};
use crate::ApiError;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use feedbackd_domain::FieldError;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Deepest JSON nesting accepted; answers need three levels, so this is generous.
const MAX_DEPTH: usize = 16;

/// A body size limit and the setting that controls it (named in the 413).
#[derive(Clone, Copy)]
pub struct BodyLimit {
    pub bytes: usize,
    pub setting: &'static str,
}

/// Reads the body up to `limit`, then parses it as `T`.
pub async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: BodyLimit,
) -> Result<T, ApiError> {
    check_content_type(req)?;
    let too_large = || ApiError::PayloadTooLarge { limit: limit.bytes, setting: limit.setting };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit.bytes) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit.bytes));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::Malformed(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit.bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    parse_json(&body)
}

/// Parses a whole body, which must be one JSON object, as `T`. The body's own limits
/// (empty, UTF-8, depth, U+0000) are checked here; the JSON itself in [`json::decode`].
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed("the body is empty; send a JSON object".into()));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        let at = String::from_utf8_lossy(&body[..e.valid_up_to()]).chars().count() + 1;
        ApiError::Malformed(format!("the body is not valid UTF-8 text (at character {at})"))
    })?;
    if nesting_depth(body) > MAX_DEPTH {
        return Err(ApiError::Malformed(format!("JSON nested deeper than {MAX_DEPTH} levels")));
    }
    reject_nul(body)?;
    json::decode(text).map_err(|rejection| match rejection {
        Rejection::Malformed(reason) => ApiError::Malformed(format!("the body is not valid JSON: {reason}")),
        Rejection::Field(error) => ApiError::Validation(vec![error]),
    })
}

/// Parses one item of a batch, already checked as part of its body: its fields are named
/// from the item (`score`), and `""` is the item itself.
pub fn parse_item<T: DeserializeOwned>(item: &RawValue) -> Result<T, FieldError> {
    json::decode(item.get()).map_err(|rejection| match rejection {
        Rejection::Field(error) => error,
        Rejection::Malformed(reason) => FieldError::new("", format!("is not valid JSON: {reason}")),
    })
}

/// PostgreSQL text cannot hold U+0000, so a string with one would fail at the database
/// (a 500, found by the fuzz run). JSON can only carry it as the escape `\u0000`: bodies
/// without that sequence (all real ones) cost one scan; the others are parsed to find and
/// name the field.
fn reject_nul(body: &[u8]) -> Result<(), ApiError> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !body.windows(ESCAPE.len()).any(|w| w == ESCAPE) {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(()); // the typed parse reports the syntax error
    };
    match nul_path(&value, String::new()) {
        Some(field) => Err(ApiError::field(&field, "must not contain the character U+0000")),
        None => Ok(()),
    }
}

/// The path of the first string (or object key) holding U+0000, as `a.b[2].c`.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match value {
        Value::String(s) if s.contains('\0') => Some(path),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item, format!("{path}[{i}]")))
        }
        Value::Object(map) => {
            map.iter().find_map(
                |(key, item)| {
                    if key.contains('\0') {
                        Some(join(key))
                    } else {
                        nul_path(item, join(key))
                    }
                },
            )
        }
        _ => None,
    }
}

/// For a PATCH field that may be cleared, as `#[serde(default, deserialize_with =
/// "crate::extract::body::nullable")]` on an `Option<Option<T>>`: absent stays `None` (keep the
/// value), `null` is `Some(None)` (clear it), a value is `Some(Some(v))`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// JSON bodies are `application/json`; `text/plain` is accepted too, because
/// `navigator.sendBeacon` and preflight-free widget requests can only send that.
fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/plain" | "" => Ok(()),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "content type {other:?} is not accepted; send application/json"
        ))),
    }
}

/// The deepest nesting of objects and arrays, ignoring brackets inside strings.
fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(nesting_depth(br#"{"a": "[[[{{{\"]]]"}"#), 1);
        assert_eq!(nesting_depth(br#"{"a": [[{"b": 1}]]}"#), 4);
    }

    #[test]
    fn unknown_fields_are_named() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: Option<u8>,
        }
        let Err(ApiError::Validation(errors)) = parse_json::<T>(br#"{"b": 1}"#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "b");
        let Err(ApiError::Validation(errors)) = parse_json::<T>(br#"{"a": 300}"#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "a");
        assert!(matches!(parse_json::<T>(b"{"), Err(ApiError::Malformed(_))));
    }

    #[test]
    fn nullable_fields_tell_absent_from_null() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[serde(default, deserialize_with = "nullable")]
            a: Option<Option<u8>>,
        }
        let read = |body: &[u8]| parse_json::<T>(body).unwrap().a;
        assert_eq!(
            (read(b"{}"), read(br#"{"a": null}"#), read(br#"{"a": 3}"#)),
            (None, Some(None), Some(Some(3)))
        );
        let Err(ApiError::Validation(errors)) = parse_json::<T>(br#"{"a": -1}"#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "a");
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        let Err(ApiError::Validation(errors)) =
            parse_json::<serde_json::Value>(br#"{"a": [{"b": "x\u0000"}]}"#)
        else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "a[0].b");
        // An escaped backslash followed by `u0000` is six ordinary characters.
        assert!(parse_json::<serde_json::Value>(br#"{"a": "\\u0000"}"#).is_ok());
    }
}
