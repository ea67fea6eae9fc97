//! The KurrentDB (EventStoreDB) store, on the official gRPC client
//! (`kurrentdb`), for several instances on one cluster.
//!
//! Everything the ledger records lives under one **namespace** of the
//! database (`agora` unless the URL says `namespace=`), so that several
//! ledgers, or tests, can share a cluster:
//! - each ledger stream is the stream `{ns}/log/{stream}`; its revisions are
//!   KurrentDB's own, and expected revisions map one to one;
//! - `{ns}/streams` lists the streams, one event each when first written;
//! - each personal-data key is the only event of `{ns}/key/{id}`, listed in
//!   `{ns}/keys`; destroying it tombstones that stream (see ADR 12 for what
//!   makes it physical);
//! - the whole log is `$all` read with a server-side filter on the prefix
//!   `{ns}/log/`, which leaves out system events, keys and other ledgers.
//!
//! Positions in `$all` are pairs (commit, prepare) with gaps. An event's
//! [`StoredEvent::position`] is its prepare position, unique and increasing
//! along `$all`; its cursor holds both numbers, the commit one plus one so
//! that no event's cursor is [`LogCursor::START`].
//!
//! The index of the log's events, snapshots and verified marks are derived
//! data and stay on the instance's own disk (`side=PATH`; in memory when
//! not given): see `side`.

mod side;

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use agora_events::Hash;
use bytes::Bytes;
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, CurrentRevision, EventData, Position,
    ReadAllOptions, ReadStreamOptions, ResolvedEvent, StreamMetadata, StreamPosition, StreamState,
    SubscribeToAllOptions, SubscriptionEvent, SubscriptionFilter, TombstoneStreamOptions,
};
use tokio::sync::{RwLock, mpsc, watch};
use uuid::Uuid;

use side::Side;

use super::sqlite::lock;
use super::subscription::SUBSCRIPTION_BUFFER_EVENTS_MAX;
use super::{
    AppendOutcome, BoxFuture, EventStore, ExpectedRevision, IndexEntry, IndexPage, KeyStore,
    LogCursor, ProposedEvent, READ_EVENTS_MAX, StoreError, StoredEvent, StoredKey, StoredSnapshot,
    Subscription, check_append_size, check_index_entries,
};

/// The namespace when the URL names none.
pub const DEFAULT_NAMESPACE: &str = "agora";
/// How long one read of a stream may take before it is an error.
const READ_DEADLINE: Duration = Duration::from_secs(10);
/// How long one filtered read of `$all` may take: the server may scan far
/// past other ledgers' events to find this one's.
const FILTERED_READ_DEADLINE: Duration = Duration::from_secs(120);
/// The server's default `MaxAppendSize`.
const MAX_APPEND_SIZE_DEFAULT: usize = 1 << 20;
/// What the server counts for each event beyond its data and metadata (its
/// id, type and framing), at most.
const EVENT_OVERHEAD_BYTES: usize = 256;
/// Tries of an append (or of reading it back) whose outcome is unknown.
const APPEND_TRIES: u32 = 4;
/// The pause before the first retry; doubled before each next one.
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// Events a subscription reads per page while it drains at shutdown.
const DRAIN_PAGE_EVENTS: usize = 512;
/// Keys read at once when all are loaded.
const KEY_READS_AT_ONCE: usize = 32;
/// The type of a key's event.
const KEY_EVENT_TYPE: &str = "AgoraKey";
/// The type of a directory's entries.
const LISTED_EVENT_TYPE: &str = "AgoraListed";

/// Where a KurrentDB store is: the client's settings, and ours.
#[derive(Debug, Clone)]
pub struct KurrentLocation {
    pub settings: ClientSettings,
    pub namespace: String,
    pub side: Option<PathBuf>,
    /// The server's `MaxAppendSize`: most bytes one append may carry, as
    /// the server counts them.
    pub max_append_size: usize,
}

impl KurrentLocation {
    /// Reads a connection string as the client does (`kurrentdb://`,
    /// `esdb://`, their `+discover` forms…), with settings of ours taken
    /// out of its query: `namespace=NAME`, `side=PATH` and
    /// `maxAppendSize=BYTES` (the server's setting of that name, 1 MiB
    /// unless it was raised). Appends and reads go to the leader: a
    /// follower may not have an append yet when its events are read back.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut namespace, mut side, mut kept) = (None, None, Vec::new());
        let mut max_append_size = MAX_APPEND_SIZE_DEFAULT;
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name.to_ascii_lowercase().as_str() {
                "namespace" => namespace = Some(value.to_owned()),
                "side" => side = Some(PathBuf::from(value)),
                "maxappendsize" => {
                    max_append_size = value
                        .parse()
                        .ok()
                        .filter(|size| *size >= MAX_APPEND_SIZE_DEFAULT)
                        .ok_or_else(|| {
                            format!("maxAppendSize={value}: a number of bytes, at least 1048576")
                        })?;
                }
                "nodepreference" if !value.eq_ignore_ascii_case("leader") => {
                    return Err(format!(
                        "nodePreference={value}: the ledger reads and writes on the leader"
                    ));
                }
                _ => kept.push(pair),
            }
        }
        let namespace = namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        let fit = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if namespace.is_empty() || !namespace.chars().all(fit) {
            return Err(format!(
                "namespace {namespace:?}: use letters, digits, '-', '_' or '.'"
            ));
        }
        if side
            .as_ref()
            .is_some_and(|side| side.as_os_str().is_empty())
        {
            return Err("side= names no file".into());
        }
        let client_url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let settings = client_url
            .parse::<ClientSettings>()
            .map_err(|error| error.to_string())?;
        Ok(Self {
            settings,
            namespace,
            side,
            max_append_size,
        })
    }
}

/// The names of what a ledger keeps in the database.
#[derive(Debug, Clone)]
struct Names {
    log_prefix: String,
    streams: String,
    key_prefix: String,
    keys: String,
}

impl Names {
    fn new(namespace: &str) -> Self {
        Self {
            log_prefix: format!("{namespace}/log/"),
            streams: format!("{namespace}/streams"),
            key_prefix: format!("{namespace}/key/"),
            keys: format!("{namespace}/keys"),
        }
    }

    fn log(&self, stream: &str) -> String {
        format!("{}{stream}", self.log_prefix)
    }

    fn key(&self, id: Uuid) -> String {
        format!("{}{id}", self.key_prefix)
    }

    /// The server-side filter of `$all` that leaves only the ledger's log.
    fn log_filter(&self) -> SubscriptionFilter {
        SubscriptionFilter::on_stream_name().add_prefix(&self.log_prefix)
    }
}

/// A KurrentDB database (a single node or a cluster) as an event store.
pub struct KurrentStore {
    client: Client,
    names: Names,
    side: Side,
    /// Appends hold it shared while they run; shutdown takes it alone and
    /// says `false`, so it waits for appends under way and refuses the rest.
    taking_appends: RwLock<bool>,
    /// Says `true` once the store shuts down: subscriptions deliver what was
    /// recorded and end.
    shut_down: watch::Sender<bool>,
    /// Streams this process listed in `{ns}/streams` or found there.
    listed: Mutex<HashSet<String>>,
    /// Most bytes of data and metadata per append (see `append_bytes_max`).
    append_bytes_max: usize,
}

impl KurrentStore {
    /// Connects to the database `url` names, opens the side, checks the
    /// server answers, and forgets index marks another log made.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let location = KurrentLocation::parse(url).map_err(StoreError::Unavailable)?;
        let client = Client::new(location.settings.clone())
            .map_err(|error| StoreError::Unavailable(format!("cannot make the client: {error}")))?;
        let side_path = location.side.clone();
        let side = tokio::task::spawn_blocking(move || Side::open(side_path.as_deref()))
            .await
            .map_err(|error| StoreError::Unavailable(error.to_string()))??;
        if location.side.is_none() {
            tracing::warn!(
                "no side= file for the KurrentDB store: its index and snapshots are kept in \
                 memory and made again at each start"
            );
        }
        let store = Self {
            client,
            names: Names::new(&location.namespace),
            side,
            taking_appends: RwLock::new(true),
            shut_down: watch::Sender::new(false),
            listed: Mutex::new(HashSet::new()),
            // Room left for what the server counts beside the bytes.
            append_bytes_max: location.max_append_size
                - super::APPEND_EVENTS_MAX * EVENT_OVERHEAD_BYTES,
        };
        store.ping().await?;
        store.forget_foreign_marks().await?;
        Ok(store)
    }

    /// Drops the index of every stream whose marked event is not in the log
    /// at the marked revision: that side was made from another log.
    async fn forget_foreign_marks(&self) -> Result<(), StoreError> {
        for (stream, through, id) in self.side.index_marks().await? {
            let event = self.event_at(&stream, through).await?;
            if event.is_none_or(|event| event.event_id != id) {
                tracing::warn!(%stream, "the side file was made from another log; filing it again");
                self.side.forget_index(stream).await?;
            }
        }
        Ok(())
    }

    /// The event of `stream` at `revision`, if the log holds it.
    async fn event_at(
        &self,
        stream: &str,
        revision: u64,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let mut read = read_stream(&self.client, &self.names, stream, revision, 1).await?;
        Ok(read.pop().filter(|event| event.revision == revision))
    }

    /// Lists `stream` in `{ns}/streams` before its first append, once per
    /// process. An append that names an exact revision finds the stream
    /// there already (or fails). A listed stream whose first append failed
    /// is left out when the list is read.
    async fn list(&self, stream: &str, expected: ExpectedRevision) -> Result<(), StoreError> {
        if matches!(expected, ExpectedRevision::Exact(_)) || lock(&self.listed).contains(stream) {
            return Ok(());
        }
        self.add_to_listing(&self.names.streams, Bytes::from(stream.to_owned()))
            .await?;
        lock(&self.listed).insert(stream.to_owned());
        Ok(())
    }

    /// Adds an entry (a name or an id) to a listing stream.
    async fn add_to_listing(&self, listing: &str, entry: Bytes) -> Result<(), StoreError> {
        let entry = EventData::binary(LISTED_EVENT_TYPE, entry);
        self.client
            .append_to_stream(listing, &AppendToStreamOptions::default(), entry)
            .await
            .map(drop)
            .map_err(translate)
    }

    /// Reads a stream whose events each hold a name or id.
    async fn listing(&self, stream: &str) -> Result<Vec<Bytes>, StoreError> {
        let mut entries = Vec::new();
        let mut from = 0;
        loop {
            let page = read_raw(&self.client, stream, from, READ_EVENTS_MAX)
                .await
                .map_err(translate)?;
            let Some(last) = page.last() else {
                return Ok(entries);
            };
            from = last.get_original_event().revision + 1;
            entries.extend(
                page.iter()
                    .map(|event| event.get_original_event().data.clone()),
            );
        }
    }
}

/// The client's expectation for ours.
fn stream_state(expected: ExpectedRevision) -> StreamState {
    match expected {
        ExpectedRevision::Any => StreamState::Any,
        ExpectedRevision::NoStream => StreamState::NoStream,
        ExpectedRevision::Exact(revision) => StreamState::StreamRevision(revision),
    }
}

/// Maps the client's errors to the port's: the server's refusal of an
/// expected revision is handled by the caller; a deleted ledger stream is
/// damage; anything else (connection, leader change, deadline, access) is
/// `Unavailable`, and a retry may succeed.
fn translate(error: kurrentdb::Error) -> StoreError {
    match error {
        kurrentdb::Error::ResourceDeleted => {
            StoreError::Corrupt("a stream of the ledger was deleted in KurrentDB".into())
        }
        kurrentdb::Error::AccessDenied => StoreError::Unavailable(
            "KurrentDB refused access: check the user and password in the URL".into(),
        ),
        other => StoreError::Unavailable(format!("KurrentDB: {other}")),
    }
}

/// Whether an error leaves an append's outcome unknown, or says it was not
/// performed for a passing reason (a leader change, a connection lost, a
/// deadline, a commit timed out): trying the same append again is safe,
/// since the server answers a repeated append as it answered the first.
fn is_passing(error: &kurrentdb::Error) -> bool {
    use kurrentdb::Error as E;
    match error {
        E::ServerError(_)
        | E::NotLeaderException(_)
        | E::ConnectionClosed
        | E::GrpcConnectionError(_)
        | E::DeadlineExceeded => true,
        E::Grpc { code, .. } => matches!(
            code,
            tonic::Code::Aborted | tonic::Code::Unavailable | tonic::Code::ResourceExhausted
        ),
        _ => false,
    }
}

/// Runs `attempt` until it succeeds, fails for good, or has failed
/// [`APPEND_TRIES`] times for passing reasons, pausing longer each time.
async fn with_retries<T, F, Fut>(mut attempt: F) -> Result<T, kurrentdb::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kurrentdb::Error>>,
{
    let mut pause = RETRY_PAUSE;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if tries < APPEND_TRIES && is_passing(&error) => {
                tracing::info!(%error, tries, "KurrentDB did not answer; trying again");
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            done => return done,
        }
    }
}

/// A position of `$all` as a cursor just after its event.
fn cursor_after(position: Position) -> LogCursor {
    LogCursor::from_store(position.commit + 1, position.prepare)
}

/// The event's position a cursor was made from, `None` for the start.
fn position_of(cursor: LogCursor) -> Option<(u64, u64)> {
    match cursor.to_store() {
        (0, _) => None,
        (commit, prepare) => Some((commit - 1, prepare)),
    }
}

/// Where reading `$all` after `cursor` starts: at the cursor's own event,
/// which the caller skips (whether the server includes it or not).
fn start_after(cursor: LogCursor) -> StreamPosition<Position> {
    match position_of(cursor) {
        None => StreamPosition::Start,
        Some((commit, prepare)) => StreamPosition::Position(Position { commit, prepare }),
    }
}

/// An event read from the database, as the port gives it: `None` for an
/// event outside the ledger's log (a filter's stray). A system event in a
/// ledger stream (the tombstone of a deleted stream) is damage: the ledger
/// never deletes its streams.
fn stored(names: &Names, resolved: &ResolvedEvent) -> Result<Option<StoredEvent>, StoreError> {
    let recorded = resolved.get_original_event();
    let Some(stream) = recorded.stream_id().strip_prefix(&names.log_prefix) else {
        return Ok(None);
    };
    if recorded.event_type.starts_with('$') {
        return Err(StoreError::Corrupt(format!(
            "{stream} holds a {} record: it was deleted in KurrentDB",
            recorded.event_type
        )));
    }
    Ok(Some(StoredEvent {
        stream: stream.to_owned(),
        revision: recorded.revision,
        position: recorded.position.prepare,
        cursor: cursor_after(recorded.position),
        event_id: recorded.id,
        event_type: recorded.event_type.clone(),
        data: recorded.data.to_vec(),
        metadata: recorded.custom_metadata.to_vec(),
    }))
}

/// Up to `limit` events of a database stream from `from`, as recorded; a
/// stream that does not exist has none.
async fn read_raw(
    client: &Client,
    stream: &str,
    from: u64,
    limit: usize,
) -> Result<Vec<ResolvedEvent>, kurrentdb::Error> {
    let limit = limit.min(READ_EVENTS_MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let options = ReadStreamOptions::default()
        .position(StreamPosition::Position(from))
        .max_count(limit)
        .deadline(READ_DEADLINE);
    let mut read = match client.read_stream(stream, &options).await {
        Ok(read) => read,
        Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut events = Vec::new();
    loop {
        match read.next().await {
            Ok(Some(event)) => events.push(event),
            Ok(None) => return Ok(events),
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(error) => return Err(error),
        }
    }
}

/// Up to `limit` events of ledger stream `stream` from revision `from`.
async fn read_stream(
    client: &Client,
    names: &Names,
    stream: &str,
    from: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let read = read_raw(client, &names.log(stream), from, limit)
        .await
        .map_err(translate)?;
    let mut events = Vec::with_capacity(read.len());
    for event in &read {
        events.extend(stored(names, event)?);
    }
    Ok(events)
}

/// Up to `limit` events of the ledger's log after `after`.
async fn read_all(
    client: &Client,
    names: &Names,
    after: LogCursor,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let limit = limit.min(READ_EVENTS_MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let options = ReadAllOptions::default()
        .position(start_after(after))
        .filter(names.log_filter())
        // One more: the cursor's own event may come first.
        .max_count(limit + 1)
        .deadline(FILTERED_READ_DEADLINE);
    let mut read = client.read_all(&options).await.map_err(translate)?;
    let mut events = Vec::new();
    while events.len() < limit {
        match read.next().await.map_err(translate)? {
            Some(event) => {
                if let Some(event) = stored(names, &event)?.filter(|event| event.cursor > after) {
                    events.push(event);
                }
            }
            None => break,
        }
    }
    Ok(events)
}

/// Follows the log after `from` until the subscriber goes away, an error
/// ends the feed, or the store shuts down: then it delivers what was
/// recorded (read page by page) and ends.
async fn follow(
    client: Client,
    names: Names,
    from: LogCursor,
    mut shut_down: watch::Receiver<bool>,
    sender: mpsc::Sender<Result<StoredEvent, StoreError>>,
) {
    let mut cursor = from;
    let options = SubscribeToAllOptions::default()
        .position(start_after(from))
        .filter(names.log_filter());
    let mut subscription = client.subscribe_to_all(&options).await;
    loop {
        tokio::select! {
            next = subscription.next_subscription_event() => match next {
                Ok(SubscriptionEvent::EventAppeared(event)) => {
                    let event = match stored(&names, &event) {
                        Ok(Some(event)) if event.cursor > cursor => event,
                        Ok(_) => continue,
                        Err(error) => {
                            let _ = sender.send(Err(error)).await;
                            return;
                        }
                    };
                    cursor = event.cursor;
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                // Confirmations, checkpoints, caught up or fell behind.
                Ok(_) => {}
                Err(error) => {
                    let _ = sender.send(Err(translate(error))).await;
                    return;
                }
            },
            // (The guard `wait_for` gives is dropped at once: not `Send`.)
            () = async { drop(shut_down.wait_for(|down| *down).await) } => break,
            () = sender.closed() => return,
        }
    }
    loop {
        let page = match read_all(&client, &names, cursor, DRAIN_PAGE_EVENTS).await {
            Ok(page) if page.is_empty() => return,
            Ok(page) => page,
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        };
        for event in page {
            cursor = event.cursor;
            if sender.send(Ok(event)).await.is_err() {
                return;
            }
        }
    }
}

/// Consecutive revisions grouped: `(first, count)` each.
fn runs(revisions: &[u64]) -> Vec<(u64, usize)> {
    let mut runs: Vec<(u64, usize)> = Vec::new();
    for &revision in revisions {
        match runs.last_mut() {
            Some((first, count)) if *first + *count as u64 == revision => *count += 1,
            _ => runs.push((revision, 1)),
        }
    }
    runs
}

impl EventStore for KurrentStore {
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>> {
        Box::pin(async move {
            check_append_size(&events, self.append_bytes_max)?;
            let taking = self.taking_appends.read().await;
            if !*taking {
                return Err(StoreError::Unavailable("the store is shut down".into()));
            }
            let ids: Vec<Uuid> = events.iter().map(|event| event.event_id).collect();
            let Some(&first_id) = ids.first() else {
                // Nothing to write: say where the stream is, if it is where
                // the caller expects.
                let last = last_revision(&self.client, &self.names.log(stream)).await?;
                if !expected.is_met_by(last) {
                    return Err(StoreError::WrongExpectedRevision {
                        stream: stream.to_owned(),
                        expected,
                        actual: last,
                    });
                }
                return Ok(AppendOutcome {
                    last_revision: last,
                    positions: Vec::new(),
                });
            };
            self.list(stream, expected).await?;
            let data: Vec<EventData> = events
                .into_iter()
                .map(|event| {
                    EventData::binary(event.event_type, Bytes::from(event.data))
                        .id(event.event_id)
                        .metadata(Bytes::from(event.metadata))
                })
                .collect();
            let options = AppendToStreamOptions::default().stream_state(stream_state(expected));
            let name = self.names.log(stream);
            // Tried again, the same events at the same expectation, when the
            // outcome is unknown: the server answers a repeat as the first.
            let written = with_retries(|| {
                self.client
                    .append_to_stream(name.as_str(), &options, data.clone())
            })
            .await
            .map_err(|error| match error {
                // With `Any`, the server refuses only an append whose first
                // id is recorded and whose others are not.
                kurrentdb::Error::WrongExpectedVersion { .. }
                    if expected == ExpectedRevision::Any =>
                {
                    StoreError::DuplicateEvent(first_id)
                }
                kurrentdb::Error::WrongExpectedVersion { current, .. } => {
                    StoreError::WrongExpectedRevision {
                        stream: stream.to_owned(),
                        expected,
                        actual: match current {
                            CurrentRevision::Current(revision) => Some(revision),
                            CurrentRevision::NoStream => None,
                        },
                    }
                }
                kurrentdb::Error::Grpc {
                    code: tonic::Code::InvalidArgument,
                    message,
                } => StoreError::InvalidAppend(format!("KurrentDB refused the append: {message}")),
                other => translate(other),
            })?;
            // The server gives the position of the append, not of each
            // event: read them back (from the leader, which has them).
            let last = written.next_expected_version;
            let first = (last + 1).checked_sub(ids.len() as u64).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "{stream} ends at {last} after {} events",
                    ids.len()
                ))
            })?;
            let read = with_retries(|| read_raw(&self.client, &name, first, ids.len()))
                .await
                .map_err(translate)?;
            let read = read
                .iter()
                .map(|event| stored(&self.names, event))
                .collect::<Result<Option<Vec<_>>, _>>()?
                .unwrap_or_default();
            if read
                .iter()
                .map(|event| event.event_id)
                .ne(ids.iter().copied())
            {
                // Not this append's events: only an append with `Any` whose
                // ids were all recorded before is answered so.
                return Err(StoreError::DuplicateEvent(first_id));
            }
            Ok(AppendOutcome {
                last_revision: Some(last),
                positions: read.iter().map(|event| event.position).collect(),
            })
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(read_stream(&self.client, &self.names, stream, from, limit))
    }

    fn read_all(
        &self,
        from: LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(read_all(&self.client, &self.names, from, limit))
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
            let (total, revisions) = self.side.indexed(stream, key, through, skip, limit).await?;
            let mut events = Vec::with_capacity(revisions.len());
            for (first, count) in runs(&revisions) {
                let read = read_stream(&self.client, &self.names, stream, first, count).await?;
                if read.len() != count {
                    return Err(StoreError::Corrupt(format!(
                        "the index names events of {stream} from {first} the log does not hold"
                    )));
                }
                events.extend(read);
            }
            Ok(IndexPage { total, events })
        })
    }

    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        Box::pin(self.side.index_mark(stream))
    }

    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            check_index_entries(&entries, through)?;
            let Some(marked) = self.event_at(stream, through).await? else {
                return Err(StoreError::InvalidAppend(format!(
                    "index mark {through} is past the end of {stream}"
                )));
            };
            self.side
                .file(stream, entries, through, marked.event_id)
                .await
        })
    }

    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let listed: BTreeSet<String> = self
                .listing(&self.names.streams)
                .await?
                .into_iter()
                .filter_map(|name| String::from_utf8(name.to_vec()).ok())
                .collect();
            let mut streams = Vec::with_capacity(listed.len());
            for stream in listed {
                // A stream listed before a first append that failed has no
                // events: not a stream.
                if self.event_at(&stream, 0).await?.is_some() {
                    lock(&self.listed).insert(stream.clone());
                    streams.push(stream);
                }
            }
            Ok(streams)
        })
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.side.save_snapshot(stream, revision, data, false))
    }

    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.side.save_snapshot(stream, revision, data, true))
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>> {
        Box::pin(self.side.load_snapshot(stream))
    }

    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.side.save_verified_mark(stream, revision, head))
    }

    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, Hash)>, StoreError>> {
        Box::pin(self.side.load_verified_mark(stream))
    }

    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(self.side.marked_streams())
    }

    fn subscribe_all(&self, from: LogCursor) -> Subscription {
        let (sender, receiver) = mpsc::channel(SUBSCRIPTION_BUFFER_EVENTS_MAX);
        tokio::spawn(follow(
            self.client.clone(),
            self.names.clone(),
            from,
            self.shut_down.subscribe(),
            sender,
        ));
        Subscription::from_receiver(receiver)
    }

    fn end_cursor(&self) -> BoxFuture<'_, Result<LogCursor, StoreError>> {
        Box::pin(async move {
            let options = ReadAllOptions::default()
                .position(StreamPosition::End)
                .filter(self.names.log_filter())
                .max_count(1)
                .deadline(FILTERED_READ_DEADLINE);
            let mut read = self.client.read_all(&options).await.map_err(translate)?;
            let last = read.next().await.map_err(translate)?;
            Ok(last.map_or(LogCursor::START, |event| {
                cursor_after(event.get_original_event().position)
            }))
        })
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn append_bytes_max(&self) -> usize {
        self.append_bytes_max
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            // The last record of the whole database: one read, no scan.
            let options = ReadAllOptions::default()
                .position(StreamPosition::End)
                .max_count(1)
                .deadline(READ_DEADLINE);
            let mut read = self.client.read_all(&options).await.map_err(translate)?;
            read.next().await.map(drop).map_err(translate)
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            *self.taking_appends.write().await = false;
            self.shut_down.send_replace(true);
            // The client stays: what was recorded can still be read.
        })
    }
}

/// The last event of a database stream, `None` when it has none or was
/// deleted.
async fn last_event(client: &Client, stream: &str) -> Result<Option<ResolvedEvent>, StoreError> {
    let options = ReadStreamOptions::default()
        .position(StreamPosition::End)
        .max_count(1)
        .deadline(READ_DEADLINE);
    let read = match client.read_stream(stream, &options).await {
        Ok(mut read) => read.next().await,
        Err(error) => Err(error),
    };
    match read {
        Ok(event) => Ok(event),
        Err(kurrentdb::Error::ResourceNotFound | kurrentdb::Error::ResourceDeleted) => Ok(None),
        Err(error) => Err(translate(error)),
    }
}

/// The last revision of a database stream, `None` when it has no events.
async fn last_revision(client: &Client, stream: &str) -> Result<Option<u64>, StoreError> {
    let last = last_event(client, stream).await?;
    Ok(last.map(|event| event.get_original_event().revision))
}

impl KeyStore for KurrentStore {
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let name = self.names.key(id);
            // Listed first: a key kept but not listed would be missed when
            // all are loaded; an id listed whose key is missing is skipped.
            self.add_to_listing(&self.names.keys, Bytes::copy_from_slice(id.as_bytes()))
                .await?;
            // One event kept per key stream: a replaced key goes at the
            // next scavenge.
            let metadata = StreamMetadata::builder().max_count(1).build();
            self.client
                .set_stream_metadata(name.as_str(), &AppendToStreamOptions::default(), &metadata)
                .await
                .map_err(|error| key_error(id, error))?;
            let event = EventData::binary(KEY_EVENT_TYPE, Bytes::from(key));
            self.client
                .append_to_stream(name, &AppendToStreamOptions::default(), event)
                .await
                .map_err(|error| key_error(id, error))?;
            Ok(())
        })
    }

    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            match self
                .client
                .tombstone_stream(self.names.key(id), &TombstoneStreamOptions::default())
                .await
            {
                // Destroyed already; a key never kept is tombstoned all the
                // same, so that it can never be kept.
                Ok(_) | Err(kurrentdb::Error::ResourceDeleted) => Ok(()),
                Err(error) => Err(translate(error)),
            }
        })
    }

    fn load_key(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(load_key(&self.client, &self.names, id))
    }

    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>> {
        Box::pin(async move {
            let ids: BTreeSet<Uuid> = self
                .listing(&self.names.keys)
                .await?
                .into_iter()
                .filter_map(|id| Uuid::from_slice(&id).ok())
                .collect();
            let ids: Vec<Uuid> = ids.into_iter().collect();
            let mut keys = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(KEY_READS_AT_ONCE) {
                let mut reads = tokio::task::JoinSet::new();
                for &id in chunk {
                    let (client, names) = (self.client.clone(), self.names.clone());
                    reads.spawn(async move { (id, load_key(&client, &names, id).await) });
                }
                while let Some(read) = reads.join_next().await {
                    let (id, key) =
                        read.map_err(|error| StoreError::Unavailable(error.to_string()))?;
                    keys.extend(key?.map(|key| (id, key)));
                }
            }
            keys.sort_unstable_by_key(|(id, _)| *id);
            Ok(keys)
        })
    }
}

/// A key's bytes; `None` once it is destroyed or when it was never kept.
async fn load_key(client: &Client, names: &Names, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
    let last = last_event(client, &names.key(id)).await?;
    Ok(last.map(|event| event.get_original_event().data.to_vec()))
}

/// A key stream's errors: a destroyed key cannot be kept again.
fn key_error(id: Uuid, error: kurrentdb::Error) -> StoreError {
    match error {
        kurrentdb::Error::ResourceDeleted => StoreError::InvalidAppend(format!(
            "the key {id} was destroyed for good and cannot be kept again"
        )),
        other => translate(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_settings_are_taken_out_of_the_connection_string() {
        let location = KurrentLocation::parse(
            "kurrentdb://admin:changeit@node1:2113?tls=false&namespace=coop-7&side=/var/lib/agora/side.db",
        )
        .unwrap();

        assert_eq!(location.namespace, "coop-7");
        assert_eq!(location.side, Some(PathBuf::from("/var/lib/agora/side.db")));
        assert!(!location.settings.is_secure_mode_enabled());
        assert_eq!(location.max_append_size, MAX_APPEND_SIZE_DEFAULT);
        let plain = KurrentLocation::parse("esdb://localhost:2113").unwrap();
        assert_eq!(plain.namespace, DEFAULT_NAMESPACE);
        assert_eq!(plain.side, None);
        let raised =
            KurrentLocation::parse("esdb://h:2113?maxAppendSize=4194304&nodePreference=Leader")
                .unwrap();
        assert_eq!(raised.max_append_size, 4 << 20);
    }

    #[test]
    fn bad_connection_strings_and_namespaces_are_refused() {
        for url in [
            "kurrentdb://node1:2113?namespace=",
            "kurrentdb://node1:2113?namespace=a/b",
            "kurrentdb://node1:2113?namespace=$all",
            "kurrentdb://node1:2113?side=",
            "kurrentdb://",
            "http://node1:2113",
            "kurrentdb://node1:2113?nodePreference=follower",
            "kurrentdb://node1:2113?maxAppendSize=1000",
            "kurrentdb://node1:2113?maxAppendSize=lots",
        ] {
            assert!(KurrentLocation::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn a_cursor_is_never_the_start_and_orders_like_its_position() {
        let first = cursor_after(Position {
            commit: 0,
            prepare: 0,
        });
        let later = cursor_after(Position {
            commit: 0,
            prepare: 10,
        });
        let next_commit = cursor_after(Position {
            commit: 7,
            prepare: 3,
        });

        assert!(LogCursor::START < first && first < later && later < next_commit);
        assert_eq!(position_of(next_commit), Some((7, 3)));
        assert_eq!(position_of(LogCursor::START), None);
        assert!(matches!(
            start_after(LogCursor::START),
            StreamPosition::Start
        ));
    }

    #[test]
    fn only_passing_failures_are_tried_again() {
        assert!(is_passing(&kurrentdb::Error::DeadlineExceeded));
        assert!(is_passing(&kurrentdb::Error::ConnectionClosed));
        assert!(is_passing(&kurrentdb::Error::Grpc {
            code: tonic::Code::Aborted,
            message: "commit timeout".into(),
        }));
        assert!(!is_passing(&kurrentdb::Error::AccessDenied));
        assert!(!is_passing(&kurrentdb::Error::ResourceDeleted));
        assert!(!is_passing(&kurrentdb::Error::Grpc {
            code: tonic::Code::InvalidArgument,
            message: "maximum-append-size-exceeded".into(),
        }));
    }

    #[tokio::test]
    async fn a_passing_failure_is_tried_again_a_bounded_number_of_times() {
        let tries = std::cell::Cell::new(0);
        let failed: Result<(), _> = with_retries(|| {
            tries.set(tries.get() + 1);
            async { Err(kurrentdb::Error::DeadlineExceeded) }
        })
        .await;
        assert!(failed.is_err());
        assert_eq!(tries.get(), APPEND_TRIES);

        tries.set(0);
        let refused: Result<(), _> = with_retries(|| {
            tries.set(tries.get() + 1);
            async { Err(kurrentdb::Error::AccessDenied) }
        })
        .await;
        assert!(refused.is_err());
        assert_eq!(tries.get(), 1);
    }

    #[test]
    fn consecutive_revisions_are_read_together() {
        assert_eq!(runs(&[]), []);
        assert_eq!(runs(&[3, 4, 5, 9, 11, 12]), [(3, 3), (9, 1), (11, 2)]);
    }

    #[test]
    fn names_keep_each_ledger_apart() {
        let names = Names::new("coop");
        assert_eq!(names.log("community-1"), "coop/log/community-1");
        assert_eq!(names.key(Uuid::nil()), format!("coop/key/{}", Uuid::nil()));
        assert!(!names.log("x").starts_with(&names.key_prefix));
        assert!(!names.streams.starts_with(&names.log_prefix));
        assert!(!names.keys.starts_with(&names.log_prefix));
    }
}
