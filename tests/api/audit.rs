use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

#[tokio::test]
async fn the_log_pages_histories_gather_and_verification_passes() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 2).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    app.post(
        &app.path("/transfers"),
        &app.pioneer_token(&alice),
        &json!({"payee": format!("pioneer:{bruno}"), "hours": "1.00"}),
    )
    .await;

    let first: Value = app
        .get(&app.path("/log?limit=3"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let rest: Value = app
        .get(
            &app.path(&format!("/log?from={}&limit=1000", first["next"])),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let history: Value = app
        .get(&app.path(&format!("/history/{alice}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    let verification: Value = app
        .get(&app.path("/verify"), &app.pioneer_token(&bruno))
        .await
        .json()
        .await
        .unwrap();
    let nothing = app
        .get(
            &app.path(&format!("/history/{}", uuid::Uuid::now_v7())),
            &operator(),
        )
        .await;

    let events =
        first["events"].as_array().unwrap().len() + rest["events"].as_array().unwrap().len();
    assert_eq!(first["events"][0]["type"], "CommunityCreated");
    assert_eq!(rest["next"], Value::Null);
    assert_eq!(events as u64, verification["events"].as_u64().unwrap());
    let types: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "PioneerAdmitted",
            "CharterAccepted",
            "SharesSubscribed",
            "SharePaymentRecorded",
            "TimeCreditsTransferred"
        ]
    );
    assert!(history["events"][0]["metadata"]["actor"]["role"].is_string());
    assert_eq!(verification["ok"], true, "{verification}");
    let rules: Vec<&str> = verification["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"replay-equals-live"), "{rules:?}");
    let community: Value = app
        .get(&app.path(""), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verification["head_hash"], community["head_hash"]);
    problem(nothing, 404, "not-found").await;
}
