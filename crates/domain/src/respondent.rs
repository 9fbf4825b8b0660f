//! The app's id for the person who answers.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The id an app gives a person (1 to [`RespondentId::MAX_CHARS`] characters): what
/// recontact rules, sampling and erasure go by. Only [`RespondentId::parse`] makes one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub struct RespondentId(String);

/// Why a respondent id was refused; its `Display` is the message for the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RespondentIdError;

impl fmt::Display for RespondentIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "must be 1 to {} characters", RespondentId::MAX_CHARS)
    }
}

impl std::error::Error for RespondentIdError {}

impl RespondentId {
    /// Longest id, in characters (the database checks it too).
    pub const MAX_CHARS: usize = 256;

    /// `raw` if it is 1 to [`Self::MAX_CHARS`] characters.
    pub fn parse(raw: impl Into<String>) -> Result<Self, RespondentIdError> {
        let raw = raw.into();
        let chars = raw.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(RespondentIdError);
        }
        Ok(RespondentId(raw))
    }

    /// The id as the app sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for RespondentId {
    type Err = RespondentIdError;
    fn from_str(s: &str) -> Result<Self, RespondentIdError> {
        RespondentId::parse(s)
    }
}

impl AsRef<str> for RespondentId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_one_to_256_characters() {
        assert_eq!(RespondentId::parse("u1").unwrap().as_str(), "u1");
        assert!(RespondentId::parse("é".repeat(256)).is_ok(), "characters, not bytes");
        assert_eq!(RespondentId::parse("x".repeat(257)), Err(RespondentIdError));
        assert_eq!(RespondentId::parse(""), Err(RespondentIdError));
        assert_eq!(RespondentIdError.to_string(), "must be 1 to 256 characters");
    }
}
