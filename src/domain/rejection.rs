//! Rejections: the rule a command breaks, with the figures that break it.
//! Each has a stable kebab-case `rule` name that the API returns.

use agora_events::{
    AccountId, AllocationId, AssemblyId, BallotId, BudgetScope, Euros, ExchangeId, ExpenseId,
    Hours, ListingId, PaymentId, PioneerId, ProjectId, ProjectStatus, ReceiptId, Role,
    SubscriptionId, Timestamp,
};

/// What kind of mistake a rejection is, which decides its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The command is malformed or out of range (422).
    Invalid,
    /// It names something that does not exist (404).
    NotFound,
    /// It conflicts with the ledger's current state (409).
    Conflict,
    /// The caller is not the party the rule names (403).
    Forbidden,
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
    #[error(
        "{field} contains control characters or characters that reorder the text around them \
         (direction overrides, embeddings or isolates)"
    )]
    ControlCharacters { field: &'static str },
    #[error("the email address is not of the form name@domain.tld")]
    InvalidEmail,
    #[error("{field} has more than {max} items")]
    TooManyItems { field: &'static str, max: usize },
    #[error("the share nominal value must be positive, not {nominal}")]
    NominalNotPositive { nominal: Euros },
    #[error("the share nominal value must be at most {max} €, not {nominal}")]
    NominalTooLarge { nominal: Euros, max: Euros },
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
    #[error(
        "the credit floor {floor} must be between -1000000 and 0 hours and the ceiling \
         {ceiling} between 0 and 1000000 hours"
    )]
    CreditLimitsInvalid {
        field: &'static str,
        floor: String,
        ceiling: String,
    },
    #[error("ranking weights add up to {total}%, not 100%")]
    RankingWeightsNotHundred { total: u32 },
    #[error("admission score {criterion} is {score}, outside 0–5")]
    ScoreOutOfRange { criterion: &'static str, score: u8 },
    #[error("{id} is already the id of something else in this community")]
    IdInUse { id: uuid::Uuid },
    #[error("pioneer {pioneer} already exists")]
    PioneerExists { pioneer: PioneerId },
    #[error("there is no pioneer {pioneer}")]
    PioneerNotFound { pioneer: PioneerId },
    #[error("pioneer {pioneer} is no longer a member")]
    PioneerGone { pioneer: PioneerId },
    #[error("pioneer {pioneer} must have left or been excluded before being forgotten")]
    PioneerStillMember { pioneer: PioneerId },
    #[error("the profile of pioneer {pioneer} changed since this update was prepared; retry")]
    ProfileChangedMeanwhile { pioneer: PioneerId },
    #[error("pioneer {pioneer} is already forgotten")]
    PioneerForgotten { pioneer: PioneerId },
    #[error("the charter in force is version {current}, not {offered}")]
    CharterVersionMismatch { offered: String, current: String },
    #[error("pioneer {pioneer} has already accepted charter version {version}")]
    CharterAlreadyAccepted { pioneer: PioneerId, version: String },
    #[error("role {role:?} cannot be granted")]
    RoleNotGrantable { role: Role },
    #[error(
        "the caller does not hold the role {role:?} here when the command is decided: it was \
         revoked, or they are no longer a member"
    )]
    RoleNotHeld { role: Role },
    #[error("{what} is for 1 to {max} shares, not {shares}")]
    SharesOutOfRange {
        /// "a subscription" or "a redemption".
        what: &'static str,
        shares: u32,
        max: u32,
    },
    #[error(
        "a member subscribes at most {max} shares in all: {pioneer} has subscribed {held}, and {shares} more would make {}",
        u64::from(*held) + u64::from(*shares)
    )]
    SharesPerMemberExceeded {
        pioneer: PioneerId,
        held: u32,
        shares: u32,
        max: u32,
    },
    #[error("{field} must be positive, not {amount}")]
    AmountNotPositive { field: &'static str, amount: Euros },
    #[error("{field} must be zero or more, not {amount}")]
    AmountNegative { field: &'static str, amount: Euros },
    #[error("{field} is too large")]
    AmountTooLarge { field: &'static str },
    #[error("{field} would take {total} past 999999999999.99, the most an amount holds")]
    TotalTooLarge {
        field: &'static str,
        /// What would pass it: "the funds received", "the budget's total"…
        total: &'static str,
    },
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
    #[error("hours must be positive, not {hours}")]
    HoursNotPositive { hours: Hours },
    #[error("an account cannot pay itself")]
    SelfTransfer,
    #[error(
        "pioneer {pioneer} speaks for {account}: hours between accounts of one person need a second person's word"
    )]
    SelfDealing {
        pioneer: PioneerId,
        account: AccountId,
    },
    #[error("pioneer {pioneer} proposed project {project}: another gardener scores it")]
    OwnProjectScored {
        pioneer: PioneerId,
        project: ProjectId,
    },
    #[error("pioneer {pioneer} cannot exclude themself: a member who goes leaves")]
    SelfExclusion { pioneer: PioneerId },
    #[error("pioneer {pioneer} took part in exchange {exchange}: another gardener must reverse it")]
    PartyCannotReverse {
        pioneer: PioneerId,
        exchange: ExchangeId,
    },
    #[error(
        "the community's account takes no exchange or transfer: it only takes over departing members' balances"
    )]
    CommunityAccountReserved,
    #[error("there is no account {account}")]
    AccountNotFound { account: AccountId },
    #[error("account {account} is closed: its owner left or the project ended")]
    AccountClosed { account: AccountId },
    #[error("{account} would go to {balance_after} h, below the credit floor of {floor} h")]
    BelowCreditFloor {
        account: AccountId,
        floor: Hours,
        balance_after: Hours,
    },
    #[error("{account} would go to {balance_after} h, above the credit ceiling of {ceiling} h")]
    AboveCreditCeiling {
        account: AccountId,
        ceiling: Hours,
        balance_after: Hours,
    },
    #[error(
        "an exchange of {hours} h could never be confirmed: the statutes let {account} move \
         {span} h at most, from its credit floor to its ceiling"
    )]
    ExchangeBeyondLimits {
        account: AccountId,
        hours: Hours,
        span: Hours,
    },
    #[error("there is no listing {listing}")]
    ListingNotFound { listing: ListingId },
    #[error("listing {listing} was withdrawn")]
    ListingWithdrawn { listing: ListingId },
    #[error("listing {listing} is by neither party of the exchange: cite one of theirs, or none")]
    ListingOfNeitherParty { listing: ListingId },
    #[error("listing {listing} was taken down by the gardener")]
    ListingTakenDown { listing: ListingId },
    #[error("one does not report one's own listing {listing}: withdraw it")]
    OwnListingReported { listing: ListingId },
    #[error("listing {listing} is already reported by this member")]
    ListingAlreadyReported { listing: ListingId },
    #[error("only the author of listing {listing} may withdraw it")]
    NotListingAuthor { listing: ListingId },
    #[error("there is no exchange {exchange}")]
    ExchangeNotFound { exchange: ExchangeId },
    #[error("exchange {exchange} is {status}, not pending")]
    ExchangeNotPending {
        exchange: ExchangeId,
        status: &'static str,
    },
    #[error("exchange {exchange} is {status}, not completed")]
    ExchangeNotCompleted {
        exchange: ExchangeId,
        status: &'static str,
    },
    #[error("only the receiver of exchange {exchange} may confirm it")]
    NotExchangeReceiver { exchange: ExchangeId },
    #[error("only the parties to exchange {exchange} or the gardener may cancel it")]
    NotExchangeParty { exchange: ExchangeId },
    #[error("only the owner may spend from account {account}")]
    NotAccountOwner { account: AccountId },
    #[error("pioneer {pioneer} is not in good standing (member, current charter, a paid share)")]
    NotInGoodStanding { pioneer: PioneerId },
    #[error("there is no project {project}")]
    ProjectNotFound { project: ProjectId },
    #[error("project {project} is {status:?}")]
    ProjectClosed {
        project: ProjectId,
        status: ProjectStatus,
    },
    #[error("{field} is {value}, outside 0–100")]
    PercentOutOfRange { field: &'static str, value: u8 },
    #[error("a project cannot go from {from:?} to {to:?}")]
    StatusTransition {
        from: ProjectStatus,
        to: ProjectStatus,
    },
    #[error("project {project} is already in progress: projects are carried out one at a time")]
    AnotherProjectInProgress { project: ProjectId },
    #[error("project {project} is not selected for funding (it is {status:?})")]
    ProjectNotSelected {
        project: ProjectId,
        status: ProjectStatus,
    },
    #[error("there is no ballot {ballot}")]
    BallotNotFound { ballot: BallotId },
    #[error("ballot {ballot} is closed")]
    BallotClosed { ballot: BallotId },
    #[error("the close time must be in the future")]
    CloseTimeInPast,
    #[error("ballot {ballot} closes at its close time, not before, when the service closes it")]
    BallotNotDue { ballot: BallotId },
    #[error("a ballot has 2 to {max} options, not {count}")]
    OptionCount { count: usize, max: usize },
    #[error("{field}: {option} is listed twice")]
    DuplicateOption { field: &'static str, option: String },
    #[error("a {method} vote names at least one option")]
    NoOptionChosen { method: &'static str },
    #[error("there is no option {option} on this ballot")]
    UnknownOption { option: String },
    #[error("pioneer {voter} is not in the ballot's electorate")]
    NotInElectorate { voter: PioneerId },
    #[error("the choice does not fit the ballot's {method} method")]
    ChoiceMethod { method: &'static str },
    #[error("there is no allocation {allocation}")]
    AllocationNotFound { allocation: AllocationId },
    #[error("ballot {ballot}'s votes are sealed and its key is not at hand")]
    SealedVotesUnreadable { ballot: BallotId },
    #[error("there is no share payment {payment}")]
    PaymentNotFound { payment: PaymentId },
    #[error("there is no receipt {receipt}")]
    ReceiptNotFound { receipt: ReceiptId },
    #[error("there is no expense {expense}")]
    ExpenseNotFound { expense: ExpenseId },
    #[error("the amount is already {amount} €: nothing to correct")]
    CorrectionChangesNothing { amount: Euros },
    #[error("after this correction {what}: {covering} € for {covered} €")]
    CorrectionUncovers {
        what: &'static str,
        covering: Euros,
        covered: Euros,
    },
    #[error("ballot {ballot} has decided nothing: {why}")]
    DecisionNotTaken {
        ballot: BallotId,
        /// "it is still open", or "it closed without a winner".
        why: &'static str,
    },
    #[error("ballot {ballot} did not select project {project}")]
    DecisionDoesNotSelectProject {
        ballot: BallotId,
        project: ProjectId,
    },
    #[error("allocating {amount} exceeds the {unallocated} not yet allocated")]
    AllocationExceedsFunds { amount: Euros, unallocated: Euros },
    #[error("spending {amount} exceeds the {remaining} left of allocation {allocation}")]
    ExpenseExceedsAllocation {
        allocation: AllocationId,
        amount: Euros,
        remaining: Euros,
    },
    #[error("there is no general assembly {assembly}")]
    AssemblyNotFound { assembly: AssemblyId },
    #[error(
        "assembly {assembly} did not meet its quorum (or its attendance is not recorded yet): its session decides nothing"
    )]
    AssemblyQuorumNotMet { assembly: AssemblyId },
    #[error(
        "this community records its assemblies: cite the ballot or the session of the ledger that decided"
    )]
    DecisionNotInTheLedger,
    #[error("the statutes require {days} days of notice: the assembly can be held from {earliest}")]
    AssemblyNoticeTooShort { days: u16, earliest: Timestamp },
    #[error(
        "assembly {assembly} cannot have this second convocation: only an assembly held without its quorum gets one, once, of the same kind"
    )]
    NoSecondConvocation { assembly: AssemblyId },
    #[error("assembly {assembly} has not been held yet")]
    AssemblyNotHeldYet { assembly: AssemblyId },
    #[error("the attendance of assembly {assembly} is already recorded")]
    AttendanceAlreadyRecorded { assembly: AssemblyId },
    #[error("the minutes of assembly {assembly} are already recorded")]
    MinutesAlreadyRecorded { assembly: AssemblyId },
    #[error("proxy {proxy} is not among the members present")]
    ProxyNotPresent { proxy: PioneerId },
    #[error("{proxy} would represent more than the statutes' {max} members")]
    TooManyProxies { proxy: PioneerId, max: u8 },
    #[error("{siren:?} is not a SIREN: nine digits whose checksum holds")]
    SirenForm { siren: String },
    #[error("SIREN {siren} is already member {pioneer}'s")]
    SirenExists { siren: String, pioneer: PioneerId },
    #[error("{person} is a member: an organisation's representative acts only for it")]
    RepresentativeIsMember { person: PioneerId },
    #[error("{person} already represents organisation {organisation}")]
    RepresentativeBusy {
        person: PioneerId,
        organisation: PioneerId,
    },
    #[error("{person} already represents this organisation")]
    RepresentativeUnchanged { person: PioneerId },
    #[error("member {pioneer} is a person, not an organisation")]
    NotAnOrganisation { pioneer: PioneerId },
    #[error("{pioneer} already stands for representative")]
    AlreadyCandidate { pioneer: PioneerId },
    #[error("{pioneer} does not stand for representative")]
    NotCandidate { pioneer: PioneerId },
    #[error("the election of the representative is under way (ballot {ballot})")]
    ElectionUnderWay { ballot: BallotId },
    #[error("the representative is elected by a ballot of an assembly session: name its assembly")]
    ElectionOutsideSession,
    #[error("a mandate lasts 1 to {max} months, not {months}")]
    ElectionTerm { months: u16, max: u16 },
    #[error("an election's options are the candidates, each once, by their id")]
    ElectionCandidates,
    #[error("a meeting is recorded once it took place, not for {held_on}")]
    MeetingInFuture { held_on: chrono::NaiveDate },
    #[error("pioneer {pioneer} is listed twice among the attendees")]
    DuplicateAttendee { pioneer: PioneerId },
    #[error(
        "indicator code {code:?} is not lowercase letters and digits in words joined by hyphens, at most 40 characters"
    )]
    IndicatorCodeInvalid { code: String },
    #[error("the statutes define indicator {code:?} twice")]
    DuplicateIndicator { code: String },
    #[error("the statutes define no indicator {indicator:?}")]
    UnknownIndicator { indicator: String },
    #[error("a measurement is recorded once taken: {measured_on} is in the future")]
    MeasurementInFuture { measured_on: chrono::NaiveDate },
    #[error("an endpoint is already registered at {url}")]
    WebhookRegistered { url: String },
    #[error("{event_type:?} is not an event type, or is named twice")]
    WebhookEventType { event_type: String },
    #[error("there is no webhook {webhook}")]
    WebhookNotFound { webhook: agora_events::WebhookId },
    #[error("{url}: {reason}")]
    WebhookUrl { url: String, reason: String },
    #[error("{field} names neither a commune nor a point")]
    PlaceEmpty { field: &'static str },
    #[error("{field}: {commune:?} is not an INSEE commune code (such as 38185 or 2A004)")]
    CommuneCodeInvalid {
        field: &'static str,
        commune: String,
    },
    #[error(
        "{field}: latitude {latitude} and longitude {longitude} are not on the globe (latitude from -90 to 90, longitude from -180 to 180)"
    )]
    CoordinatesOutOfRange {
        field: &'static str,
        latitude: String,
        longitude: String,
    },
    #[error("there is no pending application from {applicant}")]
    ApplicationNotFound { applicant: PioneerId },
    #[error("{applicant} already has an application pending")]
    ApplicationPending { applicant: PioneerId },
    #[error("the application of {applicant} is no longer pending: it was {status}")]
    ApplicationDecided {
        applicant: PioneerId,
        /// "admitted", "declined" or "withdrawn".
        status: &'static str,
    },
    #[error(
        "application {applicant} is not scored yet: score it, or give the scores with the admission"
    )]
    ApplicationNotScored { applicant: PioneerId },
    #[error("the admission scores total {total}, below the statutes' minimum of {min}")]
    AdmissionScoreBelowMinimum { total: u8, min: u8 },
    #[error("the minimum admission total {min} is beyond 35 (seven criteria scored 0 to 5)")]
    AdmissionMinimumOutOfRange { min: u8 },
    #[error("{} has no budget", capitalized(scope_name(.scope)))]
    BudgetNotFound { scope: BudgetScope },
    #[error("a budget has 1 to {max} lines, not {count}")]
    BudgetLineCount { count: usize, max: usize },
    #[error(
        "budget line code {code:?} is not lowercase letters and digits in words joined by hyphens (at most 40 characters)"
    )]
    BudgetLineCode { code: String },
    #[error("budget line {code} is listed twice")]
    DuplicateBudgetLine { code: String },
    #[error("the budget already has exactly these lines: nothing to change")]
    BudgetUnchanged,
    #[error("the statutes already say exactly this: nothing to amend")]
    StatutesUnchanged,
    #[error("{spent} € were booked to budget line {code}: it cannot be dropped")]
    BudgetLineInUse { code: String, spent: Euros },
    #[error("a budget applies ({}): the expense must name one of its lines", scope_name(.scope))]
    BudgetLineRequired { scope: BudgetScope },
    #[error("the budget that applies ({}) has no line {code}", scope_name(.scope))]
    UnknownBudgetLine { code: String, scope: BudgetScope },
    #[error(
        "redeeming would bring capital to {capital_after}, below the floor of {floor} (a quarter of the highest capital, {highest_capital})"
    )]
    BelowCapitalFloor {
        capital_after: Euros,
        floor: Euros,
        highest_capital: Euros,
    },
}

fn capitalized(words: String) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whose budget, in words.
fn scope_name(scope: &BudgetScope) -> String {
    match scope {
        BudgetScope::Community => "the community's".to_owned(),
        BudgetScope::Project { project_id } => format!("project {project_id}'s"),
    }
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
            Self::NominalTooLarge { .. } => "share-nominal-too-large",
            Self::CollegeWeightOutOfRange { .. } => "college-weight-range",
            Self::CollegeWeightsNotHundred { .. } => "college-weights-total",
            Self::DuplicateCollege { .. } => "college-unique",
            Self::CollegeInUse { .. } => "college-in-use",
            Self::UnknownCollege { .. } => "college-unknown",
            Self::CreditLimitsInvalid { .. } => "credit-limits",
            Self::RankingWeightsNotHundred { .. } => "ranking-weights-total",
            Self::ScoreOutOfRange { .. } => "admission-score-range",
            Self::PioneerExists { .. } => "pioneer-exists",
            Self::IdInUse { .. } => "id-in-use",
            Self::PioneerNotFound { .. } => "pioneer-not-found",
            Self::PioneerGone { .. } => "pioneer-not-member",
            Self::PioneerStillMember { .. } => "forget-after-leaving",
            Self::ProfileChangedMeanwhile { .. } => "profile-changed-meanwhile",
            Self::PioneerForgotten { .. } => "pioneer-forgotten",
            Self::CharterVersionMismatch { .. } => "charter-version-current",
            Self::CharterAlreadyAccepted { .. } => "charter-already-accepted",
            Self::RoleNotGrantable { .. } => "role-not-grantable",
            Self::RoleNotHeld { .. } => "role-required",
            Self::SharesOutOfRange { .. } => "shares-range",
            Self::SharesPerMemberExceeded { .. } => "shares-per-member",
            Self::AmountNotPositive { .. } => "amount-positive",
            Self::AmountNegative { .. } => "amount-not-negative",
            Self::AmountTooLarge { .. } | Self::TotalTooLarge { .. } => "amount-too-large",
            Self::SubscriptionNotFound { .. } => "subscription-not-found",
            Self::NothingOutstanding { .. } => "nothing-outstanding",
            Self::PaymentExceedsOutstanding { .. } => "payment-exceeds-outstanding",
            Self::NotEnoughPaidShares { .. } => "redemption-exceeds-paid-shares",
            Self::RedemptionNotLeaving { .. } => "redemption-leaving-member",
            Self::HoursNotPositive { .. } => "hours-positive",
            Self::SelfTransfer => "no-self-transfer",
            Self::SelfDealing { .. } | Self::OwnProjectScored { .. } => "second-person-required",
            Self::SelfExclusion { .. } => "exclusion-by-another",
            Self::CommunityAccountReserved => "community-account-reserved",
            Self::PartyCannotReverse { .. } => "reversal-by-a-third-party",
            Self::AccountNotFound { .. } => "account-not-found",
            Self::AccountClosed { .. } => "account-closed",
            Self::BelowCreditFloor { .. } => "credit-floor",
            Self::AboveCreditCeiling { .. } => "credit-ceiling",
            Self::ExchangeBeyondLimits { .. } => "exchange-beyond-credit-limits",
            Self::ListingNotFound { .. } => "listing-not-found",
            Self::ListingWithdrawn { .. } => "listing-withdrawn",
            Self::ListingOfNeitherParty { .. } => "listing-of-a-party",
            Self::ListingTakenDown { .. } => "listing-taken-down",
            Self::OwnListingReported { .. } => "report-own-listing",
            Self::ListingAlreadyReported { .. } => "listing-already-reported",
            Self::NotListingAuthor { .. } => "listing-author-only",
            Self::ExchangeNotFound { .. } => "exchange-not-found",
            Self::ExchangeNotPending { .. } => "exchange-not-pending",
            Self::ExchangeNotCompleted { .. } => "exchange-not-completed",
            Self::NotExchangeReceiver { .. } => "exchange-receiver-only",
            Self::NotExchangeParty { .. } => "exchange-party-only",
            Self::NotAccountOwner { .. } => "account-owner-only",
            Self::NotInGoodStanding { .. } => "good-standing-required",
            Self::ProjectNotFound { .. } => "project-not-found",
            Self::ProjectClosed { .. } => "project-closed",
            Self::PercentOutOfRange { .. } => "percent-range",
            Self::StatusTransition { .. } => "project-status-transition",
            Self::AnotherProjectInProgress { .. } => "one-project-at-a-time",
            Self::ProjectNotSelected { .. } => "project-not-selected",
            Self::BallotNotFound { .. } => "ballot-not-found",
            Self::BallotClosed { .. } => "ballot-closed",
            Self::CloseTimeInPast => "ballot-close-time-future",
            Self::BallotNotDue { .. } => "ballot-not-due",
            Self::OptionCount { .. } => "ballot-option-count",
            Self::DuplicateOption { .. } => "ballot-option-unique",
            Self::NoOptionChosen { .. } => "choice-fits-method",
            Self::UnknownOption { .. } => "ballot-option-unknown",
            Self::NotInElectorate { .. } => "electorate-only",
            Self::ChoiceMethod { .. } => "choice-fits-method",
            Self::AllocationNotFound { .. } => "allocation-not-found",
            Self::ReceiptNotFound { .. } => "receipt-not-found",
            Self::PaymentNotFound { .. } => "payment-not-found",
            Self::SealedVotesUnreadable { .. } => "ballot-key-required",
            Self::ExpenseNotFound { .. } => "expense-not-found",
            Self::CorrectionChangesNothing { .. } => "correction-changes-nothing",
            Self::CorrectionUncovers { .. } => "correction-uncovers",
            Self::DecisionDoesNotSelectProject { .. } => "decision-selects-project",
            Self::DecisionNotTaken { .. } => "decision-taken",
            Self::AllocationExceedsFunds { .. } => "allocation-within-funds",
            Self::ExpenseExceedsAllocation { .. } => "expense-within-allocation",
            Self::BelowCapitalFloor { .. } => "variable-capital-floor",
            Self::AssemblyNotFound { .. } => "assembly-not-found",
            Self::AssemblyQuorumNotMet { .. } => "assembly-quorum",
            Self::DecisionNotInTheLedger => "decision-in-the-ledger",
            Self::AssemblyNoticeTooShort { .. } => "assembly-notice",
            Self::NoSecondConvocation { .. } => "second-convocation",
            Self::AssemblyNotHeldYet { .. } => "assembly-not-held-yet",
            Self::AttendanceAlreadyRecorded { .. } => "attendance-recorded",
            Self::MinutesAlreadyRecorded { .. } => "minutes-recorded",
            Self::ProxyNotPresent { .. } => "proxy-present",
            Self::TooManyProxies { .. } => "proxies-per-member",
            Self::SirenForm { .. } => "siren-form",
            Self::SirenExists { .. } => "siren-exists",
            Self::RepresentativeIsMember { .. } => "representative-not-member",
            Self::RepresentativeBusy { .. } => "representative-busy",
            Self::RepresentativeUnchanged { .. } => "representative-unchanged",
            Self::NotAnOrganisation { .. } => "organisation-only",
            Self::AlreadyCandidate { .. } => "candidacy-exists",
            Self::NotCandidate { .. } => "candidacy-not-found",
            Self::ElectionUnderWay { .. } => "election-under-way",
            Self::ElectionOutsideSession => "election-in-session",
            Self::ElectionTerm { .. } => "election-term",
            Self::ElectionCandidates => "election-candidates",
            Self::MeetingInFuture { .. } => "meeting-took-place",
            Self::DuplicateAttendee { .. } => "attendee-unique",
            Self::IndicatorCodeInvalid { .. } => "indicator-code",
            Self::DuplicateIndicator { .. } => "indicator-unique",
            Self::UnknownIndicator { .. } => "indicator-in-statutes",
            Self::MeasurementInFuture { .. } => "measurement-took-place",
            Self::WebhookRegistered { .. } => "webhook-registered",
            Self::WebhookEventType { .. } => "webhook-event-type",
            Self::WebhookNotFound { .. } => "webhook-not-found",
            Self::WebhookUrl { .. } => "webhook-url",
            Self::PlaceEmpty { .. } => "place-empty",
            Self::CommuneCodeInvalid { .. } => "commune-code",
            Self::CoordinatesOutOfRange { .. } => "coordinates-range",
            Self::ApplicationNotFound { .. } => "application-not-found",
            Self::ApplicationPending { .. } => "application-pending",
            Self::ApplicationDecided { .. } => "application-not-pending",
            Self::ApplicationNotScored { .. } => "application-not-scored",
            Self::AdmissionScoreBelowMinimum { .. } => "admission-score-minimum",
            Self::AdmissionMinimumOutOfRange { .. } => "admission-minimum-range",
            Self::BudgetNotFound { .. } => "budget-not-found",
            Self::BudgetLineCount { .. } => "budget-line-count",
            Self::BudgetLineCode { .. } => "budget-line-code",
            Self::DuplicateBudgetLine { .. } => "budget-line-unique",
            Self::BudgetUnchanged => "budget-changes-nothing",
            Self::StatutesUnchanged => "statutes-change-nothing",
            Self::BudgetLineInUse { .. } => "budget-line-in-use",
            Self::BudgetLineRequired { .. } => "budget-line-required",
            Self::UnknownBudgetLine { .. } => "budget-line-known",
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
            | Self::AmountNegative { field, .. }
            | Self::AmountTooLarge { field }
            | Self::TotalTooLarge { field, .. } => Some(field),
            Self::NominalNotPositive { .. } | Self::NominalTooLarge { .. } => {
                Some("statutes.share_nominal")
            }
            Self::InvalidEmail => Some("email"),
            Self::CollegeWeightOutOfRange { .. }
            | Self::CollegeWeightsNotHundred { .. }
            | Self::DuplicateCollege { .. } => Some("statutes.colleges"),
            Self::CreditLimitsInvalid { field, .. } => Some(field),
            Self::RankingWeightsNotHundred { .. } => Some("statutes.ranking_weights"),
            Self::ScoreOutOfRange { .. } => Some("scores"),
            Self::UnknownCollege { .. } => Some("college"),
            Self::IndicatorCodeInvalid { .. } | Self::DuplicateIndicator { .. } => {
                Some("statutes.indicators")
            }
            Self::UnknownIndicator { .. } => Some("indicator"),
            Self::MeasurementInFuture { .. } => Some("measured_on"),
            Self::WebhookRegistered { .. } | Self::WebhookUrl { .. } => Some("url"),
            Self::WebhookEventType { .. } => Some("event_types"),
            Self::PlaceEmpty { field }
            | Self::CommuneCodeInvalid { field, .. }
            | Self::CoordinatesOutOfRange { field, .. } => Some(field),
            Self::CharterVersionMismatch { .. } => Some("charter_version"),
            Self::RoleNotGrantable { .. } => Some("roles"),
            Self::SharesOutOfRange { .. } => Some("shares"),
            Self::HoursNotPositive { .. } | Self::ExchangeBeyondLimits { .. } => Some("hours"),
            Self::PercentOutOfRange { field, .. } => Some(field),
            Self::CloseTimeInPast => Some("closes_at"),
            Self::OptionCount { .. } => Some("options"),
            Self::DuplicateOption { field, .. } => Some(field),
            Self::NoOptionChosen { .. } => Some("choice"),
            Self::UnknownOption { .. } | Self::ChoiceMethod { .. } => Some("choice"),
            Self::BudgetLineCount { .. }
            | Self::BudgetLineCode { .. }
            | Self::DuplicateBudgetLine { .. }
            | Self::BudgetLineInUse { .. } => Some("lines"),
            Self::BudgetLineRequired { .. } | Self::UnknownBudgetLine { .. } => Some("budget_line"),
            _ => None,
        }
    }

    pub fn kind(&self) -> RejectionKind {
        match self {
            Self::CommunityNotFound
            | Self::PioneerNotFound { .. }
            | Self::SubscriptionNotFound { .. }
            | Self::AccountNotFound { .. }
            | Self::ListingNotFound { .. }
            | Self::ExchangeNotFound { .. }
            | Self::ProjectNotFound { .. }
            | Self::BallotNotFound { .. }
            | Self::AllocationNotFound { .. }
            | Self::ReceiptNotFound { .. }
            | Self::PaymentNotFound { .. }
            | Self::ExpenseNotFound { .. }
            | Self::BudgetNotFound { .. }
            | Self::ApplicationNotFound { .. }
            | Self::AssemblyNotFound { .. }
            | Self::NotCandidate { .. }
            | Self::WebhookNotFound { .. } => RejectionKind::NotFound,
            Self::NotListingAuthor { .. }
            | Self::NotExchangeReceiver { .. }
            | Self::NotExchangeParty { .. }
            | Self::NotAccountOwner { .. }
            | Self::SelfDealing { .. }
            | Self::SelfExclusion { .. }
            | Self::OwnProjectScored { .. }
            | Self::PartyCannotReverse { .. }
            | Self::CommunityAccountReserved
            | Self::OwnListingReported { .. }
            | Self::NotInElectorate { .. }
            | Self::RoleNotHeld { .. } => RejectionKind::Forbidden,
            Self::HoursNotPositive { .. }
            | Self::ExchangeBeyondLimits { .. }
            | Self::SelfTransfer
            | Self::PercentOutOfRange { .. }
            | Self::CloseTimeInPast
            | Self::OptionCount { .. }
            | Self::DuplicateOption { .. }
            | Self::NoOptionChosen { .. }
            | Self::UnknownOption { .. }
            | Self::ChoiceMethod { .. } => RejectionKind::Invalid,
            Self::CommunityExists { .. }
            | Self::CollegeInUse { .. }
            | Self::PioneerExists { .. }
            | Self::IdInUse { .. }
            | Self::PioneerGone { .. }
            | Self::PioneerStillMember { .. }
            | Self::PioneerForgotten { .. }
            | Self::ProfileChangedMeanwhile { .. }
            | Self::CharterVersionMismatch { .. }
            | Self::CharterAlreadyAccepted { .. }
            | Self::NothingOutstanding { .. }
            | Self::PaymentExceedsOutstanding { .. }
            | Self::NotEnoughPaidShares { .. }
            | Self::RedemptionNotLeaving { .. }
            | Self::SharesPerMemberExceeded { .. }
            | Self::BelowCapitalFloor { .. } => RejectionKind::Conflict,
            Self::AccountClosed { .. }
            | Self::BelowCreditFloor { .. }
            | Self::AboveCreditCeiling { .. }
            | Self::ListingWithdrawn { .. }
            | Self::ListingTakenDown { .. }
            | Self::ListingAlreadyReported { .. }
            | Self::ExchangeNotPending { .. }
            | Self::ExchangeNotCompleted { .. }
            | Self::NotInGoodStanding { .. }
            | Self::ProjectClosed { .. }
            | Self::StatusTransition { .. }
            | Self::AnotherProjectInProgress { .. }
            | Self::ProjectNotSelected { .. }
            | Self::BallotClosed { .. }
            | Self::BallotNotDue { .. }
            | Self::DecisionDoesNotSelectProject { .. }
            | Self::DecisionNotTaken { .. }
            | Self::AllocationExceedsFunds { .. }
            | Self::ExpenseExceedsAllocation { .. }
            | Self::CorrectionChangesNothing { .. }
            | Self::SealedVotesUnreadable { .. }
            | Self::CorrectionUncovers { .. }
            | Self::BudgetUnchanged
            | Self::StatutesUnchanged
            | Self::BudgetLineInUse { .. }
            | Self::ApplicationPending { .. }
            | Self::ApplicationDecided { .. }
            | Self::ApplicationNotScored { .. }
            | Self::AdmissionScoreBelowMinimum { .. }
            | Self::AssemblyQuorumNotMet { .. }
            | Self::NoSecondConvocation { .. }
            | Self::AssemblyNotHeldYet { .. }
            | Self::AttendanceAlreadyRecorded { .. }
            | Self::MinutesAlreadyRecorded { .. }
            | Self::AlreadyCandidate { .. }
            | Self::SirenExists { .. }
            | Self::RepresentativeBusy { .. }
            | Self::RepresentativeUnchanged { .. }
            | Self::NotAnOrganisation { .. }
            | Self::RepresentativeIsMember { .. }
            | Self::ElectionUnderWay { .. }
            | Self::ElectionCandidates => RejectionKind::Conflict,
            _ => RejectionKind::Invalid,
        }
    }
}
