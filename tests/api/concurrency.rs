//! Many clients at once over real HTTP: concurrent transfers from accounts
//! near their floor and into one near its ceiling. Every answer is an
//! acknowledgement or a 409 naming the limit, the acknowledged transfers
//! are decided one after another (each sees the ones before it), and the
//! accounts end where the acknowledged transfers leave them, within limits
//! and summing to zero.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::helpers::{TestApp, operator, spawn_app, spawn_instance};

const MEMBERS: usize = 8;
/// Members 0..PAYERS start at -18.00 h, two hours above the floor.
const PAYERS: usize = 5;
/// The member the payers paid: +90.00 h, ten hours below the ceiling.
const SINK: usize = MEMBERS - 1;
const TRANSFERS: usize = 200;
const AMOUNTS: [&str; 5] = ["0.50", "1.00", "1.50", "2.00", "2.50"];
/// Times a client sends a transfer again after a 503.
const RETRIES_MAX: usize = 20;

fn hours(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn account(id: &str) -> String {
    format!("pioneer:{id}")
}

/// A small deterministic generator, so the mix of transfers is the same
/// on every run (their interleaving is not).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % sides as u64) as usize
    }
}

/// Every account's balance, and the totals, as `app` reads them once it
/// holds revision `seen`.
async fn balances(app: &TestApp, seen: u64) -> (BTreeMap<String, Decimal>, Value) {
    let response = app
        .client
        .get(app.url(&app.path("/accounts")))
        .bearer_auth(operator())
        .header("Agora-Min-Revision", seen.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let balances = body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account"].as_str().unwrap().to_owned(),
                hours(a["balance"].as_str().unwrap()),
            )
        })
        .collect();
    (balances, body["totals"].clone())
}

/// An acknowledged transfer as its answer reports it.
#[derive(Debug)]
struct Acknowledged {
    revision: u64,
    payer: String,
    payee: String,
    hours: Decimal,
    payer_after: Decimal,
    payee_after: Decimal,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transfers_near_the_limits_never_break_them_and_each_acknowledged_one_counts_once()
 {
    let app = spawn_app().await;
    transfers_near_the_limits(&[&app]).await;
}

/// The same through two instances on one PostgreSQL store, the transfers
/// sent to each in turn; a 503 (the log kept moving) is retried with the
/// same key, as a client would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transfers_through_two_instances_never_break_the_limits_and_count_once() {
    let Some(url) = crate::support::postgres::fresh_schema().await else {
        return;
    };
    let a = spawn_instance(&url).await;
    let b = spawn_instance(&url).await;
    transfers_near_the_limits(&[&a, &b]).await;
}

/// Concurrent transfers near the limits, sent to `instances` in turn (the
/// members are made through the first).
async fn transfers_near_the_limits(instances: &[&TestApp]) {
    let app = instances[0];
    app.create_community().await;
    let mut members = Vec::new();
    for n in 0..MEMBERS {
        members.push(app.member_in_good_standing(&format!("Membre {n}"), 1).await);
    }
    let sink = account(&members[SINK]);
    for payer in &members[..PAYERS] {
        let paid = app
            .post(
                &app.path("/transfers"),
                &app.pioneer_token(payer),
                &json!({"payee": sink, "hours": "18.00"}),
            )
            .await;
        assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
    }
    let (start, _) = balances(app, 0).await;
    assert_eq!(start[&account(&members[0])], hours("-18.00"));
    assert_eq!(start[&sink], hours("90.00"));

    // Mostly the members near their floor pay, mostly the one near its
    // ceiling is paid; never oneself, never a non-positive amount.
    let mut dice = Dice(0x00a6_04a0);
    let barrier = std::sync::Arc::new(Barrier::new(TRANSFERS));
    let tasks: Vec<_> = (0..TRANSFERS)
        .map(|n| {
            let payer = if dice.roll(10) < 7 {
                dice.roll(PAYERS)
            } else {
                dice.roll(MEMBERS)
            };
            let payee = if payer != SINK && dice.roll(2) == 0 {
                SINK
            } else {
                (payer + 1 + dice.roll(MEMBERS - 1)) % MEMBERS
            };
            let amount = AMOUNTS[dice.roll(AMOUNTS.len())];
            let instance = instances[n % instances.len()];
            let request = instance
                .client
                .post(instance.url(&instance.path("/transfers")))
                .bearer_auth(instance.pioneer_token(&members[payer]))
                .header("Idempotency-Key", format!("concurrent-transfer-{n}"))
                .json(&json!({"payee": account(&members[payee]), "hours": amount}));
            let (payer, payee) = (account(&members[payer]), account(&members[payee]));
            let barrier = std::sync::Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let mut response = request.try_clone().unwrap().send().await.unwrap();
                for _ in 0..RETRIES_MAX {
                    if response.status() != 503 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    response = request.try_clone().unwrap().send().await.unwrap();
                }
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|value| value.to_str().unwrap().to_owned());
                let body: Value = response.json().await.unwrap();
                (payer, payee, amount, status, content_type, body)
            })
        })
        .collect();

    let mut acknowledged = Vec::new();
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (payer, payee, amount, status, content_type, body) = task.await.unwrap();
        match status {
            200 => {
                let events = body["events"].as_array().unwrap();
                assert_eq!(events.len(), 1, "{body}");
                let event = &events[0];
                let data = &event["data"];
                assert_eq!(event["type"], "TimeCreditsTransferred", "{body}");
                assert_eq!(
                    (data["payer"].as_str(), data["payee"].as_str()),
                    (Some(payer.as_str()), Some(payee.as_str()))
                );
                assert_eq!(hours(data["hours"].as_str().unwrap()), hours(amount));
                acknowledged.push(Acknowledged {
                    revision: event["revision"].as_u64().unwrap(),
                    payer,
                    payee,
                    hours: hours(amount),
                    payer_after: hours(data["payer_balance_after"].as_str().unwrap()),
                    payee_after: hours(data["payee_balance_after"].as_str().unwrap()),
                });
            }
            409 => {
                assert_eq!(content_type.as_deref(), Some("application/problem+json"));
                assert_eq!(body["status"], 409, "{body}");
                let rule = body["rule"].as_str().unwrap_or_default().to_owned();
                assert!(
                    rule == "credit-floor" || rule == "credit-ceiling",
                    "refused for another reason: {body}"
                );
                *refused.entry(rule).or_default() += 1;
            }
            other => panic!("a transfer was answered {other}: {body}"),
        }
    }
    assert!(!acknowledged.is_empty(), "nothing was acknowledged");
    assert!(
        refused.get("credit-floor").is_some_and(|&n| n > 0),
        "no transfer met the floor: {refused:?}"
    );
    assert_eq!(
        acknowledged.len() + refused.values().sum::<usize>(),
        TRANSFERS
    );

    // Decided one after another: in the order of their revisions, each
    // acknowledged transfer starts from the balances the previous ones left.
    acknowledged.sort_by_key(|transfer| transfer.revision);
    for pair in acknowledged.windows(2) {
        assert_eq!(
            pair[1].revision,
            pair[0].revision + 1,
            "revisions with a gap or a twin"
        );
    }
    let (floor, ceiling) = (hours("-20.00"), hours("100.00"));
    let mut expected = start.clone();
    for transfer in &acknowledged {
        *expected.entry(transfer.payer.clone()).or_default() -= transfer.hours;
        *expected.entry(transfer.payee.clone()).or_default() += transfer.hours;
        assert_eq!(
            (transfer.payer_after, transfer.payee_after),
            (expected[&transfer.payer], expected[&transfer.payee]),
            "{transfer:?} was not decided against the transfers before it"
        );
        assert!(transfer.payer_after >= floor && transfer.payee_after <= ceiling);
    }

    let last = acknowledged.last().map_or(0, |transfer| transfer.revision);
    let (end, totals) = balances(instances[instances.len() - 1], last).await;
    assert_eq!(totals["sum_of_balances"], "0.00");
    assert_eq!(end.values().sum::<Decimal>(), Decimal::ZERO);
    for (account, balance) in &end {
        assert!(
            *balance >= floor && *balance <= ceiling,
            "{account} ends at {balance}"
        );
    }
    assert_eq!(
        end, expected,
        "final balances = start + acknowledged transfers"
    );
    assert_eq!(
        totals["transfers"],
        (PAYERS + acknowledged.len()) as u64,
        "{totals}"
    );
}
