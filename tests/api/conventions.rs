//! Conventions every endpoint follows: problem documents for bad input,
//! idempotent retries, bounded bodies, the OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admission, operator, problem, spawn_app};

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

    // JSON said to be compressed: never read as if it were not.
    for encoding in ["gzip", "br, gzip", "x-unknown"] {
        let response = app
            .client
            .post(app.url(&app.path("/pioneers")))
            .bearer_auth(operator())
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(crate::helpers::admission("Zoé").to_string())
            .send()
            .await
            .unwrap();
        problem(response, 415, "content-encoding-unsupported").await;
    }
    // Two headers, the first harmless: the second counts too.
    let twice = app
        .client
        .post(app.url(&app.path("/pioneers")))
        .bearer_auth(operator())
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .header("content-encoding", "gzip")
        .body(crate::helpers::admission("Zoé").to_string())
        .send()
        .await
        .unwrap();
    problem(twice, 415, "content-encoding-unsupported").await;
    let listed = || async {
        let pioneers = app.get(&app.path("/pioneers"), &operator()).await;
        let pioneers: serde_json::Value = pioneers.json().await.unwrap();
        pioneers.to_string().contains("Zoé")
    };
    assert!(!listed().await, "nothing recorded");
    app.admit("Zoé").await;
    assert!(listed().await, "listed once admitted");
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
    assert_eq!(pioneers(&app).await.len(), 1);
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

/// The community's pioneers, as the operator lists them.
async fn pioneers(app: &TestApp) -> Vec<Value> {
    app.get(&app.path("/pioneers"), &operator())
        .await
        .json()
        .await
        .unwrap()
}

/// Posts `body` to `path` as `token` with an `Idempotency-Key`.
async fn keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The answer's status, body and `Location`.
async fn answered(response: reqwest::Response) -> (u16, Value, Option<String>, bool) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    let replayed = response.headers().contains_key("idempotent-replayed");
    (status, response.json().await.unwrap(), location, replayed)
}

/// A retry is answered with the first answer even when what the edge
/// checks before the ledger would now refuse it: the pioneer who left
/// no longer holds the role leaving needs, the candidate since admitted
/// is no longer a candidate, the allocation an expense drew on is spent.
/// The same key from another caller, or with another body, keeps its
/// refusal and learns nothing of the first command.
#[tokio::test]
async fn a_retry_gets_the_first_answer_even_once_the_edge_would_refuse_the_command() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;

    // Leaving: the retry comes from a pioneer who is no longer one.
    let leave = app.path(&format!("/pioneers/{alice}/leave"));
    let token = app.pioneer_token(&alice);
    let first = answered(keyed(&app, &leave, &token, "leave-1", &json!({})).await).await;
    let retry = answered(keyed(&app, &leave, &token, "leave-1", &json!({})).await).await;
    assert_eq!(first.0, 200, "{:?}", first.1);
    assert_eq!((retry.0, &retry.1["events"]), (200, &first.1["events"]));
    assert!(retry.3, "marked as a replay");
    // Bruno sends Alice's key on her route: his own refusal, not her answer.
    let stranger = keyed(
        &app,
        &leave,
        &app.pioneer_token(&bruno),
        "leave-1",
        &json!({}),
    )
    .await;
    problem(stranger, 403, "self-only").await;
    // Alice leaving again under another key: she is no member any more.
    let again = keyed(&app, &leave, &token, "leave-2", &json!({})).await;
    problem(again, 409, "pioneer-not-member").await;

    // Spending an allocation whole, without naming it: the retry finds
    // no allocation with money left, yet is answered.
    let project = app.propose_project(&bruno, "Jardin").await;
    app.post(
        &app.path(&format!("/projects/{project}/status")),
        &operator(),
        &json!({"status": "selected"}),
    )
    .await;
    let receipt = json!({"amount": "500.00", "source": "Région", "reference": "REG-1"});
    app.post(&app.path("/funds/receipts"), &operator(), &receipt)
        .await;
    let decision = json!({"kind": "assembly", "reference": "AG du 12 mars 2026"});
    let allocation = json!({"amount": "300.00", "decision": decision});
    let allocated = app
        .post(
            &app.path(&format!("/projects/{project}/allocations")),
            &operator(),
            &allocation,
        )
        .await;
    assert_eq!(allocated.status(), 200);
    let expenses = app.path(&format!("/projects/{project}/expenses"));
    let expense = json!({"amount": "300.00", "payee": "Pépinière", "reference": "FAC-1"});
    let first = answered(keyed(&app, &expenses, &operator(), "spend-1", &expense).await).await;
    let retry = answered(keyed(&app, &expenses, &operator(), "spend-1", &expense).await).await;
    assert_eq!(first.0, 200, "{:?}", first.1);
    assert_eq!((retry.0, &retry.1["events"]), (200, &first.1["events"]));
    let again = keyed(&app, &expenses, &operator(), "spend-2", &expense).await;
    assert!(again.status().is_client_error(), "a new expense is refused");
    let other = json!({"amount": "299.00", "payee": "Pépinière", "reference": "FAC-1"});
    let other = keyed(&app, &expenses, &operator(), "spend-1", &other).await;
    assert!(
        other.status().is_client_error(),
        "another body keeps its refusal"
    );
    assert!(!other.headers().contains_key("idempotent-replayed"));

    // Applying, then admitted: the retry comes from a member, no longer a
    // candidate, and gets the first answer with its `Location`.
    let candidate = uuid::Uuid::now_v7().to_string();
    let token = crate::helpers::token(&candidate, &[agora_events::Role::Candidate]);
    let application = json!({
        "display_name": "Chloé", "email": "chloe@exemple.fr", "project": "Une grainothèque",
        "skills": ["semences"], "territory": "Drôme"
    });
    let applications = app.path("/applications");
    let first = answered(keyed(&app, &applications, &token, "apply-1", &application).await).await;
    assert_eq!(first.0, 201, "{:?}", first.1);
    let admitted = app
        .post(
            &app.path(&format!("/applications/{candidate}/admit")),
            &operator(),
            &json!({"college": "founders", "scores": admission("x")["scores"]}),
        )
        .await;
    assert_eq!(admitted.status(), 200, "{}", admitted.text().await.unwrap());
    let retry = answered(keyed(&app, &applications, &token, "apply-1", &application).await).await;
    assert_eq!((retry.0, &retry.1["events"]), (201, &first.1["events"]));
    assert_eq!(retry.2, first.2, "the same Location");
}

/// A key changes nothing to the order refusals come in: no token is a
/// 401 before anything else, a body too large a 413, a body that is not
/// JSON a 415.
#[tokio::test]
async fn a_keyed_command_is_refused_in_the_usual_order() {
    let app = spawn_app().await;
    app.create_community().await;
    let path = app.path("/pioneers");
    let mut big = admission("Camille Dupont");
    big["bio"] = json!("x".repeat(agora::http::REQUEST_BODY_BYTES_MAX));

    let no_token = app
        .client
        .post(app.url(&path))
        .header("idempotency-key", "k-1")
        .json(&big)
        .send()
        .await
        .unwrap();
    let too_large = keyed(&app, &path, &operator(), "k-2", &big).await;
    let not_json = app
        .client
        .post(app.url(&path))
        .bearer_auth(operator())
        .header("idempotency-key", "k-3")
        .body("college=founders")
        .send()
        .await
        .unwrap();

    problem(no_token, 401, "authentication-required").await;
    problem(too_large, 413, "body-too-large").await;
    assert_eq!(not_json.status(), 415);
}

/// Two `Idempotency-Key` headers: which one the client meant is not
/// guessed.
#[tokio::test]
async fn two_idempotency_keys_are_a_400() {
    let app = spawn_app().await;
    app.create_community().await;

    let response = app
        .client
        .post(app.url(&app.path("/pioneers")))
        .bearer_auth(operator())
        .header("idempotency-key", "admit-1")
        .header("idempotency-key", "admit-2")
        .json(&admission("Camille Dupont"))
        .send()
        .await
        .unwrap();

    problem(response, 400, "idempotency-key-invalid").await;
    assert!(pioneers(&app).await.is_empty(), "nothing recorded");
}

/// A body is a JSON object: an array holding the members in the order
/// the request type declares them, or any other JSON value, is refused
/// (422 naming the rule), and nothing is recorded.
#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_a_422() {
    let app = spawn_app().await;
    app.create_community().await;
    let admission = admission("Camille Dupont");
    let in_order: Vec<Value> = admission.as_object().unwrap().values().cloned().collect();

    for body in [
        json!(in_order),
        json!("text"),
        json!(12),
        json!(null),
        json!([]),
    ] {
        let response = app.post(&app.path("/pioneers"), &operator(), &body).await;

        let problem = problem(response, 422, "invalid-body").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("JSON object"),
            "{body}: {problem}"
        );
    }
    assert!(pioneers(&app).await.is_empty(), "nothing recorded");
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

/// The document is the one list of routes: every operation it names is
/// served (no routing 404 or 405), documents its problems, and the access
/// matrix (`access.rs`) has a row for each of the community's operations.
#[tokio::test]
async fn the_openapi_document_covers_every_route_and_its_problems() {
    let app = spawn_app().await;
    app.create_community().await;

    let response = app.send(Method::GET, "/v1/openapi.json", None, None).await;

    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let operations = operations(&document);
    assert!(operations.len() > 40, "{operations:?}");
    for (method, path) in &operations {
        let operation = &document["paths"][path][method.as_str()];
        if path.starts_with("/v1/communities") {
            let problems = &operation["responses"]["4XX"]["content"]["application/problem+json"];
            assert!(
                problems.is_object(),
                "{method} {path} does not document its problems"
            );
        }
        // Served: whatever the answer, not the router's own 404 or 405.
        let concrete = path
            .split('/')
            .map(|part| match part {
                "{community}" => crate::helpers::COMMUNITY.to_owned(),
                part if part.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                part => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let answer = app
            .send(method.clone(), &concrete, Some(&operator()), body.as_ref())
            .await;
        let status = answer.status();
        // A live feed never ends: its status says it is served.
        let is_feed = answer
            .headers()
            .get("content-type")
            .is_some_and(|media| media == "text/event-stream");
        let rule = if is_feed {
            None
        } else {
            answer
                .json::<Value>()
                .await
                .ok()
                .and_then(|problem| problem["rule"].as_str().map(str::to_owned))
        };
        assert!(
            status != 405 && !(status == 404 && rule.as_deref() == Some("not-found")),
            "{method} {path} is documented but not served: {status} {rule:?}"
        );
    }
}

/// Every path parameter is parsed at the edge, the same way on every
/// route: an id that is not one is a 400 naming it, a slug that names no
/// community a 404, whatever the operation.
#[tokio::test]
async fn every_route_refuses_a_malformed_id_and_an_unknown_community_alike() {
    let app = spawn_app().await;
    app.create_community().await;
    let document = app.openapi().await;

    let mut checked = 0;
    for (method, path) in operations(&document) {
        if !path.starts_with("/v1/communities/{community}") {
            continue;
        }
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let concrete = |community: &str, id: &str| {
            path.replace("{community}", community)
                .split('/')
                .map(|part| if part.starts_with('{') { id } else { part })
                .collect::<Vec<_>>()
                .join("/")
        };
        // An account is written with its kind; every other entity by its UUID.
        let some_id = format!("pioneer:{}", uuid::Uuid::now_v7());
        let some_id = if path.ends_with("{account}") || path.contains("{account}/") {
            some_id.as_str()
        } else {
            some_id.trim_start_matches("pioneer:")
        };

        let unknown = app
            .send(
                method.clone(),
                &concrete("no-such-community", some_id),
                Some(&operator()),
                body.as_ref(),
            )
            .await;
        assert_eq!(unknown.status(), 404, "{method} {path}");
        let problem: Value = unknown.json().await.unwrap();
        assert_eq!(problem["rule"], "community-not-found", "{method} {path}");

        if path.matches('{').count() > 1 {
            let malformed = app
                .send(
                    method.clone(),
                    &concrete(crate::helpers::COMMUNITY, "not-an-id"),
                    Some(&operator()),
                    body.as_ref(),
                )
                .await;
            assert_eq!(malformed.status(), 400, "{method} {path}");
            let problem: Value = malformed.json().await.unwrap();
            assert_eq!(problem["rule"], "invalid-parameter", "{method} {path}");
            assert!(
                problem["detail"].as_str().unwrap().contains("not-an-id"),
                "{method} {path}: {problem}"
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} routes name an entity");
}

/// Every list that pages takes a `limit` from 1 to its maximum, as the
/// document says: 0, or more than the maximum, is a 400 naming the range,
/// never a page of another size than asked for.
#[tokio::test]
async fn every_page_size_out_of_range_is_a_400_naming_the_range() {
    let app = spawn_app().await;
    app.create_community().await;
    let document = app.openapi().await;

    let mut checked = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(limit) = item["get"]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == "limit"))
        else {
            continue;
        };
        assert_eq!(limit["schema"]["minimum"], 1, "{path}");
        // Other query parameters the route requires, given some value.
        let required: String = item["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| format!("{}=x&", p["name"].as_str().unwrap()))
            .collect();
        let max = limit["schema"]["maximum"].as_u64().expect("a maximum");
        let concrete = path
            .replace("{community}", crate::helpers::COMMUNITY)
            .replace("{account}", "community")
            .split('/')
            .map(|part| match part.starts_with('{') {
                true => uuid::Uuid::now_v7().to_string(),
                false => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        for wrong in [0, max + 1] {
            let response = app
                .get(&format!("{concrete}?{required}limit={wrong}"), &operator())
                .await;
            let problem = problem(response, 400, "invalid-parameter").await;
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("from 1 to {max}")),
                "{path}: {problem}"
            );
        }
        let at_most = app
            .get(&format!("{concrete}?{required}limit={max}"), &operator())
            .await;
        assert_ne!(at_most.status(), 400, "{path} limit={max}");
        checked.push(path.clone());
    }
    assert!(checked.len() >= 8, "{checked:?}");
}

/// Every operation of the document: (method, path template).
pub fn operations(document: &Value) -> Vec<(String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect()
}

/// Every `$ref` of the OpenAPI document names a schema it defines.
#[tokio::test]
async fn every_reference_of_the_openapi_document_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(target)) = fields.get("$ref") {
                    found.push(target);
                }
                fields.values().for_each(|value| refs(value, found));
            }
            Value::Array(items) => items.iter().for_each(|value| refs(value, found)),
            _ => {}
        }
    }
    let app = spawn_app().await;
    let document = app.openapi().await;
    let mut found = Vec::new();
    refs(&document, &mut found);

    assert!(!found.is_empty());
    for target in found {
        let pointer = target.trim_start_matches('#');
        assert!(
            document.pointer(pointer).is_some(),
            "{target} does not resolve"
        );
    }
}
