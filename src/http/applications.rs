//! Applications to join over HTTP. Someone who is not yet a member applies
//! with a candidate token from the platform (its subject becomes their id,
//! and their pioneer id once admitted), or the gardener applies for them;
//! the gardener scores, admits or declines; the applicant follows where
//! their application stands and may withdraw it.
//!
//! Who they are is sealed at the edge with a key of their own, as a
//! pioneer's; the key is destroyed when the application is declined or
//! withdrawn.

use agora_events::{CommunitySlug, PioneerId, PublicProfile, Role};
use agora_projections::{Application, ApplicationStatus};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, empty_body, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody, Params, page_limit};
use super::pioneers::{AdmissionScoresDto, validate_personal};
use crate::domain::{
    AdmitApplication, Command, DeclineApplication, Rejection, ScoreApplication, SubmitApplication,
    WithdrawApplication,
};
use crate::ledger::{PersonalData, PersonalKey};

/// Most applications in one page of the list.
pub const APPLICATIONS_PAGE_MAX: usize = 500;

/// Who decides on applications.
const DECIDERS: &[Role] = &[Role::Gardener];
/// Who reads them, besides the applicant.
const READERS: &[Role] = &[Role::Gardener, Role::Admin];

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// An application to join.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    /// Personal: encrypted in the ledger.
    #[schema(example = "Camille Dupont")]
    pub display_name: String,
    /// Personal: encrypted in the ledger.
    pub email: Option<String>,
    /// Personal: encrypted in the ledger.
    pub contact: Option<String>,
    /// Personal: encrypted in the ledger.
    pub bio: Option<String>,
    /// The citizen solution they carry, in their words.
    #[schema(example = "Une recyclerie de quartier à Chambéry")]
    pub project: String,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Their territory (a commune), shown to members once admitted.
    #[schema(example = "Chambéry")]
    pub territory: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationScoresBody {
    pub scores: AdmissionScoresDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmitApplicationBody {
    #[schema(example = "beneficiaires")]
    pub college: String,
    /// The scores, when not given before (or to change them): recorded
    /// first.
    pub scores: Option<AdmissionScoresDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    #[schema(example = "Le projet ne relève pas des solutions citoyennes")]
    pub reason: String,
}

/// Where an application stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    /// The applicant's id, and their pioneer id once admitted.
    pub id: Uuid,
    /// `pending`, `admitted`, `declined` or `withdrawn`.
    pub status: &'static str,
    pub submitted_at: String,
    /// When it was admitted, declined or withdrawn.
    pub decided_at: Option<String>,
    /// The college it was admitted into.
    pub college: Option<String>,
    /// Why it was declined.
    pub reason: Option<String>,
    /// `null` once declined or withdrawn: their key is destroyed.
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub contact: Option<String>,
    pub bio: Option<String>,
    pub project: String,
    pub skills: Vec<String>,
    pub territory: Option<String>,
    /// The gardener's latest scores, if any.
    pub scores: Option<AdmissionScoresDto>,
    /// Their total, 0–35.
    pub score_total: Option<u8>,
    /// The total the statutes require, if any.
    pub score_minimum: Option<u8>,
}

fn application_view(
    state: &AppState,
    application: &Application,
    minimum: Option<u8>,
) -> ApplicationView {
    let personal = state
        .ledger
        .keys()
        .open(application.applicant, &application.personal);
    let (status, decided_at, college, reason) = match &application.status {
        ApplicationStatus::Pending => ("pending", None, None, None),
        ApplicationStatus::Admitted { at, college } => {
            ("admitted", Some(at), Some(college.clone()), None)
        }
        ApplicationStatus::Declined { at, reason } => {
            ("declined", Some(at), None, Some(reason.clone()))
        }
        ApplicationStatus::Withdrawn { at } => ("withdrawn", Some(at), None, None),
    };
    let scores = application.scores.map(|(_, scores)| scores);
    ApplicationView {
        id: application.applicant.0,
        status,
        submitted_at: application.submitted_at.to_string(),
        decided_at: decided_at.map(ToString::to_string),
        college,
        reason,
        display_name: personal.as_ref().map(|data| data.display_name.clone()),
        email: personal.as_ref().and_then(|data| data.email.clone()),
        contact: personal.as_ref().and_then(|data| data.contact.clone()),
        bio: personal.as_ref().and_then(|data| data.bio.clone()),
        project: application.project.clone(),
        skills: application.profile.skills.clone(),
        territory: application.profile.territory.clone(),
        scores: scores.map(Into::into),
        score_total: scores.map(|scores| scores.total()),
        score_minimum: minimum,
    }
}

/// Apply to join: as a candidate (your token's subject becomes your id),
/// or as the gardener on someone's behalf.
#[utoipa::path(
    post, path = "/v1/communities/{community}/applications", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ApplicationBody,
    responses(
        (status = 201, description = "Submitted", body = CommandResponse),
        (status = "4XX", description = "E.g. `application-pending`, `pioneer-exists`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn submit_application(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ApplicationBody>,
) -> Result<Response, ApiError> {
    let (view, actor) = enter(&state, &caller, &community, Access::CandidateOr(DECIDERS))?;
    let applicant = match actor.role {
        Role::Candidate => {
            let id = caller
                .pioneer_id()
                .expect("a candidate's subject is an id: checked by the access");
            id_of_nothing_else(&state, &community, view.revision, id).await?;
            id
        }
        _ => PioneerId(Uuid::now_v7()),
    };
    let JsonBody { value, digest } = body;
    let personal = PersonalData {
        display_name: value.display_name,
        email: value.email,
        contact: value.contact,
        bio: value.bio,
        place: None,
    };
    validate_personal(&personal)?;
    let key = PersonalKey::generate();
    let submission = Submission::new(
        community,
        actor,
        Command::SubmitApplication(SubmitApplication {
            applicant,
            project: value.project,
            profile: PublicProfile {
                skills: value.skills,
                territory: value.territory,
            },
            personal: key.seal(applicant, &personal),
        }),
        digest,
    )
    .with_personal_key(applicant, key);
    submit(&state, &caller, context, submission).await
}

/// Events about an id that may come before its pioneer: their own
/// applications, looked at when they apply again.
const APPLICATION_EVENTS: [&str; 4] = [
    "ApplicationSubmitted",
    "ApplicationScored",
    "ApplicationDeclined",
    "ApplicationWithdrawn",
];
/// Events of an id's history looked at, at most: its own applications
/// come first, what it names soon after.
const HISTORY_LOOKED_AT: usize = 64;

/// Refuses a candidate's id (which becomes the pioneer's) that already
/// names something else of the community, a ballot, an exchange, a listing
/// or anything the log files under it (409 `id-in-use`): the two would
/// share one history. Ids the ledger makes are never reused; only a token
/// that chose its subject can collide.
async fn id_of_nothing_else(
    state: &AppState,
    community: &CommunitySlug,
    through: u64,
    id: PioneerId,
) -> Result<(), ApiError> {
    let (_, events) = state
        .ledger
        .history(community, id.0, through, 0, HISTORY_LOOKED_AT)
        .await?;
    let taken = events.iter().any(|event| {
        !APPLICATION_EVENTS.contains(&event.record.event_type.as_str())
            && names_as_an_id(&event.record.data, None, id.0)
    });
    match taken {
        true => Err(Rejection::IdInUse { id: id.0 }.into()),
        false => Ok(()),
    }
}

/// Members that name an account by its id (`pioneer:<id>`, `project:<id>`).
const ACCOUNT_MEMBERS: [&str; 5] = ["payer", "payee", "provider", "receiver", "account"];

/// Whether `data` names `id` as what something is (a member `…_id`, or an
/// account), not merely in words: the index files an event under every
/// id its data mentions, a memo's included, and a memo that cites a
/// candidate's id must not take it from them.
fn names_as_an_id(data: &serde_json::Value, member: Option<&str>, id: Uuid) -> bool {
    match data {
        serde_json::Value::String(text) => {
            let Some(member) = member else {
                return false;
            };
            let named = match member.ends_with("id") {
                true => Some(text.as_str()),
                false if ACCOUNT_MEMBERS.contains(&member) => {
                    text.split_once(':').map(|(_, named)| named)
                }
                false => None,
            };
            named.and_then(|named| named.parse::<Uuid>().ok()) == Some(id)
        }
        serde_json::Value::Array(items) => {
            items.iter().any(|item| names_as_an_id(item, member, id))
        }
        serde_json::Value::Object(members) => members
            .iter()
            .any(|(name, value)| names_as_an_id(value, Some(name), id)),
        _ => false,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationFilter {
    /// Only applications whose applicant's id sorts after this one (paging).
    pub after: Option<Uuid>,
    /// At most 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// The applications pending a decision, by id (gardener, admins). A decided
/// one is read by its id.
#[utoipa::path(
    get, path = "/v1/communities/{community}/applications", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ApplicationFilter),
    responses(
        (status = 200, body = [ApplicationView]),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_applications(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(filter): Params<ApplicationFilter>,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::AnyOf(READERS))?;
    let limit = page_limit(filter.limit, 100, APPLICATIONS_PAGE_MAX)?;
    let after = filter.after.map(PioneerId);
    let minimum = view.state.statutes.admission_score_min;
    let views = view
        .state
        .applications
        .by_applicant
        .values()
        .filter(|application| application.is_pending())
        .filter(|application| after.is_none_or(|after| application.applicant > after))
        .take(limit)
        .map(|application| application_view(&state, application, minimum))
        .collect();
    Ok(Json(views))
}

/// Where an application stands: for the applicant, the gardener and
/// admins.
#[utoipa::path(
    get, path = "/v1/communities/{community}/applications/{applicant}", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ("applicant" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationView),
        (status = "4XX", description = "E.g. `application-not-found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_application(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, applicant): ItemPath<PioneerId>,
) -> Result<Json<ApplicationView>, ApiError> {
    let (view, _) = enter(
        &state,
        &caller,
        &community,
        Access::ApplicantOr(applicant, READERS),
    )?;
    let minimum = view.state.statutes.admission_score_min;
    if let Some(application) = view.state.applications.get(applicant) {
        return Ok(Json(application_view(&state, application, minimum)));
    }
    let application = state
        .ledger
        .application_of(&community, applicant, view.revision)
        .await?
        .ok_or(Rejection::ApplicationNotFound { applicant })?;
    Ok(Json(application_view(&state, &application, minimum)))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    context: CommandContext,
    community: agora_events::CommunitySlug,
    access: Access<'_>,
    command: Command,
    digest: agora_events::Hash,
) -> Result<Response, ApiError> {
    let (view, actor) = enter(state, caller, &community, access)?;
    let decided = submit(
        state,
        caller,
        context,
        Submission::new(community.clone(), actor, command, digest),
    )
    .await;
    // Not pending: decided already (admitted: a member now), or never
    // made? The log says which.
    match decided {
        Err(ApiError::Rejected(
            Rejection::ApplicationNotFound { applicant }
            | Rejection::PioneerExists { pioneer: applicant },
        )) => {
            let through = state
                .ledger
                .view(&community)
                .map_or(view.revision, |latest| latest.revision);
            let found = state
                .ledger
                .application_of(&community, applicant, through)
                .await?;
            let status = found.map(|application| match application.status {
                ApplicationStatus::Pending => None,
                ApplicationStatus::Admitted { .. } => Some("admitted"),
                ApplicationStatus::Declined { .. } => Some("declined"),
                ApplicationStatus::Withdrawn { .. } => Some("withdrawn"),
            });
            Err(match status.flatten() {
                Some(status) => Rejection::ApplicationDecided { applicant, status },
                None => match state.ledger.view(&community) {
                    Some(latest) if latest.state.pioneer(applicant).is_some() => {
                        Rejection::PioneerExists { pioneer: applicant }
                    }
                    _ => Rejection::ApplicationNotFound { applicant },
                },
            }
            .into())
        }
        decided => decided,
    }
}

/// Score an application on the seven admission criteria (gardener).
#[utoipa::path(
    post, path = "/v1/communities/{community}/applications/{applicant}/scores", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ("applicant" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ApplicationScoresBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn score_application(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, applicant): ItemPath<PioneerId>,
    body: JsonBody<ApplicationScoresBody>,
) -> Result<Response, ApiError> {
    let JsonBody { value, digest } = body;
    let command = Command::ScoreApplication(ScoreApplication {
        applicant,
        scores: value.scores.into(),
    });
    let access = Access::AnyOf(DECIDERS);
    decide(&state, &caller, context, community, access, command, digest).await
}

/// Admit the applicant into a college (gardener): they become a member
/// under the same id.
#[utoipa::path(
    post, path = "/v1/communities/{community}/applications/{applicant}/admit", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ("applicant" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = AdmitApplicationBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `application-not-scored`, `admission-score-minimum`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn admit_application(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, applicant): ItemPath<PioneerId>,
    body: JsonBody<AdmitApplicationBody>,
) -> Result<Response, ApiError> {
    let JsonBody { value, digest } = body;
    let command = Command::AdmitApplication(AdmitApplication {
        applicant,
        college: value.college,
        scores: value.scores.map(Into::into),
    });
    let access = Access::AnyOf(DECIDERS);
    decide(&state, &caller, context, community, access, command, digest).await
}

/// Decline an application with the reason (gardener). The applicant's
/// personal data is erased; the decision and its reason stay.
#[utoipa::path(
    post, path = "/v1/communities/{community}/applications/{applicant}/decline", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ("applicant" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = DeclineBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn decline_application(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, applicant): ItemPath<PioneerId>,
    body: JsonBody<DeclineBody>,
) -> Result<Response, ApiError> {
    let JsonBody { value, digest } = body;
    let command = Command::DeclineApplication(DeclineApplication {
        applicant,
        reason: value.reason,
    });
    let access = Access::AnyOf(DECIDERS);
    decide(&state, &caller, context, community, access, command, digest).await
}

/// Withdraw one's own pending application (the applicant). Their personal
/// data is erased.
#[utoipa::path(
    post, path = "/v1/communities/{community}/applications/{applicant}/withdraw", tag = "applications",
    params(("community" = crate::http::schema::Slug, Path), ("applicant" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn withdraw_application(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, applicant): ItemPath<PioneerId>,
) -> Result<Response, ApiError> {
    let command = Command::WithdrawApplication(WithdrawApplication { applicant });
    let access = Access::ApplicantOr(applicant, &[]);
    decide(
        &state,
        &caller,
        context,
        community,
        access,
        command,
        empty_body(),
    )
    .await
}
