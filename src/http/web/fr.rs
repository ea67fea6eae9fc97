//! Every word the web interface shows, in French, and the French forms of
//! numbers, money, durations and dates. One place, so that a translation
//! is one more module like this one.

use agora_events::{Euros, Hours, Timestamp};
use chrono::Datelike;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The thousands separator: a narrow no-break space.
const THOUSANDS: char = '\u{202f}';
/// Before a unit: a no-break space.
const BEFORE_UNIT: char = '\u{a0}';
const MINUS: char = '\u{2212}';

/// Hours as people say them: "1 h 30", "2 h", "45 min", "−1 h 15".
pub fn hours(hours: Hours) -> String {
    signed_hours(hours.value())
}

/// A signed number of hours (a statement's line), as [`hours`] writes it.
pub fn signed_hours(value: Decimal) -> String {
    let sign = if value.is_sign_negative() && !value.is_zero() {
        MINUS.to_string()
    } else {
        String::new()
    };
    let minutes_total = (value.abs() * Decimal::from(60))
        .round()
        .to_u64()
        .unwrap_or(u64::MAX);
    let (whole, minutes) = (minutes_total / 60, minutes_total % 60);
    match (whole, minutes) {
        (0, 0) => format!("0{BEFORE_UNIT}h"),
        (0, minutes) => format!("{sign}{minutes}{BEFORE_UNIT}min"),
        (whole, 0) => format!("{sign}{}{BEFORE_UNIT}h", grouped(whole)),
        (whole, minutes) => {
            format!(
                "{sign}{}{BEFORE_UNIT}h{BEFORE_UNIT}{minutes:02}",
                grouped(whole)
            )
        }
    }
}

/// Euros as written in France: "10 950,00 €".
pub fn euros(euros: Euros) -> String {
    let value = euros.value().round_dp(2);
    let sign = if value.is_sign_negative() && !value.is_zero() {
        MINUS.to_string()
    } else {
        String::new()
    };
    let cents = (value.abs() * Decimal::from(100))
        .to_u128()
        .unwrap_or(u128::MAX);
    format!(
        "{sign}{},{:02}{BEFORE_UNIT}€",
        grouped(cents / 100),
        cents % 100
    )
}

/// A date as written in French: "29 novembre 2026" (the instant's UTC day).
pub fn date(at: Timestamp) -> String {
    let day = at.instant().date_naive();
    let month = MONTHS[day.month0() as usize];
    let first = if day.day() == 1 { "1er" } else { "" };
    if first.is_empty() {
        format!("{} {month} {}", day.day(), day.year())
    } else {
        format!("{first} {month} {}", day.year())
    }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A whole number with its thousands separated: "10 950".
fn grouped(value: impl Into<u128>) -> String {
    let digits = value.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(THOUSANDS);
        }
        out.push(digit);
    }
    out
}

/// Orders names as a French reader expects: accents and case aside
/// ("Léa" between "Lea" and "Lina", not after "Louise").
pub fn sort_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            other => other,
        })
        .collect()
}

/// An amount of euros as people type it: "1 234,56", "50", "12.5 €".
pub fn parse_euros(text: &str) -> Option<Euros> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != THOUSANDS)
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    digits
        .parse::<Decimal>()
        .ok()
        .and_then(|value| Euros::new(value).ok())
}

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
            "Une autre personne doit prendre part à ce mouvement : on ne crédite pas son propre compte seul."
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
        "amount-positive" => "Le montant doit être supérieur à zéro.",
        "amount-too-large" => "Ce montant est trop grand.",
        "nothing-outstanding" => "Ce membre ne doit rien sur ses parts.",
        "payment-exceeds-outstanding" => "Ce versement dépasse ce qui reste dû sur les parts.",
        "allocation-not-found" => "Cette attribution n'existe pas.",
        "allocation-within-funds" => "Il n'y a pas assez de fonds non attribués pour cela.",
        "expense-within-allocation" => "Cette dépense dépasse ce qui reste de l'attribution.",
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
        "invalid-form" => "Le formulaire est incomplet ou mal rempli.",
        "csrf" => {
            "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et recommencez."
        }
        "idempotency-key-reused" => {
            "Ce formulaire a déjà servi pour une autre demande : rechargez la page."
        }
        "read-only" => {
            "Le registre est en lecture seule pour le moment : aucune demande n'est enregistrée."
        }
        _ => return format!("La demande est refusée (règle « {rule} »)."),
    };
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(text: &str) -> Hours {
        Hours::new(text.parse().unwrap()).unwrap()
    }

    #[test]
    fn hours_read_as_people_say_them() {
        assert_eq!(hours(h("1.5")), "1\u{a0}h\u{a0}30");
        assert_eq!(hours(h("2")), "2\u{a0}h");
        assert_eq!(hours(h("0.75")), "45\u{a0}min");
        assert_eq!(hours(h("-1.25")), "\u{2212}1\u{a0}h\u{a0}15");
        assert_eq!(hours(h("0")), "0\u{a0}h");
        assert_eq!(hours(h("1250")), "1\u{202f}250\u{a0}h");
    }

    #[test]
    fn money_and_dates_are_written_the_french_way() {
        let amount: Euros = "10950.00".parse().unwrap();
        assert_eq!(euros(amount), "10\u{202f}950,00\u{a0}€");
        let amount: Euros = "0.5".parse().unwrap();
        assert_eq!(euros(amount), "0,50\u{a0}€");
        let amount: Euros = "1234567.89".parse().unwrap();
        assert_eq!(euros(amount), "1\u{202f}234\u{202f}567,89\u{a0}€");
        let at: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        assert_eq!(date(at), "29 novembre 2026");
        let at: Timestamp = "2026-08-01T10:00:00Z".parse().unwrap();
        assert_eq!(date(at), "1er août 2026");
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        let read = |text: &str| parse_euros(text).map(|euros| euros.value().to_string());
        assert_eq!(read("1 234,56").as_deref(), Some("1234.56"));
        assert_eq!(read("50").as_deref(), Some("50"));
        assert_eq!(read("12.5 €").as_deref(), Some("12.5"));
        assert_eq!(read("10\u{202f}950,00\u{a0}€").as_deref(), Some("10950.00"));
        assert_eq!(read("douze"), None);
        assert_eq!(read("1,234,5"), None);
    }

    #[test]
    fn names_sort_as_a_french_reader_expects() {
        let mut names = vec!["Louise", "Léa", "lina", "Éloïse", "Zoé"];
        names.sort_by_cached_key(|name| sort_key(name));
        assert_eq!(names, ["Éloïse", "Léa", "lina", "Louise", "Zoé"]);
    }

    #[test]
    fn every_refusal_says_something() {
        assert!(refusal("credit-floor").contains("plancher"));
        assert!(refusal("some-new-rule").contains("some-new-rule"));
    }
}
