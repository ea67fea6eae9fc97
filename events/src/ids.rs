//! Identifiers: one newtype per kind of entity, so a pioneer id can never be
//! passed where a project id is expected, plus the community slug and the
//! account id that names either a pioneer or a project.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps an id minted by the caller (ids come in as arguments: see the crate docs).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }
    )*};
}

id_type! {
    /// One recorded event (UUID v7, so ids sort by creation time).
    EventId;
    /// A member of the community.
    PioneerId;
    /// A proposed project; it also owns a time-credit account.
    ProjectId;
    /// A share subscription.
    SubscriptionId;
    /// A recorded payment for shares.
    PaymentId;
    /// A redemption of shares.
    RedemptionId;
    /// A marketplace offer or request.
    ListingId;
    /// An exchange of hours between a provider and a receiver.
    ExchangeId;
    /// A direct transfer of time credits.
    TransferId;
    /// A ballot.
    BallotId;
    /// Money received by the cooperative.
    ReceiptId;
    /// Funds set aside for a project.
    AllocationId;
    /// Money spent against an allocation.
    ExpenseId;
    /// A working meeting or a social event of the community.
    MeetingId;
    /// A general assembly, convened once (a second convocation is another).
    AssemblyId;
    /// One measurement of an impact indicator for a project.
    MeasurementId;
    /// An endpoint registered to receive a community's events.
    WebhookId;
    /// Ties together the events caused by one request.
    CorrelationId;
}

/// Most bytes in a community slug.
pub const SLUG_BYTES_MAX: usize = 63;
/// A community slug, as a regular expression (JSON Schema).
pub const SLUG_PATTERN: &str = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";
/// An account id, as a regular expression (JSON Schema).
pub const ACCOUNT_PATTERN: &str =
    "^((pioneer|project):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|community)$";

/// Why a string is not a community slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "community slug {0:?} must be 1 to {SLUG_BYTES_MAX} lowercase letters, digits or inner hyphens"
)]
pub struct SlugError(pub String);

/// A community's name in URLs and stream names: `lanceurs-davenir`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CommunitySlug(String);

impl CommunitySlug {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The community's ledger stream, its consistency boundary.
    pub fn stream(&self) -> String {
        format!("community-{}", self.0)
    }
}

impl FromStr for CommunitySlug {
    type Err = SlugError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let well_formed = !text.is_empty()
            && text.len() <= SLUG_BYTES_MAX
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(SlugError(text.to_owned()))
        }
    }
}

impl fmt::Display for CommunitySlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CommunitySlug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<'de, str>::deserialize(deserializer)?
            .parse()
            .map_err(de::Error::custom)
    }
}

impl JsonSchema for CommunitySlug {
    fn schema_name() -> Cow<'static, str> {
        "CommunitySlug".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": SLUG_PATTERN,
            "examples": ["lanceurs-davenir"]
        })
    }
}

/// A time-credit account: every pioneer has one, and so does every project
/// (pioneers can give hours to a project), and the community itself (it
/// takes over the balance of a member who leaves). Written
/// `pioneer:<uuid>`, `project:<uuid>` or `community`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountId {
    Pioneer(PioneerId),
    Project(ProjectId),
    Community,
}

/// Why a string is not an account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("account {0:?} must be written pioneer:<uuid>, project:<uuid> or community")]
pub struct AccountIdError(pub String);

impl FromStr for AccountId {
    type Err = AccountIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || AccountIdError(text.to_owned());
        if text == "community" {
            return Ok(Self::Community);
        }
        let (kind, id) = text.split_once(':').ok_or_else(error)?;
        let id = Uuid::parse_str(id).map_err(|_| error())?;
        match kind {
            "pioneer" => Ok(Self::Pioneer(PioneerId(id))),
            "project" => Ok(Self::Project(ProjectId(id))),
            _ => Err(error()),
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pioneer(id) => write!(f, "pioneer:{id}"),
            Self::Project(id) => write!(f, "project:{id}"),
            Self::Community => f.write_str("community"),
        }
    }
}

impl Serialize for AccountId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<'de, str>::deserialize(deserializer)?
            .parse()
            .map_err(de::Error::custom)
    }
}

impl JsonSchema for AccountId {
    fn schema_name() -> Cow<'static, str> {
        "AccountId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": ACCOUNT_PATTERN
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        assert!("lanceurs-davenir".parse::<CommunitySlug>().is_ok());
        assert!("a".parse::<CommunitySlug>().is_ok());
        for bad in ["", "-a", "a-", "A", "a b", "é", "a_b", &"a".repeat(64)] {
            assert!(bad.parse::<CommunitySlug>().is_err(), "{bad:?}");
        }
        let slug: CommunitySlug = "x1".parse().unwrap();
        assert_eq!(slug.stream(), "community-x1");
    }

    #[test]
    fn account_ids_round_trip_through_their_text_form() {
        let pioneer = AccountId::Pioneer(PioneerId(Uuid::from_u128(7)));
        let text = pioneer.to_string();
        assert_eq!(text, "pioneer:00000000-0000-0000-0000-000000000007");
        assert_eq!(text.parse::<AccountId>().unwrap(), pioneer);
        assert!(
            "member:00000000-0000-0000-0000-000000000007"
                .parse::<AccountId>()
                .is_err()
        );
        assert!("project:nope".parse::<AccountId>().is_err());
    }
}
