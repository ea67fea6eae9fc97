//! Read connections: opened on demand, kept for reuse, bounded in number,
//! used off the async threads.

use agora_events::Hash;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::index::attach_index;
use super::{IDLE_READERS_MAX, SELECT_EVENTS, lock, open_connection, to_sql_integer, translate};
use crate::store::subscription::{cursor_after, first_position_after};
use crate::store::{
    IndexPage, LogCursor, READ_EVENTS_MAX, StoreError, StoredEvent, StoredKey, StoredSnapshot,
};

/// The events a stream files under a key, in order: `?1` stream, `?2` key,
/// `?3` the last revision to consider, `?4` how many to skip.
///
/// No query here binds its `LIMIT`: SQLite plans with a bound limit's value,
/// so it prepares such a statement again at every run (measured: 5 % of the
/// service's CPU under load). Callers stop reading at their limit instead.
const SELECT_INDEXED: &str =
    "SELECT e.stream, e.revision, e.position, e.event_id, e.event_type, e.data, e.metadata
     FROM idx.index_entries i JOIN main.events e ON e.stream = ?1 AND e.revision = i.revision
     WHERE i.stream = (SELECT id FROM idx.index_streams WHERE stream = ?1)
         AND i.key = ?2 AND i.revision <= ?3
     ORDER BY i.revision LIMIT -1 OFFSET ?4";

fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    let id = row.get_ref(3)?.as_blob()?;
    let event_id = Uuid::from_slice(id).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Blob, Box::new(error))
    })?;
    Ok(StoredEvent {
        stream: row.get(0)?,
        revision: row.get::<_, i64>(1)? as u64,
        position: row.get::<_, i64>(2)? as u64,
        cursor: cursor_after(row.get::<_, i64>(2)? as u64),
        event_id,
        event_type: row.get(4)?,
        data: row.get(5)?,
        metadata: row.get(6)?,
    })
}

/// Read connections, opened on demand and kept for reuse, at most
/// [`READERS_MAX`] at once.
pub(super) struct Readers {
    pub(super) path: PathBuf,
    pub(super) idle: Mutex<Vec<Connection>>,
    pub(super) permits: Arc<tokio::sync::Semaphore>,
}

impl Readers {
    pub(super) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let connection = match lock(&self.idle).pop() {
            Some(connection) => connection,
            None => {
                let connection = open_connection(&self.path).map_err(translate)?;
                attach_index(&connection, &self.path).map_err(translate)?;
                connection
                    .pragma_update(None, "query_only", true)
                    .map_err(translate)?;
                connection
            }
        };
        let result = read(&connection).map_err(translate);
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE_READERS_MAX {
            idle.push(connection);
        }
        result
    }

    pub(super) fn read_all(
        &self,
        after: LogCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let from = first_position_after(after);
        self.with(|connection| {
            connection
                .prepare_cached(&format!(
                    "{SELECT_EVENTS} WHERE position >= ?1 ORDER BY position"
                ))?
                .query_map(params![to_sql_integer(from)], row_to_event)?
                .take(limit.min(READ_EVENTS_MAX))
                .collect()
        })
    }

    pub(super) fn read_index(
        &self,
        stream: &str,
        key: &str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> Result<IndexPage, StoreError> {
        self.with(|connection| {
            // One read transaction: the count and the page see the same log.
            let transaction = connection.unchecked_transaction()?;
            let through = to_sql_integer(through);
            let total: i64 = transaction
                .prepare_cached(
                    "SELECT COUNT(*) FROM idx.index_entries
                     WHERE stream = (SELECT id FROM idx.index_streams WHERE stream = ?1)
                         AND key = ?2 AND revision <= ?3",
                )?
                .query_row(params![stream, key, through], |row| row.get(0))?;
            let events = transaction
                .prepare_cached(SELECT_INDEXED)?
                .query_map(
                    params![stream, key, through, to_sql_integer(skip)],
                    row_to_event,
                )?
                .take(limit.min(READ_EVENTS_MAX))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            transaction.finish()?;
            Ok(IndexPage {
                total: total as u64,
                events,
            })
        })
    }

    pub(super) fn read_index_first(
        &self,
        stream: &str,
        keys: &[String],
        through: u64,
        limit: usize,
    ) -> Result<Vec<Vec<StoredEvent>>, StoreError> {
        self.with(|connection| {
            let transaction = connection.unchecked_transaction()?;
            let mut select = transaction.prepare_cached(SELECT_INDEXED)?;
            let pages = keys
                .iter()
                .map(|key| {
                    select
                        .query_map(
                            params![stream, key, to_sql_integer(through), 0],
                            row_to_event,
                        )?
                        .take(limit.min(READ_EVENTS_MAX))
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(select);
            transaction.finish()?;
            Ok(pages)
        })
    }

    pub(super) fn streams(&self) -> Result<Vec<String>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached("SELECT stream FROM streams")?
                .query_map([], |row| row.get(0))?
                .collect()
        })
    }

    pub(super) fn marked_streams(&self) -> Result<Vec<String>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached("SELECT stream FROM verified_marks")?
                .query_map([], |row| row.get(0))?
                .collect()
        })
    }

    pub(super) fn load_snapshot(&self, stream: &str) -> Result<Option<StoredSnapshot>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached("SELECT revision, data FROM snapshots WHERE stream = ?1")?
                .query_row([stream], |row| {
                    Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))
                })
                .optional()
        })
    }

    pub(super) fn verified_mark(&self, stream: &str) -> Result<Option<(u64, Hash)>, StoreError> {
        let mark = self.with(|connection| {
            connection
                .prepare_cached("SELECT revision, head FROM verified_marks WHERE stream = ?1")?
                .query_row([stream], |row| {
                    Ok((row.get::<_, i64>(0)? as u64, row.get::<_, Vec<u8>>(1)?))
                })
                .optional()
        })?;
        mark.map(|(revision, head)| {
            let head: [u8; 32] = head.try_into().map_err(|_| {
                StoreError::Unavailable(format!("the verified mark of {stream} is not a hash"))
            })?;
            Ok((revision, Hash(head)))
        })
        .transpose()
    }

    pub(super) fn index_mark(&self, stream: &str) -> Result<Option<u64>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached("SELECT through FROM idx.index_marks WHERE stream = ?1")?
                .query_row([stream], |row| row.get::<_, i64>(0))
                .optional()
                .map(|through| through.map(|through| through as u64))
        })
    }

    pub(super) fn load_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached("SELECT id, key FROM keys ORDER BY id")?
                .query_map([], |row| {
                    let id: Vec<u8> = row.get(0)?;
                    let id = Uuid::from_slice(&id).map_err(|error| {
                        rusqlite::Error::FromSqlConversionFailure(
                            0,
                            rusqlite::types::Type::Blob,
                            Box::new(error),
                        )
                    })?;
                    Ok((id, row.get(1)?))
                })?
                .collect()
        })
    }

    pub(super) fn read_stream(
        &self,
        stream: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached(&format!(
                    "{SELECT_EVENTS} WHERE stream = ?1 AND revision >= ?2 ORDER BY revision"
                ))?
                .query_map(params![stream, to_sql_integer(from)], row_to_event)?
                .take(limit.min(READ_EVENTS_MAX))
                .collect()
        })
    }
}

/// Runs blocking reader work off the async threads, once a reader permit
/// is free.
pub(super) async fn blocking<T: Send + 'static>(
    readers: Arc<Readers>,
    work: impl FnOnce(&Readers) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let permit = Arc::clone(&readers.permits)
        .acquire_owned()
        .await
        .map_err(|_| StoreError::Unavailable("the readers are closed".into()))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&readers)
    })
    .await
    .map_err(|error| StoreError::Unavailable(format!("reader task failed: {error}")))?
}
