//! The kinds of free-text feedback.

use serde::{Deserialize, Serialize};

/// What kind of free-text feedback it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Bug,
    Idea,
    Praise,
    Other,
}

impl Category {
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
