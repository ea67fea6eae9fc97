//! The demo community's life: hundreds of exchanges and some transfers in
//! the marketplace, ten scored projects, a ballot that selected one, and
//! the money received, allocated and spent on it against the budgets.

use agora_events::{
    AccountId, AllocationId, BallotId, BallotKind, BallotOption, BudgetLine, BudgetScope, Choice,
    Closure, Decision, Euros, ExchangeId, ExpenseId, Hash, Hours, ListingId, ListingKind,
    PioneerId, ProjectId, ReceiptId, Role, Timestamp, TransferId, VotingMethod,
};
use uuid::Uuid;

use super::{Dice, SKILLS, Seeder};
use crate::domain::{
    AllocateFunds, CancelExchange, Canceller, CastVote, CloseBallot, Command, ConfirmExchange,
    OpenBallot, ProposeProject, PublishListing, RecordExchange, RecordExpense, RecordMeasurement,
    RecordReceipt, ReverseExchange, ScoreProject, SetBudget, TransferCredits,
};
use crate::ledger::LedgerError;

/// Exchanges recorded in the demo marketplace.
pub const DEMO_EXCHANGES: usize = 300;
const DEMO_TRANSFERS: usize = 40;
const PROJECT_TITLES: [&str; 10] = [
    "Jardin partagé des Tilleuls",
    "Atelier vélo solidaire",
    "Fournil coopératif",
    "Ressourcerie de quartier",
    "Habitat léger participatif",
    "Cantine des enfants bio",
    "Festival des communs",
    "Épicerie sans emballage",
    "Réseau de covoiturage rural",
    "Fablab itinérant",
];

fn hours(half_hours: u64) -> Hours {
    Hours::new(rust_decimal::Decimal::new(half_hours as i64 * 50, 2)).expect("a few hours")
}

fn euros(cents: i64) -> Euros {
    Euros::new(rust_decimal::Decimal::new(cents, 2)).expect("demo amounts are small")
}

pub(super) async fn seed(
    seeder: &Seeder<'_>,
    dice: &mut Dice,
    members: &[PioneerId],
    gardener: PioneerId,
    treasurer: PioneerId,
) -> Result<(), LedgerError> {
    let gardener_id = gardener.to_string();
    let treasurer_id = treasurer.to_string();
    let anyone = |dice: &mut Dice| members[dice.roll(members.len() as u64) as usize];

    for (n, author) in members.iter().step_by(2).enumerate() {
        let skill = dice.pick(&SKILLS);
        let kind = if dice.roll(3) == 0 {
            ListingKind::Request
        } else {
            ListingKind::Offer
        };
        let publish = Command::PublishListing(PublishListing {
            listing_id: ListingId(Uuid::now_v7()),
            author: *author,
            kind,
            title: format!("{} : coup de main", skill),
            description: format!("Quelques heures de {skill}, le week-end de préférence."),
            tags: vec![skill.to_owned()],
            place: (n % 2 == 0).then(|| super::place(n)),
        });
        seeder
            .run(Role::Pioneer, &author.to_string(), publish)
            .await?;
    }

    let mut completed = Vec::new();
    for _ in 0..DEMO_EXCHANGES {
        let provider = anyone(dice);
        let receiver = anyone(dice);
        if provider == receiver {
            continue;
        }
        let exchange_id = ExchangeId(Uuid::now_v7());
        let record = Command::RecordExchange(RecordExchange {
            exchange_id,
            provider,
            receiver: AccountId::Pioneer(receiver),
            hours: hours(1 + dice.roll(8)),
            description: format!("Aide en {}", dice.pick(&SKILLS)),
            listing_id: None,
        });
        seeder
            .run(Role::Pioneer, &provider.to_string(), record)
            .await?;
        match dice.roll(20) {
            0 => {
                let cancel = Command::CancelExchange(CancelExchange {
                    exchange_id,
                    by: Canceller::Party(receiver),
                    reason: Some("Finalement pas disponible".into()),
                });
                seeder
                    .run(Role::Pioneer, &receiver.to_string(), cancel)
                    .await?;
            }
            1 | 2 => {} // still pending
            _ => {
                let confirm = Command::ConfirmExchange(ConfirmExchange {
                    exchange_id,
                    by: receiver,
                });
                if seeder
                    .attempt(Role::Pioneer, &receiver.to_string(), confirm)
                    .await?
                {
                    completed.push(exchange_id);
                }
            }
        }
    }
    for exchange_id in completed.iter().take(2) {
        let reverse = Command::ReverseExchange(ReverseExchange {
            exchange_id: *exchange_id,
            reason: "Heures saisies deux fois".into(),
            by: None,
        });
        seeder
            .attempt(Role::Gardener, &gardener_id, reverse)
            .await?;
    }
    for _ in 0..DEMO_TRANSFERS {
        let (payer, payee) = (anyone(dice), anyone(dice));
        if payer == payee {
            continue;
        }
        let transfer = Command::TransferCredits(TransferCredits {
            transfer_id: TransferId(Uuid::now_v7()),
            payer: AccountId::Pioneer(payer),
            by: payer,
            payee: AccountId::Pioneer(payee),
            hours: hours(1 + dice.roll(4)),
            memo: Some("Merci !".into()),
        });
        seeder
            .attempt(Role::Pioneer, &payer.to_string(), transfer)
            .await?;
    }

    let mut projects = Vec::new();
    for (n, title) in PROJECT_TITLES.into_iter().enumerate() {
        let project_id = ProjectId(Uuid::now_v7());
        let proposer = anyone(dice);
        let propose = Command::ProposeProject(ProposeProject {
            project_id,
            proposer,
            title: title.into(),
            summary: format!("{title} : porté par des pioneers du territoire."),
            place: Some(super::place(n)),
        });
        seeder
            .run(Role::Pioneer, &proposer.to_string(), propose)
            .await?;
        let score = Command::ScoreProject(ScoreProject {
            project_id,
            concerned_percent: (10 + dice.roll(85)) as u8,
            estimated_cost: euros(((2 + dice.roll(40)) * 50_000) as i64),
            self_financing_percent: (dice.roll(80)) as u8,
            by: gardener_id.parse().ok().map(PioneerId),
        });
        seeder.run(Role::Gardener, &gardener_id, score).await?;
        projects.push(project_id);
    }

    // The gardener puts the four best-ranked projects to the vote.
    let ranking = seeder
        .ledger
        .view(&seeder.community)
        .expect("the demo community exists")
        .state
        .projects
        .ranking(None);
    let ballot_id = BallotId(Uuid::now_v7());
    let options: Vec<BallotOption> = ranking
        .iter()
        .take(4)
        .enumerate()
        .map(|(index, ranked)| BallotOption {
            option_id: format!("projet-{}", index + 1),
            label: format!("Projet n° {}", index + 1),
            project_id: Some(ranked.project_id),
        })
        .collect();
    let closes_at = Timestamp::new(chrono::Utc::now() + chrono::Duration::days(14));
    let open = Command::OpenBallot(OpenBallot {
        ballot_id,
        question: "Quel projet commun réaliser cette année ?".into(),
        options: options.clone(),
        method: VotingMethod::Ranked,
        kind: BallotKind::Community,
        closes_at,
        sealed: false,
        assembly_id: None,
        election: None,
    });
    seeder.run(Role::Gardener, &gardener_id, open).await?;
    for voter in members {
        // Three in four vote.
        if dice.roll(4) == 0 {
            continue;
        }
        let mut ranking: Vec<String> = options
            .iter()
            .map(|option| option.option_id.clone())
            .collect();
        // A preference order of the voter's own: rotate and swap a little.
        ranking.rotate_left(dice.roll(4) as usize);
        ranking.swap(0, dice.roll(4) as usize);
        let vote = Command::CastVote(CastVote {
            ballot_id,
            voter: *voter,
            choice: Choice::Ranked { ranking },
            sealed: None,
        });
        seeder.run(Role::Pioneer, &voter.to_string(), vote).await?;
    }
    let close = Command::CloseBallot(CloseBallot {
        ballot_id,
        closed_by: Closure::Gardener,
        key: None,
    });
    seeder.run(Role::Gardener, &gardener_id, close).await?;

    for (amount, source, reference) in [
        (1_500_000, "Subvention de la région", "REG-2026-014"),
        (250_000, "Dons des membres", "DON-2026-T1"),
        (80_000, "Buvette de la fête de printemps", "FETE-2026"),
    ] {
        let receive = Command::RecordReceipt(RecordReceipt {
            receipt_id: ReceiptId(Uuid::now_v7()),
            amount: euros(amount),
            source: source.into(),
            reference: reference.into(),
        });
        seeder.run(Role::Treasurer, &treasurer_id, receive).await?;
    }
    let budget = |scope, lines: &[(&str, &str, i64)], reason: &str| {
        Command::SetBudget(SetBudget {
            scope,
            lines: lines
                .iter()
                .map(|(code, label, cents)| BudgetLine {
                    code: (*code).into(),
                    label: (*label).into(),
                    forecast: euros(*cents),
                })
                .collect(),
            reason: reason.into(),
        })
    };
    let community_budget = budget(
        BudgetScope::Community,
        &[
            (
                "moyens-humains",
                "Moyens humains (interne et externe)",
                10_920_000,
            ),
            ("developpement-web", "Développement web", 1_450_000),
            ("ateliers", "Frais d'organisation d'atelier", 200_000),
            (
                "films-communication",
                "Production de films et communication",
                1_500_000,
            ),
        ],
        "Budget prévisionnel présenté à l'Appel à Communs",
    );
    seeder
        .run(Role::Treasurer, &treasurer_id, community_budget)
        .await?;
    let selected = seeder
        .ledger
        .view(&seeder.community)
        .expect("the demo community exists")
        .state
        .projects
        .by_id
        .values()
        .find(|project| project.status() == agora_events::ProjectStatus::Selected)
        .map(|project| project.id);
    if let Some(project_id) = selected {
        let allocation_id = AllocationId(Uuid::now_v7());
        let allocate = Command::AllocateFunds(AllocateFunds {
            allocation_id,
            project_id,
            amount: euros(800_000),
            decision: Decision::Ballot { ballot_id },
        });
        seeder.run(Role::Treasurer, &treasurer_id, allocate).await?;
        let project_budget = budget(
            BudgetScope::Project { project_id },
            &[
                ("materiaux", "Matériaux", 200_000),
                ("outillage", "Outillage", 50_000),
                ("terrassement", "Terrassement", 250_000),
            ],
            "Budget du projet retenu par le scrutin",
        );
        seeder
            .run(Role::Treasurer, &treasurer_id, project_budget)
            .await?;
        // The tools cost more than forecast: the report flags that line.
        for (amount, payee, reference, line) in [
            (120_050, "Scierie du Vercors", "FAC-2026-0118", "materiaux"),
            (64_000, "Quincaillerie Dupuis", "FAC-2026-0131", "outillage"),
            (
                230_000,
                "Terrassement Rhône-Alpes",
                "DEV-2026-0042",
                "terrassement",
            ),
        ] {
            let spend = Command::RecordExpense(RecordExpense {
                expense_id: ExpenseId(Uuid::now_v7()),
                project_id,
                allocation_id,
                amount: euros(amount),
                payee: payee.into(),
                reference: reference.into(),
                receipt_sha256: Some(Hash::of(reference.as_bytes())),
                budget_line: Some(line.into()),
            });
            seeder.run(Role::Treasurer, &treasurer_id, spend).await?;
        }
        // Its impact, measured along the way in the three compasses.
        let today = seeder.ledger.now().instant().date_naive();
        for (days_ago, indicator, value, source) in [
            (
                150,
                "personnes-touchees",
                40,
                "Feuilles d'émargement des ateliers",
            ),
            (
                60,
                "personnes-touchees",
                125,
                "Feuilles d'émargement des ateliers",
            ),
            (60, "heures-benevoles", 310, "Échanges de temps du projet"),
            (30, "partenariats", 4, "Conventions signées"),
            (10, "dechets-evites", 860, "Pesées de la recyclerie"),
        ] {
            let measure = Command::RecordMeasurement(RecordMeasurement {
                measurement_id: agora_events::MeasurementId(Uuid::now_v7()),
                project_id,
                indicator: indicator.into(),
                value: agora_events::Quantity::new(value.into()).expect("a small quantity"),
                measured_on: today - chrono::Days::new(days_ago),
                source: source.into(),
            });
            seeder.run(Role::Gardener, &gardener_id, measure).await?;
        }
    }
    Ok(())
}
