//! Types that stand, in the OpenAPI document, for values the API writes as
//! strings of a given form: amounts, accounts, slugs, hashes, idempotency
//! keys. Each says its pattern, so that what the document calls valid is
//! what the service accepts.

use std::borrow::Cow;

use agora_events::{ACCOUNT_PATTERN, AMOUNT_PATTERN, HASH_PATTERN, SLUG_PATTERN, TOTAL_PATTERN};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// An amount above zero, as a regular expression.
pub const POSITIVE_AMOUNT_PATTERN: &str =
    "^(0\\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\\.[0-9]{1,2})?)$";

/// A commune's INSEE code: a department and the commune's number (never
/// `000`), as `domain::places` checks it.
pub const COMMUNE_PATTERN: &str = "^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])([0-9]{2}[1-9]|[0-9][1-9][0-9]|[1-9][0-9]{2})$|^(97[1-8]|98[4-9])([0-9][1-9]|[1-9][0-9])$";

/// A department's code.
pub const DEPARTMENT_PATTERN: &str = "^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8]|98[4-9])$";

/// A point as a query gives it: `latitude,longitude`, each within its range.
pub const NEAR_PATTERN: &str = "^-?(90(\\.0+)?|[1-8]?[0-9](\\.[0-9]+)?),-?(180(\\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\\.[0-9]+)?)$";

/// The form of an `Idempotency-Key`: 1 to 128 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,128}$";

fn string(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([example])
        .into()
}

macro_rules! string_schema {
    ($name:ident, $pattern:expr, $description:expr, $example:expr) => {
        #[doc = $description]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string($pattern, $description, $example)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

string_schema!(
    Amount,
    AMOUNT_PATTERN,
    "Euros or hours: a decimal string with at most two decimals (written with exactly two).",
    "12.50"
);
string_schema!(
    Total,
    TOTAL_PATTERN,
    "A sum of many amounts of euros or hours, which may pass what one amount holds: a decimal string written with exactly two decimals.",
    "12.50"
);
string_schema!(
    PositiveAmount,
    POSITIVE_AMOUNT_PATTERN,
    "Euros or hours above zero: a decimal string with at most two decimals.",
    "12.50"
);
string_schema!(
    Account,
    ACCOUNT_PATTERN,
    "A time-credit account: `pioneer:<uuid>` or `project:<uuid>`.",
    "pioneer:0193f1c2-7d2a-7b6e-9a51-3f0c2b1d4e5f"
);
string_schema!(
    Slug,
    SLUG_PATTERN,
    "A community's slug: 1 to 63 lowercase letters, digits or inner hyphens.",
    "lanceurs-davenir"
);
string_schema!(
    Sha256,
    HASH_PATTERN,
    "A SHA-256 digest: 64 lowercase hex digits.",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
);
string_schema!(
    IdempotencyKey,
    IDEMPOTENCY_KEY_PATTERN,
    "A key the client chooses per command: a retry with the same key and body returns the first answer.",
    "7c0e-2026-11-29-transfer-1"
);

string_schema!(
    Commune,
    COMMUNE_PATTERN,
    "A commune's INSEE code (not its postal code): `38185` for Grenoble, `2A004` for Ajaccio.",
    "38185"
);
string_schema!(
    Department,
    DEPARTMENT_PATTERN,
    "A department's code: `38`, `2A`, `974`.",
    "38"
);
string_schema!(
    Near,
    NEAR_PATTERN,
    "A point: `latitude,longitude` in decimal degrees.",
    "45.19,5.72"
);

/// A date (`2026-01-01`) or an RFC 3339 instant, for a report's bounds.
pub fn date_or_instant() -> Schema {
    use utoipa::openapi::schema::{KnownFormat, OneOfBuilder, SchemaFormat};
    let format = |known| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(known)))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(format(KnownFormat::Date))
            .item(format(KnownFormat::DateTime))
            .build(),
    )
}
