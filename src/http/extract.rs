//! Extractors that turn a request's parts into typed values once, at the
//! edge, and every refusal into a problem response.

use agora_events::{CommunitySlug, Hash, PioneerId};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body accepted, in bytes.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// Longest `Idempotency-Key` accepted.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 128;

/// A JSON body parsed into `T`, with the SHA-256 of its raw bytes.
pub struct JsonBody<T> {
    pub value: T,
    pub digest: Hash,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media| {
                let media = media.trim();
                media.eq_ignore_ascii_case("application/json")
                    || (media.starts_with("application/") && media.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::JsonRequired);
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection: BytesRejection| {
                    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::BodyTooLarge {
                            max: REQUEST_BODY_BYTES_MAX,
                        }
                    } else {
                        ApiError::MalformedJson(rejection.body_text())
                    }
                })?;
        let value = serde_json::from_slice(&bytes).map_err(|error| match error.classify() {
            serde_json::error::Category::Data => ApiError::InvalidBody(error.to_string()),
            _ => ApiError::MalformedJson(error.to_string()),
        })?;
        Ok(Self {
            value,
            digest: Hash::of(&bytes),
        })
    }
}

/// Query parameters parsed into `T`; one that does not parse is a 400
/// `invalid-parameter` problem.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| ApiError::InvalidParameter(rejection.body_text()))
    }
}

/// The `Idempotency-Key` header, if sent: 1 to 128 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let key = value
            .to_str()
            .map_err(|_| ApiError::InvalidIdempotencyKey)?;
        let valid = !key.is_empty()
            && key.len() <= IDEMPOTENCY_KEY_BYTES_MAX
            && key.bytes().all(|byte| byte.is_ascii_graphic());
        if !valid {
            return Err(ApiError::InvalidIdempotencyKey);
        }
        Ok(Self(Some(key.to_owned())))
    }
}

/// A community slug from the path; one that cannot be a slug names no
/// community.
pub fn community(slug: &str) -> Result<CommunitySlug, ApiError> {
    slug.parse()
        .map_err(|_| ApiError::Rejected(crate::domain::Rejection::CommunityNotFound))
}

/// An id of some entity (`what`) from the path.
pub fn id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::InvalidParameter(format!("{text:?} is not a {what} id (a UUID)")))
}

/// A pioneer id from the path.
pub fn pioneer(text: &str) -> Result<PioneerId, ApiError> {
    id("pioneer", text)
}

/// Most items one page of a statement or a history holds.
pub const PAGE_MAX: usize = 500;

/// A page of a long list, oldest first: `?offset=&limit=`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Items to skip, oldest first.
    #[serde(default)]
    pub offset: u64,
    /// At most 500; default 100.
    pub limit: Option<usize>,
}

impl Page {
    /// The most items to return.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(100).clamp(1, PAGE_MAX)
    }
}
