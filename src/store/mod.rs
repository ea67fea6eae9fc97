//! The event store port and its adapters.
//!
//! The port knows streams, revisions, positions, cursors and opaque bytes;
//! it knows nothing of the domain. One contract test suite (`tests/store_contract.rs`)
//! runs against every adapter.
//!
//! - A **stream** is an ordered sequence of events; its events have
//!   **revisions** 0, 1, 2, …
//! - The whole store is one ordered log across streams; each event has a
//!   **position** in it, increasing with commit order, and a **cursor**:
//!   the place just after it, where a reader of the whole log resumes.
//!   Cursors are opaque: readers never compute one from a position
//!   (KurrentDB's positions are pairs, and not contiguous).
//! - An append names the revision it expects the stream to be at; a mismatch
//!   is refused as [`StoreError::WrongExpectedRevision`] and writes nothing.
//! - A stream's events can be filed under **index keys** (opaque strings the
//!   caller chooses: an entity's id, an account, a command's idempotency
//!   key), so that its events about one thing are found without reading the
//!   stream. The caller files them after the fact, in bulk, each time with
//!   the stream's **index mark**: the revision through which everything is
//!   filed, kept in the same transaction as the entries.

mod kurrentdb;
mod memory;
mod postgres;
mod sqlite;
mod subscription;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use agora_events::Hash;
use uuid::Uuid;

pub use kurrentdb::{KurrentLocation, KurrentStore};
pub use memory::MemoryStore;
pub use postgres::PostgresStore;
pub use sqlite::{SqliteStore, backup};
pub use subscription::Subscription;

/// Most events one append may carry.
pub const APPEND_EVENTS_MAX: usize = 1_000;
/// Most bytes of data plus metadata in one event.
pub const EVENT_BYTES_MAX: usize = 1 << 20;
/// Most bytes of data plus metadata in one append.
pub const APPEND_BYTES_MAX: usize = 8 << 20;
/// Most events one read returns; larger limits are clamped to this.
pub const READ_EVENTS_MAX: usize = 4_096;

/// A stream's snapshot as the store keeps it: its revision and bytes.
pub type StoredSnapshot = (u64, Vec<u8>);

/// A secret kept beside the log: its id and bytes.
pub type StoredKey = (Uuid, Vec<u8>);

/// A future that can cross threads, for trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The state an append expects its stream to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedRevision {
    /// Append whatever the stream holds.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have this revision.
    Exact(u64),
}

impl ExpectedRevision {
    /// Whether a stream whose last revision is `actual` meets the expectation.
    pub fn is_met_by(self, actual: Option<u64>) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual.is_none(),
            Self::Exact(revision) => actual == Some(revision),
        }
    }
}

/// Most bytes of one index key.
pub const INDEX_KEY_BYTES_MAX: usize = 256;
/// Most entries filed at once.
pub const FILE_INDEX_ENTRIES_MAX: usize = 1 << 20;

/// An event to append: an id and type, and the bytes to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub data: Vec<u8>,
    pub metadata: Vec<u8>,
}

impl ProposedEvent {
    /// Bytes of data and metadata, which the limits count.
    pub fn bytes(&self) -> usize {
        self.data.len() + self.metadata.len()
    }
}

/// A place in the store's whole log: just after some event, or
/// [`LogCursor::START`], before the first. Where a reader of the log
/// resumes; only the store that gave it knows what it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogCursor(u64, u64);

impl LogCursor {
    /// Before every event.
    pub const START: Self = Self(0, 0);

    /// For adapters: a cursor made of the store's own two numbers.
    pub fn from_store(major: u64, minor: u64) -> Self {
        Self(major, minor)
    }

    /// For adapters: the two numbers the store put in the cursor.
    pub fn to_store(self) -> (u64, u64) {
        (self.0, self.1)
    }
}

/// An event as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub stream: String,
    pub revision: u64,
    /// Where the event lies in the whole log, for people and ordering.
    pub position: u64,
    /// The place just after the event, to read the log on from.
    pub cursor: LogCursor,
    pub event_id: Uuid,
    pub event_type: String,
    pub data: Vec<u8>,
    pub metadata: Vec<u8>,
}

/// One page of the events a stream files under one key, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexPage {
    /// How many events the stream files under the key, in all.
    pub total: u64,
    pub events: Vec<StoredEvent>,
}

/// One event of a stream filed under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub key: String,
    pub revision: u64,
}

/// What a successful append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's last revision after the append (`None`: still no stream).
    pub last_revision: Option<u64>,
    /// The position of each appended event, in order.
    pub positions: Vec<u64>,
}

/// What can go wrong with the store.
///
/// ### Handling
/// - `WrongExpectedRevision`: someone else appended first; read the stream
///   again, decide again, retry.
/// - `DuplicateEvent`: the event was already recorded; do not retry.
/// - `InvalidAppend`: the caller's bug (too many events, too large).
/// - `Unavailable`: the disk, the server or the writer failed; nothing of the
///   failed append is visible, and a retry may succeed.
/// - `Corrupt`: stored bytes are damaged; stop and inspect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("stream {stream} expected at {expected:?} but is at {actual:?}")]
    WrongExpectedRevision {
        stream: String,
        expected: ExpectedRevision,
        actual: Option<u64>,
    },
    #[error("event {0} is already recorded")]
    DuplicateEvent(Uuid),
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    #[error("event store corrupt: {0}")]
    Corrupt(String),
}

/// The event store port.
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` if it is at `expected`; all or nothing.
    /// Returns once the events are durable.
    ///
    /// Not cancel-safe: once queued, an append commits even if its future is
    /// dropped, and then nobody hears of it. Callers that must know (the
    /// ledger's writers) await it in a task nothing cancels.
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>>;

    /// Up to `limit` events of `stream` from revision `from`, in order.
    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>>;

    /// Up to `limit` events of the whole log after cursor `from`, in order.
    fn read_all(
        &self,
        from: LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>>;

    /// The events `stream` files under `key` among its revisions up to
    /// `through`, oldest first: the first `skip` left out, at most `limit`
    /// (clamped to [`READ_EVENTS_MAX`]), with how many there are in all. A
    /// key never used gives an empty page.
    fn read_index<'a>(
        &'a self,
        stream: &'a str,
        key: &'a str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<IndexPage, StoreError>>;

    /// For each key, up to `limit` events `stream` files under it among its
    /// revisions up to `through`, oldest first: many keys in one round trip
    /// where the adapter can.
    fn read_index_first<'a>(
        &'a self,
        stream: &'a str,
        keys: Vec<String>,
        through: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Vec<StoredEvent>>, StoreError>> {
        Box::pin(async move {
            let mut pages = Vec::with_capacity(keys.len());
            for key in &keys {
                let page = self.read_index(stream, key, through, 0, limit).await?;
                pages.push(page.events);
            }
            Ok(pages)
        })
    }

    /// The revision through which `stream`'s events are filed; `None`
    /// before anything is.
    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>>;

    /// Files `entries` of `stream` and moves its index mark to `through`,
    /// all or nothing, durably. Entries already filed are kept; a mark
    /// never moves back.
    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Every stream that has events, in no particular order.
    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;

    /// Keeps `data`, a snapshot of what `stream` folds to through
    /// `revision`, durably, in place of the stream's earlier snapshot. A
    /// store that instances share keeps a later snapshot another instance
    /// saved rather than this one.
    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Keeps `data` in place of the stream's snapshot whatever the revision
    /// of the one it replaces: the state served was found not to be what
    /// the log folds to, so every snapshot saved from it is wrong, later
    /// ones too, and [`save_snapshot`](Self::save_snapshot) may keep a
    /// later one.
    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The stream's latest snapshot: its revision and bytes.
    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>>;

    /// Keeps the mark of `stream`'s last full verification, in place of the
    /// earlier one: every event through `revision` was checked, and the
    /// event at `revision` hashes to `head`. A mark may move back (a break
    /// found after it): a mark too far back only means more checking at
    /// the next start, never less.
    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The stream's verified mark: `(revision, head)`.
    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, Hash)>, StoreError>>;

    /// Moves `stream`'s verified mark to `to` if it is still `from` (`None`:
    /// no mark yet), and says whether it moved. A verification that read
    /// the log from `from` on never undoes a mark another moved back
    /// meanwhile, on finding a break the log it read did not have yet.
    ///
    /// The default reads then saves: enough where one instance keeps the
    /// marks (its verifications run one at a time). A store whose marks
    /// instances share makes the comparison and the move one step.
    fn advance_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        from: Option<(u64, Hash)>,
        to: (u64, Hash),
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            if self.load_verified_mark(stream).await? != from {
                return Ok(false);
            }
            self.save_verified_mark(stream, to.0, to.1).await?;
            Ok(true)
        })
    }

    /// Every stream that has a verified mark, in no particular order: a
    /// stream marked but no longer listed among those with events lost
    /// them all.
    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;

    /// Every event after cursor `from`: first those already recorded,
    /// then each new one as it becomes durable; each once, in order.
    fn subscribe_all(&self, from: LogCursor) -> Subscription;

    /// The cursor after the last event recorded ([`LogCursor::START`] in an
    /// empty store).
    fn end_cursor(&self) -> BoxFuture<'_, Result<LogCursor, StoreError>> {
        Box::pin(async {
            Err(StoreError::Unavailable(
                "this store does not say where its log ends".into(),
            ))
        })
    }

    /// Most bytes of data plus metadata one append may carry: callers cut
    /// larger runs of events into several appends.
    fn append_bytes_max(&self) -> usize {
        APPEND_BYTES_MAX
    }

    /// Whether other processes may append to the store too (several service
    /// instances on one database): a ledger then follows the whole log, to
    /// hear of what the others record. A store only this process writes
    /// (the SQLite file is locked to one process) says no.
    fn is_shared(&self) -> bool {
        false
    }

    /// Checks the store answers; for readiness probes.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Stops taking appends and returns once those already queued are
    /// durable and answered.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}

/// The port of secret keys kept apart from the log: pioneers' personal-data
/// keys and ballots' keys, each under its owner's id. Apart, so that an
/// erasure destroys a key for good whatever keeps the log (whose events are
/// never deleted), and so that a backend may keep them elsewhere than its
/// events. The adapters of the log implement it too, keeping keys beside
/// the log.
pub trait KeyStore: Send + Sync + 'static {
    /// Keeps a key durably, replacing any key of the same id.
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Destroys a key for good; deleting a missing key is not an error.
    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The key of one id, if it is kept: how an instance finds the keys
    /// another instance made after it loaded them all.
    fn load_key(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>>;

    /// Every key kept, by id.
    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>>;
}

/// Where a ledger keeps what it records: the log, and the keys apart from
/// it.
#[derive(Clone)]
pub struct Stores {
    pub events: Arc<dyn EventStore>,
    pub keys: Arc<dyn KeyStore>,
}

impl<S: EventStore + KeyStore> From<Arc<S>> for Stores {
    /// A store that keeps both, keys beside the log.
    fn from(store: Arc<S>) -> Self {
        Self {
            events: Arc::clone(&store) as Arc<dyn EventStore>,
            keys: store,
        }
    }
}

/// What a [`Pages`] reader walks through, and where it stands.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// The whole log, after this cursor.
    All(LogCursor),
    /// One stream, from this revision.
    Stream(&'a str, u64),
}

/// Reads one stream, or the whole log, a page at a time from a revision (or
/// a cursor) on, keeping its place: the one loop over the store's pages.
pub struct Pages<'a> {
    store: &'a dyn EventStore,
    scope: Scope<'a>,
}

impl<'a> Pages<'a> {
    /// `stream`'s events from revision `from` on.
    pub fn of_stream(store: &'a dyn EventStore, stream: &'a str, from: u64) -> Self {
        Self {
            store,
            scope: Scope::Stream(stream, from),
        }
    }

    /// The whole log after cursor `from` ([`LogCursor::START`]: all of it).
    pub fn of_log(store: &'a dyn EventStore, from: LogCursor) -> Self {
        Self {
            store,
            scope: Scope::All(from),
        }
    }

    /// The next page, at most [`READ_EVENTS_MAX`] events; empty once every
    /// event is read.
    pub async fn next_page(&mut self) -> Result<Vec<StoredEvent>, StoreError> {
        let page = match self.scope {
            Scope::All(after) => self.store.read_all(after, READ_EVENTS_MAX).await?,
            Scope::Stream(stream, from) => {
                self.store
                    .read_stream(stream, from, READ_EVENTS_MAX)
                    .await?
            }
        };
        if let Some(last) = page.last() {
            self.scope = match self.scope {
                Scope::All(_) => Scope::All(last.cursor),
                Scope::Stream(stream, _) => Scope::Stream(stream, last.revision + 1),
            };
        }
        Ok(page)
    }

    /// The next page, read while `work` (on the page before) runs on this
    /// thread: the two overlap, since the SQLite store reads on a thread of
    /// its own.
    pub async fn next_page_during<T>(
        &mut self,
        work: impl FnOnce() -> T,
    ) -> (Result<Vec<StoredEvent>, StoreError>, T) {
        // `join!` polls the read first: it is under way before the work starts.
        tokio::join!(self.next_page(), async move { work() })
    }
}

/// Refuses appends larger than the limits allow (at most `bytes_max` bytes
/// in all), before any IO.
fn check_append_size(events: &[ProposedEvent], bytes_max: usize) -> Result<(), StoreError> {
    if events.len() > APPEND_EVENTS_MAX {
        return Err(StoreError::InvalidAppend(format!(
            "{} events in one append, at most {APPEND_EVENTS_MAX}",
            events.len()
        )));
    }
    let bytes: usize = events.iter().map(ProposedEvent::bytes).sum();
    if bytes > bytes_max {
        return Err(StoreError::InvalidAppend(format!(
            "{bytes} bytes in one append, at most {bytes_max}"
        )));
    }
    let event_max = EVENT_BYTES_MAX.min(bytes_max);
    if let Some(event) = events.iter().find(|event| event.bytes() > event_max) {
        return Err(StoreError::InvalidAppend(format!(
            "event {} is larger than {event_max} bytes",
            event.event_id
        )));
    }
    Ok(())
}

/// Refuses entries the index cannot take, before any IO.
fn check_index_entries(entries: &[IndexEntry], through: u64) -> Result<(), StoreError> {
    if entries.len() > FILE_INDEX_ENTRIES_MAX {
        return Err(StoreError::InvalidAppend(format!(
            "{} index entries at once, at most {FILE_INDEX_ENTRIES_MAX}",
            entries.len()
        )));
    }
    if let Some(entry) = entries
        .iter()
        .find(|entry| entry.key.len() > INDEX_KEY_BYTES_MAX)
    {
        return Err(StoreError::InvalidAppend(format!(
            "index key of {} bytes, at most {INDEX_KEY_BYTES_MAX}",
            entry.key.len()
        )));
    }
    if let Some(entry) = entries.iter().find(|entry| entry.revision > through) {
        return Err(StoreError::InvalidAppend(format!(
            "revision {} filed beyond the mark {through}",
            entry.revision
        )));
    }
    Ok(())
}
