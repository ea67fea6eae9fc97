//! A community's state: statutes, members, share register, marketplace,
//! projects, ballots and funds, folded from its stream, each area by its
//! own fold beside it. The domain decides against it; reads are served
//! from it.

use std::collections::BTreeMap;

use imbl::OrdMap;

use agora_events::{
    AccountId, CommunitySlug, Event, EventId, PioneerId, Recorded, Statutes, Timestamp, WebhookId,
};

use crate::applications::Applications;
use crate::assemblies::{Assemblies, Representation};
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
    /// Since when the charter in force is (the founding, or the amendment
    /// that changed its version): members who have not accepted it are
    /// behind since then, or since their admission if later.
    pub charter_since: Timestamp,
    pub pioneers: OrdMap<PioneerId, Pioneer>,
    pub register: ShareRegister,
    pub market: Market,
    pub projects: Projects,
    pub ballots: Ballots,
    pub funds: Funds,
    /// Applications to join: the pending ones, for decisions.
    pub applications: Applications,
    /// General assemblies.
    pub assemblies: Assemblies,
    /// The community's representative.
    pub representation: Representation,
    /// The endpoints registered to receive the community's events.
    #[serde(default)]
    pub webhooks: OrdMap<WebhookId, Webhook>,
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
            charter_since: at,
            pioneers: OrdMap::new(),
            register: ShareRegister::default(),
            market: Market::default(),
            projects,
            ballots: Ballots::default(),
            funds: Funds::default(),
            applications: Applications::default(),
            assemblies: Assemblies::default(),
            representation: Representation::default(),
            webhooks: OrdMap::new(),
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

    /// The active organisation member `person` represents, if any: a person
    /// who is not a member themself acts for it.
    pub fn represented_by(&self, person: PioneerId) -> Option<&Pioneer> {
        if self.pioneers.contains_key(&person) {
            return None;
        }
        self.pioneers.values().find(|pioneer| {
            pioneer.is_active()
                && pioneer
                    .organisation
                    .as_ref()
                    .is_some_and(|organisation| organisation.representative == person)
        })
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

    /// After an event that may change whose fully paid shares are held,
    /// notes since when a member holds none.
    fn note_paid_shares(&mut self, event: &Event, at: Timestamp) {
        let holder = match event {
            Event::SharePaymentRecorded(paid) => Some(paid.pioneer_id),
            Event::SharesRedeemed(redeemed) => Some(redeemed.pioneer_id),
            Event::SharePaymentCorrected(corrected) => self
                .register
                .subscription(corrected.subscription_id)
                .map(|subscription| subscription.pioneer_id),
            _ => None,
        };
        let Some(holder) = holder else {
            return;
        };
        let held = self.register.holding(holder).held_paid_shares();
        if let Some(pioneer) = self.pioneers.get_mut(&holder) {
            pioneer.without_paid_share_since = match (held, pioneer.without_paid_share_since) {
                (0, None) => Some(at),
                (0, since) => since,
                _ => None,
            };
        }
    }

    /// What `pioneer` is behind on among a member's duties, each with since
    /// when: the charter in force not accepted, no fully paid share held,
    /// the profile not updated for [`PROFILE_STALE_DAYS`] days at `now`,
    /// the latest general assembly missed.
    pub fn duties_behind(&self, pioneer: &Pioneer, now: Timestamp) -> DutiesBehind {
        let charter = (pioneer.charter_version.as_deref()
            != Some(self.statutes.charter_version.as_str()))
        .then(|| self.charter_since.max(pioneer.admitted_at));
        let updated = pioneer.profile_updated_at.unwrap_or(pioneer.admitted_at);
        let stale_at =
            Timestamp::new(updated.instant() + chrono::Duration::days(PROFILE_STALE_DAYS));
        // The latest assembly held since their admission, if they missed it.
        let missed = self
            .assemblies
            .by_id
            .values()
            .filter(|assembly| {
                assembly.attendance.is_some() && assembly.convened.held_at >= pioneer.admitted_at
            })
            .max_by_key(|assembly| assembly.convened.held_at)
            .filter(|latest| !latest.attended_by(pioneer.id))
            .map(|latest| latest.convened.held_at);
        DutiesBehind {
            charter,
            shares: pioneer.without_paid_share_since,
            profile: (stale_at <= now).then_some(stale_at),
            assembly: missed,
        }
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
            if amended.statutes.charter_version != self.statutes.charter_version {
                self.charter_since = at;
            }
            self.statutes = amended.statutes.clone();
            self.statutes_amended_at = Some(at);
        }
        crate::members::evolve(&mut self.pioneers, event, at);
        self.register.evolve(event, event_id, at);
        self.note_paid_shares(event, at);
        self.market.evolve(event, event_id, at, self.retention);
        self.projects.evolve(event, at);
        self.ballots.evolve(event, at, self.retention);
        self.funds.evolve(event, event_id, at);
        self.applications.evolve(event, at, self.retention);
        self.assemblies.evolve(event, at);
        self.representation.evolve(event, at);
        match event {
            Event::WebhookRegistered(registered) => {
                self.webhooks.insert(
                    registered.webhook_id,
                    Webhook {
                        id: registered.webhook_id,
                        url: registered.url.clone(),
                        event_types: registered.event_types.clone(),
                        description: registered.description.clone(),
                        registered_at: at,
                        registered_by: event_id,
                    },
                );
            }
            Event::WebhookRemoved(removed) => {
                self.webhooks.remove(&removed.webhook_id);
            }
            _ => {}
        }
    }
}

/// An endpoint registered to receive the community's events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    /// Every type when empty.
    pub event_types: Vec<String>,
    pub description: String,
    pub registered_at: Timestamp,
    /// The event that registered it: deliveries start after it.
    pub registered_by: EventId,
}

impl Webhook {
    /// Whether events of this type go to it.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|wanted| wanted == event_type)
    }
}

/// A profile not updated for this many days is out of date: pioneers are
/// to keep their page on the platform current.
pub const PROFILE_STALE_DAYS: i64 = 365;

/// Since when a member is behind on each duty; `None` where they are not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DutiesBehind {
    pub charter: Option<Timestamp>,
    pub shares: Option<Timestamp>,
    pub profile: Option<Timestamp>,
    /// Absent (neither present nor represented) from the latest general
    /// assembly held since their admission: since it was held.
    pub assembly: Option<Timestamp>,
}

impl DutiesBehind {
    /// The earliest duty they fell behind on, if any.
    pub fn since(&self) -> Option<Timestamp> {
        [self.charter, self.shares, self.profile, self.assembly]
            .into_iter()
            .flatten()
            .min()
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
