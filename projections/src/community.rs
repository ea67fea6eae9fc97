//! A community's state: statutes, members and share register, folded from
//! its stream. The domain decides against it; reads are served from it.

use std::collections::BTreeMap;

use agora_events::{CommunitySlug, Event, PioneerId, Recorded, Statutes, Timestamp};

use crate::Projection;
use crate::members::{Membership, Pioneer};
use crate::register::{ShareRegister, Subscription};

/// Everything known about one community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityState {
    pub slug: CommunitySlug,
    pub statutes: Statutes,
    pub created_at: Timestamp,
    /// When the statutes last changed.
    pub statutes_amended_at: Option<Timestamp>,
    pub pioneers: BTreeMap<PioneerId, Pioneer>,
    pub register: ShareRegister,
}

impl CommunityState {
    /// The state right after `CommunityCreated`.
    pub fn founded(slug: CommunitySlug, statutes: Statutes, at: Timestamp) -> Self {
        Self {
            slug,
            statutes,
            created_at: at,
            statutes_amended_at: None,
            pioneers: BTreeMap::new(),
            register: ShareRegister::default(),
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

    /// Applies one event of this community's stream.
    pub fn apply_event(&mut self, event: &Event, at: Timestamp) {
        match event {
            Event::CommunityCreated(_) => {}
            Event::StatutesAmended(amended) => {
                self.statutes = amended.statutes.clone();
                self.statutes_amended_at = Some(at);
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
            // Later areas (marketplace, projects, ballots, funds) have their
            // own projections.
            _ => {}
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
            community.apply_event(&recorded.event, at);
        }
    }
}
