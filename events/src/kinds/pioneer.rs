//! Pioneers: admission, charter, profile, departure, erasure, roles.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::PioneerId;

/// The gardener's scores of a candidate, each 0 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionScores {
    pub scale_of_impact: u8,
    pub degree_of_information: u8,
    pub connections_produced: u8,
    pub care_for_the_living: u8,
    pub poetic_radiance: u8,
    pub social_innovation: u8,
    pub engagement: u8,
}

/// Personal data (display name, email, contact, bio) encrypted with the
/// pioneer's own key, which is kept outside the log. Forgetting the pioneer
/// destroys the key; the ciphertext stays, so hashes still verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// The cipher, e.g. `xchacha20poly1305`.
    pub algorithm: String,
    /// The nonce, base64.
    pub nonce: String,
    /// The encrypted JSON object, base64.
    pub ciphertext: String,
}

/// What a pioneer shows everyone: no personal data here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicProfile {
    pub skills: Vec<String>,
    pub territory: Option<String>,
}

/// A role in the community. `System` is never granted: it signs the work the
/// service does on its own, such as closing a ballot at its close time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Pioneer,
    Gardener,
    Treasurer,
    Auditor,
    Admin,
    System,
    /// Someone applying to join, not yet a member: their token lets them
    /// submit, follow and withdraw their own application, nothing else.
    /// Never granted.
    Candidate,
}

/// The gardener admitted a candidate into a college.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PioneerAdmitted {
    pub pioneer_id: PioneerId,
    pub college: String,
    pub scores: AdmissionScores,
    pub profile: PublicProfile,
    pub personal: Sealed,
    /// Set when the member is an organisation (an association, a company,
    /// a local authority…) rather than a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<Organisation>,
}

/// A member that is an organisation: who it is, and the person who
/// represents it (who votes and acts for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    /// Association loi 1901, SAS, SCOP, commune…
    pub legal_form: String,
    /// Its SIREN (nine digits), where it has one.
    pub siren: Option<String>,
    /// The person who represents it: their token's subject acts for it.
    pub representative: PioneerId,
}

/// An organisation member changed the person who represents it; its
/// membership, account and history stay its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeChanged {
    pub organisation: PioneerId,
    pub previous: PioneerId,
    pub representative: PioneerId,
}

/// The pioneer accepted a version of the ethical charter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CharterAccepted {
    pub pioneer_id: PioneerId,
    pub charter_version: String,
}

/// The pioneer updated their profile; `personal` is absent when unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdated {
    pub pioneer_id: PioneerId,
    pub profile: PublicProfile,
    pub personal: Option<Sealed>,
}

/// The pioneer left the community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PioneerLeft {
    pub pioneer_id: PioneerId,
}

/// The gardener excluded the pioneer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PioneerExcluded {
    pub pioneer_id: PioneerId,
    pub reason: String,
}

/// The pioneer's personal-data key was destroyed (erasure after leaving).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PioneerForgotten {
    pub pioneer_id: PioneerId,
}

/// An admin granted a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGranted {
    pub pioneer_id: PioneerId,
    pub role: Role,
}

/// An admin revoked a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRevoked {
    pub pioneer_id: PioneerId,
    pub role: Role,
}

/// Someone who is not yet a member applied to join: who they are (sealed
/// with a key of their own, as a pioneer's), the citizen solution they
/// carry, and what they show everyone. Their id becomes their pioneer id
/// if they are admitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSubmitted {
    pub applicant: PioneerId,
    /// Their project, in their words.
    pub project: String,
    pub profile: PublicProfile,
    pub personal: Sealed,
}

/// The gardener scored an application on the seven admission criteria
/// (again, if it was scored before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationScored {
    pub applicant: PioneerId,
    pub scores: AdmissionScores,
    /// The sum of the seven scores, 0–35.
    pub total: u8,
}

/// The gardener declined an application, with the reason. The applicant's
/// personal-data key is destroyed: the decision stays, who they are goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDeclined {
    pub applicant: PioneerId,
    pub reason: String,
}

/// The applicant withdrew their application; their key is destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationWithdrawn {
    pub applicant: PioneerId,
}

impl AdmissionScores {
    /// The seven scores, in the order the criteria are listed.
    pub fn each(&self) -> [u8; 7] {
        [
            self.scale_of_impact,
            self.degree_of_information,
            self.connections_produced,
            self.care_for_the_living,
            self.poetic_radiance,
            self.social_innovation,
            self.engagement,
        ]
    }

    /// The sum of the seven criteria.
    pub fn total(&self) -> u8 {
        self.each().into_iter().fold(0u8, u8::saturating_add)
    }
}
