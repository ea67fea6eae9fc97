//! Ballots: choosing the common project and assembly decisions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AssemblyId, BallotId, PioneerId, ProjectId, Sealed, Timestamp};

/// How votes are expressed and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VotingMethod {
    /// One option per voter; most votes wins.
    Single,
    /// Any number of options per voter; most approvals wins.
    Approval,
    /// A full or partial ranking per voter; the Schulze method picks the winner.
    Ranked,
}

/// Whose votes count how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BallotKind {
    /// One member, one vote.
    Community,
    /// Votes weighted by college, as the statutes say.
    Assembly,
}

/// One choice on a ballot, often a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotOption {
    /// Short id used in votes, unique within the ballot.
    pub option_id: String,
    pub label: String,
    pub project_id: Option<ProjectId>,
}

/// A member entitled to vote, with the college their vote counts in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Elector {
    pub pioneer_id: PioneerId,
    pub college: String,
}

/// A college's weight, frozen for the ballot's lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollegeWeight {
    pub college: String,
    pub vote_weight_percent: u8,
}

/// The gardener opened a ballot; electorate and rules are frozen here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotOpened {
    pub ballot_id: BallotId,
    pub question: String,
    pub options: Vec<BallotOption>,
    pub method: VotingMethod,
    pub kind: BallotKind,
    pub closes_at: Timestamp,
    pub electorate: Vec<Elector>,
    /// Empty for community ballots.
    pub college_weights: Vec<CollegeWeight>,
    /// Its votes are sealed with a key kept outside the log until the
    /// close. Absent (false) on ballots opened before votes were sealed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
    /// The general assembly whose session it belongs to: its electorate is
    /// the members present or represented there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly_id: Option<AssemblyId>,
    /// It elects the community's representative: its options are the
    /// candidates, by their pioneer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election: Option<crate::Election>,
}

/// What a voter chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Choice {
    Single {
        option_id: String,
    },
    Approval {
        option_ids: Vec<String>,
    },
    /// Preference order, most preferred first; options left out rank last.
    Ranked {
        ranking: Vec<String>,
    },
}

/// A member voted; a later vote on the same ballot replaces this one.
/// While the ballot is open the choice is sealed with the ballot's key,
/// kept outside the log and revealed when the ballot closes; votes of
/// ballots opened before sealing carry the choice in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteCast {
    pub ballot_id: BallotId,
    pub voter: PioneerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<Choice>,
    /// The choice's JSON, XChaCha20-Poly1305 under the ballot's key, with
    /// the voter's id as associated data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_choice: Option<Sealed>,
}

/// Who closed the ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Closure {
    Gardener,
    /// The service, once the close time had passed.
    Schedule,
}

/// One option's result. `score` is a decimal string: weighted tallies are
/// fractional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionResult {
    pub option_id: String,
    pub score: String,
}

/// The ballot closed with a tally anyone can recompute from the votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotClosed {
    pub ballot_id: BallotId,
    pub closed_by: Closure,
    /// Voters whose last vote was counted.
    pub votes_counted: u32,
    /// Per option, in the final order (winner first).
    pub results: Vec<OptionResult>,
    /// The winning option, if there was one (none on an empty or tied
    /// ballot, nor when no counted vote chose the first option).
    pub winner: Option<String>,
    /// Options left out of the count: in an election, the candidates who
    /// left the community before it closed. A vote for one counts for no
    /// option; a ranking skips them. Absent when none was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<String>,
    /// The ballot's key, revealed: with it anyone opens the sealed votes
    /// and recomputes the tally from the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot_key: Option<String>,
}
