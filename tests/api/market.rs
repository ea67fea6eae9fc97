use serde_json::{Value, json};

use crate::helpers::{TestApp, operator, problem, spawn_app};

async fn community_with(app: &TestApp, names: &[&str]) -> Vec<String> {
    app.create_community().await;
    let mut ids = Vec::new();
    for name in names {
        ids.push(app.member_in_good_standing(name, 1).await);
    }
    ids
}

fn account(id: &str) -> String {
    format!("pioneer:{id}")
}

/// A pioneer's account, as the operator reads it.
async fn account_view(app: &TestApp, id: &str) -> Value {
    app.get(
        &app.path(&format!("/accounts/{}", account(id))),
        &operator(),
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn an_exchange_moves_credits_only_once_the_receiver_confirms() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();

    let recorded = app
        .post(
            &app.path("/exchanges"),
            &app.pioneer_token(&alice),
            &json!({"receiver": account(&bruno), "hours": "2.50", "description": "Taille de haies"}),
        )
        .await;
    let body: Value = recorded.json().await.unwrap();
    let exchange = body["events"][0]["data"]["exchange_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before: Value = account_view(&app, &alice).await;
    let stranger = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/confirm")),
            &app.pioneer_token(&alice),
            &json!({}),
        )
        .await;
    let confirmed = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/confirm")),
            &app.pioneer_token(&bruno),
            &json!({}),
        )
        .await;

    assert_eq!(before["balance"], "0.00");
    problem(stranger, 403, "exchange-receiver-only").await;
    assert_eq!(confirmed.status(), 200);
    let accounts: Value = app
        .get(&app.path("/accounts"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accounts["totals"]["sum_of_balances"], "0.00");
    assert_eq!(accounts["totals"]["volume"], "2.50");
    assert_eq!(accounts["totals"]["completed_exchanges"], 1);
    let statement: Value = app
        .get(
            &app.path(&format!("/accounts/{}/statement", account(&bruno))),
            &app.pioneer_token(&bruno),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(statement["balance"], "-2.50");
    assert_eq!(statement["lines"][0]["hours"], "-2.50");
    assert_eq!(statement["lines"][0]["kind"], "exchange");
    assert_eq!(statement["lines"][0]["counterparty"], account(&alice));
}

#[tokio::test]
async fn the_gardener_reverses_a_completed_exchange_with_a_reason() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let body: Value = app
        .post(
            &app.path("/exchanges"),
            &app.pioneer_token(&alice),
            &json!({"receiver": account(&bruno), "hours": "3", "description": "Cours de couture"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let exchange = body["events"][0]["data"]["exchange_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &app.path(&format!("/exchanges/{exchange}/confirm")),
        &app.pioneer_token(&bruno),
        &json!({}),
    )
    .await;

    let by_pioneer = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/reverse")),
            &app.pioneer_token(&alice),
            &json!({"reason": "x"}),
        )
        .await;
    let reversed = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/reverse")),
            &operator(),
            &json!({"reason": "saisie en double"}),
        )
        .await;
    let cancel_after = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/cancel")),
            &operator(),
            &json!({}),
        )
        .await;

    assert_eq!(by_pioneer.status(), 403);
    assert_eq!(reversed.status(), 200);
    let body: Value = reversed.json().await.unwrap();
    assert_eq!(body["events"][0]["type"], "ExchangeReversed");
    assert!(body["events"][0]["data"]["corrects"].is_string());
    problem(cancel_after, 409, "exchange-not-pending").await;
    // Over, the exchange is read from the log: a second reversal, or a
    // confirmation, is refused for what it is.
    let reversed_again = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/reverse")),
            &operator(),
            &json!({"reason": "encore"}),
        )
        .await;
    let confirmed_again = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/confirm")),
            &app.pioneer_token(&bruno),
            &json!({}),
        )
        .await;
    problem(reversed_again, 409, "exchange-not-completed").await;
    problem(confirmed_again, 409, "exchange-not-pending").await;
    let accounts: Value = app
        .get(&app.path("/accounts"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        accounts["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["balance"] == "0.00")
    );
    assert_eq!(accounts["totals"]["reversals"], 1);
}

/// A transfer written as an array of its members, in the order the
/// request declares them, is not a transfer: nothing moves.
#[tokio::test]
async fn a_transfer_written_as_an_array_is_refused() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let body = json!([null, account(&bruno), "0.50", "in order"]);

    let response = app
        .post(&app.path("/transfers"), &app.pioneer_token(&alice), &body)
        .await;

    problem(response, 422, "invalid-body").await;
    let statement: Value = account_view(&app, &alice).await;
    assert_eq!(statement["balance"], "0.00", "{statement}");
}

#[tokio::test]
async fn transfers_respect_the_floor_and_the_ceiling_and_name_the_figures() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let app_ref = &app;
    let transfer = |hours: &str| {
        let path = app_ref.path("/transfers");
        let token = app_ref.pioneer_token(&alice);
        let body = json!({"payee": account(&bruno), "hours": hours, "memo": "merci"});
        async move { app_ref.post(&path, &token, &body).await }
    };

    let ok = transfer("19.99").await;
    let refused = transfer("0.02").await;
    let three_decimals = transfer("0.001").await;
    let to_self = app
        .post(
            &app.path("/transfers"),
            &app.pioneer_token(&alice),
            &json!({"payee": account(&alice), "hours": "1"}),
        )
        .await;

    assert_eq!(ok.status(), 200);
    let body = problem(refused, 409, "credit-floor").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("-20.01") && detail.contains("-20.00"),
        "{detail}"
    );
    problem(three_decimals, 422, "invalid-body").await;
    problem(to_self, 422, "no-self-transfer").await;
}

#[tokio::test]
async fn listings_are_published_filtered_by_tag_and_withdrawn_by_their_author() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let app_ref = &app;
    let publish = |token: String, title: &str, tags: Value, kind: &str| {
        let body = json!({"kind": kind, "title": title, "description": "…", "tags": tags});
        let path = app_ref.path("/market/listings");
        async move { app_ref.post(&path, &token, &body).await }
    };
    let offer: Value = publish(
        app.pioneer_token(&alice),
        "Menuiserie",
        json!(["Bois", "réparation"]),
        "offer",
    )
    .await
    .json()
    .await
    .unwrap();
    publish(
        app.pioneer_token(&bruno),
        "Besoin d'un graphiste",
        json!(["graphisme"]),
        "request",
    )
    .await;
    let listing = offer["events"][0]["data"]["listing_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let by_tag: Vec<Value> = app
        .get(&app.path("/market/listings?tag=bois"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let requests: Vec<Value> = app
        .get(&app.path("/market/listings?kind=request"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let not_author = app
        .post(
            &app.path(&format!("/market/listings/{listing}/withdraw")),
            &app.pioneer_token(&bruno),
            &json!({}),
        )
        .await;
    let withdrawn = app
        .post(
            &app.path(&format!("/market/listings/{listing}/withdraw")),
            &app.pioneer_token(&alice),
            &json!({}),
        )
        .await;
    let remaining: Vec<Value> = app
        .get(&app.path("/market/listings"), &operator())
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(by_tag.len(), 1);
    assert_eq!(by_tag[0]["tags"], json!(["bois", "réparation"]));
    assert_eq!(requests.len(), 1);
    problem(not_author, 403, "listing-author-only").await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(remaining.len(), 1);
}

/// A listing that is over (withdrawn, taken down) is no longer held in
/// memory: the rules about it and the lists that show it read it from the
/// log, with everything that happened to it.
#[tokio::test]
async fn listings_that_are_over_keep_their_rules_and_their_place_in_lists() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let publish = |token: String, title: &'static str, tag: &'static str| {
        let app = &app;
        async move {
            let body = json!({"kind": "offer", "title": title, "description": "…", "tags": [tag]});
            let answer: Value = app
                .post(&app.path("/market/listings"), &token, &body)
                .await
                .json()
                .await
                .unwrap();
            answer["events"][0]["data"]["listing_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let withdrawn = publish(app.pioneer_token(&alice), "Menuiserie", "bois").await;
    let taken_down = publish(app.pioneer_token(&bruno), "Vente de montres", "montres").await;
    let open = publish(app.pioneer_token(&bruno), "Couture", "couture").await;
    let post = |path: String, token: String, body: Value| {
        let app = &app;
        async move { app.post(&app.path(&path), &token, &body).await }
    };
    let listing = |id: &str, action: &str| format!("/market/listings/{id}/{action}");
    let reason = json!({"reason": "Annonce commerciale"});
    post(
        listing(&withdrawn, "withdraw"),
        app.pioneer_token(&alice),
        json!({}),
    )
    .await;
    post(
        listing(&taken_down, "reports"),
        app.pioneer_token(&alice),
        reason.clone(),
    )
    .await;
    let down = post(
        listing(&taken_down, "take-down"),
        operator(),
        reason.clone(),
    )
    .await;
    assert_eq!(down.status(), 200, "{}", down.text().await.unwrap());

    let again = post(
        listing(&withdrawn, "withdraw"),
        app.pioneer_token(&alice),
        json!({}),
    )
    .await;
    let report = post(
        listing(&withdrawn, "reports"),
        app.pioneer_token(&bruno),
        reason.clone(),
    )
    .await;
    let withdraw_down = post(
        listing(&taken_down, "withdraw"),
        app.pioneer_token(&bruno),
        json!({}),
    )
    .await;
    let exchange = json!({"receiver": account(&bruno), "hours": "1", "description": "Étagère",
        "listing_id": withdrawn});
    let on_withdrawn = post("/exchanges".into(), app.pioneer_token(&alice), exchange).await;
    let read = |path: &'static str| {
        let app = &app;
        async move {
            let listings: Vec<Value> = app
                .get(&app.path(path), &operator())
                .await
                .json()
                .await
                .unwrap();
            listings
        }
    };
    let open_only = read("/market/listings").await;
    let all = read("/market/listings?include_withdrawn=true").await;
    let by_tag = read("/market/listings?include_withdrawn=true&tag=bois").await;
    let latest = read("/market/listings?include_withdrawn=true&limit=1").await;

    problem(again, 409, "listing-withdrawn").await;
    problem(report, 409, "listing-withdrawn").await;
    problem(withdraw_down, 409, "listing-taken-down").await;
    problem(on_withdrawn, 409, "listing-withdrawn").await;
    let ids = |listings: &[Value]| -> Vec<String> {
        listings
            .iter()
            .map(|listing| listing["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&open_only), std::slice::from_ref(&open));
    assert_eq!(ids(&all), [open.clone(), taken_down, withdrawn.clone()]);
    assert!(all[1]["taken_down_at"].is_string(), "{}", all[1]);
    assert_eq!(all[1]["taken_down_reason"], "Annonce commerciale");
    assert_eq!(all[1]["reports"], 1);
    assert!(all[2]["withdrawn_at"].is_string(), "{}", all[2]);
    assert_eq!(all[2]["title"], "Menuiserie");
    assert_eq!(ids(&by_tag), [withdrawn]);
    assert_eq!(ids(&latest), [open]);
}

#[tokio::test]
async fn an_unknown_account_is_a_404_and_a_malformed_one_a_400() {
    let app = spawn_app().await;
    app.create_community().await;

    let unknown = app
        .get(
            &app.path("/accounts/pioneer:01934b2c-0000-7000-8000-000000000000"),
            &operator(),
        )
        .await;
    let malformed = app.get(&app.path("/accounts/alice"), &operator()).await;

    problem(unknown, 404, "account-not-found").await;
    problem(malformed, 400, "invalid-parameter").await;
}

/// The abuse of issue "no lone minting": a member proposes a project,
/// declares having helped it, and confirms as its proposer; or pays
/// themself out of it; or, as a gardener, reverses an exchange they were
/// part of. Each is refused with the rule named, and no balance moves.
#[tokio::test]
async fn nobody_raises_their_own_balance_alone() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let own = app.pioneer_token(&alice);
    let proposed = app
        .post(
            &app.path("/projects"),
            &own,
            &json!({"title": "Ma ressourcerie", "summary": "Pour le quartier"}),
        )
        .await;
    assert_eq!(proposed.status(), 201);
    let project = proposed.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let project_account = format!("project:{project}");

    let helped_my_project = app
        .post(
            &app.path("/exchanges"),
            &own,
            &json!({"receiver": project_account, "hours": "20", "description": "J'ai aidé mon projet"}),
        )
        .await;
    let overdraw_the_project = app
        .post(
            &app.path("/transfers"),
            &own,
            &json!({"payer": project_account, "payee": account(&bruno), "hours": "20"}),
        )
        .await;
    let gift = app
        .post(
            &app.path("/transfers"),
            &app.pioneer_token(&bruno),
            &json!({"payee": project_account, "hours": "5"}),
        )
        .await;
    let pay_myself = app
        .post(
            &app.path("/transfers"),
            &own,
            &json!({"payer": project_account, "payee": account(&alice), "hours": "5"}),
        )
        .await;
    // Alice, made gardener, helped Bruno; Bruno confirmed.
    let granted = app
        .send(
            reqwest::Method::PUT,
            &app.path(&format!("/pioneers/{alice}/roles")),
            Some(&operator()),
            Some(&json!({"roles": ["gardener"]})),
        )
        .await;
    assert_eq!(granted.status(), 200);
    let recorded: Value = app
        .post(
            &app.path("/exchanges"),
            &own,
            &json!({"receiver": account(&bruno), "hours": "2", "description": "Taille de haies"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let exchange = recorded["events"][0]["data"]["exchange_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirmed = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/confirm")),
            &app.pioneer_token(&bruno),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let reverse_own = app
        .post(
            &app.path(&format!("/exchanges/{exchange}/reverse")),
            &crate::helpers::token(
                &alice,
                &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
            ),
            &json!({"reason": "Finalement je préfère"}),
        )
        .await;
    let balance = |id: String| {
        let app = &app;
        async move {
            let view: Value = app
                .get(&app.path(&format!("/accounts/{id}")), &operator())
                .await
                .json()
                .await
                .unwrap();
            view["balance"].as_str().unwrap().to_owned()
        }
    };

    problem(helped_my_project, 403, "second-person-required").await;
    problem(overdraw_the_project, 409, "credit-floor").await;
    assert_eq!(gift.status(), 200);
    problem(pay_myself, 403, "second-person-required").await;
    problem(reverse_own, 403, "reversal-by-a-third-party").await;
    assert_eq!(balance(account(&alice)).await, "2.00");
    assert_eq!(balance(project_account.clone()).await, "5.00");
}

/// Leaving closes what the member left open and hands their balance to the
/// community's account, every step an event of the departure.
#[tokio::test]
async fn a_departure_withdraws_cancels_and_settles() {
    let app = spawn_app().await;
    let [alice, bruno] =
        <[String; 2]>::try_from(community_with(&app, &["Alice", "Bruno"]).await).unwrap();
    let own = app.pioneer_token(&alice);
    let paid = app
        .post(
            &app.path("/transfers"),
            &app.pioneer_token(&bruno),
            &json!({"payee": account(&alice), "hours": "3"}),
        )
        .await;
    assert_eq!(paid.status(), 200);
    let listed = app
        .post(
            &app.path("/market/listings"),
            &own,
            &json!({"kind": "offer", "title": "Couture", "description": "Ourlets", "tags": []}),
        )
        .await;
    assert_eq!(listed.status(), 200, "{}", listed.text().await.unwrap());
    let recorded = app
        .post(
            &app.path("/exchanges"),
            &own,
            &json!({"receiver": account(&bruno), "hours": "1", "description": "Couture"}),
        )
        .await;
    assert_eq!(recorded.status(), 200);

    let left: Value = app
        .post(
            &app.path(&format!("/pioneers/{alice}/leave")),
            &own,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = left["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    let read = |path: String| {
        let app = &app;
        async move {
            app.get(&app.path(&path), &operator())
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let listings = read("/market/listings".into()).await;
    let community = read("/accounts/community".into()).await;
    let former = read(format!("/accounts/{}", account(&alice))).await;

    assert_eq!(
        types,
        [
            "PioneerLeft",
            "ListingWithdrawn",
            "ExchangeCancelled",
            "BalanceSettled"
        ]
    );
    assert_eq!(listings.as_array().map(Vec::len), Some(0), "{listings}");
    assert_eq!(community["balance"], "3.00");
    assert_eq!(community["floor"], Value::Null);
    assert_eq!(former["balance"], "0.00");
}

/// Every listing is reachable, a page at a time: `before` the last one of
/// a page gives the next, open listings or all of them alike.
#[tokio::test]
async fn listings_page_on_from_the_last_of_a_page() {
    let app = spawn_app().await;
    let [alice] = <[String; 1]>::try_from(community_with(&app, &["Alice"]).await).unwrap();
    let token = app.pioneer_token(&alice);
    let mut published = Vec::new();
    for n in 0..7 {
        let body = json!({"kind": "offer", "title": format!("Annonce {n}"), "description": "…"});
        let answer: Value = app
            .post(&app.path("/market/listings"), &token, &body)
            .await
            .json()
            .await
            .unwrap();
        published.push(
            answer["events"][0]["data"]["listing_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let withdrawn = &published[2];
    let withdrawal = app
        .post(
            &app.path(&format!("/market/listings/{withdrawn}/withdraw")),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(withdrawal.status(), 200);

    for all in [false, true] {
        let mut seen: Vec<String> = Vec::new();
        let mut before = String::new();
        loop {
            let page: Vec<Value> = app
                .get(
                    &app.path(&format!(
                        "/market/listings?limit=3&include_withdrawn={all}{before}"
                    )),
                    &token,
                )
                .await
                .json()
                .await
                .unwrap();
            seen.extend(
                page.iter()
                    .map(|listing| listing["id"].as_str().unwrap().to_owned()),
            );
            match page.last() {
                Some(last) if page.len() == 3 => {
                    before = format!("&before={}", last["id"].as_str().unwrap());
                }
                _ => break,
            }
        }

        let expected: Vec<String> = published
            .iter()
            .rev()
            .filter(|id| all || *id != withdrawn)
            .cloned()
            .collect();
        assert_eq!(seen, expected, "include_withdrawn={all}");
    }
    // A cursor that names no listing is said so, never taken for the end.
    let unknown = app
        .get(
            &app.path(&format!(
                "/market/listings?include_withdrawn=true&before={}",
                uuid::Uuid::now_v7()
            )),
            &token,
        )
        .await;
    problem(unknown, 404, "listing-not-found").await;
}

/// `GET …/accounts` and the assembly report count the same trade: a
/// departing member's balance taken over by the community is none.
#[tokio::test]
async fn the_accounts_and_the_report_count_the_same_volume_and_traders() {
    let app = spawn_app().await;
    let ids = community_with(&app, &["Alice", "Bruno"]).await;
    let (alice, bruno) = (&ids[0], &ids[1]);
    let transfer = app
        .post(
            &app.path("/transfers"),
            &app.pioneer_token(alice),
            &json!({"payee": format!("pioneer:{bruno}"), "hours": "2.50"}),
        )
        .await;
    assert_eq!(transfer.status(), 200);
    let left = app
        .post(
            &app.path(&format!("/pioneers/{alice}/leave")),
            &app.pioneer_token(alice),
            &json!({}),
        )
        .await;
    assert_eq!(left.status(), 200, "{}", left.text().await.unwrap());

    let accounts: Value = app
        .get(&app.path("/accounts"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let report: Value = app
        .get(&app.path("/reports/assembly"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let totals = &accounts["totals"];
    let activity = &report["time_credits"];
    assert_eq!(totals["volume"], "2.50");
    assert_eq!(totals["active_traders"], 2);
    assert_eq!(activity["volume"], totals["volume"]);
    assert_eq!(activity["active_traders"], totals["active_traders"]);
}
