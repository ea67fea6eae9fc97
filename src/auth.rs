//! Bearer tokens: JWTs whose subject is a pioneer id (or an operator's
//! name), scoped to one community (or `*`, every community, for
//! operators), carrying roles and an expiry.
//!
//! Verified with HS256 and a shared secret, or with RS256 or EdDSA and the
//! public key of the platform that signs them. `agora token` and
//! `serve --demo` mint HS256 tokens with the configured secret.
//!
//! A client sends the same token with every request: its signature is
//! checked the first time, and the claims it verified to are remembered
//! with the token's whole text, so later requests check its expiry only.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use agora_events::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The community claim that admits every community: for operators.
pub const ANY_COMMUNITY: &str = "*";
/// Shortest HS256 secret accepted, in bytes.
pub const SECRET_BYTES_MIN: usize = 32;
/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_SECONDS: u64 = 30;
/// Tokens whose claims are remembered at once, at most; past that, the
/// memory starts again empty.
const VERIFIED_TOKENS_MAX: usize = 4_096;

/// A secret that never shows in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A random secret for a run that was given none.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random generator works");
        Self(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(secret))
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// A pioneer id, or an operator's name.
    pub sub: String,
    /// A community slug, or `*`.
    pub community: String,
    pub roles: BTreeSet<Role>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    #[serde(default)]
    pub iat: i64,
}

/// Why a token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the token claims the system role, which nobody holds")]
    SystemRole,
}

/// How tokens are verified.
pub enum Verifier {
    /// HMAC-SHA256 with a shared secret.
    Hs256(Secret),
    /// RSA or Ed25519 signatures, checked with the platform's public key (PEM).
    PublicKey { algorithm: Algorithm, pem: Vec<u8> },
}

/// Checks tokens, and mints them when it holds a secret.
pub struct Authenticator {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    /// Tokens whose signature verified, by their whole text, with their
    /// claims. Only tokens accepted are here, so an expiry is all that is
    /// left to check.
    verified: Mutex<HashMap<Box<str>, Arc<Claims>>>,
}

/// A key or secret that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the JWT secret must be at least {SECRET_BYTES_MIN} bytes")]
    SecretTooShort,
    #[error("the JWT public key is not valid PEM for {algorithm:?}: {reason}")]
    BadPublicKey {
        algorithm: Algorithm,
        reason: String,
    },
    #[error("JWT algorithm {0:?} is not supported; use HS256, RS256 or EdDSA")]
    Unsupported(Algorithm),
}

impl Authenticator {
    pub fn new(verifier: Verifier) -> Result<Self, KeyError> {
        let (algorithm, decoding, encoding) = match verifier {
            Verifier::Hs256(secret) => {
                if secret.expose().len() < SECRET_BYTES_MIN {
                    return Err(KeyError::SecretTooShort);
                }
                let bytes = secret.expose().as_bytes();
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(bytes),
                    Some(EncodingKey::from_secret(bytes)),
                )
            }
            Verifier::PublicKey { algorithm, pem } => {
                let decoding = match algorithm {
                    Algorithm::RS256 => DecodingKey::from_rsa_pem(&pem),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                    other => return Err(KeyError::Unsupported(other)),
                }
                .map_err(|error| KeyError::BadPublicKey {
                    algorithm,
                    reason: error.to_string(),
                })?;
                (algorithm, decoding, None)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            decoding,
            encoding,
            validation,
            verified: Mutex::default(),
        })
    }

    /// The claims of a valid token.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp() as i64)
    }

    /// The claims of a token valid at `now` (seconds since the epoch): its
    /// signature checked once, its expiry at every call.
    fn verify_at(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let remembered = self.verified().get(token).cloned();
        let claims = match remembered {
            Some(claims) => Claims::clone(&claims),
            None => {
                let claims = self.verify_signature(token)?;
                let mut verified = self.verified();
                if verified.len() >= VERIFIED_TOKENS_MAX {
                    verified.clear();
                }
                verified.insert(token.into(), Arc::new(claims.clone()));
                claims
            }
        };
        // The rule `jsonwebtoken` applies to `exp`, applied again for a
        // token remembered: the only check of a token that time changes
        // with the validation set in `new` (no `nbf`, no early rejection;
        // a test holds that).
        if claims.exp < now - self.validation.leeway as i64 {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn verified(&self) -> MutexGuard<'_, HashMap<Box<str>, Arc<Claims>>> {
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The claims of a token whose signature verifies, unexpired now.
    fn verify_signature(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                _ => TokenError::Malformed(error.to_string()),
            })?
            .claims;
        if claims.roles.contains(&Role::System) {
            return Err(TokenError::SystemRole);
        }
        Ok(claims)
    }

    /// A signed token for `claims`, if this authenticator holds a secret.
    pub fn mint(&self, claims: &Claims) -> Option<String> {
        let key = self.encoding.as_ref()?;
        Some(
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, key)
                .expect("HS256 signing of serializable claims cannot fail"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticator() -> Authenticator {
        Authenticator::new(Verifier::Hs256(Secret::new("s".repeat(32)))).unwrap()
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "operator".into(),
            community: "demo".into(),
            roles: [Role::Admin].into_iter().collect(),
            exp,
            iat: 0,
        }
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    #[test]
    fn a_minted_token_verifies_to_its_claims() {
        let claims = claims(now() + 60);
        let token = authenticator().mint(&claims).unwrap();
        assert_eq!(authenticator().verify(&token), Ok(claims));
    }

    #[test]
    fn expired_foreign_and_garbled_tokens_are_refused() {
        let expired = authenticator().mint(&claims(now() - 120)).unwrap();
        assert_eq!(authenticator().verify(&expired), Err(TokenError::Expired));

        let other = Authenticator::new(Verifier::Hs256(Secret::new("o".repeat(32)))).unwrap();
        let foreign = other.mint(&claims(now() + 60)).unwrap();
        assert_eq!(
            authenticator().verify(&foreign),
            Err(TokenError::BadSignature)
        );

        assert!(matches!(
            authenticator().verify("not.a.token"),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn a_remembered_token_still_expires() {
        let issued = now();
        let claims = claims(issued + 60);
        let auth = authenticator();
        let token = auth.mint(&claims).unwrap();
        assert_eq!(auth.verify_at(&token, issued), Ok(claims.clone()));
        assert_eq!(auth.verified().len(), 1);
        let last_second = issued + 60 + LEEWAY_SECONDS as i64;
        assert_eq!(auth.verify_at(&token, last_second), Ok(claims));
        assert_eq!(
            auth.verify_at(&token, last_second + 1),
            Err(TokenError::Expired)
        );
        // Seen first that late: its signature verifies (by the real clock
        // the token is live), and the same rule refuses it.
        assert_eq!(
            authenticator().verify_at(&token, last_second + 1),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn expiry_is_the_only_check_that_time_changes() {
        let auth = authenticator();
        assert!(!auth.validation.validate_nbf);
        assert_eq!(auth.validation.reject_tokens_expiring_in_less_than, 0);
        assert_eq!(auth.validation.leeway, LEEWAY_SECONDS);
    }

    #[test]
    fn only_the_very_token_verified_is_remembered() {
        let auth = authenticator();
        let token = auth.mint(&claims(now() + 60)).unwrap();
        assert!(auth.verify(&token).is_ok());
        // The same claims under another signature, twice: refused each time.
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let other = if signature.starts_with('A') { 'B' } else { 'A' };
        let forged = format!("{signed}.{other}{}", &signature[1..]);
        for _ in 0..2 {
            assert_eq!(auth.verify(&forged), Err(TokenError::BadSignature));
        }
        let mut system = claims(now() + 60);
        system.roles.insert(Role::System);
        let system = auth.mint(&system).unwrap();
        for _ in 0..2 {
            assert_eq!(auth.verify(&system), Err(TokenError::SystemRole));
        }
        assert_eq!(auth.verified().len(), 1);
    }

    #[test]
    fn the_tokens_remembered_are_bounded() {
        let auth = authenticator();
        for n in 0..=VERIFIED_TOKENS_MAX as i64 {
            let token = auth.mint(&claims(now() + 60 + n)).unwrap();
            assert!(auth.verify(&token).is_ok());
            assert!(auth.verified().len() <= VERIFIED_TOKENS_MAX);
        }
    }

    #[test]
    fn a_token_claiming_the_system_role_is_refused() {
        let mut claims = claims(now() + 60);
        claims.roles.insert(Role::System);
        let token = authenticator().mint(&claims).unwrap();
        assert_eq!(authenticator().verify(&token), Err(TokenError::SystemRole));
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn platform_tokens_verify_with_its_rs256_or_eddsa_public_key() {
        let cases = [
            (
                Algorithm::RS256,
                "rsa",
                EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")),
            ),
            (
                Algorithm::EdDSA,
                "ed25519",
                EncodingKey::from_ed_pem(&fixture("ed25519-private.pem")),
            ),
        ];
        for (algorithm, name, private) in cases {
            let verifier = Authenticator::new(Verifier::PublicKey {
                algorithm,
                pem: fixture(&format!("{name}-public.pem")),
            })
            .unwrap();
            let claims = claims(now() + 60);
            let token =
                jsonwebtoken::encode(&Header::new(algorithm), &claims, &private.unwrap()).unwrap();

            assert_eq!(verifier.verify(&token), Ok(claims.clone()));
            assert!(verifier.mint(&claims).is_none());
            // An HS256 token is not accepted where a public key is configured.
            let hs256 = authenticator().mint(&claims).unwrap();
            assert!(verifier.verify(&hs256).is_err());
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            Authenticator::new(Verifier::Hs256(Secret::new("short"))),
            Err(KeyError::SecretTooShort)
        ));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
