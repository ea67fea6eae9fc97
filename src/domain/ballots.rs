//! Ballots (SPEC §3.6): opened by the gardener with their electorate and
//! rules frozen, voted on by members in good standing (a revote replaces
//! the earlier vote; both stay in the log), closed by the gardener or, once
//! the close time has passed, by the service. A winning project becomes
//! selected.

use std::collections::BTreeSet;

use agora_events::{
    BallotClosed, BallotId, BallotKind, BallotOpened, BallotOption, Choice, Closure, CollegeWeight,
    Elector, Event, PioneerId, ProjectStatus, Timestamp, VoteCast, VotingMethod,
};
use agora_projections::{Ballot, CommunityState};

use super::projects::{ChangeProjectStatus, status_change};
use super::tally::tally;
use super::text::{NAME_CHARS_MAX, SHORT_TEXT_CHARS_MAX, line};
use super::{Rejection, projects};

/// Most options on a ballot.
pub const OPTIONS_MAX: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBallot {
    pub ballot_id: BallotId,
    pub question: String,
    pub options: Vec<BallotOption>,
    pub method: VotingMethod,
    pub kind: BallotKind,
    pub closes_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastVote {
    pub ballot_id: BallotId,
    pub voter: PioneerId,
    pub choice: Choice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseBallot {
    pub ballot_id: BallotId,
    pub closed_by: Closure,
}

fn open_ballot_of(state: &CommunityState, id: BallotId) -> Result<&Ballot, Rejection> {
    let ballot = state
        .ballots
        .get(id)
        .ok_or(Rejection::BallotNotFound { ballot: id })?;
    if !ballot.is_open() {
        return Err(Rejection::BallotClosed { ballot: id });
    }
    Ok(ballot)
}

fn method_name(method: VotingMethod) -> &'static str {
    match method {
        VotingMethod::Single => "single",
        VotingMethod::Approval => "approval",
        VotingMethod::Ranked => "ranked",
    }
}

pub fn open(
    state: &CommunityState,
    command: &OpenBallot,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    line("question", &command.question, NAME_CHARS_MAX)?;
    if !(2..=OPTIONS_MAX).contains(&command.options.len()) {
        return Err(Rejection::OptionCount {
            count: command.options.len(),
            max: OPTIONS_MAX,
        });
    }
    let mut seen = BTreeSet::new();
    for option in &command.options {
        line("options.option_id", &option.option_id, SHORT_TEXT_CHARS_MAX)?;
        line("options.label", &option.label, NAME_CHARS_MAX)?;
        if !seen.insert(option.option_id.as_str()) {
            return Err(Rejection::DuplicateOption {
                option: option.option_id.clone(),
            });
        }
        if let Some(project_id) = option.project_id {
            let project = projects::project(state, project_id)?;
            if !project.is_open() {
                return Err(Rejection::ProjectClosed {
                    project: project_id,
                    status: project.status(),
                });
            }
        }
    }
    if command.closes_at <= now {
        return Err(Rejection::CloseTimeInPast);
    }
    // The electorate and the weights are frozen now: later admissions,
    // departures or amendments do not change this ballot.
    let electorate = state
        .pioneers
        .values()
        .filter(|pioneer| state.in_good_standing(pioneer.id))
        .map(|pioneer| Elector {
            pioneer_id: pioneer.id,
            college: pioneer.college.clone(),
        })
        .collect();
    let college_weights = match command.kind {
        BallotKind::Community => Vec::new(),
        BallotKind::Assembly => state
            .statutes
            .colleges
            .iter()
            .map(|college| CollegeWeight {
                college: college.name.clone(),
                vote_weight_percent: college.vote_weight_percent,
            })
            .collect(),
    };
    Ok(vec![
        BallotOpened {
            ballot_id: command.ballot_id,
            question: command.question.clone(),
            options: command.options.clone(),
            method: command.method,
            kind: command.kind,
            closes_at: command.closes_at,
            electorate,
            college_weights,
        }
        .into(),
    ])
}

pub fn vote(
    state: &CommunityState,
    command: &CastVote,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let ballot = open_ballot_of(state, command.ballot_id)?;
    let opened = &ballot.opened;
    if now >= opened.closes_at {
        return Err(Rejection::BallotClosed {
            ballot: command.ballot_id,
        });
    }
    if !opened
        .electorate
        .iter()
        .any(|elector| elector.pioneer_id == command.voter)
    {
        return Err(Rejection::NotInElectorate {
            voter: command.voter,
        });
    }
    if !state.in_good_standing(command.voter) {
        return Err(Rejection::NotInGoodStanding {
            pioneer: command.voter,
        });
    }
    let known = |option: &String| opened.options.iter().any(|o| o.option_id == *option);
    let chosen: Vec<&String> = match (&command.choice, opened.method) {
        (Choice::Single { option_id }, VotingMethod::Single) => vec![option_id],
        (Choice::Approval { option_ids }, VotingMethod::Approval) => option_ids.iter().collect(),
        (Choice::Ranked { ranking }, VotingMethod::Ranked) => ranking.iter().collect(),
        _ => {
            return Err(Rejection::ChoiceMethod {
                method: method_name(opened.method),
            });
        }
    };
    if chosen.is_empty() {
        return Err(Rejection::ChoiceMethod {
            method: method_name(opened.method),
        });
    }
    let mut seen = BTreeSet::new();
    for option in chosen {
        if !known(option) {
            return Err(Rejection::UnknownOption {
                option: option.clone(),
            });
        }
        if !seen.insert(option) {
            return Err(Rejection::DuplicateOption {
                option: option.clone(),
            });
        }
    }
    Ok(vec![
        VoteCast {
            ballot_id: command.ballot_id,
            voter: command.voter,
            choice: command.choice.clone(),
        }
        .into(),
    ])
}

pub fn close(
    state: &CommunityState,
    command: &CloseBallot,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let ballot = open_ballot_of(state, command.ballot_id)?;
    if command.closed_by == Closure::Schedule && now < ballot.opened.closes_at {
        return Err(Rejection::BallotNotDue {
            ballot: command.ballot_id,
        });
    }
    let result = tally(ballot);
    let mut events: Vec<Event> = vec![
        BallotClosed {
            ballot_id: command.ballot_id,
            closed_by: command.closed_by,
            votes_counted: result.votes_counted,
            results: result.results,
            winner: result.winner.clone(),
        }
        .into(),
    ];
    // A winning project that is still only proposed becomes selected.
    let winning_project = result.winner.as_ref().and_then(|winner| {
        ballot
            .opened
            .options
            .iter()
            .find(|option| option.option_id == *winner)
            .and_then(|option| option.project_id)
    });
    if let Some(project_id) = winning_project
        && state
            .projects
            .get(project_id)
            .is_some_and(|project| project.status() == ProjectStatus::Proposed)
    {
        let select = ChangeProjectStatus {
            project_id,
            to: ProjectStatus::Selected,
            reason: Some(format!("won ballot {}", command.ballot_id)),
        };
        events.push(status_change(state, &select)?);
    }
    Ok(events)
}
