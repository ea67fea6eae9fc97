//! The writer task: group commit of appends, under the log's head lock.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::{
    BATCH_EVENTS_MAX, BATCH_REQUESTS_MAX, from_sql, move_head, pool_error, to_sql, translate,
};
use crate::store::{AppendOutcome, ExpectedRevision, ProposedEvent, StoreError};

/// A statement's parameter.
type Param<'a> = dyn tokio_postgres::types::ToSql + Sync + 'a;

/// One append waiting for the writer.
pub(super) struct AppendRequest {
    pub(super) stream: String,
    pub(super) expected: ExpectedRevision,
    pub(super) events: Vec<ProposedEvent>,
    pub(super) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

pub(super) struct Writer {
    pub(super) pool: Pool,
    pub(super) head: Arc<watch::Sender<u64>>,
    pub(super) channel: String,
}

/// What a batch's transaction did: each append's answer, and the position
/// the next event will take.
struct Written {
    outcomes: Vec<Result<AppendOutcome, StoreError>>,
    next_position: u64,
}

/// A stream as the batch sees it: its last revision, and whether the batch
/// moved it.
#[derive(Clone, Copy, Default)]
struct StreamEnd {
    last_revision: Option<u64>,
    moved: bool,
}

impl Writer {
    /// Commits batches until the queue closes and is empty.
    pub(super) async fn run(self, mut requests: mpsc::Receiver<AppendRequest>) {
        while let Some(first) = requests.recv().await {
            let mut events = first.events.len();
            let mut batch = vec![first];
            while batch.len() < BATCH_REQUESTS_MAX && events < BATCH_EVENTS_MAX {
                match requests.try_recv() {
                    Ok(request) => {
                        events += request.events.len();
                        batch.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.commit(batch).await;
        }
    }

    /// Writes the batch in one transaction and answers each append once it
    /// is durable; if the transaction fails, every append of it fails and
    /// nothing of it is visible.
    async fn commit(&self, batch: Vec<AppendRequest>) {
        match self.write(&batch).await {
            Ok(written) => {
                move_head(&self.head, written.next_position);
                for (request, outcome) in batch.into_iter().zip(written.outcomes) {
                    let _ = request.reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::warn!(%error, appends = batch.len(), "a PostgreSQL commit failed");
                for request in batch {
                    let _ = request.reply.send(Err(error.clone()));
                }
            }
        }
    }

    /// The batch in one transaction of a fixed number of round trips,
    /// whatever its size: the head locked; every stream's end and every
    /// recorded id among the batch's read at once; each append decided in
    /// memory; the accepted events inserted, the streams and the head moved
    /// and the commit notified, together; the commit.
    async fn write(&self, batch: &[AppendRequest]) -> Result<Written, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let transaction = client.transaction().await.map_err(translate)?;
        // The lock that orders every append of every instance.
        let head = transaction
            .query_one("SELECT next_position FROM agora_log_head FOR UPDATE", &[])
            .await
            .map_err(translate)?;
        let first_position = from_sql(head.get(0));
        let (mut streams, recorded) = {
            let names: Vec<&str> = batch
                .iter()
                .map(|request| request.stream.as_str())
                .collect();
            let ids: Vec<Uuid> = batch
                .iter()
                .flat_map(|request| request.events.iter().map(|event| event.event_id))
                .collect();
            let (by_name, by_id): ([&Param<'_>; 1], [&Param<'_>; 1]) = ([&names], [&ids]);
            // Sent together: one round trip for both.
            let (ends, recorded) = tokio::join!(
                transaction.query(
                    "SELECT stream, last_revision FROM agora_streams WHERE stream = ANY($1)",
                    &by_name,
                ),
                transaction.query(
                    "SELECT event_id FROM agora_events WHERE event_id = ANY($1)",
                    &by_id,
                ),
            );
            let mut streams: HashMap<String, StreamEnd> = names
                .iter()
                .map(|name| ((*name).to_owned(), StreamEnd::default()))
                .collect();
            for row in ends.map_err(translate)? {
                let end = streams.entry(row.get(0)).or_default();
                end.last_revision = Some(from_sql(row.get(1)));
            }
            let recorded: HashSet<Uuid> = recorded
                .map_err(translate)?
                .iter()
                .map(|row| row.get(0))
                .collect();
            (streams, recorded)
        };
        let mut rows = Rows::default();
        let mut taken: HashSet<Uuid> = HashSet::new();
        let mut next_position = first_position;
        let mut outcomes = Vec::with_capacity(batch.len());
        for request in batch {
            let end = streams
                .get_mut(&request.stream)
                .expect("every stream of the batch was looked up");
            if let Err(refused) = check(request, end, &recorded, &taken) {
                outcomes.push(Err(refused));
                continue;
            }
            if request.events.is_empty() {
                outcomes.push(Ok(AppendOutcome {
                    last_revision: end.last_revision,
                    positions: Vec::new(),
                }));
                continue;
            }
            let first_revision = end.last_revision.map_or(0, |last| last + 1);
            let count = request.events.len() as u64;
            for (offset, event) in request.events.iter().enumerate() {
                rows.push(
                    next_position + offset as u64,
                    &request.stream,
                    first_revision + offset as u64,
                    event,
                )?;
                taken.insert(event.event_id);
            }
            let positions: Vec<u64> = (next_position..next_position + count).collect();
            next_position += count;
            end.last_revision = Some(first_revision + count - 1);
            end.moved = true;
            outcomes.push(Ok(AppendOutcome {
                last_revision: end.last_revision,
                positions,
            }));
        }
        if next_position == first_position {
            // Nothing to write: every append was refused or empty.
            transaction.rollback().await.map_err(translate)?;
            return Ok(Written {
                outcomes,
                next_position,
            });
        }
        let moved: Vec<(&str, i64)> = streams
            .iter()
            .filter(|(_, end)| end.moved)
            .filter_map(|(stream, end)| Some((stream.as_str(), to_sql(end.last_revision?).ok()?)))
            .collect();
        let (names, revisions): (Vec<&str>, Vec<i64>) = moved.into_iter().unzip();
        let next = to_sql(next_position)?;
        let notice = next_position.to_string();
        let events: [&Param<'_>; 7] = [
            &rows.positions,
            &rows.streams,
            &rows.revisions,
            &rows.ids,
            &rows.types,
            &rows.data,
            &rows.metadata,
        ];
        let ends: [&Param<'_>; 2] = [&names, &revisions];
        let head: [&Param<'_>; 3] = [&self.channel, &next, &notice];
        // Sent together: one round trip for the three.
        let (inserted, streams_moved, head_moved) = tokio::join!(
            transaction.execute(
                "INSERT INTO agora_events
                     (position, stream, revision, event_id, event_type, data, metadata)
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::uuid[],
                                      $5::text[], $6::bytea[], $7::bytea[])",
                &events,
            ),
            transaction.execute(
                "INSERT INTO agora_streams (stream, last_revision)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[])
                 ON CONFLICT (stream) DO UPDATE SET last_revision = excluded.last_revision",
                &ends,
            ),
            // Notified to every listener when, and only if, the commit is.
            transaction.execute(
                "WITH moved AS (UPDATE agora_log_head SET next_position = $2 RETURNING 1)
                 SELECT pg_notify($1, $3) FROM moved",
                &head,
            ),
        );
        inserted.map_err(translate)?;
        streams_moved.map_err(translate)?;
        head_moved.map_err(translate)?;
        transaction.commit().await.map_err(translate)?;
        Ok(Written {
            outcomes,
            next_position,
        })
    }
}

/// Whether the append may be written: its stream is where it expects, and
/// none of its event ids is recorded already (in the log, earlier in the
/// batch, or twice in itself).
fn check(
    request: &AppendRequest,
    end: &StreamEnd,
    recorded: &HashSet<Uuid>,
    taken: &HashSet<Uuid>,
) -> Result<(), StoreError> {
    if !request.expected.is_met_by(end.last_revision) {
        return Err(StoreError::WrongExpectedRevision {
            stream: request.stream.clone(),
            expected: request.expected,
            actual: end.last_revision,
        });
    }
    let mut seen = HashSet::with_capacity(request.events.len());
    match request
        .events
        .iter()
        .map(|event| event.event_id)
        .find(|id| recorded.contains(id) || taken.contains(id) || !seen.insert(*id))
    {
        Some(id) => Err(StoreError::DuplicateEvent(id)),
        None => Ok(()),
    }
}

/// The columns of the events a batch inserts, for one `UNNEST`.
#[derive(Default)]
struct Rows<'a> {
    positions: Vec<i64>,
    streams: Vec<&'a str>,
    revisions: Vec<i64>,
    ids: Vec<Uuid>,
    types: Vec<&'a str>,
    data: Vec<&'a [u8]>,
    metadata: Vec<&'a [u8]>,
}

impl<'a> Rows<'a> {
    fn push(
        &mut self,
        position: u64,
        stream: &'a str,
        revision: u64,
        event: &'a ProposedEvent,
    ) -> Result<(), StoreError> {
        self.positions.push(to_sql(position)?);
        self.streams.push(stream);
        self.revisions.push(to_sql(revision)?);
        self.ids.push(event.event_id);
        self.types.push(&event.event_type);
        self.data.push(&event.data);
        self.metadata.push(&event.metadata);
        Ok(())
    }
}
