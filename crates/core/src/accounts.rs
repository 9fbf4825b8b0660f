//! Console accounts (issue 23): who may sign in, and what their role in a project lets them
//! do. Passwords are hashed with argon2id at the OWASP password storage guidance's minimum
//! (19 MiB, 2 passes, 1 lane); a sign-in with an unknown address verifies against a dummy
//! hash, so that its timing does not tell whether the address has an account.

use crate::manage::ManageError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::Utc;
use feedbackd_domain::accounts::normalize_email;
use feedbackd_domain::{hash_token, FieldError, NewToken, Role, SESSION_TOKEN_PREFIX};
use feedbackd_store::accounts::{self as store, Session, User};
use feedbackd_store::{transaction, Db, StoreError};
use secrecy::{ExposeSecret, SecretString};
use std::sync::OnceLock;
use uuid::Uuid;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; a console that
/// exports every answer deserves more).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted: argon2 takes any length, but the request body should not.
pub const MAX_PASSWORD_CHARS: usize = 256;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP's argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` (`$argon2id$v=19$m=19456,t=2,p=1$…`), with a fresh salt.
pub fn hash_password(password: &SecretString) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .expect("hashing cannot fail")
        .to_string()
}

/// Whether `password` matches `hash`, taking as long as a real check whether or not there is
/// a hash: `None` is checked against a hash no password matches.
pub fn verify_password(password: &SecretString, hash: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password(&SecretString::from(Uuid::new_v4().to_string())));
    let matched = PasswordHash::new(hash.unwrap_or(dummy))
        .is_ok_and(|parsed| argon2().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok());
    matched && hash.is_some()
}

/// Runs argon2 (tens of milliseconds of CPU) on the blocking pool, off the async threads.
async fn off_async<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Internal(e.to_string()))
}

/// A new account's fields, checked: its normalised address. Every way an account is made
/// (the CLI, the first-run page, an accepted invitation) checks them here.
pub fn check_new_user(
    email: &str,
    name: &str,
    password: Option<&SecretString>,
) -> Result<String, ManageError> {
    let mut errors = Vec::new();
    let email = normalize_email(email);
    if email.is_none() {
        errors.push(FieldError::new("email", "must be an email address (name@example.com)"));
    }
    if name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be at most 200 characters"));
    }
    if let Some(password) = password {
        let chars = password.expose_secret().chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            let message = format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters");
            errors.push(FieldError::new("password", message));
        }
    }
    email.filter(|_| errors.is_empty()).ok_or(ManageError::Invalid(errors))
}

/// The argon2id hash of `password`, computed off the async threads (before a pooled
/// connection is taken).
pub async fn hash_off_async(password: SecretString) -> Result<String, StoreError> {
    off_async(move || hash_password(&password)).await
}

/// Adds a person who signs in with `password` (or only through single sign-on, `None`).
pub async fn create_user(
    db: &Db,
    email: &str,
    name: &str,
    password: Option<SecretString>,
    is_admin: bool,
) -> Result<User, ManageError> {
    let email = check_new_user(email, name, password.as_ref())?;
    let hash = match password {
        Some(password) => Some(hash_off_async(password).await?),
        None => None,
    };
    let name = name.to_string();
    let taken = email.clone();
    let user = db.run(move |conn| store::insert_user(conn, &email, &name, hash.as_deref(), is_admin)).await?;
    user.ok_or_else(|| ManageError::Conflict(format!("{taken} already has an account")))
}

/// Why a sign-in failed. One answer for an unknown address, a wrong password and a
/// disabled account, so that sign-in does not tell which addresses have accounts.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the email or the password is wrong")]
    Refused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The account `email` signs in to with `password`.
pub async fn sign_in(db: &Db, email: &str, password: SecretString) -> Result<User, SignInError> {
    let email = normalize_email(email).unwrap_or_default();
    let found = db.run(move |conn| store::user_by_email(conn, &email)).await?;
    let (user, hash) = match found {
        Some((user, hash)) if user.disabled_at.is_none() => (Some(user), hash),
        _ => (None, None),
    };
    let matched = off_async(move || verify_password(&password, hash.as_deref())).await?;
    user.filter(|_| matched).ok_or(SignInError::Refused)
}

/// Gives the account of `email` `role` in `project_id` (or changes it).
pub async fn set_role(db: &Db, project_id: Uuid, email: &str, role: Role) -> Result<User, ManageError> {
    let email = normalize_email(email)
        .ok_or_else(|| ManageError::Invalid(vec![FieldError::new("email", "must be an email address")]))?;
    db.run(move |conn| {
        let (user, _) = store::user_by_email(conn, &email)?.ok_or_else(|| {
            ManageError::NotFound(format!("{email} has no account (feedbackd user create)"))
        })?;
        if !store::set_role(conn, project_id, user.id, role)? {
            return Err(ManageError::NotFound(format!("project {project_id} not found")));
        }
        Ok(user)
    })
    .await
}

/// What `user` may do in `project_id`: an admin everything, a member their role's scopes.
pub async fn role_in(db: &Db, project_id: Uuid, user: &User) -> Result<Option<Role>, StoreError> {
    if user.is_admin {
        return Ok(Some(Role::Owner));
    }
    let user_id = user.id;
    db.run(move |conn| store::role_in(conn, project_id, user_id)).await
}

/// How long a console session lasts before its person signs in again (an absolute limit,
/// as the OWASP session management guidance asks of sensitive applications).
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// A session just started: its token, for the cookie and never stored, and its record.
pub struct Started {
    pub token: SecretString,
    pub session: Session,
}

/// Starts a new session for `user` (at every sign-in: a session id is never reused, so
/// one planted before sign-in cannot be fixed on the person).
pub async fn start_session(db: &Db, user: &User, user_agent: &str) -> Result<Started, StoreError> {
    let token = NewToken::console_session();
    let user_agent: String = user_agent.chars().take(300).collect();
    let (user_id, hash, expires_at) = (user.id, token.hash, Utc::now() + SESSION_LIFETIME);
    let session =
        db.run(move |conn| store::insert_session(conn, user_id, &hash, &user_agent, expires_at)).await?;
    Ok(Started { token: SecretString::from(token.plaintext), session })
}

/// The session a token belongs to and its person, if it is live and the account enabled.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<(Uuid, User)>, StoreError> {
    if !token.starts_with(SESSION_TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = hash_token(token);
    db.run(move |conn| store::session_user(conn, &hash, Utc::now())).await
}

/// `user`'s live sessions, newest first, for the page that lists and revokes them.
pub async fn sessions(db: &Db, user: &User) -> Result<Vec<Session>, StoreError> {
    let user_id = user.id;
    db.run(move |conn| store::list_sessions(conn, user_id, Utc::now())).await
}

/// Ends one of `user`'s sessions (`Some`) or all of them (`None`); how many ended.
pub async fn end_sessions(db: &Db, user: &User, session: Option<Uuid>) -> Result<usize, StoreError> {
    let user_id = user.id;
    db.run(move |conn| store::revoke_sessions(conn, user_id, session, Utc::now())).await
}

/// Disables `user`: no more sign-ins, and every session ends at once.
pub async fn disable(db: &Db, user: &User) -> Result<(), StoreError> {
    let user_id = user.id;
    db.run(move |conn| transaction(conn, |conn| store::disable_user(conn, user_id, Utc::now()))).await?;
    Ok(())
}

/// Takes `user`'s role in `project_id` away; every request checks the role, so their
/// access to that project ends with this call.
pub async fn remove_member(db: &Db, project_id: Uuid, user: &User) -> Result<bool, StoreError> {
    let user_id = user.id;
    db.run(move |conn| store::remove_member(conn, project_id, user_id)).await
}
