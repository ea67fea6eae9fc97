//! General assemblies from convocation to minutes, and the decisions that
//! cite their sessions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app, statutes};

/// Statutes with no notice, so that a test holds its assembly at once.
async fn without_notice(app: &TestApp) {
    let mut amended = statutes();
    amended["assembly_notice_days"] = json!(0);
    amended["assembly_quorum_percent"] = json!(50);
    amended["proxies_per_member_max"] = json!(1);
    let response = app
        .send(
            Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&json!({"statutes": amended, "reason": "AG constitutive"})),
        )
        .await;
    assert_eq!(response.status(), 200);
}

async fn convene(app: &TestApp, second_of: Option<&str>) -> String {
    let held_at = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let mut body = json!({"kind": "ordinary", "held_at": held_at.to_rfc3339(),
        "place": "Salle des fêtes, Chambéry", "agenda": ["Rapport moral", "Affectation des fonds"]});
    if let Some(first) = second_of {
        body["second_convocation_of"] = json!(first);
    }
    let convened = app.post(&app.path("/assemblies"), &operator(), &body).await;
    assert_eq!(convened.status(), 201, "{}", convened.text().await.unwrap());
    let location = convened.headers()["location"].to_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    location.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_assembly_without_quorum_is_convened_again_and_its_session_decides() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let clara = app.member_in_good_standing("Clara", 1).await;
    let denis = app.member_in_good_standing("Denis", 1).await;
    let early = app
        .post(
            &app.path("/assemblies"),
            &operator(),
            &json!({"kind": "ordinary", "held_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
                "place": "Salle", "agenda": ["Rapport moral"]}),
        )
        .await;
    let early = problem(early, 422, "assembly-notice").await;
    assert!(
        early["detail"].as_str().unwrap().contains("15 days"),
        "{early}"
    );
    without_notice(&app).await;

    // Four members, half needed: Alice alone, holding Bruno's proxy, is
    // two; Clara's proxy too would be more than the statutes' one each.
    let first = convene(&app, None).await;
    let sheet = |present: Vec<&String>, represented: Value| json!({"present": present, "represented": represented});
    let attendance = format!("/assemblies/{first}/attendance");
    let too_many = app
        .post(
            &app.path(&attendance),
            &operator(),
            &sheet(
                vec![&alice],
                json!([{"member": bruno, "proxy": alice}, {"member": clara, "proxy": alice}]),
            ),
        )
        .await;
    problem(too_many, 422, "proxies-per-member").await;
    let absent_proxy = app
        .post(
            &app.path(&attendance),
            &operator(),
            &sheet(vec![&alice], json!([{"member": bruno, "proxy": denis}])),
        )
        .await;
    problem(absent_proxy, 422, "proxy-present").await;
    let recorded = app
        .post(
            &app.path(&attendance),
            &operator(),
            &sheet(vec![], json!([])),
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let assembly: Value = app
        .get(
            &app.path(&format!("/assemblies/{first}")),
            &app.pioneer_token(&clara),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(assembly["attendance"]["quorum_met"], false);
    assert_eq!(assembly["attendance"]["quorum_required"], 2);
    assert_eq!(assembly["attendance"]["absent"], 4);
    let ballot = |assembly: &str| {
        json!({"question": "Le rapport moral est-il approuvé ?", "method": "single", "kind": "assembly",
            "options": [{"option_id": "oui", "label": "Oui"}, {"option_id": "non", "label": "Non"}],
            "closes_at": (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339(),
            "assembly_id": assembly})
    };
    let no_session = app
        .post(&app.path("/ballots"), &operator(), &ballot(&first))
        .await;
    problem(no_session, 409, "assembly-quorum").await;

    // The second convocation decides with whoever comes.
    let second = convene(&app, Some(&first)).await;
    let recorded = app
        .post(
            &app.path(&format!("/assemblies/{second}/attendance")),
            &operator(),
            &sheet(vec![&alice], json!([{"member": bruno, "proxy": alice}])),
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let opened = app
        .post(&app.path("/ballots"), &operator(), &ballot(&second))
        .await;
    assert_eq!(opened.status(), 201, "{}", opened.text().await.unwrap());
    let opened: Value = opened.json().await.unwrap();
    let electorate: Vec<&str> = opened["events"][0]["data"]["electorate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|elector| elector["pioneer_id"].as_str().unwrap())
        .collect();
    assert_eq!(electorate.len(), 2, "those who attended: {electorate:?}");
    assert!(electorate.contains(&alice.as_str()) && electorate.contains(&bruno.as_str()));

    // Decisions cite the session now, not words.
    let amend = |decision: Value| {
        let app = &app;
        async move {
            let mut body = json!({"statutes": statutes(), "reason": "Révision"});
            if !decision.is_null() {
                body["decision"] = decision;
            }
            app.send(
                Method::PUT,
                &app.path("/statutes"),
                Some(&operator()),
                Some(&body),
            )
            .await
        }
    };
    problem(amend(Value::Null).await, 422, "decision-in-the-ledger").await;
    problem(
        amend(json!({"kind": "session", "assembly_id": first})).await,
        409,
        "assembly-quorum",
    )
    .await;
    assert_eq!(
        amend(json!({"kind": "session", "assembly_id": second}))
            .await
            .status(),
        200
    );

    let project = app.propose_project(&alice, "Jardin").await;
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
    let allocate = |decision: Value| {
        let app = &app;
        let path = app.path(&format!("/projects/{project}/allocations"));
        async move {
            app.post(
                &path,
                &operator(),
                &json!({"amount": "100.00", "decision": decision}),
            )
            .await
        }
    };
    problem(
        allocate(json!({"kind": "assembly", "reference": "AG du 14 mars"})).await,
        422,
        "decision-in-the-ledger",
    )
    .await;
    assert_eq!(
        allocate(json!({"kind": "session", "assembly_id": second}))
            .await
            .status(),
        200
    );

    let minutes = format!("/assemblies/{second}/minutes");
    let sha = "c0ffee".repeat(10) + "c0ff";
    let recorded = app
        .post(
            &app.path(&minutes),
            &operator(),
            &json!({"sha256": sha, "reference": "PV signé"}),
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let again = app
        .post(
            &app.path(&minutes),
            &operator(),
            &json!({"sha256": sha, "reference": "PV signé"}),
        )
        .await;
    problem(again, 409, "minutes-recorded").await;

    let listed: Value = app
        .get(&app.path("/assemblies"), &app.pioneer_token(&denis))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let held = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|assembly| assembly["id"] == second.as_str())
        .unwrap();
    assert_eq!(held["minutes"]["sha256"], sha.as_str());
    assert_eq!(held["second_convocation_of"], first.as_str());
    assert_eq!(held["ballots"].as_array().unwrap().len(), 1);

    let duties: Value = app
        .get(&app.path("/duties?behind=false"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let of = |id: &str| {
        duties
            .as_array()
            .unwrap()
            .iter()
            .find(|member| member["pioneer_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            &of(&bruno)["assemblies_attended"],
            &of(&bruno)["assemblies_held"]
        ),
        (&json!(1), &json!(2))
    );
    assert_eq!(of(&denis)["assemblies_attended"], 0);
    assert!(
        of(&denis)["assembly_behind_since"].is_string(),
        "absent from the last"
    );
    assert_eq!(
        of(&bruno)["assembly_behind_since"],
        Value::Null,
        "represented at it"
    );

    let report: Value = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01"),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let assemblies = report["assemblies"].as_array().unwrap();
    assert_eq!(assemblies.len(), 2);
    assert_eq!(assemblies[1]["quorum_met"], true);
    assert_eq!(assemblies[1]["minutes_sha256"], sha.as_str());
}

#[tokio::test]
async fn the_representative_is_elected_in_session_for_a_term() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let newcomer = app.admit("Nouvelle").await;
    without_notice(&app).await;
    let stand = |who: &str| {
        let app = &app;
        let token = app.pioneer_token(who);
        async move {
            app.post(
                &app.path("/representative/candidacies"),
                &token,
                &json!({"statement": "Je porterai la voix des pionniers"}),
            )
            .await
        }
    };
    problem(stand(&newcomer).await, 409, "good-standing-required").await;
    assert_eq!(stand(&alice).await.status(), 200);
    problem(stand(&alice).await, 409, "candidacy-exists").await;
    assert_eq!(stand(&bruno).await.status(), 200);

    let assembly = convene(&app, None).await;
    let election = json!({"assembly_id": assembly, "method": "single", "term_months": 24,
        "closes_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()});
    let early = app
        .post(
            &app.path("/representative/election"),
            &operator(),
            &election,
        )
        .await;
    problem(early, 409, "assembly-quorum").await;
    let sheet =
        json!({"present": [alice, bruno], "represented": [{"member": newcomer, "proxy": alice}]});
    let recorded = app
        .post(
            &app.path(&format!("/assemblies/{assembly}/attendance")),
            &operator(),
            &sheet,
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let opened = app
        .post(
            &app.path("/representative/election"),
            &operator(),
            &election,
        )
        .await;
    assert_eq!(opened.status(), 200, "{}", opened.text().await.unwrap());
    let opened: Value = opened.json().await.unwrap();
    let ballot = opened["events"][0]["data"]["ballot_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let options: Vec<&str> = opened["events"][0]["data"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|option| option["label"].as_str().unwrap())
        .collect();
    assert_eq!(options.len(), 2);
    assert!(
        options.contains(&"Alice") && options.contains(&"Bruno"),
        "{options:?}"
    );
    problem(stand(&bruno).await, 409, "election-under-way").await;

    for voter in [&alice, &bruno] {
        vote_for(&app, &ballot, voter, &alice).await;
    }
    let closed = app
        .post(
            &app.path(&format!("/ballots/{ballot}/close")),
            &operator(),
            &json!({}),
        )
        .await;
    assert_eq!(closed.status(), 200);
    let closed: Value = closed.json().await.unwrap();
    let types: Vec<&str> = closed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["BallotClosed", "MandateGranted"]);

    let representative: Value = app
        .get(&app.path("/representative"), &app.pioneer_token(&bruno))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(representative["mandate"]["pioneer_id"], alice.as_str());
    assert_eq!(representative["mandate"]["display_name"], "Alice");
    assert_eq!(representative["mandate"]["in_force"], true);
    let from: chrono::DateTime<chrono::Utc> = representative["mandate"]["from"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let until: chrono::DateTime<chrono::Utc> = representative["mandate"]["until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((until - from).num_days() >= 730 && (until - from).num_days() <= 731);
    assert_eq!(
        representative["candidates"],
        json!([]),
        "the next election starts afresh"
    );
    assert_eq!(representative["election"], Value::Null);

    let report: Value = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01"),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["representative"]["pioneer_id"], alice.as_str());
}

/// `voter` votes for `option` (single choice) in `ballot`.
async fn vote_for(app: &TestApp, ballot: &str, voter: &str, option: &str) {
    let vote = app
        .post(
            &app.path(&format!("/ballots/{ballot}/votes")),
            &app.pioneer_token(voter),
            &json!({"choice": {"method": "single", "option_id": option}}),
        )
        .await;
    assert_eq!(vote.status(), 200, "{}", vote.text().await.unwrap());
}

/// A candidate who leaves while the election is open is left out of the
/// count: the votes for them count for nobody, and the mandate goes to
/// whom the others chose.
#[tokio::test]
async fn a_candidate_who_leaves_mid_election_is_left_out_of_the_count() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let clara = app.member_in_good_standing("Clara", 1).await;
    without_notice(&app).await;
    for candidate in [&alice, &bruno] {
        let stood = app
            .post(
                &app.path("/representative/candidacies"),
                &app.pioneer_token(candidate),
                &json!({"statement": "Je me présente"}),
            )
            .await;
        assert_eq!(stood.status(), 200);
    }
    let assembly = convene(&app, None).await;
    let sheet = json!({"present": [alice, bruno, clara], "represented": []});
    let recorded = app
        .post(
            &app.path(&format!("/assemblies/{assembly}/attendance")),
            &operator(),
            &sheet,
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let election = json!({"assembly_id": assembly, "method": "single", "term_months": 12,
        "closes_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()});
    let opened: Value = app
        .post(
            &app.path("/representative/election"),
            &operator(),
            &election,
        )
        .await
        .json()
        .await
        .unwrap();
    let ballot = opened["events"][0]["data"]["ballot_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Bruno has two votes, Alice one: Bruno would win.
    for (voter, choice) in [(&alice, &alice), (&bruno, &bruno), (&clara, &bruno)] {
        vote_for(&app, &ballot, voter, choice).await;
    }
    let left = app
        .post(
            &app.path(&format!("/pioneers/{bruno}/leave")),
            &app.pioneer_token(&bruno),
            &json!({}),
        )
        .await;
    assert_eq!(left.status(), 200, "{}", left.text().await.unwrap());
    let closed: Value = app
        .post(
            &app.path(&format!("/ballots/{ballot}/close")),
            &operator(),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = closed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["BallotClosed", "MandateGranted"]);
    let data = &closed["events"][0]["data"];
    assert_eq!(data["withdrawn"], json!([bruno]));
    assert_eq!(data["winner"], alice.as_str());
    assert_eq!(data["votes_counted"], 3);
    assert_eq!(closed["events"][1]["data"]["pioneer_id"], alice.as_str());

    let shown: Value = app
        .get(
            &app.path(&format!("/ballots/{ballot}")),
            &app.pioneer_token(&clara),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["withdrawn"], json!([bruno]));
    assert_eq!(shown["winner"], alice.as_str());
    let counted: Vec<&str> = shown["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["option_id"].as_str().unwrap())
        .collect();
    assert_eq!(counted, [alice.as_str()], "Bruno's votes count for nobody");
    // The ballot's page says who was not counted, and why.
    let browser = crate::web::Browser::sign_in(&app, &app.pioneer_token(&clara)).await;
    let (status, page) = browser
        .get(&format!(
            "/c/{}/scrutins/{ballot}",
            crate::helpers::COMMUNITY
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Non décompté(s), parti(s) de la communauté avant la clôture")
            && page.contains("Bruno"),
        "{page}"
    );
    let representative: Value = app
        .get(&app.path("/representative"), &app.pioneer_token(&clara))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(representative["mandate"]["pioneer_id"], alice.as_str());
}
