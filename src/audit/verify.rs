//! Verification of a community's log: the hash chain, event by event, then
//! the invariants of the projections folded from it. Used by `GET …/verify`,
//! `agora verify` (on a store) and `agora verify --file` (on an export,
//! offline).

use agora_events::{ChainVerifier, EventId, EventRecord, Hash, Timestamp};
use agora_projections::CommunityState;
use serde::Serialize;

use crate::ledger::{Prechecked, check_prechecked};
use crate::store::StoredEvent;

/// The first event that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    pub revision: u64,
    pub event_id: Option<EventId>,
    pub reason: String,
}

/// One invariant and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub rule: &'static str,
    pub holds: bool,
    pub detail: String,
}

/// The verdict on one community's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub stream: String,
    /// Events read.
    pub events: u64,
    /// Events verified, up to the first break.
    pub verified: u64,
    /// The hash of the last verified event: the chain head.
    pub head: Hash,
    pub first_break: Option<Break>,
    pub checks: Vec<Check>,
}

impl Verification {
    /// The chain is intact and every invariant holds.
    pub fn ok(&self) -> bool {
        self.first_break.is_none() && self.checks.iter().all(|check| check.holds)
    }
}

/// Folds a community's records in order, stopping at the first that does
/// not verify.
pub struct Verifier {
    stream: String,
    chain: ChainVerifier,
    state: Option<CommunityState>,
    events: u64,
    first_break: Option<Break>,
    /// When the last event folded was recorded.
    last_recorded_at: Option<Timestamp>,
    /// A snapshot the store keeps of this stream, to be compared with the
    /// state folded through its revision; then how it compared.
    snapshot: Option<StoredState>,
    snapshot_check: Option<Check>,
}

/// The rule a snapshot kept beside the log meets when it holds what the
/// log folds to through its revision.
pub const SNAPSHOT_EQUALS_LOG: &str = "snapshot-equals-log";

/// A snapshot's revision, chain head and state, as the store keeps them.
pub struct StoredState {
    pub revision: u64,
    pub head: Hash,
    pub state: CommunityState,
}

impl Verifier {
    pub fn new(stream: impl Into<String>) -> Self {
        Self {
            stream: stream.into(),
            chain: ChainVerifier::default(),
            state: None,
            events: 0,
            first_break: None,
            last_recorded_at: None,
            snapshot: None,
            snapshot_check: None,
        }
    }

    /// Compares `snapshot` with what the stream folds to through its
    /// revision, once the verification gets there: a snapshot that is not
    /// its log's would be served as is, its head being right.
    pub fn expect_snapshot(&mut self, snapshot: StoredState) {
        self.snapshot = Some(snapshot);
    }

    /// Compares the snapshot expected at the revision just folded, if any.
    fn compare_snapshot(&mut self) {
        let folded = self.chain.count().checked_sub(1);
        let Some(snapshot) = self
            .snapshot
            .take_if(|snapshot| Some(snapshot.revision) == folded)
        else {
            return;
        };
        let revision = snapshot.revision;
        let (holds, detail) = if snapshot.head != self.chain.head() {
            // Not the log's snapshot: a service discards it at its start.
            (
                true,
                format!(
                    "the snapshot at revision {revision} names another chain head than the \
                     log's: not used, a service rebuilds it from the log"
                ),
            )
        } else if Some(&snapshot.state) == self.state.as_ref() {
            (
                true,
                format!("the snapshot at revision {revision} holds what the log folds to"),
            )
        } else {
            (
                false,
                format!(
                    "the snapshot at revision {revision} (kept beside the log, not part of it) \
                     differs from what the log folds to, though its chain head is right: a \
                     service would serve it; delete it to have the log's state served"
                ),
            )
        };
        self.snapshot_check = Some(Check {
            rule: SNAPSHOT_EQUALS_LOG,
            holds,
            detail,
        });
    }

    /// Records a record that could not even be read.
    pub fn push_unreadable(&mut self, revision: u64, event_id: Option<EventId>, reason: String) {
        self.events += 1;
        if self.first_break.is_none() {
            self.first_break = Some(Break {
                revision,
                event_id,
                reason,
            });
        }
    }

    /// Verifies the next record (expected at revision `revision`) and folds it.
    pub fn push(&mut self, revision: u64, record: &EventRecord) {
        self.events += 1;
        if self.first_break.is_some() {
            return;
        }
        let broken = |reason: String| Break {
            revision,
            event_id: Some(record.event_id),
            reason,
        };
        if revision != self.chain.count() {
            self.first_break = Some(broken(format!(
                "revision {revision} where {} was expected",
                self.chain.count()
            )));
            return;
        }
        if let Err(error) = self.chain.push(record) {
            self.first_break = Some(broken(error.to_string()));
            return;
        }
        match record.decode() {
            Ok((event, metadata)) => {
                CommunityState::evolve(
                    &mut self.state,
                    &event,
                    record.event_id,
                    metadata.recorded_at,
                );
                self.last_recorded_at = Some(metadata.recorded_at);
                self.compare_snapshot();
            }
            Err(error) => self.first_break = Some(broken(error.to_string())),
        }
    }

    /// Verifies the next stored event and folds it: straight from its bytes
    /// when they hash as they lie, else read the slow way, which names what
    /// is wrong.
    pub fn push_stored(&mut self, stored: &StoredEvent) {
        self.push_prechecked(stored, Prechecked::of(stored));
    }

    /// [`push_stored`](Self::push_stored), with the event's precheck done
    /// already.
    pub fn push_prechecked(&mut self, stored: &StoredEvent, prechecked: Prechecked) {
        let event_id = EventId(stored.event_id);
        self.events += 1;
        if self.first_break.is_some() {
            return;
        }
        let broken = |reason: String| Break {
            revision: stored.revision,
            event_id: Some(event_id),
            reason,
        };
        if stored.revision != self.chain.count() {
            self.first_break = Some(broken(format!(
                "revision {} where {} was expected",
                stored.revision,
                self.chain.count()
            )));
            return;
        }
        match check_prechecked(stored, prechecked, &self.chain.head(), false) {
            Ok(checked) => {
                self.chain.accept(checked.hash);
                CommunityState::evolve(
                    &mut self.state,
                    &checked.event,
                    event_id,
                    checked.recorded_at,
                );
                self.last_recorded_at = Some(checked.recorded_at);
                self.compare_snapshot();
            }
            Err(reason) => self.first_break = Some(broken(reason)),
        }
    }

    /// The hash of the last event verified: the chain's head so far.
    pub fn head(&self) -> Hash {
        self.chain.head()
    }

    /// How many events were read so far.
    pub fn events_read(&self) -> u64 {
        self.events
    }

    /// The first break found so far, if any.
    pub fn first_break(&self) -> Option<&Break> {
        self.first_break.as_ref()
    }

    /// The state folded so far (up to the first break).
    pub fn state(&self) -> Option<&CommunityState> {
        self.state.as_ref()
    }

    /// When the last event folded was recorded.
    pub fn last_recorded_at(&self) -> Option<Timestamp> {
        self.last_recorded_at
    }

    /// The verdict on what was read so far; more events may follow.
    pub fn verification(&self) -> Verification {
        let mut checks: Vec<Check> = self.state.as_ref().map(invariants).unwrap_or_default();
        checks.extend(self.snapshot_check.clone());
        Verification {
            stream: self.stream.clone(),
            events: self.events,
            verified: self.chain.count(),
            head: self.chain.head(),
            first_break: self.first_break.clone(),
            checks,
        }
    }

    /// The verdict once the whole stream was read: a snapshot past the
    /// last event verified (and no break to say why) is one the log does
    /// not reach any more.
    pub fn finish(mut self) -> Verification {
        if self.first_break.is_none()
            && let Some(snapshot) = self.snapshot.take()
        {
            self.snapshot_check = Some(Check {
                rule: SNAPSHOT_EQUALS_LOG,
                holds: false,
                detail: format!(
                    "the snapshot is at revision {}, past the log's last event: events were \
                     lost, or the snapshot was made from another log",
                    snapshot.revision
                ),
            });
        }
        self.verification()
    }
}

/// The invariants every community's figures satisfy.
pub fn invariants(state: &CommunityState) -> Vec<Check> {
    let market = &state.market;
    let sum = market.sum_of_balances();
    let register = &state.register;
    let computed_capital = register.computed_capital();
    let funds = &state.funds;
    let overspent: Vec<String> = funds
        .allocations
        .values()
        .filter(|allocation| allocation.spent > allocation.allocated.amount)
        .map(|allocation| allocation.allocated.allocation_id.to_string())
        .collect();
    let misadded: Vec<String> = funds
        .budgets
        .iter()
        .filter(|(_, budget)| {
            let lines = budget
                .lines
                .iter()
                .try_fold(agora_events::Euros::ZERO, |sum, line| {
                    sum.checked_add(line.forecast)
                });
            lines != Some(budget.total)
        })
        .map(|(scope, _)| match scope {
            agora_events::BudgetScope::Community => "the community's".to_owned(),
            agora_events::BudgetScope::Project { project_id } => format!("project {project_id}'s"),
        })
        .collect();
    vec![
        Check {
            rule: "time-credits-zero-sum",
            holds: sum.is_zero(),
            detail: format!("the sum of all balances is {sum:.2} h"),
        },
        Check {
            rule: "recorded-balances-follow-movements",
            holds: market.inconsistencies.is_empty(),
            detail: market.inconsistencies.first().cloned().unwrap_or_else(|| {
                format!(
                    "{} accounts, every movement consistent",
                    market.balances().len()
                )
            }),
        },
        Check {
            rule: "capital-equals-paid-shares",
            holds: register.capital.value() == computed_capital,
            detail: format!(
                "recorded capital {} €, paid shares held × nominal {computed_capital:.2} €",
                register.capital
            ),
        },
        Check {
            rule: "allocations-within-receipts",
            holds: funds.allocated <= funds.received,
            detail: format!(
                "{} € allocated of {} € received",
                funds.allocated, funds.received
            ),
        },
        Check {
            rule: "expenses-within-allocations",
            holds: overspent.is_empty(),
            detail: if overspent.is_empty() {
                format!("{} € spent, within every allocation", funds.spent)
            } else {
                format!("overspent allocations: {}", overspent.join(", "))
            },
        },
        Check {
            rule: "budget-totals-add-up",
            holds: misadded.is_empty(),
            detail: if misadded.is_empty() {
                format!(
                    "{} budgets, each total the sum of its lines",
                    funds.budgets.len()
                )
            } else {
                format!(
                    "budgets whose total is not the sum of their lines: {}",
                    misadded.join(", ")
                )
            },
        },
    ]
}

/// Whether two states agree, for "replay equals live".
pub fn same_state(live: &CommunityState, replayed: &CommunityState) -> Check {
    let holds = live == replayed;
    Check {
        rule: "replay-equals-live",
        holds,
        detail: if holds {
            "replaying the log gives exactly the live projections".into()
        } else {
            "the projections replayed from the log differ from the live ones".into()
        },
    }
}

#[cfg(test)]
mod tests {
    use agora_events::{BudgetLine, BudgetScope, BudgetSet, CommunityCreated, Event, EventId};
    use agora_projections::CommunityState;

    use super::invariants;

    fn with_budget(total: &str) -> CommunityState {
        let at = "2026-11-30T10:00:00Z".parse().unwrap();
        let mut state = None;
        let created: Event = CommunityCreated {
            slug: "demo".parse().unwrap(),
            statutes: crate::demo::statutes(),
        }
        .into();
        CommunityState::evolve(&mut state, &created, EventId(uuid::Uuid::from_u128(1)), at);
        let line = |code: &str, forecast: &str| BudgetLine {
            code: code.into(),
            label: code.into(),
            forecast: forecast.parse().unwrap(),
        };
        let set: Event = BudgetSet {
            scope: BudgetScope::Community,
            lines: vec![line("web", "100.00"), line("films", "50.50")],
            total: total.parse().unwrap(),
            reason: "AG".into(),
        }
        .into();
        CommunityState::evolve(&mut state, &set, EventId(uuid::Uuid::from_u128(2)), at);
        state.unwrap()
    }

    fn budget_check(state: &CommunityState) -> bool {
        invariants(state)
            .into_iter()
            .find(|check| check.rule == "budget-totals-add-up")
            .unwrap()
            .holds
    }

    #[test]
    fn a_budget_whose_total_is_not_its_lines_sum_is_named() {
        assert!(budget_check(&with_budget("150.50")));
        assert!(!budget_check(&with_budget("150.00")));
    }
}
