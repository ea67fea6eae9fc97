//! Webhooks over HTTP, for the deployment's operators (admins): register
//! an endpoint for some or all of the community's event types, read its
//! secret and its deliveries, deliver again from a revision, remove it.

use agora_events::{PioneerId, Role, WebhookId};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, empty_body, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody, Params, page_limit};
use crate::domain::{Command, RegisterWebhook, Rejection, RemoveWebhook};
use crate::ledger::PersonalKey;
use crate::webhooks::{Attempt, Progress};

const OPERATORS: &[Role] = &[Role::Admin];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where deliveries are posted: `https://` (or `http://`) on a host the
    /// deployment allows; no credentials in it (deliveries are signed).
    #[schema(example = "https://placealacte.example.org/agora/events")]
    pub url: String,
    /// The event types to deliver (`ExchangeConfirmed`, `ProjectProposed`…);
    /// every type when empty or absent.
    #[serde(default)]
    pub event_types: Vec<String>,
    #[schema(example = "Place à l'acte")]
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub at: String,
    pub revision: u64,
    pub event_id: Uuid,
    pub event_type: String,
    /// 1 for the first attempt at this event.
    pub attempt: u32,
    /// The endpoint's HTTP status, if it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
    pub millis: u64,
}

impl From<&Attempt> for AttemptView {
    fn from(attempt: &Attempt) -> Self {
        Self {
            at: attempt.at.to_string(),
            revision: attempt.revision,
            event_id: attempt.event_id,
            event_type: attempt.event_type.clone(),
            attempt: attempt.attempt,
            status: attempt.status,
            error: attempt.error.clone(),
            delivered: attempt.delivered,
            millis: attempt.millis,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    /// Every type when empty.
    pub event_types: Vec<String>,
    pub description: String,
    pub registered_at: String,
    /// The next revision to deliver (`null` before the first delivery).
    pub next_revision: Option<u64>,
    /// Events delivered in all.
    pub delivered: u64,
    /// The latest attempt.
    pub last_attempt: Option<AttemptView>,
    /// The key deliveries are signed with (hex), on `GET …/webhooks/{id}`
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn webhook_view(
    webhook: &agora_projections::Webhook,
    progress: &Progress,
    secret: Option<String>,
) -> WebhookView {
    WebhookView {
        id: webhook.id.0,
        url: webhook.url.clone(),
        event_types: webhook.event_types.clone(),
        description: webhook.description.clone(),
        registered_at: webhook.registered_at.to_string(),
        next_revision: progress.next,
        delivered: progress.delivered,
        last_attempt: progress.attempts.back().map(AttemptView::from),
        secret,
    }
}

/// Register an endpoint to receive the community's events (admin). Its
/// signing secret is read with `GET …/webhooks/{id}`.
#[utoipa::path(
    post, path = "/v1/communities/{community}/webhooks", tag = "webhooks",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = WebhookBody,
    responses(
        (status = 201, body = CommandResponse),
        (status = "4XX", description = "E.g. `webhook-url` (a host the deployment does not allow), `webhook-event-type`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn register_webhook(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<WebhookBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(OPERATORS))?;
    let JsonBody { value, digest } = body;
    state.webhooks.check_url(value.url.trim())?;
    let webhook_id = WebhookId(Uuid::now_v7());
    let submission = Submission::new(
        community,
        actor,
        Command::RegisterWebhook(RegisterWebhook {
            webhook_id,
            url: value.url.trim().to_owned(),
            event_types: value.event_types,
            description: value.description,
        }),
        digest,
    )
    .with_personal_key(PioneerId(webhook_id.0), PersonalKey::generate());
    submit(&state, &caller, context, submission).await
}

/// The community's endpoints with where their deliveries stand (admin).
#[utoipa::path(
    get, path = "/v1/communities/{community}/webhooks", tag = "webhooks",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = [WebhookView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::AnyOf(OPERATORS))?;
    let mut views = Vec::new();
    for webhook in view.state.webhooks.values() {
        let progress = state.webhooks.progress(webhook.id).await?;
        views.push(webhook_view(webhook, &progress, None));
    }
    Ok(Json(views))
}

fn registered(
    view: &crate::ledger::DurableView,
    id: WebhookId,
) -> Result<agora_projections::Webhook, ApiError> {
    view.state
        .webhooks
        .get(&id)
        .cloned()
        .ok_or(ApiError::Rejected(Rejection::WebhookNotFound {
            webhook: id,
        }))
}

/// One endpoint, with its signing secret (admin).
#[utoipa::path(
    get, path = "/v1/communities/{community}/webhooks/{webhook}", tag = "webhooks",
    params(("community" = crate::http::schema::Slug, Path), ("webhook" = Uuid, Path)),
    responses(
        (status = 200, body = WebhookView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::AnyOf(OPERATORS))?;
    let webhook = registered(&view, id)?;
    let progress = state.webhooks.progress(id).await?;
    let secret = state
        .webhooks
        .secret(id)
        .await
        .map(|bytes| bytes.iter().map(|byte| format!("{byte:02x}")).collect());
    Ok(Json(webhook_view(&webhook, &progress, secret)))
}

/// Remove an endpoint (admin): nothing more is delivered to it and its
/// secret is destroyed.
#[utoipa::path(
    delete, path = "/v1/communities/{community}/webhooks/{webhook}", tag = "webhooks",
    params(("community" = crate::http::schema::Slug, Path), ("webhook" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `webhook-not-found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn remove_webhook(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, id): ItemPath<WebhookId>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(OPERATORS))?;
    let submission = Submission::new(
        community,
        actor,
        Command::RemoveWebhook(RemoveWebhook { webhook_id: id }),
        empty_body(),
    );
    let response = submit(&state, &caller, context, submission).await?;
    if response.status().is_success() {
        // A key left by a failure here is destroyed at the next start.
        if let Err(error) = state.ledger.keys().destroy(PioneerId(id.0)).await {
            tracing::warn!(%error, webhook = %id, "cannot destroy a removed webhook's secret yet");
        }
    }
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// At most 100; default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveriesView {
    pub webhook_id: Uuid,
    pub next_revision: Option<u64>,
    pub delivered: u64,
    /// The latest attempts, newest first.
    pub attempts: Vec<AttemptView>,
}

/// An endpoint's delivery log: its latest attempts, newest first (admin).
#[utoipa::path(
    get, path = "/v1/communities/{community}/webhooks/{webhook}/deliveries", tag = "webhooks",
    params(("community" = crate::http::schema::Slug, Path), ("webhook" = Uuid, Path), DeliveriesQuery),
    responses(
        (status = 200, body = DeliveriesView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<WebhookId>,
    Params(query): Params<DeliveriesQuery>,
) -> Result<Json<DeliveriesView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::AnyOf(OPERATORS))?;
    let limit = page_limit(query.limit, 50, crate::webhooks::ATTEMPTS_KEPT)?;
    registered(&view, id)?;
    let progress = state.webhooks.progress(id).await?;
    Ok(Json(DeliveriesView {
        webhook_id: id.0,
        next_revision: progress.next,
        delivered: progress.delivered,
        attempts: progress
            .attempts
            .iter()
            .rev()
            .take(limit)
            .map(AttemptView::from)
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// The revision to deliver from again (at most the community's next).
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub from: u64,
}

/// Deliver again from a revision (admin): the endpoint receives every
/// event it wants from there on, in order, whether or not it had them.
#[utoipa::path(
    post, path = "/v1/communities/{community}/webhooks/{webhook}/replay", tag = "webhooks",
    params(("community" = crate::http::schema::Slug, Path), ("webhook" = Uuid, Path)),
    request_body = ReplayBody,
    responses(
        (status = 200, body = DeliveriesView),
        (status = "4XX", description = "E.g. `replay-beyond-log`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn replay_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<WebhookId>,
    body: JsonBody<ReplayBody>,
) -> Result<Json<DeliveriesView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::AnyOf(OPERATORS))?;
    registered(&view, id)?;
    let from = body.value.from;
    if from > view.revision + 1 {
        return Err(ApiError::Unprocessable {
            rule: "replay-beyond-log",
            detail: format!(
                "revision {from} is beyond the log, whose next revision is {}",
                view.revision + 1
            ),
        });
    }
    state.webhooks.replay(id, from).await?;
    let progress = state.webhooks.progress(id).await?;
    Ok(Json(DeliveriesView {
        webhook_id: id.0,
        next_revision: progress.next,
        delivered: progress.delivered,
        attempts: Vec::new(),
    }))
}
