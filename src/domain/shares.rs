//! Shares of the cooperative's capital.
//!
//! Capital is the nominal value of the fully paid shares still held. A
//! redemption may not bring it below a quarter of the highest capital ever
//! reached: the variable-capital floor of a French cooperative.

use agora_events::{
    Euros, Event, PaymentId, PioneerId, RedemptionId, RedemptionReason, SharePaymentCorrected,
    SharePaymentRecorded, SharesRedeemed, SharesSubscribed, SubscriptionId, SubscriptionShares,
};
use agora_projections::{CommunityState, Subscription};
use rust_decimal::Decimal;

use super::Rejection;
use super::pioneers::member;
use super::text::{REFERENCE_CHARS_MAX, line};

/// Most shares in one subscription.
pub const SHARES_PER_SUBSCRIPTION_MAX: u32 = 10_000;
/// Most shares one member may have subscribed in all.
pub const SHARES_PER_MEMBER_MAX: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeShares {
    pub subscription_id: SubscriptionId,
    pub pioneer_id: PioneerId,
    pub shares: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSharePayment {
    pub payment_id: PaymentId,
    pub pioneer_id: PioneerId,
    /// The subscription paid; `None` pays the oldest one with something owed.
    pub subscription_id: Option<SubscriptionId>,
    pub amount: Euros,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemShares {
    pub redemption_id: RedemptionId,
    pub pioneer_id: PioneerId,
    pub shares: u32,
    pub reason: RedemptionReason,
}

fn nominal_of(subscription: &Subscription, shares: u32) -> Decimal {
    subscription.nominal.value() * Decimal::from(shares)
}

fn euros(field: &'static str, value: Decimal) -> Result<Euros, Rejection> {
    Euros::new(value).map_err(|_| Rejection::AmountTooLarge { field })
}

pub fn subscribe(
    state: &CommunityState,
    command: &SubscribeShares,
) -> Result<Vec<Event>, Rejection> {
    member(state, command.pioneer_id)?;
    if !(1..=SHARES_PER_SUBSCRIPTION_MAX).contains(&command.shares) {
        return Err(Rejection::SharesOutOfRange {
            what: "a subscription",
            shares: command.shares,
            max: SHARES_PER_SUBSCRIPTION_MAX,
        });
    }
    let held = state.register.holding(command.pioneer_id).subscribed_shares;
    if held.saturating_add(command.shares) > SHARES_PER_MEMBER_MAX {
        return Err(Rejection::SharesPerMemberExceeded {
            pioneer: command.pioneer_id,
            held,
            shares: command.shares,
            max: SHARES_PER_MEMBER_MAX,
        });
    }
    let nominal = state.statutes.share_nominal;
    let amount = nominal
        .checked_mul(u64::from(command.shares))
        .ok_or(Rejection::AmountTooLarge { field: "shares" })?;
    Ok(vec![
        SharesSubscribed {
            subscription_id: command.subscription_id,
            pioneer_id: command.pioneer_id,
            shares: command.shares,
            nominal,
            amount,
        }
        .into(),
    ])
}

pub fn record_payment(
    state: &CommunityState,
    command: &RecordSharePayment,
) -> Result<Vec<Event>, Rejection> {
    member(state, command.pioneer_id)?;
    if !command.amount.is_positive() {
        return Err(Rejection::AmountNotPositive {
            field: "amount",
            amount: command.amount,
        });
    }
    line("reference", &command.reference, REFERENCE_CHARS_MAX)?;
    let register = &state.register;
    let subscription = match command.subscription_id {
        Some(id) => register
            .subscription(id)
            .filter(|subscription| subscription.pioneer_id == command.pioneer_id)
            .ok_or(Rejection::SubscriptionNotFound { subscription: id })?,
        None => register
            .subscriptions_of(command.pioneer_id)
            .find(|subscription| subscription.outstanding().is_positive())
            .ok_or(Rejection::NothingOutstanding {
                pioneer: command.pioneer_id,
            })?,
    };
    let outstanding = subscription.outstanding();
    if command.amount > outstanding {
        return Err(Rejection::PaymentExceedsOutstanding {
            subscription: subscription.id,
            outstanding,
            amount: command.amount,
        });
    }
    let mut after = subscription.clone();
    after.paid = euros("amount", after.paid.value() + command.amount.value())?;
    let newly_paid = after.paid_shares() - subscription.paid_shares();
    let capital_after = euros(
        "capital",
        register.capital.value() + nominal_of(subscription, newly_paid),
    )?;
    Ok(vec![
        SharePaymentRecorded {
            payment_id: command.payment_id,
            subscription_id: subscription.id,
            pioneer_id: command.pioneer_id,
            amount: command.amount,
            reference: command.reference.clone(),
            capital_after,
        }
        .into(),
    ])
}

pub fn redeem(state: &CommunityState, command: &RedeemShares) -> Result<Vec<Event>, Rejection> {
    let pioneer = state
        .pioneer(command.pioneer_id)
        .ok_or(Rejection::PioneerNotFound {
            pioneer: command.pioneer_id,
        })?;
    if command.reason == RedemptionReason::Leaving && pioneer.is_active() {
        return Err(Rejection::RedemptionNotLeaving {
            pioneer: command.pioneer_id,
        });
    }
    if !(1..=SHARES_PER_SUBSCRIPTION_MAX).contains(&command.shares) {
        return Err(Rejection::SharesOutOfRange {
            what: "a redemption",
            shares: command.shares,
            max: SHARES_PER_SUBSCRIPTION_MAX,
        });
    }
    let register = &state.register;
    let available = register.holding(command.pioneer_id).held_paid_shares();
    if command.shares > available {
        return Err(Rejection::NotEnoughPaidShares {
            pioneer: command.pioneer_id,
            requested: command.shares,
            available,
        });
    }
    // Oldest subscriptions first.
    let mut remaining = command.shares;
    let mut taken = Vec::new();
    let mut amount = Decimal::ZERO;
    for subscription in register.subscriptions_of(command.pioneer_id) {
        if remaining == 0 {
            break;
        }
        let shares = subscription.held_paid_shares().min(remaining);
        if shares > 0 {
            remaining -= shares;
            amount += nominal_of(subscription, shares);
            taken.push(SubscriptionShares {
                subscription_id: subscription.id,
                shares,
            });
        }
    }
    let capital_after = register.capital.value() - amount;
    let highest = register.highest_capital.value();
    if capital_after * Decimal::from(4) < highest {
        return Err(Rejection::BelowCapitalFloor {
            capital_after: euros("capital", capital_after)?,
            floor: register.capital_floor(),
            highest_capital: register.highest_capital,
        });
    }
    Ok(vec![
        SharesRedeemed {
            redemption_id: command.redemption_id,
            pioneer_id: command.pioneer_id,
            shares: command.shares,
            subscriptions: taken,
            amount: euros("amount", amount)?,
            reason: command.reason,
            capital_after: euros("capital", capital_after)?,
        }
        .into(),
    ])
}

/// The treasurer corrects the amount of a share payment recorded wrongly
/// (zero voids it), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectSharePayment {
    pub payment_id: PaymentId,
    pub amount: Euros,
    pub reason: String,
}

/// A correction keeps the subscription within its amount and its redeemed
/// shares paid; capital follows the paid shares.
pub fn correct_payment(
    state: &CommunityState,
    command: &CorrectSharePayment,
) -> Result<Vec<Event>, Rejection> {
    let register = &state.register;
    let (subscription_id, before, corrects) =
        register
            .payment(command.payment_id)
            .ok_or(Rejection::PaymentNotFound {
                payment: command.payment_id,
            })?;
    let after = command.amount;
    super::funds::correction(before, after, &command.reason)?;
    let subscription =
        register
            .subscription(subscription_id)
            .ok_or(Rejection::SubscriptionNotFound {
                subscription: subscription_id,
            })?;
    let mut corrected = subscription.clone();
    corrected.paid = euros(
        "amount",
        subscription.paid.value() - before.value() + after.value(),
    )?;
    if corrected.paid > subscription.amount {
        return Err(Rejection::CorrectionUncovers {
            what: "the subscription would be paid beyond its amount",
            covering: subscription.amount,
            covered: corrected.paid,
        });
    }
    if corrected.paid_shares() < subscription.redeemed_shares {
        return Err(Rejection::CorrectionUncovers {
            what: "shares already redeemed would no longer be paid",
            covering: corrected.paid,
            covered: euros(
                "amount",
                nominal_of(subscription, subscription.redeemed_shares),
            )?,
        });
    }
    let paid_before = Decimal::from(subscription.paid_shares());
    let paid_after = Decimal::from(corrected.paid_shares());
    let capital_after = euros(
        "capital",
        register.capital.value() + (paid_after - paid_before) * subscription.nominal.value(),
    )?;
    Ok(vec![
        SharePaymentCorrected {
            payment_id: command.payment_id,
            subscription_id,
            corrects,
            amount_before: before,
            amount: after,
            reason: command.reason.clone(),
            capital_after,
        }
        .into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::PaymentId;

    fn payment_of(history: &[Event]) -> PaymentId {
        history
            .iter()
            .find_map(|event| match event {
                Event::SharePaymentRecorded(payment) => Some(payment.payment_id),
                _ => None,
            })
            .unwrap()
    }

    fn correct(payment_id: PaymentId, amount: &str) -> Command {
        Command::CorrectSharePayment(CorrectSharePayment {
            payment_id,
            amount: amount.parse().unwrap(),
            reason: "Virement saisi deux fois".into(),
        })
    }

    #[test]
    fn a_mistyped_share_payment_is_corrected_and_capital_follows() {
        // 200 € recorded for 100 €: four shares paid instead of two.
        let mut history = member_with_paid_shares();
        let payment = payment_of(&history);

        given(&history)
            .when(correct(payment, "250.00"))
            .then_rule("correction-uncovers");
        let events = given(&history)
            .when(correct(payment, "100.00"))
            .then_events(&["SharePaymentCorrected"]);
        history.extend(events.clone());

        let Event::SharePaymentCorrected(corrected) = &events[0] else {
            unreachable!()
        };
        assert_eq!(corrected.capital_after, "100.00".parse().unwrap());
        let state = given(&history).state();
        assert_eq!(state.register.capital, "100.00".parse().unwrap());
        assert_eq!(
            state.register.computed_capital(),
            "100.00".parse::<rust_decimal::Decimal>().unwrap()
        );
        given(&history)
            .when(correct(payment, "100.00"))
            .then_rule("correction-changes-nothing");
        given(&history)
            .when(correct(PaymentId(uuid::Uuid::from_u128(0xbad)), "1.00"))
            .then_rule("payment-not-found");
    }

    #[test]
    fn a_correction_cannot_unpay_redeemed_shares() {
        let mut history = member_with_paid_shares();
        let payment = payment_of(&history);
        history.push(left(ALICE));
        history.extend(
            given(&history)
                .when(redeem_command(ALICE, 3, RedemptionReason::Leaving))
                .events(),
        );

        given(&history)
            .when(correct(payment, "100.00"))
            .then_rule("correction-uncovers");
    }

    fn member_with_paid_shares() -> Vec<Event> {
        vec![
            founded(),
            admitted(ALICE, "founders"),
            subscribed(ALICE, SUBSCRIPTION_A, 4),
            paid(ALICE, SUBSCRIPTION_A, "200.00", "200.00"),
        ]
    }

    #[test]
    fn a_member_subscribes_shares_at_the_nominal_value() {
        let events = given(&[founded(), admitted(ALICE, "founders")])
            .when(subscribe_command(ALICE, SUBSCRIPTION_A, 3))
            .then_events(&["SharesSubscribed"]);
        let Event::SharesSubscribed(subscribed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(subscribed.amount.to_string(), "150.00");
    }

    #[test]
    fn a_subscription_is_for_at_least_one_share() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(subscribe_command(ALICE, SUBSCRIPTION_A, 0))
            .then_rule("shares-range");
    }

    /// Past what one member may hold in all, a subscription conflicts with
    /// what they hold already: the refusal says so, with the figures.
    #[test]
    fn a_member_holds_at_most_a_hundred_thousand_shares() {
        let mut history = vec![founded(), admitted(ALICE, "founders")];
        for n in 0..10 {
            history.push(subscribed(
                ALICE,
                SubscriptionId(uuid::Uuid::from_u128(0x500 + n)),
                10_000,
            ));
        }
        given(&history)
            .when(subscribe_command(ALICE, SUBSCRIPTION_A, 2))
            .then_err(Rejection::SharesPerMemberExceeded {
                pioneer: ALICE,
                held: 100_000,
                shares: 2,
                max: 100_000,
            });
    }

    #[test]
    fn a_payment_pays_the_oldest_subscription_and_raises_capital_by_whole_shares() {
        let events = given(&[
            founded(),
            admitted(ALICE, "founders"),
            subscribed(ALICE, SUBSCRIPTION_A, 2),
        ])
        .when(payment_command(ALICE, None, "75.00"))
        .then_events(&["SharePaymentRecorded"]);
        let Event::SharePaymentRecorded(payment) = &events[0] else {
            unreachable!()
        };
        assert_eq!(payment.subscription_id, SUBSCRIPTION_A);
        // 75 € pays one 50 € share in full; the rest is not capital yet.
        assert_eq!(payment.capital_after.to_string(), "50.00");
    }

    #[test]
    fn a_payment_cannot_exceed_what_is_owed() {
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            subscribed(ALICE, SUBSCRIPTION_A, 1),
        ])
        .when(payment_command(ALICE, Some(SUBSCRIPTION_A), "50.01"))
        .then_err(Rejection::PaymentExceedsOutstanding {
            subscription: SUBSCRIPTION_A,
            outstanding: "50.00".parse().unwrap(),
            amount: "50.01".parse().unwrap(),
        });
        given(&member_with_paid_shares())
            .when(payment_command(ALICE, None, "1.00"))
            .then_rule("nothing-outstanding");
    }

    #[test]
    fn a_payment_must_be_positive_and_referenced() {
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            subscribed(ALICE, SUBSCRIPTION_A, 1),
        ])
        .when(payment_command(ALICE, None, "0.00"))
        .then_rule("amount-positive");
        let mut command = payment("10.00");
        command.reference = String::new();
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            subscribed(ALICE, SUBSCRIPTION_A, 1),
        ])
        .when(Command::RecordSharePayment(command))
        .then_rule("text-blank");
    }

    #[test]
    fn a_payment_names_a_subscription_of_that_pioneer() {
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            admitted(BRUNO, "founders"),
            subscribed(BRUNO, SUBSCRIPTION_B, 1),
        ])
        .when(payment_command(ALICE, Some(SUBSCRIPTION_B), "10.00"))
        .then_err(Rejection::SubscriptionNotFound {
            subscription: SUBSCRIPTION_B,
        });
    }

    #[test]
    fn redemption_takes_paid_shares_and_lowers_capital() {
        let mut history = member_with_paid_shares();
        history.extend([
            admitted(BRUNO, "partners"),
            subscribed(BRUNO, SUBSCRIPTION_B, 4),
        ]);
        history.push(paid(BRUNO, SUBSCRIPTION_B, "200.00", "400.00"));
        let events = given(&history)
            .when(redeem_command(ALICE, 2, RedemptionReason::Statutes))
            .then_events(&["SharesRedeemed"]);
        let Event::SharesRedeemed(redeemed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(redeemed.amount.to_string(), "100.00");
        assert_eq!(redeemed.capital_after.to_string(), "300.00");
        assert_eq!(redeemed.subscriptions[0].shares, 2);
    }

    #[test]
    fn redemption_cannot_exceed_fully_paid_shares() {
        given(&member_with_paid_shares())
            .when(redeem_command(ALICE, 5, RedemptionReason::Statutes))
            .then_err(Rejection::NotEnoughPaidShares {
                pioneer: ALICE,
                requested: 5,
                available: 4,
            });
    }

    #[test]
    fn redemption_is_refused_below_a_quarter_of_the_highest_capital() {
        // Highest capital 200 €: the floor is 50 €; redeeming 4 shares leaves 0 €.
        given(&member_with_paid_shares())
            .when(redeem_command(ALICE, 4, RedemptionReason::Statutes))
            .then_err(Rejection::BelowCapitalFloor {
                capital_after: "0.00".parse().unwrap(),
                floor: "50.00".parse().unwrap(),
                highest_capital: "200.00".parse().unwrap(),
            });
        // Down to exactly the floor is allowed.
        given(&member_with_paid_shares())
            .when(redeem_command(ALICE, 3, RedemptionReason::Statutes))
            .then_events(&["SharesRedeemed"]);
    }

    #[test]
    fn redemption_for_leaving_needs_a_member_who_has_left() {
        given(&member_with_paid_shares())
            .when(redeem_command(ALICE, 1, RedemptionReason::Leaving))
            .then_rule("redemption-leaving-member");
        let mut history = member_with_paid_shares();
        history.push(left(ALICE));
        given(&history)
            .when(redeem_command(ALICE, 1, RedemptionReason::Leaving))
            .then_events(&["SharesRedeemed"]);
    }
}
