//! The hash chain: each event's hash covers the previous event's hash and its
//! own canonical bytes, so changing, removing or reordering any recorded
//! event changes every hash after it.
//!
//! `hash = SHA-256(prev_hash as 32 raw bytes || canonical bytes)`, and the
//! first event of a stream links to [`Hash::GENESIS`], 32 zero bytes.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use sha2::{Digest, Sha256};

/// A SHA-256 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub [u8; 32]);

/// A hash's text form, as a regular expression (JSON Schema).
pub const HASH_PATTERN: &str = "^[0-9a-f]{64}$";

impl Hash {
    /// What the first event of a stream links to.
    pub const GENESIS: Self = Self([0; 32]);

    /// The link after `prev` for an event whose canonical bytes are `canonical`.
    pub fn chain(prev: &Hash, canonical: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(prev.0);
        hasher.update(canonical);
        Self(hasher.finalize().into())
    }

    /// The SHA-256 of some bytes, e.g. of a receipt file.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The 64 lowercase hex digits of the hash.
    pub fn hex(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0; 64];
        for (pair, byte) in text.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        text
    }
}

/// Why a string is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hash {0:?} must be 64 lowercase hex digits")]
pub struct HashError(pub String);

/// The value of each lowercase hex digit, and 0xff for every other byte.
const NIBBLES: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut digit = 0;
    while digit < 16 {
        table[b"0123456789abcdef"[digit] as usize] = digit as u8;
        digit += 1;
    }
    table
};

impl FromStr for Hash {
    type Err = HashError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || HashError(text.to_owned());
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(error());
        }
        // Every byte read is checked at once: a digit's value, or 0xff.
        let mut bytes = [0; 32];
        let mut invalid = 0;
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let (high, low) = (NIBBLES[pair[0] as usize], NIBBLES[pair[1] as usize]);
            invalid |= high | low;
            *byte = (high << 4) | (low & 0x0f);
        }
        if invalid & 0xf0 != 0 {
            return Err(error());
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.hex();
        // Hex digits are ASCII.
        f.pad(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.hex();
        match std::str::from_utf8(&text) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => Err(serde::ser::Error::custom("a hash's hex digits are ASCII")),
        }
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<'de, str>::deserialize(deserializer)?
            .parse()
            .map_err(de::Error::custom)
    }
}

impl JsonSchema for Hash {
    fn schema_name() -> Cow<'static, str> {
        "Sha256".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": HASH_PATTERN })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_lowercase_hex() {
        let hash = Hash::of(b"abc");
        let text = hash.to_string();
        assert_eq!(
            text,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(text.parse::<Hash>().unwrap(), hash);
        assert_eq!(serde_json::to_string(&hash).unwrap(), format!("\"{text}\""));
        assert_eq!(format!("{hash:>66}"), format!("  {text}"));
        assert!(text.to_uppercase().parse::<Hash>().is_err());
        assert!(text[..62].parse::<Hash>().is_err());
        // Any one digit out of range, wherever it is.
        for at in [0, 1, 31, 62, 63] {
            for wrong in ["g", "G", " ", "é"] {
                let mut bad = text.clone();
                bad.replace_range(at..at + 1, wrong);
                assert!(bad.parse::<Hash>().is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn a_link_covers_the_previous_hash_and_the_bytes() {
        let first = Hash::chain(&Hash::GENESIS, b"{}");
        let mut input = vec![0u8; 32];
        input.extend_from_slice(b"{}");
        assert_eq!(first, Hash::of(&input));
        assert_ne!(Hash::chain(&first, b"{}"), first);
    }
}
