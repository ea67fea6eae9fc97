//! The community's representative over HTTP: members stand and withdraw,
//! the gardener opens the election in an assembly session, members read
//! who holds the mandate and who stands.

use agora_events::{
    AssemblyId, BallotId, BallotKind, BallotOption, Election, Role, Timestamp, VotingMethod,
};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::ballots::MethodDto;
use super::caller::{Access, Caller};
use super::command::{
    CommandContext, CommandResponse, Submission, empty_body, enter, pioneer_caller, submit,
};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, JsonBody};
use super::pioneers::display_name;
use crate::domain::{Command, DeclareCandidacy, OpenBallot, WithdrawCandidacy};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidacyBody {
    #[schema(example = "Je porterai la voix des pionniers auprès de la SCIC.")]
    pub statement: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ElectionBody {
    /// The assembly whose session holds the election (held with its quorum).
    pub assembly_id: Uuid,
    /// RFC 3339; in the future.
    #[schema(format = DateTime, example = "2027-03-14T20:00:00Z")]
    pub closes_at: String,
    pub method: MethodDto,
    /// The mandate's term, 1 to 72 months.
    #[schema(minimum = 1, maximum = 72, example = 24)]
    pub term_months: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateView {
    pub pioneer_id: Uuid,
    pub display_name: Option<String>,
    pub statement: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MandateView {
    pub pioneer_id: Uuid,
    pub display_name: Option<String>,
    pub from: String,
    pub until: String,
    /// The election ballot it comes from.
    pub ballot_id: Uuid,
    /// Still running now.
    pub in_force: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepresentativeView {
    /// The latest mandate granted, running or not.
    pub mandate: Option<MandateView>,
    pub candidates: Vec<CandidateView>,
    /// The election ballot under way, if any.
    pub election: Option<Uuid>,
}

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// Stand for representative (the member themself, in good standing).
#[utoipa::path(
    post, path = "/v1/communities/{community}/representative/candidacies", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = CandidacyBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `candidacy-exists`, `election-under-way`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn declare_candidacy(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<CandidacyBody>,
) -> Result<Response, ApiError> {
    let pioneer_id = pioneer_caller(&caller)?;
    let (_, actor) = enter(&state, &caller, &community, Access::SelfOnly(pioneer_id))?;
    let JsonBody { value, digest } = body;
    let command = Command::DeclareCandidacy(DeclareCandidacy {
        pioneer_id,
        statement: value.statement,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Withdraw one's candidacy before the election opens.
#[utoipa::path(
    post, path = "/v1/communities/{community}/representative/candidacies/withdraw", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn withdraw_candidacy(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
) -> Result<Response, ApiError> {
    let pioneer_id = pioneer_caller(&caller)?;
    let (_, actor) = enter(&state, &caller, &community, Access::SelfOnly(pioneer_id))?;
    let command = Command::WithdrawCandidacy(WithdrawCandidacy { pioneer_id });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, empty_body()),
    )
    .await
}

/// Open the election of the representative between the candidates, in an
/// assembly session (gardener); its winner holds the mandate for the term.
#[utoipa::path(
    post, path = "/v1/communities/{community}/representative/election", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ElectionBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `election-candidates`, `assembly-quorum`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn open_election(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ElectionBody>,
) -> Result<Response, ApiError> {
    let (view, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let JsonBody { value, digest } = body;
    let closes_at: Timestamp = value
        .closes_at
        .parse()
        .map_err(|error: agora_events::TimestampError| ApiError::InvalidBody(error.to_string()))?;
    // One option per candidate, named by their id, labelled by their name.
    let options = view
        .state
        .representation
        .candidates
        .keys()
        .map(|&candidate| BallotOption {
            option_id: candidate.to_string(),
            label: display_name(&state, &view.state, candidate)
                .unwrap_or_else(|| candidate.to_string()),
            project_id: None,
        })
        .collect();
    let command = Command::OpenBallot(OpenBallot {
        ballot_id: BallotId(Uuid::now_v7()),
        question: "Élection du représentant de la communauté".into(),
        options,
        method: match value.method {
            MethodDto::Single => VotingMethod::Single,
            MethodDto::Approval => VotingMethod::Approval,
            MethodDto::Ranked => VotingMethod::Ranked,
        },
        kind: BallotKind::Assembly,
        closes_at,
        sealed: false,
        assembly_id: Some(AssemblyId(value.assembly_id)),
        election: Some(Election {
            term_months: value.term_months,
        }),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Who holds the representative's mandate, and who stands (members).
#[utoipa::path(
    get, path = "/v1/communities/{community}/representative", tag = "assemblies",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = RepresentativeView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_representative(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<RepresentativeView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let community = &view.state;
    let name = |id| display_name(&state, community, id);
    let representation = &community.representation;
    let now = state.ledger.now();
    Ok(Json(RepresentativeView {
        mandate: representation.mandate.as_ref().map(|mandate| MandateView {
            pioneer_id: mandate.pioneer_id.0,
            display_name: name(mandate.pioneer_id),
            from: mandate.from.to_string(),
            until: mandate.until.to_string(),
            ballot_id: mandate.ballot_id.0,
            in_force: representation.holder_at(now).is_some(),
        }),
        candidates: representation
            .candidates
            .iter()
            .map(|(&id, statement)| CandidateView {
                pioneer_id: id.0,
                display_name: name(id),
                statement: statement.clone(),
            })
            .collect(),
        election: representation.election.map(|ballot| ballot.0),
    }))
}
