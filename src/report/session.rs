//! Report sessions: what the `fbk_report` cookie holds once a secret key was entered in the
//! login form. Not the key itself: its id, its project and an expiry, signed with
//! HMAC-SHA256 under a server secret, so a stolen cookie is worth less than a stolen key
//! (it expires, and it never opens the JSON API), and the key is re-checked on every
//! request so that revoking it ends its sessions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

/// The cookie's name.
pub const COOKIE: &str = "fbk_report";
/// How long a session lasts: a working day, so a product review does not need a new login.
pub const LIFETIME: Duration = Duration::hours(12);

/// A signed-in reader: which key, of which project, until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub key_id: Uuid,
    pub project_id: Uuid,
    pub expires: DateTime<Utc>,
}

/// The server secret that signs sessions.
#[derive(Clone)]
pub struct SessionKeys {
    secret: Vec<u8>,
}

impl SessionKeys {
    /// Keys from the configured secret, or a random one (sessions then end on restart,
    /// and replicas must share a configured secret).
    pub fn new(configured: Option<&SecretString>) -> Self {
        let secret = match configured {
            Some(s) => s.expose_secret().as_bytes().to_vec(),
            None => {
                let mut bytes = vec![0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                bytes
            }
        };
        SessionKeys { secret }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(payload);
        mac
    }

    /// The cookie value of `session`: `base64url(payload).base64url(hmac)`.
    pub fn sign(&self, session: &Session) -> String {
        let mut payload = Vec::with_capacity(40);
        payload.extend_from_slice(session.key_id.as_bytes());
        payload.extend_from_slice(session.project_id.as_bytes());
        payload.extend_from_slice(&session.expires.timestamp().to_be_bytes());
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The session of a cookie value, if it is ours, intact and not expired at `now`.
    pub fn verify(&self, value: &str, now: DateTime<Utc>) -> Option<Session> {
        let (payload, tag) = value.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant-time comparison: the tag must not leak byte by byte.
        self.mac(&payload).verify_slice(&tag).ok()?;
        if payload.len() != 40 {
            return None;
        }
        let key_id = Uuid::from_slice(&payload[..16]).ok()?;
        let project_id = Uuid::from_slice(&payload[16..32]).ok()?;
        let expires = DateTime::from_timestamp(i64::from_be_bytes(payload[32..].try_into().ok()?), 0)?;
        (expires > now).then_some(Session { key_id, project_id, expires })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session { key_id: Uuid::new_v4(), project_id: Uuid::new_v4(), expires: Utc::now() + LIFETIME }
    }

    #[test]
    fn a_signed_session_verifies_until_it_expires() {
        let keys = SessionKeys::new(Some(&SecretString::from("s3cret")));
        let s = session();
        let value = keys.sign(&s);
        let got = keys.verify(&value, Utc::now()).unwrap();
        assert_eq!((got.key_id, got.project_id), (s.key_id, s.project_id));
        assert_eq!(keys.verify(&value, s.expires + Duration::seconds(1)), None);
    }

    #[test]
    fn tampered_or_foreign_values_are_refused() {
        let keys = SessionKeys::new(None);
        let value = keys.sign(&session());
        let other = SessionKeys::new(None);
        assert_eq!(other.verify(&value, Utc::now()), None, "another server secret");
        let (payload, tag) = value.split_once('.').unwrap();
        let forged = keys.sign(&session());
        let (_, forged_tag) = forged.split_once('.').unwrap();
        assert_eq!(keys.verify(&format!("{payload}.{forged_tag}"), Utc::now()), None);
        assert_eq!(keys.verify(&format!("{payload}x.{tag}"), Utc::now()), None);
        assert_eq!(keys.verify("garbage", Utc::now()), None);
    }
}
