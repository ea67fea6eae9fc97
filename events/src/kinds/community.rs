//! Communities and their statutes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AccountId, CommunitySlug, Euros, Hours, MeetingId, PioneerId, ProjectId};

/// The rules a community lives by. Amended only by a new event, which
/// applies from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statutes {
    /// The cooperative's name, for people.
    pub name: String,
    /// What one share of capital costs.
    pub share_nominal: Euros,
    /// The voting colleges and their weights in assembly ballots.
    pub colleges: Vec<College>,
    /// Lowest time-credit balance an account may reach (e.g. `-20.00`).
    pub credit_floor: Hours,
    /// Highest time-credit balance an account may reach (e.g. `100.00`).
    pub credit_ceiling: Hours,
    /// How the gardener's three criteria weigh in the project ranking.
    pub ranking_weights: RankingWeights,
    /// The ethical charter in force; pioneers must accept this version.
    pub charter_version: String,
    /// Lowest balance a project's account may reach; `0.00` when absent: a
    /// project spends only the hours given to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_credit_floor: Option<Hours>,
    /// Highest balance a project's account may reach; no limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_credit_ceiling: Option<Hours>,
    /// The lowest total of the seven admission scores (0–35) a candidate
    /// must reach to be admitted; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission_score_min: Option<u8>,
    /// Days of notice, at least, between convening a general assembly and
    /// holding it; [`DEFAULT_ASSEMBLY_NOTICE_DAYS`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly_notice_days: Option<u16>,
    /// Share of the members, in percent, present or represented for an
    /// assembly on first convocation to decide; a second convocation
    /// needs none. [`DEFAULT_ASSEMBLY_QUORUM_PERCENT`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly_quorum_percent: Option<u8>,
    /// Most members one present member may represent;
    /// [`DEFAULT_PROXIES_PER_MEMBER`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxies_per_member_max: Option<u8>,
    /// The impact indicators projects are measured on; none when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Indicator>,
}

/// The three compasses the community reads its impact with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Compass {
    /// How much each person engages (*engagement individuel*).
    IndividualEngagement,
    /// What people and projects do together (*synergie*).
    Synergy,
    /// What changes around them (*impact sociétal*).
    SocietalImpact,
}

/// Which way an indicator is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// An impact indicator the statutes define.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Lowercase letters, digits and inner hyphens; unique.
    pub code: String,
    pub label: String,
    pub compass: Compass,
    /// `personnes`, `kg`, `heures`, `%`…
    pub unit: String,
    pub direction: Direction,
}

/// Notice of an assembly, in days, when the statutes say nothing.
pub const DEFAULT_ASSEMBLY_NOTICE_DAYS: u16 = 15;
/// First-convocation quorum, in percent of the members, when the statutes
/// say nothing.
pub const DEFAULT_ASSEMBLY_QUORUM_PERCENT: u8 = 25;
/// Members one may represent at an assembly, when the statutes say nothing.
pub const DEFAULT_PROXIES_PER_MEMBER: u8 = 2;

impl Statutes {
    /// The indicator of that code, if the statutes define it.
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators
            .iter()
            .find(|indicator| indicator.code == code)
    }

    pub fn assembly_notice_days(&self) -> u16 {
        self.assembly_notice_days
            .unwrap_or(DEFAULT_ASSEMBLY_NOTICE_DAYS)
    }

    pub fn assembly_quorum_percent(&self) -> u8 {
        self.assembly_quorum_percent
            .unwrap_or(DEFAULT_ASSEMBLY_QUORUM_PERCENT)
    }

    pub fn proxies_per_member_max(&self) -> u8 {
        self.proxies_per_member_max
            .unwrap_or(DEFAULT_PROXIES_PER_MEMBER)
    }
}

impl Statutes {
    /// The lowest balance `account` may reach, if there is one. The
    /// community's own account has no limits: it takes over whatever
    /// balance a departing member leaves.
    pub fn floor_of(&self, account: AccountId) -> Option<Hours> {
        match account {
            AccountId::Pioneer(_) => Some(self.credit_floor),
            AccountId::Project(_) => Some(self.project_credit_floor.unwrap_or(Hours::whole(0))),
            AccountId::Community => None,
        }
    }

    /// The highest balance `account` may reach, if there is one.
    pub fn ceiling_of(&self, account: AccountId) -> Option<Hours> {
        match account {
            AccountId::Pioneer(_) => Some(self.credit_ceiling),
            AccountId::Project(_) => self.project_credit_ceiling,
            AccountId::Community => None,
        }
    }
}

/// A voting college, e.g. founders or beneficiaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct College {
    pub name: String,
    /// Its share of an assembly ballot's weight, in percent (10–50; all sum to 100).
    pub vote_weight_percent: u8,
}

/// Weights of the ranking criteria, in percent, summing to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingWeights {
    /// Share of pioneers concerned by the project.
    pub concerned: u8,
    /// Estimated cost (cheaper ranks higher).
    pub cost: u8,
    /// Possibility of self-financing.
    pub self_financing: u8,
    /// The cost a project's is measured against: a project costing this
    /// much gets half the cost criterion, one costing nothing all of it.
    /// [`DEFAULT_COST_REFERENCE`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_reference: Option<Euros>,
}

/// The cost reference of statutes that name none: 10,000 €.
pub const DEFAULT_COST_REFERENCE_CENTS: i64 = 1_000_000;

impl RankingWeights {
    /// The cost a project's is measured against.
    pub fn cost_reference(&self) -> Euros {
        self.cost_reference.unwrap_or_else(|| {
            Euros::new(rust_decimal::Decimal::new(DEFAULT_COST_REFERENCE_CENTS, 2))
                .expect("the default reference is an amount")
        })
    }
}

/// A community was founded with its first statutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityCreated {
    pub slug: CommunitySlug,
    pub statutes: Statutes,
}

/// The statutes were amended; the new ones apply from this event on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatutesAmended {
    pub statutes: Statutes,
    /// Why, in words.
    pub reason: String,
    /// The ballot or assembly session of the ledger that adopted them;
    /// absent on amendments decided outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::Decision>,
}

/// What kind of gathering a meeting was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// A working meeting, to carry out or follow a chosen project.
    Working,
    /// A social event (*événement de convivialité*): the statutes ask for
    /// at least one a year.
    Social,
}

/// The gardener recorded a meeting or a social event that took place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRecorded {
    pub meeting_id: MeetingId,
    pub kind: MeetingKind,
    /// The day it took place.
    pub held_on: chrono::NaiveDate,
    pub purpose: String,
    /// The project it followed, if any.
    pub project_id: Option<ProjectId>,
    /// The members who attended.
    pub attendees: Vec<PioneerId>,
}
