use agora_events::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{admission, operator, problem, spawn_app, token};

#[tokio::test]
async fn the_gardener_admits_a_pioneer_whose_personal_data_is_sealed_in_the_ledger() {
    let app = spawn_app().await;
    app.create_community().await;

    let admitted = app
        .post(
            &app.path("/pioneers"),
            &operator(),
            &admission("Camille Dupont"),
        )
        .await;

    assert_eq!(admitted.status(), 201);
    let location = admitted.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = admitted.json().await.unwrap();
    let event = &body["events"][0];
    assert_eq!(event["type"], "PioneerAdmitted");
    assert!(
        !event.to_string().contains("Camille"),
        "personal data in clear: {event}"
    );
    assert!(!event.to_string().contains("example.org"));
    let id = event["data"]["pioneer_id"].as_str().unwrap();
    assert!(location.ends_with(id));
    let view: Value = app.get(&location, &operator()).await.json().await.unwrap();
    assert_eq!(view["display_name"], "Camille Dupont");
    assert_eq!(view["email"], "camille.dupont@example.org");
    assert_eq!(view["membership"]["status"], "active");
    assert_eq!(view["admission_scores"]["connections_produced"], 5);
    assert_eq!(view["in_good_standing"], false);
}

#[tokio::test]
async fn contacts_are_shown_to_the_pioneer_and_the_gardener_but_not_to_other_members() {
    let app = spawn_app().await;
    app.create_community().await;
    let camille = app.admit("Camille Dupont").await;
    let other = app.admit("Dominique Martin").await;
    let path = app.path(&format!("/pioneers/{camille}"));

    let own: Value = app
        .get(&path, &app.pioneer_token(&camille))
        .await
        .json()
        .await
        .unwrap();
    let member: Value = app
        .get(&path, &app.pioneer_token(&other))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(own["email"], "camille.dupont@example.org");
    assert_eq!(member["display_name"], "Camille Dupont");
    assert_eq!(member["email"], Value::Null);
    assert_eq!(member["contact"], Value::Null);
}

#[tokio::test]
async fn a_member_who_accepts_the_charter_and_pays_a_share_is_in_good_standing() {
    let app = spawn_app().await;
    app.create_community().await;

    let id = app.member_in_good_standing("Camille Dupont", 1).await;

    let view: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["in_good_standing"], true);
    assert_eq!(view["charter_current"], true);
    assert_eq!(view["shares"]["held_shares"], 1);
}

#[tokio::test]
async fn only_the_charter_in_force_can_be_accepted() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.admit("Camille Dupont").await;

    let refused = app
        .post(
            &app.path(&format!("/pioneers/{id}/charter")),
            &app.pioneer_token(&id),
            &json!({"charter_version": "1999"}),
        )
        .await;

    let body = problem(refused, 409, "charter-version-current").await;
    assert_eq!(body["field"], "charter_version");
}

#[tokio::test]
async fn a_pioneer_updates_their_profile_partly_and_clears_a_field_with_null() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.admit("Camille Dupont").await;
    let path = app.path(&format!("/pioneers/{id}/profile"));

    let updated = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.pioneer_token(&id)),
            Some(&json!({"bio": "Semences paysannes", "contact": null, "skills": ["semences"]})),
        )
        .await;

    assert_eq!(updated.status(), 200);
    let view: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["display_name"], "Camille Dupont");
    assert_eq!(view["bio"], "Semences paysannes");
    assert_eq!(view["contact"], Value::Null);
    assert_eq!(view["email"], "camille.dupont@example.org");
    assert_eq!(view["skills"], json!(["semences"]));
    assert_eq!(view["territory"], "Drôme");
}

#[tokio::test]
async fn a_malformed_email_is_refused_naming_the_field() {
    let app = spawn_app().await;
    app.create_community().await;
    let mut body = admission("Camille Dupont");
    body["email"] = json!("not an email");

    let refused = app.post(&app.path("/pioneers"), &operator(), &body).await;

    let problem = problem(refused, 422, "email-form").await;
    assert_eq!(problem["field"], "email");
}

#[tokio::test]
async fn a_pioneer_leaves_is_then_forgotten_and_the_ledger_still_adds_up() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.member_in_good_standing("Camille Dupont", 2).await;
    let own = app.pioneer_token(&id);
    let forget = app.path(&format!("/pioneers/{id}/forget"));

    let too_early = app.post(&forget, &operator(), &json!({})).await;
    let left = app
        .post(
            &app.path(&format!("/pioneers/{id}/leave")),
            &own,
            &json!({}),
        )
        .await;
    let forgotten = app.post(&forget, &operator(), &json!({})).await;

    problem(too_early, 409, "forget-after-leaving").await;
    assert_eq!(left.status(), 200);
    assert_eq!(forgotten.status(), 200);
    let view: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["forgotten"], true);
    assert_eq!(view["display_name"], Value::Null);
    assert_eq!(view["membership"]["status"], "left");
    assert_eq!(view["roles"], json!([]));
    let register: Value = app
        .get(&app.path("/shares"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(register["capital"], "100.00");
    // A departed pioneer's token no longer opens anything.
    let after = app.get(&app.path(""), &own).await;
    problem(after, 403, "member-only").await;
}

#[tokio::test]
async fn the_gardener_excludes_a_pioneer_with_a_reason() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.admit("Camille Dupont").await;
    let path = app.path(&format!("/pioneers/{id}/exclude"));

    let blank = app.post(&path, &operator(), &json!({"reason": "  "})).await;
    let excluded = app
        .post(
            &path,
            &operator(),
            &json!({"reason": "manquement à la charte"}),
        )
        .await;

    problem(blank, 422, "text-blank").await;
    assert_eq!(excluded.status(), 200);
    let view: Value = app
        .get(&app.path(&format!("/pioneers/{id}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["membership"]["status"], "excluded");
    assert_eq!(view["membership"]["reason"], "manquement à la charte");
}

#[tokio::test]
async fn an_admin_sets_roles_and_a_revocation_binds_old_tokens_at_once() {
    let app = spawn_app().await;
    app.create_community().await;
    let gardener = app.admit("Camille Dupont").await;
    let candidate = || admission("Dominique Martin");
    let roles = app.path(&format!("/pioneers/{gardener}/roles"));
    let gardener_token = token(&gardener, &[Role::Pioneer, Role::Gardener]);

    let granted = app
        .send(
            Method::PUT,
            &roles,
            Some(&operator()),
            Some(&json!({"roles": ["gardener"]})),
        )
        .await;
    let admits = app
        .post(&app.path("/pioneers"), &gardener_token, &candidate())
        .await;
    let unchanged = app
        .send(
            Method::PUT,
            &roles,
            Some(&operator()),
            Some(&json!({"roles": ["gardener"]})),
        )
        .await;
    app.send(
        Method::PUT,
        &roles,
        Some(&operator()),
        Some(&json!({"roles": []})),
    )
    .await;
    let refused = app
        .post(&app.path("/pioneers"), &gardener_token, &candidate())
        .await;

    assert_eq!(granted.status(), 200);
    assert_eq!(admits.status(), 201);
    let unchanged: Value = unchanged.json().await.unwrap();
    assert_eq!(unchanged["events"], json!([]));
    problem(refused, 403, "role-required").await;
}

#[tokio::test]
async fn pioneers_are_listed_by_page_and_filtered() {
    let app = spawn_app().await;
    app.create_community().await;
    for n in 0..5 {
        app.admit(&format!("Pioneer {n}")).await;
    }
    let excluded = app.admit("Excluded One").await;
    app.post(
        &app.path(&format!("/pioneers/{excluded}/exclude")),
        &operator(),
        &json!({"reason": "r"}),
    )
    .await;

    let first: Vec<Value> = app
        .get(&app.path("/pioneers?limit=4"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let after = first.last().unwrap()["id"].as_str().unwrap().to_owned();
    let rest: Vec<Value> = app
        .get(
            &app.path(&format!("/pioneers?limit=4&after={after}")),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let active: Vec<Value> = app
        .get(&app.path("/pioneers?status=active"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let bad = app
        .get(&app.path("/pioneers?status=sleeping"), &operator())
        .await;

    assert_eq!((first.len(), rest.len()), (4, 2));
    assert_eq!(active.len(), 5);
    problem(bad, 400, "invalid-parameter").await;
}

#[tokio::test]
async fn the_gardener_sees_who_is_behind_on_their_duties() {
    let app = crate::helpers::spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let newcomer = app.admit("Nouvelle").await;
    let duties: serde_json::Value = app
        .get(&app.path("/duties"), &crate::helpers::operator())
        .await
        .json()
        .await
        .unwrap();
    let behind = duties.as_array().unwrap();
    assert_eq!(behind.len(), 1, "only the newcomer is behind: {duties}");
    assert_eq!(behind[0]["pioneer_id"], newcomer.as_str());
    assert_eq!(behind[0]["display_name"], "Nouvelle");
    assert_eq!(behind[0]["paid_shares"], 0);
    assert!(behind[0]["charter_behind_since"].is_string());
    assert_eq!(
        behind[0]["charter_behind_since"],
        behind[0]["shares_behind_since"]
    );
    assert_eq!(behind[0]["behind_since"], behind[0]["charter_behind_since"]);
    assert_eq!(behind[0]["profile_behind_since"], serde_json::Value::Null);

    let everyone: serde_json::Value = app
        .get(
            &app.path("/duties?behind=false"),
            &crate::helpers::operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let everyone = everyone.as_array().unwrap();
    assert_eq!(everyone.len(), 2);
    assert_eq!(everyone[0]["pioneer_id"], newcomer.as_str(), "behind first");
    assert_eq!(everyone[1]["pioneer_id"], alice.as_str());
    assert_eq!(everyone[1]["behind_since"], serde_json::Value::Null);
    assert_eq!(everyone[1]["paid_shares"], 1);

    let by_pioneer = app
        .get(&app.path("/duties"), &app.pioneer_token(&alice))
        .await;
    crate::helpers::problem(by_pioneer, 403, "role-required").await;
}
