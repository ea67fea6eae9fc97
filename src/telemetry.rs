//! Logs: `tracing` to standard error, as text or JSON lines. Requests are
//! logged with their id, method, path and status, never their bodies, so no
//! personal data reaches the logs.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. A bad filter falls back to `info` with a
/// warning rather than running blind.
pub fn init(format: LogFormat, filter: &str) {
    let (filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_ok()
        && let Some(error) = bad_filter
    {
        tracing::warn!(%error, "invalid log filter; logging at info");
    }
}

/// How a command ended, for `agora_commands_total`.
#[derive(Debug, Clone, Copy)]
pub enum CommandOutcome {
    Recorded,
    Replayed,
    Refused,
}

static COMMANDS: [std::sync::atomic::AtomicU64; 3] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 3];
static EVENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts a command as its community's writer answers it (however it came:
/// over HTTP, from the scheduler, from the demo), and the events it recorded.
pub fn count_command(outcome: CommandOutcome, events: usize) {
    use std::sync::atomic::Ordering;
    COMMANDS[outcome as usize].fetch_add(1, Ordering::Relaxed);
    EVENTS.fetch_add(events as u64, Ordering::Relaxed);
}

/// Commands recorded, replayed and refused so far, and events recorded.
pub fn command_counts() -> ([u64; 3], u64) {
    use std::sync::atomic::Ordering;
    (
        [0, 1, 2].map(|index| COMMANDS[index].load(Ordering::Relaxed)),
        EVENTS.load(Ordering::Relaxed),
    )
}
