//! The `agora` command line.

use std::path::PathBuf;

use agora_events::Role;
use clap::{Parser, Subcommand, ValueEnum};

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
        /// Seed the demo community if it is missing, and print tokens to try it.
        #[arg(long)]
        demo: bool,
        /// Start on a store whose chain does not verify, to inspect it:
        /// reads are served up to each community's first broken link and
        /// every command is refused.
        #[arg(long)]
        read_only: bool,
    },
    /// Verify the hash chain and the figures of a store, or of an export file offline.
    Verify {
        #[command(flatten)]
        config: ConfigArgs,
        /// An export (JSON lines) to verify instead of the store.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Only this community.
        #[arg(long)]
        community: Option<String>,
    },
    /// Write a community's log (or the whole store's) as JSON lines, or a
    /// community's capital and fund movements as accounting entries.
    Export {
        #[command(flatten)]
        config: ConfigArgs,
        /// Only this community (required for `fec` and `csv`).
        #[arg(long)]
        community: Option<String>,
        /// `jsonl`: the log itself; `fec`: the accounting entries as a FEC
        /// (Fichier des Écritures Comptables); `csv`: the same entries as CSV.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// For `fec` and `csv`: start, a date or an RFC 3339 instant
        /// [default: the community's creation].
        #[arg(long)]
        from: Option<String>,
        /// For `fec` and `csv`: end, a date (included) or an RFC 3339 instant [default: now].
        #[arg(long)]
        to: Option<String>,
        /// The file to write [default: standard output].
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Load an export into an empty store, refusing a file whose chain does not verify.
    Import {
        #[command(flatten)]
        config: ConfigArgs,
        /// The export (JSON lines).
        #[arg(long)]
        file: PathBuf,
    },
    /// Write the assembly report of a community for a period.
    Report {
        #[command(flatten)]
        config: ConfigArgs,
        #[arg(long)]
        community: String,
        /// Start: a date (2026-01-01) or an RFC 3339 instant [default: the community's creation].
        #[arg(long)]
        from: Option<String>,
        /// End: a date (included) or an RFC 3339 instant [default: now].
        #[arg(long)]
        to: Option<String>,
        /// json, csv or html.
        #[arg(long, default_value = "html")]
        format: String,
        /// The file to write [default: standard output].
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Copy the embedded store, personal-data keys included, into a new
    /// file, and verify the copy; safe while the service runs.
    Backup {
        #[command(flatten)]
        config: ConfigArgs,
        /// The new file.
        #[arg(long)]
        output: PathBuf,
    },
    /// Copy every stream of a store, and its personal-data keys, into an
    /// empty store (another backend, say), then verify that the copy's
    /// chains and figures are the source's. Stop the service first.
    Migrate {
        /// The store to copy: `sqlite://PATH` or `postgres://…`.
        #[arg(long)]
        from: String,
        /// The empty store to copy into.
        #[arg(long)]
        to: String,
    },
    /// Replay the log into fresh projections and report any difference from the ledger's.
    Rebuild {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Seed the demo community into the store (if missing) and print tokens.
    Demo {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Mint a bearer token with the configured HS256 secret.
    Token {
        #[command(flatten)]
        config: ConfigArgs,
        /// The community slug, or `*` for every community.
        #[arg(long)]
        community: String,
        /// A pioneer id, or an operator's name.
        #[arg(long)]
        subject: String,
        /// A role; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<RoleArg>,
        /// How long the token lasts.
        #[arg(long, default_value_t = 24)]
        hours: i64,
        /// Print a sign-in link to the web interface (at the configured
        /// listen address, or `--base-url`) instead of the bare token.
        #[arg(long)]
        link: bool,
        /// Where the service is reached, for `--link`.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// What `agora export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Fec,
    Csv,
}

/// A role a token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Pioneer,
    Gardener,
    Treasurer,
    Auditor,
    Admin,
    /// Someone applying to join, with their id as the subject.
    Candidate,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Pioneer => Self::Pioneer,
            RoleArg::Gardener => Self::Gardener,
            RoleArg::Treasurer => Self::Treasurer,
            RoleArg::Auditor => Self::Auditor,
            RoleArg::Admin => Self::Admin,
            RoleArg::Candidate => Self::Candidate,
        }
    }
}
