//! The marketplace and time credits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AccountId, EventId, ExchangeId, Hours, ListingId, PioneerId, ProjectId, TransferId};

/// Whether a listing offers help or asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingKind {
    Offer,
    Request,
}

/// A pioneer published an offer or a request of skills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingPublished {
    pub listing_id: ListingId,
    pub author: PioneerId,
    pub kind: ListingKind,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Where the help is offered or needed, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<crate::Place>,
}

/// The author withdrew a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingWithdrawn {
    pub listing_id: ListingId,
}

/// A member reported a listing as unfit for the community, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingReported {
    pub listing_id: ListingId,
    pub by: PioneerId,
    pub reason: String,
}

/// The gardener took a listing down, with the reason: it is no longer
/// offered, and no exchange may name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingTakenDown {
    pub listing_id: ListingId,
    pub reason: String,
}

/// A provider recorded hours of help given to a receiver. No credit moves
/// until the receiver confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRecorded {
    pub exchange_id: ExchangeId,
    pub provider: PioneerId,
    pub receiver: AccountId,
    pub hours: Hours,
    pub description: String,
    pub listing_id: Option<ListingId>,
}

/// The receiver confirmed an exchange: the receiver paid `hours` to the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfirmed {
    pub exchange_id: ExchangeId,
    pub provider: AccountId,
    pub receiver: AccountId,
    pub hours: Hours,
    pub provider_balance_after: Hours,
    pub receiver_balance_after: Hours,
}

/// A pending exchange was cancelled; no credit had moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeCancelled {
    pub exchange_id: ExchangeId,
    pub reason: Option<String>,
}

/// The gardener reversed a completed exchange: the compensating movement of
/// `hours` back from the provider to the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeReversed {
    pub exchange_id: ExchangeId,
    /// The `ExchangeConfirmed` event this corrects.
    pub corrects: EventId,
    pub reason: String,
    pub provider: AccountId,
    pub receiver: AccountId,
    pub hours: Hours,
    pub provider_balance_after: Hours,
    pub receiver_balance_after: Hours,
}

/// A member left or was excluded: their balance went to the community's
/// account (what they were owed, or what they owed), leaving theirs at
/// zero. Recorded with the departure, in the same command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BalanceSettled {
    pub pioneer_id: PioneerId,
    /// `pioneer:<id>` then `community` when the member was owed hours; the
    /// other way round when they owed some.
    pub payer: AccountId,
    pub payee: AccountId,
    pub hours: Hours,
    pub payer_balance_after: Hours,
    pub payee_balance_after: Hours,
}

/// A project ended or was withdrawn: its balance went to the community's
/// account, leaving its own, now closed, at zero. Recorded with the status
/// change, in the same command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBalanceSettled {
    pub project_id: ProjectId,
    /// `project:<id>` then `community` when the project held hours; the
    /// other way round when it owed some.
    pub payer: AccountId,
    pub payee: AccountId,
    pub hours: Hours,
    pub payer_balance_after: Hours,
    pub payee_balance_after: Hours,
}

/// A payer transferred time credits directly to a payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeCreditsTransferred {
    pub transfer_id: TransferId,
    pub payer: AccountId,
    pub payee: AccountId,
    pub hours: Hours,
    pub memo: Option<String>,
    pub payer_balance_after: Hours,
    pub payee_balance_after: Hours,
}
