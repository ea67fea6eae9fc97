//! Read models of the Agora ledger, each a pure fold over recorded events:
//! what balances, registers, rankings and audit trails are made of.
//!
//! A projection holds no rules: it records what the events say happened,
//! including the outcomes they carry (capital after a payment, balances
//! after a transfer). Rules live in the service's `domain`, which decides
//! events against these projections. Pure: no IO, no async, no clock.

/// Applications to join.
mod applications;
/// General assemblies, their attendance and minutes.
mod assemblies;
/// Ballots, their votes and results.
mod ballots;
/// One community: statutes, members, register, market, projects, ballots, funds.
mod community;
/// Receipts, allocations and expenses.
mod funds;
/// Listings, exchanges, balances, and the movements statements are made of.
mod market;
/// Members and their standing.
mod members;
/// Projects, their scores and the ranking.
mod projects;
/// The share register and the cooperative's capital.
mod register;

pub use applications::{Application, ApplicationStatus, Applications};
pub use assemblies::{Assemblies, Assembly, Mandate, Representation};
pub use ballots::{Ballot, Ballots, Vote};
pub use community::{Communities, CommunityState, DutiesBehind, PROFILE_STALE_DAYS, Webhook};
pub use funds::{Allocation, Budget, BudgetFigures, Funds, LineFigures};
pub use market::{
    Exchange, ExchangeStatus, Listing, Market, Movement, MovementKind, StatementLine,
};
pub use members::{Membership, Pioneer};
pub use projects::{Measure, Project, ProjectScores, Projects, Ranked};
pub use register::{Holding, ShareRegister, Subscription};

use agora_events::Recorded;

/// What a community's state keeps of what is over.
///
/// The ledger decides against a state that keeps only what its rules need
/// ([`Retention::Decisions`]): its size follows the members and the open
/// items, not the length of the log, and what is over (a closed ballot's
/// votes, for one) is read from the log and the store's index when asked
/// for. An auditor's fold of the whole log keeps everything
/// ([`Retention::History`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Retention {
    #[default]
    Decisions,
    History,
}

/// A read model built by applying events in log order.
pub trait Projection {
    /// Folds one recorded event into the model. Events the model does not
    /// care about are ignored.
    fn apply(&mut self, event: &Recorded);
}
