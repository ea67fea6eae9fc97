//! Applications to join, as a candidate, the gardener and an admin see them.

use agora_events::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app, statutes, token};

fn candidate() -> (String, String) {
    let id = uuid::Uuid::now_v7().to_string();
    let token = token(&id, &[Role::Candidate]);
    (id, token)
}

fn application(name: &str) -> Value {
    json!({
        "display_name": name,
        "email": format!("{}@exemple.fr", name.to_lowercase()),
        "project": "Une recyclerie de quartier",
        "skills": ["réemploi"],
        "territory": "Chambéry",
    })
}

fn scores(each: u8) -> Value {
    json!({
        "scale_of_impact": each, "degree_of_information": each, "connections_produced": each,
        "care_for_the_living": each, "poetic_radiance": each, "social_innovation": each,
        "engagement": each,
    })
}

async fn read(app: &TestApp, id: &str, token: &str) -> Value {
    let response = app
        .get(&app.path(&format!("/applications/{id}")), token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_candidate_applies_follows_and_is_admitted_under_the_same_id() {
    let app = spawn_app().await;
    app.create_community().await;
    let mut minimum = statutes();
    minimum["admission_score_min"] = json!(14);
    let amended = app
        .send(
            Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&json!({"statutes": minimum, "reason": "AG"})),
        )
        .await;
    assert_eq!(amended.status(), 200);
    let (id, own) = candidate();

    let submitted = app
        .post(&app.path("/applications"), &own, &application("Camille"))
        .await;
    assert_eq!(submitted.status(), 201);
    assert!(
        submitted.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/applications/{id}"))
    );
    let again = app
        .post(&app.path("/applications"), &own, &application("Camille"))
        .await;
    problem(again, 409, "application-pending").await;

    let mine = read(&app, &id, &own).await;
    assert_eq!(mine["status"], "pending");
    assert_eq!(mine["display_name"], "Camille");
    assert_eq!(mine["email"], "camille@exemple.fr");
    assert_eq!(mine["scores"], Value::Null);
    assert_eq!(mine["score_minimum"], 14);

    // A candidate is no member: they read nothing else.
    problem(
        app.get(&app.path("/pioneers"), &own).await,
        403,
        "member-only",
    )
    .await;
    let (_, other) = candidate();
    let someone_elses = app
        .get(&app.path(&format!("/applications/{id}")), &other)
        .await;
    problem(someone_elses, 403, "applicant-or-role-required").await;
    let listed = app.get(&app.path("/applications"), &own).await;
    problem(listed, 403, "role-required").await;

    let gardener = operator();
    let pending: Value = app
        .get(&app.path("/applications"), &gardener)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["id"], id.as_str());

    let admit = |body: Value| {
        let app = &app;
        let path = app.path(&format!("/applications/{id}/admit"));
        async move { app.post(&path, &operator(), &body).await }
    };
    problem(
        admit(json!({"college": "founders"})).await,
        409,
        "application-not-scored",
    )
    .await;
    let scored = app
        .post(
            &app.path(&format!("/applications/{id}/scores")),
            &gardener,
            &json!({"scores": scores(1)}),
        )
        .await;
    assert_eq!(scored.status(), 200);
    let low = problem(
        admit(json!({"college": "founders"})).await,
        409,
        "admission-score-minimum",
    )
    .await;
    assert!(low["detail"].as_str().unwrap().contains("7"), "{low}");
    assert_eq!(read(&app, &id, &own).await["score_total"], 7);
    let admitted = admit(json!({"college": "founders", "scores": scores(2)})).await;
    assert_eq!(admitted.status(), 200, "{}", admitted.text().await.unwrap());
    // Admitted, the application is decided: acting on it again says so.
    let again = admit(json!({"college": "founders", "scores": scores(2)})).await;
    let again = problem(again, 409, "application-not-pending").await;
    assert!(
        again["detail"].as_str().unwrap().contains("admitted"),
        "{again}"
    );
    let declined = app
        .post(
            &app.path(&format!("/applications/{id}/decline")),
            &operator(),
            &json!({"reason": "trop tard"}),
        )
        .await;
    problem(declined, 409, "application-not-pending").await;

    let member: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &gardener)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["display_name"], "Camille", "the same key opens it");
    assert_eq!(member["territory"], "Chambéry");
    assert_eq!(member["college"], "founders");
    let mine = read(&app, &id, &own).await;
    assert_eq!(
        (&mine["status"], &mine["college"]),
        (&json!("admitted"), &json!("founders"))
    );
    let as_pioneer = token(&id, &[Role::Pioneer]);
    assert_eq!(read(&app, &id, &as_pioneer).await["status"], "admitted");
    let pending: Value = app
        .get(&app.path("/applications"), &gardener)
        .await
        .json()
        .await
        .unwrap();
    assert!(pending.as_array().unwrap().is_empty());
    let twice = app
        .post(&app.path("/applications"), &own, &application("Camille"))
        .await;
    problem(twice, 409, "pioneer-exists").await;

    // The assembly report counts them.
    let report: Value = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01"),
            &gardener,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        report["applications"],
        json!({"received": 1, "admitted": 1, "declined": 0, "withdrawn": 0, "pending_at_end": 0})
    );
    let html = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01&format=html"),
            &gardener,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Candidatures admises"));
    assert!(html.contains("data-figure=\"applications.admitted\" data-value=\"1\""));
}

#[tokio::test]
async fn a_declined_application_keeps_its_reason_and_loses_who_applied() {
    let app = spawn_app().await;
    app.create_community().await;
    let (id, own) = candidate();
    app.post(&app.path("/applications"), &own, &application("Dominique"))
        .await;
    let by_candidate = app
        .post(
            &app.path(&format!("/applications/{id}/decline")),
            &own,
            &json!({"reason": "moi-même"}),
        )
        .await;
    problem(by_candidate, 403, "role-required").await;
    let blank = app
        .post(
            &app.path(&format!("/applications/{id}/decline")),
            &operator(),
            &json!({"reason": "  "}),
        )
        .await;
    problem(blank, 422, "text-blank").await;
    let declined = app
        .post(
            &app.path(&format!("/applications/{id}/decline")),
            &operator(),
            &json!({"reason": "Le projet ne relève pas des solutions citoyennes"}),
        )
        .await;
    assert_eq!(declined.status(), 200);

    let mine = read(&app, &id, &own).await;
    assert_eq!(mine["status"], "declined");
    assert_eq!(
        mine["reason"],
        "Le projet ne relève pas des solutions citoyennes"
    );
    assert_eq!(mine["display_name"], Value::Null, "the key is destroyed");
    assert_eq!(mine["project"], "Une recyclerie de quartier");
    let late = app
        .post(
            &app.path(&format!("/applications/{id}/admit")),
            &operator(),
            &json!({"college": "founders", "scores": scores(3)}),
        )
        .await;
    problem(late, 409, "application-not-pending").await;
    // A new application after a decision is welcome.
    let again = app
        .post(&app.path("/applications"), &own, &application("Dominique"))
        .await;
    assert_eq!(again.status(), 201);
    assert_eq!(read(&app, &id, &own).await["display_name"], "Dominique");
}

#[tokio::test]
async fn an_applicant_withdraws_and_the_gardener_applies_for_someone() {
    let app = spawn_app().await;
    app.create_community().await;
    let (id, own) = candidate();
    app.post(&app.path("/applications"), &own, &application("Eli"))
        .await;
    let (_, stranger) = candidate();
    let not_theirs = app
        .post(
            &app.path(&format!("/applications/{id}/withdraw")),
            &stranger,
            &json!({}),
        )
        .await;
    problem(not_theirs, 403, "applicant-or-role-required").await;
    let withdrawn = app
        .post(
            &app.path(&format!("/applications/{id}/withdraw")),
            &own,
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(read(&app, &id, &own).await["status"], "withdrawn");
    let twice = app
        .post(
            &app.path(&format!("/applications/{id}/withdraw")),
            &own,
            &json!({}),
        )
        .await;
    problem(twice, 409, "application-not-pending").await;
    // One nobody made is still not found.
    let nobody = uuid::Uuid::now_v7();
    let missing = app
        .post(
            &app.path(&format!("/applications/{nobody}/decline")),
            &operator(),
            &json!({"reason": "complet"}),
        )
        .await;
    problem(missing, 404, "application-not-found").await;

    let for_someone = app
        .post(
            &app.path("/applications"),
            &operator(),
            &application("Fanny"),
        )
        .await;
    assert_eq!(for_someone.status(), 201);
    let body: Value = for_someone.json().await.unwrap();
    assert_eq!(body["events"][0]["metadata"]["actor"]["role"], "gardener");
    let applicant = body["events"][0]["data"]["applicant"].as_str().unwrap();
    assert_ne!(applicant, id);
    let bad_email = app
        .post(
            &app.path("/applications"),
            &operator(),
            &json!({"display_name": "G", "email": "pas-une-adresse", "project": "p"}),
        )
        .await;
    problem(bad_email, 422, "email-form").await;
    let unknown = uuid::Uuid::now_v7();
    let missing = app
        .get(&app.path(&format!("/applications/{unknown}")), &operator())
        .await;
    problem(missing, 404, "application-not-found").await;
}

/// A candidate token's subject becomes the pioneer's id: one that is not
/// an id, or is already a member's or a project's, cannot apply, and is
/// told why.
#[tokio::test]
async fn a_candidate_applies_only_under_an_id_nothing_else_has() {
    let app = spawn_app().await;
    app.create_community().await;
    let member = app.member_in_good_standing("Alice", 1).await;
    let project = app.propose_project(&member, "Jardin").await;
    let apply = |subject: String| {
        let app = &app;
        async move {
            let token = token(&subject, &[Role::Candidate]);
            app.post(&app.path("/applications"), &token, &application("Zoé"))
                .await
        }
    };
    problem(apply("pas-un-id".into()).await, 403, "candidate-id").await;
    problem(
        apply(uuid::Uuid::nil().to_string()).await,
        403,
        "candidate-id",
    )
    .await;
    problem(apply(member.clone()).await, 409, "pioneer-exists").await;
    problem(apply(project).await, 409, "id-in-use").await;
    // Nor a ballot's, or anything else the log files under an id.
    let ballot = app
        .open_yes_no_ballot("Un jardin ?", chrono::Duration::days(3))
        .await;
    let ballot = ballot.headers()["location"].to_str().unwrap();
    let ballot = ballot.rsplit('/').next().unwrap().to_owned();
    problem(apply(ballot).await, 409, "id-in-use").await;
    let (fresh_id, fresh) = candidate();
    // An id only written in words (a listing's title) is no one's: the
    // candidate keeps it.
    let listing = app
        .post(
            &app.path("/market/listings"),
            &app.pioneer_token(&member),
            &json!({"kind": "offer", "title": fresh_id, "description": "…"}),
        )
        .await;
    assert_eq!(listing.status(), 200, "{}", listing.text().await.unwrap());
    let history: Value = app
        .get(&app.path(&format!("/history/{fresh_id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        history["total"], 1,
        "the index files it under the id: {history}"
    );
    let submitted = app
        .post(&app.path("/applications"), &fresh, &application("Zoé"))
        .await;
    assert_eq!(submitted.status(), 201);
    // Their own application's history does not hold them back: withdrawn,
    // they apply again under the same id.
    let withdrawn = app
        .post(
            &app.path(&format!("/applications/{fresh_id}/withdraw")),
            &fresh,
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    let again = app
        .post(&app.path("/applications"), &fresh, &application("Zoé"))
        .await;
    assert_eq!(again.status(), 201, "{}", again.text().await.unwrap());
}
