use reqwest::Method;
use serde_json::Value;

use crate::helpers::{problem, spawn_app};

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
