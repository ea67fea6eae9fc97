//! Ballots: the frozen rules of each, the votes that count (a voter's last),
//! and the recorded result.

use imbl::OrdMap;

use agora_events::{BallotClosed, BallotId, BallotOpened, Choice, PioneerId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballot {
    pub opened: BallotOpened,
    pub opened_at: Timestamp,
    /// Each voter's last choice.
    pub votes: OrdMap<PioneerId, Choice>,
    /// Every vote cast, replaced ones included.
    pub votes_cast: u64,
    pub closed: Option<(Timestamp, BallotClosed)>,
}

impl Ballot {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballots {
    pub by_id: OrdMap<BallotId, Ballot>,
}

impl Ballots {
    pub fn get(&self, id: BallotId) -> Option<&Ballot> {
        self.by_id.get(&id)
    }

    /// Open ballots whose close time has passed at `now`.
    pub fn due(&self, now: Timestamp) -> Vec<BallotId> {
        self.by_id
            .values()
            .filter(|ballot| ballot.is_open() && ballot.opened.closes_at <= now)
            .map(|ballot| ballot.opened.ballot_id)
            .collect()
    }
}
