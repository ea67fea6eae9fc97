//! The marketplace and time credits: listings, exchanges, balances.
//!
//! Balances come from the events, which carry each account's balance after
//! the movement; the projection records them and checks, as it goes, that
//! they agree with the movement itself (a disagreement is a bug or a
//! damaged log).

use imbl::{OrdMap, OrdSet, Vector};

use agora_events::{
    AccountId, EventId, ExchangeId, Hours, ListingId, ListingKind, PioneerId, Timestamp,
};

/// A marketplace listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: ListingId,
    pub author: PioneerId,
    pub kind: ListingKind,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub published_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
}

/// Where an exchange stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeStatus {
    /// Recorded by the provider; no credit has moved.
    Pending,
    /// Confirmed by the receiver: credits moved, by this event.
    Completed {
        confirmed: EventId,
    },
    Cancelled {
        reason: Option<String>,
    },
    /// Completed, then reversed by the gardener.
    Reversed {
        reason: String,
    },
}

/// Hours of help given by a provider to a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub id: ExchangeId,
    pub provider: PioneerId,
    pub receiver: AccountId,
    pub hours: Hours,
    pub description: String,
    pub listing_id: Option<ListingId>,
    pub recorded_at: Timestamp,
    pub status: ExchangeStatus,
}

/// Balances and the marketplace's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Market {
    pub listings: OrdMap<ListingId, Listing>,
    pub exchanges: OrdMap<ExchangeId, Exchange>,
    balances: OrdMap<AccountId, Hours>,
    /// Hours moved, all movements together (reversals included).
    pub volume: Hours,
    /// Accounts that ever paid or received credits.
    pub traders: OrdSet<AccountId>,
    pub completed_exchanges: u64,
    pub reversals: u64,
    pub transfers: u64,
    /// Movements whose recorded balances did not follow from the balances
    /// before: a bug or an altered log. Verification reports them.
    pub inconsistencies: Vec<String>,
}

impl Market {
    /// An account's balance; zero for an account that never moved credits.
    pub fn balance(&self, account: AccountId) -> Hours {
        self.balances.get(&account).copied().unwrap_or_default()
    }

    /// Every account that ever moved credits, with its balance.
    pub fn balances(&self) -> &OrdMap<AccountId, Hours> {
        &self.balances
    }

    /// The sum of every balance: zero, always, in a mutual-credit system.
    pub fn sum_of_balances(&self) -> rust_decimal::Decimal {
        self.balances.values().map(|hours| hours.value()).sum()
    }

    /// Moves `hours` from `payer` to `payee`, whose balances after are
    /// recorded in the event.
    pub(crate) fn settle(
        &mut self,
        payer: AccountId,
        payee: AccountId,
        hours: Hours,
        payer_after: Hours,
        payee_after: Hours,
    ) {
        let expected_payer = self.balance(payer).value() - hours.value();
        let expected_payee = self.balance(payee).value() + hours.value();
        if (payer_after.value(), payee_after.value()) != (expected_payer, expected_payee) {
            self.inconsistencies.push(format!(
                "moving {hours} h from {payer} to {payee} recorded balances {payer_after} and {payee_after}, \
                 not {expected_payer:.2} and {expected_payee:.2}"
            ));
        }
        self.balances.insert(payer, payer_after);
        self.balances.insert(payee, payee_after);
        self.volume = self.volume.checked_add(hours).unwrap_or(self.volume);
        self.traders.insert(payer);
        self.traders.insert(payee);
    }
}

/// What moved an account's credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    Exchange,
    Reversal,
    Transfer,
}

/// One line of an account's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub at: Timestamp,
    pub kind: MovementKind,
    /// The exchange or transfer id.
    pub reference: String,
    pub counterparty: AccountId,
    /// Positive when credited, negative when debited.
    pub hours: rust_decimal::Decimal,
    pub balance_after: Hours,
}

/// Every account's statement, in persistent vectors: a copy of the state
/// shares them, and a line added to one copy is not added to the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statements {
    lines: OrdMap<AccountId, Vector<StatementLine>>,
}

impl Statements {
    pub fn of(&self, account: AccountId) -> Vector<StatementLine> {
        self.lines.get(&account).cloned().unwrap_or_default()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        at: Timestamp,
        kind: MovementKind,
        reference: String,
        payer: AccountId,
        payee: AccountId,
        hours: Hours,
        payer_after: Hours,
        payee_after: Hours,
    ) {
        let mut line = |account, counterparty, hours, balance_after| {
            self.lines.entry(account).or_default().push_back(StatementLine {
                at,
                kind,
                reference: reference.clone(),
                counterparty,
                hours,
                balance_after,
            });
        };
        line(payer, payee, -hours.value(), payer_after);
        line(payee, payer, hours.value(), payee_after);
    }
}
