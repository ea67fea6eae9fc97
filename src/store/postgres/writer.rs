//! The writer task: group commit of appends, under the log's head lock.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use deadpool_postgres::{Pool, Transaction};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::{
    BATCH_EVENTS_MAX, BATCH_REQUESTS_MAX, from_sql, move_head, pool_error, to_sql, translate,
};
use crate::store::{AppendOutcome, ExpectedRevision, ProposedEvent, StoreError};

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
#[derive(Clone, Copy)]
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

    async fn write(&self, batch: &[AppendRequest]) -> Result<Written, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let transaction = client.transaction().await.map_err(translate)?;
        // The lock that orders every append of every instance.
        let head = transaction
            .query_one("SELECT next_position FROM agora_log_head FOR UPDATE", &[])
            .await
            .map_err(translate)?;
        let first_position = from_sql(head.get(0));
        let mut next_position = first_position;
        let mut streams: HashMap<&str, StreamEnd> = HashMap::new();
        let mut ids_in_batch: HashSet<Uuid> = HashSet::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        for request in batch {
            let end = match streams.get(request.stream.as_str()) {
                Some(end) => *end,
                None => StreamEnd {
                    last_revision: last_revision(&transaction, &request.stream).await?,
                    moved: false,
                },
            };
            streams.insert(&request.stream, end);
            if let Err(refused) = check(&transaction, request, end, &ids_in_batch).await? {
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
            insert(&transaction, request, next_position, first_revision).await?;
            let count = request.events.len() as u64;
            let positions: Vec<u64> = (next_position..next_position + count).collect();
            let last = first_revision + count - 1;
            next_position += count;
            ids_in_batch.extend(request.events.iter().map(|event| event.event_id));
            streams.insert(
                &request.stream,
                StreamEnd {
                    last_revision: Some(last),
                    moved: true,
                },
            );
            outcomes.push(Ok(AppendOutcome {
                last_revision: Some(last),
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
            .filter_map(|(stream, end)| Some((*stream, to_sql(end.last_revision?).ok()?)))
            .collect();
        let (names, revisions): (Vec<&str>, Vec<i64>) = moved.into_iter().unzip();
        transaction
            .execute(
                "INSERT INTO agora_streams (stream, last_revision)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[])
                 ON CONFLICT (stream) DO UPDATE SET last_revision = excluded.last_revision",
                &[&names, &revisions],
            )
            .await
            .map_err(translate)?;
        transaction
            .execute(
                "UPDATE agora_log_head SET next_position = $1",
                &[&to_sql(next_position)?],
            )
            .await
            .map_err(translate)?;
        // Delivered to every listener when, and only if, the commit is.
        transaction
            .execute(
                "SELECT pg_notify($1, $2)",
                &[&self.channel, &next_position.to_string()],
            )
            .await
            .map_err(translate)?;
        transaction.commit().await.map_err(translate)?;
        Ok(Written {
            outcomes,
            next_position,
        })
    }
}

async fn last_revision(
    transaction: &Transaction<'_>,
    stream: &str,
) -> Result<Option<u64>, StoreError> {
    let select = transaction
        .prepare_cached("SELECT last_revision FROM agora_streams WHERE stream = $1")
        .await
        .map_err(translate)?;
    let row = transaction
        .query_opt(&select, &[&stream])
        .await
        .map_err(translate)?;
    Ok(row.map(|row| from_sql(row.get(0))))
}

/// Whether the append may be written: its stream is where it expects, and
/// none of its event ids is recorded already (in the log, earlier in the
/// batch, or twice in itself). The outer error is the database's.
async fn check(
    transaction: &Transaction<'_>,
    request: &AppendRequest,
    end: StreamEnd,
    ids_in_batch: &HashSet<Uuid>,
) -> Result<Result<(), StoreError>, StoreError> {
    if !request.expected.is_met_by(end.last_revision) {
        return Ok(Err(StoreError::WrongExpectedRevision {
            stream: request.stream.clone(),
            expected: request.expected,
            actual: end.last_revision,
        }));
    }
    let mut seen = HashSet::with_capacity(request.events.len());
    let ids: Vec<Uuid> = request.events.iter().map(|event| event.event_id).collect();
    if let Some(id) = ids
        .iter()
        .find(|id| ids_in_batch.contains(id) || !seen.insert(**id))
    {
        return Ok(Err(StoreError::DuplicateEvent(*id)));
    }
    if ids.is_empty() {
        return Ok(Ok(()));
    }
    let select = transaction
        .prepare_cached("SELECT event_id FROM agora_events WHERE event_id = ANY($1) LIMIT 1")
        .await
        .map_err(translate)?;
    let recorded = transaction
        .query_opt(&select, &[&ids])
        .await
        .map_err(translate)?;
    Ok(match recorded {
        Some(row) => Err(StoreError::DuplicateEvent(row.get(0))),
        None => Ok(()),
    })
}

/// Inserts the append's events in one statement.
async fn insert(
    transaction: &Transaction<'_>,
    request: &AppendRequest,
    first_position: u64,
    first_revision: u64,
) -> Result<(), StoreError> {
    let count = request.events.len() as u64;
    let positions = (first_position..first_position + count)
        .map(to_sql)
        .collect::<Result<Vec<_>, _>>()?;
    let revisions = (first_revision..first_revision + count)
        .map(to_sql)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<Uuid> = request.events.iter().map(|event| event.event_id).collect();
    let types: Vec<&str> = request
        .events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    let data: Vec<&[u8]> = request
        .events
        .iter()
        .map(|event| event.data.as_slice())
        .collect();
    let metadata: Vec<&[u8]> = request
        .events
        .iter()
        .map(|event| event.metadata.as_slice())
        .collect();
    let insert = transaction
        .prepare_cached(
            "INSERT INTO agora_events
                 (position, stream, revision, event_id, event_type, data, metadata)
             SELECT position, $1, revision, event_id, event_type, data, metadata
             FROM UNNEST($2::bigint[], $3::bigint[], $4::uuid[], $5::text[], $6::bytea[],
                         $7::bytea[])
                 AS e(position, revision, event_id, event_type, data, metadata)",
        )
        .await
        .map_err(translate)?;
    transaction
        .execute(
            &insert,
            &[
                &request.stream,
                &positions,
                &revisions,
                &ids,
                &types,
                &data,
                &metadata,
            ],
        )
        .await
        .map(drop)
        .map_err(translate)
}
