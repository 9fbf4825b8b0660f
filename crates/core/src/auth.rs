//! Who is calling: a presented token resolved to its key and project, cached so that
//! ingestion at full speed costs no database round trip per request. A change to a key or
//! its project, made anywhere, empties the project's entries at once ([`crate::cache`]).

use crate::cache::{ProjectCache, Subscriber};
use feedbackd_domain::{hash_token, KeyKind, Scope, StoredScope};
use feedbackd_store::models::{ApiKey, Project};
use feedbackd_store::notify::Table;
use feedbackd_store::{keys, projects, Db, StoreError};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// An authenticated key and the project it belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: Uuid,
    /// The key's name, as the audit log shows who changed something.
    pub key_name: String,
    pub kind: KeyKind,
    pub scopes: Vec<Scope>,
    pub project: Arc<Project>,
}

impl Principal {
    /// Whether a secret key holds `scope` (`admin` holds every scope).
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.kind == KeyKind::Secret && self.scopes.iter().any(|&s| s == scope || s == Scope::Admin)
    }

    /// Whether a browser page at `origin` may send this project's answers.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.project
            .allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unknown key")]
    Unknown,
    #[error("revoked key")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolves tokens to principals. A key revoked anywhere (this process, another replica,
/// the CLI) is refused at once; within the cache period while notifications are down.
#[derive(Clone)]
pub struct Authenticator {
    db: Db,
    // Keyed by the token's hash: the plaintext is not kept, even in memory.
    cache: ProjectCache<[u8; 32], Lookup>,
}

/// What a token resolved to, cached whatever it was.
#[derive(Clone)]
enum Lookup {
    Valid(Arc<Principal>),
    Unknown,
    /// Revoked, in this project.
    Revoked(Uuid),
}

impl Lookup {
    fn project(&self) -> Option<Uuid> {
        match self {
            Lookup::Valid(principal) => Some(principal.project.id),
            Lookup::Revoked(project) => Some(*project),
            Lookup::Unknown => None,
        }
    }

    fn into_result(self) -> Result<Arc<Principal>, AuthError> {
        match self {
            Lookup::Valid(principal) => Ok(principal),
            Lookup::Unknown => Err(AuthError::Unknown),
            Lookup::Revoked(_) => Err(AuthError::Revoked),
        }
    }
}

/// The tables a lookup reads: the key, and its project (origins, rates, IP policy).
const TABLES: &[Table] = &[Table::ApiKeys, Table::Projects];

/// Most distinct tokens remembered; unknown tokens are remembered too (as `None`) so that
/// guessing keys costs the database nothing, and the bound keeps that from growing.
const CACHE_CAPACITY: u64 = 100_000;

impl Authenticator {
    /// An authenticator caching lookups for `ttl` (zero disables the cache).
    pub fn new(db: Db, ttl: Duration) -> Self {
        let cache = ProjectCache::new(CACHE_CAPACITY, ttl, TABLES, |_, lookup: &Lookup| lookup.project());
        Authenticator { db, cache }
    }

    /// The principal of `token`, or why it is refused.
    pub async fn authenticate(&self, token: &str) -> Result<Arc<Principal>, AuthError> {
        let hash = hash_token(token);
        self.cache.get_or_load(hash, || self.load(hash)).await?.into_result()
    }

    /// Forgets the project's cached lookups: a change made through this process applies to
    /// its next request even while notifications are down.
    pub fn forget_project(&self, project_id: Uuid) {
        self.cache.forget_project(project_id);
    }

    /// The cache, for the notifications to empty.
    pub fn subscriber(&self) -> Box<dyn Subscriber> {
        Box::new(self.cache.clone())
    }

    /// The principal of a key known by id (a report session), read afresh, not cached: a
    /// revoked key ends its sessions at once, on every replica.
    pub async fn by_id(&self, project_id: Uuid, key_id: Uuid) -> Result<Arc<Principal>, AuthError> {
        let found = self.db.run(move |conn| keys::find(conn, project_id, key_id)).await?;
        principal_of(found)?.into_result()
    }

    /// Whether any project allows browser `origin` (a preflight that carries no key).
    pub async fn any_project_allows(&self, origin: &str) -> Result<bool, StoreError> {
        let origin = origin.to_string();
        self.db.run(move |conn| projects::any_allows_origin(conn, &origin)).await
    }

    async fn load(&self, hash: [u8; 32]) -> Result<Lookup, StoreError> {
        let found = self
            .db
            .run(move |conn| {
                let found = keys::find_by_hash(conn, &hash)?;
                if let Some((key, _)) = &found {
                    if key.revoked_at.is_none() {
                        keys::touch(conn, key.project_id, key.id)?;
                    }
                }
                Ok::<_, StoreError>(found)
            })
            .await?;
        principal_of(found)
    }
}

/// What a stored key (if any) means for its caller.
fn principal_of(found: Option<(ApiKey, Project)>) -> Result<Lookup, StoreError> {
    let Some((key, project)) = found else {
        return Ok(Lookup::Unknown);
    };
    if key.revoked_at.is_some() {
        return Ok(Lookup::Revoked(key.project_id));
    }
    // A scope this binary does not know (from a newer version) grants nothing.
    let scopes = key.scopes.iter().filter_map(StoredScope::known).collect();
    Ok(Lookup::Valid(Arc::new(Principal {
        key_id: key.id,
        key_name: key.name,
        kind: key.kind,
        scopes,
        project: Arc::new(project),
    })))
}
