//! Property tests of the time bank through the real command pipeline
//! (`Ledger::execute` on an embedded SQLite store): whatever sequence of
//! transfers and exchanges members attempt, the sum of all balances stays
//! exactly zero, no balance leaves the statutes' limits, every decision is
//! the one a simple model of the rules predicts, and replaying the log
//! gives the live state.

use std::path::Path;
use std::sync::Arc;

use agora::clock::SystemClock;
use agora::domain::{
    AcceptCharter, AdmitPioneer, CancelExchange, Canceller, Command, ConfirmExchange,
    CreateCommunity, RecordExchange, RecordSharePayment, ReverseExchange, SubscribeShares,
    TransferCredits,
};
use agora::ledger::{CommandRequest, DurableView, Ledger, LedgerError, PersonalData, PersonalKey};
use agora::store::SqliteStore;
use agora_events::{
    AccountId, Actor, AdmissionScores, College, CommunitySlug, CorrelationId, ExchangeId, Hash,
    Hours, PaymentId, PioneerId, PublicProfile, RankingWeights, Role, Statutes, SubscriptionId,
    TransferId,
};
use agora_projections::ExchangeStatus;
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;
use uuid::Uuid;

const CHARTER: &str = "2026";

fn slug() -> CommunitySlug {
    "proprietes".parse().unwrap()
}

fn statutes(floor: i32, ceiling: i32) -> Statutes {
    Statutes {
        name: "Propriétés".into(),
        share_nominal: "20.00".parse().unwrap(),
        colleges: ["a", "b", "c", "d"]
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
        assembly_notice_days: None,
        assembly_quorum_percent: None,
        proxies_per_member_max: None,
        indicators: Vec::new(),
    }
}

// The generated scenario.

/// Who an operation is aimed at: another member, the actor themself, or
/// an account nobody opened.
#[derive(Debug, Clone)]
enum Target {
    Other(Index),
    Myself,
    Stranger,
}

/// Who tries to cancel a pending exchange.
#[derive(Debug, Clone, Copy)]
enum Who {
    Provider,
    Receiver,
    Bystander,
    Gardener,
}

/// One attempt; indices are resolved against the members and the
/// exchanges recorded so far when it runs.
#[derive(Debug, Clone)]
enum Op {
    Transfer {
        payer: Index,
        payee: Target,
        hours: Hours,
        /// False: someone other than the payer asks.
        by_payer: bool,
    },
    Record {
        provider: Index,
        receiver: Target,
        hours: Hours,
    },
    Confirm {
        exchange: Pick,
        /// False: the provider tries to confirm instead.
        by_receiver: bool,
    },
    Cancel {
        exchange: Pick,
        by: Who,
    },
    Reverse {
        exchange: Pick,
    },
}

/// Which exchange a confirmation, cancellation or reversal names.
#[derive(Debug, Clone)]
struct Pick {
    index: Index,
    /// Among the exchanges in the status the command needs, if any;
    /// otherwise among all, most of which it will find in the wrong status.
    fitting: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    members: usize,
    floor: i32,
    ceiling: i32,
    ops: Vec<Op>,
    /// The service stops (saving a snapshot) and starts again (from it)
    /// after every this many steps.
    restart_every: usize,
}

/// Everyday amounts mostly, then amounts around and beyond the limits,
/// zero, negative and absurdly large ones.
fn hours() -> impl Strategy<Value = Hours> {
    prop_oneof![
        8 => 1i64..=500,
        3 => 1_500i64..=2_100,
        1 => 9_500i64..=10_100,
        1 => 10_001i64..=99_999,
        1 => Just(0i64),
        1 => -500i64..=-1,
        1 => Just(99_999_999_999_999i64),
    ]
    .prop_map(|cents| Hours::new(Decimal::new(cents, 2)).unwrap())
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        20 => any::<Index>().prop_map(Target::Other),
        1 => Just(Target::Myself),
        1 => Just(Target::Stranger),
    ]
}

fn pick() -> impl Strategy<Value = Pick> {
    (any::<Index>(), prop::bool::weighted(0.8)).prop_map(|(index, fitting)| Pick { index, fitting })
}

fn op() -> impl Strategy<Value = Op> {
    let who = prop_oneof![
        Just(Who::Provider),
        Just(Who::Receiver),
        Just(Who::Bystander),
        Just(Who::Gardener),
    ];
    prop_oneof![
        6 => (any::<Index>(), target(), hours(), prop::bool::weighted(0.95)).prop_map(
            |(payer, payee, hours, by_payer)| Op::Transfer { payer, payee, hours, by_payer }
        ),
        3 => (any::<Index>(), target(), hours())
            .prop_map(|(provider, receiver, hours)| Op::Record { provider, receiver, hours }),
        3 => (pick(), prop::bool::weighted(0.9))
            .prop_map(|(exchange, by_receiver)| Op::Confirm { exchange, by_receiver }),
        1 => (pick(), who).prop_map(|(exchange, by)| Op::Cancel { exchange, by }),
        1 => pick().prop_map(|exchange| Op::Reverse { exchange }),
    ]
}

/// Default limits most often; tight ones so that the ceiling is reached too.
fn limits() -> impl Strategy<Value = (i32, i32)> {
    prop_oneof![
        3 => Just((-20, 100)),
        1 => Just((-20, 20)),
        1 => Just((-50, 10)),
        1 => Just((-5, 100)),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        4usize..=6,
        limits(),
        prop::collection::vec(op(), 200..=250),
        20usize..=120,
    )
        .prop_map(|(members, (floor, ceiling), ops, restart_every)| Scenario {
            members,
            floor,
            ceiling,
            ops,
            restart_every,
        })
}

// A model of the rules of the time bank, independent of the code under test.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Completed,
    Cancelled,
    Reversed,
}

#[derive(Debug, Clone)]
struct ModelExchange {
    id: ExchangeId,
    provider: usize,
    receiver: usize,
    hours: Decimal,
    status: Status,
}

/// What an accepted command changes in the model.
#[derive(Debug)]
enum Effect {
    Nothing,
    Move {
        from: usize,
        to: usize,
        hours: Decimal,
    },
    Recorded(ModelExchange),
}

#[derive(Debug)]
struct Prediction {
    /// `Err(rule)` when the command must be refused.
    outcome: Result<Effect, &'static str>,
    /// The exchange whose status changes on acceptance.
    status: Option<(usize, Status)>,
}

struct Model {
    floor: Decimal,
    ceiling: Decimal,
    members: Vec<PioneerId>,
    balances: Vec<Decimal>,
    exchanges: Vec<ModelExchange>,
}

/// Balances at most this large in magnitude are representable as `Hours`.
fn representable(value: Decimal) -> bool {
    value.abs() < Decimal::from(1_000_000_000_000i64)
}

impl Model {
    fn account(&self, member: usize) -> AccountId {
        AccountId::Pioneer(self.members[member])
    }

    /// Moving `hours` from `from` to `to`, checked in the order the rules
    /// name them: the payer's floor, then the payee's ceiling.
    fn movement(&self, from: usize, to: usize, hours: Decimal) -> Result<Effect, &'static str> {
        let payer_after = self.balances[from] - hours;
        if !representable(payer_after) {
            return Err("amount-too-large");
        }
        if payer_after < self.floor {
            return Err("credit-floor");
        }
        let payee_after = self.balances[to] + hours;
        if !representable(payee_after) {
            return Err("amount-too-large");
        }
        if payee_after > self.ceiling {
            return Err("credit-ceiling");
        }
        Ok(Effect::Move { from, to, hours })
    }

    fn apply(&mut self, effect: Effect, status: Option<(usize, Status)>) {
        match effect {
            Effect::Nothing => {}
            Effect::Move { from, to, hours } => {
                self.balances[from] -= hours;
                self.balances[to] += hours;
            }
            Effect::Recorded(exchange) => self.exchanges.push(exchange),
        }
        if let Some((exchange, status)) = status {
            self.exchanges[exchange].status = status;
        }
    }

    /// The command `op` stands for, who sends it, and what must happen.
    fn resolve(&self, op: &Op) -> (Command, Actor, Prediction) {
        let n = self.members.len();
        let pioneer = |member: usize| Actor {
            id: self.members[member].to_string(),
            role: Role::Pioneer,
        };
        let gardener = Actor {
            id: "gardener".into(),
            role: Role::Gardener,
        };
        let predict = |outcome| Prediction {
            outcome,
            status: None,
        };
        // `None` when no exchange was recorded yet.
        let pick = |pick: &Pick, needed: Status| {
            let fitting: Vec<usize> = (0..self.exchanges.len())
                .filter(|&e| self.exchanges[e].status == needed)
                .collect();
            if pick.fitting && !fitting.is_empty() {
                Some(fitting[pick.index.index(fitting.len())])
            } else {
                (!self.exchanges.is_empty()).then(|| pick.index.index(self.exchanges.len()))
            }
        };
        let aim = |from: usize, target: &Target| match target {
            Target::Other(index) => {
                let to = (from + 1 + index.index(n - 1)) % n;
                (self.account(to), Some(to))
            }
            Target::Myself => (self.account(from), Some(from)),
            Target::Stranger => (AccountId::Pioneer(PioneerId(Uuid::now_v7())), None),
        };
        match op {
            Op::Transfer {
                payer,
                payee,
                hours,
                by_payer,
            } => {
                let payer = payer.index(n);
                let by = if *by_payer { payer } else { (payer + 1) % n };
                let (payee_account, payee) = aim(payer, payee);
                let outcome = if by != payer {
                    Err("account-owner-only")
                } else {
                    match payee {
                        None => Err("account-not-found"),
                        Some(payee) if payee == payer => Err("no-self-transfer"),
                        Some(_) if !hours.is_positive() => Err("hours-positive"),
                        Some(payee) => self.movement(payer, payee, hours.value()),
                    }
                };
                let command = Command::TransferCredits(TransferCredits {
                    transfer_id: TransferId(Uuid::now_v7()),
                    payer: self.account(payer),
                    by: self.members[by],
                    payee: payee_account,
                    hours: *hours,
                    memo: Some("Merci !".into()),
                });
                (command, pioneer(by), predict(outcome))
            }
            Op::Record {
                provider,
                receiver,
                hours,
            } => {
                let provider = provider.index(n);
                let id = ExchangeId(Uuid::now_v7());
                let (receiver_account, receiver) = aim(provider, receiver);
                let outcome = match receiver {
                    None => Err("account-not-found"),
                    Some(receiver) if receiver == provider => Err("no-self-transfer"),
                    Some(_) if !hours.is_positive() => Err("hours-positive"),
                    // More than any balance could ever move: never settled.
                    Some(_) if hours.value() > self.ceiling - self.floor => {
                        Err("exchange-beyond-credit-limits")
                    }
                    Some(receiver) => Ok(Effect::Recorded(ModelExchange {
                        id,
                        provider,
                        receiver,
                        hours: hours.value(),
                        status: Status::Pending,
                    })),
                };
                let command = Command::RecordExchange(RecordExchange {
                    exchange_id: id,
                    provider: self.members[provider],
                    receiver: receiver_account,
                    hours: *hours,
                    description: "Deux heures au jardin partagé".into(),
                    listing_id: None,
                });
                (command, pioneer(provider), predict(outcome))
            }
            Op::Confirm {
                exchange,
                by_receiver,
            } => {
                let Some(index) = pick(exchange, Status::Pending) else {
                    let command = Command::ConfirmExchange(ConfirmExchange {
                        exchange_id: ExchangeId(Uuid::now_v7()),
                        by: self.members[0],
                    });
                    return (command, pioneer(0), predict(Err("exchange-not-found")));
                };
                let exchange = &self.exchanges[index];
                let by = if *by_receiver {
                    exchange.receiver
                } else {
                    exchange.provider
                };
                let outcome = if exchange.status != Status::Pending {
                    Err("exchange-not-pending")
                } else if by != exchange.receiver {
                    Err("exchange-receiver-only")
                } else {
                    // The receiver pays the provider.
                    self.movement(exchange.receiver, exchange.provider, exchange.hours)
                };
                let command = Command::ConfirmExchange(ConfirmExchange {
                    exchange_id: exchange.id,
                    by: self.members[by],
                });
                let prediction = Prediction {
                    outcome,
                    status: Some((index, Status::Completed)),
                };
                (command, pioneer(by), prediction)
            }
            Op::Cancel { exchange, by } => {
                let Some(index) = pick(exchange, Status::Pending) else {
                    let command = Command::CancelExchange(CancelExchange {
                        exchange_id: ExchangeId(Uuid::now_v7()),
                        by: Canceller::Gardener,
                        reason: None,
                    });
                    return (command, gardener, predict(Err("exchange-not-found")));
                };
                let exchange = &self.exchanges[index];
                let party = match by {
                    Who::Provider => Some(exchange.provider),
                    Who::Receiver => Some(exchange.receiver),
                    Who::Bystander => {
                        (0..n).find(|&m| m != exchange.provider && m != exchange.receiver)
                    }
                    Who::Gardener => None,
                };
                let outcome = if exchange.status != Status::Pending {
                    Err("exchange-not-pending")
                } else if matches!(by, Who::Bystander) {
                    Err("exchange-party-only")
                } else {
                    Ok(Effect::Nothing)
                };
                let (canceller, actor) = match party {
                    Some(member) => (Canceller::Party(self.members[member]), pioneer(member)),
                    None => (Canceller::Gardener, gardener),
                };
                let command = Command::CancelExchange(CancelExchange {
                    exchange_id: exchange.id,
                    by: canceller,
                    reason: Some("Finalement pas besoin".into()),
                });
                let prediction = Prediction {
                    outcome,
                    status: Some((index, Status::Cancelled)),
                };
                (command, actor, prediction)
            }
            Op::Reverse { exchange } => {
                let Some(index) = pick(exchange, Status::Completed) else {
                    let command = Command::ReverseExchange(ReverseExchange {
                        exchange_id: ExchangeId(Uuid::now_v7()),
                        reason: "Saisie en double".into(),
                        by: None,
                    });
                    return (command, gardener, predict(Err("exchange-not-found")));
                };
                let exchange = &self.exchanges[index];
                let outcome = if exchange.status != Status::Completed {
                    Err("exchange-not-completed")
                } else {
                    // The provider gives the hours back.
                    self.movement(exchange.provider, exchange.receiver, exchange.hours)
                };
                let command = Command::ReverseExchange(ReverseExchange {
                    exchange_id: exchange.id,
                    reason: "Saisie en double".into(),
                    by: None,
                });
                let prediction = Prediction {
                    outcome,
                    status: Some((index, Status::Reversed)),
                };
                (command, gardener, prediction)
            }
        }
    }
}

// Driving the ledger.

fn request(command: Command, actor: Actor) -> CommandRequest {
    let digest = Hash::of(format!("{command:?}").as_bytes());
    CommandRequest {
        community: slug(),
        command,
        actor,
        idempotency_key: None,
        command_digest: digest,
        correlation_id: CorrelationId(Uuid::now_v7()),
        new_key: None,
    }
}

fn operator() -> Actor {
    Actor {
        id: "operator".into(),
        role: Role::Admin,
    }
}

async fn open(path: &Path) -> Arc<Ledger> {
    let store = SqliteStore::open(path).expect("the store opens");
    Ledger::open(Arc::new(store), Arc::new(SystemClock))
        .await
        .expect("the ledger opens")
}

async fn run(ledger: &Ledger, command: Command, actor: Actor) -> Result<(), LedgerError> {
    ledger.execute(request(command, actor)).await.map(|_| ())
}

/// Admits a pioneer through the real commands up to good standing: admitted,
/// charter accepted, one share subscribed and paid.
async fn member_in_good_standing(ledger: &Ledger, college: &str) -> PioneerId {
    let id = PioneerId(Uuid::now_v7());
    let key = PersonalKey::generate();
    let personal = PersonalData {
        display_name: format!("Pionnière {id}"),
        email: Some("pionniere@example.org".into()),
        contact: None,
        bio: None,
        place: None,
    };
    let mut admission = request(
        Command::AdmitPioneer(AdmitPioneer {
            pioneer_id: id,
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
            personal: key.seal(id, &personal),
            organisation: None,
        }),
        operator(),
    );
    admission.new_key = Some((id, key));
    ledger.execute(admission).await.expect("admitted");
    let own = Actor {
        id: id.to_string(),
        role: Role::Pioneer,
    };
    let steps = [
        (
            Command::AcceptCharter(AcceptCharter {
                pioneer_id: id,
                charter_version: CHARTER.into(),
            }),
            own.clone(),
        ),
        (
            Command::SubscribeShares(SubscribeShares {
                subscription_id: SubscriptionId(Uuid::now_v7()),
                pioneer_id: id,
                shares: 1,
            }),
            own,
        ),
        (
            Command::RecordSharePayment(RecordSharePayment {
                payment_id: PaymentId(Uuid::now_v7()),
                pioneer_id: id,
                subscription_id: None,
                amount: "20.00".parse().unwrap(),
                reference: "VIR-2026-001".into(),
            }),
            Actor {
                id: "treasurer".into(),
                role: Role::Treasurer,
            },
        ),
    ];
    for (command, actor) in steps {
        run(ledger, command, actor).await.expect("setup step");
    }
    id
}

/// The ledger's invariants and the model's balances and exchanges: the
/// state holds the pending ones; with `ledger`, those that are over are
/// read from the log too.
async fn check(
    ledger: Option<&Ledger>,
    view: &DurableView,
    model: &Model,
    step: usize,
) -> Result<(), TestCaseError> {
    let state = &view.state;
    let market = &state.market;
    prop_assert_eq!(
        market.sum_of_balances(),
        Decimal::ZERO,
        "sum of balances after step {}",
        step
    );
    prop_assert!(
        market.inconsistencies.is_empty(),
        "recorded balances stopped following the movements at step {}: {:?}",
        step,
        market.inconsistencies
    );
    let (floor, ceiling) = (state.statutes.credit_floor, state.statutes.credit_ceiling);
    for (account, balance) in market.balances() {
        prop_assert!(
            *balance >= floor && *balance <= ceiling,
            "{} has {} after step {}, outside [{}, {}]",
            account,
            balance,
            step,
            floor,
            ceiling
        );
        prop_assert!(
            model
                .members
                .iter()
                .any(|m| AccountId::Pioneer(*m) == *account),
            "an account nobody opened holds credits: {}",
            account
        );
    }
    for (member, expected) in model.balances.iter().enumerate() {
        prop_assert_eq!(
            market.balance(model.account(member)).value(),
            *expected,
            "balance of member {} after step {}",
            member,
            step
        );
    }
    let pending = model
        .exchanges
        .iter()
        .filter(|exchange| exchange.status == Status::Pending)
        .count();
    prop_assert_eq!(market.exchanges.len(), pending, "step {}", step);
    let past = match ledger {
        Some(ledger) => {
            let ids: Vec<Uuid> = model
                .exchanges
                .iter()
                .map(|exchange| exchange.id.0)
                .collect();
            ledger
                .past_items(&slug(), &ids, view.revision)
                .await
                .unwrap()
        }
        None => market.clone(),
    };
    for exchange in &model.exchanges {
        let Some(known) = past.exchanges.get(&exchange.id) else {
            prop_assert!(exchange.status != Status::Pending, "step {}", step);
            continue;
        };
        if exchange.status == Status::Pending {
            prop_assert_eq!(&market.exchanges[&exchange.id], known);
        }
        let status = match known.status {
            ExchangeStatus::Pending => Status::Pending,
            ExchangeStatus::Completed { .. } => Status::Completed,
            ExchangeStatus::Cancelled { .. } => Status::Cancelled,
            ExchangeStatus::Reversed { .. } => Status::Reversed,
        };
        prop_assert_eq!(status, exchange.status, "exchange {}", exchange.id);
    }
    Ok(())
}

async fn play(scenario: Scenario) -> Result<(), TestCaseError> {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("agora.db");
    let mut ledger = open(&path).await;
    let create = Command::CreateCommunity(CreateCommunity {
        slug: slug(),
        statutes: statutes(scenario.floor, scenario.ceiling),
    });
    run(&ledger, create, operator()).await.expect("created");
    let mut members = Vec::new();
    for n in 0..scenario.members {
        let college = ["a", "b", "c", "d"][n % 4];
        members.push(member_in_good_standing(&ledger, college).await);
    }
    let view = ledger.view(&slug()).unwrap();
    for member in &members {
        prop_assert!(view.state.in_good_standing(*member));
    }
    let mut model = Model {
        floor: Decimal::from(scenario.floor),
        ceiling: Decimal::from(scenario.ceiling),
        balances: vec![Decimal::ZERO; members.len()],
        members,
        exchanges: Vec::new(),
    };
    let mut revision = view.revision;

    for (step, op) in scenario.ops.iter().enumerate() {
        let (command, actor, prediction) = model.resolve(op);
        let result = ledger.execute(request(command, actor)).await;
        let view = ledger.view(&slug()).unwrap();
        match (result, prediction.outcome) {
            (Ok(outcome), Ok(effect)) => {
                prop_assert_eq!(outcome.events.len(), 1, "step {}: {:?}", step, op);
                prop_assert_eq!(view.revision, revision + 1);
                model.apply(effect, prediction.status);
            }
            (Err(LedgerError::Rejected(rejection)), Err(rule)) => {
                prop_assert_eq!(rejection.rule(), rule, "step {}: {:?}", step, op);
                prop_assert_eq!(view.revision, revision, "a refusal recorded something");
            }
            (result, expected) => {
                return Err(TestCaseError::fail(format!(
                    "step {step}: {op:?}\n  expected {expected:?}\n  got {result:?}"
                )));
            }
        }
        revision = view.revision;
        check(None, &view, &model, step).await?;
        if step % scenario.restart_every == scenario.restart_every - 1 {
            ledger.shutdown().await;
            drop(ledger);
            ledger = open(&path).await;
            let restarted = ledger.view(&slug()).unwrap();
            prop_assert!(
                *restarted.state == *view.state,
                "step {}: the restart differs",
                step
            );
            check(Some(&ledger), &restarted, &model, step).await?;
        }
    }

    // From the snapshot saved at shutdown, then from the first event.
    let live = ledger.view(&slug()).unwrap();
    ledger.shutdown().await;
    drop(ledger);
    for from_scratch in [false, true] {
        if from_scratch {
            rusqlite::Connection::open(&path)
                .unwrap()
                .execute("DELETE FROM snapshots", [])
                .unwrap();
        }
        let replayed = open(&path).await;
        let rebuilt = replayed.view(&slug()).unwrap();
        prop_assert!(*rebuilt.state == *live.state, "replay differs from live");
        prop_assert_eq!((rebuilt.revision, rebuilt.head), (live.revision, live.head));
        replayed.shutdown().await;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        // Each case replays a few hundred durable commands: keep shrinking
        // bounded, and write no regression file into the source tree.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_commands_keep_the_time_bank_balanced_and_within_limits(scenario in scenario()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(play(scenario))?;
    }
}
