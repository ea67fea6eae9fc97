//! Meetings and social events over HTTP: recorded by the gardener once they
//! took place, read by members, newest first.

use agora_events::{Event, MeetingId, MeetingKind, PioneerId, ProjectId, Role};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, JsonBody, Params, page_limit};
use crate::domain::{Command, RecordMeeting};
use crate::ledger::index;

/// Most meetings in one answer.
pub const MEETINGS_PAGE_MAX: usize = 200;

/// What kind of gathering.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKindDto {
    /// A working meeting, following a chosen project.
    Working,
    /// A social event (convivialité).
    Social,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    pub kind: MeetingKindDto,
    /// The day it took place (not in the future).
    #[schema(value_type = String, format = Date, example = "2026-06-20")]
    pub held_on: chrono::NaiveDate,
    #[schema(example = "Fête de la Saint-Jean des pionniers")]
    pub purpose: String,
    /// The project a working meeting followed.
    pub project_id: Option<Uuid>,
    /// The members who attended, each once.
    #[serde(default)]
    pub attendees: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingView {
    pub id: Uuid,
    pub kind: MeetingKindDto,
    pub held_on: String,
    pub purpose: String,
    pub project_id: Option<Uuid>,
    pub attendees: Vec<Uuid>,
    pub recorded_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingsView {
    /// Meetings recorded in all.
    pub total: u64,
    /// The newest after `offset`, at most `limit`.
    pub meetings: Vec<MeetingView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeetingsQuery {
    /// At most 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// How many of the newest to leave out: `offset=50` after a first page
    /// of 50 gives the next (a meeting recorded meanwhile shifts the pages
    /// by one: one may come twice, none is missed).
    #[serde(default)]
    #[param(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub offset: u64,
}

/// Record a working meeting or a social event that took place (gardener).
#[utoipa::path(
    post, path = "/v1/communities/{community}/meetings", tag = "communities",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = MeetingBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `meeting-took-place`, `attendee-unique`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_meeting(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<MeetingBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::RecordMeeting(RecordMeeting {
        meeting_id: MeetingId(Uuid::now_v7()),
        kind: match value.kind {
            MeetingKindDto::Working => MeetingKind::Working,
            MeetingKindDto::Social => MeetingKind::Social,
        },
        held_on: value.held_on,
        purpose: value.purpose,
        project_id: value.project_id.map(ProjectId),
        attendees: value.attendees.into_iter().map(PioneerId).collect(),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// The meetings and social events recorded, newest first (members).
#[utoipa::path(
    get, path = "/v1/communities/{community}/meetings", tag = "communities",
    params(("community" = crate::http::schema::Slug, Path), MeetingsQuery),
    responses(
        (status = 200, body = MeetingsView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_meetings(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<MeetingsQuery>,
) -> Result<Json<MeetingsView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let limit = page_limit(query.limit, 50, MEETINGS_PAGE_MAX)?;
    let (total, events) = state
        .ledger
        .newest_of_list(
            &community,
            (index::MEETINGS, view.revision),
            query.offset,
            limit,
        )
        .await?;
    let mut meetings = Vec::with_capacity(events.len());
    for (event, metadata) in events {
        if let Event::MeetingRecorded(meeting) = event {
            meetings.push(MeetingView {
                id: meeting.meeting_id.0,
                kind: match meeting.kind {
                    MeetingKind::Working => MeetingKindDto::Working,
                    MeetingKind::Social => MeetingKindDto::Social,
                },
                held_on: meeting.held_on.to_string(),
                purpose: meeting.purpose,
                project_id: meeting.project_id.map(|id| id.0),
                attendees: meeting.attendees.into_iter().map(|id| id.0).collect(),
                recorded_at: metadata.recorded_at.to_string(),
            });
        }
    }
    Ok(Json(MeetingsView { total, meetings }))
}
