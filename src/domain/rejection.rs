//! Rejections: the rule a command breaks, with the figures that break it.
//! Each has a stable kebab-case `rule` name that the API returns.

use agora_events::{Euros, PioneerId, Role, SubscriptionId};

/// What kind of mistake a rejection is, which decides its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The command is malformed or out of range (422).
    Invalid,
    /// It names something that does not exist (404).
    NotFound,
    /// It conflicts with the ledger's current state (409).
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no community here")]
    CommunityNotFound,
    #[error("community {slug} already exists")]
    CommunityExists { slug: String },
    #[error("{field} must not be blank")]
    BlankText { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TextTooLong { field: &'static str, max: usize },
    #[error("{field} contains control characters")]
    ControlCharacters { field: &'static str },
    #[error("the email address is not of the form name@domain.tld")]
    InvalidEmail,
    #[error("{field} has more than {max} items")]
    TooManyItems { field: &'static str, max: usize },
    #[error("the share nominal value must be positive, not {nominal}")]
    NominalNotPositive { nominal: Euros },
    #[error("college {college} weighs {percent}%, outside 10–50%")]
    CollegeWeightOutOfRange { college: String, percent: u8 },
    #[error("college weights add up to {total}%, not 100%")]
    CollegeWeightsNotHundred { total: u32 },
    #[error("college {college} is listed twice")]
    DuplicateCollege { college: String },
    #[error("college {college} still has {members} members and cannot be removed")]
    CollegeInUse { college: String, members: usize },
    #[error("there is no college {college}")]
    UnknownCollege { college: String },
    #[error("the credit floor {floor} must be ≤ 0 and the ceiling {ceiling} ≥ 0")]
    CreditLimitsInvalid { floor: String, ceiling: String },
    #[error("ranking weights add up to {total}%, not 100%")]
    RankingWeightsNotHundred { total: u32 },
    #[error("admission score {criterion} is {score}, outside 0–5")]
    ScoreOutOfRange { criterion: &'static str, score: u8 },
    #[error("pioneer {pioneer} already exists")]
    PioneerExists { pioneer: PioneerId },
    #[error("there is no pioneer {pioneer}")]
    PioneerNotFound { pioneer: PioneerId },
    #[error("pioneer {pioneer} is no longer a member")]
    PioneerGone { pioneer: PioneerId },
    #[error("pioneer {pioneer} must have left or been excluded before being forgotten")]
    PioneerStillMember { pioneer: PioneerId },
    #[error("pioneer {pioneer} is already forgotten")]
    PioneerForgotten { pioneer: PioneerId },
    #[error("the charter in force is version {current}, not {offered}")]
    CharterVersionMismatch { offered: String, current: String },
    #[error("pioneer {pioneer} has already accepted charter version {version}")]
    CharterAlreadyAccepted { pioneer: PioneerId, version: String },
    #[error("role {role:?} cannot be granted")]
    RoleNotGrantable { role: Role },
    #[error("a subscription is for 1 to {max} shares, not {shares}")]
    SharesOutOfRange { shares: u32, max: u32 },
    #[error("{field} must be positive, not {amount}")]
    AmountNotPositive { field: &'static str, amount: Euros },
    #[error("{field} is too large")]
    AmountTooLarge { field: &'static str },
    #[error("there is no subscription {subscription} of this pioneer")]
    SubscriptionNotFound { subscription: SubscriptionId },
    #[error("pioneer {pioneer} owes nothing on their subscriptions")]
    NothingOutstanding { pioneer: PioneerId },
    #[error(
        "payment of {amount} exceeds the {outstanding} outstanding on subscription {subscription}"
    )]
    PaymentExceedsOutstanding {
        subscription: SubscriptionId,
        outstanding: Euros,
        amount: Euros,
    },
    #[error(
        "pioneer {pioneer} holds {available} fully paid shares, fewer than the {requested} to redeem"
    )]
    NotEnoughPaidShares {
        pioneer: PioneerId,
        requested: u32,
        available: u32,
    },
    #[error("pioneer {pioneer} is still a member: a redemption for leaving needs them gone")]
    RedemptionNotLeaving { pioneer: PioneerId },
    #[error(
        "redeeming would bring capital to {capital_after}, below the floor of {floor} (a quarter of the highest capital, {highest_capital})"
    )]
    BelowCapitalFloor {
        capital_after: Euros,
        floor: Euros,
        highest_capital: Euros,
    },
}

impl Rejection {
    /// The rule's stable name.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::CommunityNotFound => "community-not-found",
            Self::CommunityExists { .. } => "community-exists",
            Self::BlankText { .. } => "text-blank",
            Self::TextTooLong { .. } => "text-too-long",
            Self::ControlCharacters { .. } => "text-control-characters",
            Self::TooManyItems { .. } => "too-many-items",
            Self::InvalidEmail => "email-form",
            Self::NominalNotPositive { .. } => "share-nominal-positive",
            Self::CollegeWeightOutOfRange { .. } => "college-weight-range",
            Self::CollegeWeightsNotHundred { .. } => "college-weights-total",
            Self::DuplicateCollege { .. } => "college-unique",
            Self::CollegeInUse { .. } => "college-in-use",
            Self::UnknownCollege { .. } => "college-unknown",
            Self::CreditLimitsInvalid { .. } => "credit-limits",
            Self::RankingWeightsNotHundred { .. } => "ranking-weights-total",
            Self::ScoreOutOfRange { .. } => "admission-score-range",
            Self::PioneerExists { .. } => "pioneer-exists",
            Self::PioneerNotFound { .. } => "pioneer-not-found",
            Self::PioneerGone { .. } => "pioneer-not-member",
            Self::PioneerStillMember { .. } => "forget-after-leaving",
            Self::PioneerForgotten { .. } => "pioneer-forgotten",
            Self::CharterVersionMismatch { .. } => "charter-version-current",
            Self::CharterAlreadyAccepted { .. } => "charter-already-accepted",
            Self::RoleNotGrantable { .. } => "role-not-grantable",
            Self::SharesOutOfRange { .. } => "shares-range",
            Self::AmountNotPositive { .. } => "amount-positive",
            Self::AmountTooLarge { .. } => "amount-too-large",
            Self::SubscriptionNotFound { .. } => "subscription-not-found",
            Self::NothingOutstanding { .. } => "nothing-outstanding",
            Self::PaymentExceedsOutstanding { .. } => "payment-exceeds-outstanding",
            Self::NotEnoughPaidShares { .. } => "redemption-exceeds-paid-shares",
            Self::RedemptionNotLeaving { .. } => "redemption-leaving-member",
            Self::BelowCapitalFloor { .. } => "variable-capital-floor",
        }
    }

    /// The command field at fault, when the rule is about one field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::BlankText { field }
            | Self::TextTooLong { field, .. }
            | Self::ControlCharacters { field }
            | Self::TooManyItems { field, .. }
            | Self::AmountNotPositive { field, .. }
            | Self::AmountTooLarge { field } => Some(field),
            Self::NominalNotPositive { .. } => Some("statutes.share_nominal"),
            Self::InvalidEmail => Some("email"),
            Self::CollegeWeightOutOfRange { .. }
            | Self::CollegeWeightsNotHundred { .. }
            | Self::DuplicateCollege { .. } => Some("statutes.colleges"),
            Self::CreditLimitsInvalid { .. } => Some("statutes.credit_floor"),
            Self::RankingWeightsNotHundred { .. } => Some("statutes.ranking_weights"),
            Self::ScoreOutOfRange { .. } => Some("scores"),
            Self::UnknownCollege { .. } => Some("college"),
            Self::CharterVersionMismatch { .. } => Some("charter_version"),
            Self::RoleNotGrantable { .. } => Some("roles"),
            Self::SharesOutOfRange { .. } => Some("shares"),
            _ => None,
        }
    }

    pub fn kind(&self) -> RejectionKind {
        match self {
            Self::CommunityNotFound
            | Self::PioneerNotFound { .. }
            | Self::SubscriptionNotFound { .. } => RejectionKind::NotFound,
            Self::CommunityExists { .. }
            | Self::CollegeInUse { .. }
            | Self::PioneerExists { .. }
            | Self::PioneerGone { .. }
            | Self::PioneerStillMember { .. }
            | Self::PioneerForgotten { .. }
            | Self::CharterVersionMismatch { .. }
            | Self::CharterAlreadyAccepted { .. }
            | Self::NothingOutstanding { .. }
            | Self::PaymentExceedsOutstanding { .. }
            | Self::NotEnoughPaidShares { .. }
            | Self::RedemptionNotLeaving { .. }
            | Self::BelowCapitalFloor { .. } => RejectionKind::Conflict,
            _ => RejectionKind::Invalid,
        }
    }
}
