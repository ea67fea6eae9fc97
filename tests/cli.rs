//! The `agora` command line: `token`, `openapi`, `demo`, `export`, `migrate`.

use std::process::Command;

mod support;

use agora::auth::{Authenticator, Secret, Verifier};

const SECRET: &str = "a secret of thirty-two bytes or more, for tests";

fn agora(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .env_remove("AGORA_CONFIG")
        .env_remove("AGORA_JWT_SECRET")
        .env_remove("AGORA_STORE")
        .output()
        .unwrap()
}

#[test]
fn token_mints_what_the_service_verifies() {
    let output = agora(&[
        "token",
        "--jwt-secret",
        SECRET,
        "--community",
        "demo",
        "--subject",
        "alice",
        "--role",
        "gardener",
        "--role",
        "pioneer",
        "--hours",
        "2",
    ]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    let verifier = Authenticator::new(Verifier::Hs256(Secret::new(SECRET))).unwrap();
    let claims = verifier.verify(token.trim()).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.community.as_str()),
        ("alice", "demo")
    );
    assert_eq!(claims.roles.len(), 2);
    assert!((claims.exp - claims.iat - 7_200).abs() <= 1);
}

#[test]
fn token_prints_a_sign_in_link_for_the_web_interface() {
    let output = agora(&[
        "token",
        "--jwt-secret",
        SECRET,
        "--community",
        "demo",
        "--subject",
        "alice",
        "--role",
        "pioneer",
        "--link",
        "--base-url",
        "https://agora.example.org/",
    ]);

    assert!(output.status.success());
    let link = String::from_utf8(output.stdout).unwrap();
    let token = link
        .trim()
        .strip_prefix("https://agora.example.org/connexion?jeton=")
        .unwrap_or_else(|| panic!("not a sign-in link: {link}"));
    let verifier = Authenticator::new(Verifier::Hs256(Secret::new(SECRET))).unwrap();
    assert_eq!(verifier.verify(token).unwrap().sub, "alice");
}

#[test]
fn token_without_a_secret_says_what_is_missing() {
    let output = agora(&[
        "token",
        "--community",
        "demo",
        "--subject",
        "alice",
        "--role",
        "admin",
    ]);

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("AGORA_JWT_SECRET"));
}

#[test]
fn openapi_prints_the_document() {
    let output = agora(&["openapi"]);

    assert!(output.status.success());
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn demo_seeds_the_store_once() {
    let directory = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", directory.path().join("agora.db").display());

    let first = agora(&["demo", "--store", &store, "--jwt-secret", SECRET]);
    let second = agora(&["demo", "--store", &store, "--jwt-secret", SECRET]);

    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("gardener"));
    assert!(second.status.success());
    let store = agora::store::SqliteStore::open(directory.path().join("agora.db")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let events = runtime
        .block_on(agora::store::EventStore::read_all(
            &store,
            agora::store::LogCursor::START,
            4_096,
        ))
        .unwrap();
    let created = events
        .iter()
        .filter(|e| e.event_type == "CommunityCreated")
        .count();
    assert_eq!(created, 1, "the second run seeded again");
}

#[test]
fn export_writes_the_demo_community_s_accounting_entries_as_a_fec() {
    let directory = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", directory.path().join("agora.db").display());
    let seeded = agora(&["demo", "--store", &store, "--jwt-secret", SECRET]);
    assert!(seeded.status.success());
    let community = "lanceurs-davenir";

    let fec = agora(&[
        "export",
        "--store",
        &store,
        "--community",
        community,
        "--format",
        "fec",
    ]);
    let csv = agora(&[
        "export",
        "--store",
        &store,
        "--community",
        community,
        "--format",
        "csv",
    ]);
    let without_community = agora(&["export", "--store", &store, "--format", "fec"]);
    let period_of_a_log = agora(&["export", "--store", &store, "--from", "2026-01-01"]);

    assert!(
        fec.status.success(),
        "{}",
        String::from_utf8_lossy(&fec.stderr)
    );
    let text = String::from_utf8(fec.stdout).unwrap();
    let mut rows = text.split("\r\n").filter(|row| !row.is_empty());
    assert!(
        rows.next()
            .unwrap()
            .starts_with("JournalCode\tJournalLib\tEcritureNum")
    );
    let (mut debits, mut credits) = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
    let mut lines = 0;
    for row in rows {
        let fields: Vec<&str> = row.split('\t').collect();
        assert_eq!(fields.len(), 18, "{row}");
        let amount = |text: &str| {
            text.replace(',', ".")
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        };
        debits += amount(fields[11]);
        credits += amount(fields[12]);
        lines += 1;
    }
    assert!(lines > 100, "the demo's subscriptions, payments and funds");
    assert_eq!(debits, credits);
    assert!(String::from_utf8_lossy(&fec.stderr).contains("accounting entries"));
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(
        csv.split("\r\n").filter(|row| !row.is_empty()).count(),
        lines + 1
    );
    assert_eq!(without_community.status.code(), Some(2));
    assert_eq!(period_of_a_log.status.code(), Some(2));
}

/// Every event of a store, as its bytes, in each stream's order, and its
/// personal-data keys.
async fn contents(
    url: &str,
) -> (
    Vec<(String, u64, uuid::Uuid, String, Vec<u8>, Vec<u8>)>,
    Vec<(uuid::Uuid, Vec<u8>)>,
) {
    use agora::store::Pages;
    let store = agora::app::open_store(&url.parse().unwrap()).await.unwrap();
    let mut events = Vec::new();
    let mut pages = Pages::of_log(&*store.events, agora::store::LogCursor::START);
    loop {
        let page = pages.next_page().await.unwrap();
        if page.is_empty() {
            break;
        }
        events.extend(page.into_iter().map(|event| {
            (
                event.stream,
                event.revision,
                event.event_id,
                event.event_type,
                event.data,
                event.metadata,
            )
        }));
    }
    events.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let keys = store.keys.load_keys().await.unwrap();
    store.events.shutdown().await;
    (events, keys)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_every_event_and_key_byte_for_byte_and_verifies_the_copy() {
    let directory = tempfile::tempdir().unwrap();
    let sqlite = |name: &str| format!("sqlite://{}", directory.path().join(name).display());
    let (source, copy) = (sqlite("source.db"), sqlite("copy.db"));
    let seeded = agora(&["demo", "--store", &source, "--jwt-secret", SECRET]);
    assert!(seeded.status.success());
    // Through PostgreSQL and back when there is one; SQLite to SQLite
    // otherwise.
    let postgres = support::postgres::fresh_schema().await;
    let mut hops = vec![source.clone()];
    hops.extend(postgres.clone());
    hops.push(copy.clone());

    for pair in hops.windows(2) {
        let migrated = agora(&["migrate", "--from", &pair[0], "--to", &pair[1]]);
        let stdout = String::from_utf8_lossy(&migrated.stdout);
        assert!(
            migrated.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&migrated.stderr)
        );
        assert!(
            stdout.contains("the target's chains and figures are the source's"),
            "{stdout}"
        );
    }
    let again = agora(&["migrate", "--from", &source, "--to", &copy]);

    let (before, keys_before) = contents(&source).await;
    let (after, keys_after) = contents(&copy).await;
    assert!(before.len() > 1_000, "{} events", before.len());
    assert_eq!(
        after, before,
        "the copy's events are not the source's, byte for byte"
    );
    assert!(!keys_before.is_empty());
    assert_eq!(keys_after, keys_before);
    if let Some(postgres) = &postgres {
        assert_eq!(contents(postgres).await.0, before);
    }
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn serve_on_postgres_without_a_key_encryption_key_says_what_is_missing() {
    // Refused before any connection: no database needed.
    let output = agora(&["serve", "--store", "postgres://agora@127.0.0.1:1/agora"]);

    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--key-encryption-key"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_store_is_imported_into_and_backed_up_through_the_port() {
    let Some(postgres) = support::postgres::fresh_schema().await else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let path = |name: &str| directory.path().join(name).display().to_string();
    let source = format!("sqlite://{}", path("source.db"));
    assert!(
        agora(&["demo", "--store", &source, "--jwt-secret", SECRET])
            .status
            .success()
    );
    let export = path("export.jsonl");
    let exported = agora(&["export", "--store", &source, "--output", &export]);
    assert!(exported.status.success());

    let imported = agora(&["import", "--store", &postgres, "--file", &export]);
    let twice = agora(&["import", "--store", &postgres, "--file", &export]);
    let backup = path("backup.db");
    let backed_up = agora(&["backup", "--store", &postgres, "--output", &backup]);

    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(String::from_utf8_lossy(&twice.stderr).contains("not empty"));
    assert!(
        backed_up.status.success(),
        "{}{}",
        String::from_utf8_lossy(&backed_up.stdout),
        String::from_utf8_lossy(&backed_up.stderr)
    );
    let (events, _) = contents(&source).await;
    assert_eq!(contents(&format!("sqlite://{backup}")).await.0, events);
}

/// A store held by one process cannot be opened by another under another
/// name for its file, whatever that process's temporary directory.
#[test]
fn a_store_in_use_is_refused_to_another_process_under_any_name() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let _held = agora::store::SqliteStore::open(&path).unwrap();
    let hard = directory.path().join("hard.db");
    std::fs::hard_link(&path, &hard).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    for name in [&path, &hard] {
        let output = Command::new(env!("CARGO_BIN_EXE_agora"))
            .args(["verify", "--store", &format!("sqlite://{}", name.display())])
            .env_remove("AGORA_CONFIG")
            .env_remove("AGORA_STORE")
            .env("TMPDIR", elsewhere.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{}", name.display());
        assert!(stderr.contains("in use"), "{}: {stderr}", name.display());
    }
}
