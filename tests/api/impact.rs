//! Impact indicators: defined by the statutes, measured per project, shown
//! on the project, beside the ranking and in the assembly report.

use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app, statutes};

fn measurement(indicator: &str, value: &str, on: &str) -> Value {
    json!({"indicator": indicator, "value": value, "measured_on": on, "source": "Feuilles d'émargement"})
}

async fn measure(app: &TestApp, project: &str, token: &str, body: &Value) -> reqwest::Response {
    app.post(
        &app.path(&format!("/projects/{project}/measurements")),
        token,
        body,
    )
    .await
}

#[tokio::test]
async fn a_project_s_proposer_and_the_gardener_measure_its_impact() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let project = app.propose_project(&alice, "Recyclerie").await;
    let alice_token = app.pioneer_token(&alice);

    let by_proposer = measure(
        &app,
        &project,
        &alice_token,
        &measurement("personnes-touchees", "120", "2026-03-01"),
    )
    .await;
    let by_gardener = measure(
        &app,
        &project,
        &operator(),
        &measurement("personnes-touchees", "340", "2026-09-01"),
    )
    .await;
    let earlier_day = measure(
        &app,
        &project,
        &alice_token,
        &measurement("personnes-touchees", "200", "2026-06-01"),
    )
    .await;
    let less_waste = measure(
        &app,
        &project,
        &alice_token,
        &measurement("dechets-produits", "75.5", "2026-09-01"),
    )
    .await;
    let by_another = measure(
        &app,
        &project,
        &app.pioneer_token(&bruno),
        &measurement("personnes-touchees", "1", "2026-03-01"),
    )
    .await;
    let unknown = measure(
        &app,
        &project,
        &alice_token,
        &measurement("arbres-plantes", "1", "2026-03-01"),
    )
    .await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let future = measure(
        &app,
        &project,
        &alice_token,
        &measurement("personnes-touchees", "1", &tomorrow),
    )
    .await;
    let too_precise = measure(
        &app,
        &project,
        &alice_token,
        &measurement("personnes-touchees", "1.005", "2026-03-01"),
    )
    .await;
    let no_source = measure(&app, &project, &alice_token, &json!({"indicator": "personnes-touchees", "value": "1", "measured_on": "2026-03-01", "source": ""})).await;
    let no_project = measure(
        &app,
        &uuid::Uuid::now_v7().to_string(),
        &operator(),
        &measurement("personnes-touchees", "1", "2026-03-01"),
    )
    .await;

    for response in [by_proposer, by_gardener, earlier_day, less_waste] {
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    problem(by_another, 403, "self-or-role-required").await;
    problem(unknown, 422, "indicator-in-statutes").await;
    problem(future, 422, "measurement-took-place").await;
    problem(too_precise, 422, "invalid-body").await;
    problem(no_source, 422, "text-blank").await;
    problem(no_project, 404, "project-not-found").await;

    let seen: Value = app
        .get(
            &app.path(&format!("/projects/{project}")),
            &app.pioneer_token(&bruno),
        )
        .await
        .json()
        .await
        .unwrap();
    let indicators = seen["indicators"].as_array().unwrap();
    assert_eq!(indicators.len(), 3, "every indicator of the statutes");
    let reached = &indicators[0];
    assert_eq!(
        (
            &reached["code"],
            &reached["compass"],
            &reached["value"],
            &reached["measured_on"]
        ),
        (
            &json!("personnes-touchees"),
            &json!("societal_impact"),
            &json!("340.00"),
            &json!("2026-09-01")
        ),
        "the latest by the day measured, not by the day recorded"
    );
    assert_eq!(indicators[1]["value"], "75.50");
    assert_eq!(indicators[1]["direction"], "lower_is_better");
    assert_eq!(indicators[2]["value"], Value::Null, "never measured");

    let series: Value = app
        .get(
            &app.path(&format!(
                "/projects/{project}/measurements?indicator=personnes-touchees&limit=2"
            )),
            &app.pioneer_token(&bruno),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(series["total"], 3);
    let values: Vec<&str> = series["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["200.00", "340.00"], "the newest recorded first");
    assert_eq!(series["measurements"][0]["recorded_by"], alice);

    // The ranking shows them beside the scores, which they do not change.
    let scored = app
        .post(
            &app.path(&format!("/projects/{project}/scores")),
            &operator(),
            &json!({"concerned_percent": 50, "estimated_cost": "1000.00", "self_financing_percent": 20}),
        )
        .await;
    assert_eq!(scored.status(), 200);
    let ranking: Value = app
        .get(&app.path("/ranking"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ranking["ranking"][0]["indicators"][0]["value"], "340.00");

    let report: Value = app
        .get(&app.path("/reports/assembly"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let lines = report["impact"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (
            &lines[0]["indicator"],
            &lines[0]["at_end"],
            &lines[0]["measurements_in_period"]
        ),
        (&json!("personnes-touchees"), &json!("340.00"), &json!(3))
    );
    let html = app
        .get(&app.path("/reports/assembly?format=html"), &operator())
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Indicateurs d'impact des projets"));
    assert!(html.contains("impact sociétal"));
}

#[tokio::test]
async fn statutes_name_each_indicator_once_and_well() {
    let app = spawn_app().await;
    app.create_community().await;
    let amend = |indicators: Value| {
        let mut amended = statutes();
        amended["indicators"] = indicators;
        json!({"statutes": amended, "reason": "indicateurs"})
    };
    let indicator = |code: &str| json!({"code": code, "label": "Libellé", "compass": "synergy", "unit": "u", "direction": "higher_is_better"});

    let twice = app
        .send(
            reqwest::Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&amend(json!([indicator("a"), indicator("a")]))),
        )
        .await;
    let badly_named = app
        .send(
            reqwest::Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&amend(json!([indicator("Arbres Plantés")]))),
        )
        .await;
    let unknown_compass = app
        .send(
            reqwest::Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&amend(json!([{"code": "a", "label": "A", "compass": "bonheur", "unit": "u", "direction": "higher_is_better"}]))),
        )
        .await;

    problem(twice, 422, "indicator-unique").await;
    problem(badly_named, 422, "indicator-code").await;
    problem(unknown_compass, 422, "invalid-body").await;
    let community: Value = app
        .get(&app.path(""), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        community["statutes"]["indicators"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}
