//! Signing in with a link, the session cookie, and the CSRF token of forms.
//!
//! No password is kept here: the link carries a token from the community's
//! platform, the same bearer token the API takes. The cookie holds it,
//! HttpOnly (no script reads it) and SameSite=Strict (no other site's page
//! sends it), and every request checks it again, so an expired or
//! revoked token ends the session. Each form also carries a CSRF token, a
//! digest of the session's token that a page of another site cannot know.

use agora_events::{CommunitySlug, Hash};
use axum::Form;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Failure, Layout, Message, fr, html};
use crate::auth::ANY_COMMUNITY;
use crate::http::AppState;
use crate::http::caller::Caller;
use crate::http::extract::READ_YOUR_WRITES_WAIT;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "agora_session";

/// A signed-in visitor.
pub struct Session {
    pub caller: Caller,
    token: String,
}

impl Session {
    /// The session the request's cookie holds, if its token is still valid.
    pub fn of(state: &AppState, headers: &HeaderMap) -> Result<Self, Failure> {
        let token = cookie(headers, SESSION_COOKIE).ok_or_else(Failure::sign_in_required)?;
        let claims = state
            .auth
            .verify(&token)
            .map_err(|_| Failure::sign_in_required())?;
        Ok(Self {
            caller: Caller::new(claims),
            token,
        })
    }

    /// The CSRF token the session's forms carry.
    pub fn csrf(&self) -> String {
        csrf_of(&self.token)
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Failure> {
        let expected = self.csrf();
        // Compared whole, byte by byte, whatever differs first.
        let same = sent.len() == expected.len()
            && sent
                .bytes()
                .zip(expected.bytes())
                .fold(0, |diff, (a, b)| diff | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                "Formulaire refusé",
                fr::refusal("csrf"),
            ))
        }
    }
}

fn csrf_of(token: &str) -> String {
    let mut bytes = b"agora-csrf\0".to_vec();
    bytes.extend_from_slice(token.as_bytes());
    Hash::of(&bytes).to_string()[..32].to_owned()
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The cookie that carries the revision a form's command recorded, from
/// the answer to the form to the page it leads back to.
pub const SEEN_COOKIE: &str = "agora_vu";
/// How long that cookie lasts, in seconds: long enough for the redirect.
const SEEN_COOKIE_SECONDS: u32 = 30;

/// The cookie saying that a visitor of the community `to` is in (the path
/// `/c/{community}/…` a form leads back to) saw `revision` recorded.
pub fn seen_cookie(to: &str, revision: u64) -> Option<HeaderValue> {
    let community = to.strip_prefix("/c/")?.split(['/', '?']).next()?;
    HeaderValue::from_str(&format!(
        "{SEEN_COOKIE}={revision}; Path=/c/{community}; HttpOnly; SameSite=Strict; \
         Max-Age={SEEN_COOKIE_SECONDS}"
    ))
    .ok()
}

/// Middleware: a page of a community, asked for with the cookie a form's
/// answer set, is drawn once this instance holds the revision the form
/// recorded (at most [`READ_YOUR_WRITES_WAIT`]), so that a visitor sees
/// what they just did whichever instance draws the page. Other requests go
/// through untouched.
pub async fn caught_up(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let wanted = (request.method() == Method::GET)
        .then(|| {
            let community: CommunitySlug = request
                .uri()
                .path()
                .strip_prefix("/c/")?
                .split('/')
                .next()?
                .parse()
                .ok()?;
            let revision: u64 = cookie(request.headers(), SEEN_COOKIE)?.parse().ok()?;
            Some((community, revision))
        })
        .flatten();
    if let Some((community, revision)) = wanted {
        let _ = state
            .ledger
            .view_reaching(&community, revision, READ_YOUR_WRITES_WAIT)
            .await;
    }
    next.run(request).await
}

/// `/`: a signed-in member goes to their community; anyone else is told
/// how to sign in.
pub async fn welcome(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match Session::of(&state, &headers) {
        Ok(session) if session.caller.claims.community != ANY_COMMUNITY => {
            Redirect::to(&format!("/c/{}", session.caller.claims.community)).into_response()
        }
        _ => html(
            StatusCode::OK,
            &Message {
                layout: Layout::anonymous(),
                heading: "Bienvenue sur Agora".into(),
                text: "Pour entrer, ouvrez le lien de connexion personnel que votre communauté vous a envoyé.".into(),
                next: None,
                back: None,
            },
        ),
    }
}

#[derive(Deserialize)]
pub struct SignInLink {
    jeton: String,
}

/// `/connexion?jeton=…`: the sign-in link. Sets the session cookie, then
/// sends the visitor on by a page of this site (a redirect would carry on
/// the other site's navigation, which a SameSite=Strict cookie does not
/// follow).
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    link: Result<Query<SignInLink>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(SignInLink { jeton: token })) = link else {
        return Failure::sign_in_required().into_response();
    };
    let expired = || {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            "Lien expiré ou invalide",
            "Ce lien de connexion n'est plus valable : demandez-en un nouveau à votre communauté.",
        )
        .into_response()
    };
    let Ok(claims) = state.auth.verify(&token) else {
        return expired();
    };
    // A link past its expiry that the check's leeway for clocks still lets
    // through would open a session of no time at all.
    let now = chrono::Utc::now().timestamp();
    let max_age = claims.exp - now;
    if max_age <= 0 {
        return expired();
    }
    if claims.community == ANY_COMMUNITY {
        return Failure::new(
            StatusCode::FORBIDDEN,
            "Interface des membres",
            "Ce lien est celui d'un opérateur : l'interface web est celle des membres d'une communauté.",
        )
        .into_response();
    }
    let secure = if forwarded_https(&headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    let next = format!("/c/{}", claims.community);
    let mut response = html(
        StatusCode::OK,
        &Message {
            layout: Layout::anonymous(),
            heading: "Vous êtes connecté·e".into(),
            text: "Votre espace s'ouvre.".into(),
            next: Some(next),
            back: None,
        },
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Whether the request reached a proxy over HTTPS: the cookie is then
/// only ever sent back over HTTPS.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

/// `POST /deconnexion`: ends the session on this browser.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return Failure::bad_form("invalid-form").into_response();
    };
    if let Ok(session) = Session::of(&state, &headers)
        && let Err(failure) = session.check_csrf(&form.csrf)
    {
        return failure.into_response();
    }
    let mut response = html(
        StatusCode::OK,
        &Message {
            layout: Layout::anonymous(),
            heading: "Vous êtes déconnecté·e".into(),
            text: "À bientôt. Pour revenir, ouvrez de nouveau votre lien de connexion.".into(),
            next: None,
            back: None,
        },
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("agora_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; agora_session=abc.def.ghi; other=1"),
        );
        assert_eq!(
            cookie(&headers, SESSION_COOKIE).as_deref(),
            Some("abc.def.ghi")
        );
        headers.insert(header::COOKIE, HeaderValue::from_static("agora_session="));
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
    }

    #[test]
    fn the_csrf_token_depends_on_the_session() {
        assert_ne!(csrf_of("one"), csrf_of("two"));
        assert_eq!(csrf_of("one"), csrf_of("one"));
        assert_eq!(csrf_of("one").len(), 32);
    }
}
