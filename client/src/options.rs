//! How a client renews: where it asks, how early, how it backs off after a failure and
//! whether it reconnects at once with the new JWT.

use std::time::Duration;

/// The request subject of an `nsc-setup` estate (the tenant's import of the service).
pub const DEFAULT_SUBJECT: &str = "creds.request";

/// Renewal settings. [`RenewalOptions::default`] renews at half the lifetime, up to a
/// tenth of the lifetime earlier (jitter), and reconnects at once with the new JWT.
#[derive(Debug, Clone)]
pub struct RenewalOptions {
    /// The credential request subject.
    pub subject: String,
    /// When to renew, as a fraction of the credentials' lifetime (issue to expiry), in
    /// `(0, 1)`. Default 0.5.
    pub fraction: f64,
    /// Up to this fraction of the lifetime earlier, at random, so that many clients
    /// started together do not renew together. Never later than `fraction`. Default 0.1.
    pub jitter: f64,
    /// How long one request waits for its reply. Default 5 s.
    pub request_timeout: Duration,
    /// First retry delay after a failed renewal; each further failure doubles it.
    /// Default 500 ms.
    pub backoff_min: Duration,
    /// The longest retry delay. Default 30 s.
    pub backoff_max: Duration,
    /// Whether to reconnect the user's connection as soon as a renewal succeeds, so that
    /// it carries the new JWT before the old one lapses. Without it the server closes the
    /// connection when the old JWT expires, and the client reconnects then (async-nats
    /// does; some clients treat that close as final). Default true.
    pub reconnect_on_renewal: bool,
}

impl Default for RenewalOptions {
    fn default() -> Self {
        RenewalOptions {
            subject: String::from(DEFAULT_SUBJECT),
            fraction: 0.5,
            jitter: 0.1,
            request_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            reconnect_on_renewal: true,
        }
    }
}

impl RenewalOptions {
    /// The options with `fraction` and `jitter` clamped into sensible bounds, and the
    /// backoff's minimum at least 10 ms (a retry loop must never spin).
    pub fn sanitized(&self) -> RenewalOptions {
        let fraction = if self.fraction.is_finite() {
            self.fraction.clamp(0.05, 0.95)
        } else {
            0.5
        };
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, fraction - 0.01)
        } else {
            0.0
        };
        let backoff_min = self.backoff_min.max(Duration::from_millis(10));
        RenewalOptions {
            fraction,
            jitter,
            backoff_min,
            backoff_max: self.backoff_max.max(backoff_min),
            ..self.clone()
        }
    }
}
