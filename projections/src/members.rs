//! Pioneers as the log describes them.

use std::collections::BTreeSet;

use agora_events::{
    AdmissionScores, Event, Organisation, PioneerId, PublicProfile, Role, Sealed, Timestamp,
};
use imbl::OrdMap;
use serde::Serialize;

/// Whether a pioneer is still a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Membership {
    Active,
    Left { at: Timestamp },
    Excluded { at: Timestamp, reason: String },
}

/// One pioneer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pioneer {
    pub id: PioneerId,
    pub college: String,
    pub scores: AdmissionScores,
    pub profile: PublicProfile,
    /// The latest sealed personal data; readable only with the pioneer's key.
    pub personal: Sealed,
    pub admitted_at: Timestamp,
    pub membership: Membership,
    /// The key was destroyed: personal data is gone for good.
    pub forgotten: bool,
    /// The last charter version accepted.
    pub charter_version: Option<String>,
    /// Roles granted beyond `pioneer`, which every member has.
    pub roles: BTreeSet<Role>,
    /// When they last updated their profile, if ever since admission.
    pub profile_updated_at: Option<Timestamp>,
    /// Since when they hold no fully paid share (their admission, or the
    /// payment correction or redemption that took their last one); `None`
    /// while they hold one.
    pub without_paid_share_since: Option<Timestamp>,
    /// Set when the member is an organisation: who represents it now.
    pub organisation: Option<Organisation>,
}

impl Pioneer {
    pub fn is_active(&self) -> bool {
        self.membership == Membership::Active
    }

    /// The roles this member holds in the ledger: `pioneer` plus those
    /// granted while a member, none once gone.
    pub fn effective_roles(&self) -> BTreeSet<Role> {
        if !self.is_active() {
            return BTreeSet::new();
        }
        let mut roles = self.roles.clone();
        roles.insert(Role::Pioneer);
        roles
    }
}

/// Folds one event about members into the community's pioneers; other
/// events are ignored.
pub(crate) fn evolve(pioneers: &mut OrdMap<PioneerId, Pioneer>, event: &Event, at: Timestamp) {
    match event {
        Event::PioneerAdmitted(admitted) => {
            pioneers.insert(
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
                    profile_updated_at: None,
                    without_paid_share_since: Some(at),
                    organisation: admitted.organisation.clone(),
                },
            );
        }
        Event::CharterAccepted(accepted) => {
            with_pioneer(pioneers, accepted.pioneer_id, |pioneer| {
                pioneer.charter_version = Some(accepted.charter_version.clone());
            });
        }
        Event::ProfileUpdated(updated) => with_pioneer(pioneers, updated.pioneer_id, |pioneer| {
            pioneer.profile = updated.profile.clone();
            pioneer.profile_updated_at = Some(at);
            if let Some(personal) = &updated.personal {
                pioneer.personal = personal.clone();
            }
        }),
        Event::PioneerLeft(left) => with_pioneer(pioneers, left.pioneer_id, |pioneer| {
            pioneer.membership = Membership::Left { at };
        }),
        Event::PioneerExcluded(excluded) => {
            with_pioneer(pioneers, excluded.pioneer_id, |pioneer| {
                pioneer.membership = Membership::Excluded {
                    at,
                    reason: excluded.reason.clone(),
                };
            });
        }
        Event::PioneerForgotten(forgotten) => {
            with_pioneer(pioneers, forgotten.pioneer_id, |pioneer| {
                pioneer.forgotten = true
            });
        }
        Event::RepresentativeChanged(changed) => {
            with_pioneer(pioneers, changed.organisation, |pioneer| {
                if let Some(organisation) = &mut pioneer.organisation {
                    organisation.representative = changed.representative;
                }
            });
        }
        Event::RoleGranted(granted) => with_pioneer(pioneers, granted.pioneer_id, |pioneer| {
            pioneer.roles.insert(granted.role);
        }),
        Event::RoleRevoked(revoked) => with_pioneer(pioneers, revoked.pioneer_id, |pioneer| {
            pioneer.roles.remove(&revoked.role);
        }),
        _ => {}
    }
}

fn with_pioneer(
    pioneers: &mut OrdMap<PioneerId, Pioneer>,
    id: PioneerId,
    change: impl FnOnce(&mut Pioneer),
) {
    if let Some(pioneer) = pioneers.get_mut(&id) {
        change(pioneer);
    }
}
