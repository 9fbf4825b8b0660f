//! Standard Webhooks v1 signatures (<https://www.standardwebhooks.com/>).
//!
//! A receiver verifies `webhook-signature` with any Standard Webhooks library, so what we
//! sign must be byte-for-byte what the spec says: HMAC-SHA256 over `{id}.{timestamp}.{body}`,
//! keyed with the raw bytes of the `whsec_` secret, base64 with padding, prefixed `v1,`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretSlice};
use sha2::Sha256;
use uuid::Uuid;

/// The prefix the spec gives a secret's text form, so people can tell one when they see it.
const WHSEC_PREFIX: &str = "whsec_";

/// Shortest secret accepted: the spec asks for 24 to 64 bytes.
pub const MIN_SECRET_LEN: usize = 24;

/// Longest secret accepted (the spec's upper bound). It is also SHA-256's block size, which
/// is what lets [`sign`] build the HMAC without a fallible constructor (see `hmac_key_block`).
pub const MAX_SECRET_LEN: usize = 64;

/// Length of the secrets we generate: 256 bits, well inside the spec's range.
pub const GENERATED_SECRET_LEN: usize = 32;

/// SHA-256's block size: HMAC zero-pads any key up to it.
const SHA256_BLOCK_LEN: usize = 64;
const _: () = assert!(MAX_SECRET_LEN <= SHA256_BLOCK_LEN);

/// Why a text could not be taken as an endpoint secret.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SecretParseError {
    /// Not standard base64 (after the optional `whsec_` prefix).
    #[error("the secret is not base64 (expected \"whsec_\" followed by standard base64)")]
    NotBase64,
    /// Decoded to fewer or more bytes than the spec allows.
    #[error(
        "the secret has {len} bytes; a webhook secret has between {MIN_SECRET_LEN} and {MAX_SECRET_LEN}"
    )]
    Length {
        /// How many bytes it decoded to.
        len: usize,
    },
}

/// The key an endpoint's deliveries are signed with: 24 to 64 raw bytes.
///
/// The bytes live in a [`SecretSlice`], so they are zeroed when dropped and `Debug` prints
/// `[REDACTED]`; the only ways out are [`to_whsec`](Self::to_whsec) (shown once to the
/// endpoint's owner) and [`expose_bytes`](Self::expose_bytes) (for sealing at rest).
#[derive(Clone)]
pub struct EndpointSecret(SecretSlice<u8>);

impl std::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EndpointSecret([REDACTED])")
    }
}

impl EndpointSecret {
    /// A fresh secret of [`GENERATED_SECRET_LEN`] bytes from the operating system's CSPRNG.
    ///
    /// Like `Uuid::new_v4`, this panics only if the operating system cannot give randomness
    /// (`getrandom` failing), which does not happen on the platforms we run on.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; GENERATED_SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(SecretSlice::from(bytes))
    }

    /// Takes raw key bytes (as [`SecretCipher::open`](super::secrets::SecretCipher::open)
    /// recovers them), checking the spec's length range.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SecretParseError> {
        let secret = Self(SecretSlice::from(bytes));
        let len = secret.expose_bytes().len();
        if (MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&len) {
            Ok(secret)
        } else {
            Err(SecretParseError::Length { len })
        }
    }

    /// Reads a secret in the spec's text form, `whsec_` + standard base64; the prefix is
    /// optional, exactly as the reference libraries accept it.
    pub fn parse_whsec(text: &str) -> Result<Self, SecretParseError> {
        let encoded = text.strip_prefix(WHSEC_PREFIX).unwrap_or(text);
        let bytes = BASE64.decode(encoded).map_err(|_| SecretParseError::NotBase64)?;
        Self::from_bytes(bytes)
    }

    /// The text form given to the endpoint's owner: `whsec_` + standard base64.
    pub fn to_whsec(&self) -> String {
        format!("{WHSEC_PREFIX}{}", BASE64.encode(self.expose_bytes()))
    }

    /// The raw key bytes, for sealing them at rest. Never log them.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

/// The HMAC key block for `key`: RFC 2104 pads a key no longer than the hash's block size
/// with zeros, so `Hmac::new` on this block is exactly `Hmac::new_from_slice(key)` without
/// the `Result` (a secret never exceeds [`MAX_SECRET_LEN`], asserted at compile time above).
fn hmac_key_block(key: &[u8]) -> hmac::digest::Key<Hmac<Sha256>> {
    let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
    for (slot, byte) in block.iter_mut().zip(key) {
        *slot = *byte;
    }
    block
}

/// One `v1,` signature of a message: base64 HMAC-SHA256 of `{msg_id}.{timestamp}.{body}`.
///
/// The timestamp is the attempt's (Unix seconds), so each retry is signed anew under the
/// same `msg_id`.
pub fn sign(secret: &EndpointSecret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut key = hmac_key_block(secret.expose_bytes());
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&key);
    key.iter_mut().for_each(|byte| *byte = 0);
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header value: one signature per secret, separated by spaces.
///
/// During a rotation both the old and the new secret sign, so a receiver still configured
/// with either one accepts the delivery. No secrets give an empty header (no receiver
/// accepts it), which the caller should not send.
pub fn signature_header(secrets: &[&EndpointSecret], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|secret| sign(secret, msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// The `webhook-id` of a delivery: `msg_` + its id without dashes. Derived from the
/// delivery row, so every retry carries the same id and receivers can deduplicate.
pub fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}

#[cfg(test)]
mod tests {
    use super::*;
    use standardwebhooks::Webhook;

    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    }

    fn headers(id: &str, timestamp: i64, signature: &str) -> reqwest::header::HeaderMap {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in [
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature.to_owned()),
        ] {
            map.insert(name, value.parse().expect("test header value"));
        }
        map
    }

    fn verifier(secret: &EndpointSecret) -> Webhook {
        Webhook::new(&secret.to_whsec()).expect("reference verifier takes our whsec")
    }

    #[test]
    fn reproduces_the_published_test_vector() {
        let secret = EndpointSecret::parse_whsec(SPEC_SECRET).expect("spec secret");
        let ours = sign(&secret, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        let reference = Webhook::new(SPEC_SECRET)
            .and_then(|wh| wh.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY))
            .expect("reference signs");
        assert_eq!(reference, SPEC_SIGNATURE, "the vector itself, per the reference");
        assert_eq!(ours, SPEC_SIGNATURE);
    }

    #[test]
    fn reference_verifier_accepts_a_signed_message() {
        let secret = EndpointSecret::generate();
        let (id, ts, body) = (message_id(Uuid::new_v4()), now(), br#"{"score":9}"#);
        let header = signature_header(&[&secret], &id, ts, body);
        verifier(&secret).verify(body, &headers(&id, ts, &header)).expect("verifies");
    }

    #[test]
    fn reference_verifier_accepts_either_secret_during_rotation() {
        let (old, new) = (EndpointSecret::generate(), EndpointSecret::generate());
        let (id, ts, body) = (message_id(Uuid::new_v4()), now(), "{\"c\":\"é😀\"}".as_bytes());
        let header = signature_header(&[&old, &new], &id, ts, body);
        assert_eq!(header.split(' ').count(), 2);
        for secret in [&old, &new] {
            verifier(secret).verify(body, &headers(&id, ts, &header)).expect("either secret verifies");
        }
        let stranger = EndpointSecret::generate();
        assert!(verifier(&stranger).verify(body, &headers(&id, ts, &header)).is_err());
    }

    #[test]
    fn reference_verifier_rejects_a_tampered_body() {
        let secret = EndpointSecret::generate();
        let (id, ts) = (message_id(Uuid::new_v4()), now());
        let header = signature_header(&[&secret], &id, ts, br#"{"score":9}"#);
        assert!(verifier(&secret).verify(br#"{"score":0}"#, &headers(&id, ts, &header)).is_err());
    }

    #[test]
    fn reference_verifier_rejects_the_wrong_secret() {
        let (secret, other) = (EndpointSecret::generate(), EndpointSecret::generate());
        let (id, ts, body) = (message_id(Uuid::new_v4()), now(), b"{}");
        let header = signature_header(&[&secret], &id, ts, body);
        assert!(verifier(&other).verify(body, &headers(&id, ts, &header)).is_err());
    }

    #[test]
    fn signs_like_the_reference_at_both_length_bounds() {
        for len in [MIN_SECRET_LEN, MAX_SECRET_LEN] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let secret = EndpointSecret::from_bytes(bytes.clone()).expect("in range");
            let reference = Webhook::from_bytes(bytes)
                .and_then(|wh| wh.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY))
                .expect("reference signs");
            assert_eq!(sign(&secret, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), reference);
        }
    }

    #[test]
    fn whsec_round_trips_with_or_without_prefix() {
        let secret = EndpointSecret::generate();
        let text = secret.to_whsec();
        assert!(text.starts_with("whsec_"));
        let again = EndpointSecret::parse_whsec(&text).expect("own output parses");
        assert_eq!(again.expose_bytes(), secret.expose_bytes());
        let bare = EndpointSecret::parse_whsec(&text["whsec_".len()..]).expect("bare");
        assert_eq!(bare.expose_bytes(), secret.expose_bytes());
    }

    #[test]
    fn rejects_secrets_outside_the_spec_range_or_not_base64() {
        let short = BASE64.encode([7u8; MIN_SECRET_LEN - 1]);
        assert_eq!(EndpointSecret::parse_whsec(&short).err(), Some(SecretParseError::Length { len: 23 }));
        let long = BASE64.encode([7u8; MAX_SECRET_LEN + 1]);
        assert_eq!(
            EndpointSecret::parse_whsec(&format!("whsec_{long}")).err(),
            Some(SecretParseError::Length { len: 65 })
        );
        assert_eq!(EndpointSecret::parse_whsec("whsec_not base64!").err(), Some(SecretParseError::NotBase64));
    }

    #[test]
    fn debug_never_prints_the_key() {
        let secret = EndpointSecret::parse_whsec(SPEC_SECRET).expect("spec secret");
        let printed = format!("{secret:?}");
        assert_eq!(printed, "EndpointSecret([REDACTED])");
    }

    #[test]
    fn message_id_is_stable_and_dashless() {
        let delivery = Uuid::parse_str("0190d5c4-7b5e-7cc1-9a3e-2f1d5e6a7b8c").expect("uuid");
        assert_eq!(message_id(delivery), "msg_0190d5c47b5e7cc19a3e2f1d5e6a7b8c");
        assert_eq!(message_id(delivery), message_id(delivery));
    }
}
