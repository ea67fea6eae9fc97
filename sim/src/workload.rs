//! What the simulated members and operators ask of the ledger: every kind
//! of command, aimed mostly at what exists (members, open ballots, pending
//! exchanges) and near the limits, with some hostile or stale ones (unknown
//! ids, the wrong party, absurd amounts, closed ballots).

use std::collections::BTreeSet;

use agora::domain::{
    AcceptCharter, AdmitApplication, AdmitPioneer, AllocateFunds, AmendStatutes, CancelExchange,
    Canceller, CastVote, ChangeProjectStatus, CloseBallot, Command, ConfirmExchange,
    ConveneAssembly, CorrectFunds, CorrectSharePayment, CreateCommunity, DeclareCandidacy,
    DeclineApplication, ExcludePioneer, ForgetPioneer, LeaveCommunity, OpenBallot, ProposeProject,
    PublishListing, RecordAttendance, RecordExchange, RecordExpense, RecordMeeting, RecordMinutes,
    RecordReceipt, RecordSharePayment, RedeemShares, ReportListing, ReverseExchange,
    ScoreApplication, ScoreProject, SetBudget, SetRoles, SubmitApplication, SubscribeShares,
    TakeDownListing, TransferCredits, UpdateProfile, WithdrawApplication, WithdrawCandidacy,
    WithdrawListing,
};
use agora::ledger::{KeyRing, PersonalData, PersonalKey};
use agora_events::{
    AccountId, Actor, AdmissionScores, AllocationId, AssemblyId, AssemblyKind, BallotId,
    BallotKind, BallotOption, BudgetLine, BudgetScope, Choice, Closure, College, CommunitySlug,
    Decision, Euros, ExchangeId, ExpenseId, FundsRecord, Hours, ListingId, ListingKind, MeetingId,
    MeetingKind, PaymentId, PioneerId, ProjectId, ProjectStatus, Proxy, PublicProfile,
    RankingWeights, ReceiptId, RedemptionId, RedemptionReason, Role, Statutes, SubscriptionId,
    Timestamp, TransferId, VotingMethod,
};
use agora_projections::{CommunityState, ExchangeStatus, Market};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::rng::Rng;

pub const CHARTER: &str = "2026";
const SHARE_NOMINAL_CENTS: i64 = 2_000;

/// A command and who sends it.
pub struct Planned {
    pub command: Command,
    pub actor: Actor,
    pub new_key: Option<(PioneerId, PersonalKey)>,
}

/// The statutes a simulated community is founded with.
pub fn statutes(rng: &mut Rng, name: &str) -> Statutes {
    let (floor, ceiling) = *rng
        .pick(&[(-20, 100), (-20, 20), (-5, 10), (-50, 40)])
        .expect("limits to pick from");
    Statutes {
        name: name.into(),
        share_nominal: euros(SHARE_NOMINAL_CENTS),
        colleges: ["fondateurs", "beneficiaires", "salaries", "soutiens"]
            .map(|name| College {
                name: name.into(),
                vote_weight_percent: 25,
            })
            .to_vec(),
        credit_floor: Hours::whole(floor),
        credit_ceiling: Hours::whole(ceiling),
        ranking_weights: RankingWeights {
            concerned: 50,
            cost: 25,
            self_financing: 25,
            cost_reference: None,
        },
        charter_version: CHARTER.into(),
        project_credit_floor: None,
        project_credit_ceiling: None,
        admission_score_min: None,
        // Assemblies a day or two ahead, so that runs hold them.
        assembly_notice_days: Some(1),
        assembly_quorum_percent: Some(25),
        proxies_per_member_max: Some(2),
        indicators: INDICATORS
            .map(|(code, compass)| agora_events::Indicator {
                code: code.into(),
                label: code.into(),
                compass,
                unit: "u".into(),
                direction: agora_events::Direction::HigherIsBetter,
            })
            .to_vec(),
    }
}

/// The impact indicators of simulated communities.
const INDICATORS: [(&str, agora_events::Compass); 2] = [
    ("personnes-touchees", agora_events::Compass::SocietalImpact),
    ("partenariats", agora_events::Compass::Synergy),
];

pub fn create(rng: &mut Rng, slug: &CommunitySlug) -> Planned {
    Planned {
        command: Command::CreateCommunity(CreateCommunity {
            slug: slug.clone(),
            statutes: statutes(rng, &format!("Communauté {slug}")),
        }),
        actor: operator(Role::Admin),
        new_key: None,
    }
}

fn euros(cents: i64) -> Euros {
    Euros::new(Decimal::new(cents, 2)).expect("a representable amount")
}

fn operator(role: Role) -> Actor {
    Actor {
        id: format!("{role:?}").to_lowercase(),
        role,
    }
}

fn member(id: PioneerId) -> Actor {
    Actor {
        id: id.to_string(),
        role: Role::Pioneer,
    }
}

fn new_uuid(rng: &mut Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.bytes()).into_uuid()
}

/// Everyday amounts of hours mostly, then amounts near and past the
/// limits, zero, negative and absurd ones.
fn hours(rng: &mut Rng) -> Hours {
    let cents = match rng.weighted(&[12, 4, 2, 1, 1, 1]) {
        0 => rng.between(25, 800),
        1 => rng.between(1_000, 4_000),
        2 => rng.between(4_000, 12_000),
        3 => 0,
        4 => rng.between(-500, -1),
        _ => 99_999_999_999_999,
    };
    Hours::new(Decimal::new(cents, 2)).expect("a representable amount")
}

fn amount_of_euros(rng: &mut Rng) -> Euros {
    let cents = match rng.weighted(&[10, 3, 1, 1]) {
        0 => rng.between(100, 50_000),
        1 => rng.between(50_000, 500_000),
        2 => 0,
        _ => rng.between(-1_000, -1),
    };
    euros(cents)
}

/// What the run knows of one community as it plans a command: its state as
/// the ledger last published it, and the keys of its members.
pub struct Scene<'a> {
    pub slug: &'a CommunitySlug,
    pub state: &'a CommunityState,
    /// The listings and exchanges to pick from, over or not: the ledger's
    /// state holds only the open ones.
    pub market: &'a Market,
    pub keys: &'a KeyRing,
    pub now: Timestamp,
}

impl Scene<'_> {
    fn pioneers(&self, active_only: bool) -> Vec<PioneerId> {
        self.state
            .pioneers
            .values()
            .filter(|pioneer| !active_only || pioneer.is_active())
            .map(|pioneer| pioneer.id)
            .collect()
    }

    /// A member, mostly an active one, sometimes anyone ever admitted,
    /// sometimes a stranger.
    fn someone(&self, rng: &mut Rng) -> PioneerId {
        let pool = match rng.weighted(&[16, 3, 1]) {
            0 => self.pioneers(true),
            1 => self.pioneers(false),
            _ => Vec::new(),
        };
        rng.pick(&pool)
            .copied()
            .unwrap_or_else(|| PioneerId(new_uuid(rng)))
    }

    fn someone_else(&self, rng: &mut Rng, than: PioneerId) -> PioneerId {
        for _ in 0..4 {
            let other = self.someone(rng);
            if other != than {
                return other;
            }
        }
        self.someone(rng)
    }

    fn project(&self, rng: &mut Rng) -> ProjectId {
        let ids: Vec<ProjectId> = self.state.projects.by_id.keys().copied().collect();
        pick_or_new(rng, &ids, ProjectId)
    }

    fn account(&self, rng: &mut Rng) -> AccountId {
        if rng.chance(15) {
            AccountId::Community
        } else if rng.chance(150) {
            AccountId::Project(self.project(rng))
        } else {
            AccountId::Pioneer(self.someone(rng))
        }
    }

    fn exchange(&self, rng: &mut Rng, wanted: fn(&ExchangeStatus) -> bool) -> ExchangeId {
        let market = self.market;
        let fitting: Vec<ExchangeId> = market
            .exchanges
            .values()
            .filter(|exchange| wanted(&exchange.status))
            .map(|exchange| exchange.id)
            .collect();
        if !fitting.is_empty() && rng.chance(850) {
            return *rng.pick(&fitting).expect("not empty");
        }
        let all: Vec<ExchangeId> = market.exchanges.keys().copied().collect();
        pick_or_new(rng, &all, ExchangeId)
    }

    fn ballot(&self, rng: &mut Rng, open: bool) -> Option<&agora_projections::Ballot> {
        let ballots: Vec<_> = self
            .state
            .ballots
            .by_id
            .values()
            .filter(|ballot| !open || ballot.is_open() || rng.chance(100))
            .collect();
        rng.pick(&ballots).copied()
    }

    fn key_of(&self, rng: &mut Rng, pioneer: PioneerId) -> Option<PersonalKey> {
        self.keys.key_of(pioneer).filter(|_| !rng.chance(20))
    }
}

fn pick_or_new<T: Copy>(rng: &mut Rng, known: &[T], make: fn(Uuid) -> T) -> T {
    if !known.is_empty() && rng.chance(920) {
        *rng.pick(known).expect("not empty")
    } else {
        make(new_uuid(rng))
    }
}

/// A postal code, which the rules refuse where a commune's INSEE code goes.
const POSTAL_CODE: &str = "38000";

/// Mostly no place; at times a commune, a commune and its point, or a
/// place the rules refuse.
fn place(rng: &mut Rng) -> Option<agora_events::Place> {
    let degrees = |hundredths: i64| {
        agora_events::Degrees::new(rust_decimal::Decimal::new(hundredths, 2))
            .expect("a commune's coordinates")
    };
    let (commune, point) = match rng.weighted(&[6, 2, 2, 1]) {
        0 => return None,
        1 => ("38185", None),
        2 => (
            "26362",
            Some(agora_events::Point {
                latitude: degrees(4493),
                longitude: degrees(489),
            }),
        ),
        _ => (POSTAL_CODE, None),
    };
    Some(agora_events::Place {
        commune: Some(commune.into()),
        point,
    })
}

fn personal(rng: &mut Rng, id: PioneerId, key: &PersonalKey) -> agora_events::Sealed {
    let data = PersonalData {
        display_name: format!("Pionnier·e {}", rng.below(10_000)),
        email: rng
            .chance(600)
            .then(|| format!("p{}@example.org", rng.below(10_000))),
        contact: None,
        bio: rng.chance(300).then(|| "Jardins partagés".into()),
        // What a pioneer shows was checked at the edge: only good places.
        place: place(rng).filter(|place| place.commune.as_deref() != Some(POSTAL_CODE)),
    };
    key.seal_with_nonce(id, &data, rng.bytes())
}

fn scores(rng: &mut Rng) -> AdmissionScores {
    let mut score = || rng.between(0, 5) as u8;
    AdmissionScores {
        scale_of_impact: score(),
        degree_of_information: score(),
        connections_produced: score(),
        care_for_the_living: score(),
        poetic_radiance: score(),
        social_innovation: score(),
        engagement: score(),
    }
}

/// The next command for a founded community, drawn from `rng`.
pub fn next(rng: &mut Rng, scene: &Scene<'_>) -> Planned {
    let state = scene.state;
    // Until a few members are in good standing, mostly admissions and
    // what follows them.
    let members = state.pioneers.len();
    let weights: [u32; 43] = [
        if members < 6 { 30 } else { 3 }, // admit
        if members < 6 { 20 } else { 3 }, // accept the charter
        1,                                // update a profile
        1,                                // leave
        1,                                // exclude
        1,                                // forget
        1,                                // set roles
        if members < 6 { 15 } else { 4 }, // subscribe shares
        if members < 6 { 15 } else { 4 }, // pay shares
        1,                                // redeem shares
        2,                                // publish a listing
        1,                                // withdraw a listing
        1,                                // report a listing
        1,                                // take a listing down
        10,                               // record an exchange
        9,                                // confirm an exchange
        2,                                // cancel an exchange
        1,                                // reverse an exchange
        14,                               // transfer hours
        2,                                // propose a project
        2,                                // score a project
        1,                                // change a project's status
        1,                                // open a ballot
        6,                                // vote
        1,                                // close a ballot
        2,                                // record a receipt
        2,                                // allocate funds
        2,                                // record an expense
        1,                                // correct a receipt, an allocation or an expense
        1,                                // set or revise a budget
        2,                                // apply to join
        1,                                // score an application
        1,                                // admit an application
        1,                                // decline an application
        1,                                // withdraw an application
        1,                                // record a meeting
        1,                                // convene an assembly
        1,                                // record an assembly's attendance
        1,                                // record an assembly's minutes
        1,                                // stand for representative
        1,                                // withdraw a candidacy
        1,                                // open the representative's election
        1,                                // record an impact measurement
    ];
    let kind = rng.weighted(&weights);
    let (command, actor, new_key) = match kind {
        0 => {
            let id = PioneerId(new_uuid(rng));
            let key = PersonalKey::from_bytes(rng.bytes());
            let college = [
                "fondateurs",
                "beneficiaires",
                "salaries",
                "soutiens",
                "inconnu",
            ][rng.weighted(&[5, 5, 5, 5, 1])];
            let command = Command::AdmitPioneer(AdmitPioneer {
                pioneer_id: id,
                college: college.into(),
                scores: scores(rng),
                profile: PublicProfile {
                    skills: vec!["jardinage".into()],
                    territory: None,
                },
                personal: personal(rng, id, &key),
                organisation: None,
            });
            (command, operator(Role::Gardener), Some((id, key)))
        }
        1 => {
            let id = scene.someone(rng);
            let version = if rng.chance(900) { CHARTER } else { "1999" };
            let command = Command::AcceptCharter(AcceptCharter {
                pioneer_id: id,
                charter_version: version.into(),
            });
            (command, member(id), None)
        }
        2 => {
            let id = scene.someone(rng);
            let current = state.pioneer(id);
            let based_on = current
                .map(|pioneer| (pioneer.profile.clone(), pioneer.personal.clone()))
                .unwrap_or_else(|| {
                    let key = PersonalKey::from_bytes(rng.bytes());
                    (PublicProfile::default(), personal(rng, id, &key))
                });
            let sealed = scene.key_of(rng, id).map(|key| personal(rng, id, &key));
            let command = Command::UpdateProfile(UpdateProfile {
                pioneer_id: id,
                profile: PublicProfile {
                    skills: vec!["cuisine".into(), "vélo".into()],
                    territory: Some("69123".into()),
                },
                personal: sealed,
                based_on,
            });
            (command, member(id), None)
        }
        3 => {
            let id = scene.someone(rng);
            let command = Command::LeaveCommunity(LeaveCommunity { pioneer_id: id });
            (command, member(id), None)
        }
        4 => {
            let id = scene.someone(rng);
            let command = Command::ExcludePioneer(ExcludePioneer {
                pioneer_id: id,
                reason: "Manquements répétés à la charte".into(),
                by: None,
            });
            (command, operator(Role::Gardener), None)
        }
        5 => {
            let id = scene.someone(rng);
            let command = Command::ForgetPioneer(ForgetPioneer { pioneer_id: id });
            (command, operator(Role::Admin), None)
        }
        6 => {
            let id = scene.someone(rng);
            let all = [Role::Gardener, Role::Treasurer, Role::Auditor, Role::System];
            let roles: BTreeSet<Role> = all
                .into_iter()
                .filter(|role| rng.chance(if *role == Role::System { 50 } else { 300 }))
                .collect();
            let command = Command::SetRoles(SetRoles {
                pioneer_id: id,
                roles,
            });
            (command, operator(Role::Admin), None)
        }
        7 => {
            let id = scene.someone(rng);
            let command = Command::SubscribeShares(SubscribeShares {
                subscription_id: SubscriptionId(new_uuid(rng)),
                pioneer_id: id,
                shares: rng.weighted(&[1, 10, 5, 3, 1]) as u32,
            });
            (command, member(id), None)
        }
        8 => {
            let subscriptions: Vec<_> = state.register.subscriptions().collect();
            let (pioneer, subscription, owed) = match rng.pick(&subscriptions) {
                Some(subscription) if rng.chance(900) => (
                    subscription.pioneer_id,
                    Some(subscription.id),
                    subscription.amount.value() - subscription.paid.value(),
                ),
                _ => (
                    scene.someone(rng),
                    None,
                    Decimal::new(SHARE_NOMINAL_CENTS, 2),
                ),
            };
            let amount = match rng.weighted(&[8, 2, 1]) {
                0 => owed,
                1 => owed / Decimal::from(2),
                _ => owed + Decimal::ONE,
            };
            let command = Command::RecordSharePayment(RecordSharePayment {
                payment_id: PaymentId(new_uuid(rng)),
                pioneer_id: pioneer,
                subscription_id: subscription,
                amount: Euros::new(amount.round_dp(2)).unwrap_or_else(|_| euros(0)),
                reference: format!("VIR-{}", rng.below(100_000)),
            });
            (command, operator(Role::Treasurer), None)
        }
        9 => {
            let id = scene.someone(rng);
            let command = Command::RedeemShares(RedeemShares {
                redemption_id: RedemptionId(new_uuid(rng)),
                pioneer_id: id,
                shares: rng.weighted(&[1, 6, 2, 1]) as u32,
                reason: if rng.chance(500) {
                    RedemptionReason::Leaving
                } else {
                    RedemptionReason::Statutes
                },
            });
            (command, operator(Role::Treasurer), None)
        }
        10 => {
            let id = scene.someone(rng);
            let command = Command::PublishListing(PublishListing {
                listing_id: ListingId(new_uuid(rng)),
                author: id,
                kind: if rng.chance(500) {
                    ListingKind::Offer
                } else {
                    ListingKind::Request
                },
                title: "Coup de main au potager".into(),
                description: "Deux heures le samedi matin".into(),
                place: place(rng),
                tags: vec!["jardinage".into()],
            });
            (command, member(id), None)
        }
        11 => {
            let listings: Vec<_> = scene.market.listings.values().collect();
            let (listing, by) = match rng.pick(&listings) {
                Some(listing) if rng.chance(900) => (listing.id, listing.author),
                _ => (ListingId(new_uuid(rng)), scene.someone(rng)),
            };
            let command = Command::WithdrawListing(WithdrawListing {
                listing_id: listing,
                by,
            });
            (command, member(by), None)
        }
        12 => {
            let listings: Vec<_> = scene.market.listings.values().collect();
            let listing = match rng.pick(&listings) {
                Some(listing) if rng.chance(900) => listing.id,
                _ => ListingId(new_uuid(rng)),
            };
            let by = scene.someone(rng);
            let command = Command::ReportListing(ReportListing {
                listing_id: listing,
                by,
                reason: "Hors charte".into(),
            });
            (command, member(by), None)
        }
        13 => {
            let listings: Vec<_> = scene.market.listings.values().collect();
            let listing = match rng.pick(&listings) {
                Some(listing) if rng.chance(900) => listing.id,
                _ => ListingId(new_uuid(rng)),
            };
            let command = Command::TakeDownListing(TakeDownListing {
                listing_id: listing,
                reason: "Annonce commerciale".into(),
            });
            (command, operator(Role::Gardener), None)
        }
        14 => {
            let provider = scene.someone(rng);
            let receiver = if rng.chance(50) {
                AccountId::Pioneer(provider)
            } else {
                match scene.account(rng) {
                    AccountId::Pioneer(other) if other == provider => {
                        AccountId::Pioneer(scene.someone_else(rng, provider))
                    }
                    other => other,
                }
            };
            let command = Command::RecordExchange(RecordExchange {
                exchange_id: ExchangeId(new_uuid(rng)),
                provider,
                receiver,
                hours: hours(rng),
                description: "Aide au déménagement".into(),
                listing_id: None,
            });
            (command, member(provider), None)
        }
        15 => {
            let exchange = scene.exchange(rng, |status| matches!(status, ExchangeStatus::Pending));
            let receiver =
                scene.market.exchanges.get(&exchange).and_then(|exchange| {
                    match exchange.receiver {
                        AccountId::Pioneer(receiver) => Some(receiver),
                        AccountId::Project(project) => {
                            state.projects.get(project).map(|project| project.proposer)
                        }
                        AccountId::Community => None,
                    }
                });
            let by = match receiver {
                Some(receiver) if rng.chance(900) => receiver,
                _ => scene.someone(rng),
            };
            let command = Command::ConfirmExchange(ConfirmExchange {
                exchange_id: exchange,
                by,
            });
            (command, member(by), None)
        }
        16 => {
            let exchange = scene.exchange(rng, |status| matches!(status, ExchangeStatus::Pending));
            let (by, actor) = if rng.chance(300) {
                (Canceller::Gardener, operator(Role::Gardener))
            } else {
                let party = scene
                    .market
                    .exchanges
                    .get(&exchange)
                    .map(|exchange| exchange.provider)
                    .filter(|_| rng.chance(800))
                    .unwrap_or_else(|| scene.someone(rng));
                (Canceller::Party(party), member(party))
            };
            let command = Command::CancelExchange(CancelExchange {
                exchange_id: exchange,
                by,
                reason: Some("Finalement pas besoin".into()),
            });
            (command, actor, None)
        }
        17 => {
            let exchange = scene.exchange(rng, |status| {
                matches!(status, ExchangeStatus::Completed { .. })
            });
            // Now and then the gardener is a member, sometimes a party.
            let by = rng.chance(300).then(|| {
                scene
                    .market
                    .exchanges
                    .get(&exchange)
                    .map(|exchange| exchange.provider)
                    .filter(|_| rng.chance(500))
                    .unwrap_or_else(|| scene.someone(rng))
            });
            let command = Command::ReverseExchange(ReverseExchange {
                exchange_id: exchange,
                reason: "Saisie en double".into(),
                by,
            });
            (command, operator(Role::Gardener), None)
        }
        18 => {
            let by = scene.someone(rng);
            let payer = if rng.chance(950) {
                AccountId::Pioneer(by)
            } else {
                scene.account(rng)
            };
            let payee = match scene.account(rng) {
                AccountId::Pioneer(other) if other == by && rng.chance(900) => {
                    AccountId::Pioneer(scene.someone_else(rng, by))
                }
                other => other,
            };
            let command = Command::TransferCredits(TransferCredits {
                transfer_id: TransferId(new_uuid(rng)),
                payer,
                by,
                payee,
                hours: hours(rng),
                memo: rng.chance(300).then(|| "Merci !".into()),
            });
            (command, member(by), None)
        }
        19 => {
            let proposer = scene.someone(rng);
            let command = Command::ProposeProject(ProposeProject {
                project_id: ProjectId(new_uuid(rng)),
                proposer,
                title: format!("Projet {}", rng.below(1_000)),
                summary: "Une ressourcerie de quartier".into(),
                place: place(rng),
            });
            (command, member(proposer), None)
        }
        20 => {
            let command = Command::ScoreProject(ScoreProject {
                project_id: scene.project(rng),
                concerned_percent: rng.between(0, 110) as u8,
                estimated_cost: amount_of_euros(rng),
                self_financing_percent: rng.between(0, 100) as u8,
                by: None,
            });
            (command, operator(Role::Gardener), None)
        }
        21 => {
            let statuses = [
                ProjectStatus::Proposed,
                ProjectStatus::Selected,
                ProjectStatus::InProgress,
                ProjectStatus::Done,
                ProjectStatus::Withdrawn,
            ];
            let command = Command::ChangeProjectStatus(ChangeProjectStatus {
                project_id: scene.project(rng),
                to: statuses[rng.below(statuses.len())],
                reason: None,
            });
            (command, operator(Role::Gardener), None)
        }
        22 => {
            let method = [
                VotingMethod::Single,
                VotingMethod::Approval,
                VotingMethod::Ranked,
            ][rng.below(3)];
            let count = rng.weighted(&[1, 0, 6, 3, 1]);
            let options = (0..count)
                .map(|index| BallotOption {
                    option_id: ["a", "b", "c", "d"][index % 4].into(),
                    label: format!("Option {index}"),
                    project_id: None,
                })
                .collect();
            let hours_ahead = rng.between(-2, 96);
            let command = Command::OpenBallot(OpenBallot {
                ballot_id: BallotId(new_uuid(rng)),
                question: "Quel projet commun ?".into(),
                options,
                method,
                kind: if rng.chance(300) {
                    BallotKind::Assembly
                } else {
                    BallotKind::Community
                },
                closes_at: Timestamp::new(
                    scene.now.instant() + chrono::Duration::hours(hours_ahead),
                ),
                sealed: false,
                assembly_id: rng.chance(300).then(|| assembly(rng, state)).flatten(),
                election: None,
            });
            (command, operator(Role::Gardener), None)
        }
        23 => {
            let voter = scene.someone(rng);
            let (ballot_id, choice) = match scene.ballot(rng, true) {
                Some(ballot) => (ballot.opened.ballot_id, choice(rng, &ballot.opened)),
                None => (
                    BallotId(new_uuid(rng)),
                    Choice::Single {
                        option_id: "a".into(),
                    },
                ),
            };
            let command = Command::CastVote(CastVote {
                ballot_id,
                voter,
                choice,
                sealed: None,
            });
            (command, member(voter), None)
        }
        24 => {
            let ballot_id = scene
                .ballot(rng, true)
                .map_or_else(|| BallotId(new_uuid(rng)), |ballot| ballot.opened.ballot_id);
            let command = Command::CloseBallot(CloseBallot {
                ballot_id,
                closed_by: Closure::Gardener,
                key: None,
            });
            (command, operator(Role::Gardener), None)
        }
        25 => {
            let command = Command::RecordReceipt(RecordReceipt {
                receipt_id: ReceiptId(new_uuid(rng)),
                amount: amount_of_euros(rng),
                source: "Subvention régionale".into(),
                reference: format!("REC-{}", rng.below(100_000)),
            });
            (command, operator(Role::Treasurer), None)
        }
        26 => {
            let closed: Vec<BallotId> = state
                .ballots
                .by_id
                .values()
                .filter(|ballot| !ballot.is_open())
                .map(|ballot| ballot.opened.ballot_id)
                .collect();
            let decision = match rng.pick(&closed) {
                Some(ballot_id) if rng.chance(500) => Decision::Ballot {
                    ballot_id: *ballot_id,
                },
                _ => Decision::Assembly {
                    reference: format!("AG-{}", rng.below(100)),
                },
            };
            let command = Command::AllocateFunds(AllocateFunds {
                allocation_id: AllocationId(new_uuid(rng)),
                project_id: scene.project(rng),
                amount: amount_of_euros(rng),
                decision,
            });
            (command, operator(Role::Treasurer), None)
        }
        28 => {
            let funds = &state.funds;
            let mut records: Vec<FundsRecord> = funds
                .receipt_amounts
                .keys()
                .map(|&receipt_id| FundsRecord::Receipt { receipt_id })
                .collect();
            records.extend(
                funds
                    .allocations
                    .keys()
                    .map(|&allocation_id| FundsRecord::Allocation { allocation_id }),
            );
            records.extend(
                funds
                    .expense_allocations
                    .keys()
                    .map(|&expense_id| FundsRecord::Expense { expense_id }),
            );
            let record = rng.pick(&records).copied().unwrap_or(FundsRecord::Receipt {
                receipt_id: ReceiptId(new_uuid(rng)),
            });
            let amount = match funds.amount_of(record) {
                Some(current) if rng.chance(700) => {
                    let cents = (current.value() * Decimal::from(100)).trunc();
                    let cents = i64::try_from(cents).unwrap_or(0);
                    euros(rng.between(0, cents.saturating_mul(2).max(1)))
                }
                _ => amount_of_euros(rng),
            };
            let mut payments: Vec<PaymentId> = state.register.payment_ids().collect();
            // The register keeps them in no particular order; a run needs one.
            payments.sort();
            let command = match rng.pick(&payments) {
                Some(&payment_id) if rng.chance(300) => {
                    let current = state
                        .register
                        .payment(payment_id)
                        .map(|(_, amount, _)| amount);
                    let amount = match current {
                        Some(current) if rng.chance(700) => {
                            let cents = (current.value() * Decimal::from(100)).trunc();
                            euros(rng.between(0, i64::try_from(cents).unwrap_or(0).max(1)))
                        }
                        _ => amount_of_euros(rng),
                    };
                    Command::CorrectSharePayment(CorrectSharePayment {
                        payment_id,
                        amount,
                        reason: "Virement saisi deux fois".into(),
                    })
                }
                _ => Command::CorrectFunds(CorrectFunds {
                    record,
                    amount,
                    reason: "Erreur de saisie".into(),
                }),
            };
            (command, operator(Role::Treasurer), None)
        }
        29 => {
            let scope = if rng.chance(300) {
                BudgetScope::Community
            } else {
                BudgetScope::Project {
                    project_id: scene.project(rng),
                }
            };
            let mut lines: Vec<BudgetLine> = Vec::new();
            for _ in 0..rng.between(1, 4) {
                let code = if rng.chance(30) {
                    "Web".to_owned()
                } else {
                    rng.pick(BUDGET_LINES).copied().unwrap_or("web").to_owned()
                };
                if lines.iter().all(|line| line.code != code) || rng.chance(30) {
                    lines.push(BudgetLine {
                        label: format!("Poste {code}"),
                        code,
                        forecast: amount_of_euros(rng),
                    });
                }
            }
            let command = Command::SetBudget(SetBudget {
                scope,
                lines,
                reason: "Budget prévisionnel".into(),
            });
            let role = if rng.chance(500) {
                Role::Treasurer
            } else {
                Role::Gardener
            };
            (command, operator(role), None)
        }
        30 => {
            // A candidate of their own, at times one who applied before.
            let id = match rng.pick(&applicants(state)) {
                Some(&known) if rng.chance(200) => known,
                _ => PioneerId(new_uuid(rng)),
            };
            let key = PersonalKey::from_bytes(rng.bytes());
            let command = Command::SubmitApplication(SubmitApplication {
                applicant: id,
                project: "Une recyclerie de quartier".into(),
                profile: PublicProfile {
                    skills: vec!["réemploi".into()],
                    territory: Some("Chambéry".into()),
                },
                personal: personal(rng, id, &key),
            });
            let actor = if rng.chance(700) {
                Actor {
                    id: id.to_string(),
                    role: Role::Candidate,
                }
            } else {
                operator(Role::Gardener)
            };
            (command, actor, Some((id, key)))
        }
        31 => {
            let command = Command::ScoreApplication(ScoreApplication {
                applicant: applicant(rng, state),
                scores: scores(rng),
            });
            (command, operator(Role::Gardener), None)
        }
        32 => {
            let college = ["fondateurs", "beneficiaires", "inconnu"][rng.weighted(&[5, 5, 1])];
            let command = Command::AdmitApplication(AdmitApplication {
                applicant: applicant(rng, state),
                college: college.into(),
                scores: rng.chance(500).then(|| scores(rng)),
            });
            (command, operator(Role::Gardener), None)
        }
        33 => {
            let command = Command::DeclineApplication(DeclineApplication {
                applicant: applicant(rng, state),
                reason: "Hors du champ de la coopérative".into(),
            });
            (command, operator(Role::Gardener), None)
        }
        34 => {
            let id = applicant(rng, state);
            let command = Command::WithdrawApplication(WithdrawApplication { applicant: id });
            let actor = Actor {
                id: id.to_string(),
                role: Role::Candidate,
            };
            (command, actor, None)
        }
        35 => {
            let mut attendees: Vec<PioneerId> =
                (0..rng.between(0, 4)).map(|_| scene.someone(rng)).collect();
            attendees.sort();
            if rng.chance(900) {
                attendees.dedup();
            }
            // Mostly a day already past; at times the next one.
            let today = scene.now.instant().date_naive();
            let held_on = if rng.chance(950) {
                today - chrono::Days::new(rng.between(0, 400) as u64)
            } else {
                today + chrono::Days::new(1)
            };
            let command = Command::RecordMeeting(RecordMeeting {
                meeting_id: MeetingId(new_uuid(rng)),
                kind: if rng.chance(500) {
                    MeetingKind::Social
                } else {
                    MeetingKind::Working
                },
                held_on,
                purpose: "Réunion des pionniers".into(),
                project_id: rng.chance(500).then(|| scene.project(rng)),
                attendees,
            });
            (command, operator(Role::Gardener), None)
        }
        36 => {
            // At times the second convocation of one that missed its quorum.
            let missed: Vec<AssemblyId> = state
                .assemblies
                .by_id
                .values()
                .filter(|assembly| {
                    assembly
                        .attendance
                        .as_ref()
                        .is_some_and(|(_, attendance)| !attendance.quorum_met)
                })
                .map(|assembly| assembly.id())
                .collect();
            let second = rng.pick(&missed).copied().filter(|_| rng.chance(700));
            let kind = second
                .and_then(|first| state.assemblies.get(first))
                .map_or(AssemblyKind::Ordinary, |first| first.convened.kind);
            let hours_ahead = rng.between(12, 72);
            let command = Command::ConveneAssembly(ConveneAssembly {
                assembly_id: AssemblyId(new_uuid(rng)),
                kind,
                held_at: Timestamp::new(scene.now.instant() + chrono::Duration::hours(hours_ahead)),
                place: "Salle des fêtes".into(),
                agenda: vec!["Rapport moral".into(), "Affectation des fonds".into()],
                second_convocation_of: second,
            });
            (command, operator(Role::Gardener), None)
        }
        37 => {
            let assembly_id = rng
                .pick(&state.assemblies.by_id.keys().copied().collect::<Vec<_>>())
                .copied()
                .unwrap_or_else(|| AssemblyId(new_uuid(rng)));
            let mut present: Vec<PioneerId> = scene
                .pioneers(true)
                .into_iter()
                .filter(|_| rng.chance(400))
                .collect();
            let absent: Vec<PioneerId> = scene
                .pioneers(true)
                .into_iter()
                .filter(|pioneer| !present.contains(pioneer))
                .collect();
            let mut represented = Vec::new();
            for member in absent {
                if let Some(&proxy) = rng.pick(&present)
                    && rng.chance(300)
                {
                    represented.push(Proxy { member, proxy });
                }
            }
            if rng.chance(30)
                && let Some(&again) = present.first()
            {
                present.push(again);
            }
            let command = Command::RecordAttendance(RecordAttendance {
                assembly_id,
                present,
                represented,
            });
            (command, operator(Role::Gardener), None)
        }
        38 => {
            let command = Command::RecordMinutes(RecordMinutes {
                assembly_id: assembly(rng, state).unwrap_or_else(|| AssemblyId(new_uuid(rng))),
                sha256: agora_events::Hash::of(&rng.bytes::<32>()),
                reference: "PV signé".into(),
            });
            (command, operator(Role::Gardener), None)
        }
        39 | 40 => {
            let id = scene.someone(rng);
            let command = if kind == 39 {
                Command::DeclareCandidacy(DeclareCandidacy {
                    pioneer_id: id,
                    statement: "Je me présente".into(),
                })
            } else {
                Command::WithdrawCandidacy(WithdrawCandidacy { pioneer_id: id })
            };
            (command, member(id), None)
        }
        41 => {
            let mut candidates: Vec<PioneerId> =
                state.representation.candidates.keys().copied().collect();
            if rng.chance(100) {
                candidates.pop();
            }
            let command = Command::OpenBallot(OpenBallot {
                ballot_id: BallotId(new_uuid(rng)),
                question: "Élection du représentant".into(),
                options: candidates
                    .iter()
                    .map(|id| BallotOption {
                        option_id: id.to_string(),
                        label: id.to_string(),
                        project_id: None,
                    })
                    .collect(),
                method: VotingMethod::Single,
                kind: BallotKind::Assembly,
                closes_at: Timestamp::new(
                    scene.now.instant() + chrono::Duration::hours(rng.between(1, 48)),
                ),
                sealed: false,
                assembly_id: assembly(rng, state),
                election: Some(agora_events::Election {
                    term_months: [0, 12, 24, 36][rng.weighted(&[1, 5, 5, 5])],
                }),
            });
            (command, operator(Role::Gardener), None)
        }
        42 => {
            // Mostly an indicator of the statutes, on a day already past.
            let indicator = match rng.pick(&INDICATORS) {
                Some((code, _)) if rng.chance(950) => (*code).to_owned(),
                _ => "arbres-plantes".to_owned(),
            };
            let today = scene.now.instant().date_naive();
            let measured_on = if rng.chance(950) {
                today - chrono::Days::new(rng.between(0, 400) as u64)
            } else {
                today + chrono::Days::new(1)
            };
            let command = Command::RecordMeasurement(agora::domain::RecordMeasurement {
                measurement_id: agora_events::MeasurementId(new_uuid(rng)),
                project_id: scene.project(rng),
                indicator,
                value: agora_events::Quantity::new(rust_decimal::Decimal::from(rng.below(5_000)))
                    .expect("a small quantity"),
                measured_on,
                source: "Comptage".into(),
            });
            (command, operator(Role::Gardener), None)
        }
        _ => {
            let allocations: Vec<_> = state.funds.allocations.values().collect();
            let (allocation_id, project_id) = match rng.pick(&allocations) {
                Some(allocation) if rng.chance(900) => (
                    allocation.allocated.allocation_id,
                    allocation.allocated.project_id,
                ),
                _ => (AllocationId(new_uuid(rng)), scene.project(rng)),
            };
            let command = Command::RecordExpense(RecordExpense {
                expense_id: ExpenseId(new_uuid(rng)),
                project_id,
                allocation_id,
                amount: amount_of_euros(rng),
                payee: "Menuiserie du coin".into(),
                reference: format!("FAC-{}", rng.below(100_000)),
                receipt_sha256: None,
                budget_line: expense_line(rng, state, project_id),
            });
            (command, operator(Role::Treasurer), None)
        }
    };
    Planned {
        command,
        actor,
        new_key,
    }
}

/// The applicants with an application pending.
fn applicants(state: &CommunityState) -> Vec<PioneerId> {
    state
        .applications
        .by_applicant
        .values()
        .filter(|application| application.is_pending())
        .map(|application| application.applicant)
        .collect()
}

/// A pending applicant, mostly; at times an id with no application.
fn applicant(rng: &mut Rng, state: &CommunityState) -> PioneerId {
    match rng.pick(&applicants(state)) {
        Some(&id) if rng.chance(900) => id,
        _ => PioneerId(new_uuid(rng)),
    }
}

/// An assembly held with its quorum, if any.
fn assembly(rng: &mut Rng, state: &CommunityState) -> Option<AssemblyId> {
    let held: Vec<AssemblyId> = state
        .assemblies
        .by_id
        .values()
        .filter(|assembly| assembly.quorum_met())
        .map(|assembly| assembly.id())
        .collect();
    rng.pick(&held).copied()
}

/// Budget line codes the workload uses.
const BUDGET_LINES: &[&str] = &["web", "ateliers", "films", "materiaux", "moyens-humains"];

/// The line an expense names: mostly one of the budget that applies, at
/// times none, or one of no budget.
fn expense_line(rng: &mut Rng, state: &CommunityState, project_id: ProjectId) -> Option<String> {
    let budgets = &state.funds.budgets;
    let applying = budgets
        .get(&BudgetScope::Project { project_id })
        .or_else(|| budgets.get(&BudgetScope::Community));
    match applying {
        Some(budget) if rng.chance(900) => rng.pick(&budget.lines).map(|line| line.code.clone()),
        _ if rng.chance(500) => None,
        _ => rng.pick(BUDGET_LINES).map(|code| (*code).to_owned()),
    }
}

/// An amendment that keeps the limits (balances must stay within them)
/// and sometimes moves the charter to a new version.
pub fn amend(rng: &mut Rng, state: &CommunityState) -> Planned {
    let mut statutes = state.statutes.clone();
    if rng.chance(300) {
        statutes.charter_version = format!("{CHARTER}-{}", rng.below(10));
    }
    statutes.name = format!("{} ({})", state.slug, rng.below(100));
    // Once assemblies are recorded, an amendment cites one's session.
    let decision = assembly(rng, state).map(|assembly_id| Decision::Session { assembly_id });
    Planned {
        command: Command::AmendStatutes(AmendStatutes {
            statutes,
            reason: "Assemblée générale".into(),
            decision,
        }),
        actor: operator(Role::Admin),
        new_key: None,
    }
}

fn choice(rng: &mut Rng, opened: &agora_events::BallotOpened) -> Choice {
    let mut ids: Vec<String> = opened
        .options
        .iter()
        .map(|option| option.option_id.clone())
        .collect();
    if rng.chance(50) {
        ids.push("z".into());
    }
    match opened.method {
        VotingMethod::Single => Choice::Single {
            option_id: rng.pick(&ids).cloned().unwrap_or_default(),
        },
        VotingMethod::Approval => Choice::Approval {
            option_ids: ids.into_iter().filter(|_| rng.chance(500)).collect(),
        },
        VotingMethod::Ranked => {
            // A shuffle, sometimes cut short.
            for at in (1..ids.len()).rev() {
                ids.swap(at, rng.below(at + 1));
            }
            ids.truncate(rng.between(1, ids.len().max(1) as i64) as usize);
            Choice::Ranked { ranking: ids }
        }
    }
}
