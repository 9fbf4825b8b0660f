//! Every way serde and serde_json can refuse a body, and the words the client gets.

use super::*;
use std::collections::BTreeMap;

/// One field of each kind of type the request bodies use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Shape {
    name: Option<String>,
    small: Option<u8>,
    big: Option<i64>,
    ratio: Option<f64>,
    flag: Option<bool>,
    letter: Option<char>,
    pair: Option<(u8, u8)>,
    list: Option<Vec<u8>>,
    table: Option<BTreeMap<String, u8>>,
    inner: Option<Child>,
    empty: Option<NoFields>,
    id: Option<uuid::Uuid>,
    at: Option<chrono::DateTime<chrono::Utc>>,
    color: Option<Color>,
    either: Option<Either>,
    nothing: Option<()>,
    odd: Option<Peculiar>,
    any: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Child {
    need: u8,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Blue,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Either {
    Number(u8),
    Text(String),
}

/// A type with its own error text, which only a generic message can stand for.
#[derive(Debug)]
struct Peculiar;

impl<'de> Deserialize<'de> for Peculiar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Err(serde::de::Error::custom("Peculiar::from_str failed: ParseIntError { kind: Empty }"))
    }
}

fn field(field: &str, message: &str) -> Rejection {
    Rejection::Field(FieldError::new(field, message))
}

fn malformed(what: &str, at: usize) -> Rejection {
    Rejection::Malformed(format!("{what} (at character {at})"))
}

const ENDED: &str = "it ends before the JSON value is complete";

fn rows() -> Vec<(String, Rejection)> {
    let deep = format!("{{\"any\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let rows = vec![
        // The whole text.
        ("null", field("", "must be a JSON object, not null")),
        ("true", field("", "must be a JSON object, not true")),
        ("\n false", field("", "must be a JSON object, not false")),
        ("42", field("", "must be a JSON object, not a number")),
        ("-0.5e3", field("", "must be a JSON object, not a number")),
        (r#""x""#, field("", "must be a JSON object, not a string")),
        ("[]", field("", "must be a JSON object, not an array")),
        ("[1, 2]", field("", "must be a JSON object, not an array")),
        // Types, at every depth.
        (r#"{"name": 5}"#, field("name", "must be a string, not 5")),
        (r#"{"name": ["a"]}"#, field("name", "must be a string, not an array")),
        (r#"{"name": {}}"#, field("name", "must be a string, not an object")),
        (r#"{"small": "9"}"#, field("small", "must be a whole number, not a string")),
        (r#"{"small": 300}"#, field("small", "must be a whole number from 0 to 255, not 300")),
        (r#"{"small": -1}"#, field("small", "must be a whole number from 0 to 255, not -1")),
        (r#"{"small": 2.5}"#, field("small", "must be a whole number, not 2.5")),
        (
            r#"{"small": 2.0}"#,
            field("small", "must be a whole number written without a fraction or exponent"),
        ),
        (r#"{"small": 1e3}"#, field("small", "must be a whole number from 0 to 255")),
        (r#"{"big": 1e3}"#, field("big", "must be a whole number written without a fraction or exponent")),
        (
            r#"{"big": -99999999999999999999}"#,
            field("big", "must be a whole number from -9223372036854775808 to 9223372036854775807"),
        ),
        (r#"{"big": 1e400}"#, field("big", "is a number out of range")),
        (r#"{"ratio": -1e400}"#, field("ratio", "is a number out of range")),
        (r#"{"ratio": "0.5"}"#, field("ratio", "must be a number, not a string")),
        (r#"{"flag": 1}"#, field("flag", "must be true or false, not 1")),
        (r#"{"flag": "true"}"#, field("flag", "must be true or false, not a string")),
        (r#"{"letter": "ab"}"#, field("letter", "must be a single character, not a string")),
        (r#"{"pair": [1]}"#, field("pair", "has the wrong number of items")),
        (r#"{"list": {}}"#, field("list", "must be an array, not an object")),
        (r#"{"list": [1, "2"]}"#, field("list[1]", "must be a whole number, not a string")),
        (r#"{"table": []}"#, field("table", "must be an object, not an array")),
        (r#"{"table": {"a": true}}"#, field("table.a", "must be a whole number, not true")),
        (r#"{"inner": null, "inner": {}}"#, field("inner", "is given more than once")),
        (r#"{"inner": 1}"#, field("inner", "must be an object, not 1")),
        (r#"{"inner": {}}"#, field("inner.need", "is required")),
        (r#"{"inner": []}"#, field("inner", "must be an object, not an array")),
        (r#"{"inner": [1, 2]}"#, field("inner", "must be an object, not an array")),
        (r#"{"inner": ["x"]}"#, field("inner", "must be an object, not an array")),
        (r#"{"list": [1, [2]]}"#, field("list[1]", "must be a whole number, not an array")),
        (r#"{"pair": [1, 2, 3]}"#, field("pair", "has the wrong number of items")),
        (r#"{"inner": {"need": 1, "need": 2}}"#, field("inner.need", "is given more than once")),
        (
            r#"{"inner": {"need": 1, "more": 2}}"#,
            field("inner.more", "is not a known field; known fields: need"),
        ),
        (r#"{"empty": {"x": 1}}"#, field("empty.x", "is not a known field")),
        (r#"{"id": "0193a6f0"}"#, field("id", "must be a UUID such as 0193a6f0-7c1e-7a3b-9f00-3c5d2e1a4b77")),
        (
            r#"{"id": "not-a-uuid"}"#,
            field("id", "must be a UUID such as 0193a6f0-7c1e-7a3b-9f00-3c5d2e1a4b77"),
        ),
        (r#"{"id": false}"#, field("id", "must be a UUID, not false")),
        (r#"{"at": "yesterday"}"#, field("at", &format!("must be {DATE_TIME}"))),
        (r#"{"at": "2026-11-24"}"#, field("at", &format!("must be {DATE_TIME}"))),
        (r#"{"at": "2026-11-24T09:15:02Zz"}"#, field("at", &format!("must be {DATE_TIME}"))),
        (r#"{"at": "2026-13-24T09:15:02Z"}"#, field("at", &format!("must be {DATE_TIME}"))),
        (r#"{"at": 1764000000}"#, field("at", &format!("must be {DATE_TIME}, not 1764000000"))),
        (r#"{"color": "green"}"#, field("color", r#"must be one of "red", "blue""#)),
        (r#"{"color": 1}"#, field("color", r#"must be one of "red", "blue""#)),
        (r#"{"color": ["red"]}"#, field("color", r#"must be one of "red", "blue""#)),
        (r#"{"color": {"red": 1, "x": 2}}"#, field("color", r#"must be one of "red", "blue""#)),
        (r#"{"color": {"red": 1}}"#, field("color", r#"must be one of "red", "blue""#)),
        (r#"{"either": [1]}"#, field("either", "has a type this field does not accept")),
        (r#"{"nothing": 1}"#, field("nothing", "must be null, not 1")),
        (r#"{"odd": 1}"#, field("odd", "is not valid")),
        (
            r#"{"bogus": 1}"#,
            field(
                "bogus",
                "is not a known field; known fields: name, small, big, ratio, flag, letter, pair, list, \
                 table, inner, empty, id, at, color, either, nothing, odd, any",
            ),
        ),
        // Not JSON.
        ("{} {}", malformed("there is more after the JSON value", 4)),
        ("{}x", malformed("there is more after the JSON value", 3)),
        ("{\n\"name\": \"é\"} ]", malformed("there is more after the JSON value", 16)),
        (r#"{"name": 5} {"name": "a"}"#, malformed("there is more after the JSON value", 13)),
        (r#"{"name": "#, Rejection::Malformed(ENDED.into())),
        (r#"{"name": "ab"#, Rejection::Malformed(ENDED.into())),
        (r#"{"name": "ab""#, Rejection::Malformed(ENDED.into())),
        (r#"{"list": [1"#, Rejection::Malformed(ENDED.into())),
        ("{", Rejection::Malformed(ENDED.into())),
        (r#"{"name" "a"}"#, malformed("a colon must follow each name", 9)),
        (r#"{"list": [1 2]}"#, malformed("a comma or ] must follow each item in an array", 13)),
        (r#"{"name": "a" "b": 1}"#, malformed("a comma or } must follow each value in an object", 14)),
        (r#"{"name": tru}"#, malformed("only true, false and null may be written without quotes", 13)),
        (r#"{"name": nul}"#, malformed("only true, false and null may be written without quotes", 13)),
        (r#"{"name": }"#, malformed("a value is missing or is not written as JSON", 10)),
        (r#"{"small": NaN}"#, malformed("a value is missing or is not written as JSON", 11)),
        (r#"{"small": +1}"#, malformed("a value is missing or is not written as JSON", 11)),
        ("{name: 1}", malformed("names must be strings in double quotes", 2)),
        (r#"{"name": 1, }"#, malformed("a comma is followed by nothing", 13)),
        (r#"{"list": [1, ]}"#, malformed("a comma is followed by nothing", 14)),
        (r#"{"name": "a\q"}"#, malformed("a string has an invalid backslash escape", 13)),
        (r#"{"name": "a\u12"}"#, malformed("a string has an invalid backslash escape", 17)),
        (r#"{"name": "a\ud800"}"#, malformed("a string has an incomplete \\u escape", 18)),
        (r#"{"name": "a\ud800\u0041"}"#, malformed("a string has an unpaired \\u surrogate escape", 23)),
        (r#"{"name": "a\udc00"}"#, malformed("a string has an unpaired \\u surrogate escape", 17)),
        (r#"{"name": "a\ud800\ud800"}"#, malformed("a string has an unpaired \\u surrogate escape", 23)),
        (
            "{\"name\": \"a\tb\"}",
            malformed("a string holds a raw control character such as a tab or line break; escape it", 12),
        ),
        (r#"{"small": 01}"#, malformed("a number is not written as JSON allows", 12)),
        (r#"{"small": 1.}"#, malformed("a number is not written as JSON allows", 13)),
        (r#"{"small": -}"#, malformed("a number is not written as JSON allows", 12)),
        (&deep, malformed("it is nested too deeply", 135)),
    ];
    rows.into_iter().map(|(text, expected)| (text.to_string(), expected)).collect()
}

/// Words of serde and Rust that must never reach a client.
const FORBIDDEN: &[&str] = &[
    "struct",
    "invalid type",
    "invalid value",
    "expected",
    "u8",
    "u64",
    "i64",
    "f64",
    "variant",
    "sequence",
    "map",
    "at line",
    "column",
    "eof",
    "ident",
    "Shape",
    "Child",
    "Peculiar",
    "NoFields",
    "serde",
];

#[test]
fn every_refusal_is_in_plain_words() {
    for (text, expected) in rows() {
        let got = decode::<Shape>(&text).expect_err(&text);
        assert_eq!(got, expected, "{text}");
        let said = match &got {
            Rejection::Malformed(detail) => detail,
            Rejection::Field(error) => &error.message,
        };
        for word in FORBIDDEN {
            assert!(!said.to_lowercase().contains(&word.to_lowercase()), "{text}: {said:?} says {word:?}");
        }
    }
}

#[test]
fn every_syntax_message_is_reachable() {
    let details: Vec<String> = rows()
        .into_iter()
        .filter_map(|(_, expected)| match expected {
            Rejection::Malformed(detail) => Some(detail),
            Rejection::Field(_) => None,
        })
        .collect();
    for (_, plain) in SYNTAX {
        assert!(details.iter().any(|d| d.contains(plain)), "no row shows {plain:?}: {details:#?}");
    }
}

#[test]
fn a_valid_object_decodes() {
    let shape: Shape =
        decode(r#" {"name": "a", "color": "red", "either": 3, "at": "2026-11-24T09:15:02Z"} "#).unwrap();
    assert_eq!(shape.name.as_deref(), Some("a"));
}
