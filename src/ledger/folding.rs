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
