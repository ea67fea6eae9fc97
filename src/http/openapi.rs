//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the request and response types, served at `/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    audit, ballots, command, communities, error, funds, health, market, metrics, pioneers,
    projects, schema, shares,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Says of every object with named properties that it has no others: the
/// request bodies refuse unknown fields, and the answers carry none. The
/// parts of an `allOf` are left open, since each names only part of the
/// whole.
struct ClosedObjects;

impl Modify for ClosedObjects {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let parts: Vec<String> = components
            .schemas
            .values()
            .filter_map(|schema| match schema {
                RefOr::T(Schema::AllOf(all_of)) => Some(&all_of.items),
                _ => None,
            })
            .flatten()
            .filter_map(|item| match item {
                RefOr::Ref(reference) => reference.ref_location.rsplit('/').next(),
                RefOr::T(_) => None,
            })
            .map(str::to_owned)
            .collect();
        for (name, schema) in components.schemas.iter_mut() {
            if !parts.contains(name) {
                close(schema);
            }
        }
    }
}

fn close(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            if !object.properties.is_empty() && object.additional_properties.is_none() {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            object.properties.values_mut().for_each(close);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                close(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(close),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(close),
        _ => {}
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agora Ledger",
        description = "The event-sourced ledger of a cooperative community: membership, capital, \
            time credits, projects, ballots, funds and their audit. Every command answers with \
            the events it recorded; every error is an RFC 9457 problem whose `rule` names the \
            rule broken. Commands accept an `Idempotency-Key` header: a retry with the same key \
            and body returns the first answer and records nothing."
    ),
    modifiers(&BearerAuth, &ClosedObjects),
    paths(
        health::health,
        health::readiness,
        metrics::metrics,
        communities::create_community,
        communities::get_community,
        communities::amend_statutes,
        pioneers::admit_pioneer,
        pioneers::list_pioneers,
        pioneers::get_pioneer,
        pioneers::accept_charter,
        pioneers::update_profile,
        pioneers::leave_community,
        pioneers::exclude_pioneer,
        pioneers::forget_pioneer,
        pioneers::set_roles,
        shares::subscribe_shares,
        shares::record_share_payment,
        shares::redeem_shares,
        shares::get_register,
        market::publish_listing,
        market::withdraw_listing,
        market::report_listing,
        market::take_down_listing,
        market::list_listings,
        market::record_exchange,
        market::confirm_exchange,
        market::cancel_exchange,
        market::reverse_exchange,
        market::transfer_credits,
        market::list_accounts,
        market::get_account,
        market::get_statement,
        projects::propose_project,
        projects::list_projects,
        projects::get_project,
        projects::score_project,
        projects::change_project_status,
        projects::get_ranking,
        ballots::open_ballot,
        ballots::get_ballot,
        ballots::cast_vote,
        ballots::close_ballot,
        funds::record_receipt,
        funds::allocate_funds,
        funds::record_expense,
        funds::correct_funds,
        funds::get_funds,
        audit::get_log,
        audit::get_history,
        audit::get_verification,
        audit::get_assembly_report,
    ),
    components(schemas(
        error::Problem,
        command::CommandResponse,
        command::EventView,
        schema::Amount,
        schema::PositiveAmount,
        schema::Account,
        schema::Slug,
        schema::Sha256,
        schema::IdempotencyKey,
    )),
    tags(
        (name = "operations", description = "Probes"),
        (name = "communities", description = "Communities and statutes"),
        (name = "pioneers", description = "Membership, charter, profile, roles"),
        (name = "shares", description = "Capital: subscriptions, payments, redemptions"),
        (name = "market", description = "Listings, exchanges, transfers and time-credit accounts"),
        (name = "projects", description = "Projects, scores and the ranking"),
        (name = "ballots", description = "Ballots, votes and tallies"),
        (name = "funds", description = "Receipts, allocations and expenses"),
        (name = "audit", description = "The log, histories, verification, the assembly report"),
    )
)]
pub struct ApiDoc;

/// The document.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
