//! The gardener's page: deciding applications and admitting a pioneer on
//! the seven criteria,
//! scoring projects, opening and closing ballots, taking reported listings
//! down, reversing an exchange, excluding a member.

use agora_events::{
    AdmissionScores, BallotId, BallotKind, BallotOption, Closure, Euros, ExchangeId, ListingId,
    PioneerId, ProjectId, PublicProfile, Role, VotingMethod,
};
use agora_projections::{CommunityState, ExchangeStatus, Market};
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pages::{
    ButtonForm, Done, FormFields, FormTarget, Member, Visit, answered, checked, form_key, notice,
    optional, run_form,
};
use super::{Alert, Failure, Layout, PageQuery, fr, html};
use crate::domain::{
    AdmitApplication, AdmitPioneer, CloseBallot, Command, DeclineApplication, ExcludePioneer,
    OpenBallot, ReverseExchange, ScoreProject, TakeDownListing,
};
use crate::http::{ApiError, AppState};
use crate::ledger::{PersonalData, PersonalKey, index};

/// The seven admission criteria: their field, and their French name.
const CRITERIA: [(&str, &str); 7] = [
    ("scale_of_impact", "Ampleur de l'impact"),
    ("degree_of_information", "Degré d'information"),
    ("connections_produced", "Liens créés"),
    ("care_for_the_living", "Soin du vivant"),
    ("poetic_radiance", "Rayonnement poétique"),
    ("social_innovation", "Innovation sociale"),
    ("engagement", "Engagement"),
];

/// Completed exchanges the page offers to reverse, newest first.
const COMPLETED_SHOWN: usize = 20;

#[derive(Template)]
#[template(path = "web/jardin.html")]
struct Garden {
    layout: Layout,
    keys: Keys,
    colleges: Vec<String>,
    criteria: Vec<(&'static str, &'static str)>,
    scores: Vec<u8>,
    projects: Vec<(ProjectId, String)>,
    open_ballots: Vec<(BallotId, String, String)>,
    reported: Vec<(ListingId, String, String)>,
    completed: Vec<(ExchangeId, String, String)>,
    members: Vec<Member>,
    applications: Vec<PendingApplication>,
    /// The statutes' minimum total of the seven scores, if any.
    minimum: Option<u8>,
    /// Members behind on their duties, longest first: name, and what they
    /// are behind on since when, in words.
    behind: Vec<(String, Vec<String>)>,
}

/// An application waiting for the gardener, with its two forms' keys.
struct PendingApplication {
    id: PioneerId,
    name: String,
    project: String,
    territory: String,
    /// Each criterion's field, French name, and the score preset: the
    /// latest given, else 3.
    scores: Vec<(&'static str, &'static str, u8)>,
    /// The latest scores' total, if scored.
    total: Option<u8>,
    admit_key: String,
    decline_key: String,
}

struct Keys {
    admit: String,
    score: String,
    ballot: String,
    exclude: String,
}

/// `/c/{community}/jardin` (the gardener).
pub async fn garden(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(done): PageQuery<Done>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    visit.require(Role::Gardener)?;
    let completed = reversible_exchanges(&state, &visit).await?;
    Ok(draw(
        &state,
        &visit,
        &completed,
        StatusCode::OK,
        None,
        notice(&done),
    ))
}

/// The page; `completed` lists the exchanges the gardener may reverse.
fn draw(
    state: &AppState,
    visit: &Visit,
    completed: &[(ExchangeId, String, String)],
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Response {
    let community = &visit.view.state;
    let page = Garden {
        layout: visit.layout("jardin", alert, notice),
        keys: Keys {
            admit: form_key(),
            score: form_key(),
            ballot: form_key(),
            exclude: form_key(),
        },
        colleges: community
            .statutes
            .colleges
            .iter()
            .map(|college| college.name.clone())
            .collect(),
        criteria: CRITERIA.to_vec(),
        scores: (0..=5).collect(),
        projects: community
            .projects
            .by_id
            .values()
            .filter(|project| project.is_open())
            .map(|project| (project.id, project.title.clone()))
            .collect(),
        open_ballots: open_ballots(community),
        reported: reported_listings(state, visit),
        completed: completed.to_vec(),
        members: visit.other_members(state),
        applications: pending_applications(state, community),
        minimum: community.statutes.admission_score_min,
        behind: behind_on_duties(state, community),
    };
    html(status, &page)
}

/// The members behind on a duty, longest first, each with what and since
/// when, as the gardener reads it.
fn behind_on_duties(state: &AppState, community: &CommunityState) -> Vec<(String, Vec<String>)> {
    let now = state.ledger.now();
    let mut behind: Vec<_> = community
        .pioneers
        .values()
        .filter(|pioneer| pioneer.is_active())
        .filter_map(|pioneer| {
            let duties = community.duties_behind(pioneer, now);
            let since = duties.since()?;
            let mut what = Vec::new();
            if let Some(at) = duties.charter {
                what.push(format!(
                    "charte en vigueur non acceptée depuis le {}",
                    fr::date(at)
                ));
            }
            if let Some(at) = duties.shares {
                what.push(format!("aucune part libérée depuis le {}", fr::date(at)));
            }
            if let Some(at) = duties.assembly {
                what.push(format!(
                    "absent de la dernière assemblée générale, le {}",
                    fr::date(at)
                ));
            }
            if let Some(at) = duties.profile {
                what.push(format!(
                    "fiche pionnier à mettre à jour depuis le {}",
                    fr::date(at)
                ));
            }
            let name = crate::http::pioneers::display_name(state, community, pioneer.id)
                .unwrap_or_else(|| "(nom effacé)".to_owned());
            Some((since, name, what))
        })
        .collect();
    behind.sort_by_key(|(since, _, _)| *since);
    behind
        .into_iter()
        .map(|(_, name, what)| (name, what))
        .collect()
}

/// The applications pending, oldest first, as the gardener reads them.
fn pending_applications(state: &AppState, community: &CommunityState) -> Vec<PendingApplication> {
    let mut pending: Vec<_> = community
        .applications
        .by_applicant
        .values()
        .filter(|application| application.is_pending())
        .collect();
    pending.sort_by_key(|application| application.submitted_at);
    pending
        .into_iter()
        .map(|application| {
            let scores = application.scores.map(|(_, scores)| scores);
            let given = scores.map(|scores| scores.each());
            PendingApplication {
                id: application.applicant,
                name: state
                    .ledger
                    .keys()
                    .open(application.applicant, &application.personal)
                    .map_or_else(|| "(nom illisible)".to_owned(), |data| data.display_name),
                project: application.project.clone(),
                territory: application.profile.territory.clone().unwrap_or_default(),
                scores: CRITERIA
                    .iter()
                    .enumerate()
                    .map(|(at, (field, name))| (*field, *name, given.map_or(3, |given| given[at])))
                    .collect(),
                total: scores.map(|scores| scores.total()),
                admit_key: form_key(),
                decline_key: form_key(),
            }
        })
        .collect()
}

/// Open ballots, each with the key of its "close now" form.
fn open_ballots(community: &CommunityState) -> Vec<(BallotId, String, String)> {
    community
        .ballots
        .by_id
        .values()
        .filter(|ballot| ballot.is_open())
        .map(|ballot| {
            (
                ballot.opened.ballot_id,
                ballot.opened.question.clone(),
                form_key(),
            )
        })
        .collect()
}

/// Listings members reported, with who reported them and why.
fn reported_listings(state: &AppState, visit: &Visit) -> Vec<(ListingId, String, String)> {
    visit
        .view
        .state
        .market
        .listings
        .values()
        .filter(|listing| listing.is_open() && !listing.reports.is_empty())
        .map(|listing| {
            let reasons: Vec<&str> = listing
                .reports
                .iter()
                .map(|(_, reason)| reason.as_str())
                .collect();
            let said = format!(
                "« {} » de {}, signalée {} fois : {}",
                listing.title,
                visit.name_of(state, listing.author),
                listing.reports.len(),
                reasons.join(" ; ")
            );
            (listing.id, said, form_key())
        })
        .collect()
}

/// The latest completed exchanges this gardener may reverse: never one
/// they took part in. Completed exchanges are over for the state: the
/// store's list of them has them.
async fn reversible_exchanges(
    state: &AppState,
    visit: &Visit,
) -> Result<Vec<(ExchangeId, String, String)>, Failure> {
    let pick = |market: &Market, id| {
        let exchange = market.exchanges.get(&ExchangeId(id))?;
        let reversible = matches!(exchange.status, ExchangeStatus::Completed { .. })
            && exchange.provider != visit.me
            && exchange.receiver != agora_events::AccountId::Pioneer(visit.me);
        reversible.then(|| {
            let said = format!(
                "{} a aidé {} pendant {} : {} ({})",
                visit.name_of(state, exchange.provider),
                visit.account_name(state, exchange.receiver),
                fr::hours(exchange.hours),
                exchange.description,
                fr::date(exchange.recorded_at)
            );
            (exchange.id, said, form_key())
        })
    };
    let view = &visit.view;
    let found = state
        .ledger
        .newest_items(
            &view.state.slug,
            view,
            (index::COMPLETED_EXCHANGES, None),
            COMPLETED_SHOWN,
            pick,
        )
        .await
        .map_err(ApiError::from)?;
    Ok(found)
}

/// Runs a gardener's form: `which` form, posting to `action` under the page.
async fn gardener_form<F: FormFields>(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
    form: Result<Form<F>, FormRejection>,
    (which, action): (&'static str, &str),
    command: impl FnOnce(&Visit, &F) -> Result<Command, String>,
) -> Result<Response, Failure> {
    let target = FormTarget {
        role: Role::Gardener,
        page: "jardin",
        which,
        action,
    };
    // What a refusal draws again lists the exchanges to reverse too.
    let visit = Visit::start(state, headers, slug)?;
    visit.require(Role::Gardener)?;
    let completed = reversible_exchanges(state, &visit).await?;
    let redraw = |state: &AppState, visit: &Visit, status, alert| {
        draw(state, visit, &completed, status, Some(alert), None)
    };
    run_form(state, slug, headers, form, target, redraw, command).await
}

#[derive(Deserialize, Serialize)]
pub struct AdmissionForm {
    #[serde(skip_serializing)]
    csrf: String,
    #[serde(skip_serializing)]
    cle: String,
    nom: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    contact: String,
    college: String,
    scale_of_impact: u8,
    degree_of_information: u8,
    connections_produced: u8,
    care_for_the_living: u8,
    poetic_radiance: u8,
    social_innovation: u8,
    engagement: u8,
    #[serde(default)]
    competences: String,
    #[serde(default)]
    territoire: String,
}

impl FormFields for AdmissionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        self
    }
}

/// `POST /c/{community}/jardin/admission`: admit a pioneer.
pub async fn admit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<AdmissionForm>, FormRejection>,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    visit.require(Role::Gardener)?;
    let form = checked(&visit, form)?;
    let completed = reversible_exchanges(&state, &visit).await?;
    let refused = |status, alert| draw(&state, &visit, &completed, status, Some(alert), None);
    let personal = PersonalData {
        display_name: form.nom.trim().to_owned(),
        email: optional(&form.courriel),
        contact: optional(&form.contact),
        bio: None,
        place: None,
    };
    if let Err(rejection) = crate::http::pioneers::validate_personal(&personal) {
        let alert = Alert::new("admission", fr::refusal(rejection.rule())).keeping(form.typed());
        return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, alert));
    }
    let pioneer_id = PioneerId(Uuid::now_v7());
    let key = PersonalKey::generate();
    let command = Command::AdmitPioneer(AdmitPioneer {
        pioneer_id,
        college: form.college.clone(),
        scores: AdmissionScores {
            scale_of_impact: form.scale_of_impact,
            degree_of_information: form.degree_of_information,
            connections_produced: form.connections_produced,
            care_for_the_living: form.care_for_the_living,
            poetic_radiance: form.poetic_radiance,
            social_innovation: form.social_innovation,
            engagement: form.engagement,
        },
        profile: PublicProfile {
            skills: form
                .competences
                .split(',')
                .map(|skill| skill.trim().to_lowercase())
                .filter(|skill| !skill.is_empty())
                .collect(),
            territory: optional(&form.territoire),
        },
        personal: key.seal(pioneer_id, &personal),
        organisation: None,
    });
    let path = format!("{}/jardin", visit.base());
    let outcome = visit
        .run_admission(
            &state,
            &form,
            &format!("{path}/admission"),
            command,
            (pioneer_id, key),
        )
        .await;
    Ok(answered(
        outcome,
        format!("{path}?fait=admission"),
        refused,
        Alert::new("admission", String::new()).keeping(form.typed()),
    ))
}

#[derive(Deserialize, Serialize)]
pub struct ScoreForm {
    csrf: String,
    cle: String,
    projet: String,
    concernes: u8,
    cout: String,
    autofinancement: u8,
}

impl FormFields for ScoreForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (
            &self.projet,
            self.concernes,
            &self.cout,
            self.autofinancement,
        )
    }
}

/// `POST /c/{community}/jardin/notes`: score a project.
pub async fn score(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ScoreForm>, FormRejection>,
) -> Result<Response, Failure> {
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("note", "notes"),
        |visit, form| {
            let estimated_cost: Euros =
                fr::parse_euros(&form.cout).ok_or_else(|| fr::refusal("amount-form"))?;
            Ok(Command::ScoreProject(ScoreProject {
                project_id: ProjectId(
                    form.projet
                        .parse()
                        .map_err(|_| fr::refusal("project-not-found"))?,
                ),
                concerned_percent: form.concernes,
                estimated_cost,
                self_financing_percent: form.autofinancement,
                by: Some(visit.me),
            }))
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
pub struct BallotForm {
    csrf: String,
    cle: String,
    question: String,
    choix: String,
    methode: String,
    fin: String,
}

impl FormFields for BallotForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.question, &self.choix, &self.methode, &self.fin)
    }
}

/// `POST /c/{community}/jardin/scrutins`: open a ballot.
pub async fn open_ballot(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<BallotForm>, FormRejection>,
) -> Result<Response, Failure> {
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("scrutin", "scrutins"),
        |_, form| {
            let method = match form.methode.as_str() {
                "single" => VotingMethod::Single,
                "approval" => VotingMethod::Approval,
                "ranked" => VotingMethod::Ranked,
                _ => return Err(fr::refusal("invalid-form")),
            };
            // The ballot closes at the end of the day chosen, in Paris.
            let closes_at =
                fr::end_of_day(&form.fin).ok_or_else(|| fr::refusal("ballot-close-date"))?;
            let options = form
                .choix
                .lines()
                .map(str::trim)
                .filter(|label| !label.is_empty())
                .enumerate()
                .map(|(index, label)| BallotOption {
                    option_id: format!("choix-{}", index + 1),
                    label: label.to_owned(),
                    project_id: None,
                })
                .collect();
            Ok(Command::OpenBallot(OpenBallot {
                ballot_id: BallotId(Uuid::now_v7()),
                question: form.question.trim().to_owned(),
                options,
                method,
                kind: BallotKind::Community,
                closes_at,
                sealed: false,
                assembly_id: None,
                election: None,
            }))
        },
    )
    .await
}

/// `POST /c/{community}/jardin/scrutins/{ballot}/clore`: close a ballot now.
pub async fn close_ballot(
    State(state): State<AppState>,
    Path((slug, ballot)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ButtonForm>, FormRejection>,
) -> Result<Response, Failure> {
    let action = format!("scrutins/{ballot}/clore");
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("cloture", &action),
        |_, _| {
            Ok(Command::CloseBallot(CloseBallot {
                ballot_id: BallotId(
                    ballot
                        .parse()
                        .map_err(|_| fr::refusal("ballot-not-found"))?,
                ),
                closed_by: Closure::Gardener,
                key: None,
            }))
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
pub struct ApplicationAdmissionForm {
    #[serde(skip_serializing)]
    csrf: String,
    #[serde(skip_serializing)]
    cle: String,
    college: String,
    scale_of_impact: u8,
    degree_of_information: u8,
    connections_produced: u8,
    care_for_the_living: u8,
    poetic_radiance: u8,
    social_innovation: u8,
    engagement: u8,
}

impl FormFields for ApplicationAdmissionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        self
    }
}

fn applicant_of(text: &str) -> Result<PioneerId, String> {
    text.parse()
        .map(PioneerId)
        .map_err(|_| fr::refusal("application-not-found"))
}

/// `POST /c/{community}/jardin/candidatures/{applicant}/admission`: admit
/// an applicant with the scores the form gives.
pub async fn admit_application(
    State(state): State<AppState>,
    Path((slug, applicant)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ApplicationAdmissionForm>, FormRejection>,
) -> Result<Response, Failure> {
    let action = format!("candidatures/{applicant}/admission");
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("candidature", &action),
        |_, form| {
            Ok(Command::AdmitApplication(AdmitApplication {
                applicant: applicant_of(&applicant)?,
                college: form.college.clone(),
                scores: Some(AdmissionScores {
                    scale_of_impact: form.scale_of_impact,
                    degree_of_information: form.degree_of_information,
                    connections_produced: form.connections_produced,
                    care_for_the_living: form.care_for_the_living,
                    poetic_radiance: form.poetic_radiance,
                    social_innovation: form.social_innovation,
                    engagement: form.engagement,
                }),
            }))
        },
    )
    .await
}

/// `POST /c/{community}/jardin/candidatures/{applicant}/refus`: decline an
/// application with the reason.
pub async fn decline_application(
    State(state): State<AppState>,
    Path((slug, applicant)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ReasonForm>, FormRejection>,
) -> Result<Response, Failure> {
    let action = format!("candidatures/{applicant}/refus");
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("candidature", &action),
        |_, form| {
            Ok(Command::DeclineApplication(DeclineApplication {
                applicant: applicant_of(&applicant)?,
                reason: form.raison.trim().to_owned(),
            }))
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
pub struct ReasonForm {
    csrf: String,
    cle: String,
    raison: String,
}

impl FormFields for ReasonForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        &self.raison
    }
}

/// `POST /c/{community}/jardin/annonces/{listing}/retrait`: take a
/// reported listing down.
pub async fn take_down(
    State(state): State<AppState>,
    Path((slug, listing)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ReasonForm>, FormRejection>,
) -> Result<Response, Failure> {
    let action = format!("annonces/{listing}/retrait");
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("retrait", &action),
        |_, form| {
            Ok(Command::TakeDownListing(TakeDownListing {
                listing_id: ListingId(
                    listing
                        .parse()
                        .map_err(|_| fr::refusal("listing-not-found"))?,
                ),
                reason: form.raison.trim().to_owned(),
            }))
        },
    )
    .await
}

/// `POST /c/{community}/jardin/echanges/{exchange}/annulation`: reverse a
/// completed exchange.
pub async fn reverse(
    State(state): State<AppState>,
    Path((slug, exchange)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ReasonForm>, FormRejection>,
) -> Result<Response, Failure> {
    let action = format!("echanges/{exchange}/annulation");
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("annulation", &action),
        |visit, form| {
            Ok(Command::ReverseExchange(ReverseExchange {
                exchange_id: ExchangeId(
                    exchange
                        .parse()
                        .map_err(|_| fr::refusal("exchange-not-found"))?,
                ),
                reason: form.raison.trim().to_owned(),
                by: Some(visit.me),
            }))
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
pub struct ExclusionForm {
    csrf: String,
    cle: String,
    membre: String,
    raison: String,
}

impl FormFields for ExclusionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.membre, &self.raison)
    }
}

/// `POST /c/{community}/jardin/exclusion`: exclude a member, with the reason.
pub async fn exclude(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ExclusionForm>, FormRejection>,
) -> Result<Response, Failure> {
    gardener_form(
        &state,
        &slug,
        &headers,
        form,
        ("exclusion", "exclusion"),
        |visit, form| {
            Ok(Command::ExcludePioneer(ExcludePioneer {
                pioneer_id: PioneerId(
                    form.membre
                        .parse()
                        .map_err(|_| fr::refusal("pioneer-not-found"))?,
                ),
                reason: form.raison.trim().to_owned(),
                by: Some(visit.me),
            }))
        },
    )
    .await
}
