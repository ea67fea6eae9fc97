//! The index beside the log, in a file of its own (`<store>-index`) with a
//! writer thread of its own, so that filing entries never holds the log's
//! writer: appends do not wait behind it. The index is derived data: a
//! missing or deleted index file only means that the next start-up files
//! every event again.
//!
//! Readers attach the index file as `idx` to their connections to the log,
//! and the index's writer attaches the log as `log`, to refuse a mark past
//! a stream's end.
//!
//! Each mark names the event at its revision. An index file beside a log it
//! was not made from (a backup restored next to a newer index) is caught at
//! open: a stream whose marked event is not in the log at that revision
//! loses its entries and mark, and is filed again.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use super::{open_connection, to_sql_integer, translate};
use crate::store::{IndexEntry, StoreError};

/// Filings waiting for the index's writer.
pub(super) const INDEX_QUEUE_REQUESTS_MAX: usize = 64;

/// Pages the index's write-ahead log grows to before they are copied into
/// its file (64 MiB of 4 KiB pages; SQLite's default is 1,000).
const INDEX_WAL_PAGES: i64 = 16_384;

/// The index's tables; the KurrentDB store's side file has them too. An
/// entry names its stream by a number (`index_streams`), not by the
/// stream's name: shorter rows, compared without the name's bytes
/// (measured: the index of a 1M-transfer log in 218 MB instead of 320 MB).
pub(in crate::store) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS index_streams (
        id     INTEGER PRIMARY KEY,
        stream TEXT    NOT NULL UNIQUE
    ) STRICT;
    CREATE TABLE IF NOT EXISTS index_entries (
        stream   INTEGER NOT NULL,
        key      TEXT    NOT NULL,
        revision INTEGER NOT NULL,
        PRIMARY KEY (stream, key, revision)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS index_marks (
        stream   TEXT    PRIMARY KEY,
        through  INTEGER NOT NULL,
        event_id BLOB    NOT NULL
    ) STRICT;";

/// Creates the index's tables in the file `connection` opened as `main`.
/// An index of the earlier layout (each entry naming its stream in full)
/// is dropped first, its entries and marks together: a stream without a
/// mark is filed again from the log at start-up.
pub(in crate::store) fn create_tables(connection: &Connection) -> rusqlite::Result<()> {
    let earlier: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM main.sqlite_schema
             WHERE type = 'table' AND name = 'event_index')",
        [],
        |row| row.get(0),
    )?;
    if earlier {
        tracing::warn!("the index beside the log has an earlier layout; filing it again");
        connection.execute_batch(
            "BEGIN IMMEDIATE;
             DROP TABLE main.event_index;
             DROP TABLE IF EXISTS main.index_marks;
             COMMIT;",
        )?;
    }
    connection.execute_batch(SCHEMA)
}

/// The number the index file opened as `main` gives `stream`, given it
/// now if it has none: call it inside the transaction that files.
pub(in crate::store) fn stream_number(
    connection: &Connection,
    stream: &str,
) -> rusqlite::Result<i64> {
    connection
        .prepare_cached(
            "INSERT INTO main.index_streams (stream) VALUES (?1) ON CONFLICT (stream) DO NOTHING",
        )?
        .execute([stream])?;
    connection
        .prepare_cached("SELECT id FROM main.index_streams WHERE stream = ?1")?
        .query_row([stream], |row| row.get(0))
}

/// Entries inserted by one statement while filing.
const INSERT_ROWS: usize = 64;

/// The statement that inserts `rows` entries of one stream.
fn insert_rows(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|n| format!("(?1, ?{}, ?{})", 2 + 2 * n, 3 + 2 * n))
        .collect();
    format!(
        "INSERT OR IGNORE INTO main.index_entries (stream, key, revision) VALUES {}",
        values.join(", ")
    )
}

/// The index file of the store at `log`.
pub(super) fn index_path(log: &Path) -> PathBuf {
    let mut path = log.as_os_str().to_owned();
    path.push("-index");
    PathBuf::from(path)
}

/// Whether the index file itself is damaged: SQLite cannot open it, or
/// its own check of the file finds fault. Slow on a large file: only
/// asked once opening the store failed, to tell the index's damage from
/// the log's.
pub(super) fn is_damaged(log: &Path) -> bool {
    let checked = Connection::open(index_path(log)).and_then(|index| {
        index.query_row("PRAGMA quick_check(1)", [], |row| row.get::<_, String>(0))
    });
    !matches!(checked.as_deref(), Ok("ok"))
}

/// Moves a damaged index file (and its write-ahead log) aside, as
/// `…-index.damaged` (and `…-index.damaged-wal`), for whoever wants to see
/// what happened to it: the index is filed again from the log.
pub(super) fn set_aside_damaged(log: &Path) -> Result<PathBuf, StoreError> {
    let index = index_path(log);
    let mut aside = index.as_os_str().to_owned();
    aside.push(".damaged");
    let aside = PathBuf::from(aside);
    for (from, to) in [("", ""), ("-wal", "-wal"), ("-shm", "-shm")] {
        let mut source = index.as_os_str().to_owned();
        source.push(from);
        let mut target = aside.as_os_str().to_owned();
        target.push(to);
        match std::fs::rename(&source, &target) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot set the damaged index {} aside: {error}",
                    index.display()
                )));
            }
        }
    }
    Ok(aside)
}

/// Attaches the index file to a connection to the log, as `idx`.
pub(super) fn attach_index(connection: &Connection, log: &Path) -> rusqlite::Result<()> {
    let index = index_path(log);
    connection.execute(
        "ATTACH DATABASE ?1 AS idx",
        [index.to_string_lossy().as_ref()],
    )?;
    Ok(())
}

/// One filing: a stream's entries and its new mark.
pub(super) struct FileRequest {
    pub(super) stream: String,
    pub(super) entries: Vec<IndexEntry>,
    pub(super) through: u64,
    pub(super) reply: oneshot::Sender<Result<(), StoreError>>,
}

/// The index's writer: the only connection that writes the index file.
pub(super) struct IndexWriter {
    connection: Connection,
}

impl IndexWriter {
    /// Opens (or creates) the index file of the store at `log`.
    pub(super) fn open(log: &Path) -> Result<Self, StoreError> {
        let connection = open_connection(&index_path(log)).map_err(translate)?;
        // Derived data: a filing lost to a power cut is filed again from the
        // log (the mark is lost with its entries, never one without the
        // other), so commits need not wait for the disk.
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(translate)?;
        // A filing dirties thousands of pages, many of them the same from
        // one filing to the next (the newest entries of busy keys): copied
        // back into the file once the write-ahead log holds 64 MiB rather
        // than after each filing, they are copied once for several. Measured
        // (filings of 1,024 events): the index's thread spent 12 % less time
        // a transfer.
        connection
            .pragma_update(None, "wal_autocheckpoint", INDEX_WAL_PAGES)
            .map_err(translate)?;
        create_tables(&connection).map_err(translate)?;
        connection
            .execute(
                "ATTACH DATABASE ?1 AS log",
                [log.to_string_lossy().as_ref()],
            )
            .map_err(translate)?;
        forget_foreign_marks(&connection).map_err(translate)?;
        Ok(Self { connection })
    }

    /// Files each request in its own transaction until the queue closes.
    pub(super) fn run(mut self, mut requests: mpsc::Receiver<FileRequest>) {
        while let Some(request) = requests.blocking_recv() {
            let filed = self
                .file(&request.stream, &request.entries, request.through)
                .unwrap_or_else(|error| Err(translate(error)));
            let _ = request.reply.send(filed);
        }
    }

    /// Files entries and moves the mark, all or nothing; refuses a mark
    /// past the stream's end.
    fn file(
        &mut self,
        stream: &str,
        entries: &[IndexEntry],
        through: u64,
    ) -> rusqlite::Result<Result<(), StoreError>> {
        // Deferred, not immediate: an immediate transaction takes the write
        // lock of every attached database, the log's too, and appends would
        // wait (in the busy handler's sleeps) for the whole filing. This one
        // reads the log and writes only the index, whose writer this is.
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let marked: Option<Vec<u8>> = transaction
            .prepare_cached("SELECT event_id FROM log.events WHERE stream = ?1 AND revision = ?2")?
            .query_row(params![stream, to_sql_integer(through)], |row| row.get(0))
            .optional()?;
        let Some(marked) = marked else {
            return Ok(Err(StoreError::InvalidAppend(format!(
                "index mark {through} is past the end of {stream}"
            ))));
        };
        {
            let number = stream_number(&transaction, stream)?;
            // In key order: each page of the index is visited once, not once
            // per entry that lands in it.
            let mut sorted: Vec<&IndexEntry> = entries.iter().collect();
            sorted.sort_unstable_by(|a, b| (&a.key, a.revision).cmp(&(&b.key, b.revision)));
            // Many rows a statement: one statement's setup for all of them.
            let mut rows = sorted.chunks_exact(INSERT_ROWS);
            let mut insert = transaction.prepare_cached(&insert_rows(INSERT_ROWS))?;
            for group in &mut rows {
                insert.raw_bind_parameter(1, number)?;
                for (n, entry) in group.iter().enumerate() {
                    insert.raw_bind_parameter(2 + 2 * n, &entry.key)?;
                    insert.raw_bind_parameter(3 + 2 * n, to_sql_integer(entry.revision))?;
                }
                insert.raw_execute()?;
            }
            let mut insert = transaction.prepare_cached(&insert_rows(1))?;
            for entry in rows.remainder() {
                insert.execute(params![number, entry.key, to_sql_integer(entry.revision)])?;
            }
            transaction
                .prepare_cached(
                    "INSERT INTO main.index_marks (stream, through, event_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (stream) DO UPDATE SET through = excluded.through,
                         event_id = excluded.event_id
                     WHERE excluded.through > through",
                )?
                .execute(params![stream, to_sql_integer(through), marked])?;
        }
        transaction.commit()?;
        Ok(Ok(()))
    }
}

/// Drops the entries and mark of every stream whose marked event is not in
/// the log at the marked revision: that index was made from another log.
fn forget_foreign_marks(connection: &Connection) -> rusqlite::Result<()> {
    let foreign: Vec<String> = connection
        .prepare(
            "SELECT m.stream FROM main.index_marks m
             WHERE NOT EXISTS (SELECT 1 FROM log.events e
                 WHERE e.stream = m.stream AND e.revision = m.through AND e.event_id = m.event_id)",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for stream in foreign {
        tracing::warn!(%stream, "the index beside the log was made from another log; filing it again");
        forget_stream(connection, &stream)?;
    }
    Ok(())
}

/// Drops a stream's entries and mark from the index file opened as
/// `main`: the stream is then filed again from the log.
pub(in crate::store) fn forget_stream(
    connection: &Connection,
    stream: &str,
) -> rusqlite::Result<()> {
    connection.execute(
        "DELETE FROM main.index_entries
         WHERE stream = (SELECT id FROM main.index_streams WHERE stream = ?1)",
        [stream],
    )?;
    connection.execute("DELETE FROM main.index_marks WHERE stream = ?1", [stream])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries go in many to a statement, the rest one by one: every
    /// entry is filed once, a repeated one no more than once.
    #[tokio::test]
    async fn a_filing_keeps_every_entry_once_whatever_its_size() {
        use crate::store::{EventStore, ExpectedRevision};
        let directory = tempfile::tempdir().unwrap();
        let log = directory.path().join("agora.db");
        let store = crate::store::SqliteStore::open(&log).unwrap();
        let events = crate::audit::tests::chain(1, usize::MAX);
        store
            .append("community-demo", ExpectedRevision::NoStream, events)
            .await
            .unwrap();
        store.shutdown().await;
        drop(store);
        let mut writer = IndexWriter::open(&log).unwrap();
        let entry = |n: usize| IndexEntry {
            key: format!("k{}", n % 150),
            revision: 0,
        };

        // Keys k0, k1… repeat after k149: the distinct ones filed so far.
        let mut distinct = 0;
        for size in [1, INSERT_ROWS - 1, INSERT_ROWS, 2 * INSERT_ROWS + 5, 300] {
            let entries: Vec<IndexEntry> = (0..size).map(entry).collect();
            writer.file("community-demo", &entries, 0).unwrap().unwrap();
            let filed: i64 = writer
                .connection
                .query_row("SELECT count(*) FROM main.index_entries", [], |row| {
                    row.get(0)
                })
                .unwrap();
            distinct = size.min(150).max(distinct);
            assert_eq!(filed as usize, distinct, "after a filing of {size}");
        }
        assert_eq!(distinct, 150, "k0 to k149, each once");
    }

    /// An index of the earlier layout (each entry naming its stream) is
    /// dropped whole, entries and marks together, so that its streams are
    /// filed again from the log; nothing of it is read as the new layout.
    /// An index file SQLite cannot read (cut short, or its first bytes
    /// overwritten) does not stop the store from opening: it is set aside
    /// and the index starts empty, to be filed again from the log.
    #[tokio::test]
    async fn a_damaged_index_is_set_aside_and_started_afresh() {
        use crate::store::{EventStore, ExpectedRevision};
        for damage in ["cut short", "overwritten"] {
            let directory = tempfile::tempdir().unwrap();
            let log = directory.path().join("agora.db");
            let store = crate::store::SqliteStore::open(&log).unwrap();
            let events = crate::audit::tests::chain(300, usize::MAX);
            store
                .append("community-demo", ExpectedRevision::NoStream, events)
                .await
                .unwrap();
            let entries = (0..300)
                .map(|revision| IndexEntry {
                    key: format!("k{revision}"),
                    revision,
                })
                .collect();
            store
                .file_index("community-demo", entries, 299)
                .await
                .unwrap();
            assert_eq!(store.index_mark("community-demo").await.unwrap(), Some(299));
            store.shutdown().await;
            drop(store);
            let index = index_path(&log);
            let size = std::fs::metadata(&index).unwrap().len();
            match damage {
                "cut short" => std::fs::File::options()
                    .write(true)
                    .open(&index)
                    .unwrap()
                    .set_len(size / 2)
                    .unwrap(),
                _ => std::fs::write(&index, vec![0x5a; size as usize]).unwrap(),
            }

            let store = crate::store::SqliteStore::open(&log).unwrap();

            assert_eq!(
                store.index_mark("community-demo").await.unwrap(),
                None,
                "{damage}"
            );
            assert_eq!(
                store
                    .read_stream("community-demo", 0, 1_000)
                    .await
                    .unwrap()
                    .len(),
                300
            );
            let aside = directory.path().join("agora.db-index.damaged");
            assert!(std::fs::metadata(aside).unwrap().len() > 0, "{damage}");
            store.shutdown().await;
        }
    }

    #[test]
    fn an_index_of_the_earlier_layout_is_dropped_with_its_marks() {
        let directory = tempfile::tempdir().unwrap();
        let log = directory.path().join("agora.db");
        drop(crate::store::SqliteStore::open(&log).unwrap());
        let index = index_path(&log);
        for suffix in ["", "-wal", "-shm"] {
            let mut path = index.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
        Connection::open(&index)
            .unwrap()
            .execute_batch(
                "CREATE TABLE event_index (stream TEXT NOT NULL, key TEXT NOT NULL,
                     revision INTEGER NOT NULL, PRIMARY KEY (stream, key, revision))
                     STRICT, WITHOUT ROWID;
                 CREATE TABLE index_marks (stream TEXT PRIMARY KEY, through INTEGER NOT NULL,
                     event_id BLOB NOT NULL) STRICT;
                 INSERT INTO event_index VALUES ('community-demo', 'k', 0);
                 INSERT INTO index_marks VALUES ('community-demo', 0, x'00');",
            )
            .unwrap();

        let writer = IndexWriter::open(&log).unwrap();

        let tables: Vec<String> = writer
            .connection
            .prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(tables, ["index_entries", "index_marks", "index_streams"]);
        let marks: i64 = writer
            .connection
            .query_row("SELECT count(*) FROM main.index_marks", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(marks, 0, "no mark vouches for entries that are gone");
    }

    #[test]
    fn the_index_commits_without_waiting_for_the_disk_and_checkpoints_seldom() {
        let directory = tempfile::tempdir().unwrap();
        let log = directory.path().join("agora.db");
        let store = crate::store::SqliteStore::open(&log).unwrap();
        drop(store);
        let writer = IndexWriter::open(&log).unwrap();

        let synchronous: i64 = writer
            .connection
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        let checkpoint_pages: i64 = writer
            .connection
            .pragma_query_value(None, "wal_autocheckpoint", |row| row.get(0))
            .unwrap();

        assert_eq!(synchronous, 1, "NORMAL");
        assert_eq!(checkpoint_pages, INDEX_WAL_PAGES);
    }
}
