//! Audit: verifying the log and the figures folded from it, exporting and
//! importing logs, the assembly report.

pub mod export;
pub mod fec;
pub mod report;
pub mod tools;
pub mod verify;

use std::collections::BTreeMap;

use agora_events::CommunitySlug;

use crate::ledger::{LedgerError, precheck_page};
use crate::store::{EventStore, LogCursor, Pages, StoreError, StoredEvent};
use verify::{Verification, Verifier};

/// Verifies every stream of a store, or only `community`'s.
pub async fn verify_store(
    store: &dyn EventStore,
    community: Option<&CommunitySlug>,
) -> Result<Vec<Verification>, LedgerError> {
    let mut verifiers: BTreeMap<String, Verifier> = BTreeMap::new();
    match community {
        Some(community) => {
            let verifier = verify_stream(store, &community.stream()).await?;
            verifiers.insert(community.stream(), verifier);
        }
        None => {
            let mut pages = Pages::of_log(store, LogCursor::START);
            let mut page = pages.next_page().await?;
            while !page.is_empty() {
                let (next, ()) = pages
                    .next_page_during(|| {
                        let prechecked = precheck_page(&page, |_| true);
                        for (stored, prechecked) in page.into_iter().zip(prechecked) {
                            match verifiers.get_mut(&stored.stream) {
                                Some(verifier) => verifier.push_prechecked(&stored, prechecked),
                                None => {
                                    let mut verifier = Verifier::new(stored.stream.clone());
                                    verifier.push_prechecked(&stored, prechecked);
                                    verifiers.insert(stored.stream, verifier);
                                }
                            }
                        }
                    })
                    .await;
                page = next?;
            }
        }
    }
    Ok(verifiers.into_values().map(Verifier::finish).collect())
}

/// Verifies one stream of a store, event by event; the verifier keeps the
/// state folded up to the first break, and how many events it read.
pub async fn verify_stream(store: &dyn EventStore, stream: &str) -> Result<Verifier, StoreError> {
    let mut verifier = Verifier::new(stream);
    let mut pages = Pages::of_stream(store, stream, 0);
    let mut page = pages.next_page().await?;
    while !page.is_empty() {
        let (next, ()) = pages
            .next_page_during(|| {
                let prechecked = precheck_page(&page, |_| true);
                page.iter()
                    .zip(prechecked)
                    .for_each(|(stored, prechecked)| verifier.push_prechecked(stored, prechecked))
            })
            .await;
        page = next?;
    }
    Ok(verifier)
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
