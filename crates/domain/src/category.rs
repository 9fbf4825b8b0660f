//! The kinds of free-text feedback.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What kind of free-text feedback it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Bug,
    Idea,
    Praise,
    Other,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 4] = [Category::Bug, Category::Idea, Category::Praise, Category::Other];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Bug => "bug",
            Category::Idea => "idea",
            Category::Praise => "praise",
            Category::Other => "other",
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Category::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| format!("unknown category {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_through_their_names() {
        for category in Category::ALL {
            assert_eq!(category.as_str().parse::<Category>(), Ok(category));
        }
        assert!("complaint".parse::<Category>().is_err());
    }
}
