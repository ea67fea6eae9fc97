//! The pioneer's pages: home (balance, help to confirm, help given, giving
//! hours, shares, open ballots), the marketplace, the statement.

use std::sync::Arc;

use agora_events::{
    AccountId, CommunitySlug, ExchangeId, Hash, Hours, ListingId, ListingKind, PioneerId, Role,
    TransferId,
};
use agora_projections::ExchangeStatus;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::session::{Session, seen_cookie};
use super::{Alert, Failure, Layout, PageQuery, fr, html};
use crate::domain::{
    CancelExchange, Canceller, Command, ConfirmExchange, PublishListing, RecordExchange,
    TransferCredits,
};
use crate::http::AppState;
use crate::http::caller::Access;
use crate::http::command::{CommandContext, Submission, enter, execute};
use crate::http::error::ApiError;
use crate::http::extract::IDEMPOTENCY_KEY_BYTES_MAX;
use crate::ledger::DurableView;

/// A signed-in pioneer on one of their community's pages.
pub(super) struct Visit {
    pub(super) session: Session,
    pub(super) community: CommunitySlug,
    pub(super) view: Arc<DurableView>,
    pub(super) me: PioneerId,
}

impl Visit {
    /// Signs the visitor in from their cookie, finds the community and
    /// checks they are one of its pioneers.
    pub(super) fn start(
        state: &AppState,
        headers: &HeaderMap,
        slug: &str,
    ) -> Result<Self, Failure> {
        let mut session = Session::of(state, headers)?;
        let community: CommunitySlug = slug.parse().map_err(|_| Failure::not_found())?;
        // A representative visits as the organisation they act for.
        if let Some(view) = state.ledger.view(&community) {
            session.caller.resolve(&view);
        }
        let (view, _) = enter(state, &session.caller, &community, Access::Member)?;
        let me = session
            .caller
            .pioneer_id()
            .filter(|id| view.state.pioneer(*id).is_some())
            .ok_or_else(|| {
                Failure::from(ApiError::Forbidden {
                    rule: "pioneer-only",
                    detail: String::new(),
                })
            })?;
        Ok(Self {
            session,
            community,
            view,
            me,
        })
    }

    pub(super) fn layout(
        &self,
        here: &'static str,
        alert: Option<Alert>,
        notice: Option<String>,
    ) -> Layout {
        Layout {
            community_name: self.view.state.statutes.name.clone(),
            base: self.base(),
            here,
            signed_in: true,
            treasurer: self.holds(Role::Treasurer),
            gardener: self.holds(Role::Gardener),
            csrf: self.session.csrf(),
            alert,
            notice,
        }
    }

    /// Whether the visitor acts in `role` here (their token claims it and
    /// the ledger grants it).
    pub(super) fn holds(&self, role: Role) -> bool {
        self.session
            .caller
            .authorize(&self.community, Some(&self.view), Access::AnyOf(&[role]))
            .is_ok()
    }

    /// Refuses a visitor who does not act in `role` here.
    pub(super) fn require(&self, role: Role) -> Result<(), Failure> {
        self.session
            .caller
            .authorize(&self.community, Some(&self.view), Access::AnyOf(&[role]))
            .map(|_| ())
            .map_err(Failure::from)
    }

    pub(super) fn base(&self) -> String {
        format!("/c/{}", self.community)
    }

    /// What a member is called here: their display name, once opened.
    pub(super) fn name_of(&self, state: &AppState, pioneer: PioneerId) -> String {
        crate::http::pioneers::display_name(state, &self.view.state, pioneer)
            .unwrap_or_else(|| "un membre parti".to_owned())
    }

    /// Every other active member, by name as a French reader sorts them;
    /// two of the same name told apart by the end of their id.
    pub(super) fn other_members(&self, state: &AppState) -> Vec<Member> {
        let mut members: Vec<Member> = self
            .view
            .state
            .pioneers
            .values()
            .filter(|pioneer| pioneer.is_active() && pioneer.id != self.me)
            .map(|pioneer| Member {
                id: pioneer.id,
                name: self.name_of(state, pioneer.id),
            })
            .collect();
        members.sort_by_cached_key(|member| fr::sort_key(&member.name));
        let names: Vec<String> = members.iter().map(|member| member.name.clone()).collect();
        for member in &mut members {
            if names.iter().filter(|name| **name == member.name).count() > 1 {
                let id = member.id.to_string();
                member.name = format!("{} ({})", member.name, &id[id.len() - 4..]);
            }
        }
        members
    }

    pub(super) fn account_name(&self, state: &AppState, account: AccountId) -> String {
        match account {
            AccountId::Pioneer(pioneer) => self.name_of(state, pioneer),
            AccountId::Project(project) => self
                .view
                .state
                .projects
                .get(project)
                .map(|project| format!("le projet « {} »", project.title))
                .unwrap_or_else(|| "un projet".to_owned()),
            AccountId::Community => "la communauté".to_owned(),
        }
    }

    /// Runs a command sent by one of this page's forms, as the pioneer.
    pub(super) async fn run(
        &self,
        state: &AppState,
        form: &impl FormFields,
        path: &str,
        command: Command,
    ) -> Result<Option<u64>, ApiError> {
        self.run_as(state, Role::Pioneer, form, path, command).await
    }

    /// Runs a command sent by one of this page's forms, in `role`.
    pub(super) async fn run_as(
        &self,
        state: &AppState,
        role: Role,
        form: &impl FormFields,
        path: &str,
        command: Command,
    ) -> Result<Option<u64>, ApiError> {
        self.submit(state, role, form, path, command, None).await
    }

    /// Runs a command that admits a pioneer whose personal data `key`
    /// seals, as the gardener.
    pub(super) async fn run_admission(
        &self,
        state: &AppState,
        form: &impl FormFields,
        path: &str,
        command: Command,
        key: (PioneerId, crate::ledger::PersonalKey),
    ) -> Result<Option<u64>, ApiError> {
        self.submit(state, Role::Gardener, form, path, command, Some(key))
            .await
    }

    async fn submit(
        &self,
        state: &AppState,
        role: Role,
        form: &impl FormFields,
        path: &str,
        command: Command,
        key: Option<(PioneerId, crate::ledger::PersonalKey)>,
    ) -> Result<Option<u64>, ApiError> {
        let (_, actor) = enter(
            state,
            &self.session.caller,
            &self.community,
            Access::AnyOf(&[role]),
        )?;
        let digest = Hash::of(&serde_json::to_vec(&form.digested()).unwrap_or_default());
        let context = CommandContext::new(Some(form.key().to_owned()), "POST", path);
        let mut submission = Submission::new(self.community.clone(), actor, command, digest);
        if let Some((pioneer, key)) = key {
            submission = submission.with_personal_key(pioneer, key);
        }
        let (outcome, _) = execute(state, &self.session.caller, context, submission).await?;
        Ok(outcome.events.last().map(|event| event.revision))
    }
}

/// What every form sends besides its own fields.
pub(super) trait FormFields: Serialize {
    fn csrf(&self) -> &str;
    /// The form's idempotency key, minted when the page was drawn.
    fn key(&self) -> &str;
    /// The fields that make the command, digested with its key.
    fn digested(&self) -> impl Serialize;
    /// The fields as typed, to draw them back into the form it refuses:
    /// every field but the CSRF token and the key.
    fn typed(&self) -> Vec<(String, String)> {
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) else {
            return Vec::new();
        };
        fields
            .into_iter()
            .filter(|(name, _)| !matches!(name.as_str(), "csrf" | "cle"))
            .filter_map(|(name, value)| match value {
                serde_json::Value::String(text) => Some((name, text)),
                serde_json::Value::Number(number) => Some((name, number.to_string())),
                _ => None,
            })
            .collect()
    }
}

/// Checks what every form carries: the session's CSRF token and a usable
/// idempotency key.
pub(super) fn checked<F: FormFields>(
    visit: &Visit,
    form: Result<Form<F>, FormRejection>,
) -> Result<F, Failure> {
    let Form(form) = form.map_err(|_| Failure::bad_form("invalid-form"))?;
    visit.session.check_csrf(form.csrf())?;
    let key = form.key();
    let usable = !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_BYTES_MAX
        && key.bytes().all(|byte| byte.is_ascii_graphic());
    if !usable {
        return Err(Failure::bad_form("invalid-form"));
    }
    Ok(form)
}

/// Where a form of a page posts, and as whom it acts.
pub(super) struct FormTarget<'a> {
    /// The role the command is taken in ([`Role::Pioneer`] for one's own).
    pub(super) role: Role,
    /// The page under the community: `jardin`, `tresorerie`, `profil`, or
    /// the empty string for its home.
    pub(super) page: &'static str,
    /// Which form of the page: what its refusal and its notice are keyed by.
    pub(super) which: &'static str,
    /// The form's path under the page, with the item it acts on: part of
    /// what the form's key answers for.
    pub(super) action: &'a str,
}

/// Runs one of a page's forms: signs the visitor in, checks their role,
/// the form's CSRF token and key, builds the command (or says in French
/// why not), runs it in that role, and answers: back to the page saying
/// what was done, or the page drawn again by `redraw` with the refusal
/// beside the form.
pub(super) async fn run_form<F: FormFields>(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
    form: Result<Form<F>, FormRejection>,
    target: FormTarget<'_>,
    redraw: impl Fn(&AppState, &Visit, StatusCode, Alert) -> Response,
    command: impl FnOnce(&Visit, &F) -> Result<Command, String>,
) -> Result<Response, Failure> {
    let FormTarget {
        role,
        page,
        which,
        action,
    } = target;
    let visit = Visit::start(state, headers, slug)?;
    if role != Role::Pioneer {
        visit.require(role)?;
    }
    let form = checked(&visit, form)?;
    let refused = |status, alert| redraw(state, &visit, status, alert);
    let command = match command(&visit, &form) {
        Ok(command) => command,
        Err(message) => {
            let alert = Alert::new(which, message).keeping(form.typed());
            return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, alert));
        }
    };
    // The empty page is the community's home.
    let path = match page {
        "" => visit.base(),
        page => format!("{}/{page}", visit.base()),
    };
    let outcome = visit
        .run_as(state, role, &form, &format!("{path}/{action}"), command)
        .await;
    Ok(answered(
        outcome,
        format!("{path}?fait={which}"),
        refused,
        Alert::new(which, String::new()).keeping(form.typed()),
    ))
}

/// A form's text field, `None` when left blank.
pub(super) fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A fresh key for a form being drawn.
pub(super) fn form_key() -> String {
    Uuid::now_v7().to_string()
}

/// Hours from a form's hours and minutes (0, 15, 30 or 45), at most 24 h.
fn duration(hours: u32, minutes: u32) -> Result<Hours, String> {
    if hours > 24 || (hours == 24 && minutes > 0) || !matches!(minutes, 0 | 15 | 30 | 45) {
        return Err(fr::refusal("invalid-form"));
    }
    let value = Decimal::from(hours) + Decimal::from(minutes) / Decimal::from(60);
    Hours::new(value.round_dp(2)).map_err(|_| fr::refusal("invalid-form"))
}

/// After a command: back to the page, or the page again with the refusal
/// in `alert` (its form and what was typed in it; the message is the
/// refusal's). Going back carries the revision the command recorded (a
/// cookie the community's pages honour, see `session::caught_up`), so that
/// the page, whichever instance draws it, shows what was just done.
pub(super) fn answered(
    outcome: Result<Option<u64>, ApiError>,
    to: String,
    refused: impl FnOnce(StatusCode, Alert) -> Response,
    alert: Alert,
) -> Response {
    match outcome {
        Ok(revision) => {
            let mut response = Redirect::to(&to).into_response();
            if let Some(cookie) = revision.and_then(|revision| seen_cookie(&to, revision)) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => {
            let problem = error.problem();
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // When the ledger could not answer, the command may have been
            // recorded: the form comes back empty, so that sending it again
            // under a fresh key takes a deliberate retyping.
            let typed = match status.is_server_error() {
                true => Vec::new(),
                false => alert.typed,
            };
            let alert = Alert {
                message: fr::refusal(&problem.rule),
                typed,
                ..alert
            };
            refused(status, alert)
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    pub(super) fait: Option<String>,
}

/// What a finished form says, by the `fait` of the page it returns to.
pub(super) fn notice(done: &Done) -> Option<String> {
    let words = match done.fait.as_deref()? {
        "aide" => "Votre aide est enregistrée ; elle attend la confirmation de la personne aidée.",
        "confirme" => "Merci ! L'échange est confirmé et les heures ont bougé.",
        "annule" => "L'échange est annulé ; aucune heure n'a bougé.",
        "virement" => "Les heures sont données.",
        "annonce" => "Votre annonce est publiée.",
        "projet" => "Votre projet est proposé ; le jardinier le notera.",
        "vote" => "Votre vote est enregistré.",
        "versement" => "Le versement est enregistré.",
        "recette" => "La recette est enregistrée.",
        "attribution" => "Les fonds sont attribués.",
        "depense" => "La dépense est enregistrée.",
        "admission" => "Le nouveau pionnier est admis ; envoyez-lui son lien de connexion.",
        "note" => "La note est enregistrée ; le classement a bougé.",
        "scrutin" => "Le scrutin est ouvert.",
        "cloture" => "Le scrutin est clos et compté.",
        "retrait" => "L'annonce est retirée.",
        "annulation" => "L'échange est annulé et les heures rendues.",
        "exclusion" => "Le membre est exclu.",
        "charte" => "Merci : vous avez accepté la charte.",
        "parts" => {
            "Votre souscription est enregistrée ; le trésorier enregistrera votre versement."
        }
        "profil" => "Votre profil est à jour.",
        _ => return None,
    };
    Some(words.to_owned())
}

#[derive(Template)]
#[template(path = "web/accueil.html")]
struct Home {
    layout: Layout,
    me: String,
    balance: String,
    floor: String,
    ceiling: String,
    to_confirm: Vec<PendingHelp>,
    waiting: Vec<PendingHelp>,
    members: Vec<Member>,
    help_key: String,
    transfer_key: String,
    shares_held: u32,
    paid: String,
    outstanding: String,
    owes: bool,
    ballots: Vec<OpenBallot>,
}

struct PendingHelp {
    id: ExchangeId,
    other: String,
    hours: String,
    description: String,
    date: String,
    key: String,
    cancel_key: String,
}

/// A member offered in a form's list.
pub(super) struct Member {
    pub(super) id: PioneerId,
    pub(super) name: String,
}

struct OpenBallot {
    id: agora_events::BallotId,
    question: String,
    closes: String,
    voted: bool,
}

/// `/c/{community}`: the pioneer's home.
pub async fn home(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(done): PageQuery<Done>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    Ok(draw_home(
        &state,
        &visit,
        StatusCode::OK,
        None,
        notice(&done),
    ))
}

fn draw_home(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Response {
    let community = &visit.view.state;
    let mine = AccountId::Pioneer(visit.me);
    let statutes = &community.statutes;
    let pending = |exchange: &agora_projections::Exchange, other: String| PendingHelp {
        id: exchange.id,
        other,
        hours: fr::hours(exchange.hours),
        description: exchange.description.clone(),
        date: fr::date(exchange.recorded_at),
        key: form_key(),
        cancel_key: form_key(),
    };
    let open: Vec<_> = community
        .market
        .exchanges
        .values()
        .filter(|exchange| exchange.status == ExchangeStatus::Pending)
        .collect();
    let to_confirm = open
        .iter()
        .filter(|exchange| exchange.receiver == mine)
        .map(|exchange| pending(exchange, visit.name_of(state, exchange.provider)))
        .collect();
    let waiting = open
        .iter()
        .filter(|exchange| exchange.provider == visit.me)
        .map(|exchange| pending(exchange, visit.account_name(state, exchange.receiver)))
        .collect();
    let members = visit.other_members(state);
    let holding = community.register.holding(visit.me);
    let ballots = community
        .ballots
        .by_id
        .values()
        .filter(|ballot| ballot.is_open())
        .map(|ballot| OpenBallot {
            id: ballot.opened.ballot_id,
            question: ballot.opened.question.clone(),
            closes: fr::date(ballot.opened.closes_at),
            voted: ballot.votes.contains_key(&visit.me),
        })
        .collect();
    let limit = |limit: Option<Hours>| limit.map_or_else(|| "aucun".to_owned(), fr::hours);
    let page = Home {
        layout: visit.layout("accueil", alert, notice),
        me: visit.name_of(state, visit.me),
        balance: fr::hours(community.market.balance(mine)),
        floor: limit(statutes.floor_of(mine)),
        ceiling: limit(statutes.ceiling_of(mine)),
        to_confirm,
        waiting,
        members,
        help_key: form_key(),
        transfer_key: form_key(),
        shares_held: holding.held_paid_shares(),
        paid: fr::euros(holding.paid_amount),
        outstanding: fr::euros(holding.outstanding),
        owes: !holding.outstanding.value().is_zero(),
        ballots,
    };
    html(status, &page)
}

#[derive(Deserialize, Serialize)]
pub struct HelpForm {
    csrf: String,
    cle: String,
    receiver: String,
    heures: u32,
    minutes: u32,
    description: String,
}

impl FormFields for HelpForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.receiver, self.heures, self.minutes, &self.description)
    }
}

/// `POST /c/{community}/aide`: "I helped someone for 1 h 30".
pub async fn record_help(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<HelpForm>, FormRejection>,
) -> Result<Response, Failure> {
    let target = home_form("aide", "aide");
    run_form(
        &state,
        &slug,
        &headers,
        form,
        target,
        redraw_home,
        |visit, form| {
            let receiver: PioneerId = form
                .receiver
                .parse()
                .map_err(|_| fr::refusal("pioneer-not-found"))?;
            Ok(Command::RecordExchange(RecordExchange {
                exchange_id: ExchangeId(Uuid::now_v7()),
                provider: visit.me,
                receiver: AccountId::Pioneer(receiver),
                hours: duration(form.heures, form.minutes)?,
                description: form.description.trim().to_owned(),
                listing_id: None,
            }))
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
pub struct TransferForm {
    csrf: String,
    cle: String,
    payee: String,
    heures: u32,
    minutes: u32,
    memo: String,
}

impl FormFields for TransferForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.payee, self.heures, self.minutes, &self.memo)
    }
}

/// `POST /c/{community}/virements`: give hours to someone.
pub async fn give_hours(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<TransferForm>, FormRejection>,
) -> Result<Response, Failure> {
    let target = home_form("virement", "virements");
    run_form(
        &state,
        &slug,
        &headers,
        form,
        target,
        redraw_home,
        |visit, form| {
            let payee: PioneerId = form
                .payee
                .parse()
                .map_err(|_| fr::refusal("pioneer-not-found"))?;
            let memo = form.memo.trim();
            Ok(Command::TransferCredits(TransferCredits {
                transfer_id: TransferId(Uuid::now_v7()),
                payer: AccountId::Pioneer(visit.me),
                by: visit.me,
                payee: AccountId::Pioneer(payee),
                hours: duration(form.heures, form.minutes)?,
                memo: (!memo.is_empty()).then(|| memo.to_owned()),
            }))
        },
    )
    .await
}

/// A form of the home page, posting to `action` under it, for oneself.
fn home_form<'a>(which: &'static str, action: &'a str) -> FormTarget<'a> {
    FormTarget {
        role: Role::Pioneer,
        page: "",
        which,
        action,
    }
}

/// The home page again, with a refusal beside its form.
fn redraw_home(state: &AppState, visit: &Visit, status: StatusCode, alert: Alert) -> Response {
    draw_home(state, visit, status, Some(alert), None)
}

/// A form that is only a button: its CSRF token and key.
#[derive(Deserialize, Serialize)]
pub struct ButtonForm {
    csrf: String,
    cle: String,
}

impl FormFields for ButtonForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {}
}

/// `POST /c/{community}/echanges/{exchange}/confirmer`: yes, they helped me.
pub async fn confirm_help(
    State(state): State<AppState>,
    Path((slug, exchange)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ButtonForm>, FormRejection>,
) -> Result<Response, Failure> {
    exchange_button(&state, &slug, &exchange, &headers, form, "confirmer").await
}

/// `POST /c/{community}/echanges/{exchange}/annuler`: no, or no longer.
pub async fn cancel_help(
    State(state): State<AppState>,
    Path((slug, exchange)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ButtonForm>, FormRejection>,
) -> Result<Response, Failure> {
    exchange_button(&state, &slug, &exchange, &headers, form, "annuler").await
}

async fn exchange_button(
    state: &AppState,
    slug: &str,
    exchange: &str,
    headers: &HeaderMap,
    form: Result<Form<ButtonForm>, FormRejection>,
    action: &'static str,
) -> Result<Response, Failure> {
    let visit = Visit::start(state, headers, slug)?;
    let form = checked(&visit, form)?;
    let exchange_id = exchange
        .parse()
        .map(ExchangeId)
        .map_err(|_| Failure::bad_form("exchange-not-found"))?;
    let (command, done) = if action == "confirmer" {
        let command = Command::ConfirmExchange(ConfirmExchange {
            exchange_id,
            by: visit.me,
        });
        (command, "confirme")
    } else {
        let command = Command::CancelExchange(CancelExchange {
            exchange_id,
            by: Canceller::Party(visit.me),
            reason: None,
        });
        (command, "annule")
    };
    let path = format!("{}/echanges/{exchange_id}/{action}", visit.base());
    let outcome = visit.run(state, &form, &path, command).await;
    let refused = |status, alert| draw_home(state, &visit, status, Some(alert), None);
    Ok(answered(
        outcome,
        format!("{}?fait={done}", visit.base()),
        refused,
        Alert::new("echange", String::new()),
    ))
}

#[derive(Template)]
#[template(path = "web/marche.html")]
struct Market {
    layout: Layout,
    tag: String,
    kind: String,
    listings: Vec<ListingCard>,
    publish_key: String,
}

struct ListingCard {
    kind: &'static str,
    title: String,
    description: String,
    author: String,
    date: String,
    tags: String,
}

#[derive(Deserialize, Default)]
pub struct MarketQuery {
    #[serde(default)]
    etiquette: String,
    #[serde(default)]
    sorte: String,
    fait: Option<String>,
}

/// Most listings a page of the marketplace shows.
const LISTINGS_SHOWN: usize = 100;

/// `/c/{community}/marche`: offers and requests, by skill tag.
pub async fn market(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(query): PageQuery<MarketQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let done = Done {
        fait: query.fait.clone(),
    };
    Ok(draw_market(
        &state,
        &visit,
        &query,
        StatusCode::OK,
        None,
        notice(&done),
    ))
}

fn draw_market(
    state: &AppState,
    visit: &Visit,
    query: &MarketQuery,
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Response {
    let tag = query.etiquette.trim().to_lowercase();
    let kind = match query.sorte.as_str() {
        "offre" => Some(ListingKind::Offer),
        "demande" => Some(ListingKind::Request),
        _ => None,
    };
    let listings = visit
        .view
        .state
        .market
        .listings
        .values()
        .rev()
        .filter(|listing| listing.is_open())
        .filter(|listing| kind.is_none_or(|kind| listing.kind == kind))
        .filter(|listing| tag.is_empty() || listing.tags.iter().any(|t| t.contains(&tag)))
        .take(LISTINGS_SHOWN)
        .map(|listing| ListingCard {
            kind: match listing.kind {
                ListingKind::Offer => "Offre",
                ListingKind::Request => "Demande",
            },
            title: listing.title.clone(),
            description: listing.description.clone(),
            author: visit.name_of(state, listing.author),
            date: fr::date(listing.published_at),
            tags: listing.tags.join(", "),
        })
        .collect();
    let page = Market {
        layout: visit.layout("marche", alert, notice),
        tag: query.etiquette.clone(),
        kind: query.sorte.clone(),
        listings,
        publish_key: form_key(),
    };
    html(status, &page)
}

#[derive(Deserialize, Serialize)]
pub struct ListingForm {
    csrf: String,
    cle: String,
    sorte: String,
    titre: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    etiquettes: String,
}

impl FormFields for ListingForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (
            &self.sorte,
            &self.titre,
            &self.description,
            &self.etiquettes,
        )
    }
}

/// `POST /c/{community}/marche/annonces`: publish an offer or a request.
pub async fn publish(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ListingForm>, FormRejection>,
) -> Result<Response, Failure> {
    let target = FormTarget {
        role: Role::Pioneer,
        page: "marche",
        which: "annonce",
        action: "annonces",
    };
    let redraw = |state: &AppState, visit: &Visit, status, alert| {
        draw_market(
            state,
            visit,
            &MarketQuery::default(),
            status,
            Some(alert),
            None,
        )
    };
    run_form(
        &state,
        &slug,
        &headers,
        form,
        target,
        redraw,
        |visit, form| {
            let kind = match form.sorte.as_str() {
                "offre" => ListingKind::Offer,
                "demande" => ListingKind::Request,
                _ => return Err(fr::refusal("invalid-form")),
            };
            Ok(Command::PublishListing(PublishListing {
                listing_id: ListingId(Uuid::now_v7()),
                author: visit.me,
                kind,
                title: form.titre.trim().to_owned(),
                description: form.description.trim().to_owned(),
                tags: form
                    .etiquettes
                    .split(',')
                    .map(|tag| tag.trim().to_lowercase())
                    .filter(|tag| !tag.is_empty())
                    .collect(),
                place: None,
            }))
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "web/releve.html")]
struct Statement {
    layout: Layout,
    balance: String,
    total: u64,
    lines: Vec<StatementRow>,
    earlier: Option<u64>,
    later: Option<u64>,
}

struct StatementRow {
    date: String,
    kind: &'static str,
    counterparty: String,
    hours: String,
    balance_after: String,
}

#[derive(Deserialize)]
pub struct StatementQuery {
    depuis: Option<u64>,
}

/// Lines a page of the statement shows.
const STATEMENT_PAGE: u64 = 50;

/// `/c/{community}/releve`: my statement with its running balance, the
/// latest lines first shown.
pub async fn statement(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(query): PageQuery<StatementQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let account = AccountId::Pioneer(visit.me);
    let read = |from: u64, limit: u64| {
        state.ledger.statement(
            &visit.community,
            account,
            visit.view.revision,
            from,
            limit as usize,
        )
    };
    let (total, _) = read(0, 1).await.map_err(ApiError::from)?;
    // From where asked, but never past the end: the latest page by default.
    let from = query
        .depuis
        .unwrap_or(u64::MAX)
        .min(total.saturating_sub(STATEMENT_PAGE));
    let (total, lines) = read(from, STATEMENT_PAGE).await.map_err(ApiError::from)?;
    let lines = lines
        .into_iter()
        .map(|line| StatementRow {
            date: fr::date(line.at),
            kind: match line.kind {
                agora_projections::MovementKind::Exchange => "Échange",
                agora_projections::MovementKind::Reversal => "Échange annulé par le jardinier",
                agora_projections::MovementKind::Transfer => "Don d'heures",
                agora_projections::MovementKind::Settlement => "Solde repris par la communauté",
            },
            counterparty: visit.account_name(&state, line.counterparty),
            hours: fr::signed_hours(line.hours),
            balance_after: fr::hours(line.balance_after),
        })
        .collect();
    let page = Statement {
        layout: visit.layout("releve", None, None),
        balance: fr::hours(visit.view.state.market.balance(account)),
        total,
        lines,
        earlier: (from > 0).then(|| from.saturating_sub(STATEMENT_PAGE)),
        later: Some(from.saturating_add(STATEMENT_PAGE)).filter(|later| *later < total),
    };
    Ok(html(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `answered` hands to the page it draws again, for `outcome`.
    fn redrawn(outcome: Result<Option<u64>, ApiError>) -> (StatusCode, Alert) {
        let typed = vec![("montant".to_owned(), "500,00".to_owned())];
        let mut drawn = None;
        answered(
            outcome,
            "/c/demo/tresorerie?fait=recette".into(),
            |status, alert| {
                drawn = Some((status, alert));
                StatusCode::OK.into_response()
            },
            Alert::new("recette", String::new()).keeping(typed),
        );
        drawn.expect("a refusal draws the page again")
    }

    /// A rule's refusal keeps what was typed; when the ledger could not
    /// answer, the command may be recorded already, and the form comes
    /// back empty rather than ready to record it twice under a new key.
    #[test]
    fn a_form_keeps_what_was_typed_unless_the_command_may_be_recorded() {
        let (status, alert) = redrawn(Err(crate::domain::Rejection::SelfTransfer.into()));
        assert!(status.is_client_error());
        assert_eq!(alert.typed.len(), 1);
        let (status, alert) = redrawn(Err(ApiError::Timeout));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(alert.typed.is_empty());
        assert!(
            alert.message.contains("peut-être été enregistrée"),
            "{}",
            alert.message
        );
    }
}
