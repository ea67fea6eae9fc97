use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app};

async fn project(app: &TestApp, token: &str, title: &str) -> String {
    let response = app
        .post(
            &app.path("/projects"),
            token,
            &json!({"title": title, "summary": "…"}),
        )
        .await;
    response.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_ballot_is_opened_voted_closed_and_its_winner_selected() {
    let app = spawn_app().await;
    app.create_community().await;
    let mut members = Vec::new();
    for name in ["Alice", "Bruno", "Clara"] {
        members.push(app.member_in_good_standing(name, 1).await);
    }
    let garden = project(&app, &app.pioneer_token(&members[0]), "Jardin").await;
    let bikes = project(&app, &app.pioneer_token(&members[1]), "Vélo").await;
    let closes_at = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let opened = app
        .post(
            &app.path("/ballots"),
            &operator(),
            &json!({
                "question": "Quel projet commun ?",
                "options": [
                    {"option_id": "jardin", "label": "Jardin", "project_id": garden},
                    {"option_id": "velo", "label": "Vélo", "project_id": bikes}
                ],
                "method": "ranked",
                "closes_at": closes_at
            }),
        )
        .await;
    assert_eq!(opened.status(), 201);
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();
    let app_ref = &app;
    let vote = |member: &String, ranking: Value| {
        let token = app_ref.pioneer_token(member);
        let path = format!("{ballot}/votes");
        let body = json!({"choice": {"method": "ranked", "ranking": ranking}});
        async move { app_ref.post(&path, &token, &body).await }
    };

    assert_eq!(
        vote(&members[0], json!(["velo", "jardin"])).await.status(),
        200
    );
    assert_eq!(vote(&members[1], json!(["velo"])).await.status(), 200);
    assert_eq!(
        vote(&members[2], json!(["jardin", "velo"])).await.status(),
        200
    );
    // Alice changes her mind: her last vote counts.
    assert_eq!(
        vote(&members[0], json!(["jardin", "velo"])).await.status(),
        200
    );
    let single = app
        .post(
            &format!("{ballot}/votes"),
            &app.pioneer_token(&members[0]),
            &json!({"choice": {"method": "single", "option_id": "jardin"}}),
        )
        .await;
    let during: Value = app
        .get(&ballot, &app.pioneer_token(&members[0]))
        .await
        .json()
        .await
        .unwrap();
    // What another member reads while the ballot is open: no one's choice.
    let bruno = app.pioneer_token(&members[1]);
    let log: Value = app
        .get(&app.path("/log?limit=1000"), &bruno)
        .await
        .json()
        .await
        .unwrap();
    let alices_history: Value = app
        .get(&app.path(&format!("/history/{}", members[0])), &bruno)
        .await
        .json()
        .await
        .unwrap();
    let closed = app
        .post(&format!("{ballot}/close"), &operator(), &json!({}))
        .await;
    let late = vote(&members[1], json!(["jardin"])).await;
    let votes_in = |page: &Value| -> Vec<Value> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["type"] == "VoteCast")
            .map(|event| event["data"].clone())
            .collect()
    };
    for votes in [votes_in(&log), votes_in(&alices_history)] {
        assert!(!votes.is_empty());
        for vote in votes {
            assert!(vote.get("choice").is_none(), "{vote}");
            assert_eq!(vote["sealed_choice"]["algorithm"], "xchacha20poly1305");
            assert!(!vote.to_string().contains("jardin"), "{vote}");
        }
    }

    problem(single, 422, "choice-fits-method").await;
    assert_eq!(during["status"], "open");
    assert_eq!(during["voters"], 3);
    assert_eq!(during["votes_cast"], 4);
    assert_eq!(during["my_vote"]["ranking"], json!(["jardin", "velo"]));
    assert_eq!(closed.status(), 200);
    problem(late, 409, "ballot-closed").await;
    let after: Value = app.get(&ballot, &operator()).await.json().await.unwrap();
    assert_eq!(after["winner"], "jardin");
    // Once closed, the ballot's votes are no longer held in memory: a
    // voter's own vote is read from the log, the counts stay.
    let alice_after: Value = app
        .get(&ballot, &app.pioneer_token(&members[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(alice_after["my_vote"]["ranking"], json!(["jardin", "velo"]));
    assert_eq!(alice_after["voters"], 3);
    assert_eq!(alice_after["votes_cast"], 4);
    let brunos_after: Value = app.get(&ballot, &bruno).await.json().await.unwrap();
    assert_eq!(brunos_after["my_vote"]["ranking"], json!(["velo"]));
    assert!(after["my_vote"].is_null(), "{after}");
    let log_after: Value = app
        .get(&app.path("/log?limit=1000"), &bruno)
        .await
        .json()
        .await
        .unwrap();
    let closing = log_after["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["type"] == "BallotClosed")
        .unwrap();
    assert!(closing["data"]["ballot_key"].is_string(), "{closing}");
    assert_eq!(after["closed_by"], "gardener");
    let garden: Value = app
        .get(&app.path(&format!("/projects/{garden}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(garden["status"], "selected");
}

#[tokio::test]
async fn a_ballot_closing_in_the_past_is_refused() {
    let app = spawn_app().await;
    app.create_community().await;

    let refused = app
        .post(
            &app.path("/ballots"),
            &operator(),
            &json!({
                "question": "?",
                "options": [{"option_id": "a", "label": "A"}, {"option_id": "b", "label": "B"}],
                "method": "single",
                "closes_at": "2020-01-01T00:00:00Z"
            }),
        )
        .await;

    problem(refused, 422, "ballot-close-time-future").await;
}

#[tokio::test]
async fn the_service_closes_a_ballot_once_its_close_time_has_passed() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let opened = app
        .open_yes_no_ballot("Fête de printemps ?", chrono::Duration::milliseconds(1_500))
        .await;
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();
    app.post(
        &format!("{ballot}/votes"),
        &app.pioneer_token(&alice),
        &json!({"choice": {"method": "single", "option_id": "oui"}}),
    )
    .await;

    let mut view = Value::Null;
    for _ in 0..100 {
        view = app.get(&ballot, &operator()).await.json().await.unwrap();
        if view["status"] == "closed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    assert_eq!(
        view["status"], "closed",
        "not closed 10 s after its close time"
    );
    assert_eq!(view["closed_by"], "schedule");
    assert_eq!(view["winner"], "oui");
}

/// A member who left is told so when they vote, not that they lack a role.
#[tokio::test]
async fn a_departed_member_who_votes_is_told_they_are_no_longer_one() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let opened = app
        .open_yes_no_ballot("Un jardin ?", chrono::Duration::days(3))
        .await;
    assert_eq!(opened.status(), 201);
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();
    let ballot = ballot.rsplit('/').next().unwrap().to_owned();
    let left = app
        .post(
            &app.path(&format!("/pioneers/{alice}/leave")),
            &app.pioneer_token(&alice),
            &json!({}),
        )
        .await;
    assert_eq!(left.status(), 200);

    let vote = app
        .post(
            &app.path(&format!("/ballots/{ballot}/votes")),
            &app.pioneer_token(&alice),
            &json!({"choice": {"method": "single", "option_id": "oui"}}),
        )
        .await;

    problem(vote, 409, "pioneer-not-member").await;
}
