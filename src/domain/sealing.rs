//! Sealing secrets into events (XChaCha20-Poly1305): personal data, and
//! votes.
//!
//! Sealed votes: while a ballot is open each choice is recorded encrypted
//! with the ballot's key (XChaCha20-Poly1305, the voter's id as associated
//! data), which is kept outside the log; the closing event reveals the key,
//! so that anyone can then open the votes and recompute the tally from the
//! log alone.

use agora_events::{Choice, PioneerId, Sealed};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The algorithm's name in `Sealed::algorithm`.
pub const ALGORITHM: &str = "xchacha20poly1305";
pub const KEY_BYTES: usize = 32;
pub const NONCE_BYTES: usize = 24;

/// A ballot's key. Never logged while the ballot is open.
#[derive(Clone, PartialEq, Eq)]
pub struct BallotKey([u8; KEY_BYTES]);

impl std::fmt::Debug for BallotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotKey(…)")
    }
}

impl BallotKey {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// The key as the closing event reveals it: base64.
    pub fn to_text(&self) -> String {
        BASE64.encode(self.0)
    }

    pub fn from_text(text: &str) -> Option<Self> {
        let bytes = BASE64.decode(text).ok()?;
        <[u8; KEY_BYTES]>::try_from(bytes.as_slice()).ok().map(Self)
    }

    /// `choice` sealed for `voter` with `nonce`, which must be fresh.
    pub fn seal(&self, voter: PioneerId, choice: &Choice, nonce: [u8; NONCE_BYTES]) -> Sealed {
        let plaintext = serde_json::to_vec(choice).expect("a choice serializes");
        seal(&self.0, voter.0.as_bytes(), &plaintext, nonce)
    }

    /// The choice `voter` sealed, if this key sealed it for them.
    pub fn open(&self, voter: PioneerId, sealed: &Sealed) -> Option<Choice> {
        serde_json::from_slice(&open(&self.0, voter.0.as_bytes(), sealed)?).ok()
    }
}

/// `plaintext` encrypted under `key` with `nonce` (which must never have
/// been used with this key) and `aad` bound to it: what events record of a
/// secret, personal data or a vote.
pub fn seal(
    key: &[u8; KEY_BYTES],
    aad: &[u8],
    plaintext: &[u8],
    nonce: [u8; NONCE_BYTES],
) -> Sealed {
    let ciphertext = XChaCha20Poly1305::new(key.into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("encryption of a bounded message cannot fail");
    Sealed {
        algorithm: ALGORITHM.into(),
        nonce: BASE64.encode(nonce),
        ciphertext: BASE64.encode(ciphertext),
    }
}

/// What [`seal`] made with `key` and `aad`; `None` if it was sealed with
/// another key, other associated data, or altered.
pub fn open(key: &[u8; KEY_BYTES], aad: &[u8], sealed: &Sealed) -> Option<Vec<u8>> {
    if sealed.algorithm != ALGORITHM {
        return None;
    }
    let nonce = BASE64.decode(&sealed.nonce).ok()?;
    if nonce.len() != NONCE_BYTES {
        return None;
    }
    let ciphertext = BASE64.decode(&sealed.ciphertext).ok()?;
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad,
            },
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_sealed_choice_opens_with_its_key_for_its_voter_only() {
        let key = BallotKey::from_bytes([7; KEY_BYTES]);
        let voter = PioneerId(Uuid::from_u128(1));
        let choice = Choice::Single {
            option_id: "a".into(),
        };

        let sealed = key.seal(voter, &choice, [1; NONCE_BYTES]);

        assert_eq!(key.open(voter, &sealed), Some(choice));
        assert!(!sealed.ciphertext.contains("\"a\""));
        assert_eq!(key.open(PioneerId(Uuid::from_u128(2)), &sealed), None);
        assert_eq!(
            BallotKey::from_bytes([8; KEY_BYTES]).open(voter, &sealed),
            None
        );
        assert_eq!(BallotKey::from_text(&key.to_text()), Some(key));
    }
}
