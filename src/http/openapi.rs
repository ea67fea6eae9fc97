//! The OpenAPI 3.1 document: what the whole service says of itself here,
//! each operation from its handler's annotation (gathered by the route
//! table), served at `/v1/openapi.json`.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{command, error, schema};

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
    modifiers(&BearerAuth),
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
        schema::Commune,
        schema::Department,
        schema::Near,
    )),
    tags(
        (name = "operations", description = "Probes"),
        (name = "communities", description = "Communities and statutes"),
        (name = "applications", description = "Applications to join: submitted by candidates, decided by the gardener"),
        (name = "assemblies", description = "General assemblies: convocation, attendance and quorum, minutes"),
        (name = "pioneers", description = "Membership, charter, profile, roles"),
        (name = "shares", description = "Capital: subscriptions, payments, redemptions"),
        (name = "market", description = "Listings, exchanges, transfers and time-credit accounts"),
        (name = "projects", description = "Projects, scores and the ranking"),
        (name = "ballots", description = "Ballots, votes and tallies"),
        (name = "funds", description = "Receipts, allocations, expenses and forecast budgets"),
        (name = "audit", description = "The log, histories, verification, the assembly report"),
        (name = "webhooks", description = "Endpoints that receive the community's events, signed, in order, at least once"),
    )
)]
pub struct ApiDoc;

/// The document with every route's operations: what no single operation
/// can say of the whole.
pub fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    ClosedObjects.modify(&mut document);
    document
}

/// The document, computed once.
static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| {
    let document = super::openapi_document();
    Bytes::from(serde_json::to_vec(&document).expect("the OpenAPI document serializes"))
});

/// The OpenAPI document of this service.
#[utoipa::path(
    get, path = "/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.clone(),
    )
}
