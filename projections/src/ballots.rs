//! Ballots: the frozen rules of each, the votes that count (a voter's last),
//! and the recorded result.

use imbl::OrdMap;

use agora_events::{
    BallotClosed, BallotId, BallotOpened, Choice, Event, PioneerId, Sealed, Timestamp,
};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballot {
    pub opened: BallotOpened,
    pub opened_at: Timestamp,
    /// Each voter's last vote.
    pub votes: OrdMap<PioneerId, Vote>,
    /// Every vote cast, replaced ones included.
    pub votes_cast: u64,
    pub closed: Option<(Timestamp, BallotClosed)>,
}

impl Ballot {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// A vote as the log records it: sealed while the ballot is open (opened
/// with the key its closing reveals), or in clear for ballots opened before
/// votes were sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Vote {
    Clear(Choice),
    Sealed(Sealed),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballots {
    pub by_id: OrdMap<BallotId, Ballot>,
}

impl Ballots {
    /// Folds one event about ballots; other events are ignored.
    pub(crate) fn evolve(&mut self, event: &Event, at: Timestamp) {
        match event {
            Event::BallotOpened(opened) => {
                self.by_id.insert(
                    opened.ballot_id,
                    Ballot {
                        opened: opened.clone(),
                        opened_at: at,
                        votes: OrdMap::new(),
                        votes_cast: 0,
                        closed: None,
                    },
                );
            }
            Event::VoteCast(vote) => {
                let recorded = match (&vote.choice, &vote.sealed_choice) {
                    (_, Some(sealed)) => Vote::Sealed(sealed.clone()),
                    (Some(choice), None) => Vote::Clear(choice.clone()),
                    (None, None) => return,
                };
                if let Some(ballot) = self.by_id.get_mut(&vote.ballot_id) {
                    ballot.votes.insert(vote.voter, recorded);
                    ballot.votes_cast += 1;
                }
            }
            Event::BallotClosed(closed) => {
                if let Some(ballot) = self.by_id.get_mut(&closed.ballot_id) {
                    ballot.closed = Some((at, closed.clone()));
                }
            }
            _ => {}
        }
    }

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
