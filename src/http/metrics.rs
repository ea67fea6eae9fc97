//! `/metrics`: counters in the Prometheus text format, kept in atomics —
//! requests by status class and their total duration, commands by outcome,
//! events recorded — and, read at scrape time, each community's revision.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// How a command ended, for `agora_commands_total`.
#[derive(Debug, Clone, Copy)]
pub enum CommandOutcome {
    Recorded,
    Replayed,
    Refused,
}

struct Counters {
    /// 1xx…5xx.
    responses: [AtomicU64; 5],
    duration_micros: AtomicU64,
    commands: [AtomicU64; 3],
    events: AtomicU64,
}

static COUNTERS: Counters = Counters {
    responses: [const { AtomicU64::new(0) }; 5],
    duration_micros: AtomicU64::new(0),
    commands: [const { AtomicU64::new(0) }; 3],
    events: AtomicU64::new(0),
};

/// Counts a command's outcome and the events it recorded.
pub fn count_command(outcome: CommandOutcome, events: usize) {
    COUNTERS.commands[outcome as usize].fetch_add(1, Ordering::Relaxed);
    COUNTERS.events.fetch_add(events as u64, Ordering::Relaxed);
}

/// Middleware: counts every response by status class, and its duration.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let class = (response.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    COUNTERS.responses[class].fetch_add(1, Ordering::Relaxed);
    COUNTERS
        .duration_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    response
}

/// Counters for Prometheus (text exposition format): responses by status
/// class, commands by outcome (`refused` counts every command not carried
/// out: a rule, a reused key, an unavailable store), events recorded, and
/// each community's revision.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    text.push_str("# HELP agora_http_responses_total HTTP responses by status class.\n");
    text.push_str("# TYPE agora_http_responses_total counter\n");
    for (index, counter) in COUNTERS.responses.iter().enumerate() {
        let _ = writeln!(
            text,
            "agora_http_responses_total{{class=\"{}xx\"}} {}",
            index + 1,
            load(counter)
        );
    }
    text.push_str(
        "# HELP agora_http_request_duration_seconds_sum Time spent answering requests.\n",
    );
    text.push_str("# TYPE agora_http_request_duration_seconds_sum counter\n");
    let _ = writeln!(
        text,
        "agora_http_request_duration_seconds_sum {}",
        load(&COUNTERS.duration_micros) as f64 / 1e6
    );
    text.push_str("# HELP agora_commands_total Commands by outcome.\n");
    text.push_str("# TYPE agora_commands_total counter\n");
    for (name, counter) in ["recorded", "replayed", "refused"]
        .iter()
        .zip(&COUNTERS.commands)
    {
        let _ = writeln!(
            text,
            "agora_commands_total{{outcome=\"{name}\"}} {}",
            load(counter)
        );
    }
    text.push_str("# HELP agora_events_recorded_total Events appended by commands.\n");
    text.push_str("# TYPE agora_events_recorded_total counter\n");
    let _ = writeln!(
        text,
        "agora_events_recorded_total {}",
        load(&COUNTERS.events)
    );
    text.push_str("# HELP agora_community_revision The revision of each community's last event.\n");
    text.push_str("# TYPE agora_community_revision gauge\n");
    for community in state.ledger.communities() {
        if let Some(snapshot) = state.ledger.snapshot(&community) {
            let _ = writeln!(
                text,
                "agora_community_revision{{community=\"{community}\"}} {}",
                snapshot.revision
            );
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
