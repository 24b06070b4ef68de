//! Where a request's time goes: each step of the pipeline is timed into one histogram,
//! `provisioner_step_seconds{step}`, and each issuance with a registry counts its
//! decide-and-reserve attempts (`provisioner_registry_attempts`; more than one means a
//! compare-and-set lost a race and the request was decided again). `scripts/bench.sh`
//! reads both from `/metrics` after a run and prints the profile.
//!
//! The steps, in the order a credential request takes them: `parse`, `identify` (the
//! caller's `Nats-Request-Info` and JWT), `proof` (the signature over the proof string),
//! `nonce` (the replay guard), `read` (the registry's facts), `decide` (the policy),
//! `mint` (signing the user JWT), `reserve` (the registry's writes), `reply` and
//! `record` (the log line, the audit queue and the counters). An auth callout login
//! takes `identify` (opening and checking the server's request and the CONNECT
//! credentials) and the steps from `read` on.

use std::future::Future;
use std::time::Instant;

use crate::metrics::REGISTRY_ATTEMPTS;

/// Seconds spent in one step, by `step` (a summary: quantiles, sum and count).
pub const STEP_SECONDS: &str = "provisioner_step_seconds";

/// One step of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the payload.
    Parse,
    /// Establishing who is calling.
    Identify,
    /// Checking the proof of key possession.
    Proof,
    /// The nonce replay guard.
    Nonce,
    /// Reading the registry's facts.
    Read,
    /// The policy's decision.
    Decide,
    /// Signing the user JWT.
    Mint,
    /// The registry's writes.
    Reserve,
    /// Sending the answer.
    Reply,
    /// The log line, audit event and counters.
    Record,
}

impl Step {
    /// Every step, in pipeline order.
    pub const ALL: [Step; 10] = [
        Step::Parse,
        Step::Identify,
        Step::Proof,
        Step::Nonce,
        Step::Read,
        Step::Decide,
        Step::Mint,
        Step::Reserve,
        Step::Reply,
        Step::Record,
    ];

    /// The `step` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Parse => "parse",
            Step::Identify => "identify",
            Step::Proof => "proof",
            Step::Nonce => "nonce",
            Step::Read => "read",
            Step::Decide => "decide",
            Step::Mint => "mint",
            Step::Reserve => "reserve",
            Step::Reply => "reply",
            Step::Record => "record",
        }
    }

    /// Records `started.elapsed()` as time spent in this step.
    pub fn done(self, started: Instant) {
        metrics::histogram!(STEP_SECONDS, "step" => self.as_str())
            .record(started.elapsed().as_secs_f64());
    }

    /// Runs `work`, timed as this step.
    pub fn time<T>(self, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = work();
        self.done(started);
        out
    }

    /// Awaits `work`, timed as this step.
    pub async fn time_async<T>(self, work: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = work.await;
        self.done(started);
        out
    }
}

/// Records how many attempts an issuance with a registry took.
pub fn attempts(n: u32) {
    metrics::histogram!(REGISTRY_ATTEMPTS).record(f64::from(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_distinct_and_in_pipeline_order() {
        let labels: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
        let unique: std::collections::HashSet<&str> = labels.iter().copied().collect();
        assert_eq!(labels.len(), unique.len());
        assert_eq!(labels.first(), Some(&"parse"));
        assert_eq!(labels.last(), Some(&"record"));
        assert_eq!(Step::Mint.time(|| 7), 7);
    }
}
