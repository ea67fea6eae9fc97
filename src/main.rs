//! The `agora` binary: parses the command line and hands over to the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use agora::app::{Application, authenticator, open_store, shutdown_signal};
use agora::audit::tools as audit;
use agora::auth::Claims;
use agora::cli::{Cli, Command, ExportFormat};
use agora::clock::SystemClock;
use agora::config::{AuthSettings, Config, ConfigArgs, StoreLocation};
use agora::ledger::Ledger;
use agora::{demo, http};
use clap::Parser;

/// The service allocates and frees many small buffers per request on both
/// cores; mimalloc does it at a fraction of the system allocator's cost
/// (see `docs/adr/0019-allocator.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for unusable configuration or arguments.
const USAGE: u8 = 2;

fn resolve(config: &ConfigArgs) -> Result<Config, ExitCode> {
    config.resolve().map_err(|error| {
        eprintln!("agora: {error}");
        ExitCode::from(USAGE)
    })
}

/// Where a command writes: a new file, or standard output.
fn output_to(path: Option<&std::path::Path>) -> Result<Box<dyn Write>, ExitCode> {
    match path {
        Some(path) => std::fs::File::create(path)
            .map(|file| Box::new(std::io::BufWriter::new(file)) as Box<dyn Write>)
            .map_err(|error| failed("creating the output", error)),
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
    }
}

async fn store_of(config: &Config) -> Result<agora::store::Stores, ExitCode> {
    open_store(&config.store)
        .await
        .map_err(|error| failed("opening the store", error))
}

fn optional_community(text: Option<&str>) -> Result<Option<agora_events::CommunitySlug>, ExitCode> {
    text.map(str::parse)
        .transpose()
        .map_err(|error| failed("reading --community", error))
}

fn failed(what: &str, error: impl std::fmt::Display) -> ExitCode {
    tracing::error!(%error, "{what} failed");
    eprintln!("agora: {what} failed: {error}");
    ExitCode::FAILURE
}

async fn serve(config: Config, seed_demo: bool) -> ExitCode {
    tracing::info!(store = %config.store, "starting");
    let application = match Application::build(&config).await {
        Ok(application) => application,
        Err(error) => return failed("start-up", error),
    };
    if seed_demo {
        match demo::seed(application.ledger()).await {
            Ok(cast) => {
                let base = format!("http://{}", application.address());
                if let Some(text) = demo::tokens_text(application.authenticator(), &cast, &base) {
                    // A closed standard output must not stop the service.
                    let _ = std::io::stdout().lock().write_all(text.as_bytes());
                }
            }
            Err(error) => return failed("seeding the demo", error),
        }
    }
    match application.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => failed("agora serve", error),
    }
}

async fn seed_demo(config: Config) -> ExitCode {
    let auth = match authenticator(&config.auth) {
        Ok(auth) => Arc::new(auth),
        Err(error) => return failed("reading the token settings", error),
    };
    let store = match open_store(&config.store).await {
        Ok(store) => store,
        Err(error) => return failed("opening the store", error),
    };
    let options = match agora::app::ledger_options(&config) {
        Ok(options) => options,
        Err(error) => return failed("reading the key-encryption key", error),
    };
    let ledger = match Ledger::open_with(store, Arc::new(SystemClock), options).await {
        Ok(ledger) => ledger,
        Err(error) => return failed("loading the ledger", error),
    };
    let seeded = demo::seed(&ledger).await;
    ledger.shutdown().await;
    match seeded {
        Ok(cast) => {
            if matches!(config.auth, AuthSettings::Secret(_)) {
                let base = format!("http://{}", config.listen);
                if let Some(text) = demo::tokens_text(&auth, &cast, &base) {
                    println!("{text}");
                }
            } else {
                println!(
                    "Demo community {} is ready. Set AGORA_JWT_SECRET to have tokens printed that a later `agora serve` accepts.",
                    cast.community
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => failed("seeding the demo", error),
    }
}

fn mint(
    config: Config,
    community: String,
    subject: String,
    roles: Vec<agora::cli::RoleArg>,
    hours: i64,
    link: Option<String>,
) -> ExitCode {
    let AuthSettings::Secret(_) = &config.auth else {
        eprintln!(
            "agora: minting needs the service's HS256 secret: set AGORA_JWT_SECRET or --jwt-secret"
        );
        return ExitCode::from(USAGE);
    };
    let auth = match authenticator(&config.auth) {
        Ok(auth) => auth,
        Err(error) => return failed("reading the token settings", error),
    };
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: subject,
        community,
        roles: roles.into_iter().map(Into::into).collect(),
        exp: now + hours * 3_600,
        iat: now,
    };
    match auth.mint(&claims) {
        Some(token) => {
            match link {
                Some(base) => println!("{}", demo::sign_in_link(&base, &token)),
                None => println!("{token}"),
            }
            ExitCode::SUCCESS
        }
        None => failed("minting", "no secret"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    run(Cli::parse().command).await.unwrap_or_else(|code| code)
}

/// Runs one command; an `Err` is the exit code of a failure already told.
async fn run(command: Command) -> Result<ExitCode, ExitCode> {
    match command {
        Command::Serve {
            config,
            demo,
            read_only,
        } => {
            let mut config = resolve(&config)?;
            config.read_only = read_only;
            agora::telemetry::init(config.log_format, &config.log);
            Ok(serve(config, demo).await)
        }
        Command::Verify {
            config,
            file,
            community,
        } => verify(resolve(&config)?, file, community).await,
        Command::Export {
            config,
            community,
            format: ExportFormat::Jsonl,
            from: None,
            to: None,
            output,
        } => export(resolve(&config)?, community, output).await,
        Command::Export {
            format: ExportFormat::Jsonl,
            ..
        } => {
            eprintln!("agora: --from and --to are for the fec and csv formats");
            Err(ExitCode::from(USAGE))
        }
        Command::Export {
            config,
            community,
            format,
            from,
            to,
            output,
        } => {
            let Some(community) = optional_community(community.as_deref())? else {
                eprintln!("agora: --format {format:?} needs --community");
                return Err(ExitCode::from(USAGE));
            };
            let period = (from, to);
            let csv = format == ExportFormat::Csv;
            accounting(resolve(&config)?, community, period, csv, output).await
        }
        Command::Import { config, file } => import(resolve(&config)?, file).await,
        Command::Report {
            config,
            community,
            from,
            to,
            format,
            output,
        } => {
            let period = (from, to);
            report(resolve(&config)?, community, period, format, output).await
        }
        Command::Backup { config, output } => backup(resolve(&config)?, output).await,
        Command::Migrate { from, to } => migrate(&from, &to).await,
        Command::Rebuild { config } => {
            let config = resolve(&config)?;
            let options = match agora::app::ledger_options(&config) {
                Ok(options) => options,
                Err(error) => return Ok(failed("reading the key-encryption key", error)),
            };
            let store = store_of(&config).await?;
            Ok(verdict(audit::rebuild(store, options).await, "rebuild"))
        }
        Command::Demo { config } => {
            let config = resolve(&config)?;
            agora::telemetry::init(config.log_format, &config.log);
            Ok(seed_demo(config).await)
        }
        Command::Token {
            config,
            community,
            subject,
            roles,
            hours,
            link,
            base_url,
        } => {
            let config = resolve(&config)?;
            let link =
                link.then(|| base_url.unwrap_or_else(|| format!("http://{}", config.listen)));
            Ok(mint(config, community, subject, roles, hours, link))
        }
        Command::Openapi => {
            let document = http::openapi_document()
                .to_pretty_json()
                .expect("the OpenAPI document serializes");
            println!("{document}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Success, a failed check (exit 1), or an error told on standard error.
fn verdict(outcome: Result<bool, impl std::fmt::Display>, what: &str) -> ExitCode {
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => failed(what, error),
    }
}

/// `agora verify`: a store, or an export file offline.
async fn verify(
    config: Config,
    file: Option<PathBuf>,
    community: Option<String>,
) -> Result<ExitCode, ExitCode> {
    let community = optional_community(community.as_deref())?;
    let store = match &file {
        Some(_) => None,
        None => Some(
            open_store(&config.store)
                .await
                .map_err(|error| failed("opening the store", error))?
                .events,
        ),
    };
    let verified = audit::verify(store, file.as_deref(), community.as_ref()).await;
    Ok(verdict(verified, "verification"))
}

/// `agora export`: a community's log, or every stream, as JSON lines.
async fn export(
    config: Config,
    community: Option<String>,
    output: Option<PathBuf>,
) -> Result<ExitCode, ExitCode> {
    let community = optional_community(community.as_deref())?;
    let store = store_of(&config).await?.events;
    let mut out = output_to(output.as_deref())?;
    let exported = audit::export(&*store, community.as_ref(), &mut *out).await;
    store.shutdown().await;
    let count = exported.map_err(|error| failed("export", error))?;
    eprintln!("agora: exported {count} events");
    Ok(ExitCode::SUCCESS)
}

/// `agora export --format fec|csv`: the accounting entries of a period.
async fn accounting(
    config: Config,
    community: agora_events::CommunitySlug,
    (from, to): (Option<String>, Option<String>),
    csv: bool,
    output: Option<PathBuf>,
) -> Result<ExitCode, ExitCode> {
    let options = agora::ledger::Options {
        read_only: true,
        ..agora::app::ledger_options(&config)
            .map_err(|error| failed("reading the key-encryption key", error))?
    };
    let stores = store_of(&config).await?;
    let ledger = Ledger::open_with(stores, Arc::new(SystemClock), options)
        .await
        .map_err(|error| failed("opening the ledger", error))?;
    let mut out = output_to(output.as_deref())?;
    let written = audit::accounting(
        &ledger,
        &community,
        (from.as_deref(), to.as_deref()),
        csv,
        &mut *out,
    )
    .await;
    ledger.shutdown().await;
    let count = written.map_err(|error| failed("export", error))?;
    eprintln!("agora: exported {count} accounting entries");
    Ok(ExitCode::SUCCESS)
}

/// `agora import`: an export file into an empty embedded store.
async fn import(config: Config, file: PathBuf) -> Result<ExitCode, ExitCode> {
    let imported = match &config.store {
        StoreLocation::Sqlite(target) => audit::import(&file, target).await,
        StoreLocation::Postgres(_) | StoreLocation::Kurrent(_) => {
            let store = store_of(&config).await?.events;
            let imported = audit::import_into(&file, &*store).await;
            store.shutdown().await;
            imported
        }
        StoreLocation::Memory => {
            eprintln!("agora: a memory:// store keeps nothing to import into");
            return Err(ExitCode::from(USAGE));
        }
    };
    let count = imported.map_err(|error| failed("import", error))?;
    eprintln!("agora: imported {count} events into {}", config.store);
    Ok(ExitCode::SUCCESS)
}

/// `agora report`: the assembly report of a period.
async fn report(
    config: Config,
    community: String,
    (from, to): (Option<String>, Option<String>),
    format: String,
    output: Option<PathBuf>,
) -> Result<ExitCode, ExitCode> {
    let community = community
        .parse()
        .map_err(|error| failed("reading --community", error))?;
    let store = store_of(&config).await?.events;
    let mut out = output_to(output.as_deref())?;
    let written = audit::report(
        &*store,
        &community,
        from.as_deref(),
        to.as_deref(),
        &format,
        &mut *out,
    )
    .await;
    store.shutdown().await;
    written.map_err(|error| failed("report", error))?;
    Ok(ExitCode::SUCCESS)
}

/// `agora migrate`: every stream and key of one store into an empty one,
/// verified.
async fn migrate(from: &str, to: &str) -> Result<ExitCode, ExitCode> {
    let location = |url: &str, what: &str| {
        url.parse::<StoreLocation>()
            .map_err(|error| failed(&format!("reading --{what}"), error))
    };
    let (from, to) = (location(from, "from")?, location(to, "to")?);
    if from == to {
        eprintln!("agora: --from and --to name the same store");
        return Err(ExitCode::from(USAGE));
    }
    let source = open_store(&from)
        .await
        .map_err(|error| failed("opening the source store", error))?;
    let target = open_store(&to)
        .await
        .map_err(|error| failed("opening the target store", error))?;
    let migrated = audit::migrate(&source, &target).await;
    source.events.shutdown().await;
    target.events.shutdown().await;
    if matches!(migrated, Ok(true)) {
        eprintln!(
            "agora: personal-data keys were copied as they are wrapped: start the target \
             with the source's key-encryption key"
        );
    }
    Ok(verdict(migrated, "migration"))
}

/// `agora backup`: a verified copy of the embedded store, keys included.
async fn backup(config: Config, output: PathBuf) -> Result<ExitCode, ExitCode> {
    use agora::audit::tools::BackupSource;
    match &config.store {
        StoreLocation::Sqlite(store) => Ok(verdict(
            audit::backup(BackupSource::File(store), &output).await,
            "backup",
        )),
        StoreLocation::Postgres(_) | StoreLocation::Kurrent(_) => {
            let store = store_of(&config).await?;
            let backed_up = audit::backup(BackupSource::Store(&store), &output).await;
            store.events.shutdown().await;
            Ok(verdict(backed_up, "backup"))
        }
        StoreLocation::Memory => {
            eprintln!("agora: a memory:// store keeps nothing to back up");
            Err(ExitCode::from(USAGE))
        }
    }
}
