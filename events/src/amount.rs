//! Money, time, measured quantities and coordinates as exact decimals:
//! `Euros`, `Hours`, `Quantity` and `Degrees`.
//!
//! Both travel in JSON as strings (`"50.00"`, `"-1.25"`), never as numbers, so
//! no float ever touches an amount. Parsing refuses anything but plain decimal
//! notation with at most two decimals and at most [`INTEGER_DIGITS_MAX`]
//! digits before the point; that bound keeps every sum the ledger can make far
//! from `Decimal`'s limits. Both always serialize with exactly two decimals,
//! which keeps the canonical bytes of an event unique.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Most digits an amount may have before the decimal point (below a trillion).
pub const INTEGER_DIGITS_MAX: usize = 12;
/// Decimals an amount may carry: cents, or hundredths of an hour.
pub const DECIMALS_MAX: u32 = 2;
/// The text form of an amount, as a regular expression (JSON Schema).
pub const AMOUNT_PATTERN: &str = "^-?(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$";

/// Why a string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount {0:?} is not a plain decimal such as \"12.50\"")]
    NotDecimal(String),
    #[error("amount {0:?} has more than {DECIMALS_MAX} decimals")]
    TooManyDecimals(String),
    #[error("amount {0:?} has more than {INTEGER_DIGITS_MAX} digits before the decimal point")]
    TooLarge(String),
}

/// Checks the text form and parses it: optional `-`, digits without leading
/// zeros, optional `.` and one or two digits. No exponent, no `+`, no spaces,
/// no thousands separators.
fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    parse_digits(text, INTEGER_DIGITS_MAX)
}

/// [`parse_amount`], with at most `integer_digits_max` digits before the
/// point.
fn parse_digits(text: &str, integer_digits_max: usize) -> Result<Decimal, AmountError> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(integer) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(AmountError::NotDecimal(text.to_owned()));
    }
    if fraction.is_some_and(|f| f.len() > DECIMALS_MAX as usize) {
        return Err(AmountError::TooManyDecimals(text.to_owned()));
    }
    if integer.len() > 1 && integer.starts_with('0') {
        return Err(AmountError::NotDecimal(text.to_owned()));
    }
    if integer.len() > integer_digits_max {
        return Err(AmountError::TooLarge(text.to_owned()));
    }
    Decimal::from_str(text).map_err(|_| AmountError::NotDecimal(text.to_owned()))
}

/// The least magnitude with more than [`INTEGER_DIGITS_MAX`] digits before
/// the point.
fn integer_bound() -> Decimal {
    Decimal::from(10_i64.pow(INTEGER_DIGITS_MAX as u32))
}

/// Text form with exactly two decimals; `-0.00` is written `0.00`.
fn format_amount(value: Decimal, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut value = value;
    if value.is_zero() {
        value = Decimal::ZERO;
    }
    value.rescale(DECIMALS_MAX);
    write!(f, "{value}")
}

/// JSON for a type written as its text form (`Display`, `FromStr`): a
/// string, read back only from a string; its schema a string of `pattern`.
macro_rules! written_as_text {
    ($name:ident, $pattern:expr, $description:expr) => {
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": $description,
                    "pattern": $pattern,
                    "examples": ["12.50"]
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Only strings: a JSON number here would be a float in disguise.
                let text = Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }
    };
}

macro_rules! amount_type {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(Decimal);

        impl $name {
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// The amount as a decimal, for arithmetic.
            pub fn value(self) -> Decimal {
                self.0
            }

            /// Wraps a decimal, refusing more than two decimals or too many digits.
            pub fn new(value: Decimal) -> Result<Self, AmountError> {
                let value = value.normalize();
                if value.scale() <= DECIMALS_MAX && value.abs() < integer_bound() {
                    return Ok(Self(value));
                }
                // Refused: the text form says why, as a parsed amount would.
                value.to_string().parse()
            }

            /// Whole units, for tests and seeds: `Hours::whole(3)` is `"3.00"`.
            /// An `i32` always fits the digit limit.
            pub fn whole(units: i32) -> Self {
                Self(Decimal::from(units))
            }

            pub fn is_positive(self) -> bool {
                self.0 > Decimal::ZERO
            }

            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).and_then(|sum| Self::new(sum).ok())
            }

            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).and_then(|difference| Self::new(difference).ok())
            }

            /// `self × count`, for share nominal values.
            pub fn checked_mul(self, count: u64) -> Option<Self> {
                self.0.checked_mul(Decimal::from(count)).and_then(|product| Self::new(product).ok())
            }
        }

        impl FromStr for $name {
            type Err = AmountError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_amount(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_amount(self.0, f)
            }
        }

        written_as_text!(
            $name,
            AMOUNT_PATTERN,
            concat!("An amount in ", $unit, ": a decimal string with at most two decimals, written with exactly two.")
        );
    };
}

amount_type!(
    /// A sum of money in euros, to the cent.
    Euros,
    "euros"
);
amount_type!(
    /// A quantity of time credit, to the hundredth of an hour.
    Hours,
    "hours"
);

amount_type!(
    /// A measured quantity of an impact indicator, in the indicator's unit,
    /// to the hundredth.
    Quantity,
    "quantity"
);

amount_type!(
    /// An angle in decimal degrees, to the hundredth: a latitude or a
    /// longitude rounded to about a kilometre.
    Degrees,
    "degrees"
);

/// Most digits a total may have before the decimal point: what a decimal
/// holds with two decimals.
const TOTAL_INTEGER_DIGITS_MAX: usize = 26;
/// The text form of a total, as a regular expression (JSON Schema).
pub const TOTAL_PATTERN: &str = "^-?(0|[1-9][0-9]{0,25})\\.[0-9]{2}$";

/// A type for sums of many amounts of `$unit`: a total may pass what one
/// amount holds (no rule bounds how many amounts it sums), and is written
/// like one, with exactly two decimals.
macro_rules! total_type {
    ($(#[$doc:meta])* $name:ident, $unit:ty, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(Decimal);

        impl $name {
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// The total with `amount` added. It stays exact far beyond
            /// anything a log can hold (a decimal's 26 digits before the
            /// point, at a trillion an event), and stops at that bound
            /// rather than fail.
            #[must_use]
            pub fn plus(self, amount: $unit) -> Self {
                Self(self.0.saturating_add(amount.value()))
            }

            /// The total with `amount` taken away (a correction's).
            #[must_use]
            pub fn minus(self, amount: $unit) -> Self {
                Self(self.0.saturating_sub(amount.value()))
            }

            pub fn value(self) -> Decimal {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_amount(self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = AmountError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_digits(text, TOTAL_INTEGER_DIGITS_MAX).map(Self)
            }
        }

        written_as_text!(
            $name,
            TOTAL_PATTERN,
            concat!("A sum of many amounts of ", $what, ", which may pass what one amount holds: a decimal string written with exactly two decimals.")
        );
    };
}

total_type!(
    /// A sum of many amounts of hours, such as every hour a marketplace
    /// ever moved.
    HoursTotal,
    Hours,
    "hours"
);

total_type!(
    /// A sum of many amounts of euros, such as every subscription of a
    /// year.
    EurosTotal,
    Euros,
    "euros"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Wrapping a decimal accepts and refuses exactly what parsing its
        /// text form does, with the same value or the same error.
        #[test]
        fn wrapping_a_decimal_agrees_with_parsing_its_text(
            mantissa in prop_oneof![
                -100_000_i64..100_000,
                -(10_i64.pow(15))..10_i64.pow(15),
                any::<i64>(),
            ],
            scale in 0_u32..8,
        ) {
            let value = Decimal::new(mantissa, scale);
            let parsed = value.normalize().to_string().parse::<Euros>();
            prop_assert_eq!(Euros::new(value), parsed.clone());
            if let Ok(parsed) = parsed {
                prop_assert_eq!(Euros::new(value).unwrap().to_string(), parsed.to_string());
            }
        }
    }

    #[test]
    fn wrapping_refuses_a_third_decimal_and_a_thirteenth_digit() {
        assert_eq!(
            Hours::new(Decimal::new(1255, 3)),
            Err(AmountError::TooManyDecimals("1.255".into()))
        );
        assert_eq!(
            Euros::new(Decimal::new(1_000_000_000_000, 0)),
            Err(AmountError::TooLarge("1000000000000".into()))
        );
        assert_eq!(
            Euros::new(Decimal::new(-99_999_999_999_999, 2)).map(|euros| euros.to_string()),
            Ok("-999999999999.99".into())
        );
        let negative_zero = Decimal::from_parts(0, 0, 0, true, 2);
        assert_eq!(
            Euros::new(negative_zero).map(|euros| euros.to_string()),
            Ok("0.00".into())
        );
    }

    #[test]
    fn a_total_passes_what_one_amount_holds_and_reads_back() {
        let most: Hours = "999999999999.99".parse().unwrap();
        let total = HoursTotal::ZERO.plus(most).plus(most).plus(Hours::whole(1));
        assert_eq!(total.to_string(), "2000000000000.98");
        assert_eq!(total.to_string().parse::<HoursTotal>(), Ok(total));
        let json = serde_json::to_string(&total).unwrap();
        assert_eq!(serde_json::from_str::<HoursTotal>(&json).unwrap(), total);
        assert!("1e3".parse::<HoursTotal>().is_err());
        assert!("1.255".parse::<HoursTotal>().is_err());
        let most: Euros = "999999999999.99".parse().unwrap();
        let cent: Euros = "0.01".parse().unwrap();
        let total = EurosTotal::ZERO.plus(most).plus(most).minus(cent);
        assert_eq!(total.to_string(), "1999999999999.97");
    }

    #[test]
    fn amounts_parse_plain_decimals_and_print_two_decimals() {
        assert_eq!("50".parse::<Euros>().unwrap().to_string(), "50.00");
        assert_eq!("1.5".parse::<Hours>().unwrap().to_string(), "1.50");
        assert_eq!("-20".parse::<Hours>().unwrap().to_string(), "-20.00");
        assert_eq!("-0.00".parse::<Hours>().unwrap().to_string(), "0.00");
        assert_eq!("0.5".parse::<Euros>().unwrap().to_string(), "0.50");
    }

    #[test]
    fn amounts_refuse_a_third_decimal() {
        assert_eq!(
            "1.255".parse::<Hours>(),
            Err(AmountError::TooManyDecimals("1.255".into()))
        );
    }

    #[test]
    fn amounts_refuse_anything_but_plain_decimal_notation() {
        for text in [
            "", "-", ".5", "5.", "1e3", "+1", " 1", "1,50", "NaN", "1.2.3", "--1", "١",
        ] {
            assert_eq!(
                text.parse::<Euros>(),
                Err(AmountError::NotDecimal(text.into())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn amounts_refuse_more_than_twelve_integer_digits() {
        assert!("999999999999.99".parse::<Euros>().is_ok());
        assert_eq!(
            "1000000000000".parse::<Euros>(),
            Err(AmountError::TooLarge("1000000000000".into()))
        );
    }

    #[test]
    fn amounts_travel_as_json_strings_never_numbers() {
        let hours: Hours = serde_json::from_str("\"1.25\"").unwrap();
        assert_eq!(serde_json::to_string(&hours).unwrap(), "\"1.25\"");
        assert!(serde_json::from_str::<Hours>("1.25").is_err());
        assert!(serde_json::from_str::<Euros>("\"1.001\"").is_err());
    }

    #[test]
    fn arithmetic_keeps_the_scale_rules() {
        let a: Euros = "0.10".parse().unwrap();
        let b: Euros = "0.20".parse().unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.30");
        assert_eq!(a.checked_sub(b).unwrap().to_string(), "-0.10");
        assert_eq!(a.checked_mul(3).unwrap().to_string(), "0.30");
        let big: Euros = "999999999999.99".parse().unwrap();
        assert_eq!(big.checked_add(big), None);
    }
}
