//! Report sessions: what the `fbk_report` cookie holds once a secret key was entered in the
//! login form, or a share link was opened. Never the key or the link's token: the key's or
//! the link's id, its project (and a link's one survey) and an expiry, signed with
//! HMAC-SHA256 under a server secret, so a stolen cookie is worth less than a stolen key
//! (it expires, and it never opens the JSON API), and the key or link is re-checked on
//! every request so that revoking it ends its sessions.

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

/// A reader of the report pages: who let them in, of which project, until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub grant: Grant,
    pub project_id: Uuid,
    pub expires: DateTime<Utc>,
}

/// What a session was opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// A secret key entered in the login form (its id).
    Key(Uuid),
    /// A share link (its id), which opens one survey's page only: which one is read
    /// with the link on every request.
    Link(Uuid),
}

impl Session {
    /// A session for a key, for the whole [`LIFETIME`].
    pub fn for_key(key_id: Uuid, project_id: Uuid, now: DateTime<Utc>) -> Self {
        Session { grant: Grant::Key(key_id), project_id, expires: now + LIFETIME }
    }

    /// A session for a share link: [`LIFETIME`], and never past the link's own expiry.
    pub fn for_link(
        link_id: Uuid,
        project_id: Uuid,
        link_expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        Session { grant: Grant::Link(link_id), project_id, expires: link_expires.min(now + LIFETIME) }
    }
}

/// Bytes of a key session's payload: key id, project id, expiry. A link session's has the
/// link id first and [`LINK_MARK`] last; the lengths tell them apart (both are signed, so
/// neither can be made into the other), and key sessions keep the layout they had before
/// links, so cookies issued then stay valid.
const KEY_PAYLOAD: usize = 40;
const LINK_PAYLOAD: usize = KEY_PAYLOAD + 1;
const LINK_MARK: u8 = b'L';

/// Whether two secrets are equal, compared in constant time (over SHA-256 digests, so
/// their lengths do not leak either).
pub fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::Digest;
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
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

    /// A tag of `value` for `context` under the server secret, base64url: what ties a
    /// console form's CSRF token to its session.
    pub fn tag(&self, context: &str, value: &str) -> String {
        let mut mac = self.mac(context.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The cookie value of `session`: `base64url(payload).base64url(hmac)`.
    pub fn sign(&self, session: &Session) -> String {
        let (id, link) = match session.grant {
            Grant::Key(key_id) => (key_id, false),
            Grant::Link(link_id) => (link_id, true),
        };
        let mut payload = Vec::with_capacity(LINK_PAYLOAD);
        payload.extend_from_slice(id.as_bytes());
        payload.extend_from_slice(session.project_id.as_bytes());
        payload.extend_from_slice(&session.expires.timestamp().to_be_bytes());
        if link {
            payload.push(LINK_MARK);
        }
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
        let uuid = |at: usize| Uuid::from_slice(payload.get(at..at + 16)?).ok();
        let id = uuid(0)?;
        let project_id = uuid(16)?;
        let expires =
            DateTime::from_timestamp(i64::from_be_bytes(payload.get(32..KEY_PAYLOAD)?.try_into().ok()?), 0)?;
        let grant = match payload.len() {
            KEY_PAYLOAD => Grant::Key(id),
            LINK_PAYLOAD if payload[KEY_PAYLOAD] == LINK_MARK => Grant::Link(id),
            _ => return None,
        };
        (expires > now).then_some(Session { grant, project_id, expires })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::for_key(Uuid::new_v4(), Uuid::new_v4(), Utc::now())
    }

    #[test]
    fn a_signed_session_verifies_until_it_expires() {
        let keys = SessionKeys::new(Some(&SecretString::from("s3cret")));
        let s = session();
        let value = keys.sign(&s);
        let got = keys.verify(&value, Utc::now()).unwrap();
        assert_eq!((got.grant, got.project_id), (s.grant, s.project_id));
        assert_eq!(keys.verify(&value, s.expires + Duration::seconds(1)), None);
    }

    #[test]
    fn a_link_session_keeps_its_link_and_ends_with_it() {
        let keys = SessionKeys::new(None);
        let now = Utc::now();
        let (link_id, project_id) = (Uuid::new_v4(), Uuid::new_v4());
        let soon = now + Duration::hours(2);
        let s = Session::for_link(link_id, project_id, soon, now);
        assert_eq!(s.expires, soon, "the link expires before a session would");
        let got = keys.verify(&keys.sign(&s), now).unwrap();
        assert_eq!(got.grant, Grant::Link(link_id));
        assert_eq!(got.project_id, project_id);
        assert_eq!(keys.verify(&keys.sign(&s), soon), None);
        let later = Session::for_link(link_id, project_id, now + Duration::days(30), now);
        assert_eq!(later.expires, now + LIFETIME, "never longer than a session");
    }

    #[test]
    fn a_key_cookie_from_before_share_links_still_verifies() {
        // The layout key sessions always had: key id, project id, expiry (big-endian).
        let keys = SessionKeys::new(None);
        let (key_id, project_id) = (Uuid::new_v4(), Uuid::new_v4());
        let expires = Utc::now() + Duration::hours(1);
        let mut payload = Vec::new();
        payload.extend_from_slice(key_id.as_bytes());
        payload.extend_from_slice(project_id.as_bytes());
        payload.extend_from_slice(&expires.timestamp().to_be_bytes());
        let tag = keys.mac(&payload).finalize().into_bytes();
        let value = format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag));
        assert_eq!(keys.verify(&value, Utc::now()).unwrap().grant, Grant::Key(key_id));
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
        // A signed payload of another length is nobody's session.
        let odd = b"0123456789";
        let tag = URL_SAFE_NO_PAD.encode(keys.mac(odd).finalize().into_bytes());
        assert_eq!(keys.verify(&format!("{}.{tag}", URL_SAFE_NO_PAD.encode(odd)), Utc::now()), None);
    }
}
