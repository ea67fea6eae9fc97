//! Projects and the ranking over HTTP.

use agora_events::{Euros, ProjectId, ProjectStatus, Role, Timestamp};
use agora_projections::{Project, ProjectScores, Ranked};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, pioneer_caller, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody, Params};
use super::territory::{self, PlaceDto, Territory};
use crate::domain::{ChangeProjectStatus, Command, ProposeProject, Rejection, ScoreProject};
use crate::ledger::DurableView;

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusDto {
    Proposed,
    Selected,
    InProgress,
    Done,
    Withdrawn,
}

impl From<StatusDto> for ProjectStatus {
    fn from(status: StatusDto) -> Self {
        match status {
            StatusDto::Proposed => Self::Proposed,
            StatusDto::Selected => Self::Selected,
            StatusDto::InProgress => Self::InProgress,
            StatusDto::Done => Self::Done,
            StatusDto::Withdrawn => Self::Withdrawn,
        }
    }
}

impl From<ProjectStatus> for StatusDto {
    fn from(status: ProjectStatus) -> Self {
        match status {
            ProjectStatus::Proposed => Self::Proposed,
            ProjectStatus::Selected => Self::Selected,
            ProjectStatus::InProgress => Self::InProgress,
            ProjectStatus::Done => Self::Done,
            ProjectStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalBody {
    #[schema(example = "Jardin partagé du quartier")]
    pub title: String,
    pub summary: String,
    /// Where it takes place: a commune, coordinates (recorded to about a
    /// kilometre), or both.
    pub place: Option<PlaceDto>,
}

/// The gardener's three criteria.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectScoresDto {
    /// Share of pioneers concerned, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub concerned_percent: u8,
    /// Euros.
    #[schema(value_type = crate::http::schema::Amount, example = "12000.00")]
    pub estimated_cost: Euros,
    /// Possibility of self-financing, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub self_financing_percent: u8,
}

impl From<ProjectScores> for ProjectScoresDto {
    fn from(scores: ProjectScores) -> Self {
        Self {
            concerned_percent: scores.concerned_percent,
            estimated_cost: scores.estimated_cost,
            self_financing_percent: scores.self_financing_percent,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: StatusDto,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoredAt {
    pub at: String,
    pub scores: ProjectScoresDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusAt {
    pub at: String,
    pub status: StatusDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    pub proposer: Uuid,
    pub title: String,
    pub summary: String,
    pub proposed_at: String,
    pub status: StatusDto,
    pub scores: Option<ProjectScoresDto>,
    /// Every score given, oldest first.
    pub score_history: Vec<ScoredAt>,
    pub status_history: Vec<StatusAt>,
    /// The project's time-credit account balance.
    #[schema(value_type = crate::http::schema::Amount)]
    pub time_credits: agora_events::Hours,
    /// Euros allocated, spent, and left to spend.
    pub allocated: String,
    pub spent: String,
    /// Every impact indicator of the statutes, with the project's latest
    /// value of it.
    pub indicators: Vec<super::impact::IndicatorValue>,
    pub place: Option<PlaceDto>,
}

fn project_view(view: &DurableView, project: &Project) -> ProjectView {
    let state = &view.state;
    let (allocated, spent) = state.funds.of_project(project.id).fold(
        (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO),
        |(a, s), allocation| {
            (
                a + allocation.allocated.amount.value(),
                s + allocation.spent.value(),
            )
        },
    );
    ProjectView {
        id: project.id.0,
        proposer: project.proposer.0,
        title: project.title.clone(),
        summary: project.summary.clone(),
        proposed_at: project.proposed_at.to_string(),
        status: project.status().into(),
        scores: project.current_scores().map(Into::into),
        score_history: project
            .scores
            .iter()
            .map(|(at, scores)| ScoredAt {
                at: at.to_string(),
                scores: (*scores).into(),
            })
            .collect(),
        status_history: project
            .statuses
            .iter()
            .map(|(at, status)| StatusAt {
                at: at.to_string(),
                status: (*status).into(),
            })
            .collect(),
        time_credits: state
            .market
            .balance(agora_events::AccountId::Project(project.id)),
        allocated: format!("{allocated:.2}"),
        spent: format!("{spent:.2}"),
        indicators: super::impact::indicator_values(state, project),
        place: project.place.as_ref().map(PlaceDto::of),
    }
}

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// Propose a project (a member in good standing).
#[utoipa::path(
    post, path = "/v1/communities/{community}/projects", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ProposalBody,
    responses(
        (status = 201, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn propose_project(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ProposalBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let proposer = pioneer_caller(&caller)?;
    let JsonBody { value, digest } = body;
    let place = value
        .place
        .as_ref()
        .map(|place| place.to_place("place"))
        .transpose()?;
    let submission = Submission::new(
        community,
        actor,
        Command::ProposeProject(ProposeProject {
            project_id: ProjectId(Uuid::now_v7()),
            proposer,
            title: value.title,
            summary: value.summary,
            place,
        }),
        digest,
    );
    submit(&state, &caller, context, submission).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProjectFilter {
    pub status: Option<StatusDto>,
    /// Only those in this commune (its INSEE code).
    #[param(value_type = Option<crate::http::schema::Commune>)]
    pub commune: Option<String>,
    /// Only those in this department (`38`, `2A`, `974`).
    #[param(value_type = Option<crate::http::schema::Department>)]
    pub department: Option<String>,
    /// Only those around this point, `latitude,longitude`.
    #[param(value_type = Option<crate::http::schema::Near>)]
    pub near: Option<String>,
    /// How far around `near`, in km: 1 to 1000, default 10.
    #[param(minimum = 1, maximum = 1000)]
    pub within_km: Option<u32>,
}

/// Projects, in order of proposal.
#[utoipa::path(
    get, path = "/v1/communities/{community}/projects", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ProjectFilter),
    responses(
        (status = 200, body = [ProjectView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(filter): Params<ProjectFilter>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let territory = Territory::from_query(
        filter.commune.as_deref(),
        filter.department.as_deref(),
        filter.near.as_deref(),
        filter.within_km,
    )?;
    let mut projects: Vec<&Project> = view
        .state
        .projects
        .by_id
        .values()
        .filter(|project| territory::matches(&territory, project.place.as_ref()))
        .filter(|project| {
            filter
                .status
                .is_none_or(|status| project.status() == status.into())
        })
        .collect();
    projects.sort_by_key(|project| project.sequence);
    Ok(Json(
        projects
            .into_iter()
            .map(|project| project_view(&view, project))
            .collect(),
    ))
}

/// One project, with its score and status history.
#[utoipa::path(
    get, path = "/v1/communities/{community}/projects/{project}", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path)),
    responses(
        (status = 200, body = ProjectView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_project(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<ProjectId>,
) -> Result<Json<ProjectView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let project = view
        .state
        .projects
        .get(id)
        .ok_or(Rejection::ProjectNotFound { project: id })?;
    Ok(Json(project_view(&view, project)))
}

/// Score or rescore a project (gardener); earlier scores stay in history.
#[utoipa::path(
    post, path = "/v1/communities/{community}/projects/{project}/scores", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ProjectScoresDto,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn score_project(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    body: JsonBody<ProjectScoresDto>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::ScoreProject(ScoreProject {
        project_id,
        concerned_percent: value.concerned_percent,
        estimated_cost: value.estimated_cost,
        self_financing_percent: value.self_financing_percent,
        by: caller.pioneer_id(),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Move a project to another status (gardener).
#[utoipa::path(
    post, path = "/v1/communities/{community}/projects/{project}/status", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = StatusBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `project-status-transition`, `one-project-at-a-time`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn change_project_status(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    body: JsonBody<StatusBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::ChangeProjectStatus(ChangeProjectStatus {
        project_id,
        to: value.status.into(),
        reason: value.reason,
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
pub struct RankingQuery {
    /// An RFC 3339 instant: the ranking as it stood then. Default: now.
    #[param(format = DateTime)]
    pub as_of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankedView {
    pub rank: usize,
    pub project_id: Uuid,
    pub title: String,
    /// The total, 0 to 100: the sum of the three contributions.
    pub score: String,
    pub contributions: Contributions,
    pub scores: ProjectScoresDto,
    /// The project's latest value of each impact indicator it measured,
    /// shown beside the ranking, which they do not change; empty with
    /// `as_of`.
    pub indicators: Vec<super::impact::IndicatorValue>,
}

/// Each criterion's part of the score: its weight times its 0–1 value.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contributions {
    pub concerned: String,
    pub cost: String,
    pub self_financing: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingView {
    pub as_of: Option<String>,
    /// The formula, in words.
    pub formula: &'static str,
    pub ranking: Vec<RankedView>,
}

/// How the ranking is computed (see `docs/ranking.md`).
pub const RANKING_FORMULA: &str = "score = concerned_weight × concerned_percent/100 + cost_weight × reference / (reference + estimated cost), the reference being the statutes' cost_reference (10000.00 € by default) + self_financing_weight × self_financing_percent/100, over scored projects neither done nor withdrawn; higher first, ties to the earlier proposal";

/// The gardener's ranking, now or as of a past instant, with each
/// criterion's contribution.
#[utoipa::path(
    get, path = "/v1/communities/{community}/ranking", tag = "projects",
    params(("community" = crate::http::schema::Slug, Path), RankingQuery),
    responses(
        (status = 200, body = RankingView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_ranking(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<RankingQuery>,
) -> Result<Json<RankingView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let as_of = query
        .as_of
        .as_deref()
        .map(|text| {
            text.parse::<Timestamp>()
                .map_err(|error| ApiError::InvalidParameter(error.to_string()))
        })
        .transpose()?;
    let projects = &view.state.projects;
    let ranked = |ranked: Ranked| RankedView {
        rank: ranked.rank,
        project_id: ranked.project_id.0,
        title: projects
            .get(ranked.project_id)
            .map(|project| project.title.clone())
            .unwrap_or_default(),
        indicators: projects
            .get(ranked.project_id)
            .filter(|_| as_of.is_none())
            .map(|project| super::impact::indicator_values(&view.state, project))
            .unwrap_or_default()
            .into_iter()
            .filter(|indicator| indicator.value.is_some())
            .collect(),
        score: format!("{:.4}", ranked.score),
        contributions: Contributions {
            concerned: format!("{:.4}", ranked.concerned),
            cost: format!("{:.4}", ranked.cost),
            self_financing: format!("{:.4}", ranked.self_financing),
        },
        scores: ranked.scores.into(),
    };
    Ok(Json(RankingView {
        as_of: as_of.map(|at| at.to_string()),
        formula: RANKING_FORMULA,
        ranking: projects.ranking(as_of).into_iter().map(ranked).collect(),
    }))
}
