//! The envelope around every event, and the event as recorded.
//!
//! A [`NewEvent`] is what a decision produces. Linking it to the previous
//! hash gives an [`EventRecord`]: the event as JSON values exactly as stored,
//! with `prev_hash` and `hash`. Verification works on records, never on
//! re-serialized typed values, so it checks the bytes as they were written.
//! [`Recorded`] is a record decoded for readers, with its place in the log.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canonical::{CanonicalError, write_canonical, write_string};
use crate::kinds::{DecodeError, Event, Role};
use crate::{CommunitySlug, CorrelationId, EventId, Hash, StoredLinks, Timestamp};

/// Most bytes in a command id (the client's `Idempotency-Key`).
pub const COMMAND_ID_BYTES_MAX: usize = 128;

/// Who caused an event, and in which role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The token's subject: a pioneer id, an operator's name, or `system`.
    pub id: String,
    pub role: Role,
}

/// Facts about an event other than its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub community: CommunitySlug,
    pub actor: Actor,
    /// The command that caused the event: the client's `Idempotency-Key`, or
    /// an id the service minted. A retried command has the same id.
    pub command_id: String,
    /// SHA-256 of the command as received (caller, route and body), which
    /// tells a retry of a command from another command reusing its id.
    pub command_digest: Hash,
    pub correlation_id: CorrelationId,
    pub recorded_at: Timestamp,
}

/// An event decided but not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: EventId,
    pub event: Event,
    pub metadata: Metadata,
}

impl NewEvent {
    /// Links the event after `prev_hash`, fixing its recorded form and hash.
    pub fn link(&self, prev_hash: Hash) -> EventRecord {
        self.link_for_store(prev_hash).record
    }

    /// [`link`](Self::link), with the bytes a store keeps made from the
    /// same canonical encoding the hash covers: the event is encoded once.
    /// The bytes are those [`EventRecord::to_store_bytes`] gives.
    pub fn link_for_store(&self, prev_hash: Hash) -> Linked {
        let metadata =
            serde_json::to_value(&self.metadata).expect("metadata always serializes to JSON");
        let mut record = EventRecord {
            event_id: self.event_id,
            event_type: self.event.event_type().to_owned(),
            version: self.event.version(),
            data: self.event.data(),
            metadata,
            prev_hash,
            hash: Hash::GENESIS,
        };
        let (canonical, data, metadata) = record
            .canonical_parts()
            .expect("typed events hold no fractional numbers");
        record.hash = Hash::chain(&prev_hash, &canonical);
        let data = canonical[data].to_vec();
        let metadata = stored_metadata(&canonical[metadata], &record);
        Linked {
            record,
            data,
            metadata,
        }
    }
}

/// An event linked into its chain, with the data and metadata bytes a store
/// keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub record: EventRecord,
    pub data: Vec<u8>,
    pub metadata: Vec<u8>,
}

/// The stored metadata: the canonical metadata's members with the version
/// and chain links among them, in key order (`hash` and `prev_hash` come
/// before `recorded_at`, the last member of [`Metadata`]; `version` after).
fn stored_metadata(canonical: &[u8], record: &EventRecord) -> Vec<u8> {
    // A quote inside a string is escaped in canonical JSON, so this run of
    // bytes is the top-level member's key and nothing else.
    const LAST_MEMBER: &[u8] = b",\"recorded_at\":";
    let split = canonical
        .windows(LAST_MEMBER.len())
        .position(|window| window == LAST_MEMBER)
        .expect("metadata always records its instant");
    let (before, after) = canonical.split_at(split);
    let after = after.strip_suffix(b"}").expect("metadata is an object");
    let mut out = Vec::with_capacity(canonical.len() + 200);
    out.extend_from_slice(before);
    // Hex digits need no escape.
    out.extend_from_slice(b",\"hash\":\"");
    out.extend_from_slice(&record.hash.hex());
    out.extend_from_slice(b"\",\"prev_hash\":\"");
    out.extend_from_slice(&record.prev_hash.hex());
    out.push(b'"');
    out.extend_from_slice(after);
    out.extend_from_slice(b",\"version\":");
    out.extend_from_slice(crate::stored::decimal(record.version, &mut [0; 10]));
    out.push(b'}');
    out
}

/// Why a record is not a valid link of its chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {event_id} links to {found} but the previous hash is {expected}")]
    BrokenLink {
        event_id: EventId,
        expected: Hash,
        found: Hash,
    },
    #[error("event {event_id} records hash {recorded} but its content hashes to {computed}")]
    HashMismatch {
        event_id: EventId,
        recorded: Hash,
        computed: Hash,
    },
    #[error("event {event_id} has no canonical form: {source}")]
    NotCanonical {
        event_id: EventId,
        source: CanonicalError,
    },
}

/// An event exactly as recorded: JSON values, chain links included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub event_id: EventId,
    pub event_type: String,
    pub version: u32,
    pub data: Value,
    /// The [`Metadata`] as recorded.
    pub metadata: Value,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// An event's canonical bytes, with where its data's and its metadata's
/// lie in them.
type CanonicalParts = (Vec<u8>, Range<usize>, Range<usize>);

/// Keys the store keeps beside the metadata in its metadata bytes.
const STORED_VERSION: &str = "version";
const STORED_PREV_HASH: &str = "prev_hash";
const STORED_HASH: &str = "hash";

impl EventRecord {
    /// The bytes the hash covers: the canonical JSON of
    /// `{"data", "event_id", "metadata", "type", "version"}`.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        self.canonical_parts().map(|(bytes, _, _)| bytes)
    }

    /// The canonical bytes, with where the data's and the metadata's lie in
    /// them.
    fn canonical_parts(&self) -> Result<CanonicalParts, CanonicalError> {
        // Written member by member, in key order, rather than through a
        // JSON object built for the purpose: the same bytes without copying
        // the data and metadata.
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"{\"data\":");
        let data_start = out.len();
        write_canonical(&self.data, &mut out)?;
        let data = data_start..out.len();
        out.extend_from_slice(b",\"event_id\":");
        let mut id = [0; uuid::fmt::Hyphenated::LENGTH];
        write_string(self.event_id.0.hyphenated().encode_lower(&mut id), &mut out);
        out.extend_from_slice(b",\"metadata\":");
        let metadata_start = out.len();
        write_canonical(&self.metadata, &mut out)?;
        let metadata = metadata_start..out.len();
        out.extend_from_slice(b",\"type\":");
        write_string(&self.event_type, &mut out);
        out.extend_from_slice(b",\"version\":");
        out.extend_from_slice(crate::stored::decimal(self.version, &mut [0; 10]));
        out.push(b'}');
        Ok((out, data, metadata))
    }

    /// `SHA-256(prev_hash || canonical bytes)`.
    pub fn computed_hash(&self) -> Result<Hash, CanonicalError> {
        Ok(Hash::chain(&self.prev_hash, &self.canonical_bytes()?))
    }

    /// Checks that this record follows `expected_prev` and that its content
    /// still hashes to its recorded hash.
    pub fn verify_link(&self, expected_prev: &Hash) -> Result<(), ChainError> {
        if self.prev_hash != *expected_prev {
            return Err(ChainError::BrokenLink {
                event_id: self.event_id,
                expected: *expected_prev,
                found: self.prev_hash,
            });
        }
        let computed = self
            .computed_hash()
            .map_err(|source| ChainError::NotCanonical {
                event_id: self.event_id,
                source,
            })?;
        if computed != self.hash {
            return Err(ChainError::HashMismatch {
                event_id: self.event_id,
                recorded: self.hash,
                computed,
            });
        }
        Ok(())
    }

    /// The typed event and metadata, upcast to the current version.
    pub fn decode(&self) -> Result<(Event, Metadata), DecodeError> {
        let event = Event::decode_ref(&self.event_type, self.version, &self.data)?;
        let metadata = Metadata::deserialize(&self.metadata)
            .map_err(|error| DecodeError::Malformed(format!("metadata: {error}")))?;
        Ok((event, metadata))
    }

    /// The data and metadata bytes a store keeps (it keeps the id and type
    /// on their own). Version and chain links travel in the metadata bytes.
    pub fn to_store_bytes(&self) -> (Vec<u8>, Vec<u8>) {
        let mut metadata = match &self.metadata {
            Value::Object(members) => members.clone(),
            other => panic!("event metadata must be an object, found {other}"),
        };
        metadata.insert(STORED_VERSION.into(), self.version.into());
        metadata.insert(STORED_PREV_HASH.into(), self.prev_hash.to_string().into());
        metadata.insert(STORED_HASH.into(), self.hash.to_string().into());
        let data = serde_json::to_vec(&self.data).expect("JSON values always serialize");
        let metadata =
            serde_json::to_vec(&Value::Object(metadata)).expect("JSON values always serialize");
        (data, metadata)
    }

    /// Reads what [`to_store_bytes`](Self::to_store_bytes) wrote.
    pub fn from_store_bytes(
        event_id: EventId,
        event_type: &str,
        data: &[u8],
        metadata: &[u8],
    ) -> Result<Self, DecodeError> {
        let malformed = |what: &str| DecodeError::Malformed(format!("event {event_id}: {what}"));
        let data: Value =
            serde_json::from_slice(data).map_err(|_| malformed("data is not JSON"))?;
        let mut metadata: Map<String, Value> = serde_json::from_slice(metadata)
            .map_err(|_| malformed("metadata is not a JSON object"))?;
        let version = metadata
            .remove(STORED_VERSION)
            .and_then(|version| version.as_u64())
            .and_then(|version| u32::try_from(version).ok())
            .ok_or_else(|| malformed("no version"))?;
        let mut take_hash = |key: &str| {
            metadata
                .remove(key)
                .and_then(|hash| hash.as_str().and_then(|text| text.parse::<Hash>().ok()))
                .ok_or_else(|| malformed(&format!("no valid {key}")))
        };
        let prev_hash = take_hash(STORED_PREV_HASH)?;
        let hash = take_hash(STORED_HASH)?;
        Ok(Self {
            event_id,
            event_type: event_type.to_owned(),
            version,
            data,
            metadata: Value::Object(metadata),
            prev_hash,
            hash,
        })
    }
}

/// Checks a stream's records in order, from its first event on.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    head: Hash,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            head: Hash::GENESIS,
            count: 0,
        }
    }
}

impl ChainVerifier {
    /// Verifies the next record and moves the head to it.
    pub fn push(&mut self, record: &EventRecord) -> Result<(), ChainError> {
        record.verify_link(&self.head)?;
        self.head = record.hash;
        self.count += 1;
        Ok(())
    }

    /// Moves the head to an event whose stored bytes were found to hash to
    /// its recorded hash ([`hashed_links`](crate::hashed_links)), once its
    /// link to the head is checked.
    pub fn push_hashed(
        &mut self,
        event_id: EventId,
        links: &StoredLinks,
    ) -> Result<(), ChainError> {
        if links.prev_hash != self.head {
            return Err(ChainError::BrokenLink {
                event_id,
                expected: self.head,
                found: links.prev_hash,
            });
        }
        self.head = links.hash;
        self.count += 1;
        Ok(())
    }

    /// Moves the head to an event the caller checked: its link to the head
    /// and its hash.
    pub fn accept(&mut self, hash: Hash) {
        self.head = hash;
        self.count += 1;
    }

    /// The hash of the last verified event ([`Hash::GENESIS`] before any).
    pub fn head(&self) -> Hash {
        self.head
    }

    /// How many events verified.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// A decoded event with its place in the log, for projections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Position in the whole log, across streams.
    pub position: u64,
    /// Position within its stream, from 0.
    pub revision: u64,
    pub event_id: EventId,
    pub event: Event,
    pub metadata: Metadata,
    pub hash: Hash,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{PioneerLeft, RoleGranted};
    use crate::{PioneerId, Timestamp};
    use uuid::Uuid;

    fn new_event(n: u128, event: Event) -> NewEvent {
        NewEvent {
            event_id: EventId(Uuid::from_u128(n)),
            event,
            metadata: Metadata {
                community: "demo".parse().unwrap(),
                actor: Actor {
                    id: "admin".into(),
                    role: Role::Admin,
                },
                command_id: format!("command-{n}"),
                command_digest: Hash::of(b"command"),
                correlation_id: CorrelationId(Uuid::from_u128(n + 100)),
                recorded_at: "2026-11-28T17:00:00Z".parse::<Timestamp>().unwrap(),
            },
        }
    }

    #[test]
    fn the_bytes_linked_for_a_store_are_those_the_record_gives_and_hash_as_they_lie() {
        let pioneer_id = PioneerId(Uuid::from_u128(9));
        let actors = [
            "admin",
            "Zoé \"la\" jardinière",
            "tab\tnew\nline\u{1}\u{7f}\u{2028}",
            "🌱",
        ];
        for (n, actor) in actors.into_iter().enumerate() {
            let mut new = new_event(n as u128, PioneerLeft { pioneer_id }.into());
            new.metadata.actor.id = actor.into();
            new.metadata.command_id = format!("{actor}/{n}");

            let linked = new.link_for_store(Hash::of(actor.as_bytes()));

            assert_eq!(linked.record, new.link(Hash::of(actor.as_bytes())));
            assert_eq!(
                (linked.data.clone(), linked.metadata.clone()),
                linked.record.to_store_bytes(),
                "{actor:?}"
            );
            let links = crate::hashed_links(
                linked.record.event_id,
                &linked.record.event_type,
                &linked.data,
                &linked.metadata,
            )
            .expect("the stored bytes hash as they lie");
            assert_eq!(links.hash, linked.record.hash);
        }
    }

    fn two_linked_records() -> (EventRecord, EventRecord) {
        let pioneer_id = PioneerId(Uuid::from_u128(9));
        let first = new_event(
            1,
            RoleGranted {
                pioneer_id,
                role: Role::Gardener,
            }
            .into(),
        )
        .link(Hash::GENESIS);
        let second = new_event(2, PioneerLeft { pioneer_id }.into()).link(first.hash);
        (first, second)
    }

    #[test]
    fn canonical_bytes_are_sorted_compact_json_of_the_five_fields() {
        let (first, _) = two_linked_records();
        let canonical = String::from_utf8(first.canonical_bytes().unwrap()).unwrap();
        assert_eq!(
            canonical,
            concat!(
                r#"{"data":{"pioneer_id":"00000000-0000-0000-0000-000000000009","role":"gardener"},"#,
                r#""event_id":"00000000-0000-0000-0000-000000000001","#,
                r#""metadata":{"actor":{"id":"admin","role":"admin"},"#,
                r#""command_digest":"5d347fd948b66308f502c3f65c8f7e12ff1c5cf8c760bcdfb188ae1ec7b8b618","command_id":"command-1","#,
                r#""community":"demo","correlation_id":"00000000-0000-0000-0000-000000000065","#,
                r#""recorded_at":"2026-11-28T17:00:00.000000Z"},"type":"RoleGranted","version":1}"#
            )
        );
    }

    #[test]
    fn a_chain_verifies_in_order_and_names_the_broken_link() {
        let (first, second) = two_linked_records();
        let mut verifier = ChainVerifier::default();
        verifier.push(&first).unwrap();
        verifier.push(&second).unwrap();
        assert_eq!((verifier.head(), verifier.count()), (second.hash, 2));

        let mut out_of_order = ChainVerifier::default();
        assert!(matches!(
            out_of_order.push(&second),
            Err(ChainError::BrokenLink { event_id, .. }) if event_id == second.event_id
        ));
    }

    #[test]
    fn any_change_to_a_recorded_event_breaks_its_hash() {
        let (mut first, _) = two_linked_records();
        first.data["role"] = "admin".into();
        assert!(matches!(
            first.verify_link(&Hash::GENESIS),
            Err(ChainError::HashMismatch { .. })
        ));
    }

    #[test]
    fn store_bytes_round_trip_and_decode_to_the_typed_event() {
        let (first, _) = two_linked_records();
        let (data, metadata) = first.to_store_bytes();
        let back =
            EventRecord::from_store_bytes(first.event_id, "RoleGranted", &data, &metadata).unwrap();
        assert_eq!(back, first);
        let (event, metadata) = back.decode().unwrap();
        assert_eq!(event.event_type(), "RoleGranted");
        assert_eq!(metadata.actor.role, Role::Admin);
    }

    #[test]
    fn store_bytes_without_chain_links_are_malformed() {
        let error =
            EventRecord::from_store_bytes(EventId(Uuid::nil()), "PioneerLeft", b"{}", b"{}");
        assert!(matches!(error, Err(DecodeError::Malformed(_))));
    }
}
