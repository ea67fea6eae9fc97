//! The access-control matrix: every endpoint against every kind of caller.
//! A denied caller gets 401 or 403 and nothing is recorded; an allowed one
//! gets past authorization (and, with these bodies, succeeds).

use agora::auth::{Authenticator, Claims, Secret, Verifier};
use agora_events::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    COMMUNITY, TestApp, admission, problem, spawn_app, statutes, token, token_with,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Gardener,
    Treasurer,
    Auditor,
    /// The pioneer the path names.
    Himself,
    /// Another pioneer.
    Other,
    /// Someone applying to join, not a member: their token's subject is
    /// their id.
    Candidate,
}

/// Every caller the matrix tries.
const EVERYONE: [Who; 7] = [
    Who::Admin,
    Who::Gardener,
    Who::Treasurer,
    Who::Auditor,
    Who::Himself,
    Who::Other,
    Who::Candidate,
];

/// The community's members and operators: who reads what members read.
const MEMBERS: [Who; 6] = [
    Who::Admin,
    Who::Gardener,
    Who::Treasurer,
    Who::Auditor,
    Who::Himself,
    Who::Other,
];

struct Cast {
    gardener: String,
    treasurer: String,
    auditor: String,
    other: String,
    /// A candidate's id: no pioneer has it.
    candidate: String,
    /// A member who receives what the rows send, so that nobody pays themself.
    sink: String,
}

impl Cast {
    fn token(&self, who: Who, target: &str) -> String {
        match who {
            // An operator of this community who is not a pioneer.
            Who::Admin => token("operator", &[Role::Admin]),
            Who::Gardener => token(&self.gardener, &[Role::Pioneer, Role::Gardener]),
            Who::Treasurer => token(&self.treasurer, &[Role::Pioneer, Role::Treasurer]),
            Who::Auditor => token(&self.auditor, &[Role::Pioneer, Role::Auditor]),
            Who::Himself => token(target, &[Role::Pioneer]),
            Who::Other => token(&self.other, &[Role::Pioneer]),
            Who::Candidate => token(&self.candidate, &[Role::Candidate]),
        }
    }
}

/// What a row needs to exist before it is tried, so that allowed callers
/// can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    /// A member in good standing.
    Member,
    /// Admitted, charter not yet accepted.
    Newcomer,
    /// A member owing on a subscription.
    Owing,
    /// A member who has left.
    Gone,
    /// A listing by the target: `{l}`.
    Listing,
    /// An exchange from the other pioneer to the target, pending: `{x}`.
    PendingExchange,
    /// The same, confirmed.
    CompletedExchange,
    /// A project proposed by the target: `{j}`.
    Project,
    /// A selected project `{j}` and funds received.
    SelectedProject,
    /// The same with an allocation.
    AllocatedProject,
    /// An open ballot `{b}` whose electorate includes everyone.
    Ballot,
    /// A project `{j}` with a forecast budget.
    BudgetedProject,
    /// An application `{y}` pending, submitted by the gardener for someone.
    Application,
    /// An assembly `{z}` held (its time passed), its attendance not recorded.
    HeldAssembly,
    /// The same, its attendance recorded with its quorum.
    AttendedAssembly,
    /// The target stands for representative.
    Standing,
    /// An assembly `{z}` in session, the target and the sink standing.
    ElectionReady,
    /// An organisation member `{o}`, and a person `{r}` to represent it.
    Organisation,
    /// A webhook `{w}` registered.
    Webhook,
}

struct Row {
    method: Method,
    /// `{p}` stands for the target pioneer; `{s}` for the sink; `{l}`,
    /// `{x}`, `{j}`, `{b}` for the fixture's listing, exchange, project,
    /// ballot.
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Who],
    fixture: Fixture,
}

/// Substitutions for a row's path and body.
struct Scene {
    target: String,
    values: Vec<(&'static str, String)>,
}

impl Scene {
    fn fill(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.replace("{p}", &self.target), |text, (key, value)| {
                text.replace(key, value)
            })
    }
}

/// An assembly convened to be held a moment from now, once that moment
/// passed. The first time, the statutes are amended for a notice of no
/// days and no quorum (no assembly is recorded yet, so no decision needs
/// citing).
async fn held_assembly(app: &TestApp, operator: &str) -> String {
    let community: Value = app.get(&app.path(""), operator).await.json().await.unwrap();
    if community["statutes"]["assembly_notice_days"] != json!(0) {
        let mut statutes = crate::helpers::statutes();
        statutes["assembly_notice_days"] = json!(0);
        statutes["assembly_quorum_percent"] = json!(0);
        let amended = app
            .send(
                Method::PUT,
                &app.path("/statutes"),
                Some(operator),
                Some(&json!({"statutes": statutes, "reason": "AG"})),
            )
            .await;
        assert_eq!(amended.status(), 200, "{}", amended.text().await.unwrap());
    }
    let held_at = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let body = json!({"kind": "ordinary", "held_at": held_at.to_rfc3339(), "place": "Salle", "agenda": ["Rapport moral"]});
    let convened = app.post(&app.path("/assemblies"), operator, &body).await;
    let assembly = id_of(convened, "assembly_id").await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assembly
}

async fn id_of(response: reqwest::Response, field: &str) -> String {
    assert!(
        response.status().is_success(),
        "fixture failed: {}",
        response.status()
    );
    let body: Value = response.json().await.unwrap();
    body["events"][0]["data"][field]
        .as_str()
        .unwrap()
        .to_owned()
}

impl Row {
    async fn scene(&self, app: &TestApp, cast: &Cast) -> Scene {
        let operator = crate::helpers::operator();
        let target = match self.fixture {
            Fixture::Newcomer => app.admit("Newcomer").await,
            _ => app.member_in_good_standing("Target", 4).await,
        };
        let own = app.pioneer_token(&target);
        // `{u}`: a budget line code of this scene's own, so that each
        // allowed caller's budget changes something.
        let unique = format!("l{}", uuid::Uuid::new_v4().simple());
        let mut values = vec![("{s}", cast.sink.clone()), ("{u}", unique)];
        match self.fixture {
            Fixture::Member | Fixture::Newcomer => {}
            Fixture::Owing => {
                let path = app.path(&format!("/pioneers/{target}/shares/subscriptions"));
                assert_eq!(
                    app.post(&path, &operator, &json!({"shares": 2}))
                        .await
                        .status(),
                    200
                );
            }
            Fixture::Gone => {
                let path = app.path(&format!("/pioneers/{target}/leave"));
                assert_eq!(app.post(&path, &own, &json!({})).await.status(), 200);
            }
            Fixture::Listing => {
                let body = json!({"kind": "offer", "title": "Aide", "description": "…"});
                let listing = app.post(&app.path("/market/listings"), &own, &body).await;
                values.push(("{l}", id_of(listing, "listing_id").await));
            }
            Fixture::PendingExchange | Fixture::CompletedExchange => {
                let body = json!({"receiver": format!("pioneer:{target}"), "hours": "1", "description": "…"});
                let recorded = app
                    .post(
                        &app.path("/exchanges"),
                        &app.pioneer_token(&cast.other),
                        &body,
                    )
                    .await;
                let exchange = id_of(recorded, "exchange_id").await;
                if self.fixture == Fixture::CompletedExchange {
                    let path = app.path(&format!("/exchanges/{exchange}/confirm"));
                    assert_eq!(app.post(&path, &own, &json!({})).await.status(), 200);
                }
                values.push(("{x}", exchange));
            }
            Fixture::Project
            | Fixture::SelectedProject
            | Fixture::AllocatedProject
            | Fixture::BudgetedProject => {
                let proposal = app
                    .post(
                        &app.path("/projects"),
                        &own,
                        &json!({"title": "Jardin", "summary": "…"}),
                    )
                    .await;
                let project = id_of(proposal, "project_id").await;
                if self.fixture == Fixture::BudgetedProject {
                    let budget = json!({"lines": [{"code": "web", "label": "Web", "forecast": "10.00"}], "reason": "AG"});
                    let path = app.path(&format!("/projects/{project}/budget"));
                    let set = app
                        .send(Method::PUT, &path, Some(&operator), Some(&budget))
                        .await;
                    assert_eq!(set.status(), 200);
                }
                if matches!(
                    self.fixture,
                    Fixture::SelectedProject | Fixture::AllocatedProject
                ) {
                    let status = app.path(&format!("/projects/{project}/status"));
                    assert_eq!(
                        app.post(&status, &operator, &json!({"status": "selected"}))
                            .await
                            .status(),
                        200
                    );
                    let receipt = json!({"amount": "500.00", "source": "Don", "reference": "D-1"});
                    assert_eq!(
                        app.post(&app.path("/funds/receipts"), &operator, &receipt)
                            .await
                            .status(),
                        200
                    );
                }
                if self.fixture == Fixture::AllocatedProject {
                    let allocation = json!({"amount": "100.00", "decision": {"kind": "assembly", "reference": "AG"}});
                    let path = app.path(&format!("/projects/{project}/allocations"));
                    let allocated = app.post(&path, &operator, &allocation).await;
                    values.push(("{a}", id_of(allocated, "allocation_id").await));
                }
                values.push(("{j}", project));
            }
            Fixture::Application => {
                let body = json!({"display_name": "Camille", "project": "Une recyclerie"});
                let submitted = app.post(&app.path("/applications"), &operator, &body).await;
                values.push(("{y}", id_of(submitted, "applicant").await));
            }
            Fixture::Organisation => {
                let mut body = crate::helpers::admission("Les Jardins du Lac");
                body["organisation"] = json!({"name": "Les Jardins du Lac",
                    "legal_form": "Association loi 1901",
                    "representative": uuid::Uuid::now_v7()});
                let admitted = app.post(&app.path("/pioneers"), &operator, &body).await;
                values.push(("{o}", id_of(admitted, "pioneer_id").await));
                values.push(("{r}", uuid::Uuid::now_v7().to_string()));
            }
            Fixture::Webhook => {
                let body = json!({"url": format!("https://hooks.example.org/{}", uuid::Uuid::new_v4()), "description": "Plateforme"});
                let registered = app.post(&app.path("/webhooks"), &operator, &body).await;
                values.push(("{w}", id_of(registered, "webhook_id").await));
            }
            Fixture::Standing => {
                let path = app.path("/representative/candidacies");
                let body = json!({"statement": "Je me présente"});
                assert_eq!(app.post(&path, &own, &body).await.status(), 200);
            }
            Fixture::ElectionReady => {
                let assembly = held_assembly(app, &operator).await;
                let sheet = json!({"present": [target], "represented": []});
                let path = app.path(&format!("/assemblies/{assembly}/attendance"));
                assert_eq!(app.post(&path, &operator, &sheet).await.status(), 200);
                let stand = app.path("/representative/candidacies");
                let body = json!({"statement": "Je me présente"});
                assert_eq!(app.post(&stand, &own, &body).await.status(), 200);
                // The sink may stand already, from the scene before.
                let sink = app.pioneer_token(&cast.sink);
                let _ = app.post(&stand, &sink, &body).await;
                values.push(("{z}", assembly));
            }
            Fixture::HeldAssembly | Fixture::AttendedAssembly => {
                let assembly = held_assembly(app, &operator).await;
                if self.fixture == Fixture::AttendedAssembly {
                    let sheet = json!({"present": [target], "represented": []});
                    let path = app.path(&format!("/assemblies/{assembly}/attendance"));
                    assert_eq!(app.post(&path, &operator, &sheet).await.status(), 200);
                }
                values.push(("{z}", assembly));
            }
            Fixture::Ballot => {
                let body = json!({
                    "question": "?",
                    "options": [{"option_id": "a", "label": "A"}, {"option_id": "b", "label": "B"}],
                    "method": "single",
                    "closes_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                });
                let opened = app.post(&app.path("/ballots"), &operator, &body).await;
                values.push(("{b}", id_of(opened, "ballot_id").await));
            }
        }
        Scene { target, values }
    }
}

fn rows() -> Vec<Row> {
    use Fixture::*;
    use Who::*;
    let row = |method, path, body, allowed, fixture| Row {
        method,
        path,
        body,
        allowed,
        fixture,
    };
    const PIONEERS: &[Who] = &[Gardener, Treasurer, Auditor, Himself, Other];
    let scores = admission("Nouvelle Recrue");
    let mut amended = statutes();
    amended["name"] = json!("Lanceurs d'avenir (statuts révisés)");
    vec![
        row(Method::GET, "", None, &MEMBERS, Member),
        row(
            Method::PUT,
            "/statutes",
            Some(json!({"statutes": amended, "reason": "AG"})),
            &[Admin],
            Member,
        ),
        row(Method::POST, "/pioneers", Some(scores), &[Gardener], Member),
        row(Method::GET, "/pioneers", None, &MEMBERS, Member),
        row(Method::GET, "/pioneers/{p}", None, &MEMBERS, Member),
        row(
            Method::POST,
            "/pioneers/{p}/charter",
            Some(json!({"charter_version": "2026-01"})),
            &[Himself],
            Newcomer,
        ),
        row(
            Method::PATCH,
            "/pioneers/{p}/profile",
            Some(json!({"bio": "b"})),
            &[Himself],
            Member,
        ),
        row(
            Method::POST,
            "/pioneers/{p}/shares/subscriptions",
            Some(json!({"shares": 1})),
            &[Himself, Treasurer],
            Member,
        ),
        row(
            Method::POST,
            "/pioneers/{p}/shares/payments",
            Some(json!({"amount": "10.00", "reference": "r"})),
            &[Treasurer],
            Owing,
        ),
        row(
            Method::POST,
            "/pioneers/{p}/shares/redemptions",
            Some(json!({"shares": 1, "reason": "statutes"})),
            &[Treasurer],
            Member,
        ),
        row(Method::GET, "/shares", None, &MEMBERS, Member),
        row(
            Method::PUT,
            "/pioneers/{p}/roles",
            Some(json!({"roles": ["auditor"]})),
            &[Admin],
            Member,
        ),
        row(
            Method::POST,
            "/pioneers/{p}/exclude",
            Some(json!({"reason": "r"})),
            &[Gardener],
            Member,
        ),
        row(
            Method::POST,
            "/pioneers/{p}/leave",
            None,
            &[Himself],
            Member,
        ),
        row(Method::POST, "/pioneers/{p}/forget", None, &[Admin], Gone),
        row(
            Method::POST,
            "/market/listings",
            Some(json!({"kind": "request", "title": "t", "description": "d"})),
            PIONEERS,
            Member,
        ),
        row(Method::GET, "/market/listings", None, &MEMBERS, Member),
        row(
            Method::POST,
            "/market/listings/{l}/withdraw",
            None,
            &[Himself],
            Listing,
        ),
        // Any member but the listing's author (refused by the rules).
        row(
            Method::POST,
            "/market/listings/{l}/reports",
            Some(json!({"reason": "hors charte"})),
            &[Gardener, Treasurer, Auditor, Other],
            Listing,
        ),
        row(
            Method::POST,
            "/market/listings/{l}/take-down",
            Some(json!({"reason": "hors charte"})),
            &[Gardener],
            Listing,
        ),
        row(
            Method::POST,
            "/exchanges",
            Some(json!({"receiver": "pioneer:{s}", "hours": "0.5", "description": "d"})),
            PIONEERS,
            Member,
        ),
        row(
            Method::POST,
            "/exchanges/{x}/confirm",
            None,
            &[Himself],
            PendingExchange,
        ),
        row(
            Method::POST,
            "/exchanges/{x}/cancel",
            Some(json!({})),
            &[Gardener, Himself, Other],
            PendingExchange,
        ),
        row(
            Method::POST,
            "/exchanges/{x}/reverse",
            Some(json!({"reason": "erreur"})),
            &[Gardener],
            CompletedExchange,
        ),
        row(
            Method::POST,
            "/transfers",
            Some(json!({"payee": "pioneer:{s}", "hours": "0.25"})),
            PIONEERS,
            Member,
        ),
        row(Method::GET, "/accounts", None, &MEMBERS, Member),
        row(Method::GET, "/accounts/pioneer:{p}", None, &MEMBERS, Member),
        row(
            Method::GET,
            "/accounts/pioneer:{p}/statement",
            None,
            &MEMBERS,
            Member,
        ),
        row(
            Method::POST,
            "/projects",
            Some(json!({"title": "t", "summary": "s"})),
            PIONEERS,
            Member,
        ),
        row(Method::GET, "/projects", None, &MEMBERS, Member),
        row(Method::GET, "/projects/{j}", None, &MEMBERS, Project),
        row(
            Method::POST,
            "/projects/{j}/measurements",
            Some(
                json!({"indicator": "personnes-touchees", "value": "12", "measured_on": "2026-01-15", "source": "comptage"}),
            ),
            &[Gardener, Himself],
            Project,
        ),
        row(
            Method::GET,
            "/projects/{j}/measurements?indicator=personnes-touchees",
            None,
            &MEMBERS,
            Project,
        ),
        row(
            Method::POST,
            "/projects/{j}/scores",
            Some(
                json!({"concerned_percent": 50, "estimated_cost": "100.00", "self_financing_percent": 10}),
            ),
            &[Gardener],
            Project,
        ),
        row(
            Method::POST,
            "/projects/{j}/status",
            Some(json!({"status": "selected"})),
            &[Gardener],
            Project,
        ),
        row(Method::GET, "/ranking", None, &MEMBERS, Member),
        row(
            Method::POST,
            "/ballots",
            Some(
                json!({"question": "?", "options": [{"option_id": "a", "label": "A"}, {"option_id": "b", "label": "B"}], "method": "approval", "closes_at": "2099-01-01T00:00:00Z"}),
            ),
            &[Gardener],
            Member,
        ),
        row(Method::GET, "/ballots/{b}", None, &MEMBERS, Ballot),
        row(
            Method::POST,
            "/ballots/{b}/votes",
            Some(json!({"choice": {"method": "single", "option_id": "a"}})),
            PIONEERS,
            Ballot,
        ),
        row(
            Method::POST,
            "/ballots/{b}/close",
            None,
            &[Gardener],
            Ballot,
        ),
        row(
            Method::POST,
            "/funds/receipts",
            Some(json!({"amount": "10.00", "source": "s", "reference": "r"})),
            &[Treasurer],
            Member,
        ),
        row(
            Method::POST,
            "/projects/{j}/allocations",
            Some(json!({"amount": "10.00", "decision": {"kind": "assembly", "reference": "AG"}})),
            &[Treasurer],
            SelectedProject,
        ),
        row(
            Method::POST,
            "/projects/{j}/expenses",
            Some(json!({"amount": "1.00", "payee": "p", "reference": "r"})),
            &[Treasurer],
            AllocatedProject,
        ),
        row(
            Method::POST,
            "/funds/corrections",
            Some(
                json!({"record": {"kind": "allocation", "allocation_id": "{a}"}, "amount": "50.00", "reason": "erreur de saisie"}),
            ),
            &[Treasurer],
            AllocatedProject,
        ),
        row(Method::GET, "/funds", None, &MEMBERS, Member),
        row(Method::GET, "/log", None, &MEMBERS, Member),
        row(Method::GET, "/events", None, &MEMBERS, Member),
        row(Method::GET, "/map.geojson", None, &MEMBERS, Member),
        row(
            Method::POST,
            "/webhooks",
            Some(json!({"url": "https://hooks.example.org/{u}", "description": "Plateforme"})),
            &[Admin],
            Member,
        ),
        row(Method::GET, "/webhooks", None, &[Admin], Member),
        row(Method::GET, "/webhooks/{w}", None, &[Admin], Webhook),
        row(
            Method::GET,
            "/webhooks/{w}/deliveries",
            None,
            &[Admin],
            Webhook,
        ),
        row(
            Method::POST,
            "/webhooks/{w}/replay",
            Some(json!({"from": 0})),
            &[Admin],
            Webhook,
        ),
        row(Method::DELETE, "/webhooks/{w}", None, &[Admin], Webhook),
        row(Method::GET, "/history/{p}", None, &MEMBERS, Member),
        row(Method::GET, "/verify", None, &MEMBERS, Member),
        row(Method::GET, "/reports/assembly", None, &MEMBERS, Member),
        row(
            Method::GET,
            "/exports/accounting",
            None,
            &[Treasurer, Auditor],
            Member,
        ),
        row(
            Method::POST,
            "/applications",
            Some(
                json!({"display_name": "Camille", "project": "Une recyclerie", "email": "camille@exemple.fr"}),
            ),
            &[Gardener, Candidate],
            Member,
        ),
        row(
            Method::GET,
            "/applications",
            None,
            &[Admin, Gardener],
            Member,
        ),
        row(
            Method::GET,
            "/applications/{y}",
            None,
            &[Admin, Gardener],
            Application,
        ),
        row(
            Method::POST,
            "/applications/{y}/scores",
            Some(
                json!({"scores": {"scale_of_impact": 3, "degree_of_information": 3, "connections_produced": 3, "care_for_the_living": 3, "poetic_radiance": 3, "social_innovation": 3, "engagement": 3}}),
            ),
            &[Gardener],
            Application,
        ),
        row(
            Method::POST,
            "/applications/{y}/admit",
            Some(
                json!({"college": "founders", "scores": {"scale_of_impact": 3, "degree_of_information": 3, "connections_produced": 3, "care_for_the_living": 3, "poetic_radiance": 3, "social_innovation": 3, "engagement": 3}}),
            ),
            &[Gardener],
            Application,
        ),
        row(
            Method::POST,
            "/applications/{y}/decline",
            Some(json!({"reason": "hors champ"})),
            &[Gardener],
            Application,
        ),
        row(
            Method::POST,
            "/meetings",
            Some(
                json!({"kind": "social", "held_on": "2026-01-10", "purpose": "Galette des rois", "attendees": ["{p}"]}),
            ),
            &[Gardener],
            Member,
        ),
        row(Method::GET, "/meetings", None, &MEMBERS, Member),
        row(Method::GET, "/duties", None, &[Admin, Gardener], Member),
        // Only the applicant themself withdraws: nobody in this cast.
        row(
            Method::POST,
            "/applications/{y}/withdraw",
            None,
            &[],
            Application,
        ),
        // Last: once the community has a budget, expenses name its lines.
        row(
            Method::PUT,
            "/projects/{j}/budget",
            Some(
                json!({"lines": [{"code": "{u}", "label": "Web", "forecast": "10.00"}], "reason": "AG"}),
            ),
            &[Gardener, Treasurer],
            Project,
        ),
        row(
            Method::GET,
            "/projects/{j}/budget",
            None,
            &MEMBERS,
            BudgetedProject,
        ),
        row(
            Method::PUT,
            "/budget",
            Some(
                json!({"lines": [{"code": "{u}", "label": "Web", "forecast": "10.00"}], "reason": "AG"}),
            ),
            &[Gardener, Treasurer],
            Member,
        ),
        row(Method::GET, "/budget", None, &MEMBERS, Member),
        // Assemblies last: once the community records one, allocations and
        // amendments cite the ledger's decisions instead of references.
        row(
            Method::POST,
            "/assemblies/{z}/attendance",
            Some(json!({"present": ["{p}"], "represented": []})),
            &[Admin, Gardener],
            HeldAssembly,
        ),
        row(
            Method::POST,
            "/assemblies/{z}/minutes",
            Some(json!({"sha256": "ab".repeat(32), "reference": "PV"})),
            &[Admin, Gardener],
            AttendedAssembly,
        ),
        row(Method::GET, "/assemblies/{z}", None, &MEMBERS, HeldAssembly),
        row(
            Method::POST,
            "/assemblies",
            Some(
                json!({"kind": "ordinary", "held_at": "2099-06-01T18:00:00Z", "place": "Salle", "agenda": ["Rapport moral"]}),
            ),
            &[Admin, Gardener],
            Member,
        ),
        row(Method::GET, "/assemblies", None, &MEMBERS, Member),
        // Each pioneer stands once, then withdraws; then an election.
        row(
            Method::POST,
            "/representative/candidacies",
            Some(json!({"statement": "Je me présente"})),
            PIONEERS,
            Member,
        ),
        row(
            Method::POST,
            "/representative/candidacies/withdraw",
            None,
            PIONEERS,
            Standing,
        ),
        row(
            Method::POST,
            "/representative/election",
            Some(
                json!({"assembly_id": "{z}", "closes_at": "2099-01-01T00:00:00Z", "method": "single", "term_months": 24}),
            ),
            &[Gardener],
            ElectionReady,
        ),
        row(Method::GET, "/representative", None, &MEMBERS, Member),
        row(
            Method::PUT,
            "/pioneers/{o}/representative",
            Some(json!({"representative": "{r}"})),
            &[Admin, Gardener],
            Organisation,
        ),
    ]
}

async fn cast(app: &TestApp) -> Cast {
    let grant = |id: String, role: &'static str| async move {
        let response = app
            .send(
                Method::PUT,
                &app.path(&format!("/pioneers/{id}/roles")),
                Some(&crate::helpers::operator()),
                Some(&json!({"roles": [role]})),
            )
            .await;
        assert_eq!(response.status(), 200);
        id
    };
    Cast {
        gardener: grant(app.member_in_good_standing("Gardener", 1).await, "gardener").await,
        treasurer: grant(
            app.member_in_good_standing("Treasurer", 1).await,
            "treasurer",
        )
        .await,
        auditor: grant(app.member_in_good_standing("Auditor", 1).await, "auditor").await,
        other: app.member_in_good_standing("Other", 1).await,
        candidate: uuid::Uuid::now_v7().to_string(),
        sink: app.member_in_good_standing("Sink", 1).await,
    }
}

async fn revision(app: &TestApp) -> u64 {
    let community: Value = app
        .get(&app.path(""), &crate::helpers::operator())
        .await
        .json()
        .await
        .unwrap();
    community["revision"].as_u64().unwrap()
}

#[tokio::test]
async fn every_endpoint_admits_exactly_its_roles() {
    let app = spawn_app().await;
    app.create_community().await;
    let cast = cast(&app).await;

    for row in rows() {
        // A fresh scene for the denied callers and for each allowed one:
        // an earlier call (a departure, a cancellation, a closed ballot)
        // must not decide a later one.
        let request = |scene: &Scene| {
            let path = app.path(&scene.fill(row.path));
            let body: Option<Value> = row
                .body
                .as_ref()
                .map(|body| serde_json::from_str(&scene.fill(&body.to_string())).unwrap());
            (path, body)
        };
        let scene = row.scene(&app, &cast).await;
        let (path, body) = request(&scene);
        let denied: Vec<Who> = EVERYONE
            .into_iter()
            .filter(|who| !row.allowed.contains(who))
            .collect();
        for who in denied {
            let before = revision(&app).await;
            let response = app
                .send(
                    row.method.clone(),
                    &path,
                    Some(&cast.token(who, &scene.target)),
                    body.as_ref(),
                )
                .await;
            assert_eq!(
                response.status(),
                403,
                "{:?} {} as {who:?}",
                row.method,
                row.path
            );
            assert_eq!(
                revision(&app).await,
                before,
                "a denied call recorded something"
            );
        }
        for &who in row.allowed {
            let scene = row.scene(&app, &cast).await;
            let (path, body) = request(&scene);
            let response = app
                .send(
                    row.method.clone(),
                    &path,
                    Some(&cast.token(who, &scene.target)),
                    body.as_ref(),
                )
                .await;
            let status = response.status().as_u16();
            // A live feed never ends: its status is enough.
            let is_feed = response
                .headers()
                .get("content-type")
                .is_some_and(|media| media == "text/event-stream");
            let text = if is_feed {
                String::new()
            } else {
                response.text().await.unwrap()
            };
            assert!(
                (200..300).contains(&status),
                "{:?} {} as {who:?}: {status} {text}",
                row.method,
                row.path
            );
        }
    }
}

#[tokio::test]
async fn only_an_admin_creates_a_community() {
    let app = spawn_app().await;
    app.create_community().await;
    let cast = cast(&app).await;
    let body = |slug: &str| json!({"slug": slug, "statutes": statutes()});

    for who in EVERYONE.into_iter().filter(|who| *who != Who::Admin) {
        let refused = app
            .post(
                "/v1/communities",
                &cast.token(who, &cast.other),
                &body("elsewhere"),
            )
            .await;
        assert_eq!(refused.status(), 403, "{who:?}");
    }
    // An admin token scoped to another community cannot create this one.
    let scoped = app
        .post(
            "/v1/communities",
            &token("operator", &[Role::Admin]),
            &body("elsewhere"),
        )
        .await;
    let created = app
        .post(
            "/v1/communities",
            &token_with("*", "operator", &[Role::Admin], 60),
            &body("elsewhere"),
        )
        .await;

    problem(scoped, 403, "other-community").await;
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn a_missing_forged_expired_or_foreign_token_is_refused_everywhere() {
    let app = spawn_app().await;
    app.create_community().await;
    let target = app.admit("Target").await;
    let forged = Authenticator::new(Verifier::Hs256(Secret::new(
        "another secret, long enough for HS256",
    )))
    .unwrap()
    .mint(&Claims {
        sub: "operator".into(),
        community: COMMUNITY.into(),
        roles: [Role::Admin].into_iter().collect(),
        exp: chrono::Utc::now().timestamp() + 60,
        iat: 0,
    })
    .unwrap();
    let expired = token_with(COMMUNITY, "operator", &[Role::Admin], -3_600);
    let foreign = token_with(
        "elsewhere",
        "operator",
        &[Role::Admin, Role::Gardener, Role::Treasurer],
        60,
    );

    for row in rows() {
        let path = app.path(&row.path.replace("{p}", &target));
        let path = path.replace("{s}", &target);
        let none = app
            .send(row.method.clone(), &path, None, row.body.as_ref())
            .await;
        let malformed = app
            .send(
                row.method.clone(),
                &path,
                Some("not-a-jwt"),
                row.body.as_ref(),
            )
            .await;
        let forged = app
            .send(row.method.clone(), &path, Some(&forged), row.body.as_ref())
            .await;
        let expired = app
            .send(row.method.clone(), &path, Some(&expired), row.body.as_ref())
            .await;
        let foreign = app
            .send(row.method.clone(), &path, Some(&foreign), row.body.as_ref())
            .await;

        assert_eq!(none.headers()["www-authenticate"], "Bearer");
        problem(none, 401, "authentication-required").await;
        problem(malformed, 401, "invalid-token").await;
        problem(forged, 401, "invalid-token").await;
        let expired = problem(expired, 401, "invalid-token").await;
        assert!(expired["detail"].as_str().unwrap().contains("expired"));
        problem(foreign, 403, "other-community").await;
    }
}

/// A correctly signed token does not make its holder a member: reads are
/// for members and for the operator roles the token names. A pioneer who
/// left still reads what is theirs, and only that.
#[tokio::test]
async fn strangers_read_nothing_and_former_members_only_what_is_theirs() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bruno = app.member_in_good_standing("Bruno", 1).await;
    let left = app
        .post(
            &app.path(&format!("/pioneers/{alice}/leave")),
            &app.pioneer_token(&alice),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(left.status(), 200, "{}", left.text().await.unwrap());
    let stranger = token(&uuid::Uuid::now_v7().to_string(), &[Role::Pioneer]);
    let robot = token("plateforme", &[Role::Pioneer]);
    let auditor = token("commissaire", &[Role::Auditor]);
    let former = app.pioneer_token(&alice);
    let community_reads = [
        "",
        "/pioneers",
        "/shares",
        "/accounts",
        "/log",
        "/ranking",
        "/projects",
        "/funds",
        "/market/listings",
        "/verify",
    ];

    for read in community_reads {
        let path = app.path(read);
        for holder in [&stranger, &robot, &former] {
            let response = app.get(&path, holder).await;
            problem(response, 403, "member-only").await;
        }
        let allowed = app.get(&path, &auditor).await;
        assert_eq!(allowed.status(), 200, "an auditor reads {read}");
    }
    let theirs = [
        format!("/pioneers/{alice}"),
        format!("/accounts/pioneer:{alice}"),
        format!("/accounts/pioneer:{alice}/statement"),
        format!("/history/{alice}"),
    ];
    for read in &theirs {
        let response = app.get(&app.path(read), &former).await;
        assert_eq!(response.status(), 200, "the former member reads {read}");
        let response = app.get(&app.path(read), &stranger).await;
        problem(response, 403, "member-only").await;
    }
    for read in [
        format!("/pioneers/{bruno}"),
        format!("/accounts/pioneer:{bruno}"),
        format!("/history/{bruno}"),
    ] {
        let response = app.get(&app.path(&read), &former).await;
        problem(response, 403, "member-only").await;
    }
}

/// The matrix is checked against the OpenAPI document, the one list of
/// routes: a row for every operation of a community, and no row for an
/// operation the document does not name.
#[tokio::test]
async fn the_matrix_has_a_row_for_every_documented_operation() {
    let app = spawn_app().await;
    let document = app.openapi().await;
    let base = "/v1/communities/{community}";
    // Placeholders differ in name ({p} here, {pioneer} there), not in place.
    let template = |path: &str| {
        let path = path.split_once('?').map_or(path, |(path, _query)| path);
        path.split('/')
            .map(|part| if part.contains('{') { "{}" } else { part })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut documented: Vec<(String, String)> = crate::conventions::operations(&document)
        .into_iter()
        .filter(|(_, path)| path.starts_with(base))
        .map(|(method, path)| (method.to_uppercase(), template(&path)))
        .collect();
    let mut covered: Vec<(String, String)> = rows()
        .iter()
        .map(|row| {
            (
                row.method.to_string(),
                template(&format!("{base}{}", row.path)),
            )
        })
        .collect();
    documented.sort();
    covered.sort();
    covered.dedup();

    assert_eq!(covered, documented);
}

/// The bearer scheme is named in any case, and a request with two
/// `Authorization` headers is refused rather than read one way.
#[tokio::test]
async fn the_authorization_header_is_read_once_and_its_scheme_in_any_case() {
    let app = spawn_app().await;
    app.create_community().await;
    let token = crate::helpers::operator();
    let url = app.url(&app.path("/pioneers"));
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let answer = app
            .client
            .get(&url)
            .header("Authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{scheme}");
    }
    let basic = app
        .client
        .get(&url)
        .header("Authorization", "Basic YWxpY2U6c2VjcmV0")
        .send()
        .await
        .unwrap();
    problem(basic, 401, "authentication-required").await;
    let twice = app
        .client
        .get(&url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Authorization", "Bearer another")
        .send()
        .await
        .unwrap();
    let body = problem(twice, 400, "invalid-parameter").await;
    assert!(body["detail"].as_str().unwrap().contains("once"), "{body}");
}
