use agora_events::Role;
use serde_json::{Value, json};

use crate::helpers::{COMMUNITY, operator, problem, spawn_app, spawn_app_in, statutes, token};

/// Creates the community `slug`, as the operator, with `key`.
fn create_with_key(
    app: &crate::helpers::TestApp,
    key: &str,
    slug: &str,
) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
    app.client
        .post(app.url("/v1/communities"))
        .bearer_auth(operator())
        .header("idempotency-key", key)
        .json(&json!({"slug": slug, "statutes": statutes()}))
        .send()
}

/// A key creates one community: sent again for another slug, it is a
/// key reused for another command, not a second community; sent again
/// as it was, it gets the first answer.
#[tokio::test]
async fn a_key_that_created_a_community_creates_no_other() {
    let app = spawn_app().await;
    let create = |slug| create_with_key(&app, "create-1", slug);

    let first = create(COMMUNITY).await.unwrap();
    let other = create("autre-communaute").await.unwrap();
    let retry = create(COMMUNITY).await.unwrap();

    assert_eq!(first.status(), 201);
    problem(other, 422, "idempotency-key-reused").await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let missing = app
        .get("/v1/communities/autre-communaute", &operator())
        .await;
    assert_eq!(missing.status(), 404);
}

/// Creations sent at once with one key make one community, whichever
/// comes first; the others are keys reused.
#[tokio::test]
async fn creations_sent_at_once_with_one_key_make_one_community() {
    let app = spawn_app().await;
    let create = |slug| create_with_key(&app, "create-at-once", slug);

    let (a, b, c) = tokio::join!(create("course-a"), create("course-b"), create("course-c"));

    let statuses: Vec<u16> = [a, b, c]
        .into_iter()
        .map(|response| response.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&status| status == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&status| status == 422).count(),
        2,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_admin_creates_a_community_and_members_read_it() {
    let app = spawn_app().await;

    let created = app
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": COMMUNITY, "statutes": statutes()}),
        )
        .await;

    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["location"],
        format!("/v1/communities/{COMMUNITY}")
    );
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["events"][0]["type"], "CommunityCreated");
    assert_eq!(body["events"][0]["revision"], 0);
    let read: Value = app
        .get(&app.path(""), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["statutes"]["name"], "Lanceurs d'avenir");
    assert_eq!(read["statutes"]["credit_floor"], "-20.00");
    assert_eq!(read["statutes"]["credit_ceiling"], "100.00");
    assert_eq!(read["statutes"]["ranking_weights"]["concerned"], 40);
    assert_eq!(read["members"], 0);
    assert_eq!(read["head_hash"], body["events"][0]["hash"]);
}

#[tokio::test]
async fn statutes_breaking_a_rule_are_refused_with_the_rule_and_field() {
    let app = spawn_app().await;
    let mut bad = statutes();
    bad["colleges"][0]["vote_weight_percent"] = json!(60);
    bad["colleges"][1]["vote_weight_percent"] = json!(0);

    let refused = app
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": COMMUNITY, "statutes": bad}),
        )
        .await;

    let body = problem(refused, 422, "college-weight-range").await;
    assert_eq!(body["field"], "statutes.colleges");
    assert!(body["detail"].as_str().unwrap().contains("founders"));
}

#[tokio::test]
async fn a_community_cannot_be_created_twice() {
    let app = spawn_app().await;
    app.create_community().await;

    let again = app
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": COMMUNITY, "statutes": statutes()}),
        )
        .await;

    problem(again, 409, "community-exists").await;
}

#[tokio::test]
async fn a_bad_slug_or_amount_is_refused_before_any_rule() {
    let app = spawn_app().await;

    let bad_slug = app
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": "Not A Slug", "statutes": statutes()}),
        )
        .await;
    let mut float_nominal = statutes();
    float_nominal["share_nominal"] = json!(50.5);
    let float = app
        .post(
            "/v1/communities",
            &operator(),
            &json!({"slug": "x", "statutes": float_nominal}),
        )
        .await;

    problem(bad_slug, 422, "invalid-body").await;
    problem(float, 422, "invalid-body").await;
}

#[tokio::test]
async fn statutes_are_amended_by_an_admin_and_apply_from_then_on() {
    let app = spawn_app().await;
    app.create_community().await;
    let mut amended = statutes();
    amended["charter_version"] = json!("2027-01");

    let response = app
        .send(
            reqwest::Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&json!({"statutes": amended, "reason": "AG du 12 mars 2027"})),
        )
        .await;

    assert_eq!(response.status(), 200);
    let read: Value = app
        .get(&app.path(""), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["statutes"]["charter_version"], "2027-01");
    assert!(read["statutes_amended_at"].is_string());
}

#[tokio::test]
async fn an_unknown_community_is_a_404() {
    let app = spawn_app().await;

    let response = app.get("/v1/communities/nowhere", &operator()).await;

    problem(response, 404, "community-not-found").await;
}

#[tokio::test]
async fn everything_survives_a_restart() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.member_in_good_standing("Camille Dupont", 2).await;
    let other = app.member_in_good_standing("Dominique Martin", 1).await;
    let payee = json!({"payee": format!("pioneer:{other}"), "hours": "3.00"});
    app.post(&app.path("/transfers"), &app.pioneer_token(&id), &payee)
        .await;
    let proposal = json!({"title": "Jardin", "summary": "…"});
    app.post(&app.path("/projects"), &app.pioneer_token(&id), &proposal)
        .await;
    let before: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    let reads = ["/accounts", "/projects", "/funds", "/verify"];
    let mut before_reads = Vec::new();
    for read in reads {
        let body: Value = app
            .get(&app.path(read), &operator())
            .await
            .json()
            .await
            .unwrap();
        before_reads.push(body);
    }
    let directory = app.stop().await;

    let app = spawn_app_in(directory).await;
    let after: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    let register: Value = app
        .get(&app.path("/shares"), &token(&id, &[Role::Pioneer]))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(after, before);
    assert_eq!(after["display_name"], "Camille Dupont");
    assert_eq!(register["capital"], "150.00");
    for (read, earlier) in reads.iter().zip(before_reads) {
        let now: Value = app
            .get(&app.path(read), &operator())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(now, earlier, "{read} changed across the restart");
    }
}
