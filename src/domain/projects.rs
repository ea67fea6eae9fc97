//! Projects and the gardener's scores.
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
    pub place: Option<agora_events::Place>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreProject {
    pub project_id: ProjectId,
    pub concerned_percent: u8,
    pub estimated_cost: Euros,
    pub self_financing_percent: u8,
    /// The gardener who scores, when they are a member: nobody ranks the
    /// project they proposed.
    pub by: Option<PioneerId>,
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
    if let Some(place) = &command.place {
        super::places::validate_place("place", place)?;
    }
    Ok(vec![
        ProjectProposed {
            project_id: command.project_id,
            proposer: command.proposer,
            title: command.title.clone(),
            summary: command.summary.clone(),
            place: command.place.clone(),
        }
        .into(),
    ])
}

pub fn score(state: &CommunityState, command: &ScoreProject) -> Result<Vec<Event>, Rejection> {
    let project = open(state, command.project_id)?;
    if command.by == Some(project.proposer) {
        return Err(Rejection::OwnProjectScored {
            pioneer: project.proposer,
            project: command.project_id,
        });
    }
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

/// A status change; a project that ends or is withdrawn releases what is
/// unspent of its allocations, in the same command.
pub fn change_status(
    state: &CommunityState,
    command: &ChangeProjectStatus,
) -> Result<Vec<Event>, Rejection> {
    let mut events = vec![status_change(state, command)?];
    if matches!(command.to, ProjectStatus::Done | ProjectStatus::Withdrawn) {
        events.extend(super::funds::release_unspent(state, command.project_id));
        events.extend(super::market::project_closing(state, command.project_id)?);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::ProjectStatus::*;

    fn propose(proposer: PioneerId) -> Command {
        Command::ProposeProject(ProposeProject {
            project_id: PROJECT_A,
            proposer,
            title: "Jardin partagé".into(),
            summary: "Un jardin pour le quartier".into(),
            place: None,
        })
    }

    #[test]
    fn a_project_says_where_it_takes_place_by_a_commune_s_insee_code() {
        let at = |commune: &str| {
            let Command::ProposeProject(mut proposal) = propose(ALICE) else {
                unreachable!()
            };
            proposal.place = Some(agora_events::Place {
                commune: Some(commune.into()),
                point: None,
            });
            Command::ProposeProject(proposal)
        };
        let history = community_of_three();

        given(&history).when(at("38000")).then_rule("commune-code");
        let events = given(&history)
            .when(at("38185"))
            .then_events(&["ProjectProposed"]);
        let mut history = history;
        history.extend(events);
        let state = given(&history).state();
        let place = state
            .projects
            .get(PROJECT_A)
            .unwrap()
            .place
            .clone()
            .unwrap();
        assert_eq!(place.department(), Some("38"));
    }

    fn change(to: agora_events::ProjectStatus) -> Command {
        Command::ChangeProjectStatus(ChangeProjectStatus {
            project_id: PROJECT_A,
            to,
            reason: None,
        })
    }

    #[test]
    fn a_member_in_good_standing_proposes_a_project() {
        given(&community_of_three())
            .when(propose(ALICE))
            .then_events(&["ProjectProposed"]);
        let mut history = community_of_three();
        history.push(admitted(
            PioneerId::from_uuid(uuid::Uuid::from_u128(7)),
            "founders",
        ));
        given(&history)
            .when(propose(PioneerId::from_uuid(uuid::Uuid::from_u128(7))))
            .then_rule("good-standing-required");
    }

    #[test]
    fn scores_are_percentages_and_a_cost() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        let score = |concerned, self_financing| {
            Command::ScoreProject(ScoreProject {
                project_id: PROJECT_A,
                concerned_percent: concerned,
                estimated_cost: "1500.00".parse().unwrap(),
                self_financing_percent: self_financing,
                by: Some(BRUNO),
            })
        };
        given(&history)
            .when(score(101, 0))
            .then_err(Rejection::PercentOutOfRange {
                field: "concerned_percent",
                value: 101,
            });
        given(&history)
            .when(score(60, 20))
            .then_events(&["ProjectScored"]);
        // Alice, gardener too, does not rank the project she proposed.
        let Command::ScoreProject(mut own) = score(60, 20) else {
            unreachable!()
        };
        own.by = Some(ALICE);
        given(&history)
            .when(Command::ScoreProject(own))
            .then_err(Rejection::OwnProjectScored {
                pioneer: ALICE,
                project: PROJECT_A,
            });
    }

    #[test]
    fn status_follows_the_allowed_transitions() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        given(&history)
            .when(change(Done))
            .then_err(Rejection::StatusTransition {
                from: Proposed,
                to: Done,
            });
        history.extend(given(&history).when(change(Selected)).events());
        history.extend(given(&history).when(change(InProgress)).events());
        history.extend(given(&history).when(change(Done)).events());
        given(&history)
            .when(change(Withdrawn))
            .then_rule("project-status-transition");
    }

    #[test]
    fn projects_are_carried_out_one_at_a_time() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_B, BRUNO));
        history.push(
            agora_events::ProjectStatusChanged {
                project_id: PROJECT_B,
                from: Selected,
                to: InProgress,
                reason: None,
            }
            .into(),
        );
        history.push(proposed(PROJECT_A, ALICE));
        history.extend(given(&history).when(change(Selected)).events());
        given(&history)
            .when(change(InProgress))
            .then_err(Rejection::AnotherProjectInProgress { project: PROJECT_B });
    }
}
