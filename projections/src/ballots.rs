//! Ballots: the frozen rules of each, the votes that count (a voter's last),
//! and the recorded result.

use imbl::OrdMap;

use crate::Retention;

use agora_events::{
    BallotClosed, BallotId, BallotOpened, Choice, Event, PioneerId, Sealed, Timestamp, VoteCast,
};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballot {
    pub opened: BallotOpened,
    pub opened_at: Timestamp,
    /// Each voter's last vote, while the ballot is open (and after, when
    /// the state keeps history: see [`Retention`]). A closed ballot's votes
    /// are in the log, its key in its closing.
    pub votes: OrdMap<PioneerId, Vote>,
    /// Members who voted, each counted once.
    pub voters: u64,
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

impl Vote {
    /// The vote an event records: sealed if it came sealed.
    pub fn of(vote: VoteCast) -> Option<Self> {
        match (vote.choice, vote.sealed_choice) {
            (_, Some(sealed)) => Some(Self::Sealed(sealed)),
            (Some(choice), None) => Some(Self::Clear(choice)),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballots {
    pub by_id: OrdMap<BallotId, Ballot>,
}

impl Ballots {
    /// Folds one event about ballots; other events are ignored.
    pub(crate) fn evolve(&mut self, event: &Event, at: Timestamp, retention: Retention) {
        match event {
            Event::BallotOpened(opened) => {
                self.by_id.insert(
                    opened.ballot_id,
                    Ballot {
                        opened: opened.clone(),
                        opened_at: at,
                        votes: OrdMap::new(),
                        voters: 0,
                        votes_cast: 0,
                        closed: None,
                    },
                );
            }
            Event::VoteCast(vote) => {
                let Some(recorded) = Vote::of(vote.clone()) else {
                    return;
                };
                if let Some(ballot) = self.by_id.get_mut(&vote.ballot_id) {
                    if ballot.votes.insert(vote.voter, recorded).is_none() {
                        ballot.voters += 1;
                    }
                    ballot.votes_cast += 1;
                }
            }
            Event::BallotClosed(closed) => {
                if let Some(ballot) = self.by_id.get_mut(&closed.ballot_id) {
                    ballot.closed = Some((at, closed.clone()));
                    if retention == Retention::Decisions {
                        ballot.votes = OrdMap::new();
                    }
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
