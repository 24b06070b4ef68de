//! Logging for the binary: `tracing` to stderr with an env filter from `PORTAL_LOG`
//! (default [`DEFAULT_FILTER`]) and plain or JSON lines from `PORTAL_LOG_FORMAT`.

use tracing_subscriber::EnvFilter;

/// Variable holding the filter, in `EnvFilter` syntax.
pub const LOG_ENV: &str = "PORTAL_LOG";
/// The filter without `PORTAL_LOG`: the client library's per-connection lines are left
/// out (the portal connects once per caller).
pub const DEFAULT_FILTER: &str = "info,async_nats=warn";
/// Variable choosing `plain` or `json`.
pub const LOG_FORMAT_ENV: &str = "PORTAL_LOG_FORMAT";

/// Installs the subscriber; a second call does nothing.
pub fn init() {
    let filter =
        EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var(LOG_FORMAT_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
