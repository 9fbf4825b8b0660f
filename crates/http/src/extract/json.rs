//! The one JSON decoder of request bodies and batch items, and the one place serde_json's
//! errors are put in the user's words: the field as a dotted path (`context.page_url`,
//! `targeting.filters[0].op`, `""` for the body itself), what it must be, and for text that
//! is not JSON, what is wrong and at which character. No Rust type name or serde phrasing
//! reaches a client.
//!
//! serde and serde_json only say what went wrong in their messages, so those are matched
//! here; the table test below names every one, and fails if an upgrade rewords them.

use feedbackd_domain::FieldError;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::error::Category;
use serde_json::Value;
use serde_path_to_error::Segment;
use std::borrow::Cow;
use std::fmt::Write;

/// Why a JSON text was refused.
#[derive(Debug, PartialEq)]
pub enum Rejection {
    /// Not JSON at all (a 400): what is wrong, and where (`… (at character 12)`).
    Malformed(String),
    /// JSON of the wrong shape (a 422): the field and what is wrong with it.
    Field(FieldError),
}

/// Parses `text`, which must hold one JSON object, as a `T`.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, Rejection> {
    // serde would read an array positionally into a struct, and succeed or fail baffled.
    if !opens_an_object(text) {
        return Err(explain::<T>(text, None));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => match deserializer.end() {
            Ok(()) => Ok(value),
            Err(_) => Err(explain::<T>(text, None)),
        },
        Err(error) => Err(explain::<T>(text, Some(error))),
    }
}

/// Why `text` is not a `T`; `typed` is the typed parse's error, if it got that far. Only
/// failures come here, so the second parses cost nothing on the common path. Syntax is
/// judged first: text that is not JSON is a 400 whatever else is wrong with it.
fn explain<T: DeserializeOwned>(
    text: &str,
    typed: Option<serde_path_to_error::Error<serde_json::Error>>,
) -> Rejection {
    if let Err(error) = check_syntax(text) {
        return Rejection::Malformed(syntax_reason(&error, text));
    }
    if !opens_an_object(text) {
        return Rejection::Field(FieldError::new(
            "",
            format!("must be a JSON object, not {}", kind_of(text)),
        ));
    }
    let Some(error) = typed else {
        return Rejection::Malformed("it is not written as JSON allows".into()); // unreachable: checked above
    };
    // An enum given an object reports from inside it (`color.red`); ours are plain names,
    // so the fault is the enum's own value.
    let segments: Vec<&Segment> = error.path().iter().collect();
    let in_enum = segments.iter().position(|s| matches!(s, Segment::Enum { .. }));
    let segments = &segments[..in_enum.unwrap_or(segments.len())];
    let field = field_path(segments.iter().copied());
    let message = without_position(error.inner());
    let category = error.inner().classify();
    let field_error = |message: &str| Rejection::Field(FieldError::new(field.clone(), message));
    // The text passed the skimming parse but not the typed one: a number past what it can
    // hold, or a `\u` escape of half a character (skimming does not decode strings).
    if message == "number out of range" {
        return field_error("is a number out of range");
    }
    let shape = ["expected value", "trailing characters"];
    if category != Category::Data && !shape.contains(&message.as_str()) {
        return Rejection::Malformed(syntax_reason(error.inner(), text));
    }
    if let Some(field) = array_for_object::<T>(text, segments) {
        return Rejection::Field(FieldError::new(field, "must be an object, not an array"));
    }
    if category == Category::Data && in_enum.is_none() {
        return Rejection::Field(data_error(field, &message));
    }
    // What is left is serde_json's "expected value" for an enum given something other than
    // a string, and its "trailing characters" for an array longer than a tuple.
    match enum_choices::<T>(text, segments) {
        Some(choices) => field_error(&choices),
        None if message == "trailing characters" => field_error("has the wrong number of items"),
        None => field_error("has a type this field does not accept"),
    }
}

fn check_syntax(text: &str) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    IgnoredAny::deserialize(&mut deserializer)?;
    deserializer.end()
}

fn opens_an_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{')
}

/// What a valid JSON text that is not an object is, from its first character.
fn kind_of(text: &str) -> &'static str {
    match text.trim_start_matches([' ', '\t', '\n', '\r']).bytes().next() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't') => "true",
        Some(b'f') => "false",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// serde_json's syntax errors, and what they mean to someone writing JSON by hand. Text
/// comes here as `str`, so "invalid unicode code point" (bytes that are not UTF-8) cannot
/// occur; "number out of range" is not a syntax error here (see [`explain`]).
const SYNTAX: &[(&str, &str)] = &[
    ("expected `:`", "a colon must follow each name"),
    ("expected `,` or `]`", "a comma or ] must follow each item in an array"),
    ("expected `,` or `}`", "a comma or } must follow each value in an object"),
    ("expected ident", "only true, false and null may be written without quotes"),
    ("expected value", "a value is missing or is not written as JSON"),
    ("expected `\"`", "names must be strings in double quotes"),
    ("key must be a string", "names must be strings in double quotes"),
    ("invalid escape", "a string has an invalid backslash escape"),
    ("invalid number", "a number is not written as JSON allows"),
    (
        "control character (\\u0000-\\u001F) found while parsing a string",
        "a string holds a raw control character such as a tab or line break; escape it",
    ),
    ("lone leading surrogate in hex escape", "a string has an unpaired \\u surrogate escape"),
    ("unexpected end of hex escape", "a string has an incomplete \\u escape"),
    ("trailing comma", "a comma is followed by nothing"),
    ("trailing characters", "there is more after the JSON value"),
    ("recursion limit exceeded", "it is nested too deeply"),
];

fn syntax_reason(error: &serde_json::Error, text: &str) -> String {
    if error.is_eof() {
        return "it ends before the JSON value is complete".into();
    }
    let mut byte = byte_at(text, error.line(), error.column());
    let mut message = without_position(error);
    if message.starts_with("control character") {
        // Reported one character early: point at the character itself.
        byte += text[byte..].find(|c: char| c.is_ascii_control()).unwrap_or(0);
    }
    // Skipping over values, serde_json takes `[1, ]` and `{"a": 1, }` for a missing value
    // or name; what the writer did is leave a comma before the bracket.
    let closes = text.get(byte..).is_some_and(|rest| rest.starts_with(['}', ']']));
    if closes && text[..byte].trim_end().ends_with(',') {
        message = "trailing comma".into();
    }
    let what = SYNTAX
        .iter()
        .find(|(serde, _)| *serde == message)
        .map_or("it is not written as JSON allows", |(_, plain)| plain);
    let at = text.char_indices().take_while(|(i, _)| *i < byte).count() + 1;
    format!("{what} (at character {at})")
}

/// serde_json ends its messages with " at line 1 column 42"; the position is told apart.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    message.strip_suffix(&suffix).map_or_else(|| message.clone(), str::to_string)
}

/// The byte serde_json's line and (1-based, byte) column point at.
fn byte_at(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column).saturating_sub(1)
}

/// `targeting.filters[0].op`; stops where serde lost track (inside an untagged enum).
fn field_path<'a>(path: impl IntoIterator<Item = &'a Segment>) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => break,
        }
    }
    out
}

/// A field inside `parent`: missing and repeated fields are reported at their parent.
fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

const UUID_EXAMPLE: &str = "0193a6f0-7c1e-7a3b-9f00-3c5d2e1a4b77";
const DATE_TIME: &str = "a date and time in RFC 3339 form, such as 2026-11-24T09:15:02Z";
/// chrono's parse errors, which its serde support passes on as they are.
const CHRONO: &[&str] = &[
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "bad or unsupported format string",
];

/// A serde data error (`invalid type: …, expected …`, `unknown field …`) in plain words.
fn data_error(path: String, message: &str) -> FieldError {
    let name = |prefix: &str| message.strip_prefix(prefix)?.strip_prefix('`')?.strip_suffix('`');
    if let Some(name) = name("missing field ") {
        return FieldError::new(join(&path, name), "is required");
    }
    if let Some(name) = name("duplicate field ") {
        return FieldError::new(join(&path, name), "is given more than once");
    }
    let words: Cow<str> = if message.starts_with("unknown field ") {
        // The unknown name is already the last part of `path`.
        match choices(message) {
            known if known.is_empty() => "is not a known field".into(),
            known => format!("is not a known field; known fields: {}", known.join(", ")).into(),
        }
    } else if message.starts_with("unknown variant ") {
        one_of(&choices(message)).into()
    } else if let Some((found, wanted)) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "))
    {
        mismatch(found, wanted).into()
    } else if message.starts_with("invalid length ") {
        "has the wrong number of items".into()
    } else if message.starts_with("UUID parsing failed") {
        format!("must be a UUID such as {UUID_EXAMPLE}").into()
    } else if CHRONO.contains(&message) {
        format!("must be {DATE_TIME}").into()
    } else if message.starts_with("data did not match any variant of untagged enum") {
        "has a type this field does not accept".into()
    } else {
        "is not valid".into()
    };
    FieldError::new(path, words)
}

/// The `` `names` `` serde lists after "expected one of" (or "expected"): the field or
/// value names of our own types, never the client's text.
fn choices(message: &str) -> Vec<&str> {
    let Some((_, list)) =
        message.rsplit_once(", expected one of ").or_else(|| message.rsplit_once(", expected "))
    else {
        return Vec::new();
    };
    list.split('`').skip(1).step_by(2).collect()
}

fn one_of(choices: &[&str]) -> String {
    if choices.is_empty() {
        return "is not accepted".into();
    }
    let quoted: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
    format!("must be one of {}", quoted.join(", "))
}

/// "must be a whole number, not a string": what serde wanted, and what it found.
fn mismatch(found: &str, wanted: &str) -> String {
    let number = |prefix: &str| found.strip_prefix(prefix)?.strip_suffix('`');
    if let Some((min, max)) = integer_range(wanted) {
        if let Some(n) = number("integer `") {
            return format!("must be a whole number from {min} to {max}, not {n}");
        }
        let float = number("floating point `").and_then(|f| f.parse::<f64>().ok());
        match float {
            Some(x) if x.fract() == 0.0 && (min as f64..=max as f64).contains(&x) => {
                return "must be a whole number written without a fraction or exponent".into();
            }
            Some(x) if x.fract() == 0.0 => return format!("must be a whole number from {min} to {max}"),
            _ => {}
        }
    }
    match (wanted_words(wanted), found_words(found)) {
        (Some(wanted), Some(found)) => format!("must be {wanted}, not {found}"),
        (Some(wanted), None) => format!("must be {wanted}"),
        (None, _) => "has a type this field does not accept".into(),
    }
}

fn integer_range(wanted: &str) -> Option<(i128, i128)> {
    Some(match wanted {
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" => (i64::MIN.into(), i64::MAX.into()),
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" => (0, u64::MAX.into()),
        _ => return None,
    })
}

/// What serde's `expected …` means (the `expecting` of a type's visitor).
fn wanted_words(wanted: &str) -> Option<&'static str> {
    Some(match wanted {
        w if w.starts_with("struct ") || w == "a map" => "an object",
        w if w.starts_with("a sequence") || w.starts_with("a tuple") => "an array",
        "a string" | "a borrowed string" => "a string",
        "a character" => "a single character",
        "a boolean" => "true or false",
        "f32" | "f64" => "a number",
        "unit" => "null",
        w if integer_range(w).is_some() => "a whole number",
        w if w.contains("UUID") => "a UUID",
        w if w.contains("date and time") => DATE_TIME,
        _ => return None,
    })
}

/// What serde's `invalid type: …` found, as JSON calls it.
fn found_words(found: &str) -> Option<String> {
    let quoted = |prefix: &str| found.strip_prefix(prefix)?.strip_suffix('`').map(str::to_string);
    match found {
        "null" | "unit value" => Some("null".into()),
        "sequence" => Some("an array".into()),
        "map" => Some("an object".into()),
        f if f.starts_with("string ") => Some("a string".into()),
        _ => quoted("boolean `").or_else(|| quoted("integer `")).or_else(|| quoted("floating point `")),
    }
}

/// Puts `stand_in` at `path` in the text's JSON and deserializes a `T` again: how the
/// failure path learns what a place wants when serde's message did not say. Returns what
/// the client sent there, and `T`'s complaint if it is about that place.
fn probe<T: DeserializeOwned>(text: &str, path: &[&Segment], stand_in: Value) -> Option<(Value, String)> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    let mut slot = &mut value;
    for segment in path {
        slot = match segment {
            Segment::Seq { index } => slot.get_mut(*index)?,
            Segment::Map { key } => slot.get_mut(key.as_str())?,
            Segment::Enum { .. } | Segment::Unknown => return None,
        };
    }
    let sent = std::mem::replace(slot, stand_in);
    let error = serde_path_to_error::deserialize::<_, T>(value).err()?;
    let here = field_path(error.path()) == field_path(path.iter().copied());
    here.then(|| (sent, error.into_inner().to_string()))
}

/// serde_json reports an enum given a number, array or object as "expected value", without
/// its choices. Given an empty string instead, the enum names them.
fn enum_choices<T: DeserializeOwned>(text: &str, path: &[&Segment]) -> Option<String> {
    let (_, complaint) = probe::<T>(text, path, Value::String(String::new()))?;
    complaint.starts_with("unknown variant ").then(|| one_of(&choices(&complaint)))
}

/// serde reads an array into a struct field by field, so `"context": [1]` fails inside it
/// (`context[0]`) or at its length; the fault is the array where an object belongs. The
/// outermost such array on the path, if any.
fn array_for_object<T: DeserializeOwned>(text: &str, path: &[&Segment]) -> Option<String> {
    let arrays = (1..=path.len()).filter(|&i| i == path.len() || matches!(path[i], Segment::Seq { .. }));
    arrays.into_iter().find_map(|i| {
        let (sent, complaint) = probe::<T>(text, &path[..i], Value::Bool(true))?;
        (sent.is_array() && complaint.contains(", expected struct "))
            .then(|| field_path(path[..i].iter().copied()))
    })
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
