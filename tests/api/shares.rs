use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

#[tokio::test]
async fn the_register_shows_members_colleges_and_capital() {
    let app = spawn_app().await;
    app.create_community().await;
    let camille = app.member_in_good_standing("Camille Dupont", 2).await;
    let dominique = app.admit("Dominique Martin").await;
    app.post(
        &app.path(&format!("/pioneers/{dominique}/shares/subscriptions")),
        &app.pioneer_token(&dominique),
        &json!({"shares": 3}),
    )
    .await;
    app.post(
        &app.path(&format!("/pioneers/{dominique}/shares/payments")),
        &operator(),
        &json!({"amount": "75.00", "reference": "CHQ-9"}),
    )
    .await;

    let register: Value = app
        .get(&app.path("/shares"), &operator())
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(register["share_nominal"], "50.00");
    assert_eq!(register["capital"], "150.00");
    assert_eq!(register["highest_capital"], "150.00");
    assert_eq!(register["capital_floor"], "37.50");
    let members = register["members"].as_array().unwrap();
    let holding = |id: &str| {
        members
            .iter()
            .find(|m| m["pioneer_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(holding(&camille)["held_shares"], 2);
    assert_eq!(holding(&dominique)["paid_shares"], 1);
    assert_eq!(holding(&dominique)["outstanding"], "75.00");
    let founders = register["colleges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["college"] == "founders")
        .unwrap()
        .clone();
    assert_eq!(founders["members"], 2);
    assert_eq!(founders["capital"], "150.00");
}

#[tokio::test]
async fn a_redemption_below_a_quarter_of_the_highest_capital_is_refused_with_the_figures() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.member_in_good_standing("Camille Dupont", 4).await;
    let redeem = app.path(&format!("/pioneers/{id}/shares/redemptions"));

    let refused = app
        .post(
            &redeem,
            &operator(),
            &json!({"shares": 4, "reason": "statutes"}),
        )
        .await;
    let allowed = app
        .post(
            &redeem,
            &operator(),
            &json!({"shares": 3, "reason": "statutes"}),
        )
        .await;

    let body = problem(refused, 409, "variable-capital-floor").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("0.00") && detail.contains("50.00") && detail.contains("200.00"),
        "{detail}"
    );
    assert_eq!(allowed.status(), 200);
    let register: Value = app
        .get(&app.path("/shares"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(register["capital"], "50.00");
    assert_eq!(register["highest_capital"], "200.00");
}

#[tokio::test]
async fn a_payment_larger_than_what_is_owed_is_refused() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.admit("Camille Dupont").await;
    app.post(
        &app.path(&format!("/pioneers/{id}/shares/subscriptions")),
        &operator(),
        &json!({"shares": 1}),
    )
    .await;

    let refused = app
        .post(
            &app.path(&format!("/pioneers/{id}/shares/payments")),
            &operator(),
            &json!({"amount": "50.01", "reference": "VIR-2"}),
        )
        .await;
    let three_decimals = app
        .post(
            &app.path(&format!("/pioneers/{id}/shares/payments")),
            &operator(),
            &json!({"amount": "10.001", "reference": "VIR-2"}),
        )
        .await;

    problem(refused, 409, "payment-exceeds-outstanding").await;
    let body = problem(three_decimals, 422, "invalid-body").await;
    assert!(body["detail"].as_str().unwrap().contains("decimals"));
}

#[tokio::test]
async fn redemption_for_leaving_needs_the_member_gone() {
    let app = spawn_app().await;
    app.create_community().await;
    let id = app.member_in_good_standing("Camille Dupont", 2).await;
    app.member_in_good_standing("Dominique Martin", 8).await;
    let redeem = app.path(&format!("/pioneers/{id}/shares/redemptions"));

    let refused = app
        .post(
            &redeem,
            &operator(),
            &json!({"shares": 2, "reason": "leaving"}),
        )
        .await;
    app.post(
        &app.path(&format!("/pioneers/{id}/leave")),
        &app.pioneer_token(&id),
        &json!({}),
    )
    .await;
    let allowed = app
        .post(
            &redeem,
            &operator(),
            &json!({"shares": 2, "reason": "leaving"}),
        )
        .await;

    problem(refused, 409, "redemption-leaving-member").await;
    assert_eq!(allowed.status(), 200);
}

/// The first `name` member anywhere in `value`.
fn first_member(value: &Value, name: &str) -> Option<String> {
    match value {
        Value::Object(members) => members
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| members.values().find_map(|v| first_member(v, name))),
        Value::Array(items) => items.iter().find_map(|v| first_member(v, name)),
        _ => None,
    }
}

/// A correction tells the payment's true amount: the highest capital is
/// then the one the corrected history reaches, above the capital a raise
/// brings, and without the money a mistake recorded.
#[tokio::test]
async fn the_highest_capital_follows_the_corrections_of_payments() {
    let app = spawn_app().await;
    app.create_community().await;
    let camille = app.member_in_good_standing("Camille Dupont", 4).await;
    let dominique = app.admit("Dominique Martin").await;
    let subscribed = app
        .post(
            &app.path(&format!("/pioneers/{dominique}/shares/subscriptions")),
            &app.pioneer_token(&dominique),
            &json!({"shares": 20}),
        )
        .await;
    assert_eq!(subscribed.status(), 200);
    let paid: Value = app
        .post(
            &app.path(&format!("/pioneers/{dominique}/shares/payments")),
            &operator(),
            &json!({"amount": "25.00", "reference": "VIR-2"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let payment = first_member(&paid, "payment_id").expect("the payment's id");
    let register = || async {
        let register: Value = app
            .get(&app.path("/shares"), &operator())
            .await
            .json()
            .await
            .unwrap();
        (
            register["capital"].as_str().unwrap().to_owned(),
            register["highest_capital"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(register().await, ("200.00".into(), "200.00".into()));
    let correct = |amount: &'static str| {
        let body = json!({
            "record": {"kind": "share_payment", "payment_id": payment},
            "amount": amount,
            "reason": "relevé de banque",
        });
        let path = app.path("/funds/corrections");
        let app = &app;
        async move { app.post(&path, &operator(), &body).await }
    };

    // The bank says 1,000.00 came in, not 25.00: twenty shares paid.
    assert_eq!(correct("1000.00").await.status(), 200);
    assert_eq!(register().await, ("1200.00".into(), "1200.00".into()));

    // Then that it was a mistake: nothing came in. The floor is a quarter
    // of 200.00 again, and Camille may redeem three of her four shares.
    assert_eq!(correct("0.00").await.status(), 200);
    assert_eq!(register().await, ("200.00".into(), "200.00".into()));
    let redeemed = app
        .post(
            &app.path(&format!("/pioneers/{camille}/shares/redemptions")),
            &operator(),
            &json!({"shares": 3, "reason": "statutes"}),
        )
        .await;
    assert_eq!(redeemed.status(), 200, "{}", redeemed.text().await.unwrap());
    // Raised again after the redemption, the payment counts from when it
    // was recorded: the highest capital is the one reached then.
    assert_eq!(correct("50.00").await.status(), 200);
    assert_eq!(register().await, ("100.00".into(), "250.00".into()));
}
