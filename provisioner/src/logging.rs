//! Logging for the binary: `tracing` with an env filter from `PROVISIONER_LOG` (default
//! [`DEFAULT_FILTER`]) and plain or JSON lines from `PROVISIONER_LOG_FORMAT` (`plain` default, `json`
//! in containers). Logs go to stderr so that stdout stays for command output.

use tracing_subscriber::EnvFilter;

/// Variable holding the filter, in `EnvFilter` syntax.
pub const LOG_ENV: &str = "PROVISIONER_LOG";
/// The filter without `PROVISIONER_LOG`: the client library's per-connection lines are
/// left out (`serve` logs connects and disconnects itself; `bench --connect-user` makes
/// thousands of connections).
pub const DEFAULT_FILTER: &str = "info,async_nats=warn";
/// Variable choosing `plain` or `json`.
pub const LOG_FORMAT_ENV: &str = "PROVISIONER_LOG_FORMAT";

/// Installs the subscriber; a second call does nothing.
pub fn init() {
    init_from(LOG_ENV, LOG_FORMAT_ENV);
}

/// Installs the subscriber with the filter from variable `filter_env` (default
/// [`DEFAULT_FILTER`]) and the line format from `format_env`, for every binary of the
/// product (the portal names its own variables); a second call does nothing.
pub fn init_from(filter_env: &str, format_env: &str) {
    let filter =
        EnvFilter::try_from_env(filter_env).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var(format_env).is_ok_and(|v| v.eq_ignore_ascii_case("json"));
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
