//! Applications to join. Someone who is not yet a member applies (with a
//! token of their own as a candidate, or through the gardener); the
//! gardener scores the seven admission criteria, then admits them (the
//! application becomes the member, under the same id) or declines with a
//! reason; the applicant may withdraw while it is pending.
//!
//! Admission from an application keeps every rule of a direct admission
//! (a college of the statutes, scores in range reaching the statutes'
//! minimum total). The decision state keeps pending applications only: a
//! decided one is read from the log.

use agora_events::{
    AdmissionScores, ApplicationDeclined, ApplicationScored, ApplicationSubmitted,
    ApplicationWithdrawn, Event, PioneerId, PublicProfile, Sealed,
};
use agora_projections::{Application, CommunityState};

use super::Rejection;
use super::pioneers::{AdmitPioneer, admission, validate_profile, validate_scores};
use super::text::{LONG_TEXT_CHARS_MAX, paragraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitApplication {
    pub applicant: PioneerId,
    pub project: String,
    pub profile: PublicProfile,
    /// Personal data, already sealed with the applicant's new key.
    pub personal: Sealed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreApplication {
    pub applicant: PioneerId,
    pub scores: AdmissionScores,
}

/// Admits the applicant into `college`, with `scores` when given (recorded
/// first), else with the application's latest scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmitApplication {
    pub applicant: PioneerId,
    pub college: String,
    pub scores: Option<AdmissionScores>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclineApplication {
    pub applicant: PioneerId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawApplication {
    pub applicant: PioneerId,
}

/// The application `applicant` has pending.
fn pending(state: &CommunityState, applicant: PioneerId) -> Result<&Application, Rejection> {
    if state.pioneer(applicant).is_some() {
        return Err(Rejection::PioneerExists { pioneer: applicant });
    }
    state
        .applications
        .pending(applicant)
        .ok_or(Rejection::ApplicationNotFound { applicant })
}

fn scored(applicant: PioneerId, scores: AdmissionScores) -> ApplicationScored {
    ApplicationScored {
        applicant,
        scores,
        total: scores.total(),
    }
}

pub fn submit(
    state: &CommunityState,
    command: &SubmitApplication,
) -> Result<Vec<Event>, Rejection> {
    let applicant = command.applicant;
    if state.pioneer(applicant).is_some() {
        return Err(Rejection::PioneerExists { pioneer: applicant });
    }
    if state.applications.pending(applicant).is_some() {
        return Err(Rejection::ApplicationPending { applicant });
    }
    paragraph("project", &command.project, LONG_TEXT_CHARS_MAX)?;
    validate_profile(&command.profile)?;
    Ok(vec![
        ApplicationSubmitted {
            applicant,
            project: command.project.clone(),
            profile: command.profile.clone(),
            personal: command.personal.clone(),
        }
        .into(),
    ])
}

pub fn score(state: &CommunityState, command: &ScoreApplication) -> Result<Vec<Event>, Rejection> {
    pending(state, command.applicant)?;
    validate_scores(&command.scores)?;
    Ok(vec![scored(command.applicant, command.scores).into()])
}

pub fn admit(state: &CommunityState, command: &AdmitApplication) -> Result<Vec<Event>, Rejection> {
    let application = pending(state, command.applicant)?;
    let scores = match (command.scores, &application.scores) {
        (Some(scores), _) => scores,
        (None, Some((_, scores))) => *scores,
        (None, None) => {
            return Err(Rejection::ApplicationNotScored {
                applicant: command.applicant,
            });
        }
    };
    let admitted = admission(
        state,
        &AdmitPioneer {
            pioneer_id: command.applicant,
            college: command.college.clone(),
            scores,
            profile: application.profile.clone(),
            personal: application.personal.clone(),
            organisation: None,
        },
    )?;
    let mut events: Vec<Event> = Vec::with_capacity(2);
    if let Some(scores) = command.scores {
        events.push(scored(command.applicant, scores).into());
    }
    events.push(admitted.into());
    Ok(events)
}

pub fn decline(
    state: &CommunityState,
    command: &DeclineApplication,
) -> Result<Vec<Event>, Rejection> {
    pending(state, command.applicant)?;
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    Ok(vec![
        ApplicationDeclined {
            applicant: command.applicant,
            reason: command.reason.clone(),
        }
        .into(),
    ])
}

pub fn withdraw(
    state: &CommunityState,
    command: &WithdrawApplication,
) -> Result<Vec<Event>, Rejection> {
    pending(state, command.applicant)?;
    Ok(vec![
        ApplicationWithdrawn {
            applicant: command.applicant,
        }
        .into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::*;
    use uuid::Uuid;

    const CARLA: PioneerId = PioneerId::from_uuid(Uuid::from_u128(0xca21a));

    fn scores(each: u8) -> AdmissionScores {
        AdmissionScores {
            scale_of_impact: each,
            degree_of_information: each,
            connections_produced: each,
            care_for_the_living: each,
            poetic_radiance: each,
            social_innovation: each,
            engagement: each,
        }
    }

    fn submit_command(applicant: PioneerId) -> Command {
        Command::SubmitApplication(SubmitApplication {
            applicant,
            project: "Une recyclerie de quartier".into(),
            profile: PublicProfile {
                skills: vec!["réemploi".into()],
                territory: Some("Chambéry".into()),
            },
            personal: admit_command(applicant, "founders").personal,
        })
    }

    fn admit(applicant: PioneerId, scores: Option<AdmissionScores>) -> Command {
        Command::AdmitApplication(AdmitApplication {
            applicant,
            college: "beneficiaries".into(),
            scores,
        })
    }

    fn with_application() -> Vec<Event> {
        let mut history = community_of_three();
        history.extend(given(&history).when(submit_command(CARLA)).events());
        history
    }

    fn with_minimum(min: u8) -> Vec<Event> {
        let mut history = vec![
            CommunityCreated {
                slug: "demo".parse().unwrap(),
                statutes: Statutes {
                    admission_score_min: Some(min),
                    ..statutes()
                },
            }
            .into(),
        ];
        history.extend(given(&history).when(submit_command(CARLA)).events());
        history
    }

    #[test]
    fn an_application_scored_then_admitted_becomes_the_member_under_its_id() {
        let mut history = with_application();
        history.extend(
            given(&history)
                .when(Command::ScoreApplication(ScoreApplication {
                    applicant: CARLA,
                    scores: scores(3),
                }))
                .then_events(&["ApplicationScored"]),
        );
        let events = given(&history)
            .when(admit(CARLA, None))
            .then_events(&["PioneerAdmitted"]);
        let Event::PioneerAdmitted(admitted) = &events[0] else {
            unreachable!()
        };
        assert_eq!(admitted.pioneer_id, CARLA);
        assert_eq!(admitted.scores, scores(3));
        assert_eq!(admitted.profile.territory.as_deref(), Some("Chambéry"));
        history.extend(events);
        let state = given(&history).state();
        assert!(state.pioneer(CARLA).is_some());
        assert!(state.applications.get(CARLA).is_none(), "decided: not kept");
        given(&history)
            .when(admit(CARLA, Some(scores(4))))
            .then_rule("pioneer-exists");
        given(&history)
            .when(submit_command(CARLA))
            .then_rule("pioneer-exists");
    }

    #[test]
    fn scores_given_with_the_admission_are_recorded_first() {
        let history = with_application();
        given(&history)
            .when(admit(CARLA, None))
            .then_err(Rejection::ApplicationNotScored { applicant: CARLA });
        given(&history)
            .when(admit(CARLA, Some(scores(2))))
            .then_events(&["ApplicationScored", "PioneerAdmitted"]);
        given(&history)
            .when(admit(CARLA, Some(scores(6))))
            .then_rule("admission-score-range");
        given(&history)
            .when(Command::AdmitApplication(AdmitApplication {
                applicant: CARLA,
                college: "nowhere".into(),
                scores: Some(scores(2)),
            }))
            .then_rule("college-unknown");
    }

    #[test]
    fn the_statutes_minimum_total_holds_for_every_admission() {
        // 7 × 2 = 14 reaches a minimum of 14; 7 × 1 = 7 does not.
        let history = with_minimum(14);
        given(&history)
            .when(admit(CARLA, Some(scores(1))))
            .then_err(Rejection::AdmissionScoreBelowMinimum { total: 7, min: 14 });
        given(&history)
            .when(admit(CARLA, Some(scores(2))))
            .then_events(&["ApplicationScored", "PioneerAdmitted"]);
        // The gardener admitting someone directly keeps it too.
        let mut direct = admit_command(ALICE, "founders");
        direct.scores = scores(1);
        given(&history)
            .when(Command::AdmitPioneer(direct.clone()))
            .then_rule("admission-score-minimum");
        direct.scores = scores(2);
        given(&history)
            .when(Command::AdmitPioneer(direct))
            .then_events(&["PioneerAdmitted"]);
    }

    #[test]
    fn a_minimum_beyond_thirty_five_is_refused() {
        let amend = |min| {
            Command::AmendStatutes(AmendStatutes {
                statutes: Statutes {
                    admission_score_min: Some(min),
                    ..statutes()
                },
                reason: "AG".into(),
                decision: None,
            })
        };
        given(&community_of_three())
            .when(amend(36))
            .then_rule("admission-minimum-range");
        given(&community_of_three())
            .when(amend(35))
            .then_events(&["StatutesAmended"]);
    }

    #[test]
    fn one_pending_application_at_a_time_and_a_new_one_after_a_decision() {
        let mut history = with_application();
        given(&history)
            .when(submit_command(CARLA))
            .then_err(Rejection::ApplicationPending { applicant: CARLA });
        given(&history)
            .when(Command::AdmitPioneer(admit_command(CARLA, "founders")))
            .then_rule("application-pending");
        history.extend(
            given(&history)
                .when(Command::DeclineApplication(DeclineApplication {
                    applicant: CARLA,
                    reason: "Projet hors du champ de la coopérative".into(),
                }))
                .then_events(&["ApplicationDeclined"]),
        );
        given(&history)
            .when(Command::WithdrawApplication(WithdrawApplication {
                applicant: CARLA,
            }))
            .then_err(Rejection::ApplicationNotFound { applicant: CARLA });
        given(&history)
            .when(admit(CARLA, Some(scores(3))))
            .then_err(Rejection::ApplicationNotFound { applicant: CARLA });
        given(&history)
            .when(submit_command(CARLA))
            .then_events(&["ApplicationSubmitted"]);
    }

    #[test]
    fn a_decline_needs_a_reason_and_texts_are_checked() {
        let history = with_application();
        given(&history)
            .when(Command::DeclineApplication(DeclineApplication {
                applicant: CARLA,
                reason: " ".into(),
            }))
            .then_rule("text-blank");
        let Command::SubmitApplication(mut blank) =
            submit_command(PioneerId(Uuid::from_u128(0xd0)))
        else {
            unreachable!()
        };
        blank.project = "\n".into();
        given(&history)
            .when(Command::SubmitApplication(blank))
            .then_rule("text-blank");
        given(&history)
            .when(submit_command(ALICE))
            .then_rule("pioneer-exists");
    }

    #[test]
    fn an_auditors_fold_keeps_decided_applications_with_their_outcome() {
        let mut history = with_application();
        history.extend(
            given(&history)
                .when(Command::WithdrawApplication(WithdrawApplication {
                    applicant: CARLA,
                }))
                .events(),
        );
        let mut state: Option<CommunityState> = None;
        let at = now();
        for event in &history {
            match (&mut state, event) {
                (None, Event::CommunityCreated(created)) => {
                    state = Some(
                        CommunityState::founded(created.slug.clone(), created.statutes.clone(), at)
                            .keeping_history(),
                    )
                }
                (Some(state), event) => {
                    state.apply_event(event, agora_events::EventId(Uuid::now_v7()), at)
                }
                _ => unreachable!(),
            }
        }
        let kept = state.unwrap().applications.get(CARLA).cloned().unwrap();
        assert_eq!(
            kept.status,
            agora_projections::ApplicationStatus::Withdrawn { at }
        );
    }
}
