//! The event store contract, run against every adapter: SQLite (a temporary
//! file), in-memory, PostgreSQL (a schema of its own per test, in the
//! database `AGORA_TEST_POSTGRES_URL` names) and KurrentDB (a namespace of
//! its own per test, on the server `AGORA_TEST_KURRENTDB_URL` names); the
//! last two are skipped, saying so, when their variable is not set.

use std::sync::Arc;
use std::time::Duration;

use agora::store::{
    EventStore, ExpectedRevision, IndexEntry, KeyStore, LogCursor, MemoryStore, ProposedEvent,
    SqliteStore, StoreError, Stores,
};
use uuid::Uuid;

mod support;

/// A store under test and whatever must live as long as it.
struct Subject {
    store: Arc<dyn EventStore>,
    keys: Arc<dyn KeyStore>,
    _directory: Option<tempfile::TempDir>,
}

impl Subject {
    fn of(stores: impl Into<Stores>, directory: Option<tempfile::TempDir>) -> Self {
        let Stores { events, keys } = stores.into();
        Self {
            store: events,
            keys,
            _directory: directory,
        }
    }
}

async fn memory() -> Option<Subject> {
    Some(Subject::of(Arc::new(MemoryStore::new()), None))
}

async fn sqlite() -> Option<Subject> {
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(directory.path().join("agora.db")).unwrap();
    Some(Subject::of(Arc::new(store), Some(directory)))
}

async fn postgres() -> Option<Subject> {
    let url = support::postgres::fresh_schema().await?;
    let store = agora::store::PostgresStore::open(&url).await.unwrap();
    Some(Subject::of(Arc::new(store), None))
}

async fn kurrentdb() -> Option<Subject> {
    let directory = tempfile::tempdir().unwrap();
    let url = support::kurrentdb::fresh_namespace()?;
    let url = format!("{url}&side={}", directory.path().join("side.db").display());
    let store = agora::store::KurrentStore::open(&url).await.unwrap();
    Some(Subject::of(Arc::new(store), Some(directory)))
}

fn event(label: &str) -> ProposedEvent {
    ProposedEvent {
        event_id: Uuid::now_v7(),
        event_type: "Tested".into(),
        // Bytes that are not valid UTF-8 and hold a NUL: kept as they are.
        data: format!("{{\"label\":\"{label}\"}}\u{0}\u{7f}")
            .into_bytes()
            .into_iter()
            .chain([0xff, 0xfe])
            .collect(),
        metadata: format!("{{\"about\":\"{label}\"}}").into_bytes(),
    }
}

fn entry(key: &str, revision: u64) -> IndexEntry {
    IndexEntry {
        key: key.into(),
        revision,
    }
}

fn labels(events: &[agora::store::StoredEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let text = String::from_utf8_lossy(&event.data).into_owned();
            text.split('"').nth(3).unwrap_or_default().to_owned()
        })
        .collect()
}

async fn appended(store: &dyn EventStore, stream: &str, labels: &[&str]) -> Vec<ProposedEvent> {
    let events: Vec<_> = labels.iter().map(|label| event(label)).collect();
    store
        .append(stream, ExpectedRevision::Any, events.clone())
        .await
        .unwrap();
    events
}

async fn appends_and_reads_round_trip_byte_for_byte(subject: Subject) {
    let store = &*subject.store;
    let sent = appended(store, "community-a", &["one", "two"]).await;

    let read = store.read_stream("community-a", 0, 100).await.unwrap();

    assert_eq!(read.len(), 2);
    for (revision, (stored, sent)) in read.iter().zip(&sent).enumerate() {
        assert_eq!(stored.stream, "community-a");
        assert_eq!(stored.revision, revision as u64);
        assert_eq!(stored.event_id, sent.event_id);
        assert_eq!(stored.event_type, sent.event_type);
        assert_eq!(stored.data, sent.data);
        assert_eq!(stored.metadata, sent.metadata);
    }
    assert_eq!(store.read_all(LogCursor::START, 100).await.unwrap(), read);
}

async fn append_reports_revisions_and_positions(subject: Subject) {
    let store = &*subject.store;

    let first = store
        .append(
            "s",
            ExpectedRevision::NoStream,
            vec![event("a"), event("b")],
        )
        .await
        .unwrap();
    let second = store
        .append("t", ExpectedRevision::NoStream, vec![event("c")])
        .await
        .unwrap();
    let third = store
        .append("s", ExpectedRevision::Exact(1), vec![event("d")])
        .await
        .unwrap();

    assert_eq!(first.last_revision, Some(1));
    assert_eq!(second.last_revision, Some(0));
    assert_eq!(third.last_revision, Some(2));
    let positions: Vec<u64> = [first.positions, second.positions, third.positions].concat();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );
    let log: Vec<u64> = store
        .read_all(LogCursor::START, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(log, positions);
}

async fn wrong_expected_revisions_are_refused_and_change_nothing(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b"]).await;

    let cases = [
        (ExpectedRevision::NoStream, Some(1)),
        (ExpectedRevision::Exact(0), Some(1)),
        (ExpectedRevision::Exact(2), Some(1)),
    ];
    for (expected, actual) in cases {
        let refused = store.append("s", expected, vec![event("x")]).await;
        assert_eq!(
            refused,
            Err(StoreError::WrongExpectedRevision {
                stream: "s".into(),
                expected,
                actual
            })
        );
    }
    let missing = store
        .append("nobody", ExpectedRevision::Exact(0), vec![event("x")])
        .await;
    assert!(matches!(
        missing,
        Err(StoreError::WrongExpectedRevision { actual: None, .. })
    ));

    assert_eq!(
        store.read_all(LogCursor::START, 100).await.unwrap().len(),
        2
    );
    assert!(store.read_stream("nobody", 0, 10).await.unwrap().is_empty());
}

async fn a_duplicate_event_id_is_refused_and_changes_nothing(subject: Subject) {
    let store = &*subject.store;
    let first = appended(store, "s", &["a"]).await;

    let again = store
        .append(
            "s",
            ExpectedRevision::Any,
            vec![event("b"), first[0].clone()],
        )
        .await;

    assert_eq!(again, Err(StoreError::DuplicateEvent(first[0].event_id)));
    assert_eq!(
        store.read_all(LogCursor::START, 100).await.unwrap().len(),
        1
    );
}

async fn of_concurrent_appends_at_one_revision_exactly_one_wins(subject: Subject) {
    let store = Arc::clone(&subject.store);
    appended(&*store, "s", &["start"]).await;

    let contenders: Vec<_> = (0..32)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .append(
                        "s",
                        ExpectedRevision::Exact(0),
                        vec![event(&format!("c{n}"))],
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for contender in contenders {
        match contender.await.unwrap() {
            Ok(outcome) => {
                wins += 1;
                assert_eq!(outcome.last_revision, Some(1));
            }
            Err(StoreError::WrongExpectedRevision { actual, .. }) => assert_eq!(actual, Some(1)),
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    assert_eq!(wins, 1);
    assert_eq!(store.read_stream("s", 0, 100).await.unwrap().len(), 2);
}

async fn reads_page_from_a_revision_or_position(subject: Subject) {
    let store = &*subject.store;
    for n in 0..10 {
        appended(
            store,
            if n % 2 == 0 { "even" } else { "odd" },
            &[&n.to_string()],
        )
        .await;
    }

    let page = store.read_stream("odd", 2, 2).await.unwrap();
    let log = store.read_all(LogCursor::START, 100).await.unwrap();
    let all_page = store.read_all(log[2].cursor, 4).await.unwrap();

    assert_eq!(page.iter().map(|e| e.revision).collect::<Vec<_>>(), [2, 3]);
    assert!(page.iter().all(|e| e.stream == "odd"));
    assert_eq!(all_page, log[3..7]);
    let last = log.last().unwrap().cursor;
    assert!(store.read_all(last, 10).await.unwrap().is_empty());
}

async fn a_subscription_sees_every_event_once_in_order_across_catch_up_and_live(subject: Subject) {
    let store = Arc::clone(&subject.store);
    for n in 0..50 {
        appended(&*store, &format!("s{}", n % 3), &[&format!("before-{n}")]).await;
    }
    let mut subscription = store.subscribe_all(LogCursor::START);

    // Live appends start while the subscriber is still catching up.
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for n in 0..150 {
                appended(&*store, &format!("s{}", n % 3), &[&format!("after-{n}")]).await;
                if n % 25 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut seen = Vec::new();
    while seen.len() < 200 {
        let next = tokio::time::timeout(Duration::from_secs(10), subscription.next())
            .await
            .expect("the subscription stalled")
            .expect("the subscription ended")
            .unwrap();
        seen.push(next);
    }
    writer.await.unwrap();

    let log = store.read_all(LogCursor::START, 1_000).await.unwrap();
    assert_eq!(seen, log);
    let nothing_more = tokio::time::timeout(Duration::from_millis(100), subscription.next()).await;
    assert!(nothing_more.is_err(), "an event was delivered twice");
}

async fn a_subscription_from_a_cursor_starts_just_after_it(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b", "c"]).await;
    let log = store.read_all(LogCursor::START, 10).await.unwrap();
    let third = log[2].clone();

    let mut subscription = store.subscribe_all(log[1].cursor);
    let first = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await;

    assert_eq!(
        first.expect("the subscription stalled").unwrap().unwrap(),
        third
    );
}

async fn shutdown_answers_queued_appends_then_refuses_new_ones(subject: Subject) {
    let store = Arc::clone(&subject.store);
    let appends: Vec<_> = (0..500)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .append("s", ExpectedRevision::Any, vec![event(&n.to_string())])
                    .await
            })
        })
        .collect();
    let mut subscription = store.subscribe_all(LogCursor::START);
    // Once one append is durable the others are queued or on their way.
    tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("nothing was appended")
        .unwrap()
        .unwrap();

    store.shutdown().await;

    let mut acknowledged = 0;
    for append in appends {
        match append.await.unwrap() {
            Ok(_) => acknowledged += 1,
            // Refused before it was queued: fine. A queued append dropped by
            // the writer would say otherwise.
            Err(StoreError::Unavailable(message)) => assert_eq!(message, "the store is shut down"),
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(
        store.read_all(LogCursor::START, 1_000).await.unwrap().len(),
        acknowledged
    );
    let refused = store
        .append("s", ExpectedRevision::Any, vec![event("late")])
        .await;
    assert!(matches!(refused, Err(StoreError::Unavailable(_))));
    // The subscription delivers what was recorded, then ends.
    let mut delivered = 1;
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("the subscription did not end after shutdown")
    {
        event.unwrap();
        delivered += 1;
    }
    assert_eq!(delivered, acknowledged);
}

async fn keys_are_kept_replaced_and_destroyed(subject: Subject) {
    let store = &*subject.keys;
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    store.put_key(first, vec![1; 32]).await.unwrap();
    store.put_key(second, vec![2; 32]).await.unwrap();
    store.put_key(first, vec![3; 32]).await.unwrap();
    store.delete_key(second).await.unwrap();
    store.delete_key(Uuid::now_v7()).await.unwrap();

    assert_eq!(store.load_keys().await.unwrap(), vec![(first, vec![3; 32])]);
    assert_eq!(store.load_key(first).await.unwrap(), Some(vec![3; 32]));
    assert_eq!(store.load_key(second).await.unwrap(), None);
}

async fn the_index_finds_a_streams_events_by_key_in_pages(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b", "c", "d"]).await;
    appended(store, "t", &["x"]).await;
    assert_eq!(store.index_mark("s").await.unwrap(), None);

    store
        .file_index("s", vec![entry("k", 0), entry("j", 0), entry("j", 1)], 1)
        .await
        .unwrap();
    // Filing again is harmless; a key given twice files the event once.
    store
        .file_index("s", vec![entry("k", 2), entry("k", 2), entry("j", 1)], 2)
        .await
        .unwrap();
    // Another stream's events under the same key are not this stream's.
    store.file_index("t", vec![entry("k", 0)], 0).await.unwrap();

    let k = store.read_index("s", "k", 10, 0, 10).await.unwrap();
    assert_eq!(
        (k.total, labels(&k.events)),
        (2, vec!["a".into(), "c".into()])
    );
    assert_eq!(
        k.events.iter().map(|e| e.revision).collect::<Vec<_>>(),
        [0, 2]
    );
    let page = store.read_index("s", "j", 10, 1, 1).await.unwrap();
    assert_eq!((page.total, labels(&page.events)), (2, vec!["b".into()]));
    let through_1 = store.read_index("s", "k", 1, 0, 10).await.unwrap();
    assert_eq!(
        (through_1.total, labels(&through_1.events)),
        (1, vec!["a".into()])
    );
    let none = store.read_index("s", "nothing", 10, 0, 10).await.unwrap();
    assert_eq!((none.total, none.events.len()), (0, 0));
    // A page of none still counts them all (a list read newest first
    // starts there).
    let counted = store.read_index("s", "k", 10, 0, 0).await.unwrap();
    assert_eq!((counted.total, counted.events.len()), (2, 0));
    let first = store
        .read_index_first("s", vec!["j".into(), "nothing".into(), "k".into()], 10, 1)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|page| labels(page)).collect::<Vec<_>>(),
        [vec!["a".to_owned()], vec![], vec!["a".to_owned()]]
    );
    assert_eq!(store.index_mark("s").await.unwrap(), Some(2));
    assert_eq!(store.index_mark("t").await.unwrap(), Some(0));
}

async fn an_index_mark_never_moves_back_and_bad_entries_file_nothing(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b", "c"]).await;
    store.file_index("s", vec![entry("k", 2)], 2).await.unwrap();

    store.file_index("s", vec![entry("k", 0)], 0).await.unwrap();
    let too_long = store
        .file_index("s", vec![entry("j", 1), entry(&"k".repeat(257), 1)], 2)
        .await;
    let beyond_the_mark = store.file_index("s", vec![entry("j", 2)], 1).await;
    // Checked against the log: the adapter must look, not only validate.
    let past_the_stream = store.file_index("s", vec![entry("j", 1)], 3).await;

    assert_eq!(store.index_mark("s").await.unwrap(), Some(2));
    assert!(matches!(too_long, Err(StoreError::InvalidAppend(_))));
    assert!(matches!(beyond_the_mark, Err(StoreError::InvalidAppend(_))));
    assert!(matches!(past_the_stream, Err(StoreError::InvalidAppend(_))));
    assert_eq!(store.read_index("s", "j", 2, 0, 10).await.unwrap().total, 0);
    assert_eq!(store.read_index("s", "k", 2, 0, 10).await.unwrap().total, 2);
}

async fn snapshots_replace_each_other_and_streams_are_listed(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b"]).await;
    appended(store, "t", &["c"]).await;
    assert_eq!(store.load_snapshot("s").await.unwrap(), None);

    store
        .save_snapshot("s", 0, b"first".to_vec())
        .await
        .unwrap();
    store
        .save_snapshot("s", 1, b"second".to_vec())
        .await
        .unwrap();
    let mut streams = store.streams().await.unwrap();
    streams.sort();

    assert_eq!(
        store.load_snapshot("s").await.unwrap(),
        Some((1, b"second".to_vec()))
    );
    assert_eq!(store.load_snapshot("t").await.unwrap(), None);
    assert_eq!(streams, ["s", "t"]);
}

/// A replacement stands even over a later snapshot: the state the later
/// one was saved from was found not to be the log's.
async fn a_replaced_snapshot_stands_over_a_later_one(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b", "c"]).await;
    store
        .save_snapshot("s", 2, b"later, wrong".to_vec())
        .await
        .unwrap();

    store
        .replace_snapshot("s", 1, b"the log's".to_vec())
        .await
        .unwrap();

    assert_eq!(
        store.load_snapshot("s").await.unwrap(),
        Some((1, b"the log's".to_vec()))
    );
}

async fn verified_marks_replace_each_other_per_stream(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b"]).await;
    assert_eq!(store.load_verified_mark("s").await.unwrap(), None);
    let (first, second) = (agora_events::Hash::of(b"a"), agora_events::Hash::of(b"b"));

    store.save_verified_mark("s", 0, first).await.unwrap();
    store.save_verified_mark("s", 1, second).await.unwrap();

    assert_eq!(
        store.load_verified_mark("s").await.unwrap(),
        Some((1, second))
    );
    assert_eq!(store.load_verified_mark("t").await.unwrap(), None);

    // Back before a break found since: the next start checks more.
    store.save_verified_mark("s", 0, first).await.unwrap();
    assert_eq!(
        store.load_verified_mark("s").await.unwrap(),
        Some((0, first))
    );

    store.save_verified_mark("u", 3, second).await.unwrap();
    let mut marked = store.marked_streams().await.unwrap();
    marked.sort();
    assert_eq!(marked, ["s", "u"]);
}

/// A verification moves the mark only from where it read it: a mark moved
/// back meanwhile (a break found by another) stays back.
async fn a_verified_mark_advances_only_from_where_it_was_read(subject: Subject) {
    let store = &*subject.store;
    appended(store, "s", &["a", "b", "c"]).await;
    let (a, b, c) = (
        agora_events::Hash::of(b"a"),
        agora_events::Hash::of(b"b"),
        agora_events::Hash::of(b"c"),
    );

    let first = store
        .advance_verified_mark("s", None, (1, b))
        .await
        .unwrap();
    let again_from_none = store
        .advance_verified_mark("s", None, (2, c))
        .await
        .unwrap();
    store.save_verified_mark("s", 0, a).await.unwrap(); // moved back
    let from_stale = store
        .advance_verified_mark("s", Some((1, b)), (2, c))
        .await
        .unwrap();
    let kept = store.load_verified_mark("s").await.unwrap();
    let from_current = store
        .advance_verified_mark("s", Some((0, a)), (2, c))
        .await
        .unwrap();

    assert!(first, "no mark yet: the first verification sets it");
    assert!(!again_from_none, "a mark set since is not overwritten");
    assert!(!from_stale, "a mark moved back stays back");
    assert_eq!(kept, Some((0, a)));
    assert!(from_current);
    assert_eq!(store.load_verified_mark("s").await.unwrap(), Some((2, c)));
}

async fn the_end_of_the_log_is_the_cursor_after_its_last_event(subject: Subject) {
    let store = &*subject.store;
    assert_eq!(store.end_cursor().await.unwrap(), LogCursor::START);
    appended(store, "s", &["a", "b"]).await;

    let end = store.end_cursor().await.unwrap();
    appended(store, "t", &["c"]).await;

    let log = store.read_all(LogCursor::START, 10).await.unwrap();
    assert_eq!(end, log[1].cursor);
    assert_eq!(labels(&store.read_all(end, 10).await.unwrap()), ["c"]);
}

macro_rules! contract {
    ($($adapter:ident),*) => {$(
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn appends_and_reads_round_trip_byte_for_byte() {
                let Some(subject) = $adapter().await else { return };
                super::appends_and_reads_round_trip_byte_for_byte(subject).await;
            }
            #[tokio::test]
            async fn append_reports_revisions_and_positions() {
                let Some(subject) = $adapter().await else { return };
                super::append_reports_revisions_and_positions(subject).await;
            }
            #[tokio::test]
            async fn wrong_expected_revisions_are_refused_and_change_nothing() {
                let Some(subject) = $adapter().await else { return };
                super::wrong_expected_revisions_are_refused_and_change_nothing(subject).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn of_concurrent_appends_at_one_revision_exactly_one_wins() {
                let Some(subject) = $adapter().await else { return };
                super::of_concurrent_appends_at_one_revision_exactly_one_wins(subject).await;
            }
            #[tokio::test]
            async fn reads_page_from_a_revision_or_position() {
                let Some(subject) = $adapter().await else { return };
                super::reads_page_from_a_revision_or_position(subject).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_subscription_sees_every_event_once_in_order_across_catch_up_and_live() {
                let Some(subject) = $adapter().await else { return };
                super::a_subscription_sees_every_event_once_in_order_across_catch_up_and_live(subject).await;
            }
            #[tokio::test]
            async fn a_subscription_from_a_cursor_starts_just_after_it() {
                let Some(subject) = $adapter().await else { return };
                super::a_subscription_from_a_cursor_starts_just_after_it(subject).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn shutdown_answers_queued_appends_then_refuses_new_ones() {
                let Some(subject) = $adapter().await else { return };
                super::shutdown_answers_queued_appends_then_refuses_new_ones(subject).await;
            }
            #[tokio::test]
            async fn the_index_finds_a_streams_events_by_key_in_pages() {
                let Some(subject) = $adapter().await else { return };
                super::the_index_finds_a_streams_events_by_key_in_pages(subject).await;
            }
            #[tokio::test]
            async fn an_index_mark_never_moves_back_and_bad_entries_file_nothing() {
                let Some(subject) = $adapter().await else { return };
                super::an_index_mark_never_moves_back_and_bad_entries_file_nothing(subject).await;
            }
            #[tokio::test]
            async fn snapshots_replace_each_other_and_streams_are_listed() {
                let Some(subject) = $adapter().await else { return };
                super::snapshots_replace_each_other_and_streams_are_listed(subject).await;
            }
            #[tokio::test]
            async fn a_replaced_snapshot_stands_over_a_later_one() {
                let Some(subject) = $adapter().await else { return };
                super::a_replaced_snapshot_stands_over_a_later_one(subject).await;
            }
            #[tokio::test]
            async fn verified_marks_replace_each_other_per_stream() {
                let Some(subject) = $adapter().await else { return };
                super::verified_marks_replace_each_other_per_stream(subject).await;
            }
            #[tokio::test]
            async fn a_verified_mark_advances_only_from_where_it_was_read() {
                let Some(subject) = $adapter().await else { return };
                super::a_verified_mark_advances_only_from_where_it_was_read(subject).await;
            }
            #[tokio::test]
            async fn the_end_of_the_log_is_the_cursor_after_its_last_event() {
                let Some(subject) = $adapter().await else { return };
                super::the_end_of_the_log_is_the_cursor_after_its_last_event(subject).await;
            }
            #[tokio::test]
            async fn keys_are_kept_replaced_and_destroyed() {
                let Some(subject) = $adapter().await else { return };
                super::keys_are_kept_replaced_and_destroyed(subject).await;
            }
        }
    )*};
}

contract!(memory, sqlite, postgres, kurrentdb);

/// Event ids are unique in the stores that keep them in one table. A
/// KurrentDB server only recognises a repeated append (see
/// `kurrentdb_only`).
mod unique_event_ids {
    use super::*;

    #[tokio::test]
    async fn in_memory() {
        a_duplicate_event_id_is_refused_and_changes_nothing(memory().await.unwrap()).await;
    }
    #[tokio::test]
    async fn in_sqlite() {
        a_duplicate_event_id_is_refused_and_changes_nothing(sqlite().await.unwrap()).await;
    }
    #[tokio::test]
    async fn in_postgres() {
        let Some(subject) = postgres().await else {
            return;
        };
        a_duplicate_event_id_is_refused_and_changes_nothing(subject).await;
    }
}

mod kurrentdb_only {
    use super::*;

    #[tokio::test]
    async fn a_repeated_append_is_recorded_once_and_answered_as_the_first() {
        let Some(subject) = kurrentdb().await else {
            return;
        };
        let store = &*subject.store;
        appended(store, "s", &["a"]).await;
        let (b, c) = (event("b"), event("c"));

        let first = store
            .append("s", ExpectedRevision::Exact(0), vec![b.clone(), c.clone()])
            .await
            .unwrap();
        let again = store
            .append("s", ExpectedRevision::Exact(0), vec![b, c])
            .await
            .unwrap();

        assert_eq!(again, first);
        assert_eq!(
            labels(&store.read_stream("s", 0, 10).await.unwrap()),
            ["a", "b", "c"]
        );
    }

    #[tokio::test]
    async fn ledgers_in_two_namespaces_do_not_see_each_other() {
        let (Some(one), Some(other)) = (kurrentdb().await, kurrentdb().await) else {
            return;
        };
        appended(&*one.store, "s", &["mine"]).await;
        one.keys.put_key(Uuid::now_v7(), vec![1; 32]).await.unwrap();

        assert!(
            other
                .store
                .read_all(LogCursor::START, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            other
                .store
                .read_stream("s", 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(other.store.streams().await.unwrap().is_empty());
        assert!(other.keys.load_keys().await.unwrap().is_empty());
        assert_eq!(other.store.end_cursor().await.unwrap(), LogCursor::START);
    }

    #[tokio::test]
    async fn a_destroyed_key_cannot_be_kept_again() {
        let Some(subject) = kurrentdb().await else {
            return;
        };
        let id = Uuid::now_v7();
        subject.keys.put_key(id, vec![1; 32]).await.unwrap();
        subject.keys.delete_key(id).await.unwrap();

        let again = subject.keys.put_key(id, vec![2; 32]).await;

        assert!(
            matches!(again, Err(StoreError::InvalidAppend(_))),
            "{again:?}"
        );
        assert_eq!(subject.keys.load_key(id).await.unwrap(), None);
    }
}

mod sqlite_file {
    use super::*;

    #[tokio::test]
    async fn a_reopened_store_has_everything() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let store = SqliteStore::open(&path).unwrap();
        let sent = appended(&store, "s", &["a", "b", "c"]).await;
        let before = store.read_all(LogCursor::START, 100).await.unwrap();
        store.shutdown().await;
        drop(store);

        let reopened = SqliteStore::open(&path).unwrap();
        let after = reopened.read_all(LogCursor::START, 100).await.unwrap();
        let next = reopened
            .append("s", ExpectedRevision::Exact(2), vec![event("d")])
            .await
            .unwrap();

        assert_eq!(after, before);
        assert_eq!(
            after.iter().map(|e| e.event_id).collect::<Vec<_>>(),
            sent.iter().map(|e| e.event_id).collect::<Vec<_>>()
        );
        assert_eq!(next.positions, [before.last().unwrap().position + 1]);
    }

    #[tokio::test]
    async fn keys_survive_a_reopen() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let store = SqliteStore::open(&path).unwrap();
        let id = Uuid::now_v7();
        store.put_key(id, vec![7; 32]).await.unwrap();
        store.shutdown().await;
        drop(store);

        let reopened = SqliteStore::open(&path).unwrap();

        assert_eq!(reopened.load_keys().await.unwrap(), vec![(id, vec![7; 32])]);
    }

    #[tokio::test]
    async fn a_store_of_the_first_schema_version_is_migrated() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL,
                revision INTEGER NOT NULL, event_id BLOB NOT NULL UNIQUE, event_type TEXT NOT NULL,
                data BLOB NOT NULL, metadata BLOB NOT NULL, UNIQUE (stream, revision)) STRICT;
             PRAGMA application_id = 1095192402; PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(old);

        let store = SqliteStore::open(&path).unwrap();
        let id = Uuid::now_v7();
        store.put_key(id, vec![1]).await.unwrap();
        appended(&store, "s", &["a"]).await;

        assert_eq!(store.load_keys().await.unwrap().len(), 1);
    }

    /// A filing holds the index's write lock only: were it to take the
    /// log's too (an immediate transaction locks every attached database),
    /// appends would wait for whole filings.
    #[tokio::test]
    async fn filing_the_index_never_takes_the_logs_write_lock() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let store = SqliteStore::open(&path).unwrap();
        appended(&store, "s", &["a", "b"]).await;
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();

        let filed = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            store.file_index("s", vec![entry("k", 0), entry("k", 1)], 1),
        )
        .await;

        writer.execute_batch("ROLLBACK").unwrap();
        assert!(
            matches!(filed, Ok(Ok(()))),
            "filing waited for the log's writer: {filed:?}"
        );
        let found = store.read_index("s", "k", 1, 0, 10).await.unwrap();
        assert_eq!(found.events.len(), 2);
        assert_eq!(store.index_mark("s").await.unwrap(), Some(1));
    }

    #[tokio::test]
    async fn a_store_file_in_use_cannot_be_opened_twice() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let _first = SqliteStore::open(&path).unwrap();

        let second = SqliteStore::open(&path);

        assert!(
            matches!(second, Err(StoreError::Unavailable(message)) if message.contains("in use"))
        );
    }

    /// Another name for the same file — a hard link, a symbolic link, the
    /// path spelled otherwise — meets the same lock: two writers on one
    /// file would corrupt it.
    #[tokio::test]
    async fn a_store_file_in_use_cannot_be_opened_under_another_name() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("agora.db");
        let first = SqliteStore::open(&path).unwrap();
        let hard = directory.path().join("hard.db");
        std::fs::hard_link(&path, &hard).unwrap();
        let soft = directory.path().join("soft.db");
        std::os::unix::fs::symlink(&path, &soft).unwrap();
        let spelled = directory.path().join(".").join("agora.db");
        for other in [&hard, &soft, &spelled] {
            let second = SqliteStore::open(other);
            assert!(
                matches!(&second, Err(StoreError::Unavailable(message)) if message.contains("in use")),
                "{}: {:?}",
                other.display(),
                second.err()
            );
        }
        // Once the first lets go, it opens again.
        drop(first);
        SqliteStore::open(&path).unwrap();
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_store_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("other.db");
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE notes (body TEXT);")
            .unwrap();
        drop(other);

        let opened = SqliteStore::open(&path);

        assert!(matches!(opened, Err(StoreError::Corrupt(_))));
    }

    #[tokio::test]
    async fn appends_larger_than_the_limits_are_refused_before_any_io() {
        let subject = sqlite().await.unwrap();
        let too_many: Vec<_> = (0..=agora::store::APPEND_EVENTS_MAX)
            .map(|n| event(&n.to_string()))
            .collect();

        let refused = subject
            .store
            .append("s", ExpectedRevision::Any, too_many)
            .await;

        assert!(matches!(refused, Err(StoreError::InvalidAppend(_))));
        assert!(
            subject
                .store
                .read_all(LogCursor::START, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Two stores on one PostgreSQL schema, as two service instances see it.
mod postgres_shared {
    use super::*;
    use agora::store::PostgresStore;

    async fn two_instances() -> Option<(PostgresStore, PostgresStore)> {
        let url = support::postgres::fresh_schema().await?;
        let a = PostgresStore::open(&url).await.unwrap();
        let b = PostgresStore::open(&url).await.unwrap();
        Some((a, b))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn appends_through_two_instances_share_one_gapless_order() {
        let Some((a, b)) = two_instances().await else {
            return;
        };
        let (a, b) = (Arc::new(a), Arc::new(b));
        let appends: Vec<_> = (0..200)
            .map(|n| {
                let store = if n % 2 == 0 {
                    Arc::clone(&a)
                } else {
                    Arc::clone(&b)
                };
                tokio::spawn(async move {
                    let stream = format!("s{}", n % 3);
                    store
                        .append(&stream, ExpectedRevision::Any, vec![event(&n.to_string())])
                        .await
                        .unwrap()
                })
            })
            .collect();
        for append in appends {
            append.await.unwrap();
        }

        let log = b.read_all(LogCursor::START, 1_000).await.unwrap();
        let positions: Vec<u64> = log.iter().map(|event| event.position).collect();
        assert_eq!(positions, (0..200).collect::<Vec<_>>());
        for stream in ["s0", "s1", "s2"] {
            let revisions: Vec<u64> = a
                .read_stream(stream, 0, 1_000)
                .await
                .unwrap()
                .iter()
                .map(|event| event.revision)
                .collect();
            assert_eq!(revisions, (0..revisions.len() as u64).collect::<Vec<_>>());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_two_instances_appending_at_one_revision_exactly_one_wins() {
        let Some((a, b)) = two_instances().await else {
            return;
        };
        appended(&a, "s", &["first"]).await;

        let (from_a, from_b) = tokio::join!(
            a.append("s", ExpectedRevision::Exact(0), vec![event("a")]),
            b.append("s", ExpectedRevision::Exact(0), vec![event("b")]),
        );

        let outcomes = [from_a.is_ok(), from_b.is_ok()];
        assert_eq!(
            outcomes.iter().filter(|won| **won).count(),
            1,
            "{outcomes:?}"
        );
        let lost = if from_a.is_ok() { from_b } else { from_a };
        assert!(matches!(
            lost,
            Err(StoreError::WrongExpectedRevision {
                actual: Some(1),
                ..
            })
        ));
        assert_eq!(b.read_stream("s", 0, 10).await.unwrap().len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_subscription_on_one_instance_sees_what_the_other_appends() {
        let Some((a, b)) = two_instances().await else {
            return;
        };
        let mut subscription = b.subscribe_all(LogCursor::START);

        appended(&a, "s", &["one", "two"]).await;

        for expected in ["one", "two"] {
            let event = tokio::time::timeout(Duration::from_secs(5), subscription.next())
                .await
                .expect("the other instance's append never arrived")
                .unwrap()
                .unwrap();
            assert_eq!(labels(&[event]), [expected]);
        }
    }

    #[tokio::test]
    async fn keys_one_instance_keeps_or_destroys_are_seen_by_the_other() {
        let Some((a, b)) = two_instances().await else {
            return;
        };
        let id = Uuid::now_v7();

        a.put_key(id, vec![9; 32]).await.unwrap();
        let seen = b.load_key(id).await.unwrap();
        b.delete_key(id).await.unwrap();

        assert_eq!(seen, Some(vec![9; 32]));
        assert_eq!(a.load_key(id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_mark_one_instance_moved_back_is_not_moved_on_by_the_other() {
        let Some((a, b)) = two_instances().await else {
            return;
        };
        appended(&a, "s", &["a", "b", "c"]).await;
        let (read, back, on) = (
            (1, agora_events::Hash::of(b"b")),
            (0, agora_events::Hash::of(b"a")),
            (2, agora_events::Hash::of(b"c")),
        );
        a.save_verified_mark("s", read.0, read.1).await.unwrap();

        // a read the mark at 1 and verified on; b found a break meanwhile
        // and moved the mark back; then a's verification ends.
        b.save_verified_mark("s", back.0, back.1).await.unwrap();
        let moved = a.advance_verified_mark("s", Some(read), on).await.unwrap();

        assert!(!moved);
        assert_eq!(b.load_verified_mark("s").await.unwrap(), Some(back));
    }

    #[tokio::test]
    async fn an_older_snapshot_never_replaces_a_newer_one() {
        let Some((a, b)) = two_instances().await else {
            return;
        };
        appended(&a, "s", &["a", "b", "c"]).await;

        a.save_snapshot("s", 2, b"newer".to_vec()).await.unwrap();
        b.save_snapshot("s", 1, b"older".to_vec()).await.unwrap();

        assert_eq!(
            b.load_snapshot("s").await.unwrap(),
            Some((2, b"newer".to_vec()))
        );
    }
}

/// A server that takes the connection and never answers is an error after
/// the connection timeout, never a start-up that hangs. Needs no database.
/// A server that takes connections and never says a word: its address, and
/// the task that holds its connections open.
async fn silent_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (address, silent)
}

#[tokio::test]
async fn a_postgres_server_that_never_answers_is_an_error_not_a_hang() {
    let (address, _silent) = silent_server().await;

    let opened = tokio::time::timeout(
        Duration::from_secs(60),
        agora::store::PostgresStore::open(&format!("postgres://agora@{address}/agora")),
    )
    .await
    .expect("opening hung on a server that never answers");

    assert!(matches!(opened, Err(StoreError::Unavailable(_))));
}

mod postgres_tls {
    use super::*;

    #[tokio::test]
    async fn a_connection_over_tls_is_encrypted_and_verified() {
        let application = format!("agora_tls_{}", Uuid::now_v7().simple());
        let Some(url) = support::postgres::fresh_schema_over_tls(&application).await else {
            return;
        };
        let store = agora::store::PostgresStore::open(&url).await.unwrap();
        appended(&store, "s", &["over TLS"]).await;

        let plain = std::env::var(support::postgres::URL_VARIABLE).unwrap();
        let count = |ssl: bool| {
            format!(
                "SELECT COUNT(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
                 WHERE a.application_name = '{application}' AND s.ssl = {ssl}"
            )
        };
        // The pool's connections, and the listener's, which connects in the
        // background: wait until it listens.
        let listening = format!(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE application_name = '{application}' AND query LIKE 'LISTEN %'"
        );
        let mut listens = false;
        for _ in 0..100 {
            listens = support::postgres::query_one_i64(&plain, &listening).await > 0;
            if listens {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let encrypted = support::postgres::query_one_i64(&plain, &count(true)).await;
        let clear = support::postgres::query_one_i64(&plain, &count(false)).await;

        assert!(listens, "the listener's connection listens");
        assert!(
            encrypted >= 2,
            "the writer's and the listener's connections at least: {encrypted}"
        );
        assert_eq!(clear, 0);
        assert_eq!(
            labels(&store.read_stream("s", 0, 10).await.unwrap()),
            ["over TLS"]
        );
        store.shutdown().await;
    }

    #[tokio::test]
    async fn a_server_whose_certificate_is_not_trusted_is_refused() {
        let Some(url) = support::postgres::fresh_schema_over_tls("agora_untrusted").await else {
            return;
        };
        // The system's roots only: the tests' authority is not among them.
        let untrusted = url.split("&sslrootcert=").next().unwrap().to_owned();

        let opened = tokio::time::timeout(
            Duration::from_secs(60),
            agora::store::PostgresStore::open(&untrusted),
        )
        .await
        .expect("opening hung");

        let error = opened
            .err()
            .expect("an untrusted server was accepted")
            .to_string();
        assert!(error.contains("invalid peer certificate"), "{error}");
    }
}

/// Runs here, without a KurrentDB server: what the adapter does when the
/// server is missing or mute.
mod kurrentdb_unreachable {
    use super::*;

    async fn opened_within_a_minute(url: &str) -> Result<(), StoreError> {
        tokio::time::timeout(
            Duration::from_secs(60),
            agora::store::KurrentStore::open(url),
        )
        .await
        .expect("opening hung")
        .map(drop)
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_an_error_not_a_hang() {
        let (address, _silent) = silent_server().await;

        let opened = opened_within_a_minute(&format!("kurrentdb://{address}?tls=false")).await;

        assert!(
            matches!(opened, Err(StoreError::Unavailable(_))),
            "{opened:?}"
        );
    }

    #[tokio::test]
    async fn no_server_at_all_is_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);

        let opened = opened_within_a_minute(&format!("esdb://{address}?tls=false")).await;

        assert!(
            matches!(opened, Err(StoreError::Unavailable(_))),
            "{opened:?}"
        );
    }
}
