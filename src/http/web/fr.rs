//! Every word the web interface shows, in French: the templates hold the
//! pages' words, this module the refusals'. One place, so that a
//! translation is one more module like this one. The French forms of
//! figures are the crate's ([`crate::french`]).

pub use crate::french::*;

/// What a refusal says, by the rule it names. A rule without its own words
/// here is named as such, never hidden.
pub fn refusal(rule: &str) -> String {
    let words = match rule {
        "community-not-found" => "Cette communauté n'existe pas ici.",
        "text-blank" => "Ce champ ne peut pas être vide.",
        "text-too-long" => "Ce texte est trop long.",
        "text-control-characters" => "Ce texte contient des caractères invisibles interdits.",
        "too-many-items" => "Il y a trop d'éléments.",
        "pioneer-not-found" => "Ce membre n'existe pas.",
        "pioneer-not-member" => "Cette personne n'est plus membre.",
        "pioneer-forgotten" => "Les données de cette personne ont été effacées.",
        "hours-positive" => "Indiquez une durée supérieure à zéro.",
        "no-self-transfer" => "Vous ne pouvez pas vous donner des heures à vous-même.",
        "second-person-required" => {
            "Une autre personne doit prendre part à cela : on ne décide pas seul de ce qui nous revient, ni de nos propres projets."
        }
        "community-account-reserved" => "Le compte de la communauté est réservé.",
        "account-not-found" => "Ce compte n'existe pas.",
        "account-closed" => "Ce compte est fermé : son ou sa titulaire a quitté la communauté.",
        "credit-floor" => {
            "Ce mouvement ferait passer un solde sous le plancher fixé par les statuts."
        }
        "credit-ceiling" => {
            "Ce mouvement ferait passer un solde au-dessus du plafond fixé par les statuts."
        }
        "listing-not-found" => "Cette annonce n'existe pas.",
        "listing-withdrawn" => "Cette annonce a été retirée.",
        "listing-of-a-party" => "Cette annonce n'est ni de vous ni de la personne aidée.",
        "listing-taken-down" => "Cette annonce a été retirée par la modération.",
        "report-own-listing" => "Vous ne pouvez pas signaler votre propre annonce.",
        "listing-already-reported" => "Vous avez déjà signalé cette annonce.",
        "listing-author-only" => "Seule la personne qui a publié l'annonce peut faire cela.",
        "exchange-not-found" => "Cet échange n'existe pas.",
        "exchange-not-pending" => "Cet échange n'est plus en attente.",
        "exchange-receiver-only" => "Seule la personne qui a reçu l'aide peut la confirmer.",
        "exchange-party-only" => "Seules les personnes de l'échange peuvent l'annuler.",
        "account-owner-only" => "Vous ne pouvez donner que vos propres heures.",
        "good-standing-required" => {
            "Il faut être membre à jour (charte acceptée, parts souscrites) pour cela."
        }
        "project-not-found" => "Ce projet n'existe pas.",
        "project-closed" => "Ce projet est clos.",
        "pioneer-only" => "Seul un membre pionnier peut faire cela.",
        "ballot-not-found" => "Ce scrutin n'existe pas.",
        "amount-form" => "Écrivez un montant en euros, par exemple 1 250,50.",
        "amount-not-negative" => "Le montant ne peut pas être négatif.",
        "amount-positive" => "Le montant doit être supérieur à zéro.",
        "amount-too-large" => {
            "Ce montant est trop grand, ou porterait un total au-delà de 999 999 999 999,99."
        }
        "nothing-outstanding" => "Ce membre ne doit rien sur ses parts.",
        "payment-exceeds-outstanding" => "Ce versement dépasse ce qui reste dû sur les parts.",
        "allocation-not-found" => "Cette attribution n'existe pas.",
        "allocation-within-funds" => "Il n'y a pas assez de fonds non attribués pour cela.",
        "expense-within-allocation" => "Cette dépense dépasse ce qui reste de l'attribution.",
        "assembly-not-found" => "Cette assemblée générale n'existe pas.",
        "assembly-quorum" => {
            "Le quorum de cette assemblée n'a pas été atteint : sa séance ne décide de rien."
        }
        "decision-in-the-ledger" => {
            "Citez le scrutin ou la séance d'assemblée qui a décidé, enregistrés au registre."
        }
        "assembly-notice" => "Les statuts demandent un délai de convocation plus long.",
        "second-convocation" => {
            "Seule une assemblée tenue sans quorum peut être convoquée une seconde fois."
        }
        "assembly-not-held-yet" => "Cette assemblée ne s'est pas encore tenue.",
        "attendance-recorded" => "La feuille de présence de cette assemblée est déjà enregistrée.",
        "minutes-recorded" => "Le procès-verbal de cette assemblée est déjà enregistré.",
        "proxy-present" => "Un pouvoir est confié à un membre présent.",
        "proxies-per-member" => {
            "Ce membre détiendrait plus de pouvoirs que les statuts n'en permettent."
        }
        "siren-form" => "Un SIREN s'écrit en neuf chiffres, clé de contrôle comprise.",
        "siren-exists" => "Ce SIREN est déjà celui d'un membre.",
        "representative-not-member" => {
            "Le représentant d'une structure n'est pas lui-même membre : il agit pour elle."
        }
        "representative-busy" => "Cette personne représente déjà une autre structure.",
        "representative-unchanged" => "Cette personne représente déjà cette structure.",
        "organisation-only" => "Ce membre est une personne, pas une structure.",
        "candidacy-exists" => "Ce membre est déjà candidat.",
        "candidacy-not-found" => "Ce membre n'est pas candidat.",
        "election-under-way" => "L'élection du représentant est en cours.",
        "election-in-session" => "Le représentant s'élit en séance d'assemblée générale.",
        "election-term" => "Un mandat dure de 1 à 72 mois.",
        "election-candidates" => "Les choix de l'élection sont les candidats, chacun une fois.",
        "meeting-took-place" => "Une réunion s'enregistre une fois qu'elle a eu lieu.",
        "attendee-unique" => "Chaque présent n'est nommé qu'une fois.",
        "indicator-code" => {
            "Le code d'un indicateur s'écrit en minuscules et chiffres, mots reliés par des tirets (40 caractères au plus)."
        }
        "webhook-registered" => "Ce point d'arrivée est déjà enregistré.",
        "webhook-event-type" => "Un type d'événement inconnu, ou nommé deux fois.",
        "webhook-not-found" => "Aucun webhook de ce nom ici.",
        "webhook-url" => "Cette adresse ne peut pas recevoir de webhooks.",
        "territory-one" => "Choisissez une commune, un département ou un point, pas plusieurs.",
        "within-km-with-near" => "La distance se mesure autour d'un point : donnez-le.",
        "place-empty" => "Un lieu se donne par sa commune ou par ses coordonnées.",
        "commune-code" => {
            "Le code de la commune est son code INSEE, comme 38185 pour Grenoble ou 2A004 pour Ajaccio."
        }
        "coordinates-range" => "La latitude va de -90 à 90 et la longitude de -180 à 180.",
        "indicator-unique" => "Chaque indicateur n'est défini qu'une fois dans les statuts.",
        "indicator-in-statutes" => "Cet indicateur n'est pas défini dans les statuts.",
        "measurement-took-place" => {
            "Une mesure s'enregistre une fois prise : sa date ne peut pas être à venir."
        }
        "application-not-found" => "Aucune candidature n'attend de décision ici.",
        "application-pending" => "Une candidature est déjà en attente de décision.",
        "application-not-pending" => {
            "Cette candidature a déjà reçu sa réponse : elle n'attend plus de décision."
        }
        "application-not-scored" => "Notez d'abord la candidature sur les sept critères d'accueil.",
        "admission-score-minimum" => {
            "Le total des sept critères n'atteint pas le minimum fixé par les statuts."
        }
        "admission-minimum-range" => "Le minimum d'admission va de 0 à 35.",
        "budget-line-required" => {
            "Un budget prévisionnel s'applique : choisissez la ligne budgétaire de cette dépense."
        }
        "budget-line-known" => "Cette ligne n'est pas au budget prévisionnel qui s'applique.",
        "budget-line-code" => {
            "Le code d'une ligne budgétaire s'écrit en minuscules, chiffres et tirets (ex. : moyens-humains)."
        }
        "budget-line-count" => "Un budget compte de 1 à 50 lignes.",
        "budget-line-unique" => "Chaque ligne du budget n'apparaît qu'une fois.",
        "budget-line-in-use" => {
            "Des dépenses sont imputées sur cette ligne : elle ne peut pas être retirée du budget."
        }
        "statutes-change-nothing" => "Les statuts disent déjà exactement cela.",
        "budget-changes-nothing" => "Le budget a déjà exactement ces lignes.",
        "budget-not-found" => "Aucun budget prévisionnel n'est enregistré ici.",
        "decision-taken" => {
            "Ce scrutin n'a rien décidé : il est encore ouvert, ou clos sans gagnant."
        }
        "decision-selects-project" => {
            "Ce scrutin n'a pas retenu ce projet : il ne peut pas décider de cette attribution."
        }
        "project-not-selected" => "Ce projet n'est ni retenu ni en cours.",
        "email-form" => "L'adresse de courriel n'a pas la forme nom@domaine.fr.",
        "college-unknown" => "Ce collège n'existe pas dans les statuts.",
        "admission-score-range" => "Chaque critère se note de 0 à 5.",
        "percent-range" => "Un pourcentage va de 0 à 100.",
        "ballot-close-date" => "Choisissez la date de clôture du scrutin.",
        "ballot-close-time-future" => "La clôture doit être dans le futur.",
        "ballot-option-count" => "Un scrutin a de 2 à 50 choix, un par ligne.",
        "ballot-option-unique" => "Deux choix portent le même nom.",
        "reversal-by-a-third-party" => {
            "Vous avez pris part à cet échange : un autre jardinier doit l'annuler."
        }
        "exchange-not-completed" => "Cet échange n'est pas confirmé.",
        "charter-unticked" => "Cochez la case pour accepter la charte.",
        "charter-version-current" => "La charte a changé entre-temps : rechargez la page.",
        "charter-already-accepted" => "Vous avez déjà accepté cette charte.",
        "leave-unconfirmed" => "Cochez la case pour confirmer votre départ.",
        "shares-range" => "On souscrit (ou rembourse) de 1 à 10 000 parts à la fois.",
        "shares-per-member" => "Un membre souscrit au plus 100 000 parts en tout.",
        "profile-changed-meanwhile" => {
            "Votre profil a changé entre-temps (sur un autre appareil ?) : rechargez la page."
        }
        "history-not-found" => "Le registre ne contient aucun événement sur cet identifiant.",
        "period-order" => {
            "La période doit finir après son début, et après la création de la communauté."
        }
        "ballot-closed" => "Ce scrutin est clos.",
        "electorate-only" => "Vous ne faites pas partie des votants de ce scrutin.",
        "choice-fits-method" => "Ce choix ne convient pas à la façon de voter de ce scrutin.",
        "ballot-option-unknown" => "Ce choix ne fait pas partie du scrutin.",
        "vote-form" => {
            "Votre vote est incomplet : faites un choix, et donnez à chaque choix classé un rang différent."
        }
        "forbidden" | "role-required" => "Votre rôle ne permet pas cela.",
        "member-only" => "Cette page est réservée aux membres de la communauté.",
        "other-community" => "Votre connexion vaut pour une autre communauté que celle-ci.",
        "self-only" => "Vous ne pouvez faire cela que pour vous-même.",
        "self-or-role-required" => {
            "Seule la personne concernée, ou un rôle qui le permet, peut faire cela."
        }
        "applicant-or-role-required" => {
            "Seule la personne candidate, ou un rôle qui le permet, peut faire cela."
        }
        "exclusion-by-another" => {
            "Vous ne pouvez pas vous exclure vous-même : pour partir, quittez la communauté."
        }
        "role-not-grantable" => "Ce rôle ne peut pas être confié à un membre.",
        "community-exists" => "Cette communauté existe déjà.",
        "pioneer-exists" => "Ce membre existe déjà.",
        "id-in-use" => "Cet identifiant est déjà celui d'autre chose dans la communauté.",
        "candidate-id" => "Votre lien de candidature ne porte pas d'identifiant valable.",
        "forget-after-leaving" => {
            "On n'efface les données d'une personne qu'une fois qu'elle a quitté la communauté."
        }
        "credit-limits" => {
            "Le plancher va de -1 000 000 h à 0 h et le plafond de 0 h à 1 000 000 h."
        }
        "exchange-beyond-credit-limits" => {
            "Aucun solde ne pourrait régler un échange de cette durée : elle dépasse l'écart entre plancher et plafond."
        }
        "share-nominal-positive" => "La valeur d'une part doit être supérieure à zéro.",
        "share-nominal-too-large" => "La valeur d'une part ne peut dépasser 1 000 000 €.",
        "college-unique" => "Chaque collège n'apparaît qu'une fois dans les statuts.",
        "college-in-use" => "Ce collège compte encore des membres : il ne peut pas être retiré.",
        "college-weight-range" => "Chaque collège pèse de 10 % à 50 % des voix.",
        "college-weights-total" => "Les poids des collèges doivent faire 100 % ensemble.",
        "ranking-weights-total" => "Les trois critères du classement doivent peser 100 % ensemble.",
        "one-project-at-a-time" => "Un autre projet est déjà en cours : on les mène un à la fois.",
        "project-status-transition" => "Ce projet ne peut pas passer directement à cet état.",
        "ballot-not-due" => "Ce scrutin se clôt à son heure, pas avant.",
        "ballot-key-required" => {
            "Les votes de ce scrutin sont scellés et leur clé n'est pas disponible."
        }
        "receipt-not-found" => "Cette recette n'existe pas.",
        "expense-not-found" => "Cette dépense n'existe pas.",
        "payment-not-found" => "Ce versement sur les parts n'existe pas.",
        "subscription-not-found" => "Cette souscription n'existe pas.",
        "allocation-required" => "Une dépense s'impute sur une attribution : choisissez-la.",
        "correction-changes-nothing" => "Le montant est déjà celui-là : il n'y a rien à corriger.",
        "correction-uncovers" => {
            "Après cette correction, les fonds ne couvriraient plus ce qui est déjà attribué ou dépensé."
        }
        "redemption-exceeds-paid-shares" => {
            "On ne rembourse pas plus de parts que celles qui ont été libérées."
        }
        "redemption-leaving-member" => {
            "On ne rembourse les parts que d'un membre qui part ou est parti."
        }
        "variable-capital-floor" => {
            "Ce remboursement ferait passer le capital sous le quart du plus haut capital atteint."
        }
        "invalid-form" => "Le formulaire est incomplet ou mal rempli.",
        "invalid-query" => {
            "Cette adresse est incomplète ou mal formée : revenez à la page précédente."
        }
        "csrf" => {
            "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et recommencez."
        }
        "idempotency-key-reused" => {
            "Ce formulaire a déjà servi pour une autre demande : rechargez la page."
        }
        "read-only" => {
            "Le registre est en lecture seule pour le moment : aucune demande n'est enregistrée."
        }
        "unavailable" | "timeout" | "contention" | "internal" => {
            "Le registre n'a pas pu répondre : votre demande a peut-être été enregistrée. Vérifiez la page avant de recommencer."
        }
        _ => return format!("La demande est refusée (règle « {rule} »)."),
    };
    words.to_owned()
}

/// What an event of the ledger records, in French words, for the pages
/// that list events; an event type this build does not know keeps its name.
pub fn event(event_type: &str) -> String {
    let words = match event_type {
        "CommunityCreated" => "Communauté créée",
        "StatutesAmended" => "Statuts modifiés",
        "PioneerAdmitted" => "Membre admis",
        "CharterAccepted" => "Charte acceptée",
        "ProfileUpdated" => "Profil mis à jour",
        "PioneerLeft" => "Départ",
        "PioneerExcluded" => "Exclusion",
        "PioneerForgotten" => "Données personnelles effacées",
        "RoleGranted" => "Rôle confié",
        "RoleRevoked" => "Rôle retiré",
        "RepresentativeChanged" => "Représentant changé",
        "ApplicationSubmitted" => "Candidature déposée",
        "ApplicationScored" => "Candidature notée",
        "ApplicationDeclined" => "Candidature refusée",
        "ApplicationWithdrawn" => "Candidature retirée",
        "SharesSubscribed" => "Parts souscrites",
        "SharePaymentRecorded" => "Versement sur les parts",
        "SharePaymentCorrected" => "Versement sur les parts corrigé",
        "SharesRedeemed" => "Parts remboursées",
        "ListingPublished" => "Annonce publiée",
        "ListingWithdrawn" => "Annonce retirée",
        "ListingReported" => "Annonce signalée",
        "ListingTakenDown" => "Annonce retirée par la modération",
        "ExchangeRecorded" => "Aide déclarée",
        "ExchangeConfirmed" => "Aide confirmée",
        "ExchangeCancelled" => "Aide annulée",
        "ExchangeReversed" => "Aide contrepassée",
        "TimeCreditsTransferred" => "Heures données",
        "BalanceSettled" => "Solde repris par la communauté",
        "ProjectBalanceSettled" => "Solde du projet repris par la communauté",
        "ProjectProposed" => "Projet proposé",
        "ProjectScored" => "Projet noté",
        "ProjectStatusChanged" => "État du projet changé",
        "BallotOpened" => "Scrutin ouvert",
        "VoteCast" => "Vote",
        "BallotClosed" => "Scrutin clos",
        "FundsReceived" => "Recette",
        "FundsAllocated" => "Fonds attribués",
        "ExpenseRecorded" => "Dépense",
        "FundsCorrected" => "Montant corrigé",
        "AllocationReleased" => "Attribution libérée",
        "BudgetSet" => "Budget prévisionnel",
        "MeetingRecorded" => "Réunion",
        "AssemblyConvened" => "Assemblée convoquée",
        "AttendanceRecorded" => "Feuille de présence",
        "MinutesRecorded" => "Procès-verbal",
        "CandidacyDeclared" => "Candidature de représentant",
        "CandidacyWithdrawn" => "Candidature de représentant retirée",
        "MandateGranted" => "Mandat de représentant",
        "IndicatorMeasured" => "Mesure d'impact",
        "WebhookRegistered" => "Webhook enregistré",
        "WebhookRemoved" => "Webhook retiré",
        other => return other.to_owned(),
    };
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_says_something() {
        assert!(refusal("credit-floor").contains("plancher"));
        assert!(refusal("some-new-rule").contains("some-new-rule"));
    }

    /// Every event type has French words on the pages that list events.
    #[test]
    fn every_event_type_has_french_words() {
        for (event_type, _) in agora_events::EVENT_TYPES {
            assert_ne!(event(event_type), *event_type, "{event_type}");
        }
    }

    /// Every rule a refusal of the ledger or of the caller's checks can
    /// name has its own words, not the rule's name.
    #[test]
    fn every_rule_a_page_can_show_has_french_words() {
        let sources = [
            include_str!("../../domain/rejection.rs"),
            include_str!("../caller.rs"),
            include_str!("../funds.rs"),
        ];
        let mut rules = Vec::new();
        for source in sources {
            for (at, _) in source
                .match_indices("=> \"")
                .chain(source.match_indices("rule: \""))
            {
                let rest = &source[at..];
                let start = rest.find('"').unwrap() + 1;
                let rule: String = rest[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                    .collect();
                if rest[start + rule.len()..].starts_with('"') && rule.contains('-') {
                    rules.push(rule);
                }
            }
        }
        assert!(rules.len() > 100, "{} rules found", rules.len());
        let silent: Vec<&String> = rules
            .iter()
            .filter(|rule| refusal(rule).contains("règle"))
            .collect();
        assert!(silent.is_empty(), "rules without French words: {silent:?}");
    }
}
