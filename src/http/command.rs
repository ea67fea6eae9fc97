//! The path every command takes at the edge: authorized, digested with its
//! idempotency key, handed to the ledger, answered with the events it
//! recorded. A retry with the same key and body gets the same answer, with
//! `Idempotent-Replayed: true`, and records nothing.

use std::sync::{Arc, Mutex};

use agora_events::{Actor, CommunitySlug, CorrelationId, EventRecord, Hash, PioneerId};
use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::error::{ApiError, command_digest};
use super::extract::{IDEMPOTENCY_KEY, IdempotencyKey};
use crate::domain::{Command, Rejection};
use crate::ledger::{CommandOutcome, CommandRequest, Committed, DurableView, PersonalKey};

/// The header that marks a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// What a command request carries besides its body.
pub struct CommandContext {
    idempotency_key: Option<String>,
    correlation_id: CorrelationId,
    method: String,
    path: String,
}

impl CommandContext {
    /// The client's `Idempotency-Key`, if it sent one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// A command sent by other means than the API's own requests (a form):
    /// its key, and the method and path it came by.
    pub fn new(idempotency_key: Option<String>, method: &str, path: &str) -> Self {
        Self {
            idempotency_key,
            correlation_id: CorrelationId(Uuid::now_v7()),
            method: method.to_owned(),
            path: path.to_owned(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CommandContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let IdempotencyKey(idempotency_key) =
            IdempotencyKey::from_request_parts(parts, state).await?;
        // The request id ties the events to the request's log lines.
        let correlation_id = parts
            .headers
            .get(super::REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| Uuid::parse_str(value).ok())
            .unwrap_or_else(Uuid::now_v7);
        Ok(Self {
            idempotency_key,
            correlation_id: CorrelationId(correlation_id),
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
        })
    }
}

/// A recorded event, as commands answer and the log shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub position: u64,
    pub revision: u64,
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    /// The event's facts; its schema is `events/schema/<type>.v<version>.json`.
    #[schema(value_type = Object)]
    pub data: RecordPart,
    /// Community, actor, command id and digest, correlation id, time.
    #[schema(value_type = Object)]
    pub metadata: RecordPart,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&Committed> for EventView {
    fn from(committed: &Committed) -> Self {
        let record = &committed.record;
        Self {
            position: committed.position,
            revision: committed.revision,
            event_id: record.event_id.0,
            event_type: record.event_type.clone(),
            version: record.version,
            data: RecordPart::data(record),
            metadata: RecordPart::metadata(record),
            prev_hash: record.prev_hash.to_string(),
            hash: record.hash.to_string(),
        }
    }
}

/// The data or the metadata of a recorded event, serialized from the
/// record the ledger shares rather than from a copy of it.
pub struct RecordPart {
    record: Arc<EventRecord>,
    metadata: bool,
}

impl RecordPart {
    fn data(record: &Arc<EventRecord>) -> Self {
        Self {
            record: Arc::clone(record),
            metadata: false,
        }
    }

    fn metadata(record: &Arc<EventRecord>) -> Self {
        Self {
            record: Arc::clone(record),
            metadata: true,
        }
    }

    pub fn value(&self) -> &Value {
        if self.metadata {
            &self.record.metadata
        } else {
            &self.record.data
        }
    }
}

impl Serialize for RecordPart {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl std::fmt::Debug for RecordPart {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(formatter)
    }
}

/// The answer to every command: the events it recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResponse {
    /// The `Idempotency-Key` sent, or an id the service minted.
    pub command_id: String,
    /// True when this answers a retry: nothing new was recorded.
    pub replayed: bool,
    pub events: Vec<EventView>,
}

/// The routes that create something addressable, answered 201 with its
/// `Location`: the collection they post to (`/v1/communities`, or one
/// under a community), the event that creates the thing, and the member
/// of its data that names it. A retry finds the same address in the
/// events the first answer recorded.
const CREATIONS: [(&str, &str, &str); 7] = [
    ("communities", "CommunityCreated", "slug"),
    ("pioneers", "PioneerAdmitted", "pioneer_id"),
    ("applications", "ApplicationSubmitted", "applicant"),
    ("projects", "ProjectProposed", "project_id"),
    ("ballots", "BallotOpened", "ballot_id"),
    ("assemblies", "AssemblyConvened", "assembly_id"),
    ("webhooks", "WebhookRegistered", "webhook_id"),
];

/// Where the thing a command posted to `path` created is, when the route
/// is one that creates ([`CREATIONS`]).
fn created_location(path: &str, outcome: &CommandOutcome) -> Option<String> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let collection = match segments[..] {
        ["", "v1", collection @ "communities"] | ["", "v1", "communities", _, collection] => {
            collection
        }
        _ => return None,
    };
    let &(_, event_type, member) = CREATIONS.iter().find(|(name, ..)| *name == collection)?;
    let created = outcome
        .events
        .iter()
        .find(|committed| committed.record.event_type == event_type)?;
    let id = created.record.data.get(member)?.as_str()?;
    Some(format!("{}/{id}", path.trim_end_matches('/')))
}

/// A command ready for the ledger.
pub struct Submission {
    community: CommunitySlug,
    actor: Actor,
    command: Command,
    body_digest: Hash,
    new_key: Option<(PioneerId, PersonalKey)>,
}

impl Submission {
    /// `command`, by `actor` in `community`, sent with a body of that digest.
    pub fn new(
        community: CommunitySlug,
        actor: Actor,
        command: Command,
        body_digest: Hash,
    ) -> Self {
        Self {
            community,
            actor,
            command,
            body_digest,
            new_key: None,
        }
    }

    /// The command admits a pioneer whose personal data is sealed with `key`.
    pub fn with_personal_key(mut self, pioneer: PioneerId, key: PersonalKey) -> Self {
        self.new_key = Some((pioneer, key));
        self
    }
}

/// The response header that gives the community's revision a command's
/// last event was recorded at.
pub const REVISION_HEADER: &str = "agora-revision";

/// Runs the command and answers with the events it recorded: 201 with a
/// `Location` when it created something addressable, 200 otherwise.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    context: CommandContext,
    submission: Submission,
) -> Result<Response, ApiError> {
    let (outcome, location) = execute(state, caller, context, submission).await?;
    Ok(answer(&outcome, location))
}

/// The answer to a command, first or retried: its events, 201 with the
/// `Location` of what it created, or 200.
fn answer(outcome: &CommandOutcome, location: Option<String>) -> Response {
    let status = if location.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = CommandResponse {
        command_id: outcome.command_id.clone(),
        replayed: outcome.replayed,
        events: outcome.events.iter().map(EventView::from).collect(),
    };
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(location) = location.and_then(|location| HeaderValue::from_str(&location).ok()) {
        headers.insert(header::LOCATION, location);
    }
    if outcome.replayed {
        headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    // What a caller sends back as `Agora-Min-Revision` to read its write
    // through any instance.
    if let Some(last) = outcome.events.last() {
        headers.insert(REVISION_HEADER, HeaderValue::from(last.revision));
    }
    response
}

/// Hands the command to the ledger, digested with what the caller sent:
/// the one path of every command, from the API or from a form. Returns
/// the outcome and, for a command creating something, where it is.
pub async fn execute(
    state: &AppState,
    caller: &Caller,
    context: CommandContext,
    submission: Submission,
) -> Result<(CommandOutcome, Option<String>), ApiError> {
    let command_digest = command_digest(
        &caller.claims.sub,
        &context.method,
        &context.path,
        &submission.body_digest,
    );
    let outcome = state
        .ledger
        .execute(CommandRequest {
            community: submission.community,
            command: submission.command,
            actor: submission.actor,
            idempotency_key: context.idempotency_key,
            command_digest,
            correlation_id: context.correlation_id,
            new_key: submission.new_key,
        })
        .await?;
    let location = created_location(&context.path, &outcome);
    Ok((outcome, location))
}

/// Answers a retry that the edge refused before the ledger saw it with
/// the first answer, when the ledger recorded the command: the caller no
/// longer holds the role it needed (a pioneer who left, a candidate since
/// admitted), or what the edge resolved the command against has moved on
/// (the allocation an expense drew on, now spent). It must be the same
/// caller, with the same key, route and body (the command's digest);
/// anything else keeps its refusal. Only refusals are looked at again, and
/// only with what the handler itself read (see [`Heard`]), so a command
/// that goes through pays for nothing more, and refusals come in the
/// order the handler's extractors give them.
pub async fn answer_refused_retries(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let keyed = request.method() != Method::GET
        && request.uri().path().starts_with("/v1/communities/")
        && request.headers().contains_key(IDEMPOTENCY_KEY);
    if !keyed {
        return next.run(request).await;
    }
    let key = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .and_then(|key| key.to_str().ok())
        .map(str::to_owned);
    let path = request.uri().path().to_owned();
    let community = path
        .strip_prefix("/v1/communities/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|slug| slug.parse::<CommunitySlug>().ok());
    let (Some(key), Some(community)) = (key, community) else {
        return next.run(request).await;
    };
    let heard = Heard::default();
    request.extensions_mut().insert(heard.clone());
    let method = request.method().clone();
    let response = next.run(request).await;
    let reconsidered = [
        StatusCode::FORBIDDEN,
        StatusCode::NOT_FOUND,
        StatusCode::CONFLICT,
        StatusCode::UNPROCESSABLE_ENTITY,
    ];
    if !reconsidered.contains(&response.status()) {
        return response;
    }
    let (Some(subject), body) = heard.taken() else {
        return response; // no caller the token vouched for
    };
    // A route that takes no body digests none, whatever was sent.
    let body = body.unwrap_or_else(empty_body);
    let digest = command_digest(&subject, method.as_str(), &path, &body);
    match state
        .ledger
        .recorded_command(&community, &subject, &key)
        .await
    {
        Ok(Some((recorded, outcome))) if recorded == digest => {
            let location = created_location(&path, &outcome);
            answer(&outcome, location)
        }
        _ => response,
    }
}

/// What a command's handler read of its request, kept for the look at
/// a refused retry ([`answer_refused_retries`] puts it in the request's
/// extensions): the subject of the caller, once its token passed (scope
/// included), and the digest of the body, once it parsed.
#[derive(Clone, Default)]
pub struct Heard(Arc<Mutex<(Option<String>, Option<Hash>)>>);

impl Heard {
    /// The caller's token passed: its subject.
    pub fn caller(&self, subject: &str) {
        self.lock().0 = Some(subject.to_owned());
    }

    /// The body parsed: its digest.
    pub fn body(&self, digest: Hash) {
        self.lock().1 = Some(digest);
    }

    fn taken(&self) -> (Option<String>, Option<Hash>) {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<String>, Option<Hash>)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Finds the community of a path and authorizes the caller in it: what
/// every handler under `/v1/communities/{community}` does first.
pub fn enter(
    state: &AppState,
    caller: &Caller,
    community: &CommunitySlug,
    access: Access<'_>,
) -> Result<(Arc<DurableView>, Actor), ApiError> {
    let view = state
        .ledger
        .view(community)
        .ok_or(ApiError::Rejected(Rejection::CommunityNotFound))?;
    let actor = caller.authorize(community, Some(&view), access)?;
    Ok((view, actor))
}

/// The caller as a pioneer: commands acting for oneself need one.
pub fn pioneer_caller(caller: &Caller) -> Result<PioneerId, ApiError> {
    caller.pioneer_id().ok_or(ApiError::Forbidden {
        rule: "pioneer-only",
        detail: "only a pioneer can do this for themself".into(),
    })
}

/// The digest of an empty body, for commands that take none.
pub fn empty_body() -> Hash {
    Hash::of(b"")
}
