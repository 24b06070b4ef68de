//! The registry's JetStream KV plumbing: buckets created when missing, reads that keep
//! the revision, and writes that succeed only at the expected revision (compare-and-set).
//! Listing the keys under a filter is `listing`.
//!
//! Values are JSON. A key with a delete marker reads as missing, with the marker's
//! revision, so that "create if missing" and "update" are the same compare-and-set.
//! A bucket with per-message TTL ([`Bucket::enable_message_ttl`], nats-server 2.11+)
//! takes a lifetime with each write (`Nats-TTL`): the server removes the value when it
//! passes, and a write without one keeps the value until it is replaced. Its delete
//! markers expire too, so a removed key leaves nothing behind for good.
//! Not here: what the values mean (`entry`, `invite`) or how long they live (`expiry`).

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_nats::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{safe_json_error, RegistryError};

/// The header carrying a KV operation (`DEL`, `PURGE`) on a marker.
pub(crate) const KV_OPERATION_HEADER: &str = "KV-Operation";
/// The operation of a delete marker.
pub(crate) const KV_DELETE: &str = "DEL";
/// The operation of a purge marker.
pub(crate) const KV_PURGE: &str = "PURGE";
/// The JetStream header making a write conditional on the subject's last sequence.
const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
/// The JetStream header giving one message its own lifetime (whole seconds).
const MESSAGE_TTL_HEADER: &str = "Nats-TTL";
/// The header of a marker the server left where a message was removed.
pub(crate) const MARKER_REASON_HEADER: &str = "Nats-Marker-Reason";
/// How long a delete marker stays in a bucket with per-message TTL: long enough for a
/// writer that read it to find its revision, after which the key is simply absent.
pub const DELETE_MARKER_TTL: Duration = Duration::from_secs(10 * 60);

/// How a bucket is created when it is missing.
#[derive(Debug, Clone)]
pub struct BucketSpec {
    /// The bucket name.
    pub name: String,
    /// Replicas (1 for a single server, 3 in a cluster).
    pub replicas: usize,
    /// Placement tags (see [`placement`]).
    pub placement_tags: Vec<String>,
    /// Values kept per key.
    pub history: i64,
    /// Age after which a value is dropped; zero keeps values.
    pub max_age: Duration,
}

/// One KV bucket of the registry.
#[derive(Clone)]
pub struct Bucket {
    pub(crate) store: kv::Store,
    pub(crate) js: jetstream::Context,
    pub(crate) name: String,
    /// The lifetime of delete markers, once per-message TTL is on.
    marker_ttl: Option<Duration>,
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

/// The `Nats-TTL` value of a lifetime: whole seconds, at least one (the server refuses
/// less).
pub fn ttl_header(ttl: Duration) -> String {
    ttl.as_secs().max(1).to_string()
}

/// The placement of a bucket or stream with `tags`: the servers carrying every tag (in a
/// supercluster, `region:<home>` keeps the registry's replicas in the home region, which
/// the other regions reach through the gateways); none without tags.
pub fn placement(tags: &[String]) -> Option<jetstream::stream::Placement> {
    (!tags.is_empty()).then(|| jetstream::stream::Placement {
        cluster: None,
        tags: tags.to_vec(),
    })
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
                    placement: placement(&spec.placement_tags),
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
            marker_ttl: None,
        })
    }

    /// Turns on per-message TTL (the stream's `allow_msg_ttl`) when the bucket was made
    /// without it, by an older release: values written from then on can carry a
    /// lifetime. Returns whether the bucket had to be changed.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] saying what to do when the stream cannot be read or changed
    /// (a server older than 2.11 has no per-message TTL).
    pub async fn enable_message_ttl(&mut self) -> Result<bool, RegistryError> {
        // As opening, retried while a cluster is still electing its leaders.
        let deadline = tokio::time::Instant::now() + OPEN_DEADLINE;
        let changed = loop {
            match self.try_enable_message_ttl().await {
                Ok(changed) => break changed,
                Err(failure) if tokio::time::Instant::now() >= deadline => {
                    return Err(RegistryError::kv(
                        "turning on per-message TTL (allow_msg_ttl) of",
                        &self.name,
                        format!(
                            "{failure}; expired entries are removed through it: use \
                             nats-server 2.11 or later, or let the provisioner's user update \
                             the stream"
                        ),
                    ));
                }
                Err(failure) => {
                    tracing::debug!(bucket = %self.name, error = %failure, "bucket not ready; retrying");
                    tokio::time::sleep(OPEN_RETRY).await;
                }
            }
        };
        if changed {
            tracing::info!(bucket = %self.name, "per-message TTL turned on");
        }
        self.marker_ttl = Some(DELETE_MARKER_TTL);
        Ok(changed)
    }

    async fn try_enable_message_ttl(&self) -> Result<bool, String> {
        let mut stream = self
            .js
            .get_stream(&self.store.stream_name)
            .await
            .map_err(|e| e.to_string())?;
        let mut config = stream
            .info()
            .await
            .map_err(|e| e.to_string())?
            .config
            .clone();
        if config.allow_message_ttl {
            return Ok(false);
        }
        config.allow_message_ttl = true;
        self.js
            .update_stream(&config)
            .await
            .map_err(|e| e.to_string())?;
        Ok(true)
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

    /// Writes `value` under `key` if the key is still at `expected`, to be removed by the
    /// server `ttl` (at least a second) from now; `None` keeps it until it is replaced.
    /// Needs [`Bucket::enable_message_ttl`] for a `Some`.
    ///
    /// # Errors
    /// As [`Bucket::write`].
    pub async fn write_ttl<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expected: u64,
        ttl: Option<Duration>,
    ) -> Result<u64, WriteError> {
        let Some(ttl) = ttl else {
            return self.write(key, value, expected).await;
        };
        let bytes = serde_json::to_vec(value)
            .map_err(|e| RegistryError::kv("encoding a value for", &self.name, e))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            EXPECTED_LAST_SUBJECT_SEQUENCE,
            expected.to_string().as_str(),
        );
        headers.insert(MESSAGE_TTL_HEADER, ttl_header(ttl).as_str());
        self.publish(key, headers, bytes.into(), "writing").await
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
        if let Some(ttl) = self.marker_ttl {
            headers.insert(MESSAGE_TTL_HEADER, ttl_header(ttl).as_str());
        }
        self.publish(key, headers, bytes::Bytes::new(), "deleting from")
            .await
            .map(drop)
    }

    /// Writes `value` under `key` whatever is there (for values no two writers compute
    /// from one another, such as a presence record), kept `ttl` when given.
    ///
    /// # Errors
    /// [`WriteError::Failed`] when the server does not store it.
    pub async fn put<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<u64, WriteError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| RegistryError::kv("encoding a value for", &self.name, e))?;
        let mut headers = HeaderMap::new();
        if let Some(ttl) = ttl {
            headers.insert(MESSAGE_TTL_HEADER, ttl_header(ttl).as_str());
        }
        self.publish(key, headers, bytes.into(), "writing").await
    }

    /// Deletes `key` whatever its revision (a delete marker, itself removed after a
    /// while once per-message TTL is on).
    ///
    /// # Errors
    /// [`WriteError::Failed`] when the server does not store the marker.
    pub async fn forget(&self, key: &str) -> Result<(), WriteError> {
        let mut headers = HeaderMap::new();
        headers.insert(KV_OPERATION_HEADER, KV_DELETE);
        if let Some(ttl) = self.marker_ttl {
            headers.insert(MESSAGE_TTL_HEADER, ttl_header(ttl).as_str());
        }
        self.publish(key, headers, bytes::Bytes::new(), "deleting from")
            .await
            .map(drop)
    }

    /// Publishes a write of `key` (conditional when `headers` say so); returns the new
    /// revision.
    pub(crate) async fn publish(
        &self,
        key: &str,
        headers: HeaderMap,
        payload: bytes::Bytes,
        op: &'static str,
    ) -> Result<u64, WriteError> {
        let subject = format!("{}{key}", self.store.prefix);
        let ack = self
            .js
            .publish_with_headers(subject, headers, payload)
            .await
            .map_err(|e| RegistryError::kv(op, &self.name, e))?;
        match ack.await {
            Ok(ack) => Ok(ack.sequence),
            Err(err) if err.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {
                Err(WriteError::Conflict)
            }
            Err(err) => Err(RegistryError::kv(op, &self.name, err).into()),
        }
    }

    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        key: &str,
        bytes: &[u8],
    ) -> Result<T, RegistryError> {
        serde_json::from_slice(bytes).map_err(|e| RegistryError::Corrupt {
            bucket: self.name.clone(),
            key: key.to_owned(),
            reason: safe_json_error(&e),
        })
    }
}
