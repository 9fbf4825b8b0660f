//! The domain's enums and newtypes as PostgreSQL values (feature `diesel`). Each is written
//! as its name and read back through its `FromStr`, once, when the row is read: call sites
//! get the type, never a string to parse again. A stored value that does not parse (the
//! table's check forbids it, so a bug or a newer version's row) fails the read with a
//! deserialization error naming the value; nothing panics.

use super::{
    Category, EventKind, IpPolicy, KeyKind, RespondentId, Role, Scope, Score, StoredScope, SurveyKind,
    SurveyStatus,
};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{SmallInt, Text};
use std::fmt::Display;
use std::io::Write;

/// `text` through the type's `as_str` (to the database) and `FromStr` (from it).
macro_rules! text_value {
    ($($ty:ident),+ $(,)?) => {$(
        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                out.write_all(self.as_str().as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                let raw = std::str::from_utf8(value.as_bytes())?;
                raw.parse().map_err(|e| unreadable(stringify!($ty), raw, e))
            }
        }
    )+};
}

text_value!(
    SurveyKind,
    SurveyStatus,
    KeyKind,
    Scope,
    StoredScope,
    Category,
    IpPolicy,
    EventKind,
    RespondentId,
    Role
);

fn unreadable(ty: &str, raw: &str, error: impl Display) -> Box<dyn std::error::Error + Send + Sync> {
    format!("stored value {raw:?} is not a {ty}: {error}").into()
}

impl ToSql<SmallInt, Pg> for Score {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(&self.get().to_be_bytes())?;
        Ok(IsNull::No)
    }
}
