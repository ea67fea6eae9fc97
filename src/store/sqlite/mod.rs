//! The embedded SQLite adapter, the default store.
//!
//! One file in WAL mode with `synchronous=FULL`: a commit returns only once
//! the WAL is fsynced, so an acknowledged append survives a crash or a power
//! cut. One writer thread owns the only write connection and does **group
//! commit**: it takes every append waiting in its queue, applies each inside
//! its own savepoint (so a refused append leaves its batch mates alone),
//! commits them in one transaction and one fsync, and only then answers each
//! caller. If the commit fails, every append of the batch fails and nothing
//! of it is visible. Readers use their own connections and, WAL being what it
//! is, only ever see committed, durable events.
//!
//! Beside the log, the same file keeps personal-data keys, snapshots and
//! the list of streams; the index of the log's events is kept in a second
//! file, `<file>-index`, with a writer of its own (see `index`).
//!
//! Exactly one process may use a store file: opening takes an exclusive
//! advisory lock on `<file>.lock`, which the OS releases when the process
//! ends, however it ends.

use agora_events::Hash;
use std::collections::HashMap;
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

/// The index beside the log, in its own file.
pub(super) mod index;
/// Read connections.
mod readers;
/// The writer thread and group commit.
mod writer;

use index::{FileRequest, INDEX_QUEUE_REQUESTS_MAX, IndexWriter};
use readers::{Readers, blocking};
use writer::{AppendRequest, Request, Writer};

use super::subscription::{PageReader, follow};
use super::{
    APPEND_BYTES_MAX, AppendOutcome, BoxFuture, EventStore, ExpectedRevision, IndexEntry,
    IndexPage, KeyStore, LogCursor, ProposedEvent, StoreError, StoredEvent, StoredKey,
    StoredSnapshot, Subscription, check_append_size, check_index_entries,
};

/// Appends waiting for the writer before callers wait to enqueue
/// (back-pressure instead of unbounded memory).
pub const APPEND_QUEUE_REQUESTS_MAX: usize = 4_096;
/// Most appends committed together in one transaction.
pub const BATCH_REQUESTS_MAX: usize = 512;
/// Most events committed together in one transaction (one append may
/// bring a batch up to this much plus [`APPEND_EVENTS_MAX`](super::APPEND_EVENTS_MAX)).
pub const BATCH_EVENTS_MAX: usize = 8_192;
/// Most bytes of events committed together in one transaction.
pub const BATCH_BYTES_MAX: usize = 32 << 20;
/// Most reader connections open at once; further reads wait.
const READERS_MAX: usize = 16;
/// Idle reader connections kept open.
const IDLE_READERS_MAX: usize = 8;
/// Identifies the file as an Agora store (`PRAGMA application_id`): "AGOR".
const APPLICATION_ID: i32 = 0x4147_4f52;
/// Schema migrations: entry `n` takes a store from version `n` to `n + 1`
/// (`PRAGMA user_version`). Applied in one transaction at open.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE events (
        position   INTEGER PRIMARY KEY,
        stream     TEXT    NOT NULL,
        revision   INTEGER NOT NULL,
        event_id   BLOB    NOT NULL UNIQUE,
        event_type TEXT    NOT NULL,
        data       BLOB    NOT NULL,
        metadata   BLOB    NOT NULL,
        UNIQUE (stream, revision)
    ) STRICT;",
    // Personal-data keys live beside the log, never in it.
    "CREATE TABLE keys (
        id  BLOB PRIMARY KEY,
        key BLOB NOT NULL
    ) STRICT;",
    // Each stream's latest snapshot, and every stream. (The index beside
    // the log has a file of its own: `index`.)
    "CREATE TABLE snapshots (
        stream   TEXT    PRIMARY KEY,
        revision INTEGER NOT NULL,
        data     BLOB    NOT NULL
    ) STRICT;
    CREATE TABLE streams (
        stream TEXT PRIMARY KEY
    ) STRICT, WITHOUT ROWID;
    INSERT INTO streams (stream) SELECT DISTINCT stream FROM events;",
    // Each stream's last full verification: through which revision, and
    // the hash of the event there.
    "CREATE TABLE verified_marks (
        stream   TEXT    PRIMARY KEY,
        revision INTEGER NOT NULL,
        head     BLOB    NOT NULL
    ) STRICT;",
];
/// The schema version this code writes.
const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

const SELECT_EVENTS: &str =
    "SELECT stream, revision, position, event_id, event_type, data, metadata FROM events";

/// The store in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    queue: Mutex<Option<mpsc::Sender<Request>>>,
    writer_done: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    index_queue: Mutex<Option<mpsc::Sender<FileRequest>>>,
    index_done: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    readers: Arc<Readers>,
    next_position: watch::Receiver<u64>,
    /// Why the writer's last commit found no room on the disk, if it did.
    disk_full: Arc<Mutex<Option<String>>>,
    /// Held for the store's life; the OS drops the locks with the process.
    _lock: StoreLock,
}

impl SqliteStore {
    /// Opens (or creates) the store at `path` and starts its writer thread.
    /// Blocking: call it at start-up, not on a busy runtime thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            fs::create_dir_all(parent).map_err(|error| {
                StoreError::Unavailable(format!("cannot create {}: {error}", parent.display()))
            })?;
        }
        let lock = take_lock(&path)?;
        let mut connection = open_connection(&path).map_err(translate)?;
        migrate(&mut connection)?;
        let next_position: u64 = connection
            .query_row(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM events",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map_err(translate)? as u64;

        let (queue, requests) = mpsc::channel(APPEND_QUEUE_REQUESTS_MAX);
        let (head, head_receiver) = watch::channel(next_position);
        let (done, writer_done) = oneshot::channel();
        let disk_full = Arc::new(Mutex::new(None));
        let writer = Writer {
            connection,
            next_position,
            head,
            // Keys written by an earlier run may still be in the log.
            keys_in_wal: true,
            disk_full: Arc::clone(&disk_full),
        };
        thread::Builder::new()
            .name("agora-sqlite-writer".into())
            .spawn(move || {
                writer.run(requests);
                let _ = done.send(());
            })
            .map_err(|error| {
                StoreError::Unavailable(format!("cannot start the writer: {error}"))
            })?;
        let index_writer = match IndexWriter::open(&path) {
            // Derived data: a file SQLite cannot read is set aside and the
            // index filed again from the log. Damage in the log, which the
            // index's writer reads too, is the log's to report.
            Err(StoreError::Corrupt(reason)) if index::is_damaged(&path) => {
                let aside = index::set_aside_damaged(&path)?;
                tracing::warn!(
                    %reason,
                    set_aside = %aside.display(),
                    "the index beside the log cannot be read: it is set aside and filed again \
                     from the log (the log itself is sound)"
                );
                IndexWriter::open(&path)?
            }
            opened => opened?,
        };
        let (index_queue, index_requests) = mpsc::channel(INDEX_QUEUE_REQUESTS_MAX);
        let (indexed, index_done) = oneshot::channel();
        thread::Builder::new()
            .name("agora-sqlite-index".into())
            .spawn(move || {
                index_writer.run(index_requests);
                let _ = indexed.send(());
            })
            .map_err(|error| {
                StoreError::Unavailable(format!("cannot start the index's writer: {error}"))
            })?;

        Ok(Self {
            readers: Arc::new(Readers {
                path: path.clone(),
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(tokio::sync::Semaphore::new(READERS_MAX)),
            }),
            path,
            queue: Mutex::new(Some(queue)),
            writer_done: tokio::sync::Mutex::new(Some(writer_done)),
            index_queue: Mutex::new(Some(index_queue)),
            index_done: tokio::sync::Mutex::new(Some(index_done)),
            next_position: head_receiver,
            disk_full,
            _lock: lock,
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn queue(&self) -> Option<mpsc::Sender<Request>> {
        lock(&self.queue).clone()
    }

    /// Sends a request to the writer and waits for its answer.
    async fn send<T>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Request,
    ) -> Result<T, StoreError> {
        let gone = || StoreError::Unavailable("the store is shut down".into());
        let queue = self.queue().ok_or_else(gone)?;
        let (reply, answer) = oneshot::channel();
        queue.send(request(reply)).await.map_err(|_| gone())?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer stopped".into()))?
    }

    async fn write_key(&self, id: Uuid, key: Option<Vec<u8>>) -> Result<(), StoreError> {
        self.send(|reply| Request::Key { id, key, reply }).await
    }
}

/// Copies a store file, keys included, into a new file: a consistent
/// snapshot taken through a read-only connection (`VACUUM INTO`), so it
/// works while a service holds the store. The copy must not exist yet.
pub fn backup(store: &Path, copy: &Path) -> Result<(), StoreError> {
    if copy.exists() {
        return Err(StoreError::Unavailable(format!(
            "{} already exists: a backup never overwrites a file",
            copy.display()
        )));
    }
    let connection = Connection::open_with_flags(
        store,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(translate)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(30))
        .map_err(translate)?;
    let target = copy.to_str().ok_or_else(|| {
        StoreError::Unavailable(format!("{} is not a UTF-8 path", copy.display()))
    })?;
    connection
        .execute("VACUUM INTO ?1", [target])
        .map(|_| ())
        .map_err(translate)
}

fn next_position_on_disk(connection: &Connection) -> rusqlite::Result<u64> {
    connection
        .query_row(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM events",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map(|next| next as u64)
}

/// The locks that keep a store to one process: one beside the path it
/// was opened by, and one on the database file itself, which another name
/// for the same file — a symbolic or hard link, a path spelled otherwise —
/// meets too.
struct StoreLock {
    _beside: File,
    of_file: FileLock,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let mut held = lock(&HELD_FILES);
        if let Some(file) = held.get_mut(&self.of_file) {
            file.in_use = false;
            let _ = file.handle.unlock();
        }
    }
}

/// A database file, by device and inode.
type FileLock = (u64, u64);

/// A database file this process locked once, kept open as long as the
/// process lives: closing a handle of our own on the file would drop the
/// locks SQLite holds on it (POSIX locks go with any close of the file by
/// the process), so the handle is only ever unlocked, never closed.
struct HeldFile {
    handle: File,
    /// A store of this process has it open (the OS lock does not tell:
    /// it is the process's own).
    in_use: bool,
}

static HELD_FILES: std::sync::LazyLock<Mutex<HashMap<FileLock, HeldFile>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

fn take_lock(path: &Path) -> Result<StoreLock, StoreError> {
    use std::os::unix::fs::MetadataExt;
    let mut beside = path.as_os_str().to_owned();
    beside.push(".lock");
    let beside = lock_file(Path::new(&beside), path)?;
    // Created empty if missing (SQLite reads that as a new database).
    match File::options().write(true).create_new(true).open(path) {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => {
            return Err(StoreError::Unavailable(format!(
                "cannot create {}: {error}",
                path.display()
            )));
        }
    }
    let metadata = fs::metadata(path).map_err(|error| {
        StoreError::Unavailable(format!("cannot read {}: {error}", path.display()))
    })?;
    let key = (metadata.dev(), metadata.ino());
    let in_use = || {
        StoreError::Unavailable(format!(
            "{} is in use by another process (perhaps under another name for the same file)",
            path.display()
        ))
    };
    let mut held = lock(&HELD_FILES);
    let file = match held.entry(key) {
        std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
        std::collections::hash_map::Entry::Vacant(entry) => {
            let handle = File::open(path).map_err(|error| {
                StoreError::Unavailable(format!("cannot open {}: {error}", path.display()))
            })?;
            entry.insert(HeldFile {
                handle,
                in_use: false,
            })
        }
    };
    if file.in_use {
        return Err(in_use());
    }
    match file.handle.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(in_use()),
        Err(TryLockError::Error(error)) => {
            return Err(StoreError::Unavailable(format!(
                "cannot lock {}: {error}",
                path.display()
            )));
        }
    }
    file.in_use = true;
    Ok(StoreLock {
        _beside: beside,
        of_file: key,
    })
}

/// Takes the lock `lock_path` for the store at `store`, or says who holds it.
fn lock_file(lock_path: &Path, store: &Path) -> Result<File, StoreError> {
    let file = File::create(lock_path).map_err(|error| {
        StoreError::Unavailable(format!("cannot create {}: {error}", lock_path.display()))
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Unavailable(format!(
            "{} is in use by another process (perhaps under another name for the same file)",
            store.display()
        ))),
        Err(TryLockError::Error(error)) => Err(StoreError::Unavailable(format!(
            "cannot lock {}: {error}",
            store.display()
        ))),
    }
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // WAL: readers never block the writer. FULL: the WAL is fsynced at every
    // commit, so an acknowledged append is on disk.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    // Deleted keys are overwritten, not left in free pages: erasure is real.
    connection.pragma_update(None, "secure_delete", true)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(connection)
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let application_id: i32 = connection
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(translate)?;
    let version: i32 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(translate)?;
    let tables: i64 = connection
        .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(translate)?;
    let ours = application_id == APPLICATION_ID || (application_id == 0 && tables == 0);
    if !ours {
        return Err(StoreError::Corrupt(
            "the file is not an Agora event store".into(),
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::Unavailable(format!(
            "the store has schema version {version}; this build knows up to {SCHEMA_VERSION}"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let transaction = connection.transaction().map_err(translate)?;
    for migration in &MIGRATIONS[version as usize..] {
        transaction.execute_batch(migration).map_err(translate)?;
    }
    transaction
        .pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(translate)?;
    transaction
        .pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(translate)?;
    transaction.commit().map_err(translate)
}

/// Maps driver errors to the port's: damaged files are `Corrupt`, anything
/// else (IO, full disk, busy) is `Unavailable`.
pub(in crate::store) fn translate(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
            StoreError::Corrupt(error.to_string())
        }
        _ => match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Corrupt(error.to_string())
            }
            _ => StoreError::Unavailable(error.to_string()),
        },
    }
}

pub(in crate::store) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(in crate::store) fn to_sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl EventStore for SqliteStore {
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>> {
        Box::pin(async move {
            check_append_size(&events, APPEND_BYTES_MAX)?;
            self.send(|reply| {
                Request::Append(AppendRequest {
                    stream: stream.to_owned(),
                    expected,
                    events,
                    reply,
                })
            })
            .await
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        let stream = stream.to_owned();
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.read_stream(&stream, from, limit)
        }))
    }

    fn read_all(
        &self,
        from: LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.read_all(from, limit)
        }))
    }

    fn read_index<'a>(
        &'a self,
        stream: &'a str,
        key: &'a str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<IndexPage, StoreError>> {
        let (stream, key) = (stream.to_owned(), key.to_owned());
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.read_index(&stream, &key, through, skip, limit)
        }))
    }

    fn read_index_first<'a>(
        &'a self,
        stream: &'a str,
        keys: Vec<String>,
        through: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Vec<StoredEvent>>, StoreError>> {
        let stream = stream.to_owned();
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.read_index_first(&stream, &keys, through, limit)
        }))
    }

    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        let stream = stream.to_owned();
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.index_mark(&stream)
        }))
    }

    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            check_index_entries(&entries, through)?;
            let gone = || StoreError::Unavailable("the store is shut down".into());
            let queue = lock(&self.index_queue).clone().ok_or_else(gone)?;
            let (reply, answer) = oneshot::channel();
            let request = FileRequest {
                stream: stream.to_owned(),
                entries,
                through,
                reply,
            };
            queue.send(request).await.map_err(|_| gone())?;
            answer
                .await
                .map_err(|_| StoreError::Unavailable("the index's writer stopped".into()))?
        })
    }

    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(blocking(Arc::clone(&self.readers), Readers::streams))
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let stream = stream.to_owned();
        Box::pin(self.send(move |reply| Request::Snapshot {
            stream,
            revision,
            data,
            reply,
        }))
    }

    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // One instance has the file: a save replaces whatever was saved.
        self.save_snapshot(stream, revision, data)
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>> {
        let stream = stream.to_owned();
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.load_snapshot(&stream)
        }))
    }

    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let stream = stream.to_owned();
        Box::pin(self.send(move |reply| Request::Mark {
            stream,
            revision,
            head,
            reply,
        }))
    }

    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, Hash)>, StoreError>> {
        let stream = stream.to_owned();
        Box::pin(blocking(Arc::clone(&self.readers), move |readers| {
            readers.verified_mark(&stream)
        }))
    }

    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(blocking(Arc::clone(&self.readers), Readers::marked_streams))
    }

    fn end_cursor(&self) -> BoxFuture<'_, Result<LogCursor, StoreError>> {
        let end = LogCursor::from_store(*self.next_position.borrow(), 0);
        Box::pin(async move { Ok(end) })
    }

    fn subscribe_all(&self, from: LogCursor) -> Subscription {
        let readers = Arc::clone(&self.readers);
        let read_page: PageReader = Arc::new(move |from, limit| {
            Box::pin(blocking(Arc::clone(&readers), move |readers| {
                readers.read_all(from, limit)
            }))
        });
        follow(read_page, self.next_position.clone(), from)
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        let readers = Arc::clone(&self.readers);
        let writer_running = self.queue().is_some_and(|queue| !queue.is_closed());
        Box::pin(async move {
            if !writer_running {
                return Err(StoreError::Unavailable("the writer is not running".into()));
            }
            // Commands cannot be recorded while the disk is full: not
            // ready until a commit finds room again (a page written that
            // changes nothing tells).
            if lock(&self.disk_full).is_some() {
                self.send(|reply| Request::Probe { reply })
                    .await
                    .map_err(|error| {
                        StoreError::Unavailable(format!(
                            "the disk has no room to record commands: {error}"
                        ))
                    })?;
            }
            blocking(readers, |readers| {
                readers.with(|connection| connection.query_row("SELECT 1", [], |_| Ok(())))
            })
            .await
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Closing the queues lets the writers drain what is queued, then
            // stop.
            lock(&self.queue).take();
            lock(&self.index_queue).take();
            if let Some(done) = self.writer_done.lock().await.take() {
                let _ = done.await;
            }
            if let Some(done) = self.index_done.lock().await.take() {
                let _ = done.await;
            }
        })
    }
}

impl KeyStore for SqliteStore {
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.write_key(id, Some(key)))
    }

    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.write_key(id, None))
    }

    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>> {
        Box::pin(blocking(Arc::clone(&self.readers), Readers::load_keys))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_connection_fsyncs_every_commit_of_its_wal() {
        let directory = tempfile::tempdir().unwrap();
        let connection = open_connection(&directory.path().join("agora.db")).unwrap();

        let journal: String = connection
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        let synchronous: i64 = connection
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        let secure_delete: i64 = connection
            .pragma_query_value(None, "secure_delete", |row| row.get(0))
            .unwrap();

        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "FULL");
        assert_eq!(secure_delete, 1);
    }
}
