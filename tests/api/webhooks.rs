//! Webhooks: registered by operators, delivered signed, in order, at least
//! once, to a receiver this test starts (one that fails at first).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app_with, store_path};

/// What the receiver was sent: each request's headers and body, and how it
/// answered.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String, u16)>>>);

impl Received {
    fn all(&self) -> Vec<(HeaderMap, String, u16)> {
        self.0.lock().unwrap().clone()
    }

    /// The bodies it took (2xx), in order.
    fn taken(&self) -> Vec<Value> {
        self.all()
            .into_iter()
            .filter(|(_, _, status)| *status == 200)
            .map(|(_, body, _)| serde_json::from_str(&body).unwrap())
            .collect()
    }
}

/// Starts a receiver on 127.0.0.1 that answers 503 to its first `failures`
/// requests, then 200; answers its URL.
async fn receiver(failures: usize) -> (String, Received) {
    let received = Received::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                let mut all = store.0.lock().unwrap();
                let status = if all.len() < failures {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                };
                all.push((headers, body, status.as_u16()));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), received)
}

async fn app_delivering(internal_addresses: bool) -> TestApp {
    let directory = tempfile::tempdir().unwrap();
    let store = agora::config::StoreLocation::Sqlite(store_path(&directory));
    let key_encryption = agora::config::KeyEncryption::File(directory.path().join("agora.kek"));
    let webhooks = agora::config::WebhookSettings {
        hosts: vec!["127.0.0.1".into()],
        internal_addresses,
        deliver: true,
    };
    spawn_app_with(store, key_encryption, directory, webhooks).await
}

/// Waits until `check` holds of what the receiver took, at most 30 s.
async fn until(received: &Received, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..300 {
        let taken = received.taken();
        if check(&taken) {
            return taken;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the receiver did not get what was expected: {:?}",
        received.taken()
    );
}

fn hex_hmac(secret: &[u8], message: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(message.as_bytes());
    let digest = mac.finalize().into_bytes();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn bytes_of_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn events_are_delivered_signed_in_order_at_least_once_and_replayed() {
    let (url, received) = receiver(2).await;
    let app = app_delivering(true).await;
    app.create_community().await;
    let registered = app
        .post(
            &app.path("/webhooks"),
            &operator(),
            &json!({"url": url, "event_types": ["PioneerAdmitted", "CharterAccepted"], "description": "Place à l'acte"}),
        )
        .await;
    assert_eq!(
        registered.status(),
        201,
        "{}",
        registered.text().await.unwrap()
    );
    let location = registered.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let webhook = location.rsplit('/').next().unwrap().to_owned();
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.admit("Bruno").await;

    // Alice's admission and charter, Bruno's admission: nothing else.
    let taken = until(&received, |taken| taken.len() >= 3).await;
    let types: Vec<&str> = taken.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["PioneerAdmitted", "CharterAccepted", "PioneerAdmitted"]
    );
    let revisions: Vec<u64> = taken
        .iter()
        .map(|t| t["revision"].as_u64().unwrap())
        .collect();
    assert!(
        revisions.windows(2).all(|pair| pair[0] < pair[1]),
        "in order: {revisions:?}"
    );
    assert_eq!(taken[0]["data"]["pioneer_id"], alice);
    assert_eq!(taken[2]["data"]["pioneer_id"], bruno);
    for delivery in &taken {
        let text = delivery.to_string();
        assert!(delivery["data"].get("personal").is_none(), "{text}");
        assert!(
            !text.contains("ciphertext") && !text.contains("Alice"),
            "{text}"
        );
        assert_eq!(delivery["community"], crate::helpers::COMMUNITY);
    }

    // The first event failed twice, then went: the same event each time.
    let all = received.all();
    assert_eq!(
        all.iter()
            .take(3)
            .map(|(_, _, status)| *status)
            .collect::<Vec<_>>(),
        [503, 503, 200]
    );
    let first_ids: Vec<&str> = all
        .iter()
        .take(3)
        .map(|(headers, _, _)| headers["agora-event-id"].to_str().unwrap())
        .collect();
    assert!(first_ids.iter().all(|id| *id == first_ids[0]));

    // Every delivery is signed with the endpoint's secret.
    let seen: Value = app
        .get(&app.path(&format!("/webhooks/{webhook}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    let secret = bytes_of_hex(seen["secret"].as_str().unwrap());
    assert_eq!(secret.len(), 32);
    for (headers, body, _) in &all {
        let timestamp = headers["agora-timestamp"].to_str().unwrap();
        let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
        assert!((0..120).contains(&age));
        let expected = format!("v1={}", hex_hmac(&secret, &format!("{timestamp}.{body}")));
        assert_eq!(headers["agora-signature"].to_str().unwrap(), expected);
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            headers["agora-event-id"].to_str().unwrap(),
            event["event_id"]
        );
    }
    let forged = hex_hmac(b"not the secret", &format!("1.{}", all[0].1));
    assert_ne!(
        all[0].0["agora-signature"].to_str().unwrap(),
        format!("v1={forged}")
    );

    // The delivery log tells the failures and the deliveries.
    let log: Value = app
        .get(
            &app.path(&format!("/webhooks/{webhook}/deliveries")),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["delivered"], 3);
    let attempts = log["attempts"].as_array().unwrap();
    assert_eq!(attempts.last().unwrap()["status"], 503);
    assert_eq!(attempts.last().unwrap()["delivered"], false);
    assert_eq!(attempts[0]["delivered"], true);

    // Replayed from the start: the same events again, the same ids.
    let replay = app
        .post(
            &app.path(&format!("/webhooks/{webhook}/replay")),
            &operator(),
            &json!({"from": 0}),
        )
        .await;
    assert_eq!(replay.status(), 200);
    let taken = until(&received, |taken| taken.len() >= 6).await;
    assert_eq!(taken[3]["event_id"], taken[0]["event_id"]);
    assert_eq!(taken[5]["event_id"], taken[2]["event_id"]);
    let too_far = app
        .post(
            &app.path(&format!("/webhooks/{webhook}/replay")),
            &operator(),
            &json!({"from": 10_000}),
        )
        .await;
    problem(too_far, 422, "replay-beyond-log").await;

    // Removed: nothing more goes, its secret is gone.
    let removed = app
        .send(
            Method::DELETE,
            &app.path(&format!("/webhooks/{webhook}")),
            Some(&operator()),
            None,
        )
        .await;
    assert_eq!(removed.status(), 200);
    app.admit("Chloé").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(received.taken().len(), 6);
    let gone = app
        .get(&app.path(&format!("/webhooks/{webhook}")), &operator())
        .await;
    problem(gone, 404, "webhook-not-found").await;
}

#[tokio::test]
async fn deliveries_resume_where_they_stood_after_a_restart() {
    let (url, received) = receiver(0).await;
    let app = app_delivering(true).await;
    app.create_community().await;
    let body = json!({"url": url, "event_types": ["PioneerAdmitted"], "description": "Plateforme"});
    assert_eq!(
        app.post(&app.path("/webhooks"), &operator(), &body)
            .await
            .status(),
        201
    );
    app.admit("Alice").await;
    until(&received, |taken| taken.len() == 1).await;
    let directory = app.stop().await;

    let store = agora::config::StoreLocation::Sqlite(store_path(&directory));
    let key_encryption = agora::config::KeyEncryption::File(directory.path().join("agora.kek"));
    let webhooks = agora::config::WebhookSettings {
        hosts: vec!["127.0.0.1".into()],
        internal_addresses: true,
        deliver: true,
    };
    let app = spawn_app_with(store, key_encryption, directory, webhooks).await;
    app.admit("Bruno").await;
    let taken = until(&received, |taken| taken.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        received.taken().len(),
        2,
        "Alice's admission was not sent again"
    );
    assert_ne!(taken[0]["event_id"], taken[1]["event_id"]);
}

#[tokio::test]
async fn webhooks_go_only_where_the_deployment_allows() {
    let app = app_delivering(false).await;
    app.create_community().await;
    let register = |url: &str| json!({"url": url, "description": "Plateforme"});

    let internal = app
        .post(
            &app.path("/webhooks"),
            &operator(),
            &register("http://127.0.0.1:9/hook"),
        )
        .await;
    let elsewhere = app
        .post(
            &app.path("/webhooks"),
            &operator(),
            &register("https://evil.example/hook"),
        )
        .await;
    let with_credentials = app
        .post(
            &app.path("/webhooks"),
            &operator(),
            &register("http://user:secret@127.0.0.1/hook"),
        )
        .await;
    let unknown_type = app
        .post(
            &app.path("/webhooks"),
            &operator(),
            &json!({"url": "http://127.0.0.1/", "event_types": ["Bavardage"], "description": "x"}),
        )
        .await;

    problem(internal, 422, "webhook-url").await;
    problem(elsewhere, 422, "webhook-url").await;
    problem(with_credentials, 422, "webhook-url").await;
    // The URL is refused before the event types are looked at.
    problem(unknown_type, 422, "webhook-url").await;
}
