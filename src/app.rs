//! Start-up as an object: `Application::build` opens the store and binds the
//! listener (port 0 works: `port()` says which was taken), and
//! `run_until_stopped` serves until the shutdown signal, then lets in-flight
//! requests finish and the store's writer commit what is queued.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::{Authenticator, KeyError, Secret, Verifier};
use crate::clock::SystemClock;
use crate::config::{AuthSettings, Config, JwtAlgorithm, KeyEncryption, StoreLocation};
use crate::http::{AppState, Feeds, Shared, router};
use crate::ledger::{Ledger, LedgerError};
use crate::store::{KurrentStore, MemoryStore, PostgresStore, SqliteStore, StoreError, Stores};

/// How often the service looks for ballots past their close time.
pub const BALLOT_CLOSING_PERIOD: std::time::Duration = std::time::Duration::from_secs(1);

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the event store {location}: {source}")]
    Store {
        location: String,
        source: StoreError,
    },
    #[error("cannot load the ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error(
        "the store's log does not verify ({0}); refusing to start. Run `agora verify` to see where, \
         or start with --read-only to inspect it"
    )]
    Corrupt(String),
    #[error("cannot read the JWT public key {path}: {source}")]
    ReadKey {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("personal-data keys: {0}")]
    Wrapping(#[from] crate::ledger::WrappingError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

/// A built service, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    ledger: Arc<Ledger>,
    auth: Arc<Authenticator>,
    webhooks: Arc<crate::webhooks::Webhooks>,
}

/// The token verifier the settings describe.
pub fn authenticator(settings: &AuthSettings) -> Result<Authenticator, StartError> {
    let verifier = match settings {
        AuthSettings::Secret(secret) => Verifier::Hs256(secret.clone()),
        AuthSettings::PublicKey { algorithm, path } => Verifier::PublicKey {
            algorithm: match algorithm {
                JwtAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
                JwtAlgorithm::Eddsa => jsonwebtoken::Algorithm::EdDSA,
            },
            pem: std::fs::read(path).map_err(|source| StartError::ReadKey {
                path: path.display().to_string(),
                source,
            })?,
        },
        AuthSettings::Ephemeral => {
            tracing::warn!(
                "no JWT secret or public key configured: using a random secret for this run; \
                 set AGORA_JWT_SECRET to keep tokens valid across restarts"
            );
            Verifier::Hs256(Secret::generate())
        }
    };
    Ok(Authenticator::new(verifier)?)
}

/// Opens the configured event store.
/// How the configuration asks the ledger to be opened.
pub fn ledger_options(config: &Config) -> Result<crate::ledger::Options, StartError> {
    Ok(crate::ledger::Options {
        key_wrapping: config.key_wrapping()?,
        read_only: config.read_only,
        ..crate::ledger::Options::default()
    })
}

/// Opens the configured store: the log, and the personal-data keys beside
/// it.
pub async fn open_store(location: &StoreLocation) -> Result<Stores, StartError> {
    let failed = |source| StartError::Store {
        location: location.to_string(),
        source,
    };
    let stores = match location {
        StoreLocation::Sqlite(path) => {
            let path = path.clone();
            let opened = tokio::task::spawn_blocking(move || SqliteStore::open(path))
                .await
                .map_err(|error| StoreError::Unavailable(error.to_string()))
                .and_then(|opened| opened);
            Stores::from(Arc::new(opened.map_err(failed)?))
        }
        StoreLocation::Postgres(url) => {
            Stores::from(Arc::new(PostgresStore::open(url).await.map_err(failed)?))
        }
        StoreLocation::Kurrent(url) => {
            Stores::from(Arc::new(KurrentStore::open(url).await.map_err(failed)?))
        }
        StoreLocation::Memory => Stores::from(Arc::new(MemoryStore::new())),
    };
    Ok(stores)
}

impl Application {
    pub async fn build(config: &Config) -> Result<Self, StartError> {
        let auth = Arc::new(authenticator(&config.auth)?);
        if config.key_encryption == KeyEncryption::NotGiven {
            // Said before connecting to anything.
            return Err(crate::ledger::WrappingError::NotGiven.into());
        }
        // The store first: it makes the folder a key-encryption key file
        // beside it is made in.
        let store = open_store(&config.store).await?;
        let options = ledger_options(config)?;
        if config.read_only {
            tracing::warn!("read-only: every command will be refused");
        }
        let ledger = Ledger::open_with(store, Arc::new(SystemClock), options)
            .await
            .map_err(|error| match error {
                LedgerError::Corrupt(reason) if !config.read_only => StartError::Corrupt(reason),
                other => StartError::Ledger(other),
            })?;
        ledger.start_scheduler(BALLOT_CLOSING_PERIOD);
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    address: config.listen,
                    source,
                })?;
        let webhooks = crate::webhooks::Webhooks::new(Arc::clone(&ledger), config.webhooks.clone());
        Ok(Self {
            listener,
            ledger,
            auth,
            webhooks,
        })
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    pub fn authenticator(&self) -> &Arc<Authenticator> {
        &self.auth
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// Serves until `shutdown` completes, then drains requests and the store.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let feeds = Arc::new(Feeds::default());
        let state = AppState::new(Shared {
            ledger: Arc::clone(&self.ledger),
            auth: Arc::clone(&self.auth),
            assembly_folds: Arc::default(),
            feeds: Arc::clone(&feeds),
            webhooks: Arc::clone(&self.webhooks),
        });
        let deliveries = self.webhooks.start();
        tracing::info!(address = %self.address(), "listening");
        // Live feeds never end on their own: they are ended with the
        // signal, so that their connections close and draining completes.
        let shutdown = async move {
            shutdown.await;
            feeds.close();
        };
        let served = axum::serve(self.listener, router(state))
            .with_graceful_shutdown(shutdown)
            .await;
        self.webhooks.close();
        if let Some(deliveries) = deliveries {
            let _ = deliveries.await;
        }
        tracing::info!("stopped taking requests; flushing the ledger and the event store");
        self.ledger.shutdown().await;
        tracing::info!("event store closed");
        served.map_err(StartError::Serve)
    }
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("ctrl-c received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
