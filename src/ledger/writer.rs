//! One community's writer: the only code that appends to its stream.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::RwLockWriteGuard;
use std::sync::atomic::{AtomicBool, Ordering};

use agora_events::{
    BallotId, CommunitySlug, Event, EventId, EventRecord, Hash, Metadata, PioneerId, Timestamp,
};
use agora_projections::{CommunityState, Market};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::history::{self, COMMUNITY_STREAM_PREFIX};
use super::index::{Recent, SharedRecent};
use super::plan::{Decision, Plan, RecordedCommand};
use super::snapshot::{SNAPSHOT_FORMAT, Snapshot};
use super::{
    BATCH_COMMANDS_MAX, CONFLICT_RETRIES_MAX, Cadence, CommandOutcome, CommandRequest, Committed,
    DurableView, Job, KeyRing, LedgerError, index,
};
use crate::clock::Clock;
use crate::domain::Command;
use crate::domain::sealing::BallotKey;
use crate::store::{APPEND_EVENTS_MAX, EventStore, ExpectedRevision, ProposedEvent, StoreError};

/// A community's durable state as its writer holds it.
#[derive(Debug, Clone)]
pub struct WriterState {
    pub state: Option<Arc<CommunityState>>,
    pub revision: Option<u64>,
    pub head: Hash,
    /// When the last event was recorded: instants never go backwards in a
    /// community's log, even if the system clock does.
    pub last_recorded_at: Option<Timestamp>,
    /// Index entries of the events the store has not filed yet; shared
    /// with readers.
    pub recent: SharedRecent,
    /// Whether this state may write to the store beside the log (index
    /// entries, snapshots): not when the service only inspects it.
    pub writes_beside_the_log: bool,
    /// How entries the store has not filed are filed while the log is
    /// loaded.
    pub backlog: index::Chunking,
    /// The revision of the snapshot the state was loaded from, if any.
    pub snapshot_revision: Option<u64>,
    /// Owners of personal-data keys that events folded since the writer
    /// last looked say are to be destroyed (a pioneer forgotten, an
    /// application declined or withdrawn), by this instance or another.
    pub keys_to_destroy: Vec<PioneerId>,
}

impl WriterState {
    pub fn empty() -> Self {
        Self::filed_through(None)
    }

    /// A community whose stream the store's index has filed through `mark`.
    pub fn filed_through(mark: Option<u64>) -> Self {
        Self {
            state: None,
            revision: None,
            head: Hash::GENESIS,
            last_recorded_at: None,
            recent: Arc::new(std::sync::RwLock::new(Recent::new(mark))),
            writes_beside_the_log: true,
            backlog: index::Chunking::BACKLOG,
            snapshot_revision: None,
            keys_to_destroy: Vec::new(),
        }
    }

    /// Takes the state a snapshot holds.
    pub fn restore(&mut self, snapshot: Snapshot) {
        self.state = Some(Arc::new(snapshot.state));
        self.revision = Some(snapshot.revision);
        self.head = snapshot.head;
        self.last_recorded_at = Some(snapshot.last_recorded_at);
        self.snapshot_revision = Some(snapshot.revision);
    }

    /// A snapshot of the state, if there is one.
    fn snapshot(&self) -> Option<Snapshot> {
        Some(Snapshot {
            format: SNAPSHOT_FORMAT,
            revision: self.revision?,
            head: self.head,
            last_recorded_at: self.last_recorded_at?,
            state: CommunityState::clone(self.state.as_ref()?),
        })
    }

    fn recent(&self) -> RwLockWriteGuard<'_, Recent> {
        self.recent.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the store's index holds the entries of the event at `revision`.
    pub fn has_filed(&self, revision: u64) -> bool {
        self.recent
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .has_filed(revision)
    }

    /// Keeps a committed event's index entries until the store files them.
    pub fn remember(
        &mut self,
        revision: u64,
        record: &EventRecord,
        event: &Event,
        metadata: &Metadata,
    ) {
        self.remember_keys(revision, index::keys(&record.data, event, metadata));
    }

    /// Keeps the index keys of the event at `revision`, unless the store's
    /// index has them.
    pub fn remember_keys(&mut self, revision: u64, keys: Vec<String>) {
        let mut recent = self.recent();
        if !recent.has_filed(revision) {
            recent.add(revision, keys);
        }
    }

    pub fn view(&self) -> Option<Arc<DurableView>> {
        Some(Arc::new(DurableView {
            state: Arc::clone(self.state.as_ref()?),
            revision: self.revision?,
            head: self.head,
        }))
    }

    /// Applies a committed event: state, revision, head.
    pub fn apply(
        &mut self,
        revision: u64,
        hash: Hash,
        event: &Event,
        event_id: EventId,
        recorded_at: Timestamp,
    ) {
        let mut state = self.state.take().map(Arc::unwrap_or_clone);
        evolve(&mut state, event, event_id, recorded_at);
        self.state = state.map(Arc::new);
        self.keys_to_destroy.extend(key_destroyed_by(event));
        self.revision = Some(revision);
        self.head = hash;
        self.last_recorded_at = Some(recorded_at);
    }
}

/// Folds one event into a community's state (creating it on `CommunityCreated`).
pub(super) fn evolve(
    state: &mut Option<CommunityState>,
    event: &Event,
    event_id: EventId,
    at: Timestamp,
) {
    CommunityState::evolve(state, event, event_id, at);
}

pub struct Writer {
    /// The index entries being filed, if any.
    filing: Option<JoinHandle<()>>,
    /// The snapshot being saved, if any.
    saving: Option<JoinHandle<()>>,
    /// The revision of the latest snapshot saved or being saved.
    snapshot_revision: Option<u64>,
    slug: CommunitySlug,
    stream: String,
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    cadence: Cadence,
    keys: Arc<KeyRing>,
    current: WriterState,
    views: watch::Sender<Option<Arc<DurableView>>>,
    /// An append failed and the catch-up after it too: the store may hold
    /// events this writer has not read. It decides nothing until it has.
    unsure: bool,
    /// Set once the ledger refuses every command: a damaged ledger's state
    /// is not saved as a snapshot (the background check saves the log's).
    read_only: Arc<AtomicBool>,
    /// Owners whose keys the batch being processed made durable, before
    /// its append: see [`Writer::destroy_orphan_keys`].
    kept_keys: Vec<PioneerId>,
}

impl Writer {
    pub fn new(
        slug: CommunitySlug,
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
        cadence: Cadence,
        keys: Arc<KeyRing>,
        current: WriterState,
        views: watch::Sender<Option<Arc<DurableView>>>,
    ) -> Self {
        let mut current = current;
        // What the loaded log said to destroy, start-up has destroyed.
        current.keys_to_destroy.clear();
        Self {
            filing: None,
            saving: None,
            snapshot_revision: current.snapshot_revision,
            stream: format!("{COMMUNITY_STREAM_PREFIX}{slug}"),
            slug,
            store,
            clock,
            cadence,
            keys,
            current,
            views,
            unsure: false,
            read_only: Arc::default(),
            kept_keys: Vec::new(),
        }
    }

    /// This writer saves no snapshot once `read_only` is set.
    pub fn saving_no_snapshot_once(mut self, read_only: Arc<AtomicBool>) -> Self {
        self.read_only = read_only;
        self
    }

    /// Serves batches until every handle is gone and the queue is empty.
    /// Between batches, catches up when `heard` (how many events the stream
    /// holds, as the store's log told) says others recorded more (service
    /// instances sharing the store).
    pub async fn run(mut self, mut jobs: mpsc::Receiver<Job>, mut heard: watch::Receiver<u64>) {
        let mut listening = true;
        let mut behind = false;
        loop {
            let first = tokio::select! {
                biased;
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
                changed = heard.changed(), if listening && !behind => {
                    match changed {
                        Ok(()) => {
                            let recorded = *heard.borrow_and_update();
                            behind = !self.catch_up_with(recorded).await;
                        }
                        Err(_) => listening = false,
                    }
                    continue;
                }
                // The last catch-up failed (the store did not answer): try
                // again after a pause, or an idle community would stay
                // behind until its next command.
                () = pause(self.cadence.catch_up_retry_after), if behind => {
                    let recorded = *heard.borrow_and_update();
                    behind = !self.catch_up_with(recorded).await;
                    continue;
                }
            };
            let mut batch = vec![first];
            while batch.len() < BATCH_COMMANDS_MAX {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.process(batch).await;
            self.file_index(self.cadence.filing_events);
            self.save_snapshot(self.cadence.snapshot_events);
        }
        // A last snapshot, and everything still recent filed, so that the
        // next start-up has nothing to read or file again.
        finish(&mut self.saving).await;
        self.save_snapshot(1);
        finish(&mut self.saving).await;
        finish(&mut self.filing).await;
        self.file_index(1);
        finish(&mut self.filing).await;
    }

    /// Files the recent index entries in the store, in the background, once
    /// there are entries of at least `events_min` events and no filing is
    /// under way. A failed filing is retried at the next call.
    fn file_index(&mut self, events_min: u64) {
        if !self.current.writes_beside_the_log {
            return;
        }
        if under_way(&self.filing) {
            return;
        }
        let recent = Arc::clone(&self.current.recent);
        let due = recent
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .unfiled_events()
            >= events_min;
        if !due {
            return;
        }
        let (store, stream) = (Arc::clone(&self.store), self.stream.clone());
        let chunk = self.cadence.filing_chunk_events;
        self.filing = Some(tokio::spawn(async move {
            let chunking = index::Chunking::RUNNING.of_events(chunk);
            if let Err(error) = index::file_recent(&*store, &stream, &recent, chunking).await {
                tracing::warn!(%stream, %error, "could not file index entries; will retry");
            }
        }));
    }

    /// Saves a snapshot of the durable state in the background, once at
    /// least `events_min` events were recorded since the last one and none
    /// is being saved. A failed save is only logged: the next one replaces it.
    fn save_snapshot(&mut self, events_min: u64) {
        if !self.current.writes_beside_the_log || self.read_only.load(Ordering::Acquire) {
            return;
        }
        if under_way(&self.saving) {
            return;
        }
        let Some(revision) = self.current.revision else {
            return;
        };
        let since = match self.snapshot_revision {
            Some(saved) => revision.saturating_sub(saved),
            None => revision + 1,
        };
        if since < events_min {
            return;
        }
        let Some(snapshot) = self.current.snapshot() else {
            return;
        };
        self.snapshot_revision = Some(revision);
        let (store, stream) = (Arc::clone(&self.store), self.stream.clone());
        let read_only = Arc::clone(&self.read_only);
        self.saving = Some(tokio::spawn(async move {
            let saved = match encode_beside_the_runtime(snapshot).await {
                // Looked at again once encoded: the ledger may have been
                // found damaged meanwhile.
                Ok(Ok(_)) if read_only.load(Ordering::Acquire) => Ok(()),
                Ok(Ok(bytes)) => store.save_snapshot(&stream, revision, bytes).await,
                Ok(Err(error)) => Err(StoreError::Unavailable(error)),
                Err(error) => Err(StoreError::Unavailable(error.to_string())),
            };
            if let Err(error) = saved {
                tracing::warn!(%stream, revision, %error, "could not save a snapshot");
            }
        }));
    }

    async fn process(&mut self, batch: Vec<Job>) {
        self.decide_and_append(batch).await;
        self.destroy_orphan_keys().await;
    }

    /// Destroys the keys the batch made durable for owners its commands
    /// did not record after all: an admission that lost a race to its own
    /// retry on another instance, and was answered from what that one
    /// recorded (under another new pioneer's id), leaves a key no event will
    /// ever need. Owners the state knows (a pioneer, a pending application,
    /// a ballot, a webhook) keep theirs: a candidate's application recorded by another
    /// instance needs the key kept under the same id. Nothing is destroyed
    /// while the writer is unsure what the log holds.
    async fn destroy_orphan_keys(&mut self) {
        let kept = std::mem::take(&mut self.kept_keys);
        if kept.is_empty() || self.unsure {
            return;
        }
        let state = self.current.state.as_deref();
        let orphans: Vec<PioneerId> = kept
            .into_iter()
            .filter(|&owner| {
                !keeps_a_key(state, owner)
                    && !state.is_some_and(|state| {
                        state.ballots.get(agora_events::BallotId(owner.0)).is_some()
                            || state
                                .webhooks
                                .contains_key(&agora_events::WebhookId(owner.0))
                    })
            })
            .collect();
        self.destroy_keys(orphans).await;
    }

    async fn decide_and_append(&mut self, batch: Vec<Job>) {
        let mut attempt = 0;
        // A retry of a command whose answer was lost must find what it
        // recorded: nothing is decided on a state that may be stale.
        if self.unsure {
            self.catch_up_quietly().await;
            if self.unsure {
                return fail_all(
                    batch,
                    LedgerError::Store(StoreError::Unavailable(
                        "the community's log could not be read".into(),
                    )),
                );
            }
        }
        loop {
            let recorded = match self.recall(&batch).await {
                Ok(recorded) => recorded,
                Err(error) => return fail_all(batch, error),
            };
            let past = match self.past_items(&batch).await {
                Ok(past) => past,
                Err(error) => return fail_all(batch, error),
            };
            let mut plan = self.plan(&batch, recorded, past);
            if plan.events.is_empty() {
                // Nothing to append, so no expected revision to tell whether
                // another instance moved the stream: on a shared store, look.
                match self.moved_elsewhere().await {
                    Ok(true) if attempt < CONFLICT_RETRIES_MAX => {
                        attempt += 1;
                        if let Err(error) = self.catch_up().await {
                            return fail_all(batch, error);
                        }
                        continue;
                    }
                    Ok(true) => return fail_all(batch, LedgerError::Contention),
                    Ok(false) => return self.answer(batch, plan, &[]).await,
                    Err(error) => return fail_all(batch, error),
                }
            }
            let proposed: Vec<ProposedEvent> = plan
                .events
                .iter()
                .zip(std::mem::take(&mut plan.stored))
                .map(|((_, record), (data, metadata))| ProposedEvent {
                    event_id: record.event_id.0,
                    event_type: record.event_type.clone(),
                    data,
                    metadata,
                })
                .collect();
            let bytes: usize = proposed.iter().map(ProposedEvent::bytes).sum();
            if batch.len() > 1 && bytes > self.store.append_bytes_max() {
                // More than the store takes in one append: each half of the
                // batch is decided and appended on its own, in order.
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                Box::pin(self.process(first)).await;
                return Box::pin(self.process(second)).await;
            }
            if let Err(error) = self.keep_new_keys(&batch, &plan).await {
                return fail_all(batch, error.into());
            }
            let expected = self
                .current
                .revision
                .map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
            match self.store.append(&self.stream, expected, proposed).await {
                Ok(outcome) => return self.answer(batch, plan, &outcome.positions).await,
                Err(StoreError::WrongExpectedRevision { .. }) if attempt < CONFLICT_RETRIES_MAX => {
                    attempt += 1;
                    tracing::info!(community = %self.slug, attempt, "lost a race; catching up");
                    if let Err(error) = self.catch_up().await {
                        return fail_all(batch, error);
                    }
                }
                Err(StoreError::WrongExpectedRevision { .. }) => {
                    return fail_all(batch, LedgerError::Contention);
                }
                Err(error) => {
                    // The store may have made the batch durable and lost the
                    // answer: catch up with it now if it answers, so that
                    // readers see what the log holds. The callers still hear
                    // of the failure; their retries find what was recorded.
                    self.catch_up_quietly().await;
                    return fail_all(batch, error.into());
                }
            }
        }
    }

    /// Whether another instance sharing the store recorded events this
    /// writer has not caught up with: refusals, and retries answered from
    /// memory, are then decided again against them.
    async fn moved_elsewhere(&self) -> Result<bool, LedgerError> {
        if !self.store.is_shared() {
            return Ok(false);
        }
        let next = self.current.revision.map_or(0, |last| last + 1);
        let after = self.store.read_stream(&self.stream, next, 1).await?;
        Ok(!after.is_empty())
    }

    /// The commands of the batch that were recorded before it, by the key
    /// their caller sent: in the store's index through its mark (every key
    /// of the batch in one read), then among the recent events after it. A
    /// command's events may lie on both sides of the mark.
    async fn recall(&self, batch: &[Job]) -> Result<Vec<Option<RecordedCommand>>, LedgerError> {
        let mut found: Vec<Vec<Committed>> = vec![Vec::new(); batch.len()];
        if self.current.revision.is_none() {
            return Ok(vec![None; batch.len()]);
        }
        let keyed: Vec<(usize, String)> = batch
            .iter()
            .enumerate()
            .filter_map(|(at, job)| {
                let request = &job.request;
                let key = request.idempotency_key.as_ref()?;
                Some((at, index::command_key(&request.actor.id, key)))
            })
            .collect();
        if keyed.is_empty() {
            return Ok(vec![None; batch.len()]);
        }
        let (mark, recent): (Option<u64>, Vec<Vec<u64>>) = {
            let recent = self
                .current
                .recent
                .read()
                .unwrap_or_else(|p| p.into_inner());
            let revisions = keyed.iter().map(|(_, key)| recent.view(key).1).collect();
            (recent.filed_through(), revisions)
        };
        if let Some(mark) = mark {
            let keys = keyed.iter().map(|(_, key)| key.clone()).collect();
            let pages = self
                .store
                .read_index_first(&self.stream, keys, mark, APPEND_EVENTS_MAX)
                .await?;
            for ((at, _), page) in keyed.iter().zip(pages) {
                found[*at] = page
                    .iter()
                    .map(history::committed_of)
                    .collect::<Result<_, _>>()?;
            }
        }
        for ((at, _), revisions) in keyed.iter().zip(recent) {
            let events = history::read_revisions(&*self.store, &self.stream, &revisions).await?;
            found[*at].extend(events);
        }
        found
            .into_iter()
            .map(|events| {
                let Some(first) = events.first() else {
                    return Ok(None);
                };
                let (_, metadata) = history::decoded(first)?;
                Ok(Some(RecordedCommand {
                    digest: metadata.command_digest,
                    events,
                }))
            })
            .collect()
    }

    /// The exchanges and listings the batch's commands name that the state
    /// let go of (they are over), as the log has them: read from the
    /// store's index, for the decisions about them.
    async fn past_items(&self, batch: &[Job]) -> Result<Market, LedgerError> {
        let (Some(state), Some(revision)) = (self.current.state.as_deref(), self.current.revision)
        else {
            return Ok(Market::default());
        };
        let mut ids: Vec<uuid::Uuid> = batch
            .iter()
            .filter_map(|job| job.request.command.past_item())
            .filter(|&id| !state.market.holds(id))
            .collect();
        if ids.is_empty() {
            return Ok(Market::default());
        }
        ids.sort_unstable();
        ids.dedup();
        history::past_items(
            &*self.store,
            &self.current.recent,
            &self.stream,
            &ids,
            revision,
        )
        .await
    }

    /// Decides every command of the batch in order, each against the state
    /// the earlier ones leave.
    fn plan(&self, batch: &[Job], recorded: Vec<Option<RecordedCommand>>, past: Market) -> Plan {
        let now = self.recording_instant();
        let named: Vec<uuid::Uuid> = batch
            .iter()
            .filter_map(|job| job.request.command.past_item())
            .collect();
        let mut past = past;
        if let Some(state) = self.current.state.as_deref() {
            // An item the batch names that the state holds now may be over
            // before a later command of the batch names it: a copy follows
            // the batch's events beside the state, which lets go of it.
            for &id in &named {
                past.lend(&state.market, id);
            }
        }
        let mut plan = Plan {
            decisions: Vec::with_capacity(batch.len()),
            ballot_keys: Vec::with_capacity(batch.len()),
            events: Vec::new(),
            stored: Vec::new(),
            state: self.current.state.as_deref().cloned(),
            past,
            named,
            head: self.current.head,
            commands: HashMap::new(),
        };
        for (job, recorded) in batch.iter().zip(recorded) {
            let (decision, ballot_key) = match plan.retry_of(&job.request, recorded) {
                Some(decision) => (decision, None),
                None => match self.seal(&job.request, &plan.ballot_keys) {
                    Ok((request, ballot_key)) => {
                        (plan.decide(&request, now, &*self.clock), ballot_key)
                    }
                    Err(error) => (Decision::Failed(error), None),
                },
            };
            plan.decisions.push(decision);
            plan.ballot_keys.push(ballot_key);
        }
        plan
    }

    /// What the ledger adds to a ballot command before it is decided: a new
    /// ballot gets a key; a vote is sealed with its ballot's key; a closing
    /// carries the key it reveals. Ballots opened before votes were sealed
    /// have no key, and their votes stay in clear.
    ///
    /// A vote on (or the closing of) a sealed ballot whose key this instance
    /// does not hold (it could not bring it from the store) is refused as
    /// unavailable: never a vote recorded in clear, nor a closing that
    /// reveals nothing.
    fn seal(
        &self,
        request: &CommandRequest,
        opened_in_batch: &[Option<(BallotId, BallotKey)>],
    ) -> Result<(CommandRequest, Option<(BallotId, BallotKey)>), LedgerError> {
        let key_of = |ballot: BallotId| {
            opened_in_batch
                .iter()
                .flatten()
                .find(|(opened, _)| *opened == ballot)
                .map(|(_, key)| key.clone())
                .or_else(|| self.keys.ballot_key(ballot))
        };
        let mut request = request.clone();
        let mut new_key = None;
        match &mut request.command {
            Command::OpenBallot(open) => {
                let mut bytes = [0; 32];
                self.clock.fill_random(&mut bytes);
                new_key = Some((open.ballot_id, BallotKey::from_bytes(bytes)));
                open.sealed = true;
            }
            Command::CastVote(vote) => match key_of(vote.ballot_id) {
                Some(key) => {
                    let mut nonce = [0; 24];
                    self.clock.fill_random(&mut nonce);
                    vote.sealed = Some(key.seal(vote.voter, &vote.choice, nonce));
                }
                None if self.is_sealed(vote.ballot_id) => {
                    return Err(StoreError::Unavailable(format!(
                        "the key that seals the votes of ballot {} is not at hand; retry",
                        vote.ballot_id
                    ))
                    .into());
                }
                None => {}
            },
            Command::CloseBallot(close) => {
                close.key = key_of(close.ballot_id);
                if close.key.is_none() && self.is_sealed(close.ballot_id) {
                    return Err(StoreError::Unavailable(format!(
                        "the key that reveals the votes of ballot {} is not at hand; retry",
                        close.ballot_id
                    ))
                    .into());
                }
            }
            _ => {}
        }
        Ok((request, new_key))
    }

    /// Whether the ballot, as recorded, is open and seals its votes (a
    /// closed one is refused by the rules, key or not).
    fn is_sealed(&self, ballot: BallotId) -> bool {
        self.current
            .state
            .as_deref()
            .and_then(|state| state.ballots.get(ballot))
            .is_some_and(|ballot| ballot.is_open() && ballot.opened.sealed)
    }

    /// The instant this batch is recorded at: the clock's, unless the clock
    /// is behind the last recorded event; instants never go backwards in a
    /// community's log.
    fn recording_instant(&self) -> Timestamp {
        let clock = self.clock.now();
        match self.current.last_recorded_at {
            Some(last) if last > clock => {
                let behind = last.instant() - clock.instant();
                if behind > chrono::Duration::minutes(1) {
                    tracing::warn!(
                        community = %self.slug,
                        %last,
                        %clock,
                        "the clock is behind the last recorded event; recording at that event's instant"
                    );
                }
                last
            }
            _ => clock,
        }
    }

    /// Keys of pioneers admitted and of ballots opened in this batch are made
    /// durable before they are recorded: an admission without its key would
    /// lose the pioneer's personal data, a ballot without its key its votes.
    async fn keep_new_keys(&mut self, batch: &[Job], plan: &Plan) -> Result<(), StoreError> {
        for ((job, decision), ballot_key) in
            batch.iter().zip(&plan.decisions).zip(&plan.ballot_keys)
        {
            let Decision::Recorded { range, .. } = decision else {
                continue;
            };
            if range.is_empty() {
                continue;
            }
            if let Some((pioneer, key)) = &job.request.new_key {
                self.kept_keys.push(*pioneer);
                self.keys.keep(*pioneer, key.clone()).await?;
            }
            if let Some((ballot, key)) = ballot_key {
                self.kept_keys.push(PioneerId(ballot.0));
                self.keys.keep_ballot_key(*ballot, key).await?;
            }
        }
        Ok(())
    }

    /// Makes the plan the current state (its events are durable at
    /// `positions`), destroys the keys of pioneers forgotten in the batch,
    /// publishes the state, and answers every command.
    async fn answer(&mut self, batch: Vec<Job>, plan: Plan, positions: &[u64]) {
        let first_revision = self.current.revision.map_or(0, |revision| revision + 1);
        let committed: Vec<Committed> = plan
            .events
            .iter()
            .zip(positions)
            .enumerate()
            .map(|(offset, ((_, record), &position))| Committed {
                position,
                revision: first_revision + offset as u64,
                record: Arc::clone(record),
            })
            .collect();
        if let Some(last) = committed.last() {
            self.current.state = plan.state.map(Arc::new);
            self.current.revision = Some(last.revision);
            self.current.head = plan.head;
            self.current.last_recorded_at =
                plan.events.last().map(|(new, _)| new.metadata.recorded_at);
            {
                let mut recent = self.current.recent();
                for ((new, record), committed) in plan.events.iter().zip(&committed) {
                    recent.add(
                        committed.revision,
                        index::keys(&record.data, &new.event, &new.metadata),
                    );
                }
            }
            // Keys of pioneers forgotten, of applications declined or
            // withdrawn and of sealed ballots closed in the batch go before
            // the state that says so is published: nobody reads them after
            // that.
            let forgotten = plan
                .events
                .iter()
                .filter_map(|(new, _)| key_destroyed_by(&new.event))
                .filter(|&owner| !keeps_a_key(self.current.state.as_deref(), owner))
                .collect();
            self.current.keys_to_destroy.clear();
            self.destroy_keys(forgotten).await;
            self.publish();
        }
        for (job, decision) in batch.into_iter().zip(plan.decisions) {
            count(&decision);
            let answer = match decision {
                Decision::Failed(error) => Err(error),
                Decision::Recorded { command_id, range } => Ok(CommandOutcome {
                    command_id,
                    events: committed[range].to_vec(),
                    replayed: false,
                }),
                Decision::ReplayInBatch { command_id, range } => Ok(CommandOutcome {
                    command_id,
                    events: committed[range].to_vec(),
                    replayed: true,
                }),
                Decision::Replay { command_id, events } => Ok(CommandOutcome {
                    command_id,
                    events,
                    replayed: true,
                }),
            };
            let _ = job.reply.send(answer);
        }
    }

    /// Reads and folds what others recorded since this writer's revision,
    /// and publishes it. Erasures caught up with (another instance's, or
    /// this one's whose answer the store lost) destroy their keys too,
    /// before anyone reads the new state.
    async fn catch_up(&mut self) -> Result<(), LedgerError> {
        let caught_up = history::catch_up(&*self.store, &self.stream, &mut self.current).await;
        let mut destroyed = std::mem::take(&mut self.current.keys_to_destroy);
        destroyed.extend(self.forgotten_with_keys());
        destroyed.retain(|&owner| !keeps_a_key(self.current.state.as_deref(), owner));
        self.destroy_keys(destroyed).await;
        let fetched = self.fetch_keys().await;
        self.publish();
        caught_up.and(fetched)
    }

    /// Brings from the store the keys this instance lacks: those of pioneers
    /// admitted, of applications submitted, and of sealed ballots opened,
    /// by another instance. A vote
    /// is never decided here without its ballot's key: the state that holds
    /// the ballot is only published once the key is in hand.
    async fn fetch_keys(&self) -> Result<(), LedgerError> {
        let Some(state) = self.current.state.as_deref() else {
            return Ok(());
        };
        let pioneers = state
            .pioneers
            .values()
            .filter(|pioneer| !pioneer.forgotten)
            .map(|pioneer| pioneer.id);
        let ballots = state
            .ballots
            .by_id
            .values()
            .filter(|ballot| ballot.is_open() && ballot.opened.sealed)
            .map(|ballot| PioneerId(ballot.opened.ballot_id.0));
        let applicants = state
            .applications
            .by_applicant
            .values()
            .filter(|application| application.is_pending())
            .map(|application| application.applicant);
        for owner in pioneers.chain(ballots).chain(applicants) {
            if self.keys.key_of(owner).is_none() && !self.keys.fetch(owner).await? {
                tracing::warn!(community = %self.slug, %owner, "no key is kept for this pioneer or ballot");
            }
        }
        Ok(())
    }

    /// Catches up if the stream holds more than the `recorded` events the
    /// log told of; false if that failed.
    async fn catch_up_with(&mut self, recorded: u64) -> bool {
        let held = self.current.revision.map_or(0, |last| last + 1);
        if recorded <= held {
            return true;
        }
        match self.catch_up().await {
            Ok(()) => {
                self.file_index(self.cadence.filing_events);
                true
            }
            Err(error) => {
                tracing::warn!(community = %self.slug, %error, "could not catch up with the log; will try again");
                false
            }
        }
    }

    /// After a failed append, catches up with what the store may have made
    /// durable anyway; if the store does not answer, the writer stays
    /// unsure of its stream until a later catch-up succeeds.
    async fn catch_up_quietly(&mut self) {
        match self.catch_up().await {
            Ok(()) => self.unsure = false,
            Err(error) => {
                self.unsure = true;
                tracing::warn!(community = %self.slug, %error, "could not catch up after a failed append");
            }
        }
    }

    /// Destroys the keys the log says must go ([`key_destroyed_by`]). A
    /// key that cannot be destroyed now is gone from memory already, and
    /// the next start-up destroys it in the store.
    async fn destroy_keys(&self, forgotten: Vec<PioneerId>) {
        for pioneer in forgotten {
            if let Err(error) = self.keys.destroy(pioneer).await {
                tracing::error!(owner = %pioneer, %error, "could not destroy a key the log says must go");
            }
        }
    }

    /// Pioneers the state says are forgotten whose key is still held.
    fn forgotten_with_keys(&self) -> Vec<PioneerId> {
        let Some(state) = self.current.state.as_deref() else {
            return Vec::new();
        };
        state
            .pioneers
            .values()
            .filter(|pioneer| pioneer.forgotten && self.keys.key_of(pioneer.id).is_some())
            .map(|pioneer| pioneer.id)
            .collect()
    }

    fn publish(&self) {
        self.views.send_replace(self.current.view());
    }
}

/// Whose key an event says is to be destroyed: a forgotten pioneer's, that
/// of an applicant declined or withdrawn (the decision stays in the log,
/// who they are goes), or a sealed ballot's once its closing revealed it.
pub(super) fn key_destroyed_by(event: &Event) -> Option<PioneerId> {
    match event {
        Event::PioneerForgotten(forgotten) => Some(forgotten.pioneer_id),
        Event::ApplicationDeclined(declined) => Some(declined.applicant),
        Event::ApplicationWithdrawn(withdrawn) => Some(withdrawn.applicant),
        Event::BallotClosed(closed) if closed.ballot_key.is_some() => {
            Some(PioneerId(closed.ballot_id.0))
        }
        _ => None,
    }
}

/// Whether `owner` still needs their key after the events that said to
/// destroy it: they applied again since a decline, say.
fn keeps_a_key(state: Option<&CommunityState>, owner: PioneerId) -> bool {
    state.is_some_and(|state| {
        state.applications.pending(owner).is_some()
            || state
                .pioneer(owner)
                .is_some_and(|pioneer| !pioneer.forgotten)
    })
}

/// Waits `after`, or without it lets every other task run once.
async fn pause(after: Option<std::time::Duration>) {
    match after {
        Some(after) => tokio::time::sleep(after).await,
        None => tokio::task::yield_now().await,
    }
}

/// A snapshot's bytes, encoded on a blocking thread so that the runtime's
/// workers keep serving. A single-threaded runtime (the simulator's) has no
/// worker to spare, and encodes in place: its runs stay reproducible.
async fn encode_beside_the_runtime(
    snapshot: Snapshot,
) -> Result<Result<Vec<u8>, String>, tokio::task::JoinError> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::CurrentThread {
        return Ok(snapshot.encode());
    }
    tokio::task::spawn_blocking(move || snapshot.encode()).await
}

/// Whether a background task is still running.
fn under_way(task: &Option<JoinHandle<()>>) -> bool {
    task.as_ref().is_some_and(|task| !task.is_finished())
}

/// Waits for a background task, if there is one, to end.
async fn finish(task: &mut Option<JoinHandle<()>>) {
    if let Some(task) = task.take() {
        let _ = task.await;
    }
}

/// Counts each command as it is answered, for `/metrics`.
fn count(decision: &Decision) {
    use crate::telemetry::{CommandOutcome, count_command};
    match decision {
        Decision::Failed(_) => count_command(CommandOutcome::Refused, 0),
        Decision::Recorded { range, .. } => count_command(CommandOutcome::Recorded, range.len()),
        Decision::Replay { .. } | Decision::ReplayInBatch { .. } => {
            count_command(CommandOutcome::Replayed, 0)
        }
    }
}

fn fail_all(batch: Vec<Job>, error: LedgerError) {
    for job in batch {
        crate::telemetry::count_command(crate::telemetry::CommandOutcome::Refused, 0);
        let _ = job.reply.send(Err(error.clone()));
    }
}
