//! The lifecycle records of one site's resources (`crate::lifecycle`), in the site's KV
//! bucket under `=life.<tenant>.<id>` (`=` cannot start a tenant name, so no resource key
//! or count key looks like one). A record exists from the moment an agent takes a queued
//! request, before its resource does, and says where the resource is and how it got
//! there.
//!
//! Every change is a compare-and-set at the revision read: of two agents that race on
//! one resource (a redelivered request, two replicas of a site) one moves it, and the
//! other reads the new state and finds its event no longer applies.

use crate::contract::{Details, ResourceStateV1};
use crate::lifecycle::{Event, NotNow};
use async_nats::jetstream::{self, kv};

/// Attempts of a compare-and-set before giving up.
const MAX_ATTEMPTS: usize = 16;

/// One resource's lifecycle record, as a site answers `status` with it.
pub type Record = ResourceStateV1;

/// Why a record did not move.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The event does not apply to the state the record is in now.
    #[error(transparent)]
    NotNow(#[from] NotNow),
    /// There is no record.
    #[error("no lifecycle record")]
    Missing,
    /// Another queued request carries the work, or none may.
    #[error("the work is not this request's to carry out")]
    Taken,
    /// The bucket failed, or the record kept changing.
    #[error("{0}")]
    Kv(String),
}

/// The records in a site's bucket.
#[derive(Clone)]
pub struct Book {
    kv: kv::Store,
    /// The agent's connection: each move it writes names the region it was made in.
    client: async_nats::Client,
}

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book").finish_non_exhaustive()
    }
}

/// The key of `tenant`'s record of `id`.
pub fn record_key(tenant: &str, id: &str) -> String {
    format!("=life.{tenant}.{id}")
}

impl Book {
    /// The records in `bucket` (which the resource store opened).
    ///
    /// # Errors
    /// [`BookError::Kv`] when the bucket cannot be opened.
    pub async fn open(js: &jetstream::Context, bucket: &str) -> Result<Self, BookError> {
        let kv = js
            .get_key_value(bucket)
            .await
            .map_err(|e| BookError::Kv(format!("opening `{bucket}`: {e}")))?;
        Ok(Book {
            kv,
            client: js.client(),
        })
    }

    /// `tenant`'s record of `id` and its revision.
    ///
    /// # Errors
    /// [`BookError::Kv`] when it cannot be read or is not a record.
    pub async fn get(&self, tenant: &str, id: &str) -> Result<Option<(Record, u64)>, BookError> {
        let key = record_key(tenant, id);
        let entry = self
            .kv
            .entry(key.clone())
            .await
            .map_err(|e| BookError::Kv(format!("reading `{key}`: {e}")))?;
        match entry {
            Some(e) if e.operation == kv::Operation::Put => {
                let record: Record = serde_json::from_slice(&e.value)
                    .map_err(|_| BookError::Kv(format!("`{key}` is not a record")))?;
                Ok((record.tenant == tenant && record.id == id).then_some((record, e.revision)))
            }
            _ => Ok(None),
        }
    }

    /// Every record in the bucket (every tenant's), for a service admin's listing.
    ///
    /// # Errors
    /// [`BookError::Kv`].
    pub async fn all(&self) -> Result<Vec<Record>, BookError> {
        use futures::TryStreamExt as _;
        let fail = |e: &dyn std::fmt::Display| BookError::Kv(format!("listing records: {e}"));
        let keys: Vec<String> = self
            .kv
            .keys()
            .await
            .map_err(|e| fail(&e))?
            .try_collect()
            .await
            .map_err(|e| fail(&e))?;
        let mut out = Vec::new();
        for key in keys {
            let Some((tenant, id)) = key
                .strip_prefix("=life.")
                .and_then(|rest| rest.split_once('.'))
            else {
                continue;
            };
            if let Some((record, _)) = self.get(tenant, id).await? {
                out.push(record);
            }
        }
        out.sort_by_key(|r| r.accepted_at);
        Ok(out)
    }

    /// The record of `fresh`'s resource: `fresh` written when there is none yet, else
    /// the one there (a request delivered again finds what its first delivery wrote).
    ///
    /// # Errors
    /// [`BookError::Kv`].
    pub async fn begin(&self, fresh: Record) -> Result<Record, BookError> {
        let key = record_key(&fresh.tenant, &fresh.id);
        for _ in 0..MAX_ATTEMPTS {
            if let Some((found, _)) = self.get(&fresh.tenant, &fresh.id).await? {
                return Ok(found);
            }
            let mut fresh = fresh.clone();
            let region = crate::region::serving_region(&self.client);
            for made in &mut fresh.lifecycle.history {
                made.region = made.region.take().or_else(|| region.clone());
            }
            let value = serde_json::to_vec(&fresh).map_err(|e| BookError::Kv(e.to_string()))?;
            if self.kv.create(&key, value.into()).await.is_ok() {
                return Ok(fresh);
            }
        }
        Err(BookError::Kv(format!("`{key}` keeps changing")))
    }

    /// Moves `tenant`'s record of `id` by `event` at `now` (work in flight after it due
    /// `deadline_secs` later), with `details` when given; returns the record as written.
    /// A move out of flight, a retry or an approval leaves the work to no queued request
    /// ([`Record::taken_by`] cleared).
    ///
    /// # Errors
    /// [`BookError::Missing`], [`BookError::NotNow`] when the event no longer applies,
    /// [`BookError::Kv`].
    pub async fn apply(
        &self,
        who: (&str, &str),
        event: &Event,
        at: (i64, i64),
        details: Option<&Details>,
    ) -> Result<Record, BookError> {
        self.move_by(who, event, at, (details, None)).await
    }

    /// [`Book::apply`], the work in flight after it carried by the queued request kept
    /// at `taken_by` (when given).
    ///
    /// # Errors
    /// As [`Book::apply`].
    pub async fn move_by(
        &self,
        who: (&str, &str),
        event: &Event,
        (now, deadline_secs): (i64, i64),
        (details, taken_by): (Option<&Details>, Option<u64>),
    ) -> Result<Record, BookError> {
        self.change(who, |record| {
            record.lifecycle = record.lifecycle.after(event, now, deadline_secs)?;
            if let Some(details) = details.filter(|d| !d.is_empty()) {
                record.details = details.clone();
            }
            record.taken_by = taken_by.filter(|_| record.lifecycle.status.is_in_flight());
            Ok(())
        })
        .await
    }

    /// Gives the work in flight of `tenant`'s record of `id` to the queued request kept
    /// at `sequence` (for a retry, retry `attempt`; `None` for the request that began the
    /// record), due no sooner than `until` since it starts now: `true` when it is that
    /// request's to carry out (now, or since an earlier delivery of it), `false` when the
    /// record is not in flight for it or another request carries it.
    ///
    /// # Errors
    /// [`BookError::Kv`].
    pub async fn claim(
        &self,
        (tenant, id): (&str, &str),
        (attempt, sequence): (Option<u32>, u64),
        until: i64,
    ) -> Result<bool, BookError> {
        let claimed = self
            .change((tenant, id), |record| {
                let life = &mut record.lifecycle;
                let free = record.taken_by.is_none_or(|s| s == sequence);
                let this_retry = match attempt {
                    Some(attempt) => attempt > 0 && life.retries == attempt && free,
                    None => record.taken_by == Some(sequence),
                };
                if !this_retry || !life.status.is_in_flight() {
                    return Err(BookError::Taken);
                }
                record.taken_by = Some(sequence);
                life.deadline = life.deadline.map(|d| d.max(until));
                Ok(())
            })
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(BookError::Taken | BookError::Missing) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Changes `tenant`'s record of `id` by `change` (an error leaves it as it was) with
    /// compare-and-set at the revision read, reading again when another writer won;
    /// returns the record as written.
    ///
    /// # Errors
    /// [`BookError::Missing`], `change`'s error, [`BookError::Kv`].
    pub async fn change(
        &self,
        (tenant, id): (&str, &str),
        mut change: impl FnMut(&mut Record) -> Result<(), BookError>,
    ) -> Result<Record, BookError> {
        let key = record_key(tenant, id);
        for _ in 0..MAX_ATTEMPTS {
            let Some((mut record, revision)) = self.get(tenant, id).await? else {
                return Err(BookError::Missing);
            };
            let last_before = record.lifecycle.history.last().cloned();
            change(&mut record)?;
            // A change adds at most one move (a history at its bound drops an old one
            // as it takes it): the move made here names the region it was made in.
            let history = &mut record.lifecycle.history;
            if let Some(made) = history
                .last_mut()
                .filter(|m| Some(&**m) != last_before.as_ref())
            {
                made.region = crate::region::serving_region(&self.client);
            }
            let value = serde_json::to_vec(&record).map_err(|e| BookError::Kv(e.to_string()))?;
            if self.kv.update(&key, value.into(), revision).await.is_ok() {
                return Ok(record);
            }
        }
        Err(BookError::Kv(format!("`{key}` keeps changing")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Lifecycle;

    #[test]
    fn record_keys_cannot_be_resource_or_count_keys() {
        assert_eq!(record_key("acme", "q7"), "=life.acme.q7");
        // Resource keys are `<tenant>.<id>` and counts `<tenant>`, tenants never start
        // with `=`.
        assert!(crate::subjects::check_token("tenant", "=life").is_err());
    }

    #[test]
    fn records_flatten_their_lifecycle() {
        let record = Record {
            id: "q7".into(),
            tenant: "acme".into(),
            site: "sto1".into(),
            resource_type: "folder".into(),
            accepted_at: 5,
            lifecycle: Lifecycle::accepted(5, 60),
            details: Details::new(),
            target_entity: String::new(),
            specification: serde_json::Value::Null,
            taken_by: None,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["status"], "pending");
        assert_eq!(json["deadline"], 65);
        assert!(json.get("details").is_none());
        assert_eq!(serde_json::from_value::<Record>(json).unwrap(), record);
    }
}
