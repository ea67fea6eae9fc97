//! General assemblies over HTTP: convened and their attendance and minutes
//! recorded by the gardener; read by members.

use agora_events::{AssemblyId, AssemblyKind, Hash, PioneerId, Proxy, Role, Timestamp};
use agora_projections::Assembly;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody};
use crate::domain::{Command, ConveneAssembly, RecordAttendance, RecordMinutes, Rejection};

/// Who convenes assemblies and records their sheets.
const ORGANISERS: &[Role] = &[Role::Gardener, Role::Admin];

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssemblyKindDto {
    Ordinary,
    Extraordinary,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConveneBody {
    pub kind: AssemblyKindDto,
    /// RFC 3339, at least the statutes' notice ahead.
    #[schema(format = DateTime, example = "2027-03-14T18:00:00Z")]
    pub held_at: String,
    #[schema(example = "Salle des fêtes, Chambéry")]
    pub place: String,
    /// 1 to 30 items.
    pub agenda: Vec<String>,
    /// The assembly held without its quorum this one convenes again.
    pub second_convocation_of: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyDto {
    /// The member represented.
    pub member: Uuid,
    /// The present member who holds their proxy.
    pub proxy: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    pub present: Vec<Uuid>,
    #[serde(default)]
    pub represented: Vec<ProxyDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesBody {
    /// SHA-256 of the signed minutes, 64 lowercase hex digits.
    #[schema(value_type = crate::http::schema::Sha256)]
    pub sha256: Hash,
    #[schema(example = "PV AG 2027-03-14, classeur des PV")]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceView {
    pub present: Vec<Uuid>,
    pub represented: Vec<ProxyDto>,
    /// Members neither present nor represented.
    pub absent: u32,
    pub members: u32,
    pub quorum_required: u32,
    pub quorum_met: bool,
    pub recorded_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesView {
    pub sha256: String,
    pub reference: String,
    pub recorded_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssemblyView {
    pub id: Uuid,
    pub kind: AssemblyKindDto,
    pub held_at: String,
    pub place: String,
    pub agenda: Vec<String>,
    pub second_convocation_of: Option<Uuid>,
    pub convened_at: String,
    /// `null` until recorded, once held.
    pub attendance: Option<AttendanceView>,
    pub minutes: Option<MinutesView>,
    /// The ballots of its session.
    pub ballots: Vec<Uuid>,
}

fn assembly_view(
    community: &agora_projections::CommunityState,
    assembly: &Assembly,
) -> AssemblyView {
    let convened = &assembly.convened;
    AssemblyView {
        id: convened.assembly_id.0,
        kind: match convened.kind {
            AssemblyKind::Ordinary => AssemblyKindDto::Ordinary,
            AssemblyKind::Extraordinary => AssemblyKindDto::Extraordinary,
        },
        held_at: convened.held_at.to_string(),
        place: convened.place.clone(),
        agenda: convened.agenda.clone(),
        second_convocation_of: convened.second_convocation_of.map(|id| id.0),
        convened_at: assembly.convened_at.to_string(),
        attendance: assembly.attendance.as_ref().map(|(at, sheet)| {
            let attending = (sheet.present.len() + sheet.represented.len()) as u32;
            AttendanceView {
                present: sheet.present.iter().map(|id| id.0).collect(),
                represented: sheet
                    .represented
                    .iter()
                    .map(|proxy| ProxyDto {
                        member: proxy.member.0,
                        proxy: proxy.proxy.0,
                    })
                    .collect(),
                absent: sheet.members.saturating_sub(attending),
                members: sheet.members,
                quorum_required: sheet.quorum_required,
                quorum_met: sheet.quorum_met,
                recorded_at: at.to_string(),
            }
        }),
        minutes: assembly.minutes.as_ref().map(|(at, minutes)| MinutesView {
            sha256: minutes.sha256.to_string(),
            reference: minutes.reference.clone(),
            recorded_at: at.to_string(),
        }),
        ballots: community
            .ballots
            .by_id
            .values()
            .filter(|ballot| ballot.opened.assembly_id == Some(convened.assembly_id))
            .map(|ballot| ballot.opened.ballot_id.0)
            .collect(),
    }
}

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// Convene a general assembly (gardener, admins), at least the statutes'
/// notice ahead.
#[utoipa::path(
    post, path = "/v1/communities/{community}/assemblies", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ConveneBody,
    responses(
        (status = 201, body = CommandResponse),
        (status = "4XX", description = "E.g. `assembly-notice`, `second-convocation`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn convene_assembly(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ConveneBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(ORGANISERS))?;
    let JsonBody { value, digest } = body;
    let held_at: Timestamp = value
        .held_at
        .parse()
        .map_err(|error: agora_events::TimestampError| ApiError::InvalidBody(error.to_string()))?;
    let command = Command::ConveneAssembly(ConveneAssembly {
        assembly_id: AssemblyId(Uuid::now_v7()),
        kind: match value.kind {
            AssemblyKindDto::Ordinary => AssemblyKind::Ordinary,
            AssemblyKindDto::Extraordinary => AssemblyKind::Extraordinary,
        },
        held_at,
        place: value.place,
        agenda: value.agenda,
        second_convocation_of: value.second_convocation_of.map(AssemblyId),
    });
    let submission = Submission::new(community, actor, command, digest);
    submit(&state, &caller, context, submission).await
}

/// The community's general assemblies, the latest held first (members).
#[utoipa::path(
    get, path = "/v1/communities/{community}/assemblies", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = [AssemblyView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_assemblies(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<Vec<AssemblyView>>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let mut assemblies: Vec<&Assembly> = view.state.assemblies.by_id.values().collect();
    assemblies.sort_by_key(|assembly| std::cmp::Reverse(assembly.convened.held_at));
    Ok(Json(
        assemblies
            .into_iter()
            .map(|assembly| assembly_view(&view.state, assembly))
            .collect(),
    ))
}

/// One general assembly (members).
#[utoipa::path(
    get, path = "/v1/communities/{community}/assemblies/{assembly}", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("assembly" = Uuid, Path)),
    responses(
        (status = 200, body = AssemblyView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_assembly(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<AssemblyId>,
) -> Result<Json<AssemblyView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let assembly = view
        .state
        .assemblies
        .get(id)
        .ok_or(Rejection::AssemblyNotFound { assembly: id })?;
    Ok(Json(assembly_view(&view.state, assembly)))
}

/// Record the attendance sheet once the assembly is held (gardener,
/// admins): the quorum follows from it.
#[utoipa::path(
    post, path = "/v1/communities/{community}/assemblies/{assembly}/attendance", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("assembly" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = AttendanceBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `proxy-present`, `proxies-per-member`, `assembly-not-held-yet`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_attendance(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, assembly_id): ItemPath<AssemblyId>,
    body: JsonBody<AttendanceBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(ORGANISERS))?;
    let JsonBody { value, digest } = body;
    let command = Command::RecordAttendance(RecordAttendance {
        assembly_id,
        present: value.present.into_iter().map(PioneerId).collect(),
        represented: value
            .represented
            .into_iter()
            .map(|proxy| Proxy {
                member: PioneerId(proxy.member),
                proxy: PioneerId(proxy.proxy),
            })
            .collect(),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Record the SHA-256 of the signed minutes (gardener, admins).
#[utoipa::path(
    post, path = "/v1/communities/{community}/assemblies/{assembly}/minutes", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("assembly" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = MinutesBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_minutes(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, assembly_id): ItemPath<AssemblyId>,
    body: JsonBody<MinutesBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(ORGANISERS))?;
    let JsonBody { value, digest } = body;
    let command = Command::RecordMinutes(RecordMinutes {
        assembly_id,
        sha256: value.sha256,
        reference: value.reference,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}
