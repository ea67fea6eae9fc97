//! TLS to the PostgreSQL server, when the URL asks for it.
//!
//! `sslmode=require`, `verify-ca` and `verify-full` connect over TLS and
//! always verify the server: its certificate must chain to the system's
//! roots or to the certificate authority in `sslrootcert=PATH`, and name the
//! host connected to. (libpq's `require` does not verify; a ledger that
//! sends personal data and its key-encryption-wrapped keys over the
//! connection does.) Without `sslmode`, or with `disable`, `allow` or
//! `prefer`, the connection is plain TCP, for a database on the same host or
//! a private network.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// How the store connects.
#[derive(Clone)]
pub(super) enum Tls {
    Plain,
    Verified(MakeRustlsConnect),
}

/// The settings the URL gives for TLS, and the URL the client reads
/// (`sslrootcert` taken out, `sslmode` as the client knows it).
pub(super) struct Connection {
    pub(super) url: String,
    pub(super) tls: Tls,
}

/// What a URL says of TLS, read without touching any file.
struct Settings {
    /// The URL the client reads.
    url: String,
    /// Whether to connect over TLS, verified.
    verified: bool,
    /// The certificate authority to verify against, if not the system's.
    root: Option<String>,
}

fn refused(what: String) -> StoreError {
    StoreError::Unavailable(format!("PostgreSQL TLS: {what}"))
}

impl Settings {
    fn of(url: &str) -> Result<Self, StoreError> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut mode, mut root, mut kept) = (None, None, Vec::new());
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", value)) => mode = Some(value.to_owned()),
                Some(("sslrootcert", value)) => root = Some(value.to_owned()),
                _ => kept.push(pair.to_owned()),
            }
        }
        let verified = match mode.as_deref() {
            None | Some("disable" | "allow" | "prefer") => false,
            Some("require" | "verify-ca" | "verify-full") => true,
            Some(other) => {
                return Err(refused(format!(
                    "sslmode={other}: use disable, require, verify-ca or verify-full"
                )));
            }
        };
        if !verified {
            if root.is_some() {
                return Err(refused(
                    "sslrootcert= is given but sslmode does not ask for TLS: add sslmode=verify-full"
                        .into(),
                ));
            }
            kept.push("sslmode=disable".into());
        } else {
            kept.push("sslmode=require".into());
        }
        Ok(Self {
            url: join(base, &kept),
            verified,
            root,
        })
    }
}

/// The URL the PostgreSQL client reads for `url`: the TLS settings it does
/// not know taken out. For checking a configuration before connecting.
pub(super) fn client_url(url: &str) -> Result<String, StoreError> {
    Settings::of(url).map(|settings| settings.url)
}

impl Connection {
    /// Reads the TLS settings of a `postgres://` URL, and the certificate
    /// authorities it verifies against.
    pub(super) fn of(url: &str) -> Result<Self, StoreError> {
        let Settings {
            url,
            verified,
            root,
        } = Settings::of(url)?;
        if !verified {
            return Ok(Self {
                url,
                tls: Tls::Plain,
            });
        }
        let mut roots = rustls::RootCertStore::empty();
        match root {
            Some(path) => {
                let certificates = CertificateDer::pem_file_iter(&path)
                    .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                    .map_err(|error| refused(format!("cannot read sslrootcert={path}: {error}")))?;
                let (added, _) = roots.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(refused(format!("sslrootcert={path} holds no certificate")));
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
                if roots.is_empty() {
                    return Err(refused(
                        "the system has no root certificates: give sslrootcert=PATH".into(),
                    ));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| refused(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            url,
            tls: Tls::Verified(MakeRustlsConnect::new(config)),
        })
    }
}

fn join(base: &str, query: &[String]) -> String {
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_of(url: &str) -> String {
        Connection::of(url)
            .unwrap()
            .url
            .split_once('?')
            .map(|(_, query)| query.to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn tls_only_when_asked_for_and_then_verified() {
        let plain = Connection::of("postgres://a@h/db").unwrap();
        assert!(matches!(plain.tls, Tls::Plain));
        assert_eq!(plain.url, "postgres://a@h/db?sslmode=disable");
        assert_eq!(
            query_of("postgres://a@h/db?options=-c%20search_path%3Ds&sslmode=prefer"),
            "options=-c%20search_path%3Ds&sslmode=disable"
        );
        for mode in ["require", "verify-ca", "verify-full"] {
            let verified = Connection::of(&format!("postgres://a@h/db?sslmode={mode}"));
            match verified {
                Ok(connection) => {
                    assert!(matches!(connection.tls, Tls::Verified(_)));
                    assert!(connection.url.ends_with("?sslmode=require"));
                }
                // A machine without root certificates says so.
                Err(error) => assert!(error.to_string().contains("root certificates")),
            }
        }
    }

    #[test]
    fn bad_tls_settings_are_refused_by_name() {
        for (url, names) in [
            ("postgres://a@h/db?sslmode=sometimes", "sslmode=sometimes"),
            ("postgres://a@h/db?sslrootcert=/x.pem", "sslrootcert"),
            (
                "postgres://a@h/db?sslmode=verify-full&sslrootcert=/nowhere/ca.pem",
                "/nowhere/ca.pem",
            ),
        ] {
            let error = Connection::of(url).err().expect(url).to_string();
            assert!(error.contains(names), "{url}: {error}");
        }
    }
}
