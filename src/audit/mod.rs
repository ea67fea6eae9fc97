//! Audit: verifying the log and the figures folded from it, exporting and
//! importing logs, the assembly report.

pub mod export;
pub mod fec;
pub mod report;
pub mod tools;
pub mod verify;

use std::collections::BTreeMap;

use agora_events::CommunitySlug;

use crate::ledger::{FoldEvent, LedgerError, Prechecked, fold_pages};
use crate::store::{EventStore, LogCursor, Pages, StoreError, StoredEvent};
use verify::{StoredState, Verification, Verifier};

/// Verifies every stream of a store, or only `community`'s.
pub async fn verify_store(
    store: &dyn EventStore,
    community: Option<&CommunitySlug>,
) -> Result<Vec<Verification>, LedgerError> {
    let streams = match community {
        Some(community) => vec![community.stream()],
        None => store.streams().await?,
    };
    // Every verifier made before the log is read, each with the snapshot
    // the store keeps of its stream to compare on the way.
    let mut verifiers = BTreeMap::new();
    for stream in streams {
        let mut verifier = Verifier::new(stream.clone());
        if let Some(snapshot) = stored_state(store, &stream).await? {
            verifier.expect_snapshot(snapshot);
        }
        verifiers.insert(stream, verifier);
    }
    let verifiers = match community {
        Some(community) => {
            let stream = community.stream();
            let pages = Pages::of_stream(store, &stream, 0);
            fold_whole(pages, verifiers, |verifiers, stored, prechecked| {
                push(verifiers, stored, prechecked);
                Ok(())
            })
            .await?
        }
        None => {
            let pages = Pages::of_log(store, LogCursor::START);
            fold_whole(pages, verifiers, |verifiers, stored, prechecked| {
                push(verifiers, stored, prechecked);
                Ok(())
            })
            .await?
        }
    };
    Ok(verifiers.into_values().map(Verifier::finish).collect())
}

/// Folds a stored event into its stream's verifier (made on first sight
/// for a stream the store did not list yet). Looked up before inserting:
/// no copy of the stream's name for each event.
fn push(verifiers: &mut BTreeMap<String, Verifier>, stored: &StoredEvent, prechecked: Prechecked) {
    match verifiers.get_mut(&stored.stream) {
        Some(verifier) => verifier.push_prechecked(stored, prechecked),
        None => {
            let mut verifier = Verifier::new(stored.stream.clone());
            verifier.push_prechecked(stored, prechecked);
            verifiers.insert(stored.stream.clone(), verifier);
        }
    }
}

/// The snapshot the store keeps of `stream`, when it is one a service
/// would start from (of this format, filed under its own revision).
async fn stored_state(
    store: &dyn EventStore,
    stream: &str,
) -> Result<Option<StoredState>, StoreError> {
    let Some((revision, bytes)) = store.load_snapshot(stream).await? else {
        return Ok(None);
    };
    Ok(crate::ledger::snapshot::Snapshot::decode(&bytes)
        .ok()
        .filter(|snapshot| snapshot.revision == revision)
        .map(|snapshot| StoredState {
            revision,
            head: snapshot.head,
            state: snapshot.state,
        }))
}

/// Verifies one stream of a store, event by event; the verifier keeps the
/// state folded up to the first break, and how many events it read.
pub async fn verify_stream(store: &dyn EventStore, stream: &str) -> Result<Verifier, StoreError> {
    let pages = Pages::of_stream(store, stream, 0);
    fold_whole(
        pages,
        Verifier::new(stream),
        |verifier, stored, prechecked| {
            verifier.push_prechecked(stored, prechecked);
            Ok(())
        },
    )
    .await
}

/// Folds every event of `pages`: a verifier never stops at a break, it
/// notes it and counts the rest.
async fn fold_whole<S: Send + 'static>(
    pages: Pages<'_>,
    state: S,
    fold: FoldEvent<S, StoreError>,
) -> Result<S, StoreError> {
    let (state, read) = fold_pages(pages, state, |_| false, fold, || async { Ok(()) }).await;
    read.map(|()| state)
}

/// Every stored event of one stream, in order.
pub async fn stream_events(
    store: &dyn EventStore,
    stream: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut events = Vec::new();
    let mut pages = Pages::of_stream(store, stream, 0);
    loop {
        let page = pages.next_page().await?;
        if page.is_empty() {
            return Ok(events);
        }
        events.extend(page);
    }
}

/// Verifies an export file's lines, stream by stream.
pub fn verify_lines(lines: &[export::ExportLine]) -> Vec<Verification> {
    let mut verifiers: BTreeMap<String, Verifier> = BTreeMap::new();
    for line in lines {
        verifiers
            .entry(line.stream.clone())
            .or_insert_with(|| Verifier::new(line.stream.clone()))
            .push(line.revision, &line.record());
    }
    verifiers.into_values().map(Verifier::finish).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use agora_events::{
        Actor, BudgetLine, BudgetScope, BudgetSet, CommunityCreated, CorrelationId, Event, EventId,
        EventRecord, Hash, Metadata, NewEvent, Role, Timestamp,
    };
    use uuid::Uuid;

    use super::*;
    use crate::store::{ExpectedRevision, MemoryStore, ProposedEvent, READ_EVENTS_MAX};

    /// The `n`th event of community `demo`, recorded by `actor` at `at`
    /// and linked to `prev`: its ids and command numbered after it.
    pub(crate) fn numbered_record(
        n: usize,
        event: Event,
        actor: Actor,
        at: Timestamp,
        prev: Hash,
    ) -> EventRecord {
        NewEvent {
            event_id: EventId(Uuid::from_u128(n as u128 + 1)),
            event,
            metadata: Metadata {
                community: "demo".parse().unwrap(),
                actor,
                command_id: format!("command-{n}"),
                command_digest: Hash::of(&n.to_le_bytes()),
                correlation_id: CorrelationId(Uuid::from_u128(n as u128 + 1)),
                recorded_at: at,
            },
        }
        .link(prev)
    }

    /// A community's chained events, the one at `broken` linked to the
    /// genesis instead of the event before it.
    pub(crate) fn chain(events: usize, broken: usize) -> Vec<ProposedEvent> {
        let mut head = Hash::GENESIS;
        (0..events)
            .map(|n| {
                let event: Event = if n == 0 {
                    CommunityCreated {
                        slug: "demo".parse().unwrap(),
                        statutes: crate::demo::statutes(),
                    }
                    .into()
                } else {
                    BudgetSet {
                        scope: BudgetScope::Community,
                        lines: vec![BudgetLine {
                            code: "web".into(),
                            label: "Site".into(),
                            forecast: format!("{n}.00").parse().unwrap(),
                        }],
                        total: format!("{n}.00").parse().unwrap(),
                        reason: format!("révision {n}"),
                    }
                    .into()
                };
                let gardener = Actor {
                    id: "gardener".into(),
                    role: Role::Gardener,
                };
                let at = "2026-11-30T10:00:00Z".parse().unwrap();
                let prev = if n == broken { Hash::GENESIS } else { head };
                let record = numbered_record(n, event, gardener, at, prev);
                head = record.hash;
                let (data, metadata) = record.to_store_bytes();
                ProposedEvent {
                    event_id: record.event_id.0,
                    event_type: record.event_type,
                    data,
                    metadata,
                }
            })
            .collect()
    }

    /// Pages are folded on a thread of their own while the next ones are
    /// read and prechecked: every event is still counted, in order, and the
    /// first break is found where it is, pages after the first.
    #[tokio::test]
    async fn a_break_pages_into_the_log_is_found_where_it_is() {
        let events = 2 * READ_EVENTS_MAX + 300;
        let broken = 2 * READ_EVENTS_MAX + 7;
        let store = MemoryStore::new();
        let mut expected = ExpectedRevision::NoStream;
        for page in chain(events, broken).chunks(1_000) {
            let outcome = store
                .append("community-demo", expected, page.to_vec())
                .await
                .unwrap();
            expected = ExpectedRevision::Exact(outcome.last_revision.unwrap());
        }

        for verification in [
            verify_store(&store, None).await.unwrap(),
            verify_store(&store, Some(&"demo".parse().unwrap()))
                .await
                .unwrap(),
        ] {
            let [verification] = verification.as_slice() else {
                panic!("one stream: {verification:?}");
            };
            assert_eq!(verification.events, events as u64);
            assert_eq!(verification.verified, broken as u64);
            assert_eq!(
                verification.first_break.as_ref().map(|at| at.revision),
                Some(broken as u64)
            );
        }
    }
}
