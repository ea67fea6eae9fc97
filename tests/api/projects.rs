use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app};

async fn propose(app: &TestApp, token: &str, title: &str) -> String {
    let response = app
        .post(
            &app.path("/projects"),
            token,
            &json!({"title": title, "summary": "Pour le quartier"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn score(app: &TestApp, project: &str, concerned: u8, cost: &str, self_financing: u8) {
    let response = app
        .post(
            &app.path(&format!("/projects/{project}/scores")),
            &operator(),
            &json!({"concerned_percent": concerned, "estimated_cost": cost, "self_financing_percent": self_financing}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn the_ranking_follows_the_documented_formula_with_each_contribution() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let token = app.pioneer_token(&alice);
    let garden = propose(&app, &token, "Jardin").await;
    let bikes = propose(&app, &token, "Atelier vélo").await;
    let unscored = propose(&app, &token, "Fournil").await;
    score(&app, &garden, 80, "1000.00", 50).await;
    score(&app, &bikes, 40, "500.00", 100).await;

    let ranking: Value = app
        .get(&app.path("/ranking"), &token)
        .await
        .json()
        .await
        .unwrap();

    // Weights 40/30/30, the default cost reference of 10 000 €.
    // Garden: 40×0.8 + 30×10000/11000 + 30×0.5 = 32 + 27.2727 + 15 = 74.2727.
    // Bikes: 40×0.4 + 30×10000/10500 + 30×1 = 16 + 28.5714 + 30 = 74.5714.
    let ranked = ranking["ranking"].as_array().unwrap();
    assert_eq!(
        ranked.len(),
        2,
        "the unscored project {unscored} is not ranked"
    );
    assert_eq!(ranked[0]["project_id"], bikes);
    assert_eq!(ranked[0]["score"], "74.5714");
    assert_eq!(ranked[1]["project_id"], garden);
    assert_eq!(
        ranked[1]["contributions"],
        json!({"concerned": "32.0000", "cost": "27.2727", "self_financing": "15.0000"})
    );
    assert_eq!(ranked[1]["score"], "74.2727");

    // An unrelated project, cheap or free, moves nobody else's score.
    let cheap = propose(&app, &token, "Boîte à livres").await;
    let free = propose(&app, &token, "Troc de graines").await;
    score(&app, &cheap, 10, "10.00", 0).await;
    score(&app, &free, 10, "0.00", 0).await;
    let after: Value = app
        .get(&app.path("/ranking"), &token)
        .await
        .json()
        .await
        .unwrap();
    let score_of = |ranking: &Value, project: &str| {
        ranking["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .find(|ranked| ranked["project_id"] == project)
            .map(|ranked| ranked["score"].clone())
    };
    for project in [&garden, &bikes] {
        assert_eq!(score_of(&after, project), score_of(&ranking, project));
    }
    assert_eq!(score_of(&after, &free).unwrap(), "34.0000");
}

#[tokio::test]
async fn ties_go_to_the_earlier_proposal_and_the_past_ranking_is_kept() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let token = app.pioneer_token(&alice);
    let first = propose(&app, &token, "Premier").await;
    let second = propose(&app, &token, "Second").await;
    score(&app, &second, 50, "100.00", 50).await;
    score(&app, &first, 50, "100.00", 50).await;
    let tied: Value = app
        .get(&app.path("/ranking"), &token)
        .await
        .json()
        .await
        .unwrap();
    let before_rescore = chrono::Utc::now().to_rfc3339();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    score(&app, &second, 90, "100.00", 50).await;
    let now: Value = app
        .get(&app.path("/ranking"), &token)
        .await
        .json()
        .await
        .unwrap();
    let then: Value = app
        .get(
            &app.path(&format!(
                "/ranking?as_of={}",
                before_rescore.replace('+', "%2B")
            )),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let bad = app.get(&app.path("/ranking?as_of=yesterday"), &token).await;

    assert_eq!(tied["ranking"][0]["project_id"], first);
    assert_eq!(now["ranking"][0]["project_id"], second);
    assert_eq!(then["ranking"], tied["ranking"]);
    problem(bad, 400, "invalid-parameter").await;
    let project: Value = app
        .get(&app.path(&format!("/projects/{second}")), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(project["score_history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_members_in_good_standing_propose_and_status_follows_its_rules() {
    let app = spawn_app().await;
    app.create_community().await;
    let newcomer = app.admit("Nouveau").await;
    let alice = app.member_in_good_standing("Alice", 1).await;

    let refused = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&newcomer),
            &json!({"title": "x", "summary": "y"}),
        )
        .await;
    let project = propose(&app, &app.pioneer_token(&alice), "Jardin").await;
    let app_ref = &app;
    let status = |to: &str| {
        let path = app_ref.path(&format!("/projects/{project}/status"));
        let body = json!({"status": to});
        async move { app_ref.post(&path, &operator(), &body).await }
    };
    let skipped = status("done").await;
    let selected = status("selected").await;

    problem(refused, 409, "good-standing-required").await;
    problem(skipped, 409, "project-status-transition").await;
    assert_eq!(selected.status(), 200);
    let projects: Vec<Value> = app
        .get(&app.path("/projects?status=selected"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(projects.len(), 1);
}
