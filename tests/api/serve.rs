//! The real binary: `agora serve` starts on the embedded store, answers, shuts
//! down cleanly on SIGTERM, and starts again on the same store.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `agora serve` on `store` and port 0; returns the child and the
/// address it logged.
fn start(store: &str) -> (Child, String, std::thread::JoinHandle<Vec<String>>) {
    start_with(&["--store", store])
}

/// Starts `agora serve` with `settings` on port 0; returns the child and
/// the address it logged.
fn start_with(settings: &[&str]) -> (Child, String, std::thread::JoinHandle<Vec<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("serve")
        .args(settings)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env_remove("AGORA_CONFIG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("agora serve exited before listening")
            .unwrap();
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        if entry["message"] == "listening" {
            break entry["address"].as_str().unwrap().to_owned();
        }
    };
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect());
    (child, address, rest)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("agora serve did not stop within 10 s of SIGTERM");
}

#[tokio::test]
async fn serve_answers_then_stops_gracefully_on_sigterm_and_starts_again() {
    let directory = tempfile::tempdir().unwrap();
    let store = format!(
        "sqlite://{}",
        directory.path().join("data/agora.db").display()
    );

    for _run in 0..2 {
        let (mut child, address, logs) = start(&store);
        let health = reqwest::get(format!("http://{address}/healthz"))
            .await
            .unwrap();
        let ready = reqwest::get(format!("http://{address}/readyz"))
            .await
            .unwrap();

        let status = terminate(&mut child);

        assert_eq!(health.status(), 200);
        assert_eq!(ready.status(), 200);
        assert!(status.success(), "exit status {status}");
        let logs = logs.join().unwrap().join("\n");
        assert!(logs.contains("SIGTERM received"), "{logs}");
        assert!(logs.contains("event store closed"), "{logs}");
    }
    assert!(directory.path().join("data/agora.db").exists());
}

#[test]
fn serve_refuses_an_unsupported_store_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["serve", "--store", "mysql://db"])
        .env_remove("AGORA_CONFIG")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("mysql://db"), "{message}");
}

#[tokio::test]
async fn serve_demo_seeds_a_community_and_prints_tokens_that_work() {
    let directory = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", directory.path().join("agora.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args([
            "serve",
            "--demo",
            "--store",
            &store,
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("AGORA_CONFIG")
        .env_remove("AGORA_JWT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut tokens = std::collections::HashMap::new();
    let mut base = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [
            role @ ("admin" | "gardener" | "treasurer" | "pioneer"),
            token,
        ] = words[..]
            && !token.starts_with("http")
        {
            // The sign-in links to the web interface come first; the
            // bearer tokens after them.
            tokens.insert(role.to_owned(), token.to_owned());
        }
        if let Some(url) = line.strip_prefix("The API is described at ") {
            base = url.trim_end_matches("/v1/openapi.json").to_owned();
            break;
        }
    }
    // Keep reading, as a terminal would, until the service exits.
    let drain = std::thread::spawn(move || lines.count());
    let client = reqwest::Client::new();
    let get = |path: &str, role: &str| {
        client
            .get(format!("{base}/v1/communities/lanceurs-davenir{path}"))
            .bearer_auth(&tokens[role])
            .send()
    };

    let community: serde_json::Value = get("", "pioneer").await.unwrap().json().await.unwrap();
    let pioneers: Vec<serde_json::Value> = get("/pioneers?limit=500", "gardener")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let register = get("/shares", "treasurer").await.unwrap();
    let accounts: serde_json::Value = get("/accounts", "pioneer")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let selected: Vec<serde_json::Value> = get("/projects?status=selected", "pioneer")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let projects: Vec<serde_json::Value> = get("/projects", "pioneer")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let funds: serde_json::Value = get("/funds", "treasurer")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    terminate(&mut child);
    drain.join().unwrap();

    assert_eq!(tokens.len(), 4, "{tokens:?}");
    assert_eq!(
        community["statutes"]["colleges"].as_array().unwrap().len(),
        6
    );
    assert_eq!(pioneers.len(), agora::demo::DEMO_PIONEERS);
    let standing = pioneers
        .iter()
        .filter(|p| p["in_good_standing"] == true)
        .count();
    assert!(
        standing > 50 && standing < 100,
        "{standing} in good standing"
    );
    assert!(
        pioneers.iter().all(|p| p["email"].is_string()),
        "the gardener sees emails"
    );
    assert_eq!(register.status(), 200);
    let totals = &accounts["totals"];
    assert_eq!(totals["sum_of_balances"], "0.00");
    assert!(
        totals["completed_exchanges"].as_u64().unwrap() > 100,
        "{totals}"
    );
    assert_eq!(projects.len(), 10);
    assert_eq!(selected.len(), 1, "the ballot selected one project");
    assert_eq!(funds["allocations"].as_array().unwrap().len(), 1);
    assert_eq!(
        funds["allocations"][0]["expenses"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

/// Two `agora serve` processes on one PostgreSQL store; one is killed
/// (SIGKILL) while both take transfers. The other keeps serving throughout,
/// and every transfer either acknowledged is in the log exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_a_postgres_store_and_one_keeps_serving_when_the_other_is_killed() {
    use crate::helpers::{SECRET, SHARED_KEY_ENCRYPTION_KEY, TestApp, operator};
    use serde_json::{Value, json};

    let Some(url) = crate::support::postgres::fresh_schema().await else {
        return;
    };
    let settings = [
        "--store",
        url.as_str(),
        "--jwt-secret",
        SECRET,
        "--key-encryption-key",
        SHARED_KEY_ENCRYPTION_KEY,
    ];
    let (mut killed, address_a, _) = start_with(&settings);
    let (mut survivor, address_b, _) = start_with(&settings);
    let a = TestApp::remote(address_a.parse().unwrap());
    let b = TestApp::remote(address_b.parse().unwrap());
    a.create_community().await;
    let alice = a.member_in_good_standing("Alice", 1).await;
    let bruno = a.member_in_good_standing("Bruno", 1).await;

    // Alice and Bruno pay each other an hour, in turn, through both
    // instances; A is killed half-way.
    let send = |app: &TestApp, n: usize| {
        let (payer, payee) = if n.is_multiple_of(2) {
            (&alice, &bruno)
        } else {
            (&bruno, &alice)
        };
        app.client
            .post(app.url(&app.path("/transfers")))
            .bearer_auth(app.pioneer_token(payer))
            .header("Idempotency-Key", format!("transfer-{n}"))
            .json(&json!({"payee": format!("pioneer:{payee}"), "hours": "1.00"}))
            .send()
    };
    let mut acknowledged = Vec::new();
    let mut after_the_kill = 0;
    for n in 0..120 {
        if n == 60 {
            killed.kill().unwrap();
            killed.wait().unwrap();
        }
        // Sent together: the two instances race for the same stream.
        let (through_a, through_b) = tokio::join!(send(&a, 2 * n), send(&b, 2 * n + 1));
        let through_b = through_b.unwrap();
        if n >= 60 {
            assert!(through_a.is_err(), "the killed instance still answers");
            after_the_kill += 1;
        }
        for response in through_a.into_iter().chain([through_b]) {
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            match status.as_u16() {
                200 => {
                    acknowledged.push(body["events"][0]["event_id"].as_str().unwrap().to_owned())
                }
                // Alice or Bruno at a limit: refused, as it should be.
                409 => assert!(
                    body["rule"].as_str().unwrap().starts_with("credit-"),
                    "{body}"
                ),
                other => panic!("a transfer was answered {other}: {body}"),
            }
        }
    }

    let log: Value = b
        .get(&b.path("/log?limit=1000"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let recorded: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == "TimeCreditsTransferred")
        .map(|event| event["event_id"].as_str().unwrap())
        .collect();
    let accounts: Value = b
        .get(&b.path("/accounts"), &operator())
        .await
        .json()
        .await
        .unwrap();
    terminate(&mut survivor);

    assert_eq!(after_the_kill, 60);
    for id in &acknowledged {
        assert_eq!(
            recorded.iter().filter(|recorded| *recorded == id).count(),
            1,
            "acknowledged transfer {id} is not in the log exactly once"
        );
    }
    assert!(
        acknowledged.len() >= 120,
        "{} acknowledged",
        acknowledged.len()
    );
    assert_eq!(accounts["totals"]["sum_of_balances"], "0.00", "{accounts}");
}
