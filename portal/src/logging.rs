//! Logging for the binary: `tracing` to stderr with an env filter from `PORTAL_LOG`
//! (default `provisioner::logging::DEFAULT_FILTER`: the client library's per-connection
//! lines left out, as the portal connects once per caller) and plain or JSON lines from
//! `PORTAL_LOG_FORMAT`.

/// Variable holding the filter, in `EnvFilter` syntax.
pub const LOG_ENV: &str = "PORTAL_LOG";
/// Variable choosing `plain` or `json`.
pub const LOG_FORMAT_ENV: &str = "PORTAL_LOG_FORMAT";

/// Installs the subscriber (the provisioner's, with the portal's variables); a second
/// call does nothing.
pub fn init() {
    provisioner::logging::init_from(LOG_ENV, LOG_FORMAT_ENV);
}
