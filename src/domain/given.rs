//! Given / when / then for the rules: `given(&[events]).when(command)
//! .then_events(&[types])` or `.then_err(rejection)`. Fixtures name a small
//! community with four colleges and 50 € shares.

use std::collections::BTreeSet;

pub use super::*;
pub use agora_events::{
    AdmissionScores, CharterAccepted, College, CommunityCreated, Event, PioneerAdmitted,
    PioneerForgotten, PioneerId, PioneerLeft, PublicProfile, RankingWeights, RedemptionReason,
    Role, RoleGranted, Sealed, SharePaymentRecorded, SharesSubscribed, Statutes, SubscriptionId,
    Timestamp,
};
use agora_events::{PaymentId, PioneerExcluded, RedemptionId};
use agora_projections::CommunityState;
use uuid::Uuid;

pub const ALICE: PioneerId = PioneerId::from_uuid(Uuid::from_u128(0xa11ce));
pub const BRUNO: PioneerId = PioneerId::from_uuid(Uuid::from_u128(0xb2));
pub const SUBSCRIPTION_A: SubscriptionId = SubscriptionId::from_uuid(Uuid::from_u128(0x5a));
pub const SUBSCRIPTION_B: SubscriptionId = SubscriptionId::from_uuid(Uuid::from_u128(0x5b));
pub const CHARTER: &str = "2026";

pub fn now() -> Timestamp {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

pub fn statutes() -> Statutes {
    let college = |name: &str| College {
        name: name.into(),
        vote_weight_percent: 25,
    };
    Statutes {
        name: "Lanceurs d'avenir".into(),
        share_nominal: "50.00".parse().unwrap(),
        colleges: vec![
            college("founders"),
            college("partners"),
            college("beneficiaries"),
            college("employees"),
        ],
        credit_floor: "-20".parse().unwrap(),
        credit_ceiling: "100".parse().unwrap(),
        ranking_weights: RankingWeights {
            concerned: 40,
            cost: 30,
            self_financing: 30,
            cost_reference: None,
        },
        charter_version: CHARTER.into(),
        project_credit_floor: None,
        project_credit_ceiling: None,
        admission_score_min: None,
        assembly_notice_days: None,
        assembly_quorum_percent: None,
        proxies_per_member_max: None,
        indicators: vec![
            agora_events::Indicator {
                code: "personnes-touchees".into(),
                label: "Personnes touchées".into(),
                compass: agora_events::Compass::SocietalImpact,
                unit: "personnes".into(),
                direction: agora_events::Direction::HigherIsBetter,
            },
            agora_events::Indicator {
                code: "dechets-produits".into(),
                label: "Déchets produits".into(),
                compass: agora_events::Compass::SocietalImpact,
                unit: "kg".into(),
                direction: agora_events::Direction::LowerIsBetter,
            },
        ],
    }
}

fn sealed() -> Sealed {
    Sealed {
        algorithm: "xchacha20poly1305".into(),
        nonce: "bm9uY2U=".into(),
        ciphertext: "c2VjcmV0".into(),
    }
}

/// The statutes with another name: an amendment that changes something.
pub fn renamed_statutes() -> Statutes {
    let mut statutes = statutes();
    statutes.name = format!("{} (statuts révisés)", statutes.name);
    statutes
}

// Events.

pub fn founded() -> Event {
    CommunityCreated {
        slug: "demo".parse().unwrap(),
        statutes: statutes(),
    }
    .into()
}

pub fn admitted(pioneer_id: PioneerId, college: &str) -> Event {
    PioneerAdmitted {
        pioneer_id,
        college: college.into(),
        scores: admit_command(pioneer_id, college).scores,
        profile: PublicProfile::default(),
        personal: sealed(),
        organisation: None,
    }
    .into()
}

pub fn charter_accepted(pioneer_id: PioneerId) -> Event {
    CharterAccepted {
        pioneer_id,
        charter_version: CHARTER.into(),
    }
    .into()
}

pub fn left(pioneer_id: PioneerId) -> Event {
    PioneerLeft { pioneer_id }.into()
}

pub fn excluded(pioneer_id: PioneerId) -> Event {
    PioneerExcluded {
        pioneer_id,
        reason: "manquements à la charte".into(),
    }
    .into()
}

pub fn forgotten(pioneer_id: PioneerId) -> Event {
    PioneerForgotten { pioneer_id }.into()
}

pub fn role_granted(pioneer_id: PioneerId, role: Role) -> Event {
    RoleGranted { pioneer_id, role }.into()
}

pub fn subscribed(pioneer_id: PioneerId, subscription_id: SubscriptionId, shares: u32) -> Event {
    SharesSubscribed {
        subscription_id,
        pioneer_id,
        shares,
        nominal: "50.00".parse().unwrap(),
        amount: "50.00"
            .parse::<agora_events::Euros>()
            .unwrap()
            .checked_mul(u64::from(shares))
            .unwrap(),
    }
    .into()
}

pub fn paid(
    pioneer_id: PioneerId,
    subscription_id: SubscriptionId,
    amount: &str,
    capital_after: &str,
) -> Event {
    SharePaymentRecorded {
        payment_id: PaymentId(Uuid::now_v7()),
        subscription_id,
        pioneer_id,
        amount: amount.parse().unwrap(),
        reference: "virement 42".into(),
        capital_after: capital_after.parse().unwrap(),
    }
    .into()
}

// Commands.

pub fn create_community_with(statutes: Statutes) -> Command {
    Command::CreateCommunity(CreateCommunity {
        slug: "demo".parse().unwrap(),
        statutes,
    })
}

pub fn create_community() -> Command {
    create_community_with(statutes())
}

pub fn amend_statutes(statutes: Statutes, reason: &str) -> Command {
    Command::AmendStatutes(AmendStatutes {
        statutes,
        reason: reason.into(),
        decision: None,
    })
}

pub fn admit_command(pioneer_id: PioneerId, college: &str) -> AdmitPioneer {
    AdmitPioneer {
        pioneer_id,
        college: college.into(),
        scores: AdmissionScores {
            scale_of_impact: 3,
            degree_of_information: 4,
            connections_produced: 2,
            care_for_the_living: 5,
            poetic_radiance: 1,
            social_innovation: 3,
            engagement: 4,
        },
        profile: PublicProfile::default(),
        personal: sealed(),
        organisation: None,
    }
}

pub fn admit_pioneer(pioneer_id: PioneerId, college: &str) -> Command {
    Command::AdmitPioneer(admit_command(pioneer_id, college))
}

pub fn accept_charter_command(pioneer_id: PioneerId, version: &str) -> Command {
    Command::AcceptCharter(AcceptCharter {
        pioneer_id,
        charter_version: version.into(),
    })
}

pub fn update_profile_command(pioneer_id: PioneerId) -> UpdateProfile {
    UpdateProfile {
        pioneer_id,
        profile: PublicProfile {
            skills: vec!["menuiserie".into(), "compostage".into()],
            territory: Some("Drôme".into()),
        },
        personal: Some(sealed()),
        based_on: (PublicProfile::default(), sealed()),
    }
}

pub fn leave(pioneer_id: PioneerId) -> Command {
    Command::LeaveCommunity(LeaveCommunity { pioneer_id })
}

pub fn exclude(pioneer_id: PioneerId, reason: &str) -> Command {
    Command::ExcludePioneer(ExcludePioneer {
        pioneer_id,
        reason: reason.into(),
        by: None,
    })
}

pub fn forget(pioneer_id: PioneerId) -> Command {
    Command::ForgetPioneer(ForgetPioneer { pioneer_id })
}

pub fn set_roles(pioneer_id: PioneerId, roles: BTreeSet<Role>) -> Command {
    Command::SetRoles(SetRoles { pioneer_id, roles })
}

pub fn subscribe_command(
    pioneer_id: PioneerId,
    subscription_id: SubscriptionId,
    shares: u32,
) -> Command {
    Command::SubscribeShares(SubscribeShares {
        subscription_id,
        pioneer_id,
        shares,
    })
}

pub fn payment(amount: &str) -> RecordSharePayment {
    RecordSharePayment {
        payment_id: PaymentId(Uuid::now_v7()),
        pioneer_id: ALICE,
        subscription_id: None,
        amount: amount.parse().unwrap(),
        reference: "chèque 7".into(),
    }
}

pub fn payment_command(
    pioneer_id: PioneerId,
    subscription_id: Option<SubscriptionId>,
    amount: &str,
) -> Command {
    Command::RecordSharePayment(RecordSharePayment {
        pioneer_id,
        subscription_id,
        ..payment(amount)
    })
}

pub fn redeem_command(pioneer_id: PioneerId, shares: u32, reason: RedemptionReason) -> Command {
    Command::RedeemShares(RedeemShares {
        redemption_id: RedemptionId(Uuid::now_v7()),
        pioneer_id,
        shares,
        reason,
    })
}

// Given / when / then.

/// A community's decision state after a history, and the exchanges and
/// listings of that history, over or not: what the ledger reads from the
/// log for a decision about one the state let go of.
pub struct Given {
    state: Option<CommunityState>,
    past: agora_projections::Market,
}

pub struct Then {
    result: Result<Vec<Event>, Rejection>,
}

/// The community after `history`, whose first event, if any, founds it.
pub fn given(history: &[Event]) -> Given {
    let mut state: Option<CommunityState> = None;
    let mut past = agora_projections::Market::default();
    for event in history {
        past.remember(event, agora_events::EventId(Uuid::now_v7()), now());
        match (&mut state, event) {
            (None, Event::CommunityCreated(created)) => {
                state = Some(CommunityState::founded(
                    created.slug.clone(),
                    created.statutes.clone(),
                    now(),
                ));
            }
            (Some(state), event) => {
                state.apply_event(event, agora_events::EventId(Uuid::now_v7()), now())
            }
            (None, other) => panic!("the history must start by founding: {other:?}"),
        }
    }
    if let Some(state) = &state {
        survives_a_snapshot(state);
    }
    Given { state, past }
}

/// Every state a rule decides against can be saved as a snapshot and read
/// back the same: a shape serde cannot write (a map keyed by a non-string)
/// fails here, in every domain test, rather than when the ledger saves one.
fn survives_a_snapshot(state: &CommunityState) {
    let snapshot = crate::ledger::snapshot::Snapshot {
        format: crate::ledger::snapshot::SNAPSHOT_FORMAT,
        revision: 0,
        head: agora_events::Hash::GENESIS,
        last_recorded_at: now(),
        state: state.clone(),
    };
    let read = crate::ledger::snapshot::Snapshot::decode(
        &snapshot.encode().expect("the state serializes"),
    )
    .expect("the snapshot reads back");
    assert_eq!(read, snapshot, "the snapshot reads back the same");
}

impl Given {
    /// The state the history folds to.
    pub fn state(self) -> CommunityState {
        self.state.expect("the history founds a community")
    }

    /// Decides `command` as the ledger does: with the past exchange or
    /// listing it names lent to the state.
    /// The history's exchanges and listings, over or not.
    pub fn past(self) -> agora_projections::Market {
        self.past
    }

    pub fn when(self, command: Command) -> Then {
        Then {
            result: self.decide(&command, now()),
        }
    }

    fn decide(mut self, command: &Command, at: Timestamp) -> Result<Vec<Event>, Rejection> {
        if let (Some(state), Some(id)) = (self.state.as_mut(), command.past_item()) {
            state.market.lend(&self.past, id);
        }
        decide(self.state.as_ref(), command, at)
    }
}

impl Then {
    /// Asserts the command was accepted with events of these types, in order.
    pub fn then_events(self, types: &[&str]) -> Vec<Event> {
        let events = self
            .result
            .unwrap_or_else(|rejection| panic!("refused: {rejection}"));
        let found: Vec<&str> = events.iter().map(Event::event_type).collect();
        assert_eq!(found, types);
        events
    }

    pub fn then_err(self, expected: Rejection) {
        assert_eq!(self.result, Err(expected));
    }

    pub fn then_rule(self, rule: &str) {
        match self.result {
            Err(rejection) => assert_eq!(rejection.rule(), rule, "{rejection}"),
            Ok(events) => panic!("accepted with {events:?}, expected rule {rule}"),
        }
    }
}

// Members, movements, projects, ballots.

pub const CLARA: PioneerId = PioneerId::from_uuid(Uuid::from_u128(0xc1a4a));
pub const PROJECT_A: agora_events::ProjectId =
    agora_events::ProjectId::from_uuid(Uuid::from_u128(0x9a));
pub const PROJECT_B: agora_events::ProjectId =
    agora_events::ProjectId::from_uuid(Uuid::from_u128(0x9b));

/// A member in good standing: admitted into `college`, charter accepted,
/// one share paid.
pub fn member(pioneer_id: PioneerId, college: &str) -> Vec<Event> {
    let subscription = SubscriptionId(Uuid::new_v4());
    vec![
        admitted(pioneer_id, college),
        charter_accepted(pioneer_id),
        subscribed(pioneer_id, subscription, 1),
        paid(pioneer_id, subscription, "50.00", "50.00"),
    ]
}

/// Founded, with Alice, Bruno and Clara in good standing.
pub fn community_of_three() -> Vec<Event> {
    let mut history = vec![founded()];
    history.extend(member(ALICE, "founders"));
    history.extend(member(BRUNO, "partners"));
    history.extend(member(CLARA, "beneficiaries"));
    history
}

pub fn pioneer_account(id: PioneerId) -> agora_events::AccountId {
    agora_events::AccountId::Pioneer(id)
}

pub fn transferred(
    payer: PioneerId,
    payee: PioneerId,
    hours: &str,
    payer_after: &str,
    payee_after: &str,
) -> Event {
    agora_events::TimeCreditsTransferred {
        transfer_id: agora_events::TransferId(Uuid::new_v4()),
        payer: pioneer_account(payer),
        payee: pioneer_account(payee),
        hours: hours.parse().unwrap(),
        memo: None,
        payer_balance_after: payer_after.parse().unwrap(),
        payee_balance_after: payee_after.parse().unwrap(),
    }
    .into()
}

pub fn transfer_command(payer: PioneerId, payee: PioneerId, hours: &str) -> Command {
    Command::TransferCredits(TransferCredits {
        transfer_id: agora_events::TransferId(Uuid::new_v4()),
        payer: pioneer_account(payer),
        by: payer,
        payee: pioneer_account(payee),
        hours: hours.parse().unwrap(),
        memo: None,
    })
}

pub fn proposed(project_id: agora_events::ProjectId, proposer: PioneerId) -> Event {
    agora_events::ProjectProposed {
        project_id,
        proposer,
        title: format!("Projet {project_id}"),
        summary: "Un jardin partagé".into(),
        place: None,
    }
    .into()
}

pub fn option(id: &str, project_id: Option<agora_events::ProjectId>) -> agora_events::BallotOption {
    agora_events::BallotOption {
        option_id: id.into(),
        label: format!("Option {id}"),
        project_id,
    }
}

pub fn open_ballot_command(
    ballot_id: agora_events::BallotId,
    method: agora_events::VotingMethod,
    kind: agora_events::BallotKind,
    options: Vec<agora_events::BallotOption>,
) -> Command {
    Command::OpenBallot(OpenBallot {
        ballot_id,
        question: "Quel projet commun ?".into(),
        options,
        method,
        kind,
        closes_at: "2026-12-01T12:00:00Z".parse().unwrap(),
        sealed: false,
        assembly_id: None,
        election: None,
    })
}

impl Then {
    /// The accepted events, for chaining into the next `given`.
    pub fn events(self) -> Vec<Event> {
        self.result
            .unwrap_or_else(|rejection| panic!("refused: {rejection}"))
    }
}

/// Decides `command` on `history` at `at` rather than the fixed now.
pub fn decide_at(history: &[Event], command: Command, at: &str) -> Result<Vec<Event>, Rejection> {
    given(history).decide(&command, at.parse().unwrap())
}
