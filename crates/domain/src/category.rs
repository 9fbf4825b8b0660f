//! The kinds of free-text feedback.

use serde::{Deserialize, Serialize};

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

names!(Category, "category" { Bug => "bug", Idea => "idea", Praise => "praise", Other => "other" });

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
