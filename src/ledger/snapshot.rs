//! Snapshots of a community's state, kept by the store, so that start-up
//! reads only the events after the latest one instead of the whole log.
//!
//! A snapshot is the state the writer publishes after a whole batch (never
//! between two events of one command), with the revision and chain head it
//! folds to. It is trusted only if the log agrees: the event at its
//! revision must exist and hash to its head, and the events after it must
//! link to that head. The whole chain is still checked, in the background,
//! once the service serves.
//!
//! The format number changes whenever the state's shape changes; a snapshot
//! of another format is never read, only rebuilt from the log.

use agora_events::{Hash, Timestamp};
use agora_projections::CommunityState;
use serde::{Deserialize, Serialize};

/// The shape of the snapshots this build writes and reads. Bump it with
/// any change to `CommunityState` or the types inside it.
pub const SNAPSHOT_FORMAT: u32 = 16;
/// Events recorded between two snapshots of a community while it runs (one
/// more is taken when its writer stops).
pub const SNAPSHOT_EVENTS: u64 = 10_000;

/// A community's state through `revision`, whose event hashes to `head`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub revision: u64,
    pub head: Hash,
    pub last_recorded_at: Timestamp,
    pub state: CommunityState,
}

/// Just enough to tell a snapshot's format before reading the rest.
#[derive(Deserialize)]
struct Header {
    format: u32,
}

impl Snapshot {
    /// The bytes the store keeps. Fails only if the state holds a shape
    /// JSON cannot write (every domain test checks that none does); the
    /// snapshot is then not saved, and start-up replays the log instead.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(self).map_err(|error| format!("the state does not serialize: {error}"))
    }

    /// A snapshot from the store's bytes, if this build can read it.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let header: Header = serde_json::from_slice(bytes)
            .map_err(|error| format!("unreadable snapshot: {error}"))?;
        if header.format != SNAPSHOT_FORMAT {
            return Err(format!(
                "snapshot of format {}, this build reads format {SNAPSHOT_FORMAT}",
                header.format
            ));
        }
        serde_json::from_slice(bytes).map_err(|error| format!("unreadable snapshot: {error}"))
    }
}
