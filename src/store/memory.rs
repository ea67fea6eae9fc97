//! The in-memory adapter: the same contract as the others, nothing durable.
//! For tests that need a store but not a disk.

use agora_events::Hash;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use uuid::Uuid;

use super::subscription::{PageReader, cursor_after, first_position_after, follow};
use super::{
    APPEND_BYTES_MAX, AppendOutcome, BoxFuture, EventStore, ExpectedRevision, IndexEntry,
    IndexPage, KeyStore, LogCursor, ProposedEvent, READ_EVENTS_MAX, StoreError, StoredEvent,
    StoredKey, StoredSnapshot, Subscription, check_append_size, check_index_entries,
};

struct Log {
    events: Vec<StoredEvent>,
    /// Each stream's positions, by revision.
    streams: HashMap<String, Vec<usize>>,
    event_ids: HashSet<Uuid>,
    /// (stream, key) → revisions filed under it.
    index: HashMap<(String, String), BTreeSet<u64>>,
    /// Each stream's index mark.
    index_marks: HashMap<String, u64>,
    /// Each stream's latest snapshot.
    snapshots: HashMap<String, (u64, Vec<u8>)>,
    verified_marks: HashMap<String, (u64, Hash)>,
    keys: HashMap<Uuid, Vec<u8>>,
    /// Told the next position after each append, under the same lock so
    /// that it only ever moves forward; `None` once shut down.
    next_position: Option<watch::Sender<u64>>,
}

/// Events kept in a vector behind a mutex.
pub struct MemoryStore {
    log: Arc<Mutex<Log>>,
    next_position: watch::Receiver<u64>,
    append_bytes_max: usize,
    /// Filings the index still takes before it refuses every other.
    filings_left: AtomicUsize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        let (sender, receiver) = watch::channel(0);
        let log = Log {
            events: Vec::new(),
            streams: HashMap::new(),
            event_ids: HashSet::new(),
            index: HashMap::new(),
            index_marks: HashMap::new(),
            snapshots: HashMap::new(),
            verified_marks: HashMap::new(),
            keys: HashMap::new(),
            next_position: Some(sender),
        };
        Self {
            log: Arc::new(Mutex::new(log)),
            next_position: receiver,
            append_bytes_max: APPEND_BYTES_MAX,
            filings_left: AtomicUsize::new(usize::MAX),
        }
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that takes at most `bytes` of data and metadata per append,
    /// as a KurrentDB server does (1 MiB by default): for tests of what
    /// callers do with a smaller limit.
    pub fn with_append_bytes_max(bytes: usize) -> Self {
        Self {
            append_bytes_max: bytes,
            ..Self::default()
        }
    }

    /// Makes the index take `filings` more filings and refuse every
    /// other, as a full disk would: for tests of what callers do then.
    pub fn refuse_filings_after(&self, filings: usize) {
        self.filings_left.store(filings, Ordering::SeqCst);
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        lock(&self.log)
    }

    fn append_now(
        &self,
        stream: &str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        check_append_size(&events, self.append_bytes_max)?;
        let mut log = self.log();
        if log.next_position.is_none() {
            return Err(StoreError::Unavailable("the store is shut down".into()));
        }
        let revisions = log.streams.get(stream).map_or(0, Vec::len) as u64;
        let actual = revisions.checked_sub(1);
        if !expected.is_met_by(actual) {
            return Err(StoreError::WrongExpectedRevision {
                stream: stream.to_owned(),
                expected,
                actual,
            });
        }
        let mut seen = HashSet::new();
        if let Some(event) = events
            .iter()
            .find(|event| log.event_ids.contains(&event.event_id) || !seen.insert(event.event_id))
        {
            return Err(StoreError::DuplicateEvent(event.event_id));
        }
        let mut positions = Vec::with_capacity(events.len());
        for (offset, event) in events.into_iter().enumerate() {
            let position = log.events.len();
            let revision = revisions + offset as u64;
            log.event_ids.insert(event.event_id);
            log.streams
                .entry(stream.to_owned())
                .or_default()
                .push(position);
            log.events.push(StoredEvent {
                stream: stream.to_owned(),
                revision,
                position: position as u64,
                cursor: cursor_after(position as u64),
                event_id: event.event_id,
                event_type: event.event_type,
                data: event.data,
                metadata: event.metadata,
            });
            positions.push(position as u64);
        }
        let next = log.events.len() as u64;
        if let Some(sender) = &log.next_position {
            sender.send_replace(next);
        }
        let last_revision = log
            .streams
            .get(stream)
            .map(|revisions| revisions.len() as u64 - 1);
        Ok(AppendOutcome {
            last_revision,
            positions,
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the log half-changed: every
    // check runs before the first push.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read_all_now(log: &Mutex<Log>, after: LogCursor, limit: usize) -> Vec<StoredEvent> {
    let log = lock(log);
    let from = usize::try_from(first_position_after(after))
        .unwrap_or(usize::MAX)
        .min(log.events.len());
    log.events[from..]
        .iter()
        .take(limit.min(READ_EVENTS_MAX))
        .cloned()
        .collect()
}

impl EventStore for MemoryStore {
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>> {
        Box::pin(async move { self.append_now(stream, expected, events) })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(async move {
            let log = self.log();
            let Some(positions) = log.streams.get(stream) else {
                return Ok(Vec::new());
            };
            let from = usize::try_from(from)
                .unwrap_or(usize::MAX)
                .min(positions.len());
            Ok(positions[from..]
                .iter()
                .take(limit.min(READ_EVENTS_MAX))
                .map(|&position| log.events[position].clone())
                .collect())
        })
    }

    fn read_all(
        &self,
        from: LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(async move { Ok(read_all_now(&self.log, from, limit)) })
    }

    fn read_index<'a>(
        &'a self,
        stream: &'a str,
        key: &'a str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<IndexPage, StoreError>> {
        Box::pin(async move {
            let log = self.log();
            let Some(revisions) = log.index.get(&(stream.to_owned(), key.to_owned())) else {
                return Ok(IndexPage::default());
            };
            let Some(positions) = log.streams.get(stream) else {
                return Ok(IndexPage::default());
            };
            // `file_index` refuses entries past a stream's end, so every
            // revision here has its event.
            let filed = revisions.range(..=through);
            Ok(IndexPage {
                total: filed.clone().count() as u64,
                events: filed
                    .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                    .take(limit.min(READ_EVENTS_MAX))
                    .filter_map(|&revision| positions.get(revision as usize))
                    .map(|&position| log.events[position].clone())
                    .collect(),
            })
        })
    }

    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        Box::pin(async move { Ok(self.log().index_marks.get(stream).copied()) })
    }

    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            check_index_entries(&entries, through)?;
            let refused = self
                .filings_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                    left.checked_sub(1)
                })
                .is_err();
            if refused {
                return Err(StoreError::Unavailable("the index refuses filings".into()));
            }
            let mut log = self.log();
            let events = log.streams.get(stream).map_or(0, Vec::len) as u64;
            if through >= events {
                return Err(StoreError::InvalidAppend(format!(
                    "index mark {through} is past the end of {stream}"
                )));
            }
            for entry in entries {
                log.index
                    .entry((stream.to_owned(), entry.key))
                    .or_default()
                    .insert(entry.revision);
            }
            let mark = log.index_marks.entry(stream.to_owned()).or_insert(through);
            *mark = (*mark).max(through);
            Ok(())
        })
    }

    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move { Ok(self.log().streams.keys().cloned().collect()) })
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut log = self.log();
            if log.next_position.is_none() {
                return Err(StoreError::Unavailable("the store is shut down".into()));
            }
            log.snapshots.insert(stream.to_owned(), (revision, data));
            Ok(())
        })
    }

    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Never shared: a save replaces whatever was saved before.
        self.save_snapshot(stream, revision, data)
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>> {
        Box::pin(async move { Ok(self.log().snapshots.get(stream).cloned()) })
    }

    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut log = self.log();
            if log.next_position.is_none() {
                return Err(StoreError::Unavailable("the store is shut down".into()));
            }
            log.verified_marks
                .insert(stream.to_owned(), (revision, head));
            Ok(())
        })
    }

    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, Hash)>, StoreError>> {
        Box::pin(async move { Ok(self.log().verified_marks.get(stream).copied()) })
    }

    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move { Ok(self.log().verified_marks.keys().cloned().collect()) })
    }

    fn end_cursor(&self) -> BoxFuture<'_, Result<LogCursor, StoreError>> {
        let end = LogCursor::from_store(*self.next_position.borrow(), 0);
        Box::pin(async move { Ok(end) })
    }

    fn subscribe_all(&self, from: LogCursor) -> Subscription {
        // Weak: a subscription must not keep a dropped store (and the head
        // sender inside it) alive, or it would wait forever.
        let log = Arc::downgrade(&self.log);
        let read_page: PageReader = Arc::new(move |from, limit| {
            let events = match log.upgrade() {
                Some(log) => Ok(read_all_now(&log, from, limit)),
                None => Err(StoreError::Unavailable("the store was dropped".into())),
            };
            Box::pin(async move { events })
        });
        follow(read_page, self.next_position.clone(), from)
    }

    fn append_bytes_max(&self) -> usize {
        self.append_bytes_max
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            match self.log().next_position {
                Some(_) => Ok(()),
                None => Err(StoreError::Unavailable("the store is shut down".into())),
            }
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.log().next_position = None;
        })
    }
}

impl KeyStore for MemoryStore {
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.log().keys.insert(id, key);
            Ok(())
        })
    }

    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.log().keys.remove(&id);
            Ok(())
        })
    }

    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>> {
        Box::pin(async move {
            let mut keys: Vec<_> = self
                .log()
                .keys
                .iter()
                .map(|(id, key)| (*id, key.clone()))
                .collect();
            keys.sort();
            Ok(keys)
        })
    }

    fn load_key(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move {
            let keys = self.load_keys().await?;
            Ok(keys
                .into_iter()
                .find(|(kept, _)| *kept == id)
                .map(|(_, key)| key))
        })
    }
}
