//! Personal-data keys wrapped, in the store, with a key-encryption key the
//! operator keeps elsewhere (a file, or the environment): a copy of the
//! store alone, or of a backup, opens no personal data.
//!
//! A wrapped key is `01 ‖ nonce (24 bytes) ‖ XChaCha20-Poly1305(key)`, the
//! pioneer's id as associated data, 73 bytes. A bare 32-byte key is one
//! stored before wrapping, or by a service run without a key-encryption
//! key; it is wrapped at the next start that has one.
//!
//! Rotation: start the service with the new key as the current one and the
//! old one as the previous one; every key that opens with the previous one
//! is wrapped again with the current one before the service serves. Once it
//! has started, the previous key is no longer needed.

use std::path::Path;

use agora_events::PioneerId;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::personal::{KEY_BYTES, NONCE_BYTES, PersonalKey};

const WRAPPED_VERSION: u8 = 1;
/// Bytes of a wrapped key: version, nonce, key, tag.
pub const WRAPPED_BYTES: usize = 1 + NONCE_BYTES + KEY_BYTES + 16;

/// The key that wraps every personal-data key. Never logged or printed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEncryptionKey([u8; KEY_BYTES]);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(…)")
    }
}

/// Why a key-encryption key or a stored key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WrappingError {
    #[error("a key-encryption key is 32 bytes written in base64 (44 characters)")]
    Malformed,
    #[error("cannot read the key-encryption key file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "the stored personal-data keys are wrapped, and no key-encryption key was given \
         (--key-encryption-key-file, or AGORA_KEY_ENCRYPTION_KEY)"
    )]
    Missing,
    #[error(
        "a store several instances share (PostgreSQL, KurrentDB) needs the key that wraps \
         personal-data keys, the same for every instance: --key-encryption-key or \
         --key-encryption-key-file"
    )]
    NotGiven,
    #[error(
        "the key of pioneer {pioneer} does not open with the key-encryption key given \
         (nor with the previous one, if given): is it the right one?"
    )]
    WrongKey { pioneer: PioneerId },
    #[error("the stored key of pioneer {pioneer} is neither a key nor a wrapped key")]
    Unrecognized { pioneer: PioneerId },
}

impl KeyEncryptionKey {
    pub fn generate() -> Self {
        let mut bytes = [0; KEY_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random generator works");
        Self(bytes)
    }

    /// The key from its text form: 32 bytes in base64.
    pub fn from_text(text: &str) -> Result<Self, WrappingError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| WrappingError::Malformed)?;
        <[u8; KEY_BYTES]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| WrappingError::Malformed)
    }

    /// The text form, for a key file.
    pub fn to_text(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<Self, WrappingError> {
        let text = std::fs::read_to_string(path).map_err(|error| WrappingError::Unreadable {
            path: path.display().to_string(),
            reason: error.to_string(),
        })?;
        Self::from_text(&text)
    }

    /// Reads the key file at `path`, or makes one there (readable by its
    /// owner only) if there is none. Says whether it made it.
    pub fn read_or_create(path: &Path) -> Result<(Self, bool), WrappingError> {
        if path.exists() {
            return Self::read(path).map(|key| (key, false));
        }
        let key = Self::generate();
        let unwritable = |error: std::io::Error| WrappingError::Unreadable {
            path: path.display().to_string(),
            reason: error.to_string(),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(unwritable)?;
        std::io::Write::write_all(&mut file, format!("{}\n", key.to_text()).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(unwritable)?;
        Ok((key, true))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    /// `key` wrapped for `pioneer`, with a fresh nonce.
    pub fn wrap(&self, pioneer: PioneerId, key: &PersonalKey) -> Vec<u8> {
        let mut nonce = [0; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random generator works");
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.bytes(),
                    aad: pioneer.0.as_bytes(),
                },
            )
            .expect("encryption of a bounded message cannot fail");
        let mut wrapped = Vec::with_capacity(WRAPPED_BYTES);
        wrapped.push(WRAPPED_VERSION);
        wrapped.extend_from_slice(&nonce);
        wrapped.extend_from_slice(&ciphertext);
        wrapped
    }

    /// The key `wrapped` holds for `pioneer`, if this key wrapped it.
    fn unwrap(&self, pioneer: PioneerId, wrapped: &[u8]) -> Option<PersonalKey> {
        let (nonce, ciphertext) = wrapped.get(1..)?.split_at_checked(NONCE_BYTES)?;
        let key = self
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: pioneer.0.as_bytes(),
                },
            )
            .ok()?;
        <[u8; KEY_BYTES]>::try_from(key.as_slice())
            .ok()
            .map(PersonalKey::from_bytes)
    }
}

/// How personal-data keys are kept in the store.
#[derive(Debug, Clone, Default)]
pub struct KeyWrapping {
    /// Wraps every key kept; `None`: keys are kept bare.
    pub current: Option<KeyEncryptionKey>,
    /// The key being rotated away from, if any.
    pub previous: Option<KeyEncryptionKey>,
}

/// A stored key, opened.
pub struct Opened {
    pub key: PersonalKey,
    /// It must be written again: bare, or wrapped with the previous key,
    /// while a current key is given.
    pub rewrap: bool,
}

impl KeyWrapping {
    /// The bytes to store for `key`.
    pub fn wrap(&self, pioneer: PioneerId, key: &PersonalKey) -> Vec<u8> {
        match &self.current {
            Some(current) => current.wrap(pioneer, key),
            None => key.bytes().to_vec(),
        }
    }

    /// Opens the bytes stored for `pioneer`.
    pub fn open(&self, pioneer: PioneerId, stored: &[u8]) -> Result<Opened, WrappingError> {
        if let Ok(bare) = <[u8; KEY_BYTES]>::try_from(stored) {
            return Ok(Opened {
                key: PersonalKey::from_bytes(bare),
                rewrap: self.current.is_some(),
            });
        }
        if stored.len() != WRAPPED_BYTES || stored[0] != WRAPPED_VERSION {
            return Err(WrappingError::Unrecognized { pioneer });
        }
        let Some(current) = &self.current else {
            return Err(WrappingError::Missing);
        };
        if let Some(key) = current.unwrap(pioneer, stored) {
            return Ok(Opened { key, rewrap: false });
        }
        self.previous
            .as_ref()
            .and_then(|previous| previous.unwrap(pioneer, stored))
            .map(|key| Opened { key, rewrap: true })
            .ok_or(WrappingError::WrongKey { pioneer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn pioneer() -> PioneerId {
        PioneerId(Uuid::from_u128(7))
    }

    #[test]
    fn a_wrapped_key_opens_with_its_key_for_its_pioneer_only() {
        let kek = KeyEncryptionKey::generate();
        let key = PersonalKey::generate();
        let wrapping = KeyWrapping {
            current: Some(kek.clone()),
            previous: None,
        };

        let stored = wrapping.wrap(pioneer(), &key);

        assert_eq!(stored.len(), WRAPPED_BYTES);
        assert!(
            !stored
                .windows(KEY_BYTES)
                .any(|window| window == key.bytes())
        );
        let opened = wrapping.open(pioneer(), &stored).unwrap();
        assert!(opened.key == key && !opened.rewrap);
        let other = PioneerId(Uuid::from_u128(8));
        assert_eq!(
            wrapping.open(other, &stored).err(),
            Some(WrappingError::WrongKey { pioneer: other })
        );
        let stranger = KeyWrapping {
            current: Some(KeyEncryptionKey::generate()),
            previous: None,
        };
        assert!(stranger.open(pioneer(), &stored).is_err());
        assert_eq!(
            KeyWrapping::default().open(pioneer(), &stored).err(),
            Some(WrappingError::Missing)
        );
    }

    #[test]
    fn bare_keys_and_keys_of_the_previous_key_are_wrapped_again() {
        let old = KeyEncryptionKey::generate();
        let key = PersonalKey::generate();
        let under_old = KeyWrapping {
            current: Some(old.clone()),
            previous: None,
        }
        .wrap(pioneer(), &key);
        let rotating = KeyWrapping {
            current: Some(KeyEncryptionKey::generate()),
            previous: Some(old),
        };

        let from_old = rotating.open(pioneer(), &under_old).unwrap();
        let from_bare = rotating.open(pioneer(), key.bytes()).unwrap();

        assert!(from_old.key == key && from_old.rewrap);
        assert!(from_bare.key == key && from_bare.rewrap);
        let bare = KeyWrapping::default().open(pioneer(), key.bytes()).unwrap();
        assert!(!bare.rewrap);
    }

    #[test]
    fn key_files_hold_base64_and_are_made_once() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.kek");

        let (made, created) = KeyEncryptionKey::read_or_create(&path).unwrap();
        let (read, created_again) = KeyEncryptionKey::read_or_create(&path).unwrap();

        assert!(created && !created_again && made == read);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            KeyEncryptionKey::from_text("c2hvcnQ="),
            Err(WrappingError::Malformed)
        );
    }
}
