//! General assemblies. The assembly is convened with a date, a place and an
//! agenda, at least the notice the statutes require ahead; once held, its
//! attendance sheet is recorded (members present, members represented by a
//! present one within the statutes' limit of proxies each) and with it
//! whether the quorum was met (a share of the members on first
//! convocation, none on the second, which may follow only a first that
//! missed it). A session held with its quorum may hold ballots (whose
//! electorate is those who attended) and decide allocations; its signed
//! minutes are recorded by their SHA-256.
//!
//! Once a community records assemblies, allocations and statute
//! amendments cite the decision in the ledger (a ballot, or a session)
//! rather than a free-text reference.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::{
    AssemblyConvened, AssemblyId, AssemblyKind, AttendanceRecorded, BallotId, CandidacyDeclared,
    CandidacyWithdrawn, Decision, Election, Event, Hash, MandateGranted, MinutesRecorded,
    PioneerId, Proxy, Timestamp,
};
use agora_projections::{Assembly, CommunityState};

use super::Rejection;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, REFERENCE_CHARS_MAX, line, paragraph};

/// Most items on an agenda.
pub const AGENDA_ITEMS_MAX: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConveneAssembly {
    pub assembly_id: AssemblyId,
    pub kind: AssemblyKind,
    pub held_at: Timestamp,
    pub place: String,
    pub agenda: Vec<String>,
    pub second_convocation_of: Option<AssemblyId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAttendance {
    pub assembly_id: AssemblyId,
    pub present: Vec<PioneerId>,
    pub represented: Vec<Proxy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMinutes {
    pub assembly_id: AssemblyId,
    pub sha256: Hash,
    pub reference: String,
}

pub(super) fn assembly(state: &CommunityState, id: AssemblyId) -> Result<&Assembly, Rejection> {
    state
        .assemblies
        .get(id)
        .ok_or(Rejection::AssemblyNotFound { assembly: id })
}

/// The assembly, held with its quorum: its session may decide.
pub(super) fn in_session(state: &CommunityState, id: AssemblyId) -> Result<&Assembly, Rejection> {
    let assembly = assembly(state, id)?;
    if !assembly.quorum_met() {
        return Err(Rejection::AssemblyQuorumNotMet { assembly: id });
    }
    Ok(assembly)
}

/// A decision an allocation or an amendment cites: a ballot or a session
/// of the ledger; a free-text reference only while the community records
/// no assembly.
pub(super) fn cited(state: &CommunityState, decision: &Decision) -> Result<(), Rejection> {
    match decision {
        Decision::Session { assembly_id } => in_session(state, *assembly_id).map(|_| ()),
        Decision::Ballot { ballot_id } => {
            let ballot = state
                .ballots
                .get(*ballot_id)
                .ok_or(Rejection::BallotNotFound { ballot: *ballot_id })?;
            let undecided = |why| Rejection::DecisionNotTaken {
                ballot: *ballot_id,
                why,
            };
            match &ballot.closed {
                None => Err(undecided("it is still open")),
                Some((_, closed)) if closed.winner.is_none() => {
                    Err(undecided("it closed without a winner"))
                }
                Some(_) => Ok(()),
            }
        }
        Decision::Assembly { reference } => {
            if !state.assemblies.by_id.is_empty() {
                return Err(Rejection::DecisionNotInTheLedger);
            }
            line("decision.reference", reference, REFERENCE_CHARS_MAX)
        }
    }
}

pub fn convene(
    state: &CommunityState,
    command: &ConveneAssembly,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let notice = state.statutes.assembly_notice_days();
    let earliest = Timestamp::new(now.instant() + chrono::Duration::days(i64::from(notice)));
    if command.held_at < earliest {
        return Err(Rejection::AssemblyNoticeTooShort {
            days: notice,
            earliest,
        });
    }
    line("place", &command.place, NAME_CHARS_MAX)?;
    if command.agenda.is_empty() {
        return Err(Rejection::BlankText { field: "agenda" });
    }
    if command.agenda.len() > AGENDA_ITEMS_MAX {
        return Err(Rejection::TooManyItems {
            field: "agenda",
            max: AGENDA_ITEMS_MAX,
        });
    }
    for item in &command.agenda {
        line("agenda", item, NAME_CHARS_MAX)?;
    }
    if let Some(first) = command.second_convocation_of {
        let missed = assembly(state, first)?;
        let quorum_missed = missed
            .attendance
            .as_ref()
            .is_some_and(|(_, attendance)| !attendance.quorum_met);
        let already = state
            .assemblies
            .by_id
            .values()
            .any(|other| other.convened.second_convocation_of == Some(first));
        if !quorum_missed || already || missed.convened.second_convocation_of.is_some() {
            return Err(Rejection::NoSecondConvocation { assembly: first });
        }
        if missed.convened.kind != command.kind {
            return Err(Rejection::NoSecondConvocation { assembly: first });
        }
    }
    Ok(vec![
        AssemblyConvened {
            assembly_id: command.assembly_id,
            kind: command.kind,
            held_at: command.held_at,
            place: command.place.clone(),
            agenda: command.agenda.clone(),
            second_convocation_of: command.second_convocation_of,
        }
        .into(),
    ])
}

pub fn record_attendance(
    state: &CommunityState,
    command: &RecordAttendance,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let assembly = assembly(state, command.assembly_id)?;
    if now < assembly.convened.held_at {
        return Err(Rejection::AssemblyNotHeldYet {
            assembly: command.assembly_id,
        });
    }
    if assembly.attendance.is_some() {
        return Err(Rejection::AttendanceAlreadyRecorded {
            assembly: command.assembly_id,
        });
    }
    let member = |id: PioneerId| match state.pioneer(id) {
        Some(pioneer) if pioneer.is_active() => Ok(()),
        Some(_) => Err(Rejection::PioneerGone { pioneer: id }),
        None => Err(Rejection::PioneerNotFound { pioneer: id }),
    };
    let mut listed = BTreeSet::new();
    for &id in &command.present {
        member(id)?;
        if !listed.insert(id) {
            return Err(Rejection::DuplicateAttendee { pioneer: id });
        }
    }
    let present: BTreeSet<PioneerId> = command.present.iter().copied().collect();
    let max = state.statutes.proxies_per_member_max();
    let mut held: BTreeMap<PioneerId, u8> = BTreeMap::new();
    for proxy in &command.represented {
        member(proxy.member)?;
        if !listed.insert(proxy.member) {
            return Err(Rejection::DuplicateAttendee {
                pioneer: proxy.member,
            });
        }
        if !present.contains(&proxy.proxy) {
            return Err(Rejection::ProxyNotPresent { proxy: proxy.proxy });
        }
        let count = held.entry(proxy.proxy).or_default();
        *count += 1;
        if *count > max {
            return Err(Rejection::TooManyProxies {
                proxy: proxy.proxy,
                max,
            });
        }
    }
    let members = state
        .pioneers
        .values()
        .filter(|pioneer| pioneer.is_active())
        .count() as u32;
    let quorum_required = match assembly.convened.second_convocation_of {
        Some(_) => 0,
        None => (members * u32::from(state.statutes.assembly_quorum_percent())).div_ceil(100),
    };
    let attending = listed.len() as u32;
    Ok(vec![
        AttendanceRecorded {
            assembly_id: command.assembly_id,
            present: command.present.clone(),
            represented: command.represented.clone(),
            members,
            quorum_required,
            quorum_met: attending >= quorum_required,
        }
        .into(),
    ])
}

pub fn record_minutes(
    state: &CommunityState,
    command: &RecordMinutes,
) -> Result<Vec<Event>, Rejection> {
    let assembly = assembly(state, command.assembly_id)?;
    if assembly.attendance.is_none() {
        return Err(Rejection::AssemblyNotHeldYet {
            assembly: command.assembly_id,
        });
    }
    if assembly.minutes.is_some() {
        return Err(Rejection::MinutesAlreadyRecorded {
            assembly: command.assembly_id,
        });
    }
    line("reference", &command.reference, REFERENCE_CHARS_MAX)?;
    Ok(vec![
        MinutesRecorded {
            assembly_id: command.assembly_id,
            sha256: command.sha256,
            reference: command.reference.clone(),
        }
        .into(),
    ])
}

/// Longest mandate of the representative, in months.
pub const TERM_MONTHS_MAX: u16 = 72;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclareCandidacy {
    pub pioneer_id: PioneerId,
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawCandidacy {
    pub pioneer_id: PioneerId,
}

fn no_election_under_way(state: &CommunityState) -> Result<(), Rejection> {
    match state.representation.election {
        Some(ballot) => Err(Rejection::ElectionUnderWay { ballot }),
        None => Ok(()),
    }
}

pub fn declare_candidacy(
    state: &CommunityState,
    command: &DeclareCandidacy,
) -> Result<Vec<Event>, Rejection> {
    let pioneer = command.pioneer_id;
    if !state.in_good_standing(pioneer) {
        return Err(Rejection::NotInGoodStanding { pioneer });
    }
    no_election_under_way(state)?;
    if state.representation.candidates.contains_key(&pioneer) {
        return Err(Rejection::AlreadyCandidate { pioneer });
    }
    paragraph("statement", &command.statement, LONG_TEXT_CHARS_MAX)?;
    Ok(vec![
        CandidacyDeclared {
            pioneer_id: pioneer,
            statement: command.statement.clone(),
        }
        .into(),
    ])
}

pub fn withdraw_candidacy(
    state: &CommunityState,
    command: &WithdrawCandidacy,
) -> Result<Vec<Event>, Rejection> {
    let pioneer = command.pioneer_id;
    no_election_under_way(state)?;
    if !state.representation.candidates.contains_key(&pioneer) {
        return Err(Rejection::NotCandidate { pioneer });
    }
    Ok(vec![
        CandidacyWithdrawn {
            pioneer_id: pioneer,
        }
        .into(),
    ])
}

/// The rules of an election ballot: held in an assembly session, none
/// other under way, a term in range, and one option per candidate, each
/// named by the candidate's id.
pub(super) fn election_rules(
    state: &CommunityState,
    election: Election,
    assembly_id: Option<AssemblyId>,
    options: &[agora_events::BallotOption],
) -> Result<(), Rejection> {
    if assembly_id.is_none() {
        return Err(Rejection::ElectionOutsideSession);
    }
    no_election_under_way(state)?;
    if !(1..=TERM_MONTHS_MAX).contains(&election.term_months) {
        return Err(Rejection::ElectionTerm {
            months: election.term_months,
            max: TERM_MONTHS_MAX,
        });
    }
    let named: BTreeSet<Option<PioneerId>> = options
        .iter()
        .map(|option| option.option_id.parse().ok().map(PioneerId))
        .collect();
    let candidates: BTreeSet<Option<PioneerId>> = state
        .representation
        .candidates
        .keys()
        .map(|&id| Some(id))
        .collect();
    if named != candidates || named.len() != options.len() {
        return Err(Rejection::ElectionCandidates);
    }
    Ok(())
}

/// The mandate an election's close grants its winner, `term_months` from
/// `now`.
pub(super) fn mandate(
    ballot_id: BallotId,
    election: Election,
    winner: Option<&str>,
    now: Timestamp,
) -> Option<MandateGranted> {
    let pioneer_id = PioneerId(winner?.parse().ok()?);
    let until = now
        .instant()
        .checked_add_months(chrono::Months::new(u32::from(election.term_months)))?;
    Some(MandateGranted {
        pioneer_id,
        ballot_id,
        until: Timestamp::new(until),
    })
}

/// Whether ballot `id` belongs to an assembly session that may close it.
pub(super) fn session_may_close(state: &CommunityState, id: BallotId) -> Result<(), Rejection> {
    let session = state
        .ballots
        .get(id)
        .and_then(|ballot| ballot.opened.assembly_id);
    match session {
        Some(assembly_id) => in_session(state, assembly_id).map(|_| ()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::*;
    use agora_events::{BallotKind, VotingMethod};
    use uuid::Uuid;

    const FIRST: AssemblyId = AssemblyId::from_uuid(Uuid::from_u128(0xa6));
    const SECOND: AssemblyId = AssemblyId::from_uuid(Uuid::from_u128(0xa62));

    fn convene_command(held_at: &str, second: Option<AssemblyId>) -> ConveneAssembly {
        ConveneAssembly {
            assembly_id: if second.is_some() { SECOND } else { FIRST },
            kind: AssemblyKind::Ordinary,
            held_at: held_at.parse().unwrap(),
            place: "Salle des fêtes de Chambéry".into(),
            agenda: vec!["Rapport moral".into(), "Affectation des fonds".into()],
            second_convocation_of: second,
        }
    }

    /// Alice, Bruno and Clara, and an assembly held the day before `now()`.
    fn held() -> Vec<Event> {
        let mut history = community_of_three();
        history.push(
            AssemblyConvened {
                assembly_id: FIRST,
                kind: AssemblyKind::Ordinary,
                held_at: "2026-11-27T18:00:00Z".parse().unwrap(),
                place: "Salle des fêtes".into(),
                agenda: vec!["Rapport moral".into()],
                second_convocation_of: None,
            }
            .into(),
        );
        history
    }

    fn attendance(present: &[PioneerId], represented: &[(PioneerId, PioneerId)]) -> Command {
        Command::RecordAttendance(RecordAttendance {
            assembly_id: FIRST,
            present: present.to_vec(),
            represented: represented
                .iter()
                .map(|&(member, proxy)| Proxy { member, proxy })
                .collect(),
        })
    }

    #[test]
    fn an_assembly_is_convened_with_the_statutes_notice() {
        // now() is 2026-11-28 at noon; 15 days of notice by default.
        given(&community_of_three())
            .when(Command::ConveneAssembly(convene_command(
                "2026-12-13T11:59:59Z",
                None,
            )))
            .then_rule("assembly-notice");
        given(&community_of_three())
            .when(Command::ConveneAssembly(convene_command(
                "2026-12-13T12:00:00Z",
                None,
            )))
            .then_events(&["AssemblyConvened"]);
        let mut empty = convene_command("2026-12-20T18:00:00Z", None);
        empty.agenda.clear();
        given(&community_of_three())
            .when(Command::ConveneAssembly(empty))
            .then_rule("text-blank");
    }

    #[test]
    fn attendance_counts_the_quorum_with_proxies_within_the_limit() {
        // Three members, 25 %: one present or represented is enough.
        let events = given(&held())
            .when(attendance(&[ALICE], &[(BRUNO, ALICE)]))
            .then_events(&["AttendanceRecorded"]);
        let Event::AttendanceRecorded(sheet) = &events[0] else {
            unreachable!()
        };
        assert_eq!(
            (sheet.members, sheet.quorum_required, sheet.quorum_met),
            (3, 1, true)
        );
        given(&held())
            .when(attendance(&[ALICE], &[(BRUNO, CLARA)]))
            .then_err(Rejection::ProxyNotPresent { proxy: CLARA });
        given(&held())
            .when(attendance(&[ALICE, BRUNO, ALICE], &[]))
            .then_err(Rejection::DuplicateAttendee { pioneer: ALICE });
        given(&held())
            .when(attendance(&[ALICE], &[(ALICE, ALICE)]))
            .then_err(Rejection::DuplicateAttendee { pioneer: ALICE });
        let mut strict = held();
        strict.insert(
            4,
            agora_events::StatutesAmended {
                statutes: Statutes {
                    proxies_per_member_max: Some(1),
                    ..statutes()
                },
                reason: "AG".into(),
                decision: None,
            }
            .into(),
        );
        given(&strict)
            .when(attendance(&[ALICE], &[(BRUNO, ALICE), (CLARA, ALICE)]))
            .then_err(Rejection::TooManyProxies {
                proxy: ALICE,
                max: 1,
            });
        let mut history = held();
        history.extend(given(&held()).when(attendance(&[ALICE], &[])).events());
        given(&history)
            .when(attendance(&[BRUNO], &[]))
            .then_rule("attendance-recorded");
    }

    #[test]
    fn an_assembly_not_yet_held_has_no_attendance() {
        let mut history = community_of_three();
        history.extend(
            given(&history)
                .when(Command::ConveneAssembly(convene_command(
                    "2026-12-20T18:00:00Z",
                    None,
                )))
                .events(),
        );
        given(&history)
            .when(attendance(&[ALICE], &[]))
            .then_err(Rejection::AssemblyNotHeldYet { assembly: FIRST });
    }

    #[test]
    fn without_quorum_nothing_is_decided_and_a_second_convocation_follows() {
        let mut history = held();
        // Nobody came: 0 of the 1 needed.
        history.extend(given(&history).when(attendance(&[], &[])).events());
        let state = given(&history).state();
        assert!(!state.assemblies.get(FIRST).unwrap().quorum_met());
        let mut ballot = open_ballot_command(
            agora_events::BallotId(Uuid::from_u128(0xb)),
            VotingMethod::Single,
            BallotKind::Assembly,
            vec![option("a", None), option("b", None)],
        );
        if let Command::OpenBallot(open) = &mut ballot {
            open.assembly_id = Some(FIRST);
        }
        given(&history)
            .when(ballot)
            .then_err(Rejection::AssemblyQuorumNotMet { assembly: FIRST });
        given(&history)
            .when(Command::AmendStatutes(AmendStatutes {
                statutes: renamed_statutes(),
                reason: "AG".into(),
                decision: Some(Decision::Session { assembly_id: FIRST }),
            }))
            .then_err(Rejection::AssemblyQuorumNotMet { assembly: FIRST });

        let second = convene_command("2026-12-20T18:00:00Z", Some(FIRST));
        history.extend(
            given(&history)
                .when(Command::ConveneAssembly(second.clone()))
                .then_events(&["AssemblyConvened"]),
        );
        // Only one second convocation.
        let mut third = second;
        third.assembly_id = AssemblyId(Uuid::from_u128(0xa63));
        given(&history)
            .when(Command::ConveneAssembly(third))
            .then_rule("second-convocation");
        // A second convocation needs no quorum: one present is enough, and
        // none would be too.
        let events = decide_at(
            &history,
            Command::RecordAttendance(RecordAttendance {
                assembly_id: SECOND,
                present: vec![],
                represented: vec![],
            }),
            "2026-12-20T20:00:00Z",
        )
        .unwrap();
        let Event::AttendanceRecorded(sheet) = &events[0] else {
            unreachable!()
        };
        assert_eq!((sheet.quorum_required, sheet.quorum_met), (0, true));
    }

    #[test]
    fn a_second_convocation_follows_only_an_assembly_that_missed_its_quorum() {
        let mut history = held();
        history.extend(given(&history).when(attendance(&[ALICE], &[])).events());
        given(&history)
            .when(Command::ConveneAssembly(convene_command(
                "2026-12-20T18:00:00Z",
                Some(FIRST),
            )))
            .then_err(Rejection::NoSecondConvocation { assembly: FIRST });
    }

    #[test]
    fn a_session_held_with_its_quorum_votes_among_those_who_attended() {
        let mut history = held();
        history.extend(
            given(&history)
                .when(attendance(&[ALICE], &[(BRUNO, ALICE)]))
                .events(),
        );
        let mut ballot = open_ballot_command(
            agora_events::BallotId(Uuid::from_u128(0xb)),
            VotingMethod::Single,
            BallotKind::Assembly,
            vec![option("a", None), option("b", None)],
        );
        if let Command::OpenBallot(open) = &mut ballot {
            open.assembly_id = Some(FIRST);
        }
        let events = given(&history).when(ballot).then_events(&["BallotOpened"]);
        let Event::BallotOpened(opened) = &events[0] else {
            unreachable!()
        };
        let electorate: Vec<PioneerId> = opened.electorate.iter().map(|e| e.pioneer_id).collect();
        assert_eq!(electorate, vec![BRUNO, ALICE], "Clara was absent (by id)");
        assert_eq!(opened.assembly_id, Some(FIRST));
    }

    #[test]
    fn once_assemblies_are_recorded_decisions_cite_them() {
        let mut history = held();
        history.extend(given(&history).when(attendance(&[ALICE], &[])).events());
        let amend = |decision| {
            Command::AmendStatutes(AmendStatutes {
                statutes: renamed_statutes(),
                reason: "AG".into(),
                decision,
            })
        };
        given(&history)
            .when(amend(None))
            .then_err(Rejection::DecisionNotInTheLedger);
        given(&history)
            .when(amend(Some(Decision::Assembly {
                reference: "PV du 27 novembre".into(),
            })))
            .then_err(Rejection::DecisionNotInTheLedger);
        given(&history)
            .when(amend(Some(Decision::Session { assembly_id: FIRST })))
            .then_events(&["StatutesAmended"]);
        // Before any is recorded, a reference in words still does.
        given(&community_of_three())
            .when(amend(None))
            .then_events(&["StatutesAmended"]);
    }

    /// A ballot decides once it is closed with a winner: an amendment may
    /// not cite one still open, or one that ended in a tie.
    #[test]
    fn an_amendment_cites_a_ballot_that_decided() {
        let ballot = agora_events::BallotId(Uuid::from_u128(0xd));
        let amend = Command::AmendStatutes(AmendStatutes {
            statutes: renamed_statutes(),
            reason: "vote".into(),
            decision: Some(Decision::Ballot { ballot_id: ballot }),
        });
        let vote = |voter: PioneerId, option: &str| {
            Command::CastVote(CastVote {
                ballot_id: ballot,
                voter,
                choice: agora_events::Choice::Single {
                    option_id: option.into(),
                },
                sealed: None,
            })
        };
        let close = Command::CloseBallot(CloseBallot {
            ballot_id: ballot,
            closed_by: agora_events::Closure::Gardener,
            key: None,
        });
        let mut open = community_of_three();
        open.extend(
            given(&open)
                .when(open_ballot_command(
                    ballot,
                    VotingMethod::Single,
                    BallotKind::Community,
                    vec![option("a", None), option("b", None)],
                ))
                .events(),
        );
        given(&open)
            .when(amend.clone())
            .then_err(Rejection::DecisionNotTaken {
                ballot,
                why: "it is still open",
            });
        for (votes, decided) in [
            (vec![(ALICE, "a"), (BRUNO, "b")], false),
            (vec![(ALICE, "a")], true),
        ] {
            let mut history = open.clone();
            for (voter, option) in votes {
                history.extend(given(&history).when(vote(voter, option)).events());
            }
            history.extend(given(&history).when(close.clone()).events());
            let then = given(&history).when(amend.clone());
            match decided {
                true => drop(then.then_events(&["StatutesAmended"])),
                false => then.then_err(Rejection::DecisionNotTaken {
                    ballot,
                    why: "it closed without a winner",
                }),
            }
        }
    }

    #[test]
    fn minutes_follow_the_attendance_once() {
        let minutes = || {
            Command::RecordMinutes(RecordMinutes {
                assembly_id: FIRST,
                sha256: Hash::of(b"proces-verbal signe"),
                reference: "PV-2026-11".into(),
            })
        };
        given(&held())
            .when(minutes())
            .then_err(Rejection::AssemblyNotHeldYet { assembly: FIRST });
        let mut history = held();
        history.extend(given(&history).when(attendance(&[ALICE], &[])).events());
        history.extend(
            given(&history)
                .when(minutes())
                .then_events(&["MinutesRecorded"]),
        );
        given(&history)
            .when(minutes())
            .then_err(Rejection::MinutesAlreadyRecorded { assembly: FIRST });
    }

    fn election_ballot(
        options: &[PioneerId],
        term_months: u16,
        session: Option<AssemblyId>,
    ) -> Command {
        let mut command = open_ballot_command(
            agora_events::BallotId(Uuid::from_u128(0xe1)),
            VotingMethod::Single,
            BallotKind::Assembly,
            options
                .iter()
                .map(|id| option(&id.to_string(), None))
                .collect(),
        );
        if let Command::OpenBallot(open) = &mut command {
            open.assembly_id = session;
            open.election = Some(Election { term_months });
        }
        command
    }

    #[test]
    fn the_representative_is_elected_among_the_candidates_for_a_term() {
        let mut history = held();
        history.extend(
            given(&history)
                .when(attendance(&[ALICE, BRUNO, CLARA], &[]))
                .events(),
        );
        for candidate in [ALICE, BRUNO] {
            history.extend(
                given(&history)
                    .when(Command::DeclareCandidacy(DeclareCandidacy {
                        pioneer_id: candidate,
                        statement: "Je me présente".into(),
                    }))
                    .events(),
            );
        }
        given(&history)
            .when(election_ballot(&[ALICE, BRUNO], 24, None))
            .then_err(Rejection::ElectionOutsideSession);
        given(&history)
            .when(election_ballot(&[ALICE], 24, Some(FIRST)))
            .then_rule("ballot-option-count");
        given(&history)
            .when(election_ballot(&[ALICE, CLARA], 24, Some(FIRST)))
            .then_err(Rejection::ElectionCandidates);
        given(&history)
            .when(election_ballot(&[ALICE, BRUNO], 0, Some(FIRST)))
            .then_rule("election-term");
        history.extend(
            given(&history)
                .when(election_ballot(&[ALICE, BRUNO], 24, Some(FIRST)))
                .then_events(&["BallotOpened"]),
        );
        given(&history)
            .when(Command::WithdrawCandidacy(WithdrawCandidacy {
                pioneer_id: BRUNO,
            }))
            .then_rule("election-under-way");
        history.extend(
            given(&history)
                .when(Command::CastVote(CastVote {
                    ballot_id: agora_events::BallotId(Uuid::from_u128(0xe1)),
                    voter: CLARA,
                    choice: agora_events::Choice::Single {
                        option_id: BRUNO.to_string(),
                    },
                    sealed: None,
                }))
                .events(),
        );
        let close = Command::CloseBallot(CloseBallot {
            ballot_id: agora_events::BallotId(Uuid::from_u128(0xe1)),
            closed_by: agora_events::Closure::Gardener,
            key: None,
        });
        // Had Bruno left before the close, he would stand no more: the
        // count leaves him out, and Alice, whom no vote chose, does not win.
        let mut gone = history.clone();
        gone.extend(given(&gone).when(leave(BRUNO)).events());
        assert!(
            !given(&gone)
                .state()
                .representation
                .candidates
                .contains_key(&BRUNO)
        );
        let events = given(&gone)
            .when(close.clone())
            .then_events(&["BallotClosed"]);
        let Event::BallotClosed(closed) = &events[0] else {
            unreachable!()
        };
        assert_eq!(closed.withdrawn, vec![BRUNO.to_string()]);
        assert_eq!(closed.winner, None);
        assert_eq!(closed.votes_counted, 1);
        assert_eq!(
            closed
                .results
                .iter()
                .map(|result| (result.option_id.as_str(), result.score.as_str()))
                .collect::<Vec<_>>(),
            [(ALICE.to_string().as_str(), "0")]
        );
        // Had Alice voted for herself, she would be elected, Bruno's vote
        // counting for nobody.
        let mut alice_votes = history.clone();
        alice_votes.extend(
            given(&alice_votes)
                .when(Command::CastVote(CastVote {
                    ballot_id: agora_events::BallotId(Uuid::from_u128(0xe1)),
                    voter: ALICE,
                    choice: agora_events::Choice::Single {
                        option_id: ALICE.to_string(),
                    },
                    sealed: None,
                }))
                .events(),
        );
        let tied = given(&alice_votes)
            .when(close.clone())
            .then_events(&["BallotClosed"]);
        let Event::BallotClosed(tied) = &tied[0] else {
            unreachable!()
        };
        assert_eq!(tied.winner, None, "one vote each: no winner");
        alice_votes.extend(given(&alice_votes).when(leave(BRUNO)).events());
        let events = given(&alice_votes)
            .when(close.clone())
            .then_events(&["BallotClosed", "MandateGranted"]);
        let Event::MandateGranted(granted) = &events[1] else {
            unreachable!()
        };
        assert_eq!(granted.pioneer_id, ALICE);
        // The recorded result is the one anyone recounts from the log: the
        // votes (the state lets go of them at the close) and the closing.
        let Event::BallotClosed(recorded) = &events[0] else {
            unreachable!()
        };
        let mut ballot = given(&alice_votes)
            .state()
            .ballots
            .get(agora_events::BallotId(Uuid::from_u128(0xe1)))
            .unwrap()
            .clone();
        ballot.closed = Some((now(), recorded.clone()));
        let recount = crate::domain::tally::tally(&ballot);
        assert_eq!(recount.winner, recorded.winner);
        assert_eq!(recount.results, recorded.results);
        assert_eq!(recount.winner, Some(ALICE.to_string()));
        let events = given(&history)
            .when(close)
            .then_events(&["BallotClosed", "MandateGranted"]);
        let Event::MandateGranted(granted) = &events[1] else {
            unreachable!()
        };
        assert_eq!(granted.pioneer_id, BRUNO);
        assert_eq!(granted.until, "2028-11-28T12:00:00Z".parse().unwrap());
        history.extend(events);
        let state = given(&history).state();
        assert!(state.representation.candidates.is_empty());
        assert_eq!(
            state.representation.holder_at(now()).unwrap().pioneer_id,
            BRUNO
        );
        // His mandate ends when he leaves.
        history.extend(given(&history).when(leave(BRUNO)).events());
        assert!(
            given(&history)
                .state()
                .representation
                .holder_at(now())
                .is_none()
        );
    }
}
