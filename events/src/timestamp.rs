//! Instants, in UTC to the microsecond, written one way only:
//! `2026-11-28T17:14:24.123456Z`. A fixed text form keeps canonical bytes
//! unique; microseconds are what every store and language here can keep.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A UTC instant truncated to microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Truncates to the microsecond.
    pub fn new(instant: DateTime<Utc>) -> Self {
        Self(instant.trunc_subsecs(6))
    }

    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::new(instant)
    }
}

/// Why a string is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {0:?} must be RFC 3339 in UTC, e.g. 2026-11-28T17:14:24.123456Z")]
pub struct TimestampError(pub String);

impl FromStr for Timestamp {
    type Err = TimestampError;
    /// Accepts any RFC 3339 instant and keeps it in UTC to the microsecond.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(text)
            .map(|instant| Self::new(instant.with_timezone(&Utc)))
            .map_err(|_| TimestampError(text.to_owned()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(FORMAT))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<'de, str>::deserialize(deserializer)?
            .parse()
            .map_err(de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "examples": ["2026-11-28T17:14:24.123456Z"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_in_utc_with_six_decimals() {
        let stamp: Timestamp = "2026-11-28T18:14:24.1234567+01:00".parse().unwrap();
        assert_eq!(stamp.to_string(), "2026-11-28T17:14:24.123456Z");
        let whole: Timestamp = "2026-11-28T17:14:24Z".parse().unwrap();
        assert_eq!(whole.to_string(), "2026-11-28T17:14:24.000000Z");
        assert_eq!(whole.to_string().parse::<Timestamp>().unwrap(), whole);
        assert!("2026-11-28 17:14".parse::<Timestamp>().is_err());
    }
}
