//! Places: a commune by its INSEE code, a point rounded to about a
//! kilometre, or both; never an address.

use agora_events::{Degrees, Place};
use rust_decimal::Decimal;

use super::Rejection;

/// Checks a place: it says something, its commune is an INSEE commune code,
/// its point lies on the globe with at most two decimals.
pub fn validate_place(field: &'static str, place: &Place) -> Result<(), Rejection> {
    if place.commune.is_none() && place.point.is_none() {
        return Err(Rejection::PlaceEmpty { field });
    }
    if let Some(commune) = &place.commune
        && !is_commune_code(commune)
    {
        return Err(Rejection::CommuneCodeInvalid {
            field,
            commune: commune.clone(),
        });
    }
    if let Some(point) = &place.point {
        let within = |degrees: Degrees, bound: i64| degrees.value().abs() <= Decimal::from(bound);
        if !within(point.latitude, 90) || !within(point.longitude, 180) {
            return Err(Rejection::CoordinatesOutOfRange {
                field,
                latitude: point.latitude.to_string(),
                longitude: point.longitude.to_string(),
            });
        }
    }
    Ok(())
}

/// An INSEE commune code: a department of metropolitan France (`01`–`19`,
/// `2A`, `2B`, `21`–`95`) and the commune's number (`001`–`999`), or an
/// overseas department or collectivity (`971`–`978`, `984`–`989`) and
/// its (`01`–`99`). A postal code such as `38000` is not one.
pub fn is_commune_code(code: &str) -> bool {
    let numbered = |split: usize, digits: usize| {
        let (department, number) = (code.get(..split), code.get(split..));
        department.is_some_and(is_department)
            && number.is_some_and(|number| {
                is_digits(number, digits) && number.bytes().any(|b| b != b'0')
            })
    };
    numbered(2, 3) || numbered(3, 2)
}

/// A department's code: `01`–`19`, `2A`, `2B`, `21`–`95`, `971`–`978`,
/// `984`–`989`.
pub fn is_department(code: &str) -> bool {
    match code.as_bytes() {
        [b'2', b'A' | b'B'] => true,
        [b'2', b'0'] | [b'0', b'0'] => false,
        [b'9', b'7', d] => (b'1'..=b'8').contains(d),
        [b'9', b'8', d] => (b'4'..=b'9').contains(d),
        [first, second] => {
            first.is_ascii_digit() && second.is_ascii_digit() && (*first < b'9' || *second <= b'5')
        }
        _ => false,
    }
}

fn is_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_events::Point;

    #[test]
    fn commune_codes_follow_insee() {
        for good in [
            "38185", "01001", "2A004", "2B033", "75056", "97411", "98735", "95127",
        ] {
            assert!(is_commune_code(good), "{good}");
        }
        let postal_codes = ["38000", "26000", "97400"];
        for bad in [
            "", "3818", "381850", "20004", "00123", "96001", "97901", "2C004", "3818A", "9741",
        ]
        .into_iter()
        .chain(postal_codes)
        {
            assert!(!is_commune_code(bad), "{bad}");
        }
    }

    #[test]
    fn a_place_says_where_on_the_globe() {
        let at = |latitude: &str, longitude: &str| Place {
            commune: None,
            point: Some(Point {
                latitude: latitude.parse().unwrap(),
                longitude: longitude.parse().unwrap(),
            }),
        };
        assert!(validate_place("place", &at("45.19", "5.72")).is_ok());
        assert!(validate_place("place", &at("-90", "180")).is_ok());
        assert_eq!(
            validate_place("place", &at("90.01", "0"))
                .unwrap_err()
                .rule(),
            "coordinates-range"
        );
        assert_eq!(
            validate_place("place", &at("0", "-180.5"))
                .unwrap_err()
                .rule(),
            "coordinates-range"
        );
        let nowhere = Place {
            commune: None,
            point: None,
        };
        assert_eq!(
            validate_place("place", &nowhere).unwrap_err().rule(),
            "place-empty"
        );
    }
}
