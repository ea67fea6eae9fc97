//! Ballots: opened by the gardener with their electorate and
//! rules frozen, voted on by members in good standing (a revote replaces
//! the earlier vote; both stay in the log), closed by the gardener or, once
//! the close time has passed, by the service. A winning project becomes
//! selected.

use std::collections::BTreeSet;

use agora_events::{
    AssemblyId, BallotClosed, BallotId, BallotKind, BallotOpened, BallotOption, Choice, Closure,
    CollegeWeight, Elector, Event, PioneerId, ProjectStatus, Sealed, Timestamp, VoteCast,
    VotingMethod,
};
use agora_projections::{Ballot, CommunityState};

use super::projects::{ChangeProjectStatus, status_change};
use super::sealing::BallotKey;
use super::tally::{choices, tally_of};
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
    /// Its votes are to be sealed: the ledger made it a key.
    pub sealed: bool,
    /// The assembly session it belongs to, held with its quorum: its
    /// electorate is then the members who attended.
    pub assembly_id: Option<AssemblyId>,
    /// It elects the community's representative among the candidates.
    pub election: Option<agora_events::Election>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastVote {
    pub ballot_id: BallotId,
    pub voter: PioneerId,
    pub choice: Choice,
    /// The choice sealed with the ballot's key: what is recorded. The
    /// ledger seals it; `None` for ballots opened before votes were sealed.
    pub sealed: Option<Sealed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseBallot {
    pub ballot_id: BallotId,
    pub closed_by: Closure,
    /// The ballot's key, which the closing reveals: the ledger supplies it.
    pub key: Option<BallotKey>,
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
    let mut projects_seen = BTreeSet::new();
    for option in &command.options {
        line("options.option_id", &option.option_id, SHORT_TEXT_CHARS_MAX)?;
        line("options.label", &option.label, NAME_CHARS_MAX)?;
        if !seen.insert(option.option_id.as_str()) {
            return Err(Rejection::DuplicateOption {
                field: "options.option_id",
                option: option.option_id.clone(),
            });
        }
        if let Some(project_id) = option.project_id {
            if !projects_seen.insert(project_id) {
                return Err(Rejection::DuplicateOption {
                    field: "options.project_id",
                    option: format!("project {project_id}"),
                });
            }
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
    if let Some(election) = command.election {
        super::assemblies::election_rules(state, election, command.assembly_id, &command.options)?;
    }
    // A session's ballot is for those who attended it.
    let session = match command.assembly_id {
        Some(assembly_id) => Some(super::assemblies::in_session(state, assembly_id)?),
        None => None,
    };
    // The electorate and the weights are frozen now: later admissions,
    // departures or amendments do not change this ballot.
    let electorate = state
        .pioneers
        .values()
        .filter(|pioneer| state.in_good_standing(pioneer.id))
        .filter(|pioneer| session.is_none_or(|session| session.attended_by(pioneer.id)))
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
            sealed: command.sealed,
            assembly_id: command.assembly_id,
            election: command.election,
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
    // The electorate was frozen at opening: a charter amended or a share
    // redeemed since does not take the vote away; leaving or exclusion does.
    if !state
        .pioneer(command.voter)
        .is_some_and(|pioneer| pioneer.is_active())
    {
        return Err(Rejection::PioneerGone {
            pioneer: command.voter,
        });
    }
    // A ballot opened sealed takes only sealed votes: a service that lacks
    // its key refuses rather than record a choice in clear.
    if opened.sealed && command.sealed.is_none() {
        return Err(Rejection::SealedVotesUnreadable {
            ballot: command.ballot_id,
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
        return Err(Rejection::NoOptionChosen {
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
                field: "choice",
                option: option.clone(),
            });
        }
    }
    Ok(vec![
        VoteCast {
            ballot_id: command.ballot_id,
            voter: command.voter,
            // Sealed when the ballot has a key: nobody reads it before the
            // close.
            choice: command.sealed.is_none().then(|| command.choice.clone()),
            sealed_choice: command.sealed.clone(),
        }
        .into(),
    ])
}

/// The options of an election whose candidates left the community since
/// it opened: none for another ballot.
fn withdrawn_candidates(state: &CommunityState, opened: &BallotOpened) -> Vec<String> {
    if opened.election.is_none() {
        return Vec::new();
    }
    opened
        .options
        .iter()
        .filter(|option| {
            let candidate = option.option_id.parse().ok().map(PioneerId);
            !candidate
                .and_then(|id| state.pioneer(id))
                .is_some_and(|pioneer| pioneer.is_active())
        })
        .map(|option| option.option_id.clone())
        .collect()
}

pub fn close(
    state: &CommunityState,
    command: &CloseBallot,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let ballot = open_ballot_of(state, command.ballot_id)?;
    super::assemblies::session_may_close(state, command.ballot_id)?;
    if command.closed_by == Closure::Schedule && now < ballot.opened.closes_at {
        return Err(Rejection::BallotNotDue {
            ballot: command.ballot_id,
        });
    }
    let votes = choices(ballot, command.key.as_ref()).ok_or(Rejection::SealedVotesUnreadable {
        ballot: command.ballot_id,
    })?;
    let withdrawn = withdrawn_candidates(state, &ballot.opened);
    let result = tally_of(&ballot.opened, &votes, &withdrawn);
    let mut events: Vec<Event> = vec![
        BallotClosed {
            ballot_id: command.ballot_id,
            closed_by: command.closed_by,
            votes_counted: result.votes_counted,
            results: result.results,
            winner: result.winner.clone(),
            withdrawn,
            ballot_key: command.key.as_ref().map(BallotKey::to_text),
        }
        .into(),
    ];
    // An election grants its winner the representative's mandate; the
    // count left out candidates who are no longer members.
    if let Some(election) = ballot.opened.election {
        events.extend(
            super::assemblies::mandate(command.ballot_id, election, result.winner.as_deref(), now)
                .filter(|granted| {
                    state
                        .pioneer(granted.pioneer_id)
                        .is_some_and(|pioneer| pioneer.is_active())
                })
                .map(Event::from),
        );
    }
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

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::{BallotId, BallotKind, Choice, Closure, VotingMethod};
    use uuid::Uuid;

    const BALLOT: BallotId = BallotId::from_uuid(Uuid::from_u128(0xba));

    fn vote(voter: PioneerId, choice: Choice) -> Command {
        Command::CastVote(CastVote {
            ballot_id: BALLOT,
            voter,
            choice,
            sealed: None,
        })
    }

    fn single(option: &str) -> Choice {
        Choice::Single {
            option_id: option.into(),
        }
    }

    fn close(closed_by: Closure) -> Command {
        Command::CloseBallot(CloseBallot {
            ballot_id: BALLOT,
            closed_by,
            key: None,
        })
    }

    /// Three members, two proposed projects, and an open ballot between them.
    fn open_ballot(method: VotingMethod, kind: BallotKind) -> Vec<Event> {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        history.push(proposed(PROJECT_B, BRUNO));
        let options = vec![option("a", Some(PROJECT_A)), option("b", Some(PROJECT_B))];
        history.extend(
            given(&history)
                .when(open_ballot_command(BALLOT, method, kind, options))
                .events(),
        );
        history
    }

    fn then_closed(history: &[Event], at: &str, by: Closure) -> Vec<Event> {
        decide_at(history, close(by), at).unwrap()
    }

    #[test]
    fn opening_freezes_the_electorate_of_members_in_good_standing() {
        let mut history = community_of_three();
        let newcomer = PioneerId::from_uuid(Uuid::from_u128(0x77));
        history.push(admitted(newcomer, "founders"));
        history.push(proposed(PROJECT_A, ALICE));
        let options = vec![option("a", Some(PROJECT_A)), option("b", None)];
        let events = given(&history)
            .when(open_ballot_command(
                BALLOT,
                VotingMethod::Single,
                BallotKind::Community,
                options,
            ))
            .then_events(&["BallotOpened"]);
        let Event::BallotOpened(opened) = &events[0] else {
            unreachable!()
        };
        let electorate: Vec<PioneerId> = opened.electorate.iter().map(|e| e.pioneer_id).collect();
        assert_eq!(electorate.len(), 3);
        assert!(!electorate.contains(&newcomer));
    }

    #[test]
    fn a_ballot_needs_distinct_options_and_a_future_close_time() {
        let history = community_of_three();
        let open = |options| {
            open_ballot_command(BALLOT, VotingMethod::Single, BallotKind::Community, options)
        };
        given(&history)
            .when(open(vec![option("a", None)]))
            .then_rule("ballot-option-count");
        given(&history)
            .when(open(vec![option("a", None), option("a", None)]))
            .then_rule("ballot-option-unique");
        // Two options for one project would split its votes.
        let mut with_project = history.clone();
        with_project.push(proposed(PROJECT_A, ALICE));
        given(&with_project)
            .when(open(vec![
                option("a", Some(PROJECT_A)),
                option("b", Some(PROJECT_A)),
            ]))
            .then_err(Rejection::DuplicateOption {
                field: "options.project_id",
                option: format!("project {PROJECT_A}"),
            });
        let late = decide_at(
            &history,
            open(vec![option("a", None), option("b", None)]),
            "2026-12-02T00:00:00Z",
        );
        assert_eq!(late, Err(Rejection::CloseTimeInPast));
    }

    #[test]
    fn only_the_electorate_votes_and_only_while_open() {
        let history = open_ballot(VotingMethod::Single, BallotKind::Community);
        let stranger = PioneerId::from_uuid(Uuid::from_u128(0x99));
        given(&history)
            .when(vote(stranger, single("a")))
            .then_err(Rejection::NotInElectorate { voter: stranger });
        let after_close = decide_at(&history, vote(ALICE, single("a")), "2026-12-01T12:00:00Z");
        assert_eq!(after_close, Err(Rejection::BallotClosed { ballot: BALLOT }));
    }

    #[test]
    fn a_sealed_ballot_records_only_sealed_votes() {
        let mut history = community_of_three();
        let options = vec![option("a", None), option("b", None)];
        let Command::OpenBallot(mut open) =
            open_ballot_command(BALLOT, VotingMethod::Single, BallotKind::Community, options)
        else {
            unreachable!()
        };
        open.sealed = true;
        history.extend(given(&history).when(Command::OpenBallot(open)).events());
        let key = super::BallotKey::from_bytes([9; 32]);
        let sealed = key.seal(ALICE, &single("a"), [3; 24]);

        given(&history)
            .when(vote(ALICE, single("a")))
            .then_err(Rejection::SealedVotesUnreadable { ballot: BALLOT });
        let events = given(&history)
            .when(Command::CastVote(CastVote {
                ballot_id: BALLOT,
                voter: ALICE,
                choice: single("a"),
                sealed: Some(sealed.clone()),
            }))
            .then_events(&["VoteCast"]);
        let Event::VoteCast(cast) = &events[0] else {
            unreachable!()
        };
        assert_eq!(cast.choice, None);
        assert_eq!(cast.sealed_choice, Some(sealed));
        history.extend(events);

        // Closing needs the key, and reveals it.
        given(&history)
            .when(close(Closure::Gardener))
            .then_err(Rejection::SealedVotesUnreadable { ballot: BALLOT });
        let closing = decide_at(
            &history,
            Command::CloseBallot(CloseBallot {
                ballot_id: BALLOT,
                closed_by: Closure::Gardener,
                key: Some(key.clone()),
            }),
            "2026-11-30T00:00:00Z",
        )
        .unwrap();
        let Event::BallotClosed(closed) = &closing[0] else {
            unreachable!()
        };
        assert_eq!(closed.winner.as_deref(), Some("a"));
        assert_eq!(closed.ballot_key, Some(key.to_text()));
    }

    #[test]
    fn a_voter_who_left_or_was_excluded_cannot_vote() {
        let mut history = open_ballot(VotingMethod::Single, BallotKind::Community);
        history.push(left(ALICE));
        history.push(excluded(BRUNO));
        for voter in [ALICE, BRUNO] {
            given(&history)
                .when(vote(voter, single("a")))
                .then_err(Rejection::PioneerGone { pioneer: voter });
        }
    }

    #[test]
    fn the_electorate_frozen_at_opening_keeps_its_vote_after_an_amended_charter() {
        let mut history = open_ballot(VotingMethod::Single, BallotKind::Community);
        let mut amended = statutes();
        amended.charter_version = "2027".into();
        history.extend(
            given(&history)
                .when(amend_statutes(amended, "nouvelle charte"))
                .events(),
        );
        // Nobody accepted the 2027 charter: no one is in good standing now.
        history.extend(given(&history).when(vote(ALICE, single("a"))).events());

        let closed = closed(&history);

        assert_eq!(closed.votes_counted, 1);
        assert_eq!(closed.winner.as_deref(), Some("a"));
    }

    #[test]
    fn a_choice_must_fit_the_method_and_name_known_options_once() {
        let history = open_ballot(VotingMethod::Ranked, BallotKind::Community);
        given(&history)
            .when(vote(ALICE, single("a")))
            .then_rule("choice-fits-method");
        given(&history)
            .when(vote(
                ALICE,
                Choice::Ranked {
                    ranking: vec!["a".into(), "z".into()],
                },
            ))
            .then_rule("ballot-option-unknown");
        given(&history)
            .when(vote(
                ALICE,
                Choice::Ranked {
                    ranking: vec!["a".into(), "a".into()],
                },
            ))
            .then_err(Rejection::DuplicateOption {
                field: "choice",
                option: "a".into(),
            });
        given(&history)
            .when(vote(ALICE, Choice::Ranked { ranking: vec![] }))
            .then_err(Rejection::NoOptionChosen { method: "ranked" });
    }

    #[test]
    fn a_revote_replaces_the_earlier_vote_and_the_winner_is_selected() {
        let mut history = open_ballot(VotingMethod::Single, BallotKind::Community);
        for (voter, choice) in [(ALICE, "a"), (BRUNO, "b"), (CLARA, "a"), (ALICE, "b")] {
            history.extend(given(&history).when(vote(voter, single(choice))).events());
        }

        let events = then_closed(&history, "2026-11-30T00:00:00Z", Closure::Gardener);

        let types: Vec<&str> = events.iter().map(Event::event_type).collect();
        assert_eq!(types, ["BallotClosed", "ProjectStatusChanged"]);
        let Event::BallotClosed(closed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(closed.votes_counted, 3);
        assert_eq!(closed.winner.as_deref(), Some("b"));
        assert_eq!(closed.results[0].score, "2");
        let Event::ProjectStatusChanged(selected) = &events[1] else {
            unreachable!()
        };
        assert_eq!(selected.project_id, PROJECT_B);
    }

    #[test]
    fn a_tie_has_no_winner_and_selects_nothing() {
        let mut history = open_ballot(VotingMethod::Approval, BallotKind::Community);
        let both = Choice::Approval {
            option_ids: vec!["a".into(), "b".into()],
        };
        history.extend(given(&history).when(vote(ALICE, both)).events());
        let events = then_closed(&history, "2026-11-30T00:00:00Z", Closure::Gardener);
        assert_eq!(events.len(), 1);
        let Event::BallotClosed(closed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(closed.winner, None);
    }

    #[test]
    fn the_service_closes_a_ballot_only_once_its_close_time_has_passed() {
        let history = open_ballot(VotingMethod::Single, BallotKind::Community);
        let early = decide_at(&history, close(Closure::Schedule), "2026-12-01T11:59:59Z");
        assert_eq!(early, Err(Rejection::BallotNotDue { ballot: BALLOT }));
        let due = then_closed(&history, "2026-12-01T12:00:00Z", Closure::Schedule);
        assert_eq!(due[0].event_type(), "BallotClosed");
        let mut closed = history.clone();
        closed.extend(due);
        given(&closed)
            .when(close(Closure::Gardener))
            .then_err(Rejection::BallotClosed { ballot: BALLOT });
    }

    /// The three members, `more` members, two projects, an open assembly
    /// ballot between them, and the `votes` cast.
    fn assembly_ballot_voted(
        more: &[(PioneerId, &str)],
        votes: &[(PioneerId, &str)],
    ) -> Vec<Event> {
        let mut history = community_of_three();
        for (pioneer, college) in more {
            history.extend(member(*pioneer, college));
        }
        history.push(proposed(PROJECT_A, ALICE));
        history.push(proposed(PROJECT_B, BRUNO));
        let options = vec![option("a", Some(PROJECT_A)), option("b", Some(PROJECT_B))];
        history.extend(
            given(&history)
                .when(open_ballot_command(
                    BALLOT,
                    VotingMethod::Single,
                    BallotKind::Assembly,
                    options,
                ))
                .events(),
        );
        for (voter, choice) in votes {
            history.extend(given(&history).when(vote(*voter, single(choice))).events());
        }
        history
    }

    fn closed(history: &[Event]) -> agora_events::BallotClosed {
        let events = then_closed(history, "2026-11-30T00:00:00Z", Closure::Gardener);
        let Event::BallotClosed(closed) = &events[0] else {
            unreachable!()
        };
        closed.clone()
    }

    #[test]
    fn an_assembly_ballot_weighs_each_college_by_the_statutes() {
        // Founders (25%): Alice for a. Partners (25%): Bruno for a.
        // Beneficiaries (25%): Clara, Dora and Emile for b. Employees: nobody.
        // By head b would win 3 to 2; by college a wins 50 to 25.
        let dora = PioneerId::from_uuid(Uuid::from_u128(0xd0));
        let emile = PioneerId::from_uuid(Uuid::from_u128(0xe0));
        let history = assembly_ballot_voted(
            &[(dora, "beneficiaries"), (emile, "beneficiaries")],
            &[
                (ALICE, "a"),
                (BRUNO, "a"),
                (CLARA, "b"),
                (dora, "b"),
                (emile, "b"),
            ],
        );

        let closed = closed(&history);

        assert_eq!(closed.winner.as_deref(), Some("a"));
        assert_eq!(closed.results[0].score, "50");
        assert_eq!(closed.results[1].score, "25");
    }

    #[test]
    fn college_shares_are_exact_fractions_so_equal_weights_tie() {
        // Founders (25%): Alice for a. Beneficiaries (25%): Clara, Dora and
        // Emile for b, 25/3 % each. Exactly 25 against 25: no winner, though
        // 25/3 written in decimals and added three times falls short of 25.
        let dora = PioneerId::from_uuid(Uuid::from_u128(0xd0));
        let emile = PioneerId::from_uuid(Uuid::from_u128(0xe0));
        let history = assembly_ballot_voted(
            &[(dora, "beneficiaries"), (emile, "beneficiaries")],
            &[(ALICE, "a"), (CLARA, "b"), (dora, "b"), (emile, "b")],
        );

        let closed = closed(&history);

        assert_eq!(closed.winner, None);
        assert_eq!(closed.results[0].score, "25");
        assert_eq!(closed.results[1].score, "25");
        assert_eq!(
            closed.results[0].option_id, "a",
            "ties keep the ballot's order"
        );
    }

    #[test]
    fn a_ranked_ballot_without_an_option_beating_all_others_has_no_winner() {
        // C>A>B and A>B>C: A beats B, but A and C tie; nobody beats everyone.
        let mut history = community_of_three();
        let options = vec![option("a", None), option("b", None), option("c", None)];
        history.extend(
            given(&history)
                .when(open_ballot_command(
                    BALLOT,
                    VotingMethod::Ranked,
                    BallotKind::Community,
                    options,
                ))
                .events(),
        );
        let rank = |order: &[&str]| Choice::Ranked {
            ranking: order.iter().map(|o| o.to_string()).collect(),
        };
        for (voter, order) in [(ALICE, ["c", "a", "b"]), (BRUNO, ["a", "b", "c"])] {
            history.extend(given(&history).when(vote(voter, rank(&order))).events());
        }

        let events = then_closed(&history, "2026-11-30T00:00:00Z", Closure::Gardener);

        let Event::BallotClosed(closed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(closed.winner, None);
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn a_ranked_ballot_is_won_by_the_schulze_winner() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        let options = vec![
            option("a", Some(PROJECT_A)),
            option("b", None),
            option("c", None),
        ];
        history.extend(
            given(&history)
                .when(open_ballot_command(
                    BALLOT,
                    VotingMethod::Ranked,
                    BallotKind::Community,
                    options,
                ))
                .events(),
        );
        let rank = |order: &[&str]| Choice::Ranked {
            ranking: order.iter().map(|o| o.to_string()).collect(),
        };
        for (voter, order) in [
            (ALICE, ["a", "b", "c"]),
            (BRUNO, ["b", "a", "c"]),
            (CLARA, ["a", "c", "b"]),
        ] {
            history.extend(given(&history).when(vote(voter, rank(&order))).events());
        }

        let events = then_closed(&history, "2026-11-30T00:00:00Z", Closure::Gardener);

        let Event::BallotClosed(closed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(closed.winner.as_deref(), Some("a"));
        let order: Vec<&str> = closed
            .results
            .iter()
            .map(|r| r.option_id.as_str())
            .collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(events[1].event_type(), "ProjectStatusChanged");
    }
}
