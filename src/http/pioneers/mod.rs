//! Pioneers: admission (gardener), the charter, the profile and leaving
//! (the pioneer themself), exclusion (gardener), erasure and roles (admin),
//! and reads for members.
//!
//! Personal data is sealed here, at the edge, with the pioneer's own key,
//! and opened here for reads: display name and bio for every member, email
//! and contact only for the pioneer, the gardener and admins.

use std::collections::BTreeSet;

use agora_events::{PioneerId, PublicProfile, Role};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, empty_body, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody, Params, page_limit};
use super::territory::{self, Territory};
use crate::domain::{
    AcceptCharter, AdmitPioneer, ChangeRepresentative, Command, ExcludePioneer, ForgetPioneer,
    LeaveCommunity, Rejection, SetRoles, UpdateProfile,
};
use crate::ledger::{PersonalData, PersonalKey};

/// Most pioneers in one page of the list.
pub const PIONEERS_PAGE_MAX: usize = 500;

/// Request bodies, views, and personal data at the edge.
mod model;

pub use model::*;

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// Admit a pioneer into a college, with the gardener's scores.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = AdmitBody,
    responses(
        (status = 201, description = "Admitted", body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn admit_pioneer(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<AdmitBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let personal = PersonalData {
        display_name: value.display_name,
        email: value.email,
        contact: value.contact,
        bio: value.bio,
        place: None,
    };
    validate_personal(&personal)?;
    let pioneer_id = PioneerId(Uuid::now_v7());
    let key = PersonalKey::generate();
    let submission = Submission::new(
        community,
        actor,
        Command::AdmitPioneer(AdmitPioneer {
            pioneer_id,
            college: value.college,
            scores: value.scores.into(),
            profile: PublicProfile {
                skills: value.skills,
                territory: value.territory,
            },
            personal: key.seal(pioneer_id, &personal),
            organisation: value.organisation.map(Into::into),
        }),
        digest,
    )
    .with_personal_key(pioneer_id, key);
    submit(&state, &caller, context, submission).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PioneerFilter {
    /// `active`, `left` or `excluded`.
    #[param(pattern = "^(active|left|excluded)$")]
    pub status: Option<String>,
    pub college: Option<String>,
    /// Only pioneers with this skill.
    #[param(example = "menuiserie")]
    pub skill: Option<String>,
    /// Only pioneers who show they are in this commune (its INSEE code).
    #[param(value_type = Option<crate::http::schema::Commune>)]
    pub commune: Option<String>,
    /// Only pioneers who show they are in this department (`38`, `2A`, `974`).
    #[param(value_type = Option<crate::http::schema::Department>)]
    pub department: Option<String>,
    /// Only pioneers who show they are around this point, `latitude,longitude`.
    #[param(value_type = Option<crate::http::schema::Near>)]
    pub near: Option<String>,
    /// How far around `near`, in km: 1 to 1000, default 10.
    #[param(minimum = 1, maximum = 1000)]
    pub within_km: Option<u32>,
    /// Only pioneers whose id sorts after this one (paging).
    pub after: Option<Uuid>,
    /// At most 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// Pioneers, by id, a page at a time.
#[utoipa::path(
    get, path = "/v1/communities/{community}/pioneers", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), PioneerFilter),
    responses(
        (status = 200, body = [PioneerView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_pioneers(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(filter): Params<PioneerFilter>,
) -> Result<Json<Vec<PioneerView>>, ApiError> {
    let (view, actor) = enter(&state, &caller, &community, Access::Member)?;
    let sees_contacts = matches!(actor.role, Role::Gardener | Role::Admin);
    let limit = page_limit(filter.limit, 100, PIONEERS_PAGE_MAX)?;
    if let Some(status) = &filter.status
        && !["active", "left", "excluded"].contains(&status.as_str())
    {
        return Err(ApiError::InvalidParameter(format!(
            "status {status:?} is not active, left or excluded"
        )));
    }
    let after = filter.after.map(PioneerId);
    let skill = filter
        .skill
        .as_deref()
        .map(|skill| skill.trim().to_lowercase());
    let territory = Territory::from_query(
        filter.commune.as_deref(),
        filter.department.as_deref(),
        filter.near.as_deref(),
        filter.within_km,
    )?;
    // Only the place a pioneer chose to show, opened with their key.
    let shown_in = |pioneer: &agora_projections::Pioneer| {
        territory.is_none()
            || territory::matches(
                &territory,
                state
                    .ledger
                    .keys()
                    .open(pioneer.id, &pioneer.personal)
                    .and_then(|data| data.place)
                    .as_ref(),
            )
    };
    let views = view
        .state
        .pioneers
        .values()
        .filter(|pioneer| after.is_none_or(|after| pioneer.id > after))
        .filter(|pioneer| {
            filter
                .status
                .as_deref()
                .is_none_or(|status| MembershipView::from(&pioneer.membership).status == status)
        })
        .filter(|pioneer| {
            filter
                .college
                .as_ref()
                .is_none_or(|college| pioneer.college == *college)
        })
        .filter(|pioneer| {
            skill
                .as_ref()
                .is_none_or(|skill| pioneer.profile.skills.contains(skill))
        })
        .filter(|pioneer| shown_in(pioneer))
        .take(limit)
        .map(|pioneer| {
            let own = caller.pioneer_id() == Some(pioneer.id);
            pioneer_view(&state, &view, pioneer, sees_contacts || own)
        })
        .collect();
    Ok(Json(views))
}

/// One pioneer.
#[utoipa::path(
    get, path = "/v1/communities/{community}/pioneers/{pioneer}", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path)),
    responses(
        (status = 200, body = PioneerView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_pioneer(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<PioneerId>,
) -> Result<Json<PioneerView>, ApiError> {
    let (view, actor) = enter(&state, &caller, &community, Access::MemberOrSelf(id))?;
    let found = view
        .state
        .pioneer(id)
        .ok_or(ApiError::Rejected(Rejection::PioneerNotFound {
            pioneer: id,
        }))?;
    let sees_contacts =
        matches!(actor.role, Role::Gardener | Role::Admin) || caller.pioneer_id() == Some(id);
    Ok(Json(pioneer_view(&state, &view, found, sees_contacts)))
}

/// Accept the charter in force.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/charter", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = CharterBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn accept_charter(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<CharterBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::SelfOnly(pioneer_id))?;
    let command = Command::AcceptCharter(AcceptCharter {
        pioneer_id,
        charter_version: body.value.charter_version,
    });
    let submission = Submission::new(community, actor, command, body.digest);
    submit(&state, &caller, context, submission).await
}

/// Update one's profile; personal fields are sealed anew.
#[utoipa::path(
    patch, path = "/v1/communities/{community}/pioneers/{pioneer}/profile", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_profile(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<ProfilePatch>,
) -> Result<Response, ApiError> {
    let (view, actor) = enter(&state, &caller, &community, Access::SelfOnly(pioneer_id))?;
    let current =
        view.state
            .pioneer(pioneer_id)
            .ok_or(ApiError::Rejected(Rejection::PioneerNotFound {
                pioneer: pioneer_id,
            }))?;
    let patch = body.value;
    let profile = PublicProfile {
        skills: patch
            .skills
            .unwrap_or_else(|| current.profile.skills.clone()),
        territory: patch
            .territory
            .unwrap_or_else(|| current.profile.territory.clone()),
    };
    let touches_personal = patch.display_name.is_some()
        || patch.email.is_some()
        || patch.contact.is_some()
        || patch.bio.is_some()
        || patch.place.is_some();
    let personal = if touches_personal {
        let key = state
            .ledger
            .keys()
            .key_of(pioneer_id)
            .ok_or(ApiError::Rejected(Rejection::PioneerForgotten {
                pioneer: pioneer_id,
            }))?;
        let mut data = key.open(pioneer_id, &current.personal).ok_or_else(|| {
            ApiError::Internal(format!("personal data of {pioneer_id} does not open"))
        })?;
        if let Some(display_name) = patch.display_name {
            data.display_name = display_name;
        }
        if let Some(email) = patch.email {
            data.email = email;
        }
        if let Some(contact) = patch.contact {
            data.contact = contact;
        }
        if let Some(bio) = patch.bio {
            data.bio = bio;
        }
        if let Some(place) = patch.place {
            data.place = place.map(|place| place.to_place("place")).transpose()?;
        }
        validate_personal(&data)?;
        Some(key.seal(pioneer_id, &data))
    } else {
        None
    };
    let submission = Submission::new(
        community,
        actor,
        Command::UpdateProfile(UpdateProfile {
            pioneer_id,
            profile,
            personal,
            based_on: (current.profile.clone(), current.personal.clone()),
        }),
        body.digest,
    );
    submit(&state, &caller, context, submission).await
}

/// Leave the community.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/leave", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn leave_community(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::SelfOnly(pioneer_id))?;
    let submission = Submission::new(
        community,
        actor,
        Command::LeaveCommunity(LeaveCommunity { pioneer_id }),
        empty_body(),
    );
    submit(&state, &caller, context, submission).await
}

/// Exclude a pioneer, with the reason.
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/exclude", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ExcludeBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn exclude_pioneer(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<ExcludeBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let submission = Submission::new(
        community,
        actor,
        Command::ExcludePioneer(ExcludePioneer {
            pioneer_id,
            reason: body.value.reason,
            by: caller.pioneer_id(),
        }),
        body.digest,
    );
    submit(&state, &caller, context, submission).await
}

/// Erase a departed pioneer's personal data for good (GDPR).
#[utoipa::path(
    post, path = "/v1/communities/{community}/pioneers/{pioneer}/forget", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn forget_pioneer(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Admin]))?;
    let submission = Submission::new(
        community,
        actor,
        Command::ForgetPioneer(ForgetPioneer { pioneer_id }),
        empty_body(),
    );
    submit(&state, &caller, context, submission).await
}

/// Set the roles a pioneer holds beyond `pioneer`.
#[utoipa::path(
    put, path = "/v1/communities/{community}/pioneers/{pioneer}/roles", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = RolesBody,
    responses(
        (status = 200, description = "The roles granted and revoked (none when unchanged)", body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_roles(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, pioneer_id): ItemPath<PioneerId>,
    body: JsonBody<RolesBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Admin]))?;
    let roles: BTreeSet<Role> = body.value.roles.into_iter().map(Role::from).collect();
    let submission = Submission::new(
        community,
        actor,
        Command::SetRoles(SetRoles { pioneer_id, roles }),
        body.digest,
    );
    submit(&state, &caller, context, submission).await
}

/// Change the person who represents an organisation member (the
/// organisation, through its representative, or the gardener, admins).
#[utoipa::path(
    put, path = "/v1/communities/{community}/pioneers/{pioneer}/representative", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), ("pioneer" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = RepresentativeBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `organisation-only`, `representative-not-member`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn change_representative(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, organisation): ItemPath<PioneerId>,
    body: JsonBody<RepresentativeBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::SelfOr(organisation, &[Role::Gardener, Role::Admin]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::ChangeRepresentative(ChangeRepresentative {
        organisation,
        representative: PioneerId(value.representative),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}
