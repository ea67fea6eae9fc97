//! Reading a community's history from the store into writer state: at
//! start-up for every community, and when a writer catches up after losing
//! a race. Every event's chain link is verified on the way in.
//!
//! Events after the stream's index mark (not yet filed in the store's
//! index, or a store made before there was one) have their index entries
//! kept on the way in, for the writer to file.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use agora_events::{
    CommunitySlug, Event, EventId, EventRecord, Hash, Metadata, StoredLinks, Timestamp,
    hashed_links,
};

use super::snapshot::Snapshot;
use super::writer::WriterState;
use super::{Committed, LedgerError, folding, index};
use agora_projections::Market;

use super::index::SharedRecent;
use crate::store::{EventStore, IndexEntry, Pages, READ_EVENTS_MAX, StoredEvent};

/// The prefix of every community stream: `community-<slug>`.
pub const COMMUNITY_STREAM_PREFIX: &str = "community-";

/// The recorded form of a stored event, refusing damaged bytes.
pub fn record_of(stored: &StoredEvent) -> Result<EventRecord, LedgerError> {
    EventRecord::from_store_bytes(
        EventId(stored.event_id),
        &stored.event_type,
        &stored.data,
        &stored.metadata,
    )
    .map_err(|error| {
        LedgerError::Corrupt(format!(
            "{} revision {}: {error}",
            stored.stream, stored.revision
        ))
    })
}

/// A stored event as recorded, with its place in the log.
pub fn committed_of(stored: &StoredEvent) -> Result<Committed, LedgerError> {
    Ok(Committed {
        position: stored.position,
        revision: stored.revision,
        record: Arc::new(record_of(stored)?),
    })
}

/// A stored event checked against the hash of the event before it, and
/// decoded: the one step every fold of the log takes (the ledger's
/// catch-up, the verifier).
pub struct Checked {
    pub event: Event,
    pub hash: Hash,
    pub recorded_at: Timestamp,
    /// The record and its metadata, when read the exact way: asked for, or
    /// the stored bytes were not in the form the ledger writes.
    pub record: Option<(EventRecord, Metadata)>,
}

/// The part of checking a stored event that needs nothing of the events
/// before it: its bytes hashed as they lie (see [`hashed_links`]), its data
/// decoded and, when asked for, the keys the index files it under. Empty
/// when the bytes do not hash as they lie or do not decode: the event is
/// then read the exact way. Any thread may do it, for many events at once
/// ([`precheck_page`]).
#[derive(Default)]
pub struct Prechecked {
    links: Option<(StoredLinks, Event)>,
    keys: Option<Vec<String>>,
}

impl Prechecked {
    /// The event's links, and the event.
    pub fn of(stored: &StoredEvent) -> Self {
        let event_id = EventId(stored.event_id);
        let links = hashed_links(event_id, &stored.event_type, &stored.data, &stored.metadata)
            .and_then(|links| {
                let event =
                    Event::decode_slice(&stored.event_type, links.version, &stored.data).ok()?;
                Some((links, event))
            });
        Self { links, keys: None }
    }

    /// [`of`](Self::of), and the keys the index files the event under: an
    /// event the index has not filed is then read without its record.
    pub fn with_keys(stored: &StoredEvent) -> Self {
        let Self {
            links: Some((links, event)),
            ..
        } = Self::of(stored)
        else {
            return Self::default();
        };
        let Some(keys) = index::stored_keys(&stored.data, &stored.metadata, &event) else {
            return Self::default();
        };
        Self {
            links: Some((links, event)),
            keys: Some(keys),
        }
    }
}

/// Pages smaller than this are prechecked on the calling thread alone.
const PRECHECK_SPLIT_EVENTS: usize = 256;
/// Threads a page is prechecked on, at most.
const PRECHECK_THREADS_MAX: usize = 4;

/// Prechecks the events of a page, with their index keys for those that
/// `with_keys` picks, spread over the machine's cores: the calling thread
/// takes one share.
pub fn precheck_page(
    page: &[StoredEvent],
    with_keys: impl Fn(&StoredEvent) -> bool + Sync,
) -> Vec<Prechecked> {
    let precheck = |stored: &StoredEvent| {
        if with_keys(stored) {
            Prechecked::with_keys(stored)
        } else {
            Prechecked::of(stored)
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(PRECHECK_THREADS_MAX);
    if threads < 2 || page.len() < PRECHECK_SPLIT_EVENTS {
        return page.iter().map(precheck).collect();
    }
    let share = page.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut shares = page.chunks(share);
        let mine = shares.next().unwrap_or_default();
        let others: Vec<_> = shares
            .map(|events| scope.spawn(|| events.iter().map(precheck).collect::<Vec<_>>()))
            .collect();
        let mut prechecked = Vec::with_capacity(page.len());
        prechecked.extend(mine.iter().map(precheck));
        for other in others {
            // A precheck cannot panic short of a bug; then, read the exact
            // way, which names what it finds.
            match other.join() {
                Ok(share) => prechecked.extend(share),
                Err(_) => prechecked.resize_with(prechecked.len() + share, Prechecked::default),
            }
        }
        prechecked.truncate(page.len());
        prechecked
    })
}

/// Checks a stored event's link to `prev` and its hash, and decodes it:
/// from its bytes as they lie when its precheck found they hash as they
/// lie, else the exact way, which names what is wrong. With `want_record`,
/// always the exact way, for the record.
pub fn check_prechecked(
    stored: &StoredEvent,
    prechecked: Prechecked,
    prev: &Hash,
    want_record: bool,
) -> Result<Checked, String> {
    let event_id = EventId(stored.event_id);
    if !want_record
        && let Some((links, event)) = prechecked.links
        && links.prev_hash == *prev
    {
        return Ok(Checked {
            event,
            hash: links.hash,
            recorded_at: links.recorded_at,
            record: None,
        });
    }
    let record =
        EventRecord::from_store_bytes(event_id, &stored.event_type, &stored.data, &stored.metadata)
            .map_err(|error| error.to_string())?;
    record
        .verify_link(prev)
        .map_err(|error| error.to_string())?;
    let (event, metadata) = record.decode().map_err(|error| error.to_string())?;
    Ok(Checked {
        event,
        hash: record.hash,
        recorded_at: metadata.recorded_at,
        record: Some((record, metadata)),
    })
}

/// Verifies and applies one stored event of the state's stream. The index
/// keys of the events the store's index has not filed yet are kept until
/// it does: as prechecked, or from the record read the exact way.
pub fn absorb(
    state: &mut WriterState,
    stored: &StoredEvent,
    mut prechecked: Prechecked,
) -> Result<(), LedgerError> {
    let expected_revision = state.revision.map_or(0, |revision| revision + 1);
    if stored.revision != expected_revision {
        return Err(LedgerError::Corrupt(format!(
            "{} jumps from revision {:?} to {}",
            stored.stream, state.revision, stored.revision
        )));
    }
    let filed = state.has_filed(stored.revision);
    let keys = prechecked.keys.take();
    let want_record = !filed && keys.is_none();
    let checked = check_prechecked(stored, prechecked, &state.head, want_record)
        .map_err(|error| corrupt(stored, error))?;
    if !filed {
        match (&checked.record, keys) {
            (Some((record, metadata)), _) => {
                state.remember(stored.revision, record, &checked.event, metadata);
            }
            (None, Some(keys)) => state.remember_keys(stored.revision, keys),
            (None, None) => unreachable!("read the exact way unless its keys were prechecked"),
        }
    }
    state.apply(
        stored.revision,
        checked.hash,
        &checked.event,
        EventId(stored.event_id),
        checked.recorded_at,
    );
    Ok(())
}

fn corrupt(stored: &StoredEvent, error: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(format!(
        "{} revision {}: {error}",
        stored.stream, stored.revision
    ))
}

/// Every community of the log, verified and folded: from its latest
/// snapshot when the log agrees with it, else from its first event. With
/// `tolerate_breaks` (read-only inspection), snapshots are not used and a
/// community whose chain breaks keeps the state before the break instead of
/// failing the load.
/// The community whose ledger `stream` is, if it is one.
pub fn community_of(stream: &str) -> Option<CommunitySlug> {
    stream.strip_prefix(COMMUNITY_STREAM_PREFIX)?.parse().ok()
}

pub async fn load_all(
    store: &dyn EventStore,
    tolerate_breaks: bool,
) -> Result<HashMap<CommunitySlug, WriterState>, LedgerError> {
    let mut communities = HashMap::new();
    // Marks first: a stream marked has events listed by then, so a marked
    // stream missing from the list lost them (its mark check says so).
    let marked = match tolerate_breaks {
        true => Vec::new(),
        false => store.marked_streams().await?,
    };
    let mut streams: BTreeSet<String> = store.streams().await?.into_iter().collect();
    streams.extend(marked);
    for stream in streams {
        let Some(slug) = stream.strip_prefix(COMMUNITY_STREAM_PREFIX) else {
            continue; // not a community's ledger
        };
        let slug: CommunitySlug = slug.parse().map_err(|_| {
            LedgerError::Corrupt(format!("stream {stream} names no valid community"))
        })?;
        let mark = index_mark_of_this_edition(store, &stream, !tolerate_breaks).await?;
        let mut state = WriterState::filed_through(mark);
        state.writes_beside_the_log = !tolerate_breaks;
        let mut verified = None;
        if !tolerate_breaks {
            verified = check_verified_mark(store, &stream).await?;
            if let Some(snapshot) = restore(store, &stream).await? {
                check_since_verified(store, &stream, verified, snapshot.revision).await?;
                remember_before(store, &stream, &state, snapshot.revision).await?;
                state.restore(snapshot);
            }
        }
        let from_snapshot = state.snapshot_revision;
        let caught_up = catch_up(store, &stream, &mut state).await;
        if caught_up.is_ok() {
            let replayed = state.revision.map_or(0, |last| last + 1)
                - from_snapshot.map_or(0, |revision| revision + 1);
            tracing::info!(
                community = %slug,
                revision = ?state.revision,
                snapshot = ?from_snapshot,
                verified_through = ?verified.map(|(revision, _)| revision),
                index_filed_through = ?mark,
                replayed,
                "loaded"
            );
        }
        match caught_up {
            Ok(()) => {}
            Err(error @ LedgerError::Corrupt(_)) if tolerate_breaks => {
                tracing::warn!(community = %slug, %error, "the chain breaks here; serving what comes before");
            }
            Err(error) => return Err(error),
        }
        if let Some(revision) = state.revision {
            // Inspecting a broken log: what the index holds past the break
            // is not shown either.
            state
                .recent
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .hide_after(revision);
            communities.insert(slug, state);
        }
    }
    Ok(communities)
}

/// The stream's index mark, once its index holds this edition's keys
/// ([`index::EDITION`]): an index an earlier edition filed is first filed
/// again, through its mark, from the log; or, when the service may not
/// write (`writes` false), not used at all (`None`: every entry is then
/// kept in memory).
async fn index_mark_of_this_edition(
    store: &dyn EventStore,
    stream: &str,
    writes: bool,
) -> Result<Option<u64>, LedgerError> {
    let Some(mark) = store.index_mark(stream).await? else {
        return Ok(None);
    };
    let edition = store.read_index(stream, index::EDITION, mark, 0, 1).await?;
    if edition.total > 0 {
        return Ok(Some(mark));
    }
    if !writes {
        return Ok(None);
    }
    tracing::info!(%stream, mark, "the index was filed by an earlier edition; filing it again");
    file_again(store, stream, mark).await?;
    Ok(Some(mark))
}

/// Files every key of this edition for the stream's events through
/// `through`, a page of the log at a time (entries already filed are
/// kept), and the edition's own entry last: a stop half-way leaves an index
/// that is filed again at the next start-up.
async fn file_again(store: &dyn EventStore, stream: &str, through: u64) -> Result<(), LedgerError> {
    let mut pages = Pages::of_stream(store, stream, 0);
    loop {
        let page = pages.next_page().await?;
        let keyed = keys_through(&page, through)?;
        let Some(&(last, _)) = keyed.last() else {
            break;
        };
        let entries = keyed
            .into_iter()
            .flat_map(|(revision, keys)| {
                keys.into_iter()
                    .filter(|key| key != index::EDITION)
                    .map(move |key| IndexEntry { key, revision })
            })
            .collect();
        for chunk in index::chunks(entries, last, index::Chunking::BACKLOG) {
            store
                .file_index(stream, chunk.entries, chunk.through)
                .await?;
        }
        if last >= through {
            break;
        }
    }
    let edition = IndexEntry {
        key: index::EDITION.to_owned(),
        revision: 0,
    };
    store.file_index(stream, vec![edition], through).await?;
    Ok(())
}

/// The community's latest snapshot, if there is one this build can read
/// and the log agrees with it: the event at its revision hashes to its head.
async fn restore(store: &dyn EventStore, stream: &str) -> Result<Option<Snapshot>, LedgerError> {
    let Some((revision, bytes)) = store.load_snapshot(stream).await? else {
        return Ok(None);
    };
    let snapshot = match Snapshot::decode(&bytes) {
        Ok(snapshot) if snapshot.revision == revision => snapshot,
        Ok(_) => {
            tracing::warn!(%stream, "a snapshot filed under another revision; rebuilding from the log");
            return Ok(None);
        }
        Err(reason) => {
            // An earlier format after an upgrade, or damage: rebuilt either way.
            tracing::warn!(%stream, %reason, "the snapshot is not used; rebuilding from the log");
            return Ok(None);
        }
    };
    let at = store.read_stream(stream, revision, 1).await?;
    let agrees = match at.first() {
        Some(stored) if stored.revision == revision => record_of(stored)?.hash == snapshot.head,
        _ => false,
    };
    if !agrees {
        tracing::warn!(%stream, revision, "the snapshot does not match the log; rebuilding from the log");
        return Ok(None);
    }
    Ok(Some(snapshot))
}

/// The stream's verified mark, once the log still holds, at the mark's
/// revision, an event that hashes to what the last full verification
/// found there: a log that lost events the mark covered, or whose marked
/// event changed, refuses the start, snapshot or not (the events after the
/// mark are then checked on the way in, or before serving).
async fn check_verified_mark(
    store: &dyn EventStore,
    stream: &str,
) -> Result<Option<(u64, Hash)>, LedgerError> {
    let Some((revision, verified)) = store.load_verified_mark(stream).await? else {
        return Ok(None);
    };
    let at = store.read_stream(stream, revision, 1).await?;
    match at.first().filter(|stored| stored.revision == revision) {
        None => Err(LedgerError::Corrupt(format!(
            "{stream} revision {revision}: the log has no event there, yet its last full \
             verification covered every event up to it (hash {verified}): events were lost"
        ))),
        Some(stored) if hash_of(stored, None)? != verified => Err(LedgerError::Corrupt(format!(
            "{stream} revision {revision}: the event no longer hashes to what its last \
             verification found ({verified})"
        ))),
        Some(_) => Ok(Some((revision, verified))),
    }
}

/// Checks, before serving, the links and hashes of the events between the
/// stream's verified mark (checked already) and `through`, a snapshot's
/// revision: the snapshot vouches for the state those events fold to, not
/// for their bytes. Without a mark (a store never fully verified), the
/// whole chain up to the snapshot is checked. A break refuses the start.
async fn check_since_verified(
    store: &dyn EventStore,
    stream: &str,
    verified: Option<(u64, Hash)>,
    through: u64,
) -> Result<(), LedgerError> {
    let (from, mut head) = match verified {
        Some((revision, _)) if revision >= through => return Ok(()),
        Some((revision, verified)) => (revision + 1, verified),
        None => (0, agora_events::Hash::GENESIS),
    };
    let mut pages = Pages::of_stream(store, stream, from);
    loop {
        let page = pages.next_page().await?;
        if page.is_empty() {
            return Ok(());
        }
        for stored in &page {
            if stored.revision > through {
                return Ok(());
            }
            head = hash_of(stored, Some(head))?;
        }
    }
}

/// The hash a stored event's bytes hash to, checking its link to `prev`
/// when given: from the bytes as they lie when they can be, else the exact
/// way, which names what is wrong.
fn hash_of(
    stored: &StoredEvent,
    prev: Option<agora_events::Hash>,
) -> Result<agora_events::Hash, LedgerError> {
    let event_id = EventId(stored.event_id);
    if let Some(links) = hashed_links(event_id, &stored.event_type, &stored.data, &stored.metadata)
        && prev.is_none_or(|prev| prev == links.prev_hash)
    {
        return Ok(links.hash);
    }
    let record = record_of(stored)?;
    match prev {
        Some(prev) => record
            .verify_link(&prev)
            .map_err(|error| corrupt(stored, error))?,
        None => {
            let computed = record
                .computed_hash()
                .map_err(|error| corrupt(stored, error))?;
            if computed != record.hash {
                return Err(corrupt(
                    stored,
                    "its content does not hash to its recorded hash",
                ));
            }
        }
    }
    Ok(record.hash)
}

/// Keeps the index entries of the events a snapshot covers but the store's
/// index has not filed yet.
async fn remember_before(
    store: &dyn EventStore,
    stream: &str,
    state: &WriterState,
    through: u64,
) -> Result<(), LedgerError> {
    let from = state
        .recent
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .filed_through()
        .map_or(0, |mark| mark + 1);
    let mut pages = Pages::of_stream(store, stream, from);
    loop {
        let page = pages.next_page().await?;
        let keyed = keys_through(&page, through)?;
        if keyed.is_empty() {
            return Ok(());
        }
        {
            let mut recent = state.recent.write().unwrap_or_else(|p| p.into_inner());
            for (revision, keys) in keyed {
                recent.add(revision, keys);
            }
        }
        if state.writes_beside_the_log {
            file_backlog(store, stream, &state.recent, state.backlog).await?;
        }
    }
}

/// The index keys of a page's events through revision `through`, with
/// their revisions: read from the stored bytes over the machine's cores
/// (as catch-up does), or, for an event whose bytes do not hash as they
/// lie, from its record read the exact way.
fn keys_through(
    page: &[StoredEvent],
    through: u64,
) -> Result<Vec<(u64, Vec<String>)>, LedgerError> {
    let covered = &page[..page.partition_point(|stored| stored.revision <= through)];
    precheck_page(covered, |_| true)
        .into_iter()
        .zip(covered)
        .map(|(prechecked, stored)| {
            let keys = match prechecked.keys {
                Some(keys) => keys,
                None => {
                    index::keys_of(&record_of(stored)?).map_err(|error| corrupt(stored, error))?
                }
            };
            Ok((stored.revision, keys))
        })
        .collect()
}

/// Events not yet filed in the index (a store made before there was one)
/// are filed as they are loaded, a batch at a time, rather than all kept in
/// memory until the writer starts; nothing else is writing yet, so in large
/// chunks.
async fn file_backlog(
    store: &dyn EventStore,
    stream: &str,
    recent: &SharedRecent,
    chunking: index::Chunking,
) -> Result<(), LedgerError> {
    let unfiled = recent
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .unfiled_events();
    if unfiled >= chunking.events {
        index::file_recent(store, stream, recent, chunking).await?;
    }
    Ok(())
}

/// The events of `stream` from `from` on, verified against `state`, which
/// they bring up to date. On an error, `state` holds every event before the
/// one that failed. The backlog of entries the index has not filed is
/// filed between pages (see [`fold_pages`](super::fold_pages)). A caller
/// that drops the future before it ends may be left with an empty state
/// (none does: the writer and the start-up see it through).
pub async fn catch_up(
    store: &dyn EventStore,
    stream: &str,
    state: &mut WriterState,
) -> Result<(), LedgerError> {
    let from = state.revision.map_or(0, |revision| revision + 1);
    let pages = Pages::of_stream(store, stream, from);
    let recent = Arc::clone(&state.recent);
    let (files_backlog, backlog) = (state.writes_beside_the_log, state.backlog);
    let between_pages = || async {
        if files_backlog {
            file_backlog(store, stream, &recent, backlog).await?;
        }
        Ok(())
    };
    // Events not filed yet are prechecked with their index keys. The mark
    // moves only over events absorbed already: an event it covers when its
    // page is prechecked is still covered when it is absorbed.
    let not_filed = |stored: &StoredEvent| {
        !recent
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .has_filed(stored.revision)
    };
    let taken = std::mem::replace(state, WriterState::empty());
    let (folded, absorbed) =
        folding::fold_pages(pages, taken, not_filed, absorb, between_pages).await;
    *state = folded;
    absorbed?;
    // What was absorbed after the last filing.
    if files_backlog {
        file_backlog(store, stream, &state.recent, state.backlog).await?;
    }
    Ok(())
}

/// The events of `stream` filed under index key `key` up to revision
/// `through`, oldest first: `skip` left out, at most `limit`, and how many
/// there are in all. Those the store's index has come first, then the
/// recent ones it has not filed yet.
pub async fn read_filed(
    store: &dyn EventStore,
    recent: &SharedRecent,
    stream: &str,
    key: &str,
    through: u64,
    skip: u64,
    limit: usize,
) -> Result<(u64, Vec<Committed>), LedgerError> {
    // The recent entries first: the store files entries before they leave
    // `recent`, so nothing can fall between the two reads.
    let (mark, mut recent) = recent.read().unwrap_or_else(|p| p.into_inner()).view(key);
    recent.retain(|&revision| revision <= through);
    let limit = limit.min(READ_EVENTS_MAX);
    let (filed, mut events) = match mark {
        Some(mark) => {
            let page = store
                .read_index(stream, key, mark.min(through), skip, limit)
                .await?;
            let events = page
                .events
                .iter()
                .map(committed_of)
                .collect::<Result<Vec<_>, _>>()?;
            (page.total, events)
        }
        None => (0, Vec::new()),
    };
    let first_recent = usize::try_from(skip.saturating_sub(filed)).unwrap_or(usize::MAX);
    let wanted = limit.saturating_sub(events.len());
    let revisions: Vec<u64> = recent
        .iter()
        .copied()
        .skip(first_recent)
        .take(wanted)
        .collect();
    events.extend(read_revisions(store, stream, &revisions).await?);
    Ok((filed + recent.len() as u64, events))
}

/// The exchanges and listings `ids` as the log has them up to revision
/// `through`, each folded from its history in the store's index: what the
/// decision state let go of once they were over.
pub async fn past_items(
    store: &dyn EventStore,
    recent: &SharedRecent,
    stream: &str,
    ids: &[uuid::Uuid],
    through: u64,
) -> Result<Market, LedgerError> {
    let mut past = Market::default();
    for &id in ids {
        let key = index::entity_key(id);
        for committed in read_all_filed(store, recent, stream, &key, through).await? {
            let (event, metadata) = decoded(&committed)?;
            past.remember(&event, committed.record.event_id, metadata.recorded_at);
        }
    }
    Ok(past)
}

/// Every event of `stream` filed under `key` up to revision `through`,
/// oldest first, read a page at a time.
pub async fn read_all_filed(
    store: &dyn EventStore,
    recent: &SharedRecent,
    stream: &str,
    key: &str,
    through: u64,
) -> Result<Vec<Committed>, LedgerError> {
    let mut events = Vec::new();
    loop {
        let skip = events.len() as u64;
        let (total, page) =
            read_filed(store, recent, stream, key, through, skip, READ_EVENTS_MAX).await?;
        let last = page.is_empty();
        events.extend(page);
        if last || events.len() as u64 >= total {
            return Ok(events);
        }
    }
}

/// A committed event's data and metadata, decoded.
pub fn decoded(committed: &Committed) -> Result<(Event, Metadata), LedgerError> {
    committed
        .record
        .decode()
        .map_err(|error| LedgerError::Corrupt(error.to_string()))
}

/// The committed events of `stream` at `revisions` (in increasing order),
/// each run of consecutive revisions read at once.
pub async fn read_revisions(
    store: &dyn EventStore,
    stream: &str,
    revisions: &[u64],
) -> Result<Vec<Committed>, LedgerError> {
    let mut events = Vec::with_capacity(revisions.len());
    let mut rest = revisions;
    while let Some(&first) = rest.first() {
        let run = rest
            .iter()
            .enumerate()
            .take_while(|&(offset, &revision)| revision == first + offset as u64)
            .count();
        events.extend(read_committed(store, stream, first, run).await?);
        rest = &rest[run..];
    }
    Ok(events)
}

/// The committed events of revisions `first..first + count` of `stream`.
pub async fn read_committed(
    store: &dyn EventStore,
    stream: &str,
    first: u64,
    count: usize,
) -> Result<Vec<Committed>, LedgerError> {
    let stored = store.read_stream(stream, first, count).await?;
    stored.iter().map(committed_of).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ExpectedRevision, MemoryStore, StoreError};

    const STREAM: &str = "community-demo";

    /// A store holding `events` chained events, the one at `broken` linked
    /// to the genesis.
    async fn log(events: usize, broken: usize) -> MemoryStore {
        let store = MemoryStore::new();
        let mut expected = ExpectedRevision::NoStream;
        for page in crate::audit::tests::chain(events, broken).chunks(1_000) {
            let outcome = store.append(STREAM, expected, page.to_vec()).await.unwrap();
            expected = ExpectedRevision::Exact(outcome.last_revision.unwrap());
        }
        store
    }

    /// A state that files its backlog a page at a time, as a store
    /// loaded with a log of many pages does every many pages.
    fn filing_each_page() -> WriterState {
        WriterState {
            backlog: index::Chunking::BACKLOG.of_events(READ_EVENTS_MAX as u64),
            ..WriterState::empty()
        }
    }

    /// Pages are absorbed on a thread of their own while the next ones are
    /// read and prechecked, and the backlog is filed meanwhile: the state
    /// still stops just before a break, and nothing past what was absorbed
    /// is filed.
    #[tokio::test]
    async fn a_catch_up_stops_just_before_a_break_pages_into_the_log() {
        let broken = 2 * READ_EVENTS_MAX + 7;
        let store = log(2 * READ_EVENTS_MAX + 300, broken).await;
        let mut state = filing_each_page();

        let caught_up = catch_up(&store, STREAM, &mut state).await;

        assert!(
            matches!(&caught_up, Err(LedgerError::Corrupt(reason))
                if reason.contains(&format!("revision {broken}"))),
            "{caught_up:?}"
        );
        assert_eq!(state.revision, Some(broken as u64 - 1));
        let mark = store.index_mark(STREAM).await.unwrap();
        assert!(mark.is_none_or(|mark| mark < broken as u64), "{mark:?}");
    }

    /// A filing of the backlog that fails between pages stops the
    /// catch-up, which reports the filing's error; what was filed before
    /// stays filed, and the state holds a whole prefix of the log.
    #[tokio::test]
    async fn a_filing_that_fails_during_a_catch_up_stops_it_and_is_reported() {
        let events = 6 * READ_EVENTS_MAX + 300;
        let window = READ_EVENTS_MAX as u64;
        for filings in [0, 1, 3] {
            let store = log(events, usize::MAX).await;
            store.refuse_filings_after(filings);
            let mut state = filing_each_page();

            let caught_up = catch_up(&store, STREAM, &mut state).await;

            assert!(
                matches!(&caught_up, Err(LedgerError::Store(StoreError::Unavailable(reason)))
                    if reason.contains("refuses filings")),
                "after {filings} filings: {caught_up:?}"
            );
            // Each filing took one chunk, of a window at most.
            let mark = store.index_mark(STREAM).await.unwrap();
            assert_eq!(mark.is_some(), filings > 0, "after {filings} filings");
            let filed = mark.map_or(0, |mark| mark + 1);
            assert!(
                filed <= filings as u64 * window,
                "{filed} after {filings} filings"
            );
            if let Some(revision) = state.revision {
                let at = store.read_stream(STREAM, revision, 1).await.unwrap();
                assert_eq!(state.head, record_of(&at[0]).unwrap().hash);
            }
        }
    }

    /// A verified mark past the log's end (events the last verification
    /// covered are gone), or one whose event no longer hashes to what was
    /// verified, refuses the start even without a snapshot; a mark the log
    /// agrees with does not.
    #[tokio::test]
    async fn a_log_that_lost_or_changed_what_its_mark_vouches_for_refuses_the_start() {
        let events = 40;
        let store = log(events, usize::MAX).await;
        let stored = store.read_stream(STREAM, 0, events).await.unwrap();
        let hash = |revision: usize| record_of(&stored[revision]).unwrap().hash;

        for (revision, head, refusal) in [
            (events as u64 + 5, hash(events - 1), "events were lost"),
            (20, hash(19), "no longer hashes"),
            (20, hash(20), ""),
        ] {
            store
                .save_verified_mark(STREAM, revision, head)
                .await
                .unwrap();

            let loaded = load_all(&store, false).await;

            match loaded {
                Err(LedgerError::Corrupt(reason)) if !refusal.is_empty() => assert!(
                    reason.contains(refusal) && reason.contains(&format!("revision {revision}")),
                    "{reason}"
                ),
                Ok(communities) if refusal.is_empty() => {
                    assert_eq!(communities.len(), 1);
                }
                other => panic!("mark at {revision}: {:?}", other.map(|c| c.len())),
            }
        }
    }

    /// A community whose events, stream and snapshot all went, its mark
    /// left, is missed at the start like a log that lost its last events;
    /// an instance started to inspect the store serves what is left.
    #[tokio::test]
    async fn a_community_gone_whole_but_for_its_mark_refuses_the_start() {
        let store = log(3, usize::MAX).await;
        let gone = "community-gone";
        store
            .save_verified_mark(gone, 7, Hash::of(b"the eighth event"))
            .await
            .unwrap();
        store
            .save_verified_mark("not-a-community", 0, Hash::GENESIS)
            .await
            .unwrap();

        let refused = load_all(&store, false).await;
        let inspected = load_all(&store, true).await.unwrap();

        match refused {
            Err(LedgerError::Corrupt(reason)) => assert!(
                reason.contains(gone) && reason.contains("events were lost"),
                "{reason}"
            ),
            other => panic!("{:?}", other.map(|c| c.len())),
        }
        assert_eq!(inspected.len(), 1, "the community still there is served");
    }

    #[tokio::test]
    async fn a_page_s_keys_are_its_records_keys_even_for_bytes_that_do_not_hash_as_they_lie() {
        let events = 2 * PRECHECK_SPLIT_EVENTS + 10;
        let store = log(events, usize::MAX).await;
        let mut page = store.read_stream(STREAM, 0, events).await.unwrap();
        // Spaces the ledger never writes: the bytes no longer hash as they
        // lie, and the event is read the exact way.
        let odd = PRECHECK_SPLIT_EVENTS + 3;
        page[odd].data.splice(1..1, *b" ");
        assert!(Prechecked::with_keys(&page[odd]).keys.is_none());
        let through = events as u64 - 5;

        let keyed = keys_through(&page, through).unwrap();

        let expected: Vec<(u64, Vec<String>)> = page
            .iter()
            .take_while(|stored| stored.revision <= through)
            .map(|stored| {
                let keys = index::keys_of(&record_of(stored).unwrap()).unwrap();
                (stored.revision, keys)
            })
            .collect();
        assert_eq!(keyed, expected);
    }

    #[tokio::test]
    async fn a_long_catch_up_absorbs_every_page_and_files_its_backlog() {
        let events = 2 * READ_EVENTS_MAX + 300;
        let store = log(events, usize::MAX).await;
        let mut state = filing_each_page();

        catch_up(&store, STREAM, &mut state).await.unwrap();

        assert_eq!(state.revision, Some(events as u64 - 1));
        let last = store
            .read_stream(STREAM, events as u64 - 1, 1)
            .await
            .unwrap();
        let head: Hash = record_of(&last[0]).unwrap().hash;
        assert_eq!(state.head, head);
        let mark = store.index_mark(STREAM).await.unwrap();
        // Less than a chunk waits, for the writer to file.
        let waits = events as u64 - mark.map_or(0, |mark| mark + 1);
        assert!(waits < READ_EVENTS_MAX as u64, "{mark:?}");
        // What was filed, and what waits to be, is what the events are
        // filed under, read from their records.
        let recent = state.recent.read().unwrap().clone();
        for revision in [0, READ_EVENTS_MAX as u64 + 5, events as u64 - 1] {
            let stored = store.read_stream(STREAM, revision, 1).await.unwrap();
            let keys = index::keys_of(&record_of(&stored[0]).unwrap()).unwrap();
            for key in keys {
                let through = store.read_index(STREAM, &key, revision, 0, 0).await;
                let total = through.unwrap().total;
                let last = store
                    .read_index(STREAM, &key, revision, total.saturating_sub(1), 1)
                    .await
                    .unwrap();
                let filed = last.events.first().map(|stored| stored.revision) == Some(revision);
                let waiting = recent.view(&key).1.contains(&revision);
                assert!(filed || waiting, "{key} at {revision}");
            }
        }
    }
}
