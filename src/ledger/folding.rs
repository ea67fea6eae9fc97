//! The one loop that folds the log a page at a time, for every fold that
//! reads it from some revision to the end: the ledger's start-up and
//! catch-up, and verification.
//!
//! Each page is prechecked (hashed and decoded, spread over the cores, see
//! [`precheck_page`]) while the store reads the next one. A log longer than
//! a page is then folded on a thread of its own: while it folds a page, the
//! next is prechecked and the one after is read, so that reading, checking
//! and folding all keep the machine busy. A shorter one is folded on the
//! calling task, which then makes its store calls in the same order each
//! time (the simulator replays runs by their seed).

use std::sync::{Arc, Mutex, PoisonError};

use super::history::{Prechecked, precheck_page};
use crate::store::{Pages, READ_EVENTS_MAX, StoreError, StoredEvent};

/// Pages read ahead and waiting to be folded, at most.
const PAGES_AHEAD: usize = 2;

/// Folds one event, prechecked, into the state; an error stops the fold
/// before the event.
pub type FoldEvent<S, E> = fn(&mut S, &StoredEvent, Prechecked) -> Result<(), E>;

/// Reads `pages` to the end and folds every event into `state`, stopping
/// at the first one `fold` refuses; the state it gives back then holds
/// every event before that one. Events that `with_keys` picks are
/// prechecked with their index keys. `between` runs after each page is
/// handed to the fold (the ledger files its backlog there); an error from
/// it or from the store stops the reading.
pub async fn fold_pages<S, E, B>(
    mut pages: Pages<'_>,
    state: S,
    with_keys: impl Fn(&StoredEvent) -> bool + Sync,
    fold: FoldEvent<S, E>,
    mut between: impl FnMut() -> B,
) -> (S, Result<(), E>)
where
    B: Future<Output = Result<(), E>>,
    S: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let page = match pages.next_page().await {
        Ok(page) => page,
        Err(error) => return (state, Err(error.into())),
    };
    if page.len() < READ_EVENTS_MAX {
        fold_in_turn(pages, page, state, with_keys, fold, between).await
    } else {
        let (to_fold, mut pages_to_fold) =
            tokio::sync::mpsc::channel::<(Vec<StoredEvent>, Vec<Prechecked>)>(PAGES_AHEAD);
        // The state is the fold thread's while it runs, and comes back
        // whole even if that thread never starts (the runtime stopping).
        let state = Arc::new(Mutex::new(state));
        let folder = tokio::task::spawn_blocking({
            let state = Arc::clone(&state);
            move || {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                while let Some((page, prechecked)) = pages_to_fold.blocking_recv() {
                    fold_page(&mut *state, &page, prechecked, fold)?;
                }
                Ok(())
            }
        });
        let mut page = page;
        let read = async {
            while !page.is_empty() {
                let (next, prechecked) = pages
                    .next_page_during(|| precheck_page(&page, &with_keys))
                    .await;
                if to_fold.send((page, prechecked)).await.is_err() {
                    return Ok(()); // the fold stopped: its outcome says why
                }
                between().await?;
                page = next?;
            }
            Ok(())
        };
        let read: Result<(), E> = read.await;
        drop(to_fold);
        let folded = match folder.await {
            Ok(folded) => folded,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(E::from(StoreError::Unavailable(format!(
                "the log's fold stopped: {error}"
            )))),
        };
        // The fold thread is over: nothing else holds the state.
        let state = match Arc::try_unwrap(state) {
            Ok(state) => state.into_inner().unwrap_or_else(PoisonError::into_inner),
            Err(_) => unreachable!("the fold thread let go of the state"),
        };
        (state, folded.and(read))
    }
}

/// [`fold_pages`] on the calling task: each page prechecked and folded
/// while the next is read.
async fn fold_in_turn<S, E: From<StoreError>, B: Future<Output = Result<(), E>>>(
    mut pages: Pages<'_>,
    mut page: Vec<StoredEvent>,
    mut state: S,
    with_keys: impl Fn(&StoredEvent) -> bool + Sync,
    fold: FoldEvent<S, E>,
    mut between: impl FnMut() -> B,
) -> (S, Result<(), E>) {
    while !page.is_empty() {
        let (next, folded) = pages
            .next_page_during(|| {
                let prechecked = precheck_page(&page, &with_keys);
                fold_page(&mut state, &page, prechecked, fold)
            })
            .await;
        let read = match folded {
            Ok(()) => between().await,
            Err(error) => Err(error),
        };
        match read.and_then(|()| next.map_err(E::from)) {
            Ok(next) => page = next,
            Err(error) => return (state, Err(error)),
        }
    }
    (state, Ok(()))
}

fn fold_page<S, E>(
    state: &mut S,
    page: &[StoredEvent],
    prechecked: Vec<Prechecked>,
    fold: FoldEvent<S, E>,
) -> Result<(), E> {
    page.iter()
        .zip(prechecked)
        .try_for_each(|(stored, prechecked)| fold(state, stored, prechecked))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ledger::LedgerError;
    use crate::store::{EventStore, ExpectedRevision, MemoryStore};

    const STREAM: &str = "community-demo";

    /// Folds `store`'s log of two full pages and a short one (three calls of
    /// `between` at most), the call numbered `failing` failing, each call
    /// over at once or, when `slow`, after a while.
    async fn fold_failing_between(
        store: &MemoryStore,
        failing: usize,
        slow: bool,
    ) -> (usize, Result<(), LedgerError>, usize) {
        let calls = AtomicUsize::new(0);
        let between = || {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if slow {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                match call == failing {
                    true => Err(StoreError::Unavailable(format!("call {call} failed")).into()),
                    false => Ok(()),
                }
            }
        };
        let count = |folded: &mut usize, _: &StoredEvent, _: Prechecked| {
            *folded += 1;
            Ok(())
        };
        let pages = Pages::of_stream(store, STREAM, 0);
        let (folded, outcome) = fold_pages(pages, 0, |_| false, count, between).await;
        (folded, outcome, calls.load(Ordering::SeqCst))
    }

    /// An error from what runs between pages stops the reading at once
    /// and is reported, whenever it comes: after the first page or the
    /// last, at once or after a while.
    #[tokio::test]
    async fn an_error_between_pages_stops_the_fold_and_is_reported() {
        let every_event = 2 * READ_EVENTS_MAX + 10;
        let store = MemoryStore::new();
        let mut expected = ExpectedRevision::NoStream;
        for part in crate::audit::tests::chain(every_event, usize::MAX).chunks(1_000) {
            let outcome = store.append(STREAM, expected, part.to_vec()).await.unwrap();
            expected = ExpectedRevision::Exact(outcome.last_revision.unwrap());
        }
        for slow in [false, true] {
            for failing in [0, 1, 2] {
                let (folded, outcome, calls) = fold_failing_between(&store, failing, slow).await;
                // Made, the failing call is heard of, whenever it ends.
                if calls > failing {
                    let expected = format!("call {failing} failed");
                    assert!(
                        matches!(&outcome, Err(LedgerError::Store(StoreError::Unavailable(reason)))
                        if *reason == expected),
                        "{outcome:?}"
                    );
                } else {
                    assert!(outcome.is_ok(), "{outcome:?}");
                }
                if !slow {
                    // Over at once: the reading stops at the page after it.
                    let pages = (failing + 1) * READ_EVENTS_MAX;
                    assert_eq!(folded, pages.min(every_event), "failing {failing}");
                }
            }
            let (folded, outcome, _) = fold_failing_between(&store, usize::MAX, slow).await;
            assert!(outcome.is_ok(), "{outcome:?}");
            assert_eq!(folded, every_event);
        }
    }
}
