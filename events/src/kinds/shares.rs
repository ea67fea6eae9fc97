//! Shares of the cooperative's capital.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Euros, EventId, PaymentId, PioneerId, RedemptionId, SubscriptionId};

/// A pioneer subscribed shares at the nominal value then in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharesSubscribed {
    pub subscription_id: SubscriptionId,
    pub pioneer_id: PioneerId,
    pub shares: u32,
    pub nominal: Euros,
    /// `shares × nominal`, owed until paid.
    pub amount: Euros,
}

/// The treasurer recorded a payment towards a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharePaymentRecorded {
    pub payment_id: PaymentId,
    pub subscription_id: SubscriptionId,
    pub pioneer_id: PioneerId,
    pub amount: Euros,
    /// The bank or cash reference.
    pub reference: String,
    /// Paid capital after this payment.
    pub capital_after: Euros,
}

/// The treasurer corrected the amount of a share payment recorded wrongly:
/// `amount` replaces `amount_before` from now on (zero voids it), and
/// capital follows. The corrected event stays in the log, named here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharePaymentCorrected {
    pub payment_id: PaymentId,
    pub subscription_id: SubscriptionId,
    /// The event that set the amount corrected: the payment, or the
    /// previous correction of it.
    pub corrects: EventId,
    pub amount_before: Euros,
    pub amount: Euros,
    pub reason: String,
    /// Paid capital after this correction.
    pub capital_after: Euros,
}

/// Why shares were redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionReason {
    /// The member is leaving the cooperative.
    Leaving,
    /// As the statutes provide.
    Statutes,
}

/// Shares taken from one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionShares {
    pub subscription_id: SubscriptionId,
    pub shares: u32,
}

/// The treasurer redeemed fully paid shares, oldest subscriptions first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharesRedeemed {
    pub redemption_id: RedemptionId,
    pub pioneer_id: PioneerId,
    pub shares: u32,
    /// Which subscriptions the shares came from.
    pub subscriptions: Vec<SubscriptionShares>,
    /// What the cooperative pays back: the shares' nominal values.
    pub amount: Euros,
    pub reason: RedemptionReason,
    /// Paid capital after this redemption.
    pub capital_after: Euros,
}
