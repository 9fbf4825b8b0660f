//! Cells picked out of an answer's JSON (attributes, context) without parsing it into a tree.

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A JSON value as one cell: strings as they are, null as empty, anything else as its JSON.
pub fn value_cell(v: Option<&RawValue>) -> Cow<'_, str> {
    match v.map(RawValue::get) {
        None | Some("null") => Cow::Borrowed(""),
        // Borrowed from the text unless the string has escapes.
        Some(json) if json.starts_with('"') => match serde_json::from_str::<&str>(json) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(serde_json::from_str::<String>(json).unwrap_or_default()),
        },
        Some(json) => Cow::Borrowed(json),
    }
}

/// Picks named members out of a JSON object's text without building the object (a parsed
/// `Value` costs an allocation per key and value: a fifth of an export's time).
pub struct Members {
    names: Vec<String>,
    /// Indexes into `names`, in byte order of the names, for a binary search.
    by_name: Vec<usize>,
}

impl Members {
    pub fn new(names: Vec<String>) -> Self {
        let mut by_name: Vec<usize> = (0..names.len()).collect();
        by_name.sort_by(|&a, &b| names[a].cmp(&names[b]));
        Members { names, by_name }
    }

    /// Sets `slots[i]` to the member named `names[i]` of the object `json`, as raw JSON.
    pub fn pick<'t>(&self, json: &'t str, slots: &mut Vec<Option<&'t RawValue>>) -> serde_json::Result<()> {
        slots.clear();
        slots.resize(self.names.len(), None);
        serde_json::Deserializer::from_str(json).deserialize_map(Picker { members: self, slots })
    }
}

struct Picker<'m, 's, 't> {
    members: &'m Members,
    slots: &'s mut Vec<Option<&'t RawValue>>,
}

impl<'t> Visitor<'t> for Picker<'_, '_, 't> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            let value: &'t RawValue = map.next_value()?;
            let names = &self.members.names;
            if let Ok(i) = self.members.by_name.binary_search_by(|&i| names[i].as_str().cmp(&key)) {
                self.slots[self.members.by_name[i]] = Some(value);
            }
        }
        Ok(())
    }
}

/// A member's name, borrowed from the text unless it has escapes.
struct Key<'t>(Cow<'t, str>);

impl<'t> serde::Deserialize<'t> for Key<'t> {
    fn deserialize<D: serde::Deserializer<'t>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'t> Visitor<'t> for KeyVisitor {
            type Value = Key<'t>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'t str) -> Result<Key<'t>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'t>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}
