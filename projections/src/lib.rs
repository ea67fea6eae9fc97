//! Read models of the Agora ledger, each a pure fold over recorded events:
//! what balances, registers, rankings and audit trails are made of.
//!
//! A projection holds no rules: it records what the events say happened,
//! including the outcomes they carry (capital after a payment, balances
//! after a transfer). Rules live in the service's `domain`, which decides
//! events against these projections. Pure: no IO, no async, no clock.

/// One community: statutes, members, the share register.
mod community;
/// Members and their standing.
mod members;
/// The share register and the cooperative's capital.
mod register;

pub use community::{Communities, CommunityState};
pub use members::{Membership, Pioneer};
pub use register::{Holding, ShareRegister, Subscription};

use agora_events::Recorded;

/// A read model built by applying events in log order.
pub trait Projection {
    /// Folds one recorded event into the model. Events the model does not
    /// care about are ignored.
    fn apply(&mut self, event: &Recorded);
}
