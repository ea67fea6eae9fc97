//! The marketplace and time credits.
//!
//! Credits move only when a receiver confirms an exchange, when a payer
//! transfers, or when the gardener reverses a completed exchange. Every
//! movement is checked against the statutes' floor (for the account that
//! pays) and ceiling (for the one that is paid) at decision time, and the
//! events carry the balances after, so the sum of all balances stays zero.

use agora_events::{
    AccountId, BalanceSettled, Event, ExchangeCancelled, ExchangeConfirmed, ExchangeId,
    ExchangeRecorded, ExchangeReversed, Hours, ListingId, ListingKind, ListingPublished,
    ListingReported, ListingTakenDown, ListingWithdrawn, PioneerId, TimeCreditsTransferred,
    TransferId,
};
use agora_projections::{CommunityState, Exchange, ExchangeStatus, Listing};

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
    pub place: Option<agora_events::Place>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawListing {
    pub listing_id: ListingId,
    pub by: PioneerId,
}

/// A member reports a listing as unfit for the community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportListing {
    pub listing_id: ListingId,
    pub by: PioneerId,
    pub reason: String,
}

/// The gardener takes a listing down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeDownListing {
    pub listing_id: ListingId,
    pub reason: String,
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
    /// The gardener who reverses, when they are a member: a party to the
    /// exchange may not reverse it.
    pub by: Option<PioneerId>,
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

/// The pioneer who speaks for an account: its owner, or a project's
/// proposer; nobody speaks for the community's own account.
fn owner_of(state: &CommunityState, account: AccountId) -> Option<PioneerId> {
    match account {
        AccountId::Pioneer(id) => Some(id),
        AccountId::Project(id) => state.projects.get(id).map(|project| project.proposer),
        AccountId::Community => None,
    }
}

/// The account exists and can still take part in movements. The
/// community's account takes part in none: it only takes over the balances
/// of departing members.
fn usable(state: &CommunityState, account: AccountId) -> Result<(), Rejection> {
    let open = match account {
        AccountId::Pioneer(id) => state.pioneer(id).map(|pioneer| pioneer.is_active()),
        AccountId::Project(id) => state.projects.get(id).map(|project| project.is_open()),
        AccountId::Community => return Err(Rejection::CommunityAccountReserved),
    };
    match open {
        None => Err(Rejection::AccountNotFound { account }),
        Some(false) => Err(Rejection::AccountClosed { account }),
        Some(true) => Ok(()),
    }
}

/// The account that holds `account`'s balance now, for a correction: the
/// account itself while open; the community's once a member has gone (it
/// took their balance over, and takes their side of a correction, so that
/// no hours are left on an account nothing can ever move again). A closed
/// project's account takes no more hours (409 `account-closed`).
fn holder(state: &CommunityState, account: AccountId) -> Result<AccountId, Rejection> {
    match account {
        AccountId::Pioneer(id) if state.pioneer(id).is_some_and(|p| !p.is_active()) => {
            Ok(AccountId::Community)
        }
        AccountId::Project(id) if state.projects.get(id).is_some_and(|p| !p.is_open()) => {
            Err(Rejection::AccountClosed { account })
        }
        _ => Ok(account),
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
    if let Some(floor) = statutes.floor_of(payer)
        && payer_after < floor
    {
        return Err(Rejection::BelowCreditFloor {
            account: payer,
            floor,
            balance_after: payer_after,
        });
    }
    let payee_after = state
        .market
        .balance(payee)
        .checked_add(hours)
        .ok_or(too_large)?;
    if let Some(ceiling) = statutes.ceiling_of(payee)
        && payee_after > ceiling
    {
        return Err(Rejection::AboveCreditCeiling {
            account: payee,
            ceiling,
            balance_after: payee_after,
        });
    }
    Ok((payer_after, payee_after))
}

/// Refuses a movement of `hours` that no balances could ever allow: more
/// than the statutes let the payer or the payee move from its credit floor
/// to its ceiling. An exchange is confirmed later, against the balances of
/// the day, but one this large would wait for ever.
fn within_reach(
    state: &CommunityState,
    payer: AccountId,
    payee: AccountId,
    hours: Hours,
) -> Result<(), Rejection> {
    let statutes = &state.statutes;
    for account in [payer, payee] {
        let (Some(floor), Some(ceiling)) =
            (statutes.floor_of(account), statutes.ceiling_of(account))
        else {
            continue;
        };
        let Some(span) = ceiling.checked_sub(floor) else {
            continue;
        };
        if hours > span {
            return Err(Rejection::ExchangeBeyondLimits {
                account,
                hours,
                span,
            });
        }
    }
    Ok(())
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

/// What a project's end or withdrawal closes in the marketplace, as events
/// to record with it: the help to its account still waiting for its
/// confirmation cancelled (its account takes no more hours, so it could
/// never be confirmed), and its balance taken over by the community's
/// account, so that no hours stay where nothing can move them.
pub(super) fn project_closing(
    state: &CommunityState,
    project: agora_events::ProjectId,
) -> Result<Vec<Event>, Rejection> {
    let account = AccountId::Project(project);
    let mut events: Vec<Event> = state
        .market
        .exchanges
        .values()
        .filter(|exchange| exchange.status == ExchangeStatus::Pending)
        .filter(|exchange| exchange.receiver == account)
        .map(|exchange| {
            ExchangeCancelled {
                exchange_id: exchange.id,
                reason: Some(format!("project {project} is closed")),
            }
            .into()
        })
        .collect();
    if let Some(taken) = taken_over(state, account)? {
        events.push(
            agora_events::ProjectBalanceSettled {
                project_id: project,
                payer: taken.payer,
                payee: taken.payee,
                hours: taken.hours,
                payer_balance_after: taken.payer_after,
                payee_balance_after: taken.payee_after,
            }
            .into(),
        );
    }
    Ok(events)
}

/// What a departure closes in the marketplace, as events to record with
/// it: the member's open listings withdrawn, the pending exchanges they are
/// a party to cancelled, and their balance taken over by the community's
/// account, so that nothing is left waiting on someone who is gone.
pub(super) fn departure(
    state: &CommunityState,
    pioneer: PioneerId,
) -> Result<Vec<Event>, Rejection> {
    let market = &state.market;
    let mut events: Vec<Event> = market
        .listings
        .values()
        .filter(|listing| listing.author == pioneer && listing.is_open())
        .map(|listing| {
            ListingWithdrawn {
                listing_id: listing.id,
            }
            .into()
        })
        .collect();
    events.extend(
        market
            .exchanges
            .values()
            .filter(|exchange| exchange.status == ExchangeStatus::Pending)
            .filter(|exchange| {
                exchange.provider == pioneer || owner_of(state, exchange.receiver) == Some(pioneer)
            })
            .map(|exchange| {
                ExchangeCancelled {
                    exchange_id: exchange.id,
                    reason: Some(format!("pioneer {pioneer} left the community")),
                }
                .into()
            }),
    );
    if let Some(taken) = taken_over(state, AccountId::Pioneer(pioneer))? {
        events.push(
            BalanceSettled {
                pioneer_id: pioneer,
                payer: taken.payer,
                payee: taken.payee,
                hours: taken.hours,
                payer_balance_after: taken.payer_after,
                payee_balance_after: taken.payee_after,
            }
            .into(),
        );
    }
    Ok(events)
}

/// An account's balance moved to the community's, leaving it at zero.
struct TakenOver {
    payer: AccountId,
    payee: AccountId,
    hours: Hours,
    payer_after: Hours,
    payee_after: Hours,
}

/// How the community's account takes `account`'s balance over (what it
/// held, or what it owed), if it is not zero.
fn taken_over(state: &CommunityState, account: AccountId) -> Result<Option<TakenOver>, Rejection> {
    let market = &state.market;
    let balance = market.balance(account);
    if balance.value().is_zero() {
        return Ok(None);
    }
    let community = market.balance(AccountId::Community);
    let too_large = || Rejection::AmountTooLarge { field: "hours" };
    let community_after = community.checked_add(balance).ok_or_else(too_large)?;
    let hours = Hours::new(balance.value().abs()).map_err(|_| too_large())?;
    let zero = Hours::whole(0);
    Ok(Some(if balance.is_positive() {
        TakenOver {
            payer: account,
            payee: AccountId::Community,
            hours,
            payer_after: zero,
            payee_after: community_after,
        }
    } else {
        TakenOver {
            payer: AccountId::Community,
            payee: account,
            hours,
            payer_after: community_after,
            payee_after: zero,
        }
    }))
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
    if let Some(place) = &command.place {
        super::places::validate_place("place", place)?;
    }
    Ok(vec![
        ListingPublished {
            listing_id: command.listing_id,
            author: command.author,
            kind: command.kind,
            title: command.title.clone(),
            description: command.description.clone(),
            tags: command.tags.clone(),
            place: command.place.clone(),
        }
        .into(),
    ])
}

/// The listing, if it is still open: neither withdrawn nor taken down.
fn open_listing(state: &CommunityState, listing_id: ListingId) -> Result<&Listing, Rejection> {
    let listing = state
        .market
        .listings
        .get(&listing_id)
        .ok_or(Rejection::ListingNotFound {
            listing: listing_id,
        })?;
    if listing.taken_down.is_some() {
        return Err(Rejection::ListingTakenDown {
            listing: listing_id,
        });
    }
    if listing.withdrawn_at.is_some() {
        return Err(Rejection::ListingWithdrawn {
            listing: listing_id,
        });
    }
    Ok(listing)
}

pub fn withdraw_listing(
    state: &CommunityState,
    command: &WithdrawListing,
) -> Result<Vec<Event>, Rejection> {
    let listing_id = command.listing_id;
    let listing = open_listing(state, listing_id)?;
    if listing.author != command.by {
        return Err(Rejection::NotListingAuthor {
            listing: listing_id,
        });
    }
    Ok(vec![ListingWithdrawn { listing_id }.into()])
}

/// A member reports another's open listing, once.
pub fn report_listing(
    state: &CommunityState,
    command: &ReportListing,
) -> Result<Vec<Event>, Rejection> {
    super::pioneers::member(state, command.by)?;
    let listing_id = command.listing_id;
    let listing = open_listing(state, listing_id)?;
    if listing.author == command.by {
        return Err(Rejection::OwnListingReported {
            listing: listing_id,
        });
    }
    if listing.reports.iter().any(|(by, _)| *by == command.by) {
        return Err(Rejection::ListingAlreadyReported {
            listing: listing_id,
        });
    }
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    Ok(vec![
        ListingReported {
            listing_id,
            by: command.by,
            reason: command.reason.clone(),
        }
        .into(),
    ])
}

/// The gardener takes an open listing down, with the reason.
pub fn take_down_listing(
    state: &CommunityState,
    command: &TakeDownListing,
) -> Result<Vec<Event>, Rejection> {
    let listing_id = command.listing_id;
    open_listing(state, listing_id)?;
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    Ok(vec![
        ListingTakenDown {
            listing_id,
            reason: command.reason.clone(),
        }
        .into(),
    ])
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
    if owner_of(state, command.receiver) == Some(command.provider) {
        return Err(Rejection::SelfDealing {
            pioneer: command.provider,
            account: command.receiver,
        });
    }
    positive(command.hours)?;
    within_reach(state, command.receiver, provider, command.hours)?;
    paragraph("description", &command.description, LONG_TEXT_CHARS_MAX)?;
    // The help answers a listing of one of the two: an offer of the
    // provider's, or a request of the receiver's.
    if let Some(listing_id) = command.listing_id {
        let listing = open_listing(state, listing_id)?;
        let party = listing.author == command.provider
            || owner_of(state, command.receiver) == Some(listing.author);
        if !party {
            return Err(Rejection::ListingOfNeitherParty {
                listing: listing_id,
            });
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
    // The receiver's word is the second person's: a provider who speaks for
    // the receiving account cannot pay themself with it.
    if command.by == exchange.provider {
        return Err(Rejection::SelfDealing {
            pioneer: command.by,
            account: exchange.receiver,
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
    if let Some(by) = command.by
        && (by == exchange.provider || owner_of(state, exchange.receiver) == Some(by))
    {
        return Err(Rejection::PartyCannotReverse {
            pioneer: by,
            exchange: exchange.id,
        });
    }
    // The compensating movement: the provider gives the hours back, each
    // side from the account that now holds its balance.
    let provider = holder(state, AccountId::Pioneer(exchange.provider))?;
    let receiver = holder(state, exchange.receiver)?;
    if provider == receiver {
        // Both gone: the community holds both balances, and the reversal
        // would move nothing anyone can use.
        return Err(Rejection::AccountClosed {
            account: exchange.receiver,
        });
    }
    let (provider_after, receiver_after) =
        balances_after(state, provider, receiver, exchange.hours)?;
    Ok(vec![
        ExchangeReversed {
            exchange_id: exchange.id,
            corrects: confirmed,
            reason: command.reason.clone(),
            provider,
            receiver,
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
    // Hours out of an account one speaks for (a project's) into one's own
    // need someone else's decision.
    if command.payee == AccountId::Pioneer(command.by) {
        return Err(Rejection::SelfDealing {
            pioneer: command.by,
            account: command.payer,
        });
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

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::{
        AccountId, BalanceSettled, ExchangeId, Hours, ListingId, ListingKind, ListingPublished,
    };
    use uuid::Uuid;

    const EXCHANGE: ExchangeId = ExchangeId::from_uuid(Uuid::from_u128(0xe1));

    fn record_command(provider: PioneerId, receiver: AccountId, hours: &str) -> Command {
        Command::RecordExchange(RecordExchange {
            exchange_id: EXCHANGE,
            provider,
            receiver,
            hours: hours.parse().unwrap(),
            description: "Deux heures de menuiserie".into(),
            listing_id: None,
        })
    }

    fn confirm(by: PioneerId) -> Command {
        Command::ConfirmExchange(ConfirmExchange {
            exchange_id: EXCHANGE,
            by,
        })
    }

    /// Alice provided 2 hours to Bruno, recorded but not confirmed.
    fn pending_exchange() -> Vec<Event> {
        let mut history = community_of_three();
        let recorded = given(&history)
            .when(record_command(ALICE, pioneer_account(BRUNO), "2"))
            .events();
        history.extend(recorded);
        history
    }

    fn completed_exchange() -> Vec<Event> {
        let mut history = pending_exchange();
        let confirmed = given(&history).when(confirm(BRUNO)).events();
        history.extend(confirmed);
        history
    }

    fn balances(events: &[Event]) -> (String, String) {
        match &events[0] {
            Event::TimeCreditsTransferred(t) => (
                t.payer_balance_after.to_string(),
                t.payee_balance_after.to_string(),
            ),
            Event::ExchangeConfirmed(c) => (
                c.receiver_balance_after.to_string(),
                c.provider_balance_after.to_string(),
            ),
            other => panic!("no balances in {other:?}"),
        }
    }

    #[test]
    fn a_transfer_moves_credits_and_records_the_balances_after() {
        let events = given(&community_of_three())
            .when(transfer_command(ALICE, BRUNO, "1.25"))
            .then_events(&["TimeCreditsTransferred"]);
        assert_eq!(balances(&events), ("-1.25".into(), "1.25".into()));
    }

    #[test]
    fn a_transfer_is_refused_below_the_payers_credit_floor() {
        let mut history = community_of_three();
        history.push(transferred(ALICE, CLARA, "19", "-19", "19"));
        given(&history)
            .when(transfer_command(ALICE, BRUNO, "1.01"))
            .then_err(Rejection::BelowCreditFloor {
                account: pioneer_account(ALICE),
                floor: Hours::whole(-20),
                balance_after: "-20.01".parse().unwrap(),
            });
        // Down to exactly the floor is allowed.
        given(&history)
            .when(transfer_command(ALICE, BRUNO, "1"))
            .then_events(&["TimeCreditsTransferred"]);
    }

    #[test]
    fn a_transfer_is_refused_above_the_payees_credit_ceiling() {
        let mut history = community_of_three();
        let mut statutes = statutes();
        statutes.credit_ceiling = Hours::whole(5);
        history.push(
            agora_events::StatutesAmended {
                statutes,
                reason: "plafond".into(),
                decision: None,
            }
            .into(),
        );
        history.push(transferred(ALICE, BRUNO, "4", "-4", "4"));
        given(&history)
            .when(transfer_command(CLARA, BRUNO, "2"))
            .then_err(Rejection::AboveCreditCeiling {
                account: pioneer_account(BRUNO),
                ceiling: Hours::whole(5),
                balance_after: Hours::whole(6),
            });
    }

    #[test]
    fn nobody_pays_themself_or_nothing() {
        given(&community_of_three())
            .when(transfer_command(ALICE, ALICE, "1"))
            .then_err(Rejection::SelfTransfer);
        given(&community_of_three())
            .when(transfer_command(ALICE, BRUNO, "0"))
            .then_rule("hours-positive");
    }

    #[test]
    fn only_the_owner_spends_from_an_account() {
        let Command::TransferCredits(mut transfer) = transfer_command(ALICE, BRUNO, "1") else {
            unreachable!()
        };
        transfer.by = CLARA;
        given(&community_of_three())
            .when(Command::TransferCredits(transfer))
            .then_err(Rejection::NotAccountOwner {
                account: pioneer_account(ALICE),
            });
    }

    #[test]
    fn a_departed_member_can_neither_pay_nor_be_paid() {
        let mut history = community_of_three();
        history.push(left(BRUNO));
        given(&history)
            .when(transfer_command(ALICE, BRUNO, "1"))
            .then_err(Rejection::AccountClosed {
                account: pioneer_account(BRUNO),
            });
    }

    #[test]
    fn credits_move_only_when_the_receiver_confirms() {
        let history = pending_exchange();
        let events = given(&history)
            .when(confirm(BRUNO))
            .then_events(&["ExchangeConfirmed"]);
        // The receiver pays the provider.
        assert_eq!(balances(&events), ("-2.00".into(), "2.00".into()));
    }

    #[test]
    fn only_the_receiver_confirms() {
        given(&pending_exchange())
            .when(confirm(ALICE))
            .then_err(Rejection::NotExchangeReceiver { exchange: EXCHANGE });
    }

    #[test]
    fn confirming_checks_the_limits_at_that_moment() {
        let mut history = pending_exchange();
        history.push(transferred(BRUNO, CLARA, "19", "-19", "19"));
        given(&history)
            .when(confirm(BRUNO))
            .then_rule("credit-floor");
    }

    #[test]
    fn a_pending_exchange_is_cancelled_by_a_party_or_the_gardener_only() {
        let cancel = |by| {
            Command::CancelExchange(CancelExchange {
                exchange_id: EXCHANGE,
                by,
                reason: None,
            })
        };
        given(&pending_exchange())
            .when(cancel(Canceller::Party(CLARA)))
            .then_err(Rejection::NotExchangeParty { exchange: EXCHANGE });
        for by in [
            Canceller::Party(ALICE),
            Canceller::Party(BRUNO),
            Canceller::Gardener,
        ] {
            given(&pending_exchange())
                .when(cancel(by))
                .then_events(&["ExchangeCancelled"]);
        }
        given(&completed_exchange())
            .when(cancel(Canceller::Gardener))
            .then_rule("exchange-not-pending");
    }

    #[test]
    fn a_completed_exchange_is_reversed_with_a_reason_naming_what_it_corrects() {
        let history = completed_exchange();
        let reverse = |reason: &str| {
            Command::ReverseExchange(ReverseExchange {
                exchange_id: EXCHANGE,
                reason: reason.into(),
                by: None,
            })
        };
        given(&history).when(reverse(" ")).then_rule("text-blank");
        let events = given(&history)
            .when(reverse("heures saisies en double"))
            .then_events(&["ExchangeReversed"]);
        let Event::ExchangeReversed(reversed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(reversed.provider_balance_after, Hours::ZERO);
        assert_eq!(reversed.receiver_balance_after, Hours::ZERO);
        given(&pending_exchange())
            .when(reverse("trop tôt"))
            .then_rule("exchange-not-completed");
    }

    #[test]
    fn an_exchange_needs_two_different_open_accounts() {
        given(&community_of_three())
            .when(record_command(ALICE, pioneer_account(ALICE), "1"))
            .then_err(Rejection::SelfTransfer);
        let stranger = PioneerId(Uuid::from_u128(0x5));
        given(&community_of_three())
            .when(record_command(ALICE, pioneer_account(stranger), "1"))
            .then_err(Rejection::AccountNotFound {
                account: pioneer_account(stranger),
            });
    }

    /// Floor −20 h, ceiling 100 h: no pioneer's balance can move more than
    /// 120 h, so no exchange of more can ever be confirmed, and none is
    /// recorded; the limit itself can be.
    #[test]
    fn an_exchange_no_balances_could_ever_settle_is_not_recorded() {
        given(&community_of_three())
            .when(record_command(ALICE, pioneer_account(BRUNO), "120"))
            .then_events(&["ExchangeRecorded"]);
        given(&community_of_three())
            .when(record_command(ALICE, pioneer_account(BRUNO), "120.01"))
            .then_err(Rejection::ExchangeBeyondLimits {
                account: pioneer_account(BRUNO),
                hours: "120.01".parse().unwrap(),
                span: "120".parse().unwrap(),
            });
        given(&community_of_three())
            .when(record_command(
                ALICE,
                pioneer_account(BRUNO),
                "999999999999",
            ))
            .then_rule("exchange-beyond-credit-limits");
    }

    fn project_account() -> AccountId {
        AccountId::Project(PROJECT_A)
    }

    /// Alice proposed project A; Bruno gave it 10 hours.
    fn alices_project_with_hours() -> Vec<Event> {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        let Command::TransferCredits(mut gift) = transfer_command(BRUNO, ALICE, "10") else {
            unreachable!()
        };
        gift.payee = project_account();
        history.extend(
            given(&history)
                .when(Command::TransferCredits(gift))
                .events(),
        );
        history
    }

    #[test]
    fn nobody_records_help_to_an_account_they_speak_for() {
        // "I helped my own project for 20 h", to be confirmed by myself.
        given(&alices_project_with_hours())
            .when(record_command(ALICE, project_account(), "20"))
            .then_err(Rejection::SelfDealing {
                pioneer: ALICE,
                account: project_account(),
            });
        // Someone else's help to Alice's project is Alice's to confirm.
        let mut history = alices_project_with_hours();
        history.extend(
            given(&history)
                .when(record_command(CLARA, project_account(), "2"))
                .events(),
        );
        given(&history)
            .when(confirm(ALICE))
            .then_events(&["ExchangeConfirmed"]);
    }

    /// A closed project's account takes no more hours, a correction's
    /// included: they would be left where nothing can move them again.
    #[test]
    fn a_reversal_into_a_closed_project_is_refused() {
        let mut history = alices_project_with_hours();
        for command in [
            record_command(CLARA, project_account(), "2"),
            confirm(ALICE),
        ] {
            let events = given(&history).when(command).events();
            history.extend(events);
        }
        history.push(
            agora_events::ProjectStatusChanged {
                project_id: PROJECT_A,
                from: agora_events::ProjectStatus::Proposed,
                to: agora_events::ProjectStatus::Withdrawn,
                reason: None,
            }
            .into(),
        );
        given(&history)
            .when(Command::ReverseExchange(ReverseExchange {
                exchange_id: EXCHANGE,
                reason: "heures saisies en double".into(),
                by: None,
            }))
            .then_err(Rejection::AccountClosed {
                account: project_account(),
            });
    }

    /// Help to a project still waiting for its confirmation when the
    /// project closes is cancelled with it: nothing could confirm it. Its
    /// balance goes to the community's account, as a departing member's.
    #[test]
    fn a_project_that_closes_cancels_the_help_waiting_for_it() {
        let mut history = alices_project_with_hours();
        let recorded = given(&history)
            .when(record_command(CLARA, project_account(), "2"))
            .events();
        history.extend(recorded);
        let events = given(&history)
            .when(Command::ChangeProjectStatus(
                super::super::ChangeProjectStatus {
                    project_id: PROJECT_A,
                    to: agora_events::ProjectStatus::Withdrawn,
                    reason: None,
                },
            ))
            .then_events(&[
                "ProjectStatusChanged",
                "ExchangeCancelled",
                "ProjectBalanceSettled",
            ]);
        history.extend(events);
        let state = given(&history).state();
        assert!(
            state
                .market
                .exchanges
                .values()
                .all(|exchange| exchange.status != agora_projections::ExchangeStatus::Pending)
        );
        assert_eq!(state.market.balance(project_account()), Hours::ZERO);
        assert_eq!(state.market.balance(AccountId::Community), Hours::whole(10));
        assert!(state.market.sum_of_balances().is_zero());
        assert!(state.market.inconsistencies.is_empty());
    }

    #[test]
    fn a_provider_never_confirms_their_own_help() {
        // Recorded before the rule, or the receiving project changed hands:
        // the confirmation itself is refused too.
        let mut history = alices_project_with_hours();
        history.push(
            agora_events::ExchangeRecorded {
                exchange_id: EXCHANGE,
                provider: ALICE,
                receiver: project_account(),
                hours: Hours::whole(5),
                description: "Aide à mon projet".into(),
                listing_id: None,
            }
            .into(),
        );
        given(&history)
            .when(confirm(ALICE))
            .then_err(Rejection::SelfDealing {
                pioneer: ALICE,
                account: project_account(),
            });
    }

    #[test]
    fn nobody_pays_themself_out_of_a_project_they_speak_for() {
        let out_of_the_project = |payee: PioneerId| {
            Command::TransferCredits(TransferCredits {
                transfer_id: agora_events::TransferId(Uuid::from_u128(0x7)),
                payer: project_account(),
                by: ALICE,
                payee: pioneer_account(payee),
                hours: Hours::whole(3),
                memo: None,
            })
        };
        given(&alices_project_with_hours())
            .when(out_of_the_project(ALICE))
            .then_err(Rejection::SelfDealing {
                pioneer: ALICE,
                account: project_account(),
            });
        // Paying someone else from the project is the proposer's to decide.
        given(&alices_project_with_hours())
            .when(out_of_the_project(CLARA))
            .then_events(&["TimeCreditsTransferred"]);
    }

    #[test]
    fn a_project_spends_only_hours_given_to_it_unless_the_statutes_say_otherwise() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        history.extend(
            given(&history)
                .when(record_command(BRUNO, project_account(), "1"))
                .events(),
        );
        given(&history)
            .when(confirm(ALICE))
            .then_err(Rejection::BelowCreditFloor {
                account: project_account(),
                floor: Hours::whole(0),
                balance_after: Hours::whole(-1),
            });
        let mut statutes = statutes();
        statutes.project_credit_floor = Some(Hours::whole(-10));
        history.push(
            agora_events::StatutesAmended {
                statutes,
                reason: "les projets peuvent s'endetter de 10 h".into(),
                decision: None,
            }
            .into(),
        );
        given(&history)
            .when(confirm(ALICE))
            .then_events(&["ExchangeConfirmed"]);
    }

    #[test]
    fn a_project_has_no_ceiling_unless_the_statutes_set_one() {
        let gift = |hours: &str| {
            let Command::TransferCredits(mut gift) = transfer_command(BRUNO, ALICE, hours) else {
                unreachable!()
            };
            gift.payee = project_account();
            Command::TransferCredits(gift)
        };
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        // Above a person's ceiling of 100 h would need many givers; the
        // project's own limit is what counts.
        let mut statutes = statutes();
        statutes.credit_floor = Hours::whole(-200);
        history.push(
            agora_events::StatutesAmended {
                statutes: statutes.clone(),
                reason: "plancher bas".into(),
                decision: None,
            }
            .into(),
        );
        given(&history)
            .when(gift("150"))
            .then_events(&["TimeCreditsTransferred"]);
        statutes.project_credit_ceiling = Some(Hours::whole(120));
        history.push(
            agora_events::StatutesAmended {
                statutes,
                reason: "plafond des projets".into(),
                decision: None,
            }
            .into(),
        );
        given(&history)
            .when(gift("150"))
            .then_err(Rejection::AboveCreditCeiling {
                account: project_account(),
                ceiling: Hours::whole(120),
                balance_after: Hours::whole(150),
            });
    }

    #[test]
    fn a_gardener_who_took_part_cannot_reverse_the_exchange() {
        let reverse = |by: Option<PioneerId>| {
            Command::ReverseExchange(ReverseExchange {
                exchange_id: EXCHANGE,
                reason: "Saisie en double".into(),
                by,
            })
        };
        for party in [ALICE, BRUNO] {
            given(&completed_exchange())
                .when(reverse(Some(party)))
                .then_err(Rejection::PartyCannotReverse {
                    pioneer: party,
                    exchange: EXCHANGE,
                });
        }
        for third in [Some(CLARA), None] {
            given(&completed_exchange())
                .when(reverse(third))
                .then_events(&["ExchangeReversed"]);
        }
    }

    /// Help cites a listing of one of its two parties: Alice's offer, for
    /// help Alice gave; not for help between Bruno and Clara.
    #[test]
    fn an_exchange_cites_a_listing_of_one_of_its_parties() {
        let history = alice_busy_in_the_market();
        let citing = |provider: PioneerId, receiver: PioneerId| {
            let Command::RecordExchange(mut record) =
                record_command(provider, pioneer_account(receiver), "1")
            else {
                unreachable!()
            };
            record.exchange_id = ExchangeId(Uuid::from_u128(0xe9));
            record.listing_id = Some(ListingId(Uuid::from_u128(0x11)));
            Command::RecordExchange(record)
        };
        given(&history)
            .when(citing(BRUNO, CLARA))
            .then_err(Rejection::ListingOfNeitherParty {
                listing: ListingId(Uuid::from_u128(0x11)),
            });
        given(&history)
            .when(citing(ALICE, BRUNO))
            .then_events(&["ExchangeRecorded"]);
    }

    /// Alice offered help in a listing, gave Bruno 3 h (confirmed), and has
    /// two exchanges pending: help she gave Clara, help Clara gave her.
    fn alice_busy_in_the_market() -> Vec<Event> {
        let mut history = community_of_three();
        history.push(
            ListingPublished {
                listing_id: ListingId(Uuid::from_u128(0x11)),
                author: ALICE,
                kind: ListingKind::Offer,
                title: "Couture".into(),
                description: "Ourlets et reprises".into(),
                tags: vec![],
                place: None,
            }
            .into(),
        );
        history.push(transferred(BRUNO, ALICE, "3", "-3", "3"));
        for (id, provider, receiver) in [(0xe2, ALICE, CLARA), (0xe3, CLARA, ALICE)] {
            let Command::RecordExchange(mut record) =
                record_command(provider, pioneer_account(receiver), "1")
            else {
                unreachable!()
            };
            record.exchange_id = ExchangeId(Uuid::from_u128(id));
            history.extend(
                given(&history)
                    .when(Command::RecordExchange(record))
                    .events(),
            );
        }
        history
    }

    fn settled(events: &[Event]) -> &BalanceSettled {
        events
            .iter()
            .find_map(|event| match event {
                Event::BalanceSettled(settled) => Some(settled),
                _ => None,
            })
            .expect("a settlement")
    }

    #[test]
    fn a_departure_closes_what_is_open_and_hands_the_balance_to_the_community() {
        let closing = [
            "ListingWithdrawn",
            "ExchangeCancelled",
            "ExchangeCancelled",
            "BalanceSettled",
        ];
        for (departure, first) in [
            (leave(ALICE), "PioneerLeft"),
            (exclude(ALICE, "manquements"), "PioneerExcluded"),
        ] {
            let mut expected = vec![first];
            expected.extend(closing);
            let events = given(&alice_busy_in_the_market())
                .when(departure)
                .then_events(&expected);

            let settled = settled(&events);
            assert_eq!(settled.payer, pioneer_account(ALICE));
            assert_eq!(settled.payee, AccountId::Community);
            assert_eq!(settled.hours, Hours::whole(3));
            assert_eq!(settled.payer_balance_after, Hours::whole(0));
            assert_eq!(settled.payee_balance_after, Hours::whole(3));
        }
    }

    /// A correction after a departure moves the hours on the community's
    /// account, which took the member's balance over: nothing is left on
    /// the closed account, and every balance comes back to zero.
    #[test]
    fn a_reversal_after_a_departure_takes_the_community_s_account() {
        for gone in [ALICE, BRUNO] {
            let mut history = completed_exchange();
            let departure = given(&history)
                .when(leave(gone))
                .then_events(&["PioneerLeft", "BalanceSettled"]);
            history.extend(departure);
            let events = given(&history)
                .when(Command::ReverseExchange(ReverseExchange {
                    exchange_id: EXCHANGE,
                    reason: "heures saisies en double".into(),
                    by: None,
                }))
                .then_events(&["ExchangeReversed"]);
            let Event::ExchangeReversed(reversed) = &events[0] else {
                unreachable!()
            };
            let (provider, receiver) = match gone {
                ALICE => (AccountId::Community, pioneer_account(BRUNO)),
                _ => (pioneer_account(ALICE), AccountId::Community),
            };
            assert_eq!((reversed.provider, reversed.receiver), (provider, receiver));
            history.extend(events);
            let state = given(&history).state();
            for account in [pioneer_account(ALICE), pioneer_account(BRUNO)] {
                assert_eq!(state.market.balance(account), Hours::ZERO, "{gone}");
            }
            assert_eq!(state.market.balance(AccountId::Community), Hours::ZERO);
            assert!(state.market.inconsistencies.is_empty());
        }
        // Both gone, the community holds both balances: nothing to move.
        let mut history = completed_exchange();
        for gone in [ALICE, BRUNO] {
            let departure = given(&history).when(leave(gone)).events();
            history.extend(departure);
        }
        given(&history)
            .when(Command::ReverseExchange(ReverseExchange {
                exchange_id: EXCHANGE,
                reason: "heures saisies en double".into(),
                by: None,
            }))
            .then_err(Rejection::AccountClosed {
                account: pioneer_account(BRUNO),
            });
    }

    #[test]
    fn the_community_takes_over_a_departing_members_debt() {
        let mut history = community_of_three();
        history.push(transferred(ALICE, BRUNO, "4", "-4", "4"));

        let events = given(&history)
            .when(leave(ALICE))
            .then_events(&["PioneerLeft", "BalanceSettled"]);
        history.extend(events.clone());

        let settled = settled(&events);
        assert_eq!(settled.payer, AccountId::Community);
        assert_eq!(settled.payee, pioneer_account(ALICE));
        assert_eq!(settled.hours, Hours::whole(4));
        assert_eq!(settled.payer_balance_after, Hours::whole(-4));
        let state = given(&history).state();
        assert_eq!(
            state.market.balance(pioneer_account(ALICE)),
            Hours::whole(0)
        );
        assert_eq!(state.market.balance(AccountId::Community), Hours::whole(-4));
        assert!(state.market.sum_of_balances().is_zero());
        assert!(state.market.inconsistencies.is_empty());
    }

    #[test]
    fn the_community_account_takes_part_in_no_exchange_or_transfer() {
        let Command::TransferCredits(mut gift) = transfer_command(ALICE, BRUNO, "1") else {
            unreachable!()
        };
        gift.payee = AccountId::Community;
        given(&community_of_three())
            .when(Command::TransferCredits(gift))
            .then_err(Rejection::CommunityAccountReserved);
        given(&community_of_three())
            .when(record_command(ALICE, AccountId::Community, "1"))
            .then_err(Rejection::CommunityAccountReserved);
    }

    #[test]
    fn members_report_a_listing_once_and_the_gardener_takes_it_down() {
        let listing_id = ListingId(Uuid::from_u128(0x11));
        let report = |by: PioneerId| {
            Command::ReportListing(ReportListing {
                listing_id,
                by,
                reason: "Annonce commerciale".into(),
            })
        };
        let take_down = Command::TakeDownListing(TakeDownListing {
            listing_id,
            reason: "Hors de l'esprit de la charte".into(),
        });
        let mut history = alice_busy_in_the_market();
        history.extend(given(&history).when(report(BRUNO)).events());

        given(&history)
            .when(report(BRUNO))
            .then_err(Rejection::ListingAlreadyReported {
                listing: listing_id,
            });
        given(&history)
            .when(report(ALICE))
            .then_err(Rejection::OwnListingReported {
                listing: listing_id,
            });
        history.extend(
            given(&history)
                .when(take_down.clone())
                .then_events(&["ListingTakenDown"]),
        );
        let taken_down = Rejection::ListingTakenDown {
            listing: listing_id,
        };
        given(&history)
            .when(report(CLARA))
            .then_err(taken_down.clone());
        given(&history).when(take_down).then_err(taken_down.clone());
        given(&history)
            .when(Command::WithdrawListing(WithdrawListing {
                listing_id,
                by: ALICE,
            }))
            .then_err(taken_down.clone());
        let Command::RecordExchange(mut record) =
            record_command(ALICE, pioneer_account(BRUNO), "1")
        else {
            unreachable!()
        };
        record.listing_id = Some(listing_id);
        given(&history)
            .when(Command::RecordExchange(record))
            .then_err(taken_down);
        // The decision state let go of it; the log keeps it.
        let state = given(&history).state();
        assert!(!state.market.holds(listing_id.0));
        let past = given(&history).past();
        let listing = &past.listings[&listing_id];
        assert_eq!(listing.reports.len(), 1);
        assert!(!listing.is_open());
    }

    #[test]
    fn only_the_author_withdraws_a_listing_and_only_once() {
        let listing_id = ListingId(Uuid::from_u128(0x11));
        let mut history = community_of_three();
        history.extend(
            given(&history)
                .when(Command::PublishListing(PublishListing {
                    listing_id,
                    author: ALICE,
                    kind: ListingKind::Offer,
                    title: "Menuiserie".into(),
                    description: "Petits travaux".into(),
                    tags: vec!["bois".into()],
                    place: None,
                }))
                .events(),
        );
        let withdraw = |by| Command::WithdrawListing(WithdrawListing { listing_id, by });
        given(&history)
            .when(withdraw(BRUNO))
            .then_err(Rejection::NotListingAuthor {
                listing: listing_id,
            });
        history.extend(given(&history).when(withdraw(ALICE)).events());
        given(&history)
            .when(withdraw(ALICE))
            .then_err(Rejection::ListingWithdrawn {
                listing: listing_id,
            });
    }
}
