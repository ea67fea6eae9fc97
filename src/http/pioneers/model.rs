//! The pioneers' request bodies and views, and the personal data checked
//! and shown at the edge.

use agora_events::{AdmissionScores, Organisation, PioneerId, Role};
use agora_projections::{Membership, Pioneer};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::super::AppState;
use super::super::shares::HoldingView;
use crate::domain::Rejection;
use crate::domain::text::{
    LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, SHORT_TEXT_CHARS_MAX, line, paragraph,
};
use crate::ledger::{DurableView, PersonalData};

/// Longest email address (RFC 5321).
const EMAIL_CHARS_MAX: usize = 254;

/// A role in the community. (`system` exists in the log, for work the
/// service does itself, but is never granted.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Pioneer,
    Gardener,
    Treasurer,
    Auditor,
    Admin,
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Self {
        match role {
            RoleName::Pioneer => Self::Pioneer,
            RoleName::Gardener => Self::Gardener,
            RoleName::Treasurer => Self::Treasurer,
            RoleName::Auditor => Self::Auditor,
            RoleName::Admin => Self::Admin,
        }
    }
}

impl RoleName {
    fn of(role: Role) -> Option<Self> {
        match role {
            Role::Pioneer => Some(Self::Pioneer),
            Role::Gardener => Some(Self::Gardener),
            Role::Treasurer => Some(Self::Treasurer),
            Role::Auditor => Some(Self::Auditor),
            Role::Admin => Some(Self::Admin),
            Role::System | Role::Candidate => None,
        }
    }
}

/// The gardener's seven admission criteria, each 0 to 5.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionScoresDto {
    #[schema(minimum = 0, maximum = 5)]
    pub scale_of_impact: u8,
    #[schema(minimum = 0, maximum = 5)]
    pub degree_of_information: u8,
    #[schema(minimum = 0, maximum = 5)]
    pub connections_produced: u8,
    #[schema(minimum = 0, maximum = 5)]
    pub care_for_the_living: u8,
    #[schema(minimum = 0, maximum = 5)]
    pub poetic_radiance: u8,
    #[schema(minimum = 0, maximum = 5)]
    pub social_innovation: u8,
    #[schema(minimum = 0, maximum = 5)]
    pub engagement: u8,
}

impl From<AdmissionScoresDto> for AdmissionScores {
    fn from(dto: AdmissionScoresDto) -> Self {
        Self {
            scale_of_impact: dto.scale_of_impact,
            degree_of_information: dto.degree_of_information,
            connections_produced: dto.connections_produced,
            care_for_the_living: dto.care_for_the_living,
            poetic_radiance: dto.poetic_radiance,
            social_innovation: dto.social_innovation,
            engagement: dto.engagement,
        }
    }
}

impl From<AdmissionScores> for AdmissionScoresDto {
    fn from(scores: AdmissionScores) -> Self {
        Self {
            scale_of_impact: scores.scale_of_impact,
            degree_of_information: scores.degree_of_information,
            connections_produced: scores.connections_produced,
            care_for_the_living: scores.care_for_the_living,
            poetic_radiance: scores.poetic_radiance,
            social_innovation: scores.social_innovation,
            engagement: scores.engagement,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmitBody {
    #[schema(example = "founders")]
    pub college: String,
    pub scores: AdmissionScoresDto,
    /// Personal: encrypted in the ledger.
    #[schema(example = "Camille Dupont")]
    pub display_name: String,
    /// Personal: encrypted in the ledger.
    pub email: Option<String>,
    /// Personal: encrypted in the ledger.
    pub contact: Option<String>,
    /// Personal: encrypted in the ledger.
    pub bio: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    pub territory: Option<String>,
    /// When the member is an organisation: `display_name` and the contact
    /// fields are then its representative's.
    pub organisation: Option<OrganisationDto>,
}

/// A member that is an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationDto {
    #[schema(example = "Association Les Jardins du Lac")]
    pub name: String,
    #[schema(example = "Association loi 1901")]
    pub legal_form: String,
    /// Nine digits, where it has one.
    #[schema(example = "732829320", pattern = "^[0-9]{9}$")]
    pub siren: Option<String>,
    /// The person who represents it: the subject of their token, who acts
    /// for it and is not a member themself.
    pub representative: Uuid,
}

impl From<OrganisationDto> for Organisation {
    fn from(dto: OrganisationDto) -> Self {
        Self {
            name: dto.name,
            legal_form: dto.legal_form,
            siren: dto.siren,
            representative: PioneerId(dto.representative),
        }
    }
}

impl From<&Organisation> for OrganisationDto {
    fn from(organisation: &Organisation) -> Self {
        Self {
            name: organisation.name.clone(),
            legal_form: organisation.legal_form.clone(),
            siren: organisation.siren.clone(),
            representative: organisation.representative.0,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeBody {
    /// The person who represents the organisation from now on.
    pub representative: Uuid,
}

/// A partial update: absent fields stay as they are; `null` clears an
/// optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub contact: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub territory: Option<Option<String>>,
    /// Where the pioneer is, shown to members (their commune, or a point
    /// recorded to about a kilometre): giving it lets members find them by
    /// territory and see them on the members' map; `null` takes it back.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<crate::http::territory::PlaceDto>)]
    pub place: Option<Option<crate::http::territory::PlaceDto>>,
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CharterBody {
    /// Must be the version in force.
    pub charter_version: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExcludeBody {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    /// The roles to hold beyond `pioneer`, which comes with membership.
    pub roles: Vec<RoleName>,
}

/// Membership status.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    /// `active`, `left` or `excluded`.
    pub status: &'static str,
    pub since: Option<String>,
    pub reason: Option<String>,
}

impl From<&Membership> for MembershipView {
    fn from(membership: &Membership) -> Self {
        match membership {
            Membership::Active => Self {
                status: "active",
                since: None,
                reason: None,
            },
            Membership::Left { at } => Self {
                status: "left",
                since: Some(at.to_string()),
                reason: None,
            },
            Membership::Excluded { at, reason } => Self {
                status: "excluded",
                since: Some(at.to_string()),
                reason: Some(reason.clone()),
            },
        }
    }
}

/// A pioneer as members see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PioneerView {
    pub id: Uuid,
    pub college: String,
    pub membership: MembershipView,
    /// Personal data was erased: names and contacts are gone for good.
    pub forgotten: bool,
    /// `null` once forgotten.
    pub display_name: Option<String>,
    pub bio: Option<String>,
    /// Shown to the pioneer, the gardener and admins only.
    pub email: Option<String>,
    /// Shown to the pioneer, the gardener and admins only.
    pub contact: Option<String>,
    pub skills: Vec<String>,
    pub territory: Option<String>,
    /// Where the pioneer chose to show they are; `null` if they did not.
    pub place: Option<crate::http::territory::PlaceDto>,
    pub admission_scores: AdmissionScoresDto,
    pub admitted_at: String,
    pub charter_version: Option<String>,
    /// Whether the accepted charter is the one in force.
    pub charter_current: bool,
    pub roles: Vec<RoleName>,
    /// Admitted, still a member, current charter accepted, at least one
    /// fully paid share.
    pub in_good_standing: bool,
    pub shares: HoldingView,
    /// Set when the member is an organisation.
    pub organisation: Option<OrganisationDto>,
}

pub(super) fn pioneer_view(
    state: &AppState,
    view: &DurableView,
    pioneer: &Pioneer,
    sees_contacts: bool,
) -> PioneerView {
    let community = &view.state;
    let personal = state.ledger.keys().open(pioneer.id, &pioneer.personal);
    let (display_name, bio, email, contact, place) = match personal {
        Some(data) => (
            Some(data.display_name),
            data.bio,
            data.email.filter(|_| sees_contacts),
            data.contact.filter(|_| sees_contacts),
            data.place,
        ),
        None => (None, None, None, None, None),
    };
    PioneerView {
        id: pioneer.id.0,
        college: pioneer.college.clone(),
        membership: (&pioneer.membership).into(),
        forgotten: pioneer.forgotten,
        display_name,
        bio,
        email,
        contact,
        skills: pioneer.profile.skills.clone(),
        territory: pioneer.profile.territory.clone(),
        place: place.as_ref().map(crate::http::territory::PlaceDto::of),
        admission_scores: pioneer.scores.into(),
        admitted_at: pioneer.admitted_at.to_string(),
        charter_version: pioneer.charter_version.clone(),
        charter_current: pioneer.charter_version.as_deref()
            == Some(community.statutes.charter_version.as_str()),
        roles: pioneer
            .effective_roles()
            .into_iter()
            .filter_map(RoleName::of)
            .collect(),
        in_good_standing: community.in_good_standing(pioneer.id),
        shares: HoldingView::of(community, pioneer.id),
        organisation: pioneer.organisation.as_ref().map(OrganisationDto::from),
    }
}

/// What member `id` of `community` is called: their display name, once
/// opened with their key (`None` once forgotten, or if not a member).
pub(crate) fn display_name(
    state: &AppState,
    community: &agora_projections::CommunityState,
    id: PioneerId,
) -> Option<String> {
    let pioneer = community.pioneer(id)?;
    state
        .ledger
        .keys()
        .open(id, &pioneer.personal)
        .map(|data| data.display_name)
}

/// Checks personal data before it is sealed: the domain never sees it.
pub(crate) fn validate_personal(data: &PersonalData) -> Result<(), Rejection> {
    line("display_name", &data.display_name, NAME_CHARS_MAX)?;
    if let Some(email) = &data.email {
        line("email", email, EMAIL_CHARS_MAX)?;
        let well_formed = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.contains(char::is_whitespace);
        if !well_formed {
            return Err(Rejection::InvalidEmail);
        }
    }
    if let Some(contact) = &data.contact {
        line("contact", contact, SHORT_TEXT_CHARS_MAX)?;
    }
    if let Some(bio) = &data.bio {
        paragraph("bio", bio, LONG_TEXT_CHARS_MAX)?;
    }
    Ok(())
}
