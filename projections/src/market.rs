//! The marketplace and time credits: listings, exchanges, balances.
//!
//! Balances come from the events, which carry each account's balance after
//! the movement; the projection records them and checks, as it goes, that
//! they agree with the movement itself (a disagreement is a bug or a
//! damaged log).

use imbl::OrdMap;
use uuid::Uuid;

use crate::Retention;

use agora_events::{
    AccountId, Event, EventId, ExchangeId, Hours, HoursTotal, ListingId, ListingKind, PioneerId,
    Timestamp,
};

/// A marketplace listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    pub id: ListingId,
    pub author: PioneerId,
    pub kind: ListingKind,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub published_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
    /// Who reported it, and why.
    #[serde(default)]
    pub reports: Vec<(PioneerId, String)>,
    /// When the gardener took it down, and why.
    #[serde(default)]
    pub taken_down: Option<(Timestamp, String)>,
    /// Where the help is offered or needed, if it said.
    #[serde(default)]
    pub place: Option<agora_events::Place>,
}

impl Listing {
    /// Neither withdrawn by its author nor taken down.
    pub fn is_open(&self) -> bool {
        self.withdrawn_at.is_none() && self.taken_down.is_none()
    }
}

/// Where an exchange stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Balances and the marketplace's state. Kept for decisions, it holds
/// the open listings and the pending exchanges only; kept with history,
/// every one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Market {
    pub listings: OrdMap<ListingId, Listing>,
    pub exchanges: OrdMap<ExchangeId, Exchange>,
    balances: OrdMap<AccountId, Hours>,
    /// Hours moved by exchanges, transfers and reversals; not the balances
    /// the community's account takes over from departing members, which
    /// are no trade (the assembly report counts the same).
    pub volume: HoursTotal,
    /// Whether the community's account ever took part in a movement other
    /// than a settlement (a reversal after a departure).
    #[serde(default)]
    community_traded: bool,
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

    /// How many accounts ever took part in an exchange, a transfer or a
    /// reversal: every account with a balance, which only movements give,
    /// but the community's while it only took balances over (a member's
    /// or a project's is settled only when their trades left one).
    pub fn traders(&self) -> usize {
        let settled_only =
            self.balances.contains_key(&AccountId::Community) && !self.community_traded;
        self.balances.len() - usize::from(settled_only)
    }

    /// The sum of every balance: zero, always, in a mutual-credit system.
    pub fn sum_of_balances(&self) -> rust_decimal::Decimal {
        self.balances.values().map(|hours| hours.value()).sum()
    }

    /// Folds one event of the marketplace; other events are ignored.
    pub(crate) fn evolve(
        &mut self,
        event: &Event,
        event_id: EventId,
        at: Timestamp,
        retention: Retention,
    ) {
        self.remember(event, event_id, at);
        self.count_and_move(event);
        if retention == Retention::Decisions
            && let Some(id) = Self::item_of(event)
        {
            self.let_go_if_over(id);
        }
    }

    /// The exchange or listing an event changes, if any.
    pub fn item_of(event: &Event) -> Option<Uuid> {
        match event {
            Event::ListingPublished(e) => Some(e.listing_id.0),
            Event::ListingWithdrawn(e) => Some(e.listing_id.0),
            Event::ListingReported(e) => Some(e.listing_id.0),
            Event::ListingTakenDown(e) => Some(e.listing_id.0),
            Event::ExchangeRecorded(e) => Some(e.exchange_id.0),
            Event::ExchangeConfirmed(e) => Some(e.exchange_id.0),
            Event::ExchangeCancelled(e) => Some(e.exchange_id.0),
            Event::ExchangeReversed(e) => Some(e.exchange_id.0),
            _ => None,
        }
    }

    /// Lets go of the exchange or listing `id` if it is over: an exchange
    /// no longer pending, a listing withdrawn or taken down. What is over
    /// is in the log and the store's index.
    fn let_go_if_over(&mut self, id: Uuid) {
        let exchange = ExchangeId(id);
        if self
            .exchanges
            .get(&exchange)
            .is_some_and(|exchange| exchange.status != ExchangeStatus::Pending)
        {
            self.exchanges.remove(&exchange);
        }
        let listing = ListingId(id);
        if self
            .listings
            .get(&listing)
            .is_some_and(|listing| !listing.is_open())
        {
            self.listings.remove(&listing);
        }
    }

    /// Lends the state, for one decision, the exchange or listing `id` as
    /// `past` (a fold of its history) has it, if the state let go of it.
    /// Whether it did.
    pub fn lend(&mut self, past: &Market, id: Uuid) -> bool {
        let mut lent = false;
        if let Some(exchange) = past.exchanges.get(&ExchangeId(id))
            && !self.exchanges.contains_key(&exchange.id)
        {
            self.exchanges.insert(exchange.id, exchange.clone());
            lent = true;
        }
        if let Some(listing) = past.listings.get(&ListingId(id))
            && !self.listings.contains_key(&listing.id)
        {
            self.listings.insert(listing.id, listing.clone());
            lent = true;
        }
        lent
    }

    /// Takes back what [`Market::lend`] lent, if it is still over.
    pub fn take_back(&mut self, id: Uuid) {
        self.let_go_if_over(id);
    }

    /// Whether the state holds the exchange or listing `id`.
    pub fn holds(&self, id: Uuid) -> bool {
        self.exchanges.contains_key(&ExchangeId(id)) || self.listings.contains_key(&ListingId(id))
    }

    /// Records what one event says of a listing or an exchange, and only
    /// that: what a fold of some items' histories needs (balances and
    /// counters are the whole log's).
    pub fn remember(&mut self, event: &Event, event_id: EventId, at: Timestamp) {
        match event {
            Event::ListingPublished(published) => {
                self.listings.insert(
                    published.listing_id,
                    Listing {
                        id: published.listing_id,
                        author: published.author,
                        kind: published.kind,
                        title: published.title.clone(),
                        description: published.description.clone(),
                        tags: published.tags.clone(),
                        published_at: at,
                        withdrawn_at: None,
                        reports: Vec::new(),
                        taken_down: None,
                        place: published.place.clone(),
                    },
                );
            }
            Event::ListingWithdrawn(withdrawn) => {
                if let Some(listing) = self.listings.get_mut(&withdrawn.listing_id) {
                    listing.withdrawn_at = Some(at);
                }
            }
            Event::ListingReported(reported) => {
                if let Some(listing) = self.listings.get_mut(&reported.listing_id) {
                    listing.reports.push((reported.by, reported.reason.clone()));
                }
            }
            Event::ListingTakenDown(taken_down) => {
                if let Some(listing) = self.listings.get_mut(&taken_down.listing_id) {
                    listing.taken_down = Some((at, taken_down.reason.clone()));
                }
            }
            Event::ExchangeRecorded(recorded) => {
                self.exchanges.insert(
                    recorded.exchange_id,
                    Exchange {
                        id: recorded.exchange_id,
                        provider: recorded.provider,
                        receiver: recorded.receiver,
                        hours: recorded.hours,
                        description: recorded.description.clone(),
                        listing_id: recorded.listing_id,
                        recorded_at: at,
                        status: ExchangeStatus::Pending,
                    },
                );
            }
            Event::ExchangeConfirmed(confirmed) => {
                if let Some(exchange) = self.exchanges.get_mut(&confirmed.exchange_id) {
                    exchange.status = ExchangeStatus::Completed {
                        confirmed: event_id,
                    };
                }
            }
            Event::ExchangeCancelled(cancelled) => {
                if let Some(exchange) = self.exchanges.get_mut(&cancelled.exchange_id) {
                    exchange.status = ExchangeStatus::Cancelled {
                        reason: cancelled.reason.clone(),
                    };
                }
            }
            Event::ExchangeReversed(reversed) => {
                if let Some(exchange) = self.exchanges.get_mut(&reversed.exchange_id) {
                    exchange.status = ExchangeStatus::Reversed {
                        reason: reversed.reason.clone(),
                    };
                }
            }
            _ => {}
        }
    }

    /// Moves credits as the event records them, if it moves any, and counts
    /// the movement.
    fn count_and_move(&mut self, event: &Event) {
        let Some(movement) = Movement::of(event) else {
            return;
        };
        self.settle(&movement);
        match movement.kind {
            MovementKind::Exchange => self.completed_exchanges += 1,
            MovementKind::Reversal => self.reversals += 1,
            MovementKind::Transfer => self.transfers += 1,
            MovementKind::Settlement => {}
        }
    }

    /// Moves credits as the event recorded them, balances after included.
    pub(crate) fn settle(&mut self, movement: &Movement) {
        let Movement {
            kind,
            payer,
            payee,
            hours,
            payer_after,
            payee_after,
            ..
        } = *movement;
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
        if kind != MovementKind::Settlement {
            self.volume = self.volume.plus(hours);
            self.community_traded |= [payer, payee].contains(&AccountId::Community);
        }
    }
}

/// What moved an account's credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    Exchange,
    Reversal,
    Transfer,
    /// A balance taken over by the community: a departing member's, or a
    /// closed project's.
    Settlement,
}

/// Credits moving from one account to another, as an event records them:
/// an exchange confirmed (the receiver pays the provider), reversed (the
/// provider gives the hours back) or a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub kind: MovementKind,
    /// The exchange or transfer id, or the departing member's.
    pub reference: Uuid,
    pub payer: AccountId,
    pub payee: AccountId,
    pub hours: Hours,
    pub payer_after: Hours,
    pub payee_after: Hours,
}

impl Movement {
    /// The movement an event records, if it moves credits.
    pub fn of(event: &Event) -> Option<Self> {
        match event {
            Event::ExchangeConfirmed(confirmed) => Some(Self {
                kind: MovementKind::Exchange,
                reference: confirmed.exchange_id.0,
                payer: confirmed.receiver,
                payee: confirmed.provider,
                hours: confirmed.hours,
                payer_after: confirmed.receiver_balance_after,
                payee_after: confirmed.provider_balance_after,
            }),
            Event::ExchangeReversed(reversed) => Some(Self {
                kind: MovementKind::Reversal,
                reference: reversed.exchange_id.0,
                payer: reversed.provider,
                payee: reversed.receiver,
                hours: reversed.hours,
                payer_after: reversed.provider_balance_after,
                payee_after: reversed.receiver_balance_after,
            }),
            Event::TimeCreditsTransferred(transfer) => Some(Self {
                kind: MovementKind::Transfer,
                reference: transfer.transfer_id.0,
                payer: transfer.payer,
                payee: transfer.payee,
                hours: transfer.hours,
                payer_after: transfer.payer_balance_after,
                payee_after: transfer.payee_balance_after,
            }),
            Event::BalanceSettled(settled) => Some(Self {
                kind: MovementKind::Settlement,
                reference: settled.pioneer_id.0,
                payer: settled.payer,
                payee: settled.payee,
                hours: settled.hours,
                payer_after: settled.payer_balance_after,
                payee_after: settled.payee_balance_after,
            }),
            Event::ProjectBalanceSettled(settled) => Some(Self {
                kind: MovementKind::Settlement,
                reference: settled.project_id.0,
                payer: settled.payer,
                payee: settled.payee,
                hours: settled.hours,
                payer_after: settled.payer_balance_after,
                payee_after: settled.payee_balance_after,
            }),
            _ => None,
        }
    }

    /// The line this movement writes on `account`'s statement, if it
    /// touches that account.
    pub fn line_for(&self, account: AccountId, at: Timestamp) -> Option<StatementLine> {
        let (counterparty, hours, balance_after) = if account == self.payer {
            (self.payee, -self.hours.value(), self.payer_after)
        } else if account == self.payee {
            (self.payer, self.hours.value(), self.payee_after)
        } else {
            return None;
        };
        Some(StatementLine {
            at,
            kind: self.kind,
            reference: self.reference.to_string(),
            counterparty,
            hours,
            balance_after,
        })
    }
}

/// One line of an account's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub at: Timestamp,
    pub kind: MovementKind,
    /// The exchange or transfer id, or the departing member's.
    pub reference: String,
    pub counterparty: AccountId,
    /// Positive when credited, negative when debited.
    pub hours: rust_decimal::Decimal,
    pub balance_after: Hours,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// The volume counts every movement, even once it passes what one
    /// amount of hours holds.
    #[test]
    fn the_volume_counts_every_movement_past_the_largest_amount() {
        let most: Hours = "999999999999.99".parse().unwrap();
        let less_most = Hours::new(-most.value()).unwrap();
        let (alice, bruno) = (
            AccountId::Pioneer(PioneerId(Uuid::from_u128(1))),
            AccountId::Pioneer(PioneerId(Uuid::from_u128(2))),
        );
        let mut market = Market::default();
        // The most from Alice to Bruno, back, and again.
        for (payer, payee, payer_after, payee_after) in [
            (alice, bruno, less_most, most),
            (bruno, alice, Hours::ZERO, Hours::ZERO),
            (alice, bruno, less_most, most),
        ] {
            market.settle(&Movement {
                kind: MovementKind::Transfer,
                reference: Uuid::nil(),
                payer,
                payee,
                hours: most,
                payer_after,
                payee_after,
            });
        }
        assert_eq!(market.inconsistencies, Vec::<String>::new());
        assert_eq!(market.volume.to_string(), "2999999999999.97");
        assert_eq!(market.traders(), 2);
        // A departing member's balance taken over is no trade.
        market.settle(&Movement {
            kind: MovementKind::Settlement,
            reference: Uuid::nil(),
            payer: bruno,
            payee: AccountId::Community,
            hours: most,
            payer_after: Hours::ZERO,
            payee_after: most,
        });
        assert_eq!(market.volume.to_string(), "2999999999999.97");
        assert_eq!(market.traders(), 2);
    }
}
