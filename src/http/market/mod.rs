//! The marketplace and time credits over HTTP: listings, exchanges,
//! transfers, accounts and statements.

use agora_events::{AccountId, ExchangeId, ListingId, ListingKind, Role, TransferId};
use agora_projections::{ExchangeStatus, Listing, Market, MovementKind};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{
    CommandContext, CommandResponse, Submission, empty_body, enter, pioneer_caller, submit,
};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody, PAGE_MAX, Page, Params, page_limit};
use super::territory::{self, PlaceDto, Territory};
use crate::domain::{
    CancelExchange, Canceller, Command, ConfirmExchange, PublishListing, RecordExchange, Rejection,
    ReportListing, ReverseExchange, TakeDownListing, TransferCredits, WithdrawListing,
};
use crate::ledger::index;

/// Request bodies and views.
mod model;

pub use model::*;

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// Publish an offer or a request of skills.
#[utoipa::path(
    post, path = "/v1/communities/{community}/market/listings", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ListingBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn publish_listing(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ListingBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let author = pioneer_caller(&caller)?;
    let JsonBody { value, digest } = body;
    let command = Command::PublishListing(PublishListing {
        listing_id: ListingId(Uuid::now_v7()),
        author,
        kind: value.kind.into(),
        title: value.title,
        description: value.description,
        tags: value
            .tags
            .iter()
            .map(|tag| tag.trim().to_lowercase())
            .collect(),
        place: value
            .place
            .as_ref()
            .map(|place| place.to_place("place"))
            .transpose()?,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Withdraw one's listing.
#[utoipa::path(
    post, path = "/v1/communities/{community}/market/listings/{listing}/withdraw", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("listing" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn withdraw_listing(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, listing): ItemPath<ListingId>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let command = Command::WithdrawListing(WithdrawListing {
        listing_id: listing,
        by: pioneer_caller(&caller)?,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, empty_body()),
    )
    .await
}

/// Report another member's listing as unfit, with why (once per member).
#[utoipa::path(
    post, path = "/v1/communities/{community}/market/listings/{listing}/reports", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("listing" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ModerationBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `report-own-listing`, `listing-already-reported`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn report_listing(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, listing): ItemPath<ListingId>,
    body: JsonBody<ModerationBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let JsonBody { value, digest } = body;
    let command = Command::ReportListing(ReportListing {
        listing_id: listing,
        by: pioneer_caller(&caller)?,
        reason: value.reason,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Take a listing down, with the reason (gardener).
#[utoipa::path(
    post, path = "/v1/communities/{community}/market/listings/{listing}/take-down", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("listing" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ModerationBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn take_down_listing(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, listing): ItemPath<ListingId>,
    body: JsonBody<ModerationBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::TakeDownListing(TakeDownListing {
        listing_id: listing,
        reason: value.reason,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Listings, newest first, filtered by tag, kind or place; `before` pages
/// on from the last listing of a page.
#[utoipa::path(
    get, path = "/v1/communities/{community}/market/listings", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ListingFilter),
    responses(
        (status = 200, body = [ListingView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_listings(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(filter): Params<ListingFilter>,
) -> Result<Json<Vec<ListingView>>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let tag = filter.tag.map(|tag| tag.trim().to_lowercase());
    let territory = Territory::from_query(
        filter.commune.as_deref(),
        filter.department.as_deref(),
        filter.near.as_deref(),
        filter.within_km,
    )?;
    let wanted = |listing: &Listing| {
        territory::matches(&territory, listing.place.as_ref())
            && (filter.include_withdrawn || listing.is_open())
            && filter
                .kind
                .is_none_or(|kind| ListingKind::from(kind) == listing.kind)
            && tag.as_ref().is_none_or(|tag| listing.tags.contains(tag))
    };
    let limit = page_limit(filter.limit, 100, PAGE_MAX)?;
    let views = if filter.include_withdrawn {
        // Withdrawn and taken-down listings are over: the state let go of
        // them, the store's list of listings has them all.
        // In the order the log lists them: those published before `before`.
        let below = match filter.before {
            Some(before) => Some(published_at_revision(&state, &view, before).await?),
            None => None,
        };
        let pick = |market: &Market, id| {
            let listing = market.listings.get(&ListingId(id))?;
            wanted(listing).then(|| listing_view(listing))
        };
        state
            .ledger
            .newest_items(&community, &view, (index::LISTINGS, below), limit, pick)
            .await?
    } else {
        // In the order of their ids: those before `before`.
        let open = view.state.market.listings.values().rev();
        open.filter(|listing| filter.before.is_none_or(|before| listing.id.0 < before))
            .filter(|listing| wanted(listing))
            .take(limit)
            .map(listing_view)
            .collect()
    };
    Ok(Json(views))
}

/// The revision at which listing `id` was published, or a 404
/// `listing-not-found` (this instance may not have read it yet: the
/// client can send `Agora-Min-Revision`).
async fn published_at_revision(
    state: &AppState,
    view: &crate::ledger::DurableView,
    id: uuid::Uuid,
) -> Result<u64, ApiError> {
    let (_, first) = state
        .ledger
        .history(&view.state.slug, id, view.revision, 0, 1)
        .await?;
    first
        .first()
        .filter(|committed| committed.record.event_type == "ListingPublished")
        .map(|committed| committed.revision)
        .ok_or_else(|| {
            Rejection::ListingNotFound {
                listing: ListingId(id),
            }
            .into()
        })
}

fn listing_view(listing: &Listing) -> ListingView {
    ListingView {
        id: listing.id.0,
        author: listing.author.0,
        kind: listing.kind.into(),
        title: listing.title.clone(),
        description: listing.description.clone(),
        tags: listing.tags.clone(),
        published_at: listing.published_at.to_string(),
        withdrawn_at: listing.withdrawn_at.map(|at| at.to_string()),
        reports: listing.reports.len(),
        taken_down_at: listing.taken_down.as_ref().map(|(at, _)| at.to_string()),
        taken_down_reason: listing
            .taken_down
            .as_ref()
            .map(|(_, reason)| reason.clone()),
        place: listing.place.as_ref().map(PlaceDto::of),
    }
}

/// Record hours of help given (the caller is the provider). No credit
/// moves until the receiver confirms.
#[utoipa::path(
    post, path = "/v1/communities/{community}/exchanges", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ExchangeBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_exchange(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ExchangeBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let provider = pioneer_caller(&caller)?;
    let JsonBody { value, digest } = body;
    let command = Command::RecordExchange(RecordExchange {
        exchange_id: ExchangeId(Uuid::now_v7()),
        provider,
        receiver: value.receiver,
        hours: value.hours,
        description: value.description,
        listing_id: value.listing_id.map(ListingId),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Confirm an exchange one received: the credits move now.
#[utoipa::path(
    post, path = "/v1/communities/{community}/exchanges/{exchange}/confirm", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("exchange" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `credit-floor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn confirm_exchange(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, exchange): ItemPath<ExchangeId>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let command = Command::ConfirmExchange(ConfirmExchange {
        exchange_id: exchange,
        by: pioneer_caller(&caller)?,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, empty_body()),
    )
    .await
}

/// Cancel a pending exchange (a party, or the gardener).
#[utoipa::path(
    post, path = "/v1/communities/{community}/exchanges/{exchange}/cancel", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("exchange" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = CancelBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_exchange(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, exchange): ItemPath<ExchangeId>,
    body: JsonBody<CancelBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener, Role::Pioneer]),
    )?;
    let by = match actor.role {
        Role::Gardener => Canceller::Gardener,
        _ => Canceller::Party(pioneer_caller(&caller)?),
    };
    let JsonBody { value, digest } = body;
    let command = Command::CancelExchange(CancelExchange {
        exchange_id: exchange,
        by,
        reason: value.reason,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Reverse a completed exchange, with the reason (gardener).
#[utoipa::path(
    post, path = "/v1/communities/{community}/exchanges/{exchange}/reverse", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("exchange" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ReverseBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn reverse_exchange(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, exchange): ItemPath<ExchangeId>,
    body: JsonBody<ReverseBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::ReverseExchange(ReverseExchange {
        exchange_id: exchange,
        reason: value.reason,
        by: caller.pioneer_id(),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Transfer time credits directly (the caller pays).
#[utoipa::path(
    post, path = "/v1/communities/{community}/transfers", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = TransferBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `credit-floor`, `credit-ceiling`, `no-self-transfer`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn transfer_credits(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<TransferBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let by = pioneer_caller(&caller)?;
    let JsonBody { value, digest } = body;
    let command = Command::TransferCredits(TransferCredits {
        transfer_id: TransferId(Uuid::now_v7()),
        payer: value.payer.unwrap_or(AccountId::Pioneer(by)),
        by,
        payee: value.payee,
        hours: value.hours,
        memo: value.memo,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Every account that ever moved credits, and the community's totals.
#[utoipa::path(
    get, path = "/v1/communities/{community}/accounts", tag = "market",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = AccountsView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<AccountsView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let community = &view.state;
    let market = &community.market;
    let statutes = &community.statutes;
    Ok(Json(AccountsView {
        totals: Totals {
            sum_of_balances: format!("{:.2}", market.sum_of_balances()),
            volume: market.volume,
            active_traders: market.traders(),
            completed_exchanges: market.completed_exchanges,
            pending_exchanges: market
                .exchanges
                .values()
                .filter(|exchange| exchange.status == ExchangeStatus::Pending)
                .count(),
            transfers: market.transfers,
            reversals: market.reversals,
        },
        accounts: market
            .balances()
            .iter()
            .map(|(&account, &balance)| AccountView {
                account,
                balance,
                floor: statutes.floor_of(account),
                ceiling: statutes.ceiling_of(account),
            })
            .collect(),
    }))
}

/// Who reads an account: members, and its pioneer even after leaving.
fn reading(account: AccountId) -> Access<'static> {
    match account {
        AccountId::Pioneer(pioneer) => Access::MemberOrSelf(pioneer),
        AccountId::Project(_) | AccountId::Community => Access::Member,
    }
}

fn existing_account(
    view: &crate::ledger::DurableView,
    account: AccountId,
) -> Result<AccountId, ApiError> {
    if !view.state.account_exists(account) {
        return Err(Rejection::AccountNotFound { account }.into());
    }
    Ok(account)
}

/// One account's balance and limits.
#[utoipa::path(
    get, path = "/v1/communities/{community}/accounts/{account}", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("account" = crate::http::schema::Account, Path, description = "`pioneer:<uuid>` or `project:<uuid>`")),
    responses(
        (status = 200, body = AccountView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, account): ItemPath<AccountId>,
) -> Result<Json<AccountView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, reading(account))?;
    let account = existing_account(&view, account)?;
    let statutes = &view.state.statutes;
    Ok(Json(AccountView {
        account,
        balance: view.state.market.balance(account),
        floor: statutes.floor_of(account),
        ceiling: statutes.ceiling_of(account),
    }))
}

/// An account's statement, oldest first, with the running balance.
#[utoipa::path(
    get, path = "/v1/communities/{community}/accounts/{account}/statement", tag = "market",
    params(("community" = crate::http::schema::Slug, Path), ("account" = crate::http::schema::Account, Path), Page),
    responses(
        (status = 200, body = StatementView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_statement(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, account): ItemPath<AccountId>,
    Params(page): Params<Page>,
) -> Result<Json<StatementView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, reading(account))?;
    let limit = page.limit()?;
    let account = existing_account(&view, account)?;
    let (total, lines) = state
        .ledger
        .statement(&community, account, view.revision, page.offset, limit)
        .await?;
    Ok(Json(StatementView {
        account,
        balance: view.state.market.balance(account),
        total,
        lines: lines
            .into_iter()
            .map(|line| StatementLineView {
                at: line.at.to_string(),
                kind: match line.kind {
                    MovementKind::Exchange => "exchange",
                    MovementKind::Reversal => "reversal",
                    MovementKind::Transfer => "transfer",
                    MovementKind::Settlement => "settlement",
                },
                reference: line.reference,
                counterparty: line.counterparty,
                hours: format!("{:.2}", line.hours),
                balance_after: line.balance_after,
            })
            .collect(),
    }))
}
