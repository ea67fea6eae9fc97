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
