//! The PostgreSQL adapter, for several service instances on one store.
//!
//! - **One global order, no gaps.** Every append transaction takes the row
//!   of `agora_log_head` for update before it writes, and gives its events
//!   the positions that follow the head. Appends therefore commit one after
//!   the other, across every instance, and positions are contiguous and in
//!   commit order: a reader that sees position `p` sees everything before it.
//! - **Expected revisions enforced by the database.** Under that lock, each
//!   append reads its stream's last revision from `agora_streams` and is
//!   refused if it is not the one expected; nothing else can write between
//!   the check and the insert.
//! - **Group commit.** One writer task per instance takes every append
//!   waiting in its queue, checks each (a refused append leaves its batch
//!   mates alone), writes them in one transaction and answers each caller
//!   once the commit is durable. Reads go through a pool of connections.
//! - **Subscriptions woken by LISTEN/NOTIFY.** Each commit notifies the new
//!   head on a channel of its schema; every instance listens, and its
//!   subscribers read the log from where they are when the head moves. The
//!   head is also read every [`HEAD_POLL_EVERY`], should a notification be
//!   lost with a dropped connection.
//! - Personal-data keys, snapshots, verified marks and the index beside the
//!   log are tables of the same schema; a deleted key's row is vacuumed at
//!   once (see ADR 11 for what else an erasure needs from an operator).
//!
//! The schema is the connection's `search_path` (`public` unless the URL
//! sets `options=-c search_path=…`): several ledgers can share a database.

mod schema;
mod tls;
mod writer;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_events::Hash;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use uuid::Uuid;

use super::subscription::{PageReader, cursor_after, first_position_after, follow};
use super::{
    APPEND_BYTES_MAX, AppendOutcome, BoxFuture, EventStore, ExpectedRevision, IndexEntry,
    IndexPage, KeyStore, LogCursor, ProposedEvent, READ_EVENTS_MAX, StoreError, StoredEvent,
    StoredKey, StoredSnapshot, Subscription, check_append_size, check_index_entries,
};
use tls::{Connection, Tls};
use writer::{AppendRequest, Writer};

/// Appends waiting for the writer before callers wait to enqueue.
pub const APPEND_QUEUE_REQUESTS_MAX: usize = 4_096;
/// Most appends committed together in one transaction.
pub const BATCH_REQUESTS_MAX: usize = 512;
/// Most events committed together in one transaction.
pub const BATCH_EVENTS_MAX: usize = 8_192;
/// Connections in the readers' pool.
const POOL_CONNECTIONS_MAX: usize = 8;
/// How long connecting to the server may take (unless the URL says
/// `connect_timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a read or an append waits for a free connection of the pool.
pub const POOL_WAIT_MAX: Duration = Duration::from_secs(10);
/// How often the head is read, besides notifications.
pub const HEAD_POLL_EVERY: Duration = Duration::from_secs(1);
/// Index entries inserted per statement.
const INDEX_ROWS_PER_STATEMENT: usize = 10_000;

const SELECT_EVENTS: &str =
    "SELECT stream, revision, position, event_id, event_type, data, metadata
     FROM agora_events";

/// The store in a PostgreSQL database.
pub struct PostgresStore {
    pool: Pool,
    queue: Mutex<Option<mpsc::Sender<AppendRequest>>>,
    writer_done: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    next_position: watch::Receiver<u64>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`,
    /// or libpq's `key=value` form), creates or migrates the schema, and
    /// starts the writer and the listener.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let Connection { url, tls } = Connection::of(url)?;
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|error| StoreError::Unavailable(format!("not a PostgreSQL URL: {error}")))?;
        // A server that does not answer is an error, not a wait without end.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager_config = || ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &tls {
            Tls::Plain => Manager::from_config(config.clone(), NoTls, manager_config()),
            Tls::Verified(connector) => {
                Manager::from_config(config.clone(), connector.clone(), manager_config())
            }
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_CONNECTIONS_MAX)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(POOL_WAIT_MAX))
            .build()
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let channel = {
            let mut client = pool.get().await.map_err(pool_error)?;
            schema::migrate(&mut client).await?
        };
        let next_position = read_head(&pool).await?;
        let (head, head_receiver) = watch::channel(next_position);
        let head = Arc::new(head);
        let listener = tokio::spawn(listen(
            config,
            tls,
            channel.clone(),
            pool.clone(),
            Arc::clone(&head),
        ));
        let (queue, requests) = mpsc::channel(APPEND_QUEUE_REQUESTS_MAX);
        let (done, writer_done) = oneshot::channel();
        let writer = Writer {
            pool: pool.clone(),
            head,
            channel,
        };
        tokio::spawn(async move {
            writer.run(requests).await;
            let _ = done.send(());
        });
        Ok(Self {
            pool,
            queue: Mutex::new(Some(queue)),
            writer_done: tokio::sync::Mutex::new(Some(writer_done)),
            next_position: head_receiver,
            listener: Mutex::new(Some(listener)),
        })
    }

    /// Checks a URL as [`open`](Self::open) reads it, without connecting.
    pub fn check_url(url: &str) -> Result<(), StoreError> {
        tls::client_url(url)?
            .parse::<tokio_postgres::Config>()
            .map(drop)
            .map_err(|error| StoreError::Unavailable(error.to_string()))
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Keeps a snapshot in the stream's row, over the one there when the
    /// row meets `condition` (after `ON CONFLICT … DO UPDATE SET …`).
    async fn upsert_snapshot(
        &self,
        stream: &str,
        revision: u64,
        data: Vec<u8>,
        condition: &str,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = format!(
            "INSERT INTO agora_snapshots (stream, revision, data) VALUES ($1, $2, $3)
             ON CONFLICT (stream) DO UPDATE
                 SET revision = excluded.revision, data = excluded.data
             {condition}"
        );
        client
            .execute(&statement, &[&stream, &to_sql(revision)?, &data])
            .await
            .map(drop)
            .map_err(translate)
    }
}

/// Follows the head: from every notification on `channel`, and from a read
/// every [`HEAD_POLL_EVERY`]; reconnects when the connection drops. Ends
/// when aborted at shutdown.
async fn listen(
    config: tokio_postgres::Config,
    tls: Tls,
    channel: String,
    pool: Pool,
    head: Arc<watch::Sender<u64>>,
) {
    loop {
        if let Err(error) = listen_once(&config, &tls, &channel, &pool, &head).await {
            tracing::warn!(%error, "the PostgreSQL listener lost its connection; reconnecting");
        }
        tokio::time::sleep(HEAD_POLL_EVERY).await;
    }
}

/// A connection of its own for notifications: its client, the task that
/// drives it, and each notification's payload as it comes.
type Notifications = (
    tokio_postgres::Client,
    JoinHandle<()>,
    mpsc::UnboundedReceiver<String>,
);

async fn connect_for_notifications(
    config: &tokio_postgres::Config,
    tls: &Tls,
) -> Result<Notifications, StoreError> {
    Ok(match tls {
        Tls::Plain => {
            let (client, connection) = config.connect(NoTls).await.map_err(translate)?;
            drive(client, connection)
        }
        Tls::Verified(connector) => {
            let (client, connection) =
                config.connect(connector.clone()).await.map_err(translate)?;
            drive(client, connection)
        }
    })
}

/// Drives a connection, handing each notification's payload over.
fn drive<S, T>(
    client: tokio_postgres::Client,
    mut connection: tokio_postgres::Connection<S, T>,
) -> Notifications
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (notified, notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(note))) => {
                    if notified.send(note.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            }
        }
    });
    (client, driver, notifications)
}

async fn listen_once(
    config: &tokio_postgres::Config,
    tls: &Tls,
    channel: &str,
    pool: &Pool,
    head: &watch::Sender<u64>,
) -> Result<(), StoreError> {
    let (client, driver, mut notifications) = connect_for_notifications(config, tls).await?;
    let listened = async {
        client
            .batch_execute(&format!("LISTEN {}", schema::quoted(channel)))
            .await
            .map_err(translate)?;
        // Whatever was committed before the LISTEN took effect.
        move_head(head, read_head(pool).await?);
        let mut poll = tokio::time::interval(HEAD_POLL_EVERY);
        loop {
            tokio::select! {
                note = notifications.recv() => match note {
                    Some(payload) => {
                        if let Ok(next) = payload.parse() {
                            move_head(head, next);
                        }
                    }
                    None => return Err(StoreError::Unavailable("the listener's connection closed".into())),
                },
                _ = poll.tick() => move_head(head, read_head(pool).await?),
            }
        }
    };
    let ended = listened.await;
    driver.abort();
    ended
}

/// Moves the head forward; never back.
fn move_head(head: &watch::Sender<u64>, next: u64) {
    head.send_if_modified(|current| {
        let moved = next > *current;
        if moved {
            *current = next;
        }
        moved
    });
}

async fn read_head(pool: &Pool) -> Result<u64, StoreError> {
    let client = pool.get().await.map_err(pool_error)?;
    let row = client
        .query_one("SELECT next_position FROM agora_log_head", &[])
        .await
        .map_err(translate)?;
    Ok(from_sql(row.get(0)))
}

impl EventStore for PostgresStore {
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>> {
        Box::pin(async move {
            check_append_size(&events, APPEND_BYTES_MAX)?;
            let gone = || StoreError::Unavailable("the store is shut down".into());
            let queue = lock(&self.queue).clone().ok_or_else(gone)?;
            let (reply, answer) = oneshot::channel();
            let request = AppendRequest {
                stream: stream.to_owned(),
                expected,
                events,
                reply,
            };
            queue.send(request).await.map_err(|_| gone())?;
            answer
                .await
                .map_err(|_| StoreError::Unavailable("the writer stopped".into()))?
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let select = client
                .prepare_cached(&format!(
                    "{SELECT_EVENTS} WHERE stream = $1 AND revision >= $2
                     ORDER BY revision LIMIT $3"
                ))
                .await
                .map_err(translate)?;
            let rows = client
                .query(&select, &[&stream, &to_sql(from)?, &page_limit(limit)])
                .await
                .map_err(translate)?;
            rows.iter().map(row_to_event).collect()
        })
    }

    fn read_all(
        &self,
        from: LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(read_all(self.pool.clone(), from, limit))
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
            let mut client = self.client().await?;
            // One snapshot of the database: the count and the page agree.
            let transaction = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(translate)?;
            let through = to_sql(through)?;
            let count = transaction
                .prepare_cached(
                    "SELECT COUNT(*) FROM agora_index
                     WHERE stream = $1 AND key = $2 AND revision <= $3",
                )
                .await
                .map_err(translate)?;
            let total: i64 = transaction
                .query_one(&count, &[&stream, &key, &through])
                .await
                .map_err(translate)?
                .get(0);
            let select = transaction
                .prepare_cached(
                    "SELECT e.stream, e.revision, e.position, e.event_id, e.event_type,
                            e.data, e.metadata
                     FROM agora_index i
                     JOIN agora_events e ON e.stream = i.stream AND e.revision = i.revision
                     WHERE i.stream = $1 AND i.key = $2 AND i.revision <= $3
                     ORDER BY i.revision OFFSET $4 LIMIT $5",
                )
                .await
                .map_err(translate)?;
            let rows = transaction
                .query(
                    &select,
                    &[&stream, &key, &through, &to_sql(skip)?, &page_limit(limit)],
                )
                .await
                .map_err(translate)?;
            transaction.commit().await.map_err(translate)?;
            Ok(IndexPage {
                total: from_sql(total),
                events: rows.iter().map(row_to_event).collect::<Result<_, _>>()?,
            })
        })
    }

    fn read_index_first<'a>(
        &'a self,
        stream: &'a str,
        keys: Vec<String>,
        through: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Vec<StoredEvent>>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            // Every key in one round trip: the first events of each, by key.
            let select = client
                .prepare_cached(
                    "SELECT k.ordinal, e.stream, e.revision, e.position, e.event_id,
                            e.event_type, e.data, e.metadata
                     FROM UNNEST($2::text[]) WITH ORDINALITY AS k(key, ordinal)
                     CROSS JOIN LATERAL (
                         SELECT i.revision FROM agora_index i
                         WHERE i.stream = $1 AND i.key = k.key AND i.revision <= $3
                         ORDER BY i.revision LIMIT $4
                     ) AS i
                     JOIN agora_events e ON e.stream = $1 AND e.revision = i.revision
                     ORDER BY k.ordinal, e.revision",
                )
                .await
                .map_err(translate)?;
            let rows = client
                .query(
                    &select,
                    &[&stream, &keys, &to_sql(through)?, &page_limit(limit)],
                )
                .await
                .map_err(translate)?;
            let mut pages = vec![Vec::new(); keys.len()];
            for row in &rows {
                let ordinal: i64 = row.get(0);
                let page = usize::try_from(ordinal - 1)
                    .ok()
                    .and_then(|at| pages.get_mut(at))
                    .ok_or_else(|| StoreError::Corrupt("a key the query was not given".into()))?;
                page.push(event_at(row, 1)?);
            }
            Ok(pages)
        })
    }

    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT through FROM agora_index_marks WHERE stream = $1",
                    &[&stream],
                )
                .await
                .map_err(translate)?;
            Ok(row.map(|row| from_sql(row.get(0))))
        })
    }

    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            check_index_entries(&entries, through)?;
            let mut client = self.client().await?;
            let transaction = client.transaction().await.map_err(translate)?;
            let through = to_sql(through)?;
            let marked = transaction
                .query_opt(
                    "SELECT 1 FROM agora_events WHERE stream = $1 AND revision = $2",
                    &[&stream, &through],
                )
                .await
                .map_err(translate)?;
            if marked.is_none() {
                return Err(StoreError::InvalidAppend(format!(
                    "index mark {through} is past the end of {stream}"
                )));
            }
            let insert = transaction
                .prepare_cached(
                    "INSERT INTO agora_index (stream, key, revision)
                     SELECT $1, key, revision FROM UNNEST($2::text[], $3::bigint[]) AS e(key, revision)
                     ON CONFLICT DO NOTHING",
                )
                .await
                .map_err(translate)?;
            for chunk in entries.chunks(INDEX_ROWS_PER_STATEMENT) {
                let keys: Vec<&str> = chunk.iter().map(|entry| entry.key.as_str()).collect();
                let revisions = chunk
                    .iter()
                    .map(|entry| to_sql(entry.revision))
                    .collect::<Result<Vec<_>, _>>()?;
                transaction
                    .execute(&insert, &[&stream, &keys, &revisions])
                    .await
                    .map_err(translate)?;
            }
            transaction
                .execute(
                    "INSERT INTO agora_index_marks (stream, through) VALUES ($1, $2)
                     ON CONFLICT (stream) DO UPDATE SET through = excluded.through
                     WHERE agora_index_marks.through < excluded.through",
                    &[&stream, &through],
                )
                .await
                .map_err(translate)?;
            transaction.commit().await.map_err(translate)
        })
    }

    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query("SELECT stream FROM agora_streams", &[])
                .await
                .map_err(translate)?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        })
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Instances save their snapshots independently: an older one never
        // replaces a newer one.
        Box::pin(self.upsert_snapshot(
            stream,
            revision,
            data,
            "WHERE agora_snapshots.revision <= excluded.revision",
        ))
    }

    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.upsert_snapshot(stream, revision, data, ""))
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT revision, data FROM agora_snapshots WHERE stream = $1",
                    &[&stream],
                )
                .await
                .map_err(translate)?;
            Ok(row.map(|row| (from_sql(row.get(0)), row.get(1))))
        })
    }

    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO agora_verified_marks (stream, revision, head) VALUES ($1, $2, $3)
                     ON CONFLICT (stream) DO UPDATE
                         SET revision = excluded.revision, head = excluded.head",
                    &[&stream, &to_sql(revision)?, &head.0.as_slice()],
                )
                .await
                .map(drop)
                .map_err(translate)
        })
    }

    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, Hash)>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT revision, head FROM agora_verified_marks WHERE stream = $1",
                    &[&stream],
                )
                .await
                .map_err(translate)?;
            row.map(|row| {
                let head: Vec<u8> = row.get(1);
                let head: [u8; 32] = head.try_into().map_err(|_| {
                    StoreError::Corrupt(format!("the verified mark of {stream} is not a hash"))
                })?;
                Ok((from_sql(row.get(0)), Hash(head)))
            })
            .transpose()
        })
    }

    fn advance_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        from: Option<(u64, Hash)>,
        to: (u64, Hash),
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let (revision, head) = (to_sql(to.0)?, to.1.0.as_slice());
            let moved = match from {
                None => {
                    client
                        .execute(
                            "INSERT INTO agora_verified_marks (stream, revision, head)
                             VALUES ($1, $2, $3) ON CONFLICT (stream) DO NOTHING",
                            &[&stream, &revision, &head],
                        )
                        .await
                }
                Some((from_revision, from_head)) => {
                    client
                        .execute(
                            "UPDATE agora_verified_marks SET revision = $2, head = $3
                             WHERE stream = $1 AND revision = $4 AND head = $5",
                            &[
                                &stream,
                                &revision,
                                &head,
                                &to_sql(from_revision)?,
                                &from_head.0.as_slice(),
                            ],
                        )
                        .await
                }
            };
            Ok(moved.map_err(translate)? == 1)
        })
    }

    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query("SELECT stream FROM agora_verified_marks", &[])
                .await
                .map_err(translate)?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        })
    }

    fn end_cursor(&self) -> BoxFuture<'_, Result<LogCursor, StoreError>> {
        Box::pin(async move { Ok(LogCursor::from_store(read_head(&self.pool).await?, 0)) })
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn subscribe_all(&self, from: LogCursor) -> Subscription {
        let pool = self.pool.clone();
        let read_page: PageReader =
            Arc::new(move |from, limit| Box::pin(read_all(pool.clone(), from, limit)));
        follow(read_page, self.next_position.clone(), from)
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let writer_running = lock(&self.queue).as_ref().is_some_and(|q| !q.is_closed());
            if !writer_running {
                return Err(StoreError::Unavailable("the writer is not running".into()));
            }
            let client = self.client().await?;
            client
                .query_one("SELECT 1", &[])
                .await
                .map(drop)
                .map_err(translate)
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            lock(&self.queue).take();
            if let Some(done) = self.writer_done.lock().await.take() {
                let _ = done.await;
            }
            let listener = lock(&self.listener).take();
            if let Some(listener) = listener {
                listener.abort();
                let _ = listener.await;
            }
            // The pool stays open: what was recorded can still be read.
        })
    }
}

impl KeyStore for PostgresStore {
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO agora_keys (id, key) VALUES ($1, $2)
                     ON CONFLICT (id) DO UPDATE SET key = excluded.key",
                    &[&id, &key],
                )
                .await
                .map(drop)
                .map_err(translate)
        })
    }

    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            client
                .execute("DELETE FROM agora_keys WHERE id = $1", &[&id])
                .await
                .map_err(translate)?;
            // The deleted row stays in the table's pages until a vacuum
            // reclaims them: reclaim them now. Best effort: autovacuum
            // does it later anyway.
            if let Err(error) = client.batch_execute("VACUUM agora_keys").await {
                tracing::warn!(%error, "could not vacuum the keys' table after an erasure");
            }
            Ok(())
        })
    }

    fn load_key(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_opt("SELECT key FROM agora_keys WHERE id = $1", &[&id])
                .await
                .map_err(translate)?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query("SELECT id, key FROM agora_keys ORDER BY id", &[])
                .await
                .map_err(translate)?;
            Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        })
    }
}

async fn read_all(
    pool: Pool,
    after: LogCursor,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let from = first_position_after(after);
    let client = pool.get().await.map_err(pool_error)?;
    let select = client
        .prepare_cached(&format!(
            "{SELECT_EVENTS} WHERE position >= $1 ORDER BY position LIMIT $2"
        ))
        .await
        .map_err(translate)?;
    let rows = client
        .query(&select, &[&to_sql(from)?, &page_limit(limit)])
        .await
        .map_err(translate)?;
    rows.iter().map(row_to_event).collect()
}

fn row_to_event(row: &Row) -> Result<StoredEvent, StoreError> {
    event_at(row, 0)
}

/// The event in `row`'s columns from `first` on.
fn event_at(row: &Row, first: usize) -> Result<StoredEvent, StoreError> {
    let position = from_sql(row.try_get(first + 2).map_err(translate)?);
    Ok(StoredEvent {
        stream: row.try_get(first).map_err(translate)?,
        revision: from_sql(row.try_get(first + 1).map_err(translate)?),
        position,
        cursor: cursor_after(position),
        event_id: row.try_get(first + 3).map_err(translate)?,
        event_type: row.try_get(first + 4).map_err(translate)?,
        data: row.try_get(first + 5).map_err(translate)?,
        metadata: row.try_get(first + 6).map_err(translate)?,
    })
}

fn page_limit(limit: usize) -> i64 {
    limit.min(READ_EVENTS_MAX) as i64
}

/// A revision or position as PostgreSQL's `bigint`.
fn to_sql(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::InvalidAppend(format!("{value} is beyond what the store counts")))
}

/// A stored `bigint` that the store only ever writes from a `u64`.
fn from_sql(value: i64) -> u64 {
    value.max(0) as u64
}

fn translate(error: tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable(format!("PostgreSQL: {}", with_causes(&error)))
}

fn pool_error(error: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Unavailable(format!("PostgreSQL: {}", with_causes(&error)))
}

/// An error with what caused it, down the chain (a TLS handshake's error
/// says why the certificate was refused only in its source).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    message
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
