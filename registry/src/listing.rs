//! Listing a bucket: the latest value of every key under a key filter (such as `acme.>`
//! or `acme.*`), read with an ordered consumer filtered to those keys' subjects, so a
//! listing reads the keys it names and no others.
//!
//! A value can be removed by its lifetime (per-message TTL) after the consumer counted
//! it and before it is delivered; no marker is left then. So when nothing arrives for a
//! while the stream is asked whether anything under the filter follows the last value
//! delivered, and the listing ends when nothing does, instead of waiting for a value
//! that is gone.

use std::time::Duration;

use async_nats::jetstream::consumer;
use async_nats::jetstream::stream::RawMessageErrorKind;
use futures::StreamExt as _;
use serde::de::DeserializeOwned;

use crate::error::RegistryError;
use crate::kv::{
    Bucket, Versioned, KV_DELETE, KV_OPERATION_HEADER, KV_PURGE, MARKER_REASON_HEADER,
};

/// How long a listing may take before it fails.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a listing waits for the next value before asking whether one is left.
const LIST_IDLE: Duration = Duration::from_secs(1);

impl Bucket {
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
        let deliver = consumer::DeliverPolicy::LastPerSubject;
        let scanned = tokio::time::timeout(LIST_TIMEOUT, self.scan(filter, deliver, usize::MAX))
            .await
            .map_err(|_| RegistryError::kv("listing", &self.name, "timed out"))??;
        Ok(scanned.values)
    }

    /// One page of the values matching `filter`: at most `limit` of them, in the order
    /// they were last written, starting after the value at stream sequence `after` (0:
    /// from the start). A bucket keeps one value per key (history 1), so reading the
    /// stream from a sequence on reads each live key once; a key written again while
    /// paging moves to the end and may be seen twice, never missed. Returns the values
    /// and, when more follow, the sequence to continue after.
    ///
    /// # Errors
    /// As [`Bucket::list`].
    pub async fn page<T: DeserializeOwned>(
        &self,
        filter: &str,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<(String, Versioned<T>)>, Option<u64>), RegistryError> {
        let deliver = consumer::DeliverPolicy::ByStartSequence {
            start_sequence: after.saturating_add(1),
        };
        let scanned = tokio::time::timeout(LIST_TIMEOUT, self.scan(filter, deliver, limit.max(1)))
            .await
            .map_err(|_| RegistryError::kv("listing", &self.name, "timed out"))??;
        Ok((scanned.values, scanned.more.then_some(scanned.last)))
    }

    async fn scan<T: DeserializeOwned>(
        &self,
        filter: &str,
        deliver_policy: consumer::DeliverPolicy,
        limit: usize,
    ) -> Result<Scanned<T>, RegistryError> {
        let fail = |e: &dyn std::fmt::Display| RegistryError::kv("listing", &self.name, e);
        let stream = self
            .js
            .get_stream(&self.store.stream_name)
            .await
            .map_err(|e| fail(&e))?;
        let filter_subject = format!("{}{filter}", self.store.prefix);
        let consumer = stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: self.js.client().new_inbox(),
                description: Some(String::from("provisioner registry listing")),
                filter_subject: filter_subject.clone(),
                replay_policy: consumer::ReplayPolicy::Instant,
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|e| fail(&e))?;
        let mut out = Vec::new();
        if consumer.cached_info().num_pending == 0 {
            return Ok(Scanned::done(out, 0));
        }
        let mut messages = consumer.messages().await.map_err(|e| fail(&e))?;
        let mut last = 0;
        loop {
            let message = match tokio::time::timeout(LIST_IDLE, messages.next()).await {
                Ok(Some(message)) => message.map_err(|e| fail(&e))?,
                Ok(None) => break,
                Err(_) => {
                    // Is a value left after the last one delivered, or did the rest expire?
                    match stream
                        .get_first_raw_message_by_subject(&filter_subject, last + 1)
                        .await
                    {
                        Ok(_) => continue,
                        Err(err) if err.kind() == RawMessageErrorKind::NoMessageFound => break,
                        Err(err) => return Err(fail(&err)),
                    }
                }
            };
            let (pending, revision) = {
                let info = message.info().map_err(|e| fail(&e))?;
                (info.pending, info.stream_sequence)
            };
            last = last.max(revision);
            let deleted = message.headers.as_ref().is_some_and(|h| {
                h.get(MARKER_REASON_HEADER).is_some()
                    || h.get(KV_OPERATION_HEADER)
                        .is_some_and(|op| op.as_str() == KV_DELETE || op.as_str() == KV_PURGE)
            });
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
            if out.len() >= limit {
                return Ok(Scanned {
                    values: out,
                    last,
                    more: true,
                });
            }
        }
        Ok(Scanned::done(out, last))
    }
}

/// What a scan read: the values, the last stream sequence it saw, and whether more
/// values may follow.
struct Scanned<T> {
    values: Vec<(String, Versioned<T>)>,
    last: u64,
    more: bool,
}

impl<T> Scanned<T> {
    fn done(values: Vec<(String, Versioned<T>)>, last: u64) -> Self {
        Scanned {
            values,
            last,
            more: false,
        }
    }
}
