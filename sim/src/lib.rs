//! Deterministic simulation of the ledger under seeded faults.
//!
//! One seed drives a whole run: the workload (every command kind, from many
//! simulated members and operators, with retries and hostile commands), the
//! clock, the ids the ledger mints, and the faults a store adapter injects
//! behind the real port (appends that fail, appends whose answer is lost,
//! slow appends, failed reads and filings, crashes, a crash in the middle
//! of a snapshot write). The real ledger runs on one thread: the same seed
//! gives the same run, event for event. After every step the run checks
//! the invariants in [`invariants`], and stops at the first broken one,
//! naming it.

pub mod clock;
pub mod invariants;
pub mod rng;
pub mod store;
pub mod workload;

use std::collections::BTreeMap;
use std::sync::Arc;

use agora::domain::Command;
use agora::ledger::{Cadence, CommandOutcome, CommandRequest, Ledger, LedgerError, PersonalKey};
use agora::store::EventStore;
use agora_events::{Actor, CommunitySlug, CorrelationId, Hash, PioneerId};
use agora_projections::Market;
use chrono::Duration;
use uuid::Uuid;

use crate::clock::SimClock;
use crate::invariants::{Answers, CommandKey, Follower, Violation, violation};
use crate::rng::Rng;
use crate::store::{Fault, FaultRates, Faults, FaultyStore};

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Steps to run (a step is a handful of commands, a retry, the clock
    /// moving, a crash…).
    pub steps: usize,
    /// The fault rates; drawn from the seed when `None`.
    pub rates: Option<FaultRates>,
    /// A bug planted on purpose, to show that the checks catch it.
    pub plant: Option<Plant>,
    /// Service instances on the one store: with more than one, the store
    /// says it is shared, commands go to any instance, and every instance
    /// must serve what the log holds.
    pub instances: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            steps: 200,
            rates: None,
            plant: None,
            instances: 1,
        }
    }
}

/// Bugs the simulator can plant in the store it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plant {
    /// Now and then an append answers that it is durable but writes
    /// nothing: a store that lies about its commits.
    LyingAppend,
}

/// What a run did, and the broken invariant that stopped it, if any.
#[derive(Debug, Clone)]
pub struct Report {
    pub seed: u64,
    pub steps: usize,
    /// Commands answered: recorded, replayed (retries), refused by a rule,
    /// failed (store errors and crashes; retried later).
    pub recorded: u64,
    pub replayed: u64,
    pub refused: u64,
    pub failed: u64,
    pub restarts: u64,
    pub injected: BTreeMap<Fault, u64>,
    /// Each community's stream, its events and its chain head.
    pub heads: Vec<(String, u64, Hash)>,
    /// Every step, every fault, every answer: what a replay shows.
    pub journal: Vec<String>,
    /// The step where an invariant broke, and which.
    pub failure: Option<(usize, Violation)>,
}

impl Report {
    pub fn events(&self) -> u64 {
        self.heads.iter().map(|(_, events, _)| events).sum()
    }

    pub fn faults(&self) -> u64 {
        self.injected.values().sum()
    }
}

/// Runs one seed to the end, or to the first broken invariant.
pub fn run(seed: u64, options: &Options) -> Report {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a single-threaded runtime starts");
    runtime.block_on(async {
        let mut simulation = Simulation::start(seed, options).await;
        simulation.run(options.steps).await;
        simulation.finish().await
    })
}

/// A command as sent, kept to send again.
#[derive(Clone)]
struct Sent {
    community: CommunitySlug,
    command: Command,
    actor: Actor,
    key: Option<String>,
    digest: Hash,
    new_key: Option<(PioneerId, PersonalKey)>,
}

impl Sent {
    fn request(&self, correlation: Uuid) -> CommandRequest {
        CommandRequest {
            community: self.community.clone(),
            command: self.command.clone(),
            actor: self.actor.clone(),
            idempotency_key: self.key.clone(),
            command_digest: self.digest,
            correlation_id: CorrelationId(correlation),
            new_key: self.new_key.clone(),
        }
    }

    fn command_key(&self) -> Option<CommandKey> {
        Some((self.actor.id.clone(), self.key.clone()?))
    }

    fn describe(&self) -> String {
        let command = format!("{:?}", self.command);
        let name = command.split('(').next().unwrap_or_default();
        format!(
            "{} {name} by {} [{}]",
            self.community,
            self.actor.id,
            self.key.as_deref().unwrap_or("no key")
        )
    }
}

struct Simulation {
    rng: Rng,
    /// Chooses what the checks sample, apart from the workload's draws.
    checks: Rng,
    clock: Arc<SimClock>,
    cadence: Cadence,
    faults: Arc<Faults>,
    store: Arc<FaultyStore>,
    ledger: Arc<Ledger>,
    /// The other instances on the same store, if the run has several.
    others: Vec<(Arc<FaultyStore>, Arc<Ledger>)>,
    communities: Vec<CommunitySlug>,
    /// What each community's commands were answered, by key.
    answers: BTreeMap<CommunitySlug, Answers>,
    /// Each community's log, followed step by step.
    followers: BTreeMap<CommunitySlug, Follower>,
    /// The digest each acknowledged key was sent with.
    digests: BTreeMap<CommandKey, Hash>,
    /// Commands whose answer was a failure: they may or may not be recorded.
    unsure: Vec<Sent>,
    /// Commands acknowledged, to retry.
    acknowledged: Vec<Sent>,
    keys_minted: u64,
    step: usize,
    report: Report,
}

/// Attempts at starting the service again before the run gives up.
const RESTART_ATTEMPTS_MAX: usize = 100;
/// Acknowledged commands kept for retries.
const RETRIES_KEPT: usize = 64;
/// How many times a check lets the other instances' tasks run while it
/// waits for them to catch up with the log.
const CONVERGENCE_YIELDS_MAX: usize = 100_000;

impl Simulation {
    async fn start(seed: u64, options: &Options) -> Self {
        let mut rng = Rng::derive(seed, "workload");
        let rates = options
            .rates
            .unwrap_or_else(|| FaultRates::drawn(&mut Rng::derive(seed, "rates")));
        let faults = Faults::new(seed, rates, options.plant);
        if options.instances > 1 {
            faults.share();
        }
        let clock = Arc::new(SimClock::new(seed));
        // Snapshots and filings every few events, so that short runs cross
        // them often: between two events of one command, across a retry.
        let mut cadence_rng = Rng::derive(seed, "cadence");
        let cadence = Cadence {
            snapshot_events: cadence_rng.between(1, 40) as u64,
            filing_events: cadence_rng.between(1, 40) as u64,
            filing_chunk_events: cadence_rng.between(1, 16) as u64,
            // Checked at each start only: a pass on a timer would depend on
            // the wall clock, not on the seed.
            reverify_every: None,
            catch_up_retry_after: None,
        };
        let communities = (0..rng.between(1, 2))
            .map(|n| format!("communaute-{n}").parse().expect("a valid slug"))
            .collect();
        let store = faults.handle();
        let mut report = Report {
            seed,
            steps: 0,
            recorded: 0,
            replayed: 0,
            refused: 0,
            failed: 0,
            restarts: 0,
            injected: BTreeMap::new(),
            heads: Vec::new(),
            journal: vec![format!("seed {seed}: fault rates {rates:?}, {cadence:?}")],
            failure: None,
        };
        let (store, ledger) = match open(&faults, store, &clock, cadence, &mut report.journal).await
        {
            Ok(opened) => opened,
            Err(detail) => panic!("an empty store must open: {detail}"),
        };
        let mut others = Vec::new();
        for _ in 1..options.instances {
            let handle = faults.handle();
            match open(&faults, handle, &clock, cadence, &mut report.journal).await {
                Ok(opened) => others.push(opened),
                Err(detail) => panic!("an empty store must open: {detail}"),
            }
        }
        Self {
            rng,
            checks: Rng::derive(seed, "checks"),
            clock,
            cadence,
            faults,
            store,
            ledger,
            others,
            communities,
            answers: BTreeMap::new(),
            followers: BTreeMap::new(),
            digests: BTreeMap::new(),
            unsure: Vec::new(),
            acknowledged: Vec::new(),
            keys_minted: 0,
            step: 0,
            report,
        }
    }

    async fn run(&mut self, steps: usize) {
        while self.step < steps {
            self.step += 1;
            self.report.steps = self.step;
            let outcome = self.take_step().await;
            self.journal_faults();
            let outcome = match outcome {
                Ok(()) if self.faults.take_crash() => {
                    self.note("  the process died in the middle of a snapshot; restarting");
                    self.restart(false).await
                }
                other => other,
            };
            let outcome = match outcome {
                Ok(()) => self.check(false).await,
                failure => failure,
            };
            if let Err(broken) = outcome {
                self.note(format!("BROKEN: {}: {}", broken.invariant, broken.detail));
                self.report.failure = Some((self.step, broken));
                return;
            }
        }
    }

    async fn finish(mut self) -> Report {
        if self.report.failure.is_none() {
            // The faults stop; every command whose answer was a failure is
            // retried until it is answered; then a last clean stop and
            // start: what was acknowledged survives it.
            self.faults.set_rates(FaultRates::NONE);
            let outcome = match self.resolve_the_unsure().await {
                Ok(()) => self.restart(true).await,
                failure => failure,
            };
            let outcome = match outcome {
                Ok(()) => self.check(true).await,
                failure => failure,
            };
            if let Err(broken) = outcome {
                self.note(format!(
                    "BROKEN after the last restart: {}: {}",
                    broken.invariant, broken.detail
                ));
                self.report.failure = Some((self.step, broken));
            }
        }
        self.ledger.shutdown().await;
        for (_, other) in &self.others {
            other.shutdown().await;
        }
        for community in &self.communities {
            let stream = community.stream();
            let log = invariants::read_stream(&self.faults.store, &stream, 0).await;
            let mut verifier = agora::audit::verify::Verifier::new(stream.clone());
            for stored in &log {
                verifier.push_stored(stored);
            }
            let verification = verifier.finish();
            self.report
                .heads
                .push((stream, verification.events, verification.head));
        }
        self.report.injected = self.faults.injected();
        self.report
    }

    async fn resolve_the_unsure(&mut self) -> Result<(), Violation> {
        self.note(format!(
            "end: faults stop; {} command(s) to retry",
            self.unsure.len()
        ));
        for sent in std::mem::take(&mut self.unsure) {
            self.send(vec![sent], false).await?;
        }
        if let Some(sent) = self.unsure.first() {
            return Err(violation(
                "failures-resolve-on-retry",
                format!("{} still fails with the faults stopped", sent.describe()),
            ));
        }
        self.check(false).await
    }

    fn note(&mut self, line: impl Into<String>) {
        self.report.journal.push(line.into());
    }

    fn journal_faults(&mut self) {
        let lines = self.faults.take_journal();
        self.report.journal.extend(lines);
    }

    async fn take_step(&mut self) -> Result<(), Violation> {
        let retries = if self.unsure.is_empty() { 4 } else { 25 };
        match self.rng.weighted(&[70, retries, 2, 8, 4, 2, 2]) {
            0 => self.send_commands().await,
            1 => self.retry().await,
            2 => self.reuse_a_key().await,
            3 => {
                self.move_clock();
                Ok(())
            }
            4 => {
                let closed = self.any_instance().close_due_ballots().await;
                self.note(format!("step {}: due ballots closed: {closed}", self.step));
                Ok(())
            }
            5 => {
                let lose_snapshots = self.rng.chance(300);
                self.note(format!(
                    "step {}: crash{}",
                    self.step,
                    if lose_snapshots {
                        ", the snapshots lost: start from the first event"
                    } else {
                        ""
                    }
                ));
                if lose_snapshots {
                    self.store.kill();
                    self.lose_snapshots().await;
                }
                self.restart(false).await
            }
            _ => {
                self.note(format!("step {}: clean restart", self.step));
                self.restart(true).await
            }
        }
    }

    /// Every community's snapshot replaced by bytes that decode to
    /// nothing, as if the snapshots were lost: the next start-up replays
    /// from the first event.
    async fn lose_snapshots(&mut self) {
        for community in &self.communities {
            let stream = community.stream();
            let store = &self.faults.store;
            if let Ok(Some((revision, _))) = store.load_snapshot(&stream).await {
                store
                    .save_snapshot(&stream, revision, Vec::new())
                    .await
                    .expect("the memory store writes");
            }
        }
    }

    fn move_clock(&mut self) {
        let by = match self.rng.weighted(&[2, 4, 4, 2, 1]) {
            0 => Duration::zero(),
            1 => Duration::minutes(self.rng.between(1, 59)),
            2 => Duration::hours(self.rng.between(1, 30)),
            3 => Duration::days(self.rng.between(1, 5)),
            _ => Duration::minutes(-self.rng.between(1, 10)),
        };
        self.clock.advance(by);
        self.note(format!("step {}: the clock moves by {by}", self.step));
    }

    /// A few commands sent at once, so that they share batches; now and
    /// then the process dies while they are in flight.
    async fn send_commands(&mut self) -> Result<(), Violation> {
        let count = 1 + self.rng.weighted(&[10, 4, 2, 1, 1, 1, 1, 1]);
        let batch: Vec<Sent> = (0..count).map(|_| self.plan_command()).collect();
        let crash_in_flight = self.rng.chance(15);
        self.note(format!(
            "step {}: {count} command(s){}",
            self.step,
            if crash_in_flight {
                ", crash in flight"
            } else {
                ""
            }
        ));
        self.send(batch, crash_in_flight).await
    }

    async fn retry(&mut self) -> Result<(), Violation> {
        let sent = if !self.unsure.is_empty() && self.rng.chance(800) {
            self.unsure.remove(self.rng.below(self.unsure.len()))
        } else if let Some(sent) = self.rng.pick(&self.acknowledged) {
            sent.clone()
        } else {
            return Ok(());
        };
        self.note(format!("step {}: retry", self.step));
        self.send(vec![sent], false).await
    }

    /// An acknowledged key sent again with another command: refused, and
    /// nothing recorded.
    async fn reuse_a_key(&mut self) -> Result<(), Violation> {
        let Some(original) = self.rng.pick(&self.acknowledged).cloned() else {
            return Ok(());
        };
        let mut reused = self.plan_for(&original.community);
        reused.key = original.key.clone();
        reused.actor = original.actor.clone();
        if reused.digest == original.digest {
            return Ok(());
        }
        self.note(format!(
            "step {}: a key used again for another command",
            self.step
        ));
        self.send(vec![reused], false).await
    }

    fn plan_command(&mut self) -> Sent {
        let community = self
            .rng
            .pick(&self.communities)
            .expect("a run has communities")
            .clone();
        self.plan_for(&community)
    }

    fn plan_for(&mut self, community: &CommunitySlug) -> Sent {
        let view = self.ledger.view(community);
        let planned = match &view {
            None => workload::create(&mut self.rng, community),
            Some(view) if self.rng.chance(10) => workload::amend(&mut self.rng, &view.state),
            Some(view) => {
                // What the log held at the last check, brought up to date
                // with what the state holds now.
                let mut market = self
                    .followers
                    .get(community)
                    .and_then(Follower::history)
                    .map_or_else(Market::default, |history| history.market.clone());
                for exchange in view.state.market.exchanges.values() {
                    market.exchanges.insert(exchange.id, exchange.clone());
                }
                for listing in view.state.market.listings.values() {
                    market.listings.insert(listing.id, listing.clone());
                }
                let scene = workload::Scene {
                    slug: community,
                    state: &view.state,
                    market: &market,
                    keys: self.ledger.keys(),
                    now: agora::clock::Clock::now(&*self.clock),
                };
                workload::next(&mut self.rng, &scene)
            }
        };
        self.keys_minted += 1;
        let key = (!self.rng.chance(80)).then(|| format!("{community}/{}", self.keys_minted));
        let digest = Hash::of(format!("{:?}{:?}", planned.actor, planned.command).as_bytes());
        Sent {
            community: community.clone(),
            command: planned.command,
            actor: planned.actor,
            key,
            digest,
            new_key: planned.new_key,
        }
    }

    async fn send(&mut self, batch: Vec<Sent>, crash_in_flight: bool) -> Result<(), Violation> {
        let mut tasks = Vec::with_capacity(batch.len());
        for sent in &batch {
            let ledger = self.any_instance();
            let request = sent.request(agora::clock::Clock::new_id(&*self.clock));
            tasks.push(tokio::spawn(async move { ledger.execute(request).await }));
        }
        if crash_in_flight {
            for _ in 0..self.rng.below(6) {
                tokio::task::yield_now().await;
            }
            self.store.kill();
        }
        for (sent, task) in batch.into_iter().zip(tasks) {
            let answer = task.await.expect("the ledger does not panic");
            self.take_answer(sent, answer)?;
        }
        if crash_in_flight {
            self.restart(false).await?;
        }
        Ok(())
    }

    /// Checks an answer against the earlier answers to the same key, and
    /// remembers it.
    fn take_answer(
        &mut self,
        sent: Sent,
        answer: Result<CommandOutcome, LedgerError>,
    ) -> Result<(), Violation> {
        let described = sent.describe();
        let key = sent.command_key();
        let first = key
            .as_ref()
            .and_then(|key| {
                Some((
                    self.digests.get(key)?,
                    self.answers_of(&sent.community).acknowledged.get(key)?,
                ))
            })
            .map(|(digest, events)| (*digest == sent.digest, events.clone()));
        match answer {
            Ok(outcome) => {
                let events: Vec<Uuid> =
                    outcome.events.iter().map(|c| c.record.event_id.0).collect();
                self.note(format!(
                    "  {described} → {} {} event(s)",
                    if outcome.replayed {
                        "replayed"
                    } else {
                        "recorded"
                    },
                    events.len()
                ));
                match first {
                    Some((true, first)) => {
                        self.report.replayed += 1;
                        if !outcome.replayed || events != first {
                            return Err(violation(
                                "retry-returns-first-answer",
                                format!(
                                    "{described}: first {first:?}, then {events:?} (replayed: {})",
                                    outcome.replayed
                                ),
                            ));
                        }
                    }
                    Some((false, _)) => {
                        return Err(violation(
                            "key-reuse-refused",
                            format!(
                                "{described} was carried out under a key already used for another command"
                            ),
                        ));
                    }
                    None if events.is_empty() => {
                        // Nothing recorded, nothing remembered: like a
                        // refusal, a retry is decided again.
                        self.report.recorded += 1;
                        if let Some(key) = key {
                            self.answers
                                .entry(sent.community.clone())
                                .or_default()
                                .left_nothing
                                .insert(key);
                        }
                    }
                    None => {
                        if outcome.replayed {
                            self.report.replayed += 1;
                        } else {
                            self.report.recorded += 1;
                        }
                        let key =
                            key.unwrap_or((sent.actor.id.clone(), outcome.command_id.clone()));
                        self.digests.insert(key.clone(), sent.digest);
                        let answers = self.answers.entry(sent.community.clone()).or_default();
                        answers.left_nothing.remove(&key);
                        answers.acknowledged.insert(key, events);
                        if sent.key.is_some() {
                            self.acknowledged.push(sent);
                            if self.acknowledged.len() > RETRIES_KEPT {
                                self.acknowledged.remove(0);
                            }
                        }
                    }
                }
            }
            Err(LedgerError::Rejected(rejection)) => {
                self.note(format!("  {described} → refused: {rejection}"));
                self.report.refused += 1;
                if let Some((_, first)) = first {
                    return Err(violation(
                        "retry-returns-first-answer",
                        format!(
                            "{described} was acknowledged with {first:?}, then refused: {rejection}"
                        ),
                    ));
                }
                if let Some(key) = key {
                    self.answers
                        .entry(sent.community.clone())
                        .or_default()
                        .left_nothing
                        .insert(key);
                }
            }
            Err(LedgerError::IdempotencyKeyReused { .. }) => {
                self.note(format!("  {described} → refused: key already used"));
                self.report.refused += 1;
                if let Some((true, _)) = first {
                    return Err(violation(
                        "retry-returns-first-answer",
                        format!("{described}: a retry was taken for another command"),
                    ));
                }
            }
            Err(error @ (LedgerError::ReadOnly(_) | LedgerError::Corrupt(_))) => {
                return Err(violation(
                    "serves-an-intact-log",
                    format!("{described} → {error}"),
                ));
            }
            Err(error) => {
                self.note(format!("  {described} → failed: {error}"));
                self.report.failed += 1;
                if sent.key.is_some() && first.is_none() {
                    self.unsure.push(sent);
                }
            }
        }
        Ok(())
    }

    /// Stops the service (cleanly, or as a crash would) and starts it again
    /// on the same store.
    async fn restart(&mut self, clean: bool) -> Result<(), Violation> {
        if clean {
            self.ledger.shutdown().await;
        } else {
            self.store.kill();
        }
        self.report.restarts += 1;
        let (store, ledger) = open(
            &self.faults,
            self.faults.handle(),
            &self.clock,
            self.cadence,
            &mut self.report.journal,
        )
        .await
        .map_err(|detail| violation("restarts", detail))?;
        self.store = store;
        self.ledger = ledger;
        self.journal_faults();
        self.check(true).await
    }

    /// Every invariant, on every community; `restarted`: the service has
    /// just started, and must have cleaned up what a crash left.
    async fn check(&mut self, restarted: bool) -> Result<(), Violation> {
        let store = &self.faults.store;
        for community in &self.communities {
            let follower = self
                .followers
                .entry(community.clone())
                .or_insert_with(|| Follower::new(community));
            follower.read_new(store, community).await?;
            let answers = self.answers.get(community);
            follower.answers_match_the_log(answers.unwrap_or(&Answers::default()))?;
            if !self.others.is_empty() {
                // The others may have written what this instance has not
                // caught up with yet.
                caught_up(&self.ledger, community, follower.events() as u64, 1).await?;
            }
            let Some(view) = self.ledger.view(community) else {
                if restarted && follower.events() > 0 {
                    return Err(violation(
                        "restart-serves-the-log",
                        format!(
                            "{community} has {} events but is not served",
                            follower.events()
                        ),
                    ));
                }
                continue;
            };
            follower.replay_equals_live(&view)?;
            let known = follower.history().unwrap_or(&view.state).clone();
            for entity in entities(&mut self.checks, &known) {
                follower
                    .history_matches_the_log(&self.ledger, community, &view, entity)
                    .await?;
            }
            invariants::limits_hold(&view.state)?;
            if let Some(history) = follower.history() {
                invariants::tallies_recompute(history)?;
            }
            invariants::forgotten_unreadable(
                &view.state,
                follower.history(),
                &self.ledger,
                store,
                restarted,
            )
            .await?;
        }
        self.restart_dead_others().await?;
        for community in self.communities.clone() {
            let events = self
                .followers
                .get(&community)
                .map_or(0, invariants::Follower::events);
            self.check_others(&community, events).await?;
        }
        if self.ledger.is_read_only() {
            return Err(violation(
                "serves-an-intact-log",
                "the ledger turned read-only on a log that verifies",
            ));
        }
        Ok(())
    }

    /// The instance a command goes to: any of them, drawn from the seed
    /// (the only one, without drawing, in a run of one).
    fn any_instance(&mut self) -> Arc<Ledger> {
        if self.others.is_empty() {
            return Arc::clone(&self.ledger);
        }
        match self.rng.below(1 + self.others.len()) {
            0 => Arc::clone(&self.ledger),
            at => Arc::clone(&self.others[at - 1].1),
        }
    }

    /// Starts again every other instance that died (a crash in the middle
    /// of its snapshot).
    async fn restart_dead_others(&mut self) -> Result<(), Violation> {
        for at in 0..self.others.len() {
            if self.others[at].0.is_alive() {
                continue;
            }
            self.report.restarts += 1;
            self.note(format!("  instance {} died; restarting it", at + 2));
            let opened = open(
                &self.faults,
                self.faults.handle(),
                &self.clock,
                self.cadence,
                &mut self.report.journal,
            )
            .await
            .map_err(|detail| violation("restarts", detail))?;
            self.others[at] = opened;
        }
        Ok(())
    }

    /// Every other instance serves what the log holds, once it has caught
    /// up (each follows the log on its own); and what it serves keeps the
    /// same invariants.
    async fn check_others(
        &mut self,
        community: &CommunitySlug,
        events: usize,
    ) -> Result<(), Violation> {
        let store = &self.faults.store;
        let events = events as u64;
        for (at, (_, ledger)) in self.others.iter().enumerate() {
            let Some(view) = caught_up(ledger, community, events, at + 2).await? else {
                continue;
            };
            let follower = self
                .followers
                .get_mut(community)
                .expect("the first instance's check follows every community");
            follower.replay_equals_live(&view)?;
            invariants::limits_hold(&view.state)?;
            invariants::forgotten_unreadable(&view.state, follower.history(), ledger, store, false)
                .await?;
        }
        Ok(())
    }

    fn answers_of(&self, community: &CommunitySlug) -> &Answers {
        static NONE: std::sync::OnceLock<Answers> = std::sync::OnceLock::new();
        self.answers
            .get(community)
            .unwrap_or_else(|| NONE.get_or_init(Answers::default))
    }
}

/// Lets every task run until `ledger` (instance number `instance`) serves
/// the `events` events the log holds of `community`, and returns its view
/// then (`None` for a community with no events yet).
async fn caught_up(
    ledger: &Ledger,
    community: &CommunitySlug,
    events: u64,
    instance: usize,
) -> Result<Option<Arc<agora::ledger::DurableView>>, Violation> {
    for _ in 0..CONVERGENCE_YIELDS_MAX {
        let served = ledger.view(community);
        let served_events = served.as_ref().map_or(0, |view| view.revision + 1);
        if served_events == events {
            return Ok(served);
        }
        tokio::task::yield_now().await;
    }
    Err(violation(
        "instances-converge",
        format!(
            "instance {instance} serves {:?} of {community}'s {events} events",
            ledger.view(community).map(|view| view.revision + 1)
        ),
    ))
}

/// A few entities whose history to check: members, exchanges, projects,
/// ballots (from a fold that keeps what is over), and one nobody knows.
fn entities(rng: &mut Rng, state: &agora_projections::CommunityState) -> Vec<Uuid> {
    let pools: [Vec<Uuid>; 4] = [
        state.pioneers.keys().map(|id| id.0).collect(),
        state.market.exchanges.keys().map(|id| id.0).collect(),
        state.projects.by_id.keys().map(|id| id.0).collect(),
        state.ballots.by_id.keys().map(|id| id.0).collect(),
    ];
    let mut chosen: Vec<Uuid> = pools
        .iter()
        .filter_map(|pool| rng.pick(pool).copied())
        .collect();
    chosen.push(uuid::Builder::from_random_bytes(rng.bytes()).into_uuid());
    chosen
}

fn options(cadence: Cadence) -> agora::ledger::Options {
    agora::ledger::Options {
        cadence,
        ..agora::ledger::Options::default()
    }
}

/// Starts the service on a new handle, retrying while faults make it fail.
async fn open(
    faults: &Arc<Faults>,
    mut store: Arc<FaultyStore>,
    clock: &Arc<SimClock>,
    cadence: Cadence,
    journal: &mut Vec<String>,
) -> Result<(Arc<FaultyStore>, Arc<Ledger>), String> {
    for attempt in 1..=RESTART_ATTEMPTS_MAX {
        let opened =
            Ledger::open_with(Arc::clone(&store), Arc::clone(clock) as _, options(cadence)).await;
        match opened {
            Ok(ledger) => return Ok((store, ledger)),
            Err(error) => {
                journal.extend(faults.take_journal());
                journal.push(format!("  start-up attempt {attempt} failed: {error}"));
                store.kill();
                store = faults.handle();
            }
        }
    }
    Err(format!(
        "the service did not start in {RESTART_ATTEMPTS_MAX} attempts"
    ))
}
