//! Members' duties at a glance, for the gardener: the charter in force
//! accepted, at least one fully paid share, the profile kept up to date
//! (who is behind on which, and since when), and the general assemblies
//! attended.

use agora_events::{PioneerId, Role, Timestamp};
use agora_projections::DutiesBehind;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::enter;
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, Params};
use super::pioneers::display_name;

/// One member's duties.
#[derive(Debug, Serialize, ToSchema)]
pub struct DutiesView {
    pub pioneer_id: Uuid,
    /// `null` once their personal data is erased.
    pub display_name: Option<String>,
    pub college: String,
    /// The charter version they accepted last, if any.
    pub charter_version: Option<String>,
    /// Since when they have not accepted the charter in force.
    pub charter_behind_since: Option<String>,
    /// Fully paid shares they hold.
    pub paid_shares: u32,
    /// Since when they hold no fully paid share.
    pub shares_behind_since: Option<String>,
    /// When they last updated their profile (`null`: never since admission).
    pub profile_updated_at: Option<String>,
    /// Since when their profile is out of date (not updated for a year).
    pub profile_behind_since: Option<String>,
    /// The earliest of the three: since when they are behind at all.
    pub behind_since: Option<String>,
    /// Since when they are behind on the assembly: absent from the latest
    /// one held since their admission.
    pub assembly_behind_since: Option<String>,
    /// General assemblies they attended, present or represented.
    pub assemblies_attended: usize,
    /// General assemblies held (attendance recorded) since their admission.
    pub assemblies_held: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DutiesQuery {
    /// Only the members behind on some duty (default), or every member.
    pub behind: Option<bool>,
}

/// Each active member's duties, those behind longest first (gardener,
/// admins). A profile is out of date after a year without an update.
#[utoipa::path(
    get, path = "/v1/communities/{community}/duties", tag = "pioneers",
    params(("community" = crate::http::schema::Slug, Path), DutiesQuery),
    responses(
        (status = 200, body = [DutiesView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_duties(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<DutiesQuery>,
) -> Result<Json<Vec<DutiesView>>, ApiError> {
    let (view, _) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener, Role::Admin]),
    )?;
    let only_behind = query.behind.unwrap_or(true);
    let now = state.ledger.now();
    let community = &view.state;
    let mut members: Vec<(Option<Timestamp>, PioneerId, DutiesView)> = community
        .pioneers
        .values()
        .filter(|pioneer| pioneer.is_active())
        .filter_map(|pioneer| {
            let behind: DutiesBehind = community.duties_behind(pioneer, now);
            let since = behind.since();
            if only_behind && since.is_none() {
                return None;
            }
            let text = |at: Option<Timestamp>| at.map(|at| at.to_string());
            let view = DutiesView {
                pioneer_id: pioneer.id.0,
                display_name: display_name(&state, community, pioneer.id),
                college: pioneer.college.clone(),
                charter_version: pioneer.charter_version.clone(),
                charter_behind_since: text(behind.charter),
                paid_shares: community.register.holding(pioneer.id).held_paid_shares(),
                shares_behind_since: text(behind.shares),
                profile_updated_at: text(pioneer.profile_updated_at),
                profile_behind_since: text(behind.profile),
                behind_since: text(since),
                assembly_behind_since: text(behind.assembly),
                assemblies_attended: community.assemblies.attended_by(pioneer.id),
                assemblies_held: community
                    .assemblies
                    .by_id
                    .values()
                    .filter(|assembly| {
                        assembly.attendance.is_some()
                            && assembly.convened.held_at >= pioneer.admitted_at
                    })
                    .count(),
            };
            Some((since, pioneer.id, view))
        })
        .collect();
    // Behind longest first, then those behind on nothing; by id within.
    members.sort_by_key(|(since, id, _)| (since.is_none(), *since, *id));
    Ok(Json(members.into_iter().map(|(_, _, view)| view).collect()))
}
