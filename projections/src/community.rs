//! A community's state: statutes, members and share register, folded from
//! its stream. The domain decides against it; reads are served from it.

use std::collections::BTreeMap;

use imbl::OrdMap;

use agora_events::{
    AccountId, CommunitySlug, Event, EventId, PioneerId, Recorded, Statutes, Timestamp,
};

use crate::Projection;
use crate::ballots::{Ballot, Ballots};
use crate::funds::{Allocation, Funds, add};
use crate::market::{Exchange, ExchangeStatus, Listing, Market, Movement};
use crate::members::{Membership, Pioneer};
use crate::projects::{Project, ProjectScores, Projects};
use crate::register::{ShareRegister, Subscription};

/// Everything known about one community.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommunityState {
    pub slug: CommunitySlug,
    pub statutes: Statutes,
    pub created_at: Timestamp,
    /// When the statutes last changed.
    pub statutes_amended_at: Option<Timestamp>,
    pub pioneers: OrdMap<PioneerId, Pioneer>,
    pub register: ShareRegister,
    pub market: Market,
    pub projects: Projects,
    pub ballots: Ballots,
    pub funds: Funds,
}

impl CommunityState {
    /// The state right after `CommunityCreated`.
    pub fn founded(slug: CommunitySlug, statutes: Statutes, at: Timestamp) -> Self {
        let projects = Projects {
            weights: vec![(at, statutes.ranking_weights)],
            ..Projects::default()
        };
        Self {
            slug,
            statutes,
            created_at: at,
            statutes_amended_at: None,
            pioneers: OrdMap::new(),
            register: ShareRegister::default(),
            market: Market::default(),
            projects,
            ballots: Ballots::default(),
            funds: Funds::default(),
        }
    }

    /// Whether a time-credit account exists: every admitted pioneer and
    /// every proposed project has one.
    pub fn account_exists(&self, account: AccountId) -> bool {
        match account {
            AccountId::Pioneer(id) => self.pioneers.contains_key(&id),
            AccountId::Project(id) => self.projects.by_id.contains_key(&id),
        }
    }

    pub fn pioneer(&self, id: PioneerId) -> Option<&Pioneer> {
        self.pioneers.get(&id)
    }

    /// In good standing: admitted, still a member, the current charter
    /// accepted, and at least one fully paid share held.
    pub fn in_good_standing(&self, id: PioneerId) -> bool {
        self.pioneer(id).is_some_and(|pioneer| {
            pioneer.is_active()
                && pioneer.charter_version.as_deref()
                    == Some(self.statutes.charter_version.as_str())
                && self.register.holding(id).held_paid_shares() >= 1
        })
    }

    /// Folds one event into a community that may not exist yet: the
    /// community is founded by `CommunityCreated`; other events before it
    /// are ignored.
    pub fn evolve(state: &mut Option<Self>, event: &Event, event_id: EventId, at: Timestamp) {
        match (state.as_mut(), event) {
            (None, Event::CommunityCreated(created)) => {
                *state = Some(Self::founded(
                    created.slug.clone(),
                    created.statutes.clone(),
                    at,
                ));
            }
            (Some(state), event) => state.apply_event(event, event_id, at),
            (None, _) => {}
        }
    }

    /// Applies one event of this community's stream, recorded as
    /// `event_id` at `at`.
    pub fn apply_event(&mut self, event: &Event, event_id: EventId, at: Timestamp) {
        match event {
            Event::StatutesAmended(amended) => {
                self.statutes = amended.statutes.clone();
                self.statutes_amended_at = Some(at);
                self.projects
                    .weights
                    .push((at, amended.statutes.ranking_weights));
            }
            Event::PioneerAdmitted(admitted) => {
                self.pioneers.insert(
                    admitted.pioneer_id,
                    Pioneer {
                        id: admitted.pioneer_id,
                        college: admitted.college.clone(),
                        scores: admitted.scores,
                        profile: admitted.profile.clone(),
                        personal: admitted.personal.clone(),
                        admitted_at: at,
                        membership: Membership::Active,
                        forgotten: false,
                        charter_version: None,
                        roles: Default::default(),
                    },
                );
            }
            Event::CharterAccepted(accepted) => {
                self.with_pioneer(accepted.pioneer_id, |pioneer| {
                    pioneer.charter_version = Some(accepted.charter_version.clone());
                });
            }
            Event::ProfileUpdated(updated) => self.with_pioneer(updated.pioneer_id, |pioneer| {
                pioneer.profile = updated.profile.clone();
                if let Some(personal) = &updated.personal {
                    pioneer.personal = personal.clone();
                }
            }),
            Event::PioneerLeft(left) => self.with_pioneer(left.pioneer_id, |pioneer| {
                pioneer.membership = Membership::Left { at };
            }),
            Event::PioneerExcluded(excluded) => {
                self.with_pioneer(excluded.pioneer_id, |pioneer| {
                    pioneer.membership = Membership::Excluded {
                        at,
                        reason: excluded.reason.clone(),
                    };
                });
            }
            Event::PioneerForgotten(forgotten) => {
                self.with_pioneer(forgotten.pioneer_id, |pioneer| pioneer.forgotten = true);
            }
            Event::RoleGranted(granted) => self.with_pioneer(granted.pioneer_id, |pioneer| {
                pioneer.roles.insert(granted.role);
            }),
            Event::RoleRevoked(revoked) => self.with_pioneer(revoked.pioneer_id, |pioneer| {
                pioneer.roles.remove(&revoked.role);
            }),
            Event::SharesSubscribed(subscribed) => self.register.subscribe(Subscription {
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
                self.register.pay(
                    payment.subscription_id,
                    payment.amount,
                    payment.capital_after,
                );
            }
            Event::SharesRedeemed(redeemed) => {
                let taken: Vec<_> = redeemed
                    .subscriptions
                    .iter()
                    .map(|taken| (taken.subscription_id, taken.shares))
                    .collect();
                self.register.redeem(
                    redeemed.pioneer_id,
                    &taken,
                    redeemed.amount,
                    redeemed.capital_after,
                );
            }
            Event::ListingPublished(published) => {
                self.market.listings.insert(
                    published.listing_id,
                    Listing {
                        id: published.listing_id,
                        author: published.author,
                        kind: published.kind,
                        title: published.title.clone(),
                        description: published.description.clone(),
                        tags: published.tags.clone(),
                        published_at: at,
                        withdrawn_at: None,
                    },
                );
            }
            Event::ListingWithdrawn(withdrawn) => {
                if let Some(listing) = self.market.listings.get_mut(&withdrawn.listing_id) {
                    listing.withdrawn_at = Some(at);
                }
            }
            Event::ExchangeRecorded(recorded) => {
                self.market.exchanges.insert(
                    recorded.exchange_id,
                    Exchange {
                        id: recorded.exchange_id,
                        provider: recorded.provider,
                        receiver: recorded.receiver,
                        hours: recorded.hours,
                        description: recorded.description.clone(),
                        listing_id: recorded.listing_id,
                        recorded_at: at,
                        status: ExchangeStatus::Pending,
                    },
                );
            }
            Event::ExchangeConfirmed(confirmed) => {
                self.move_credits(event);
                self.market.completed_exchanges += 1;
                if let Some(exchange) = self.market.exchanges.get_mut(&confirmed.exchange_id) {
                    exchange.status = ExchangeStatus::Completed {
                        confirmed: event_id,
                    };
                }
            }
            Event::ExchangeCancelled(cancelled) => {
                if let Some(exchange) = self.market.exchanges.get_mut(&cancelled.exchange_id) {
                    exchange.status = ExchangeStatus::Cancelled {
                        reason: cancelled.reason.clone(),
                    };
                }
            }
            Event::ExchangeReversed(reversed) => {
                self.move_credits(event);
                self.market.reversals += 1;
                if let Some(exchange) = self.market.exchanges.get_mut(&reversed.exchange_id) {
                    exchange.status = ExchangeStatus::Reversed {
                        reason: reversed.reason.clone(),
                    };
                }
            }
            Event::TimeCreditsTransferred(_) => {
                self.move_credits(event);
                self.market.transfers += 1;
            }
            Event::ProjectProposed(proposed) => {
                let sequence = self.projects.by_id.len() as u64;
                self.projects.by_id.insert(
                    proposed.project_id,
                    Project {
                        id: proposed.project_id,
                        proposer: proposed.proposer,
                        title: proposed.title.clone(),
                        summary: proposed.summary.clone(),
                        proposed_at: at,
                        sequence,
                        scores: Vec::new(),
                        statuses: vec![(at, agora_events::ProjectStatus::Proposed)],
                    },
                );
            }
            Event::ProjectScored(scored) => {
                if let Some(project) = self.projects.by_id.get_mut(&scored.project_id) {
                    project.scores.push((
                        at,
                        ProjectScores {
                            concerned_percent: scored.concerned_percent,
                            estimated_cost: scored.estimated_cost,
                            self_financing_percent: scored.self_financing_percent,
                        },
                    ));
                }
            }
            Event::ProjectStatusChanged(changed) => {
                if let Some(project) = self.projects.by_id.get_mut(&changed.project_id) {
                    project.statuses.push((at, changed.to));
                }
            }
            Event::BallotOpened(opened) => {
                self.ballots.by_id.insert(
                    opened.ballot_id,
                    Ballot {
                        opened: opened.clone(),
                        opened_at: at,
                        votes: OrdMap::new(),
                        votes_cast: 0,
                        closed: None,
                    },
                );
            }
            Event::VoteCast(vote) => {
                if let Some(ballot) = self.ballots.by_id.get_mut(&vote.ballot_id) {
                    ballot.votes.insert(vote.voter, vote.choice.clone());
                    ballot.votes_cast += 1;
                }
            }
            Event::BallotClosed(closed) => {
                if let Some(ballot) = self.ballots.by_id.get_mut(&closed.ballot_id) {
                    ballot.closed = Some((at, closed.clone()));
                }
            }
            Event::FundsReceived(received) => {
                self.funds.received = add(self.funds.received, received.amount);
                self.funds.receipts.push_back((at, received.clone()));
            }
            Event::FundsAllocated(allocated) => {
                self.funds.allocated = add(self.funds.allocated, allocated.amount);
                self.funds.allocations.insert(
                    allocated.allocation_id,
                    Allocation {
                        allocated: allocated.clone(),
                        at,
                        spent: Default::default(),
                        expenses: Default::default(),
                    },
                );
            }
            Event::ExpenseRecorded(expense) => {
                self.funds.spent = add(self.funds.spent, expense.amount);
                if let Some(allocation) = self.funds.allocations.get_mut(&expense.allocation_id) {
                    allocation.spent = add(allocation.spent, expense.amount);
                    allocation.expenses.push_back((at, expense.clone()));
                }
            }
            Event::CommunityCreated(_) => {}
        }
    }

    /// Moves credits as the event records them. Statements are not kept
    /// here: the store files each movement under both accounts.
    fn move_credits(&mut self, event: &Event) {
        if let Some(movement) = Movement::of(event) {
            self.market.settle(&movement);
        }
    }

    fn with_pioneer(&mut self, id: PioneerId, change: impl FnOnce(&mut Pioneer)) {
        if let Some(pioneer) = self.pioneers.get_mut(&id) {
            change(pioneer);
        }
    }
}

/// Every community of the log, by slug.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Communities {
    pub by_slug: BTreeMap<CommunitySlug, CommunityState>,
}

impl Projection for Communities {
    fn apply(&mut self, recorded: &Recorded) {
        let at = recorded.metadata.recorded_at;
        if let Event::CommunityCreated(created) = &recorded.event {
            self.by_slug.insert(
                created.slug.clone(),
                CommunityState::founded(created.slug.clone(), created.statutes.clone(), at),
            );
        } else if let Some(community) = self.by_slug.get_mut(&recorded.metadata.community) {
            community.apply_event(&recorded.event, recorded.event_id, at);
        }
    }
}
