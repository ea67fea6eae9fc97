//! Rules for free text: something visible, not too long, no control
//! characters, nothing that reorders the text around it.
//!
//! Text one member writes shows in other members' pages and answers: a
//! name made of invisible characters would show as nobody, and a
//! direction override (U+202E) in a name would turn the figures written
//! after it around ("21 h" read as "h 12").

use super::Rejection;

/// Names and titles.
pub const NAME_CHARS_MAX: usize = 200;
/// Short free text: a skill, a territory, a reference.
pub const SHORT_TEXT_CHARS_MAX: usize = 100;
/// Payment and receipt references.
pub const REFERENCE_CHARS_MAX: usize = 200;
/// Long free text: a bio, a reason, a description.
pub const LONG_TEXT_CHARS_MAX: usize = 4_000;

/// A single-line text field: trimmed non-empty, at most `max` characters,
/// no control characters.
pub fn line(field: &'static str, value: &str, max: usize) -> Result<(), Rejection> {
    text(field, value, max, false)
}

/// A multi-line text field: like [`line`], but newlines and tabs are allowed.
pub fn paragraph(field: &'static str, value: &str, max: usize) -> Result<(), Rejection> {
    text(field, value, max, true)
}

fn text(field: &'static str, value: &str, max: usize, multi_line: bool) -> Result<(), Rejection> {
    if value.chars().all(|c| c.is_whitespace() || invisible(c)) {
        return Err(Rejection::BlankText { field });
    }
    if value.chars().count() > max {
        return Err(Rejection::TextTooLong { field, max });
    }
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\t' | '\r' | '\u{2028}' | '\u{2029}');
    let breaks_a_line = |c: char| matches!(c, '\u{2028}' | '\u{2029}');
    if value
        .chars()
        .any(|c| (c.is_control() || breaks_a_line(c) || reorders(c)) && !allowed(c))
    {
        return Err(Rejection::ControlCharacters { field });
    }
    Ok(())
}

/// The explicit direction formatting characters: embeddings, overrides and
/// isolates. They turn the text after them around, beyond the field they
/// were written in. (The marks U+200E, U+200F and U+061C, which only set
/// the direction of the characters beside them, stay allowed: mixed
/// Arabic or Hebrew text needs them.)
fn reorders(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing by themselves: Unicode's default
/// ignorable code points (zero-width spaces and joiners, direction marks,
/// the byte-order mark, the soft hyphen, Hangul fillers, variation
/// selectors, tags, invisible operators and their reserved neighbours),
/// the blank Braille pattern, and combining marks, which only dress the
/// character before them. Allowed beside visible text (emoji sequences
/// need joiners and selectors, accents their letter), but they alone do
/// not make a text.
fn invisible(c: char) -> bool {
    matches!(
        c,
        // Default ignorable code points (DerivedCoreProperties).
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
            // The blank Braille pattern.
            | '\u{2800}'
            // Combining marks.
            | '\u{0300}'..='\u{036F}'
            | '\u{0483}'..='\u{0489}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(value: &str, multi_line: bool) -> Option<&'static str> {
        text("name", value, 50, multi_line)
            .err()
            .map(|rejection| rejection.rule())
    }

    #[test]
    fn a_text_shows_something_visible() {
        for blank in [
            "",
            "  ",
            "\u{200B}",
            "\u{200B}\u{200D} \u{FEFF}",
            "\u{3164}",
            "\u{00AD}\u{2060}",
            "\u{E0020}",
            "\u{E0100}",
            "\u{1D173}",
            "\u{1BCA0}",
            "\u{2065}",
            "\u{FFF0}",
            "\u{2800}",
            "\u{0301}",
            " \u{0301}\u{20DD} ",
        ] {
            assert_eq!(rule(blank, false), Some("text-blank"), "{blank:?}");
        }
        // Invisible characters beside visible ones are allowed: a family
        // emoji is joined, a heart takes a selector, Persian uses ZWNJ.
        for fine in [
            "👨\u{200D}👩\u{200D}👧",
            "❤\u{FE0F}",
            "می\u{200C}خواهم",
            "שלום\u{200F} 12 h",
            "e\u{0301}te\u{0301}",
        ] {
            assert_eq!(rule(fine, false), None, "{fine:?}");
        }
    }

    #[test]
    fn nothing_turns_the_text_after_it_around() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            let name = format!("Camille Dubois{c}");
            assert_eq!(rule(&name, false), Some("text-control-characters"), "{c:?}");
            assert_eq!(rule(&name, true), Some("text-control-characters"), "{c:?}");
        }
    }

    #[test]
    fn lines_hold_one_line_and_paragraphs_several() {
        for separator in ["\n", "\r\n", "\u{2028}", "\u{2029}", "\t"] {
            let text = format!("une{separator}deux");
            assert_eq!(
                rule(&text, false),
                Some("text-control-characters"),
                "{separator:?}"
            );
            assert_eq!(rule(&text, true), None, "{separator:?}");
        }
        assert_eq!(rule("bip\u{7}", true), Some("text-control-characters"));
    }
}
