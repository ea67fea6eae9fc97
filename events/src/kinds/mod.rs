//! Every event type of the domain, grouped by area, and the `Event` enum
//! that names them. An event is a past-tense fact that carries its outcome
//! (balances after a transfer, capital after a payment), so readers never
//! have to re-run a rule to know what happened.

mod assemblies;
mod ballots;
mod community;
mod funds;
mod market;
mod pioneer;
mod places;
mod projects;
mod shares;
mod webhooks;

pub use assemblies::*;
pub use ballots::*;
pub use community::*;
pub use funds::*;
pub use market::*;
pub use pioneer::*;
pub use places::*;
pub use projects::*;
pub use shares::*;
pub use webhooks::*;

use serde_json::Value;

use crate::upcast::upcast;

/// Why recorded data does not decode into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("{event_type} has no version {version} (current is {current})")]
    UnknownVersion {
        event_type: String,
        version: u32,
        current: u32,
    },
    #[error("{event_type} v{version} data does not match its schema: {reason}")]
    BadData {
        event_type: String,
        version: u32,
        reason: String,
    },
    #[error("recorded event is malformed: {0}")]
    Malformed(String),
}

/// Declares the vocabulary once: the enum, each type's name and current
/// version, decoding with upcasting, and the schema list.
macro_rules! vocabulary {
    ($($name:ident => $version:literal,)*) => {
        /// Any event of the ledger.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event {
            $($name($name),)*
        }

        /// Every event type with its current version, in declaration order.
        pub const EVENT_TYPES: &[(&str, u32)] = &[$((stringify!($name), $version),)*];

        impl Event {
            /// The stable type name, e.g. `TimeCreditsTransferred`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)*
                }
            }

            /// The version this code writes.
            pub fn version(&self) -> u32 {
                match self {
                    $(Self::$name(_) => $version,)*
                }
            }

            /// The event's data as JSON.
            pub fn data(&self) -> Value {
                let data = match self {
                    $(Self::$name(data) => serde_json::to_value(data),)*
                };
                // Only maps with non-string keys can fail, and no event has one.
                data.expect("event data always serializes to JSON")
            }

            /// Reads recorded data without copying it when it is at the
            /// current version (the usual case); older versions are copied
            /// and upcast.
            pub fn decode_ref(event_type: &str, version: u32, data: &Value) -> Result<Self, DecodeError> {
                if current_version(event_type) != Some(version) {
                    return Self::decode(event_type, version, data.clone());
                }
                let bad_data = |error: serde_json::Error| DecodeError::BadData {
                    event_type: event_type.to_owned(),
                    version,
                    reason: error.to_string(),
                };
                match event_type {
                    $(stringify!($name) => <$name as serde::Deserialize>::deserialize(data).map(Self::$name).map_err(bad_data),)*
                    other => Err(DecodeError::UnknownType(other.to_owned())),
                }
            }

            /// Reads recorded data straight from its JSON bytes: typed at
            /// once when it is of the current version, else through a JSON
            /// value and upcast.
            pub fn decode_slice(event_type: &str, version: u32, data: &[u8]) -> Result<Self, DecodeError> {
                if current_version(event_type) != Some(version) {
                    let data = serde_json::from_slice(data).map_err(|error| DecodeError::Malformed(format!("{event_type} data: {error}")))?;
                    return Self::decode(event_type, version, data);
                }
                let bad_data = |error: serde_json::Error| DecodeError::BadData {
                    event_type: event_type.to_owned(),
                    version,
                    reason: error.to_string(),
                };
                match event_type {
                    $(stringify!($name) => crate::stored::from_json_bytes(data).map(Self::$name).map_err(bad_data),)*
                    other => Err(DecodeError::UnknownType(other.to_owned())),
                }
            }

            /// Reads recorded data of any known version, upcasting old ones.
            pub fn decode(event_type: &str, version: u32, data: Value) -> Result<Self, DecodeError> {
                let data = upcast(event_type, version, data)?;
                let bad_data = |error: serde_json::Error| DecodeError::BadData {
                    event_type: event_type.to_owned(),
                    version,
                    reason: error.to_string(),
                };
                match event_type {
                    $(stringify!($name) => serde_json::from_value(data).map(Self::$name).map_err(bad_data),)*
                    other => Err(DecodeError::UnknownType(other.to_owned())),
                }
            }
        }

        /// The JSON Schema of each event type's data at its current version.
        pub fn schemas() -> Vec<(&'static str, u32, schemars::Schema)> {
            vec![$((stringify!($name), $version, schemars::schema_for!($name)),)*]
        }

        $(
            impl From<$name> for Event {
                fn from(data: $name) -> Self {
                    Self::$name(data)
                }
            }
        )*
    };
}

vocabulary! {
    CommunityCreated => 1,
    StatutesAmended => 1,
    PioneerAdmitted => 1,
    CharterAccepted => 1,
    ProfileUpdated => 1,
    PioneerLeft => 1,
    PioneerExcluded => 1,
    PioneerForgotten => 1,
    RoleGranted => 1,
    RoleRevoked => 1,
    RepresentativeChanged => 1,
    ApplicationSubmitted => 1,
    ApplicationScored => 1,
    ApplicationDeclined => 1,
    ApplicationWithdrawn => 1,
    SharesSubscribed => 1,
    SharePaymentRecorded => 1,
    SharePaymentCorrected => 1,
    SharesRedeemed => 1,
    ListingPublished => 1,
    ListingWithdrawn => 1,
    ListingReported => 1,
    ListingTakenDown => 1,
    ExchangeRecorded => 1,
    ExchangeConfirmed => 1,
    ExchangeCancelled => 1,
    ExchangeReversed => 1,
    TimeCreditsTransferred => 1,
    BalanceSettled => 1,
    ProjectBalanceSettled => 1,
    ProjectProposed => 1,
    ProjectScored => 1,
    ProjectStatusChanged => 1,
    BallotOpened => 1,
    VoteCast => 1,
    BallotClosed => 1,
    FundsReceived => 1,
    FundsAllocated => 1,
    ExpenseRecorded => 1,
    FundsCorrected => 1,
    AllocationReleased => 1,
    BudgetSet => 1,
    MeetingRecorded => 1,
    AssemblyConvened => 1,
    AttendanceRecorded => 1,
    MinutesRecorded => 1,
    CandidacyDeclared => 1,
    CandidacyWithdrawn => 1,
    MandateGranted => 1,
    IndicatorMeasured => 1,
    WebhookRegistered => 1,
    WebhookRemoved => 1,
}

/// The version this code writes for `event_type`, if it knows the type.
pub fn current_version(event_type: &str) -> Option<u32> {
    EVENT_TYPES
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, version)| *version)
}
