//! The `agora` command line: `token`, `openapi`, `demo`.

use std::process::Command;

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
        .block_on(agora::store::EventStore::read_all(&store, 0, 4_096))
        .unwrap();
    let created = events
        .iter()
        .filter(|e| e.event_type == "CommunityCreated")
        .count();
    assert_eq!(created, 1, "the second run seeded again");
}
