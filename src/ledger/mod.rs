//! The command pipeline. Each community has one writer task that owns its
//! state: it decides each command against the state that includes the
//! earlier commands of its batch, appends the batch's events with the
//! expected revision it decided at, and only once they are durable applies
//! them, publishes a new view for readers and answers. Communities do
//! not wait on each other.
//!
//! If an append finds that someone else wrote first (several service
//! instances on one PostgreSQL store), the writer catches up from the log,
//! decides the batch again and retries, a bounded number of times. If an
//! append fails, every command of the batch fails and the state stays at
//! the last durable revision. On such a shared store every ledger also
//! follows the whole log, so that each writer catches up with what the
//! other instances record between its own batches (ADR 11).
//!
//! The state is made of persistent maps: the writer's copy for a batch and
//! the durable view readers hold share their nodes. Histories, statements
//! and retries are served from an index the store keeps beside the log
//! (`index`), and each community's state is saved as a snapshot every
//! [`snapshot::SNAPSHOT_EVENTS`] events and at shutdown (`snapshot`), so
//! that start-up reads only the events after it. See ADR 8.

mod folding;
mod history;
pub use folding::{FoldEvent, fold_pages};
pub use history::{Checked, Prechecked, check_prechecked};
pub mod index;
mod personal;
mod plan;
pub mod snapshot;
mod wrapping;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use agora_events::{
    AccountId, Actor, BallotId, CommunitySlug, CorrelationId, Event, EventRecord, Hash, PioneerId,
};
use agora_projections::{CommunityState, Movement, StatementLine, Vote};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::domain::{Command, Rejection};
use crate::store::{EventStore, StoreError, Stores};

pub use personal::{KeyRing, PersonalData, PersonalKey};
pub use wrapping::{KeyEncryptionKey, KeyWrapping, WrappingError};

/// Commands waiting for one community's writer before callers wait.
pub const COMMAND_QUEUE_MAX: usize = 1_024;
/// Most commands decided and appended together.
pub const BATCH_COMMANDS_MAX: usize = 32;
/// How many times a writer catches up and decides again after losing a race.
pub const CONFLICT_RETRIES_MAX: usize = 5;

/// How a ledger is opened.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub cadence: Cadence,
    /// How personal-data keys are kept in the store.
    pub key_wrapping: KeyWrapping,
    /// Refuse every command, and serve a damaged log up to its first break.
    pub read_only: bool,
}

/// How often each writer saves a snapshot and files its recent index
/// entries. The defaults suit a service; the simulator makes both frequent,
/// so that short runs go through them many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// A snapshot once this many events were recorded since the last one.
    pub snapshot_events: u64,
    /// A filing once this many events wait to be filed.
    pub filing_events: u64,
    /// Events filed per transaction.
    pub filing_chunk_events: u64,
    /// How often every chain is checked again after the check at start-up,
    /// each pass moving its verified mark forward (so that the next start
    /// checks little before serving); `None`: only at start-up.
    pub reverify_every: Option<std::time::Duration>,
    /// How long a writer waits before trying again to catch up with what
    /// other instances recorded, after a try failed; `None`: it yields to
    /// the other tasks and tries again (the simulator, whose runs must not
    /// depend on the wall clock).
    pub catch_up_retry_after: Option<std::time::Duration>,
}

impl Default for Cadence {
    fn default() -> Self {
        Self {
            snapshot_events: snapshot::SNAPSHOT_EVENTS,
            filing_events: index::FILE_EVENTS_MIN,
            filing_chunk_events: index::FILE_CHUNK_EVENTS,
            reverify_every: Some(REVERIFY_EVERY),
            catch_up_retry_after: Some(CATCH_UP_RETRY_AFTER),
        }
    }
}

/// How long a ledger waits before following a shared store's log again
/// after losing it.
pub const FOLLOW_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a writer waits, by default, before trying again to catch up
/// with what other instances recorded, after a try failed.
pub const CATCH_UP_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How often a service checks every chain again, by default.
pub const REVERIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

/// A community as readers see it: only durable state.
#[derive(Debug, Clone)]
pub struct DurableView {
    pub state: Arc<CommunityState>,
    /// The stream's last revision.
    pub revision: u64,
    /// The hash of the stream's last event.
    pub head: Hash,
}

/// A command with everything the ledger records about it.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub community: CommunitySlug,
    pub command: Command,
    pub actor: Actor,
    /// The client's `Idempotency-Key`, if it sent one.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the command as received, to tell retries from reuse.
    pub command_digest: Hash,
    pub correlation_id: CorrelationId,
    /// A new pioneer's personal-data key, kept before their admission is
    /// recorded.
    pub new_key: Option<(PioneerId, PersonalKey)>,
}

/// One recorded event and its place in the log. The record is shared:
/// the answer to a command, its index entries and the views built from it
/// all read the one made when the event was linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub position: u64,
    pub revision: u64,
    pub record: Arc<EventRecord>,
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    pub command_id: String,
    pub events: Vec<Committed>,
    /// A retry: these are the events the first attempt recorded.
    pub replayed: bool,
}

/// Why a command was not carried out.
///
/// ### Handling
/// - `Rejected`: the command breaks a rule; nothing was recorded.
/// - `IdempotencyKeyReused`: the key belongs to another command.
/// - `Contention`: others kept writing first; retry later.
/// - `ShuttingDown`: nothing of the command is recorded.
/// - `Store`: the command may or may not be recorded (the store may have
///   made it durable and lost the answer); retrying with the same
///   `Idempotency-Key` is safe, and answers with what was recorded, if
///   anything was.
/// - `Corrupt`: the log does not verify; stop.
/// - `Keys`: the stored personal-data keys cannot be opened (no or the
///   wrong key-encryption key); stop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("idempotency key {key:?} was already used for another command")]
    IdempotencyKeyReused { key: String },
    #[error("the community's log kept moving; retry")]
    Contention,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the log is damaged: {0}")]
    Corrupt(String),
    #[error("the ledger is shutting down")]
    ShuttingDown,
    /// Why: started for inspection, or the damage a check found.
    #[error("the service runs read-only: {0}")]
    ReadOnly(String),
    #[error("personal-data keys: {0}")]
    Keys(String),
}

struct Job {
    request: CommandRequest,
    reply: oneshot::Sender<Result<CommandOutcome, LedgerError>>,
}

#[derive(Clone)]
struct CommunityHandle {
    jobs: mpsc::Sender<Job>,
    /// `None` until the community's creation is durable.
    view: watch::Receiver<Option<Arc<DurableView>>>,
    /// Index entries not yet filed in the store.
    recent: index::SharedRecent,
    /// How many events of the community's stream were heard of from the
    /// store's log (what other instances record); its writer catches up.
    heard: Arc<watch::Sender<u64>>,
}

/// Every community's writer, and the keys of personal data.
pub struct Ledger {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    cadence: Cadence,
    keys: Arc<KeyRing>,
    communities: RwLock<HashMap<CommunitySlug, CommunityHandle>>,
    writers: Mutex<Vec<JoinHandle<()>>>,
    scheduler: Mutex<Option<JoinHandle<()>>>,
    /// On a shared store, the task that follows the log to hear of what
    /// other instances record.
    follower: Mutex<Option<JoinHandle<()>>>,
    /// The check of every chain that runs after start-up, then again
    /// every [`Cadence::reverify_every`].
    verification: Mutex<Option<JoinHandle<()>>>,
    /// Becomes true once the first pass of that check is over.
    first_pass: watch::Receiver<bool>,
    closing: AtomicBool,
    /// Refusing every command: started for inspection, or a break was
    /// found in a chain. Writers then save no snapshot either.
    read_only: Arc<AtomicBool>,
    /// What the background check found wrong, once it found something.
    damage: Mutex<Option<String>>,
}

/// The subject recorded for work the service does on its own.
pub const SYSTEM_ACTOR: &str = "agora";

impl Ledger {
    /// Replays the whole log (verifying every community's chain), loads the
    /// keys, removes keys that must not exist, and starts one writer per
    /// community.
    pub async fn open(
        stores: impl Into<Stores>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, LedgerError> {
        Self::open_with(stores, clock, Options::default()).await
    }

    /// Opens a ledger that refuses every command, on a store whose chains
    /// may be broken: each community is served as it stood before its first
    /// broken link. For inspection.
    pub async fn open_read_only(
        stores: impl Into<Stores>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, LedgerError> {
        let options = Options {
            read_only: true,
            ..Options::default()
        };
        Self::open_with(stores, clock, options).await
    }

    /// [`open`](Self::open) or [`open_read_only`](Self::open_read_only),
    /// with keys wrapped, or snapshots and filings at another cadence.
    pub async fn open_with(
        stores: impl Into<Stores>,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Arc<Self>, LedgerError> {
        let Options {
            cadence,
            key_wrapping,
            read_only,
        } = options;
        let Stores {
            events: store,
            keys,
        } = stores.into();
        let keys = KeyRing::load(keys, key_wrapping, !read_only).await?;
        let keys = Arc::new(keys);
        // Read before the streams are: whatever others record from here on
        // is heard of, and what was loaded already is heard of harmlessly.
        let follow_from = match store.is_shared() {
            true => Some(store.end_cursor().await?),
            false => None,
        };
        let loaded = history::load_all(&*store, read_only).await?;
        let (first_pass_over, first_pass) = watch::channel(false);
        if !read_only {
            remove_stale_keys(&*store, &keys, &loaded).await?;
        }
        let ledger = Arc::new(Self {
            store,
            clock,
            cadence,
            keys,
            communities: RwLock::new(HashMap::new()),
            writers: Mutex::new(Vec::new()),
            scheduler: Mutex::new(None),
            follower: Mutex::new(None),
            verification: Mutex::new(None),
            first_pass,
            closing: AtomicBool::new(false),
            read_only: Arc::new(AtomicBool::new(read_only)),
            damage: Mutex::new(None),
        });
        // In the communities' order, so that a start-up does the same
        // things in the same order each time.
        let mut loaded: Vec<_> = loaded.into_iter().collect();
        loaded.sort_by(|(a, _), (b, _)| a.cmp(b));
        for (slug, state) in loaded {
            ledger.start_writer(slug, state);
        }
        if let Some(from) = follow_from {
            ledger.follow_the_log(from);
        }
        if read_only {
            first_pass_over.send_replace(true);
        } else {
            ledger.verify_in_background(first_pass_over);
        }
        Ok(ledger)
    }

    /// What the background check does on finding `community`'s log
    /// damaged: the ledger refuses every command from now on (its writers
    /// save no snapshot of what they serve), and says why in its logs; a
    /// break moves the verified mark back to just before it, so that the
    /// next start finds the break before serving and refuses to; a state
    /// served that is not the log's (an edited snapshot) gives way to the
    /// log's, `corrected`, saved as the snapshot the next start folds from.
    async fn found_damaged(
        &self,
        community: &CommunitySlug,
        verification: &crate::audit::verify::Verification,
        corrected: Option<snapshot::Snapshot>,
    ) {
        let stream = community.stream();
        let failing: Vec<&crate::audit::verify::Check> = verification
            .checks
            .iter()
            .filter(|check| !check.holds)
            .collect();
        let damage = match &verification.first_break {
            Some(broken) => format!(
                "the chain of {community} breaks at revision {}: {}",
                broken.revision, broken.reason
            ),
            None => {
                let rules: Vec<&str> = failing.iter().map(|check| check.rule).collect();
                format!(
                    "the figures of {community} do not hold: {}",
                    rules.join(", ")
                )
            }
        };
        if self.note_damage(damage) {
            self.tell_damage(community, verification, &failing).await;
        }
        if let Some(corrected) = corrected {
            let revision = corrected.revision;
            let saved = match corrected.encode() {
                Ok(bytes) => self
                    .store
                    .replace_snapshot(&stream, revision, bytes)
                    .await
                    .map_err(|error| error.to_string()),
                Err(error) => Err(error),
            };
            match saved {
                Ok(()) => tracing::error!(
                    %community,
                    revision,
                    "the state served was not the one the log folds to (a snapshot that did not \
                     match its log); the log's replaces it: restart the service"
                ),
                Err(error) => tracing::warn!(%community, %error, "could not replace the snapshot"),
            }
        }
    }

    /// Says loudly what a check found, the first time it finds it, and
    /// moves the verified mark back to just before a break.
    async fn tell_damage(
        &self,
        community: &CommunitySlug,
        verification: &crate::audit::verify::Verification,
        failing: &[&crate::audit::verify::Check],
    ) {
        match &verification.first_break {
            Some(broken) => tracing::error!(
                %community,
                revision = broken.revision,
                event_id = ?broken.event_id,
                reason = %broken.reason,
                "THE LOG IS DAMAGED: its chain breaks here. The service now refuses every command; \
                 inspect it with `agora verify`"
            ),
            None => tracing::error!(
                %community,
                checks = ?failing,
                "THE LOG'S FIGURES DO NOT HOLD, OR THE STATE SERVED IS NOT THE LOG'S. The \
                 service now refuses every command; inspect it with `agora verify`"
            ),
        }
        if verification.first_break.is_some() {
            // Before the first event no mark can stand: one that no event
            // hashes to makes the next start refuse all the same.
            let (revision, head) = match verification.verified.checked_sub(1) {
                Some(revision) => (revision, verification.head),
                None => (0, Hash::GENESIS),
            };
            let stream = community.stream();
            if let Err(error) = self.store.save_verified_mark(&stream, revision, head).await {
                tracing::warn!(%community, %error, "could not move the verified mark back");
            }
        }
    }

    /// Notes what was found damaged, and refuses every command from now
    /// on; false when that very damage was noted already (a check asked for
    /// again and again finds it again).
    fn note_damage(&self, damage: String) -> bool {
        self.read_only.store(true, Ordering::Release);
        let mut told = self.damage.lock().unwrap_or_else(|p| p.into_inner());
        match told.take() {
            Some(earlier) if earlier.split("; ").any(|noted| noted == damage) => {
                *told = Some(earlier);
                false
            }
            Some(earlier) => {
                *told = Some(format!("{earlier}; {damage}"));
                true
            }
            None => {
                *told = Some(damage);
                true
            }
        }
    }

    /// Acts on a store that says it is corrupt while reading `community`'s
    /// log on request: as on a break, the ledger refuses every command
    /// from now on (the file SQLite cannot read is no log to write on).
    pub fn heed_store_error(&self, community: &CommunitySlug, error: &StoreError) {
        if let StoreError::Corrupt(reason) = error
            && self.note_damage(format!("the store of {community} is corrupt: {reason}"))
        {
            tracing::error!(
                %community,
                %reason,
                "THE STORE IS CORRUPT: its file cannot be read. The service now refuses every \
                 command; inspect it with `agora verify`"
            );
        }
    }

    /// Acts on a verification of `community`'s log made on request (`GET
    /// …/verify`) as on one of the background check's: damage found turns
    /// the ledger read-only at once, says so, and moves the verified mark
    /// back before a break, rather than wait for the next pass.
    pub async fn heed(
        &self,
        community: &CommunitySlug,
        verification: &crate::audit::verify::Verification,
    ) {
        if !verification.ok() {
            self.found_damaged(community, verification, None).await;
        }
    }

    /// Whether the ledger refuses every command.
    pub fn is_read_only(&self) -> bool {
        self.read_only.load(Ordering::Acquire)
    }

    /// What the background check of the chains and figures found wrong, if
    /// it found anything: the ledger then refuses every command.
    pub fn damage(&self) -> Option<String> {
        self.damage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Why the ledger refuses every command, when it does.
    pub fn read_only_reason(&self) -> Option<String> {
        if !self.is_read_only() {
            return None;
        }
        // What was found stays in the logs: this is told to anyone.
        Some(if self.damage().is_some() {
            "a check found the log damaged; what it found is in the service's logs".to_owned()
        } else {
            "it was started read-only, for inspection".to_owned()
        })
    }

    /// Start-up checks only the events since each community's verified
    /// mark; this checks every chain from its first event, and the figures,
    /// while the service serves, then again every
    /// [`Cadence::reverify_every`]. Each pass that finds a chain whole
    /// moves its mark; a break switches the ledger to read-only.
    fn verify_in_background(self: &Arc<Self>, first_pass_over: watch::Sender<bool>) {
        let ledger = Arc::downgrade(self);
        let every = self.cadence.reverify_every;
        let task = tokio::spawn(async move {
            loop {
                if !verify_every_chain(&ledger).await {
                    return;
                }
                first_pass_over.send_replace(true);
                match every {
                    Some(every) => tokio::time::sleep(every).await,
                    None => return,
                }
            }
        });
        *self.verification.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    /// Waits until the first pass of the background check of every chain,
    /// started with the ledger, is over (for tools and tests).
    pub async fn verification_done(&self) {
        let mut first_pass = self.first_pass.clone();
        let _ = first_pass.wait_for(|over| *over).await;
    }

    /// The key that seals `ballot`'s votes: kept while it is open,
    /// revealed by its closing.
    pub fn ballot_key(
        &self,
        ballot: &agora_projections::Ballot,
    ) -> Option<crate::domain::sealing::BallotKey> {
        match &ballot.closed {
            Some((_, closed)) => closed
                .ballot_key
                .as_deref()
                .and_then(crate::domain::sealing::BallotKey::from_text),
            None => self.keys.ballot_key(ballot.opened.ballot_id),
        }
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// The community's durable state, if it exists.
    pub fn view(&self, community: &CommunitySlug) -> Option<Arc<DurableView>> {
        let communities = self.communities.read().unwrap_or_else(|p| p.into_inner());
        communities.get(community)?.view.borrow().clone()
    }

    /// The community's durable state as it changes, if it exists.
    pub fn view_updates(
        &self,
        community: &CommunitySlug,
    ) -> Option<watch::Receiver<Option<Arc<DurableView>>>> {
        let communities = self.communities.read().unwrap_or_else(|p| p.into_inner());
        Some(communities.get(community)?.view.clone())
    }

    /// The community's durable state, if it exists. On a shared store, a
    /// community another instance created that this one has not heard of
    /// yet is waited for (at most `wait`) rather than said not to exist.
    pub async fn view_or_wait(
        &self,
        community: &CommunitySlug,
        wait: std::time::Duration,
    ) -> Option<Arc<DurableView>> {
        if let Some(view) = self.view(community) {
            return Some(view);
        }
        if !self.store.is_shared() {
            return None;
        }
        let recorded = self.store.read_stream(&community.stream(), 0, 1).await;
        if !recorded.is_ok_and(|events| !events.is_empty()) {
            return None;
        }
        self.view_reaching(community, 0, wait).await
    }

    /// The community's durable state once it holds revision `revision`:
    /// waits, at most `wait`, for this instance to catch up with it (other
    /// instances on a shared store record it); `None` if it did not.
    pub async fn view_reaching(
        &self,
        community: &CommunitySlug,
        revision: u64,
        wait: std::time::Duration,
    ) -> Option<Arc<DurableView>> {
        let reached = |view: &Option<Arc<DurableView>>| {
            view.as_ref().is_some_and(|view| view.revision >= revision)
        };
        let caught_up = async {
            loop {
                // A community another instance created has a writer here
                // once its first event is heard of.
                if let Some(handle) = self.handle(community) {
                    let mut view = handle.view.clone();
                    return view.wait_for(reached).await.ok()?.clone();
                }
                if !self.store.is_shared() {
                    return None;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        };
        match self.view(community) {
            Some(view) if view.revision >= revision => Some(view),
            _ if !self.store.is_shared() => None,
            _ => tokio::time::timeout(wait, caught_up).await.ok().flatten(),
        }
    }

    /// The community's view once this instance has folded every event the
    /// shared store held when asked (waiting `wait` at most): for a caller
    /// this instance does not know yet, whom another instance may have
    /// admitted a moment ago. On a store no other instance writes to, or
    /// when the store holds nothing newer, the view as it is.
    pub async fn view_caught_up(
        &self,
        community: &CommunitySlug,
        wait: std::time::Duration,
    ) -> Option<Arc<DurableView>> {
        let known = self.view(community);
        if !self.store.is_shared() {
            return known;
        }
        let stream = community.stream();
        let mut next = known.as_ref().map_or(0, |view| view.revision + 1);
        let mut last = None;
        loop {
            let page = self
                .store
                .read_stream(&stream, next, crate::store::READ_EVENTS_MAX)
                .await
                .ok()?;
            let Some(newest) = page.last() else {
                break;
            };
            last = Some(newest.revision);
            next = newest.revision + 1;
            if page.len() < crate::store::READ_EVENTS_MAX {
                break;
            }
        }
        match last {
            Some(revision) => self
                .view_reaching(community, revision, wait)
                .await
                .or(known),
            None => known,
        }
    }

    /// The community's events about entity `id` up to revision `through`
    /// (the view the caller reads), oldest first: `skip` left out, at most
    /// `limit`, and how many there are in all.
    pub async fn history(
        &self,
        community: &CommunitySlug,
        id: uuid::Uuid,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> Result<(u64, Vec<Committed>), LedgerError> {
        self.read_index(community, &index::entity_key(id), through, skip, limit)
            .await
    }

    /// `voter`'s last vote on `ballot` up to revision `through`, as the log
    /// records it: what a closed ballot no longer keeps in memory.
    pub async fn vote_of(
        &self,
        community: &CommunitySlug,
        ballot: BallotId,
        voter: PioneerId,
        through: u64,
    ) -> Result<Option<Vote>, LedgerError> {
        let mut last = None;
        for committed in self.whole_history(community, ballot.0, through).await? {
            if let (Event::VoteCast(vote), _) = history::decoded(&committed)?
                && vote.ballot_id == ballot
                && vote.voter == voter
            {
                last = Vote::of(vote).or(last);
            }
        }
        Ok(last)
    }

    /// The time on the ledger's clock: what "now" is for reads that
    /// depend on it (who is behind on their duties, say).
    pub fn now(&self) -> agora_events::Timestamp {
        self.clock.now()
    }

    /// Events of index list `key` (such as [`index::MEETINGS`]) up to
    /// revision `through`, decoded, newest first: the newest `newer`
    /// left out, at most `limit`; and how many the list holds in all.
    pub async fn newest_of_list(
        &self,
        community: &CommunitySlug,
        (key, through): (&str, u64),
        newer: u64,
        limit: usize,
    ) -> Result<(u64, Vec<(Event, agora_events::Metadata)>), LedgerError> {
        let (total, _) = self.read_index(community, key, through, 0, 0).await?;
        let end = total.saturating_sub(newer);
        let skip = end.saturating_sub(limit as u64);
        let count = usize::try_from(end - skip).unwrap_or(limit);
        let (_, events) = self
            .read_index(community, key, through, skip, count)
            .await?;
        let decoded: Result<Vec<_>, _> = events.iter().rev().map(history::decoded).collect();
        Ok((total, decoded?))
    }

    /// `applicant`'s latest application as the log has it up to revision
    /// `through`, decided or not (the state keeps pending ones only).
    pub async fn application_of(
        &self,
        community: &CommunitySlug,
        applicant: PioneerId,
        through: u64,
    ) -> Result<Option<agora_projections::Application>, LedgerError> {
        let mut applications = agora_projections::Applications::default();
        for committed in self.whole_history(community, applicant.0, through).await? {
            let (event, metadata) = history::decoded(&committed)?;
            applications.evolve(
                &event,
                metadata.recorded_at,
                agora_projections::Retention::History,
            );
        }
        Ok(applications.get(applicant).cloned())
    }

    /// The exchanges and listings `ids` as the log has them up to revision
    /// `through`, closed ones included, which the state no longer holds.
    pub async fn past_items(
        &self,
        community: &CommunitySlug,
        ids: &[uuid::Uuid],
        through: u64,
    ) -> Result<agora_projections::Market, LedgerError> {
        let Some(handle) = self.handle(community) else {
            return Ok(agora_projections::Market::default());
        };
        let stream = community.stream();
        history::past_items(&*self.store, &handle.recent, &stream, ids, through).await
    }

    /// The listings or exchanges of list `key` ([`index::LISTINGS`],
    /// [`index::COMPLETED_EXCHANGES`]) as they stand in `view`, newest
    /// first, those the list holds from before revision `below` if given:
    /// each as the state holds it or, once over, as the log has it. Those
    /// `pick` makes something of, at most `limit`.
    pub async fn newest_items<T>(
        &self,
        community: &CommunitySlug,
        view: &DurableView,
        (key, below): (&str, Option<u64>),
        limit: usize,
        mut pick: impl FnMut(&agora_projections::Market, uuid::Uuid) -> Option<T>,
    ) -> Result<Vec<T>, LedgerError> {
        const PAGE: u64 = 256;
        let Some(handle) = self.handle(community) else {
            return Ok(Vec::new());
        };
        let through = match below {
            None => view.revision,
            Some(0) => return Ok(Vec::new()),
            Some(below) => view.revision.min(below - 1),
        };
        let (store, recent, stream) = (&*self.store, &handle.recent, community.stream());
        let read = |skip: u64, count: u64| {
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            history::read_filed(store, recent, &stream, key, through, skip, count)
        };
        let mut end = read(0, 0).await?.0;
        let live = &view.state.market;
        let mut found = Vec::new();
        while end > 0 && found.len() < limit {
            let start = end.saturating_sub(PAGE);
            let (_, page) = read(start, end - start).await?;
            end = start;
            let mut ids = Vec::with_capacity(page.len());
            for committed in page.iter().rev() {
                let (event, _) = history::decoded(committed)?;
                ids.extend(agora_projections::Market::item_of(&event));
            }
            let over: Vec<uuid::Uuid> = ids.iter().copied().filter(|&id| !live.holds(id)).collect();
            let past = history::past_items(store, recent, &stream, &over, view.revision).await?;
            for id in ids {
                let market = if live.holds(id) { live } else { &past };
                found.extend(pick(market, id));
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// What `actor`'s command `command_id` recorded in the community, by
    /// the command's digest, up to the durable revision: how a retry that
    /// the edge would otherwise refuse (its caller no longer holds the
    /// role, the state it was resolved against moved on) is answered with
    /// the first answer. `None` when no such command was recorded.
    pub async fn recorded_command(
        &self,
        community: &CommunitySlug,
        actor: &str,
        command_id: &str,
    ) -> Result<Option<(Hash, CommandOutcome)>, LedgerError> {
        let (Some(handle), Some(view)) = (self.handle(community), self.view(community)) else {
            return Ok(None);
        };
        let (stream, key) = (community.stream(), index::command_key(actor, command_id));
        let events =
            history::read_all_filed(&*self.store, &handle.recent, &stream, &key, view.revision)
                .await?;
        let Some(first) = events.first() else {
            return Ok(None);
        };
        let (_, metadata) = history::decoded(first)?;
        let outcome = CommandOutcome {
            command_id: command_id.to_owned(),
            events,
            replayed: true,
        };
        Ok(Some((metadata.command_digest, outcome)))
    }

    /// Every event about entity `id` up to revision `through`, oldest first.
    async fn whole_history(
        &self,
        community: &CommunitySlug,
        id: uuid::Uuid,
        through: u64,
    ) -> Result<Vec<Committed>, LedgerError> {
        let Some(handle) = self.handle(community) else {
            return Ok(Vec::new());
        };
        let (stream, key) = (community.stream(), index::entity_key(id));
        history::read_all_filed(&*self.store, &handle.recent, &stream, &key, through).await
    }

    /// The lines of `account`'s statement up to revision `through` (the
    /// view whose balance the caller shows), oldest first, each with the
    /// balance after it: `skip` left out, at most `limit`, and how many
    /// there are in all.
    pub async fn statement(
        &self,
        community: &CommunitySlug,
        account: AccountId,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> Result<(u64, Vec<StatementLine>), LedgerError> {
        let (total, events) = self
            .read_index(
                community,
                &index::account_key(account),
                through,
                skip,
                limit,
            )
            .await?;
        let lines = events
            .iter()
            .map(|committed| {
                let (event, metadata) = history::decoded(committed)?;
                Movement::of(&event)
                    .and_then(|movement| movement.line_for(account, metadata.recorded_at))
                    .ok_or_else(|| {
                        LedgerError::Corrupt(format!(
                            "revision {} is filed under {account} but moves none of its credits",
                            committed.revision
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok((total, lines))
    }

    /// The community's events filed under `key` up to revision `through`,
    /// oldest first: `skip` left out, at most `limit`, and how many there
    /// are in all.
    async fn read_index(
        &self,
        community: &CommunitySlug,
        key: &str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> Result<(u64, Vec<Committed>), LedgerError> {
        let Some(handle) = self.handle(community) else {
            return Ok((0, Vec::new()));
        };
        let stream = community.stream();
        history::read_filed(
            &*self.store,
            &handle.recent,
            &stream,
            key,
            through,
            skip,
            limit,
        )
        .await
    }

    /// Up to `limit` recorded events of the community from revision `from`.
    pub async fn read_log(
        &self,
        community: &CommunitySlug,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Committed>, LedgerError> {
        history::read_committed(&*self.store, &community.stream(), from, limit).await
    }

    /// Every recorded event of the community, in order.
    pub async fn read_whole_log(
        &self,
        community: &CommunitySlug,
    ) -> Result<Vec<Committed>, LedgerError> {
        const PAGE: usize = 1_000;
        let mut events = Vec::new();
        loop {
            let page = self.read_log(community, events.len() as u64, PAGE).await?;
            if page.is_empty() {
                return Ok(events);
            }
            events.extend(page);
        }
    }

    /// Slugs of every community that exists.
    pub fn communities(&self) -> Vec<CommunitySlug> {
        let communities = self.communities.read().unwrap_or_else(|p| p.into_inner());
        let mut slugs: Vec<_> = communities
            .iter()
            .filter(|(_, handle)| handle.view.borrow().is_some())
            .map(|(slug, _)| slug.clone())
            .collect();
        slugs.sort();
        slugs
    }

    /// Carries out a command: decided, recorded durably, applied, answered.
    ///
    /// Once queued, the command completes even if the caller stops waiting;
    /// a retry with the same idempotency key then returns its result.
    pub async fn execute(&self, request: CommandRequest) -> Result<CommandOutcome, LedgerError> {
        if let Some(reason) = self.read_only_reason() {
            return Err(LedgerError::ReadOnly(reason));
        }
        if self.closing.load(Ordering::Acquire) {
            return Err(LedgerError::ShuttingDown);
        }
        let handle = match self.handle(&request.community) {
            Some(handle) => handle,
            None if matches!(request.command, Command::CreateCommunity(_)) => {
                self.handle_for_new(&request.community)
            }
            None => return Err(Rejection::CommunityNotFound.into()),
        };
        let (reply, answer) = oneshot::channel();
        handle
            .jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| LedgerError::ShuttingDown)?;
        answer.await.map_err(|_| LedgerError::ShuttingDown)?
    }

    /// Follows the store's log after cursor `from`, for as long as the
    /// ledger lives, telling each community's writer of what others
    /// record; a community created by another instance gets a writer here.
    fn follow_the_log(self: &Arc<Self>, from: crate::store::LogCursor) {
        let ledger = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            let mut from = from;
            loop {
                let Some(mut subscription) = ledger.upgrade().map(|l| l.store.subscribe_all(from))
                else {
                    return;
                };
                while let Some(heard) = subscription.next().await {
                    let event = match heard {
                        Ok(event) => event,
                        Err(error) => {
                            tracing::warn!(%error, "lost the store's log; following it again");
                            break;
                        }
                    };
                    from = event.cursor;
                    let Some(ledger) = ledger.upgrade() else {
                        return;
                    };
                    ledger.hear(&event.stream, event.revision).await;
                }
                tokio::time::sleep(FOLLOW_RETRY_AFTER).await;
            }
        });
        *self.follower.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    /// Another instance recorded revision `revision` of `stream`: its
    /// community's writer catches up (once it is done with its batch).
    async fn hear(&self, stream: &str, revision: u64) {
        let Some(slug) = history::community_of(stream) else {
            return; // not a community's ledger
        };
        if self.closing.load(Ordering::Acquire) {
            return;
        }
        let handle = match self.handle(&slug) {
            Some(handle) => handle,
            None => {
                // Without the mark (the store did not answer), the writer
                // files every event again as it catches up: filing is
                // idempotent, and the event heard of is not lost.
                let mark = self.store.index_mark(stream).await.unwrap_or_else(|error| {
                    tracing::warn!(%stream, %error, "no index mark for a new community; filing it whole");
                    None
                });
                let mut state = writer::WriterState::filed_through(mark);
                state.writes_beside_the_log = !self.is_read_only();
                self.start_writer(slug, state)
            }
        };
        let events = revision + 1;
        handle.heard.send_if_modified(|heard| {
            let newer = events > *heard;
            if newer {
                *heard = events;
            }
            newer
        });
    }

    /// Closes every open ballot whose close time has passed, as the
    /// service (`system`). Returns how many it closed. Safe to run
    /// concurrently with the gardener closing by hand: a ballot closes once.
    pub async fn close_due_ballots(&self) -> usize {
        let now = self.clock.now();
        let mut closed = 0;
        for community in self.communities() {
            let Some(view) = self.view(&community) else {
                continue;
            };
            for ballot_id in view.state.ballots.due(now) {
                // A space: no client can send this key (theirs are visible
                // ASCII), and keys are the caller's own anyway.
                let key = format!("close ballot {ballot_id}");
                let request = CommandRequest {
                    community: community.clone(),
                    command: Command::CloseBallot(crate::domain::CloseBallot {
                        ballot_id,
                        closed_by: agora_events::Closure::Schedule,
                        key: None,
                    }),
                    actor: Actor {
                        id: SYSTEM_ACTOR.into(),
                        role: agora_events::Role::System,
                    },
                    command_digest: Hash::of(key.as_bytes()),
                    idempotency_key: Some(key),
                    correlation_id: CorrelationId(self.clock.new_id()),
                    new_key: None,
                };
                match self.execute(request).await {
                    Ok(outcome) if !outcome.replayed => closed += 1,
                    Ok(_) | Err(LedgerError::Rejected(Rejection::BallotClosed { .. })) => {}
                    Err(error) => {
                        tracing::warn!(%community, %ballot_id, %error, "could not close a due ballot");
                    }
                }
            }
        }
        closed
    }

    /// Closes due ballots every `period` until shutdown (not when read-only).
    pub fn start_scheduler(self: &Arc<Self>, period: std::time::Duration) {
        if self.is_read_only() {
            return;
        }
        let ledger = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                ticks.tick().await;
                let Some(ledger) = ledger.upgrade() else {
                    return;
                };
                if ledger.closing.load(Ordering::Acquire) {
                    return;
                }
                ledger.close_due_ballots().await;
            }
        });
        *self.scheduler.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    /// Stops taking commands, lets every writer finish what is queued, then
    /// shuts the store down.
    pub async fn shutdown(&self) {
        self.closing.store(true, Ordering::Release);
        // Both awaited once aborted, so that nothing of them (a handle on
        // the store) is left once the ledger has shut down.
        let background = [&self.scheduler, &self.follower, &self.verification]
            .map(|task| task.lock().unwrap_or_else(|p| p.into_inner()).take());
        for task in background.into_iter().flatten() {
            task.abort();
            let _ = task.await;
        }
        // Each writer finishes once its queue closes; closed in the
        // communities' order, so that a stop does the same things in the
        // same order each time.
        let mut handles: Vec<_> = self
            .communities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        handles.sort_by(|(a, _), (b, _)| a.cmp(b));
        for handle in handles {
            drop(handle);
            tokio::task::yield_now().await;
        }
        let writers = std::mem::take(&mut *self.writers.lock().unwrap_or_else(|p| p.into_inner()));
        for writer in writers {
            let _ = writer.await;
        }
        self.store.shutdown().await;
    }

    fn handle(&self, community: &CommunitySlug) -> Option<CommunityHandle> {
        let communities = self.communities.read().unwrap_or_else(|p| p.into_inner());
        communities.get(community).cloned()
    }

    /// The handle of a community about to be created; one writer per slug
    /// even when two creations race.
    fn handle_for_new(&self, community: &CommunitySlug) -> CommunityHandle {
        if let Some(handle) = self.handle(community) {
            return handle;
        }
        self.start_writer(community.clone(), writer::WriterState::empty())
    }

    fn start_writer(&self, slug: CommunitySlug, state: writer::WriterState) -> CommunityHandle {
        let mut communities = self.communities.write().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = communities.get(&slug) {
            return handle.clone();
        }
        let (jobs, queue) = mpsc::channel(COMMAND_QUEUE_MAX);
        let (views, view) = watch::channel(state.view());
        let (heard, heard_of) = watch::channel(0);
        let recent = Arc::clone(&state.recent);
        let writer = writer::Writer::new(
            slug.clone(),
            Arc::clone(&self.store),
            Arc::clone(&self.clock),
            self.cadence,
            Arc::clone(&self.keys),
            state,
            views,
        )
        .saving_no_snapshot_once(Arc::clone(&self.read_only));
        let task = tokio::spawn(writer.run(queue, heard_of));
        self.writers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
        let handle = CommunityHandle {
            jobs,
            view,
            recent,
            heard: Arc::new(heard),
        };
        communities.insert(slug, handle.clone());
        handle
    }
}

/// Keys that must not outlive a restart: those of forgotten pioneers (the
/// service stopped between recording the erasure and destroying the key),
/// of closed ballots (their closing revealed them), of applications
/// declined or withdrawn, of webhooks removed, and those of no pioneer,
/// pending application, ballot or webhook at all (an admission, an application or an opening that was
/// never recorded).
///
/// On a shared store the last kind stays: another instance keeps a new
/// pioneer's, applicant's or ballot's key just before it records the
/// admission, the application or the opening, and that key must not be
/// taken from under it. Such a key is destroyed only if the log says its
/// owner applied and was declined or withdrew: the owner's history, from
/// the store's index, tells (the state keeps pending applications only).
async fn remove_stale_keys(
    store: &dyn EventStore,
    keys: &KeyRing,
    loaded: &HashMap<CommunitySlug, writer::WriterState>,
) -> Result<(), LedgerError> {
    let shared = store.is_shared();
    let states: Vec<_> = loaded
        .values()
        .filter_map(|community| community.state.as_deref())
        .collect();
    for holder in keys.holders() {
        let pioneer = states.iter().find_map(|state| state.pioneer(holder));
        let ballot = states
            .iter()
            .find_map(|state| state.ballots.get(agora_events::BallotId(holder.0)));
        let open_ballot = ballot.is_some_and(|ballot| ballot.is_open());
        let applying = states
            .iter()
            .any(|state| state.applications.pending(holder).is_some());
        let webhook = states.iter().any(|state| {
            state
                .webhooks
                .contains_key(&agora_events::WebhookId(holder.0))
        });
        if applying || open_ballot || webhook || pioneer.is_some_and(|pioneer| !pioneer.forgotten) {
            continue;
        }
        if shared
            && pioneer.is_none()
            && ballot.is_none()
            && !application_decided(store, loaded, holder).await?
        {
            continue;
        }
        tracing::info!(owner = %holder, "destroying a key that must not exist");
        keys.destroy(holder).await?;
    }
    Ok(())
}

/// Whether the log of some community holds an application by `applicant`
/// that was declined or withdrawn (and no pending one since).
async fn application_decided(
    store: &dyn EventStore,
    loaded: &HashMap<CommunitySlug, writer::WriterState>,
    applicant: PioneerId,
) -> Result<bool, LedgerError> {
    for (slug, community) in loaded {
        let Some(through) = community.revision else {
            continue;
        };
        let key = index::entity_key(applicant.0);
        let history =
            history::read_all_filed(store, &community.recent, &slug.stream(), &key, through)
                .await?;
        let mut applications = agora_projections::Applications::default();
        for committed in &history {
            let (event, metadata) = history::decoded(committed)?;
            applications.evolve(
                &event,
                metadata.recorded_at,
                agora_projections::Retention::History,
            );
        }
        let decided = applications.get(applicant).is_some_and(|application| {
            matches!(
                application.status,
                agora_projections::ApplicationStatus::Declined { .. }
                    | agora_projections::ApplicationStatus::Withdrawn { .. }
            )
        });
        if decided {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Compares the state `verifier` folded from the log with the one the
/// ledger serves (`served`): the verifier first reads on to the revision
/// served, over the commands recorded during its pass. `None` when they
/// cannot be compared: a break, or a view older than what was read. When
/// they differ (a snapshot that does not match its log was loaded), also
/// the snapshot of what the log folds to, to start from next time.
async fn same_as_served(
    store: &dyn EventStore,
    community: &CommunitySlug,
    verifier: &mut crate::audit::verify::Verifier,
    served: &DurableView,
) -> Option<(crate::audit::verify::Check, Option<snapshot::Snapshot>)> {
    let stream = community.stream();
    while verifier.first_break().is_none() && verifier.events_read() <= served.revision {
        let from = verifier.events_read();
        let wanted = usize::try_from(served.revision + 1 - from).unwrap_or(usize::MAX);
        let page = store
            .read_stream(&stream, from, wanted.min(crate::store::READ_EVENTS_MAX))
            .await
            .ok()?;
        if page.is_empty() {
            return None;
        }
        let before = verifier.events_read();
        for stored in page
            .iter()
            .take_while(|stored| stored.revision <= served.revision)
        {
            verifier.push_stored(stored);
        }
        if verifier.events_read() == before {
            return None; // the log skips what was asked for
        }
    }
    if verifier.first_break().is_some() || verifier.events_read() != served.revision + 1 {
        return None;
    }
    let replayed = verifier.state()?;
    let check = crate::audit::verify::same_state(&served.state, replayed);
    let snapshot = match (check.holds, verifier.last_recorded_at()) {
        (false, Some(last_recorded_at)) => Some(snapshot::Snapshot {
            format: snapshot::SNAPSHOT_FORMAT,
            revision: served.revision,
            head: verifier.head(),
            last_recorded_at,
            state: replayed.clone(),
        }),
        _ => None,
    };
    Some((check, snapshot))
}

/// One pass of the background check: every community's chain and figures
/// from its first event. A chain found whole moves its verified mark; a
/// break switches the ledger to read-only and says so loudly. False once
/// the ledger is gone.
async fn verify_every_chain(ledger: &std::sync::Weak<Ledger>) -> bool {
    let Some(communities) = ledger.upgrade().map(|ledger| ledger.communities()) else {
        return false;
    };
    for community in communities {
        let Some(store) = ledger.upgrade().map(|ledger| Arc::clone(&ledger.store)) else {
            return false;
        };
        // The mark as the log was read: one moved back meanwhile (a break
        // another instance found) stays where it was put.
        let marked = match store.load_verified_mark(&community.stream()).await {
            Ok(marked) => marked,
            Err(error) => {
                tracing::warn!(%community, %error, "could not read the verified mark");
                continue;
            }
        };
        let mut verifier = match crate::audit::verify_stream(&*store, &community.stream()).await {
            Ok(verifier) => verifier,
            Err(error) => {
                tracing::warn!(%community, %error, "could not verify the community's log");
                continue;
            }
        };
        let Some(served) = ledger.upgrade().map(|ledger| ledger.view(&community)) else {
            return false;
        };
        let replayed = match served {
            Some(served) => same_as_served(&*store, &community, &mut verifier, &served).await,
            None => None,
        };
        let mut verification = verifier.verification();
        verification
            .checks
            .extend(replayed.as_ref().map(|(check, _)| check.clone()));
        if verification.ok() {
            tracing::info!(%community, events = verification.events, "the community's log verifies");
            // The next start checks only what comes after.
            if let Some(revision) = verification.verified.checked_sub(1) {
                let to = (revision, verification.head);
                match store
                    .advance_verified_mark(&community.stream(), marked, to)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::info!(
                        %community,
                        "the verified mark moved meanwhile; kept where it is"
                    ),
                    Err(error) => {
                        tracing::warn!(%community, %error, "could not keep the verified mark");
                    }
                }
            }
            continue;
        }
        drop(store);
        let Some(ledger) = ledger.upgrade() else {
            return false;
        };
        let corrected = replayed.and_then(|(check, snapshot)| snapshot.filter(|_| !check.holds));
        ledger
            .found_damaged(&community, &verification, corrected)
            .await;
    }
    true
}
