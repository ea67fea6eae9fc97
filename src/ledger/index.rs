//! The keys each event is filed under in the store's index, so that reads
//! about one thing never walk the whole log and no history is held in
//! memory:
//!
//! - `e<uuid>`: every id the event's data mentions (pioneers, projects,
//!   exchanges, ballots, allocations…, and the id inside account names such
//!   as `pioneer:<uuid>`). Serves `history/{id}`.
//! - `p<uuid>` or `j<uuid>`: the pioneer's or project's account whose
//!   credits the event moves. Serves statements.
//! - `c<the first 128 bits of SHA-256 of the caller and the command id>`:
//!   the command that recorded the event, scoped to its caller (idempotency
//!   keys belong to the caller who sent them). Hashed, so that no caller's
//!   name or key can make an index key too long. Serves retries.
//! - `l…`: lists of things the state lets go of once they are over, newest
//!   read first: [`LISTINGS`] (every listing published),
//!   [`COMPLETED_EXCHANGES`] (every exchange confirmed) and [`MEETINGS`]
//!   (every meeting and social event). Serve listings with the withdrawn
//!   ones, the exchanges a gardener may reverse, and the meetings.
//! - `m<the first 128 bits of SHA-256 of a project id and an indicator
//!   code>`: the measurements of one impact indicator for one project, its
//!   series over time.
//! - [`EDITION`], filed with each community's first event: the index holds
//!   every key of this edition. An index without it was filed by an earlier
//!   edition, and is filed again from the log at start-up.
//!
//! Ids and hashes are written in unpadded base64 (a UUID in 22
//! characters): short keys make small index rows, and a filing then
//! rewrites fewer pages of the index (measured: 9,400 transfers/s instead
//! of 7,900 with the keys spelled out). Its digits are the URL-safe ones in
//! ASCII order, so that keys sort as the bytes they encode: the keys of
//! ids made in time order land side by side, at the end of the index.
//!
//! Filing an event's keys in the transaction that appends it would cost a
//! few random pages of the index per event on the hot path. Instead, each
//! community keeps its newest events' entries in memory ([`Recent`]), from
//! the moment they are durable, and files them in bulk, with the stream's
//! index mark, every [`FILE_EVENTS_MIN`] events. Reads and retries look at
//! both: the store's index through the mark, and the entries after it. What
//! was not filed when the service stopped is filed again from the log at
//! the next start-up.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use agora_events::{AccountId, Event, EventRecord, Hash, Metadata, ProjectId};
use agora_projections::Movement;
use serde_json::Value;
use uuid::Uuid;

use crate::store::{EventStore, IndexEntry, StoreError};

/// Events kept in memory before their entries are filed in the store.
pub const FILE_EVENTS_MIN: u64 = 4_096;

/// Events whose entries are filed in one transaction while the service
/// runs.
pub const FILE_CHUNK_EVENTS: u64 = 4_096;

/// How many events' entries go into one filing transaction, and how many
/// entries at most (a chunk still holds whole events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    pub events: u64,
    pub entries_max: usize,
}

impl Chunking {
    /// While the service runs: small chunks, each holding the index's
    /// writer only briefly.
    pub const RUNNING: Chunking = Chunking {
        events: FILE_CHUNK_EVENTS,
        entries_max: 65_536,
    };
    /// A backlog filed while the log is loaded (a store without its index,
    /// or an index of an earlier edition): nothing else writes then, and a
    /// larger chunk pays for the index pages its random keys land on once
    /// for more entries (measured on 1M transfers: the index's thread
    /// busy 10.5 s instead of 15.5 s with chunks of 8,192 events). Its
    /// entries are held in memory meanwhile, some 30 MB at six keys an
    /// event; chunks twice as large saved another tenth of the time for
    /// 40 MB more resident.
    pub const BACKLOG: Chunking = Chunking {
        events: 32_768,
        entries_max: 262_144,
    };

    /// These chunks with `events` events each, entries capped as before.
    pub fn of_events(self, events: u64) -> Self {
        Self { events, ..self }
    }
}

/// Entries to file together, and the mark they bring the store to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub entries: Vec<IndexEntry>,
    pub through: u64,
}

/// Splits entries in revision order, to be filed through `through`, into
/// chunks of at most `chunking.events` events each (and, between events, at
/// most `chunking.entries_max` entries). Each chunk's mark is the revision
/// before the next chunk's first entry, so it covers the revisions in
/// between, which have no entries; the last chunk's mark is `through`.
pub fn chunks(entries: Vec<IndexEntry>, through: u64, chunking: Chunking) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut first: Option<u64> = None;
    for entry in entries {
        let start = *first.get_or_insert(entry.revision);
        let new_event = chunks
            .last()
            .and_then(|chunk| chunk.entries.last())
            .is_some_and(|last| last.revision != entry.revision);
        let crowded = chunks
            .last()
            .is_some_and(|chunk| chunk.entries.len() >= chunking.entries_max);
        let full = entry.revision >= start + chunking.events || (new_event && crowded);
        match chunks.last_mut() {
            Some(chunk) if !full => chunk.entries.push(entry),
            _ => {
                if full {
                    first = Some(entry.revision);
                    if let Some(chunk) = chunks.last_mut() {
                        chunk.through = entry.revision - 1;
                    }
                }
                chunks.push(Chunk {
                    through,
                    entries: vec![entry],
                });
            }
        }
    }
    if chunks.is_empty() {
        chunks.push(Chunk {
            entries: Vec::new(),
            through,
        });
    }
    if let Some(last) = chunks.last_mut() {
        last.through = through;
    }
    chunks
}

/// Files a community's recent entries in the store, in chunks as
/// `chunking` says, and forgets each chunk once filed.
pub async fn file_recent(
    store: &dyn EventStore,
    stream: &str,
    recent: &SharedRecent,
    chunking: Chunking,
) -> Result<(), StoreError> {
    let to_file = recent.read().unwrap_or_else(|p| p.into_inner()).to_file();
    let Some((entries, through)) = to_file else {
        return Ok(());
    };
    for chunk in chunks(entries, through, chunking) {
        let through = chunk.through;
        store.file_index(stream, chunk.entries, through).await?;
        recent
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .filed(through);
    }
    Ok(())
}

/// A community's index entries not yet filed in the store: those of its
/// events after the store's index mark.
#[derive(Debug, Clone, Default)]
pub struct Recent {
    /// The store's mark as last known: every event through it is filed.
    filed_through: Option<u64>,
    /// The last revision whose entries are here.
    last: Option<u64>,
    /// Entries after the mark, in revision order.
    entries: Vec<IndexEntry>,
    /// Key → revisions after the mark, in order.
    by_key: HashMap<String, Vec<u64>>,
}

/// A community's recent entries, as its writer and readers share them.
pub type SharedRecent = Arc<RwLock<Recent>>;

impl Recent {
    /// Nothing recent, with the store filed through `filed_through`.
    pub fn new(filed_through: Option<u64>) -> Self {
        Self {
            filed_through,
            last: filed_through,
            ..Self::default()
        }
    }

    /// Keeps the keys of the event at `revision`, unless the store has it.
    pub fn add(&mut self, revision: u64, keys: Vec<String>) {
        if self.has_filed(revision) {
            return;
        }
        debug_assert!(
            self.last.is_none_or(|last| revision > last),
            "entries arrive in revision order"
        );
        self.last = Some(revision);
        for key in keys {
            let revisions = self.by_key.entry(key.clone()).or_default();
            if revisions.last() != Some(&revision) {
                revisions.push(revision);
                self.entries.push(IndexEntry { key, revision });
            }
        }
    }

    /// Whether the store's index has the event at `revision`.
    pub fn has_filed(&self, revision: u64) -> bool {
        self.filed_through.is_some_and(|mark| revision <= mark)
    }

    /// The store's mark: every event through it is filed there.
    pub fn filed_through(&self) -> Option<u64> {
        self.filed_through
    }

    /// How many events' entries wait to be filed.
    pub fn unfiled_events(&self) -> u64 {
        match (self.last, self.filed_through) {
            (Some(last), Some(mark)) => last - mark,
            (Some(last), None) => last + 1,
            (None, _) => 0,
        }
    }

    /// What to file now: the entries, and the mark they bring the store to.
    pub fn to_file(&self) -> Option<(Vec<IndexEntry>, u64)> {
        let through = self.last?;
        (self.filed_through != Some(through)).then(|| (self.entries.clone(), through))
    }

    /// The store has filed everything through `through`: forget it here.
    pub fn filed(&mut self, through: u64) {
        if self.filed_through.is_some_and(|mark| through <= mark) {
            return;
        }
        self.filed_through = Some(through);
        self.entries.retain(|entry| entry.revision > through);
        self.by_key.retain(|_, revisions| {
            revisions.retain(|&revision| revision > through);
            !revisions.is_empty()
        });
    }

    /// Shows nothing past `revision`, where the log being inspected breaks:
    /// the store's entries are read only through it.
    pub fn hide_after(&mut self, revision: u64) {
        if self.filed_through.is_some_and(|mark| mark > revision) {
            self.filed_through = Some(revision);
            self.last = Some(revision);
            self.entries.clear();
            self.by_key.clear();
        }
    }

    /// The store's mark, and the revisions after it filed under `key`.
    pub fn view(&self, key: &str) -> (Option<u64>, Vec<u64>) {
        let revisions = self.by_key.get(key).cloned().unwrap_or_default();
        (self.filed_through, revisions)
    }
}

/// The list of every listing published: its `ListingPublished` events.
pub const LISTINGS: &str = "llistings";
/// The list of every exchange confirmed: its `ExchangeConfirmed` events.
pub const COMPLETED_EXCHANGES: &str = "lcompleted";
/// The list of every meeting and social event: its `MeetingRecorded`
/// events.
pub const MEETINGS: &str = "lmeetings";
/// What an index filed with this edition's keys holds (under its
/// community's first event). Change it with any change to the keys.
pub const EDITION: &str = "i5";

/// The key of the measurements of `indicator` for `project`: their series.
pub fn measurements_key(project: ProjectId, indicator: &str) -> String {
    let scoped = format!("{}:{indicator}", project.0);
    compact('m', &Hash::of(scoped.as_bytes()).0[..16])
}

/// The key of the events that mention entity `id`.
pub fn entity_key(id: Uuid) -> String {
    compact('e', id.as_bytes())
}

/// The key of the events that move `account`'s credits.
pub fn account_key(account: AccountId) -> String {
    match account {
        AccountId::Pioneer(id) => compact('p', id.0.as_bytes()),
        AccountId::Project(id) => compact('j', id.0.as_bytes()),
        AccountId::Community => compact('k', &[]),
    }
}

/// The key of the events recorded by `actor`'s command `command_id`. The
/// actor's length comes first in what is hashed, so no pair of actor and id
/// can pass for another.
pub fn command_key(actor: &str, command_id: &str) -> String {
    let scoped = format!("{}:{actor}:{command_id}", actor.len());
    compact('c', &Hash::of(scoped.as_bytes()).0[..16])
}

/// Base64 whose 64 digits are in ASCII order (the URL-safe ones, sorted):
/// two ids of the same length encode in the order of their bytes.
const ORDERED_BASE64: base64::engine::GeneralPurpose = {
    use base64::{alphabet::Alphabet, engine};
    let Ok(digits) =
        Alphabet::new("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
    else {
        panic!("64 distinct printable digits")
    };
    engine::GeneralPurpose::new(
        &digits,
        engine::GeneralPurposeConfig::new().with_encode_padding(false),
    )
};

/// A key as short as it can be: its kind, then its bytes in unpadded
/// base64 (a UUID in 22 characters instead of 36). Short keys make small
/// index rows, so a filing rewrites fewer pages of the index. The digits
/// keep the bytes' order, so the keys of ids made in time order (UUIDv7,
/// as the ledger makes them) follow one another in the index: a filing
/// adds them at its end rather than on pages all over it.
fn compact(kind: char, bytes: &[u8]) -> String {
    use base64::Engine;
    let mut key = String::with_capacity(1 + bytes.len().div_ceil(3) * 4);
    key.push(kind);
    ORDERED_BASE64.encode_string(bytes, &mut key);
    key
}

/// Every key an event is filed under.
pub fn keys(data: &Value, event: &Event, metadata: &Metadata) -> Vec<String> {
    keys_for(data, event, &metadata.actor.id, &metadata.command_id)
}

/// Every key a stored event is filed under, read from its stored bytes,
/// its data decoded into `event` already; `None` when its metadata does not
/// read so (the event is then read the exact way, which says what is
/// wrong).
pub fn stored_keys(data: &[u8], metadata: &[u8], event: &Event) -> Option<Vec<String>> {
    /// The part of an event's metadata its keys need.
    #[derive(serde::Deserialize)]
    struct Caller<'a> {
        #[serde(borrow)]
        actor: Named<'a>,
        #[serde(borrow)]
        command_id: Cow<'a, str>,
    }
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
    }
    let caller: Caller<'_> = serde_json::from_slice(metadata).ok()?;
    let data: Value = serde_json::from_slice(data).ok()?;
    Some(keys_for(&data, event, &caller.actor.id, &caller.command_id))
}

/// Every key an event is filed under, the command that recorded it sent by
/// `actor` as `command_id`.
fn keys_for(data: &Value, event: &Event, actor: &str, command_id: &str) -> Vec<String> {
    let mut ids = BTreeSet::new();
    ids_in(data, &mut ids);
    let mut keys: Vec<String> = ids.into_iter().map(entity_key).collect();
    if let Some(movement) = Movement::of(event) {
        keys.push(account_key(movement.payer));
        if movement.payee != movement.payer {
            keys.push(account_key(movement.payee));
        }
    }
    keys.push(command_key(actor, command_id));
    match event {
        Event::CommunityCreated(_) => keys.push(EDITION.to_owned()),
        Event::ListingPublished(_) => keys.push(LISTINGS.to_owned()),
        Event::ExchangeConfirmed(_) => keys.push(COMPLETED_EXCHANGES.to_owned()),
        Event::MeetingRecorded(_) => keys.push(MEETINGS.to_owned()),
        Event::IndicatorMeasured(measured) => {
            keys.push(measurements_key(measured.project_id, &measured.indicator));
        }
        _ => {}
    }
    keys
}

/// Every key a recorded event is filed under, decoding it first.
pub fn keys_of(record: &EventRecord) -> Result<Vec<String>, agora_events::DecodeError> {
    let (event, metadata) = record.decode()?;
    Ok(keys(&record.data, &event, &metadata))
}

/// Every id in `value`: UUID strings, and the UUID of `kind:<uuid>` strings.
fn ids_in(value: &Value, ids: &mut BTreeSet<Uuid>) {
    match value {
        Value::String(text) => {
            let candidate = text.split_once(':').map_or(text.as_str(), |(_, id)| id);
            if candidate.len() == 36
                && let Ok(id) = Uuid::parse_str(candidate)
            {
                ids.insert(id);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| ids_in(item, ids)),
        Value::Object(members) => members.values().for_each(|member| ids_in(member, ids)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_found_anywhere_in_the_data_including_account_names() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let c = Uuid::now_v7();
        let data = json!({"payer": format!("pioneer:{a}"), "nested": [{"ballot_id": b.to_string()}],
            "electorate": [{"pioneer_id": c.to_string(), "college": "x"}], "hours": "1.00"});
        let mut ids = BTreeSet::new();
        ids_in(&data, &mut ids);
        assert_eq!(ids, [a, b, c].into_iter().collect());
    }

    #[test]
    fn recent_entries_are_forgotten_once_filed_and_never_before() {
        let mut recent = Recent::new(Some(1));
        recent.add(1, vec!["k".into()]); // already filed: ignored
        recent.add(2, vec!["k".into(), "j".into(), "k".into()]);
        recent.add(3, vec!["k".into()]);

        assert_eq!(recent.unfiled_events(), 2);
        assert_eq!(recent.view("k"), (Some(1), vec![2, 3]));
        let (entries, through) = recent.to_file().unwrap();
        assert_eq!((entries.len(), through), (3, 3));

        recent.filed(2);
        assert_eq!(recent.view("k"), (Some(2), vec![3]));
        assert_eq!(recent.view("j"), (Some(2), vec![]));
        recent.filed(1); // a mark never moves back
        assert_eq!(recent.view("k"), (Some(2), vec![3]));
        recent.filed(3);
        assert_eq!(recent.to_file(), None);
        assert_eq!(recent.unfiled_events(), 0);
    }

    #[test]
    fn entries_are_filed_in_chunks_of_whole_events_with_marks_that_cover_them() {
        let entry = |key: &str, revision| IndexEntry {
            key: key.into(),
            revision,
        };
        let entries = vec![
            entry("a", 3),
            entry("b", 3),
            entry("a", 4),
            entry("a", 7),
            entry("b", 8),
        ];

        let chunking = Chunking {
            events: 2,
            entries_max: 3,
        };
        let chunks = chunks(entries, 9, chunking);

        let shape: Vec<(Vec<u64>, u64)> = chunks
            .iter()
            .map(|chunk| {
                (
                    chunk.entries.iter().map(|e| e.revision).collect(),
                    chunk.through,
                )
            })
            .collect();
        assert_eq!(
            shape,
            [(vec![3, 3, 4], 6), (vec![7, 8], 9)],
            "every revision up to each mark is in that chunk or before"
        );
        assert_eq!(
            super::chunks(Vec::new(), 5, chunking),
            [Chunk {
                entries: vec![],
                through: 5
            }]
        );
    }

    /// Keys read from an event's stored bytes are those of its record,
    /// whatever its actor's name and command id hold.
    #[test]
    fn keys_read_from_stored_bytes_are_those_of_the_record() {
        use agora_events::{
            Actor, CorrelationId, EventId, Hours, NewEvent, PioneerId, Role,
            TimeCreditsTransferred, TransferId,
        };
        let (from, to) = (PioneerId(Uuid::now_v7()), PioneerId(Uuid::now_v7()));
        for (actor, command_id) in [("gardener", "c-1"), ("un \"acteur\" é\n", "commande/é\\")] {
            let record = NewEvent {
                event_id: EventId(Uuid::now_v7()),
                event: TimeCreditsTransferred {
                    transfer_id: TransferId(Uuid::now_v7()),
                    payer: AccountId::Pioneer(from),
                    payee: AccountId::Pioneer(to),
                    hours: "1.50".parse::<Hours>().unwrap(),
                    memo: Some("un coup de main".into()),
                    payer_balance_after: "-1.50".parse().unwrap(),
                    payee_balance_after: "1.50".parse().unwrap(),
                }
                .into(),
                metadata: Metadata {
                    community: "demo".parse().unwrap(),
                    actor: Actor {
                        id: actor.into(),
                        role: Role::Pioneer,
                    },
                    command_id: command_id.into(),
                    command_digest: Hash::of(b"command"),
                    correlation_id: CorrelationId(Uuid::now_v7()),
                    recorded_at: "2026-11-30T10:00:00Z".parse().unwrap(),
                },
            }
            .link(Hash::GENESIS);
            let (data, metadata) = record.to_store_bytes();
            let (event, _) = record.decode().unwrap();

            let stored = stored_keys(&data, &metadata, &event).unwrap();

            assert_eq!(stored, keys_of(&record).unwrap());
            assert!(stored.contains(&command_key(actor, command_id)));
            assert!(stored.contains(&account_key(AccountId::Pioneer(to))));
        }
    }

    #[test]
    fn keys_of_each_kind_are_short_and_never_coincide() {
        let id = Uuid::now_v7();
        let keys = [
            entity_key(id),
            account_key(AccountId::Pioneer(agora_events::PioneerId(id))),
            account_key(AccountId::Project(agora_events::ProjectId(id))),
            command_key("a", &id.to_string()),
        ];
        let distinct: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
        assert!(keys.iter().all(|key| key.len() == 23), "{keys:?}");
        // Lists and the edition have keys of their own kinds and lengths.
        for named in [LISTINGS, COMPLETED_EXCHANGES, MEETINGS, EDITION] {
            assert!(keys.iter().all(|key| key[..1] != named[..1]), "{named}");
            assert_ne!(named.len(), 23);
        }
        assert_ne!(entity_key(id), entity_key(Uuid::now_v7()));
    }

    #[test]
    fn keys_sort_as_the_ids_they_name() {
        let mut ids: Vec<Uuid> = (0..2_000)
            .map(|n| match n % 2 {
                0 => Uuid::new_v4(),
                _ => Uuid::now_v7(),
            })
            .collect();
        ids.extend([0, 1, 63, 64, u128::MAX - 1, u128::MAX].map(Uuid::from_u128));
        let mut by_key = ids.clone();
        by_key.sort_by_key(|&id| entity_key(id));
        ids.sort();
        assert_eq!(by_key, ids);
        // Ids made one after the other are filed one after the other.
        let made: Vec<String> = (0..100).map(|_| entity_key(Uuid::now_v7())).collect();
        assert!(made.is_sorted());
        assert_eq!(entity_key(Uuid::nil()), format!("e{}", "-".repeat(22)));
    }

    #[test]
    fn command_keys_of_different_callers_never_coincide() {
        // Without the length, ("a:b", "c") and ("a", "b:c") would share a key.
        assert_ne!(command_key("a:b", "c"), command_key("a", "b:c"));
        assert_ne!(
            command_key("gardener", "k-1"),
            command_key("treasurer", "k-1")
        );
        // However long the caller's name and key, the index key fits.
        let long = command_key(&"x".repeat(10_000), &"k".repeat(128));
        assert!(long.len() <= crate::store::INDEX_KEY_BYTES_MAX);
    }
}
