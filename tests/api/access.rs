//! The access-control matrix: every endpoint against every kind of caller.
//! A denied caller gets 401 or 403 and nothing is recorded; an allowed one
//! gets past authorization (and, with these bodies, succeeds).

use agora::auth::{Authenticator, Claims, Secret, Verifier};
use agora_events::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    COMMUNITY, TestApp, admission, problem, spawn_app, statutes, token, token_with,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Gardener,
    Treasurer,
    Auditor,
    /// The pioneer the path names.
    Himself,
    /// Another pioneer.
    Other,
}

const EVERYONE: [Who; 6] = [
    Who::Admin,
    Who::Gardener,
    Who::Treasurer,
    Who::Auditor,
    Who::Himself,
    Who::Other,
];

struct Cast {
    gardener: String,
    treasurer: String,
    auditor: String,
    other: String,
}

impl Cast {
    fn token(&self, who: Who, target: &str) -> String {
        match who {
            // An operator of this community who is not a pioneer.
            Who::Admin => token("operator", &[Role::Admin]),
            Who::Gardener => token(&self.gardener, &[Role::Pioneer, Role::Gardener]),
            Who::Treasurer => token(&self.treasurer, &[Role::Pioneer, Role::Treasurer]),
            Who::Auditor => token(&self.auditor, &[Role::Pioneer, Role::Auditor]),
            Who::Himself => token(target, &[Role::Pioneer]),
            Who::Other => token(&self.other, &[Role::Pioneer]),
        }
    }
}

struct Row {
    method: Method,
    /// `{p}` stands for the target pioneer's id.
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Who],
}

impl Row {
    /// A target the row's command can succeed on: a newcomer for the
    /// charter, a member who owes on a subscription for a payment, one who
    /// has left for erasure, else a member in good standing.
    async fn target(&self, app: &TestApp) -> String {
        if self.path.ends_with("/charter") {
            return app.admit("Newcomer").await;
        }
        let member = app.member_in_good_standing("Target", 4).await;
        if self.path.ends_with("/payments") {
            let owing = app
                .post(
                    &app.path(&format!("/pioneers/{member}/shares/subscriptions")),
                    &crate::helpers::operator(),
                    &json!({"shares": 2}),
                )
                .await;
            assert_eq!(owing.status(), 200);
        }
        if self.path.ends_with("/forget") {
            let left = app
                .post(
                    &app.path(&format!("/pioneers/{member}/leave")),
                    &app.pioneer_token(&member),
                    &json!({}),
                )
                .await;
            assert_eq!(left.status(), 200);
        }
        member
    }
}

fn rows() -> Vec<Row> {
    use Who::*;
    let row = |method, path, body, allowed| Row {
        method,
        path,
        body,
        allowed,
    };
    let scores = admission("Nouvelle Recrue");
    vec![
        row(Method::GET, "", None, &EVERYONE),
        row(
            Method::PUT,
            "/statutes",
            Some(json!({"statutes": statutes(), "reason": "AG"})),
            &[Admin],
        ),
        row(Method::POST, "/pioneers", Some(scores), &[Gardener]),
        row(Method::GET, "/pioneers", None, &EVERYONE),
        row(Method::GET, "/pioneers/{p}", None, &EVERYONE),
        row(
            Method::POST,
            "/pioneers/{p}/charter",
            Some(json!({"charter_version": "2026-01"})),
            &[Himself],
        ),
        row(
            Method::PATCH,
            "/pioneers/{p}/profile",
            Some(json!({"bio": "b"})),
            &[Himself],
        ),
        row(
            Method::POST,
            "/pioneers/{p}/shares/subscriptions",
            Some(json!({"shares": 1})),
            &[Himself, Treasurer],
        ),
        row(
            Method::POST,
            "/pioneers/{p}/shares/payments",
            Some(json!({"amount": "10.00", "reference": "r"})),
            &[Treasurer],
        ),
        row(
            Method::POST,
            "/pioneers/{p}/shares/redemptions",
            Some(json!({"shares": 1, "reason": "statutes"})),
            &[Treasurer],
        ),
        row(Method::GET, "/shares", None, &EVERYONE),
        row(
            Method::PUT,
            "/pioneers/{p}/roles",
            Some(json!({"roles": ["auditor"]})),
            &[Admin],
        ),
        row(
            Method::POST,
            "/pioneers/{p}/exclude",
            Some(json!({"reason": "r"})),
            &[Gardener],
        ),
        row(Method::POST, "/pioneers/{p}/leave", None, &[Himself]),
        row(Method::POST, "/pioneers/{p}/forget", None, &[Admin]),
    ]
}

async fn cast(app: &TestApp) -> Cast {
    let grant = |id: String, role: &'static str| async move {
        let response = app
            .send(
                Method::PUT,
                &app.path(&format!("/pioneers/{id}/roles")),
                Some(&crate::helpers::operator()),
                Some(&json!({"roles": [role]})),
            )
            .await;
        assert_eq!(response.status(), 200);
        id
    };
    Cast {
        gardener: grant(app.admit("Gardener").await, "gardener").await,
        treasurer: grant(app.admit("Treasurer").await, "treasurer").await,
        auditor: grant(app.admit("Auditor").await, "auditor").await,
        other: app.admit("Other").await,
    }
}

async fn revision(app: &TestApp) -> u64 {
    let community: Value = app
        .get(&app.path(""), &crate::helpers::operator())
        .await
        .json()
        .await
        .unwrap();
    community["revision"].as_u64().unwrap()
}

#[tokio::test]
async fn every_endpoint_admits_exactly_its_roles() {
    let app = spawn_app().await;
    app.create_community().await;
    let cast = cast(&app).await;

    for row in rows() {
        // A fresh member in good standing for each row: earlier rows (a
        // departure, an exclusion) must not decide later ones.
        let target = row.target(&app).await;
        let path = app.path(&row.path.replace("{p}", &target));
        let denied: Vec<Who> = EVERYONE
            .into_iter()
            .filter(|who| !row.allowed.contains(who))
            .collect();
        for who in denied {
            let before = revision(&app).await;
            let response = app
                .send(
                    row.method.clone(),
                    &path,
                    Some(&cast.token(who, &target)),
                    row.body.as_ref(),
                )
                .await;
            assert_eq!(
                response.status(),
                403,
                "{:?} {} as {who:?}",
                row.method,
                row.path
            );
            assert_eq!(
                revision(&app).await,
                before,
                "a denied call recorded something"
            );
        }
        for &who in row.allowed {
            let response = app
                .send(
                    row.method.clone(),
                    &path,
                    Some(&cast.token(who, &target)),
                    row.body.as_ref(),
                )
                .await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(
                (200..300).contains(&status),
                "{:?} {} as {who:?}: {status} {text}",
                row.method,
                row.path
            );
        }
    }
}

#[tokio::test]
async fn only_an_admin_creates_a_community() {
    let app = spawn_app().await;
    app.create_community().await;
    let cast = cast(&app).await;
    let body = |slug: &str| json!({"slug": slug, "statutes": statutes()});

    for who in EVERYONE.into_iter().filter(|who| *who != Who::Admin) {
        let refused = app
            .post(
                "/v1/communities",
                &cast.token(who, &cast.other),
                &body("elsewhere"),
            )
            .await;
        assert_eq!(refused.status(), 403, "{who:?}");
    }
    // An admin token scoped to another community cannot create this one.
    let scoped = app
        .post(
            "/v1/communities",
            &token("operator", &[Role::Admin]),
            &body("elsewhere"),
        )
        .await;
    let created = app
        .post(
            "/v1/communities",
            &token_with("*", "operator", &[Role::Admin], 60),
            &body("elsewhere"),
        )
        .await;

    problem(scoped, 403, "other-community").await;
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn a_missing_forged_expired_or_foreign_token_is_refused_everywhere() {
    let app = spawn_app().await;
    app.create_community().await;
    let target = app.admit("Target").await;
    let forged = Authenticator::new(Verifier::Hs256(Secret::new(
        "another secret, long enough for HS256",
    )))
    .unwrap()
    .mint(&Claims {
        sub: "operator".into(),
        community: COMMUNITY.into(),
        roles: [Role::Admin].into_iter().collect(),
        exp: chrono::Utc::now().timestamp() + 60,
        iat: 0,
    })
    .unwrap();
    let expired = token_with(COMMUNITY, "operator", &[Role::Admin], -3_600);
    let foreign = token_with(
        "elsewhere",
        "operator",
        &[Role::Admin, Role::Gardener, Role::Treasurer],
        60,
    );

    for row in rows() {
        let path = app.path(&row.path.replace("{p}", &target));
        let none = app
            .send(row.method.clone(), &path, None, row.body.as_ref())
            .await;
        let malformed = app
            .send(
                row.method.clone(),
                &path,
                Some("not-a-jwt"),
                row.body.as_ref(),
            )
            .await;
        let forged = app
            .send(row.method.clone(), &path, Some(&forged), row.body.as_ref())
            .await;
        let expired = app
            .send(row.method.clone(), &path, Some(&expired), row.body.as_ref())
            .await;
        let foreign = app
            .send(row.method.clone(), &path, Some(&foreign), row.body.as_ref())
            .await;

        assert_eq!(none.headers()["www-authenticate"], "Bearer");
        problem(none, 401, "authentication-required").await;
        problem(malformed, 401, "invalid-token").await;
        problem(forged, 401, "invalid-token").await;
        let expired = problem(expired, 401, "invalid-token").await;
        assert!(expired["detail"].as_str().unwrap().contains("expired"));
        problem(foreign, 403, "other-community").await;
    }
}
