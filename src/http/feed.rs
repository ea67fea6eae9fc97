//! The live feed: a community's events as Server-Sent Events, as they are
//! recorded, from a revision. Each event is sent as the log shows it (sealed
//! votes and personal data stay sealed), with its revision as the SSE `id`,
//! so that a client that reconnects with `Last-Event-ID` resumes right
//! after the last event it received.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use agora_events::CommunitySlug;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use utoipa::IntoParams;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{EventView, enter};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, Params};
use crate::ledger::{DurableView, Ledger};

/// Most feeds served at once by one instance.
pub const FEEDS_MAX: usize = 1_024;
/// Events read from the store at a time.
const FEED_PAGE: usize = 256;
/// How often an idle feed sends a comment, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The feeds being served: how many more may open, and the signal that
/// ends them all when the service stops.
pub struct Feeds {
    permits: Arc<Semaphore>,
    closing: watch::Sender<bool>,
}

impl Default for Feeds {
    fn default() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(FEEDS_MAX)),
            closing: watch::channel(false).0,
        }
    }
}

impl Feeds {
    /// Ends every feed, so that connections close and the service can stop.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The first revision to send. Default: only events recorded from now
    /// on. A `Last-Event-ID` header (sent by a reconnecting client) takes
    /// precedence: the feed resumes after that revision.
    #[param(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub from: Option<u64>,
}

/// The community's events as Server-Sent Events (`text/event-stream`): one
/// SSE event per recorded event, its `event` the event type, its `id` the
/// revision, its `data` the event as the log shows it. For members; the
/// feed ends when the caller's token expires or they stop being a member,
/// and when the service stops.
#[utoipa::path(
    get, path = "/v1/communities/{community}/events", tag = "audit",
    params(
        ("community" = crate::http::schema::Slug, Path),
        FeedQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "The revision of the last event received: the feed resumes after it"),
    ),
    responses(
        (status = 200, description = "A stream of events", content_type = "text/event-stream", body = String),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many feeds open", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_event_feed(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<FeedQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let next = match last_event_id(&headers)? {
        Some(last) => last.saturating_add(1),
        None => query.from.unwrap_or(view.revision + 1),
    };
    let permit = Arc::clone(&state.feeds.permits)
        .try_acquire_owned()
        .map_err(|_| ApiError::Unavailable("too many live feeds are open".to_owned()))?;
    let updates = state
        .ledger
        .view_updates(&community)
        .ok_or(ApiError::Unavailable("the community is closing".to_owned()))?;
    let feed = Feed {
        ledger: Arc::clone(&state.ledger),
        community,
        caller,
        next,
        pending: VecDeque::new(),
        updates,
        _permit: permit,
    };
    let closing = state.feeds.closing.subscribe();
    Ok(Sse::new(feed.into_stream(closing)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The revision a reconnecting client last received, if it says.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        ApiError::InvalidParameter(format!(
            "Last-Event-ID {text:?} is not a revision this feed sent"
        ))
    })
}

/// One client's feed.
struct Feed {
    ledger: Arc<Ledger>,
    community: CommunitySlug,
    caller: Caller,
    /// The next revision to send.
    next: u64,
    /// Read and not sent yet.
    pending: VecDeque<EventView>,
    updates: watch::Receiver<Option<Arc<DurableView>>>,
    _permit: OwnedSemaphorePermit,
}

impl Feed {
    /// The feed as a stream, which ends when `closing` becomes true.
    fn into_stream(
        self,
        closing: watch::Receiver<bool>,
    ) -> impl Stream<Item = Result<SseEvent, Infallible>> {
        futures_util::stream::unfold((self, closing), |(mut feed, mut closing)| async move {
            let event = feed.next_event(&mut closing).await?;
            Some((Ok(event), (feed, closing)))
        })
    }

    /// The next SSE event, once there is one; `None` ends the feed.
    async fn next_event(&mut self, closing: &mut watch::Receiver<bool>) -> Option<SseEvent> {
        loop {
            if let Some(view) = self.pending.pop_front() {
                return Some(sse_event(&view));
            }
            let expires_in = expires_in(&self.caller);
            tokio::select! {
                biased;
                _ = closing.wait_for(|closing| *closing) => return None,
                () = tokio::time::sleep(expires_in) => return None,
                read = self.read_recorded() => {
                    if !read? {
                        return None;
                    }
                }
            }
        }
    }

    /// Waits until the community records revision `next`, checks the
    /// caller may still read it, then reads what is there. False when the
    /// feed must end.
    async fn read_recorded(&mut self) -> Option<bool> {
        let next = self.next;
        let view = self
            .updates
            .wait_for(|view| view.as_ref().is_some_and(|view| view.revision >= next))
            .await
            .ok()?
            .clone()?;
        if self
            .caller
            .authorize(&self.community, Some(&view), Access::Member)
            .is_err()
        {
            return Some(false);
        }
        let events = self
            .ledger
            .read_log(&self.community, next, FEED_PAGE)
            .await
            .ok()?;
        if events.is_empty() {
            return Some(false);
        }
        self.next += events.len() as u64;
        self.pending.extend(events.iter().map(EventView::from));
        Some(true)
    }
}

fn sse_event(view: &EventView) -> SseEvent {
    let data = serde_json::to_string(view).expect("an event view serializes");
    SseEvent::default()
        .id(view.revision.to_string())
        .event(&view.event_type)
        .data(data)
}

/// How long the caller's token still lasts.
fn expires_in(caller: &Caller) -> Duration {
    let now = chrono::Utc::now().timestamp();
    Duration::from_secs(u64::try_from(caller.claims.exp - now).unwrap_or(0))
}
