//! Projects and the gardener's scores.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Euros, PioneerId, ProjectId};

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Proposed,
    Selected,
    InProgress,
    Done,
    Withdrawn,
}

/// A member in good standing proposed a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectProposed {
    pub project_id: ProjectId,
    pub proposer: PioneerId,
    pub title: String,
    pub summary: String,
    /// Where it takes place, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<crate::Place>,
}

/// The gardener scored (or rescored) a project on the three criteria.
/// Earlier scores stay in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectScored {
    pub project_id: ProjectId,
    /// Share of pioneers concerned, 0–100.
    pub concerned_percent: u8,
    pub estimated_cost: Euros,
    /// Possibility of self-financing, 0–100.
    pub self_financing_percent: u8,
}

/// A project moved from one status to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectStatusChanged {
    pub project_id: ProjectId,
    pub from: ProjectStatus,
    pub to: ProjectStatus,
    pub reason: Option<String>,
}

/// A measurement of one of the statutes' impact indicators for a project,
/// recorded by the gardener or the project's proposer. Measurements add up
/// to a series; the latest by date is the project's current value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorMeasured {
    pub measurement_id: crate::MeasurementId,
    pub project_id: ProjectId,
    /// The indicator's code in the statutes.
    pub indicator: String,
    pub value: crate::Quantity,
    /// The day the value was measured.
    pub measured_on: chrono::NaiveDate,
    /// Where the figure comes from (a survey, a count, an invoice…).
    pub source: String,
}
