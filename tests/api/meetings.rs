//! Meetings and social events: recorded by the gardener, listed for
//! members, and counted in the assembly report against the statutes' "at
//! least one social event a year".

use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

#[tokio::test]
async fn meetings_are_recorded_listed_and_reported_year_by_year() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let project = app.propose_project(&alice, "Jardin partagé").await;
    let record = |body: Value| {
        let app = &app;
        async move { app.post(&app.path("/meetings"), &operator(), &body).await }
    };
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();

    let working = json!({"kind": "working", "held_on": today.to_string(), "purpose": "Chantier du jardin",
        "project_id": project, "attendees": [alice, bruno]});
    problem(record(working.clone()).await, 409, "project-not-selected").await;
    app.post(
        &app.path(&format!("/projects/{project}/status")),
        &operator(),
        &json!({"status": "selected"}),
    )
    .await;
    assert_eq!(record(working).await.status(), 200);
    let future = json!({"kind": "social", "held_on": tomorrow.to_string(), "purpose": "Fête", "attendees": []});
    problem(record(future).await, 422, "meeting-took-place").await;
    let twice = json!({"kind": "social", "held_on": today.to_string(), "purpose": "Fête", "attendees": [alice, alice]});
    problem(record(twice).await, 422, "attendee-unique").await;
    let by_pioneer = app
        .post(
            &app.path("/meetings"),
            &app.pioneer_token(&alice),
            &json!({"kind": "social", "held_on": today.to_string(), "purpose": "Fête"}),
        )
        .await;
    problem(by_pioneer, 403, "role-required").await;
    let social = json!({"kind": "social", "held_on": today.to_string(), "purpose": "Fête de la Saint-Jean", "attendees": [bruno]});
    assert_eq!(record(social).await.status(), 200);

    let listed: Value = app
        .get(&app.path("/meetings"), &app.pioneer_token(&bruno))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["meetings"][0]["purpose"], "Fête de la Saint-Jean");
    assert_eq!(listed["meetings"][1]["project_id"], project.as_str());
    assert_eq!(
        listed["meetings"][1]["attendees"].as_array().unwrap().len(),
        2
    );
    let one: Value = app
        .get(&app.path("/meetings?limit=1"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["meetings"].as_array().unwrap().len(), 1);

    let report: Value = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01"),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let meetings = &report["meetings"];
    assert_eq!(
        (&meetings["working_meetings"], &meetings["social_events"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(meetings["meetings"][0]["project"], "Jardin partagé");
    assert_eq!(
        meetings["social_by_year"],
        json!([{"year": chrono::Datelike::year(&today), "social_events": 1, "met": true}]),
        "only the years the community lived through"
    );
    let html = app
        .get(
            &app.path("/reports/assembly?from=2000-01-01&to=2100-01-01&format=html"),
            &operator(),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Réunions et événements de convivialité"));
    assert!(html.contains("data-met=\"true\""));
}

#[tokio::test]
async fn a_year_without_a_social_event_is_flagged() {
    let app = spawn_app().await;
    app.create_community().await;
    let report: Value = app
        .get(&app.path("/reports/assembly"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let years = report["meetings"]["social_by_year"].as_array().unwrap();
    assert_eq!(years.len(), 1);
    assert_eq!(years[0]["met"], false);
    let csv = app
        .get(&app.path("/reports/assembly?format=csv"), &operator())
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("meetings,social_event_in_year,"), "{csv}");
    assert!(csv.contains(",not met,0"), "{csv}");
}

/// Meetings page newest first: `offset` leaves out the newest already
/// seen, and the pages together hold every meeting once.
#[tokio::test]
async fn meetings_page_on_with_an_offset() {
    let app = spawn_app().await;
    app.create_community().await;
    let today = chrono::Utc::now().date_naive().to_string();
    for n in 0..5 {
        let body = json!({"kind": "social", "held_on": today, "purpose": format!("Fête {n}"), "attendees": []});
        let recorded = app.post(&app.path("/meetings"), &operator(), &body).await;
        assert_eq!(recorded.status(), 200);
    }

    let mut seen = Vec::new();
    for offset in [0, 2, 4, 6] {
        let page: Value = app
            .get(
                &app.path(&format!("/meetings?limit=2&offset={offset}")),
                &operator(),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 5);
        seen.extend(
            page["meetings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|meeting| meeting["purpose"].as_str().unwrap().to_owned()),
        );
    }

    let expected: Vec<String> = (0..5).rev().map(|n| format!("Fête {n}")).collect();
    assert_eq!(seen, expected);
}
