//! A community's state: statutes, members, share register, marketplace,
//! projects, ballots and funds, folded from its stream, each area by its
//! own fold beside it. The domain decides against it; reads are served
//! from it.

use std::collections::BTreeMap;

use imbl::OrdMap;

use agora_events::{
    AccountId, CommunitySlug, Event, EventId, PioneerId, Recorded, Statutes, Timestamp,
};

use crate::applications::Applications;
use crate::ballots::Ballots;
use crate::funds::Funds;
use crate::market::Market;
use crate::members::Pioneer;
use crate::projects::Projects;
use crate::register::ShareRegister;
use crate::{Projection, Retention};

/// Everything known about one community.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommunityState {
    pub slug: CommunitySlug,
    pub statutes: Statutes,
    pub created_at: Timestamp,
    /// When the statutes last changed.
    pub statutes_amended_at: Option<Timestamp>,
    pub pioneers: OrdMap<PioneerId, Pioneer>,
    pub register: ShareRegister,
    pub market: Market,
    pub projects: Projects,
    pub ballots: Ballots,
    pub funds: Funds,
    /// Applications to join: the pending ones, for decisions.
    pub applications: Applications,
    /// What the state keeps of what is over; a snapshot is always of a
    /// state kept for decisions.
    #[serde(skip)]
    pub retention: Retention,
}

impl CommunityState {
    /// The state right after `CommunityCreated`.
    pub fn founded(slug: CommunitySlug, statutes: Statutes, at: Timestamp) -> Self {
        let projects = Projects {
            weights: vec![(at, statutes.ranking_weights)],
            ..Projects::default()
        };
        Self {
            slug,
            statutes,
            created_at: at,
            statutes_amended_at: None,
            pioneers: OrdMap::new(),
            register: ShareRegister::default(),
            market: Market::default(),
            projects,
            ballots: Ballots::default(),
            funds: Funds::default(),
            applications: Applications::default(),
            retention: Retention::Decisions,
        }
    }

    /// The same state, keeping from now on everything that is over: what
    /// an auditor folds.
    pub fn keeping_history(self) -> Self {
        Self {
            retention: Retention::History,
            ..self
        }
    }

    /// Whether a time-credit account exists: every admitted pioneer and
    /// every proposed project has one.
    pub fn account_exists(&self, account: AccountId) -> bool {
        match account {
            AccountId::Pioneer(id) => self.pioneers.contains_key(&id),
            AccountId::Project(id) => self.projects.by_id.contains_key(&id),
            AccountId::Community => true,
        }
    }

    pub fn pioneer(&self, id: PioneerId) -> Option<&Pioneer> {
        self.pioneers.get(&id)
    }

    /// In good standing: admitted, still a member, the current charter
    /// accepted, and at least one fully paid share held.
    pub fn in_good_standing(&self, id: PioneerId) -> bool {
        self.pioneer(id).is_some_and(|pioneer| {
            pioneer.is_active()
                && pioneer.charter_version.as_deref()
                    == Some(self.statutes.charter_version.as_str())
                && self.register.holding(id).held_paid_shares() >= 1
        })
    }

    /// Folds one event into a community that may not exist yet: the
    /// community is founded by `CommunityCreated`; other events before it
    /// are ignored.
    pub fn evolve(state: &mut Option<Self>, event: &Event, event_id: EventId, at: Timestamp) {
        match (state.as_mut(), event) {
            (None, Event::CommunityCreated(created)) => {
                *state = Some(Self::founded(
                    created.slug.clone(),
                    created.statutes.clone(),
                    at,
                ));
            }
            (Some(state), event) => state.apply_event(event, event_id, at),
            (None, _) => {}
        }
    }

    /// Applies one event of this community's stream, recorded as
    /// `event_id` at `at`: each area folds the events about it.
    pub fn apply_event(&mut self, event: &Event, event_id: EventId, at: Timestamp) {
        if let Event::StatutesAmended(amended) = event {
            self.statutes = amended.statutes.clone();
            self.statutes_amended_at = Some(at);
        }
        crate::members::evolve(&mut self.pioneers, event, at);
        self.register.evolve(event, event_id, at);
        self.market.evolve(event, event_id, at, self.retention);
        self.projects.evolve(event, at);
        self.ballots.evolve(event, at, self.retention);
        self.funds.evolve(event, event_id, at);
        self.applications.evolve(event, at, self.retention);
    }
}

/// Every community of the log, by slug, each keeping its whole history:
/// the auditor's fold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Communities {
    pub by_slug: BTreeMap<CommunitySlug, CommunityState>,
}

impl Projection for Communities {
    fn apply(&mut self, recorded: &Recorded) {
        let at = recorded.metadata.recorded_at;
        if let Event::CommunityCreated(created) = &recorded.event {
            self.by_slug.insert(
                created.slug.clone(),
                CommunityState::founded(created.slug.clone(), created.statutes.clone(), at)
                    .keeping_history(),
            );
        } else if let Some(community) = self.by_slug.get_mut(&recorded.metadata.community) {
            community.apply_event(&recorded.event, recorded.event_id, at);
        }
    }
}
