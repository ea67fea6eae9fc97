//! Start-up with a large log: how fast the ledger replays and verifies a
//! community's log (chain checked, every event decoded and folded), how
//! fast `verify` checks it, and the memory the loaded ledger holds; beside a
//! baseline measured in the same run: reading the same rows straight from
//! SQLite.
//!
//! Run: `cargo bench --bench replay -- [--events N] [--exchanges]
//! [--store PATH]`; with `--store`, the log is written there and kept (to
//! profile `agora verify` or `agora rebuild` on it).
//!
//! The log is made of one community with 200 pioneers and `N` transfers of
//! time credits between them (balances kept within limits), written
//! directly to the store as properly chained events; with `--exchanges`,
//! `N / 2` exchanges of the marketplace instead, each recorded then
//! confirmed (two events).

use std::sync::Arc;
use std::time::Instant;

use agora::audit::verify_store;
use agora::clock::SystemClock;
use agora::ledger::Ledger;
use agora::store::{EventStore, ExpectedRevision, ProposedEvent, SqliteStore};
use agora_events::{
    AccountId, Actor, AdmissionScores, College, CommunityCreated, CorrelationId, Event, EventId,
    ExchangeConfirmed, ExchangeId, ExchangeRecorded, Hash, Hours, Metadata, NewEvent,
    PioneerAdmitted, PioneerId, PublicProfile, RankingWeights, Role, Sealed, Statutes,
    TimeCreditsTransferred, Timestamp, TransferId,
};
use rust_decimal::Decimal;
use uuid::Uuid;

const PIONEERS: usize = 200;

/// Counts the bytes allocated and not yet freed, to measure what the loaded
/// ledger holds (resident memory would also count what the allocator keeps
/// from the log's generation).
struct Counting;

static LIVE_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the same layout goes to the allocator the `agora` binary
        // runs with.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: std::alloc::Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: `pointer` came from `alloc` with this layout.
        unsafe { mimalloc::MiMalloc.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> usize {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

fn metadata(n: u64) -> Metadata {
    Metadata {
        community: "bench".parse().unwrap(),
        actor: Actor {
            id: "bench".into(),
            role: Role::Admin,
        },
        command_id: format!("command-{n}"),
        command_digest: Hash::of(&n.to_le_bytes()),
        correlation_id: CorrelationId(Uuid::now_v7()),
        recorded_at: Timestamp::new(chrono::Utc::now()),
    }
}

/// The community's events, chained, ready to append: `movements`
/// transfers, or as many events of exchanges recorded and confirmed.
fn events(movements: usize, exchanges: bool) -> Vec<ProposedEvent> {
    let mut events: Vec<Event> = vec![
        CommunityCreated {
            slug: "bench".parse().unwrap(),
            statutes: Statutes {
                name: "Bench".into(),
                share_nominal: "10.00".parse().unwrap(),
                colleges: ["a", "b"]
                    .map(|name| College {
                        name: name.into(),
                        vote_weight_percent: 50,
                    })
                    .to_vec(),
                credit_floor: Hours::whole(-20),
                credit_ceiling: Hours::whole(100),
                ranking_weights: RankingWeights {
                    concerned: 40,
                    cost: 30,
                    self_financing: 30,
                    cost_reference: None,
                },
                charter_version: "1".into(),
                project_credit_floor: None,
                project_credit_ceiling: None,
                admission_score_min: None,
                assembly_notice_days: None,
                assembly_quorum_percent: None,
                proxies_per_member_max: None,
                indicators: Vec::new(),
            },
        }
        .into(),
    ];
    let pioneers: Vec<PioneerId> = (0..PIONEERS).map(|_| PioneerId(Uuid::now_v7())).collect();
    for pioneer in &pioneers {
        events.push(
            PioneerAdmitted {
                pioneer_id: *pioneer,
                college: "a".into(),
                scores: AdmissionScores {
                    scale_of_impact: 3,
                    degree_of_information: 3,
                    connections_produced: 3,
                    care_for_the_living: 3,
                    poetic_radiance: 3,
                    social_innovation: 3,
                    engagement: 3,
                },
                profile: PublicProfile::default(),
                personal: Sealed {
                    algorithm: "xchacha20poly1305".into(),
                    nonce: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
                    ciphertext: "c2VhbGVkIHBlcnNvbmFsIGRhdGEgb2YgYSBiZW5jaG1hcmsgcGlvbmVlcg=="
                        .into(),
                },
                organisation: None,
            }
            .into(),
        );
    }
    let mut balances = vec![Decimal::ZERO; PIONEERS];
    let hours = Decimal::new(125, 2);
    let steps = if exchanges { movements / 2 } else { movements };
    for n in 0..steps {
        // In a ring: each pioneer pays the next, so balances stay small.
        let payer = n % PIONEERS;
        let payee = (n + 1) % PIONEERS;
        balances[payer] -= hours;
        balances[payee] += hours;
        if exchanges {
            let exchange_id = ExchangeId(Uuid::now_v7());
            let (provider, receiver) = (pioneers[payee], AccountId::Pioneer(pioneers[payer]));
            events.push(
                ExchangeRecorded {
                    exchange_id,
                    provider,
                    receiver,
                    hours: Hours::new(hours).unwrap(),
                    description: "Deux heures de jardinage au potager partagé".into(),
                    listing_id: None,
                }
                .into(),
            );
            events.push(
                ExchangeConfirmed {
                    exchange_id,
                    provider: AccountId::Pioneer(provider),
                    receiver,
                    hours: Hours::new(hours).unwrap(),
                    provider_balance_after: Hours::new(balances[payee]).unwrap(),
                    receiver_balance_after: Hours::new(balances[payer]).unwrap(),
                }
                .into(),
            );
            continue;
        }
        events.push(
            TimeCreditsTransferred {
                transfer_id: TransferId(Uuid::now_v7()),
                payer: AccountId::Pioneer(pioneers[payer]),
                payee: AccountId::Pioneer(pioneers[payee]),
                hours: Hours::new(hours).unwrap(),
                memo: Some("merci pour le coup de main".into()),
                payer_balance_after: Hours::new(balances[payer]).unwrap(),
                payee_balance_after: Hours::new(balances[payee]).unwrap(),
            }
            .into(),
        );
    }
    let mut head = Hash::GENESIS;
    events
        .into_iter()
        .enumerate()
        .map(|(n, event)| {
            let record = NewEvent {
                event_id: EventId(Uuid::now_v7()),
                event,
                metadata: metadata(n as u64),
            }
            .link(head);
            head = record.hash;
            let (data, metadata) = record.to_store_bytes();
            ProposedEvent {
                event_id: record.event_id.0,
                event_type: record.event_type,
                data,
                metadata,
            }
        })
        .collect()
}

fn main() {
    let mut transfers = 200_000;
    let mut exchanges = false;
    let mut kept: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => {
                transfers = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--events N");
            }
            "--store" => kept = Some(args.next().expect("--store PATH").into()),
            "--exchanges" => exchanges = true,
            _ => {}
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let directory = tempfile::tempdir().unwrap();
        let path = kept.unwrap_or_else(|| directory.path().join("bench.db"));
        let total = {
            let store = SqliteStore::open(&path).unwrap();
            let events = events(transfers, exchanges);
            let total = events.len();
            let mut revision: Option<u64> = None;
            for chunk in events.chunks(1_000) {
                let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                let outcome = store.append("community-bench", expected, chunk.to_vec()).await.unwrap();
                revision = outcome.last_revision;
            }
            store.shutdown().await;
            total
        };
        let bytes = std::fs::metadata(&path).unwrap().len();

        // Baseline: every row read straight from SQLite.
        let started = Instant::now();
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut read = 0usize;
        let mut statement = connection
            .prepare("SELECT stream, revision, position, event_id, event_type, data, metadata FROM events ORDER BY position")
            .unwrap();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let data: Vec<u8> = row.get(5).unwrap();
            let metadata: Vec<u8> = row.get(6).unwrap();
            read += data.len() + metadata.len();
        }
        let raw = started.elapsed();
        drop(rows);
        drop(statement);
        drop(connection);

        // The events were written straight to the store: the first start-up
        // files them in the index, as it would for a store of an older
        // version. The start-up measured is the next one, on a store as the
        // service leaves it.
        let started = Instant::now();
        {
            let store = Arc::new(SqliteStore::open(&path).unwrap());
            let ledger = Ledger::open(Arc::clone(&store), Arc::new(SystemClock)).await.unwrap();
            ledger.shutdown().await;
        }
        let indexing = started.elapsed();

        // Start-up from scratch: no snapshot, every event replayed.
        rusqlite::Connection::open(&path).unwrap().execute("DELETE FROM snapshots", []).unwrap();
        let replay = {
            let started = Instant::now();
            let store = Arc::new(SqliteStore::open(&path).unwrap());
            let ledger = Ledger::open(Arc::clone(&store), Arc::new(SystemClock)).await.unwrap();
            let from_scratch = started.elapsed();
            // As a service that ran a while: its background check of the
            // whole chain done, the verified mark kept.
            ledger.verification_done().await;
            ledger.shutdown().await; // saves a snapshot again
            from_scratch
        };

        // A start from the snapshot on a store no full verification ever
        // marked (a fresh import): the chain up to the snapshot is checked
        // before serving. The mark is put back for the start measured next.
        let unmarked = {
            let connection = rusqlite::Connection::open(&path).unwrap();
            let mark: (i64, Vec<u8>) = connection
                .query_row("SELECT revision, head FROM verified_marks", [], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .expect("the replay's background check left its mark");
            connection.execute("DELETE FROM verified_marks", []).unwrap();
            drop(connection);
            let started = Instant::now();
            let store = Arc::new(SqliteStore::open(&path).unwrap());
            let ledger = Ledger::open(Arc::clone(&store), Arc::new(SystemClock)).await.unwrap();
            let unmarked = started.elapsed();
            ledger.shutdown().await;
            drop(ledger);
            drop(store);
            rusqlite::Connection::open(&path)
                .unwrap()
                .execute(
                    "INSERT OR REPLACE INTO verified_marks (stream, revision, head) VALUES ('community-bench', ?1, ?2)",
                    rusqlite::params![mark.0, mark.1],
                )
                .unwrap();
            unmarked
        };

        let store = Arc::new(SqliteStore::open(&path).unwrap());
        let before = live_bytes();
        let started = Instant::now();
        let ledger = Ledger::open(Arc::clone(&store), Arc::new(SystemClock)).await.unwrap();
        let startup = started.elapsed();
        let after = live_bytes();

        // Stopped first: a ledger started from a snapshot checks every
        // chain in the background, which would share the cores with the
        // verification measured.
        ledger.shutdown().await;
        drop(ledger);
        let started = Instant::now();
        let verified = verify_store(&*store, None).await.unwrap();
        let verification = started.elapsed();
        assert!(verified.iter().all(|v| v.ok()), "the generated log verifies");

        let rate = |seconds: f64| total as f64 / seconds;
        println!("{total} events ({} MiB on disk, {} MiB of event bytes)", bytes >> 20, read >> 20);
        println!();
        println!("| what | seconds | events/s | vs raw read |");
        println!("|---|---:|---:|---:|");
        println!("| raw SQLite read of every row (baseline) | {:.2} | {:.0} | 100% |", raw.as_secs_f64(), rate(raw.as_secs_f64()));
        println!(
            "| start-up from the latest snapshot (`Ledger::open`) | {:.2} | {:.0} | {:.0}% |",
            startup.as_secs_f64(),
            rate(startup.as_secs_f64()),
            100.0 * raw.as_secs_f64() / startup.as_secs_f64()
        );
        println!(
            "| start-up from the latest snapshot, no verified mark: chain checked up to it | {:.2} | {:.0} | {:.0}% |",
            unmarked.as_secs_f64(),
            rate(unmarked.as_secs_f64()),
            100.0 * raw.as_secs_f64() / unmarked.as_secs_f64()
        );
        println!(
            "| start-up without a snapshot: replay, chain check, fold | {:.2} | {:.0} | {:.0}% |",
            replay.as_secs_f64(),
            rate(replay.as_secs_f64()),
            100.0 * raw.as_secs_f64() / replay.as_secs_f64()
        );
        println!(
            "| first start-up of a store without an index: filing it too | {:.2} | {:.0} | {:.0}% |",
            indexing.as_secs_f64(),
            rate(indexing.as_secs_f64()),
            100.0 * raw.as_secs_f64() / indexing.as_secs_f64()
        );
        println!(
            "| verification (`agora verify`) | {:.2} | {:.0} | {:.0}% |",
            verification.as_secs_f64(),
            rate(verification.as_secs_f64()),
            100.0 * raw.as_secs_f64() / verification.as_secs_f64()
        );
        println!();
        let held = after.saturating_sub(before);
        println!(
            "the loaded ledger holds {} KiB ({} bytes per event)",
            held >> 10,
            held / total
        );
    });
}
