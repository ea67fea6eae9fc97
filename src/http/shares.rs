//! Shares of the capital: subscriptions (the pioneer or the treasurer),
//! payments and redemptions (the treasurer), and the register (members).

use std::collections::BTreeMap;

use agora_events::{
    Euros, PaymentId, PioneerId, RedemptionId, RedemptionReason, Role, SubscriptionId,
};
use agora_projections::CommunityState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody};
use crate::domain::{Command, RecordSharePayment, RedeemShares, SubscribeShares};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    /// 1 to 10 000 shares, at the nominal value in force.
    #[schema(example = 2)]
    #[schema(minimum = 1, maximum = 10000)]
    pub shares: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// Euros, two decimals; at most what is owed on the subscription.
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "50.00")]
    pub amount: Euros,
    /// The bank or cash reference.
    #[schema(example = "VIR-2026-118")]
    pub reference: String,
    /// The subscription paid; by default the oldest with something owed.
    pub subscription_id: Option<Uuid>,
}

/// Why shares are redeemed.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionReasonDto {
    /// The member has left or was excluded.
    Leaving,
    /// As the statutes provide.
    Statutes,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionBody {
    #[schema(minimum = 1, maximum = 10000)]
    pub shares: u32,
    pub reason: RedemptionReasonDto,
}

/// A member's position in the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingView {
    pub subscribed_shares: u32,
    /// Shares whose nominal value is fully paid.
    pub paid_shares: u32,
    pub redeemed_shares: u32,
    /// Fully paid shares still held: what counts in the capital.
    pub held_shares: u32,
    #[schema(value_type = crate::http::schema::Amount)]
    pub subscribed_amount: Euros,
    #[schema(value_type = crate::http::schema::Amount)]
    pub paid_amount: Euros,
    #[schema(value_type = crate::http::schema::Amount)]
    pub outstanding: Euros,
    #[schema(value_type = crate::http::schema::Amount)]
    pub redeemed_amount: Euros,
}

impl HoldingView {
    pub fn of(state: &CommunityState, pioneer: PioneerId) -> Self {
        let holding = state.register.holding(pioneer);
        Self {
            subscribed_shares: holding.subscribed_shares,
            paid_shares: holding.paid_shares,
            redeemed_shares: holding.redeemed_shares,
            held_shares: holding.held_paid_shares(),
            subscribed_amount: holding.subscribed_amount,
            paid_amount: holding.paid_amount,
            outstanding: holding.outstanding,
            redeemed_amount: holding.redeemed_amount,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberHoldingView {
    pub pioneer_id: Uuid,
    pub college: String,
    #[serde(flatten)]
    pub holding: HoldingView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CollegeHoldingView {
    pub college: String,
    /// Members of the college holding shares or owing on them.
    pub members: usize,
    pub held_shares: u32,
    #[schema(value_type = String)]
    pub capital: String,
}

/// The share register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterView {
    #[schema(value_type = crate::http::schema::Amount)]
    pub share_nominal: Euros,
    /// Paid shares held × their nominal value.
    #[schema(value_type = crate::http::schema::Amount)]
    pub capital: Euros,
    #[schema(value_type = crate::http::schema::Amount)]
    pub highest_capital: Euros,
    /// No redemption may bring the capital below this: a quarter of the
    /// highest capital reached.
    pub capital_floor: String,
    pub members: Vec<MemberHoldingView>,
    pub colleges: Vec<CollegeHoldingView>,
}

/// Subscribe shares.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/shares/subscriptions", tag = "shares",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = SubscribeBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn subscribe_shares(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<SubscribeBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::SelfOr(pioneer_id, &[Role::Treasurer]),
    )?;
    let submission = Submission::new(
        community,
        actor,
        Command::SubscribeShares(SubscribeShares {
            subscription_id: SubscriptionId(Uuid::now_v7()),
            pioneer_id,
            shares: body.value.shares,
        }),
        body.digest,
    );
    submit(&state, &caller, context, submission).await
}

/// Record a payment for shares.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/shares/payments", tag = "shares",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = PaymentBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_share_payment(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<PaymentBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Treasurer]),
    )?;
    let JsonBody { value, digest } = body;
    let submission = Submission::new(
        community,
        actor,
        Command::RecordSharePayment(RecordSharePayment {
            payment_id: PaymentId(Uuid::now_v7()),
            pioneer_id,
            subscription_id: value.subscription_id.map(SubscriptionId),
            amount: value.amount,
            reference: value.reference,
        }),
        digest,
    );
    submit(&state, &caller, context, submission).await
}

/// Redeem fully paid shares, oldest first.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/shares/redemptions", tag = "shares",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = RedemptionBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `variable-capital-floor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn redeem_shares(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<RedemptionBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Treasurer]),
    )?;
    let submission = Submission::new(
        community,
        actor,
        Command::RedeemShares(RedeemShares {
            redemption_id: RedemptionId(Uuid::now_v7()),
            pioneer_id,
            shares: body.value.shares,
            reason: match body.value.reason {
                RedemptionReasonDto::Leaving => RedemptionReason::Leaving,
                RedemptionReasonDto::Statutes => RedemptionReason::Statutes,
            },
        }),
        body.digest,
    );
    submit(&state, &caller, context, submission).await
}

/// The share register: per member, per college, capital and its floor.
#[utoipa::path(
    get, path = "/v1/communities/{community}/shares", tag = "shares",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = RegisterView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_register(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<RegisterView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let community = &view.state;
    let register = &community.register;
    let mut holders: Vec<PioneerId> = register.subscriptions().map(|s| s.pioneer_id).collect();
    holders.sort();
    holders.dedup();
    let college_of = |id: PioneerId| {
        community
            .pioneer(id)
            .map(|pioneer| pioneer.college.clone())
            .unwrap_or_default()
    };
    let mut colleges: BTreeMap<String, (usize, u32, Decimal)> = community
        .statutes
        .colleges
        .iter()
        .map(|college| (college.name.clone(), (0, 0, Decimal::ZERO)))
        .collect();
    for &holder in &holders {
        let entry = colleges.entry(college_of(holder)).or_default();
        entry.0 += 1;
        for subscription in register.subscriptions_of(holder) {
            entry.1 += subscription.held_paid_shares();
            entry.2 +=
                Decimal::from(subscription.held_paid_shares()) * subscription.nominal.value();
        }
    }
    let floor = register.capital_floor();
    Ok(Json(RegisterView {
        share_nominal: community.statutes.share_nominal,
        capital: register.capital,
        highest_capital: register.highest_capital,
        capital_floor: floor.to_string(),
        members: holders
            .iter()
            .map(|&holder| MemberHoldingView {
                pioneer_id: holder.0,
                college: college_of(holder),
                holding: HoldingView::of(community, holder),
            })
            .collect(),
        colleges: colleges
            .into_iter()
            .map(
                |(college, (members, held_shares, capital))| CollegeHoldingView {
                    college,
                    members,
                    held_shares,
                    capital: format!("{capital:.2}"),
                },
            )
            .collect(),
    }))
}
