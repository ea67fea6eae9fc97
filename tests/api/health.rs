use reqwest::Method;
use serde_json::Value;

use crate::helpers::{problem, spawn_app, spawn_app_in, store_path};

#[tokio::test]
async fn healthz_and_readyz_answer_on_a_real_socket() {
    let app = spawn_app().await;

    let health = app.send(Method::GET, "/healthz", None, None).await;
    let ready = app.send(Method::GET, "/readyz", None, None).await;

    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    app.stop().await;
}

/// Once the background check finds the log damaged, the probes say so
/// where machines look: `/readyz` answers 503 naming the damage,
/// `/healthz` (the process answers) says why commands are refused,
/// `/metrics` has the gauges, and a command's refusal names the damage.
#[tokio::test]
async fn a_damaged_log_shows_in_the_probes_the_metrics_and_the_refusals() {
    let (app, alice, path) = verified_community().await;
    let directory = app.stop().await;
    alter_an_admission(&path);

    let app = spawn_app_in(directory).await;
    let mut ready = app.send(Method::GET, "/readyz", None, None).await;
    for _ in 0..200 {
        if ready.status() != 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        ready = app.send(Method::GET, "/readyz", None, None).await;
    }

    let body = problem(ready, 503, "read-only").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("damaged"), "{body}");
    assert!(
        !detail.contains("revision"),
        "what was found stays in the logs: {body}"
    );
    let health = app.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert!(
        health["read_only"].as_str().unwrap().contains("damaged"),
        "{health}"
    );
    let metrics = app
        .send(Method::GET, "/metrics", None, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("\nagora_read_only 1\n"), "{metrics}");
    assert!(metrics.contains("\nagora_log_damaged 1\n"), "{metrics}");
    let body = transfer_refused_read_only(&app, &alice).await;
    assert!(
        body["detail"].as_str().unwrap().contains("damaged"),
        "{body}"
    );
}

/// A verification asked for (`GET …/verify`) that finds the log damaged
/// acts at once, as the background check would: the service turns
/// read-only and says so, without waiting for the next pass.
#[tokio::test]
async fn a_break_found_on_request_turns_the_service_read_only_at_once() {
    // The start's background pass is over: the next one is far off.
    let (app, alice, path) = verified_community().await;
    alter_an_admission(&path);
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status(), 200, "nothing found yet");

    let verification: Value = app
        .get(&app.path("/verify"), &app.pioneer_token(&alice))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(verification["ok"], false, "{verification}");
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    problem(ready, 503, "read-only").await;
    transfer_refused_read_only(&app, &alice).await;
}

/// Alice gives an hour to the community: refused, the service read-only.
async fn transfer_refused_read_only(app: &crate::helpers::TestApp, alice: &str) -> Value {
    let transfer = serde_json::json!({"payee": "community", "hours": "1"});
    let refused = app
        .post(
            &app.path("/transfers"),
            &app.pioneer_token(alice),
            &transfer,
        )
        .await;
    problem(refused, 503, "read-only").await
}

/// A service on a community with Alice in it, started again so that its
/// background check verified the log and marked it (the next start does
/// not check the early events again); Alice's id; the store's file.
async fn verified_community() -> (crate::helpers::TestApp, String, std::path::PathBuf) {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let directory = app.stop().await;
    let app = spawn_app_in(directory).await;
    let path = store_path(&app.directory);
    wait_until(|| verified_marks(&path) > 0).await;
    (app, alice, path)
}

/// Changes what the log says of the first admission, in place.
fn alter_an_admission(path: &std::path::Path) {
    let changed = rusqlite::Connection::open(path)
        .unwrap()
        .execute(
            "UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'founders', 'foundery') AS BLOB)
             WHERE revision = 1",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

/// Rows in the store's verified marks.
fn verified_marks(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM verified_marks", [], |row| row.get(0))
        .unwrap()
}

async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("waited 10 s in vain");
}

#[tokio::test]
async fn an_unknown_path_is_a_404_problem_naming_the_path() {
    let app = spawn_app().await;

    let response = app.send(Method::GET, "/v1/nowhere", None, None).await;

    let body = problem(response, 404, "not-found").await;
    assert_eq!(body["detail"], "no resource at /v1/nowhere");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = spawn_app().await;

    let response = app.send(Method::DELETE, "/healthz", None, None).await;

    problem(response, 405, "method-not-allowed").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients() {
    let app = spawn_app().await;

    let minted = app.send(Method::GET, "/healthz", None, None).await;
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();

    let minted_id = minted.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(minted_id.len(), 36, "a UUID: {minted_id}");
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn metrics_count_commands_without_naming_any_community() {
    let app = spawn_app().await;
    app.create_community().await;
    app.admit("Camille Dupont").await;

    let response = app.send(Method::GET, "/metrics", None, None).await;

    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let value = |prefix: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"))
            .trim()
            .parse()
            .unwrap()
    };
    assert!(value("agora_commands_total{outcome=\"recorded\"}") >= 2);
    assert!(value("agora_http_responses_total{class=\"2xx\"}") >= 2);
    assert!(value("agora_communities") >= 1);
    assert!(!text.contains("lanceurs"), "a community is named: {text}");
}
