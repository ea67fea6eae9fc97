//! Pioneers as the log describes them.

use std::collections::BTreeSet;

use agora_events::{AdmissionScores, PioneerId, PublicProfile, Role, Sealed, Timestamp};
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
