//! The French forms of numbers, money, durations and dates, wherever
//! people read them: the web interface and the printed assembly report.

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
    euros_of(euros.value())
}

/// A total of euros as written in France, however many digits it has.
pub fn euros_total(total: agora_events::EurosTotal) -> String {
    euros_of(total.value())
}

fn euros_of(value: Decimal) -> String {
    let value = value.round_dp(2);
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

/// A measured quantity as written in France: "1 250", "12,50", "−3".
pub fn quantity(quantity: agora_events::Quantity) -> String {
    let value = quantity.value().round_dp(2);
    let sign = if value.is_sign_negative() && !value.is_zero() {
        MINUS.to_string()
    } else {
        String::new()
    };
    let hundredths = (value.abs() * Decimal::from(100))
        .to_u128()
        .unwrap_or(u128::MAX);
    match hundredths % 100 {
        0 => format!("{sign}{}", grouped(hundredths / 100)),
        fraction => format!("{sign}{},{fraction:02}", grouped(hundredths / 100)),
    }
}

/// A date as written in French: "29 novembre 2026", the day it was in
/// metropolitan France (Paris time: UTC+1, UTC+2 from the last Sunday of
/// March to the last Sunday of October, changing at 01:00 UTC).
pub fn date(at: Timestamp) -> String {
    day(paris(at).date_naive())
}

/// A calendar day as written in French: "1er mai 2026", "29 novembre 2026".
pub fn day(day: chrono::NaiveDate) -> String {
    let month = MONTHS[day.month0() as usize];
    let first = if day.day() == 1 { "1er" } else { "" };
    if first.is_empty() {
        format!("{} {month} {}", day.day(), day.year())
    } else {
        format!("{first} {month} {}", day.year())
    }
}

/// The last second of a day in Paris (`2026-12-06` → 22:59:59 UTC that
/// day), or `None` if the text is not a date `YYYY-MM-DD`.
pub fn end_of_day(text: &str) -> Option<Timestamp> {
    use chrono::TimeZone;
    let day = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let local = day.and_hms_opt(23, 59, 59)?;
    // Try winter time, then summer time: the one whose Paris clock reads it.
    [1, 2].into_iter().find_map(|hours| {
        let utc = chrono::Utc.from_utc_datetime(&(local - chrono::Duration::hours(hours)));
        let at = Timestamp::new(utc);
        (paris(at).naive_local() == local).then_some(at)
    })
}

/// The instant on Paris's clock.
fn paris(at: Timestamp) -> chrono::DateTime<chrono::FixedOffset> {
    use chrono::{NaiveDate, TimeZone, Utc};
    let instant = at.instant();
    let year = instant.year();
    // The last Sunday of a month: back from the 31st (March and October
    // both have 31 days).
    let last_sunday = |month: u32| {
        let last = NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have a 31st");
        let back = last.weekday().num_days_from_sunday();
        last - chrono::Duration::days(i64::from(back))
    };
    let switch = |month: u32| {
        Utc.from_utc_datetime(
            &last_sunday(month)
                .and_hms_opt(1, 0, 0)
                .expect("01:00 exists"),
        )
    };
    let summer = instant >= switch(3) && instant < switch(10);
    let hours = if summer { 2 } else { 1 };
    instant.with_timezone(&chrono::FixedOffset::east_opt(hours * 3_600).expect("a valid offset"))
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
pub fn grouped(value: impl Into<u128>) -> String {
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

/// An amount of euros as people type it: "1 234,56", "50", "12.5 €":
/// digits, grouped by three with spaces or not, a decimal comma or point
/// and at most two decimals, the euro sign at the end if any; nothing
/// else: not "1e2", "1_000", "+5", ".5" or "1 25", which a ledger would
/// record as what nobody meant.
pub fn parse_euros(text: &str) -> Option<Euros> {
    let text = text.trim();
    let text = text.strip_suffix('€').map_or(text, str::trim_end);
    let (integer, fraction) = match text.split_once([',', '.']) {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (text, None),
    };
    let mut groups = integer.split(|c: char| c.is_whitespace() || c == THOUSANDS);
    let first = groups.next()?;
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let grouped: Vec<&str> = groups.collect();
    let well_grouped = match grouped.is_empty() {
        true => digits(first),
        false => {
            digits(first) && first.len() <= 3 && grouped.iter().all(|g| digits(g) && g.len() == 3)
        }
    };
    if !well_grouped {
        return None;
    }
    let mut plain: String = std::iter::once(first).chain(grouped).collect();
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    plain.parse::<Euros>().ok()
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
        let quantity = |text: &str| super::quantity(text.parse().unwrap());
        assert_eq!(quantity("1250.00"), "1\u{202f}250");
        assert_eq!(quantity("12.5"), "12,50");
        assert_eq!(quantity("-3"), "\u{2212}3");
        let amount: Euros = "1234567.89".parse().unwrap();
        assert_eq!(euros(amount), "1\u{202f}234\u{202f}567,89\u{a0}€");
        let at: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        assert_eq!(date(at), "29 novembre 2026");
        let at: Timestamp = "2026-08-01T10:00:00Z".parse().unwrap();
        assert_eq!(date(at), "1er août 2026");
        // Late in the evening in Paris is already the next day there.
        let at: Timestamp = "2026-11-29T23:30:00Z".parse().unwrap();
        assert_eq!(date(at), "30 novembre 2026", "UTC+1 in winter");
        let at: Timestamp = "2026-07-13T22:30:00Z".parse().unwrap();
        assert_eq!(date(at), "14 juillet 2026", "UTC+2 in summer");
        let at: Timestamp = "2026-07-13T21:30:00Z".parse().unwrap();
        assert_eq!(date(at), "13 juillet 2026");
        // 2026's summer time starts on 29 March and ends on 25 October, at 01:00 UTC.
        let at: Timestamp = "2026-03-29T00:59:00Z".parse().unwrap();
        assert_eq!(paris(at).offset().local_minus_utc(), 3_600);
        let at: Timestamp = "2026-03-29T01:00:00Z".parse().unwrap();
        assert_eq!(paris(at).offset().local_minus_utc(), 7_200);
        let at: Timestamp = "2026-10-25T00:59:00Z".parse().unwrap();
        assert_eq!(paris(at).offset().local_minus_utc(), 7_200);
        let at: Timestamp = "2026-10-25T01:00:00Z".parse().unwrap();
        assert_eq!(paris(at).offset().local_minus_utc(), 3_600);
        let end = |text: &str| end_of_day(text).map(|at| at.to_string());
        assert_eq!(
            end("2026-12-06").as_deref(),
            Some("2026-12-06T22:59:59.000000Z")
        );
        assert_eq!(
            end("2026-07-14").as_deref(),
            Some("2026-07-14T21:59:59.000000Z")
        );
        assert_eq!(end("le 6 décembre"), None);
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        let read = |text: &str| parse_euros(text).map(|euros| euros.to_string());
        assert_eq!(read("1 234,56").as_deref(), Some("1234.56"));
        assert_eq!(read("50").as_deref(), Some("50.00"));
        assert_eq!(read("12.5 €").as_deref(), Some("12.50"));
        assert_eq!(read("10\u{202f}950,00\u{a0}€"), read("10950"));
        assert_eq!(read("douze"), None);
        assert_eq!(read("1,234,5"), None);
        assert_eq!(read("1 250,50 €").as_deref(), Some("1250.50"));
        assert_eq!(read("1250.50").as_deref(), Some("1250.50"));
        assert_eq!(read(" 12 345 678 ").as_deref(), Some("12345678.00"));
        for odd in [
            "1e2",
            "1_000",
            "+5",
            ".5",
            "5.",
            "0x10",
            "1.255",
            "--5",
            "١٢",
            "1 25",
            "5 0",
            "5€0",
            "12 3456",
            "1234 567",
            "€",
            "",
            "1 250 ,50",
            "1,250.50",
        ] {
            assert_eq!(read(odd), None, "{odd}");
        }
    }

    #[test]
    fn names_sort_as_a_french_reader_expects() {
        let mut names = vec!["Louise", "Léa", "lina", "Éloïse", "Zoé"];
        names.sort_by_cached_key(|name| sort_key(name));
        assert_eq!(names, ["Éloïse", "Léa", "lina", "Louise", "Zoé"]);
    }
}
