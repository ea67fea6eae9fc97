//! Territories: places of pioneers (with their consent), projects and
//! listings, the lists filtered by territory, and the members' map.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app};

async fn show_place(app: &TestApp, pioneer: &str, place: Value) {
    let response = app
        .send(
            Method::PATCH,
            &app.path(&format!("/pioneers/{pioneer}/profile")),
            Some(&app.pioneer_token(pioneer)),
            Some(&json!({"place": place})),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn ids(app: &TestApp, path: &str) -> Vec<String> {
    let response = app.get(&app.path(path), &operator()).await;
    assert_eq!(response.status(), 200, "{path}");
    let items: Value = response.json().await.unwrap();
    let mut ids: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<&str>) -> Vec<String> {
    ids.sort();
    ids.into_iter().map(str::to_owned).collect()
}

/// Checks RFC 7946's rules for a FeatureCollection of points: its members,
/// each feature's geometry a Point whose position is `[longitude,
/// latitude]` within their ranges, or `null`.
fn check_geojson(map: &Value) {
    assert_eq!(map["type"], "FeatureCollection");
    for feature in map["features"].as_array().unwrap() {
        assert_eq!(feature["type"], "Feature");
        assert!(feature["properties"].is_object());
        let geometry = &feature["geometry"];
        if geometry.is_null() {
            continue;
        }
        assert_eq!(geometry["type"], "Point");
        let position = geometry["coordinates"].as_array().unwrap();
        assert_eq!(position.len(), 2);
        let (longitude, latitude) = (position[0].as_f64().unwrap(), position[1].as_f64().unwrap());
        assert!((-180.0..=180.0).contains(&longitude), "{feature}");
        assert!((-90.0..=90.0).contains(&latitude), "{feature}");
    }
}

async fn propose(app: &TestApp, proposer: &str, title: &str, place: Value) -> reqwest::Response {
    app.post(
        &app.path("/projects"),
        &app.pioneer_token(proposer),
        &json!({"title": title, "summary": "…", "place": place}),
    )
    .await
}

async fn publish(app: &TestApp, author: &str, title: &str, place: Value) -> reqwest::Response {
    app.post(
        &app.path("/market/listings"),
        &app.pioneer_token(author),
        &json!({"kind": "offer", "title": title, "description": "…", "tags": ["menuiserie"], "place": place}),
    )
    .await
}

#[tokio::test]
async fn places_are_shown_on_the_map_and_narrow_the_lists() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let chloe = app.member_in_good_standing("Chloé", 1).await;
    // Alice shows her commune and where she is, to about a kilometre;
    // Chloé her commune in the Drôme; Bruno nothing.
    show_place(
        &app,
        &alice,
        json!({"commune": "38185", "latitude": 45.19123, "longitude": 5.72456}),
    )
    .await;
    show_place(
        &app,
        &chloe,
        json!({"commune": "26362", "latitude": 44.93, "longitude": 4.89}),
    )
    .await;

    let in_grenoble = propose(
        &app,
        &alice,
        "Recyclerie",
        json!({"commune": "38185", "latitude": 45.18, "longitude": 5.73}),
    )
    .await;
    let in_ajaccio = propose(&app, &alice, "Jardin", json!({"commune": "2a004"})).await;
    let location = |response: &reqwest::Response| {
        let location = response.headers()["location"].to_str().unwrap();
        location.rsplit('/').next().unwrap().to_owned()
    };
    let (grenoble_project, ajaccio_project) = (location(&in_grenoble), location(&in_ajaccio));
    let listed: Value = publish(
        &app,
        &bruno,
        "Menuiserie",
        json!({"latitude": 45.2, "longitude": 5.7}),
    )
    .await
    .json()
    .await
    .unwrap();
    let listing = listed["events"][0]["data"]["listing_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let withdrawn: Value = publish(
        &app,
        &bruno,
        "Plomberie",
        json!({"latitude": 45.2, "longitude": 5.7}),
    )
    .await
    .json()
    .await
    .unwrap();
    let withdrawn = withdrawn["events"][0]["data"]["listing_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .post(
            &app.path(&format!("/market/listings/{withdrawn}/withdraw")),
            &app.pioneer_token(&bruno),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);

    // The map, as a member reads it.
    let response = app
        .get(&app.path("/map.geojson"), &app.pioneer_token(&bruno))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let map: Value = response.json().await.unwrap();
    check_geojson(&map);
    let features = map["features"].as_array().unwrap();
    let find = |id: &str| features.iter().find(|feature| feature["id"] == id);
    let alice_feature = find(&alice).expect("Alice shows where she is");
    assert_eq!(
        alice_feature["geometry"]["coordinates"],
        json!([5.72, 45.19]),
        "rounded, longitude first"
    );
    assert_eq!(alice_feature["properties"]["name"], "Alice");
    assert_eq!(alice_feature["properties"]["category"], "pionnier");
    assert_eq!(alice_feature["properties"]["commune"], "38185");
    let shown: Vec<&str> = alice_feature["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        sorted(shown),
        sorted(vec![
            "category",
            "commune",
            "description",
            "kind",
            "name",
            "tags"
        ])
    );
    assert!(find(&bruno).is_none(), "Bruno showed nothing");
    assert!(find(&chloe).is_some());
    assert!(find(&grenoble_project).is_some());
    let ajaccio = find(&ajaccio_project).unwrap();
    assert!(ajaccio["geometry"].is_null(), "only a commune: no geometry");
    assert_eq!(ajaccio["properties"]["commune"], "2A004");
    assert_eq!(find(&listing).unwrap()["properties"]["category"], "offre");
    assert!(
        find(&withdrawn).is_none(),
        "a withdrawn listing is off the map"
    );

    // Lists narrowed by territory.
    assert_eq!(
        ids(&app, "/pioneers?commune=38185").await,
        sorted(vec![&alice])
    );
    assert_eq!(
        ids(&app, "/pioneers?department=26").await,
        sorted(vec![&chloe])
    );
    assert_eq!(
        ids(&app, "/pioneers?near=45.2,5.7&within_km=5").await,
        sorted(vec![&alice])
    );
    assert_eq!(
        ids(&app, "/pioneers?near=45.2,5.7&within_km=200").await,
        sorted(vec![&alice, &chloe])
    );
    assert_eq!(
        ids(&app, "/projects?department=2A").await,
        sorted(vec![&ajaccio_project])
    );
    assert_eq!(
        ids(&app, "/projects?near=45.2,5.7").await,
        sorted(vec![&grenoble_project])
    );
    assert_eq!(
        ids(&app, "/market/listings?near=45.2,5.7&within_km=1").await,
        sorted(vec![&listing])
    );
    assert!(ids(&app, "/market/listings?department=26").await.is_empty());

    // Alice takes her place back: off the map, out of the lists.
    show_place(&app, &alice, Value::Null).await;
    let map: Value = app
        .get(&app.path("/map.geojson"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !map["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == alice.as_str())
    );
    assert!(ids(&app, "/pioneers?commune=38185").await.is_empty());
}

#[tokio::test]
async fn places_and_territories_are_checked() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;

    problem(
        propose(&app, &alice, "Projet", json!({"commune": "20004"})).await,
        422,
        "commune-code",
    )
    .await;
    problem(
        propose(&app, &alice, "Projet", json!({"commune": "38000"})).await,
        422,
        "commune-code",
    )
    .await;
    problem(
        propose(
            &app,
            &alice,
            "Projet",
            json!({"latitude": 91, "longitude": 0}),
        )
        .await,
        422,
        "coordinates-range",
    )
    .await;
    problem(
        propose(&app, &alice, "Projet", json!({"latitude": 45})).await,
        422,
        "place-empty",
    )
    .await;
    problem(
        propose(&app, &alice, "Projet", json!({})).await,
        422,
        "place-empty",
    )
    .await;
    let profile = app
        .send(
            Method::PATCH,
            &app.path(&format!("/pioneers/{alice}/profile")),
            Some(&app.pioneer_token(&alice)),
            Some(&json!({"place": {"latitude": 0, "longitude": 200}})),
        )
        .await;
    problem(profile, 422, "coordinates-range").await;
    for query in [
        "commune=75",
        "department=20",
        "near=quelque-part",
        "near=45.2",
        "near=95,5",
        "near=45.2,5.7&within_km=5000",
    ] {
        let response = app
            .get(&app.path(&format!("/pioneers?{query}")), &operator())
            .await;
        assert_eq!(response.status(), 400, "{query}");
    }
    let both = app
        .get(
            &app.path("/pioneers?near=45.2,5.7&commune=38185"),
            &operator(),
        )
        .await;
    problem(both, 422, "territory-one").await;
    let how_far_from_what = app
        .get(&app.path("/pioneers?within_km=5"), &operator())
        .await;
    problem(how_far_from_what, 422, "within-km-with-near").await;
}
