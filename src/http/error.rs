//! Errors at the edge, as RFC 9457 `application/problem+json`. Every
//! problem names the rule broken in `rule` (and in its `type` URI); each
//! variant has one status. Internal details are logged, never sent.

use agora_events::Hash;
use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::TokenError;
use crate::domain::{Rejection, RejectionKind};
use crate::ledger::LedgerError;

/// Base of the `type` URIs that name each problem.
pub const PROBLEM_TYPE_BASE: &str = "https://agora-ledger.org/problems/";
/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "1";

/// What went wrong, as the client sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404, 409 or 422: the command breaks a rule of the domain.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// 400: the body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// 422: the body is JSON but not the expected shape.
    #[error("the body does not fit: {0}")]
    InvalidBody(String),
    /// 415: commands take `application/json`.
    #[error("the body must be application/json")]
    JsonRequired,
    /// 415: bodies are read as sent, never decompressed.
    #[error("the body must be sent without a Content-Encoding (found {0:?})")]
    EncodingUnsupported(String),
    /// 413.
    #[error("the body is larger than {max} bytes")]
    BodyTooLarge { max: usize },
    /// 400: a path or query parameter does not parse.
    #[error("{0}")]
    InvalidParameter(String),
    /// 400.
    #[error("the Idempotency-Key header must be sent once, 1 to 128 visible ASCII characters")]
    InvalidIdempotencyKey,
    /// 422: the key was used for another command.
    #[error("idempotency key {key:?} was already used for another command")]
    IdempotencyKeyReused { key: String },
    /// 401: no bearer token.
    #[error("a bearer token is required")]
    MissingToken,
    /// 401: the token does not verify.
    #[error("{0}")]
    InvalidToken(#[from] TokenError),
    /// 403: authenticated, but not allowed.
    #[error("{detail}")]
    Forbidden { rule: &'static str, detail: String },
    /// 422: a well-formed request that a rule of the service refuses
    /// before any command (a report's period, an expense's allocation).
    #[error("{detail}")]
    Unprocessable { rule: &'static str, detail: String },
    /// 404: the log holds nothing about this id.
    #[error("the log holds nothing about {0}")]
    NoHistory(uuid::Uuid),
    /// 404.
    #[error("no resource at {0}")]
    NotFound(String),
    /// 405.
    #[error("method not allowed here")]
    MethodNotAllowed,
    /// 503: the community's log kept moving (other instances kept writing
    /// first); retry.
    #[error(
        "the community's log kept moving while the command was decided; retry it with the same Idempotency-Key"
    )]
    Contention,
    /// 503: the caller asked to read at least this revision of the
    /// community (`Agora-Min-Revision`), and this instance has not caught
    /// up with it in time.
    #[error("this instance has not caught up with revision {revision} of the community yet; retry")]
    Lagging { revision: u64 },
    /// 503: the store does not answer or the service is stopping.
    #[error("the service is not available: {0}")]
    Unavailable(String),
    /// 503: the service refuses every command: started read-only, for
    /// inspection, or its log was found damaged (the reason says which).
    #[error("{0}; commands are refused")]
    ReadOnly(String),
    /// 503: the request took too long; a command may still complete, so
    /// retry it with the same Idempotency-Key.
    #[error("the request timed out")]
    Timeout,
    /// 500: a bug or a damaged log; details are in the service's logs.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The problem document (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem: the base followed by the rule.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// What happened, for people.
    pub detail: String,
    /// The rule broken, stable for programs: `variable-capital-floor`.
    pub rule: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request id, to find the request in the service's logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Rejected(rejection) => Self::Rejected(rejection),
            LedgerError::IdempotencyKeyReused { key } => Self::IdempotencyKeyReused { key },
            LedgerError::Contention => Self::Contention,
            LedgerError::Store(error) => Self::Unavailable(error.to_string()),
            LedgerError::ShuttingDown => Self::Unavailable("the service is stopping".into()),
            LedgerError::Corrupt(reason) | LedgerError::Keys(reason) => Self::Internal(reason),
            LedgerError::ReadOnly(reason) => {
                Self::ReadOnly(format!("the service runs read-only: {reason}"))
            }
        }
    }
}

impl ApiError {
    /// Status, rule and title.
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Rejected(rejection) => {
                let (status, title) = match rejection.kind() {
                    RejectionKind::Invalid => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "The command breaks a rule",
                    ),
                    RejectionKind::NotFound => (StatusCode::NOT_FOUND, "Not found"),
                    RejectionKind::Conflict => (
                        StatusCode::CONFLICT,
                        "The command conflicts with the ledger",
                    ),
                    RejectionKind::Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
                };
                (status, rejection.rule(), title)
            }
            Self::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON"),
            Self::InvalidBody(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "The body does not fit",
            ),
            Self::JsonRequired => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "json-required",
                "JSON required",
            ),
            Self::EncodingUnsupported(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content-encoding-unsupported",
                "Content encoding unsupported",
            ),
            Self::BodyTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Body too large",
            ),
            Self::InvalidParameter(_) => (
                StatusCode::BAD_REQUEST,
                "invalid-parameter",
                "Invalid parameter",
            ),
            Self::InvalidIdempotencyKey => (
                StatusCode::BAD_REQUEST,
                "idempotency-key-invalid",
                "Invalid Idempotency-Key",
            ),
            Self::IdempotencyKeyReused { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key already used",
            ),
            Self::MissingToken => (
                StatusCode::UNAUTHORIZED,
                "authentication-required",
                "Authentication required",
            ),
            Self::InvalidToken(_) => (StatusCode::UNAUTHORIZED, "invalid-token", "Invalid token"),
            Self::Forbidden { rule, .. } => (StatusCode::FORBIDDEN, rule, "Forbidden"),
            Self::Unprocessable { rule, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                rule,
                "The request breaks a rule",
            ),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::NoHistory(_) => (StatusCode::NOT_FOUND, "history-not-found", "Not found"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::Contention => (StatusCode::SERVICE_UNAVAILABLE, "contention", "Busy; retry"),
            Self::Lagging { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "read-your-writes",
                "Not caught up yet",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout", "Timed out"),
            Self::ReadOnly(_) => (StatusCode::SERVICE_UNAVAILABLE, "read-only", "Read-only"),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// The problem document this error answers with.
    pub fn problem(&self) -> Problem {
        let (status, rule, title) = self.parts();
        let detail = match self {
            Self::Unavailable(reason) => {
                tracing::warn!(%reason, "unavailable");
                "the service cannot serve this now; retry later".to_owned()
            }
            Self::Internal(reason) => {
                tracing::error!(%reason, "internal error");
                "an internal error occurred; it has been logged".to_owned()
            }
            Self::Timeout => "the request took too long; a command may still complete: retry it with the same Idempotency-Key".to_owned(),
            other => other.to_string(),
        };
        let field = match self {
            Self::Rejected(rejection) => rejection.field().map(str::to_owned),
            _ => None,
        };
        Problem {
            problem_type: format!("{PROBLEM_TYPE_BASE}{rule}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            rule: rule.to_owned(),
            field,
            instance: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self {
            Self::MissingToken | Self::InvalidToken(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Contention | Self::Lagging { .. } | Self::Unavailable(_) | Self::Timeout => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
            }
            _ => {}
        }
        response
    }
}

/// The fallback for unknown paths: a problem, or for the web interface's
/// addresses a page in French.
pub async fn not_found(method: Method, uri: Uri) -> Response {
    match super::web::is_page(uri.path()) {
        true => super::web::missing_page(&method, uri.path(), uri.query(), false),
        false => ApiError::NotFound(uri.path().to_owned()).into_response(),
    }
}

/// The fallback for known paths with another method.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    match super::web::is_page(uri.path()) {
        true => super::web::missing_page(&method, uri.path(), uri.query(), true),
        false => ApiError::MethodNotAllowed.into_response(),
    }
}

/// A digest that ties an idempotency key to one command: the caller, the
/// method and path, and the body's own digest.
pub fn command_digest(subject: &str, method: &str, path: &str, body: &Hash) -> Hash {
    let mut bytes = Vec::with_capacity(subject.len() + method.len() + path.len() + 70);
    for part in [subject, method, path] {
        bytes.extend_from_slice(part.as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&body.0);
    Hash::of(&bytes)
}
