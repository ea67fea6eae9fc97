//! The HTTP interface: one table of routes, from which come the router
//! (built by a function from the state, so tests can drive it without a
//! socket) and the OpenAPI document. Every error is a problem document;
//! bodies and time are bounded.

mod applications;
mod assemblies;
mod audit;
mod ballots;
mod budgets;
mod caller;
mod command;
mod communities;
mod duties;
mod error;
mod extract;
mod feed;
mod funds;
mod health;
mod impact;
mod market;
mod meetings;
mod metrics;
mod openapi;
mod pioneers;
mod projects;
mod representative;
mod schema;
mod shares;
mod territory;
mod web;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticator;
use crate::ledger::Ledger;

pub use caller::{Access, Caller};
pub use command::{CommandResponse, EventView, REPLAYED_HEADER};
pub use error::{ApiError, PROBLEM_JSON, Problem};
pub use extract::{IDEMPOTENCY_KEY_BYTES_MAX, REQUEST_BODY_BYTES_MAX};
pub use feed::Feeds;
use openapi::ApiDoc;
pub use web::AssemblyFolds;

/// The header that carries each request's id, set if the client sent none.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest a request may take before it is answered 503 `timeout`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler shares, built once at start-up. One `Arc` around
/// all of it: each request, middleware and extractor that takes the state
/// then counts one reference, not one per part (measured: dropping the
/// parts' counts took 1.6 % of the service's CPU under load).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of the [`AppState`].
pub struct Shared {
    pub ledger: Arc<Ledger>,
    pub auth: Arc<Authenticator>,
    /// The log checked and the capital over time, per community, for the
    /// assembly's page.
    pub assembly_folds: Arc<AssemblyFolds>,
    /// The live feeds being served.
    pub feeds: Arc<Feeds>,
    /// The webhooks and their deliveries.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
}

/// Every route of the service, in one table. Each handler's path and method
/// are written once, in its `#[utoipa::path]` annotation; from this table
/// come both the router and the OpenAPI document, so neither can list a
/// route the other lacks.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::readiness))
        .routes(routes!(openapi::openapi))
        .routes(routes!(metrics::metrics))
        .routes(routes!(communities::create_community))
        .routes(routes!(communities::get_community))
        .routes(routes!(communities::amend_statutes))
        .routes(routes!(assemblies::convene_assembly))
        .routes(routes!(assemblies::list_assemblies))
        .routes(routes!(assemblies::get_assembly))
        .routes(routes!(assemblies::record_attendance))
        .routes(routes!(assemblies::record_minutes))
        .routes(routes!(representative::declare_candidacy))
        .routes(routes!(representative::withdraw_candidacy))
        .routes(routes!(representative::open_election))
        .routes(routes!(representative::get_representative))
        .routes(routes!(meetings::record_meeting))
        .routes(routes!(meetings::list_meetings))
        .routes(routes!(pioneers::admit_pioneer))
        .routes(routes!(pioneers::list_pioneers))
        .routes(routes!(pioneers::get_pioneer))
        .routes(routes!(pioneers::accept_charter))
        .routes(routes!(pioneers::update_profile))
        .routes(routes!(pioneers::leave_community))
        .routes(routes!(pioneers::exclude_pioneer))
        .routes(routes!(pioneers::forget_pioneer))
        .routes(routes!(pioneers::set_roles))
        .routes(routes!(pioneers::change_representative))
        .routes(routes!(duties::get_duties))
        .routes(routes!(applications::submit_application))
        .routes(routes!(applications::list_applications))
        .routes(routes!(applications::get_application))
        .routes(routes!(applications::score_application))
        .routes(routes!(applications::admit_application))
        .routes(routes!(applications::decline_application))
        .routes(routes!(applications::withdraw_application))
        .routes(routes!(shares::subscribe_shares))
        .routes(routes!(shares::record_share_payment))
        .routes(routes!(shares::redeem_shares))
        .routes(routes!(shares::get_register))
        .routes(routes!(market::publish_listing))
        .routes(routes!(market::withdraw_listing))
        .routes(routes!(market::report_listing))
        .routes(routes!(market::take_down_listing))
        .routes(routes!(market::list_listings))
        .routes(routes!(market::record_exchange))
        .routes(routes!(market::confirm_exchange))
        .routes(routes!(market::cancel_exchange))
        .routes(routes!(market::reverse_exchange))
        .routes(routes!(market::transfer_credits))
        .routes(routes!(market::list_accounts))
        .routes(routes!(market::get_account))
        .routes(routes!(market::get_statement))
        .routes(routes!(projects::propose_project))
        .routes(routes!(projects::list_projects))
        .routes(routes!(projects::get_project))
        .routes(routes!(projects::score_project))
        .routes(routes!(projects::change_project_status))
        .routes(routes!(projects::get_ranking))
        .routes(routes!(ballots::open_ballot))
        .routes(routes!(ballots::get_ballot))
        .routes(routes!(ballots::cast_vote))
        .routes(routes!(ballots::close_ballot))
        .routes(routes!(funds::record_receipt))
        .routes(routes!(funds::allocate_funds))
        .routes(routes!(funds::record_expense))
        .routes(routes!(funds::correct_funds))
        .routes(routes!(funds::get_funds))
        .routes(routes!(budgets::set_community_budget))
        .routes(routes!(budgets::get_community_budget))
        .routes(routes!(budgets::set_project_budget))
        .routes(routes!(budgets::get_project_budget))
        .routes(routes!(audit::get_log))
        .routes(routes!(audit::get_history))
        .routes(routes!(audit::get_verification))
        .routes(routes!(audit::get_assembly_report))
        .routes(routes!(audit::get_accounting_export))
        .routes(routes!(
            impact::record_measurement,
            impact::list_measurements
        ))
        .routes(routes!(feed::get_event_feed))
        .routes(routes!(territory::get_map))
        .routes(routes!(webhooks::register_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::get_webhook, webhooks::remove_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::replay_webhook))
}

/// The OpenAPI document of every route, as `/v1/openapi.json` serves it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::finish(routes().split_for_parts().1)
}

/// The service's routes with their middleware.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let (routes, _) = routes().split_for_parts();
    // Each middleware only on the routes it serves: every layer costs
    // every request that goes through it.
    let api = routes.layer(middleware::from_fn_with_state(
        state.clone(),
        command::answer_refused_retries,
    ));
    let pages = web::routes()
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::session::caught_up,
        ))
        .layer(middleware::from_fn(web::with_way_back));
    api.merge(pages)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn(time_limit))
        .layer(middleware::from_fn(metrics::count_requests))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|id| id.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
                }))
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
}

/// Answers 503 `timeout` when a request takes longer than
/// [`REQUEST_TIMEOUT`]. A command already handed to the ledger still
/// completes; its retry with the same key returns the result.
async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
