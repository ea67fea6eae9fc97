//! Projects, their scores and status over time, and the ranking.
//!
//! The ranking formula (also in `docs/ranking.md`): among projects that are
//! scored and neither done nor withdrawn, each criterion becomes a number
//! from 0 to 1 — the share of pioneers concerned (`concerned_percent / 100`),
//! the cheapness against the statutes' cost reference (`reference /
//! (reference + cost)`: 1 when it costs nothing, ½ at the reference), the
//! possibility of self-financing
//! (`self_financing_percent / 100`) — and the score is the sum of each times
//! its weight in the statutes (percent), so from 0 to 100. Higher ranks
//! first; ties go to the earlier proposal. Each contribution is returned.

use std::collections::BTreeMap;

use imbl::OrdMap;

use agora_events::{
    Euros, Event, PioneerId, ProjectId, ProjectStatus, Quantity, RankingWeights, Timestamp,
};
use rust_decimal::Decimal;

/// The gardener's three criteria for a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProjectScores {
    pub concerned_percent: u8,
    pub estimated_cost: Euros,
    pub self_financing_percent: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub proposer: PioneerId,
    pub title: String,
    pub summary: String,
    pub proposed_at: Timestamp,
    /// Order of proposal in the community, for ties.
    pub sequence: u64,
    /// Every score given, oldest first.
    pub scores: Vec<(Timestamp, ProjectScores)>,
    /// Every status taken, oldest first (starting with `proposed`).
    pub statuses: Vec<(Timestamp, ProjectStatus)>,
    /// The latest measurement of each impact indicator, by the day it was
    /// measured, under the indicator's code (the whole series is in the
    /// log and the store's index).
    #[serde(default)]
    pub measures: BTreeMap<String, Measure>,
    /// Where it takes place, if it said.
    #[serde(default)]
    pub place: Option<agora_events::Place>,
}

/// A project's value of an impact indicator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Measure {
    pub value: Quantity,
    pub measured_on: chrono::NaiveDate,
    pub source: String,
    pub recorded_at: Timestamp,
}

impl Project {
    pub fn status(&self) -> ProjectStatus {
        self.status_at(None).unwrap_or(ProjectStatus::Proposed)
    }

    pub fn current_scores(&self) -> Option<ProjectScores> {
        self.scores_at(None)
    }

    /// Whether the project can still be worked on.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status(),
            ProjectStatus::Done | ProjectStatus::Withdrawn
        )
    }

    fn status_at(&self, as_of: Option<Timestamp>) -> Option<ProjectStatus> {
        self.statuses
            .iter()
            .rev()
            .find(|(at, _)| as_of.is_none_or(|as_of| *at <= as_of))
            .map(|(_, status)| *status)
    }

    fn scores_at(&self, as_of: Option<Timestamp>) -> Option<ProjectScores> {
        self.scores
            .iter()
            .rev()
            .find(|(at, _)| as_of.is_none_or(|as_of| *at <= as_of))
            .map(|(_, scores)| *scores)
    }
}

/// One project's place in the ranking, with each criterion's contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub rank: usize,
    pub project_id: ProjectId,
    pub score: Decimal,
    pub concerned: Decimal,
    pub cost: Decimal,
    pub self_financing: Decimal,
    pub scores: ProjectScores,
}

/// Every project, and the ranking weights over time.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Projects {
    pub by_id: OrdMap<ProjectId, Project>,
    /// The statutes' ranking weights, each with the instant it took effect.
    pub weights: Vec<(Timestamp, RankingWeights)>,
}

/// Decimals kept in ranking figures.
const RANKING_DECIMALS: u32 = 4;

impl Projects {
    /// Folds one event about projects; other events are ignored.
    pub(crate) fn evolve(&mut self, event: &Event, at: Timestamp) {
        match event {
            Event::StatutesAmended(amended) => {
                self.weights.push((at, amended.statutes.ranking_weights));
            }
            Event::ProjectProposed(proposed) => {
                let sequence = self.by_id.len() as u64;
                self.by_id.insert(
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
                        measures: BTreeMap::new(),
                        place: proposed.place.clone(),
                    },
                );
            }
            Event::ProjectScored(scored) => {
                if let Some(project) = self.by_id.get_mut(&scored.project_id) {
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
                if let Some(project) = self.by_id.get_mut(&changed.project_id) {
                    project.statuses.push((at, changed.to));
                }
            }
            Event::IndicatorMeasured(measured) => {
                if let Some(project) = self.by_id.get_mut(&measured.project_id) {
                    let newer = project
                        .measures
                        .get(&measured.indicator)
                        .is_none_or(|latest| measured.measured_on >= latest.measured_on);
                    if newer {
                        project.measures.insert(
                            measured.indicator.clone(),
                            Measure {
                                value: measured.value,
                                measured_on: measured.measured_on,
                                source: measured.source.clone(),
                                recorded_at: at,
                            },
                        );
                    }
                }
            }
            _ => {}
        }
    }

    pub fn get(&self, id: ProjectId) -> Option<&Project> {
        self.by_id.get(&id)
    }

    /// The ranking now (`None`) or as it stood at `as_of`.
    pub fn ranking(&self, as_of: Option<Timestamp>) -> Vec<Ranked> {
        let Some(weights) = self
            .weights
            .iter()
            .rev()
            .find(|(at, _)| as_of.is_none_or(|as_of| *at <= as_of))
            .map(|(_, weights)| *weights)
        else {
            return Vec::new();
        };
        let candidates: Vec<(&Project, ProjectScores)> = self
            .by_id
            .values()
            .filter(|project| as_of.is_none_or(|as_of| project.proposed_at <= as_of))
            .filter(|project| {
                !matches!(
                    project.status_at(as_of),
                    Some(ProjectStatus::Done | ProjectStatus::Withdrawn)
                )
            })
            .filter_map(|project| Some((project, project.scores_at(as_of)?)))
            .collect();
        let reference = weights.cost_reference().value();
        let hundred = Decimal::from(100);
        let mut ranked: Vec<(u64, Ranked)> = candidates
            .into_iter()
            .map(|(project, scores)| {
                // Against the statutes' reference, never against other
                // projects: a score depends on the project's own figures.
                let cheapness = reference / (reference + scores.estimated_cost.value());
                let round = |value: Decimal| value.round_dp(RANKING_DECIMALS);
                let concerned = round(
                    Decimal::from(weights.concerned) * Decimal::from(scores.concerned_percent)
                        / hundred,
                );
                let cost = round(Decimal::from(weights.cost) * cheapness);
                let self_financing = round(
                    Decimal::from(weights.self_financing)
                        * Decimal::from(scores.self_financing_percent)
                        / hundred,
                );
                (
                    project.sequence,
                    Ranked {
                        rank: 0,
                        project_id: project.id,
                        score: concerned + cost + self_financing,
                        concerned,
                        cost,
                        self_financing,
                        scores,
                    },
                )
            })
            .collect();
        ranked.sort_by(|(a_sequence, a), (b_sequence, b)| {
            b.score.cmp(&a.score).then(a_sequence.cmp(b_sequence))
        });
        ranked
            .into_iter()
            .enumerate()
            .map(|(index, (_, mut ranked))| {
                ranked.rank = index + 1;
                ranked
            })
            .collect()
    }
}
