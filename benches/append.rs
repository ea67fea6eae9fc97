//! Durable append throughput and latency of the SQLite store, beside a raw
//! rusqlite baseline measured in the same run; with `--postgres URL`, of
//! the PostgreSQL store, beside raw inserts into the same server.
//!
//! Run: `cargo bench --bench append -- [--seconds N] [--postgres URL]`
//!
//! - Concurrent appenders: for 1, 8 and 64 appenders, each appending one
//!   event at a time to its own stream with an exact expected revision, it
//!   reports events/s and p50/p99 latency. The baseline inserts the same
//!   rows from one thread in transactions of as many events as there are
//!   appenders (the best any group commit could do).
//! - One stream, as a community's writer appends: appends of 1, 8 and 32
//!   events to one stream, one after the other. The baseline inserts the
//!   same rows into one stream in transactions of the same size.
//!
//! Both baselines use the same table, indexes and `synchronous=FULL` WAL
//! setup as the store (on PostgreSQL: the same table and indexes, each row
//! inserted by its own statement, in transactions of the same size, with
//! the server's default durability, as the store's).

#[path = "../tests/support/postgres.rs"]
#[allow(dead_code)] // the tests' part of it
mod postgres;

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora::store::{EventStore, ExpectedRevision, PostgresStore, ProposedEvent, SqliteStore};
use rusqlite::{Connection, params};
use uuid::Uuid;

/// Where the store under measure keeps its events.
#[derive(Clone)]
enum Backend {
    Sqlite,
    /// The database at this URL (each measure in a fresh schema).
    Postgres(String),
}

/// A store on `backend`, and what must be dropped after it.
async fn open(backend: &Backend) -> (Arc<dyn EventStore>, Cleanup) {
    match backend {
        Backend::Sqlite => {
            let directory = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(directory.path().join("bench.db")).unwrap();
            (Arc::new(store), Cleanup::Directory(directory))
        }
        Backend::Postgres(url) => {
            let (schema, scoped) = postgres::new_schema(url, "bench_append").await;
            let store = PostgresStore::open(&scoped).await.unwrap();
            (Arc::new(store), Cleanup::Schema(url.clone(), schema))
        }
    }
}

enum Cleanup {
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Schema(String, String),
}

impl Cleanup {
    async fn run(self) {
        if let Self::Schema(url, schema) = self {
            postgres::drop_schema(&url, &schema).await;
        }
    }
}

const CONCURRENCIES: [usize; 3] = [1, 8, 64];
const ONE_STREAM_BATCHES: [usize; 3] = [1, 8, 32];
const DATA_BYTES: usize = 200;
const METADATA_BYTES: usize = 100;

fn payload(bytes: usize, fill: u8) -> Vec<u8> {
    vec![fill; bytes]
}

fn event() -> ProposedEvent {
    ProposedEvent {
        event_id: Uuid::now_v7(),
        event_type: "TimeCreditsTransferred".into(),
        data: payload(DATA_BYTES, b'd'),
        metadata: payload(METADATA_BYTES, b'm'),
    }
}

struct Measure {
    events: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measure {
    fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&mut self, fraction: f64) -> Duration {
        self.latencies.sort_unstable();
        let index = ((self.latencies.len() as f64 - 1.0) * fraction).round() as usize;
        self.latencies[index]
    }
}

async fn measure_store(backend: &Backend, concurrency: usize, duration: Duration) -> Measure {
    let (store, cleanup) = open(backend).await;
    let start = Instant::now();
    let appenders: Vec<_> = (0..concurrency)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let stream = format!("community-bench-{n}");
                let mut latencies = Vec::new();
                let mut expected = ExpectedRevision::NoStream;
                while start.elapsed() < duration {
                    let sent = Instant::now();
                    let outcome = store
                        .append(&stream, expected, vec![event()])
                        .await
                        .unwrap();
                    latencies.push(sent.elapsed());
                    expected = ExpectedRevision::Exact(outcome.last_revision.unwrap());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for appender in appenders {
        latencies.extend(appender.await.unwrap());
    }
    let elapsed = start.elapsed();
    store.shutdown().await;
    drop(store);
    cleanup.run().await;
    Measure {
        events: latencies.len(),
        elapsed,
        latencies,
    }
}

async fn measure_store_one_stream(backend: &Backend, batch: usize, duration: Duration) -> Measure {
    let (store, cleanup) = open(backend).await;
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut expected = ExpectedRevision::NoStream;
    while start.elapsed() < duration {
        let sent = Instant::now();
        let events = (0..batch).map(|_| event()).collect();
        let outcome = store
            .append("community-bench", expected, events)
            .await
            .unwrap();
        latencies.extend(std::iter::repeat_n(sent.elapsed(), batch));
        expected = ExpectedRevision::Exact(outcome.last_revision.unwrap());
    }
    let elapsed = start.elapsed();
    store.shutdown().await;
    drop(store);
    cleanup.run().await;
    Measure {
        events: latencies.len(),
        elapsed,
        latencies,
    }
}

/// Raw inserts of the store's rows into PostgreSQL at `url`, `batch` events
/// a transaction, one statement a row; with `one_stream`, all into one
/// stream, else each into its own.
async fn measure_raw_postgres(
    url: &str,
    batch: usize,
    one_stream: bool,
    duration: Duration,
) -> Measure {
    let (schema, scoped) = postgres::new_schema(url, "bench_raw").await;
    let (mut client, connection) = tokio_postgres::connect(&scoped, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE TABLE events (
                position bigint PRIMARY KEY, stream text NOT NULL, revision bigint NOT NULL,
                event_id uuid NOT NULL UNIQUE, event_type text NOT NULL, data bytea NOT NULL,
                metadata bytea NOT NULL, UNIQUE (stream, revision))",
        )
        .await
        .unwrap();
    let insert = client
        .prepare("INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .await
        .unwrap();
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut position: i64 = 0;
    while start.elapsed() < duration {
        let sent = Instant::now();
        let transaction = client.transaction().await.unwrap();
        for n in 0..batch {
            let event = event();
            let stream = if one_stream {
                "community-bench".to_owned()
            } else {
                format!("community-bench-{n}")
            };
            transaction
                .execute(
                    &insert,
                    &[
                        &position,
                        &stream,
                        &position,
                        &event.event_id,
                        &event.event_type,
                        &event.data,
                        &event.metadata,
                    ],
                )
                .await
                .unwrap();
            position += 1;
        }
        transaction.commit().await.unwrap();
        latencies.extend(std::iter::repeat_n(sent.elapsed(), batch));
    }
    let elapsed = start.elapsed();
    drop(client);
    let _ = driver.await;
    postgres::drop_schema(url, &schema).await;
    Measure {
        events: latencies.len(),
        elapsed,
        latencies,
    }
}

/// The baseline for `backend`: raw inserts of the same rows.
fn measure_raw_on(
    runtime: &tokio::runtime::Runtime,
    backend: &Backend,
    batch: usize,
    one_stream: bool,
    duration: Duration,
) -> Measure {
    match backend {
        Backend::Sqlite => measure_raw(batch, one_stream, duration),
        Backend::Postgres(url) => {
            runtime.block_on(measure_raw_postgres(url, batch, one_stream, duration))
        }
    }
}

/// Raw inserts of the store's rows, `batch` events a transaction; with
/// `one_stream`, all into one stream, else each into its own.
fn measure_raw(batch: usize, one_stream: bool, duration: Duration) -> Measure {
    let directory = tempfile::tempdir().unwrap();
    let mut connection = Connection::open(directory.path().join("raw.db")).unwrap();
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .unwrap();
    connection
        .pragma_update(None, "synchronous", "FULL")
        .unwrap();
    connection
        .execute_batch(
            "CREATE TABLE events (
                position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL,
                event_id BLOB NOT NULL UNIQUE, event_type TEXT NOT NULL, data BLOB NOT NULL,
                metadata BLOB NOT NULL, UNIQUE (stream, revision)) STRICT;
",
        )
        .unwrap();
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut position: i64 = 0;
    while start.elapsed() < duration {
        let sent = Instant::now();
        let transaction = connection.transaction().unwrap();
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .unwrap();
            for n in 0..batch {
                let event = event();
                let stream = if one_stream {
                    "community-bench".to_owned()
                } else {
                    format!("community-bench-{n}")
                };
                insert
                    .execute(params![
                        position,
                        stream,
                        position,
                        event.event_id.as_bytes().as_slice(),
                        event.event_type,
                        event.data,
                        event.metadata
                    ])
                    .unwrap();
                position += 1;
            }
        }
        transaction.commit().unwrap();
        let latency = sent.elapsed();
        latencies.extend(std::iter::repeat_n(latency, batch));
    }
    Measure {
        events: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    }
}

/// Events/s, p50 ms and p99 ms, as table cells.
fn figures(measure: &mut Measure) -> String {
    format!(
        "{:.0} | {} | {}",
        measure.rate(),
        millis(measure.percentile(0.50)),
        millis(measure.percentile(0.99))
    )
}

fn millis(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

fn main() {
    let mut seconds = 3.0;
    let mut backend = Backend::Sqlite;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args
                .next()
                .and_then(|s| s.parse().ok())
                .expect("--seconds N");
        } else if arg == "--postgres" {
            backend = Backend::Postgres(args.next().expect("--postgres URL"));
        }
    }
    let duration = Duration::from_secs_f64(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let on = match &backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    println!(
        "durable appends on {on}, {DATA_BYTES}+{METADATA_BYTES}-byte events, {seconds} s per row"
    );
    println!();
    println!(
        "| appenders | store events/s | p50 ms | p99 ms | raw batch | raw events/s | raw p50 ms | raw p99 ms | store / raw |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for concurrency in CONCURRENCIES {
        let mut raw = measure_raw_on(&runtime, &backend, concurrency, false, duration);
        let mut store = runtime.block_on(measure_store(&backend, concurrency, duration));
        println!(
            "| {concurrency} | {} | {concurrency} | {} | {:.0}% |",
            figures(&mut store),
            figures(&mut raw),
            100.0 * store.rate() / raw.rate(),
        );
    }
    println!();
    println!("one stream, appends one after the other");
    println!();
    println!(
        "| events per append | store events/s | p50 ms | p99 ms | raw events/s | raw p50 ms | raw p99 ms | store / raw |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for batch in ONE_STREAM_BATCHES {
        let mut raw = measure_raw_on(&runtime, &backend, batch, true, duration);
        let mut store = runtime.block_on(measure_store_one_stream(&backend, batch, duration));
        println!(
            "| {batch} | {} | {} | {:.0}% |",
            figures(&mut store),
            figures(&mut raw),
            100.0 * store.rate() / raw.rate(),
        );
    }
}
