//! Meetings and social events: the working meetings that follow a chosen
//! project and the social events (*convivialité*) the statutes ask for at
//! least once a year, recorded by the gardener once they took place, with
//! who attended.

use std::collections::BTreeSet;

use agora_events::{
    Event, MeetingId, MeetingKind, MeetingRecorded, PioneerId, ProjectId, ProjectStatus, Timestamp,
};
use agora_projections::CommunityState;

use super::Rejection;
use super::projects::project;
use super::text::{NAME_CHARS_MAX, line};

/// Most attendees on one meeting.
pub const ATTENDEES_MAX: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeeting {
    pub meeting_id: MeetingId,
    pub kind: MeetingKind,
    pub held_on: chrono::NaiveDate,
    pub purpose: String,
    pub project_id: Option<ProjectId>,
    pub attendees: Vec<PioneerId>,
}

pub fn record(
    state: &CommunityState,
    command: &RecordMeeting,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let today = now.instant().date_naive();
    if command.held_on > today {
        return Err(Rejection::MeetingInFuture {
            held_on: command.held_on,
        });
    }
    line("purpose", &command.purpose, NAME_CHARS_MAX)?;
    if let Some(project_id) = command.project_id {
        let status = project(state, project_id)?.status();
        // A working meeting carries out or follows a project the pioneers chose.
        let chosen = matches!(
            status,
            ProjectStatus::Selected | ProjectStatus::InProgress | ProjectStatus::Done
        );
        if command.kind == MeetingKind::Working && !chosen {
            return Err(Rejection::ProjectNotSelected {
                project: project_id,
                status,
            });
        }
    }
    if command.attendees.len() > ATTENDEES_MAX {
        return Err(Rejection::TooManyItems {
            field: "attendees",
            max: ATTENDEES_MAX,
        });
    }
    let mut seen = BTreeSet::new();
    for &attendee in &command.attendees {
        if state.pioneer(attendee).is_none() {
            return Err(Rejection::PioneerNotFound { pioneer: attendee });
        }
        if !seen.insert(attendee) {
            return Err(Rejection::DuplicateAttendee { pioneer: attendee });
        }
    }
    Ok(vec![
        MeetingRecorded {
            meeting_id: command.meeting_id,
            kind: command.kind,
            held_on: command.held_on,
            purpose: command.purpose.clone(),
            project_id: command.project_id,
            attendees: command.attendees.clone(),
        }
        .into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::*;
    use uuid::Uuid;

    fn meeting(kind: MeetingKind, held_on: &str, attendees: &[PioneerId]) -> RecordMeeting {
        RecordMeeting {
            meeting_id: MeetingId(Uuid::new_v4()),
            kind,
            held_on: held_on.parse().unwrap(),
            purpose: "Fête de printemps".into(),
            project_id: None,
            attendees: attendees.to_vec(),
        }
    }

    #[test]
    fn a_social_event_is_recorded_with_its_attendees() {
        let events = given(&community_of_three())
            .when(Command::RecordMeeting(meeting(
                MeetingKind::Social,
                "2026-05-21",
                &[ALICE, BRUNO],
            )))
            .then_events(&["MeetingRecorded"]);
        let Event::MeetingRecorded(recorded) = &events[0] else {
            unreachable!()
        };
        assert_eq!(recorded.attendees, vec![ALICE, BRUNO]);
    }

    #[test]
    fn only_what_took_place_is_recorded() {
        // `now()` is 2026-11-28 at noon.
        given(&community_of_three())
            .when(Command::RecordMeeting(meeting(
                MeetingKind::Social,
                "2026-11-29",
                &[],
            )))
            .then_rule("meeting-took-place");
        given(&community_of_three())
            .when(Command::RecordMeeting(meeting(
                MeetingKind::Social,
                "2026-11-28",
                &[],
            )))
            .then_events(&["MeetingRecorded"]);
    }

    #[test]
    fn attendees_are_members_each_named_once() {
        let stranger = PioneerId(Uuid::from_u128(0x5712));
        given(&community_of_three())
            .when(Command::RecordMeeting(meeting(
                MeetingKind::Working,
                "2026-05-21",
                &[ALICE, stranger],
            )))
            .then_err(Rejection::PioneerNotFound { pioneer: stranger });
        given(&community_of_three())
            .when(Command::RecordMeeting(meeting(
                MeetingKind::Working,
                "2026-05-21",
                &[ALICE, BRUNO, ALICE],
            )))
            .then_err(Rejection::DuplicateAttendee { pioneer: ALICE });
        let mut blank = meeting(MeetingKind::Working, "2026-05-21", &[]);
        blank.purpose = " ".into();
        given(&community_of_three())
            .when(Command::RecordMeeting(blank))
            .then_rule("text-blank");
    }

    #[test]
    fn a_working_meeting_follows_a_chosen_project() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        let mut working = meeting(MeetingKind::Working, "2026-05-21", &[ALICE]);
        working.project_id = Some(PROJECT_A);
        given(&history)
            .when(Command::RecordMeeting(working.clone()))
            .then_rule("project-not-selected");
        let mut social = working.clone();
        social.kind = MeetingKind::Social;
        given(&history)
            .when(Command::RecordMeeting(social))
            .then_events(&["MeetingRecorded"]);
        history.push(
            agora_events::ProjectStatusChanged {
                project_id: PROJECT_A,
                from: ProjectStatus::Proposed,
                to: ProjectStatus::Selected,
                reason: None,
            }
            .into(),
        );
        given(&history)
            .when(Command::RecordMeeting(working))
            .then_events(&["MeetingRecorded"]);
    }
}
