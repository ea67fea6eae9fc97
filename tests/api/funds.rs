use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

#[tokio::test]
async fn receipts_allocations_and_expenses_stay_within_their_bounds() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let proposal = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&alice),
            &json!({"title": "Jardin", "summary": "…"}),
        )
        .await;
    let project = proposal.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    app.post(
        &app.path(&format!("/projects/{project}/status")),
        &operator(),
        &json!({"status": "selected"}),
    )
    .await;
    let decision = json!({"kind": "assembly", "reference": "AG du 12 mars 2026"});

    let receipt = app
        .post(
            &app.path("/funds/receipts"),
            &operator(),
            &json!({"amount": "1000.00", "source": "Région", "reference": "REG-1"}),
        )
        .await;
    let too_much = app
        .post(
            &app.path(&format!("/projects/{project}/allocations")),
            &operator(),
            &json!({"amount": "1000.01", "decision": decision}),
        )
        .await;
    let allocated = app
        .post(
            &app.path(&format!("/projects/{project}/allocations")),
            &operator(),
            &json!({"amount": "600.00", "decision": decision}),
        )
        .await;
    let sha = "a".repeat(64);
    let spent = app
        .post(
            &app.path(&format!("/projects/{project}/expenses")),
            &operator(),
            &json!({"amount": "450.00", "payee": "Pépinière", "reference": "FAC-7", "receipt_sha256": sha}),
        )
        .await;
    let overspent = app
        .post(
            &app.path(&format!("/projects/{project}/expenses")),
            &operator(),
            &json!({"amount": "150.01", "payee": "Pépinière", "reference": "FAC-8"}),
        )
        .await;
    let by_pioneer = app
        .post(
            &app.path("/funds/receipts"),
            &app.pioneer_token(&alice),
            &json!({"amount": "1.00", "source": "x", "reference": "y"}),
        )
        .await;

    assert_eq!(receipt.status(), 200);
    problem(too_much, 409, "allocation-within-funds").await;
    assert_eq!(allocated.status(), 200);
    assert_eq!(spent.status(), 200, "{}", spent.text().await.unwrap());
    problem(overspent, 409, "expense-within-allocation").await;
    assert_eq!(by_pioneer.status(), 403);
    let funds: Value = app
        .get(&app.path("/funds"), &app.pioneer_token(&alice))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &funds["received"],
            &funds["allocated"],
            &funds["spent"],
            &funds["available"]
        ),
        (
            &json!("1000.00"),
            &json!("600.00"),
            &json!("450.00"),
            &json!("400.00")
        )
    );
    let allocation = &funds["allocations"][0];
    assert_eq!(allocation["remaining"], "150.00");
    assert_eq!(allocation["decision"]["reference"], "AG du 12 mars 2026");
    assert_eq!(allocation["expenses"][0]["receipt_sha256"], sha);
    let project: Value = app
        .get(&app.path(&format!("/projects/{project}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&project["allocated"], &project["spent"]),
        (&json!("600.00"), &json!("450.00"))
    );
}
