//! HTTP command throughput and latency of the service (transfers of time
//! credits through auth, idempotency, decision and durable append), beside
//! an empty axum handler served in the same process as the baseline.
//!
//! Run: `cargo bench --bench http -- [--seconds N] [--prefill N] [--postgres URL]`
//!
//! With `--postgres URL`, the service runs on the PostgreSQL store (in a
//! fresh schema of that database, dropped after the run) instead of the
//! embedded one.
//!
//! With `--prefill N`, N transfers are recorded (by 64 clients, over HTTP,
//! each with its own Idempotency-Key like the measured ones) before
//! measuring, so that the figures are those of a community with a long
//! log; compare them with a run without it.
//!
//! Each client alternates transfers of 0.25 h between its own two members
//! (so no limit is ever reached), each with its own Idempotency-Key, and
//! waits for the answer before sending the next. The baseline clients post
//! the same JSON body to a handler that only answers 200.

/// The allocator the `agora` binary runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/support/postgres.rs"]
#[allow(dead_code)] // the tests' part of it
mod postgres;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora::app::Application;
use agora::auth::{Authenticator, Claims, Secret, Verifier};
use agora::config::{AuthSettings, Config, KeyEncryption, LogFormat, StoreLocation};
use agora_events::Role;
use serde_json::{Value, json};

const SECRET: &str = "a benchmark secret of thirty-two bytes or more";
const CONCURRENCIES: [usize; 3] = [1, 16, 64];

fn token(subject: &str, community: &str, roles: &[Role]) -> String {
    let now = chrono::Utc::now().timestamp();
    Authenticator::new(Verifier::Hs256(Secret::new(SECRET)))
        .unwrap()
        .mint(&Claims {
            sub: subject.into(),
            community: community.into(),
            roles: roles.iter().copied().collect(),
            exp: now + 3_600,
            iat: now,
        })
        .unwrap()
}

struct Measure {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Measure {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&mut self, fraction: f64) -> f64 {
        self.latencies.sort_unstable();
        let index = ((self.latencies.len() as f64 - 1.0) * fraction).round() as usize;
        self.latencies[index].as_secs_f64() * 1e3
    }
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> Value {
    sent(client.post(url).bearer_auth(token).json(body)).await
}

/// Sends `request` and returns its JSON answer; anything but a success
/// stops the benchmark.
async fn sent(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap_or(Value::Null)
}

/// A member in good standing; returns their id.
async fn member(client: &reqwest::Client, base: &str, operator: &str) -> String {
    let admitted = post(
        client,
        &format!("{base}/pioneers"),
        operator,
        &json!({"college": "a", "display_name": "Bench", "scores": {"scale_of_impact": 1,
            "degree_of_information": 1, "connections_produced": 1, "care_for_the_living": 1,
            "poetic_radiance": 1, "social_innovation": 1, "engagement": 1}}),
    )
    .await;
    admitted["events"][0]["data"]["pioneer_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs `clients` loops for `duration`, each calling `send(client index, n)`.
async fn load<F, Fut>(clients: usize, duration: Duration, send: F) -> Measure
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let send = Arc::new(send);
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|index| {
            let send = Arc::clone(&send);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0;
                while start.elapsed() < duration {
                    let sent = Instant::now();
                    send(index, n).await;
                    latencies.push(sent.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Measure {
        latencies,
        elapsed: start.elapsed(),
    }
}

async fn baseline_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/", axum::routing::post(|| async { "" }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

fn main() {
    let mut seconds = 3.0;
    let mut prefill: u64 = 0;
    let mut on_postgres: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args
                .next()
                .and_then(|s| s.parse().ok())
                .expect("--seconds N");
        } else if arg == "--prefill" {
            prefill = args
                .next()
                .and_then(|s| s.parse().ok())
                .expect("--prefill N");
        } else if arg == "--postgres" {
            on_postgres = Some(args.next().expect("--postgres URL"));
        }
    }
    let duration = Duration::from_secs_f64(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let directory = tempfile::tempdir().unwrap();
        let schema = match &on_postgres {
            Some(url) => Some(postgres::new_schema(url, "bench_http").await),
            None => None,
        };
        let (store, key_encryption) = match &schema {
            Some((_, scoped)) => (
                StoreLocation::Postgres(scoped.clone()),
                // Any 32 bytes in base64: the bench opens no personal data.
                KeyEncryption::Given(Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")),
            ),
            None => (
                StoreLocation::Sqlite(directory.path().join("bench.db")),
                KeyEncryption::File(directory.path().join("bench.kek")),
            ),
        };
        let config = Config {
            store,
            listen: "127.0.0.1:0".parse().unwrap(),
            log_format: LogFormat::Text,
            log: "error".into(),
            auth: AuthSettings::Secret(Secret::new(SECRET)),
            key_encryption,
            previous_key_encryption_key_file: None,
            read_only: false,
        webhooks: agora::config::WebhookSettings::default(),
        };
        let application = Application::build(&config).await.unwrap();
        let address = application.address();
        tokio::spawn(async move { application.run_until_stopped(std::future::pending()).await.unwrap() });
        let baseline = baseline_server().await;

        let client = reqwest::Client::new();
        let operator = token("operator", "*", &[Role::Admin, Role::Gardener, Role::Treasurer]);
        let base = format!("http://{address}/v1/communities/bench");
        post(&client, &format!("http://{address}/v1/communities"), &operator, &json!({"slug": "bench",
            "statutes": {"name": "Bench", "share_nominal": "10.00", "charter_version": "1",
            "colleges": [{"name": "a", "vote_weight_percent": 50}, {"name": "b", "vote_weight_percent": 50}]}}))
        .await;
        let max = *CONCURRENCIES.iter().max().unwrap();
        let mut pairs = Vec::new();
        for _ in 0..max {
            let a = member(&client, &base, &operator).await;
            let b = member(&client, &base, &operator).await;
            let (token_a, token_b) = (token(&a, "bench", &[Role::Pioneer]), token(&b, "bench", &[Role::Pioneer]));
            pairs.push(((a, token_a), (b, token_b)));
        }
        let pairs = Arc::new(pairs);
        if prefill > 0 {
            let started = Instant::now();
            let url = format!("{base}/transfers");
            let clients = pairs.len() as u64;
            let tasks: Vec<_> = (0..clients)
                .map(|index| {
                    let (client, pairs, url) = (client.clone(), Arc::clone(&pairs), url.clone());
                    tokio::spawn(async move {
                        let ((a, a_token), (b, b_token)) = &pairs[index as usize];
                        // Each with a key of its own, as the measured
                        // transfers and real clients send: the index then
                        // files a command key per transfer, as it would.
                        for n in 0..prefill.div_ceil(clients) {
                            let (payer_token, payee) = if n % 2 == 0 { (a_token, b) } else { (b_token, a) };
                            let body = json!({"payee": format!("pioneer:{payee}"), "hours": "0.25"});
                            sent(client.post(&url).bearer_auth(payer_token)
                                .header("idempotency-key", format!("prefill-{index}-{n}"))
                                .json(&body)).await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            println!("prefilled with {prefill} transfers in {:.1} s", started.elapsed().as_secs_f64());
            println!();
        }

        let on = if on_postgres.is_some() { "PostgreSQL" } else { "SQLite" };
        println!("HTTP commands on {on}: authenticated transfers vs an empty axum handler, {seconds} s per row");
        println!();
        println!("| clients | transfers/s | p50 ms | p99 ms | empty handler req/s | p50 ms | p99 ms | service / empty |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for clients in CONCURRENCIES {
            let url = format!("{base}/transfers");
            let service = {
                let (client, pairs, url) = (client.clone(), Arc::clone(&pairs), url.clone());
                load(clients, duration, move |index, n| {
                    let (client, pairs, url) = (client.clone(), Arc::clone(&pairs), url.clone());
                    async move {
                        let (a, b) = &pairs[index];
                        let ((_, payer_token), (payee, _)) = if n % 2 == 0 { (a, b) } else { (b, a) };
                        let response = client
                            .post(&url)
                            .bearer_auth(payer_token)
                            .header("idempotency-key", format!("{clients}-{index}-{n}"))
                            .json(&json!({"payee": format!("pioneer:{payee}"), "hours": "0.25"}))
                            .send()
                            .await
                            .unwrap();
                        assert!(response.status().is_success(), "{}", response.status());
                        response.bytes().await.unwrap();
                    }
                })
                .await
            };
            let empty = {
                let client = client.clone();
                let url = format!("http://{baseline}/");
                load(clients, duration, move |_, _| {
                    let (client, url) = (client.clone(), url.clone());
                    async move {
                        let response = client
                            .post(&url)
                            .json(&json!({"payee": "pioneer:00000000-0000-0000-0000-000000000000", "hours": "0.25"}))
                            .send()
                            .await
                            .unwrap();
                        response.bytes().await.unwrap();
                    }
                })
                .await
            };
            let (mut service, mut empty) = (service, empty);
            println!(
                "| {clients} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.0}% |",
                service.rate(),
                service.percentile(0.5),
                service.percentile(0.99),
                empty.rate(),
                empty.percentile(0.5),
                empty.percentile(0.99),
                100.0 * service.rate() / empty.rate()
            );
        }
        if let (Some(url), Some((name, _))) = (&on_postgres, &schema) {
            postgres::drop_schema(url, name).await;
        }
    });
}
