//! Exact issuance counters for rate limits, without compare-and-set: a JetStream stream
//! with message counters (nats-server 2.12+, `allow_msg_counter`). Each issuance adds
//! one with a `Nats-Incr` header and the server answers with the new total, so
//! concurrent issuances never conflict and each learns its own rank. An issuance ranked
//! past the limit takes its one back and is refused, so of `R + k` concurrent requests
//! in one window exactly `R` keep their count.
//!
//! A counter's subject names its tenant, window and (for `per_requester`) requester,
//! so a new window starts at zero; the stream keeps only the latest total per subject
//! and drops counters older than the longest window allows.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;

use crate::error::RegistryError;
use crate::stream::ensure;

/// The header asking a counter stream to add to a subject's total.
const INCREMENT_HEADER: &str = "Nats-Incr";
/// The counter [`Counters::probe`] adds nothing to.
const PROBE_KEY: &str = "probe";
/// How long the start-up probe waits for the server's answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// How the counter stream is created when it is missing.
#[derive(Debug, Clone)]
pub struct CounterSpec {
    /// The stream name (also the subject prefix of its counters).
    pub name: String,
    /// Replicas (1 for a single server, 3 in a cluster).
    pub replicas: usize,
    /// Placement tags (see [`crate::kv::placement`]).
    pub placement_tags: Vec<String>,
    /// Age after which an untouched counter is dropped.
    pub max_age: Duration,
}

/// The registry's issuance counters.
#[derive(Clone)]
pub struct Counters {
    js: jetstream::Context,
    name: String,
}

impl Counters {
    /// Opens the counter stream, creating it when missing and updating its max age when
    /// the policy's longest window grew; retries while JetStream is not ready.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the stream can be neither found nor created (for
    /// example on a server older than 2.12, which has no message counters).
    pub async fn open(js: &jetstream::Context, spec: &CounterSpec) -> Result<Self, RegistryError> {
        let config = stream::Config {
            name: spec.name.clone(),
            subjects: vec![format!("{}.>", spec.name)],
            allow_message_counter: true,
            max_messages_per_subject: 1,
            max_age: spec.max_age,
            num_replicas: spec.replicas,
            placement: crate::kv::placement(&spec.placement_tags),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        // A longer window needs counters kept longer.
        let fits = |existing: &stream::Config| existing.max_age >= spec.max_age;
        ensure(js, &config, fits, "creating counter stream").await?;
        let counters = Counters {
            js: js.clone(),
            name: spec.name.clone(),
        };
        counters.probe().await?;
        Ok(counters)
    }

    /// Adds nothing to a probe counter, so that a user who may not publish to the
    /// counters' subjects is found at start-up, not at the first rate-limited request.
    async fn probe(&self) -> Result<(), RegistryError> {
        match tokio::time::timeout(PROBE_TIMEOUT, self.add(PROBE_KEY, 0)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(RegistryError::kv(
                "counting in",
                &self.name,
                format!(
                    "no answer within {PROBE_TIMEOUT:?}: may this user publish to `{}.>`?",
                    self.name
                ),
            )),
        }
    }

    /// The stream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds `delta` to counter `key` (KV-style key tokens) and returns the new total.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the server does not acknowledge the change, or its
    /// answer holds no total.
    pub async fn add(&self, key: &str, delta: i64) -> Result<i64, RegistryError> {
        let mut headers = HeaderMap::new();
        headers.insert(INCREMENT_HEADER, format!("{delta:+}").as_str());
        let subject = format!("{}.{key}", self.name);
        let fail = |e: &dyn std::fmt::Display| RegistryError::kv("counting in", &self.name, e);
        let ack = self
            .js
            .publish_with_headers(subject, headers, bytes::Bytes::new())
            .await
            .map_err(|e| fail(&e))?
            .await
            .map_err(|e| fail(&e))?;
        ack.value
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| fail(&"the acknowledgement holds no counter total"))
    }
}
