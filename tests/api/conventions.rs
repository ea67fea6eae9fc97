//! Conventions every endpoint follows: problem documents for bad input,
//! idempotent retries, bounded bodies, the OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{admission, operator, problem, spawn_app};

#[tokio::test]
async fn malformed_json_is_a_400_and_a_wrong_shape_a_422() {
    let app = spawn_app().await;
    app.create_community().await;
    let url = app.url(&app.path("/pioneers"));

    let malformed = app
        .client
        .post(&url)
        .bearer_auth(operator())
        .header("content-type", "application/json")
        .body("{\"college\": ")
        .send()
        .await
        .unwrap();
    let unknown_field = app
        .post(
            &app.path("/pioneers"),
            &operator(),
            &json!({"colege": "founders"}),
        )
        .await;

    problem(malformed, 400, "malformed-json").await;
    let body = problem(unknown_field, 422, "invalid-body").await;
    assert!(body["detail"].as_str().unwrap().contains("colege"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app().await;
    app.create_community().await;

    let response = app
        .client
        .post(app.url(&app.path("/pioneers")))
        .bearer_auth(operator())
        .header("content-type", "text/plain")
        .body("college=founders")
        .send()
        .await
        .unwrap();

    problem(response, 415, "json-required").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = spawn_app().await;
    app.create_community().await;
    let mut body = admission("Camille Dupont");
    body["bio"] = json!("x".repeat(agora::http::REQUEST_BODY_BYTES_MAX));

    let response = app.post(&app.path("/pioneers"), &operator(), &body).await;

    problem(response, 413, "body-too-large").await;
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_returns_the_first_answer_and_records_nothing() {
    let app = spawn_app().await;
    app.create_community().await;
    let send = |key: &'static str, name: &'static str| {
        app.client
            .post(app.url(&app.path("/pioneers")))
            .bearer_auth(operator())
            .header("idempotency-key", key)
            .json(&admission(name))
            .send()
    };

    let first = send("admit-camille", "Camille Dupont").await.unwrap();
    let retry = send("admit-camille", "Camille Dupont").await.unwrap();
    let reused = send("admit-camille", "Someone Else").await.unwrap();

    assert_eq!(first.status(), 201);
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["location"], first.headers()["location"]);
    let (first, retry): (Value, Value) = (first.json().await.unwrap(), retry.json().await.unwrap());
    assert_eq!(first["events"], retry["events"]);
    assert_eq!(retry["command_id"], "admit-camille");
    assert_eq!(retry["replayed"], true);
    problem(reused, 422, "idempotency-key-reused").await;
    let pioneers: Vec<Value> = app
        .get(&app.path("/pioneers"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pioneers.len(), 1);
}

#[tokio::test]
async fn an_invalid_idempotency_key_is_a_400() {
    let app = spawn_app().await;
    app.create_community().await;

    let response = app
        .client
        .post(app.url(&app.path("/pioneers")))
        .bearer_auth(operator())
        .header(
            "idempotency-key",
            "k".repeat(agora::http::IDEMPOTENCY_KEY_BYTES_MAX + 1),
        )
        .json(&admission("Camille Dupont"))
        .send()
        .await
        .unwrap();

    problem(response, 400, "idempotency-key-invalid").await;
}

#[tokio::test]
async fn a_malformed_pioneer_id_in_the_path_is_a_400() {
    let app = spawn_app().await;
    app.create_community().await;

    let response = app
        .get(&app.path("/pioneers/not-a-uuid"), &operator())
        .await;

    problem(response, 400, "invalid-parameter").await;
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_and_its_problems() {
    let app = spawn_app().await;

    let response = app.send(Method::GET, "/v1/openapi.json", None, None).await;

    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let base = "/v1/communities/{community}";
    let expected = [
        ("get", "/healthz".to_owned()),
        ("get", "/readyz".to_owned()),
        ("get", "/metrics".to_owned()),
        ("post", "/v1/communities".to_owned()),
        ("get", base.to_owned()),
        ("put", format!("{base}/statutes")),
        ("post", format!("{base}/pioneers")),
        ("get", format!("{base}/pioneers")),
        ("get", format!("{base}/pioneers/{{pioneer}}")),
        ("post", format!("{base}/pioneers/{{pioneer}}/charter")),
        ("patch", format!("{base}/pioneers/{{pioneer}}/profile")),
        ("post", format!("{base}/pioneers/{{pioneer}}/leave")),
        ("post", format!("{base}/pioneers/{{pioneer}}/exclude")),
        ("post", format!("{base}/pioneers/{{pioneer}}/forget")),
        ("put", format!("{base}/pioneers/{{pioneer}}/roles")),
        (
            "post",
            format!("{base}/pioneers/{{pioneer}}/shares/subscriptions"),
        ),
        (
            "post",
            format!("{base}/pioneers/{{pioneer}}/shares/payments"),
        ),
        (
            "post",
            format!("{base}/pioneers/{{pioneer}}/shares/redemptions"),
        ),
        ("get", format!("{base}/shares")),
        ("post", format!("{base}/market/listings")),
        ("get", format!("{base}/market/listings")),
        (
            "post",
            format!("{base}/market/listings/{{listing}}/withdraw"),
        ),
        (
            "post",
            format!("{base}/market/listings/{{listing}}/reports"),
        ),
        (
            "post",
            format!("{base}/market/listings/{{listing}}/take-down"),
        ),
        ("post", format!("{base}/exchanges")),
        ("post", format!("{base}/exchanges/{{exchange}}/confirm")),
        ("post", format!("{base}/exchanges/{{exchange}}/cancel")),
        ("post", format!("{base}/exchanges/{{exchange}}/reverse")),
        ("post", format!("{base}/transfers")),
        ("get", format!("{base}/accounts")),
        ("get", format!("{base}/accounts/{{account}}")),
        ("get", format!("{base}/accounts/{{account}}/statement")),
        ("post", format!("{base}/projects")),
        ("get", format!("{base}/projects")),
        ("get", format!("{base}/projects/{{project}}")),
        ("post", format!("{base}/projects/{{project}}/scores")),
        ("post", format!("{base}/projects/{{project}}/status")),
        ("get", format!("{base}/ranking")),
        ("post", format!("{base}/ballots")),
        ("get", format!("{base}/ballots/{{ballot}}")),
        ("post", format!("{base}/ballots/{{ballot}}/votes")),
        ("post", format!("{base}/ballots/{{ballot}}/close")),
        ("post", format!("{base}/funds/receipts")),
        ("post", format!("{base}/projects/{{project}}/allocations")),
        ("post", format!("{base}/projects/{{project}}/expenses")),
        ("get", format!("{base}/funds")),
        ("post", format!("{base}/funds/corrections")),
        ("get", format!("{base}/log")),
        ("get", format!("{base}/history/{{id}}")),
        ("get", format!("{base}/verify")),
        ("get", format!("{base}/reports/assembly")),
    ];
    let paths = document["paths"].as_object().unwrap();
    let documented: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        expected.len(),
        "undocumented or unexpected operations"
    );
    for (method, path) in &expected {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        if path.starts_with("/v1/communities") {
            let problems = &operation["responses"]["4XX"]["content"]["application/problem+json"];
            assert!(
                problems.is_object(),
                "{method} {path} does not document its problems"
            );
        }
    }
}
