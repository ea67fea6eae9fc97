//! Subscriptions for stores whose positions are contiguous and which publish
//! their head: the subscriber reads pages from its position, and when it has
//! read everything waits for the head to move. Reading from the log on each
//! step, rather than receiving pushed events, makes the catch-up/live
//! boundary a non-event: nothing can fall between the two.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::{BoxFuture, LogCursor, StoreError, StoredEvent};

/// Events buffered for a slow subscriber before the reader waits for it.
pub const SUBSCRIPTION_BUFFER_EVENTS_MAX: usize = 1_024;
/// Events read from the log per step.
const SUBSCRIPTION_PAGE_EVENTS: usize = 512;

/// A live feed of events from some position on. Dropping it stops the feed.
#[derive(Debug)]
pub struct Subscription {
    receiver: mpsc::Receiver<Result<StoredEvent, StoreError>>,
}

impl Subscription {
    /// A feed of what `receiver` is sent.
    pub(super) fn from_receiver(receiver: mpsc::Receiver<Result<StoredEvent, StoreError>>) -> Self {
        Self { receiver }
    }

    /// The next event; `None` once the store has shut down and every event
    /// recorded before that was delivered. An error ends the feed.
    pub async fn next(&mut self) -> Option<Result<StoredEvent, StoreError>> {
        self.receiver.recv().await
    }
}

/// Reads a page of the log: `(after, limit)`.
pub type PageReader = Arc<
    dyn Fn(LogCursor, usize) -> BoxFuture<'static, Result<Vec<StoredEvent>, StoreError>>
        + Send
        + Sync,
>;

/// For stores whose positions are contiguous: the cursor just after the
/// event at `position`, which holds the position the next event takes.
pub fn cursor_after(position: u64) -> LogCursor {
    LogCursor::from_store(position + 1, 0)
}

/// For stores whose positions are contiguous: the first position after
/// `cursor` (a cursor such a store gave, or [`LogCursor::START`]).
pub fn first_position_after(cursor: LogCursor) -> u64 {
    cursor.to_store().0
}

/// Starts a subscription after `from`. `next_position` holds the position
/// the next committed event will take; the store updates it after each
/// commit and drops its sender when it shuts down.
pub fn follow(
    read_page: PageReader,
    mut next_position: watch::Receiver<u64>,
    from: LogCursor,
) -> Subscription {
    let (sender, receiver) = mpsc::channel(SUBSCRIPTION_BUFFER_EVENTS_MAX);
    tokio::spawn(async move {
        let mut from = from;
        loop {
            let page = match read_page(from, SUBSCRIPTION_PAGE_EVENTS).await {
                Ok(page) => page,
                Err(error) => {
                    let _ = sender.send(Err(error)).await;
                    return;
                }
            };
            if page.is_empty() {
                // Nothing past `from` yet: wait until a commit moves the head
                // beyond it, or the store shuts down.
                // Also stop as soon as the subscriber goes away, so an idle
                // store does not keep abandoned subscriptions alive.
                let first = first_position_after(from);
                tokio::select! {
                    moved = next_position.wait_for(|next| *next > first) => {
                        if moved.is_err() {
                            return;
                        }
                    }
                    () = sender.closed() => return,
                }
                continue;
            }
            for event in page {
                from = event.cursor;
                if sender.send(Ok(event)).await.is_err() {
                    return; // the subscriber went away
                }
            }
        }
    });
    Subscription { receiver }
}
