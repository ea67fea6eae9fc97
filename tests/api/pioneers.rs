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

#[tokio::test]
async fn an_organisation_acts_through_its_representative_who_can_change() {
    use agora_events::Role;
    use serde_json::{Value, json};

    use crate::helpers::{admission, operator, problem, token};

    let app = crate::helpers::spawn_app().await;
    app.create_community().await;
    let camille = uuid::Uuid::now_v7().to_string();
    let mut body = admission("Camille Roux");
    body["organisation"] = json!({"name": "Les Jardins du Lac", "legal_form": "Association loi 1901",
        "siren": "732829321", "representative": camille});
    let bad_siren = app.post(&app.path("/pioneers"), &operator(), &body).await;
    problem(bad_siren, 422, "siren-form").await;
    body["organisation"]["siren"] = json!("732829320");
    let admitted = app.post(&app.path("/pioneers"), &operator(), &body).await;
    assert_eq!(admitted.status(), 201, "{}", admitted.text().await.unwrap());
    let admitted: Value = admitted.json().await.unwrap();
    let association = admitted["events"][0]["data"]["pioneer_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Camille is no member; her token acts for the association.
    let as_camille = token(&camille, &[Role::Pioneer]);
    let charter = app
        .post(
            &app.path(&format!("/pioneers/{association}/charter")),
            &as_camille,
            &json!({"charter_version": crate::helpers::statutes()["charter_version"]}),
        )
        .await;
    assert_eq!(charter.status(), 200, "{}", charter.text().await.unwrap());
    let charter: Value = charter.json().await.unwrap();
    assert_eq!(
        charter["events"][0]["metadata"]["actor"]["id"],
        camille.as_str(),
        "she acted"
    );
    let listing = app
        .post(
            &app.path("/market/listings"),
            &as_camille,
            &json!({"kind": "offer", "title": "Prêt de la grelinette", "description": "…"}),
        )
        .await;
    assert_eq!(listing.status(), 200, "{}", listing.text().await.unwrap());
    let listing: Value = listing.json().await.unwrap();
    assert_eq!(listing["events"][0]["data"]["author"], association.as_str());
    let member: Value = app
        .get(&app.path(&format!("/pioneers/{association}")), &as_camille)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["organisation"]["name"], "Les Jardins du Lac");
    assert_eq!(member["organisation"]["representative"], camille.as_str());
    assert_eq!(
        member["email"], "camille.roux@example.org",
        "her own record's contacts"
    );

    // Another organisation cannot take the same SIREN, nor a member
    // represent one.
    let alice = app.member_in_good_standing("Alice", 1).await;
    let mut other = admission("Autre");
    other["organisation"] = json!({"name": "Autre", "legal_form": "SAS", "siren": "732829320",
        "representative": uuid::Uuid::now_v7()});
    problem(
        app.post(&app.path("/pioneers"), &operator(), &other).await,
        409,
        "siren-exists",
    )
    .await;
    other["organisation"] = json!({"name": "Autre", "legal_form": "SAS", "representative": alice});
    problem(
        app.post(&app.path("/pioneers"), &operator(), &other).await,
        409,
        "representative-not-member",
    )
    .await;

    // The association hands over to Dominique; its history stays its own.
    let dominique = uuid::Uuid::now_v7().to_string();
    let changed = app
        .send(
            reqwest::Method::PUT,
            &app.path(&format!("/pioneers/{association}/representative")),
            Some(&as_camille),
            Some(&json!({"representative": dominique})),
        )
        .await;
    assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap());
    let gone = app.get(&app.path("/pioneers"), &as_camille).await;
    problem(gone, 403, "member-only").await;
    let as_dominique = token(&dominique, &[Role::Pioneer]);
    let history: Value = app
        .get(&app.path(&format!("/history/{association}")), &as_dominique)
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"PioneerAdmitted")
            && types.contains(&"CharterAccepted")
            && types.contains(&"RepresentativeChanged"),
        "{types:?}"
    );
    let by_other = app
        .send(
            reqwest::Method::PUT,
            &app.path(&format!("/pioneers/{association}/representative")),
            Some(&app.pioneer_token(&alice)),
            Some(&json!({"representative": uuid::Uuid::now_v7()})),
        )
        .await;
    problem(by_other, 403, "self-or-role-required").await;

    let report: Value = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01"),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["members"]["organisations_at_end"], 1);
    assert_eq!(
        report["members"]["admitted"][0]["organisation"],
        "Les Jardins du Lac"
    );
}
