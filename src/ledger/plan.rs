//! A batch of commands decided against the writer's state before it is
//! recorded: each command answered from an earlier recording of its key,
//! refused, or decided into events chained onto the batch's earlier ones.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::clock::Clock;
use agora_events::{BallotId, EventId, Hash, Linked, Metadata, NewEvent, Timestamp};
use agora_projections::{CommunityState, Market};

use super::writer::evolve;
use super::{CommandRequest, Committed, LedgerError};
use crate::domain::sealing::BallotKey;
use crate::domain::{check_actor, decide};

/// Idempotency keys belong to the caller who sent them: (actor, key).
pub(super) type CommandKey = (String, String);

/// A command recorded before this batch, as the store's index finds it.
#[derive(Debug, Clone)]
pub(super) struct RecordedCommand {
    pub(super) digest: Hash,
    pub(super) events: Vec<Committed>,
}

/// A command recorded earlier in this batch.
#[derive(Debug, Clone)]
pub(super) struct PlannedCommand {
    pub(super) digest: Hash,
    pub(super) range: Range<usize>,
}

/// What became of one command of a batch.
pub(super) enum Decision {
    /// Refused, or a reused key: answered as is.
    Failed(LedgerError),
    /// Accepted with events `range` of the batch (possibly none).
    Recorded {
        command_id: String,
        range: Range<usize>,
    },
    /// A retry of a command recorded before this batch.
    Replay {
        command_id: String,
        events: Vec<Committed>,
    },
    /// A retry of a command earlier in this same batch.
    ReplayInBatch {
        command_id: String,
        range: Range<usize>,
    },
}

/// A batch decided against the writer's state, not yet recorded.
pub(super) struct Plan {
    pub(super) decisions: Vec<Decision>,
    /// The key of each ballot the batch opens, by command: kept durably
    /// before the opening is recorded.
    pub(super) ballot_keys: Vec<Option<(BallotId, BallotKey)>>,
    pub(super) events: Vec<(NewEvent, Arc<agora_events::EventRecord>)>,
    /// The data and metadata bytes the store keeps of each event, made with
    /// its hash.
    pub(super) stored: Vec<(Vec<u8>, Vec<u8>)>,
    pub(super) state: Option<CommunityState>,
    /// The exchanges and listings the batch's commands name, as they were
    /// before the batch if they were over, then as the batch's events leave
    /// them: lent to the state for each decision about one the state let
    /// go of, then taken back.
    pub(super) past: Market,
    /// Every exchange or listing the batch's commands name.
    pub(super) named: Vec<uuid::Uuid>,
    pub(super) head: Hash,
    pub(super) commands: HashMap<CommandKey, PlannedCommand>,
}

impl Plan {
    /// What to answer a request whose key was used before, by a command
    /// recorded before this batch or earlier in it: its events, or a
    /// refusal if the key came with another command. `None` for a new key.
    pub(super) fn retry_of(
        &self,
        request: &CommandRequest,
        recorded: Option<RecordedCommand>,
    ) -> Option<Decision> {
        let key = request.idempotency_key.as_ref()?;
        let scoped = (request.actor.id.clone(), key.clone());
        match (recorded, self.commands.get(&scoped)) {
            (Some(recorded), _) if recorded.digest == request.command_digest => {
                Some(Decision::Replay {
                    command_id: key.clone(),
                    events: recorded.events,
                })
            }
            (None, Some(planned)) if planned.digest == request.command_digest => {
                Some(Decision::ReplayInBatch {
                    command_id: key.clone(),
                    range: planned.range.clone(),
                })
            }
            (Some(_), _) | (None, Some(_)) => {
                Some(Decision::Failed(LedgerError::IdempotencyKeyReused {
                    key: key.clone(),
                }))
            }
            (None, None) => None,
        }
    }

    /// Decides a new command against the state the batch's earlier commands
    /// leave, and chains and folds its events into the plan.
    pub(super) fn decide(
        &mut self,
        request: &CommandRequest,
        now: Timestamp,
        clock: &dyn Clock,
    ) -> Decision {
        let lent = request.command.past_item().filter(|&id| {
            self.state
                .as_mut()
                .is_some_and(|state| state.market.lend(&self.past, id))
        });
        let decided = match &self.state {
            Some(state) => check_actor(state, &request.actor),
            None => Ok(()),
        }
        .and_then(|()| decide(self.state.as_ref(), &request.command, now));
        let decision = match decided {
            Ok(events) => self.record(request, events, now, clock),
            Err(rejection) => Decision::Failed(rejection.into()),
        };
        if let (Some(id), Some(state)) = (lent, self.state.as_mut()) {
            state.market.take_back(id);
        }
        decision
    }

    /// Chains and folds a decided command's events into the plan.
    fn record(
        &mut self,
        request: &CommandRequest,
        events: Vec<agora_events::Event>,
        now: Timestamp,
        clock: &dyn Clock,
    ) -> Decision {
        let command_id = request
            .idempotency_key
            .clone()
            .unwrap_or_else(|| clock.new_id().to_string());
        let start = self.events.len();
        for event in events {
            let event_id = EventId(clock.new_id());
            evolve(&mut self.state, &event, event_id, now);
            // What the state lets go of during the batch stays at hand for
            // the batch's later decisions about it.
            if Market::item_of(&event).is_some_and(|id| self.named.contains(&id)) {
                self.past.remember(&event, event_id, now);
            }
            let new = NewEvent {
                event_id,
                event,
                metadata: Metadata {
                    community: request.community.clone(),
                    actor: request.actor.clone(),
                    command_id: command_id.clone(),
                    command_digest: request.command_digest,
                    correlation_id: request.correlation_id,
                    recorded_at: now,
                },
            };
            let Linked {
                record,
                data,
                metadata,
            } = new.link_for_store(self.head);
            self.head = record.hash;
            self.events.push((new, Arc::new(record)));
            self.stored.push((data, metadata));
        }
        let range = start..self.events.len();
        if !range.is_empty() {
            self.commands.insert(
                (request.actor.id.clone(), command_id.clone()),
                PlannedCommand {
                    digest: request.command_digest,
                    range: range.clone(),
                },
            );
        }
        Decision::Recorded { command_id, range }
    }
}
