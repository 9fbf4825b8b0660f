//! API keys: the token format, its hash, kinds and scopes.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::str::FromStr;

/// Publishable keys are public (in web pages and apps) and can only send answers and read
/// widget configuration; secret keys call the management and read API within their scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Publishable,
    Secret,
}

names!(KeyKind, "key kind" { Publishable => "publishable", Secret => "secret" });

impl KeyKind {
    fn token_prefix(self) -> &'static str {
        match self {
            KeyKind::Publishable => "fbk_pub_",
            KeyKind::Secret => "fbk_sec_",
        }
    }
}

/// What a secret key may do. `admin` includes every other scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Scope {
    #[serde(rename = "surveys:read")]
    SurveysRead,
    #[serde(rename = "surveys:write")]
    SurveysWrite,
    #[serde(rename = "responses:read")]
    ResponsesRead,
    #[serde(rename = "responses:export")]
    ResponsesExport,
    /// Make, list and revoke share links to report pages.
    #[serde(rename = "reports:share")]
    ReportsShare,
    #[serde(rename = "privacy")]
    Privacy,
    #[serde(rename = "admin")]
    Admin,
}

// Parsed below with a message that lists them all.
names!(Scope {
    SurveysRead => "surveys:read",
    SurveysWrite => "surveys:write",
    ResponsesRead => "responses:read",
    ResponsesExport => "responses:export",
    ReportsShare => "reports:share",
    Privacy => "privacy",
    Admin => "admin",
});

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown scope {s:?}; expected one of {}", names.join(", "))
        })
    }
}

/// A scope as a key holds it in the database. A name this binary does not know (written by
/// a newer version) grants nothing here, but is kept, so that listings show the key as it
/// was made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum StoredScope {
    Known(Scope),
    Unknown(String),
}

impl StoredScope {
    /// The scope it grants; `None` for an unknown name.
    pub fn known(&self) -> Option<Scope> {
        match self {
            StoredScope::Known(scope) => Some(*scope),
            StoredScope::Unknown(_) => None,
        }
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        match self {
            StoredScope::Known(scope) => scope.as_str(),
            StoredScope::Unknown(name) => name,
        }
    }
}

impl From<Scope> for StoredScope {
    fn from(scope: Scope) -> Self {
        StoredScope::Known(scope)
    }
}

impl FromStr for StoredScope {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.parse().map_or_else(|_| StoredScope::Unknown(s.to_string()), StoredScope::Known))
    }
}

impl Serialize for StoredScope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

// clap parses scopes through FromStr, so the CLI accepts exactly the wire names.
impl clap::builder::ValueParserFactory for Scope {
    type Parser = clap::builder::TryMapValueParser<
        clap::builder::StringValueParser,
        fn(String) -> Result<Scope, String>,
    >;
    fn value_parser() -> Self::Parser {
        use clap::builder::TypedValueParser;
        clap::builder::StringValueParser::new().try_map(|s| s.parse())
    }
}

/// A freshly made token: 256 random bits behind a prefix that says its kind. The plaintext
/// exists only in this value, long enough to be shown once.
pub struct NewToken {
    pub plaintext: String,
    pub hash: [u8; 32],
    /// What listings show: enough to recognise the key, useless to an attacker.
    pub display_prefix: String,
}

impl NewToken {
    /// Makes a key's token from the operating system's random source.
    pub fn generate(kind: KeyKind) -> Self {
        Self::with_prefix(kind.token_prefix())
    }

    /// Makes a console session's token ([`SESSION_TOKEN_PREFIX`]).
    pub fn console_session() -> Self {
        Self::with_prefix(SESSION_TOKEN_PREFIX)
    }

    /// Makes a project invitation's token ([`INVITATION_TOKEN_PREFIX`]).
    pub fn invitation() -> Self {
        Self::with_prefix(INVITATION_TOKEN_PREFIX)
    }

    /// Makes a password reset link's token ([`RESET_TOKEN_PREFIX`]).
    pub fn password_reset() -> Self {
        Self::with_prefix(RESET_TOKEN_PREFIX)
    }

    /// Makes the first-run page's token ([`SETUP_TOKEN_PREFIX`]).
    pub fn setup() -> Self {
        Self::with_prefix(SETUP_TOKEN_PREFIX)
    }

    /// Makes a report share link's token ([`SHARE_TOKEN_PREFIX`]).
    pub fn share_link() -> Self {
        Self::with_prefix(SHARE_TOKEN_PREFIX)
    }

    fn with_prefix(prefix: &str) -> Self {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let plaintext = format!("{prefix}{}", hex::encode(secret));
        let display_prefix = plaintext[..prefix.len() + 6].to_string();
        NewToken { hash: hash_token(&plaintext), plaintext, display_prefix }
    }
}

/// What a share link's token starts with: recognisable (to people and secret scanners) and
/// never mistaken for a key, so it can open nothing but its report page.
pub const SHARE_TOKEN_PREFIX: &str = "fbk_share_";

/// What a console session's token (its cookie) starts with.
pub const SESSION_TOKEN_PREFIX: &str = "fbk_ses_";

/// What an invitation link's token starts with.
pub const INVITATION_TOKEN_PREFIX: &str = "fbk_inv_";

/// What a password reset link's token starts with.
pub const RESET_TOKEN_PREFIX: &str = "fbk_rst_";

/// What the first-run page's token starts with.
pub const SETUP_TOKEN_PREFIX: &str = "fbk_setup_";

/// The token of a share link as a person may paste it: the whole link
/// (`https://…/reports/shared#fbk_share_…`), its fragment, or the token alone. `None` when
/// it cannot be one of ours, so a typo costs no database lookup.
pub fn parse_share_token(pasted: &str) -> Option<&str> {
    let pasted = pasted.trim();
    let token = pasted.rsplit_once('#').map_or(pasted, |(_, fragment)| fragment).trim();
    let secret = token.strip_prefix(SHARE_TOKEN_PREFIX)?;
    (secret.len() == 64 && secret.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(token)
}

/// SHA-256 of a presented token. A fast hash is right here: tokens are random 256-bit
/// values, so there is nothing to brute-force that a slow hash would protect.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_to_what_is_stored() {
        let a = NewToken::generate(KeyKind::Secret);
        let b = NewToken::generate(KeyKind::Secret);
        assert_ne!(a.plaintext, b.plaintext);
        assert!(a.plaintext.starts_with("fbk_sec_"));
        assert_eq!(a.plaintext.len(), 8 + 64);
        assert_eq!(hash_token(&a.plaintext), a.hash);
        assert!(a.plaintext.starts_with(&a.display_prefix));
        assert!(NewToken::generate(KeyKind::Publishable).plaintext.starts_with("fbk_pub_"));
    }

    #[test]
    fn share_tokens_are_found_in_whatever_was_pasted() {
        let t = NewToken::share_link();
        assert!(t.plaintext.starts_with(SHARE_TOKEN_PREFIX) && t.plaintext.len() == 10 + 64);
        let token = t.plaintext.as_str();
        for pasted in [
            token.to_string(),
            format!("  {token}\n"),
            format!("#{token}"),
            format!("https://feedback.example.com/reports/shared#{token}"),
        ] {
            assert_eq!(parse_share_token(&pasted), Some(token), "{pasted:?}");
        }
        let short = &token[..token.len() - 1];
        let secret_key = NewToken::generate(KeyKind::Secret).plaintext;
        for bad in ["", "https://x/reports/shared", short, &token.to_uppercase(), &secret_key] {
            assert_eq!(parse_share_token(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scopes_round_trip_through_their_names() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert!("surveys:delete".parse::<Scope>().is_err());
    }

    #[test]
    fn stored_scopes_keep_unknown_names_and_grant_nothing_by_them() {
        let known: StoredScope = "privacy".parse().unwrap();
        assert_eq!((known.known(), known.as_str()), (Some(Scope::Privacy), "privacy"));
        let newer: StoredScope = "surveys:delete".parse().unwrap();
        assert_eq!((newer.known(), newer.as_str()), (None, "surveys:delete"));
        assert_eq!(
            serde_json::to_value([known, newer]).unwrap(),
            serde_json::json!(["privacy", "surveys:delete"])
        );
    }
}
