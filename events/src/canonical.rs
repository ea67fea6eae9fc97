//! Canonical JSON: the one byte string an event hashes to.
//!
//! The rules, also written for auditors in `docs/canonical-form.md`:
//! - objects: members sorted by key, compared as Unicode code points (byte
//!   order of UTF-8), no whitespace anywhere, `{"a":1,"b":[true,null]}`;
//! - strings: UTF-8, escaped only where JSON requires it: `"` as `\"`, `\` as
//!   `\\`, U+0008/0009/000A/000C/000D as `\b \t \n \f \r`, every other
//!   character below U+0020 as `\u00XX` with lowercase hex; nothing else is
//!   escaped (not `/`, not non-ASCII);
//! - numbers: integers only, in plain decimal (`-12`, `0`); a fraction or an
//!   exponent is refused, since amounts travel as strings;
//! - `true`, `false`, `null` as such.
//!
//! This is Python's `json.dumps(value, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)` for the values the ledger writes; the shipped
//! verifier relies on exactly that.

use serde_json::Value;

/// A value that has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("number {0} is not an integer; amounts must be strings")]
    NonIntegerNumber(String),
}

/// Appends the canonical bytes of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            if number.is_i64() || number.is_u64() {
                out.extend_from_slice(number.to_string().as_bytes());
            } else {
                return Err(CanonicalError::NonIntegerNumber(number.to_string()));
            }
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(members) => {
            // Sorted here if the map does not keep its keys in order
            // (serde_json's `preserve_order` feature may be on somewhere in
            // the build); a map in key order is written as it lies.
            if members.keys().is_sorted() {
                write_members(members.iter(), out)?;
            } else {
                let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
                write_members(sorted.into_iter(), out)?;
            }
        }
    }
    Ok(())
}

/// Appends an object of `members`, given in key order.
fn write_members<'a>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalError> {
    out.push(b'{');
    for (index, (key, member)) in members.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write_canonical(member, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// The canonical bytes of `value`.
pub fn to_canonical_bytes(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical form of a string: the runs of bytes that need no
/// escape are copied whole.
pub fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut unescaped = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        // Multi-byte UTF-8 sequences never contain bytes below 0x80, so
        // working byte by byte copies every non-ASCII character unchanged.
        let control;
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => {
                control = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0x0f)],
                ];
                &control
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[unescaped..at]);
        out.extend_from_slice(escape);
        unescaped = at + 1;
    }
    out.extend_from_slice(&bytes[unescaped..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(value: Value) -> String {
        String::from_utf8(to_canonical_bytes(&value).unwrap()).unwrap()
    }

    #[test]
    fn object_members_are_sorted_and_unspaced() {
        let value = json!({"b": [1, true, null], "a": {"z": "x", "y": -3}, "A": false});
        assert_eq!(
            canonical(value),
            r#"{"A":false,"a":{"y":-3,"z":"x"},"b":[1,true,null]}"#
        );
    }

    #[test]
    fn strings_escape_only_what_json_requires() {
        let value = json!(
            "quote\" back\\ slash/ tab\t nl\n cr\r bs\u{8} ff\u{c} nul\u{0} us\u{1f} é 😀 \u{7f}"
        );
        assert_eq!(
            canonical(value),
            "\"quote\\\" back\\\\ slash/ tab\\t nl\\n cr\\r bs\\b ff\\f nul\\u0000 us\\u001f é 😀 \u{7f}\""
        );
    }

    /// Every ASCII character, alone, first, last and between others, is
    /// written as JSON's shortest escaping writes it.
    #[test]
    fn every_ascii_character_is_written_as_json_writes_it() {
        for code in 0..0x80u8 {
            let c = char::from(code);
            for text in [
                c.to_string(),
                format!("{c}é"),
                format!("ab{c}"),
                format!("x{c}{c}y"),
            ] {
                let mut written = Vec::new();
                write_string(&text, &mut written);
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    serde_json::to_string(&text).unwrap(),
                    "{code:#04x}"
                );
            }
        }
    }

    #[test]
    fn keys_sort_by_code_point() {
        let value = json!({"é": 1, "z": 2, "Z": 3, "😀": 4, "\u{ffff}": 5});
        assert_eq!(
            canonical(value),
            "{\"Z\":3,\"z\":2,\"é\":1,\"\u{ffff}\":5,\"😀\":4}"
        );
    }

    #[test]
    fn fractional_numbers_have_no_canonical_form() {
        assert_eq!(
            to_canonical_bytes(&json!({"amount": 1.5})),
            Err(CanonicalError::NonIntegerNumber("1.5".into()))
        );
        assert_eq!(canonical(json!(u64::MAX)), u64::MAX.to_string());
        assert_eq!(canonical(json!(i64::MIN)), i64::MIN.to_string());
    }
}
