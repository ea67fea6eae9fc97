//! Reading a community's history from the store into writer state: at
//! start-up for every community, and when a writer catches up after losing
//! a race. Every event's chain link is verified on the way in.
//!
//! A store made before the store kept an index is indexed on the way too,
//! once, at the first start-up that finds it so.

use std::collections::HashMap;

use agora_events::{CommunitySlug, EventId, EventRecord};

use super::writer::WriterState;
use super::{Committed, LedgerError, index};
use crate::store::{EventStore, IndexEntry, READ_EVENTS_MAX, StoredEvent};

/// Index entries written together while indexing an older store.
const BACKFILL_ENTRIES_MAX: usize = 16_384;

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
        record: record_of(stored)?,
    })
}

/// Verifies and applies one stored event of the state's stream.
pub fn absorb(state: &mut WriterState, stored: &StoredEvent) -> Result<Committed, LedgerError> {
    let expected_revision = state.revision.map_or(0, |revision| revision + 1);
    if stored.revision != expected_revision {
        return Err(LedgerError::Corrupt(format!(
            "{} jumps from revision {:?} to {}",
            stored.stream, state.revision, stored.revision
        )));
    }
    let record = record_of(stored)?;
    record
        .verify_link(&state.head)
        .map_err(|error| LedgerError::Corrupt(error.to_string()))?;
    let (event, metadata) = record
        .decode()
        .map_err(|error| LedgerError::Corrupt(error.to_string()))?;
    let committed = Committed {
        position: stored.position,
        revision: stored.revision,
        record,
    };
    state.apply(&committed, &event, &metadata);
    Ok(committed)
}

/// Every community of the log, verified and folded. With `tolerate_breaks`
/// (read-only inspection), a community whose chain breaks keeps the state
/// before the break instead of failing the load.
pub async fn load_all(
    store: &dyn EventStore,
    tolerate_breaks: bool,
) -> Result<HashMap<CommunitySlug, WriterState>, LedgerError> {
    let mut communities: HashMap<CommunitySlug, WriterState> = HashMap::new();
    let mut broken: std::collections::HashSet<CommunitySlug> = Default::default();
    let mut backfill = Backfill::start(store, tolerate_breaks).await?;
    let mut from = 0;
    loop {
        let page = store.read_all(from, READ_EVENTS_MAX).await?;
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        for stored in &page {
            let Some(slug) = stored.stream.strip_prefix(COMMUNITY_STREAM_PREFIX) else {
                continue; // not a community's ledger
            };
            let slug: CommunitySlug = slug.parse().map_err(|_| {
                LedgerError::Corrupt(format!("stream {} names no valid community", stored.stream))
            })?;
            if broken.contains(&slug) {
                continue;
            }
            let state = communities
                .entry(slug.clone())
                .or_insert_with(WriterState::empty);
            match absorb(state, stored) {
                Ok(committed) => backfill.file(store, stored, &committed).await?,
                Err(error) if tolerate_breaks => {
                    tracing::warn!(community = %slug, %error, "the chain breaks here; serving what comes before");
                    broken.insert(slug);
                }
                Err(error) => return Err(error),
            }
        }
    }
    backfill.finish(store).await?;
    Ok(communities)
}

/// Files the events of an older store under their index keys while they
/// are loaded.
struct Backfill {
    /// Events at positions below this still need filing.
    before: u64,
    entries: Vec<IndexEntry>,
}

impl Backfill {
    async fn start(store: &dyn EventStore, read_only: bool) -> Result<Self, LedgerError> {
        let before = store.unindexed_before().await?;
        if before > 0 && read_only {
            tracing::warn!(
                "this store was made before events were indexed; histories and statements \
                 of its older events stay empty until it is started without --read-only"
            );
            return Ok(Self {
                before: 0,
                entries: Vec::new(),
            });
        }
        if before > 0 {
            tracing::info!(events = before, "indexing the events of an older store");
        }
        Ok(Self {
            before,
            entries: Vec::new(),
        })
    }

    async fn file(
        &mut self,
        store: &dyn EventStore,
        stored: &StoredEvent,
        committed: &Committed,
    ) -> Result<(), LedgerError> {
        if stored.position >= self.before {
            return Ok(());
        }
        let keys = index::keys_of(&committed.record)
            .map_err(|error| LedgerError::Corrupt(error.to_string()))?;
        self.entries.extend(keys.into_iter().map(|key| IndexEntry {
            stream: stored.stream.clone(),
            key,
            revision: stored.revision,
        }));
        if self.entries.len() >= BACKFILL_ENTRIES_MAX {
            store
                .backfill_index(std::mem::take(&mut self.entries), false)
                .await?;
        }
        Ok(())
    }

    async fn finish(self, store: &dyn EventStore) -> Result<(), LedgerError> {
        if self.before > 0 {
            store.backfill_index(self.entries, true).await?;
        }
        Ok(())
    }
}

/// The events of `stream` from `from` on, verified against `state`, which
/// they bring up to date.
pub async fn catch_up(
    store: &dyn EventStore,
    stream: &str,
    state: &mut WriterState,
) -> Result<(), LedgerError> {
    loop {
        let from = state.revision.map_or(0, |revision| revision + 1);
        let page = store.read_stream(stream, from, READ_EVENTS_MAX).await?;
        if page.is_empty() {
            return Ok(());
        }
        for stored in &page {
            absorb(state, stored)?;
        }
    }
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
