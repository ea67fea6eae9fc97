//! Errors at the edge, as RFC 9457 `application/problem+json`. Each variant
//! has one status; internal details are logged, never sent to the client.

use axum::Json;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Base of the `type` URIs that name each problem.
pub const PROBLEM_TYPE_BASE: &str = "https://agora-ledger.org/problems/";

/// What went wrong, as the client sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: nothing here.
    #[error("no resource at {0}")]
    NotFound(String),
    /// 503: the event store does not answer; retry later.
    #[error("the service is not ready: {0}")]
    Unavailable(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    problem_type: String,
    title: &'a str,
    status: u16,
    detail: String,
    rule: &'a str,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, rule, title) = self.parts();
        let detail = match &self {
            Self::Unavailable(reason) => {
                tracing::warn!(%reason, "not ready");
                "the event store is not available; retry later".to_owned()
            }
            other => other.to_string(),
        };
        let problem = Problem {
            problem_type: format!("{PROBLEM_TYPE_BASE}{rule}"),
            title,
            status: status.as_u16(),
            detail,
            rule,
        };
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(problem),
        )
            .into_response()
    }
}

/// The fallback for unknown paths.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_owned())
}
