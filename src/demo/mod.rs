//! A demo community, seeded through the ledger's own command path: the
//! cooperative "Lanceurs d'avenir" with six colleges and about a hundred
//! pioneers, admitted with varied scores, who accepted the charter and
//! subscribed shares, mostly paid; a lively marketplace; ten scored
//! projects, a closed ballot that selected one; receipts, an allocation and
//! expenses. The same seed always gives the same people and figures (ids
//! and instants differ).

use std::collections::BTreeSet;
use std::sync::Arc;

use agora_events::{
    Actor, AdmissionScores, College, CommunitySlug, CorrelationId, Euros, Hash, PaymentId,
    PioneerId, PublicProfile, RankingWeights, Role, Statutes, SubscriptionId,
};
use uuid::Uuid;

use crate::auth::{ANY_COMMUNITY, Authenticator, Claims};
use crate::domain::Rejection;
use crate::domain::{
    AcceptCharter, AdmitPioneer, Command, CreateCommunity, RecordSharePayment, SetRoles,
    SubscribeShares,
};
use crate::ledger::{CommandRequest, Ledger, LedgerError, PersonalData, PersonalKey};

/// The marketplace, projects, a ballot and funds.
mod activity;

/// The demo community's slug.
pub const DEMO_COMMUNITY: &str = "lanceurs-davenir";
/// How many pioneers the demo admits.
pub const DEMO_PIONEERS: usize = 100;
const CHARTER: &str = "2026-01";
const OPERATOR: &str = "demo-operator";
/// How long the printed tokens last, in seconds.
const TOKEN_SECONDS: i64 = 7 * 24 * 3_600;

const FIRST_NAMES: [&str; 20] = [
    "Camille",
    "Dominique",
    "Claude",
    "Alix",
    "Sacha",
    "Louise",
    "Jules",
    "Inès",
    "Malik",
    "Léa",
    "Yanis",
    "Manon",
    "Hugo",
    "Chloé",
    "Nour",
    "Théo",
    "Lina",
    "Gabriel",
    "Zoé",
    "Rémi",
];
const LAST_NAMES: [&str; 20] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier",
];
const SKILLS: [&str; 12] = [
    "maraîchage",
    "menuiserie",
    "compostage",
    "comptabilité",
    "graphisme",
    "couture",
    "réparation vélo",
    "cuisine",
    "animation",
    "informatique",
    "apiculture",
    "juridique",
];
const TERRITORIES: [&str; 6] = ["Drôme", "Ardèche", "Isère", "Rhône", "Savoie", "Loire"];

/// Communes of the demo's places: name, INSEE code, latitude and longitude
/// to the hundredth of a degree.
const COMMUNES: [(&str, &str, i64, i64); 8] = [
    ("Grenoble", "38185", 4519, 572),
    ("Voiron", "38563", 4536, 559),
    ("Valence", "26362", 4493, 489),
    ("Die", "26113", 4475, 537),
    ("Crest", "26108", 4473, 502),
    ("Chambéry", "73065", 4557, 592),
    ("Lyon", "69123", 4576, 484),
    ("Annecy", "74010", 4590, 613),
];

/// The `n`th of the demo's communes (round the list), with its point. Not
/// drawn from the dice: places leave the rest of the demo as it was.
pub(crate) fn place(n: usize) -> agora_events::Place {
    let (_, code, latitude, longitude) = COMMUNES[n % COMMUNES.len()];
    let degrees = |hundredths: i64| {
        agora_events::Degrees::new(rust_decimal::Decimal::new(hundredths, 2))
            .expect("a commune's coordinates")
    };
    agora_events::Place {
        commune: Some(code.into()),
        point: Some(agora_events::Point {
            latitude: degrees(latitude),
            longitude: degrees(longitude),
        }),
    }
}

/// Who the printed tokens are for.
#[derive(Debug, Clone)]
pub struct DemoCast {
    pub community: CommunitySlug,
    pub gardener: PioneerId,
    pub treasurer: PioneerId,
    pub pioneer: PioneerId,
}

/// A small deterministic generator: the demo is the same on every machine.
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn roll(&mut self, sides: u64) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % sides
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.roll(items.len() as u64) as usize]
    }

    fn score(&mut self) -> u8 {
        // Mostly 2 to 5: these are people the gardener admitted.
        [1, 2, 3, 3, 4, 4, 5, 5, 2, 3][self.roll(10) as usize]
    }
}

pub(crate) fn statutes() -> Statutes {
    let college = |name: &str, vote_weight_percent| College {
        name: name.into(),
        vote_weight_percent,
    };
    Statutes {
        name: "Lanceurs d'avenir — SCIC des solutions citoyennes".into(),
        share_nominal: Euros::whole(50),
        colleges: vec![
            college("fondateurs", 25),
            college("partenaires historiques", 15),
            college("bénéficiaires", 20),
            college("fournisseurs", 10),
            college("collectivités", 15),
            college("salariés", 15),
        ],
        credit_floor: agora_events::Hours::whole(-20),
        credit_ceiling: agora_events::Hours::whole(100),
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
        indicators: INDICATORS
            .iter()
            .map(|&(code, label, compass, unit)| agora_events::Indicator {
                code: code.into(),
                label: label.into(),
                compass,
                unit: unit.into(),
                direction: agora_events::Direction::HigherIsBetter,
            })
            .collect(),
    }
}

/// The demo's impact indicators, in the three compasses.
const INDICATORS: [(&str, &str, agora_events::Compass, &str); 4] = [
    (
        "heures-benevoles",
        "Heures de bénévolat données",
        agora_events::Compass::IndividualEngagement,
        "heures",
    ),
    (
        "partenariats",
        "Partenariats noués",
        agora_events::Compass::Synergy,
        "partenaires",
    ),
    (
        "personnes-touchees",
        "Personnes touchées",
        agora_events::Compass::SocietalImpact,
        "personnes",
    ),
    (
        "dechets-evites",
        "Déchets évités",
        agora_events::Compass::SocietalImpact,
        "kg",
    ),
];

pub(crate) struct Seeder<'a> {
    ledger: &'a Ledger,
    community: CommunitySlug,
}

impl Seeder<'_> {
    pub(crate) async fn run(
        &self,
        role: Role,
        actor: &str,
        command: Command,
    ) -> Result<(), LedgerError> {
        self.run_with_key(role, actor, command, None).await
    }

    /// Runs a command that the rules may refuse (a credit limit reached,
    /// say): a refusal is part of the demo's life, not an error.
    pub(crate) async fn attempt(
        &self,
        role: Role,
        actor: &str,
        command: Command,
    ) -> Result<bool, LedgerError> {
        match self.run(role, actor, command).await {
            Ok(()) => Ok(true),
            Err(LedgerError::Rejected(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn run_with_key(
        &self,
        role: Role,
        actor: &str,
        command: Command,
        new_key: Option<(PioneerId, PersonalKey)>,
    ) -> Result<(), LedgerError> {
        self.ledger
            .execute(CommandRequest {
                community: self.community.clone(),
                command,
                actor: Actor {
                    id: actor.into(),
                    role,
                },
                idempotency_key: None,
                command_digest: Hash::of(b"demo"),
                correlation_id: CorrelationId(Uuid::now_v7()),
                new_key,
            })
            .await
            .map(|_| ())
    }
}

/// Seeds the demo community, unless it exists; returns who to print tokens for.
pub async fn seed(ledger: &Ledger) -> Result<DemoCast, LedgerError> {
    let community: CommunitySlug = DEMO_COMMUNITY.parse().expect("the demo slug is valid");
    if let Some(cast) = existing_cast(ledger, &community) {
        return Ok(cast);
    }
    let seeder = Seeder {
        ledger,
        community: community.clone(),
    };
    let statutes = statutes();
    let created = seeder
        .run(
            Role::Admin,
            OPERATOR,
            Command::CreateCommunity(CreateCommunity {
                slug: community.clone(),
                statutes: statutes.clone(),
            }),
        )
        .await;
    match created {
        // Another instance on the same store seeds it at this moment: it
        // created the community first, or while this one tried.
        Err(LedgerError::Rejected(Rejection::CommunityExists { .. }) | LedgerError::Contention)
            if ledger.store().is_shared() =>
        {
            return seeded_elsewhere(ledger, &community).await;
        }
        created => created?,
    }
    let mut dice = Dice(2026);
    let mut pioneers = Vec::with_capacity(DEMO_PIONEERS);
    for n in 0..DEMO_PIONEERS {
        let id = PioneerId(Uuid::now_v7());
        let first = dice.pick(&FIRST_NAMES);
        let last = dice.pick(&LAST_NAMES);
        let college = &statutes.colleges[dice.roll(statutes.colleges.len() as u64) as usize];
        let key = PersonalKey::generate();
        let personal = PersonalData {
            display_name: format!("{first} {last}"),
            email: Some(format!(
                "{}.{}{n}@exemple.org",
                first.to_lowercase(),
                last.to_lowercase()
            )),
            contact: None,
            bio: Some(format!(
                "Porte un projet de {} en {}.",
                dice.pick(&SKILLS),
                dice.pick(&TERRITORIES)
            )),
            // A third show their commune to the other members.
            place: (n % 3 == 0).then(|| place(n)),
        };
        let skills: BTreeSet<String> = (0..1 + dice.roll(3))
            .map(|_| dice.pick(&SKILLS).to_owned())
            .collect();
        let admit = Command::AdmitPioneer(AdmitPioneer {
            pioneer_id: id,
            college: college.name.clone(),
            scores: AdmissionScores {
                scale_of_impact: dice.score(),
                degree_of_information: dice.score(),
                connections_produced: dice.score(),
                care_for_the_living: dice.score(),
                poetic_radiance: dice.score(),
                social_innovation: dice.score(),
                engagement: dice.score(),
            },
            profile: PublicProfile {
                skills: skills.into_iter().collect(),
                territory: Some(dice.pick(&TERRITORIES).to_owned()),
            },
            personal: key.seal(id, &personal),
            organisation: None,
        });
        seeder
            .run_with_key(Role::Gardener, OPERATOR, admit, Some((id, key)))
            .await?;
        let own = id.to_string();
        // One in twenty has not yet accepted the charter.
        if dice.roll(20) != 0 {
            let accept = Command::AcceptCharter(AcceptCharter {
                pioneer_id: id,
                charter_version: CHARTER.into(),
            });
            seeder.run(Role::Pioneer, &own, accept).await?;
        }
        let shares = 1 + dice.roll(5) as u32;
        let subscription_id = SubscriptionId(Uuid::now_v7());
        let subscribe = Command::SubscribeShares(SubscribeShares {
            subscription_id,
            pioneer_id: id,
            shares,
        });
        seeder.run(Role::Pioneer, &own, subscribe).await?;
        // Most pay in full, some in part, a few not yet.
        let owed = statutes.share_nominal.value() * rust_decimal::Decimal::from(shares);
        let paid = match dice.roll(10) {
            0 => None,
            1 => Some(statutes.share_nominal.value() / rust_decimal::Decimal::from(2)),
            _ => Some(owed),
        };
        if let Some(amount) = paid {
            let payment = Command::RecordSharePayment(RecordSharePayment {
                payment_id: PaymentId(Uuid::now_v7()),
                pioneer_id: id,
                subscription_id: Some(subscription_id),
                amount: Euros::new(amount).expect("demo amounts are small"),
                reference: format!("VIR-2026-{:04}", n + 1),
            });
            seeder.run(Role::Treasurer, OPERATOR, payment).await?;
        }
        pioneers.push(id);
    }
    let (gardener, treasurer) = (pioneers[0], pioneers[1]);
    for (pioneer_id, role) in [(gardener, Role::Gardener), (treasurer, Role::Treasurer)] {
        let grant = Command::SetRoles(SetRoles {
            pioneer_id,
            roles: [role].into_iter().collect(),
        });
        seeder.run(Role::Admin, OPERATOR, grant).await?;
    }
    let members: Vec<PioneerId> = {
        let view = ledger.view(&community).expect("the demo community exists");
        pioneers
            .iter()
            .copied()
            .filter(|id| view.state.in_good_standing(*id))
            .collect()
    };
    activity::seed(&seeder, &mut dice, &members, gardener, treasurer).await?;
    Ok(existing_cast(ledger, &community).expect("the demo community was just seeded"))
}

/// How long to wait for the demo another instance is seeding, at most.
const SEEDED_ELSEWHERE_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The cast of the demo another instance created first, once this
/// ledger has followed it far enough to name one (a gardener, a treasurer
/// and a pioneer in good standing).
async fn seeded_elsewhere(
    ledger: &Ledger,
    community: &CommunitySlug,
) -> Result<DemoCast, LedgerError> {
    let waited = tokio::time::timeout(SEEDED_ELSEWHERE_WAIT, async {
        loop {
            if let Some(cast) = existing_cast(ledger, community) {
                return cast;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
    .await;
    waited.map_err(|_| {
        LedgerError::Store(crate::store::StoreError::Unavailable(format!(
            "another instance created {community} but has not seeded it within {} s",
            SEEDED_ELSEWHERE_WAIT.as_secs()
        )))
    })
}

/// The cast of a demo community already in the ledger.
fn existing_cast(ledger: &Ledger, community: &CommunitySlug) -> Option<DemoCast> {
    let view = ledger.view(community)?;
    let state = &view.state;
    let holder = |role: Role| {
        state
            .pioneers
            .values()
            .find(|pioneer| pioneer.effective_roles().contains(&role))
            .map(|pioneer| pioneer.id)
    };
    let pioneer = state
        .pioneers
        .values()
        .find(|pioneer| state.in_good_standing(pioneer.id) && pioneer.roles.is_empty())?
        .id;
    Some(DemoCast {
        community: community.clone(),
        gardener: holder(Role::Gardener)?,
        treasurer: holder(Role::Treasurer)?,
        pioneer,
    })
}

/// Tokens to try the demo with, one per role, and a ready `curl` line.
pub fn tokens_text(auth: &Arc<Authenticator>, cast: &DemoCast, base_url: &str) -> Option<String> {
    let now = chrono::Utc::now().timestamp();
    let mint = |subject: &str, community: &str, roles: &[Role]| {
        auth.mint(&Claims {
            sub: subject.into(),
            community: community.into(),
            roles: roles.iter().copied().collect(),
            exp: now + TOKEN_SECONDS,
            iat: now,
        })
    };
    let community = cast.community.as_str();
    let admin = mint(OPERATOR, ANY_COMMUNITY, &[Role::Admin])?;
    let gardener = mint(
        &cast.gardener.to_string(),
        community,
        &[Role::Pioneer, Role::Gardener],
    )?;
    let treasurer = mint(
        &cast.treasurer.to_string(),
        community,
        &[Role::Pioneer, Role::Treasurer],
    )?;
    let pioneer = mint(&cast.pioneer.to_string(), community, &[Role::Pioneer])?;
    Some(format!(
        "Demo community {community} is ready.\n\
         \nSign in to the web interface (in French) with a link (valid 7 days):\n\
         \n  pioneer   {}\n  gardener  {}\n  treasurer {}\n\
         \nTokens for the API (valid 7 days):\n\
         \n  admin     {admin}\n  gardener  {gardener}\n  treasurer {treasurer}\n  pioneer   {pioneer}\n\
         \nTry:\n  curl -s -H 'Authorization: Bearer {pioneer}' '{base_url}/v1/communities/{community}/shares'\n\
         \n  curl -s -H 'Authorization: Bearer {gardener}' '{base_url}/v1/communities/{community}/pioneers?limit=5'\n\
         \nThe API is described at {base_url}/v1/openapi.json\n",
        sign_in_link(base_url, &pioneer),
        sign_in_link(base_url, &gardener),
        sign_in_link(base_url, &treasurer),
    ))
}

/// The web interface's sign-in link for a token, at the service's `base_url`.
pub fn sign_in_link(base_url: &str, token: &str) -> String {
    format!("{}/connexion?jeton={token}", base_url.trim_end_matches('/'))
}
