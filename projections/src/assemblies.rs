//! General assemblies: convened, their attendance and quorum, their minutes.

use agora_events::{
    AssemblyConvened, AssemblyId, AttendanceRecorded, Event, MinutesRecorded, PioneerId, Timestamp,
};
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

/// One assembly as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assembly {
    pub convened: AssemblyConvened,
    pub convened_at: Timestamp,
    pub attendance: Option<(Timestamp, AttendanceRecorded)>,
    pub minutes: Option<(Timestamp, MinutesRecorded)>,
}

impl Assembly {
    pub fn id(&self) -> AssemblyId {
        self.convened.assembly_id
    }

    /// Held with its quorum: its session may decide.
    pub fn quorum_met(&self) -> bool {
        self.attendance
            .as_ref()
            .is_some_and(|(_, attendance)| attendance.quorum_met)
    }

    /// Whether `pioneer` was present or represented.
    pub fn attended_by(&self, pioneer: PioneerId) -> bool {
        self.attendance.as_ref().is_some_and(|(_, attendance)| {
            attendance.present.contains(&pioneer)
                || attendance
                    .represented
                    .iter()
                    .any(|proxy| proxy.member == pioneer)
        })
    }
}

/// A community's general assemblies: two a year, kept whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assemblies {
    pub by_id: OrdMap<AssemblyId, Assembly>,
}

impl Assemblies {
    pub fn get(&self, id: AssemblyId) -> Option<&Assembly> {
        self.by_id.get(&id)
    }

    /// How many assemblies `pioneer` attended, present or represented.
    pub fn attended_by(&self, pioneer: PioneerId) -> usize {
        self.by_id
            .values()
            .filter(|assembly| assembly.attended_by(pioneer))
            .count()
    }

    /// Folds one event about assemblies; other events are ignored.
    pub fn evolve(&mut self, event: &Event, at: Timestamp) {
        match event {
            Event::AssemblyConvened(convened) => {
                self.by_id.insert(
                    convened.assembly_id,
                    Assembly {
                        convened: convened.clone(),
                        convened_at: at,
                        attendance: None,
                        minutes: None,
                    },
                );
            }
            Event::AttendanceRecorded(attendance) => {
                if let Some(assembly) = self.by_id.get_mut(&attendance.assembly_id) {
                    assembly.attendance = Some((at, attendance.clone()));
                }
            }
            Event::MinutesRecorded(minutes) => {
                if let Some(assembly) = self.by_id.get_mut(&minutes.assembly_id) {
                    assembly.minutes = Some((at, minutes.clone()));
                }
            }
            _ => {}
        }
    }
}

/// The community's representative: the mandate in force, the candidates
/// standing, and the election under way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representation {
    /// Candidates and their statements, by id.
    pub candidates: OrdMap<PioneerId, String>,
    /// The election ballot open, if any.
    pub election: Option<agora_events::BallotId>,
    /// The latest mandate granted: who, from when, until when, by which
    /// election.
    pub mandate: Option<Mandate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub pioneer_id: PioneerId,
    pub ballot_id: agora_events::BallotId,
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Representation {
    /// Who holds the mandate at `now`, if anyone.
    pub fn holder_at(&self, now: Timestamp) -> Option<&Mandate> {
        self.mandate
            .as_ref()
            .filter(|mandate| mandate.from <= now && now < mandate.until)
    }

    /// Folds one event about the representative; other events are ignored.
    pub fn evolve(&mut self, event: &Event, at: Timestamp) {
        match event {
            Event::CandidacyDeclared(declared) => {
                self.candidates
                    .insert(declared.pioneer_id, declared.statement.clone());
            }
            Event::CandidacyWithdrawn(withdrawn) => {
                self.candidates.remove(&withdrawn.pioneer_id);
            }
            Event::BallotOpened(opened) if opened.election.is_some() => {
                self.election = Some(opened.ballot_id);
            }
            Event::BallotClosed(closed) if self.election == Some(closed.ballot_id) => {
                // The next election starts from new candidacies.
                self.election = None;
                self.candidates.clear();
            }
            Event::MandateGranted(granted) => {
                self.mandate = Some(Mandate {
                    pioneer_id: granted.pioneer_id,
                    ballot_id: granted.ballot_id,
                    from: at,
                    until: granted.until,
                });
            }
            // A member who goes stands no more, and their mandate ends.
            Event::PioneerLeft(agora_events::PioneerLeft { pioneer_id })
            | Event::PioneerExcluded(agora_events::PioneerExcluded { pioneer_id, .. }) => {
                self.candidates.remove(pioneer_id);
                if let Some(mandate) = &mut self.mandate
                    && mandate.pioneer_id == *pioneer_id
                    && at < mandate.until
                {
                    mandate.until = at;
                }
            }
            _ => {}
        }
    }
}
