//! The marketplace and time credits (SPEC §3.4).
//!
//! Credits move only when a receiver confirms an exchange, when a payer
//! transfers, or when the gardener reverses a completed exchange. Every
//! movement is checked against the statutes' floor (for the account that
//! pays) and ceiling (for the one that is paid) at decision time, and the
//! events carry the balances after, so the sum of all balances stays zero.

use agora_events::{
    AccountId, Event, ExchangeCancelled, ExchangeConfirmed, ExchangeId, ExchangeRecorded,
    ExchangeReversed, Hours, ListingId, ListingKind, ListingPublished, ListingWithdrawn, PioneerId,
    TimeCreditsTransferred, TransferId,
};
use agora_projections::{CommunityState, Exchange, ExchangeStatus};

use super::Rejection;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, line, paragraph};

/// Most tags on a listing.
pub const TAGS_MAX: usize = 10;
/// Longest tag.
pub const TAG_CHARS_MAX: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishListing {
    pub listing_id: ListingId,
    pub author: PioneerId,
    pub kind: ListingKind,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawListing {
    pub listing_id: ListingId,
    pub by: PioneerId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordExchange {
    pub exchange_id: ExchangeId,
    pub provider: PioneerId,
    pub receiver: AccountId,
    pub hours: Hours,
    pub description: String,
    pub listing_id: Option<ListingId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmExchange {
    pub exchange_id: ExchangeId,
    /// The receiver, or for a project the project's proposer.
    pub by: PioneerId,
}

/// Who cancels a pending exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    /// A party: the provider or the receiver.
    Party(PioneerId),
    Gardener,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelExchange {
    pub exchange_id: ExchangeId,
    pub by: Canceller,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseExchange {
    pub exchange_id: ExchangeId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferCredits {
    pub transfer_id: TransferId,
    pub payer: AccountId,
    /// Who asks: the payer pioneer, or the proposer of a paying project.
    pub by: PioneerId,
    pub payee: AccountId,
    pub hours: Hours,
    pub memo: Option<String>,
}

/// The pioneer who speaks for an account: its owner, or a project's proposer.
fn owner_of(state: &CommunityState, account: AccountId) -> Option<PioneerId> {
    match account {
        AccountId::Pioneer(id) => Some(id),
        AccountId::Project(id) => state.projects.get(id).map(|project| project.proposer),
    }
}

/// The account exists and can still take part in movements.
fn usable(state: &CommunityState, account: AccountId) -> Result<(), Rejection> {
    let open = match account {
        AccountId::Pioneer(id) => state.pioneer(id).map(|pioneer| pioneer.is_active()),
        AccountId::Project(id) => state.projects.get(id).map(|project| project.is_open()),
    };
    match open {
        None => Err(Rejection::AccountNotFound { account }),
        Some(false) => Err(Rejection::AccountClosed { account }),
        Some(true) => Ok(()),
    }
}

fn positive(hours: Hours) -> Result<(), Rejection> {
    if hours.is_positive() {
        Ok(())
    } else {
        Err(Rejection::HoursNotPositive { hours })
    }
}

/// Balances after moving `hours` from `payer` to `payee`, if both stay
/// within the statutes' limits.
fn balances_after(
    state: &CommunityState,
    payer: AccountId,
    payee: AccountId,
    hours: Hours,
) -> Result<(Hours, Hours), Rejection> {
    let statutes = &state.statutes;
    let too_large = Rejection::AmountTooLarge { field: "hours" };
    let payer_after = state
        .market
        .balance(payer)
        .checked_sub(hours)
        .ok_or(too_large.clone())?;
    if payer_after < statutes.credit_floor {
        return Err(Rejection::BelowCreditFloor {
            account: payer,
            floor: statutes.credit_floor,
            balance_after: payer_after,
        });
    }
    let payee_after = state
        .market
        .balance(payee)
        .checked_add(hours)
        .ok_or(too_large)?;
    if payee_after > statutes.credit_ceiling {
        return Err(Rejection::AboveCreditCeiling {
            account: payee,
            ceiling: statutes.credit_ceiling,
            balance_after: payee_after,
        });
    }
    Ok((payer_after, payee_after))
}

fn status_name(status: &ExchangeStatus) -> &'static str {
    match status {
        ExchangeStatus::Pending => "pending",
        ExchangeStatus::Completed { .. } => "completed",
        ExchangeStatus::Cancelled { .. } => "cancelled",
        ExchangeStatus::Reversed { .. } => "reversed",
    }
}

fn exchange(state: &CommunityState, id: ExchangeId) -> Result<&Exchange, Rejection> {
    state
        .market
        .exchanges
        .get(&id)
        .ok_or(Rejection::ExchangeNotFound { exchange: id })
}

fn pending(state: &CommunityState, id: ExchangeId) -> Result<&Exchange, Rejection> {
    let exchange = exchange(state, id)?;
    if exchange.status != ExchangeStatus::Pending {
        return Err(Rejection::ExchangeNotPending {
            exchange: id,
            status: status_name(&exchange.status),
        });
    }
    Ok(exchange)
}

pub fn publish_listing(
    state: &CommunityState,
    command: &PublishListing,
) -> Result<Vec<Event>, Rejection> {
    super::pioneers::member(state, command.author)?;
    line("title", &command.title, NAME_CHARS_MAX)?;
    paragraph("description", &command.description, LONG_TEXT_CHARS_MAX)?;
    if command.tags.len() > TAGS_MAX {
        return Err(Rejection::TooManyItems {
            field: "tags",
            max: TAGS_MAX,
        });
    }
    for tag in &command.tags {
        line("tags", tag, TAG_CHARS_MAX)?;
    }
    Ok(vec![
        ListingPublished {
            listing_id: command.listing_id,
            author: command.author,
            kind: command.kind,
            title: command.title.clone(),
            description: command.description.clone(),
            tags: command.tags.clone(),
        }
        .into(),
    ])
}

pub fn withdraw_listing(
    state: &CommunityState,
    command: &WithdrawListing,
) -> Result<Vec<Event>, Rejection> {
    let listing_id = command.listing_id;
    let listing = state
        .market
        .listings
        .get(&listing_id)
        .ok_or(Rejection::ListingNotFound {
            listing: listing_id,
        })?;
    if listing.author != command.by {
        return Err(Rejection::NotListingAuthor {
            listing: listing_id,
        });
    }
    if listing.withdrawn_at.is_some() {
        return Err(Rejection::ListingWithdrawn {
            listing: listing_id,
        });
    }
    Ok(vec![ListingWithdrawn { listing_id }.into()])
}

pub fn record_exchange(
    state: &CommunityState,
    command: &RecordExchange,
) -> Result<Vec<Event>, Rejection> {
    let provider = AccountId::Pioneer(command.provider);
    usable(state, provider)?;
    usable(state, command.receiver)?;
    if provider == command.receiver {
        return Err(Rejection::SelfTransfer);
    }
    positive(command.hours)?;
    paragraph("description", &command.description, LONG_TEXT_CHARS_MAX)?;
    if let Some(listing) = command.listing_id {
        let found = state
            .market
            .listings
            .get(&listing)
            .ok_or(Rejection::ListingNotFound { listing })?;
        if found.withdrawn_at.is_some() {
            return Err(Rejection::ListingWithdrawn { listing });
        }
    }
    Ok(vec![
        ExchangeRecorded {
            exchange_id: command.exchange_id,
            provider: command.provider,
            receiver: command.receiver,
            hours: command.hours,
            description: command.description.clone(),
            listing_id: command.listing_id,
        }
        .into(),
    ])
}

pub fn confirm_exchange(
    state: &CommunityState,
    command: &ConfirmExchange,
) -> Result<Vec<Event>, Rejection> {
    let exchange = pending(state, command.exchange_id)?;
    if owner_of(state, exchange.receiver) != Some(command.by) {
        return Err(Rejection::NotExchangeReceiver {
            exchange: exchange.id,
        });
    }
    let provider = AccountId::Pioneer(exchange.provider);
    usable(state, provider)?;
    usable(state, exchange.receiver)?;
    // The receiver pays the provider for the help received.
    let (receiver_after, provider_after) =
        balances_after(state, exchange.receiver, provider, exchange.hours)?;
    Ok(vec![
        ExchangeConfirmed {
            exchange_id: exchange.id,
            provider,
            receiver: exchange.receiver,
            hours: exchange.hours,
            provider_balance_after: provider_after,
            receiver_balance_after: receiver_after,
        }
        .into(),
    ])
}

pub fn cancel_exchange(
    state: &CommunityState,
    command: &CancelExchange,
) -> Result<Vec<Event>, Rejection> {
    let exchange = pending(state, command.exchange_id)?;
    if let Canceller::Party(by) = command.by {
        let is_party = by == exchange.provider || owner_of(state, exchange.receiver) == Some(by);
        if !is_party {
            return Err(Rejection::NotExchangeParty {
                exchange: exchange.id,
            });
        }
    }
    if let Some(reason) = &command.reason {
        paragraph("reason", reason, LONG_TEXT_CHARS_MAX)?;
    }
    Ok(vec![
        ExchangeCancelled {
            exchange_id: exchange.id,
            reason: command.reason.clone(),
        }
        .into(),
    ])
}

pub fn reverse_exchange(
    state: &CommunityState,
    command: &ReverseExchange,
) -> Result<Vec<Event>, Rejection> {
    let exchange = exchange(state, command.exchange_id)?;
    let ExchangeStatus::Completed { confirmed } = exchange.status else {
        return Err(Rejection::ExchangeNotCompleted {
            exchange: exchange.id,
            status: status_name(&exchange.status),
        });
    };
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    let provider = AccountId::Pioneer(exchange.provider);
    // The compensating movement: the provider gives the hours back. Closed
    // accounts still take part: a correction must be possible after a
    // departure.
    let (provider_after, receiver_after) =
        balances_after(state, provider, exchange.receiver, exchange.hours)?;
    Ok(vec![
        ExchangeReversed {
            exchange_id: exchange.id,
            corrects: confirmed,
            reason: command.reason.clone(),
            provider,
            receiver: exchange.receiver,
            hours: exchange.hours,
            provider_balance_after: provider_after,
            receiver_balance_after: receiver_after,
        }
        .into(),
    ])
}

pub fn transfer(
    state: &CommunityState,
    command: &TransferCredits,
) -> Result<Vec<Event>, Rejection> {
    usable(state, command.payer)?;
    if owner_of(state, command.payer) != Some(command.by) {
        return Err(Rejection::NotAccountOwner {
            account: command.payer,
        });
    }
    usable(state, command.payee)?;
    if command.payer == command.payee {
        return Err(Rejection::SelfTransfer);
    }
    positive(command.hours)?;
    if let Some(memo) = &command.memo {
        paragraph("memo", memo, LONG_TEXT_CHARS_MAX)?;
    }
    let (payer_after, payee_after) =
        balances_after(state, command.payer, command.payee, command.hours)?;
    Ok(vec![
        TimeCreditsTransferred {
            transfer_id: command.transfer_id,
            payer: command.payer,
            payee: command.payee,
            hours: command.hours,
            memo: command.memo.clone(),
            payer_balance_after: payer_after,
            payee_balance_after: payee_after,
        }
        .into(),
    ])
}
