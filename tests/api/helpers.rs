//! A running service on a random port with its own temporary store, a
//! client for it, and tokens for every kind of caller.

use std::net::SocketAddr;
use std::path::PathBuf;

use agora::app::Application;
use agora::auth::{Authenticator, Claims, Secret, Verifier};
use agora::config::{AuthSettings, Config, KeyEncryption, LogFormat, StoreLocation};
use agora_events::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "a test secret that is long enough for HS256";
pub const COMMUNITY: &str = "lanceurs";

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub directory: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

pub fn minter() -> Authenticator {
    Authenticator::new(Verifier::Hs256(Secret::new(SECRET))).unwrap()
}

/// A token for `subject` in `community` with `roles`, valid for an hour
/// (or already expired when `ttl` is negative).
pub fn token_with(community: &str, subject: &str, roles: &[Role], ttl: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    minter()
        .mint(&Claims {
            sub: subject.into(),
            community: community.into(),
            roles: roles.iter().copied().collect(),
            exp: now + ttl,
            iat: now,
        })
        .unwrap()
}

pub fn token(subject: &str, roles: &[Role]) -> String {
    token_with(COMMUNITY, subject, roles, 3_600)
}

/// An operator of the deployment: every community, every role.
pub fn operator() -> String {
    token_with(
        "*",
        "operator",
        &[Role::Admin, Role::Gardener, Role::Treasurer, Role::Auditor],
        3_600,
    )
}

pub fn statutes() -> Value {
    json!({
        "name": "Lanceurs d'avenir",
        "share_nominal": "50.00",
        "colleges": [
            {"name": "founders", "vote_weight_percent": 30},
            {"name": "beneficiaries", "vote_weight_percent": 30},
            {"name": "partners", "vote_weight_percent": 20},
            {"name": "employees", "vote_weight_percent": 20}
        ],
        "charter_version": "2026-01",
        "indicators": [
            {"code": "personnes-touchees", "label": "Personnes touchées", "compass": "societal_impact", "unit": "personnes", "direction": "higher_is_better"},
            {"code": "dechets-produits", "label": "Déchets produits", "compass": "societal_impact", "unit": "kg", "direction": "lower_is_better"},
            {"code": "partenariats", "label": "Partenariats noués", "compass": "synergy", "unit": "partenaires", "direction": "higher_is_better"}
        ]
    })
}

pub fn admission(name: &str) -> Value {
    json!({
        "college": "founders",
        "scores": {
            "scale_of_impact": 4, "degree_of_information": 3, "connections_produced": 5,
            "care_for_the_living": 4, "poetic_radiance": 2, "social_innovation": 3, "engagement": 5
        },
        "display_name": name,
        "email": format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        "contact": "+33 6 00 00 00 00",
        "bio": "Jardins partagés",
        "skills": ["compost", "menuiserie"],
        "territory": "Drôme"
    })
}

impl TestApp {
    /// The service's OpenAPI document.
    pub async fn openapi(&self) -> Value {
        self.send(Method::GET, "/v1/openapi.json", None, None)
            .await
            .json()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/v1/communities/{COMMUNITY}{rest}")
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    /// Grants `role` (besides `pioneer`) to a member, as an admin.
    pub async fn grant_role(&self, pioneer: &str, role: &str) {
        let granted = self
            .send(
                Method::PUT,
                &self.path(&format!("/pioneers/{pioneer}/roles")),
                Some(&operator()),
                Some(&json!({"roles": [role]})),
            )
            .await;
        assert_eq!(granted.status(), 200, "{role} granted");
    }

    /// Creates the test community as an operator.
    pub async fn create_community(&self) {
        let response = self
            .post(
                "/v1/communities",
                &operator(),
                &json!({"slug": COMMUNITY, "statutes": statutes()}),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    /// Opens, as the operator, a single-choice ballot on `question` with
    /// the choices `oui` and `non`, closing `closes_in` from now; answers
    /// the response (its `Location` is the ballot).
    pub async fn open_yes_no_ballot(
        &self,
        question: &str,
        closes_in: chrono::Duration,
    ) -> Response {
        let closes_at = (chrono::Utc::now() + closes_in).to_rfc3339();
        self.post(
            &self.path("/ballots"),
            &operator(),
            &json!({
                "question": question,
                "options": [{"option_id": "oui", "label": "Oui"}, {"option_id": "non", "label": "Non"}],
                "method": "single",
                "closes_at": closes_at
            }),
        )
        .await
    }

    /// Admits a pioneer as the operator; returns their id.
    pub async fn admit(&self, name: &str) -> String {
        let response = self
            .post(&self.path("/pioneers"), &operator(), &admission(name))
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let body: Value = response.json().await.unwrap();
        body["events"][0]["data"]["pioneer_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A token for a pioneer acting as themself.
    pub fn pioneer_token(&self, id: &str) -> String {
        token(id, &[Role::Pioneer])
    }

    /// Admits a pioneer, has them accept the charter and subscribe `shares`
    /// shares, and pays them in full: a member in good standing.
    /// A project `title` proposed by member `proposer`: its id.
    pub async fn propose_project(&self, proposer: &str, title: &str) -> String {
        let proposal = self
            .post(
                &self.path("/projects"),
                &self.pioneer_token(proposer),
                &json!({"title": title, "summary": "…"}),
            )
            .await;
        assert_eq!(proposal.status(), 201, "{}", proposal.text().await.unwrap());
        let location = proposal.headers()["location"].to_str().unwrap();
        location.rsplit('/').next().unwrap().to_owned()
    }

    pub async fn member_in_good_standing(&self, name: &str, shares: u32) -> String {
        let id = self.admit(name).await;
        let own = self.pioneer_token(&id);
        let accepted = self
            .post(
                &self.path(&format!("/pioneers/{id}/charter")),
                &own,
                &json!({"charter_version": "2026-01"}),
            )
            .await;
        assert_eq!(accepted.status(), 200);
        let subscribed = self
            .post(
                &self.path(&format!("/pioneers/{id}/shares/subscriptions")),
                &own,
                &json!({"shares": shares}),
            )
            .await;
        assert_eq!(subscribed.status(), 200);
        let amount = format!("{}.00", 50 * shares);
        let paid = self
            .post(
                &self.path(&format!("/pioneers/{id}/shares/payments")),
                &operator(),
                &json!({"amount": amount, "reference": "VIR-1"}),
            )
            .await;
        assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
        id
    }

    /// A service some other process runs at `address`.
    pub fn remote(address: SocketAddr) -> Self {
        Self {
            address,
            client: reqwest::Client::new(),
            directory: tempfile::tempdir().unwrap(),
            stop: None,
            server: None,
        }
    }

    /// Sends the shutdown signal and waits for the service to finish.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        self.directory
    }
}

/// Builds the service on the embedded store in `directory` (a new temporary
/// one by default) and port 0, and serves it in the background.
pub async fn spawn_app_in(directory: tempfile::TempDir) -> TestApp {
    let store = StoreLocation::Sqlite(store_path(&directory));
    let key_encryption = KeyEncryption::File(directory.path().join("agora.kek"));
    spawn_app_on(store, key_encryption, directory).await
}

/// The key that wraps personal-data keys in tests of several instances
/// (base64 of 32 bytes).
pub const SHARED_KEY_ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// An instance of the service on the shared store `url` names (a
/// PostgreSQL schema, a KurrentDB namespace), which others may share. On
/// KurrentDB, the instance keeps its side file in its own folder.
pub async fn spawn_instance(url: &str) -> TestApp {
    let directory = tempfile::tempdir().unwrap();
    let store = match url.parse::<StoreLocation>().unwrap() {
        StoreLocation::Kurrent(url) => StoreLocation::Kurrent(format!(
            "{url}&side={}",
            directory.path().join("side.db").display()
        )),
        shared => shared,
    };
    let key_encryption = KeyEncryption::Given(Secret::new(SHARED_KEY_ENCRYPTION_KEY));
    spawn_app_on(store, key_encryption, directory).await
}

/// Builds the service on `store` and port 0, and serves it in the
/// background.
pub async fn spawn_app_on(
    store: StoreLocation,
    key_encryption: KeyEncryption,
    directory: tempfile::TempDir,
) -> TestApp {
    // Webhooks may be registered for a host of the examples, which no
    // delivery tries to reach.
    let webhooks = agora::config::WebhookSettings {
        hosts: vec!["hooks.example.org".into()],
        internal_addresses: false,
        deliver: false,
    };
    spawn_app_with(store, key_encryption, directory, webhooks).await
}

/// Builds the service with these webhook settings.
pub async fn spawn_app_with(
    store: StoreLocation,
    key_encryption: KeyEncryption,
    directory: tempfile::TempDir,
    webhooks: agora::config::WebhookSettings,
) -> TestApp {
    let config = Config {
        store,
        listen: "127.0.0.1:0".parse().unwrap(),
        log_format: LogFormat::Text,
        log: "warn".into(),
        auth: AuthSettings::Secret(Secret::new(SECRET)),
        key_encryption,
        previous_key_encryption_key_file: None,
        read_only: false,
        webhooks,
    };
    let application = Application::build(&config).await.unwrap();
    let address = application.address();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        application
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    TestApp {
        address,
        client: reqwest::Client::new(),
        directory,
        stop: Some(stop),
        server: Some(server),
    }
}

pub fn store_path(directory: &tempfile::TempDir) -> PathBuf {
    directory.path().join("agora.db")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap()).await
}

/// Reads a problem response: checks its media type and returns its body.
pub async fn problem(response: Response, status: u16, rule: &str) -> Value {
    assert_eq!(response.status(), status, "expected {status} {rule}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["rule"], rule, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(
        body["type"],
        format!("https://agora-ledger.org/problems/{rule}")
    );
    body
}
