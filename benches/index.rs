//! The index as the log grows: what filing a community's events costs the
//! SQLite store's index writer, from a fresh store to a long log, beside
//! the same rows inserted with raw rusqlite into one table, in the same
//! run.
//!
//! Run: `cargo bench --bench index -- [--events N]` (1,000,000 by default)
//!
//! Each event is filed under a transfer's six keys, made as the ledger
//! makes them: the new transfer's id (made in time order), each of the two
//! pioneers, each of their two accounts, and the command that recorded it
//! (a hash, at a random place among the keys). Events are filed 4,096 at a
//! time, as the service files them while it runs. The figure is the CPU
//! time of the thread that files (`/proc/.../schedstat`), per event, for
//! each tenth of the log: flat is what the long log asks for.
//!
//! The baselines, measured in the same run before the store: the same
//! rows, sorted, inserted with raw rusqlite into one `WITHOUT ROWID` table
//! with the index's key, in transactions of the same size, with the same
//! write-ahead log settings; and the same without the command keys, the
//! only ones that land at random places. Then, for each, the cost of
//! looking up a command key never filed (what every retry check does) on
//! the fresh store and on the long log.

use std::path::Path;
use std::time::Instant;

use agora::ledger::index::{FILE_CHUNK_EVENTS, account_key, command_key, entity_key};
use agora::store::{EventStore, ExpectedRevision, IndexEntry, ProposedEvent, SqliteStore};
use agora_events::{AccountId, PioneerId};
use rusqlite::{Connection, params};
use uuid::Uuid;

const STREAM: &str = "community-bench";
const PIONEERS: usize = 64;
const EVENTS_DEFAULT: u64 = 1_000_000;
const APPEND_BATCH: u64 = 1_000;
const LOOKUPS: usize = 2_000;
const TENTHS: u64 = 10;

/// The keys of the transfer at `revision`, as the ledger files them.
fn transfer_keys(revision: u64, pioneers: &[Uuid], rows: Rows) -> Vec<String> {
    let payer = pioneers[(revision as usize * 7) % pioneers.len()];
    let payee = pioneers[(revision as usize * 13 + 1) % pioneers.len()];
    let mut keys = vec![
        entity_key(Uuid::now_v7()),
        entity_key(payer),
        entity_key(payee),
        account_key(AccountId::Pioneer(PioneerId(payer))),
        account_key(AccountId::Pioneer(PioneerId(payee))),
    ];
    if rows == Rows::All {
        keys.push(command_key("bench", &format!("transfer-{revision}")));
    }
    keys
}

/// The entries of the events from `start` to before `end`.
fn entries(start: u64, end: u64, pioneers: &[Uuid], rows: Rows) -> Vec<IndexEntry> {
    (start..end)
        .flat_map(|revision| {
            transfer_keys(revision, pioneers, rows)
                .into_iter()
                .map(move |key| IndexEntry { key, revision })
        })
        .collect()
}

/// Nanoseconds a thread of this process has spent on a CPU.
fn cpu_ns(task: &Path) -> u64 {
    let stat = std::fs::read_to_string(task.join("schedstat")).unwrap();
    stat.split_whitespace().next().unwrap().parse().unwrap()
}

/// This process's thread named `name`.
fn thread_named(name: &str) -> std::path::PathBuf {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .map(|task| task.unwrap().path())
        .find(|task| {
            std::fs::read_to_string(task.join("comm")).is_ok_and(|comm| comm.trim() == name)
        })
        .unwrap_or_else(|| panic!("no thread named {name}"))
}

/// CPU µs per event for each tenth of the log.
type Tenths = Vec<f64>;

/// The CPU time of filings, summed by tenth of the log.
struct ByTenth {
    tenth: u64,
    filed: u64,
    spent_ns: u64,
    tenths: Tenths,
}

impl ByTenth {
    fn new(events: u64) -> Self {
        Self {
            tenth: events / TENTHS,
            filed: 0,
            spent_ns: 0,
            tenths: Vec::new(),
        }
    }

    /// A filing of `events` events took `spent_ns` of CPU.
    fn add(&mut self, events: u64, spent_ns: u64) {
        self.filed += events;
        self.spent_ns += spent_ns;
        if self.filed >= self.tenth {
            self.close();
        }
    }

    fn close(&mut self) {
        if self.filed > 0 {
            let per_event = self.spent_ns as f64 / self.filed as f64 / 1_000.0;
            self.tenths.push(per_event);
            (self.filed, self.spent_ns) = (0, 0);
        }
    }

    fn finish(mut self) -> Tenths {
        self.close();
        self.tenths
    }
}

/// The revisions of each filing, as the service files them while it runs.
fn filings(events: u64) -> impl Iterator<Item = (u64, u64)> {
    (0..events)
        .step_by(FILE_CHUNK_EVENTS as usize)
        .map(move |start| (start, (start + FILE_CHUNK_EVENTS).min(events)))
}

async fn measure_store(events: u64, pioneers: &[Uuid]) -> (Tenths, f64, f64) {
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(directory.path().join("bench.db")).unwrap();
    let mut appended = 0;
    while appended < events {
        let batch = APPEND_BATCH.min(events - appended);
        let proposed = (0..batch)
            .map(|_| ProposedEvent {
                event_id: Uuid::now_v7(),
                event_type: "TimeCreditsTransferred".into(),
                data: vec![b'd'; 200],
                metadata: vec![b'm'; 100],
            })
            .collect();
        let expected = match appended {
            0 => ExpectedRevision::NoStream,
            n => ExpectedRevision::Exact(n - 1),
        };
        store.append(STREAM, expected, proposed).await.unwrap();
        appended += batch;
    }
    let filer = thread_named("agora-sqlite-in");
    let fresh = lookup_store(&store, events).await;
    let mut tenths = ByTenth::new(events);
    for (start, end) in filings(events) {
        let chunk = entries(start, end, pioneers, Rows::All);
        let before = cpu_ns(&filer);
        store.file_index(STREAM, chunk, end - 1).await.unwrap();
        tenths.add(end - start, cpu_ns(&filer) - before);
    }
    let tenths = tenths.finish();
    let long = lookup_store(&store, events).await;
    store.shutdown().await;
    (tenths, fresh, long)
}

/// µs per lookup of a command key never filed, through the store.
async fn lookup_store(store: &SqliteStore, events: u64) -> f64 {
    let started = Instant::now();
    for n in 0..LOOKUPS {
        let key = command_key("bench", &format!("never-{n}"));
        let found = store
            .read_index_first(STREAM, vec![key], events - 1, 4_096)
            .await
            .unwrap();
        assert!(found[0].is_empty());
    }
    started.elapsed().as_secs_f64() * 1e6 / LOOKUPS as f64
}

/// Which rows are filed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    All,
    WithoutCommandKeys,
}

fn measure_raw(events: u64, pioneers: &[Uuid], rows: Rows) -> (Tenths, f64, f64) {
    let directory = tempfile::tempdir().unwrap();
    let connection = Connection::open(directory.path().join("raw.db")).unwrap();
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 16384;
             CREATE TABLE entries (
                 stream   INTEGER NOT NULL,
                 key      TEXT    NOT NULL,
                 revision INTEGER NOT NULL,
                 PRIMARY KEY (stream, key, revision)
             ) STRICT, WITHOUT ROWID;",
        )
        .unwrap();
    let me = Path::new("/proc/thread-self").to_path_buf();
    let lookup = |connection: &Connection| {
        let mut select = connection
            .prepare_cached("SELECT revision FROM entries WHERE stream = 1 AND key = ?1")
            .unwrap();
        let started = Instant::now();
        for n in 0..LOOKUPS {
            let key = command_key("bench", &format!("never-{n}"));
            assert!(select.query_row([key], |_| Ok(())).is_err());
        }
        started.elapsed().as_secs_f64() * 1e6 / LOOKUPS as f64
    };
    let fresh = lookup(&connection);
    let mut tenths = ByTenth::new(events);
    for (start, end) in filings(events) {
        let mut chunk = entries(start, end, pioneers, rows);
        let before = cpu_ns(&me);
        chunk.sort_unstable_by(|a, b| (&a.key, a.revision).cmp(&(&b.key, b.revision)));
        let transaction = connection.unchecked_transaction().unwrap();
        {
            let mut insert = transaction
                .prepare_cached("INSERT OR IGNORE INTO entries VALUES (1, ?1, ?2)")
                .unwrap();
            for entry in &chunk {
                insert
                    .execute(params![entry.key, entry.revision as i64])
                    .unwrap();
            }
        }
        transaction.commit().unwrap();
        tenths.add(end - start, cpu_ns(&me) - before);
    }
    let long = lookup(&connection);
    (tenths.finish(), fresh, long)
}

fn show(name: &str, (tenths, fresh, long): &(Tenths, f64, f64)) {
    let figures: Vec<String> = tenths.iter().map(|us| format!("{us:5.2}")).collect();
    let mean = |some: &[f64]| some.iter().sum::<f64>() / some.len() as f64;
    // Two tenths and three: single tenths are as noisy as this machine.
    let first = mean(&tenths[..2.min(tenths.len())]);
    let last = mean(&tenths[tenths.len().saturating_sub(3)..]);
    println!(
        "{name:<28} CPU µs per event filed, by tenth of the log: {}",
        figures.join(" ")
    );
    println!(
        "{:<28} last three tenths / first two: {last:.2} / {first:.2} = {:.2}; lookup of a new \
         command key: {fresh:.1} µs fresh, {long:.1} µs on the long log",
        "",
        last / first
    );
}

#[tokio::main]
async fn main() {
    let mut events = EVENTS_DEFAULT;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--events" {
            events = arguments
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--events N");
        }
    }
    let pioneers: Vec<Uuid> = (0..PIONEERS).map(|_| Uuid::now_v7()).collect();
    println!("{events} events, six keys each, filed {FILE_CHUNK_EVENTS} at a time");
    for (name, rows) in [
        ("raw rusqlite, same rows", Rows::All),
        ("raw, without command keys", Rows::WithoutCommandKeys),
    ] {
        let pioneers = pioneers.clone();
        let raw = std::thread::spawn(move || measure_raw(events, &pioneers, rows))
            .join()
            .unwrap();
        show(name, &raw);
    }
    let store = measure_store(events, &pioneers).await;
    show("the store's index", &store);
}
