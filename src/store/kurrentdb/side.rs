//! What a KurrentDB store keeps beside the log, on the instance's own disk:
//! the index of the log's events, its marks, snapshots and verified marks.
//! All of it is derived from the log or vouches for this instance alone, so
//! each instance keeps its own (a file, or memory when none is given) and a
//! lost side file only means filing, replaying and verifying again.
//!
//! The side names the event at each index mark; the store checks those
//! events against the log when it opens and forgets what another log made.

use std::path::Path;
use std::sync::{Arc, Mutex};

use agora_events::Hash;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use crate::store::sqlite::{index, lock, to_sql_integer, translate};
use crate::store::{IndexEntry, READ_EVENTS_MAX, StoreError, StoredSnapshot};

/// Beside the index's tables (those of the embedded store's index file).
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS snapshots (
        stream   TEXT    PRIMARY KEY,
        revision INTEGER NOT NULL,
        data     BLOB    NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS verified_marks (
        stream   TEXT    PRIMARY KEY,
        revision INTEGER NOT NULL,
        head     BLOB    NOT NULL
    ) STRICT;";

/// The side file's one connection, shared by the store's tasks; every call
/// runs on the blocking pool.
#[derive(Clone)]
pub(super) struct Side {
    connection: Arc<Mutex<Connection>>,
}

impl Side {
    /// Opens (or creates) the side file at `path`, or a side in memory.
    pub(super) fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        let connection = match path {
            Some(path) => Connection::open(path),
            None => Connection::open_in_memory(),
        }
        .map_err(translate)?;
        // Another process may have the file open (a tool beside the
        // service): wait for its writes rather than fail.
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(translate)?;
        // Derived data: a commit lost to a power cut is filed again.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| index::create_tables(&connection))
            .and_then(|()| connection.execute_batch(SCHEMA))
            .map_err(translate)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection, off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || work(&mut lock(&connection)).map_err(translate))
            .await
            .map_err(|error| StoreError::Unavailable(format!("the side file's task: {error}")))?
    }

    /// Every index mark: stream, revision and the id of the event there.
    pub(super) async fn index_marks(&self) -> Result<Vec<(String, u64, Uuid)>, StoreError> {
        let marks: Vec<(String, i64, Vec<u8>)> = self
            .with(|connection| {
                connection
                    .prepare("SELECT stream, through, event_id FROM index_marks")?
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                    .collect()
            })
            .await?;
        Ok(marks
            .into_iter()
            .map(|(stream, through, id)| {
                let id = Uuid::from_slice(&id).unwrap_or_default();
                (stream, through as u64, id)
            })
            .collect())
    }

    /// Drops a stream's entries and mark: they were made from another log.
    pub(super) async fn forget_index(&self, stream: String) -> Result<(), StoreError> {
        self.with(move |connection| {
            let transaction = connection.transaction()?;
            index::forget_stream(&transaction, &stream)?;
            transaction.commit()
        })
        .await
    }

    pub(super) async fn index_mark(&self, stream: &str) -> Result<Option<u64>, StoreError> {
        let stream = stream.to_owned();
        self.with(move |connection| {
            connection
                .prepare_cached("SELECT through FROM index_marks WHERE stream = ?1")?
                .query_row([stream], |row| row.get::<_, i64>(0))
                .optional()
                .map(|through| through.map(|through| through as u64))
        })
        .await
    }

    /// Files entries and moves the mark to `through` (whose event is
    /// `marked`), all or nothing; a mark never moves back.
    pub(super) async fn file(
        &self,
        stream: &str,
        mut entries: Vec<IndexEntry>,
        through: u64,
        marked: Uuid,
    ) -> Result<(), StoreError> {
        let stream = stream.to_owned();
        // In key order: each page of the index is visited once.
        entries.sort_unstable_by(|a, b| (&a.key, a.revision).cmp(&(&b.key, b.revision)));
        self.with(move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let number = index::stream_number(&transaction, &stream)?;
                let mut insert = transaction.prepare_cached(
                    "INSERT OR IGNORE INTO index_entries (stream, key, revision) VALUES (?1, ?2, ?3)",
                )?;
                for entry in &entries {
                    insert.execute(params![number, entry.key, to_sql_integer(entry.revision)])?;
                }
                transaction
                    .prepare_cached(
                        "INSERT INTO index_marks (stream, through, event_id) VALUES (?1, ?2, ?3)
                         ON CONFLICT (stream) DO UPDATE SET through = excluded.through,
                             event_id = excluded.event_id
                         WHERE excluded.through > through",
                    )?
                    .execute(params![
                        stream,
                        to_sql_integer(through),
                        marked.as_bytes().as_slice()
                    ])?;
            }
            transaction.commit()
        })
        .await
    }

    /// The revisions `stream` files under `key` up to `through`: the first
    /// `skip` left out, at most `limit`, with how many there are in all.
    pub(super) async fn indexed(
        &self,
        stream: &str,
        key: &str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> Result<(u64, Vec<u64>), StoreError> {
        let (stream, key) = (stream.to_owned(), key.to_owned());
        self.with(move |connection| {
            let transaction = connection.transaction()?;
            let through = to_sql_integer(through);
            let total: i64 = transaction
                .prepare_cached(
                    "SELECT COUNT(*) FROM index_entries
                     WHERE stream = (SELECT id FROM index_streams WHERE stream = ?1)
                         AND key = ?2 AND revision <= ?3",
                )?
                .query_row(params![stream, key, through], |row| row.get(0))?;
            let revisions = transaction
                .prepare_cached(
                    // No bound LIMIT: SQLite would prepare the statement
                    // again at every run. Reading stops at the limit.
                    "SELECT revision FROM index_entries
                     WHERE stream = (SELECT id FROM index_streams WHERE stream = ?1)
                         AND key = ?2 AND revision <= ?3
                     ORDER BY revision LIMIT -1 OFFSET ?4",
                )?
                .query_map(params![stream, key, through, to_sql_integer(skip)], |row| {
                    row.get::<_, i64>(0)
                })?
                .take(limit.min(READ_EVENTS_MAX))
                .map(|revision| revision.map(|revision| revision as u64))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            transaction.finish()?;
            Ok((total as u64, revisions))
        })
        .await
    }

    /// Keeps a snapshot unless a newer one is kept already.
    /// Keeps a snapshot in the stream's row, over a later one only when
    /// `over_later`.
    pub(super) async fn save_snapshot(
        &self,
        stream: &str,
        revision: u64,
        data: Vec<u8>,
        over_later: bool,
    ) -> Result<(), StoreError> {
        let stream = stream.to_owned();
        self.with(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO snapshots (stream, revision, data) VALUES (?1, ?2, ?3)
                     ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision,
                         data = excluded.data
                     WHERE ?4 OR excluded.revision >= revision",
                )?
                .execute(params![stream, to_sql_integer(revision), data, over_later])
                .map(drop)
        })
        .await
    }

    pub(super) async fn marked_streams(&self) -> Result<Vec<String>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached("SELECT stream FROM verified_marks")?
                .query_map([], |row| row.get(0))?
                .collect()
        })
        .await
    }

    pub(super) async fn load_snapshot(
        &self,
        stream: &str,
    ) -> Result<Option<StoredSnapshot>, StoreError> {
        let stream = stream.to_owned();
        self.with(move |connection| {
            connection
                .prepare_cached("SELECT revision, data FROM snapshots WHERE stream = ?1")?
                .query_row([stream], |row| {
                    Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))
                })
                .optional()
        })
        .await
    }

    pub(super) async fn save_verified_mark(
        &self,
        stream: &str,
        revision: u64,
        head: Hash,
    ) -> Result<(), StoreError> {
        let stream = stream.to_owned();
        self.with(move |connection| {
            connection
                .prepare_cached(
                    "INSERT OR REPLACE INTO verified_marks (stream, revision, head)
                     VALUES (?1, ?2, ?3)",
                )?
                .execute(params![stream, to_sql_integer(revision), &head.0[..]])
                .map(drop)
        })
        .await
    }

    pub(super) async fn load_verified_mark(
        &self,
        stream: &str,
    ) -> Result<Option<(u64, Hash)>, StoreError> {
        let owned = stream.to_owned();
        let mark = self
            .with(move |connection| {
                connection
                    .prepare_cached("SELECT revision, head FROM verified_marks WHERE stream = ?1")?
                    .query_row([owned], |row| {
                        Ok((row.get::<_, i64>(0)? as u64, row.get::<_, Vec<u8>>(1)?))
                    })
                    .optional()
            })
            .await?;
        mark.map(|(revision, head)| {
            let head: [u8; 32] = head.try_into().map_err(|_| {
                StoreError::Corrupt(format!("the verified mark of {stream} is not a hash"))
            })?;
            Ok((revision, Hash(head)))
        })
        .transpose()
    }
}
