//! Impact indicators over HTTP: measurements recorded for a project by the
//! gardener or its proposer, each indicator's series, and the latest value
//! of every indicator on the project and in the ranking.

use agora_events::{Event, MeasurementId, ProjectId, Quantity, Role};
use agora_projections::{CommunityState, Project};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, submit};
use super::communities::{CompassDto, DirectionDto};
use super::error::{ApiError, Problem};
use super::extract::{ItemPath, JsonBody, Params, page_limit};
use crate::domain::{Command, RecordMeasurement, Rejection};
use crate::ledger::index;

/// Most measurements in one page of a series.
pub const MEASUREMENTS_PAGE_MAX: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementBody {
    /// The indicator's code in the statutes.
    #[schema(example = "personnes-touchees")]
    pub indicator: String,
    /// In the indicator's unit, at most two decimals.
    #[schema(value_type = crate::http::schema::Amount, example = "340")]
    pub value: Quantity,
    /// The day it was measured (not in the future).
    #[schema(value_type = String, format = Date, example = "2026-09-01")]
    pub measured_on: chrono::NaiveDate,
    /// Where the figure comes from.
    #[schema(example = "Registre des entrées de la recyclerie")]
    pub source: String,
}

/// An indicator of the statutes with the project's latest value.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorValue {
    pub code: String,
    pub label: String,
    pub compass: CompassDto,
    pub unit: String,
    pub direction: DirectionDto,
    /// The latest value by the day it was measured; `null` if never measured.
    pub value: Option<String>,
    pub measured_on: Option<String>,
    pub source: Option<String>,
}

/// Every indicator of the statutes, with `project`'s latest value of it.
pub fn indicator_values(state: &CommunityState, project: &Project) -> Vec<IndicatorValue> {
    state
        .statutes
        .indicators
        .iter()
        .map(|indicator| {
            let measure = project.measures.get(&indicator.code);
            let dto = super::communities::IndicatorDto::from(indicator);
            IndicatorValue {
                code: dto.code,
                label: dto.label,
                compass: dto.compass,
                unit: dto.unit,
                direction: dto.direction,
                value: measure.map(|measure| measure.value.to_string()),
                measured_on: measure.map(|measure| measure.measured_on.to_string()),
                source: measure.map(|measure| measure.source.clone()),
            }
        })
        .collect()
}

/// Record a measurement of one of the statutes' impact indicators for a
/// project (the gardener, or the project's proposer).
#[utoipa::path(
    post, path = "/v1/communities/{community}/projects/{project}/measurements", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = MeasurementBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `indicator-in-statutes`, `measurement-took-place`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_measurement(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    body: JsonBody<MeasurementBody>,
) -> Result<Response, ApiError> {
    let proposer = state
        .ledger
        .view(&community)
        .and_then(|view| view.state.projects.get(project_id).map(|p| p.proposer));
    let access = match proposer {
        Some(proposer) => Access::SelfOr(proposer, &[Role::Gardener]),
        None => Access::AnyOf(&[Role::Gardener]),
    };
    let (_, actor) = enter(&state, &caller, &community, access)?;
    let JsonBody { value, digest } = body;
    let command = Command::RecordMeasurement(RecordMeasurement {
        measurement_id: MeasurementId(Uuid::now_v7()),
        project_id,
        indicator: value.indicator,
        value: value.value,
        measured_on: value.measured_on,
        source: value.source,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    /// The indicator's code.
    #[param(example = "personnes-touchees")]
    pub indicator: String,
    /// At most 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// How many of the newest to leave out, to page on.
    #[serde(default)]
    #[param(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub offset: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasurementView {
    pub id: Uuid,
    pub value: String,
    pub measured_on: String,
    pub source: String,
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesView {
    pub project_id: Uuid,
    pub indicator: String,
    /// Measurements recorded in all.
    pub total: u64,
    /// The newest recorded first.
    pub measurements: Vec<MeasurementView>,
}

/// The series of one indicator's measurements for a project, newest
/// recorded first (members).
#[utoipa::path(
    get, path = "/v1/communities/{community}/projects/{project}/measurements", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), SeriesQuery),
    responses(
        (status = 200, body = SeriesView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_measurements(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    Params(query): Params<SeriesQuery>,
) -> Result<Json<SeriesView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let limit = page_limit(query.limit, 100, MEASUREMENTS_PAGE_MAX)?;
    if view.state.projects.get(project_id).is_none() {
        return Err(Rejection::ProjectNotFound {
            project: project_id,
        }
        .into());
    }
    let key = index::measurements_key(project_id, &query.indicator);
    let (total, events) = state
        .ledger
        .newest_of_list(&community, (&key, view.revision), query.offset, limit)
        .await?;
    let measurements = events
        .into_iter()
        .filter_map(|(event, metadata)| match event {
            Event::IndicatorMeasured(measured) => Some(MeasurementView {
                id: measured.measurement_id.0,
                value: measured.value.to_string(),
                measured_on: measured.measured_on.to_string(),
                source: measured.source,
                recorded_at: metadata.recorded_at.to_string(),
                recorded_by: metadata.actor.id,
            }),
            _ => None,
        })
        .collect();
    Ok(Json(SeriesView {
        project_id: project_id.0,
        indicator: query.indicator,
        total,
        measurements,
    }))
}
