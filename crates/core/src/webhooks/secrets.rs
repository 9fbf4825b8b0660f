//! Endpoint secrets encrypted at rest, so that a database dump alone cannot sign webhooks:
//! the master key comes from the environment and never reaches the database.
//!
//! Stored form, version 1: `[1] ‖ nonce (24 bytes) ‖ ciphertext of the key bytes ‖ tag (16)`.
//! The associated data binds the row to its endpoint, so a secret copied onto another
//! endpoint's row does not open there.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
// XChaCha20-Poly1305: its 24-byte nonce can be drawn at random for every seal with no
// counter to keep (a 12-byte AES-GCM nonce would not allow that safely), and it is
// constant-time in software on any CPU, AES-NI or not.
use chacha20poly1305::aead::{Aead as _, AeadCore as _, KeyInit as _, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretBox};
use uuid::Uuid;

use super::signing::{EndpointSecret, SecretParseError};

/// The first byte of every sealed secret: the layout and algorithm it was sealed with, so
/// a later format (another AEAD, a key id for master-key rotation) can sit beside it.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const MASTER_KEY_LEN: usize = 32;
/// Separates this use of the master key from any other it may get later.
const AAD_LABEL: &[u8] = b"feedbackd webhook endpoint secret";

/// Why a master key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MasterKeyError {
    /// Not standard base64.
    #[error(
        "the webhook master key is not standard base64 (generate one with 32 random bytes, base64-encoded)"
    )]
    NotBase64,
    /// Decoded to another length than 32 bytes.
    #[error("the webhook master key has {len} bytes; it must be exactly {MASTER_KEY_LEN} (base64 of 32 random bytes)")]
    Length {
        /// How many bytes it decoded to.
        len: usize,
    },
}

/// Why a secret could not be sealed. Only a plaintext beyond the AEAD's limit (256 GiB)
/// makes it fail, which a 64-byte secret never is; the error exists so nothing panics.
#[derive(Debug, thiserror::Error)]
#[error("the endpoint secret could not be encrypted")]
pub struct SealError;

/// Why stored bytes did not give back an endpoint secret.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    /// Shorter than a version byte, a nonce and a tag: not something we wrote.
    #[error("the sealed secret has {len} bytes, too short to have been sealed by feedbackd")]
    TooShort {
        /// How many bytes there were.
        len: usize,
    },
    /// A first byte we do not know: written by a newer feedbackd, or not by us.
    #[error("the sealed secret has format version {0}, which this feedbackd cannot open")]
    UnknownVersion(u8),
    /// Authentication failed. The AEAD cannot tell the causes apart, on purpose: another
    /// master key, another endpoint's row, or altered bytes.
    #[error("the sealed secret did not authenticate: another master key, another endpoint's secret, or altered bytes")]
    Rejected,
    /// Decrypted, but not to a valid secret (cannot happen for what we sealed).
    #[error("the sealed secret decrypted to an invalid secret: {0}")]
    Secret(#[from] SecretParseError),
}

/// The key that encrypts endpoint secrets at rest: 32 random bytes, given to the service
/// in base64 through its configuration, kept out of the database.
pub struct MasterKey(SecretBox<[u8; MASTER_KEY_LEN]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// Reads a key from standard base64 of exactly 32 bytes. Surrounding whitespace (a
    /// newline at the end of a key file) is ignored.
    pub fn from_base64(text: &str) -> Result<Self, MasterKeyError> {
        let bytes = Zeroizing::new(BASE64.decode(text.trim()).map_err(|_| MasterKeyError::NotBase64)?);
        if bytes.len() != MASTER_KEY_LEN {
            return Err(MasterKeyError::Length { len: bytes.len() });
        }
        Ok(Self(SecretBox::init_with_mut(|key: &mut [u8; MASTER_KEY_LEN]| key.copy_from_slice(&bytes))))
    }

    /// A fresh key from the operating system's CSPRNG, for setting up a deployment (panics
    /// only where `getrandom` fails, as [`EndpointSecret::generate`] does).
    pub fn generate() -> Self {
        Self(SecretBox::init_with_mut(|key: &mut [u8; MASTER_KEY_LEN]| {
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, key);
        }))
    }

    /// The key's base64 form, to print once when a deployment is set up. Never log it.
    pub fn expose_base64(&self) -> String {
        BASE64.encode(self.0.expose_secret())
    }
}

/// Seals and opens endpoint secrets under the master key (XChaCha20-Poly1305).
pub struct SecretCipher {
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCipher { .. }")
    }
}

/// The associated data of a sealed secret: authenticated, not stored. It names the format
/// version and the endpoint, so a sealed secret opens only on its own endpoint's row.
fn associated_data(endpoint: Uuid) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 1 + 16);
    aad.extend_from_slice(AAD_LABEL);
    aad.push(VERSION);
    aad.extend_from_slice(endpoint.as_bytes());
    aad
}

impl SecretCipher {
    /// A cipher under `key`.
    pub fn new(key: &MasterKey) -> Self {
        Self { aead: XChaCha20Poly1305::new(key.0.expose_secret().into()) }
    }

    /// Encrypts `secret` for storage on `endpoint`'s row, under a fresh random nonce.
    pub fn seal(&self, endpoint: Uuid, secret: &EndpointSecret) -> Result<Vec<u8>, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(endpoint);
        let payload = Payload { msg: secret.expose_bytes(), aad: &aad };
        let ciphertext = self.aead.encrypt(&nonce, payload).map_err(|_| SealError)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`seal`](Self::seal) stored for `endpoint`.
    pub fn open(&self, endpoint: Uuid, sealed: &[u8]) -> Result<EndpointSecret, OpenError> {
        let too_short = OpenError::TooShort { len: sealed.len() };
        let (&version, rest) = sealed.split_first().ok_or(too_short.clone())?;
        if version != VERSION {
            return Err(OpenError::UnknownVersion(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(too_short);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| too_short)?;
        let aad = associated_data(endpoint);
        let payload = Payload { msg: ciphertext, aad: &aad };
        let plaintext = self.aead.decrypt(&XNonce::from(nonce), payload).map_err(|_| OpenError::Rejected)?;
        Ok(EndpointSecret::from_bytes(plaintext)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> SecretCipher {
        SecretCipher::new(&MasterKey::generate())
    }

    #[test]
    fn round_trips_a_secret() {
        let (cipher, endpoint, secret) = (cipher(), Uuid::new_v4(), EndpointSecret::generate());
        let sealed = cipher.seal(endpoint, &secret).expect("seals");
        assert_eq!(sealed[0], VERSION);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + secret.expose_bytes().len() + TAG_LEN);
        let opened = cipher.open(endpoint, &sealed).expect("opens");
        assert_eq!(opened.expose_bytes(), secret.expose_bytes());
    }

    #[test]
    fn sealing_twice_gives_different_bytes() {
        let (cipher, endpoint, secret) = (cipher(), Uuid::new_v4(), EndpointSecret::generate());
        let a = cipher.seal(endpoint, &secret).expect("seals");
        let b = cipher.seal(endpoint, &secret).expect("seals");
        assert_ne!(a, b, "a fresh nonce every time");
    }

    #[test]
    fn another_master_key_cannot_open() {
        let endpoint = Uuid::new_v4();
        let sealed = cipher().seal(endpoint, &EndpointSecret::generate()).expect("seals");
        assert_eq!(cipher().open(endpoint, &sealed).err(), Some(OpenError::Rejected));
    }

    #[test]
    fn a_secret_copied_to_another_endpoint_does_not_open() {
        let cipher = cipher();
        let sealed = cipher.seal(Uuid::new_v4(), &EndpointSecret::generate()).expect("seals");
        assert_eq!(cipher.open(Uuid::new_v4(), &sealed).err(), Some(OpenError::Rejected));
    }

    #[test]
    fn every_altered_byte_is_rejected() {
        let (cipher, endpoint) = (cipher(), Uuid::new_v4());
        let sealed = cipher.seal(endpoint, &EndpointSecret::generate()).expect("seals");
        for at in 0..sealed.len() {
            let mut altered = sealed.clone();
            altered[at] ^= 0x01;
            let expected =
                if at == 0 { OpenError::UnknownVersion(VERSION ^ 0x01) } else { OpenError::Rejected };
            assert_eq!(cipher.open(endpoint, &altered).err(), Some(expected), "byte {at}");
        }
    }

    #[test]
    fn short_or_truncated_input_fails_cleanly() {
        let (cipher, endpoint) = (cipher(), Uuid::new_v4());
        let sealed = cipher.seal(endpoint, &EndpointSecret::generate()).expect("seals");
        assert_eq!(cipher.open(endpoint, &[]).err(), Some(OpenError::TooShort { len: 0 }));
        for len in [1, NONCE_LEN, NONCE_LEN + TAG_LEN] {
            assert_eq!(cipher.open(endpoint, &sealed[..len]).err(), Some(OpenError::TooShort { len }));
        }
        for len in [1 + NONCE_LEN + TAG_LEN, sealed.len() - 1] {
            assert_eq!(cipher.open(endpoint, &sealed[..len]).err(), Some(OpenError::Rejected));
        }
    }

    #[test]
    fn master_key_reads_its_own_base64_and_refuses_other_lengths() {
        let key = MasterKey::generate();
        let text = format!("{}\n", key.expose_base64());
        let again = MasterKey::from_base64(&text).expect("own output, with a newline");
        let endpoint = Uuid::new_v4();
        let sealed = SecretCipher::new(&key).seal(endpoint, &EndpointSecret::generate()).expect("seals");
        assert!(SecretCipher::new(&again).open(endpoint, &sealed).is_ok());

        assert_eq!(
            MasterKey::from_base64(&BASE64.encode([1u8; 16])).err(),
            Some(MasterKeyError::Length { len: 16 })
        );
        assert_eq!(MasterKey::from_base64("not base64 at all").err(), Some(MasterKeyError::NotBase64));
    }

    #[test]
    fn debug_prints_no_key_material() {
        let key = MasterKey::from_base64(&BASE64.encode([0xAB; 32])).expect("key");
        assert_eq!(format!("{key:?}"), "MasterKey([REDACTED])");
        assert_eq!(format!("{:?}", SecretCipher::new(&key)), "SecretCipher { .. }");
    }
}
