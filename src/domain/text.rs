//! Rules for free text: not blank, not too long, no control characters.

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
    if value.trim().is_empty() {
        return Err(Rejection::BlankText { field });
    }
    if value.chars().count() > max {
        return Err(Rejection::TextTooLong { field, max });
    }
    let allowed = |c: char| multi_line && (c == '\n' || c == '\t' || c == '\r');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(Rejection::ControlCharacters { field });
    }
    Ok(())
}
