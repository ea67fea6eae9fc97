//! The vocabulary of the Agora ledger: every event type, the envelope and
//! metadata around it, exact amounts, canonical bytes and the hash chain.
//!
//! Pure: no IO, no async, no clock. Ids and instants come in as arguments,
//! so the same inputs always give the same events and the same hashes.

/// `Euros` and `Hours`: exact decimals that travel as JSON strings.
mod amount;
/// Canonical JSON, the bytes an event's hash covers.
pub mod canonical;
/// SHA-256 digests and how each event links to the one before.
mod chain;
/// Typed ids, the community slug and time-credit account ids.
mod ids;
/// The domain's event types, by area, and the `Event` enum.
mod kinds;
/// The envelope, the recorded form and chain verification.
mod record;
/// JSON Schema files of every event type.
pub mod schema;
/// Checking an event's hash straight from its stored bytes.
mod stored;
/// UTC instants with one text form.
mod timestamp;
/// Rewriting old event versions to the current one on read.
mod upcast;

pub use amount::{
    AMOUNT_PATTERN, AmountError, DECIMALS_MAX, Degrees, Euros, EurosTotal, Hours, HoursTotal,
    INTEGER_DIGITS_MAX, Quantity, TOTAL_PATTERN,
};
pub use chain::{HASH_PATTERN, Hash, HashError};
pub use ids::*;
pub use kinds::*;
pub use record::{
    Actor, COMMAND_ID_BYTES_MAX, ChainError, ChainVerifier, EventRecord, Linked, Metadata,
    NewEvent, Recorded,
};
pub use stored::{StoredLinks, hashed_links};
pub use timestamp::{Timestamp, TimestampError};
