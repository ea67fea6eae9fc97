//! The command pipeline end to end below HTTP: decisions recorded durably,
//! batches, idempotency across restarts, failure atomicity, catching up
//! after another writer, replay equal to live.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use agora::clock::SystemClock;
use agora::domain::{
    AdmitPioneer, Command, CreateCommunity, ForgetPioneer, LeaveCommunity, Rejection,
};
use agora::ledger::{
    Cadence, CommandRequest, KeyEncryptionKey, KeyWrapping, Ledger, LedgerError, Options,
    PersonalData, PersonalKey,
};
use agora::store::{
    AppendOutcome, BoxFuture, EventStore, ExpectedRevision, IndexEntry, IndexPage, KeyStore,
    MemoryStore, ProposedEvent, SqliteStore, StoreError, StoredEvent, StoredKey, StoredSnapshot,
    Stores, Subscription,
};
use agora_events::{
    Actor, AdmissionScores, College, CommunitySlug, CorrelationId, Hash, PioneerId, PublicProfile,
    RankingWeights, Role, Statutes,
};
use uuid::Uuid;

fn slug() -> CommunitySlug {
    "demo".parse().unwrap()
}

fn statutes() -> Statutes {
    Statutes {
        name: "Demo".into(),
        share_nominal: "20.00".parse().unwrap(),
        colleges: ["a", "b", "c", "d"]
            .map(|name| College {
                name: name.into(),
                vote_weight_percent: 25,
            })
            .to_vec(),
        credit_floor: "-20".parse().unwrap(),
        credit_ceiling: "100".parse().unwrap(),
        ranking_weights: RankingWeights {
            concerned: 50,
            cost: 25,
            self_financing: 25,
            cost_reference: None,
        },
        charter_version: "v1".into(),
        project_credit_floor: None,
        project_credit_ceiling: None,
        admission_score_min: None,
        assembly_notice_days: None,
        assembly_quorum_percent: None,
        proxies_per_member_max: None,
        indicators: Vec::new(),
    }
}

fn request(command: Command, key: Option<&str>, digest: &[u8]) -> CommandRequest {
    CommandRequest {
        community: slug(),
        command,
        actor: Actor {
            id: "operator".into(),
            role: Role::Admin,
        },
        idempotency_key: key.map(str::to_owned),
        command_digest: Hash::of(digest),
        correlation_id: CorrelationId(Uuid::now_v7()),
        new_key: None,
    }
}

fn create() -> CommandRequest {
    request(
        Command::CreateCommunity(CreateCommunity {
            slug: slug(),
            statutes: statutes(),
        }),
        None,
        b"create",
    )
}

fn admit(pioneer: PioneerId, key: Option<&str>) -> CommandRequest {
    admit_with(pioneer, key, PersonalKey::generate())
}

/// An admission whose personal data is sealed with `personal_key`.
fn admit_with(pioneer: PioneerId, key: Option<&str>, personal_key: PersonalKey) -> CommandRequest {
    let personal = PersonalData {
        display_name: format!("Pioneer {pioneer}"),
        email: None,
        contact: None,
        bio: None,
        place: None,
    };
    let mut request = request(
        Command::AdmitPioneer(AdmitPioneer {
            pioneer_id: pioneer,
            college: "a".into(),
            scores: AdmissionScores {
                scale_of_impact: 1,
                degree_of_information: 2,
                connections_produced: 3,
                care_for_the_living: 4,
                poetic_radiance: 5,
                social_innovation: 0,
                engagement: 1,
            },
            profile: PublicProfile::default(),
            personal: personal_key.seal(pioneer, &personal),
            organisation: None,
        }),
        key,
        format!("admit {pioneer}").as_bytes(),
    );
    request.new_key = Some((pioneer, personal_key));
    request
}

/// A pioneer's personal data as the ledger's view holds it, sealed.
fn sealed_personal(ledger: &Ledger, id: PioneerId) -> agora_events::Sealed {
    let view = ledger.view(&slug()).unwrap();
    view.state.pioneer(id).unwrap().personal.clone()
}

fn pioneer() -> PioneerId {
    PioneerId(Uuid::now_v7())
}

async fn open(store: impl Into<Stores>) -> Arc<Ledger> {
    Ledger::open(store, Arc::new(SystemClock)).await.unwrap()
}

#[tokio::test]
async fn a_command_is_recorded_durably_and_shows_in_the_snapshot() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(Arc::clone(&store)).await;
    assert!(ledger.view(&slug()).is_none());

    let outcome = ledger.execute(create()).await.unwrap();

    assert_eq!(outcome.events.len(), 1);
    assert_eq!(outcome.events[0].record.event_type, "CommunityCreated");
    let view = ledger.view(&slug()).unwrap();
    assert_eq!(view.revision, 0);
    assert_eq!(view.head, outcome.events[0].record.hash);
    assert_eq!(
        store
            .read_all(agora::store::LogCursor::START, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(ledger.communities(), vec![slug()]);
}

#[tokio::test]
async fn a_refused_command_records_nothing() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();

    let refused = ledger.execute(create()).await;
    let unknown = ledger
        .execute(request(
            Command::LeaveCommunity(LeaveCommunity {
                pioneer_id: pioneer(),
            }),
            None,
            b"leave",
        ))
        .await;

    assert!(matches!(
        refused,
        Err(LedgerError::Rejected(Rejection::CommunityExists { .. }))
    ));
    assert!(matches!(
        unknown,
        Err(LedgerError::Rejected(Rejection::PioneerNotFound { .. }))
    ));
    assert_eq!(
        store
            .read_all(agora::store::LogCursor::START, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn commands_for_an_unknown_community_are_refused_without_creating_it() {
    let ledger = open(Arc::new(MemoryStore::new())).await;

    let refused = ledger.execute(admit(pioneer(), None)).await;

    assert_eq!(
        refused.unwrap_err(),
        LedgerError::Rejected(Rejection::CommunityNotFound)
    );
    assert!(ledger.communities().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_are_decided_one_after_another() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();
    let twin = pioneer();

    // 100 admissions, two of them of the same pioneer: exactly one of those wins.
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let ledger = Arc::clone(&ledger);
            let id = if n < 2 { twin } else { pioneer() };
            tokio::spawn(async move { ledger.execute(admit(id, None)).await })
        })
        .collect();
    let mut accepted = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(LedgerError::Rejected(Rejection::PioneerExists { .. })) => refused += 1,
            Err(other) => panic!("{other}"),
        }
    }

    assert_eq!((accepted, refused), (99, 1));
    let view = ledger.view(&slug()).unwrap();
    assert_eq!(view.state.pioneers.len(), 99);
    assert_eq!(view.revision, 99);
    let revisions: Vec<u64> = store
        .read_stream("community-demo", 0, 1_000)
        .await
        .unwrap()
        .iter()
        .map(|event| event.revision)
        .collect();
    assert_eq!(revisions, (0..100).collect::<Vec<_>>());
}

/// The edge lets a command through against the view it read; the ledger
/// decides it against the state it holds then. A gardener whose role was
/// revoked, or who left, in between admits no one, and nothing is recorded.
#[tokio::test]
async fn a_role_lost_since_the_edge_let_the_command_through_refuses_it() {
    let ledger = open(Arc::new(MemoryStore::new())).await;
    ledger.execute(create()).await.unwrap();
    let set_roles = |pioneer_id, roles: &[Role]| {
        request(
            Command::SetRoles(agora::domain::SetRoles {
                pioneer_id,
                roles: roles.iter().copied().collect(),
            }),
            None,
            format!("roles {roles:?}").as_bytes(),
        )
    };
    let as_gardener = |gardener: PioneerId| {
        let mut admission = admit(pioneer(), None);
        admission.actor = Actor {
            id: gardener.to_string(),
            role: Role::Gardener,
        };
        admission
    };
    let gardener = pioneer();
    ledger.execute(admit(gardener, None)).await.unwrap();
    ledger
        .execute(set_roles(gardener, &[Role::Gardener]))
        .await
        .unwrap();
    ledger.execute(as_gardener(gardener)).await.unwrap();

    ledger.execute(set_roles(gardener, &[])).await.unwrap();
    let revision = ledger.view(&slug()).unwrap().revision;
    let after_revocation = ledger.execute(as_gardener(gardener)).await;
    let leave = Command::LeaveCommunity(agora::domain::LeaveCommunity {
        pioneer_id: gardener,
    });
    ledger
        .execute(set_roles(gardener, &[Role::Gardener]))
        .await
        .unwrap();
    ledger
        .execute(request(leave, None, b"leave"))
        .await
        .unwrap();
    let after_leaving = ledger.execute(as_gardener(gardener)).await;

    for refused in [after_revocation, after_leaving] {
        match refused {
            Err(LedgerError::Rejected(rejection)) => assert_eq!(rejection.rule(), "role-required"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        ledger.view(&slug()).unwrap().revision,
        revision + 2,
        "only the grant and the departure were recorded since"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_larger_than_the_store_takes_in_one_append_is_appended_in_parts() {
    // Room for a few admissions per append, not for a batch of 32.
    let store = Arc::new(MemoryStore::with_append_bytes_max(8 * 1024));
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();

    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move { ledger.execute(admit(pioneer(), None)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let recorded = store.read_stream("community-demo", 0, 1_000).await.unwrap();
    assert_eq!(recorded.len(), 101);
    assert_eq!(ledger.view(&slug()).unwrap().state.pioneers.len(), 100);
    let largest = recorded
        .iter()
        .map(|event| event.data.len() + event.metadata.len())
        .max()
        .unwrap();
    assert!(
        largest * 32 > 8 * 1024,
        "the test needs batches that do not fit"
    );
}

/// A copy of `events` into a new store, the event at `damaged` with one
/// byte of its data changed.
async fn copied_with_damage(events: &[StoredEvent], damaged: u64) -> MemoryStore {
    let copy = MemoryStore::new();
    for event in events {
        let mut data = event.data.clone();
        if event.revision == damaged {
            let at = data.len() / 2;
            data[at] = if data[at] == b'a' { b'b' } else { b'a' };
        }
        let proposed = ProposedEvent {
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            data,
            metadata: event.metadata.clone(),
        };
        copy.append(&event.stream, ExpectedRevision::Any, vec![proposed])
            .await
            .unwrap();
    }
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_spread_over_threads_finds_what_one_thread_finds() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();
    for _ in 0..1_500 {
        ledger.execute(admit(pioneer(), None)).await.unwrap();
    }
    let events = store.read_stream("community-demo", 0, 4_096).await.unwrap();
    assert_eq!(events.len(), 1_501);

    // Damage in every share of a page, the last one included.
    for damaged in [None, Some(3), Some(700), Some(1_499)] {
        let copy = copied_with_damage(&events, damaged.unwrap_or(u64::MAX)).await;
        let spread = agora::audit::verify_store(&copy, None).await.unwrap();
        let mut alone = agora::audit::verify::Verifier::new("community-demo");
        for event in copy.read_stream("community-demo", 0, 4_096).await.unwrap() {
            alone.push_stored(&event);
        }
        let alone = alone.finish();

        assert_eq!(spread.len(), 1);
        let spread = &spread[0];
        assert_eq!(
            spread.first_break.as_ref().map(|found| found.revision),
            damaged,
            "{:?}",
            spread.first_break
        );
        assert_eq!(spread.first_break, alone.first_break);
        assert_eq!((spread.verified, spread.head), (alone.verified, alone.head));
    }
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_result_even_after_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let id = pioneer();
    let first = {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        let first = ledger.execute(admit(id, Some("key-1"))).await.unwrap();
        let same_run = ledger.execute(admit(id, Some("key-1"))).await.unwrap();
        assert!(same_run.replayed);
        assert_eq!(same_run.events, first.events);
        ledger.shutdown().await;
        first
    };

    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    let retried = ledger.execute(admit(id, Some("key-1"))).await.unwrap();
    let reused = ledger.execute(admit(pioneer(), Some("key-1"))).await;

    assert!(retried.replayed);
    assert_eq!(retried.command_id, "key-1");
    assert_eq!(retried.events, first.events);
    assert_eq!(
        reused.unwrap_err(),
        LedgerError::IdempotencyKeyReused {
            key: "key-1".into()
        }
    );
    assert_eq!(ledger.view(&slug()).unwrap().revision, 1);
}

#[tokio::test]
async fn an_older_store_without_an_index_is_indexed_at_start_up() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let admitted = pioneer();
    let first = {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        let first = ledger
            .execute(admit(admitted, Some("key-1")))
            .await
            .unwrap();
        ledger.shutdown().await;
        first
    };
    // What a store of the version before the index looks like: every event
    // recorded, no index beside it.
    for suffix in ["-index", "-index-wal", "-index-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }

    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let ledger = open(Arc::clone(&store)).await;
    let retried = ledger
        .execute(admit(admitted, Some("key-1")))
        .await
        .unwrap();
    let (total, history) = ledger
        .history(&slug(), admitted.0, u64::MAX, 0, 10)
        .await
        .unwrap();

    assert!(retried.replayed, "the retry found its first answer");
    assert_eq!(retried.events, first.events);
    assert_eq!(total, 1);
    assert_eq!(history, first.events);
    assert_eq!(ledger.view(&slug()).unwrap().revision, 1);
    // Filed for good when the writer stops.
    ledger.shutdown().await;
    assert_eq!(store.index_mark(&slug().stream()).await.unwrap(), Some(1));
}

#[tokio::test]
async fn a_history_pages_across_filed_and_recent_events() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let id = pioneer();
    let roles = |roles: &[Role], label: &str| {
        request(
            Command::SetRoles(agora::domain::SetRoles {
                pioneer_id: id,
                roles: roles.iter().copied().collect(),
            }),
            None,
            label.as_bytes(),
        )
    };
    {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        ledger.execute(admit(id, None)).await.unwrap();
        ledger
            .execute(roles(&[Role::Gardener], "grant"))
            .await
            .unwrap();
        ledger.shutdown().await; // files revisions 0 to 2
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(roles(&[], "revoke")).await.unwrap();
    ledger
        .execute(roles(&[Role::Treasurer], "grant again"))
        .await
        .unwrap();

    let (total, all) = ledger
        .history(&slug(), id.0, u64::MAX, 0, 10)
        .await
        .unwrap();
    let (_, middle) = ledger.history(&slug(), id.0, u64::MAX, 1, 2).await.unwrap();
    let (_, last) = ledger
        .history(&slug(), id.0, u64::MAX, 3, 10)
        .await
        .unwrap();
    let (_, beyond) = ledger
        .history(&slug(), id.0, u64::MAX, 4, 10)
        .await
        .unwrap();

    let revisions = |events: &[agora::ledger::Committed]| -> Vec<u64> {
        events.iter().map(|event| event.revision).collect()
    };
    assert_eq!(store.index_mark(&slug().stream()).await.unwrap(), Some(2));
    assert_eq!(total, 4);
    assert_eq!(revisions(&all), [1, 2, 3, 4]);
    assert_eq!(revisions(&middle), [2, 3]);
    assert_eq!(revisions(&last), [4]);
    assert!(beyond.is_empty());
}

/// What a restart rebuilds: the state, its revision and chain head.
async fn reopened(path: &std::path::Path) -> (agora_projections::CommunityState, u64, Hash) {
    let ledger = open(Arc::new(SqliteStore::open(path).unwrap())).await;
    let view = ledger.view(&slug()).unwrap();
    ledger.shutdown().await;
    ((*view.state).clone(), view.revision, view.head)
}

fn sql(path: &std::path::Path, statements: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(statements)
        .unwrap();
}

/// Runs statements on the index file beside the store at `path`, with the
/// log attached as `log`.
fn index_sql(path: &std::path::Path, statements: &str) {
    let connection = rusqlite::Connection::open(format!("{}-index", path.display())).unwrap();
    connection
        .execute("ATTACH DATABASE ?1 AS log", [path.to_str().unwrap()])
        .unwrap();
    connection.execute_batch(statements).unwrap();
}

#[tokio::test]
async fn an_index_made_from_another_log_is_filed_again() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let backup = directory.path().join("backup.db");
    let (kept, lost) = (pioneer(), pioneer());
    {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        ledger.execute(admit(kept, None)).await.unwrap();
        ledger.shutdown().await;
    }
    agora::store::backup(&path, &backup).unwrap();
    {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(admit(lost, None)).await.unwrap();
        ledger.shutdown().await; // files revision 2, the lost admission
    }
    // The backup restored as the README says, the newer index left beside it.
    std::fs::copy(&backup, &path).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }

    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    let newcomer = pioneer();
    ledger.execute(admit(newcomer, None)).await.unwrap(); // revision 2 again
    let (lost_total, _) = ledger
        .history(&slug(), lost.0, u64::MAX, 0, 10)
        .await
        .unwrap();
    let (newcomer_total, events) = ledger
        .history(&slug(), newcomer.0, u64::MAX, 0, 10)
        .await
        .unwrap();
    let (kept_total, _) = ledger
        .history(&slug(), kept.0, u64::MAX, 0, 10)
        .await
        .unwrap();
    ledger.shutdown().await;

    assert_eq!(
        lost_total, 0,
        "nothing shows for an event the log no longer has"
    );
    assert_eq!(newcomer_total, 1);
    assert_eq!(events[0].revision, 2);
    assert_eq!(kept_total, 1);
}

#[tokio::test]
async fn a_start_from_a_snapshot_equals_a_replay_from_the_first_event() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let live = {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        for _ in 0..5 {
            ledger.execute(admit(pioneer(), None)).await.unwrap();
        }
        let view = ledger.view(&slug()).unwrap();
        ledger.shutdown().await; // saves a snapshot
        ((*view.state).clone(), view.revision, view.head)
    };
    let saved: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT revision FROM snapshots", [], |row| row.get(0))
        .unwrap();

    let from_snapshot = reopened(&path).await;
    sql(&path, "DELETE FROM snapshots");
    let from_scratch = reopened(&path).await;
    let saved_again: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT revision FROM snapshots", [], |row| row.get(0))
        .unwrap();

    assert_eq!(saved, 5);
    assert_eq!(
        saved_again, 5,
        "a start from the log saves a snapshot when it stops"
    );
    assert_eq!(from_snapshot, live);
    assert_eq!(from_scratch, live);
}

#[tokio::test]
async fn a_snapshot_the_log_disagrees_with_or_of_another_format_is_rebuilt() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        ledger.execute(admit(pioneer(), None)).await.unwrap();
        ledger.shutdown().await;
    }
    let live = reopened(&path).await;
    // A snapshot whose state was altered and whose head no longer is the
    // hash of the event at its revision.
    sql(
        &path,
        &format!(
            "UPDATE snapshots SET data = CAST(replace(replace(CAST(data AS TEXT), '\"Demo\"', '\"Altered\"'),
                '{}', '{}') AS BLOB)",
            live.2,
            Hash::of(b"another head")
        ),
    );
    let altered = || -> bool {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT instr(CAST(data AS TEXT), '\"Altered\"') > 0 FROM snapshots",
                [],
                |row| row.get(0),
            )
            .unwrap()
    };
    assert!(altered(), "the snapshot was altered");
    let despite_a_false_head = reopened(&path).await;
    // The start from the log saved a true snapshot when it stopped; alter
    // it again, as one of a format this build does not read.
    let format = agora::ledger::snapshot::SNAPSHOT_FORMAT;
    sql(
        &path,
        &format!(
            "UPDATE snapshots SET data = CAST(replace(replace(CAST(data AS TEXT), '\"Demo\"', '\"Altered\"'),
            '\"format\":{format}', '\"format\":{}') AS BLOB)",
            format - 1
        ),
    );
    assert!(altered(), "the snapshot was altered");
    let despite_an_old_format = reopened(&path).await;

    assert_eq!(despite_a_false_head, live);
    assert_eq!(despite_an_old_format, live);
    assert_eq!(live.0.statutes.name, "Demo");
}

#[tokio::test]
async fn a_retry_finds_every_event_of_its_command_on_both_sides_of_the_index_mark() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let id = pioneer();
    let grant_two = || {
        request(
            Command::SetRoles(agora::domain::SetRoles {
                pioneer_id: id,
                roles: [Role::Gardener, Role::Treasurer].into_iter().collect(),
            }),
            Some("two-roles"),
            b"two roles",
        )
    };
    let first = {
        let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
        ledger.execute(create()).await.unwrap();
        ledger.execute(admit(id, None)).await.unwrap();
        let first = ledger.execute(grant_two()).await.unwrap();
        ledger.shutdown().await;
        first
    };
    // The index filed through the command's first event only.
    index_sql(
        &path,
        "DELETE FROM index_entries WHERE revision = 3;
         UPDATE index_marks SET through = 2, event_id =
             (SELECT event_id FROM log.events WHERE stream = 'community-demo' AND revision = 2);",
    );

    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    let retried = ledger.execute(grant_two()).await.unwrap();

    assert_eq!(first.events.len(), 2);
    assert!(retried.replayed);
    assert_eq!(retried.events, first.events);
}

#[tokio::test]
async fn a_caller_with_a_very_long_name_is_indexed_like_any_other() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();
    let mut long = admit(pioneer(), Some(&"k".repeat(128)));
    long.actor.id = "x".repeat(5_000);

    let first = ledger.execute(long).await.unwrap();
    ledger.shutdown().await;

    assert_eq!(first.events.len(), 1);
    assert_eq!(
        store.index_mark(&slug().stream()).await.unwrap(),
        Some(1),
        "everything was filed"
    );
}

#[tokio::test]
async fn recorded_instants_never_go_backwards_when_the_clock_does() {
    use agora::clock::ManualClock;
    let clock = Arc::new(ManualClock::new("2026-11-28T12:00:00Z".parse().unwrap()));
    let ledger = Ledger::open(Arc::new(MemoryStore::new()), clock.clone())
        .await
        .unwrap();
    ledger.execute(create()).await.unwrap();

    clock.set("2026-11-28T11:00:00Z".parse().unwrap());
    let outcome = ledger.execute(admit(pioneer(), None)).await.unwrap();

    let (_, metadata) = outcome.events[0].record.decode().unwrap();
    assert_eq!(
        metadata.recorded_at.to_string(),
        "2026-11-28T12:00:00.000000Z"
    );
}

#[tokio::test]
async fn idempotency_keys_belong_to_their_caller() {
    let ledger = open(Arc::new(MemoryStore::new())).await;
    ledger.execute(create()).await.unwrap();
    let mut other = admit(pioneer(), Some("same-key"));
    other.actor.id = "another-gardener".into();

    let first = ledger
        .execute(admit(pioneer(), Some("same-key")))
        .await
        .unwrap();
    let second = ledger.execute(other).await.unwrap();

    assert!(!first.replayed && !second.replayed);
    assert_ne!(first.events, second.events);
    assert_eq!(ledger.view(&slug()).unwrap().state.pioneers.len(), 2);
}

#[tokio::test]
async fn a_retry_within_the_same_batch_is_recorded_once() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();
    let id = pioneer();

    let (first, second) = tokio::join!(
        ledger.execute(admit(id, Some("twice"))),
        ledger.execute(admit(id, Some("twice")))
    );

    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.events, second.events);
    assert!(first.replayed != second.replayed);
    assert_eq!(
        store
            .read_all(agora::store::LogCursor::START, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn replaying_the_log_gives_the_live_state() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    ledger.execute(create()).await.unwrap();
    for _ in 0..20 {
        ledger.execute(admit(pioneer(), None)).await.unwrap();
    }
    let live = ledger.view(&slug()).unwrap();
    ledger.shutdown().await;
    drop(ledger);

    let replayed = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    let rebuilt = replayed.view(&slug()).unwrap();

    assert_eq!(*rebuilt.state, *live.state);
    assert_eq!((rebuilt.revision, rebuilt.head), (live.revision, live.head));
}

/// A store whose appends fail while `failing` is set, whose next
/// `failing_reads` reads of a stream fail, and which says it is `shared`
/// (other instances write to it) when asked to.
struct FlakyStore {
    inner: Arc<MemoryStore>,
    failing: AtomicBool,
    failing_reads: std::sync::atomic::AtomicUsize,
    shared: bool,
}

impl FlakyStore {
    fn over(inner: Arc<MemoryStore>, shared: bool) -> Self {
        Self {
            inner,
            failing: AtomicBool::new(false),
            failing_reads: std::sync::atomic::AtomicUsize::new(0),
            shared,
        }
    }
}

impl EventStore for FlakyStore {
    fn append<'a>(
        &'a self,
        stream: &'a str,
        expected: ExpectedRevision,
        events: Vec<ProposedEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome, StoreError>> {
        if self.failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::Unavailable("disk full".into())) });
        }
        self.inner.append(stream, expected, events)
    }
    fn read_stream<'a>(
        &'a self,
        stream: &'a str,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        let fail = self
            .failing_reads
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if fail {
            return Box::pin(async { Err(StoreError::Unavailable("read failed".into())) });
        }
        self.inner.read_stream(stream, from, limit)
    }
    fn end_cursor(&self) -> BoxFuture<'_, Result<agora::store::LogCursor, StoreError>> {
        self.inner.end_cursor()
    }
    fn is_shared(&self) -> bool {
        self.shared
    }
    fn read_all(
        &self,
        from: agora::store::LogCursor,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        self.inner.read_all(from, limit)
    }
    fn read_index<'a>(
        &'a self,
        stream: &'a str,
        key: &'a str,
        through: u64,
        skip: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<IndexPage, StoreError>> {
        self.inner.read_index(stream, key, through, skip, limit)
    }
    fn index_mark<'a>(&'a self, stream: &'a str) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        self.inner.index_mark(stream)
    }
    fn file_index<'a>(
        &'a self,
        stream: &'a str,
        entries: Vec<IndexEntry>,
        through: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.file_index(stream, entries, through)
    }
    fn streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        self.inner.streams()
    }
    fn save_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.save_snapshot(stream, revision, data)
    }
    fn replace_snapshot<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        data: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.replace_snapshot(stream, revision, data)
    }
    fn load_snapshot<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSnapshot>, StoreError>> {
        self.inner.load_snapshot(stream)
    }
    fn save_verified_mark<'a>(
        &'a self,
        stream: &'a str,
        revision: u64,
        head: agora_events::Hash,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.save_verified_mark(stream, revision, head)
    }
    fn load_verified_mark<'a>(
        &'a self,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<(u64, agora_events::Hash)>, StoreError>> {
        self.inner.load_verified_mark(stream)
    }
    fn marked_streams(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        self.inner.marked_streams()
    }
    fn subscribe_all(&self, from: agora::store::LogCursor) -> Subscription {
        self.inner.subscribe_all(from)
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner.ping()
    }
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        self.inner.shutdown()
    }
}

impl KeyStore for FlakyStore {
    fn put_key(&self, id: Uuid, key: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner.put_key(id, key)
    }

    fn delete_key(&self, id: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner.delete_key(id)
    }

    fn load_keys(&self) -> BoxFuture<'_, Result<Vec<StoredKey>, StoreError>> {
        self.inner.load_keys()
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

#[tokio::test]
async fn when_an_append_fails_every_command_fails_and_the_state_stays_durable() {
    let store = Arc::new(FlakyStore::over(Arc::new(MemoryStore::new()), false));
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();
    let before = ledger.view(&slug()).unwrap();

    store.failing.store(true, Ordering::SeqCst);
    let id = pioneer();
    let failed = ledger.execute(admit(id, Some("k"))).await;
    store.failing.store(false, Ordering::SeqCst);

    assert!(matches!(
        failed,
        Err(LedgerError::Store(StoreError::Unavailable(_)))
    ));
    let after = ledger.view(&slug()).unwrap();
    assert_eq!((after.revision, after.head), (before.revision, before.head));
    assert!(after.state.pioneer(id).is_none());
    // The same command goes through once the store is back.
    let retried = ledger.execute(admit(id, Some("k"))).await.unwrap();
    assert!(!retried.replayed);
    assert!(ledger.view(&slug()).unwrap().state.pioneer(id).is_some());
}

#[tokio::test]
async fn a_writer_that_loses_a_race_catches_up_and_decides_again() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(Arc::clone(&store)).await;
    ledger.execute(create()).await.unwrap();
    // Another instance admits a pioneer behind this ledger's back.
    let other = open_other_instance_and_admit(Arc::clone(&store)).await;

    let id = pioneer();
    ledger.execute(admit(id, None)).await.unwrap();

    let view = ledger.view(&slug()).unwrap();
    assert!(view.state.pioneer(other).is_some());
    assert!(view.state.pioneer(id).is_some());
    assert_eq!(view.revision, 2);
}

/// Waits, at most 10 s, until `ledger` serves what `holds` looks for.
async fn eventually(ledger: &Ledger, holds: impl Fn(&agora::ledger::DurableView) -> bool) -> bool {
    for _ in 0..500 {
        if ledger.view(&slug()).is_some_and(|view| holds(&view)) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_on_a_shared_store_catches_up_on_its_own_even_when_a_read_fails() {
    let shared = Arc::new(MemoryStore::new());
    let a = open(Arc::new(FlakyStore::over(Arc::clone(&shared), true))).await;
    let flaky_b = Arc::new(FlakyStore::over(Arc::clone(&shared), true));
    let b = open(Arc::clone(&flaky_b)).await;
    a.execute(create()).await.unwrap();
    assert!(
        eventually(&b, |_| true).await,
        "B never served the community A created"
    );

    // B's next reads fail: its catch-up fails, and it tries again on its
    // own, with no command sent to it.
    flaky_b.failing_reads.store(3, Ordering::SeqCst);
    let id = pioneer();
    a.execute(admit(id, None)).await.unwrap();

    assert!(
        eventually(&b, |view| view.state.pioneer(id).is_some()).await,
        "B stayed behind A after a failed read"
    );
    assert_eq!(flaky_b.failing_reads.load(Ordering::SeqCst), 0);
    // And B holds the key A made: the pioneer's personal data opens.
    let sealed = sealed_personal(&b, id);
    assert!(b.keys().open(id, &sealed).is_some());
}

async fn open_other_instance_and_admit(store: impl Into<Stores>) -> PioneerId {
    let other = open(store).await;
    let id = pioneer();
    other.execute(admit(id, None)).await.unwrap();
    id
}

#[tokio::test]
async fn forgetting_a_pioneer_destroys_their_key_for_good() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    ledger.execute(create()).await.unwrap();
    let id = pioneer();
    ledger.execute(admit(id, None)).await.unwrap();
    let sealed = sealed_personal(&ledger, id);
    assert!(ledger.keys().open(id, &sealed).is_some());

    for command in [
        Command::LeaveCommunity(LeaveCommunity { pioneer_id: id }),
        Command::ForgetPioneer(ForgetPioneer { pioneer_id: id }),
    ] {
        ledger.execute(request(command, None, b"x")).await.unwrap();
    }

    assert!(ledger.keys().open(id, &sealed).is_none());
    ledger.shutdown().await;
    drop(ledger);
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.load_keys().await.unwrap().is_empty());
}

/// Whether `needle` lies in any file of `directory` (the store, its
/// write-ahead log, its index, anything beside them).
fn found_in_files(directory: &std::path::Path, needle: &[u8]) -> Vec<String> {
    std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .filter(|path| {
            std::fs::read(path)
                .unwrap()
                .windows(needle.len())
                .any(|window| window == needle)
        })
        .map(|path| path.display().to_string())
        .collect()
}

fn wrapped_with(key: &KeyEncryptionKey) -> Options {
    Options {
        key_wrapping: KeyWrapping {
            current: Some(key.clone()),
            previous: None,
        },
        ..Options::default()
    }
}

/// A forgotten pioneer's key leaves no byte behind: not in the store's
/// pages, not in its write-ahead log, not in any file beside it. With a
/// key-encryption key, the bare key never reaches the disk at all.
#[tokio::test]
async fn an_erasure_leaves_no_byte_of_the_key_in_any_file() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let kek = KeyEncryptionKey::generate();
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let ledger = Ledger::open_with(store.clone(), Arc::new(SystemClock), wrapped_with(&kek))
        .await
        .unwrap();
    ledger.execute(create()).await.unwrap();
    let (id, kept) = (pioneer(), pioneer());
    let bare: [u8; 32] = std::array::from_fn(|at| (at as u8).wrapping_mul(37) ^ 0x5a);
    ledger
        .execute(admit_with(id, None, PersonalKey::from_bytes(bare)))
        .await
        .unwrap();
    ledger.execute(admit(kept, None)).await.unwrap();
    let stored = store
        .load_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(key_id, _)| *key_id == id.0)
        .unwrap()
        .1;
    assert!(found_in_files(directory.path(), &bare).is_empty());

    for command in [
        Command::LeaveCommunity(LeaveCommunity { pioneer_id: id }),
        Command::ForgetPioneer(ForgetPioneer { pioneer_id: id }),
    ] {
        ledger.execute(request(command, None, b"x")).await.unwrap();
    }
    // The service still runs: its files are as a copy taken now would be.
    let while_running = found_in_files(directory.path(), &stored);
    ledger.shutdown().await;

    assert!(while_running.is_empty(), "{while_running:?}");
    assert!(found_in_files(directory.path(), &stored).is_empty());
    assert!(found_in_files(directory.path(), &bare).is_empty());
}

/// A copy of the store, or a backup, without the key-encryption key opens
/// no personal data; with the wrong key it refuses to start; rotating the
/// key wraps every key again.
#[tokio::test]
async fn wrapped_keys_open_only_with_their_key_encryption_key_and_rotate() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let old = KeyEncryptionKey::generate();
    let ledger = Ledger::open_with(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
        wrapped_with(&old),
    )
    .await
    .unwrap();
    ledger.execute(create()).await.unwrap();
    let id = pioneer();
    ledger.execute(admit(id, None)).await.unwrap();
    let sealed = sealed_personal(&ledger, id);
    ledger.shutdown().await;
    drop(ledger);
    let open_with = |options: Options| {
        let path = path.clone();
        async move {
            let store = Arc::new(SqliteStore::open(&path).unwrap());
            let opened = Ledger::open_with(store.clone(), Arc::new(SystemClock), options).await;
            if opened.is_err() {
                // Let go of the file before the next attempt opens it.
                store.shutdown().await;
            }
            opened
        }
    };

    let without = open_with(Options::default()).await;
    let wrong = open_with(wrapped_with(&KeyEncryptionKey::generate())).await;
    let new = KeyEncryptionKey::generate();
    let rotating = open_with(Options {
        key_wrapping: KeyWrapping {
            current: Some(new.clone()),
            previous: Some(old.clone()),
        },
        ..Options::default()
    })
    .await
    .unwrap();
    let rotated_opens = rotating.keys().open(id, &sealed).is_some();
    rotating.shutdown().await;
    drop(rotating);
    let after_rotation = open_with(wrapped_with(&new)).await.unwrap();
    let opens_after_rotation = after_rotation.keys().open(id, &sealed).is_some();
    after_rotation.shutdown().await;
    drop(after_rotation);
    let old_after_rotation = open_with(wrapped_with(&old)).await;

    assert!(
        matches!(without, Err(LedgerError::Keys(_))),
        "{:?}",
        without.err()
    );
    assert!(
        matches!(wrong, Err(LedgerError::Keys(_))),
        "{:?}",
        wrong.err()
    );
    assert!(rotated_opens && opens_after_rotation);
    assert!(matches!(old_after_rotation, Err(LedgerError::Keys(_))));
}

mod ballots {
    use super::*;
    use agora::clock::ManualClock;
    use agora::domain::{
        AcceptCharter, CastVote, CloseBallot, OpenBallot, RecordSharePayment, SubscribeShares,
    };
    use agora_events::{
        BallotId, BallotKind, BallotOption, Choice, Closure, Event, EventId, EventRecord,
        PaymentId, Recorded, SubscriptionId, VotingMethod,
    };
    use agora_projections::{Communities, Projection};

    async fn member(ledger: &Ledger) -> PioneerId {
        let id = pioneer();
        ledger.execute(admit(id, None)).await.unwrap();
        let subscription_id = SubscriptionId(Uuid::now_v7());
        for command in [
            Command::AcceptCharter(AcceptCharter {
                pioneer_id: id,
                charter_version: "v1".into(),
            }),
            Command::SubscribeShares(SubscribeShares {
                subscription_id,
                pioneer_id: id,
                shares: 1,
            }),
            Command::RecordSharePayment(RecordSharePayment {
                payment_id: PaymentId(Uuid::now_v7()),
                pioneer_id: id,
                subscription_id: Some(subscription_id),
                amount: "20.00".parse().unwrap(),
                reference: "r".into(),
            }),
        ] {
            ledger.execute(request(command, None, b"x")).await.unwrap();
        }
        id
    }

    fn open(ballot_id: BallotId, closes_at: &str) -> Command {
        Command::OpenBallot(OpenBallot {
            ballot_id,
            question: "Quel projet ?".into(),
            options: ["a", "b", "c"]
                .map(|id| BallotOption {
                    option_id: id.into(),
                    label: id.to_uppercase(),
                    project_id: None,
                })
                .to_vec(),
            method: VotingMethod::Ranked,
            kind: BallotKind::Assembly,
            closes_at: closes_at.parse().unwrap(),
            sealed: false,
            assembly_id: None,
            election: None,
        })
    }

    #[tokio::test]
    async fn the_service_closes_a_due_ballot_once_and_signs_as_the_system() {
        let clock = Arc::new(ManualClock::new("2026-11-28T12:00:00Z".parse().unwrap()));
        let ledger = Ledger::open(Arc::new(MemoryStore::new()), clock.clone())
            .await
            .unwrap();
        ledger.execute(create()).await.unwrap();
        let voter = member(&ledger).await;
        let ballot_id = BallotId(Uuid::now_v7());
        ledger
            .execute(request(open(ballot_id, "2026-11-28T13:00:00Z"), None, b"o"))
            .await
            .unwrap();
        let vote = Command::CastVote(CastVote {
            ballot_id,
            voter,
            choice: Choice::Ranked {
                ranking: vec!["b".into()],
            },
            sealed: None,
        });
        ledger.execute(request(vote, None, b"v")).await.unwrap();

        let early = ledger.close_due_ballots().await;
        clock.set("2026-11-28T13:00:00Z".parse().unwrap());
        let due = ledger.close_due_ballots().await;
        let again = ledger.close_due_ballots().await;

        assert_eq!((early, due, again), (0, 1, 0));
        let view = ledger.view(&slug()).unwrap();
        let (_, closed) = view
            .state
            .ballots
            .get(ballot_id)
            .unwrap()
            .closed
            .clone()
            .unwrap();
        assert_eq!(closed.closed_by, Closure::Schedule);
        assert_eq!(closed.winner.as_deref(), Some("b"));
    }

    #[tokio::test]
    async fn a_recorded_tally_is_recomputed_from_the_events_alone() {
        let store = Arc::new(MemoryStore::new());
        let ledger = open_ledger(Arc::clone(&store)).await;
        ledger.execute(create()).await.unwrap();
        let mut voters = Vec::new();
        for _ in 0..5 {
            voters.push(member(&ledger).await);
        }
        let ballot_id = BallotId(Uuid::now_v7());
        ledger
            .execute(request(open(ballot_id, "2099-01-01T00:00:00Z"), None, b"o"))
            .await
            .unwrap();
        let rankings = [
            ["c", "a", "b"],
            ["b", "c", "a"],
            ["a", "b", "c"],
            ["c", "b", "a"],
            ["a", "c", "b"],
        ];
        for (voter, ranking) in voters.iter().zip(rankings) {
            let vote = Command::CastVote(CastVote {
                ballot_id,
                voter: *voter,
                choice: Choice::Ranked {
                    ranking: ranking.map(String::from).to_vec(),
                },
                sealed: None,
            });
            ledger.execute(request(vote, None, b"v")).await.unwrap();
        }
        let close = Command::CloseBallot(CloseBallot {
            ballot_id,
            closed_by: Closure::Gardener,
            key: None,
        });
        let key_while_open = store.load_key(ballot_id.0).await.unwrap();
        ledger.execute(request(close, None, b"c")).await.unwrap();

        // The key, revealed by the closing, is kept no longer.
        assert!(key_while_open.is_some());
        assert_eq!(store.load_key(ballot_id.0).await.unwrap(), None);

        // The ledger's own state keeps the counts of a closed ballot, not
        // its votes: they are in the log.
        let view = ledger.view(&slug()).unwrap();
        let kept = view.state.ballots.get(ballot_id).unwrap();
        assert!(kept.votes.is_empty());
        assert_eq!((kept.voters, kept.votes_cast), (5, 5));

        // An auditor's view: the log, decoded, folded, everything up to and
        // with the closing event; then the published counting rules.
        let stored = store
            .read_all(agora::store::LogCursor::START, 10_000)
            .await
            .unwrap();
        let mut replay = Communities::default();
        let mut recorded_result = None;
        for event in &stored {
            let record = EventRecord::from_store_bytes(
                EventId(event.event_id),
                &event.event_type,
                &event.data,
                &event.metadata,
            )
            .unwrap();
            let (decoded, metadata) = record.decode().unwrap();
            if let Event::VoteCast(vote) = &decoded {
                // Nobody read a vote while the ballot was open.
                assert!(vote.choice.is_none() && vote.sealed_choice.is_some());
                let data = String::from_utf8(event.data.clone()).unwrap();
                assert!(!data.contains("\"ranking\""), "{data}");
            }
            let closing = matches!(&decoded, Event::BallotClosed(_));
            if let Event::BallotClosed(closed) = &decoded {
                recorded_result = Some(closed.clone());
            }
            replay.apply(&Recorded {
                position: event.position,
                revision: event.revision,
                event_id: record.event_id,
                event: decoded,
                metadata,
                hash: record.hash,
            });
            if closing {
                break;
            }
        }
        // The closing revealed the ballot's key: the sealed votes open.
        let ballot = replay.by_slug[&slug()].ballots.get(ballot_id).unwrap();
        assert!(recorded_result.as_ref().unwrap().ballot_key.is_some());
        let recomputed = agora::domain::tally::tally(ballot);
        let recorded = recorded_result.unwrap();

        assert_eq!(recomputed.results, recorded.results);
        assert_eq!(recomputed.winner, recorded.winner);
        assert_eq!(recomputed.votes_counted, recorded.votes_counted);
    }

    async fn open_ledger(store: impl Into<Stores>) -> Arc<Ledger> {
        super::open(store).await
    }
}

/// The verified mark: `(revision, head)` of the store's single community.
fn verified_mark(path: &std::path::Path) -> Option<(i64, Vec<u8>)> {
    use rusqlite::OptionalExtension;
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT revision, head FROM verified_marks", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .unwrap()
}

/// Moves the pioneer admitted at `revision` to another college without
/// touching the event's recorded hash: what an edit of the file would do.
fn alter_event(path: &std::path::Path, revision: i64) {
    let changed = rusqlite::Connection::open(path)
        .unwrap()
        .execute(
            &format!(
                "UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '\"college\":\"a\"', '\"college\":\"b\"') AS BLOB)
                 WHERE revision = {revision} AND instr(CAST(data AS TEXT), '\"college\":\"a\"') > 0"
            ),
            [],
        )
        .unwrap();
    assert_eq!(
        changed, 1,
        "the event at {revision} is an admission to college a"
    );
}

/// A store with one community: `verified` admissions checked by a full
/// background verification (the mark), then `after` more, and a snapshot
/// at the end.
async fn verified_then_more(path: &std::path::Path, verified: usize, after: usize) -> (i64, i64) {
    let ledger = open(Arc::new(SqliteStore::open(path).unwrap())).await;
    ledger.execute(create()).await.unwrap();
    for _ in 0..verified {
        ledger.execute(admit(pioneer(), None)).await.unwrap();
    }
    ledger.shutdown().await;
    drop(ledger);
    let ledger = open(Arc::new(SqliteStore::open(path).unwrap())).await;
    ledger.verification_done().await;
    for _ in 0..after {
        ledger.execute(admit(pioneer(), None)).await.unwrap();
    }
    let revision = ledger.view(&slug()).unwrap().revision as i64;
    ledger.shutdown().await; // saves a snapshot at `revision`
    drop(ledger);
    let (mark, _) = verified_mark(path).expect("a full verification leaves its mark");
    (mark, revision)
}

#[tokio::test]
async fn a_full_verification_leaves_a_mark_at_the_head_it_checked() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");

    let (mark, snapshot) = verified_then_more(&path, 4, 3).await;

    assert_eq!(mark, 4, "the head when the background check ran");
    assert_eq!(snapshot, 7);
    let head: Vec<u8> = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT metadata FROM events WHERE revision = 4",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let recorded: serde_json::Value = serde_json::from_slice(&head).unwrap();
    let (_, kept) = verified_mark(&path).unwrap();
    assert_eq!(
        recorded["hash"].as_str().unwrap(),
        Hash(kept.try_into().unwrap()).to_string()
    );
}

#[tokio::test]
async fn an_event_altered_after_the_mark_but_before_the_snapshot_stops_the_start() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let (mark, snapshot) = verified_then_more(&path, 3, 4).await;
    assert!(mark < 5 && 5 < snapshot);

    // The snapshot still agrees with the log at its own revision, and the
    // events after it are none: only the events since the mark betray it.
    alter_event(&path, 5);
    let opened = Ledger::open(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    )
    .await;

    match opened {
        Err(LedgerError::Corrupt(reason)) => assert!(reason.contains('5'), "{reason}"),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("started on an altered log"),
    }
}

#[tokio::test]
async fn an_altered_event_at_the_mark_or_below_a_snapshot_without_a_mark_stops_the_start() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let (mark, _) = verified_then_more(&path, 3, 2).await;
    alter_event(&path, mark);
    let at_the_mark = Ledger::open(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    )
    .await;
    assert!(matches!(at_the_mark, Err(LedgerError::Corrupt(_))));

    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    verified_then_more(&path, 3, 2).await;
    sql(&path, "DELETE FROM verified_marks");
    alter_event(&path, 1);
    let without_a_mark = Ledger::open(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    )
    .await;
    assert!(matches!(without_a_mark, Err(LedgerError::Corrupt(_))));
}

/// A break the background check finds below the mark (an event altered
/// after its last full verification, which start-up does not look at
/// again) switches the ledger to read-only, says why, and moves the mark
/// back to just before the break: the next start finds the break before
/// serving, and refuses to.
#[tokio::test]
async fn a_break_found_in_the_background_is_not_forgotten_at_the_next_start() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let (mark, _) = verified_then_more(&path, 4, 2).await;
    alter_event(&path, 2);

    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    ledger.verification_done().await;

    assert!(ledger.is_read_only());
    let damage = ledger.damage().expect("the damage is told");
    assert!(damage.contains("breaks at revision 2"), "{damage}");
    let refused = ledger.execute(admit(pioneer(), None)).await;
    assert!(
        matches!(&refused, Err(LedgerError::ReadOnly(reason)) if reason.contains("damaged")),
        "{refused:?}"
    );
    ledger.shutdown().await;
    drop(ledger);
    assert_eq!(mark, 4);
    assert_eq!(verified_mark(&path).map(|(revision, _)| revision), Some(1));
    let again = Ledger::open(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    )
    .await;
    assert!(
        matches!(&again, Err(LedgerError::Corrupt(reason)) if reason.contains("revision 2")),
        "{:?}",
        again.err()
    );
}

/// A break at the very first event leaves no revision for the mark to
/// move back to: the mark then names none that hashes as verified, and
/// the next start refuses all the same.
#[tokio::test]
async fn a_break_at_the_first_event_is_not_forgotten_either() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    verified_then_more(&path, 3, 1).await;
    sql(
        &path,
        "UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '\"name\":\"', '\"name\":\"X')
             AS BLOB) WHERE revision = 0",
    );

    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    ledger.verification_done().await;
    assert!(ledger.is_read_only());
    ledger.shutdown().await;
    drop(ledger);

    let again = Ledger::open(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    )
    .await;
    assert!(
        matches!(&again, Err(LedgerError::Corrupt(_))),
        "{:?}",
        again.err()
    );
}

/// A snapshot whose revision and head agree with the log but whose state
/// is not what the log folds to (edited in the file) is served only until
/// the background check compares the two: the ledger then refuses every
/// command, says why, and puts the log's state in the snapshot's place,
/// so that the next start serves the log's figures.
#[tokio::test]
async fn a_snapshot_that_is_not_its_log_s_is_caught_and_replaced() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    verified_then_more(&path, 2, 3).await;
    let (logged, _, _) = reopened(&path).await;
    sql(
        &path,
        "UPDATE snapshots SET data = CAST(replace(CAST(data AS TEXT),
             '\"college\":\"a\"', '\"college\":\"b\"') AS BLOB)",
    );

    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    let served = (*ledger.view(&slug()).unwrap().state).clone();
    ledger.verification_done().await;

    assert_ne!(served, logged, "the edited snapshot was served at first");
    assert!(ledger.is_read_only());
    let damage = ledger.damage().expect("the damage is told");
    assert!(damage.contains("replay-equals-live"), "{damage}");
    ledger.shutdown().await;
    drop(ledger);
    let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
    assert_eq!(*ledger.view(&slug()).unwrap().state, logged);
    ledger.verification_done().await;
    assert!(!ledger.is_read_only(), "{:?}", ledger.damage());
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_running_service_checks_its_chains_again_and_moves_the_mark() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    verified_then_more(&path, 2, 0).await;
    let options = Options {
        cadence: Cadence {
            reverify_every: Some(std::time::Duration::from_millis(20)),
            ..Cadence::default()
        },
        ..Options::default()
    };
    let ledger = Ledger::open_with(
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SystemClock),
        options,
    )
    .await
    .unwrap();
    ledger.verification_done().await;
    let (before, _) = verified_mark(&path).unwrap();

    for _ in 0..3 {
        ledger.execute(admit(pioneer(), None)).await.unwrap();
    }
    let head = ledger.view(&slug()).unwrap().revision as i64;
    let mut moved = None;
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        moved = verified_mark(&path).map(|(revision, _)| revision);
        if moved == Some(head) {
            break;
        }
    }
    ledger.shutdown().await;

    assert_eq!(before, 2);
    assert_eq!(
        moved,
        Some(head),
        "the mark follows the head, pass after pass"
    );
}

mod what_is_over {
    use super::*;
    use agora::domain::{
        CancelExchange, Canceller, ConfirmExchange, PublishListing, RecordExchange,
        ReverseExchange, WithdrawListing,
    };
    use agora::ledger::index;
    use agora_events::{AccountId, ExchangeId, Hours, ListingId, ListingKind};

    fn exchange_between(
        exchange_id: ExchangeId,
        provider: PioneerId,
        receiver: PioneerId,
    ) -> [CommandRequest; 2] {
        let recorded = Command::RecordExchange(RecordExchange {
            exchange_id,
            provider,
            receiver: AccountId::Pioneer(receiver),
            hours: Hours::whole(1),
            description: "Coup de main".into(),
            listing_id: None,
        });
        let confirmed = Command::ConfirmExchange(ConfirmExchange {
            exchange_id,
            by: receiver,
        });
        [
            request(recorded, None, format!("record {exchange_id}").as_bytes()),
            request(confirmed, None, format!("confirm {exchange_id}").as_bytes()),
        ]
    }

    /// The rule each refused answer names; none for an accepted one.
    fn rules_of<T>(answers: &[Result<T, LedgerError>]) -> Vec<Option<&'static str>> {
        answers
            .iter()
            .map(|answer| match answer {
                Ok(_) => None,
                Err(LedgerError::Rejected(rejection)) => Some(rejection.rule()),
                Err(other) => panic!("{other}"),
            })
            .collect()
    }

    /// Two departures of one pioneer sent at once: one records it, the
    /// other is told the pioneer is no member any more (409), not that a
    /// role is missing.
    #[tokio::test]
    async fn a_departure_sent_twice_at_once_is_recorded_once() {
        let ledger = open(Arc::new(MemoryStore::new())).await;
        with_completed_exchanges(&ledger, 1).await;
        let view = ledger.view(&slug()).unwrap();
        let alice = *view.state.pioneers.keys().next().unwrap();
        let leave = |digest: &[u8]| {
            let mut leave = request(
                Command::LeaveCommunity(LeaveCommunity { pioneer_id: alice }),
                None,
                digest,
            );
            leave.actor = agora_events::Actor {
                id: alice.to_string(),
                role: agora_events::Role::Pioneer,
            };
            leave
        };
        let answers = tokio::join!(
            ledger.execute(leave(b"first")),
            ledger.execute(leave(b"second"))
        );
        assert_eq!(
            rules_of(&[answers.0, answers.1]),
            [None, Some("pioneer-not-member")]
        );
    }

    fn reversal(exchange_id: ExchangeId, digest: &[u8]) -> CommandRequest {
        let reverse = Command::ReverseExchange(ReverseExchange {
            exchange_id,
            reason: "Saisie en double".into(),
            by: None,
        });
        request(reverse, None, digest)
    }

    /// A community of two members with `count` completed exchanges.
    async fn with_completed_exchanges(ledger: &Ledger, count: usize) -> Vec<ExchangeId> {
        ledger.execute(create()).await.unwrap();
        let (alice, bruno) = (pioneer(), pioneer());
        ledger.execute(admit(alice, None)).await.unwrap();
        ledger.execute(admit(bruno, None)).await.unwrap();
        let mut exchanges = Vec::new();
        for n in 0..count {
            let id = ExchangeId(Uuid::now_v7());
            // Each way in turn, so that no balance nears its limit.
            let (provider, receiver) = if n % 2 == 0 {
                (alice, bruno)
            } else {
                (bruno, alice)
            };
            for step in exchange_between(id, provider, receiver) {
                ledger.execute(step).await.unwrap();
            }
            exchanges.push(id);
        }
        exchanges
    }

    /// The decision state grows with what is open, not with the log: a
    /// completed exchange leaves it; reversing it afterwards reads it from
    /// the log, and two reversals sent at once record one.
    #[tokio::test]
    async fn completed_exchanges_leave_the_state_and_are_reversed_once() {
        let ledger = open(Arc::new(MemoryStore::new())).await;
        let exchanges = with_completed_exchanges(&ledger, 30).await;

        let view = ledger.view(&slug()).unwrap();
        assert!(view.state.market.exchanges.is_empty());
        assert_eq!(view.state.market.completed_exchanges, 30);
        let (first, second) = tokio::join!(
            ledger.execute(reversal(exchanges[3], b"first")),
            ledger.execute(reversal(exchanges[3], b"second")),
        );
        let refused = match (first, second) {
            (Ok(_), Err(refused)) | (Err(refused), Ok(_)) => refused,
            other => panic!("one reversal recorded, one refused: {other:?}"),
        };
        assert!(
            matches!(
                refused,
                LedgerError::Rejected(Rejection::ExchangeNotCompleted {
                    status: "reversed",
                    ..
                })
            ),
            "{refused:?}"
        );
        let view = ledger.view(&slug()).unwrap();
        assert_eq!(view.state.market.reversals, 1);
        assert!(view.state.market.exchanges.is_empty());
        assert_eq!(
            view.state.market.sum_of_balances(),
            rust_decimal::Decimal::ZERO
        );
    }

    /// Every command of one batch decided against what the commands before
    /// it left, exchanges over before the batch or during it included.
    #[tokio::test]
    async fn a_batch_decides_on_what_its_earlier_commands_ended() {
        let ledger = open(Arc::new(MemoryStore::new())).await;
        let exchanges = with_completed_exchanges(&ledger, 3).await;
        let fresh = ExchangeId(Uuid::now_v7());
        let view = ledger.view(&slug()).unwrap();
        let members: Vec<PioneerId> = view.state.pioneers.keys().copied().collect();
        let [record, confirm] = exchange_between(fresh, members[0], members[1]);
        let again = request(confirm.command.clone(), None, b"confirm again");
        // Queued in this order before the writer runs: one batch.
        let answers = tokio::join!(
            ledger.execute(reversal(exchanges[0], b"a")),
            ledger.execute(reversal(exchanges[0], b"b")),
            ledger.execute(record),
            ledger.execute(confirm),
            ledger.execute(again),
            ledger.execute(reversal(fresh, b"c")),
            ledger.execute(reversal(fresh, b"d")),
        );
        let answers = [
            answers.0, answers.1, answers.2, answers.3, answers.4, answers.5, answers.6,
        ];

        let rules = rules_of(&answers);
        assert_eq!(
            rules,
            [
                None,
                Some("exchange-not-completed"),
                None,
                None,
                Some("exchange-not-pending"),
                None,
                Some("exchange-not-completed"),
            ]
        );
        let view = ledger.view(&slug()).unwrap();
        assert!(view.state.market.exchanges.is_empty());
        assert_eq!(view.state.market.reversals, 2);
    }

    /// An exchange pending before a batch that confirms it and then cancels
    /// it: the cancellation finds it over, not missing (409, not 404).
    #[tokio::test]
    async fn a_batch_that_ends_a_pending_exchange_answers_later_commands_about_it() {
        let ledger = open(Arc::new(MemoryStore::new())).await;
        with_completed_exchanges(&ledger, 1).await;
        let view = ledger.view(&slug()).unwrap();
        let members: Vec<PioneerId> = view.state.pioneers.keys().copied().collect();
        let pending = ExchangeId(Uuid::now_v7());
        let [record, confirm] = exchange_between(pending, members[0], members[1]);
        ledger.execute(record).await.unwrap();
        let cancel = |by, digest: &[u8]| {
            let cancel = Command::CancelExchange(CancelExchange {
                exchange_id: pending,
                by,
                reason: None,
            });
            request(cancel, None, digest)
        };
        // Queued in this order before the writer runs: one batch.
        let answers = tokio::join!(
            ledger.execute(confirm),
            ledger.execute(cancel(Canceller::Party(members[0]), b"provider")),
            ledger.execute(cancel(Canceller::Gardener, b"gardener")),
        );
        let rules = rules_of(&[answers.0, answers.1, answers.2]);
        assert_eq!(
            rules,
            [
                None,
                Some("exchange-not-pending"),
                Some("exchange-not-pending")
            ]
        );
        let view = ledger.view(&slug()).unwrap();
        assert_eq!(view.state.market.completed_exchanges, 2);
        assert!(view.state.market.exchanges.is_empty());
    }

    /// A store whose index an earlier edition filed (without the lists) is
    /// filed again at start-up: the lists then hold every event before.
    #[tokio::test]
    async fn an_index_of_an_earlier_edition_is_filed_again() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let listing = ListingId(Uuid::now_v7());
        let exchanges = {
            let ledger = open(Arc::new(SqliteStore::open(&path).unwrap())).await;
            let exchanges = with_completed_exchanges(&ledger, 2).await;
            let view = ledger.view(&slug()).unwrap();
            let author = *view.state.pioneers.keys().next().unwrap();
            let publish = Command::PublishListing(PublishListing {
                listing_id: listing,
                author,
                kind: ListingKind::Offer,
                title: "Menuiserie".into(),
                description: "Étagères".into(),
                tags: vec![],
                place: None,
            });
            ledger
                .execute(request(publish, None, b"publish"))
                .await
                .unwrap();
            let withdraw = Command::WithdrawListing(WithdrawListing {
                listing_id: listing,
                by: author,
            });
            ledger
                .execute(request(withdraw, None, b"withdraw"))
                .await
                .unwrap();
            ledger.shutdown().await; // files everything
            exchanges
        };
        // What the earlier edition's index held: no lists, no edition.
        index_sql(
            &path,
            &format!(
                "DELETE FROM index_entries WHERE key IN ('{}', '{}', '{}')",
                index::EDITION,
                index::LISTINGS,
                index::COMPLETED_EXCHANGES
            ),
        );

        // Inspecting it read-only files nothing, and still lists everything.
        {
            let store = Arc::new(SqliteStore::open(&path).unwrap());
            let inspecting = Ledger::open_read_only(Arc::clone(&store), Arc::new(SystemClock))
                .await
                .unwrap();
            let view = inspecting.view(&slug()).unwrap();
            let listed = inspecting
                .newest_items(&slug(), &view, (index::LISTINGS, None), 10, |_, id| {
                    Some(id)
                })
                .await
                .unwrap();
            let edition = store
                .read_index(&slug().stream(), index::EDITION, view.revision, 0, 1)
                .await
                .unwrap();
            inspecting.shutdown().await;
            assert_eq!(listed, [listing.0]);
            assert_eq!(edition.total, 0, "read-only: nothing filed");
        }

        let store = Arc::new(SqliteStore::open(&path).unwrap());
        let ledger = open(Arc::clone(&store)).await;
        let view = ledger.view(&slug()).unwrap();
        let listed = ledger
            .newest_items(&slug(), &view, (index::LISTINGS, None), 10, |market, id| {
                let listing = market.listings.get(&ListingId(id))?;
                Some((listing.id, listing.withdrawn_at.is_some()))
            })
            .await
            .unwrap();
        let completed = ledger
            .newest_items(
                &slug(),
                &view,
                (index::COMPLETED_EXCHANGES, None),
                10,
                |market, id| {
                    market
                        .exchanges
                        .get(&ExchangeId(id))
                        .map(|exchange| exchange.id)
                },
            )
            .await
            .unwrap();
        let stream = slug().stream();
        let edition = store
            .read_index(&stream, index::EDITION, view.revision, 0, 1)
            .await
            .unwrap();
        ledger.shutdown().await;

        assert_eq!(listed, [(listing, true)]);
        assert_eq!(completed, [exchanges[1], exchanges[0]]);
        assert_eq!(edition.total, 1, "filed last, once everything else is");
        assert!(!view.state.market.holds(listing.0));
    }
}

/// A store that says its file is corrupt, met while reading a log on
/// request, turns the ledger read-only as a break would; a store that is
/// only unavailable for a while does not.
#[tokio::test]
async fn a_corrupt_store_met_on_request_turns_the_ledger_read_only() {
    let ledger = open(Arc::new(MemoryStore::new())).await;
    let community: agora_events::CommunitySlug = "demo".parse().unwrap();
    ledger.heed_store_error(&community, &StoreError::Unavailable("busy".into()));
    assert!(!ledger.is_read_only());
    assert_eq!(ledger.damage(), None);
    ledger.heed_store_error(&community, &StoreError::Corrupt("malformed".into()));
    assert!(ledger.is_read_only());
    let damage = ledger.damage().unwrap();
    assert!(damage.contains("corrupt"));
    // Met again, it is not noted again.
    ledger.heed_store_error(&community, &StoreError::Corrupt("malformed".into()));
    assert_eq!(ledger.damage().unwrap(), damage);
}

/// Two instances started with the demo at once on one shared store: one
/// seeds it, the other waits for it and names the same community, and
/// neither fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_seeding_the_demo_at_once_both_start() {
    let inner = Arc::new(MemoryStore::new());
    let store = Arc::new(FlakyStore::over(inner, true));
    let (first, second) = tokio::join!(open(Arc::clone(&store)), open(Arc::clone(&store)));
    let (a, b) = tokio::join!(agora::demo::seed(&first), agora::demo::seed(&second));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.community, b.community);
    first.shutdown().await;
    second.shutdown().await;
}

/// An admission sent to two instances at once under one idempotency key:
/// the instance that loses the race answers from what the other recorded,
/// and the key it kept for its own new pioneer, which no event will ever
/// need, is destroyed rather than left to every later start.
#[tokio::test]
async fn an_admission_that_loses_a_race_to_its_own_retry_leaves_no_key_behind() {
    let inner = Arc::new(MemoryStore::new());
    let store = Arc::new(FlakyStore::over(Arc::clone(&inner), true));
    let first = open(Arc::clone(&store)).await;
    let second = open(Arc::clone(&store)).await;
    first.execute(create()).await.unwrap();
    let (winner, loser) = (pioneer(), pioneer());
    let sent = admit(winner, Some("admission-1"));
    let mut retried = admit(loser, Some("admission-1"));
    retried.command_digest = sent.command_digest;

    let (a, b) = tokio::join!(first.execute(sent), second.execute(retried));
    let (a, b) = (a.unwrap(), b.unwrap());

    assert!(a.replayed != b.replayed, "one records, the other replays");
    let recorded = if a.replayed { loser } else { winner };
    let kept: Vec<Uuid> = inner
        .load_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(kept, vec![recorded.0]);
    first.shutdown().await;
    second.shutdown().await;
}
