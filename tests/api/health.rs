use std::sync::Arc;

use agora::http::{AppState, router};
use agora::store::{EventStore, MemoryStore};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use crate::helpers::spawn_app;

fn app_on(store: Arc<dyn EventStore>) -> axum::Router {
    router(AppState { store })
}

async fn body_json(response: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn healthz_answers_ok_on_a_real_socket() {
    let app = spawn_app().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
    app.stop().await;
}

#[tokio::test]
async fn readyz_answers_ready_while_the_store_answers() {
    let app = spawn_app().await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
    app.stop().await;
}

#[tokio::test]
async fn readyz_is_a_503_problem_once_the_store_is_closed() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryStore::new());
    store.shutdown().await;

    let response = app_on(store).oneshot(get("/readyz")).await.unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem = body_json(response).await;
    assert_eq!(problem["status"], 503);
    assert_eq!(problem["rule"], "unavailable");
}

#[tokio::test]
async fn an_unknown_path_is_a_404_problem_naming_the_path() {
    let response = app_on(Arc::new(MemoryStore::new()))
        .oneshot(get("/v1/nowhere"))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem = body_json(response).await;
    assert_eq!(problem["rule"], "not-found");
    assert_eq!(problem["detail"], "no resource at /v1/nowhere");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients() {
    let app = app_on(Arc::new(MemoryStore::new()));

    let minted = app.clone().oneshot(get("/healthz")).await.unwrap();
    let given = app
        .oneshot(
            Request::get("/healthz")
                .header("x-request-id", "trace-me-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();

    let minted_id = minted.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(minted_id.len(), 36, "a UUID: {minted_id}");
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}
