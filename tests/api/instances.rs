//! Two instances of the service on one shared store: PostgreSQL (a schema
//! of its own per test, in the database `AGORA_TEST_POSTGRES_URL` names)
//! and KurrentDB (a namespace of its own per test, on the server
//! `AGORA_TEST_KURRENTDB_URL` names); each test says it was skipped without
//! one. What one records, the other reads;
//! a retry through the other records nothing twice; an erasure through one
//! is one through both; a vote through the other is sealed all the same.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_instance};
use crate::support::kurrentdb::fresh_namespace;
use crate::support::postgres::fresh_schema;

/// Two instances on one fresh PostgreSQL schema, the community created
/// through the first; `None` without a test database.
async fn on_postgres() -> Option<(TestApp, TestApp)> {
    let url = fresh_schema().await?;
    let a = spawn_instance(&url).await;
    let b = spawn_instance(&url).await;
    a.create_community().await;
    Some((a, b))
}

/// Two instances on one fresh KurrentDB namespace, each with a side file
/// of its own, the community created through the first; `None` without a
/// test server.
async fn on_kurrentdb() -> Option<(TestApp, TestApp)> {
    let url = fresh_namespace()?;
    let a = spawn_instance(&url).await;
    let b = spawn_instance(&url).await;
    a.create_community().await;
    Some((a, b))
}

/// Each test, on each store several instances can share.
macro_rules! on_shared_stores {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((a, b)) = super::on_postgres().await else { return };
                    super::$test(a, b).await;
                }
            )*
        }
        mod kurrentdb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((a, b)) = super::on_kurrentdb().await else { return };
                    super::$test(a, b).await;
                }
            )*
        }
    };
}

on_shared_stores!(
    what_one_instance_records_the_other_reads_personal_data_included,
    a_command_sent_to_one_instance_and_retried_on_the_other_is_recorded_once,
    a_member_forgotten_through_one_instance_cannot_be_read_through_the_other,
    a_vote_through_the_other_instance_is_sealed_with_the_key_the_first_made,
    a_community_created_through_one_instance_is_served_by_the_other,
    a_revision_no_instance_reaches_is_a_503_that_says_so,
    a_due_ballot_is_closed_once_whichever_instance_gets_there_first,
    a_role_granted_or_revoked_through_one_instance_binds_on_the_other,
    a_pioneer_admitted_through_one_instance_acts_through_the_other_at_once,
    what_one_instance_grants_or_takes_away_binds_the_other_at_once,
);

/// A pioneer admitted through one instance acts through the other at
/// once, without saying which revision to wait for: the other instance,
/// not knowing them yet, first reads what the store holds.
async fn a_pioneer_admitted_through_one_instance_acts_through_the_other_at_once(
    a: TestApp,
    b: TestApp,
) {
    for n in 0..10 {
        let id = a.admit(&format!("Pionnière {n}")).await;
        let listing =
            json!({"kind": "offer", "title": "Aide au jardin", "description": "Une heure"});

        let published = b
            .post(&b.path("/market/listings"), &b.pioneer_token(&id), &listing)
            .await;

        assert_eq!(
            published.status(),
            200,
            "{}",
            published.text().await.unwrap()
        );
    }
}

/// The revision a command's answer says its last event was recorded at.
fn revision(response: &Response) -> u64 {
    response.headers()["agora-revision"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A read through `app` that sees at least `revision`.
async fn read_after(app: &TestApp, path: &str, token: &str, revision: u64) -> Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .header("Agora-Min-Revision", revision.to_string())
        .send()
        .await
        .unwrap()
}

async fn what_one_instance_records_the_other_reads_personal_data_included(a: TestApp, b: TestApp) {
    let admitted = a
        .post(
            &a.path("/pioneers"),
            &operator(),
            &crate::helpers::admission("Camille Dupont"),
        )
        .await;
    assert_eq!(admitted.status(), 201);
    let seen = revision(&admitted);
    let body: Value = admitted.json().await.unwrap();
    let id = body["events"][0]["data"]["pioneer_id"].as_str().unwrap();

    let through_b = read_after(&b, &b.path(&format!("/pioneers/{id}")), &operator(), seen).await;
    assert_eq!(through_b.status(), 200);
    let view: Value = through_b.json().await.unwrap();
    // B opened the personal data with the key A made.
    assert_eq!(view["display_name"], "Camille Dupont", "{view}");

    // Without the header, B catches up on its own, soon.
    let mut caught_up = false;
    for _ in 0..100 {
        let response = b
            .get(&b.path(&format!("/pioneers/{id}")), &operator())
            .await;
        if response.status() == 200 {
            caught_up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(caught_up, "B never saw the admission recorded through A");
}

async fn a_command_sent_to_one_instance_and_retried_on_the_other_is_recorded_once(
    a: TestApp,
    b: TestApp,
) {
    let payer = a.member_in_good_standing("Alice", 1).await;
    let payee = a.member_in_good_standing("Bruno", 1).await;
    let send = |app: &TestApp| {
        app.client
            .post(app.url(&app.path("/transfers")))
            .bearer_auth(app.pioneer_token(&payer))
            .header("Idempotency-Key", "one-transfer")
            .json(&json!({"payee": format!("pioneer:{payee}"), "hours": "1.50"}))
            .send()
    };

    let first = send(&a).await.unwrap();
    let retried = send(&b).await.unwrap();

    assert_eq!(first.status(), 200);
    assert_eq!(
        retried.status(),
        200,
        "{:?}",
        retried.headers().get("content-type")
    );
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    let (first, retried): (Value, Value) =
        (first.json().await.unwrap(), retried.json().await.unwrap());
    assert_eq!(first["events"], retried["events"]);
    assert_eq!(recorded_of_type(&b, "TimeCreditsTransferred").await, 1);
}

async fn a_member_forgotten_through_one_instance_cannot_be_read_through_the_other(
    a: TestApp,
    b: TestApp,
) {
    let id = a.member_in_good_standing("Camille Dupont", 1).await;
    let pioneer = b.path(&format!("/pioneers/{id}"));
    let last = revision_of_last(&a).await;
    let readable: Value = read_after(&b, &pioneer, &operator(), last)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(readable["display_name"], "Camille Dupont");

    let left = a
        .post(
            &a.path(&format!("/pioneers/{id}/leave")),
            &a.pioneer_token(&id),
            &json!({}),
        )
        .await;
    assert_eq!(left.status(), 200);
    let forgotten = a
        .post(
            &a.path(&format!("/pioneers/{id}/forget")),
            &operator(),
            &json!({}),
        )
        .await;
    assert_eq!(forgotten.status(), 200);

    let view: Value = read_after(&b, &pioneer, &operator(), revision(&forgotten))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["forgotten"], true, "{view}");
    assert_eq!(view["display_name"], Value::Null, "{view}");
    let log = read_after(&b, &b.path("/log?limit=1000"), &operator(), 0)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !log.contains("Camille"),
        "the name is still readable: {log}"
    );
}

async fn a_vote_through_the_other_instance_is_sealed_with_the_key_the_first_made(
    a: TestApp,
    b: TestApp,
) {
    let voter = a.member_in_good_standing("Alice", 1).await;
    let opened = a
        .open_yes_no_ballot("Un jardin ?", chrono::Duration::days(7))
        .await;
    assert_eq!(opened.status(), 201);
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();

    let voted = b
        .client
        .post(b.url(&format!("{ballot}/votes")))
        .bearer_auth(b.pioneer_token(&voter))
        .header("Agora-Min-Revision", revision(&opened).to_string())
        .json(&json!({"choice": {"method": "single", "option_id": "oui"}}))
        .send()
        .await
        .unwrap();

    assert_eq!(voted.status(), 200);
    let body: Value = voted.json().await.unwrap();
    let vote = &body["events"][0]["data"];
    assert!(vote.get("choice").is_none(), "a vote in clear: {vote}");
    assert_eq!(vote["sealed_choice"]["algorithm"], "xchacha20poly1305");
    // Closed through A, the vote B sealed is counted.
    let closed = a
        .post(&format!("{ballot}/close"), &operator(), &json!({}))
        .await;
    assert_eq!(closed.status(), 200, "{}", closed.text().await.unwrap());
    let result: Value = read_after(&b, &ballot, &operator(), revision_of_last(&a).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["winner"], "oui", "{result}");
}

/// How many events of `event_type` the community's log holds, as `app`
/// reads it.
async fn recorded_of_type(app: &TestApp, event_type: &str) -> usize {
    log(app)
        .await
        .iter()
        .filter(|event| event["type"] == event_type)
        .count()
}

/// The community's log, as `app` reads it.
async fn log(app: &TestApp) -> Vec<Value> {
    let log: Value = app
        .get(&app.path("/log?limit=1000"), &operator())
        .await
        .json()
        .await
        .unwrap();
    log["events"].as_array().unwrap().clone()
}

/// The community's last revision, as an instance reads its log.
async fn revision_of_last(app: &TestApp) -> u64 {
    log(app).await.last().unwrap()["revision"].as_u64().unwrap()
}

async fn a_community_created_through_one_instance_is_served_by_the_other(a: TestApp, b: TestApp) {
    let created = a
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": "voisins", "statutes": crate::helpers::statutes()}),
        )
        .await;
    assert_eq!(created.status(), 201);

    let served = b
        .client
        .request(Method::GET, b.url("/v1/communities/voisins"))
        .bearer_auth(operator())
        .header("Agora-Min-Revision", revision(&created).to_string())
        .send()
        .await
        .unwrap();
    let twice = b
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": "voisins", "statutes": crate::helpers::statutes()}),
        )
        .await;

    assert_eq!(served.status(), 200);
    problem(twice, 409, "community-exists").await;
}

async fn a_revision_no_instance_reaches_is_a_503_that_says_so(_a: TestApp, b: TestApp) {
    let ahead = read_after(&b, &b.path(""), &operator(), 1_000_000).await;
    let malformed = b
        .client
        .get(b.url(&b.path("")))
        .bearer_auth(operator())
        .header("Agora-Min-Revision", "latest")
        .send()
        .await
        .unwrap();

    let body = problem(ahead, 503, "read-your-writes").await;
    assert!(
        body["detail"].as_str().unwrap().contains("1000000"),
        "{body}"
    );
    problem(malformed, 400, "invalid-parameter").await;
}

async fn a_due_ballot_is_closed_once_whichever_instance_gets_there_first(a: TestApp, b: TestApp) {
    let voter = a.member_in_good_standing("Alice", 1).await;
    let opened = a
        .open_yes_no_ballot("Fête de printemps ?", chrono::Duration::milliseconds(1_500))
        .await;
    assert_eq!(opened.status(), 201);
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();
    let voted = a
        .post(
            &format!("{ballot}/votes"),
            &a.pioneer_token(&voter),
            &json!({"choice": {"method": "single", "option_id": "oui"}}),
        )
        .await;
    assert_eq!(voted.status(), 200);

    // Both schedulers run; wait until each instance has seen the closing
    // and a few more ticks have passed for a second one to slip in.
    for app in [&a, &b] {
        let mut closed = false;
        for _ in 0..100 {
            let view: Value = app.get(&ballot, &operator()).await.json().await.unwrap();
            if view["status"] == "closed" {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(closed, "not closed 10 s after its close time");
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;

    assert_eq!(recorded_of_type(&b, "BallotClosed").await, 1);
    let view: Value = b.get(&ballot, &operator()).await.json().await.unwrap();
    assert_eq!(view["winner"], "oui", "{view}");
}

async fn a_role_granted_or_revoked_through_one_instance_binds_on_the_other(a: TestApp, b: TestApp) {
    let gardener = a.admit("Camille Dupont").await;
    let token = crate::helpers::token(
        &gardener,
        &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
    );
    let roles = a.path(&format!("/pioneers/{gardener}/roles"));
    let set_roles = |roles_now: Value| {
        a.client
            .put(a.url(&roles))
            .bearer_auth(operator())
            .json(&json!({"roles": roles_now}))
            .send()
    };
    let admit_through_b = |seen: u64| {
        b.client
            .post(b.url(&b.path("/pioneers")))
            .bearer_auth(&token)
            .header("Agora-Min-Revision", seen.to_string())
            .json(&crate::helpers::admission("Dominique Martin"))
            .send()
    };

    let granted = set_roles(json!(["gardener"])).await.unwrap();
    let admits = admit_through_b(revision(&granted)).await.unwrap();
    let revoked = set_roles(json!([])).await.unwrap();
    let refused = admit_through_b(revision(&revoked)).await.unwrap();

    assert_eq!(admits.status(), 201, "{}", admits.text().await.unwrap());
    problem(refused, 403, "role-required").await;
}

/// A role granted through one instance serves through the other for the
/// very next command; a role revoked, or a membership ended, through one
/// binds the other just as soon, though no request says which revision to
/// wait for: the other may not have read it yet when its edge lets the
/// command through, but the ledger checks the role again when it decides.
async fn what_one_instance_grants_or_takes_away_binds_the_other_at_once(a: TestApp, b: TestApp) {
    use agora_events::Role;
    let receipt = json!({"amount": "1.00", "source": "Don", "reference": "D-1"});
    for n in 0..5 {
        let id = a.admit(&format!("Trésorière {n}")).await;
        let token = crate::helpers::token(&id, &[Role::Pioneer, Role::Treasurer]);

        a.grant_role(&id, "treasurer").await;
        let received = b.post(&b.path("/funds/receipts"), &token, &receipt).await;
        let revoked = a
            .send(
                Method::PUT,
                &a.path(&format!("/pioneers/{id}/roles")),
                Some(&operator()),
                Some(&json!({"roles": []})),
            )
            .await;
        assert_eq!(revoked.status(), 200);
        let refused = b.post(&b.path("/funds/receipts"), &token, &receipt).await;

        assert_eq!(received.status(), 200, "{}", received.text().await.unwrap());
        problem(refused, 403, "role-required").await;
    }
    for (n, ending) in ["exclude", "leave"].into_iter().enumerate() {
        let id = a.admit(&format!("Jardinière {n}")).await;
        let token = crate::helpers::token(&id, &[Role::Pioneer, Role::Gardener]);
        a.grant_role(&id, "gardener").await;
        let (path, by, body) = match ending {
            "exclude" => ("exclude", operator(), json!({"reason": "manquements"})),
            _ => ("leave", token.clone(), json!({})),
        };

        let ended = a
            .post(&a.path(&format!("/pioneers/{id}/{path}")), &by, &body)
            .await;
        assert_eq!(ended.status(), 200, "{}", ended.text().await.unwrap());
        let admitted = b
            .post(
                &b.path("/pioneers"),
                &token,
                &crate::helpers::admission("Dominique Martin"),
            )
            .await;

        problem(admitted, 403, "role-required").await;
    }
}
