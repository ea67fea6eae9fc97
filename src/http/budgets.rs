//! Forecast budgets over HTTP: the community's and each project's, set or
//! revised by the treasurer or the gardener, read by members with what was
//! spent on each line.

use agora_events::{BudgetLine, BudgetScope, Euros, ProjectId, Role};
use agora_projections::BudgetFigures;
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
use crate::domain::{Command, Rejection, SetBudget};

/// One line of a forecast budget.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLineBody {
    /// Lowercase letters and digits, words joined by hyphens; expenses name it.
    #[schema(
        example = "moyens-humains",
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 40
    )]
    pub code: String,
    #[schema(example = "Moyens humains (interne et externe)")]
    pub label: String,
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "10920.00")]
    pub forecast: Euros,
}

/// A forecast budget: its lines replace those in force.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    /// 1 to 50 lines, each code once.
    pub lines: Vec<BudgetLineBody>,
    /// Why it is set or revised, e.g. the decision that adopted it.
    #[schema(example = "Budget prévisionnel adopté par l'AG du 14 mars")]
    pub reason: String,
}

/// Whose budget.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BudgetScopeView {
    Community,
    Project { project_id: Uuid },
}

/// One line beside what was booked to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetLineView {
    pub code: String,
    pub label: String,
    pub forecast: String,
    pub spent: String,
    /// Forecast less spent: negative once overspent.
    pub remaining: String,
    /// Spent beyond its forecast.
    pub over_forecast: bool,
}

/// A forecast budget against what was spent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetView {
    pub scope: BudgetScopeView,
    /// When it was first set, and last revised.
    pub first_set_at: String,
    pub set_at: String,
    /// How many times it was set.
    pub versions: u32,
    pub forecast: String,
    /// Spent on its lines.
    pub spent: String,
    /// Spent in its scope on no line of it (expenses recorded before it,
    /// or, for the community's, on a project's own lines).
    pub unbudgeted: String,
    pub lines: Vec<BudgetLineView>,
    /// The codes of the lines spent beyond their forecast.
    pub over_forecast: Vec<String>,
}

impl BudgetView {
    pub fn of(scope: BudgetScope, figures: &BudgetFigures<'_>) -> Self {
        Self {
            scope: match scope {
                BudgetScope::Community => BudgetScopeView::Community,
                BudgetScope::Project { project_id } => BudgetScopeView::Project {
                    project_id: project_id.0,
                },
            },
            first_set_at: figures.budget.first_set_at.to_string(),
            set_at: figures.budget.set_at.to_string(),
            versions: figures.budget.versions,
            forecast: figures.budget.total.to_string(),
            spent: figures.spent.to_string(),
            unbudgeted: figures.unbudgeted.to_string(),
            lines: figures
                .lines
                .iter()
                .map(|line| BudgetLineView {
                    code: line.line.code.clone(),
                    label: line.line.label.clone(),
                    forecast: line.line.forecast.to_string(),
                    spent: line.spent.to_string(),
                    remaining: line.remaining().to_string(),
                    over_forecast: line.over_forecast(),
                })
                .collect(),
            over_forecast: figures
                .over_forecast()
                .map(|line| line.line.code.clone())
                .collect(),
        }
    }
}

const PROBLEMS: &str = "E.g. `budget-line-code`, `budget-line-in-use`, `budget-changes-nothing`";

/// Who sets budgets.
const SETTERS: &[Role] = &[Role::Treasurer, Role::Gardener];

async fn set_budget(
    state: &AppState,
    caller: &Caller,
    context: CommandContext,
    community: agora_events::CommunitySlug,
    scope: BudgetScope,
    body: JsonBody<BudgetBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(state, caller, &community, Access::AnyOf(SETTERS))?;
    let JsonBody { value, digest } = body;
    let command = Command::SetBudget(SetBudget {
        scope,
        lines: value
            .lines
            .into_iter()
            .map(|line| BudgetLine {
                code: line.code,
                label: line.label,
                forecast: line.forecast,
            })
            .collect(),
        reason: value.reason,
    });
    submit(
        state,
        caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

fn budget_of(
    state: &AppState,
    caller: &Caller,
    community: &agora_events::CommunitySlug,
    scope: BudgetScope,
) -> Result<Json<BudgetView>, ApiError> {
    let (view, _) = enter(state, caller, community, Access::Member)?;
    if let BudgetScope::Project { project_id } = scope
        && view.state.projects.get(project_id).is_none()
    {
        return Err(Rejection::ProjectNotFound {
            project: project_id,
        }
        .into());
    }
    let figures = view
        .state
        .funds
        .budget_figures(scope)
        .ok_or(Rejection::BudgetNotFound { scope })?;
    Ok(Json(BudgetView::of(scope, &figures)))
}

/// Set or revise the community's forecast budget (treasurer or gardener).
#[utoipa::path(
    put, path = "/v1/communities/{community}/budget", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = BudgetBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_community_budget(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<BudgetBody>,
) -> Result<Response, ApiError> {
    set_budget(
        &state,
        &caller,
        context,
        community,
        BudgetScope::Community,
        body,
    )
    .await
}

/// The community's forecast budget against what was spent, line by line.
#[utoipa::path(
    get, path = "/v1/communities/{community}/budget", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = BudgetView),
        (status = "4XX", description = "E.g. `budget-not-found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_community_budget(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<BudgetView>, ApiError> {
    budget_of(&state, &caller, &community, BudgetScope::Community)
}

/// Set or revise a project's forecast budget (treasurer or gardener).
#[utoipa::path(
    put, path = "/v1/communities/{community}/projects/{project}/budget", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = BudgetBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_project_budget(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    body: JsonBody<BudgetBody>,
) -> Result<Response, ApiError> {
    let scope = BudgetScope::Project { project_id };
    set_budget(&state, &caller, context, community, scope, body).await
}

/// A project's forecast budget against what was spent, line by line.
#[utoipa::path(
    get, path = "/v1/communities/{community}/projects/{project}/budget", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path)),
    responses(
        (status = 200, body = BudgetView),
        (status = "4XX", description = "E.g. `budget-not-found`, `project-not-found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_project_budget(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, project_id): ItemPath<ProjectId>,
) -> Result<Json<BudgetView>, ApiError> {
    budget_of(
        &state,
        &caller,
        &community,
        BudgetScope::Project { project_id },
    )
}
