use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

#[tokio::test]
async fn receipts_allocations_and_expenses_stay_within_their_bounds() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let project = app.propose_project(&alice, "Jardin").await;
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

#[tokio::test]
async fn budgets_set_forecasts_and_expenses_book_to_their_lines() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let project = app.propose_project(&alice, "Jardin").await;
    let put = |path: String, body: Value| {
        let app = &app;
        async move {
            app.send(
                reqwest::Method::PUT,
                &app.path(&path),
                Some(&operator()),
                Some(&body),
            )
            .await
        }
    };
    let lines = |lines: &[(&str, &str)]| -> Value {
        lines
            .iter()
            .map(|(code, forecast)| json!({"code": code, "label": format!("Ligne {code}"), "forecast": forecast}))
            .collect()
    };
    let project_budget = format!("/projects/{project}/budget");

    let missing = app.get(&app.path(&project_budget), &operator()).await;
    problem(missing, 404, "budget-not-found").await;
    let bad_code = put(
        project_budget.clone(),
        json!({"lines": lines(&[("Matériaux", "10.00")]), "reason": "AG"}),
    )
    .await;
    problem(bad_code, 422, "budget-line-code").await;
    let twice = put(
        project_budget.clone(),
        json!({"lines": lines(&[("web", "10.00"), ("web", "5.00")]), "reason": "AG"}),
    )
    .await;
    problem(twice, 422, "budget-line-unique").await;
    let set = put(
        project_budget.clone(),
        json!({"lines": lines(&[("materiaux", "300.00"), ("outillage", "100.00")]), "reason": "AG du 12 mars"}),
    )
    .await;
    assert_eq!(set.status(), 200, "{}", set.text().await.unwrap());
    let again = put(
        project_budget.clone(),
        json!({"lines": lines(&[("materiaux", "300.00"), ("outillage", "100.00")]), "reason": "encore"}),
    )
    .await;
    problem(again, 409, "budget-changes-nothing").await;
    let by_pioneer = app
        .send(
            reqwest::Method::PUT,
            &app.path(&project_budget),
            Some(&app.pioneer_token(&alice)),
            Some(&json!({"lines": lines(&[("web", "1.00")]), "reason": "moi"})),
        )
        .await;
    assert_eq!(by_pioneer.status(), 403);

    app.post(
        &app.path(&format!("/projects/{project}/status")),
        &operator(),
        &json!({"status": "selected"}),
    )
    .await;
    app.post(
        &app.path("/funds/receipts"),
        &operator(),
        &json!({"amount": "1000.00", "source": "Région", "reference": "REG-1"}),
    )
    .await;
    app.post(
        &app.path(&format!("/projects/{project}/allocations")),
        &operator(),
        &json!({"amount": "800.00", "decision": {"kind": "assembly", "reference": "AG"}}),
    )
    .await;
    let expense = |amount: &str, line: Option<&str>| {
        let mut body = json!({"amount": amount, "payee": "Quincaillerie", "reference": "FAC-1"});
        if let Some(line) = line {
            body["budget_line"] = json!(line);
        }
        let app = &app;
        let path = app.path(&format!("/projects/{project}/expenses"));
        async move { app.post(&path, &operator(), &body).await }
    };
    problem(expense("10.00", None).await, 422, "budget-line-required").await;
    problem(
        expense("10.00", Some("web")).await,
        422,
        "budget-line-known",
    )
    .await;
    assert_eq!(expense("250.00", Some("materiaux")).await.status(), 200);
    assert_eq!(expense("120.00", Some("outillage")).await.status(), 200);

    let dropping = put(
        project_budget.clone(),
        json!({"lines": lines(&[("materiaux", "300.00")]), "reason": "révision"}),
    )
    .await;
    let dropped = problem(dropping, 409, "budget-line-in-use").await;
    assert!(dropped["detail"].as_str().unwrap().contains("outillage"));

    let budget: Value = app
        .get(&app.path(&project_budget), &app.pioneer_token(&alice))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(budget["scope"]["kind"], "project");
    assert_eq!(
        (&budget["forecast"], &budget["spent"], &budget["unbudgeted"]),
        (&json!("400.00"), &json!("370.00"), &json!("0.00"))
    );
    assert_eq!(budget["lines"][1]["code"], "outillage");
    assert_eq!(budget["lines"][1]["remaining"], "-20.00");
    assert_eq!(budget["lines"][1]["over_forecast"], true);
    assert_eq!(budget["lines"][0]["over_forecast"], false);
    assert_eq!(budget["over_forecast"], json!(["outillage"]));
    let funds: Value = app
        .get(&app.path("/funds"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        funds["allocations"][0]["expenses"][0]["budget_line"],
        "materiaux"
    );

    // The community's budget counts every expense by its line's code.
    let community = put(
        "/budget".into(),
        json!({"lines": lines(&[("materiaux", "5000.00"), ("films", "1000.00")]), "reason": "Budget prévisionnel"}),
    )
    .await;
    assert_eq!(community.status(), 200);
    let budget: Value = app
        .get(&app.path("/budget"), &app.pioneer_token(&alice))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(budget["scope"], json!({"kind": "community"}));
    assert_eq!(
        (&budget["forecast"], &budget["spent"], &budget["unbudgeted"]),
        (&json!("6000.00"), &json!("250.00"), &json!("120.00"))
    );
    let stranger = uuid::Uuid::now_v7();
    let unknown = app
        .get(
            &app.path(&format!("/projects/{stranger}/budget")),
            &operator(),
        )
        .await;
    problem(unknown, 404, "project-not-found").await;

    // The assembly report sets each budget against what was spent.
    let report = |format: &'static str| {
        let app = &app;
        async move {
            app.get(
                &app.path(&format!(
                    "/reports/assembly?from=2000-01-01&to=2100-01-01&format={format}"
                )),
                &operator(),
            )
            .await
            .text()
            .await
            .unwrap()
        }
    };
    let json: Value = serde_json::from_str(&report("json").await).unwrap();
    let budgets = json["budgets"].as_array().unwrap();
    assert_eq!(budgets.len(), 2);
    assert_eq!(budgets[0]["scope"], "community");
    assert_eq!(budgets[0]["unbudgeted"], "120.00");
    assert_eq!(budgets[1]["scope"], project);
    assert_eq!(budgets[1]["title"], "Jardin");
    assert_eq!(budgets[1]["over_forecast"], json!(["outillage"]));
    assert_eq!(budgets[1]["lines"][1]["remaining"], "-20.00");
    let csv = report("csv").await;
    assert!(csv.contains(&format!(
        "budgets,over_forecast,,{project}:outillage,Jardin,true"
    )));
    assert!(csv.contains(&format!(
        "budgets,forecast,,{project}:materiaux,Jardin — Ligne materiaux,300.00"
    )));
    let html = report("html").await;
    assert!(html.contains("Budgets prévisionnels et réalisés"));
    let outillage = html
        .lines()
        .find(|line| line.contains("data-line=\"outillage\""))
        .unwrap();
    assert!(outillage.contains("dépassement"), "{outillage}");
    let materiaux = html
        .lines()
        .find(|line| line.contains("data-line=\"materiaux\"") && line.contains("300,00"))
        .unwrap();
    assert!(!materiaux.contains("dépassement"), "{materiaux}");
}

/// A corrected receipt shows its corrected amount, as corrected
/// allocations and expenses do: the lines add up to what was received.
#[tokio::test]
async fn receipt_lines_show_their_corrections_and_add_up_to_what_was_received() {
    let app = spawn_app().await;
    app.create_community().await;
    let mut receipts = Vec::new();
    for (amount, reference) in [("33.00", "CORR"), ("100.00", "REG-1")] {
        let body = json!({"amount": amount, "source": "Don", "reference": reference});
        let recorded: Value = app
            .post(&app.path("/funds/receipts"), &operator(), &body)
            .await
            .json()
            .await
            .unwrap();
        receipts.push(
            recorded["events"][0]["data"]["receipt_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let correction = json!({"record": {"kind": "receipt", "receipt_id": receipts[0]}, "amount": "30.00", "reason": "faute de frappe"});
    let corrected = app
        .post(&app.path("/funds/corrections"), &operator(), &correction)
        .await;
    assert_eq!(
        corrected.status(),
        200,
        "{}",
        corrected.text().await.unwrap()
    );

    let funds: Value = app
        .get(&app.path("/funds"), &operator())
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(funds["received"], "130.00");
    let lines = funds["receipts"].as_array().unwrap();
    let amount_of = |id: &str| {
        lines
            .iter()
            .find(|line| line["id"] == id)
            .map(|line| line["amount"].clone())
    };
    assert_eq!(amount_of(&receipts[0]), Some(json!("30.00")));
    assert_eq!(amount_of(&receipts[1]), Some(json!("100.00")));
}
