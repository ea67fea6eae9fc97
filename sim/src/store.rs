//! A store adapter that injects faults, chosen by the run's seed, in front
//! of the in-memory store, behind the same port the ledger uses.
//!
//! Each incarnation of the service gets its own handle on one shared store.
//! A crash kills the handle: whatever the dead process still had in flight
//! never reaches the store, as after a `kill -9`.
//!
//! Whether a call fails is decided from the seed, the call's kind and
//! arguments, and how many times that same call was made before, never
//! from the order of unrelated calls: background work that runs a little
//! earlier or later does not change which calls fail.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use agora::store::{
    AppendOutcome, BoxFuture, EventStore, ExpectedRevision, IndexEntry, IndexPage, KeyStore,
    LogCursor, MemoryStore, ProposedEvent, StoreError, StoredEvent, StoredKey, StoredSnapshot,
    Subscription,
};
use uuid::Uuid;

use crate::rng::mix;

/// How often each fault strikes, in calls per thousand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRates {
    /// An append fails before anything is durable.
    pub append_fails: u32,
    /// An append becomes durable, and its answer is lost.
    pub answer_lost: u32,
    /// An append waits while other work goes on.
    pub slow_append: u32,
    /// A read fails.
    pub read_fails: u32,
    /// The process dies in the middle of writing a snapshot.
    pub torn_snapshot: u32,
    /// Filing index entries fails.
    pub filing_fails: u32,
    /// Keeping or destroying a personal-data key fails.
    pub key_write_fails: u32,
}

impl FaultRates {
    pub const NONE: Self = Self {
        append_fails: 0,
        answer_lost: 0,
        slow_append: 0,
        read_fails: 0,
        torn_snapshot: 0,
        filing_fails: 0,
        key_write_fails: 0,
    };

    /// Rates drawn from the seed: some runs nearly quiet, some stormy.
    pub fn drawn(rng: &mut crate::rng::Rng) -> Self {
        let mut rate = |most: i64| rng.between(0, most) as u32;
        Self {
            append_fails: rate(60),
            answer_lost: rate(60),
            slow_append: rate(150),
            read_fails: rate(30),
            torn_snapshot: rate(300),
            filing_fails: rate(200),
            key_write_fails: rate(100),
        }
    }
}

/// The kinds of fault, as counted and journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    AppendFails,
    AnswerLost,
    SlowAppend,
    ReadFails,
    TornSnapshot,
    FilingFails,
    KeyWriteFails,
    /// Planted: an append answers that it is durable, and writes nothing.
    LyingAppend,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Self::AppendFails => "append fails",
            Self::AnswerLost => "append durable, answer lost",
            Self::SlowAppend => "slow append",
            Self::ReadFails => "read fails",
            Self::TornSnapshot => "crash while writing a snapshot",
            Self::FilingFails => "index filing fails",
            Self::KeyWriteFails => "key write fails",
            Self::LyingAppend => "PLANTED: append acknowledged, nothing written",
        }
    }
}

/// What every handle of one run shares: the store itself and the dice.
pub struct Faults {
    pub store: Arc<MemoryStore>,
    seed: u64,
    rates: Mutex<FaultRates>,
    plant: Option<crate::Plant>,
    /// How many times each call (kind and arguments) was made so far.
    calls: Mutex<HashMap<u64, u64>>,
    /// Faults injected so far, by kind.
    injected: Mutex<BTreeMap<Fault, u64>>,
    /// What happened, for the replay of a failing seed.
    journal: Mutex<Vec<String>>,
    /// Set when a fault killed the process; the run restarts it.
    crashed: AtomicBool,
    /// Whether several instances share the store.
    shared: AtomicBool,
}

impl Faults {
    pub fn new(seed: u64, rates: FaultRates, plant: Option<crate::Plant>) -> Arc<Self> {
        Arc::new(Self {
            store: Arc::new(MemoryStore::new()),
            seed,
            rates: Mutex::new(rates),
            plant,
            calls: Mutex::new(HashMap::new()),
            injected: Mutex::new(BTreeMap::new()),
            journal: Mutex::new(Vec::new()),
            crashed: AtomicBool::new(false),
            shared: AtomicBool::new(false),
        })
    }

    /// Several instances of the service run on the store from now on: it
    /// says it is shared, and each follows the others' writes.
    pub fn share(&self) {
        self.shared.store(true, Ordering::Release);
    }

    /// A handle for a new incarnation of the service.
    pub fn handle(self: &Arc<Self>) -> Arc<FaultyStore> {
        Arc::new(FaultyStore {
            faults: Arc::clone(self),
            alive: AtomicBool::new(true),
        })
    }

    /// Changes the rates from now on: a test aims a fault at one call.
    pub fn set_rates(&self, rates: FaultRates) {
        *lock(&self.rates) = rates;
    }

    fn rates(&self) -> FaultRates {
        *lock(&self.rates)
    }

    pub fn injected(&self) -> BTreeMap<Fault, u64> {
        lock(&self.injected).clone()
    }

    /// Takes what was journaled since the last call.
    pub fn take_journal(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.journal))
    }

    /// Whether a fault killed the process since the last call.
    pub fn take_crash(&self) -> bool {
        self.crashed.swap(false, Ordering::AcqRel)
    }

    /// Whether `fault` strikes this call of `call` with these `words`.
    fn strikes(&self, fault: Fault, rate: u32, call: &str, words: &[u64]) -> bool {
        if rate == 0 {
            return false;
        }
        let call_id = mix(
            self.seed,
            call.bytes()
                .map(u64::from)
                .chain([fault as u64])
                .chain(words.iter().copied()),
        );
        let nth = {
            let mut calls = lock(&self.calls);
            let count = calls.entry(call_id).or_default();
            *count += 1;
            *count
        };
        let strikes = mix(call_id, [nth]) % 1_000 < u64::from(rate);
        if strikes {
            *lock(&self.injected).entry(fault).or_default() += 1;
            lock(&self.journal).push(format!("  fault: {} ({call})", fault.name()));
        }
        strikes
    }
}

/// One incarnation's view of the store.
pub struct FaultyStore {
    faults: Arc<Faults>,
    alive: AtomicBool,
}

fn text(words: &str) -> u64 {
    mix(0, words.bytes().map(u64::from))
}

fn gone() -> StoreError {
    StoreError::Unavailable("the process is gone".into())
}

fn injected(what: &str) -> StoreError {
    StoreError::Unavailable(format!("injected fault: {what}"))
}

impl FaultyStore {
    /// Kills this incarnation: nothing it still sends reaches the store.
    /// Whether this incarnation still runs.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    pub fn kill(&self) {
        self.alive.store(false, Ordering::Release);
    }

    fn check_alive(&self) -> Result<(), StoreError> {
        if self.alive.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(gone())
        }
    }

    fn inner(&self) -> &MemoryStore {
        &self.faults.store
    }

    /// Fails a read when the dice say so.
    fn read_check(&self, call: &str, words: &[u64]) -> Result<(), StoreError> {
        self.check_alive()?;
        let faults = &self.faults;
        if faults.strikes(Fault::ReadFails, faults.rates().read_fails, call, words) {
            return Err(injected("read fails"));
        }
        Ok(())
    }
}

impl EventStore for FaultyStore {
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>> {
        Box::pin(async move {
            self.check_alive()?;
            let faults = &self.faults;
            let rates = faults.rates();
            let words = [text(stream), expected_word(expected)];
            if faults.strikes(Fault::SlowAppend, rates.slow_append, "append", &words) {
                for _ in 0..8 {
                    tokio::task::yield_now().await;
                }
                self.check_alive()?;
            }
            if faults.strikes(Fault::AppendFails, rates.append_fails, "append", &words) {
                return Err(injected("append fails"));
            }
            if faults.plant == Some(crate::Plant::LyingAppend)
                && faults.strikes(Fault::LyingAppend, 20, "append", &words)
            {
                return Ok(pretend(expected, events.len()));
            }
            let outcome = self.inner().append(stream, expected, events).await?;
            if faults.strikes(Fault::AnswerLost, rates.answer_lost, "append", &words) {
                return Err(injected("answer lost"));
            }
            Ok(outcome)
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(async move {
            self.read_check("read_stream", &[text(stream), from])?;
            self.inner().read_stream(stream, from, limit).await
        })
    }

    fn read_all(
        &self,
        from: LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(async move {
            let (major, minor) = from.to_store();
            self.read_check("read_all", &[major, minor])?;
            self.inner().read_all(from, limit).await
        })
    }

    fn read_index<'a>(
        &'a self,
        stream: &'a str,
        key: &'a str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<IndexPage, StoreError>> {
        Box::pin(async move {
            self.read_check("read_index", &[text(stream), text(key), through, skip])?;
            self.inner()
                .read_index(stream, key, through, skip, limit)
                .await
        })
    }

    fn read_index_first<'a>(
        &'a self,
        stream: &'a str,
        keys: Vec<String>,
        through: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Vec<StoredEvent>>, StoreError>> {
        Box::pin(async move {
            let words: Vec<u64> = [text(stream), through]
                .into_iter()
                .chain(keys.iter().map(|key| text(key)))
                .collect();
            self.read_check("read_index_first", &words)?;
            self.inner()
                .read_index_first(stream, keys, through, limit)
                .await
        })
    }

    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        Box::pin(async move {
            self.read_check("index_mark", &[text(stream)])?;
            self.inner().index_mark(stream).await
        })
    }

    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.check_alive()?;
            let faults = &self.faults;
            let words = [text(stream), through];
            if faults.strikes(
                Fault::FilingFails,
                faults.rates().filing_fails,
                "file_index",
                &words,
            ) {
                return Err(injected("filing fails"));
            }
            self.inner().file_index(stream, entries, through).await
        })
    }

    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            self.read_check("streams", &[])?;
            let mut streams = self.inner().streams().await?;
            // The port promises no order; the run needs one.
            streams.sort();
            Ok(streams)
        })
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        mut data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.check_alive()?;
            let faults = &self.faults;
            let words = [text(stream), revision];
            if faults.strikes(
                Fault::TornSnapshot,
                faults.rates().torn_snapshot,
                "save_snapshot",
                &words,
            ) {
                // Half the bytes reach the disk, then the process dies.
                data.truncate(data.len() / 2);
                let _ = self.inner().save_snapshot(stream, revision, data).await;
                self.kill();
                faults.crashed.store(true, Ordering::Release);
                return Err(gone());
            }
            self.inner().save_snapshot(stream, revision, data).await
        })
    }

    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.check_alive()?;
            self.inner().replace_snapshot(stream, revision, data).await
        })
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>> {
        Box::pin(async move {
            self.read_check("load_snapshot", &[text(stream)])?;
            self.inner().load_snapshot(stream).await
        })
    }

    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: agora_events::Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.check_alive()?;
            self.inner()
                .save_verified_mark(stream, revision, head)
                .await
        })
    }

    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, agora_events::Hash)>, StoreError>> {
        Box::pin(async move {
            self.read_check("load_verified_mark", &[text(stream)])?;
            self.inner().load_verified_mark(stream).await
        })
    }

    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            self.read_check("marked_streams", &[])?;
            self.inner().marked_streams().await
        })
    }

    fn subscribe_all(&self, from: LogCursor) -> Subscription {
        self.inner().subscribe_all(from)
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { self.check_alive() })
    }

    fn end_cursor(&self) -> BoxFuture<'_, Result<LogCursor, StoreError>> {
        Box::pin(async move {
            self.read_check("end_cursor", &[])?;
            self.inner().end_cursor().await
        })
    }

    fn is_shared(&self) -> bool {
        self.faults.shared.load(Ordering::Acquire)
    }

    /// The process stops; the store, shared with the next one, stays.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.kill() })
    }
}

impl KeyStore for FaultyStore {
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.key_write_check("put_key", id)?;
            self.inner().put_key(id, key).await
        })
    }

    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.key_write_check("delete_key", id)?;
            self.inner().delete_key(id).await
        })
    }

    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>> {
        Box::pin(async move {
            self.read_check("load_keys", &[])?;
            let mut keys = self.inner().load_keys().await?;
            keys.sort();
            Ok(keys)
        })
    }

    fn load_key(&self, id: Uuid) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move {
            let keys = self.load_keys().await?;
            Ok(keys
                .into_iter()
                .find(|(kept, _)| *kept == id)
                .map(|(_, key)| key))
        })
    }
}

impl FaultyStore {
    fn key_write_check(&self, call: &str, id: Uuid) -> Result<(), StoreError> {
        self.check_alive()?;
        let faults = &self.faults;
        let (high, low) = id.as_u64_pair();
        if faults.strikes(
            Fault::KeyWriteFails,
            faults.rates().key_write_fails,
            call,
            &[high, low],
        ) {
            return Err(injected("key write fails"));
        }
        Ok(())
    }
}

/// The answer of an append that wrote `count` events, without writing
/// them.
fn pretend(expected: ExpectedRevision, count: usize) -> AppendOutcome {
    let first = match expected {
        ExpectedRevision::Exact(revision) => revision + 1,
        ExpectedRevision::NoStream | ExpectedRevision::Any => 0,
    };
    let revisions = first..first + count as u64;
    AppendOutcome {
        last_revision: revisions.clone().last(),
        positions: revisions.map(|revision| u64::MAX / 2 + revision).collect(),
    }
}

fn expected_word(expected: ExpectedRevision) -> u64 {
    match expected {
        ExpectedRevision::Any => u64::MAX,
        ExpectedRevision::NoStream => u64::MAX - 1,
        ExpectedRevision::Exact(revision) => revision,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
