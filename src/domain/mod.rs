//! The rules: `decide(state, command, now) -> Result<Vec<Event>, Rejection>`.
//!
//! Pure: the clock and every new id come in as arguments (ids inside the
//! command, minted at the edge), so a decision can be replayed and tested
//! without IO. One file per area; this one holds the command and rejection
//! vocabularies and the dispatch.

mod community;
mod pioneers;
mod rejection;
mod shares;
pub mod text;

#[cfg(test)]
mod given;

use agora_events::{Event, Timestamp};
use agora_projections::CommunityState;

pub use community::{AmendStatutes, CreateCommunity, validate_statutes};
pub use pioneers::{
    AcceptCharter, AdmitPioneer, ExcludePioneer, ForgetPioneer, LeaveCommunity, SetRoles,
    UpdateProfile,
};
pub use rejection::{Rejection, RejectionKind};
pub use shares::{RecordSharePayment, RedeemShares, SubscribeShares};
pub use text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, REFERENCE_CHARS_MAX, SHORT_TEXT_CHARS_MAX};

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
}

/// Decides `command` against the community's state (`None` before it is
/// created). Returns the events to record, or the rule the command breaks.
/// Only `SetRoles` may return no event (nothing to change).
pub fn decide(
    state: Option<&CommunityState>,
    command: &Command,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let _ = now; // The areas decided here need no clock; ballots will.
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
    }
}
