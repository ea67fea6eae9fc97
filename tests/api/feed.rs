//! The live feed: `GET …/events` as Server-Sent Events.

use std::time::Duration;

use agora_events::Role;
use serde_json::Value;

use crate::helpers::{COMMUNITY, TestApp, operator, problem, spawn_app, token_with};

/// One Server-Sent Event: its id, its type and its data.
#[derive(Debug)]
struct Sent {
    id: u64,
    event: String,
    data: Value,
}

/// A feed being read.
struct FeedReader {
    response: reqwest::Response,
    buffer: String,
}

impl FeedReader {
    async fn open(app: &TestApp, query: &str, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app
            .client
            .get(app.url(&app.path(&format!("/events{query}"))))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, or `None` once the feed ended.
    async fn next(&mut self) -> Option<Sent> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut sent = (None, None, None);
                for line in block.lines() {
                    match line.split_once(':') {
                        Some(("id", value)) => sent.0 = Some(value.trim().parse().unwrap()),
                        Some(("event", value)) => sent.1 = Some(value.trim().to_owned()),
                        Some(("data", value)) => {
                            sent.2 = Some(serde_json::from_str(value).unwrap())
                        }
                        _ => {} // a comment, to keep the connection open
                    }
                }
                if let (Some(id), Some(event), Some(data)) = sent {
                    return Some(Sent { id, event, data });
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("the feed sends within 20 s")
                .ok()??;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn a_member_follows_the_log_live_and_resumes_after_the_last_event_received() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.admit("Alice").await;
    let token = app.pioneer_token(&alice);
    let log: Value = app
        .get(&app.path("/log"), &token)
        .await
        .json()
        .await
        .unwrap();
    let recorded = log["events"].as_array().unwrap().len() as u64;

    let mut feed = FeedReader::open(&app, "?from=0", &token, None).await;
    let mut received = Vec::new();
    for _ in 0..recorded {
        received.push(feed.next().await.unwrap());
    }
    let bob = app.admit("Bob").await;
    let live = feed.next().await.unwrap();

    let ids: Vec<u64> = received.iter().map(|sent| sent.id).collect();
    assert_eq!(ids, (0..recorded).collect::<Vec<_>>());
    for (sent, logged) in received.iter().zip(log["events"].as_array().unwrap()) {
        assert_eq!(sent.event, logged["type"].as_str().unwrap());
        assert_eq!(sent.data, *logged, "the event as the log shows it");
    }
    assert_eq!(live.id, recorded);
    assert_eq!(live.event, "PioneerAdmitted");
    assert_eq!(live.data["data"]["pioneer_id"], bob);
    assert!(
        live.data["data"]["personal"].is_object() && !live.data.to_string().contains("\"Bob\""),
        "personal data stays sealed: {}",
        live.data
    );

    // A client that reconnects says what it received last, whatever `from`.
    let mut resumed = FeedReader::open(&app, "?from=0", &token, Some("1")).await;
    assert_eq!(resumed.next().await.unwrap().id, 2);
    // Without a position, only what is recorded from now on.
    let mut fresh = FeedReader::open(&app, "", &token, None).await;
    app.admit("Chloé").await;
    let next = fresh.next().await.unwrap();
    assert_eq!(
        (next.id, next.event.as_str()),
        (recorded + 1, "PioneerAdmitted")
    );
}

#[tokio::test]
async fn the_feed_is_for_members_and_says_what_it_cannot_resume_from() {
    let app = spawn_app().await;
    app.create_community().await;
    let outsider = token_with(
        "autre",
        &uuid::Uuid::now_v7().to_string(),
        &[Role::Pioneer],
        60,
    );
    let candidate = token_with(
        COMMUNITY,
        &uuid::Uuid::now_v7().to_string(),
        &[Role::Candidate],
        60,
    );

    let other_community = app.get(&app.path("/events"), &outsider).await;
    let not_a_member = app.get(&app.path("/events"), &candidate).await;
    let anonymous = app
        .send(reqwest::Method::GET, &app.path("/events"), None, None)
        .await;
    let bad_id = app
        .client
        .get(app.url(&app.path("/events")))
        .bearer_auth(operator())
        .header("Last-Event-ID", "dernier")
        .send()
        .await
        .unwrap();

    problem(other_community, 403, "other-community").await;
    problem(not_a_member, 403, "member-only").await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(bad_id.status(), 400);
}

#[tokio::test]
async fn the_feed_ends_with_the_token_and_lets_the_service_stop() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.admit("Alice").await;
    let brief = token_with(COMMUNITY, &alice, &[Role::Pioneer], 2);

    let mut expiring = FeedReader::open(&app, "?from=0", &brief, None).await;
    let mut events = 0;
    while expiring.next().await.is_some() {
        events += 1;
    }
    assert!(events >= 2, "it sent the log before ending");

    let mut open = FeedReader::open(&app, "", &operator(), None).await;
    let stopped = tokio::time::timeout(Duration::from_secs(10), app.stop()).await;
    assert!(stopped.is_ok(), "the service stopped with a feed open");
    assert!(open.next().await.is_none(), "and the feed ended");
}
