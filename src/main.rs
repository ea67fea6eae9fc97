//! The `agora` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use agora::app::{Application, shutdown_signal};
use agora::cli::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config } => {
            let config = match config.resolve() {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("agora: {error}");
                    return ExitCode::from(2);
                }
            };
            agora::telemetry::init(config.log_format, &config.log);
            tracing::info!(store = %config.store, "starting");
            let served = match Application::build(&config).await {
                Ok(application) => application.run_until_stopped(shutdown_signal()).await,
                Err(error) => Err(error),
            };
            if let Err(error) = served {
                tracing::error!(%error, "agora serve failed");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
    }
}
