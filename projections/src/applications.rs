//! Applications to join: submitted, scored, then admitted, declined or
//! withdrawn.

use agora_events::{AdmissionScores, Event, PioneerId, PublicProfile, Sealed, Timestamp};
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::Retention;

/// Where an application stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ApplicationStatus {
    Pending,
    /// The applicant is a member now, under the same id.
    Admitted {
        at: Timestamp,
        college: String,
    },
    Declined {
        at: Timestamp,
        reason: String,
    },
    Withdrawn {
        at: Timestamp,
    },
}

/// One application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub applicant: PioneerId,
    pub project: String,
    pub profile: PublicProfile,
    /// Readable with the applicant's key while the application is pending
    /// or once admitted; a declined or withdrawn one's key is destroyed.
    pub personal: Sealed,
    pub submitted_at: Timestamp,
    /// The gardener's latest scores, and when.
    pub scores: Option<(Timestamp, AdmissionScores)>,
    pub status: ApplicationStatus,
}

impl Application {
    pub fn is_pending(&self) -> bool {
        self.status == ApplicationStatus::Pending
    }
}

/// A community's applications. The state decisions are made on keeps the
/// pending ones only; a fold that keeps history keeps them all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applications {
    pub by_applicant: OrdMap<PioneerId, Application>,
}

impl Applications {
    pub fn get(&self, applicant: PioneerId) -> Option<&Application> {
        self.by_applicant.get(&applicant)
    }

    /// The application `applicant` has pending, if any.
    pub fn pending(&self, applicant: PioneerId) -> Option<&Application> {
        self.get(applicant)
            .filter(|application| application.is_pending())
    }

    /// Folds one event about applications; other events are ignored.
    pub fn evolve(&mut self, event: &Event, at: Timestamp, retention: Retention) {
        let (applicant, outcome) = match event {
            Event::ApplicationSubmitted(submitted) => {
                self.by_applicant.insert(
                    submitted.applicant,
                    Application {
                        applicant: submitted.applicant,
                        project: submitted.project.clone(),
                        profile: submitted.profile.clone(),
                        personal: submitted.personal.clone(),
                        submitted_at: at,
                        scores: None,
                        status: ApplicationStatus::Pending,
                    },
                );
                return;
            }
            Event::ApplicationScored(scored) => {
                if let Some(application) = self.by_applicant.get_mut(&scored.applicant) {
                    application.scores = Some((at, scored.scores));
                }
                return;
            }
            Event::PioneerAdmitted(admitted) => (
                admitted.pioneer_id,
                ApplicationStatus::Admitted {
                    at,
                    college: admitted.college.clone(),
                },
            ),
            Event::ApplicationDeclined(declined) => (
                declined.applicant,
                ApplicationStatus::Declined {
                    at,
                    reason: declined.reason.clone(),
                },
            ),
            Event::ApplicationWithdrawn(withdrawn) => {
                (withdrawn.applicant, ApplicationStatus::Withdrawn { at })
            }
            _ => return,
        };
        let Some(application) = self.by_applicant.get_mut(&applicant) else {
            return;
        };
        if !application.is_pending() {
            return;
        }
        match retention {
            Retention::History => application.status = outcome,
            Retention::Decisions => {
                self.by_applicant.remove(&applicant);
            }
        }
    }
}
