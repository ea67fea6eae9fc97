//! Audit over HTTP: the log page by page, any entity's history, and the
//! verification of the chain and the figures.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{EventView, enter};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, Page, Params, PathId, page_limit};
use crate::audit::verify::{self, Verification};

/// Most events in one page of the log.
pub const LOG_PAGE_MAX: usize = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// The first revision (default 0).
    #[serde(default)]
    #[param(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub from: u64,
    /// At most 1 000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    pub events: Vec<EventView>,
    /// The `from` of the next page, if there may be one.
    pub next: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub id: Uuid,
    /// Events that mention the entity, in all.
    pub total: u64,
    /// This page of them, oldest first.
    pub events: Vec<EventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakView {
    pub revision: u64,
    pub event_id: Option<Uuid>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub rule: String,
    pub holds: bool,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// Chain intact and every invariant holds.
    pub ok: bool,
    pub events: u64,
    pub verified: u64,
    /// The hash of the last verified event.
    pub head_hash: String,
    /// The first event that does not verify, if any.
    pub first_break: Option<BreakView>,
    pub checks: Vec<CheckView>,
}

impl From<Verification> for VerificationView {
    fn from(verification: Verification) -> Self {
        Self {
            ok: verification.ok(),
            events: verification.events,
            verified: verification.verified,
            head_hash: verification.head.to_string(),
            first_break: verification.first_break.map(|broken| BreakView {
                revision: broken.revision,
                event_id: broken.event_id.map(|id| id.0),
                reason: broken.reason,
            }),
            checks: verification
                .checks
                .into_iter()
                .map(|check| CheckView {
                    rule: check.rule.to_owned(),
                    holds: check.holds,
                    detail: check.detail,
                })
                .collect(),
        }
    }
}

/// The community's log from a revision, a page at a time.
#[utoipa::path(
    get, path = "/v1/communities/{community}/log", tag = "audit",
    params(("community" = crate::http::schema::Slug, Path), LogQuery),
    responses(
        (status = 200, body = LogPage),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_log(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<LogQuery>,
) -> Result<Json<LogPage>, ApiError> {
    let (_, _) = enter(&state, &caller, &community, Access::Member)?;
    let limit = page_limit(query.limit, 100, LOG_PAGE_MAX)?;
    let events = state.ledger.read_log(&community, query.from, limit).await?;
    let next = (events.len() == limit).then(|| query.from + limit as u64);
    Ok(Json(LogPage {
        events: events.iter().map(EventView::from).collect(),
        next,
    }))
}

/// The entity a history is asked of: its id, a UUID, also accepted as an
/// account is written (`pioneer:<uuid>`, `project:<uuid>`).
pub struct EntityRef(Uuid);

impl PathId for EntityRef {
    const WHAT: &'static str = "entity";

    fn parse(text: &str) -> Result<Self, ApiError> {
        let id = text.split_once(':').map_or(text, |(_, id)| id);
        Uuid::parse_str(id)
            .map(Self)
            .map_err(|_| ApiError::InvalidParameter(format!("{text:?} is not an id (a UUID)")))
    }
}

/// Every event about an entity (pioneer, project, ballot, exchange,
/// allocation…), in order, with actor, time, position and hash.
#[utoipa::path(
    get, path = "/v1/communities/{community}/history/{id}", tag = "audit",
    params(("community" = crate::http::schema::Slug, Path), ("id" = Uuid, Path), Page),
    responses(
        (status = 200, body = HistoryView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_history(
    State(state): State<AppState>,
    caller: Caller,
    ItemPath(community, id): ItemPath<EntityRef>,
    Params(page): Params<Page>,
) -> Result<Json<HistoryView>, ApiError> {
    let EntityRef(id) = id;
    // A pioneer who left still reads their own history.
    let access = Access::MemberOrSelf(agora_events::PioneerId(id));
    let (view, _) = enter(&state, &caller, &community, access)?;
    let (total, events) = state
        .ledger
        .history(&community, id, view.revision, page.offset, page.limit()?)
        .await?;
    if total == 0 {
        return Err(ApiError::NoHistory(id));
    }
    let events = events.iter().map(EventView::from).collect();
    Ok(Json(HistoryView { id, total, events }))
}

/// Recomputes the hash chain and checks the figures: time credits sum to
/// zero, capital equals paid shares × nominal, allocations and expenses
/// stay within their bounds, and replaying the log gives the live state.
#[utoipa::path(
    get, path = "/v1/communities/{community}/verify", tag = "audit",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = VerificationView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_verification(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<VerificationView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let verifier = crate::audit::verify_stream(&**state.ledger.store(), &community.stream())
        .await
        .map_err(|error| {
            state.ledger.heed_store_error(&community, &error);
            ApiError::Unavailable(error.to_string())
        })?;
    let read = verifier.events_read();
    // The live state may be ahead of what was read; compare only when the
    // replay reached the same revision.
    let replay_check = verifier.state().and_then(|replayed| {
        (view.revision + 1 == read).then(|| verify::same_state(&view.state, replayed))
    });
    let mut verification = verifier.finish();
    verification.checks.extend(replay_check);
    state.ledger.heed(&community, &verification).await;
    Ok(Json(verification.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Start: a date (`2026-01-01`, midnight UTC) or an RFC 3339 instant.
    /// Default: the community's creation.
    #[param(schema_with = crate::http::schema::date_or_instant)]
    pub from: Option<String>,
    /// End: a date (included) or an RFC 3339 instant (excluded). Default: now.
    #[param(schema_with = crate::http::schema::date_or_instant)]
    pub to: Option<String>,
    /// `json` (default), `csv` or `html`.
    #[param(pattern = "^(json|csv|html)$")]
    pub format: Option<String>,
}

/// The assembly report for a period: capital, members, ballots, funds per
/// project, time credits, and the chain head hash at the period's end.
#[utoipa::path(
    get, path = "/v1/communities/{community}/reports/assembly", tag = "audit",
    params(("community" = crate::http::schema::Slug, Path), ReportQuery),
    responses(
        (status = 200, description = "The report, as JSON, CSV or printable HTML (French)", content(
            (Object = "application/json"),
            (String = "text/csv"),
            (String = "text/html"),
        )),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_assembly_report(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<ReportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use crate::audit::report::{self, Format};
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let format: Format = query
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(ApiError::InvalidParameter)?;
    let (from, to) = period(&query.from, &query.to, &view)?;
    let events = state.ledger.read_whole_log(&community).await?;
    let report = report::build(&events, from, to).map_err(|error| {
        let rule = match &error {
            report::ReportError::EmptyPeriod => "period-order",
            report::ReportError::NoCommunity => "period-before-community",
            report::ReportError::Unreadable(reason) => {
                return ApiError::Unavailable(reason.clone());
            }
        };
        ApiError::Unprocessable {
            rule,
            detail: error.to_string(),
        }
    })?;
    let (media_type, body) = report.render(format);
    let attachment = (format == Format::Csv).then(|| format!("rapport-{community}.csv"));
    Ok(file_response(media_type, body, attachment))
}

/// A period's bounds from a query: dates or instants, by default from the
/// community's creation to now.
fn period(
    from: &Option<String>,
    to: &Option<String>,
    view: &crate::ledger::DurableView,
) -> Result<(agora_events::Timestamp, agora_events::Timestamp), ApiError> {
    use crate::audit::report::parse_bound;
    let from = match from {
        Some(text) => parse_bound(text, false).map_err(ApiError::InvalidParameter)?,
        None => view.state.created_at,
    };
    let to = match to {
        Some(text) => parse_bound(text, true).map_err(ApiError::InvalidParameter)?,
        None => agora_events::Timestamp::new(chrono::Utc::now()),
    };
    if to <= from {
        return Err(ApiError::Unprocessable {
            rule: "period-order",
            detail: "the period ends before it starts".to_owned(),
        });
    }
    Ok((from, to))
}

/// A body with its media type, offered for download under `attachment`.
fn file_response(
    media_type: &'static str,
    body: String,
    attachment: Option<String>,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut response = ([(header::CONTENT_TYPE, media_type)], body).into_response();
    if let Some(value) = attachment
        .and_then(|name| HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).ok())
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountingQuery {
    /// Start: a date (`2026-01-01`, midnight UTC) or an RFC 3339 instant.
    /// Default: the community's creation. Movements before it are carried
    /// as opening balances.
    #[param(schema_with = crate::http::schema::date_or_instant)]
    pub from: Option<String>,
    /// End: a date (included) or an RFC 3339 instant (excluded). Default: now.
    #[param(schema_with = crate::http::schema::date_or_instant)]
    pub to: Option<String>,
    /// `fec` (default: the legal tab-separated file) or `csv`.
    #[param(pattern = "^(fec|csv)$")]
    pub format: Option<String>,
}

/// The capital and fund movements of a period as balanced accounting
/// entries, one journal per kind of movement: a FEC (Fichier des Écritures
/// Comptables, the 18 columns of article A47 A-1 of the Livre des
/// procédures fiscales) or CSV. For the treasurer and the auditors.
#[utoipa::path(
    get, path = "/v1/communities/{community}/exports/accounting", tag = "audit",
    params(("community" = crate::http::schema::Slug, Path), AccountingQuery),
    responses(
        (status = 200, description = "The entries, as a FEC (tab-separated text) or CSV", content(
            (String = "text/plain"),
            (String = "text/csv"),
        )),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_accounting_export(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
    Params(query): Params<AccountingQuery>,
) -> Result<axum::response::Response, ApiError> {
    use crate::audit::fec;
    use agora_events::Role;
    let access = Access::AnyOf(&[Role::Treasurer, Role::Auditor]);
    let (view, _) = enter(&state, &caller, &community, access)?;
    let csv = match query.format.as_deref().unwrap_or("fec") {
        "fec" => false,
        "csv" => true,
        other => {
            return Err(ApiError::InvalidParameter(format!(
                "format {other:?} is not fec or csv"
            )));
        }
    };
    let (from, to) = period(&query.from, &query.to, &view)?;
    let events = state.ledger.read_whole_log(&community).await?;
    let entries = fec::entries(&events, from, to).map_err(ApiError::Unavailable)?;
    let names = fec::OpenedNames {
        ledger: &state.ledger,
        community: &view.state,
    };
    let name = fec::file_name(community.as_str(), to);
    Ok(if csv {
        let body = fec::render_csv(&entries, &names);
        file_response("text/csv; charset=utf-8", body, Some(format!("{name}.csv")))
    } else {
        let body = fec::render_fec(&entries, &names);
        file_response(
            "text/plain; charset=utf-8",
            body,
            Some(format!("{name}.txt")),
        )
    })
}
