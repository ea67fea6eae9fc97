//! General assemblies: convened with a date, a place and an agenda; the
//! attendance sheet and its quorum; the minutes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AssemblyId, Hash, PioneerId, Timestamp};

/// What an assembly decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssemblyKind {
    /// The yearly decisions: accounts, orientation, allocations.
    Ordinary,
    /// Amending the statutes.
    Extraordinary,
}

/// A general assembly was convened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssemblyConvened {
    pub assembly_id: AssemblyId,
    pub kind: AssemblyKind,
    /// When it is held.
    pub held_at: Timestamp,
    pub place: String,
    pub agenda: Vec<String>,
    /// The assembly whose quorum was not met, when this is its second
    /// convocation (which needs no quorum).
    pub second_convocation_of: Option<AssemblyId>,
}

/// A member represented at an assembly by another, present, member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    pub member: PioneerId,
    pub proxy: PioneerId,
}

/// The attendance sheet of an assembly, and whether its quorum was met:
/// the members present, those represented by a proxy; every other member
/// was absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRecorded {
    pub assembly_id: AssemblyId,
    pub present: Vec<PioneerId>,
    pub represented: Vec<Proxy>,
    /// Members of the community when it was held.
    pub members: u32,
    /// Members present or represented it needed (none on a second
    /// convocation).
    pub quorum_required: u32,
    pub quorum_met: bool,
}

/// The signed minutes of an assembly, by the SHA-256 of the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesRecorded {
    pub assembly_id: AssemblyId,
    pub sha256: Hash,
    /// Where the signed document is kept, or its reference.
    pub reference: String,
}

/// A member stood for the community's representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidacyDeclared {
    pub pioneer_id: PioneerId,
    /// What they stand for, in their words.
    pub statement: String,
}

/// A member withdrew their candidacy before the election opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidacyWithdrawn {
    pub pioneer_id: PioneerId,
}

/// The election of the community's representative: a ballot of an
/// assembly session between the candidates, for a mandate of this term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Election {
    pub term_months: u16,
}

/// The winner of an election holds the representative's mandate until
/// `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateGranted {
    pub pioneer_id: PioneerId,
    /// The election it comes from.
    pub ballot_id: crate::BallotId,
    pub until: Timestamp,
}
