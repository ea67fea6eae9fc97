//! Probes: `/healthz` says the process answers; `/readyz` says it can serve,
//! that is, the event store answers too.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(readiness))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readiness(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    Ok(Json(json!({ "status": "ready" })))
}
