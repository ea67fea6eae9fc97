//! Probes: `/healthz` says the process answers; `/readyz` says it can serve,
//! that is, the event store answers too.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::{ApiError, AppState};

#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    status: &'static str,
}

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The service can serve: its event store answers.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, body = Status),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readiness(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    state
        .ledger
        .store()
        .ping()
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    Ok(Json(Status { status: "ready" }))
}
