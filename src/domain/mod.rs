//! The rules: `decide(state, command, now) -> Result<Vec<Event>, Rejection>`.
//!
//! Pure: the clock and every new id come in as arguments (ids inside the
//! command, minted at the edge), so a decision can be replayed and tested
//! without IO. One file per area; this one holds the command and rejection
//! vocabularies and the dispatch.

mod applications;
mod assemblies;
mod ballots;
mod budgets;
mod community;
mod funds;
mod impact;
mod market;
mod meetings;
mod natural;
mod pioneers;
pub mod places;
mod projects;
mod rejection;
pub mod sealing;
mod shares;
pub mod tally;
pub mod text;
mod webhooks;

#[cfg(test)]
mod given;

use agora_events::{Event, Timestamp};
use agora_projections::CommunityState;

pub use applications::{
    AdmitApplication, DeclineApplication, ScoreApplication, SubmitApplication, WithdrawApplication,
};
pub use assemblies::{
    AGENDA_ITEMS_MAX, ConveneAssembly, DeclareCandidacy, RecordAttendance, RecordMinutes,
    TERM_MONTHS_MAX, WithdrawCandidacy,
};
pub use ballots::{CastVote, CloseBallot, OpenBallot};
pub use budgets::{BUDGET_CODE_CHARS_MAX, BUDGET_LINES_MAX, SetBudget};
pub use community::{AmendStatutes, CreateCommunity, validate_statutes};
pub use funds::{AllocateFunds, CorrectFunds, RecordExpense, RecordReceipt};
pub use impact::{INDICATOR_CODE_CHARS_MAX, INDICATORS_MAX, RecordMeasurement, UNIT_CHARS_MAX};
pub use market::{
    CancelExchange, Canceller, ConfirmExchange, PublishListing, RecordExchange, ReportListing,
    ReverseExchange, TakeDownListing, TransferCredits, WithdrawListing,
};
pub use meetings::{ATTENDEES_MAX, RecordMeeting};
pub use pioneers::{
    AcceptCharter, AdmitPioneer, ChangeRepresentative, ExcludePioneer, ForgetPioneer,
    LeaveCommunity, SetRoles, UpdateProfile, check_actor,
};
pub use projects::{ChangeProjectStatus, ProposeProject, ScoreProject, transition_allowed};
pub use rejection::{Rejection, RejectionKind};
pub use shares::{CorrectSharePayment, RecordSharePayment, RedeemShares, SubscribeShares};
pub use text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, REFERENCE_CHARS_MAX, SHORT_TEXT_CHARS_MAX};
pub use webhooks::{RegisterWebhook, RemoveWebhook, WEBHOOK_URL_CHARS_MAX, WEBHOOKS_MAX};

/// Everything a caller can ask the ledger to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    CreateCommunity(CreateCommunity),
    AmendStatutes(AmendStatutes),
    AdmitPioneer(AdmitPioneer),
    AcceptCharter(AcceptCharter),
    UpdateProfile(UpdateProfile),
    LeaveCommunity(LeaveCommunity),
    ExcludePioneer(ExcludePioneer),
    ForgetPioneer(ForgetPioneer),
    SetRoles(SetRoles),
    SubscribeShares(SubscribeShares),
    RecordSharePayment(RecordSharePayment),
    RedeemShares(RedeemShares),
    PublishListing(PublishListing),
    WithdrawListing(WithdrawListing),
    ReportListing(ReportListing),
    TakeDownListing(TakeDownListing),
    RecordExchange(RecordExchange),
    ConfirmExchange(ConfirmExchange),
    CancelExchange(CancelExchange),
    ReverseExchange(ReverseExchange),
    TransferCredits(TransferCredits),
    ProposeProject(ProposeProject),
    ScoreProject(ScoreProject),
    ChangeProjectStatus(ChangeProjectStatus),
    OpenBallot(OpenBallot),
    CastVote(CastVote),
    CloseBallot(CloseBallot),
    RecordReceipt(RecordReceipt),
    AllocateFunds(AllocateFunds),
    RecordExpense(RecordExpense),
    CorrectFunds(CorrectFunds),
    CorrectSharePayment(CorrectSharePayment),
    SetBudget(SetBudget),
    SubmitApplication(SubmitApplication),
    ScoreApplication(ScoreApplication),
    AdmitApplication(AdmitApplication),
    DeclineApplication(DeclineApplication),
    WithdrawApplication(WithdrawApplication),
    RecordMeeting(RecordMeeting),
    RecordMeasurement(RecordMeasurement),
    RegisterWebhook(RegisterWebhook),
    RemoveWebhook(RemoveWebhook),
    ConveneAssembly(ConveneAssembly),
    RecordAttendance(RecordAttendance),
    RecordMinutes(RecordMinutes),
    DeclareCandidacy(DeclareCandidacy),
    WithdrawCandidacy(WithdrawCandidacy),
    ChangeRepresentative(ChangeRepresentative),
}

impl Command {
    /// The exchange or listing the command names, which may be over: the
    /// decision state lets go of those, so the ledger reads them from the
    /// log before deciding (see [`agora_projections::Retention`]).
    pub fn past_item(&self) -> Option<uuid::Uuid> {
        match self {
            Self::WithdrawListing(c) => Some(c.listing_id.0),
            Self::ReportListing(c) => Some(c.listing_id.0),
            Self::TakeDownListing(c) => Some(c.listing_id.0),
            Self::RecordExchange(c) => c.listing_id.map(|listing| listing.0),
            Self::ConfirmExchange(c) => Some(c.exchange_id.0),
            Self::CancelExchange(c) => Some(c.exchange_id.0),
            Self::ReverseExchange(c) => Some(c.exchange_id.0),
            _ => None,
        }
    }
}

/// Decides `command` against the community's state (`None` before it is
/// created). Returns the events to record, or the rule the command breaks.
/// Only `SetRoles` may return no event (nothing to change).
pub fn decide(
    state: Option<&CommunityState>,
    command: &Command,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let Some(state) = state else {
        return match command {
            Command::CreateCommunity(create) => community::create(create),
            _ => Err(Rejection::CommunityNotFound),
        };
    };
    match command {
        Command::CreateCommunity(create) => Err(Rejection::CommunityExists {
            slug: create.slug.to_string(),
        }),
        Command::AmendStatutes(amend) => community::amend(state, amend),
        Command::AdmitPioneer(admit) => pioneers::admit(state, admit),
        Command::AcceptCharter(accept) => pioneers::accept_charter(state, accept),
        Command::UpdateProfile(update) => pioneers::update_profile(state, update),
        Command::LeaveCommunity(leave) => pioneers::leave(state, leave),
        Command::ExcludePioneer(exclude) => pioneers::exclude(state, exclude),
        Command::ForgetPioneer(forget) => pioneers::forget(state, forget),
        Command::SetRoles(set) => pioneers::set_roles(state, set),
        Command::SubscribeShares(subscribe) => shares::subscribe(state, subscribe),
        Command::RecordSharePayment(payment) => shares::record_payment(state, payment),
        Command::RedeemShares(redeem) => shares::redeem(state, redeem),
        Command::PublishListing(publish) => market::publish_listing(state, publish),
        Command::WithdrawListing(withdraw) => market::withdraw_listing(state, withdraw),
        Command::ReportListing(report) => market::report_listing(state, report),
        Command::TakeDownListing(take_down) => market::take_down_listing(state, take_down),
        Command::RecordExchange(record) => market::record_exchange(state, record),
        Command::ConfirmExchange(confirm) => market::confirm_exchange(state, confirm),
        Command::CancelExchange(cancel) => market::cancel_exchange(state, cancel),
        Command::ReverseExchange(reverse) => market::reverse_exchange(state, reverse),
        Command::TransferCredits(transfer) => market::transfer(state, transfer),
        Command::ProposeProject(propose) => projects::propose(state, propose),
        Command::ScoreProject(score) => projects::score(state, score),
        Command::ChangeProjectStatus(change) => projects::change_status(state, change),
        Command::OpenBallot(open) => ballots::open(state, open, now),
        Command::CastVote(vote) => ballots::vote(state, vote, now),
        Command::CloseBallot(close) => ballots::close(state, close, now),
        Command::RecordReceipt(receipt) => funds::receive(state, receipt),
        Command::AllocateFunds(allocate) => funds::allocate(state, allocate),
        Command::RecordExpense(expense) => funds::spend(state, expense),
        Command::CorrectFunds(correction) => funds::correct(state, correction),
        Command::CorrectSharePayment(correction) => shares::correct_payment(state, correction),
        Command::SetBudget(budget) => budgets::set(state, budget),
        Command::SubmitApplication(submit) => applications::submit(state, submit),
        Command::ScoreApplication(score) => applications::score(state, score),
        Command::AdmitApplication(admit) => applications::admit(state, admit),
        Command::DeclineApplication(decline) => applications::decline(state, decline),
        Command::WithdrawApplication(withdraw) => applications::withdraw(state, withdraw),
        Command::RecordMeeting(meeting) => meetings::record(state, meeting, now),
        Command::RecordMeasurement(measurement) => impact::record(state, measurement, now),
        Command::RegisterWebhook(register) => webhooks::register(state, register),
        Command::RemoveWebhook(remove) => webhooks::remove(state, remove),
        Command::ConveneAssembly(convene) => assemblies::convene(state, convene, now),
        Command::RecordAttendance(attendance) => {
            assemblies::record_attendance(state, attendance, now)
        }
        Command::RecordMinutes(minutes) => assemblies::record_minutes(state, minutes),
        Command::DeclareCandidacy(declare) => assemblies::declare_candidacy(state, declare),
        Command::WithdrawCandidacy(withdraw) => assemblies::withdraw_candidacy(state, withdraw),
        Command::ChangeRepresentative(change) => pioneers::change_representative(state, change),
    }
}
