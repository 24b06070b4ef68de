//! Prometheus metrics: requests by endpoint, outcome and code, handling latency and
//! requests in flight. Names are `provisioner_*`; the text format is served by `admin`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `endpoint`, `door` (`request`/`callout`), `outcome`
/// (`allow`/`deny`/`error`) and `code`.
pub const REQUESTS_TOTAL: &str = "provisioner_requests_total";
/// Seconds from receiving a request to sending its reply.
pub const REQUEST_SECONDS: &str = "provisioner_request_duration_seconds";
/// Requests being handled now.
pub const IN_FLIGHT: &str = "provisioner_in_flight_requests";
/// Decide-and-reserve attempts per issuance with a registry (`pipeline::steps`).
pub const REGISTRY_ATTEMPTS: &str = "provisioner_registry_attempts";

/// Histogram buckets for registry attempts (1: no race lost; 12: the most).
const ATTEMPT_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 5.0, 8.0, 12.0];

/// Histogram buckets for request latency, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once and returns its handle.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), LATENCY_BUCKETS)
                .ok()?
                .set_buckets_for_metric(Matcher::Full(REGISTRY_ATTEMPTS.into()), ATTEMPT_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// Counts one answered request.
pub fn record_request(
    endpoint: &'static str,
    door: &'static str,
    outcome: &'static str,
    code: &str,
    elapsed: Duration,
) {
    metrics::counter!(REQUESTS_TOTAL, "endpoint" => endpoint, "door" => door, "outcome" => outcome, "code" => code.to_owned())
        .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "endpoint" => endpoint, "door" => door)
        .record(elapsed.as_secs_f64());
}

/// Tracks one request in flight until dropped.
pub struct InFlight;

impl InFlight {
    /// Marks a request as started.
    pub fn start() -> Self {
        metrics::gauge!(IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(IN_FLIGHT).decrement(1.0);
    }
}
