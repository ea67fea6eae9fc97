//! The web interface in a real browser: headless Chromium driven through
//! chromedriver by the W3C WebDriver protocol (a few JSON calls, sent with
//! the HTTP client the other tests use; see ADR 10). The journeys click and
//! type as people do; screenshots of the main pages are saved at phone and
//! laptop widths (in `target/screenshots`, or in `$AGORA_SCREENSHOTS`).
//!
//! Without Chromium and chromedriver (`apt-get install chromium
//! chromium-driver`) these tests say they were skipped, and pass, unless
//! `AGORA_REQUIRE_BROWSER` is set (CI sets it: there they must run).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{COMMUNITY, TestApp, operator, spawn_app};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const PHONE: (u32, u32) = (390, 844);
const LAPTOP: (u32, u32) = (1280, 900);
/// The narrowest width pages must read at without scrolling sideways
/// (WCAG 2.1, reflow).
const NARROWEST: (u32, u32) = (320, 640);

/// chromedriver, running for one test.
struct Driver {
    process: Child,
    url: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn find(program: &str, candidates: &[&str]) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|directory| directory.join(program))
            .find(|candidate| candidate.is_file())
    });
    from_path.or_else(|| {
        candidates
            .iter()
            .map(PathBuf::from)
            .find(|candidate| candidate.is_file())
    })
}

impl Driver {
    /// Starts chromedriver, or says why the test is skipped.
    async fn start(test: &str) -> Option<(Self, PathBuf)> {
        let driver = find("chromedriver", &["/usr/lib/chromium/chromedriver"]);
        let browser = find("chromium", &["/usr/lib/chromium/chromium"]);
        let (Some(driver), Some(browser)) = (driver, browser) else {
            assert!(
                std::env::var_os("AGORA_REQUIRE_BROWSER").is_none(),
                "{test}: AGORA_REQUIRE_BROWSER is set but chromium and chromedriver are missing"
            );
            eprintln!(
                "SKIPPED {test}: no chromium and chromedriver on this machine \
                 (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let this = Self {
            process,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if let Ok(status) = this.http.get(format!("{}/status", this.url)).send().await
                && status.status().is_success()
            {
                return Some((this, browser));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("webdriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    /// A new browser window.
    async fn open(&self, browser: &PathBuf, (width, height): (u32, u32)) -> Session<'_> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", format!("--window-size={width},{height}"),
                         "--lang=fr-FR"]
            }
        }}});
        let session = self
            .call(reqwest::Method::POST, "/session", Some(capabilities))
            .await;
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        Session { driver: self, id }
    }
}

/// One browser window.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/session/{}{path}", self.id),
                Some(body),
            )
            .await
    }

    async fn get(&self, path: &str) -> Value {
        self.driver
            .call(
                reqwest::Method::GET,
                &format!("/session/{}{path}", self.id),
                None,
            )
            .await
    }

    async fn go(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    async fn type_in(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.post(&format!("/element/{element}/clear"), json!({}))
            .await;
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let element = self.element(css).await;
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn source(&self) -> String {
        self.get("/source").await.as_str().unwrap().to_owned()
    }

    async fn resize(&self, (width, height): (u32, u32)) {
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    /// How wide the page is drawn, in CSS pixels.
    async fn page_width(&self) -> u64 {
        self.post(
            "/execute/sync",
            json!({"script": "return document.documentElement.scrollWidth;", "args": []}),
        )
        .await
        .as_u64()
        .unwrap()
    }

    /// How wide the window's viewport is, in CSS pixels.
    async fn viewport_width(&self) -> u64 {
        self.post(
            "/execute/sync",
            json!({"script": "return document.documentElement.clientWidth;", "args": []}),
        )
        .await
        .as_u64()
        .unwrap()
    }

    /// Saves a screenshot of the whole window as `name`.png.
    async fn screenshot(&self, name: &str) {
        let directory = std::env::var_os("AGORA_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
            });
        std::fs::create_dir_all(&directory).unwrap();
        let png = self.get("/screenshot").await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(directory.join(format!("{name}.png")), bytes).unwrap();
    }

    async fn close(self) {
        self.driver
            .call(
                reqwest::Method::DELETE,
                &format!("/session/{}", self.id),
                None,
            )
            .await;
    }
}

fn sign_in_url(app: &TestApp, token: &str) -> String {
    app.url(&format!("/connexion?jeton={token}"))
}

async fn balance(app: &TestApp, pioneer: &str) -> String {
    let account: Value = app
        .get(
            &app.path(&format!("/accounts/pioneer:{pioneer}")),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    account["balance"].as_str().unwrap().to_owned()
}

impl Session<'_> {
    /// Waits until the page the last click led to has loaded (a form
    /// posted, redirected, and the next page drawn), for up to 10 s.
    async fn settled(&self, from: &str) {
        for _ in 0..200 {
            let url = self.get("/url").await;
            let ready = self
                .post(
                    "/execute/sync",
                    json!({"script": "return document.readyState;", "args": []}),
                )
                .await;
            if url.as_str() != Some(from) && ready == "complete" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after {from}");
    }

    /// Follows a sign-in link, and waits for the page it moves on to.
    async fn sign_in(&self, link: &str) {
        self.go(link).await;
        self.settled(link).await;
    }

    /// Clicks a form's button and waits for the page it leads to.
    async fn submit(&self, button: &str) {
        let from = self.get("/url").await.as_str().unwrap().to_owned();
        self.click(button).await;
        self.settled(&from).await;
    }
}

#[tokio::test]
async fn a_pioneer_posts_a_listing_records_help_and_the_receiver_confirms_it() {
    let Some((driver, browser)) = Driver::start("browser journey: help").await else {
        return;
    };
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice Martin", 1).await;
    let bruno = app.member_in_good_standing("Bruno Petit", 1).await;

    let window = driver.open(&browser, PHONE).await;
    window
        .sign_in(&sign_in_url(&app, &app.pioneer_token(&alice)))
        .await;
    assert_eq!(window.text("h1").await, "Bonjour Alice Martin");

    window.go(&app.url(&format!("/c/{COMMUNITY}/marche"))).await;
    window.type_in("#titre", "Atelier compost").await;
    window
        .type_in("#texte", "Deux heures pour lancer votre bac")
        .await;
    window.type_in("#etiquettes", "compost, jardinage").await;
    window
        .submit("form[action$='/marche/annonces'] button")
        .await;
    assert!(window.source().await.contains("Votre annonce est publiée"));
    assert!(
        window
            .text("main .cards h2")
            .await
            .contains("Atelier compost")
    );
    window.screenshot("marche-telephone").await;
    window.resize(LAPTOP).await;
    window.screenshot("marche-ordinateur").await;
    window.resize(PHONE).await;

    window.go(&app.url(&format!("/c/{COMMUNITY}"))).await;
    window
        .click(&format!("#aide-qui option[value='{bruno}']"))
        .await;
    window.type_in("#aide-heures", "1").await;
    window.click("#aide-minutes option[value='30']").await;
    window.type_in("#aide-quoi", "Atelier compost").await;
    window.submit("form[action$='/aide'] button").await;
    assert!(window.source().await.contains("attend la confirmation"));
    window.close().await;

    let receiver = driver.open(&browser, PHONE).await;
    receiver
        .sign_in(&sign_in_url(&app, &app.pioneer_token(&bruno)))
        .await;
    let pending = receiver
        .text("section[aria-labelledby='a-confirmer']")
        .await;
    assert!(
        pending.contains("Alice Martin") && pending.contains("1 h 30"),
        "{pending}"
    );
    receiver.screenshot("accueil-telephone").await;
    receiver.submit("form[action$='/confirmer'] button").await;
    assert!(receiver.source().await.contains("L'échange est confirmé"));
    assert_eq!(receiver.text(".figure").await, "−1 h 30");
    assert_eq!(balance(&app, &alice).await, "1.50");
    assert_eq!(balance(&app, &bruno).await, "-1.50");
    receiver.resize(LAPTOP).await;
    receiver.screenshot("accueil-ordinateur").await;
    receiver
        .go(&app.url(&format!("/c/{COMMUNITY}/releve")))
        .await;
    assert!(receiver.text("table").await.contains("Alice Martin"));

    // Every page reads at 320 px without scrolling sideways.
    receiver.resize(NARROWEST).await;
    for page in [
        "",
        "/marche",
        "/releve",
        "/projets",
        "/assemblee",
        "/profil",
    ] {
        receiver
            .go(&app.url(&format!("/c/{COMMUNITY}{page}")))
            .await;
        let (drawn, viewport) = (receiver.page_width().await, receiver.viewport_width().await);
        assert!(viewport <= 320, "the window is {viewport} px wide");
        assert!(
            drawn <= viewport,
            "{page}: drawn {drawn} px wide in a {viewport} px viewport"
        );
    }
    receiver.close().await;
}

#[tokio::test]
async fn a_pioneer_ranks_the_choices_of_a_ballot() {
    let Some((driver, browser)) = Driver::start("browser journey: ranked ballot").await else {
        return;
    };
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice Martin", 1).await;
    for (title, concerned, cost) in [
        ("Four à pain partagé", 70, "4000.00"),
        ("Ateliers vélo", 45, "1200.00"),
    ] {
        let proposed = app
            .post(
                &app.path("/projects"),
                &app.pioneer_token(&alice),
                &json!({"title": title, "summary": "Pour tout le quartier"}),
            )
            .await;
        let location = proposed.headers()["location"].to_str().unwrap().to_owned();
        let scored = app
            .post(
                &format!("{location}/scores"),
                &operator(),
                &json!({"concerned_percent": concerned, "estimated_cost": cost, "self_financing_percent": 30}),
            )
            .await;
        assert_eq!(scored.status(), 200);
    }
    let closes_at = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let opened = app
        .post(
            &app.path("/ballots"),
            &operator(),
            &json!({
                "question": "Quel projet commun pour 2027 ?",
                "options": [
                    {"option_id": "four", "label": "Four à pain partagé"},
                    {"option_id": "velo", "label": "Ateliers vélo"}
                ],
                "method": "ranked",
                "closes_at": closes_at
            }),
        )
        .await;
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();
    let id = ballot.rsplit('/').next().unwrap().to_owned();

    let window = driver.open(&browser, PHONE).await;
    window
        .sign_in(&sign_in_url(&app, &app.pioneer_token(&alice)))
        .await;
    window
        .go(&app.url(&format!("/c/{COMMUNITY}/projets")))
        .await;
    assert!(window.text("main ol").await.contains("Four à pain partagé"));
    window.screenshot("projets-telephone").await;
    window
        .go(&app.url(&format!("/c/{COMMUNITY}/scrutins/{id}")))
        .await;
    window.click("#rang-velo option[value='1']").await;
    window.click("#rang-four option[value='2']").await;
    window.screenshot("scrutin-telephone").await;
    window.resize(LAPTOP).await;
    window.screenshot("scrutin-ordinateur").await;
    window.submit("form[action$='/vote'] button").await;
    assert!(window.source().await.contains("Votre vote est enregistré"));

    let closed = app
        .post(&format!("{ballot}/close"), &operator(), &json!({}))
        .await;
    assert_eq!(closed.status(), 200);
    window
        .go(&app.url(&format!("/c/{COMMUNITY}/scrutins/{id}")))
        .await;
    assert!(window.source().await.contains("Choix retenu"));
    window.resize(LAPTOP).await;
    window
        .go(&app.url(&format!("/c/{COMMUNITY}/projets")))
        .await;
    window.screenshot("projets-ordinateur").await;
    window.close().await;
}

/// A pioneer of the test community who also holds `role`.
async fn holder_of(app: &TestApp, name: &str, role: &str) -> String {
    let id = app.member_in_good_standing(name, 1).await;
    app.grant_role(&id, role).await;
    id
}

#[tokio::test]
async fn the_gardener_admits_and_scores_and_the_treasurer_pays_out_for_the_assembly() {
    let Some((driver, browser)) = Driver::start("browser journey: gardener and treasurer").await
    else {
        return;
    };
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice Martin", 1).await;
    let gardener = holder_of(&app, "Gaëlle Jardin", "gardener").await;
    let treasurer = holder_of(&app, "Théo Caisse", "treasurer").await;
    let proposed = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&alice),
            &json!({"title": "Four à pain partagé", "summary": "Pour tout le quartier"}),
        )
        .await;
    let project = proposed.headers()["location"].to_str().unwrap().to_owned();
    let project_id = project.rsplit('/').next().unwrap().to_owned();

    let window = driver.open(&browser, LAPTOP).await;
    let token = crate::helpers::token(
        &gardener,
        &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
    );
    window.sign_in(&sign_in_url(&app, &token)).await;
    window.go(&app.url(&format!("/c/{COMMUNITY}/jardin"))).await;
    window.type_in("#admis-nom", "Nour Petit").await;
    window.type_in("#admis-courriel", "nour@example.org").await;
    window
        .click("#critere-poetic_radiance option[value='5']")
        .await;
    window.type_in("#admis-territoire", "Die").await;
    window.screenshot("jardin-ordinateur").await;
    window
        .submit("form[action$='/jardin/admission'] button")
        .await;
    assert!(
        window
            .source()
            .await
            .contains("Le nouveau pionnier est admis")
    );
    window
        .click(&format!("#note-projet option[value='{project_id}']"))
        .await;
    window.type_in("#note-concernes", "70").await;
    window.type_in("#note-cout", "4 000").await;
    window.type_in("#note-autofinancement", "30").await;
    window.submit("form[action$='/jardin/notes'] button").await;
    assert!(window.source().await.contains("le classement a bougé"));
    window.close().await;
    let pioneers: Value = app
        .get(&app.path("/pioneers"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        pioneers
            .as_array()
            .unwrap()
            .iter()
            .any(|pioneer| pioneer["display_name"] == "Nour Petit")
    );

    app.post(
        &format!("{project}/status"),
        &operator(),
        &json!({"status": "selected"}),
    )
    .await;
    let window = driver.open(&browser, LAPTOP).await;
    let token = crate::helpers::token(
        &treasurer,
        &[agora_events::Role::Pioneer, agora_events::Role::Treasurer],
    );
    window.sign_in(&sign_in_url(&app, &token)).await;
    let page = app.url(&format!("/c/{COMMUNITY}/tresorerie"));
    window.go(&page).await;
    window.type_in("#recette-montant", "12 500,00").await;
    window.type_in("#recette-source", "Région").await;
    window.type_in("#recette-ref", "REG-2026-4").await;
    window
        .submit("form[action$='/tresorerie/recette'] button")
        .await;
    assert!(window.source().await.contains("La recette est enregistrée"));
    window.type_in("#attribution-montant", "10 950").await;
    window
        .type_in("#attribution-ref", "AG du 12 mars 2026")
        .await;
    window
        .submit("form[action$='/tresorerie/attribution'] button")
        .await;
    assert!(window.source().await.contains("Les fonds sont attribués"));
    window.type_in("#depense-montant", "2 450,00").await;
    window.type_in("#depense-qui", "Fournil du Diois").await;
    window.type_in("#depense-ref", "FAC-2026-118").await;
    window
        .submit("form[action$='/tresorerie/depense'] button")
        .await;
    assert!(window.source().await.contains("La dépense est enregistrée"));
    window.screenshot("tresorerie-ordinateur").await;

    window
        .go(&app.url(&format!("/c/{COMMUNITY}/assemblee")))
        .await;
    let funds = window.text("section[aria-labelledby='fonds']").await;
    assert!(
        funds.contains("Fournil du Diois") && funds.contains("FAC-2026-118"),
        "{funds}"
    );
    assert!(funds.contains("10\u{202f}950,00 €"), "{funds}");
    assert!(
        window
            .text("section[aria-labelledby='integrite']")
            .await
            .contains("intègre")
    );
    window.screenshot("assemblee-ordinateur").await;
    window.resize(PHONE).await;
    window.screenshot("assemblee-telephone").await;
    window.close().await;
}
