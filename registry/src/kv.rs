//! The registry's JetStream KV plumbing: buckets created when missing, reads that keep
//! the revision, writes that succeed only at the expected revision (compare-and-set),
//! and listing the latest value of every key under a filter.
//!
//! Values are JSON. A key with a delete marker reads as missing, with the marker's
//! revision, so that "create if missing" and "update" are the same compare-and-set.
//! Not here: what the values mean (`entry`, `invite`).

use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv};
use async_nats::HeaderMap;
use futures::StreamExt as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{safe_json_error, RegistryError};

/// The header carrying a KV operation (`DEL`, `PURGE`) on a marker.
const KV_OPERATION_HEADER: &str = "KV-Operation";
/// The operation of a delete marker.
const KV_DELETE: &str = "DEL";
/// The operation of a purge marker.
const KV_PURGE: &str = "PURGE";
/// The JetStream header making a write conditional on the subject's last sequence.
const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
/// How long a listing may take before it fails.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// How a bucket is created when it is missing.
#[derive(Debug, Clone)]
pub struct BucketSpec {
    /// The bucket name.
    pub name: String,
    /// Replicas (1 for a single server, 3 in a cluster).
    pub replicas: usize,
    /// Values kept per key.
    pub history: i64,
    /// Age after which a value is dropped; zero keeps values.
    pub max_age: Duration,
}

/// One KV bucket of the registry.
#[derive(Clone)]
pub struct Bucket {
    store: kv::Store,
    js: jetstream::Context,
    name: String,
}

/// A value read with its revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    /// The value.
    pub value: T,
    /// Its revision (the stream sequence).
    pub revision: u64,
}

/// What a key holds: a value, or nothing (never written, or deleted at `revision`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot<T> {
    /// No value; a write must expect `revision` (0 when the key was never written).
    Missing {
        /// The revision a create must expect.
        revision: u64,
    },
    /// A value.
    Present(Versioned<T>),
}

impl<T> Slot<T> {
    /// The revision a write replacing this slot must expect.
    pub fn revision(&self) -> u64 {
        match self {
            Slot::Missing { revision } => *revision,
            Slot::Present(v) => v.revision,
        }
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&T> {
        match self {
            Slot::Missing { .. } => None,
            Slot::Present(v) => Some(&v.value),
        }
    }
}

/// Why a conditional write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another writer changed the key first: re-read and decide again.
    #[error("the key changed since it was read")]
    Conflict,
    /// The write failed, or its outcome is unknown (a lost acknowledgement).
    #[error(transparent)]
    Failed(#[from] RegistryError),
}

/// How long opening a bucket keeps trying while JetStream is not ready (a cluster still
/// electing its leaders answers "temporarily unavailable").
pub const OPEN_DEADLINE: Duration = Duration::from_secs(30);
/// Pause between attempts to open a bucket.
const OPEN_RETRY: Duration = Duration::from_millis(250);

/// Opens KV bucket `spec.name`, creating it when missing, retrying until
/// [`OPEN_DEADLINE`] while JetStream is unavailable.
///
/// # Errors
/// [`RegistryError::Kv`] with the last failure when the deadline passes.
pub async fn open_store(
    js: &jetstream::Context,
    spec: &BucketSpec,
) -> Result<kv::Store, RegistryError> {
    let deadline = tokio::time::Instant::now() + OPEN_DEADLINE;
    loop {
        let failure = match js.get_key_value(spec.name.as_str()).await {
            Ok(store) => return Ok(store),
            Err(_) => {
                let config = kv::Config {
                    bucket: spec.name.clone(),
                    history: spec.history,
                    max_age: spec.max_age,
                    num_replicas: spec.replicas,
                    storage: jetstream::stream::StorageType::File,
                    ..Default::default()
                };
                match js.create_key_value(config).await {
                    Ok(store) => return Ok(store),
                    // Another replica may have created it meanwhile.
                    Err(create) => match js.get_key_value(spec.name.as_str()).await {
                        Ok(store) => return Ok(store),
                        Err(_) => create.to_string(),
                    },
                }
            }
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(RegistryError::kv("creating bucket", &spec.name, failure));
        }
        tracing::debug!(bucket = %spec.name, error = %failure, "bucket not ready; retrying");
        tokio::time::sleep(OPEN_RETRY).await;
    }
}

impl Bucket {
    /// Opens bucket `spec.name`, creating it when missing (see [`open_store`]).
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the bucket can be neither found nor created.
    pub async fn open(js: &jetstream::Context, spec: &BucketSpec) -> Result<Bucket, RegistryError> {
        Ok(Bucket {
            store: open_store(js, spec).await?,
            js: js.clone(),
            name: spec.name.clone(),
        })
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads `key`.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the server cannot be asked; [`RegistryError::Corrupt`]
    /// when the value is not the expected JSON.
    pub async fn read<T: DeserializeOwned>(&self, key: &str) -> Result<Slot<T>, RegistryError> {
        let entry = self
            .store
            .entry(key)
            .await
            .map_err(|e| RegistryError::kv("reading", &self.name, e))?;
        match entry {
            None => Ok(Slot::Missing { revision: 0 }),
            Some(e) if e.operation != kv::Operation::Put => Ok(Slot::Missing {
                revision: e.revision,
            }),
            Some(e) => Ok(Slot::Present(Versioned {
                value: self.decode(key, &e.value)?,
                revision: e.revision,
            })),
        }
    }

    /// Writes `value` under `key` if the key is still at `expected` (0: never written);
    /// returns the new revision.
    ///
    /// # Errors
    /// [`WriteError::Conflict`] when the key moved on; [`WriteError::Failed`] otherwise.
    pub async fn write<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expected: u64,
    ) -> Result<u64, WriteError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| RegistryError::kv("encoding a value for", &self.name, e))?;
        match self.store.update(key, bytes.into(), expected).await {
            Ok(revision) => Ok(revision),
            Err(err) if err.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                Err(WriteError::Conflict)
            }
            Err(err) => Err(RegistryError::kv("writing", &self.name, err).into()),
        }
    }

    /// Deletes `key` (a delete marker) if it is still at `expected`.
    ///
    /// # Errors
    /// As [`Bucket::write`].
    pub async fn remove(&self, key: &str, expected: u64) -> Result<(), WriteError> {
        let mut headers = HeaderMap::new();
        headers.insert(KV_OPERATION_HEADER, KV_DELETE);
        headers.insert(
            EXPECTED_LAST_SUBJECT_SEQUENCE,
            expected.to_string().as_str(),
        );
        let subject = format!("{}{key}", self.store.prefix);
        let ack = self
            .js
            .publish_with_headers(subject, headers, bytes::Bytes::new())
            .await
            .map_err(|e| RegistryError::kv("deleting from", &self.name, e))?;
        match ack.await {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {
                Err(WriteError::Conflict)
            }
            Err(err) => Err(RegistryError::kv("deleting from", &self.name, err).into()),
        }
    }

    /// The latest value of every key matching `filter` (a KV key with wildcards, such as
    /// `acme.>`), deleted keys left out.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the listing fails or takes too long;
    /// [`RegistryError::Corrupt`] for a value that is not the expected JSON.
    pub async fn list<T: DeserializeOwned>(
        &self,
        filter: &str,
    ) -> Result<Vec<(String, Versioned<T>)>, RegistryError> {
        tokio::time::timeout(LIST_TIMEOUT, self.list_inner(filter))
            .await
            .map_err(|_| RegistryError::kv("listing", &self.name, "timed out"))?
    }

    async fn list_inner<T: DeserializeOwned>(
        &self,
        filter: &str,
    ) -> Result<Vec<(String, Versioned<T>)>, RegistryError> {
        let fail = |e: &dyn std::fmt::Display| RegistryError::kv("listing", &self.name, e);
        let stream = self
            .js
            .get_stream(&self.store.stream_name)
            .await
            .map_err(|e| fail(&e))?;
        let consumer = stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: self.js_client_inbox(),
                description: Some(String::from("provisioner registry listing")),
                filter_subject: format!("{}{filter}", self.store.prefix),
                replay_policy: consumer::ReplayPolicy::Instant,
                deliver_policy: consumer::DeliverPolicy::LastPerSubject,
                ..Default::default()
            })
            .await
            .map_err(|e| fail(&e))?;
        let mut out = Vec::new();
        if consumer.cached_info().num_pending == 0 {
            return Ok(out);
        }
        let mut messages = consumer.messages().await.map_err(|e| fail(&e))?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| fail(&e))?;
            let (pending, revision) = {
                let info = message.info().map_err(|e| fail(&e))?;
                (info.pending, info.stream_sequence)
            };
            let deleted = message
                .headers
                .as_ref()
                .and_then(|h| h.get(KV_OPERATION_HEADER))
                .is_some_and(|op| op.as_str() == KV_DELETE || op.as_str() == KV_PURGE);
            let key = message
                .subject
                .as_str()
                .strip_prefix(self.store.prefix.as_str())
                .unwrap_or_default()
                .to_owned();
            if !deleted && !key.is_empty() {
                let value = self.decode(&key, &message.payload)?;
                out.push((key, Versioned { value, revision }));
            }
            if pending == 0 {
                break;
            }
        }
        Ok(out)
    }

    fn js_client_inbox(&self) -> String {
        self.js.client().new_inbox()
    }

    fn decode<T: DeserializeOwned>(&self, key: &str, bytes: &[u8]) -> Result<T, RegistryError> {
        serde_json::from_slice(bytes).map_err(|e| RegistryError::Corrupt {
            bucket: self.name.clone(),
            key: key.to_owned(),
            reason: safe_json_error(&e),
        })
    }
}
