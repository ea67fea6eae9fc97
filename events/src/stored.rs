//! Checking an event straight from the bytes a store keeps.
//!
//! The ledger stores an event's data as canonical JSON, and its metadata as
//! an object whose members are each in canonical form (beside them, the
//! version and the chain links). So the bytes an event's hash covers can be
//! streamed into SHA-256 from the stored bytes as they lie: the metadata's
//! members are located, not decoded, and nothing is re-encoded.
//!
//! This is only a faster way to the same verdict. When the stored bytes are
//! not in that form (written by other means, or damaged), the computed hash
//! differs from the recorded one and the caller reads the event the slow
//! way ([`EventRecord::from_store_bytes`](crate::EventRecord::from_store_bytes)
//! and [`verify_link`](crate::EventRecord::verify_link)), which re-encodes
//! and names what is wrong. A match cannot be a false one: the bytes hashed
//! are the bytes read, so they are the canonical bytes the hash was made
//! from (short of a SHA-256 collision), and the data and `recorded_at` the
//! caller folds are parsed from those very bytes.

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::{EventId, Hash, Timestamp};

/// The stored metadata, its members located but not decoded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParsedMetadata<'a> {
    #[serde(borrow)]
    actor: &'a RawValue,
    #[serde(borrow)]
    command_digest: &'a RawValue,
    #[serde(borrow)]
    command_id: &'a RawValue,
    #[serde(borrow)]
    community: &'a RawValue,
    #[serde(borrow)]
    correlation_id: &'a RawValue,
    #[serde(borrow)]
    recorded_at: &'a RawValue,
    version: u32,
    prev_hash: &'a str,
    hash: &'a str,
}

/// The stored metadata's members, each the text of a whole JSON value.
#[derive(Debug, PartialEq, Eq)]
struct StoredMetadata<'a> {
    actor: &'a str,
    command_digest: &'a str,
    command_id: &'a str,
    community: &'a str,
    correlation_id: &'a str,
    recorded_at: &'a str,
    version: u32,
    prev_hash: &'a str,
    hash: &'a str,
}

impl<'a> StoredMetadata<'a> {
    /// Locates the members of the stored metadata `text`: by the layout the
    /// ledger writes when it has it, else with the JSON parser.
    fn locate(text: &'a str) -> Option<Self> {
        Self::laid_out(text).or_else(|| Self::parsed(text))
    }

    /// The members as the JSON parser finds them.
    fn parsed(text: &'a str) -> Option<Self> {
        let parsed: ParsedMetadata<'a> = serde_json::from_str(text).ok()?;
        Some(Self {
            actor: parsed.actor.get(),
            command_digest: parsed.command_digest.get(),
            command_id: parsed.command_id.get(),
            community: parsed.community.get(),
            correlation_id: parsed.correlation_id.get(),
            recorded_at: parsed.recorded_at.get(),
            version: parsed.version,
            prev_hash: parsed.prev_hash,
            hash: parsed.hash,
        })
    }

    /// The members read off the layout the ledger writes — every member in
    /// key order, no space, strings without escapes, the version in plain
    /// digits — or `None` for any other text, which the parser then reads.
    /// Whatever this finds, the parser would find the same (a test checks
    /// it against every text one byte away from the layout, with the bytes
    /// that matter to JSON): only the parser is slower.
    fn laid_out(text: &'a str) -> Option<Self> {
        let rest = text.strip_prefix("{\"actor\":")?;
        let (actor, rest) = object(rest)?;
        let (command_digest, rest) = member(rest, ",\"command_digest\":")?;
        let (command_id, rest) = member(rest, ",\"command_id\":")?;
        let (community, rest) = member(rest, ",\"community\":")?;
        let (correlation_id, rest) = member(rest, ",\"correlation_id\":")?;
        let (hash, rest) = member(rest, ",\"hash\":")?;
        let (prev_hash, rest) = member(rest, ",\"prev_hash\":")?;
        let (recorded_at, rest) = member(rest, ",\"recorded_at\":")?;
        let digits = rest.strip_prefix(",\"version\":")?.strip_suffix('}')?;
        let plain = digits == "0" || digits.starts_with(|digit: char| matches!(digit, '1'..='9'));
        let version = match plain && digits.bytes().all(|digit| digit.is_ascii_digit()) {
            true => digits.parse().ok()?,
            false => return None,
        };
        Some(Self {
            actor,
            command_digest,
            command_id,
            community,
            correlation_id,
            recorded_at,
            version,
            // Inside their quotes: the parser gives the strings unquoted.
            prev_hash: &prev_hash[1..prev_hash.len() - 1],
            hash: &hash[1..hash.len() - 1],
        })
    }
}

/// The string that follows `name` at the start of `text`, with its
/// quotes, and the text after it.
fn member<'a>(text: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    string(text.strip_prefix(name)?)
}

/// The string at the start of `text`, with its quotes, when it needs no
/// escape, and the text after it.
fn string(text: &str) -> Option<(&str, &str)> {
    let inside = text.strip_prefix('"')?.as_bytes();
    let end = plain_len(inside);
    (inside.get(end) == Some(&b'"')).then(|| text.split_at(end + 2))
}

/// How many bytes at the start of `bytes` a JSON string holds as they are:
/// the position of the first quote, backslash or control character, or
/// the length when there is none. Read eight bytes at a time (most of a
/// stored event's metadata is strings).
fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // The high bit of each byte below `n` is set, and maybe of some bytes
    // after the first one set, never before: the lowest is exact.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1)
            | below(word, 0x20);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = words.remainder();
    at + tail
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
        .unwrap_or(tail.len())
}

/// The object at the start of `text`, when its strings need no escape and
/// the parser reads it as JSON, and the text after it.
fn object(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let (mut depth, mut at) = (0_usize, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at += string(&text[at..])?.0.len() - 1,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    let (object, rest) = text.split_at(at + 1);
                    serde_json::from_str::<serde::de::IgnoredAny>(object).ok()?;
                    return Some((object, rest));
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// What a stored event's bytes say of its place in the chain, once they
/// hash to the hash they record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLinks {
    /// The version of the event type's data.
    pub version: u32,
    pub prev_hash: Hash,
    /// The recorded hash, which the stored bytes hash to.
    pub hash: Hash,
    pub recorded_at: Timestamp,
}

/// The links of a stored event whose bytes hash, as they lie, to the hash
/// they record; `None` when they do not, or are not in the form the ledger
/// writes (the caller then checks the event the slow way).
pub fn hashed_links(
    event_id: EventId,
    event_type: &str,
    data: &[u8],
    metadata: &[u8],
) -> Option<StoredLinks> {
    let stored = StoredMetadata::locate(std::str::from_utf8(metadata).ok()?)?;
    let recorded: Hash = stored.hash.parse().ok()?;
    let prev_hash: Hash = stored.prev_hash.parse().ok()?;
    // Written as is only when it needs no escape: every type name does.
    if !event_type.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return None;
    }
    let mut id = [0; uuid::fmt::Hyphenated::LENGTH];
    let id = event_id.0.hyphenated().encode_lower(&mut id);
    let mut version = [0; 10];
    let version = decimal(stored.version, &mut version);

    let mut hasher = Sha256::new();
    hasher.update(prev_hash.0);
    hasher.update(b"{\"data\":");
    hasher.update(data);
    hasher.update(b",\"event_id\":\"");
    hasher.update(id.as_bytes());
    hasher.update(b"\",\"metadata\":{\"actor\":");
    hasher.update(stored.actor);
    hasher.update(b",\"command_digest\":");
    hasher.update(stored.command_digest);
    hasher.update(b",\"command_id\":");
    hasher.update(stored.command_id);
    hasher.update(b",\"community\":");
    hasher.update(stored.community);
    hasher.update(b",\"correlation_id\":");
    hasher.update(stored.correlation_id);
    hasher.update(b",\"recorded_at\":");
    hasher.update(stored.recorded_at);
    hasher.update(b"},\"type\":\"");
    hasher.update(event_type.as_bytes());
    hasher.update(b"\",\"version\":");
    hasher.update(version);
    hasher.update(b"}");
    if Hash(hasher.finalize().into()) != recorded {
        return None;
    }
    let recorded_at = serde_json::from_str(stored.recorded_at).ok()?;
    Some(StoredLinks {
        version: stored.version,
        prev_hash,
        hash: recorded,
        recorded_at,
    })
}

/// `n` in decimal digits, written in `digits`.
pub(crate) fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &digits[start..];
        }
    }
}

/// Parses JSON bytes, their text checked to be UTF-8 once as a whole: the
/// parser then takes each string as it lies instead of checking it again
/// (a good part of reading a stored event). Bytes that are not UTF-8 are
/// parsed as bytes, for the error that says where.
pub(crate) fn from_json_bytes<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{PioneerLeft, RoleGranted};
    use crate::{Actor, CorrelationId, Event, Metadata, NewEvent, PioneerId, Role};
    use uuid::Uuid;

    fn record(n: u128, event: Event, prev: Hash) -> crate::EventRecord {
        NewEvent {
            event_id: EventId(Uuid::from_u128(n)),
            event,
            metadata: Metadata {
                community: "demo".parse().unwrap(),
                actor: Actor {
                    id: "un \"acteur\" é\n".into(),
                    role: Role::Admin,
                },
                command_id: format!("commande-{n}/é"),
                command_digest: Hash::of(b"command"),
                correlation_id: CorrelationId(Uuid::from_u128(n + 100)),
                recorded_at: "2026-11-28T17:00:00Z".parse::<Timestamp>().unwrap(),
            },
        }
        .link(prev)
    }

    #[test]
    fn the_bytes_the_ledger_stores_hash_as_they_lie() {
        let pioneer_id = PioneerId(Uuid::from_u128(9));
        let first = record(
            1,
            RoleGranted {
                pioneer_id,
                role: Role::Gardener,
            }
            .into(),
            Hash::GENESIS,
        );
        let second = record(2, PioneerLeft { pioneer_id }.into(), first.hash);
        for record in [&first, &second] {
            let (data, metadata) = record.to_store_bytes();
            let links = hashed_links(record.event_id, &record.event_type, &data, &metadata)
                .expect("stored bytes in the ledger's form");
            assert_eq!(links.hash, record.hash);
            assert_eq!(links.prev_hash, record.prev_hash);
            assert_eq!(links.version, record.version);
        }
    }

    #[test]
    fn any_other_bytes_fall_back_to_the_slow_path() {
        let first = record(
            1,
            PioneerLeft {
                pioneer_id: PioneerId(Uuid::from_u128(9)),
            }
            .into(),
            Hash::GENESIS,
        );
        let (data, metadata) = first.to_store_bytes();
        let id = first.event_id;
        // The same content, spelled otherwise: the slow path decides.
        let spaced = String::from_utf8(data.clone()).unwrap().replace(':', ": ");
        assert_eq!(
            hashed_links(id, "PioneerLeft", spaced.as_bytes(), &metadata),
            None
        );
        // Changed content.
        let changed = String::from_utf8(data.clone()).unwrap().replace('9', "8");
        assert_eq!(
            hashed_links(id, "PioneerLeft", changed.as_bytes(), &metadata),
            None
        );
        // Another type, another id, a member too many or missing.
        assert_eq!(hashed_links(id, "PioneerJoined", &data, &metadata), None);
        assert_eq!(
            hashed_links(EventId(Uuid::nil()), "PioneerLeft", &data, &metadata),
            None
        );
        let text = String::from_utf8(metadata).unwrap();
        let extra = text.replacen('{', "{\"extra\":1,", 1);
        assert_eq!(
            hashed_links(id, "PioneerLeft", &data, extra.as_bytes()),
            None
        );
        let missing = text.replacen("\"community\":\"demo\",", "", 1);
        assert_eq!(
            hashed_links(id, "PioneerLeft", &data, missing.as_bytes()),
            None
        );
        let duplicated = text.replacen('{', "{\"community\":\"demo\",", 1);
        assert_eq!(
            hashed_links(id, "PioneerLeft", &data, duplicated.as_bytes()),
            None
        );
    }

    /// The stored metadata of an event whose actor is named `actor`.
    fn stored_metadata(actor: &str) -> String {
        let mut record = record(
            1,
            PioneerLeft {
                pioneer_id: PioneerId(Uuid::from_u128(9)),
            }
            .into(),
            Hash::GENESIS,
        );
        record.metadata["actor"]["id"] = actor.into();
        String::from_utf8(record.to_store_bytes().1).unwrap()
    }

    #[test]
    fn the_ledger_s_layout_is_read_without_the_parser() {
        let text = stored_metadata("pioneer:01a22c11-87a4-702e-9599-0571e304b2bb");
        let laid_out = StoredMetadata::laid_out(&text).expect("the ledger's layout");
        assert_eq!(Some(&laid_out), StoredMetadata::parsed(&text).as_ref());
        // An escape anywhere leaves it to the parser, which reads it.
        let escaped = stored_metadata("un \"acteur\"");
        assert_eq!(StoredMetadata::laid_out(&escaped), None);
        assert!(StoredMetadata::locate(&escaped).is_some());
    }

    /// Every text one byte away from the ledger's layout (a byte changed,
    /// removed or added) is read by the layout as the parser reads it, or
    /// left to the parser.
    #[test]
    fn the_layout_finds_what_the_parser_finds_or_nothing() {
        let bytes = [
            b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b' ', b'0', b'1', b'9', b'a', b'n',
            b'\n', 0x7f, 0xc3,
        ];
        for actor in ["pioneer:7", "a{b}[c]"] {
            let text = stored_metadata(actor).into_bytes();
            let mut variants = Vec::new();
            for at in 0..text.len() {
                let mut removed = text.clone();
                removed.remove(at);
                variants.push(removed);
                for byte in bytes {
                    let mut changed = text.clone();
                    changed[at] = byte;
                    variants.push(changed);
                    let mut added = text.clone();
                    added.insert(at, byte);
                    variants.push(added);
                }
            }
            let mut read = 0;
            for variant in variants {
                let Ok(variant) = std::str::from_utf8(&variant) else {
                    continue;
                };
                if let Some(laid_out) = StoredMetadata::laid_out(variant) {
                    read += 1;
                    assert_eq!(Some(laid_out), StoredMetadata::parsed(variant), "{variant}");
                }
            }
            // Not a test that passes by reading nothing.
            assert!(read > text.len(), "{read} variants read");
        }
    }

    /// The eight-at-a-time scan stops where a byte-by-byte one does: every
    /// byte value at every place of a word and of the tail, after any
    /// prefix of plain bytes, high ones included.
    #[test]
    fn plain_strings_end_at_the_first_byte_json_escapes() {
        let slow = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .unwrap_or(bytes.len())
        };
        for filler in [b'a', b' ', 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xff] {
            for len in 0..20 {
                let plain = vec![filler; len];
                assert_eq!(plain_len(&plain), slow(&plain));
                for at in 0..len {
                    for byte in 0..=u8::MAX {
                        let mut bytes = plain.clone();
                        bytes[at] = byte;
                        // A second special byte after the first one.
                        let mut twice = bytes.clone();
                        twice.push(b'"');
                        twice.extend_from_slice(&bytes);
                        for bytes in [bytes, twice] {
                            assert_eq!(plain_len(&bytes), slow(&bytes), "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn versions_are_written_in_decimal() {
        for n in [0, 1, 9, 10, 42, 100, 65_535, u32::MAX] {
            assert_eq!(decimal(n, &mut [0; 10]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn json_bytes_read_as_text_give_what_the_byte_parser_gives() {
        let inputs: [&[u8]; 7] = [
            br#"{"a":"\u00e9t\u00e9","b":[1,2.5,null]}"#,
            "{\"mot\":\"été\"}".as_bytes(),
            br#"{"a":"unterminated}"#,
            br#"{"a":1,}"#,
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"ok\"}\xc3",
            b"",
        ];
        for input in inputs {
            let as_text = from_json_bytes::<serde_json::Value>(input).map_err(|e| e.to_string());
            let as_bytes =
                serde_json::from_slice::<serde_json::Value>(input).map_err(|e| e.to_string());
            assert_eq!(as_text, as_bytes, "{}", String::from_utf8_lossy(input));
        }
    }
}
