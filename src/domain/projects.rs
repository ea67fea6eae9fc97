//! Projects and the gardener's scores (SPEC §3.5).
//!
//! Status moves along: proposed → selected → in progress → done, with
//! withdrawal possible until done, and a selected project may go back to
//! proposed. Projects are carried out one at a time: only one may be in
//! progress.

use agora_events::{
    Euros, Event, PioneerId, ProjectId, ProjectProposed, ProjectScored, ProjectStatus,
    ProjectStatusChanged,
};
use agora_projections::{CommunityState, Project};

use super::Rejection;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, line, paragraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposeProject {
    pub project_id: ProjectId,
    pub proposer: PioneerId,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreProject {
    pub project_id: ProjectId,
    pub concerned_percent: u8,
    pub estimated_cost: Euros,
    pub self_financing_percent: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeProjectStatus {
    pub project_id: ProjectId,
    pub to: ProjectStatus,
    pub reason: Option<String>,
}

pub(super) fn project(state: &CommunityState, id: ProjectId) -> Result<&Project, Rejection> {
    state
        .projects
        .get(id)
        .ok_or(Rejection::ProjectNotFound { project: id })
}

fn open(state: &CommunityState, id: ProjectId) -> Result<&Project, Rejection> {
    let project = project(state, id)?;
    if !project.is_open() {
        return Err(Rejection::ProjectClosed {
            project: id,
            status: project.status(),
        });
    }
    Ok(project)
}

fn percent(field: &'static str, value: u8) -> Result<(), Rejection> {
    if value > 100 {
        return Err(Rejection::PercentOutOfRange { field, value });
    }
    Ok(())
}

/// Whether a project may move from `from` to `to`.
pub fn transition_allowed(from: ProjectStatus, to: ProjectStatus) -> bool {
    use ProjectStatus::*;
    matches!(
        (from, to),
        (Proposed, Selected)
            | (Selected, Proposed)
            | (Selected, InProgress)
            | (InProgress, Done)
            | (Proposed | Selected | InProgress, Withdrawn)
    )
}

pub fn propose(state: &CommunityState, command: &ProposeProject) -> Result<Vec<Event>, Rejection> {
    if !state.in_good_standing(command.proposer) {
        return Err(Rejection::NotInGoodStanding {
            pioneer: command.proposer,
        });
    }
    line("title", &command.title, NAME_CHARS_MAX)?;
    paragraph("summary", &command.summary, LONG_TEXT_CHARS_MAX)?;
    Ok(vec![
        ProjectProposed {
            project_id: command.project_id,
            proposer: command.proposer,
            title: command.title.clone(),
            summary: command.summary.clone(),
        }
        .into(),
    ])
}

pub fn score(state: &CommunityState, command: &ScoreProject) -> Result<Vec<Event>, Rejection> {
    open(state, command.project_id)?;
    percent("concerned_percent", command.concerned_percent)?;
    percent("self_financing_percent", command.self_financing_percent)?;
    if command.estimated_cost.value().is_sign_negative() {
        return Err(Rejection::AmountNotPositive {
            field: "estimated_cost",
            amount: command.estimated_cost,
        });
    }
    Ok(vec![
        ProjectScored {
            project_id: command.project_id,
            concerned_percent: command.concerned_percent,
            estimated_cost: command.estimated_cost,
            self_financing_percent: command.self_financing_percent,
        }
        .into(),
    ])
}

/// The status change, as an event (also used when a ballot selects a project).
pub(super) fn status_change(
    state: &CommunityState,
    command: &ChangeProjectStatus,
) -> Result<Event, Rejection> {
    let project = project(state, command.project_id)?;
    let from = project.status();
    if !transition_allowed(from, command.to) {
        return Err(Rejection::StatusTransition {
            from,
            to: command.to,
        });
    }
    if command.to == ProjectStatus::InProgress
        && let Some(busy) = state
            .projects
            .by_id
            .values()
            .find(|other| other.status() == ProjectStatus::InProgress)
    {
        return Err(Rejection::AnotherProjectInProgress { project: busy.id });
    }
    if let Some(reason) = &command.reason {
        paragraph("reason", reason, LONG_TEXT_CHARS_MAX)?;
    }
    Ok(ProjectStatusChanged {
        project_id: command.project_id,
        from,
        to: command.to,
        reason: command.reason.clone(),
    }
    .into())
}

pub fn change_status(
    state: &CommunityState,
    command: &ChangeProjectStatus,
) -> Result<Vec<Event>, Rejection> {
    status_change(state, command).map(|event| vec![event])
}
