//! The `agora` command line.

use clap::{Parser, Subcommand};

use crate::config::ConfigArgs;

/// Agora Ledger: the event-sourced ledger of a cooperative community.
#[derive(Debug, Parser)]
#[command(name = "agora", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve {
        #[command(flatten)]
        config: ConfigArgs,
    },
}
