//! Configuration: parsed in one step (flags, `AGORA_*` environment
//! variables, an optional TOML file), resolved in another (defaults filled
//! in, the store URL understood). Precedence: flag, then environment, then
//! file, then default. No file is needed.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::auth::Secret;

/// The store used when nothing says otherwise.
pub const DEFAULT_STORE: &str = "sqlite://data/agora.db";
/// The address used when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// How logs are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// How a platform signs its tokens, when it holds the private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JwtAlgorithm {
    Rs256,
    Eddsa,
}

/// How tokens are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSettings {
    /// HS256 with this shared secret.
    Secret(Secret),
    /// The platform's public key in this PEM file.
    PublicKey {
        algorithm: JwtAlgorithm,
        path: PathBuf,
    },
    /// Nothing configured: a random secret for this run only, so tokens
    /// minted now stop working at the next start.
    Ephemeral,
}

/// Settings a flag or an environment variable may give.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML file with any of the settings below.
    #[arg(long, env = "AGORA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Event store: `sqlite://PATH`, `postgres://USER:PASSWORD@HOST/DATABASE`
    /// or `memory://` [default: sqlite://data/agora.db].
    #[arg(long, env = "AGORA_STORE")]
    pub store: Option<String>,
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, env = "AGORA_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Log format [default: text].
    #[arg(long, env = "AGORA_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `agora=debug,tower_http=info` [default: info].
    #[arg(long, env = "AGORA_LOG")]
    pub log: Option<String>,
    /// HS256 secret for bearer tokens, at least 32 bytes [default: random, for this run only].
    #[arg(long, env = "AGORA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// PEM public key of the platform that signs tokens (RS256 or EdDSA; see --jwt-algorithm).
    #[arg(long, env = "AGORA_JWT_PUBLIC_KEY", conflicts_with = "jwt_secret")]
    pub jwt_public_key: Option<PathBuf>,
    /// The public key's algorithm [default: eddsa].
    #[arg(long, env = "AGORA_JWT_ALGORITHM")]
    pub jwt_algorithm: Option<JwtAlgorithm>,
    /// File holding the key that wraps personal-data keys in the store (32 bytes, base64),
    /// made at first start if missing [default: the store's path + `.kek`].
    #[arg(long, env = "AGORA_KEY_ENCRYPTION_KEY_FILE")]
    pub key_encryption_key_file: Option<PathBuf>,
    /// The key that wraps personal-data keys itself (32 bytes, base64), instead of a file.
    #[arg(
        long,
        env = "AGORA_KEY_ENCRYPTION_KEY",
        hide_env_values = true,
        conflicts_with = "key_encryption_key_file"
    )]
    pub key_encryption_key: Option<Secret>,
    /// While rotating: the file of the key being replaced; keys it wraps are wrapped again.
    #[arg(long, env = "AGORA_PREVIOUS_KEY_ENCRYPTION_KEY_FILE")]
    pub previous_key_encryption_key_file: Option<PathBuf>,
    /// Hosts webhooks may be registered for, comma-separated: names
    /// (`hooks.example.org`), `*.example.org` for its subdomains, or IP
    /// addresses; none by default, so no webhook can be registered.
    #[arg(long, env = "AGORA_WEBHOOK_HOSTS", value_delimiter = ',')]
    pub webhook_hosts: Option<Vec<String>>,
    /// Let webhooks reach loopback, private and link-local addresses
    /// (refused by default, whatever a host name resolves to).
    #[arg(long, env = "AGORA_WEBHOOK_INTERNAL_ADDRESSES")]
    pub webhook_internal_addresses: bool,
    /// Register webhooks but deliver nothing from this instance: on several
    /// instances, let one deliver.
    #[arg(long, env = "AGORA_NO_WEBHOOK_DELIVERY")]
    pub no_webhook_delivery: bool,
}

/// Where webhooks may go, and whether this instance delivers them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Hosts allowed, as [`ConfigArgs::webhook_hosts`] says.
    pub hosts: Vec<String>,
    /// Internal addresses allowed too.
    pub internal_addresses: bool,
    /// This instance delivers.
    pub deliver: bool,
}

/// The TOML file's shape: the same settings, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    store: Option<String>,
    listen: Option<SocketAddr>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    jwt_secret: Option<Secret>,
    jwt_public_key: Option<PathBuf>,
    jwt_algorithm: Option<JwtAlgorithm>,
    key_encryption_key_file: Option<PathBuf>,
    previous_key_encryption_key_file: Option<PathBuf>,
    webhook_hosts: Option<Vec<String>>,
    webhook_internal_addresses: Option<bool>,
    webhook_delivery: Option<bool>,
}

/// Where the key that wraps personal-data keys comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEncryption {
    /// This file, made at first start if missing.
    File(PathBuf),
    /// The key itself.
    Given(Secret),
    /// None: keys are kept bare (the in-memory store keeps nothing anyway).
    Unwrapped,
    /// None given where one is needed (a PostgreSQL store, which every
    /// instance shares): the tools that touch no personal data run, the
    /// service refuses to start.
    NotGiven,
}

/// Where events are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded SQLite store in this file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, which several instances may share: the URL
    /// as libpq reads it (`postgres://` or `postgresql://`).
    Postgres(String),
    /// A KurrentDB (EventStoreDB) database or cluster, which several
    /// instances may share: the client's connection string (`kurrentdb://`,
    /// `esdb://`, …) with our `namespace=` and `side=` settings.
    Kurrent(String),
    /// Nothing kept: for tests and trials.
    Memory,
}

impl FromStr for StoreLocation {
    type Err = ConfigError;
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ConfigError::Store(format!("{url:?} names no file")));
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            crate::store::PostgresStore::check_url(url).map_err(|error| {
                ConfigError::Store(format!(
                    "{} is not a PostgreSQL URL: {error}",
                    redacted(url)
                ))
            })?;
            Ok(Self::Postgres(url.to_owned()))
        } else if KURRENTDB_SCHEMES
            .iter()
            .any(|scheme| url.starts_with(&format!("{scheme}://")))
        {
            crate::store::KurrentLocation::parse(url).map_err(|error| {
                ConfigError::Store(format!(
                    "{} is not a KurrentDB connection string: {error}",
                    redacted(url)
                ))
            })?;
            Ok(Self::Kurrent(url.to_owned()))
        } else if url == "memory://" {
            Ok(Self::Memory)
        } else {
            Err(ConfigError::Store(format!(
                "{:?} is not a store this build supports: use sqlite://PATH, \
                 postgres://USER:PASSWORD@HOST/DATABASE, kurrentdb://USER:PASSWORD@HOST:PORT \
                 or memory://",
                redacted(url)
            )))
        }
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) | Self::Kurrent(url) => f.write_str(&redacted(url)),
            Self::Memory => f.write_str("memory://"),
        }
    }
}

/// The schemes of KurrentDB connection strings, as its client reads them.
const KURRENTDB_SCHEMES: [&str; 8] = [
    "kurrentdb",
    "kurrentdb+discover",
    "kurrent",
    "kurrent+discover",
    "kdb",
    "kdb+discover",
    "esdb",
    "esdb+discover",
];

/// A store URL fit for logs and messages: any password replaced by `***`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = user_info
        .split_once(':')
        .map_or(user_info, |(user, _)| user);
    let hidden = if user_info.contains(':') { ":***" } else { "" };
    // A password in the query (`?password=…`) is hidden too.
    let tail = match tail.find("password=") {
        Some(at) => {
            let end = tail[at..].find('&').map_or(tail.len(), |end| at + end);
            format!("{}password=***{}", &tail[..at], &tail[end..])
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{user}{hidden}@{host}{tail}")
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub store: StoreLocation,
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    pub log: String,
    pub auth: AuthSettings,
    pub key_encryption: KeyEncryption,
    /// While rotating, the file of the key being replaced.
    pub previous_key_encryption_key_file: Option<PathBuf>,
    /// Serve reads only, even from a store whose chain does not verify.
    pub read_only: bool,
    pub webhooks: WebhookSettings,
}

impl Config {
    /// How the ledger wraps personal-data keys: reads (or makes) the key
    /// files this configuration names.
    pub fn key_wrapping(&self) -> Result<crate::ledger::KeyWrapping, crate::ledger::WrappingError> {
        use crate::ledger::{KeyEncryptionKey, KeyWrapping};
        let current = match &self.key_encryption {
            KeyEncryption::File(path) => {
                let (key, made) = KeyEncryptionKey::read_or_create(path)?;
                if made {
                    tracing::warn!(
                        path = %path.display(),
                        "made a new key-encryption key: keep this file apart from the store and its backups, \
                         and keep a copy of it: without it the personal data in the store cannot be read"
                    );
                }
                Some(key)
            }
            KeyEncryption::Given(text) => Some(KeyEncryptionKey::from_text(text.expose())?),
            KeyEncryption::Unwrapped => None,
            KeyEncryption::NotGiven => return Err(crate::ledger::WrappingError::NotGiven),
        };
        let previous = self
            .previous_key_encryption_key_file
            .as_deref()
            .map(KeyEncryptionKey::read)
            .transpose()?;
        Ok(KeyWrapping { current, previous })
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("store: {0}")]
    Store(String),
    #[error("auth: {0}")]
    Auth(String),
}

impl ConfigArgs {
    /// Fills what flags and environment left out from the file, then from
    /// the defaults.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let store: StoreLocation = self
            .store
            .clone()
            .or(file.store)
            .unwrap_or_else(|| DEFAULT_STORE.to_owned())
            .parse()?;
        let key_encryption = match (
            self.key_encryption_key.clone(),
            self.key_encryption_key_file
                .clone()
                .or(file.key_encryption_key_file),
            &store,
        ) {
            (Some(key), _, _) => KeyEncryption::Given(key),
            (None, Some(path), _) => KeyEncryption::File(path),
            (None, None, StoreLocation::Sqlite(path)) => {
                let mut beside = path.clone().into_os_string();
                beside.push(".kek");
                KeyEncryption::File(beside.into())
            }
            (None, None, StoreLocation::Memory) => KeyEncryption::Unwrapped,
            // No file lies beside a database, and every instance must wrap
            // keys with the same key: the operator names it.
            (None, None, StoreLocation::Postgres(_) | StoreLocation::Kurrent(_)) => {
                KeyEncryption::NotGiven
            }
        };
        Ok(Config {
            store,
            key_encryption,
            previous_key_encryption_key_file: self
                .previous_key_encryption_key_file
                .clone()
                .or(file.previous_key_encryption_key_file),
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("the default address parses")),
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
            log: self
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info".to_owned()),
            auth: match (
                self.jwt_secret.clone().or(file.jwt_secret),
                self.jwt_public_key.clone().or(file.jwt_public_key),
            ) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::Auth(
                        "give either a JWT secret or a JWT public key, not both".into(),
                    ));
                }
                (Some(secret), None) => AuthSettings::Secret(secret),
                (None, Some(path)) => AuthSettings::PublicKey {
                    algorithm: self
                        .jwt_algorithm
                        .or(file.jwt_algorithm)
                        .unwrap_or(JwtAlgorithm::Eddsa),
                    path,
                },
                (None, None) => AuthSettings::Ephemeral,
            },
            read_only: false,
            webhooks: WebhookSettings {
                hosts: self
                    .webhook_hosts
                    .clone()
                    .or(file.webhook_hosts)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|host| host.trim().to_lowercase())
                    .filter(|host| !host.is_empty())
                    .collect(),
                internal_addresses: self.webhook_internal_addresses
                    || file.webhook_internal_addresses.unwrap_or(false),
                deliver: !self.no_webhook_delivery && file.webhook_delivery.unwrap_or(true),
            },
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file() {
        let config = ConfigArgs::default().resolve().unwrap();
        assert_eq!(config.store, StoreLocation::Sqlite("data/agora.db".into()));
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(
            &mut file,
            b"store = \"sqlite:///var/lib/agora/agora.db\"\nlisten = \"0.0.0.0:9000\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let args = ConfigArgs {
            config: Some(file.path().to_owned()),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..ConfigArgs::default()
        };

        let config = args.resolve().unwrap();

        assert_eq!(
            config.store,
            StoreLocation::Sqlite("/var/lib/agora/agora.db".into())
        );
        assert_eq!(config.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn the_key_encryption_key_lies_beside_the_store_unless_given() {
        let default = ConfigArgs::default().resolve().unwrap();
        let given = ConfigArgs {
            key_encryption_key_file: Some("/etc/agora/agora.kek".into()),
            ..ConfigArgs::default()
        }
        .resolve()
        .unwrap();
        let memory = ConfigArgs {
            store: Some("memory://".into()),
            ..ConfigArgs::default()
        }
        .resolve()
        .unwrap();

        assert_eq!(
            default.key_encryption,
            KeyEncryption::File("data/agora.db.kek".into())
        );
        assert_eq!(
            given.key_encryption,
            KeyEncryption::File("/etc/agora/agora.kek".into())
        );
        assert_eq!(memory.key_encryption, KeyEncryption::Unwrapped);
    }

    #[test]
    fn the_example_file_is_a_valid_configuration() {
        let args = ConfigArgs {
            config: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("ops/agora.example.toml")),
            ..ConfigArgs::default()
        };
        assert!(args.resolve().is_ok());
    }

    #[test]
    fn unknown_settings_and_stores_are_refused_by_name() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"stor = \"sqlite://x\"\n").unwrap();
        let args = ConfigArgs {
            config: Some(file.path().to_owned()),
            ..ConfigArgs::default()
        };
        assert!(args.resolve().unwrap_err().to_string().contains("stor"));
        assert!("mysql://x".parse::<StoreLocation>().is_err());
        assert!("sqlite://".parse::<StoreLocation>().is_err());
    }

    #[test]
    fn postgres_urls_are_taken_and_shown_without_their_password() {
        let url = "postgres://agora:s3cret@db.example:5432/agora?password=again&sslmode=disable";
        let location: StoreLocation = url.parse().unwrap();

        let shown = location.to_string();

        assert_eq!(location, StoreLocation::Postgres(url.into()));
        assert!(
            !shown.contains("s3cret") && !shown.contains("again"),
            "{shown}"
        );
        assert_eq!(
            shown,
            "postgres://agora:***@db.example:5432/agora?password=***&sslmode=disable"
        );
        assert!(
            "postgresql://localhost/agora"
                .parse::<StoreLocation>()
                .is_ok()
        );
    }

    #[test]
    fn kurrentdb_connection_strings_are_taken_and_shown_without_their_password() {
        for url in [
            "kurrentdb://admin:changeit@node1:2113,node2:2113?tls=false&side=/tmp/side.db",
            "esdb://localhost:2113?tls=false",
            "kurrentdb+discover://cluster.example:2113?namespace=coop",
        ] {
            let location: StoreLocation = url.parse().unwrap();
            assert_eq!(location, StoreLocation::Kurrent(url.into()));
            assert!(!location.to_string().contains("changeit"), "{location}");
        }
        assert!(
            "kurrentdb://node1:2113?namespace=a/b"
                .parse::<StoreLocation>()
                .is_err()
        );
    }

    #[test]
    fn a_shared_store_has_no_key_encryption_key_unless_one_is_given() {
        for store in ["kurrentdb://localhost:2113", "postgres://localhost/agora"] {
            let args = ConfigArgs {
                store: Some(store.into()),
                ..ConfigArgs::default()
            };
            let config = args.resolve().unwrap();
            assert_eq!(config.key_encryption, KeyEncryption::NotGiven, "{store}");
        }
    }
}
