//! The share register: subscriptions, payments, redemptions, and the
//! cooperative's capital.

use imbl::{HashMap, Vector};

use agora_events::{Euros, Event, EventId, PaymentId, PioneerId, SubscriptionId, Timestamp};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One subscription of shares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub pioneer_id: PioneerId,
    pub shares: u32,
    /// The nominal value in force when subscribed.
    pub nominal: Euros,
    /// `shares × nominal`.
    pub amount: Euros,
    /// Paid so far.
    pub paid: Euros,
    pub redeemed_shares: u32,
    pub subscribed_at: Timestamp,
}

impl Subscription {
    /// Shares whose nominal value has been paid in full.
    pub fn paid_shares(&self) -> u32 {
        if !self.nominal.is_positive() {
            return 0;
        }
        (self.paid.value() / self.nominal.value())
            .floor()
            .to_u32()
            .unwrap_or(0)
            .min(self.shares)
    }

    /// Fully paid shares not yet redeemed.
    pub fn held_paid_shares(&self) -> u32 {
        self.paid_shares().saturating_sub(self.redeemed_shares)
    }

    /// What remains to pay.
    pub fn outstanding(&self) -> Euros {
        self.amount.checked_sub(self.paid).unwrap_or(Euros::ZERO)
    }
}

/// A member's position in the register.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holding {
    pub subscribed_shares: u32,
    pub paid_shares: u32,
    pub redeemed_shares: u32,
    pub subscribed_amount: Euros,
    pub paid_amount: Euros,
    pub redeemed_amount: Euros,
    pub outstanding: Euros,
}

impl Holding {
    /// Fully paid shares still held.
    pub fn held_paid_shares(&self) -> u32 {
        self.paid_shares.saturating_sub(self.redeemed_shares)
    }
}

/// A payment (its amount as corrected since, in the register's payments)
/// or a redemption (shares taken from each subscription).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum CapitalMove {
    Payment(PaymentId),
    Redemption(Vec<(SubscriptionId, u32)>),
}

/// Every subscription in recording order, and the capital.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShareRegister {
    subscriptions: Vector<Subscription>,
    index: HashMap<SubscriptionId, usize>,
    redeemed_amounts: HashMap<PioneerId, Euros>,
    /// Each payment's subscription, current amount, and the event that set
    /// it (what a correction names).
    payments: HashMap<PaymentId, (SubscriptionId, Euros, EventId)>,
    /// What moved the capital, in recording order: to find the highest
    /// capital again when a correction changes a payment.
    moves: Vector<CapitalMove>,
    /// Paid shares held × their nominal value.
    pub capital: Euros,
    /// The highest capital ever reached.
    pub highest_capital: Euros,
}

impl ShareRegister {
    /// The variable capital's floor: a quarter of the highest capital ever
    /// reached, rounded up to the cent. No redemption may take the capital
    /// below it.
    pub fn capital_floor(&self) -> Euros {
        let floor = (self.highest_capital.value() / Decimal::from(4))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero);
        Euros::new(floor).unwrap_or(self.highest_capital)
    }

    /// Every subscription, in recording order.
    pub fn subscriptions(&self) -> impl ExactSizeIterator<Item = &Subscription> {
        self.subscriptions.iter()
    }

    pub fn subscription(&self, id: SubscriptionId) -> Option<&Subscription> {
        self.index.get(&id).map(|&at| &self.subscriptions[at])
    }

    /// A member's subscriptions, oldest first.
    pub fn subscriptions_of(&self, pioneer: PioneerId) -> impl Iterator<Item = &Subscription> {
        self.subscriptions
            .iter()
            .filter(move |subscription| subscription.pioneer_id == pioneer)
    }

    pub fn holding(&self, pioneer: PioneerId) -> Holding {
        let mut holding = Holding {
            redeemed_amount: self
                .redeemed_amounts
                .get(&pioneer)
                .copied()
                .unwrap_or_default(),
            ..Holding::default()
        };
        for subscription in self.subscriptions_of(pioneer) {
            // Saturating: the rules keep these small; only an altered log
            // could overflow them, and it must not crash a verifier.
            holding.subscribed_shares = holding
                .subscribed_shares
                .saturating_add(subscription.shares);
            holding.paid_shares = holding
                .paid_shares
                .saturating_add(subscription.paid_shares());
            holding.redeemed_shares = holding
                .redeemed_shares
                .saturating_add(subscription.redeemed_shares);
            holding.subscribed_amount = add(holding.subscribed_amount, subscription.amount);
            holding.paid_amount = add(holding.paid_amount, subscription.paid);
            holding.outstanding = add(holding.outstanding, subscription.outstanding());
        }
        holding
    }

    /// Every payment recorded, in no particular order.
    pub fn payment_ids(&self) -> impl Iterator<Item = PaymentId> + '_ {
        self.payments.keys().copied()
    }

    /// A payment's subscription, current amount, and the event that set it.
    pub fn payment(&self, id: PaymentId) -> Option<(SubscriptionId, Euros, EventId)> {
        self.payments.get(&id).copied()
    }

    /// Folds one event of the share register; other events are ignored.
    pub(crate) fn evolve(&mut self, event: &Event, event_id: EventId, at: Timestamp) {
        match event {
            Event::SharesSubscribed(subscribed) => self.subscribe(Subscription {
                id: subscribed.subscription_id,
                pioneer_id: subscribed.pioneer_id,
                shares: subscribed.shares,
                nominal: subscribed.nominal,
                amount: subscribed.amount,
                paid: Default::default(),
                redeemed_shares: 0,
                subscribed_at: at,
            }),
            Event::SharePaymentRecorded(payment) => {
                self.pay(
                    payment.subscription_id,
                    payment.amount,
                    payment.capital_after,
                );
                self.payments.insert(
                    payment.payment_id,
                    (payment.subscription_id, payment.amount, event_id),
                );
                self.moves
                    .push_back(CapitalMove::Payment(payment.payment_id));
            }
            Event::SharePaymentCorrected(corrected) => {
                if let Some(&at) = self.index.get(&corrected.subscription_id) {
                    let subscription = &mut self.subscriptions[at];
                    subscription.paid = add(
                        subtract(subscription.paid, corrected.amount_before),
                        corrected.amount,
                    );
                }
                self.payments.insert(
                    corrected.payment_id,
                    (corrected.subscription_id, corrected.amount, event_id),
                );
                // The payment was always of the corrected amount: the
                // highest capital is the one its history reaches so told.
                // Money recorded by mistake never was capital; money left
                // out was.
                self.capital = corrected.capital_after;
                self.highest_capital = self.highest_as_corrected().max(self.capital);
            }
            Event::SharesRedeemed(redeemed) => {
                let taken: Vec<_> = redeemed
                    .subscriptions
                    .iter()
                    .map(|taken| (taken.subscription_id, taken.shares))
                    .collect();
                self.redeem(
                    redeemed.pioneer_id,
                    &taken,
                    redeemed.amount,
                    redeemed.capital_after,
                );
                self.moves.push_back(CapitalMove::Redemption(taken));
            }
            _ => {}
        }
    }

    pub(crate) fn subscribe(&mut self, subscription: Subscription) {
        self.index.insert(subscription.id, self.subscriptions.len());
        self.subscriptions.push_back(subscription);
    }

    pub(crate) fn pay(&mut self, id: SubscriptionId, amount: Euros, capital_after: Euros) {
        if let Some(&at) = self.index.get(&id) {
            let subscription = &mut self.subscriptions[at];
            subscription.paid = add(subscription.paid, amount);
        }
        self.set_capital(capital_after);
    }

    pub(crate) fn redeem(
        &mut self,
        pioneer: PioneerId,
        taken: &[(SubscriptionId, u32)],
        amount: Euros,
        capital_after: Euros,
    ) {
        for (id, shares) in taken {
            if let Some(&at) = self.index.get(id) {
                let redeemed = &mut self.subscriptions[at].redeemed_shares;
                *redeemed = redeemed.saturating_add(*shares);
            }
        }
        let redeemed = self.redeemed_amounts.entry(pioneer).or_default();
        *redeemed = add(*redeemed, amount);
        self.set_capital(capital_after);
    }

    fn set_capital(&mut self, capital: Euros) {
        self.capital = capital;
        self.highest_capital = self.highest_capital.max(capital);
    }

    /// The highest capital reached by every payment, at its amount as
    /// corrected, and every redemption, in the order they were recorded:
    /// the capital after each is its paid shares held × their nominal.
    fn highest_as_corrected(&self) -> Euros {
        let mut paid: std::collections::HashMap<SubscriptionId, Decimal> = Default::default();
        let mut redeemed: std::collections::HashMap<SubscriptionId, u32> = Default::default();
        let (mut capital, mut highest) = (Decimal::ZERO, Decimal::ZERO);
        // Capital the subscription `id` holds after `change`.
        let mut held = |id: SubscriptionId, change: &mut dyn FnMut(&mut Decimal, &mut u32)| {
            let Some(subscription) = self.subscription(id) else {
                return Decimal::ZERO;
            };
            let paid = paid.entry(id).or_default();
            let redeemed = redeemed.entry(id).or_default();
            let before = held_capital(subscription, *paid, *redeemed);
            change(paid, redeemed);
            held_capital(subscription, *paid, *redeemed) - before
        };
        for capital_move in &self.moves {
            match capital_move {
                CapitalMove::Payment(payment) => {
                    if let Some(&(id, amount, _)) = self.payments.get(payment) {
                        capital += held(id, &mut |paid, _| *paid += amount.value());
                    }
                }
                CapitalMove::Redemption(taken) => {
                    for &(id, shares) in taken {
                        capital += held(id, &mut |_, redeemed| {
                            *redeemed = redeemed.saturating_add(shares);
                        });
                    }
                }
            }
            highest = highest.max(capital);
        }
        Euros::new(highest).unwrap_or(self.highest_capital)
    }

    /// Capital recomputed from the subscriptions, for verification: paid
    /// shares held × nominal.
    pub fn computed_capital(&self) -> Decimal {
        self.subscriptions
            .iter()
            .map(|s| Decimal::from(s.held_paid_shares()) * s.nominal.value())
            .sum()
    }
}

/// The capital `subscription` holds with `paid` paid on it and `redeemed`
/// of its shares redeemed: its fully paid shares held × their nominal.
fn held_capital(subscription: &Subscription, paid: Decimal, redeemed: u32) -> Decimal {
    let held = Subscription {
        paid: Euros::new(paid).unwrap_or(subscription.paid),
        redeemed_shares: redeemed,
        ..subscription.clone()
    }
    .held_paid_shares();
    Decimal::from(held) * subscription.nominal.value()
}

/// Sums of recorded amounts. The rules keep every sum far below the limits;
/// only an altered log could overflow, and verification then reports the
/// figures that do not add up, so this never panics.
fn add(a: Euros, b: Euros) -> Euros {
    a.checked_add(b).unwrap_or(a)
}

fn subtract(a: Euros, b: Euros) -> Euros {
    a.checked_sub(b).unwrap_or(a)
}
