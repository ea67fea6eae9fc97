use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

#[tokio::test]
async fn histories_and_statements_page_with_their_totals() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 2).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    for hours in ["1.00", "2.00", "3.00"] {
        app.post(
            &app.path("/transfers"),
            &app.pioneer_token(&alice),
            &json!({"payee": format!("pioneer:{bruno}"), "hours": hours}),
        )
        .await;
    }

    let history: Value = app
        .get(
            &app.path(&format!("/history/{bruno}?offset=4&limit=1")),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let statement: Value = app
        .get(
            &app.path(&format!(
                "/accounts/pioneer:{bruno}/statement?offset=1&limit=5"
            )),
            &app.pioneer_token(&alice),
        )
        .await
        .json()
        .await
        .unwrap();
    let bad_page = app
        .get(
            &app.path(&format!("/history/{bruno}?offset=-1")),
            &operator(),
        )
        .await;

    // Admitted, charter, subscription, payment, then three transfers.
    assert_eq!(history["total"], 7);
    assert_eq!(history["events"].as_array().unwrap().len(), 1);
    assert_eq!(history["events"][0]["type"], "TimeCreditsTransferred");
    assert_eq!(history["events"][0]["data"]["hours"], "1.00");
    assert_eq!(statement["total"], 3);
    let lines: Vec<(&str, &str)> = statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["hours"].as_str().unwrap(),
                line["balance_after"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("2.00", "3.00"), ("3.00", "6.00")]);
    problem(bad_page, 400, "invalid-parameter").await;
}

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
    assert_eq!(history["total"], 5);
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
    problem(nothing, 404, "history-not-found").await;
}
