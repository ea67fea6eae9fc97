//! The web interface, driven as a browser without JavaScript would: a
//! sign-in link, a cookie, pages, forms posted with the CSRF token and the
//! key they were drawn with.

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{COMMUNITY, TestApp, operator, spawn_app};

/// A browser session: the cookie the sign-in link set.
pub(crate) struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl Browser {
    pub(crate) async fn sign_in(app: &TestApp, token: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let base = app.url("");
        let response = client
            .get(format!("{base}/connexion?jeton={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let page = response.text().await.unwrap();
        assert!(
            page.contains(&format!("url=/c/{COMMUNITY}")),
            "the sign-in page sends the visitor on: {page}"
        );
        Self {
            client,
            base,
            cookie,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// Posts the form of `page` that posts to `action`, with the CSRF token
    /// and the key it was drawn with, and `fields`.
    async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let csrf = field(page, action, "csrf");
        let key = field(page, action, "cle");
        let mut all = vec![("csrf", csrf.as_str()), ("cle", key.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Posts `fields` as a form to `path`, with the session's cookie.
    async fn send_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = fields
            .iter()
            .map(|(name, value)| format!("{name}={}", encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        self.client
            .request(Method::POST, format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form; answers the cookies it sets and where it redirects.
    async fn post_for_cookies(&self, path: &str, fields: &[(&str, &str)]) -> (Vec<String>, String) {
        let response = self.send_form(path, fields).await;
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        (cookies, location)
    }

    /// Posts a form; answers the status, where it redirects, and the page.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let response = self.send_form(path, fields).await;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The value of the first `name` field after `action`'s form opens.
fn field(page: &str, action: &str, name: &str) -> String {
    let form = page
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action} in {page}"));
    let rest = &page[form..];
    let start = rest
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in the form posting to {action}"))
        + format!("name=\"{name}\" value=\"").len();
    rest[start..start + rest[start..].find('"').unwrap()].to_owned()
}

fn home() -> String {
    format!("/c/{COMMUNITY}")
}

/// The `value` the field with id `id` of `page` is drawn with.
fn drawn_value(page: &str, id: &str) -> String {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no field {id} in {page}"));
    let tag = &page[at..at + page[at..].find('>').unwrap()];
    let start = tag
        .find(" value=\"")
        .unwrap_or_else(|| panic!("{id} drawn without a value: {tag}"))
        + " value=\"".len();
    tag[start..start + tag[start..].find('"').unwrap()].to_owned()
}

async fn two_members(app: &TestApp) -> (String, String) {
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    (alice, bruno)
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

async fn log_length(app: &TestApp) -> usize {
    let log: Value = app
        .get(&app.path("/log?limit=1000"), &operator())
        .await
        .json()
        .await
        .unwrap();
    log["events"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_sign_in_link_opens_the_pioneer_home_in_french() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;

    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (status, page) = browser.get(&home()).await;

    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Bonjour Alice"));
    assert!(page.contains("Mon solde de temps"));
    assert!(page.contains("Bruno"), "the other members can be chosen");
    assert!(page.contains("Lanceurs d&#39;avenir") || page.contains("Lanceurs d'avenir"));
}

#[tokio::test]
async fn pages_ask_to_sign_in_without_a_valid_session() {
    let app = spawn_app().await;
    two_members(&app).await;
    let client = reqwest::Client::new();

    let page = client.get(app.url(&home())).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    assert!(page.text().await.unwrap().contains("Connexion nécessaire"));

    let forged = client
        .get(app.url(&home()))
        .header(COOKIE, "agora_session=not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // Expired long ago, or a moment ago (within the leeway the token
    // check allows for clocks): no session either way.
    for ago in [-60, -5] {
        let expired = crate::helpers::token_with(COMMUNITY, "someone", &[], ago);
        let link = client
            .get(app.url(&format!("/connexion?jeton={expired}")))
            .send()
            .await
            .unwrap();
        assert_eq!(link.status(), StatusCode::UNAUTHORIZED, "{ago} s");
        assert!(link.headers().get(SET_COOKIE).is_none());
    }
}

#[tokio::test]
async fn an_operator_link_opens_no_member_session() {
    let app = spawn_app().await;
    two_members(&app).await;

    let response = reqwest::Client::new()
        .get(app.url(&format!("/connexion?jeton={}", operator())))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn help_given_waits_for_the_receiver_then_moves_both_balances() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    let helper = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (_, page) = helper.get(&home()).await;
    let action = format!("/c/{COMMUNITY}/aide");

    let (status, location, _) = helper
        .submit(
            &page,
            &action,
            &[
                ("receiver", &bruno),
                ("heures", "1"),
                ("minutes", "30"),
                ("description", "Réparé le vélo"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/c/{COMMUNITY}?fait=aide"));
    assert_eq!(balance(&app, &alice).await, "0.00", "nothing moves yet");

    let receiver = Browser::sign_in(&app, &app.pioneer_token(&bruno)).await;
    let (_, page) = receiver.get(&home()).await;
    assert!(page.contains("Alice"), "{page}");
    assert!(page.contains("1\u{a0}h\u{a0}30"), "hours in French: {page}");
    let start = page.find("/echanges/").unwrap();
    let confirm = page[start - format!("/c/{COMMUNITY}").len()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(confirm.ends_with("/confirmer"), "{confirm}");
    let (status, location, _) = receiver.submit(&page, &confirm, &[]).await;

    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert_eq!(balance(&app, &alice).await, "1.50");
    assert_eq!(balance(&app, &bruno).await, "-1.50");
    let (_, page) = helper.get(&format!("/c/{COMMUNITY}/releve")).await;
    assert!(
        page.contains("Bruno") && page.contains("1\u{a0}h\u{a0}30"),
        "{page}"
    );
}

#[tokio::test]
async fn a_form_posted_twice_records_once() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (_, page) = browser.get(&home()).await;
    let action = format!("/c/{COMMUNITY}/virements");
    let csrf = field(&page, &action, "csrf");
    let key = field(&page, &action, "cle");
    let fields = [
        ("csrf", csrf.as_str()),
        ("cle", key.as_str()),
        ("payee", bruno.as_str()),
        ("heures", "2"),
        ("minutes", "0"),
        ("memo", "merci"),
    ];

    let first = browser.post(&action, &fields).await;
    let events = log_length(&app).await;
    let second = browser.post(&action, &fields).await;

    assert_eq!(first.0, StatusCode::SEE_OTHER);
    assert_eq!(second.0, StatusCode::SEE_OTHER);
    assert_eq!(
        log_length(&app).await,
        events,
        "the second post records nothing"
    );
    assert_eq!(balance(&app, &bruno).await, "2.00");
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_records_nothing() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let events = log_length(&app).await;

    let (status, _, page) = browser
        .post(
            &format!("/c/{COMMUNITY}/virements"),
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("cle", "forged-1"),
                ("payee", &bruno),
                ("heures", "2"),
                ("minutes", "0"),
                ("memo", ""),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("rechargez la page"), "{page}");
    assert_eq!(log_length(&app).await, events);
}

#[tokio::test]
async fn a_refusal_is_told_in_french_beside_its_form() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (_, page) = browser.get(&home()).await;
    let action = format!("/c/{COMMUNITY}/virements");
    let events = log_length(&app).await;

    // Giving hours to oneself: the form does not offer it, a crafted post does.
    let key = field(&page, &action, "cle");
    let (status, _, page) = browser
        .submit(
            &page,
            &action,
            &[
                ("payee", &alice),
                ("heures", "2"),
                ("minutes", "30"),
                ("memo", "pour le <vélo> & \"le reste\""),
            ],
        )
        .await;

    assert!(status.is_client_error(), "{status}");
    assert!(
        page.contains("Vous ne pouvez pas vous donner des heures à vous-même"),
        "{page}"
    );
    assert!(
        page.contains("class=\"field-error\""),
        "beside the form: {page}"
    );
    // The form is drawn again with what was typed, escaped, and a new key.
    assert_eq!(drawn_value(&page, "don-heures"), "2");
    assert!(
        page.contains("<option value=\"30\" selected>30</option>"),
        "{page}"
    );
    assert_eq!(
        drawn_value(&page, "don-mot"),
        "pour le &#60;vélo&#62; &#38; &#34;le reste&#34;"
    );
    assert_ne!(field(&page, &action, "cle"), key);
    // The other form of the page is drawn as new.
    assert_eq!(drawn_value(&page, "aide-heures"), "1");
    assert_eq!(drawn_value(&page, "aide-quoi"), "");
    assert_eq!(log_length(&app).await, events);
}

#[tokio::test]
async fn the_marketplace_publishes_and_finds_listings_by_skill() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    let author = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let market = format!("/c/{COMMUNITY}/marche");
    let (_, page) = author.get(&market).await;
    let action = format!("{market}/annonces");

    let (status, location, _) = author
        .submit(
            &page,
            &action,
            &[
                ("sorte", "offre"),
                ("titre", "Atelier compost"),
                ("description", "Deux heures le samedi"),
                ("etiquettes", "Compost, jardinage"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{market}?fait=annonce"));

    let reader = Browser::sign_in(&app, &app.pioneer_token(&bruno)).await;
    let (_, found) = reader.get(&format!("{market}?etiquette=compost")).await;
    let (_, missed) = reader.get(&format!("{market}?etiquette=plomberie")).await;
    let (_, requests) = reader.get(&format!("{market}?sorte=demande")).await;
    assert!(found.contains("Atelier compost") && found.contains("Alice"));
    assert!(!missed.contains("Atelier compost"));
    assert!(!requests.contains("Atelier compost"));
}

#[tokio::test]
async fn signing_out_clears_the_cookie() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (_, page) = browser.get(&home()).await;

    let response = browser
        .client
        .post(format!("{}/deconnexion", browser.base))
        .header(COOKIE, &browser.cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf={}", field(&page, "/deconnexion", "csrf")))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let cleared = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("agora_session=;") && cleared.contains("Max-Age=0"));
}

#[tokio::test]
async fn the_projects_page_explains_the_ranking_and_takes_proposals() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let projects = format!("/c/{COMMUNITY}/projets");
    let (_, page) = browser.get(&projects).await;
    assert!(page.contains("Pionniers concernés") || page.contains("pionniers concernés"));

    let (status, location, _) = browser
        .submit(
            &page,
            &projects,
            &[
                ("titre", "Four à pain partagé"),
                ("resume", "Un four dans la cour de l'école"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{projects}?fait=projet"));

    let listed: Value = app
        .get(&app.path("/projects"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let project = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|project| project["title"] == "Four à pain partagé")
        .expect("proposed through the page");
    let id = project["id"].as_str().unwrap();
    let scored = app
        .post(
            &app.path(&format!("/projects/{id}/scores")),
            &operator(),
            &serde_json::json!({"concerned_percent": 60, "estimated_cost": "5000.00", "self_financing_percent": 20}),
        )
        .await;
    assert_eq!(scored.status(), 200, "{}", scored.text().await.unwrap());

    let (_, page) = browser.get(&projects).await;
    assert!(page.contains("Four à pain partagé"));
    // 60 % of pioneers concerned, weighed 40 %: 24 points of 100.
    assert!(page.contains("60&nbsp;% → 24,0 points"), "{page}");
    assert!(
        page.contains("5\u{202f}000,00\u{a0}€"),
        "the cost in French: {page}"
    );
}

#[tokio::test]
async fn a_pioneer_votes_by_ranking_and_reads_only_the_result() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    let closes_at = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let opened = app
        .post(
            &app.path("/ballots"),
            &operator(),
            &serde_json::json!({
                "question": "Quelle fête ?",
                "options": [
                    {"option_id": "bal", "label": "Un bal"},
                    {"option_id": "pique-nique", "label": "Un pique-nique"},
                    {"option_id": "concert", "label": "Un concert"}
                ],
                "method": "ranked",
                "closes_at": closes_at
            }),
        )
        .await;
    assert_eq!(opened.status(), 201);
    let ballot = opened.headers()["location"].to_str().unwrap().to_owned();
    let id = ballot.rsplit('/').next().unwrap().to_owned();
    let page_path = format!("/c/{COMMUNITY}/scrutins/{id}");
    let action = format!("{page_path}/vote");

    let voter = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (_, home_page) = voter.get(&home()).await;
    assert!(home_page.contains("Quelle fête ?") && home_page.contains(&page_path));
    let (_, page) = voter.get(&page_path).await;
    let csrf = field(&page, &action, "csrf");

    // Two choices of the same rank say no order: refused, nothing recorded.
    let events = log_length(&app).await;
    let (status, _, refused) = voter
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("cle", &field(&page, &action, "cle")),
                ("rang_bal", "1"),
                ("rang_concert", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("rang différent"), "{refused}");
    assert_eq!(log_length(&app).await, events);

    let (status, location, _) = voter
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("cle", &field(&page, &action, "cle")),
                ("rang_concert", "1"),
                ("rang_bal", "2"),
                ("rang_pique-nique", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{page_path}?fait=vote"));
    let bruno_votes = app
        .post(
            &format!("{ballot}/votes"),
            &app.pioneer_token(&bruno),
            &serde_json::json!({"choice": {"method": "ranked", "ranking": ["concert"]}}),
        )
        .await;
    assert_eq!(bruno_votes.status(), 200);

    let (_, during) = voter.get(&page_path).await;
    assert!(during.contains("Changer mon vote"));
    assert!(during.contains("2 votant(s)"), "{during}");

    let closed = app
        .post(
            &format!("{ballot}/close"),
            &operator(),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(closed.status(), 200, "{}", closed.text().await.unwrap());
    let (_, after) = voter.get(&page_path).await;
    assert!(
        after.contains("Choix retenu&nbsp;: <strong>Un concert</strong>"),
        "{after}"
    );
    assert!(!after.contains("name=\"cle\""), "no form once closed");
}

#[tokio::test]
async fn the_assembly_page_checks_the_chain_and_follows_the_funds() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let proposal = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&alice),
            &serde_json::json!({"title": "Jardin partagé", "summary": "…"}),
        )
        .await;
    let project = proposal.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let steps = [
        (
            format!("/projects/{project}/status"),
            serde_json::json!({"status": "selected"}),
        ),
        (
            "/funds/receipts".to_owned(),
            serde_json::json!({"amount": "12500.00", "source": "Région", "reference": "REG-1"}),
        ),
        (
            format!("/projects/{project}/allocations"),
            serde_json::json!({"amount": "10950.00", "decision": {"kind": "assembly", "reference": "AG du 12 mars"}}),
        ),
        (
            format!("/projects/{project}/expenses"),
            serde_json::json!({"amount": "450.00", "payee": "Pépinière", "reference": "FAC-7"}),
        ),
    ];
    for (path, body) in steps {
        let answer = app.post(&app.path(&path), &operator(), &body).await;
        assert!(
            answer.status().is_success(),
            "{path}: {}",
            answer.text().await.unwrap()
        );
    }
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;

    let (status, page) = browser.get(&format!("/c/{COMMUNITY}/assemblee")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Le registre est intègre"), "{page}");
    assert!(page.contains("✓ La somme de tous les soldes de temps est nulle"));
    assert!(
        page.contains("10\u{202f}950,00\u{a0}€"),
        "allocated, in French: {page}"
    );
    assert!(
        page.contains("Fonds attribués et dépensés par projet"),
        "a chart of the funds"
    );
    // Two members paid one 50 € share each: the capital went up to 100 €.
    assert!(page.contains("Le capital au fil du temps"), "{page}");
    assert!(
        page.contains("à 100,00\u{a0}€ aujourd&#39;hui")
            || page.contains("à 100,00\u{a0}€ aujourd'hui"),
        "{page}"
    );
    assert!(page.contains("Pépinière") && page.contains("FAC-7"));

    let (status, report) = browser
        .get(&format!("/c/{COMMUNITY}/assemblee/rapport?du=&au="))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("Rapport à l'assemblée générale"));
    let (status, _) = browser
        .get(&format!(
            "/c/{COMMUNITY}/assemblee/rapport?du=2026-12-31&au=2026-01-01"
        ))
        .await;
    assert!(status.is_client_error(), "{status}");

    let (status, history) = browser
        .get(&format!("/c/{COMMUNITY}/historique?id={project}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains("Projet proposé") && history.contains("Dépense"));
    let (status, _) = browser
        .get(&format!(
            "/c/{COMMUNITY}/historique?id={}",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_treasurer_records_money_in_and_out_and_the_assembly_sees_it() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    app.grant_role(&bruno, "treasurer").await;
    let proposal = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&alice),
            &serde_json::json!({"title": "Jardin partagé", "summary": "…"}),
        )
        .await;
    let project = proposal.headers()["location"].to_str().unwrap().to_owned();
    app.post(
        &format!("{project}/status"),
        &operator(),
        &serde_json::json!({"status": "selected"}),
    )
    .await;

    let member = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (status, _) = member.get(&format!("/c/{COMMUNITY}/tresorerie")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the treasurer");

    let treasurer_token = crate::helpers::token(
        &bruno,
        &[agora_events::Role::Pioneer, agora_events::Role::Treasurer],
    );
    let treasurer = Browser::sign_in(&app, &treasurer_token).await;
    let page_path = format!("/c/{COMMUNITY}/tresorerie");
    let (status, page) = treasurer.get(&page_path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Trésorerie") && page.contains("Registre des parts"));

    let receipt = format!("{page_path}/recette");
    let events = log_length(&app).await;
    let (status, _, refused) = treasurer
        .submit(
            &page,
            &receipt,
            &[
                ("montant", "douze euros"),
                ("source", "Région"),
                ("reference", "REG-1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Écrivez un montant en euros"), "{refused}");
    assert_eq!(drawn_value(&refused, "recette-montant"), "douze euros");
    assert_eq!(drawn_value(&refused, "recette-source"), "Région");
    assert_eq!(drawn_value(&refused, "recette-ref"), "REG-1");
    assert_eq!(log_length(&app).await, events);

    let (status, _, _) = treasurer
        .submit(
            &page,
            &receipt,
            &[
                ("montant", "12 500,00"),
                ("source", "Région"),
                ("reference", "REG-1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (_, page) = treasurer.get(&page_path).await;
    let allocation = format!("{page_path}/attribution");
    let (status, _, _) = treasurer
        .submit(
            &page,
            &allocation,
            &[
                ("projet", project.rsplit('/').next().unwrap()),
                ("montant", "2 000"),
                ("decision", "assemblee"),
                ("reference", "AG du 12 mars 2026"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A budget for the project: the expense then names one of its lines.
    let budget = serde_json::json!({
        "lines": [{"code": "plants", "label": "Plants et semences", "forecast": "400.00"}],
        "reason": "AG du 12 mars 2026",
    });
    let set = app
        .send(
            reqwest::Method::PUT,
            &app.path(&format!(
                "/projects/{}/budget",
                project.rsplit('/').next().unwrap()
            )),
            Some(&crate::helpers::operator()),
            Some(&budget),
        )
        .await;
    assert_eq!(set.status(), 200);
    let (_, page) = treasurer.get(&page_path).await;
    assert!(page.contains("Ligne budgétaire") && page.contains("Plants et semences"));
    let expense = format!("{page_path}/depense");
    let chosen = page
        .split("name=\"attribution\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let events = log_length(&app).await;
    let (status, _, refused) = treasurer
        .submit(
            &page,
            &expense,
            &[
                ("attribution", &chosen),
                ("montant", "450,00"),
                ("beneficiaire", "Pépinière du Vercors"),
                ("reference", "FAC-7"),
                ("ligne", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("choisissez la ligne budgétaire"),
        "{refused}"
    );
    assert_eq!(log_length(&app).await, events);
    let (status, _, _) = treasurer
        .submit(
            &page,
            &expense,
            &[
                ("attribution", &chosen),
                ("montant", "450,00"),
                ("beneficiaire", "Pépinière du Vercors"),
                ("reference", "FAC-7"),
                ("ligne", "plants"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = treasurer.get(&page_path).await;
    assert!(
        page.contains("Budgets : prévisionnel et réalisé") && page.contains("(dépassement)"),
        "450 € spent on a 400 € line: {page}"
    );

    let (_, assembly) = member.get(&format!("/c/{COMMUNITY}/assemblee")).await;
    assert!(assembly.contains("Pépinière du Vercors") && assembly.contains("FAC-7"));
    assert!(assembly.contains("2\u{202f}000,00\u{a0}€"), "{assembly}");
    assert!(assembly.contains("450,00\u{a0}€"));
}

#[tokio::test]
async fn the_gardener_admits_scores_opens_and_closes_from_the_page() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    app.grant_role(&bruno, "gardener").await;
    let proposal = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&alice),
            &serde_json::json!({"title": "Four à pain", "summary": "…"}),
        )
        .await;
    let project = proposal.headers()["location"].to_str().unwrap().to_owned();
    let project = project.rsplit('/').next().unwrap().to_owned();

    let member = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (status, _) = member.get(&format!("/c/{COMMUNITY}/jardin")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the gardener");

    let gardener_token = crate::helpers::token(
        &bruno,
        &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
    );
    let gardener = Browser::sign_in(&app, &gardener_token).await;
    let page_path = format!("/c/{COMMUNITY}/jardin");
    let (status, page) = gardener.get(&page_path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Rayonnement poétique"));

    let admission = format!("{page_path}/admission");
    let mut fields = vec![
        ("csrf".to_owned(), field(&page, &admission, "csrf")),
        ("cle".to_owned(), field(&page, &admission, "cle")),
        ("nom".to_owned(), "Chloé Roux".to_owned()),
        ("courriel".to_owned(), "chloe@example.org".to_owned()),
        ("contact".to_owned(), String::new()),
        ("college".to_owned(), "founders".to_owned()),
        ("competences".to_owned(), "vélo, cuisine".to_owned()),
        ("territoire".to_owned(), "Die".to_owned()),
    ];
    for criterion in [
        "scale_of_impact",
        "degree_of_information",
        "connections_produced",
        "care_for_the_living",
        "poetic_radiance",
        "social_innovation",
        "engagement",
    ] {
        fields.push((criterion.to_owned(), "4".to_owned()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    // Refused for a blank name, the form comes back as it was filled in.
    let mut blank = borrowed.clone();
    blank[2].1 = " ";
    blank[6].1 = "vélo, <cuisine>";
    let (status, _, refused) = gardener.post(&admission, &blank).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(drawn_value(&refused, "admis-courriel"), "chloe@example.org");
    assert_eq!(
        drawn_value(&refused, "admis-competences"),
        "vélo, &#60;cuisine&#62;"
    );
    let engagement = &refused[refused.find("id=\"critere-engagement\"").unwrap()..];
    let engagement = &engagement[..engagement.find("</select>").unwrap()];
    assert!(
        engagement.contains("<option value=\"4\" selected>")
            && !engagement.contains("3\" selected"),
        "the score chosen, not the default: {engagement}"
    );
    let (status, location, _) = gardener.post(&admission, &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{page_path}?fait=admission"));
    let pioneers: Value = app
        .get(&app.path("/pioneers"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let chloe = pioneers
        .as_array()
        .unwrap()
        .iter()
        .find(|pioneer| pioneer["display_name"] == "Chloé Roux")
        .expect("admitted through the page");
    assert_eq!(chloe["admission_scores"]["poetic_radiance"], 4);
    assert_eq!(chloe["territory"], "Die");

    let (_, page) = gardener.get(&page_path).await;
    let scores = format!("{page_path}/notes");
    let (status, _, _) = gardener
        .submit(
            &page,
            &scores,
            &[
                ("projet", &project),
                ("concernes", "80"),
                ("cout", "3 000,00"),
                ("autofinancement", "50"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let ranking: Value = app
        .get(&app.path("/ranking"), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ranking["ranking"][0]["title"], "Four à pain");

    let (_, page) = gardener.get(&page_path).await;
    let ballots = format!("{page_path}/scrutins");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let (status, _, _) = gardener
        .submit(
            &page,
            &ballots,
            &[
                ("question", "Quel jour pour la fête ?"),
                ("choix", "Samedi\nDimanche\n"),
                ("methode", "single"),
                ("fin", &tomorrow),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = gardener.get(&page_path).await;
    assert!(page.contains("Quel jour pour la fête ?"));
    let close_action = page
        .split("action=\"")
        .map(|rest| rest.split('"').next().unwrap())
        .find(|action| action.ends_with("/clore"))
        .unwrap()
        .to_owned();
    let (status, _, _) = gardener.submit(&page, &close_action, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = gardener.get(&page_path).await;
    assert!(!page.contains("/clore"), "no ballot left open");
}

#[tokio::test]
async fn a_pioneer_keeps_their_profile_shares_and_charter_and_can_leave() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let path = format!("/c/{COMMUNITY}/profil");
    let (status, page) = browser.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Vous avez accepté la charte en vigueur"),
        "{page}"
    );
    assert!(page.contains("value=\"Alice\""));

    let (status, _, _) = browser
        .post(
            &path,
            &[
                ("csrf", &field(&page, &path, "csrf")),
                ("cle", &field(&page, &path, "cle")),
                ("nom", "Alice Martin"),
                ("bio", "Jardinière"),
                ("competences", "Compost, Vélo"),
                ("territoire", "Crest"),
                ("courriel", "alice@example.org"),
                ("contact", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let shown: Value = app
        .get(&app.path(&format!("/pioneers/{alice}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["display_name"], "Alice Martin");
    assert_eq!(shown["skills"], serde_json::json!(["compost", "vélo"]));
    assert_eq!(shown["territory"], "Crest");

    let (_, page) = browser.get(&path).await;
    let shares = format!("{path}/parts");
    let (status, _, _) = browser.submit(&page, &shares, &[("parts", "2")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = browser.get(&path).await;
    assert!(page.contains("sur 3 souscrite(s)"), "{page}");
    assert!(page.contains("100,00\u{a0}€ restent à verser"), "{page}");

    let mut statutes = crate::helpers::statutes();
    statutes["charter_version"] = "2027-01".into();
    let amended = app
        .send(
            Method::PUT,
            &app.path("/statutes"),
            Some(&operator()),
            Some(&serde_json::json!({"statutes": statutes, "reason": "AG 2027"})),
        )
        .await;
    assert_eq!(amended.status(), 200, "{}", amended.text().await.unwrap());
    let (_, page) = browser.get(&path).await;
    let charter = format!("{path}/charte");
    assert!(page.contains("<strong>2027-01</strong>"), "{page}");
    let (status, _, _) = browser
        .submit(
            &page,
            &charter,
            &[("version", "2027-01"), ("accepte", "oui")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = browser.get(&path).await;
    assert!(page.contains("Vous avez accepté la charte en vigueur (version 2027-01)"));

    let leave = format!("{path}/depart");
    let (status, _, refused) = browser.submit(&page, &leave, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unconfirmed");
    assert!(refused.contains("confirmer votre départ"));
    let (status, _, goodbye) = browser
        .post(
            &leave,
            &[
                ("csrf", &field(&page, &leave, "csrf")),
                ("cle", &field(&page, &leave, "cle")),
                ("confirme", "oui"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(goodbye.contains("Vous avez quitté la communauté"));
    let gone: Value = app
        .get(&app.path(&format!("/pioneers/{alice}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(gone["membership"]["status"], "left", "{gone}");
    let (status, _) = browser.get(&home()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the pages are for members");
}

#[tokio::test]
async fn a_form_key_used_on_another_item_is_refused_not_taken_for_a_retry() {
    let app = spawn_app().await;
    let (_, bruno) = two_members(&app).await;
    app.grant_role(&bruno, "gardener").await;
    let closes_at = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let mut ballots = Vec::new();
    for question in ["Première question ?", "Seconde question ?"] {
        let opened = app
            .post(
                &app.path("/ballots"),
                &operator(),
                &serde_json::json!({
                    "question": question,
                    "options": [{"option_id": "oui", "label": "Oui"}, {"option_id": "non", "label": "Non"}],
                    "method": "single",
                    "closes_at": closes_at
                }),
            )
            .await;
        let location = opened.headers()["location"].to_str().unwrap().to_owned();
        ballots.push(location.rsplit('/').next().unwrap().to_owned());
    }
    let token = crate::helpers::token(
        &bruno,
        &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
    );
    let gardener = Browser::sign_in(&app, &token).await;
    let (_, page) = gardener.get(&format!("/c/{COMMUNITY}/jardin")).await;
    let first = format!("/c/{COMMUNITY}/jardin/scrutins/{}/clore", ballots[0]);
    let second = format!("/c/{COMMUNITY}/jardin/scrutins/{}/clore", ballots[1]);
    let csrf = field(&page, &first, "csrf");
    let key = field(&page, &first, "cle");

    let (status, _, _) = gardener
        .post(&first, &[("csrf", &csrf), ("cle", &key)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = gardener
        .post(&second, &[("csrf", &csrf), ("cle", &key)])
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("déjà servi pour une autre demande"), "{page}");
    let second_ballot: Value = app
        .get(&app.path(&format!("/ballots/{}", ballots[1])), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second_ballot["status"], "open", "{second_ballot}");
}

#[tokio::test]
async fn a_pioneer_without_the_role_cannot_post_to_a_role_page() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (_, page) = browser.get(&home()).await;
    let csrf = field(&page, "/deconnexion", "csrf");
    let events = log_length(&app).await;

    for (path, fields) in [
        (
            format!("/c/{COMMUNITY}/tresorerie/recette"),
            vec![("montant", "100"), ("source", "moi"), ("reference", "x")],
        ),
        (
            format!("/c/{COMMUNITY}/jardin/exclusion"),
            vec![("membre", alice.as_str()), ("raison", "pour voir")],
        ),
    ] {
        let mut all = vec![("csrf", csrf.as_str()), ("cle", "essai-1")];
        all.extend(fields);
        let (status, _, page) = browser.post(&path, &all).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {page}");
        assert!(page.contains("Votre rôle ne permet pas cela"), "{page}");
    }
    assert_eq!(log_length(&app).await, events);
}

#[tokio::test]
async fn a_bad_address_is_a_french_page_never_a_crash() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;

    for path in [
        format!("/c/{COMMUNITY}/historique"),
        format!("/c/{COMMUNITY}/historique?id=pas-un-id"),
        format!("/c/{COMMUNITY}/marche?sorte=a&sorte=b"),
        format!("/c/{COMMUNITY}?fait=a&fait=b"),
        format!("/c/{COMMUNITY}/releve?depuis=-1"),
        format!("/c/{COMMUNITY}/scrutins/pas-un-id"),
        format!("/c/{COMMUNITY}/assemblee/rapport?du=hier"),
    ] {
        let (status, page) = browser.get(&path).await;
        assert!(status.is_client_error(), "{path}: {status}");
        assert!(page.contains("<html lang=\"fr\">"), "{path}: {page}");
    }
    // Far past the end of the statement: its last page, not an overflow.
    let (status, page) = browser
        .get(&format!("/c/{COMMUNITY}/releve?depuis={}", u64::MAX))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
}

/// Two instances on one PostgreSQL store: a form posted through one leads
/// back to a page that shows it, whichever instance draws the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_to_one_instance_shows_on_the_page_the_other_draws() {
    let Some(url) = crate::support::postgres::fresh_schema().await else {
        return;
    };
    let a = crate::helpers::spawn_instance(&url).await;
    let b = crate::helpers::spawn_instance(&url).await;
    let (alice, _) = two_members(&a).await;
    let through_a = Browser::sign_in(&a, &a.pioneer_token(&alice)).await;
    let through_b = Browser::sign_in(&b, &b.pioneer_token(&alice)).await;
    let projects = format!("/c/{COMMUNITY}/projets");
    let (_, page) = through_a.get(&projects).await;

    let (cookies, location) = through_a
        .post_for_cookies(
            &projects,
            &[
                ("csrf", &field(&page, &projects, "csrf")),
                ("cle", &field(&page, &projects, "cle")),
                ("titre", "Four à pain partagé"),
                ("resume", "Un four dans la cour de l'école"),
            ],
        )
        .await;

    let log: Value = a
        .get(&a.path("/log?limit=1000"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let recorded = log["events"].as_array().unwrap().last().unwrap()["revision"]
        .as_u64()
        .unwrap();
    let seen = cookies
        .iter()
        .find(|cookie| cookie.starts_with("agora_vu="))
        .expect("the answer says which revision the form recorded");
    assert!(seen.starts_with(&format!("agora_vu={recorded};")), "{seen}");
    assert!(seen.contains(&format!("Path=/c/{COMMUNITY}")), "{seen}");
    assert!(
        seen.contains("HttpOnly") && seen.contains("SameSite=Strict"),
        "{seen}"
    );
    let page = through_b
        .client
        .get(format!("{}{location}", through_b.base))
        .header(
            COOKIE,
            format!("{}; {}", through_b.cookie, seen.split(';').next().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Four à pain partagé"), "{page}");
}

/// The gardener's page lists the latest completed exchanges they may
/// reverse (read from the store's list, the state holding none), never one
/// they took part in, and a reversed one no longer.
#[tokio::test]
async fn the_gardener_reverses_completed_exchanges_listed_from_the_log() {
    let app = spawn_app().await;
    let (alice, bruno) = two_members(&app).await;
    let clara = app.member_in_good_standing("Clara", 1).await;
    app.grant_role(&clara, "gardener").await;
    let exchange = |provider: &str, receiver: &str, description: &str| {
        let app = &app;
        let (provider, receiver) = (provider.to_owned(), receiver.to_owned());
        let description = description.to_owned();
        async move {
            let recorded: Value = app
                .post(
                    &app.path("/exchanges"),
                    &app.pioneer_token(&provider),
                    &serde_json::json!({"receiver": format!("pioneer:{receiver}"), "hours": "1",
                        "description": description}),
                )
                .await
                .json()
                .await
                .unwrap();
            let id = recorded["events"][0]["data"]["exchange_id"]
                .as_str()
                .unwrap()
                .to_owned();
            let confirmed = app
                .post(
                    &app.path(&format!("/exchanges/{id}/confirm")),
                    &app.pioneer_token(&receiver),
                    &serde_json::json!({}),
                )
                .await;
            assert_eq!(confirmed.status(), 200);
            id
        }
    };
    let theirs = exchange(&alice, &bruno, "Taille de haies").await;
    let own = exchange(&clara, &alice, "Cours de cuisine").await;
    let token = crate::helpers::token(
        &clara,
        &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
    );
    let gardener = Browser::sign_in(&app, &token).await;
    let (_, page) = gardener.get(&format!("/c/{COMMUNITY}/jardin")).await;
    let reverse = |id: &str| format!("/c/{COMMUNITY}/jardin/echanges/{id}/annulation");

    assert!(page.contains(&reverse(&theirs)), "{page}");
    assert!(page.contains("Taille de haies"), "{page}");
    assert!(
        !page.contains(&reverse(&own)),
        "never one they took part in"
    );
    let csrf = field(&page, &reverse(&theirs), "csrf");
    let key = field(&page, &reverse(&theirs), "cle");
    let (status, _, _) = gardener
        .post(
            &reverse(&theirs),
            &[
                ("csrf", &csrf),
                ("cle", &key),
                ("raison", "Saisie en double"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, after) = gardener.get(&format!("/c/{COMMUNITY}/jardin")).await;
    assert!(!after.contains(&reverse(&theirs)), "{after}");
    assert_eq!(balance(&app, &alice).await, "-1.00");
}

#[tokio::test]
async fn the_gardener_decides_applications_from_the_page() {
    let app = spawn_app().await;
    let (_, bruno) = two_members(&app).await;
    app.grant_role(&bruno, "gardener").await;
    let apply = |name: &str| {
        let app = &app;
        let candidate = uuid::Uuid::now_v7().to_string();
        let body = serde_json::json!({"display_name": name, "project": format!("Le projet de {name}"), "territory": "Die"});
        async move {
            let token = crate::helpers::token(&candidate, &[agora_events::Role::Candidate]);
            let submitted = app.post(&app.path("/applications"), &token, &body).await;
            assert_eq!(submitted.status(), 201);
            candidate
        }
    };
    let chloe = apply("Chloé Roux").await;
    let denis = apply("Denis Martin").await;

    let gardener_token = crate::helpers::token(
        &bruno,
        &[agora_events::Role::Pioneer, agora_events::Role::Gardener],
    );
    let gardener = Browser::sign_in(&app, &gardener_token).await;
    let page_path = format!("/c/{COMMUNITY}/jardin");
    let (_, page) = gardener.get(&page_path).await;
    assert!(page.contains("Candidatures") && page.contains("Chloé Roux — Die"));
    assert!(page.contains("Le projet de Denis Martin"));

    let admission = format!("{page_path}/candidatures/{chloe}/admission");
    let mut fields = vec![
        ("csrf".to_owned(), field(&page, &admission, "csrf")),
        ("cle".to_owned(), field(&page, &admission, "cle")),
        ("college".to_owned(), "founders".to_owned()),
    ];
    for criterion in [
        "scale_of_impact",
        "degree_of_information",
        "connections_produced",
        "care_for_the_living",
        "poetic_radiance",
        "social_innovation",
        "engagement",
    ] {
        fields.push((criterion.to_owned(), "4".to_owned()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let (status, _, _) = gardener.post(&admission, &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let member: Value = app
        .get(&app.path(&format!("/pioneers/{chloe}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["display_name"], "Chloé Roux");
    assert_eq!(member["admission_scores"]["engagement"], 4);

    let (_, page) = gardener.get(&page_path).await;
    assert!(!page.contains("Chloé Roux — Die"), "decided: off the page");
    // Admitted, she has yet to accept the charter and pay a share.
    assert!(
        page.contains("<strong>Chloé Roux</strong> : charte en vigueur non acceptée depuis le")
            && page.contains("aucune part libérée depuis le"),
        "{page}"
    );
    let refusal = format!("{page_path}/candidatures/{denis}/refus");
    let events = log_length(&app).await;
    let (status, _, refused) = gardener.submit(&page, &refusal, &[("raison", "   ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Denis Martin"), "the page is drawn again");
    assert_eq!(log_length(&app).await, events);
    let (status, _, _) = gardener
        .submit(&page, &refusal, &[("raison", "Projet hors du champ")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let application: Value = app
        .get(&app.path(&format!("/applications/{denis}")), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(application["status"], "declined");
    assert_eq!(application["reason"], "Projet hors du champ");
}

#[tokio::test]
async fn members_read_the_cooperatives_life_on_the_assembly_page() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let held_at = chrono::Utc::now() + chrono::Duration::days(20);
    let convened = app
        .post(
            &app.path("/assemblies"),
            &operator(),
            &serde_json::json!({"kind": "ordinary", "held_at": held_at.to_rfc3339(),
                "place": "Salle des fêtes de Die", "agenda": ["Rapport moral"]}),
        )
        .await;
    assert_eq!(convened.status(), 201);
    let today = chrono::Utc::now().date_naive().to_string();
    let meeting = app
        .post(
            &app.path("/meetings"),
            &operator(),
            &serde_json::json!({"kind": "social", "held_on": today, "purpose": "Fête de la Saint-Jean", "attendees": [alice]}),
        )
        .await;
    assert_eq!(meeting.status(), 200);

    let member = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;
    let (status, page) = member.get(&format!("/c/{COMMUNITY}/assemblee")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("La vie de la coopérative"), "{page}");
    assert!(
        page.contains("Assemblée générale ordinaire")
            && page.contains("Salle des fêtes de Die : feuille de présence à venir"),
        "{page}"
    );
    assert!(page.contains("événement de convivialité : Fête de la Saint-Jean (1 présent)"));
    assert!(page.contains("Aucun mandat en cours."));
}

/// Addresses of the web interface that name no page, or a form's address
/// opened in the browser, answer in French with a way back, never with
/// the API's JSON.
#[tokio::test]
async fn a_missing_page_is_told_in_french_with_a_way_back() {
    let app = spawn_app().await;
    let (alice, _) = two_members(&app).await;
    let browser = Browser::sign_in(&app, &app.pioneer_token(&alice)).await;

    // A form's address, opened: back to the page that holds the form.
    for (form, page) in [
        (format!("{}/aide", home()), home()),
        (
            format!("{}/jardin/admission", home()),
            format!("{}/jardin", home()),
        ),
        (
            format!("{}/jardin/candidatures/{alice}/refus", home()),
            format!("{}/jardin", home()),
        ),
        (format!("{}/echanges/{alice}/confirmer", home()), home()),
        (
            format!("{}/scrutins/{alice}/vote", home()),
            format!("{}/scrutins/{alice}", home()),
        ),
        ("/deconnexion".to_owned(), "/".to_owned()),
    ] {
        let response = browser
            .client
            .get(format!("{}{form}", browser.base))
            .header(COOKIE, &browser.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{form}");
        assert_eq!(response.headers()[LOCATION], page.as_str(), "{form}");
    }
    // A trailing slash is dropped, the query kept.
    for (slashed, meant) in [
        (format!("{}/", home()), home()),
        (
            format!("{}/marche/?etiquette=compost", home()),
            format!("{}/marche?etiquette=compost", home()),
        ),
        ("/c/".to_owned(), "/".to_owned()),
    ] {
        let answer = browser
            .client
            .get(format!("{}{slashed}", browser.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::PERMANENT_REDIRECT, "{slashed}");
        assert_eq!(answer.headers()[LOCATION], meant.as_str(), "{slashed}");
    }
    // No page there: French, the page's headers, a way back home.
    let missing = browser
        .client
        .get(format!("{}{}/nulle-part/ici", browser.base, home()))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        missing.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(missing.headers().contains_key("content-security-policy"));
    let page = missing.text().await.unwrap();
    assert!(page.contains("Page introuvable"), "{page}");
    assert!(page.contains(&format!("href=\"{}\"", home())), "{page}");
    // A page's address with another method: French too.
    let (status, _, page) = browser.post(&format!("{}/releve", home()), &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.contains("Page introuvable"), "{page}");
    // A refused form links back to its page.
    let (status, _, page) = browser
        .post(&format!("{}/aide", home()), &[("heures", "abc")])
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(page.contains(&format!("href=\"{}\"", home())), "{page}");
    // The API's unknown addresses stay problems.
    let api = app.get("/v1/nowhere", &operator()).await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(
        api.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );
}
