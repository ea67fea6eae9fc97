//! The pioneer's own page: the charter to accept, shares to subscribe,
//! what other members see of them, and leaving the community.

use agora_events::{PublicProfile, Role, SubscriptionId};
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pages::{
    Done, FormFields, FormTarget, Visit, checked, form_key, notice, optional, run_form,
};
use super::{Alert, Failure, Layout, PageQuery, fr, html};
use crate::domain::{AcceptCharter, Command, LeaveCommunity, SubscribeShares, UpdateProfile};
use crate::http::AppState;
use crate::ledger::PersonalData;

#[derive(Template)]
#[template(path = "web/profil.html")]
struct Profile {
    layout: Layout,
    keys: Keys,
    charter: String,
    accepted: Option<String>,
    charter_current: bool,
    held: u32,
    subscribed: u32,
    paid: String,
    outstanding: String,
    owes: bool,
    nominal: String,
    name: String,
    bio: String,
    skills: String,
    territory: String,
    /// The INSEE code of the commune shown to members.
    commune: String,
    email: String,
    contact: String,
}

struct Keys {
    charter: String,
    shares: String,
    profile: String,
    leave: String,
}

/// `/c/{community}/profil`.
pub async fn profile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(done): PageQuery<Done>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    draw(&state, &visit, StatusCode::OK, None, notice(&done))
}

fn draw(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Result<Response, Failure> {
    let community = &visit.view.state;
    let me = community
        .pioneer(visit.me)
        .ok_or_else(|| Failure::missing("pioneer-not-found"))?;
    let personal = state
        .ledger
        .keys()
        .open(visit.me, &me.personal)
        .unwrap_or(PersonalData {
            display_name: String::new(),
            email: None,
            contact: None,
            bio: None,
            place: None,
        });
    let holding = community.register.holding(visit.me);
    let charter = community.statutes.charter_version.clone();
    let page = Profile {
        layout: visit.layout("profil", alert, notice),
        keys: Keys {
            charter: form_key(),
            shares: form_key(),
            profile: form_key(),
            leave: form_key(),
        },
        charter_current: me.charter_version.as_deref() == Some(charter.as_str()),
        accepted: me.charter_version.clone(),
        charter,
        held: holding.held_paid_shares(),
        subscribed: holding.subscribed_shares,
        paid: fr::euros(holding.paid_amount),
        outstanding: fr::euros(holding.outstanding),
        owes: !holding.outstanding.value().is_zero(),
        nominal: fr::euros(community.statutes.share_nominal),
        name: personal.display_name,
        bio: personal.bio.unwrap_or_default(),
        skills: me.profile.skills.join(", "),
        territory: me.profile.territory.clone().unwrap_or_default(),
        commune: personal
            .place
            .and_then(|place| place.commune)
            .unwrap_or_default(),
        email: personal.email.unwrap_or_default(),
        contact: personal.contact.unwrap_or_default(),
    };
    Ok(html(status, &page))
}

/// Runs one of this page's forms, for oneself.
async fn own_form<F: FormFields>(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
    form: Result<Form<F>, FormRejection>,
    which: &'static str,
    command: impl FnOnce(&Visit, &F) -> Result<Command, String>,
) -> Result<Response, Failure> {
    let target = FormTarget {
        role: Role::Pioneer,
        page: "profil",
        which,
        action: which,
    };
    run_form(state, slug, headers, form, target, redraw, command).await
}

/// The page again, with a refusal beside its form.
fn redraw(state: &AppState, visit: &Visit, status: StatusCode, alert: Alert) -> Response {
    draw(state, visit, status, Some(alert), None)
        .unwrap_or_else(axum::response::IntoResponse::into_response)
}

#[derive(Deserialize, Serialize)]
pub struct CharterForm {
    csrf: String,
    cle: String,
    version: String,
    #[serde(default)]
    accepte: String,
}

impl FormFields for CharterForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.version, &self.accepte)
    }
}

/// `POST /c/{community}/profil/charte`: accept the charter in force.
pub async fn accept_charter(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CharterForm>, FormRejection>,
) -> Result<Response, Failure> {
    own_form(&state, &slug, &headers, form, "charte", |visit, form| {
        if form.accepte != "oui" {
            return Err(fr::refusal("charter-unticked"));
        }
        Ok(Command::AcceptCharter(AcceptCharter {
            pioneer_id: visit.me,
            charter_version: form.version.clone(),
        }))
    })
    .await
}

#[derive(Deserialize, Serialize)]
pub struct SharesForm {
    csrf: String,
    cle: String,
    parts: u32,
}

impl FormFields for SharesForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        self.parts
    }
}

/// `POST /c/{community}/profil/parts`: subscribe shares.
pub async fn subscribe(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<SharesForm>, FormRejection>,
) -> Result<Response, Failure> {
    own_form(&state, &slug, &headers, form, "parts", |visit, form| {
        Ok(Command::SubscribeShares(SubscribeShares {
            subscription_id: SubscriptionId(Uuid::now_v7()),
            pioneer_id: visit.me,
            shares: form.parts,
        }))
    })
    .await
}

#[derive(Deserialize, Serialize)]
pub struct ProfileForm {
    #[serde(skip_serializing)]
    csrf: String,
    #[serde(skip_serializing)]
    cle: String,
    nom: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    competences: String,
    #[serde(default)]
    territoire: String,
    /// The INSEE code of the commune shown to members; empty: none.
    #[serde(default)]
    commune: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    contact: String,
}

impl FormFields for ProfileForm {
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

/// `POST /c/{community}/profil`: what other members see; personal fields
/// sealed anew with the pioneer's key.
pub async fn update(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ProfileForm>, FormRejection>,
) -> Result<Response, Failure> {
    let keys = state.ledger.keys();
    own_form(&state, &slug, &headers, form, "profil", |visit, form| {
        let me = visit
            .view
            .state
            .pioneer(visit.me)
            .ok_or_else(|| fr::refusal("pioneer-not-found"))?;
        let key = keys
            .key_of(visit.me)
            .ok_or_else(|| fr::refusal("pioneer-forgotten"))?;
        let current = key.open(visit.me, &me.personal);
        let personal = PersonalData {
            display_name: form.nom.trim().to_owned(),
            email: optional(&form.courriel),
            contact: optional(&form.contact),
            bio: optional(&form.bio),
            place: shown_place(&form.commune, current.and_then(|data| data.place))?,
        };
        crate::http::pioneers::validate_personal(&personal)
            .map_err(|rejection| fr::refusal(rejection.rule()))?;
        Ok(Command::UpdateProfile(UpdateProfile {
            pioneer_id: visit.me,
            profile: PublicProfile {
                skills: form
                    .competences
                    .split(',')
                    .map(|skill| skill.trim().to_lowercase())
                    .filter(|skill| !skill.is_empty())
                    .collect(),
                territory: optional(&form.territoire),
            },
            personal: Some(key.seal(visit.me, &personal)),
            based_on: (me.profile.clone(), me.personal.clone()),
        }))
    })
    .await
}

/// The place a pioneer shows from the profile form: the commune they typed
/// (their point kept while the commune stays the same), or none.
fn shown_place(
    commune: &str,
    current: Option<agora_events::Place>,
) -> Result<Option<agora_events::Place>, String> {
    let Some(commune) = optional(commune).map(|code| code.to_uppercase()) else {
        return Ok(None);
    };
    let point = current
        .filter(|place| place.commune.as_deref() == Some(commune.as_str()))
        .and_then(|place| place.point);
    let place = agora_events::Place {
        commune: Some(commune),
        point,
    };
    crate::domain::places::validate_place("commune", &place)
        .map_err(|rejection| fr::refusal(rejection.rule()))?;
    Ok(Some(place))
}

#[derive(Deserialize, Serialize)]
pub struct LeaveForm {
    csrf: String,
    cle: String,
    #[serde(default)]
    confirme: String,
}

impl FormFields for LeaveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        &self.confirme
    }
}

/// `POST /c/{community}/profil/depart`: leave the community. Once gone,
/// the member's pages are closed to them: the answer says goodbye.
pub async fn leave(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<LeaveForm>, FormRejection>,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let form = checked(&visit, form)?;
    let refused = |status, alert| redraw(&state, &visit, status, alert);
    if form.confirme != "oui" {
        let alert = Alert::new("depart", fr::refusal("leave-unconfirmed"));
        return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, alert));
    }
    let command = Command::LeaveCommunity(LeaveCommunity {
        pioneer_id: visit.me,
    });
    let path = format!("{}/profil/depart", visit.base());
    match visit.run(&state, &form, &path, command).await {
        Ok(_) => Ok(html(
            StatusCode::OK,
            &super::Message {
                layout: Layout::anonymous(),
                heading: "Vous avez quitté la communauté".into(),
                text: "Merci pour tout ce que vous y avez apporté. Votre relevé reste consultable par l'API, et le trésorier peut vous rembourser vos parts.".into(),
                next: None,
                back: None,
            },
        )),
        Err(error) => {
            let problem = error.problem();
            let status = StatusCode::from_u16(problem.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let alert = Alert::new("depart", fr::refusal(&problem.rule));
            Ok(refused(status, alert))
        }
    }
}
