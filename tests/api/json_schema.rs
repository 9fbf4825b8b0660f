//! A checker for the part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that utoipa
//! writes, to hold real responses to the schemas the document gives them. It is stricter
//! than JSON Schema in one way: a property the schema does not declare is a violation
//! (unless the schema is a free-form object), so a field serde writes but the schema
//! forgot is found too. A keyword it does not know is a violation rather than ignored, so
//! it cannot quietly pass what it never checked.

use serde_json::Value;
use std::collections::BTreeSet;

/// What is wrong with `value` against `schema`, whose `$ref`s point into `doc`; empty if
/// nothing is.
pub fn violations(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(doc, schema, value, "", true, &mut out);
    out
}

/// Words that describe and constrain nothing.
const ANNOTATIONS: &[&str] = &["description", "title", "example", "examples", "default", "deprecated"];

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {reference}"));
    doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}"))
}

/// The property names `schema` declares, through `$ref`s and `allOf`; `None` when it is a
/// free-form object (no properties anywhere) or allows other properties.
fn declared(doc: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    if let Some(Value::String(r)) = schema.get("$ref") {
        return declared(doc, resolve(doc, r));
    }
    if schema.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false)) {
        return None;
    }
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut any = false;
    if let Some(Value::Object(properties)) = schema.get("properties") {
        names.extend(properties.keys().cloned());
        any = true;
    }
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        names.extend(declared(doc, part)?);
        any = true;
    }
    any.then_some(names)
}

fn check(doc: &Value, schema: &Value, value: &Value, path: &str, strict: bool, out: &mut Vec<String>) {
    let Some(keywords) = schema.as_object() else {
        return out.push(format!("{path}: schema is not an object: {schema}"));
    };
    let at = if path.is_empty() { "(root)" } else { path };
    if strict && value.is_object() && (keywords.contains_key("properties") || keywords.contains_key("allOf"))
    {
        if let Some(names) = declared(doc, schema) {
            for key in value.as_object().into_iter().flat_map(|o| o.keys()) {
                if !names.contains(key) {
                    out.push(format!("{at}: property {key:?} is not in the schema"));
                }
            }
        }
    }
    for (keyword, rule) in keywords {
        match keyword.as_str() {
            "$ref" => check(doc, resolve(doc, rule.as_str().unwrap()), value, path, strict, out),
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                    other => other.as_str().into_iter().collect(),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    out.push(format!("{at}: {value} is not of type {types:?}"));
                }
            }
            "enum" if !rule.as_array().unwrap().contains(value) => {
                out.push(format!("{at}: {value} is not one of {rule}"))
            }
            "required" => {
                for name in rule.as_array().unwrap().iter().filter_map(Value::as_str) {
                    if value.is_object() && value.get(name).is_none() {
                        out.push(format!("{at}: required property {name:?} is missing"));
                    }
                }
            }
            "properties" => {
                for (name, property) in rule.as_object().unwrap() {
                    if let Some(v) = value.as_object().and_then(|o| o.get(name)) {
                        check(doc, property, v, &format!("{path}/{name}"), true, out);
                    }
                }
            }
            "additionalProperties" => {} // Only read by `declared`.
            "items" => {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    check(doc, rule, item, &format!("{path}/{i}"), true, out);
                }
            }
            // Each part sees the whole object; the undeclared check above spans all parts.
            "allOf" => {
                rule.as_array().unwrap().iter().for_each(|part| check(doc, part, value, path, false, out))
            }
            "oneOf" | "anyOf" => {
                let passing = rule
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|branch| {
                        let mut found = Vec::new();
                        check(doc, branch, value, path, strict, &mut found);
                        found.is_empty()
                    })
                    .count();
                if passing == 0 || (keyword == "oneOf" && passing > 1) {
                    out.push(format!("{at}: {value} matches {passing} branches of {keyword}"));
                }
            }
            "minimum" if value.as_f64().is_some_and(|v| v < rule.as_f64().unwrap()) => {
                out.push(format!("{at}: {value} is below {rule}"))
            }
            "maximum" if value.as_f64().is_some_and(|v| v > rule.as_f64().unwrap()) => {
                out.push(format!("{at}: {value} is above {rule}"))
            }
            "format" => {
                if let Some(problem) = value.as_str().and_then(|s| bad_format(rule.as_str().unwrap(), s)) {
                    out.push(format!("{at}: {value} {problem}"));
                }
            }
            "enum" | "minimum" | "maximum" => {}
            k if ANNOTATIONS.contains(&k) => {}
            k => out.push(format!("{at}: the checker does not know the keyword {k:?}")),
        }
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => panic!("unknown type {t}"),
    }
}

/// Why `s` is not of string `format`, if it is not; numeric formats (`int32`, `double`)
/// are left to `type`.
fn bad_format(format: &str, s: &str) -> Option<&'static str> {
    let ok = match format {
        "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        "date" => s.parse::<chrono::NaiveDate>().is_ok(),
        "uuid" => s.parse::<uuid::Uuid>().is_ok(),
        _ => true,
    };
    (!ok).then_some("does not have its format")
}

#[test]
fn the_checker_finds_what_it_should() {
    let doc = serde_json::json!({"components": {"schemas": {
        "A": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0}}},
        "B": {"allOf": [{"$ref": "#/components/schemas/A"}, {"type": "object", "properties": {
            "m": {"oneOf": [{"type": "null"}, {"type": "string", "format": "uuid"}]}}}]},
    }}});
    let b = serde_json::json!({"$ref": "#/components/schemas/B"});
    assert!(violations(&doc, &b, &serde_json::json!({"n": 1, "m": null})).is_empty());
    assert!(violations(&doc, &b, &serde_json::json!({"n": 1})).is_empty());
    for wrong in [
        serde_json::json!({"m": null}),
        serde_json::json!({"n": -1}),
        serde_json::json!({"n": 1.5}),
        serde_json::json!({"n": 1, "m": "not a uuid"}),
        serde_json::json!({"n": 1, "extra": true}),
    ] {
        assert_eq!(violations(&doc, &b, &wrong).len(), 1, "{wrong}");
    }
}
