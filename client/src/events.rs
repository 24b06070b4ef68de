//! What a renewing client reports: events for the program that holds it, and counters for
//! its metrics exporter (the `metrics` crate's facade; no recorder, no cost).

use std::time::Duration;

/// Renewals that succeeded.
pub const RENEWALS_METRIC: &str = "nats_creds_renewals_total";
/// Renewal attempts that failed (each is retried after a backoff).
pub const FAILURES_METRIC: &str = "nats_creds_renewal_failures_total";
/// When the current credentials expire, unix seconds.
pub const EXPIRES_METRIC: &str = "nats_creds_expires_at_seconds";

/// One renewal outcome, as [`crate::FreshCreds::subscribe`] delivers it.
#[derive(Debug, Clone, PartialEq)]
pub enum RenewalEvent {
    /// New credentials are in place; the next connect presents them.
    Renewed {
        /// Their expiry, unix seconds.
        expires: i64,
    },
    /// A renewal attempt failed; the next one comes after `retry_in`.
    Failed {
        /// Why (safe to show: the service's code and reason, or the transport error).
        reason: String,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
}

/// Counts a renewal and records the new expiry.
pub(crate) fn count_renewal(expires: i64) {
    metrics::counter!(RENEWALS_METRIC).increment(1);
    metrics::gauge!(EXPIRES_METRIC).set(expires as f64);
}

/// Counts a failed renewal attempt.
pub(crate) fn count_failure() {
    metrics::counter!(FAILURES_METRIC).increment(1);
}
