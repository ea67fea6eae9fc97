//! `/metrics`: counters in the Prometheus text format, kept in atomics —
//! requests by status class and their total duration; commands by outcome
//! and events recorded, counted by the ledger's writers — and the number of
//! communities.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

struct Counters {
    /// 1xx…5xx.
    responses: [AtomicU64; 5],
    duration_micros: AtomicU64,
}

static COUNTERS: Counters = Counters {
    responses: [const { AtomicU64::new(0) }; 5],
    duration_micros: AtomicU64::new(0),
};

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
/// the number of communities. No community is named: the endpoint needs no
/// token.
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
        "# HELP agora_http_request_duration_seconds_total Time spent answering requests.\n",
    );
    text.push_str("# TYPE agora_http_request_duration_seconds_total counter\n");
    let _ = writeln!(
        text,
        "agora_http_request_duration_seconds_total {}",
        load(&COUNTERS.duration_micros) as f64 / 1e6
    );
    text.push_str("# HELP agora_commands_total Commands by outcome.\n");
    text.push_str("# TYPE agora_commands_total counter\n");
    let (commands, events) = crate::telemetry::command_counts();
    for (name, count) in ["recorded", "replayed", "refused"].iter().zip(commands) {
        let _ = writeln!(text, "agora_commands_total{{outcome=\"{name}\"}} {count}");
    }
    text.push_str("# HELP agora_events_recorded_total Events appended by commands.\n");
    text.push_str("# TYPE agora_events_recorded_total counter\n");
    let _ = writeln!(text, "agora_events_recorded_total {events}");
    // Aggregates only: the endpoint needs no token, so it names no community.
    text.push_str("# HELP agora_communities Communities in the ledger.\n");
    text.push_str("# TYPE agora_communities gauge\n");
    let _ = writeln!(
        text,
        "agora_communities {}",
        state.ledger.communities().len()
    );
    text.push_str("# HELP agora_read_only 1 while the service refuses every command.\n");
    text.push_str("# TYPE agora_read_only gauge\n");
    let _ = writeln!(
        text,
        "agora_read_only {}",
        u8::from(state.ledger.is_read_only())
    );
    text.push_str(
        "# HELP agora_log_damaged 1 once a check found a chain broken or figures that do not add up.\n",
    );
    text.push_str("# TYPE agora_log_damaged gauge\n");
    let _ = writeln!(
        text,
        "agora_log_damaged {}",
        u8::from(state.ledger.damage().is_some())
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
