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
