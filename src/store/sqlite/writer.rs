//! The writer thread: the only write connection, group commit of every
//! append and key write waiting in the queue, one transaction and one fsync
//! per batch, each append in its own savepoint.

use std::sync::{Arc, Mutex};

use agora_events::Hash;
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::{
    BATCH_BYTES_MAX, BATCH_EVENTS_MAX, BATCH_REQUESTS_MAX, lock, next_position_on_disk,
    to_sql_integer, translate,
};
use crate::store::{AppendOutcome, ExpectedRevision, ProposedEvent, StoreError};

/// Work for the writer thread; every write goes through it.
pub(super) enum Request {
    Append(AppendRequest),
    /// Stores or replaces a key (`Some`), or deletes it (`None`).
    Key {
        id: Uuid,
        key: Option<Vec<u8>>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Keeps a stream's snapshot in place of its earlier one.
    Snapshot {
        stream: String,
        revision: u64,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Keeps a stream's verified mark in place of its earlier one.
    Mark {
        stream: String,
        revision: u64,
        head: Hash,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Writes [`PROBE_BYTES`] and takes them back in one transaction,
    /// which changes nothing: whether a commit finds room on the disk
    /// again.
    Probe {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

pub(super) struct AppendRequest {
    pub(super) stream: String,
    pub(super) expected: ExpectedRevision,
    pub(super) events: Vec<ProposedEvent>,
    pub(super) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

impl Request {
    fn events(&self) -> usize {
        match self {
            Self::Append(append) => append.events.len(),
            Self::Key { .. } => 1,
            Self::Snapshot { .. } | Self::Mark { .. } | Self::Probe { .. } => 1,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Self::Append(append) => append.events.iter().map(ProposedEvent::bytes).sum(),
            Self::Key { key, .. } => key.as_ref().map_or(0, Vec::len),
            Self::Snapshot { data, .. } => data.len(),
            Self::Mark { .. } => 32,
            Self::Probe { .. } => 0,
        }
    }
}

/// What a probe of the room on the disk writes: more than a batch of
/// commands usually takes, so that a disk it finds room on again takes
/// commands again.
pub(super) const PROBE_BYTES: usize = 1 << 20;

/// Only a clash on `event_id` is the caller's duplicate; a clash on position
/// or revision would be the writer's bug and fails the batch.
fn is_duplicate_event_id(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, Some(message))
            if failure.code == ErrorCode::ConstraintViolation && message.contains("events.event_id")
    )
}

/// The writer thread's state: the only write connection and the next
/// position, which it alone assigns.
pub(super) struct Writer {
    pub(super) connection: Connection,
    pub(super) next_position: u64,
    pub(super) head: watch::Sender<u64>,
    /// A key was written or destroyed since the write-ahead log was last
    /// emptied into the file: its old bytes may still lie in the log.
    pub(super) keys_in_wal: bool,
    /// Why the last commit failed when the disk had no room for it; none
    /// once a commit goes through.
    pub(super) disk_full: Arc<Mutex<Option<String>>>,
}

impl Writer {
    /// Commits batches until every queue sender is gone and the queue is
    /// empty, then empties the write-ahead log into the file.
    pub(super) fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        let mut carried: Option<Request> = None;
        while let Some(first) = carried.take().or_else(|| requests.blocking_recv()) {
            let (mut events, mut bytes) = (first.events(), first.bytes());
            let mut batch = vec![first];
            while batch.len() < BATCH_REQUESTS_MAX {
                let Ok(request) = requests.try_recv() else {
                    break;
                };
                if events + request.events() > BATCH_EVENTS_MAX
                    || bytes + request.bytes() > BATCH_BYTES_MAX
                {
                    carried = Some(request); // first of the next batch
                    break;
                }
                events += request.events();
                bytes += request.bytes();
                batch.push(request);
            }
            self.commit(batch);
        }
        // Stopping: everything committed goes into the file itself, so a
        // stopped store is whole without its write-ahead log.
        self.empty_the_wal();
    }

    /// Copies the write-ahead log into the file and truncates it, so that
    /// no byte of a destroyed or rewrapped key is left in it (the file's own
    /// pages are overwritten on delete: `secure_delete`). A reader in the
    /// middle of a transaction can hold it up; then the next commit tries
    /// again.
    fn empty_the_wal(&mut self) {
        let outcome = self
            .connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        match outcome {
            Ok(0) => self.keys_in_wal = false,
            Ok(_) => tracing::debug!("the write-ahead log is in use; emptied at the next commit"),
            Err(error) => tracing::warn!(%error, "could not empty the write-ahead log"),
        }
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let first_position = self.next_position;
        let mut answers = Vec::with_capacity(batch.len());
        let committed = (|| {
            let mut transaction = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for request in &batch {
                // Appends are answered with their outcome; key and snapshot
                // writes with Ok.
                let answer = match request {
                    Request::Append(append) => Some(append_in_savepoint(
                        &mut transaction,
                        append,
                        &mut self.next_position,
                    )?),
                    Request::Key { id, key, .. } => {
                        write_key(&transaction, *id, key.as_deref())?;
                        None
                    }
                    Request::Snapshot {
                        stream,
                        revision,
                        data,
                        ..
                    } => {
                        transaction
                            .prepare_cached(
                                "INSERT OR REPLACE INTO snapshots (stream, revision, data)
                                 VALUES (?1, ?2, ?3)",
                            )?
                            .execute(params![stream, to_sql_integer(*revision), data])?;
                        None
                    }
                    Request::Mark {
                        stream,
                        revision,
                        head,
                        ..
                    } => {
                        transaction
                            .prepare_cached(
                                "INSERT OR REPLACE INTO verified_marks (stream, revision, head)
                                 VALUES (?1, ?2, ?3)",
                            )?
                            .execute(params![stream, to_sql_integer(*revision), &head.0[..]])?;
                        None
                    }
                    Request::Probe { .. } => {
                        // A snapshot of no stream (no stream is named ''),
                        // gone again before the commit: the commit needs
                        // room for its pages in the log all the same.
                        transaction.execute(
                            "INSERT INTO snapshots (stream, revision, data)
                             VALUES ('', 0, zeroblob(?1))",
                            params![PROBE_BYTES as i64],
                        )?;
                        transaction.execute("DELETE FROM snapshots WHERE stream = ''", [])?;
                        None
                    }
                };
                answers.push(answer);
            }
            transaction.commit()
        })();
        match &committed {
            Ok(()) => *lock(&self.disk_full) = None,
            Err(error) if error.sqlite_error_code() == Some(ErrorCode::DiskFull) => {
                *lock(&self.disk_full) = Some(error.to_string());
            }
            // Another failure says nothing of the room on the disk.
            Err(_) => {}
        }
        match committed {
            Ok(()) => {
                self.head.send_replace(self.next_position);
                // A key written or destroyed is answered once no old byte
                // of it is left in the write-ahead log.
                self.keys_in_wal |= batch
                    .iter()
                    .any(|request| matches!(request, Request::Key { .. }));
                if self.keys_in_wal {
                    self.empty_the_wal();
                }
                for (request, answer) in batch.into_iter().zip(answers) {
                    match (request, answer) {
                        (Request::Append(append), Some(outcome)) => {
                            let _ = append.reply.send(outcome);
                        }
                        (
                            Request::Key { reply, .. }
                            | Request::Snapshot { reply, .. }
                            | Request::Mark { reply, .. }
                            | Request::Probe { reply },
                            _,
                        ) => {
                            let _ = reply.send(Ok(()));
                        }
                        (Request::Append(_), None) => unreachable!("every append has an answer"),
                    }
                }
            }
            Err(error) => {
                // Nothing of the batch is visible: rolled back with the
                // transaction. Make sure of it, and take the next position
                // from the file rather than from memory.
                if !self.connection.is_autocommit() {
                    let _ = self.connection.execute_batch("ROLLBACK");
                }
                self.next_position =
                    next_position_on_disk(&self.connection).unwrap_or(first_position);
                let error = translate(error);
                tracing::error!(%error, requests = batch.len(), "event store commit failed");
                for request in batch {
                    match request {
                        Request::Append(append) => {
                            let _ = append.reply.send(Err(error.clone()));
                        }
                        Request::Key { reply, .. }
                        | Request::Snapshot { reply, .. }
                        | Request::Mark { reply, .. }
                        | Request::Probe { reply } => {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                }
            }
        }
    }
}

fn write_key(transaction: &Transaction<'_>, id: Uuid, key: Option<&[u8]>) -> rusqlite::Result<()> {
    let id = id.as_bytes().as_slice();
    match key {
        Some(key) => transaction
            .prepare_cached("INSERT OR REPLACE INTO keys (id, key) VALUES (?1, ?2)")?
            .execute(params![id, key])?,
        None => transaction
            .prepare_cached("DELETE FROM keys WHERE id = ?1")?
            .execute(params![id])?,
    };
    Ok(())
}

/// Applies one append inside a savepoint of the batch's transaction. The
/// outer error is fatal to the batch; the inner one refuses this append only.
fn append_in_savepoint(
    transaction: &mut Transaction<'_>,
    request: &AppendRequest,
    next_position: &mut u64,
) -> rusqlite::Result<Result<AppendOutcome, StoreError>> {
    let savepoint = transaction.savepoint()?;
    let actual: Option<u64> = savepoint
        .prepare_cached("SELECT MAX(revision) FROM events WHERE stream = ?1")?
        .query_row([&request.stream], |row| row.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .map(|revision| revision as u64);
    if !request.expected.is_met_by(actual) {
        return Ok(Err(StoreError::WrongExpectedRevision {
            stream: request.stream.clone(),
            expected: request.expected,
            actual,
        }));
    }
    let first_revision = actual.map_or(0, |revision| revision + 1);
    if actual.is_none() && !request.events.is_empty() {
        savepoint
            .prepare_cached("INSERT OR IGNORE INTO streams (stream) VALUES (?1)")?
            .execute([&request.stream])?;
    }
    let mut positions = Vec::with_capacity(request.events.len());
    {
        let mut insert = savepoint.prepare_cached(
            "INSERT INTO events (position, stream, revision, event_id, event_type, data, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (offset, event) in request.events.iter().enumerate() {
            let position = *next_position + offset as u64;
            let inserted = insert.execute(params![
                to_sql_integer(position),
                request.stream,
                to_sql_integer(first_revision + offset as u64),
                event.event_id.as_bytes().as_slice(),
                event.event_type,
                event.data,
                event.metadata,
            ]);
            match inserted {
                Ok(_) => positions.push(position),
                Err(error) if is_duplicate_event_id(&error) => {
                    // Dropping the savepoint rolls back this append's rows.
                    return Ok(Err(StoreError::DuplicateEvent(event.event_id)));
                }
                Err(error) => return Err(error),
            }
        }
    }
    savepoint.commit()?;
    *next_position += request.events.len() as u64;
    let last_revision = match request.events.len() as u64 {
        0 => actual,
        appended => Some(first_revision + appended - 1),
    };
    Ok(Ok(AppendOutcome {
        last_revision,
        positions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit the disk has no room for is noted, and the note goes once
    /// a commit (a probe that writes a page changing nothing) finds room.
    #[test]
    fn a_full_disk_is_noted_until_a_commit_finds_room_again() {
        let directory = tempfile::tempdir().unwrap();
        let mut connection =
            super::super::open_connection(&directory.path().join("agora.db")).unwrap();
        super::super::migrate(&mut connection).unwrap();
        let disk_full = Arc::new(Mutex::new(None));
        let mut writer = Writer {
            connection,
            next_position: 0,
            head: watch::channel(0).0,
            keys_in_wal: false,
            disk_full: Arc::clone(&disk_full),
        };
        let set_max_pages = |writer: &Writer, pages: i64| {
            writer
                .connection
                .pragma_update(None, "max_page_count", pages)
                .unwrap();
        };
        let pages: i64 = writer
            .connection
            .query_row("PRAGMA page_count", [], |row| row.get(0))
            .unwrap();
        // As if the disk held not a page more than the file has.
        set_max_pages(&writer, pages);
        let (reply, mut answer) = oneshot::channel();
        writer.commit(vec![Request::Snapshot {
            stream: "community-demo".into(),
            revision: 0,
            data: vec![7; 64 * 1024],
            reply,
        }]);
        assert!(answer.try_recv().unwrap().is_err());
        assert!(lock(&disk_full).is_some(), "noted");
        // Still no room: the probe fails, and the note stays.
        let (reply, mut answer) = oneshot::channel();
        writer.commit(vec![Request::Probe { reply }]);
        assert!(answer.try_recv().unwrap().is_err());
        assert!(lock(&disk_full).is_some(), "still noted");
        // Room again: the probe goes through and the note goes.
        set_max_pages(&writer, 1 << 20);
        let (reply, mut answer) = oneshot::channel();
        writer.commit(vec![Request::Probe { reply }]);
        assert!(answer.try_recv().unwrap().is_ok());
        assert!(lock(&disk_full).is_none(), "cleared");
        let probed: i64 = writer
            .connection
            .query_row("SELECT count(*) FROM snapshots", [], |row| row.get(0))
            .unwrap();
        assert_eq!(probed, 0, "the probe leaves nothing behind");
    }
}
