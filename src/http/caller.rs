//! Who is calling, and what they may do.
//!
//! A token is scoped to one community (or `*` for operators). For a caller
//! whose subject is a pioneer of the community, the roles that count are
//! those the token claims **and** the ledger grants, so that a revocation
//! or a departure takes effect at once, whatever old tokens say. Callers
//! who are not pioneers of the community (operators, the platform) act
//! with their token's operator roles, never as members; that is how a new
//! community gets its first admin and gardener. Reads are for members and
//! those operators; a pioneer who left or was excluded still reads what is
//! theirs: their record, account, statement and history.

use std::collections::BTreeSet;

use agora_events::{Actor, CommunitySlug, PioneerId, ProjectId, Role};

use crate::domain::Rejection;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::auth::{ANY_COMMUNITY, Claims};
use crate::ledger::DurableView;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Claims,
    /// The organisation member the caller acts for: their token's subject
    /// is not a member of the community but represents that member.
    pub acting_for: Option<PioneerId>,
}

/// How long a request waits, at most, for this instance to read what
/// others recorded, when its caller is a pioneer it does not know yet or
/// claims a role it does not see granted.
const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The token of an `Authorization` header's value in the bearer scheme,
/// whose name is case-insensitive (RFC 9110): `Bearer`, `bearer`…
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut headers = parts.headers.get_all(AUTHORIZATION).iter();
        let header = headers.next().ok_or(ApiError::MissingToken)?;
        if headers.next().is_some() {
            // Which one would count? Neither: the request is ambiguous.
            return Err(ApiError::InvalidParameter(
                "the Authorization header must be sent once".into(),
            ));
        }
        let token = header
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or(ApiError::MissingToken)?;
        let mut caller = Self::new(state.auth.verify(token)?);
        // Refuse a token for another community before the body is even
        // read: its holder learns nothing from validation errors.
        if let Some(community) = parts
            .uri
            .path()
            .strip_prefix("/v1/communities/")
            .and_then(|rest| rest.split('/').next())
            .filter(|community| !community.is_empty())
        {
            caller.check_scope(community)?;
            if let Ok(slug) = community.parse::<CommunitySlug>() {
                let mut view = state.ledger.view(&slug);
                // A pioneer this instance does not know yet may have been
                // admitted through another instance a moment ago, or granted
                // there a role this instance does not see yet.
                if caller.is_unknown_pioneer(view.as_deref())
                    || caller.claims_ungranted_role(view.as_deref())
                {
                    view = state.ledger.view_caught_up(&slug, CATCH_UP_WAIT).await;
                }
                if let Some(view) = view {
                    caller.resolve(&view);
                }
            }
        }
        if let Some(heard) = parts.extensions.get::<super::command::Heard>() {
            heard.caller(&caller.claims.sub);
        }
        Ok(caller)
    }
}

/// What an endpoint requires.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// Any member of the community, in any role: reads.
    Member,
    /// Any member, or the pioneer themself even after leaving: reads of
    /// what is theirs (their record, account, statement and history).
    MemberOrSelf(PioneerId),
    /// One of these roles.
    AnyOf(&'a [Role]),
    /// The pioneer themself.
    SelfOnly(PioneerId),
    /// The pioneer themself, or one of these roles.
    SelfOr(PioneerId, &'a [Role]),
    /// The applicant themself (their candidate token, or their pioneer
    /// token once admitted), or one of these roles.
    ApplicantOr(PioneerId, &'a [Role]),
    /// Someone applying to join with their own candidate token, who is not
    /// a pioneer of the community; or one of these roles, on their behalf.
    CandidateOr(&'a [Role]),
}

/// Roles from the most to the least powerful, to name the role an actor
/// acted in when several would do.
const PRECEDENCE: [Role; 5] = [
    Role::Admin,
    Role::Gardener,
    Role::Treasurer,
    Role::Auditor,
    Role::Pioneer,
];

impl Caller {
    pub fn new(claims: Claims) -> Self {
        Self {
            claims,
            acting_for: None,
        }
    }

    /// Notes the organisation member the caller represents in `view`'s
    /// community, if their subject is no member there but an active
    /// organisation's representative: they act for it, as its member.
    pub fn resolve(&mut self, view: &DurableView) {
        let person: Option<PioneerId> = self.claims.sub.parse().ok();
        self.acting_for = person
            .and_then(|person| view.state.represented_by(person))
            .map(|organisation| organisation.id);
    }

    /// The pioneer the caller acts as: the organisation they represent, or
    /// their subject, if it is a pioneer id.
    pub fn pioneer_id(&self) -> Option<PioneerId> {
        self.acting_for.or_else(|| self.claims.sub.parse().ok())
    }

    /// The roles that count in `community`: for one of its pioneers, those
    /// the token claims and the ledger grants; for anyone else, the
    /// operator roles the token claims, never `pioneer` (a stranger's
    /// token, however well signed, does not make them a member).
    pub fn roles_in(&self, view: Option<&DurableView>) -> BTreeSet<Role> {
        let ledger_roles = self
            .pioneer_id()
            .and_then(|id| view?.state.pioneer(id))
            .map(|pioneer| pioneer.effective_roles());
        match ledger_roles {
            Some(granted) => self.claims.roles.intersection(&granted).copied().collect(),
            None => self
                .claims
                .roles
                .iter()
                .copied()
                .filter(|role| *role != Role::Pioneer)
                .collect(),
        }
    }

    /// Whether the caller is pioneer `id` of the community, a member or
    /// not any more.
    fn is_pioneer_of(&self, view: Option<&DurableView>, id: PioneerId) -> bool {
        self.pioneer_id() == Some(id)
            && self.claims.roles.contains(&Role::Pioneer)
            && view.is_some_and(|view| view.state.pioneer(id).is_some())
    }

    /// Whether the token names a pioneer that `view` does not hold.
    fn is_unknown_pioneer(&self, view: Option<&DurableView>) -> bool {
        self.claims.roles.contains(&Role::Pioneer)
            && self
                .claims
                .sub
                .parse::<PioneerId>()
                .is_ok_and(|id| view.is_none_or(|view| view.state.pioneer(id).is_none()))
    }

    /// Whether the token claims a role that `view` does not grant its
    /// pioneer, a member still: no instance grants one to a pioneer gone.
    /// (When the member lost the role for good, each of their requests
    /// reads what the store holds first, to no avail.)
    fn claims_ungranted_role(&self, view: Option<&DurableView>) -> bool {
        let Some(pioneer) = self
            .pioneer_id()
            .and_then(|id| view?.state.pioneer(id))
            .filter(|pioneer| pioneer.is_active())
        else {
            return false;
        };
        let granted = pioneer.effective_roles();
        self.claims
            .roles
            .iter()
            .any(|role| *role != Role::Candidate && !granted.contains(role))
    }

    /// Whether the caller applies as a candidate: their token says so, its
    /// subject is an id a pioneer could have, and no pioneer of the
    /// community has it.
    pub fn is_candidate(&self, view: Option<&DurableView>) -> bool {
        self.claims.roles.contains(&Role::Candidate)
            && self.pioneer_id().is_some_and(|id| {
                !id.0.is_nil()
                    && view.is_none_or(|view| {
                        view.state.pioneer(id).is_none()
                            && view.state.projects.get(ProjectId(id.0)).is_none()
                    })
            })
    }

    /// Why a candidate token cannot apply here: its subject, which would
    /// become the new pioneer's id, is not an id, or is one already taken.
    fn why_no_candidate(&self, view: Option<&DurableView>) -> ApiError {
        let id = self
            .claims
            .sub
            .parse::<uuid::Uuid>()
            .ok()
            .filter(|id| !id.is_nil());
        match (id, view) {
            (None, _) => ApiError::Forbidden {
                rule: "candidate-id",
                detail: "a candidate token's subject becomes the pioneer's id: it must be a UUID, \
                         not the nil one"
                    .into(),
            },
            (Some(id), Some(view)) if view.state.pioneer(PioneerId(id)).is_some() => {
                Rejection::PioneerExists {
                    pioneer: PioneerId(id),
                }
                .into()
            }
            (Some(id), _) => Rejection::IdInUse { id }.into(),
        }
    }

    /// Refuses a token scoped to another community.
    fn check_scope(&self, community: &str) -> Result<(), ApiError> {
        if self.claims.community != ANY_COMMUNITY && self.claims.community != community {
            return Err(ApiError::Forbidden {
                rule: "other-community",
                detail: format!("the token is for community {:?}", self.claims.community),
            });
        }
        Ok(())
    }

    /// Checks the token's scope, then `access`; returns the actor to record.
    pub fn authorize(
        &self,
        community: &CommunitySlug,
        view: Option<&DurableView>,
        access: Access<'_>,
    ) -> Result<Actor, ApiError> {
        self.check_scope(community.as_str())?;
        let roles = self.roles_in(view);
        let actor = |role| Actor {
            id: self.claims.sub.clone(),
            role,
        };
        let first_of = |allowed: &[Role]| {
            PRECEDENCE
                .into_iter()
                .find(|role| allowed.contains(role) && roles.contains(role))
        };
        let is_self =
            |id: PioneerId| self.pioneer_id() == Some(id) && roles.contains(&Role::Pioneer);
        let role_required = |allowed: &[Role]| ApiError::Forbidden {
            rule: "role-required",
            detail: format!("this needs one of the roles {}", names(allowed)),
        };
        // A member's token, of a member who is gone.
        let gone = || {
            let id = self.pioneer_id()?;
            let pioneer = view?.state.pioneer(id)?;
            (self.claims.roles.contains(&Role::Pioneer) && !pioneer.is_active())
                .then_some(ApiError::from(Rejection::PioneerGone { pioneer: id }))
        };
        match access {
            Access::Member => first_of(&PRECEDENCE).map(actor).ok_or_else(member_only),
            Access::MemberOrSelf(id) => match first_of(&PRECEDENCE) {
                Some(role) => Ok(actor(role)),
                None if self.is_pioneer_of(view, id) => Ok(actor(Role::Pioneer)),
                None => Err(member_only()),
            },
            // What members do, asked by one who left: they are told so.
            Access::AnyOf(allowed) => first_of(allowed).map(actor).ok_or_else(|| {
                gone()
                    .filter(|_| allowed.contains(&Role::Pioneer))
                    .unwrap_or_else(|| role_required(allowed))
            }),
            Access::SelfOnly(id) if is_self(id) => Ok(actor(Role::Pioneer)),
            // Themself, but gone: what they ask is about a member they no
            // longer are.
            Access::SelfOnly(id)
                if self.is_pioneer_of(view, id)
                    && view.is_some_and(|view| {
                        view.state
                            .pioneer(id)
                            .is_some_and(|pioneer| !pioneer.is_active())
                    }) =>
            {
                Err(Rejection::PioneerGone { pioneer: id }.into())
            }
            Access::SelfOnly(_) => Err(ApiError::Forbidden {
                rule: "self-only",
                detail: "a pioneer acts only as themself".into(),
            }),
            // Their candidate token still reads their application once they
            // are admitted.
            Access::ApplicantOr(id, _)
                if self.claims.roles.contains(&Role::Candidate)
                    && self.pioneer_id() == Some(id) =>
            {
                Ok(actor(Role::Candidate))
            }
            Access::ApplicantOr(id, _) if is_self(id) => Ok(actor(Role::Pioneer)),
            Access::ApplicantOr(_, allowed) => {
                first_of(allowed)
                    .map(actor)
                    .ok_or_else(|| ApiError::Forbidden {
                        rule: "applicant-or-role-required",
                        detail: match allowed {
                            [] => "only the applicant themself may do this".into(),
                            allowed => format!(
                                "only the applicant themself or one of the roles {} may do this",
                                names(allowed)
                            ),
                        },
                    })
            }
            Access::CandidateOr(_) if self.is_candidate(view) => Ok(actor(Role::Candidate)),
            Access::CandidateOr(allowed) => {
                first_of(allowed).map(actor).ok_or_else(|| {
                    match self.claims.roles.contains(&Role::Candidate) {
                        true => self.why_no_candidate(view),
                        false => role_required(allowed),
                    }
                })
            }
            Access::SelfOr(id, _) if is_self(id) => Ok(actor(Role::Pioneer)),
            Access::SelfOr(_, allowed) => {
                first_of(allowed)
                    .map(actor)
                    .ok_or_else(|| ApiError::Forbidden {
                        rule: "self-or-role-required",
                        detail: format!(
                            "only the pioneer themself or one of the roles {} may do this",
                            names(allowed)
                        ),
                    })
            }
        }
    }
}

fn member_only() -> ApiError {
    ApiError::Forbidden {
        rule: "member-only",
        detail: "only members of the community (and the operators their token names) may read it"
            .into(),
    }
}

fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| format!("{role:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}
