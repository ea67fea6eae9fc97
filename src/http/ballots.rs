//! Ballots over HTTP.

use agora_events::{
    AssemblyId, BallotId, BallotKind, BallotOption, Choice, Closure, ProjectId, Role, Timestamp,
    VotingMethod,
};
use agora_projections::Vote;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{
    CommandContext, CommandResponse, Submission, empty_body, enter, pioneer_caller, submit,
};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody};
use crate::domain::{CastVote, CloseBallot, Command, OpenBallot, Rejection};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodDto {
    /// One option per voter.
    Single,
    /// Any number of options per voter.
    Approval,
    /// A ranking per voter; Schulze picks the winner.
    Ranked,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    /// One member, one vote.
    Community,
    /// Weighted by college per the statutes.
    Assembly,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionDto {
    #[schema(example = "jardin")]
    pub option_id: String,
    pub label: String,
    pub project_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBallotBody {
    pub question: String,
    pub options: Vec<OptionDto>,
    pub method: MethodDto,
    #[serde(default = "community_kind")]
    pub kind: KindDto,
    /// RFC 3339; in the future.
    #[schema(format = DateTime, example = "2026-12-15T18:00:00Z")]
    pub closes_at: String,
    /// The general assembly whose session holds it (held with its quorum):
    /// its electorate is then the members who attended.
    pub assembly_id: Option<Uuid>,
}

fn community_kind() -> KindDto {
    KindDto::Community
}

/// A vote.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChoiceDto {
    Single {
        option_id: String,
    },
    Approval {
        option_ids: Vec<String>,
    },
    /// Most preferred first; options left out rank last.
    Ranked {
        ranking: Vec<String>,
    },
}

impl From<ChoiceDto> for Choice {
    fn from(choice: ChoiceDto) -> Self {
        match choice {
            ChoiceDto::Single { option_id } => Self::Single { option_id },
            ChoiceDto::Approval { option_ids } => Self::Approval { option_ids },
            ChoiceDto::Ranked { ranking } => Self::Ranked { ranking },
        }
    }
}

impl From<Choice> for ChoiceDto {
    fn from(choice: Choice) -> Self {
        match choice {
            Choice::Single { option_id } => Self::Single { option_id },
            Choice::Approval { option_ids } => Self::Approval { option_ids },
            Choice::Ranked { ranking } => Self::Ranked { ranking },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    pub choice: ChoiceDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    pub option_id: String,
    pub score: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BallotView {
    pub id: Uuid,
    pub question: String,
    pub options: Vec<OptionDto>,
    pub method: MethodDto,
    pub kind: KindDto,
    pub opened_at: String,
    pub closes_at: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// Members entitled to vote, frozen at opening.
    pub electorate: usize,
    /// The general assembly session it belongs to, if any.
    pub assembly_id: Option<Uuid>,
    /// Voters whose vote counts (their last).
    pub voters: u64,
    /// Votes cast, revotes included.
    pub votes_cast: u64,
    /// The caller's own current vote, if any.
    pub my_vote: Option<ChoiceDto>,
    pub closed_at: Option<String>,
    /// `gardener` or `schedule`.
    pub closed_by: Option<&'static str>,
    /// Per option, winner first, once closed.
    pub results: Vec<ResultView>,
    pub winner: Option<String>,
    /// Options left out of the count at the close: in an election, the
    /// candidates who had left the community.
    pub withdrawn: Vec<String>,
}

/// Open a ballot (gardener): the electorate and rules are frozen now.
#[utoipa::path(
    post, path = "/v1/communities/{community}/ballots", tag = "ballots",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = OpenBallotBody,
    responses(
        (status = 201, body = CommandResponse),
        (status = "4XX", description = "Refused; `rule` names the rule", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn open_ballot(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<OpenBallotBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
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
    let command = Command::OpenBallot(OpenBallot {
        ballot_id: BallotId(Uuid::now_v7()),
        question: value.question,
        options: value
            .options
            .into_iter()
            .map(|option| BallotOption {
                option_id: option.option_id,
                label: option.label,
                project_id: option.project_id.map(ProjectId),
            })
            .collect(),
        method: match value.method {
            MethodDto::Single => VotingMethod::Single,
            MethodDto::Approval => VotingMethod::Approval,
            MethodDto::Ranked => VotingMethod::Ranked,
        },
        kind: match value.kind {
            KindDto::Community => BallotKind::Community,
            KindDto::Assembly => BallotKind::Assembly,
        },
        closes_at,
        sealed: false,
        assembly_id: value.assembly_id.map(AssemblyId),
        election: None,
    });
    let submission = Submission::new(community, actor, command, digest);
    submit(&state, &caller, context, submission).await
}

/// A ballot: its rules, participation, and once closed its result.
#[utoipa::path(
    get, path = "/v1/communities/{community}/ballots/{ballot}", tag = "ballots",
    params(("community" = crate::http::schema::Slug, Path), ("ballot" = Uuid, Path)),
    responses(
        (status = 200, body = BallotView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_ballot(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<BallotId>,
) -> Result<Json<BallotView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let ballot = view
        .state
        .ballots
        .get(id)
        .ok_or(Rejection::BallotNotFound { ballot: id })?;
    // A voter reads their own vote, sealed or not: in memory while the
    // ballot is open, from the log once it is closed.
    let my_vote = match caller.pioneer_id() {
        Some(me) => {
            let vote = if ballot.is_open() {
                ballot.votes.get(&me).cloned()
            } else {
                state
                    .ledger
                    .vote_of(&community, id, me, view.revision)
                    .await?
            };
            vote.and_then(|vote| match vote {
                Vote::Clear(choice) => Some(choice),
                Vote::Sealed(sealed) => state.ledger.ballot_key(ballot)?.open(me, &sealed),
            })
        }
        None => None,
    };
    let opened = &ballot.opened;
    let closed = ballot.closed.as_ref();
    Ok(Json(BallotView {
        id: id.0,
        question: opened.question.clone(),
        options: opened
            .options
            .iter()
            .map(|option| OptionDto {
                option_id: option.option_id.clone(),
                label: option.label.clone(),
                project_id: option.project_id.map(|id| id.0),
            })
            .collect(),
        method: match opened.method {
            VotingMethod::Single => MethodDto::Single,
            VotingMethod::Approval => MethodDto::Approval,
            VotingMethod::Ranked => MethodDto::Ranked,
        },
        kind: match opened.kind {
            BallotKind::Community => KindDto::Community,
            BallotKind::Assembly => KindDto::Assembly,
        },
        opened_at: ballot.opened_at.to_string(),
        closes_at: opened.closes_at.to_string(),
        status: if closed.is_some() { "closed" } else { "open" },
        electorate: opened.electorate.len(),
        assembly_id: opened.assembly_id.map(|id| id.0),
        voters: ballot.voters,
        votes_cast: ballot.votes_cast,
        my_vote: my_vote.map(Into::into),
        closed_at: closed.map(|(at, _)| at.to_string()),
        closed_by: closed.map(|(_, closed)| match closed.closed_by {
            Closure::Gardener => "gardener",
            Closure::Schedule => "schedule",
        }),
        results: closed
            .map(|(_, closed)| {
                closed
                    .results
                    .iter()
                    .map(|result| ResultView {
                        option_id: result.option_id.clone(),
                        score: result.score.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        winner: closed.and_then(|(_, closed)| closed.winner.clone()),
        withdrawn: closed.map_or_else(Vec::new, |(_, closed)| closed.withdrawn.clone()),
    }))
}

/// Vote (a member of the electorate in good standing); a revote replaces
/// the earlier vote.
#[utoipa::path(
    post, path = "/v1/communities/{community}/ballots/{ballot}/votes", tag = "ballots",
    params(("community" = crate::http::schema::Slug, Path), ("ballot" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = VoteBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `electorate-only`, `ballot-closed`, `choice-fits-method`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn cast_vote(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, ballot): ItemPath<BallotId>,
    body: JsonBody<VoteBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Pioneer]))?;
    let JsonBody { value, digest } = body;
    let command = Command::CastVote(CastVote {
        ballot_id: ballot,
        voter: pioneer_caller(&caller)?,
        choice: value.choice.into(),
        sealed: None,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Close a ballot now (gardener) and record its tally.
#[utoipa::path(
    post, path = "/v1/communities/{community}/ballots/{ballot}/close", tag = "ballots",
    params(("community" = crate::http::schema::Slug, Path), ("ballot" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn close_ballot(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, ballot): ItemPath<BallotId>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Gardener]),
    )?;
    let command = Command::CloseBallot(CloseBallot {
        ballot_id: ballot,
        closed_by: Closure::Gardener,
        key: None,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, empty_body()),
    )
    .await
}
