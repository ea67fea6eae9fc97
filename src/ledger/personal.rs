//! Personal data (display name, email, contact, bio), encrypted in events
//! with a key per pioneer that is kept beside the log, never in it.
//!
//! XChaCha20-Poly1305 with a random 24-byte nonce per sealing, and the
//! pioneer's id as associated data, so a sealed value cannot be passed off
//! as another pioneer's. Forgetting a pioneer destroys the key: the
//! ciphertext stays in the log (hashes cover it) but can never be read
//! again.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use agora_events::{BallotId, PioneerId, Sealed};
use serde::{Deserialize, Serialize};

use super::LedgerError;
use super::wrapping::KeyWrapping;
use crate::domain::sealing::{self, BallotKey};
use crate::store::{KeyStore, StoreError};

pub use crate::domain::sealing::{KEY_BYTES, NONCE_BYTES};

/// What is personal about a pioneer: readable only with their key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    pub display_name: String,
    pub email: Option<String>,
    pub contact: Option<String>,
    pub bio: Option<String>,
    /// Where they are, at the level of a commune or about a kilometre:
    /// given by the pioneer themself, who thereby lets members find them
    /// by territory and see them on the members' map. Sealed like the rest,
    /// so forgetting the pioneer forgets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<agora_events::Place>,
}

/// A pioneer's key. Its bytes are never logged or printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalKey([u8; KEY_BYTES]);

impl std::fmt::Debug for PersonalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalKey(…)")
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    // The OS's generator failing leaves no safe way to encrypt at all.
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    bytes
}

impl PersonalKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(random())
    }

    /// A key made of the given bytes, for a caller that draws its own
    /// randomness (the simulator, from its seed).
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        Self(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// Encrypts `data` for `owner` with a fresh nonce.
    pub fn seal(&self, owner: PioneerId, data: &PersonalData) -> Sealed {
        self.seal_with_nonce(owner, data, random())
    }

    /// Encrypts `data` for `owner` with the given nonce, which must never
    /// have been used with this key: [`seal`](Self::seal) draws a random
    /// one, and a caller that draws its own (the simulator, from its seed)
    /// answers for its uniqueness.
    pub fn seal_with_nonce(
        &self,
        owner: PioneerId,
        data: &PersonalData,
        nonce: [u8; NONCE_BYTES],
    ) -> Sealed {
        let plaintext = serde_json::to_vec(data).expect("personal data serializes");
        sealing::seal(&self.0, owner.0.as_bytes(), &plaintext, nonce)
    }

    /// Decrypts what [`seal`](Self::seal) made for `owner`; `None` if it was
    /// sealed with another key, for another pioneer, or altered.
    pub fn open(&self, owner: PioneerId, sealed: &Sealed) -> Option<PersonalData> {
        serde_json::from_slice(&sealing::open(&self.0, owner.0.as_bytes(), sealed)?).ok()
    }
}

/// The keys of every pioneer not forgotten, and of every open ballot (its
/// votes are sealed with it), cached in memory and kept in the store,
/// wrapped when a key-encryption key is given. Keys are kept by their
/// owner's id: a pioneer's or a ballot's (distinct UUIDs).
pub struct KeyRing {
    store: Arc<dyn KeyStore>,
    wrapping: KeyWrapping,
    keys: RwLock<HashMap<PioneerId, PersonalKey>>,
}

impl KeyRing {
    /// Loads every key from the store, opening each with the wrapping's
    /// keys; when `writable`, keys bare or wrapped with the previous key are
    /// wrapped again with the current one. A key that does not open stops
    /// the load: the service must not run with personal data it cannot
    /// read.
    pub async fn load(
        store: Arc<dyn KeyStore>,
        wrapping: KeyWrapping,
        writable: bool,
    ) -> Result<Self, LedgerError> {
        let mut keys = HashMap::new();
        let mut rewrapped = 0;
        for (id, stored) in store.load_keys().await? {
            let pioneer = PioneerId(id);
            let opened = wrapping
                .open(pioneer, &stored)
                .map_err(|error| LedgerError::Keys(error.to_string()))?;
            if opened.rewrap && writable {
                store
                    .put_key(id, wrapping.wrap(pioneer, &opened.key))
                    .await?;
                rewrapped += 1;
            }
            keys.insert(pioneer, opened.key);
        }
        if rewrapped > 0 {
            tracing::info!(
                keys = rewrapped,
                "personal-data keys wrapped with the current key-encryption key"
            );
        }
        Ok(Self {
            store,
            wrapping,
            keys: RwLock::new(keys),
        })
    }

    pub fn key_of(&self, pioneer: PioneerId) -> Option<PersonalKey> {
        self.read().get(&pioneer).cloned()
    }

    /// The pioneer's personal data, if their key still exists.
    pub fn open(&self, pioneer: PioneerId, sealed: &Sealed) -> Option<PersonalData> {
        self.read().get(&pioneer)?.open(pioneer, sealed)
    }

    /// A ballot's key, while it is kept.
    pub fn ballot_key(&self, ballot: BallotId) -> Option<BallotKey> {
        self.key_of(PioneerId(ballot.0))
            .map(|key| BallotKey::from_bytes(*key.bytes()))
    }

    /// Stores a ballot's key durably, then caches it.
    pub async fn keep_ballot_key(
        &self,
        ballot: BallotId,
        key: &BallotKey,
    ) -> Result<(), StoreError> {
        self.keep(PioneerId(ballot.0), PersonalKey::from_bytes(*key.bytes()))
            .await
    }

    /// The id of every key's owner (pioneers and ballots), in order.
    pub fn holders(&self) -> Vec<PioneerId> {
        let mut holders: Vec<PioneerId> = self.read().keys().copied().collect();
        holders.sort();
        holders
    }

    /// Stores a key durably, then caches it.
    pub async fn keep(&self, pioneer: PioneerId, key: PersonalKey) -> Result<(), StoreError> {
        let stored = self.wrapping.wrap(pioneer, &key);
        self.store.put_key(pioneer.0, stored).await?;
        self.write().insert(pioneer, key);
        Ok(())
    }

    /// Brings the key of `owner` (a pioneer or a ballot) from the store if
    /// this ring does not hold it: another service instance made it.
    /// Returns whether the ring holds it now.
    pub async fn fetch(&self, owner: PioneerId) -> Result<bool, LedgerError> {
        if self.read().contains_key(&owner) {
            return Ok(true);
        }
        let Some(stored) = self.store.load_key(owner.0).await? else {
            return Ok(false);
        };
        let opened = self
            .wrapping
            .open(owner, &stored)
            .map_err(|error| LedgerError::Keys(error.to_string()))?;
        self.write().entry(owner).or_insert(opened.key);
        Ok(true)
    }

    /// Destroys a key in the store and in memory.
    pub async fn destroy(&self, pioneer: PioneerId) -> Result<(), StoreError> {
        self.write().remove(&pioneer);
        self.store.delete_key(pioneer.0).await
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<PioneerId, PersonalKey>> {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<PioneerId, PersonalKey>> {
        self.keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn data() -> PersonalData {
        PersonalData {
            display_name: "Camille Dupont".into(),
            email: Some("camille@example.org".into()),
            contact: None,
            bio: Some("Maraîchère en Drôme".into()),
            place: None,
        }
    }

    #[test]
    fn sealed_data_opens_with_the_same_key_for_the_same_pioneer_only() {
        let owner = PioneerId(Uuid::now_v7());
        let key = PersonalKey::generate();

        let sealed = key.seal(owner, &data());

        assert_eq!(key.open(owner, &sealed), Some(data()));
        assert_eq!(PersonalKey::generate().open(owner, &sealed), None);
        assert_eq!(key.open(PioneerId(Uuid::now_v7()), &sealed), None);
        assert!(!sealed.ciphertext.contains("Camille"));
    }

    #[test]
    fn each_sealing_uses_a_new_nonce() {
        let owner = PioneerId(Uuid::now_v7());
        let key = PersonalKey::generate();
        assert_ne!(
            key.seal(owner, &data()).nonce,
            key.seal(owner, &data()).nonce
        );
    }

    #[test]
    fn altered_ciphertext_does_not_open() {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD as BASE64;
        let owner = PioneerId(Uuid::now_v7());
        let key = PersonalKey::generate();
        let mut sealed = key.seal(owner, &data());
        let mut bytes = BASE64.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        sealed.ciphertext = BASE64.encode(bytes);
        assert_eq!(key.open(owner, &sealed), None);
    }
}
