//! The marketplace's request bodies and views.

use agora_events::{AccountId, Hours, HoursTotal, ListingKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Offer or request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingKindDto {
    Offer,
    Request,
}

impl From<ListingKindDto> for ListingKind {
    fn from(kind: ListingKindDto) -> Self {
        match kind {
            ListingKindDto::Offer => Self::Offer,
            ListingKindDto::Request => Self::Request,
        }
    }
}

impl From<ListingKind> for ListingKindDto {
    fn from(kind: ListingKind) -> Self {
        match kind {
            ListingKind::Offer => Self::Offer,
            ListingKind::Request => Self::Request,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingBody {
    pub kind: ListingKindDto,
    #[schema(example = "Petits travaux de menuiserie")]
    pub title: String,
    pub description: String,
    /// Skill tags, at most 10; stored in lowercase.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Where the help is offered or needed: a commune, coordinates
    /// (recorded to about a kilometre), or both.
    pub place: Option<crate::http::territory::PlaceDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    pub id: Uuid,
    pub author: Uuid,
    pub kind: ListingKindDto,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub published_at: String,
    pub withdrawn_at: Option<String>,
    /// How many members reported it.
    pub reports: usize,
    /// When the gardener took it down, and why.
    pub taken_down_at: Option<String>,
    pub taken_down_reason: Option<String>,
    pub place: Option<crate::http::territory::PlaceDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListingFilter {
    /// Only listings with this tag.
    pub tag: Option<String>,
    /// `offer` or `request`.
    pub kind: Option<ListingKindDto>,
    /// Include withdrawn and taken-down listings (default false).
    #[serde(default)]
    pub include_withdrawn: bool,
    /// Only those in this commune (its INSEE code).
    #[param(value_type = Option<crate::http::schema::Commune>)]
    pub commune: Option<String>,
    /// Only those in this department (`38`, `2A`, `974`).
    #[param(value_type = Option<crate::http::schema::Department>)]
    pub department: Option<String>,
    /// Only those around this point, `latitude,longitude`.
    #[param(value_type = Option<crate::http::schema::Near>)]
    pub near: Option<String>,
    /// How far around `near`, in km: 1 to 1000, default 10.
    #[param(minimum = 1, maximum = 1000)]
    pub within_km: Option<u32>,
    /// At most 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Only listings published before this one, newest first: the last id
    /// of a page gives the next page. With `include_withdrawn`, it must name
    /// a listing (a 404 `listing-not-found` otherwise).
    pub before: Option<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeBody {
    /// `pioneer:<uuid>` or `project:<uuid>`.
    #[schema(value_type = crate::http::schema::Account, example = "pioneer:0193f1c2-7d2a-7b6e-9a51-3f0c2b1d4e5f")]
    pub receiver: AccountId,
    /// Hours given, at most 2 decimals.
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "1.50")]
    pub hours: Hours,
    pub description: String,
    pub listing_id: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseBody {
    pub reason: String,
}

/// Why a listing is reported, or taken down.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationBody {
    #[schema(example = "Annonce commerciale, hors de l'esprit de la charte")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// By default the caller's own account; a project's proposer may pay
    /// from the project's account.
    #[schema(value_type = Option<crate::http::schema::Account>)]
    pub payer: Option<AccountId>,
    #[schema(value_type = crate::http::schema::Account)]
    pub payee: AccountId,
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "2.00")]
    pub hours: Hours,
    pub memo: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = crate::http::schema::Account)]
    pub account: AccountId,
    #[schema(value_type = crate::http::schema::Amount)]
    pub balance: Hours,
    /// `null`: no floor (the community's own account).
    #[schema(value_type = Option<crate::http::schema::Amount>)]
    pub floor: Option<Hours>,
    /// `null`: no ceiling (a project's account, unless the statutes set one).
    #[schema(value_type = Option<crate::http::schema::Amount>)]
    pub ceiling: Option<Hours>,
}

/// Community-wide figures of the time bank.
#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    /// The sum of every balance: always 0.00 in a mutual-credit system.
    pub sum_of_balances: String,
    /// Hours moved by exchanges, transfers and reversals, as the assembly
    /// report counts them: the balances the community's account takes over
    /// from departing members are no trade.
    #[schema(value_type = crate::http::schema::Total)]
    pub volume: HoursTotal,
    /// Accounts that ever took part in an exchange, a transfer or a
    /// reversal.
    pub active_traders: usize,
    pub completed_exchanges: u64,
    pub pending_exchanges: usize,
    pub transfers: u64,
    pub reversals: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountsView {
    pub totals: Totals,
    pub accounts: Vec<AccountView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineView {
    pub at: String,
    /// `exchange`, `reversal`, `transfer` or `settlement` (a departing
    /// member's balance taken over by the community).
    pub kind: &'static str,
    /// The exchange's or transfer's id, or the departing member's.
    pub reference: String,
    #[schema(value_type = crate::http::schema::Account)]
    pub counterparty: AccountId,
    /// Signed: positive when credited.
    pub hours: String,
    /// The running balance after this line.
    #[schema(value_type = crate::http::schema::Amount)]
    pub balance_after: Hours,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    #[schema(value_type = crate::http::schema::Account)]
    pub account: AccountId,
    #[schema(value_type = crate::http::schema::Amount)]
    pub balance: Hours,
    /// Lines in all.
    pub total: u64,
    pub lines: Vec<StatementLineView>,
}
