//! Extractors that turn a request's parts into typed values once, at the
//! edge, and every refusal into a problem response.

use agora_events::{
    AccountId, AssemblyId, BallotId, CommunitySlug, ExchangeId, Hash, ListingId, PioneerId,
    ProjectId,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;

/// Largest request body accepted, in bytes.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// The header that carries a command's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
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
        let heard = request.extensions().get::<super::command::Heard>().cloned();
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
        // A compressed body would be read as the JSON it is not, or, worse,
        // as JSON that says something else than what was meant.
        // Every header counts: a second one may name what the first does not.
        if let Some(encoding) = request
            .headers()
            .get_all(CONTENT_ENCODING)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .find(|encoding| !encoding.trim().eq_ignore_ascii_case("identity"))
        {
            return Err(ApiError::EncodingUnsupported(encoding));
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
        let value = parse(&bytes)?;
        let digest = Hash::of(&bytes);
        if let Some(heard) = heard {
            heard.body(digest);
        }
        Ok(Self { value, digest })
    }
}

/// Parses a JSON body into `T`. JSON has one kind of number: `32.0` is the
/// integer 32 (as JSON Schema says too), so a body refused only because a
/// whole number was written with a fraction is read again with integers.
///
/// A body is a JSON object: the request types would otherwise also read
/// an array, member by member in the order they declare them.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    if first.is_some_and(|&byte| byte != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::InvalidBody(
            "a request body is a JSON object, with its members named".into(),
        ));
    }
    let error = match serde_json::from_slice(bytes) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let refusal = |error: serde_json::Error| match error.classify() {
        serde_json::error::Category::Data => ApiError::InvalidBody(error.to_string()),
        _ => ApiError::MalformedJson(error.to_string()),
    };
    if error.classify() != serde_json::error::Category::Data {
        return Err(refusal(error));
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Err(refusal(error));
    };
    if !whole_numbers_as_integers(&mut value) {
        return Err(refusal(error));
    }
    serde_json::from_value(value).map_err(|_| refusal(error))
}

/// Rewrites every whole number written with a fraction (`32.0`) as an
/// integer; says whether there was any.
fn whole_numbers_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            let Some(float) = number.as_f64().filter(|_| number.is_f64()) else {
                return false;
            };
            let integer = if float.fract() != 0.0 {
                None
            } else if (0.0..u64::MAX as f64).contains(&float) {
                Some(serde_json::Number::from(float as u64))
            } else if (i64::MIN as f64..0.0).contains(&float) {
                Some(serde_json::Number::from(float as i64))
            } else {
                None
            };
            match integer {
                Some(integer) => {
                    *number = integer;
                    true
                }
                None => false,
            }
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            whole_numbers_as_integers(item) | changed
        }),
        Value::Object(fields) => fields.values_mut().fold(false, |changed, field| {
            whole_numbers_as_integers(field) | changed
        }),
        _ => false,
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

/// The `Idempotency-Key` header, if sent: 1 to 128 visible ASCII
/// characters, and one header (of two, which would the client mean?).
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(IDEMPOTENCY_KEY).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(ApiError::InvalidIdempotencyKey);
        }
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

/// `/v1/communities/{community}`: the community the path names. A segment
/// that cannot be a slug, or a slug the ledger does not hold, names no
/// community (404).
pub struct CommunityPath(pub CommunitySlug);

impl FromRequestParts<AppState> for CommunityPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = path_params(parts, state).await?;
        Ok(Self(community(state, parts, &params).await?))
    }
}

/// `/v1/communities/{community}/…/{id}`: the community and the one entity
/// the path names, each parsed once.
pub struct ItemPath<T>(pub CommunitySlug, pub T);

impl<T: PathId> FromRequestParts<AppState> for ItemPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = path_params(parts, state).await?;
        let community = community(state, parts, &params).await?;
        let item = params
            .iter()
            .find(|(name, _)| name != "community")
            .ok_or_else(|| ApiError::InvalidParameter(format!("the path names no {}", T::WHAT)))?;
        Ok(Self(community, T::parse(&item.1)?))
    }
}

/// The path's parameters, by name, percent-decoded.
async fn path_params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<Vec<(String, String)>, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|rejection| ApiError::InvalidParameter(rejection.body_text()))?;
    Ok(params
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

/// The community the path names, if the ledger holds it: checked before
/// the body is read, so a request to no community is a 404 whatever else
/// is wrong with it.
///
/// With `Agora-Min-Revision: N` (a revision the caller saw recorded,
/// through any instance), the request waits until this instance has caught
/// up with revision `N` of the community, at most [`READ_YOUR_WRITES_WAIT`],
/// then goes on; after that, a 503 `read-your-writes` problem.
async fn community(
    state: &AppState,
    parts: &Parts,
    params: &[(String, String)],
) -> Result<CommunitySlug, ApiError> {
    let slug: Option<CommunitySlug> = params
        .iter()
        .find(|(name, _)| name == "community")
        .and_then(|(_, slug)| slug.parse().ok());
    let not_found = || ApiError::Rejected(crate::domain::Rejection::CommunityNotFound);
    let slug = slug.ok_or_else(not_found)?;
    if let Some(revision) = min_revision(parts)? {
        return match state
            .ledger
            .view_reaching(&slug, revision, READ_YOUR_WRITES_WAIT)
            .await
        {
            Some(_) => Ok(slug),
            None if state.ledger.view(&slug).is_none() && !state.ledger.store().is_shared() => {
                Err(not_found())
            }
            None => Err(ApiError::Lagging { revision }),
        };
    }
    match state
        .ledger
        .view_or_wait(&slug, READ_YOUR_WRITES_WAIT)
        .await
    {
        Some(_) => Ok(slug),
        None => Err(not_found()),
    }
}

/// The request header that asks to read at least a revision of the
/// community: read-your-writes across service instances.
pub const MIN_REVISION_HEADER: &str = "agora-min-revision";
/// How long a request waits for its instance to reach the revision it asks
/// for in [`MIN_REVISION_HEADER`].
pub const READ_YOUR_WRITES_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The revision `Agora-Min-Revision` asks for, if sent: a whole number.
fn min_revision(parts: &Parts) -> Result<Option<u64>, ApiError> {
    let Some(value) = parts.headers.get(MIN_REVISION_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::InvalidParameter(
                "Agora-Min-Revision must be a revision of the community: a whole number".into(),
            )
        })
}

/// What a path segment can name: an entity of some kind, parsed at the edge
/// so a handler only ever sees a typed id.
pub trait PathId: Sized + Send {
    /// What the entity is called in a refusal.
    const WHAT: &'static str;

    /// The id written in `text`, or a 400 `invalid-parameter` naming it.
    fn parse(text: &str) -> Result<Self, ApiError>;
}

macro_rules! uuid_path_id {
    ($($id:ty => $what:literal),* $(,)?) => {$(
        impl PathId for $id {
            const WHAT: &'static str = $what;

            fn parse(text: &str) -> Result<Self, ApiError> {
                text.parse().map_err(|_| {
                    ApiError::InvalidParameter(format!("{text:?} is not a {} id (a UUID)", $what))
                })
            }
        }
    )*};
}

uuid_path_id! {
    PioneerId => "pioneer",
    ProjectId => "project",
    ListingId => "listing",
    ExchangeId => "exchange",
    BallotId => "ballot",
    AssemblyId => "assembly",
    agora_events::WebhookId => "webhook",
}

impl PathId for AccountId {
    const WHAT: &'static str = "account";

    fn parse(text: &str) -> Result<Self, ApiError> {
        text.parse().map_err(|error: agora_events::AccountIdError| {
            ApiError::InvalidParameter(error.to_string())
        })
    }
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
    #[param(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub offset: u64,
    /// At most 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

impl Page {
    /// The most items to return.
    pub fn limit(&self) -> Result<usize, ApiError> {
        page_limit(self.limit, 100, PAGE_MAX)
    }
}

/// The page size a request asks for (`default` when it says none): from 1
/// to `max`, or a 400 `invalid-parameter` that says so, rather than a page
/// of another size than asked.
pub fn page_limit(requested: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match requested.unwrap_or(default) {
        limit if (1..=max).contains(&limit) => Ok(limit),
        limit => Err(ApiError::InvalidParameter(format!(
            "limit must be from 1 to {max}, not {limit}"
        ))),
    }
}
