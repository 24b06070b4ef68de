//! The issuance history: one record per credential issued, through every door, kept in a
//! JetStream stream for a configured age so that "who got credentials, and when" survives
//! restarts of every process, the server's included.
//!
//! A record's subject names its tenant and user (`creds.audit.issued.<tenant>.<name>`,
//! both as KV key tokens), so a tenant's history, or one user's, is read with a filtered
//! consumer that touches no other tenant's records. The subjects sit under `creds.audit.>`,
//! which the provisioner may already publish to in every estate `nsc-setup` made.
//!
//! Records are appended by the provisioner after the reply (`provisioner::audit_queue`);
//! reading is [`History::page`], oldest first, from a time or after a cursor (the stream
//! sequence of the last record a page held).

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::entry::key_token;
use crate::error::RegistryError;
use crate::stream::ensure;

/// Suffix of the history stream's name (`creds_history`).
pub const HISTORY_STREAM: &str = "history";
/// Subject prefix of the history's records.
pub const HISTORY_SUBJECT_PREFIX: &str = "creds.audit.issued";
/// The most records one page holds.
pub const MAX_PAGE: usize = 500;
/// How long reading a page may take.
const PAGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a page waits for the next record before ending.
const PAGE_IDLE: Duration = Duration::from_millis(500);

/// One issuance, as recorded. Carries no JWT, seed or token: the public key and the
/// JWT's id say which credential it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issuance {
    /// When it was issued, Unix seconds.
    pub ts: i64,
    /// The tenant.
    pub tenant: String,
    /// The user's name.
    pub name: String,
    /// The user public key the JWT was minted for.
    pub user_public_key: String,
    /// The JWT's id.
    pub jti: String,
    /// When the JWT expires, Unix seconds.
    pub expires: i64,
    /// The request id (the reply's and the audit event's).
    pub request_id: String,
    /// The door: `request` (a NATS credential request) or `callout` (a CONNECT).
    pub door: String,
    /// `http` when the request came through the HTTP API (as its caller said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The calling user's public key, when the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_user: Option<String>,
    /// The region that served the request, when the replica's server is in a cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// One page of history: records with their stream sequences, and where the next page
/// starts when more follow.
#[derive(Debug, Clone, Default)]
pub struct HistoryPage {
    /// `(sequence, record)`, oldest first.
    pub records: Vec<(u64, Issuance)>,
    /// The cursor of the next page.
    pub next: Option<u64>,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// The oldest record kept.
    Start,
    /// The first record at or after this time (Unix seconds).
    Since(i64),
    /// The first record after this cursor.
    After(u64),
}

/// The history stream.
#[derive(Clone)]
pub struct History {
    js: jetstream::Context,
    name: String,
}

/// The subject of `tenant`'s records of `name`.
pub fn record_subject(tenant: &str, name: &str) -> String {
    format!(
        "{HISTORY_SUBJECT_PREFIX}.{}.{}",
        key_token(tenant),
        key_token(name)
    )
}

/// The filter of `tenant`'s records, or of one user's.
pub fn filter(tenant: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => record_subject(tenant, name),
        None => format!("{HISTORY_SUBJECT_PREFIX}.{}.>", key_token(tenant)),
    }
}

impl History {
    /// Opens the stream `name`, creating it when missing (with `replicas`, placed by
    /// `placement_tags`, see [`crate::kv::placement`]) and setting
    /// its max age to the one asked for; retries while JetStream is not ready.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the stream can be neither found nor created.
    pub async fn open(
        js: &jetstream::Context,
        name: &str,
        replicas: usize,
        placement_tags: &[String],
        max_age: Duration,
    ) -> Result<History, RegistryError> {
        let config = stream::Config {
            name: name.to_owned(),
            description: Some(String::from("credential issuances, by tenant and user")),
            subjects: vec![format!("{HISTORY_SUBJECT_PREFIX}.>")],
            max_age,
            num_replicas: replicas,
            placement: crate::kv::placement(placement_tags),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        // The operator may have changed how long history is kept.
        let fits = |existing: &stream::Config| existing.max_age == max_age;
        ensure(js, &config, fits, "creating history stream").await?;
        Ok(History {
            js: js.clone(),
            name: name.to_owned(),
        })
    }

    /// The stream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `record` to the stream and returns the stream's acknowledgement to wait
    /// for, so that a writer may keep many appends in flight.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when it cannot be sent.
    pub async fn send(
        &self,
        record: &Issuance,
    ) -> Result<jetstream::context::PublishAckFuture, RegistryError> {
        let fail = |e: &dyn std::fmt::Display| RegistryError::kv("recording", &self.name, e);
        let body = serde_json::to_vec(record).map_err(|e| fail(&e))?;
        let subject = record_subject(&record.tenant, &record.name);
        self.js
            .publish(subject, body.into())
            .await
            .map_err(|e| fail(&e))
    }

    /// Appends `record`, waiting for the stream's acknowledgement.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when the stream does not store it.
    pub async fn append(&self, record: &Issuance) -> Result<(), RegistryError> {
        self.send(record)
            .await?
            .await
            .map_err(|e| RegistryError::kv("recording", &self.name, e))?;
        Ok(())
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) of `tenant`'s records, or of user `name`'s,
    /// oldest first, from `from`.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when reading fails or takes too long;
    /// [`RegistryError::Corrupt`] for a record that is not the expected JSON.
    pub async fn page(
        &self,
        tenant: &str,
        name: Option<&str>,
        from: From,
        limit: usize,
    ) -> Result<HistoryPage, RegistryError> {
        let limit = limit.clamp(1, MAX_PAGE);
        tokio::time::timeout(PAGE_TIMEOUT, self.read(&filter(tenant, name), from, limit))
            .await
            .map_err(|_| RegistryError::kv("reading history", &self.name, "timed out"))?
    }

    async fn read(
        &self,
        filter: &str,
        from: From,
        limit: usize,
    ) -> Result<HistoryPage, RegistryError> {
        let fail = |e: &dyn std::fmt::Display| RegistryError::kv("reading history", &self.name, e);
        let deliver_policy = match from {
            From::Start => consumer::DeliverPolicy::All,
            From::Since(ts) => consumer::DeliverPolicy::ByStartTime {
                start_time: time::OffsetDateTime::from_unix_timestamp(ts).map_err(|e| fail(&e))?,
            },
            From::After(seq) => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: seq.saturating_add(1),
            },
        };
        let stream = self.js.get_stream(&self.name).await.map_err(|e| fail(&e))?;
        let consumer = stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: self.js.client().new_inbox(),
                description: Some(String::from("provisioner history page")),
                filter_subject: filter.to_owned(),
                replay_policy: consumer::ReplayPolicy::Instant,
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|e| fail(&e))?;
        let mut page = HistoryPage::default();
        if consumer.cached_info().num_pending == 0 {
            return Ok(page);
        }
        let mut messages = consumer.messages().await.map_err(|e| fail(&e))?;
        // Records older than the max age may go while the page is read: when nothing
        // arrives for a while the page ends with what it has.
        while let Ok(Some(message)) = tokio::time::timeout(PAGE_IDLE, messages.next()).await {
            let message = message.map_err(|e| fail(&e))?;
            let (pending, seq) = {
                let info = message.info().map_err(|e| fail(&e))?;
                (info.pending, info.stream_sequence)
            };
            let record: Issuance =
                serde_json::from_slice(&message.payload).map_err(|e| RegistryError::Corrupt {
                    bucket: self.name.clone(),
                    key: message.subject.to_string(),
                    reason: e.to_string(),
                })?;
            page.records.push((seq, record));
            if pending == 0 {
                break;
            }
            if page.records.len() >= limit {
                page.next = Some(seq);
                break;
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_tenant_and_user_as_key_tokens() {
        assert_eq!(
            record_subject("acme", "alice"),
            "creds.audit.issued.acme.alice"
        );
        assert_eq!(
            record_subject("acme", "a.b"),
            format!("creds.audit.issued.acme.={}", "612e62")
        );
        assert_eq!(filter("acme", None), "creds.audit.issued.acme.>");
        assert_eq!(filter("acme", Some("bob")), "creds.audit.issued.acme.bob");
    }

    #[test]
    fn records_round_trip_without_empty_fields() {
        let record = Issuance {
            ts: 1,
            tenant: "acme".into(),
            name: "alice".into(),
            user_public_key: "UABC".into(),
            jti: "J".into(),
            expires: 2,
            request_id: "r".into(),
            door: "request".into(),
            via: None,
            caller_user: None,
            region: None,
        };
        let text = serde_json::to_string(&record).unwrap();
        assert!(!text.contains("via"), "{text}");
        assert_eq!(serde_json::from_str::<Issuance>(&text).unwrap(), record);
    }
}
