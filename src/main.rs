//! The `agora` binary: parses the command line and hands over to the library.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use agora::app::{Application, authenticator, open_store, shutdown_signal};
use agora::audit::tools as audit;
use agora::auth::Claims;
use agora::cli::{Cli, Command};
use agora::clock::SystemClock;
use agora::config::{AuthSettings, Config, ConfigArgs, StoreLocation};
use agora::ledger::Ledger;
use agora::{demo, http};
use clap::Parser;
use utoipa::OpenApi;

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

async fn store_of(config: &Config) -> Result<Arc<dyn agora::store::EventStore>, ExitCode> {
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
    let ledger = match Ledger::open(store, Arc::new(SystemClock)).await {
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
            println!("{token}");
            ExitCode::SUCCESS
        }
        None => failed("minting", "no secret"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            demo,
            read_only,
        } => {
            let mut config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            config.read_only = read_only;
            agora::telemetry::init(config.log_format, &config.log);
            serve(config, demo).await
        }
        Command::Verify {
            config,
            file,
            community,
        } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let community = match optional_community(community.as_deref()) {
                Ok(community) => community,
                Err(code) => return code,
            };
            let store = match &file {
                Some(_) => None,
                None => match open_store(&config.store).await {
                    Ok(store) => Some(store),
                    Err(error) => return failed("opening the store", error),
                },
            };
            match audit::verify(store, file.as_deref(), community.as_ref()).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(error) => failed("verification", error),
            }
        }
        Command::Export {
            config,
            community,
            output,
        } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let community = match optional_community(community.as_deref()) {
                Ok(community) => community,
                Err(code) => return code,
            };
            let store = match store_of(&config).await {
                Ok(store) => store,
                Err(code) => return code,
            };
            let mut out = match output_to(output.as_deref()) {
                Ok(out) => out,
                Err(code) => return code,
            };
            let exported = audit::export(&*store, community.as_ref(), &mut *out).await;
            store.shutdown().await;
            match exported {
                Ok(count) => {
                    eprintln!("agora: exported {count} events");
                    ExitCode::SUCCESS
                }
                Err(error) => failed("export", error),
            }
        }
        Command::Import { config, file } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let StoreLocation::Sqlite(target) = &config.store else {
                eprintln!("agora: import needs a sqlite:// store");
                return ExitCode::from(USAGE);
            };
            match audit::import(&file, target).await {
                Ok(count) => {
                    eprintln!("agora: imported {count} events into {}", target.display());
                    ExitCode::SUCCESS
                }
                Err(error) => failed("import", error),
            }
        }
        Command::Report {
            config,
            community,
            from,
            to,
            format,
            output,
        } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let community = match community.parse() {
                Ok(community) => community,
                Err(error) => return failed("reading --community", error),
            };
            let store = match store_of(&config).await {
                Ok(store) => store,
                Err(code) => return code,
            };
            let mut out = match output_to(output.as_deref()) {
                Ok(out) => out,
                Err(code) => return code,
            };
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
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => failed("report", error),
            }
        }
        Command::Backup { config, output } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let StoreLocation::Sqlite(store) = &config.store else {
                eprintln!("agora: backup needs a sqlite:// store");
                return ExitCode::from(USAGE);
            };
            match audit::backup(store, &output).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(error) => failed("backup", error),
            }
        }
        Command::Rebuild { config } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let store = match store_of(&config).await {
                Ok(store) => store,
                Err(code) => return code,
            };
            match audit::rebuild(store).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(error) => failed("rebuild", error),
            }
        }
        Command::Demo { config } => {
            let config = match resolve(&config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            agora::telemetry::init(config.log_format, &config.log);
            seed_demo(config).await
        }
        Command::Token {
            config,
            community,
            subject,
            roles,
            hours,
        } => match resolve(&config) {
            Ok(config) => mint(config, community, subject, roles, hours),
            Err(code) => code,
        },
        Command::Openapi => {
            let document = http::ApiDoc::openapi()
                .to_pretty_json()
                .expect("the OpenAPI document serializes");
            println!("{document}");
            ExitCode::SUCCESS
        }
    }
}
