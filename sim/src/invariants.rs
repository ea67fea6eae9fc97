//! The rules every step must leave true, each with the name a failure
//! reports.

use std::collections::{BTreeMap, BTreeSet};

use agora::audit::export::line_of;
use agora::audit::verify::{Verifier, invariants, same_state};
use agora::domain::tally::tally;
use agora::ledger::{DurableView, Ledger, LedgerError, index};
use agora::store::{KeyStore, MemoryStore, Pages, READ_EVENTS_MAX, StoredEvent};
use agora_events::{CommunitySlug, Event};
use agora_projections::{ApplicationStatus, CommunityState};
use uuid::Uuid;

/// A rule found broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
}

pub type Checked = Result<(), Violation>;

pub fn violation(invariant: &'static str, detail: impl Into<String>) -> Violation {
    Violation {
        invariant,
        detail: detail.into(),
    }
}

fn ensure(holds: bool, invariant: &'static str, detail: impl FnOnce() -> String) -> Checked {
    if holds {
        Ok(())
    } else {
        Err(violation(invariant, detail()))
    }
}

/// A command the run sent, by who sent it and its idempotency key.
pub type CommandKey = (String, String);

/// What the run was told about the commands it sent.
#[derive(Debug, Default)]
pub struct Answers {
    /// Acknowledged: the events the first answer named.
    pub acknowledged: BTreeMap<CommandKey, Vec<Uuid>>,
    /// Refused by a rule, or carried out with nothing to record (roles set
    /// to what they were), and never acknowledged with events since: the
    /// log has nothing of them, and a retry is decided again.
    pub left_nothing: BTreeSet<CommandKey>,
}

/// Events of `stream` from revision `from` on, read straight from the
/// store (no faults).
pub async fn read_stream(store: &MemoryStore, stream: &str, from: u64) -> Vec<StoredEvent> {
    let mut events = Vec::new();
    let mut pages = Pages::of_stream(store, stream, from);
    loop {
        let page = pages.next_page().await.expect("the memory store reads");
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

/// Follows one community's log as the run goes, so that each step checks
/// only what is new: the chain and the figures up to the published view,
/// and which command recorded each event.
pub struct Follower {
    stream: String,
    /// Verifies and folds the log up to the published view.
    verifier: Verifier,
    /// Every event read so far, by the command that recorded it.
    recorded: BTreeMap<CommandKey, Vec<Uuid>>,
    /// Events read so far, to the log's end.
    read: Vec<StoredEvent>,
    /// The revisions each index key files, from a scan of the log.
    filed: BTreeMap<String, Vec<u64>>,
    /// The whole log folded keeping everything that is over, as an
    /// auditor folds it (the ledger's own state keeps only what decides).
    history: Option<CommunityState>,
}

impl Follower {
    pub fn new(community: &CommunitySlug) -> Self {
        let stream = community.stream();
        Self {
            verifier: Verifier::new(stream.clone()),
            stream,
            recorded: BTreeMap::new(),
            read: Vec::new(),
            filed: BTreeMap::new(),
            history: None,
        }
    }

    /// The log read so far, folded keeping everything that is over.
    pub fn history(&self) -> Option<&CommunityState> {
        self.history.as_ref()
    }

    /// Reads what the log gained since the last step.
    pub async fn read_new(&mut self, store: &MemoryStore, community: &CommunitySlug) -> Checked {
        let new = read_stream(store, &self.stream, self.read.len() as u64).await;
        for stored in &new {
            let record = line_of(stored)
                .map_err(|error| violation("chain-verifies", error))?
                .record();
            let (event, metadata) = record
                .decode()
                .map_err(|error| violation("chain-verifies", error.to_string()))?;
            if let Event::VoteCast(vote) = &event {
                ensure(
                    vote.choice.is_none() && vote.sealed_choice.is_some(),
                    "votes-sealed-while-open",
                    || {
                        format!(
                            "vote {} of ballot {} is in clear",
                            stored.event_id, vote.ballot_id
                        )
                    },
                )?;
            }
            for key in index::keys(&record.data, &event, &metadata) {
                self.filed.entry(key).or_default().push(stored.revision);
            }
            ensure(
                metadata.community == *community,
                "events-in-their-community",
                || format!("event {} names {}", stored.event_id, metadata.community),
            )?;
            let at = metadata.recorded_at;
            match (&mut self.history, &event) {
                (None, Event::CommunityCreated(created)) => {
                    let founded =
                        CommunityState::founded(created.slug.clone(), created.statutes.clone(), at);
                    self.history = Some(founded.keeping_history());
                }
                (Some(history), _) => history.apply_event(&event, record.event_id, at),
                (None, _) => {}
            }
            self.recorded
                .entry((metadata.actor.id, metadata.command_id))
                .or_default()
                .push(stored.event_id);
        }
        self.read.extend(new);
        Ok(())
    }

    pub fn events(&self) -> usize {
        self.read.len()
    }

    /// The published view is durable and never goes back; replaying the
    /// log up to it gives exactly its state; the chain verifies and the
    /// figures add up.
    pub fn replay_equals_live(&mut self, view: &DurableView) -> Checked {
        let verified = self.verifier.events_read();
        ensure(view.revision + 1 >= verified, "views-never-go-back", || {
            format!(
                "the view shows revision {} after {verified} events were seen",
                view.revision
            )
        })?;
        ensure(
            (view.revision as usize) < self.read.len(),
            "published-view-is-durable",
            || {
                format!(
                    "the view shows revision {} but the log has {} events",
                    view.revision,
                    self.read.len()
                )
            },
        )?;
        for stored in &self.read[verified as usize..=view.revision as usize] {
            self.verifier.push_stored(stored);
            redemption_above_floor(stored, self.verifier.state())?;
        }
        if let Some(broken) = self.verifier.first_break() {
            return Err(violation(
                "chain-verifies",
                format!("revision {}: {}", broken.revision, broken.reason),
            ));
        }
        let replayed = self
            .verifier
            .state()
            .ok_or_else(|| violation("replay-equals-live", "the log founds no community"))?;
        let check = same_state(&view.state, replayed);
        ensure(check.holds, "replay-equals-live", || {
            format!("at revision {}: {}", view.revision, check.detail)
        })?;
        for check in invariants(replayed) {
            ensure(check.holds, check.rule, || check.detail.clone())?;
        }
        Ok(())
    }

    /// The history the ledger serves for `entity` (from the store's index
    /// and the recent entries) is the one a scan of the log gives, up to
    /// the view. A read the store fails is no answer, and no violation.
    pub async fn history_matches_the_log(
        &self,
        ledger: &Ledger,
        community: &CommunitySlug,
        view: &DurableView,
        entity: Uuid,
    ) -> Checked {
        let expected: Vec<u64> = self
            .filed
            .get(&index::entity_key(entity))
            .map(|revisions| {
                revisions
                    .iter()
                    .copied()
                    .filter(|&revision| revision <= view.revision)
                    .collect()
            })
            .unwrap_or_default();
        let limit = READ_EVENTS_MAX;
        let (total, events) = match ledger
            .history(community, entity, view.revision, 0, limit)
            .await
        {
            Ok(page) => page,
            Err(LedgerError::Store(_)) => return Ok(()),
            Err(error) => return Err(violation("histories-match-the-log", error.to_string())),
        };
        let served: Vec<u64> = events.iter().map(|committed| committed.revision).collect();
        let shown = expected.len().min(limit);
        ensure(
            total == expected.len() as u64 && served == expected[..shown],
            "histories-match-the-log",
            || {
                format!(
                    "history of {entity} through revision {}: served {served:?} of {total}, the log files {expected:?}",
                    view.revision
                )
            },
        )
    }

    /// Every acknowledged command is in the log exactly once, with the
    /// events its answer named; no refused command left anything.
    pub fn answers_match_the_log(&self, answers: &Answers) -> Checked {
        let recorded = &self.recorded;
        for (key, events) in &answers.acknowledged {
            let in_log = recorded.get(key).map(Vec::as_slice).unwrap_or_default();
            ensure(
                in_log == events.as_slice(),
                "acknowledged-exactly-once",
                || format!("{key:?} was answered with events {events:?}; the log has {in_log:?}"),
            )?;
        }
        for key in &answers.left_nothing {
            ensure(
                !recorded.contains_key(key),
                "refused-leaves-nothing",
                || {
                    format!(
                        "{key:?} was answered with no event, yet the log has {:?}",
                        recorded[key]
                    )
                },
            )?;
        }
        Ok(())
    }
}

/// A redemption never brings capital below a quarter of the highest
/// capital reached (a correction of a mistyped payment may: it returns
/// nothing to anyone).
fn redemption_above_floor(stored: &StoredEvent, state: Option<&CommunityState>) -> Checked {
    let Ok(line) = line_of(stored) else {
        return Ok(());
    };
    let Ok((Event::SharesRedeemed(redeemed), _)) = line.record().decode() else {
        return Ok(());
    };
    let highest = state.map_or(rust_decimal::Decimal::ZERO, |state| {
        state.register.highest_capital.value()
    });
    ensure(
        redeemed.capital_after.value() * rust_decimal::Decimal::from(4) >= highest,
        "capital-above-floor",
        || {
            format!(
                "redemption {} left capital at {} €, below a quarter of the highest, {highest} €",
                redeemed.redemption_id, redeemed.capital_after
            )
        },
    )
}

/// Every account's balance within the statutes' limits for its kind.
pub fn limits_hold(state: &CommunityState) -> Checked {
    let statutes = &state.statutes;
    for (&account, balance) in state.market.balances() {
        let floor = statutes.floor_of(account);
        let ceiling = statutes.ceiling_of(account);
        ensure(
            floor.is_none_or(|floor| *balance >= floor)
                && ceiling.is_none_or(|ceiling| *balance <= ceiling),
            "balances-within-limits",
            || format!("{account} holds {balance} h, outside [{floor:?}, {ceiling:?}]"),
        )?;
    }
    Ok(())
}

/// Every closed ballot's recorded result is what its votes tally to, in a
/// fold of the log that keeps closed ballots' votes.
pub fn tallies_recompute(state: &CommunityState) -> Checked {
    for ballot in state.ballots.by_id.values() {
        let Some((_, closed)) = &ballot.closed else {
            continue;
        };
        let recomputed = tally(ballot);
        ensure(
            recomputed.votes_counted == closed.votes_counted
                && recomputed.results == closed.results
                && recomputed.winner == closed.winner,
            "tallies-recompute",
            || {
                format!(
                    "ballot {}: recorded {:?}, recomputed {:?}",
                    closed.ballot_id, closed.results, recomputed.results
                )
            },
        )?;
    }
    Ok(())
}

/// No forgotten pioneer's key is left in the ledger's memory, nor, when
/// `store_too`, in the store; nor the key of an application declined or
/// withdrawn (from `history`, which keeps decided applications) once the
/// ledger has folded the decision (its state no longer holds it pending).
pub async fn forgotten_unreadable(
    state: &CommunityState,
    history: Option<&CommunityState>,
    ledger: &Ledger,
    store: &MemoryStore,
    store_too: bool,
) -> Checked {
    let kept: BTreeSet<Uuid> = if store_too {
        store
            .load_keys()
            .await
            .expect("the memory store reads")
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    } else {
        BTreeSet::new()
    };
    for pioneer in state.pioneers.values().filter(|pioneer| pioneer.forgotten) {
        ensure(
            ledger.keys().open(pioneer.id, &pioneer.personal).is_none(),
            "forgotten-data-unreadable",
            || format!("pioneer {} was forgotten, yet their data opens", pioneer.id),
        )?;
        ensure(
            !kept.contains(&pioneer.id.0),
            "forgotten-key-destroyed",
            || {
                format!(
                    "pioneer {} was forgotten, yet the store keeps their key",
                    pioneer.id
                )
            },
        )?;
    }
    let decided = history
        .into_iter()
        .flat_map(|history| history.applications.by_applicant.values())
        .filter(|application| {
            matches!(
                application.status,
                ApplicationStatus::Declined { .. } | ApplicationStatus::Withdrawn { .. }
            ) && state.applications.pending(application.applicant).is_none()
        });
    for application in decided {
        let applicant = application.applicant;
        ensure(
            ledger
                .keys()
                .open(applicant, &application.personal)
                .is_none(),
            "decided-application-unreadable",
            || format!("application {applicant} was declined or withdrawn, yet its data opens"),
        )?;
        ensure(
            !kept.contains(&applicant.0),
            "decided-application-key-destroyed",
            || {
                format!(
                    "application {applicant} was declined or withdrawn, yet the store keeps its key"
                )
            },
        )?;
    }
    Ok(())
}
