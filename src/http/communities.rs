//! Communities and their statutes: `POST /v1/communities` (admin),
//! `GET /v1/communities/{c}` (members), `PUT …/statutes` (admin).

use agora_events::{
    College, CommunitySlug, Compass, Direction, Euros, Hours, Indicator, RankingWeights, Role,
    Statutes,
};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, JsonBody};
use crate::domain::{AmendStatutes, Command, CreateCommunity};
use crate::ledger::DurableView;

/// A voting college and its weight in assembly ballots.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollegeDto {
    #[schema(example = "founders")]
    pub name: String,
    /// 10 to 50; all colleges sum to 100.
    #[schema(example = 25)]
    #[schema(minimum = 10, maximum = 50)]
    pub vote_weight_percent: u8,
}

/// Weights of the ranking criteria in percent, summing to 100.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingWeightsDto {
    #[schema(minimum = 0, maximum = 100)]
    pub concerned: u8,
    #[schema(minimum = 0, maximum = 100)]
    pub cost: u8,
    #[schema(minimum = 0, maximum = 100)]
    pub self_financing: u8,
    /// Euros: a project costing this much gets half of the cost criterion,
    /// one costing nothing all of it; default 10000.00.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::http::schema::PositiveAmount>, example = "10000.00")]
    pub cost_reference: Option<Euros>,
}

/// The compass an impact indicator belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompassDto {
    IndividualEngagement,
    Synergy,
    SocietalImpact,
}

/// Which way an indicator is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DirectionDto {
    HigherIsBetter,
    LowerIsBetter,
}

/// An impact indicator projects are measured on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDto {
    /// Lowercase letters, digits and inner hyphens; unique in the statutes.
    #[schema(
        example = "personnes-touchees",
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 40
    )]
    pub code: String,
    #[schema(example = "Personnes touchées")]
    pub label: String,
    pub compass: CompassDto,
    #[schema(example = "personnes")]
    pub unit: String,
    pub direction: DirectionDto,
}

impl From<CompassDto> for Compass {
    fn from(dto: CompassDto) -> Self {
        match dto {
            CompassDto::IndividualEngagement => Self::IndividualEngagement,
            CompassDto::Synergy => Self::Synergy,
            CompassDto::SocietalImpact => Self::SocietalImpact,
        }
    }
}

impl From<Compass> for CompassDto {
    fn from(compass: Compass) -> Self {
        match compass {
            Compass::IndividualEngagement => Self::IndividualEngagement,
            Compass::Synergy => Self::Synergy,
            Compass::SocietalImpact => Self::SocietalImpact,
        }
    }
}

impl From<IndicatorDto> for Indicator {
    fn from(dto: IndicatorDto) -> Self {
        Self {
            code: dto.code,
            label: dto.label,
            compass: dto.compass.into(),
            unit: dto.unit,
            direction: match dto.direction {
                DirectionDto::HigherIsBetter => Direction::HigherIsBetter,
                DirectionDto::LowerIsBetter => Direction::LowerIsBetter,
            },
        }
    }
}

impl From<&Indicator> for IndicatorDto {
    fn from(indicator: &Indicator) -> Self {
        Self {
            code: indicator.code.clone(),
            label: indicator.label.clone(),
            compass: indicator.compass.into(),
            unit: indicator.unit.clone(),
            direction: match indicator.direction {
                Direction::HigherIsBetter => DirectionDto::HigherIsBetter,
                Direction::LowerIsBetter => DirectionDto::LowerIsBetter,
            },
        }
    }
}

const DEFAULT_RANKING_WEIGHTS: RankingWeightsDto = RankingWeightsDto {
    concerned: 40,
    cost: 30,
    self_financing: 30,
    cost_reference: None,
};

fn default_credit_floor() -> Hours {
    Hours::whole(-20)
}

fn default_credit_ceiling() -> Hours {
    Hours::whole(100)
}

fn default_ranking_weights() -> RankingWeightsDto {
    DEFAULT_RANKING_WEIGHTS
}

/// A community's statutes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatutesDto {
    #[schema(example = "Lanceurs d'avenir")]
    pub name: String,
    /// Euros, two decimals.
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "50.00")]
    pub share_nominal: Euros,
    pub colleges: Vec<CollegeDto>,
    /// Hours, at most 0; default -20.00.
    #[serde(default = "default_credit_floor")]
    #[schema(value_type = crate::http::schema::Amount, example = "-20.00")]
    pub credit_floor: Hours,
    /// Hours, at least 0; default 100.00.
    #[serde(default = "default_credit_ceiling")]
    #[schema(value_type = crate::http::schema::Amount, example = "100.00")]
    pub credit_ceiling: Hours,
    /// Default 40 / 30 / 30.
    #[serde(default = "default_ranking_weights")]
    pub ranking_weights: RankingWeightsDto,
    #[schema(example = "2026-01")]
    pub charter_version: String,
    /// Hours, at most 0: the lowest balance of a project's account; default
    /// 0.00 (a project spends only the hours given to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::http::schema::Amount>, example = "0.00")]
    pub project_credit_floor: Option<Hours>,
    /// Hours, at least 0: the highest balance of a project's account;
    /// default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::http::schema::Amount>, example = "500.00")]
    pub project_credit_ceiling: Option<Hours>,
    /// The lowest total of the seven admission scores (each 0–5, so 0–35)
    /// a candidate must reach to be admitted; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 35, example = 14)]
    pub admission_score_min: Option<u8>,
    /// Days of notice between convening a general assembly and holding
    /// it; default 15.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 65535, example = 15)]
    pub assembly_notice_days: Option<u16>,
    /// Members present or represented, in percent, for an assembly on
    /// first convocation to decide; default 25.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 100, example = 25)]
    pub assembly_quorum_percent: Option<u8>,
    /// Most members one present member may represent; default 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 255, example = 2)]
    pub proxies_per_member_max: Option<u8>,
    /// The impact indicators projects are measured on, in the three
    /// compasses; default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<IndicatorDto>,
}

impl From<StatutesDto> for Statutes {
    fn from(dto: StatutesDto) -> Self {
        Self {
            name: dto.name,
            share_nominal: dto.share_nominal,
            colleges: dto
                .colleges
                .into_iter()
                .map(|college| College {
                    name: college.name,
                    vote_weight_percent: college.vote_weight_percent,
                })
                .collect(),
            credit_floor: dto.credit_floor,
            credit_ceiling: dto.credit_ceiling,
            ranking_weights: RankingWeights {
                concerned: dto.ranking_weights.concerned,
                cost: dto.ranking_weights.cost,
                self_financing: dto.ranking_weights.self_financing,
                cost_reference: dto.ranking_weights.cost_reference,
            },
            charter_version: dto.charter_version,
            project_credit_floor: dto.project_credit_floor,
            project_credit_ceiling: dto.project_credit_ceiling,
            admission_score_min: dto.admission_score_min,
            assembly_notice_days: dto.assembly_notice_days,
            assembly_quorum_percent: dto.assembly_quorum_percent,
            proxies_per_member_max: dto.proxies_per_member_max,
            indicators: dto.indicators.into_iter().map(Indicator::from).collect(),
        }
    }
}

impl From<&Statutes> for StatutesDto {
    fn from(statutes: &Statutes) -> Self {
        Self {
            name: statutes.name.clone(),
            share_nominal: statutes.share_nominal,
            colleges: statutes
                .colleges
                .iter()
                .map(|college| CollegeDto {
                    name: college.name.clone(),
                    vote_weight_percent: college.vote_weight_percent,
                })
                .collect(),
            credit_floor: statutes.credit_floor,
            credit_ceiling: statutes.credit_ceiling,
            ranking_weights: RankingWeightsDto {
                concerned: statutes.ranking_weights.concerned,
                cost: statutes.ranking_weights.cost,
                self_financing: statutes.ranking_weights.self_financing,
                cost_reference: statutes.ranking_weights.cost_reference,
            },
            charter_version: statutes.charter_version.clone(),
            project_credit_floor: statutes.project_credit_floor,
            project_credit_ceiling: statutes.project_credit_ceiling,
            admission_score_min: statutes.admission_score_min,
            assembly_notice_days: statutes.assembly_notice_days,
            assembly_quorum_percent: statutes.assembly_quorum_percent,
            proxies_per_member_max: statutes.proxies_per_member_max,
            indicators: statutes.indicators.iter().map(IndicatorDto::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunityBody {
    /// Lowercase letters, digits and inner hyphens.
    #[schema(value_type = crate::http::schema::Slug, example = "lanceurs-davenir")]
    pub slug: CommunitySlug,
    pub statutes: StatutesDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendStatutesBody {
    pub statutes: StatutesDto,
    /// Why, in words.
    pub reason: String,
    /// The ballot or assembly session of the ledger that adopted them:
    /// required once the community records its assemblies.
    pub decision: Option<super::funds::DecisionDto>,
}

/// A community as its members see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityView {
    #[schema(value_type = crate::http::schema::Slug)]
    pub slug: CommunitySlug,
    pub statutes: StatutesDto,
    pub created_at: String,
    pub statutes_amended_at: Option<String>,
    /// Pioneers who are still members.
    pub members: usize,
    /// Paid shares held × nominal, euros.
    #[schema(value_type = crate::http::schema::Amount)]
    pub capital: Euros,
    /// The revision of the community's last event.
    pub revision: u64,
    /// The hash of the community's last event: the chain head.
    pub head_hash: String,
}

impl From<&DurableView> for CommunityView {
    fn from(view: &DurableView) -> Self {
        let state = &view.state;
        Self {
            slug: state.slug.clone(),
            statutes: (&state.statutes).into(),
            created_at: state.created_at.to_string(),
            statutes_amended_at: state.statutes_amended_at.map(|at| at.to_string()),
            members: state.pioneers.values().filter(|p| p.is_active()).count(),
            capital: state.register.capital,
            revision: view.revision,
            head_hash: view.head.to_string(),
        }
    }
}

/// Create a community with its first statutes.
#[utoipa::path(
    post, path = "/v1/communities", tag = "communities",
    request_body = CreateCommunityBody,
    params(("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Created", body = CommandResponse),
        (status = "4XX", description = "Refused; `rule` names the rule", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_community(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    body: JsonBody<CreateCommunityBody>,
) -> Result<Response, ApiError> {
    let JsonBody { value, digest } = body;
    let slug = value.slug;
    let actor = caller.authorize(
        &slug,
        state.ledger.view(&slug).as_deref(),
        Access::AnyOf(&[Role::Admin]),
    )?;
    // One creation at a time: the key's check and the creation it allows
    // are not split by another creation with the same key.
    let _one_at_a_time = CREATING.lock().await;
    if let Some(key) = context.idempotency_key() {
        key_creates_no_other_community(&state, &slug, &actor.id, key).await?;
    }
    let submission = Submission::new(
        slug.clone(),
        actor,
        Command::CreateCommunity(CreateCommunity {
            slug: slug.clone(),
            statutes: value.statutes.into(),
        }),
        digest,
    );
    submit(&state, &caller, context, submission).await
}

/// Held while a community is created (creations are rare).
static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A key creates one community: each community's log keeps its own
/// commands, so the key a caller created another community with is looked
/// for in every other community's log (they are few, and creations rare).
async fn key_creates_no_other_community(
    state: &AppState,
    slug: &CommunitySlug,
    actor: &str,
    key: &str,
) -> Result<(), ApiError> {
    for community in state.ledger.communities() {
        if community == *slug {
            continue;
        }
        let recorded = state
            .ledger
            .recorded_command(&community, actor, key)
            .await?;
        let created = recorded.is_some_and(|(_, outcome)| {
            outcome
                .events
                .iter()
                .any(|committed| committed.record.event_type == "CommunityCreated")
        });
        if created {
            return Err(ApiError::IdempotencyKeyReused {
                key: key.to_owned(),
            });
        }
    }
    Ok(())
}

/// A community: statutes, members, capital, chain head.
#[utoipa::path(
    get, path = "/v1/communities/{community}", tag = "communities",
    params(("community" = crate::http::schema::Slug, Path, description = "The community's slug")),
    responses(
        (status = 200, body = CommunityView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_community(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<CommunityView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    Ok(Json(CommunityView::from(&*view)))
}

/// Amend the statutes; they apply from this event on.
#[utoipa::path(
    put, path = "/v1/communities/{community}/statutes", tag = "communities",
    params(
        ("community" = crate::http::schema::Slug, Path),
        ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header),
    ),
    request_body = AmendStatutesBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn amend_statutes(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<AmendStatutesBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(&state, &caller, &community, Access::AnyOf(&[Role::Admin]))?;
    let JsonBody { value, digest } = body;
    let submission = Submission::new(
        community,
        actor,
        Command::AmendStatutes(AmendStatutes {
            statutes: value.statutes.into(),
            reason: value.reason,
            decision: value.decision.map(Into::into),
        }),
        digest,
    );
    submit(&state, &caller, context, submission).await
}
