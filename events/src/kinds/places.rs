//! Places: where a project, a listing or (with their consent) a pioneer is,
//! never more precisely than a commune or about a kilometre.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Degrees;

/// A place: a commune by its INSEE code (`38185` for Grenoble, `2A004` for
/// Ajaccio), a point rounded to the hundredth of a degree (about a
/// kilometre), or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<Point>,
}

/// A point on the globe (WGS 84), in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// From -90 (south) to 90 (north).
    pub latitude: Degrees,
    /// From -180 (west) to 180 (east).
    pub longitude: Degrees,
}

impl Place {
    /// The commune's department (`38`, `2A`, `974`), if the place names a
    /// commune.
    pub fn department(&self) -> Option<&str> {
        let commune = self.commune.as_deref()?;
        let digits = if commune.starts_with("97") || commune.starts_with("98") {
            3
        } else {
            2
        };
        commune.get(..digits)
    }
}

impl Point {
    /// The great-circle distance to `other`, in kilometres.
    pub fn distance_km(&self, other: &Point) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6_371.0;
        let radians = |degrees: Degrees| {
            use rust_decimal::prelude::ToPrimitive;
            degrees.value().to_f64().unwrap_or(0.0).to_radians()
        };
        let (lat1, lat2) = (radians(self.latitude), radians(other.latitude));
        let dlat = lat2 - lat1;
        let dlon = radians(other.longitude) - radians(self.longitude);
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(latitude: &str, longitude: &str) -> Point {
        Point {
            latitude: latitude.parse().unwrap(),
            longitude: longitude.parse().unwrap(),
        }
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        // Grenoble to Lyon: about 95 km as the crow flies.
        let grenoble = point("45.19", "5.72");
        let lyon = point("45.76", "4.84");
        let km = grenoble.distance_km(&lyon);
        assert!((90.0..100.0).contains(&km), "{km}");
        assert_eq!(grenoble.distance_km(&grenoble), 0.0);
    }

    #[test]
    fn a_commune_s_department_is_two_characters_or_three_overseas() {
        let of = |commune: &str| {
            Place {
                commune: Some(commune.into()),
                point: None,
            }
            .department()
            .map(str::to_owned)
        };
        assert_eq!(of("38185").as_deref(), Some("38"));
        assert_eq!(of("2A004").as_deref(), Some("2A"));
        assert_eq!(of("97411").as_deref(), Some("974"));
    }
}
