//! The HTTP interface: one router, built by a function from the state, so
//! tests can drive it without a socket.

mod error;
mod health;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::store::EventStore;

pub use error::ApiError;

/// The header that carries each request's id, set if the client sent none.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What every handler shares, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
}

/// The service's routes with their middleware.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .merge(health::routes())
        .fallback(error::not_found)
        .with_state(state)
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
