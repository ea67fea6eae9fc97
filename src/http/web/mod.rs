//! The web interface, in French: pages rendered by the server from
//! compile-time checked templates, and plain forms that work without
//! JavaScript (post, then redirect, then get). Every form goes through the
//! command path the API uses ([`execute`]), with an idempotency key per
//! form, so a page submitted twice records once; each page shows only what
//! its reader may see, by the API's own access rules.
//!
//! Signing in takes a link carrying a token from the community's platform
//! (`agora token … --link`); it sets an HttpOnly, SameSite=Strict session
//! cookie holding that token, checked again on every request. Forms carry
//! a CSRF token derived from the session.

mod assembly;
mod folds;
mod fr;
mod garden;
mod pages;
mod profile;
pub(crate) mod session;
mod treasury;
mod votes;

use askama::Template;
use axum::Router;
use std::sync::Arc;

use agora_events::CommunitySlug;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use folds::AssemblyFolds;

use super::AppState;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(session::welcome))
        .route("/connexion", get(session::sign_in))
        .route("/deconnexion", post(session::sign_out))
        .route("/static/agora.css", get(stylesheet))
        .route("/c/{community}", get(pages::home))
        .route("/c/{community}/aide", post(pages::record_help))
        .route("/c/{community}/virements", post(pages::give_hours))
        .route(
            "/c/{community}/echanges/{exchange}/confirmer",
            post(pages::confirm_help),
        )
        .route(
            "/c/{community}/echanges/{exchange}/annuler",
            post(pages::cancel_help),
        )
        .route("/c/{community}/marche", get(pages::market))
        .route("/c/{community}/marche/annonces", post(pages::publish))
        .route("/c/{community}/releve", get(pages::statement))
        .route(
            "/c/{community}/projets",
            get(votes::projects).post(votes::propose),
        )
        .route("/c/{community}/scrutins/{ballot}", get(votes::ballot))
        .route("/c/{community}/assemblee", get(assembly::assembly))
        .route("/c/{community}/assemblee/rapport", get(assembly::report))
        .route("/c/{community}/historique", get(assembly::history))
        .route(
            "/c/{community}/profil",
            get(profile::profile).post(profile::update),
        )
        .route(
            "/c/{community}/profil/charte",
            post(profile::accept_charter),
        )
        .route("/c/{community}/profil/parts", post(profile::subscribe))
        .route("/c/{community}/profil/depart", post(profile::leave))
        .route("/c/{community}/jardin", get(garden::garden))
        .route("/c/{community}/jardin/admission", post(garden::admit))
        .route(
            "/c/{community}/jardin/candidatures/{applicant}/admission",
            post(garden::admit_application),
        )
        .route(
            "/c/{community}/jardin/candidatures/{applicant}/refus",
            post(garden::decline_application),
        )
        .route("/c/{community}/jardin/notes", post(garden::score))
        .route("/c/{community}/jardin/scrutins", post(garden::open_ballot))
        .route(
            "/c/{community}/jardin/scrutins/{ballot}/clore",
            post(garden::close_ballot),
        )
        .route(
            "/c/{community}/jardin/annonces/{listing}/retrait",
            post(garden::take_down),
        )
        .route(
            "/c/{community}/jardin/echanges/{exchange}/annulation",
            post(garden::reverse),
        )
        .route("/c/{community}/jardin/exclusion", post(garden::exclude))
        .route("/c/{community}/tresorerie", get(treasury::treasury))
        .route(
            "/c/{community}/tresorerie/versement",
            post(treasury::record_payment),
        )
        .route(
            "/c/{community}/tresorerie/recette",
            post(treasury::record_receipt),
        )
        .route(
            "/c/{community}/tresorerie/attribution",
            post(treasury::allocate),
        )
        .route(
            "/c/{community}/tresorerie/depense",
            post(treasury::record_expense),
        )
        .route("/c/{community}/scrutins/{ballot}/vote", post(votes::vote))
}

/// The stylesheet, small and hand-written, served from the binary.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("agora.css"),
    )
        .into_response()
}

/// What every page shows around its content.
pub struct Layout {
    /// The community's name, from its statutes.
    pub community_name: String,
    /// `/c/<slug>`: where the community's pages live.
    pub base: String,
    /// Which page this is, for the navigation.
    pub here: &'static str,
    pub signed_in: bool,
    /// The visitor holds the role: their pages are in the navigation.
    pub treasurer: bool,
    pub gardener: bool,
    pub csrf: String,
    pub alert: Option<Alert>,
    pub notice: Option<String>,
}

impl Layout {
    /// The layout of a page seen by nobody signed in.
    pub(super) fn anonymous() -> Self {
        Self {
            community_name: String::new(),
            base: String::new(),
            here: "",
            signed_in: false,
            treasurer: false,
            gardener: false,
            csrf: String::new(),
            alert: None,
            notice: None,
        }
    }
}

/// A refusal, shown beside the form it answers, which is drawn again with
/// what was typed in it.
pub struct Alert {
    /// Which form of the page it answers.
    pub form: &'static str,
    pub message: String,
    /// The form's fields as they were sent, its CSRF token and key left
    /// out (the page draws a fresh key).
    pub typed: Vec<(String, String)>,
}

impl Alert {
    pub fn new(form: &'static str, message: String) -> Self {
        Self {
            form,
            message,
            typed: Vec::new(),
        }
    }

    /// The same refusal, with the fields the form sent.
    pub fn keeping(self, typed: Vec<(String, String)>) -> Self {
        Self { typed, ..self }
    }
}

impl Layout {
    /// What was typed in the field `name` of `form`, when the page is
    /// drawn again because that form was refused.
    pub fn typed(&self, form: &str, name: &str) -> Option<&str> {
        let alert = self.alert.as_ref().filter(|alert| alert.form == form)?;
        alert
            .typed
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// What was typed in the field, or `default` when the form was not
    /// refused (or sent no such field).
    pub fn typed_or<'a>(&'a self, form: &str, name: &str, default: &'a str) -> &'a str {
        self.typed(form, name).unwrap_or(default)
    }

    /// Whether `value` is what was chosen in the field (a list's option,
    /// a box ticked) of a refused form.
    pub fn picked(&self, form: &str, name: &str, value: impl std::fmt::Display) -> bool {
        self.typed(form, name) == Some(value.to_string().as_str())
    }

    /// [`Layout::picked`] for a field named after an item, `prefix` then
    /// the item's id (`rang_<option>`).
    pub fn picked_for(
        &self,
        form: &str,
        prefix: &str,
        item: impl std::fmt::Display,
        value: impl std::fmt::Display,
    ) -> bool {
        self.picked(form, &format!("{prefix}{item}"), value)
    }
}

/// A page's query string parsed into `T`; one that does not parse is a
/// French 400 page, like every other refusal of the interface.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for PageQuery<T>
{
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Failure> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|_| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    "Adresse incomplète",
                    fr::refusal("invalid-query"),
                )
            })
    }
}

/// A page with only a heading, a sentence and perhaps where to go next.
#[derive(Template)]
#[template(path = "web/message.html")]
pub(super) struct Message {
    pub(super) layout: Layout,
    pub(super) heading: String,
    pub(super) text: String,
    pub(super) next: Option<String>,
    /// Where to go back to from a page that could not be shown.
    pub(super) back: Option<String>,
}

/// A page that cannot be shown, told in French with its status.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    heading: &'static str,
    text: String,
}

impl Failure {
    fn new(status: StatusCode, heading: &'static str, text: impl Into<String>) -> Self {
        Self {
            status,
            heading,
            text: text.into(),
        }
    }

    fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Page introuvable",
            fr::refusal("community-not-found"),
        )
    }

    /// What the page names does not exist.
    fn missing(rule: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Page introuvable", fr::refusal(rule))
    }

    fn sign_in_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Connexion nécessaire",
            "Ouvrez le lien de connexion personnel que vous avez reçu de votre communauté.",
        )
    }

    fn bad_form(rule: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Formulaire refusé",
            fr::refusal(rule),
        )
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        let problem = error.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let heading = match status {
            StatusCode::UNAUTHORIZED => "Connexion nécessaire",
            StatusCode::FORBIDDEN => "Accès refusé",
            StatusCode::NOT_FOUND => "Page introuvable",
            status if status.is_server_error() => "Service indisponible",
            _ => "Demande refusée",
        };
        Self::new(status, heading, fr::refusal(&problem.rule))
    }
}

impl Failure {
    /// The page that says it, with a link back to `back`.
    fn page(&self, back: Option<String>) -> Response {
        let page = Message {
            layout: Layout::anonymous(),
            heading: self.heading.to_owned(),
            text: self.text.clone(),
            next: None,
            back,
        };
        html(self.status, &page)
    }
}

impl IntoResponse for Failure {
    /// The page without a way back: [`with_way_back`], which knows the
    /// address asked for, draws it again with one.
    fn into_response(self) -> Response {
        let mut response = self.page(None);
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// Middleware: a page that could not be shown links back to the page
/// the visitor came from, the one whose form or link led here (the
/// address without its last part: `/c/x/jardin` for a form posted to
/// `/c/x/jardin/admission`), or to the community's home.
pub async fn with_way_back(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    match response.extensions().get::<Arc<Failure>>() {
        Some(failure) => failure.page(way_back(&path)),
        None => response,
    }
}

/// Where a visitor who could not see `path` goes back to, if anywhere:
/// the page the address belongs to (a form's page, whose forms post to
/// addresses below it: `/c/x/jardin` for `/c/x/jardin/candidatures/…/
/// admission`; a ballot's page for its vote), the community's home for
/// the home's forms and for a page itself, the welcome page for the home.
fn way_back(path: &str) -> Option<String> {
    /// The pages a form's address lies below.
    const PAGES: [&str; 8] = [
        "assemblee",
        "historique",
        "jardin",
        "marche",
        "profil",
        "projets",
        "releve",
        "tresorerie",
    ];
    let rest = path.strip_prefix("/c/")?;
    let parts: Vec<&str> = rest.split('/').filter(|part| !part.is_empty()).collect();
    let community = (*parts.first()?).parse::<CommunitySlug>().ok()?;
    let home = format!("/c/{community}");
    Some(match parts[1..] {
        [] => "/".to_owned(),
        [page, _, ..] if PAGES.contains(&page) => format!("{home}/{page}"),
        ["scrutins", ballot, _, ..] => format!("{home}/scrutins/{ballot}"),
        _ => home,
    })
}

/// The home of the community `path` names, if it names one.
fn community_home(path: &str) -> Option<String> {
    let community: CommunitySlug = path.strip_prefix("/c/")?.split('/').next()?.parse().ok()?;
    Some(format!("/c/{community}"))
}

/// The answer to an address under `/c/` that names no page, or a page
/// that does not take this method, in French: a form's address opened
/// in the browser (after a refusal, say) goes back to the form's page.
pub fn missing_page(method: &Method, path: &str, query: Option<&str>, known: bool) -> Response {
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = match path.trim_end_matches('/') {
            "" | "/c" => "/",
            trimmed => trimmed,
        };
        let query = query.map(|query| format!("?{query}")).unwrap_or_default();
        return Redirect::permanent(&format!("{trimmed}{query}")).into_response();
    }
    if known && (method == Method::GET || method == Method::HEAD) {
        let back = match path {
            "/deconnexion" | "/connexion" => Some("/".to_owned()),
            _ => way_back(path),
        };
        if let Some(back) = back {
            return Redirect::to(&back).into_response();
        }
    }
    let failure = match known {
        true => Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Page introuvable",
            "Cette adresse reçoit un formulaire : ouvrez la page qui le contient.",
        ),
        false => Failure::new(
            StatusCode::NOT_FOUND,
            "Page introuvable",
            "Aucune page ne se trouve à cette adresse.",
        ),
    };
    failure.page(community_home(path).or_else(|| Some("/".to_owned())))
}

/// Whether `path` is one of the web interface's addresses rather than the
/// API's.
pub fn is_page(path: &str) -> bool {
    path == "/" || path.starts_with("/c/") || matches!(path, "/c" | "/connexion" | "/deconnexion")
}

/// The headers every page carries: HTML, a strict content policy, never
/// cached, never telling another site where the reader came from.
fn page_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// A rendered page with the headers every page carries.
fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            page_headers(response.headers_mut());
            response
        }
        Err(error) => {
            tracing::error!(%error, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "erreur interne").into_response()
        }
    }
}
