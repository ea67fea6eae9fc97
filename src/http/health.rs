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
    /// Why the service refuses every command, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    read_only: Option<String>,
}

/// The process answers (and says so even when it refuses commands, with
/// the reason).
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn health(State(state): State<AppState>) -> Json<Status> {
    Json(Status {
        status: "ok",
        read_only: state.ledger.read_only_reason(),
    })
}

/// The service can serve: its event store answers, and no check found its
/// log damaged (a service started read-only for inspection is ready, and
/// says it refuses commands).
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
    let read_only = state.ledger.read_only_reason();
    if state.ledger.damage().is_some() {
        let reason = read_only.unwrap_or_default();
        return Err(ApiError::ReadOnly(format!(
            "the service runs read-only: {reason}"
        )));
    }
    Ok(Json(Status {
        status: "ready",
        read_only,
    }))
}
