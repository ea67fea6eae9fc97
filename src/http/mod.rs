//! The HTTP interface: one router, built by a function from the state, so
//! tests can drive it without a socket. Routes per area; every error is a
//! problem document; bodies and time are bounded.

mod audit;
mod ballots;
mod caller;
mod command;
mod communities;
mod error;
mod extract;
mod funds;
mod health;
mod market;
mod metrics;
mod openapi;
mod pioneers;
mod projects;
mod schema;
mod shares;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;
use crate::ledger::Ledger;

pub use caller::{Access, Caller};
pub use command::{CommandResponse, EventView, REPLAYED_HEADER};
pub use error::{ApiError, PROBLEM_JSON, Problem};
pub use extract::{IDEMPOTENCY_KEY_BYTES_MAX, REQUEST_BODY_BYTES_MAX};
pub use openapi::ApiDoc;

/// The header that carries each request's id, set if the client sent none.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest a request may take before it is answered 503 `timeout`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler shares, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub auth: Arc<Authenticator>,
}

/// The service's routes with their middleware.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .merge(health::routes())
        .route("/v1/openapi.json", get(openapi::openapi))
        .route("/metrics", get(metrics::metrics))
        .merge(communities::routes())
        .merge(pioneers::routes())
        .merge(shares::routes())
        .merge(market::routes())
        .merge(projects::routes())
        .merge(ballots::routes())
        .merge(funds::routes())
        .merge(audit::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn(time_limit))
        .layer(middleware::from_fn(metrics::count_requests))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|id| id.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
                }))
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
}

/// Answers 503 `timeout` when a request takes longer than
/// [`REQUEST_TIMEOUT`]. A command already handed to the ledger still
/// completes; its retry with the same key returns the result.
async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
