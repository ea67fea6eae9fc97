//! Territories over HTTP: places as requests give them and answers show
//! them, the territory filters of the lists, and the members' map as
//! GeoJSON (RFC 7946).

use agora_events::{Degrees, Place, Point};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use crate::domain::Rejection;
use crate::domain::places::{is_commune_code, is_department, validate_place};

/// Farthest a `near` filter reaches.
pub const WITHIN_KM_MAX: u32 = 1_000;
/// How far a `near` filter reaches when `within_km` is not given.
pub const WITHIN_KM_DEFAULT: u32 = 10;

/// A place: a commune by its INSEE code, coordinates (rounded to the
/// hundredth of a degree, about a kilometre, when recorded), or both.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceDto {
    /// The commune's INSEE code (not its postal code).
    #[schema(value_type = Option<crate::http::schema::Commune>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// Degrees north, -90 to 90; with `longitude`.
    #[schema(example = 45.19, minimum = -90, maximum = 90)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Degrees east, -180 to 180; with `latitude`.
    #[schema(example = 5.72, minimum = -180, maximum = 180)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

impl PlaceDto {
    /// The place to record: coordinates rounded to the hundredth of a
    /// degree, and checked.
    pub fn to_place(&self, field: &'static str) -> Result<Place, ApiError> {
        let point = match (self.latitude, self.longitude) {
            (None, None) => None,
            (Some(latitude), Some(longitude)) => Some(rounded(field, latitude, longitude)?),
            _ => {
                return Err(ApiError::Rejected(Rejection::PlaceEmpty { field }));
            }
        };
        let place = Place {
            commune: self
                .commune
                .as_ref()
                .map(|commune| commune.trim().to_uppercase()),
            point,
        };
        validate_place(field, &place)?;
        Ok(place)
    }

    pub fn of(place: &Place) -> Self {
        let degrees = |value: Degrees| {
            use rust_decimal::prelude::ToPrimitive;
            value.value().to_f64()
        };
        Self {
            commune: place.commune.clone(),
            latitude: place.point.and_then(|point| degrees(point.latitude)),
            longitude: place.point.and_then(|point| degrees(point.longitude)),
        }
    }
}

/// A point with its degrees rounded to the hundredth; beyond the globe,
/// refused.
fn rounded(field: &'static str, latitude: f64, longitude: f64) -> Result<Point, ApiError> {
    let out_of_range = || {
        ApiError::Rejected(Rejection::CoordinatesOutOfRange {
            field,
            latitude: latitude.to_string(),
            longitude: longitude.to_string(),
        })
    };
    let degrees = |value: f64, bound: f64| {
        if !value.is_finite() || value.abs() > bound {
            return Err(out_of_range());
        }
        let value = Decimal::from_f64_retain(value)
            .ok_or_else(out_of_range)?
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Degrees::new(value).map_err(|_| out_of_range())
    };
    Ok(Point {
        latitude: degrees(latitude, 90.0)?,
        longitude: degrees(longitude, 180.0)?,
    })
}

/// Where a list is narrowed to: a commune, a department, or around a point.
#[derive(Debug, Clone, PartialEq)]
pub enum Territory {
    Commune(String),
    Department(String),
    Near { point: Point, within_km: f64 },
}

impl Territory {
    /// The territory a list's query asks for, if any: at most one of
    /// `commune`, `department` and `near` (`within_km` only with `near`).
    pub fn from_query(
        commune: Option<&str>,
        department: Option<&str>,
        near: Option<&str>,
        within_km: Option<u32>,
    ) -> Result<Option<Self>, ApiError> {
        let given = [commune.is_some(), department.is_some(), near.is_some()];
        if given.iter().filter(|given| **given).count() > 1 {
            return Err(ApiError::Unprocessable {
                rule: "territory-one",
                detail: "give one of commune, department and near".to_owned(),
            });
        }
        if within_km.is_some() && near.is_none() {
            return Err(ApiError::Unprocessable {
                rule: "within-km-with-near",
                detail: "within_km says how far around near: give near".to_owned(),
            });
        }
        if let Some(commune) = commune {
            let commune = commune.trim().to_uppercase();
            if !is_commune_code(&commune) {
                return Err(ApiError::InvalidParameter(format!(
                    "commune {commune:?} is not an INSEE commune code (such as 38185)"
                )));
            }
            return Ok(Some(Self::Commune(commune)));
        }
        if let Some(department) = department {
            let department = department.trim().to_uppercase();
            if !is_department(&department) {
                return Err(ApiError::InvalidParameter(format!(
                    "department {department:?} is not a department's code (such as 38, 2A or 974)"
                )));
            }
            return Ok(Some(Self::Department(department)));
        }
        let Some(near) = near else {
            return Ok(None);
        };
        let within_km = within_km.unwrap_or(WITHIN_KM_DEFAULT);
        if within_km == 0 || within_km > WITHIN_KM_MAX {
            return Err(ApiError::InvalidParameter(format!(
                "within_km is from 1 to {WITHIN_KM_MAX}"
            )));
        }
        let not_a_point = || {
            ApiError::InvalidParameter(format!(
                "near {near:?} is not a latitude and a longitude such as 45.19,5.72"
            ))
        };
        let (latitude, longitude) = near.split_once(',').ok_or_else(not_a_point)?;
        let degrees = |text: &str| text.trim().parse::<f64>().map_err(|_| not_a_point());
        let place = PlaceDto {
            commune: None,
            latitude: Some(degrees(latitude)?),
            longitude: Some(degrees(longitude)?),
        }
        .to_place("near")
        .map_err(|_| not_a_point())?;
        let point = place.point.ok_or_else(not_a_point)?;
        Ok(Some(Self::Near {
            point,
            within_km: f64::from(within_km),
        }))
    }

    /// Whether `place` lies in the territory. A place without a point is
    /// never `near` anything; one without a commune is in no commune.
    pub fn contains(&self, place: Option<&Place>) -> bool {
        let Some(place) = place else {
            return false;
        };
        match self {
            Self::Commune(commune) => place.commune.as_deref() == Some(commune.as_str()),
            Self::Department(department) => place.department() == Some(department.as_str()),
            Self::Near { point, within_km } => place
                .point
                .is_some_and(|there| point.distance_km(&there) <= *within_km),
        }
    }
}

/// A territory filter of a list, as query parameters.
pub fn matches(territory: &Option<Territory>, place: Option<&Place>) -> bool {
    territory
        .as_ref()
        .is_none_or(|territory| territory.contains(place))
}

/// The members' map: a GeoJSON FeatureCollection (RFC 7946) of the
/// pioneers who chose to show where they are, the projects and the open
/// listings that say where they are. Features are points (`[longitude,
/// latitude]`), or have no geometry when only a commune is known; their
/// `properties` are those map tools (uMap, GoGoCarto) read — `name`,
/// `description`, `category` — with the commune's INSEE code, never more
/// about a pioneer than their name, skills and the place they gave.
#[utoipa::path(
    get, path = "/v1/communities/{community}/map.geojson", tag = "communities",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object),
        (status = "4XX", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_map(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    caller: super::caller::Caller,
    super::extract::CommunityPath(community): super::extract::CommunityPath,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let (view, _) =
        super::command::enter(&state, &caller, &community, super::caller::Access::Member)?;
    let community_state = &view.state;
    let mut features = Vec::new();
    for pioneer in community_state.pioneers.values().filter(|p| p.is_active()) {
        let Some(data) = state.ledger.keys().open(pioneer.id, &pioneer.personal) else {
            continue;
        };
        let Some(place) = data.place else {
            continue;
        };
        let name = match &pioneer.organisation {
            Some(organisation) => organisation.name.clone(),
            None => data.display_name,
        };
        features.push(feature(
            pioneer.id.0,
            &place,
            Marker {
                name,
                description: pioneer.profile.skills.join(", "),
                category: "pionnier",
                kind: "pioneer",
                tags: &pioneer.profile.skills,
            },
        ));
    }
    for project in community_state.projects.by_id.values() {
        let Some(place) = &project.place else {
            continue;
        };
        if project.status() == agora_events::ProjectStatus::Withdrawn {
            continue;
        }
        features.push(feature(
            project.id.0,
            place,
            Marker {
                name: project.title.clone(),
                description: project.summary.clone(),
                category: "projet",
                kind: "project",
                tags: &[],
            },
        ));
    }
    for listing in community_state.market.listings.values() {
        let Some(place) = listing.place.as_ref().filter(|_| listing.is_open()) else {
            continue;
        };
        let (category, kind) = match listing.kind {
            agora_events::ListingKind::Offer => ("offre", "offer"),
            agora_events::ListingKind::Request => ("demande", "request"),
        };
        features.push(feature(
            listing.id.0,
            place,
            Marker {
                name: listing.title.clone(),
                description: listing.description.clone(),
                category,
                kind,
                tags: &listing.tags,
            },
        ));
    }
    let collection = serde_json::json!({
        "type": "FeatureCollection",
        "features": features,
    });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        collection.to_string(),
    )
        .into_response())
}

/// What a feature shows.
struct Marker<'a> {
    name: String,
    description: String,
    /// In French, for people: `pionnier`, `projet`, `offre`, `demande`.
    category: &'static str,
    /// In English, for programs.
    kind: &'static str,
    tags: &'a [String],
}

fn feature(id: uuid::Uuid, place: &Place, marker: Marker<'_>) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    let geometry = place.point.map(|point| {
        serde_json::json!({
            "type": "Point",
            "coordinates": [
                point.longitude.value().to_f64(),
                point.latitude.value().to_f64(),
            ],
        })
    });
    serde_json::json!({
        "type": "Feature",
        "id": id.to_string(),
        "geometry": geometry,
        "properties": {
            "name": marker.name,
            "description": marker.description,
            "category": marker.category,
            "kind": marker.kind,
            "tags": marker.tags,
            "commune": place.commune,
        },
    })
}
