//! People who run surveys in the console (issue 23): their role in a project, and what it
//! lets them do. A role is a set of the scopes API keys hold, so the server checks a
//! person's action by the same rule as a key's: one rule, two kinds of principal.

use super::Scope;
use serde::{Deserialize, Serialize};

/// A person's role in one project.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, keys, webhooks and members included.
    Owner,
    /// Surveys, share links and exports.
    Editor,
    /// Reports and exports.
    Viewer,
}

names!(Role, "role" { Owner => "owner", Editor => "editor", Viewer => "viewer" });

impl Role {
    /// The scopes the role holds, as a key would.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Role::Owner => &[Scope::Admin],
            Role::Editor => &[
                Scope::SurveysRead,
                Scope::SurveysWrite,
                Scope::ResponsesRead,
                Scope::ResponsesExport,
                Scope::ReportsShare,
            ],
            Role::Viewer => &[Scope::SurveysRead, Scope::ResponsesRead, Scope::ResponsesExport],
        }
    }

    /// Where the role stands among the others: an owner above an editor above a viewer.
    pub fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Owner => 2,
        }
    }

    /// Whether the role may do what `scope` guards (`admin` holds every scope, as for keys).
    pub fn allows(self, scope: Scope) -> bool {
        self.scopes().iter().any(|&held| held == scope || held == Scope::Admin)
    }
}

/// An email address as accounts are keyed: trimmed and lower-cased, so that
/// `Ana@Example.com` and `ana@example.com` are one account. `None` when it is not an
/// address (one `@`, something on each side, no spaces, at most 254 characters).
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().count() <= 254
        && !email.chars().any(char::is_whitespace);
    valid.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_hold_the_scopes_of_their_job() {
        let can = |role: Role| Scope::ALL.into_iter().filter(|&s| role.allows(s)).collect::<Vec<_>>();
        assert_eq!(can(Role::Owner), Scope::ALL.to_vec());
        assert_eq!(
            can(Role::Editor),
            [
                Scope::SurveysRead,
                Scope::SurveysWrite,
                Scope::ResponsesRead,
                Scope::ResponsesExport,
                Scope::ReportsShare
            ]
        );
        assert_eq!(can(Role::Viewer), [Scope::SurveysRead, Scope::ResponsesRead, Scope::ResponsesExport]);
        for role in [Role::Editor, Role::Viewer] {
            assert!(
                !role.allows(Scope::Admin) && !role.allows(Scope::Privacy),
                "{role}: keys, members, erasure"
            );
        }
        assert!(!Role::Viewer.allows(Scope::SurveysWrite));
        assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn emails_are_one_account_whatever_their_case() {
        assert_eq!(normalize_email("  Ana@Example.COM "), Some("ana@example.com".into()));
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "ana@@example.com",
            "a na@example.com",
            "ana@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        assert_eq!(normalize_email(&format!("{}@example.com", "a".repeat(250))), None);
    }
}
