//! One site's resources in a JetStream KV bucket (`agent_<service>_<site>`, file storage,
//! so they survive agent and server restarts).
//!
//! Keys:
//! - `<tenant>.<id>`: one resource, JSON `{"tenant": …, "resource": ResourceV1}`. The
//!   tenant is part of the key, so a lookup on behalf of one tenant cannot find another
//!   tenant's resource; the stored tenant is checked again on read.
//! - `=slots.<tenant>`: the tenant's quota slots at this site, JSON `{"ids": [...]}`: the
//!   ids of the resources that hold one, made or being made (`=` cannot start a tenant).
//!
//! The quota is enforced with compare-and-set on the slots: an allocation first takes a
//! slot for its id (only if fewer than the quota are taken, and only if nobody changed
//! them since they were read), then creates the resource; a deallocation purges the
//! resource, then gives its id's slot back. Replicas of a site therefore never exceed a
//! quota together. Taking and giving back are by id, so doing either again (a request
//! delivered again after its agent died) changes nothing, and a slot whose allocation
//! died between the steps is found by its id and given back by `crate::quota`'s
//! reconciliation ([`slots`] takes and gives them back). Updates are written with
//! compare-and-set on the resource's revision. Ids are random nuids (or `q<sequence>`),
//! created with `create` (fails if the key exists), so they are unique per site.
//!
//! Not here: who may call (see [`crate::caller`]) or the wire format.

use async_nats::jetstream::{self, kv};
use futures::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::contract::ResourceV1;
use crate::subjects::site_of_bucket;

pub mod slots;

/// How often a compare-and-set on the quota slots is retried before giving up.
pub const MAX_CAS_ATTEMPTS: usize = 32;

/// A store operation that failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The tenant is at its quota.
    #[error("quota of {quota} resources reached")]
    QuotaExceeded {
        /// The quota.
        quota: u64,
    },
    /// A KV call failed.
    #[error("{op}: {reason}")]
    Kv {
        /// What was being done.
        op: &'static str,
        /// The client's error.
        reason: String,
    },
    /// The quota slots kept changing under us.
    #[error("{op}: too many concurrent changes of the quota slots of tenant `{tenant}`")]
    Contended {
        /// What was being done.
        op: &'static str,
        /// The tenant.
        tenant: String,
    },
    /// A stored value is not what this agent writes.
    #[error("value of key `{key}` is not valid")]
    Corrupt {
        /// The key.
        key: String,
    },
}

pub(crate) fn kv_error(op: &'static str) -> impl FnOnce(&dyn std::fmt::Display) -> StoreError {
    move |err| StoreError::Kv {
        op,
        reason: err.to_string(),
    }
}

/// A resource as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stored {
    tenant: String,
    resource: ResourceV1,
}

/// One site's bucket.
#[derive(Debug, Clone)]
pub struct ResourceStore {
    kv: kv::Store,
}

impl ResourceStore {
    /// Opens bucket `bucket`, creating it (history 1, file storage) if missing.
    ///
    /// # Errors
    /// [`StoreError::Kv`] when it neither exists nor can be created.
    pub async fn open(js: &jetstream::Context, bucket: &str) -> Result<Self, StoreError> {
        let kv = match js.get_key_value(bucket).await {
            Ok(kv) => kv,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: bucket.to_owned(),
                    description: String::from("resources of one provisioning-service site"),
                    history: 1,
                    storage: jetstream::stream::StorageType::File,
                    ..Default::default()
                })
                .await
                .map_err(|e| kv_error("creating the bucket")(&e))?,
        };
        Ok(Self { kv })
    }

    /// Stores `resource` in the slot [`ResourceStore::reserve`] took for it; gives the
    /// slot back when it cannot.
    ///
    /// # Errors
    /// [`StoreError::Kv`].
    pub async fn insert(&self, tenant: &str, resource: ResourceV1) -> Result<(), StoreError> {
        let key = resource_key(tenant, &resource.id);
        let id = resource.id.clone();
        let value = serde_json::to_vec(&Stored {
            tenant: tenant.to_owned(),
            resource,
        })
        .map_err(|e| kv_error("encoding the resource")(&e))?;
        if let Err(err) = self.kv.create(&key, value.into()).await {
            if let Err(undo) = self.release(tenant, &id).await {
                tracing::warn!(tenant, error = %undo, "a slot stays taken until a recount");
            }
            return Err(kv_error("storing the resource")(&err));
        }
        Ok(())
    }

    /// `tenant`'s resource `id`, if it has one.
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn get(&self, tenant: &str, id: &str) -> Result<Option<ResourceV1>, StoreError> {
        Ok(self
            .entry(tenant, id)
            .await?
            .map(|(stored, _)| stored.resource))
    }

    async fn entry(&self, tenant: &str, id: &str) -> Result<Option<(Stored, u64)>, StoreError> {
        let key = resource_key(tenant, id);
        let Some(entry) = self
            .kv
            .entry(key.clone())
            .await
            .map_err(|e| kv_error("reading a resource")(&e))?
        else {
            return Ok(None);
        };
        if entry.operation != kv::Operation::Put {
            return Ok(None);
        }
        let stored: Stored =
            serde_json::from_slice(&entry.value).map_err(|_| StoreError::Corrupt { key })?;
        // INVARIANT: the key already scopes by tenant; this guards against a hand edit.
        Ok((stored.tenant == tenant && stored.resource.id == id)
            .then_some((stored, entry.revision)))
    }

    /// `tenant`'s resources here, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn list(&self, tenant: &str) -> Result<Vec<ResourceV1>, StoreError> {
        let prefix = format!("{tenant}.");
        let keys: Vec<String> = self
            .kv
            .keys()
            .await
            .map_err(|e| kv_error("listing keys")(&e))?
            .try_collect()
            .await
            .map_err(|e| kv_error("listing keys")(&e))?;
        let mut out = Vec::new();
        for id in keys.iter().filter_map(|k| k.strip_prefix(&prefix)) {
            // A resource deallocated meanwhile is simply not listed.
            if let Some(resource) = self.get(tenant, id).await? {
                out.push(resource);
            }
        }
        out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(out)
    }

    /// Removes `tenant`'s resource `id`; `false` when it has none by that id (also when
    /// the id is another tenant's).
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`], [`StoreError::Contended`].
    pub async fn deallocate(&self, tenant: &str, id: &str) -> Result<bool, StoreError> {
        let Some((_, revision)) = self.entry(tenant, id).await? else {
            return Ok(false);
        };
        match self
            .kv
            .purge_expect_revision(resource_key(tenant, id), Some(revision))
            .await
        {
            Ok(()) => {}
            // Someone else removed it first: for this caller it does not exist.
            Err(err) if self.entry(tenant, id).await?.is_none() => {
                tracing::debug!(error = %err, "resource removed concurrently");
                return Ok(false);
            }
            Err(err) => return Err(kv_error("removing the resource")(&err)),
        }
        self.release(tenant, id).await?;
        Ok(true)
    }

    /// Writes `resource`, a new version of `tenant`'s resource of that id, unless it
    /// changed since `revision` was read; `false` when it did (or is gone).
    ///
    /// # Errors
    /// [`StoreError::Kv`].
    pub async fn replace(
        &self,
        tenant: &str,
        resource: ResourceV1,
        revision: u64,
    ) -> Result<bool, StoreError> {
        let key = resource_key(tenant, &resource.id);
        let value = serde_json::to_vec(&Stored {
            tenant: tenant.to_owned(),
            resource,
        })
        .map_err(|e| kv_error("encoding the resource")(&e))?;
        match self.kv.update(key, value.into(), revision).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
            Err(e) => Err(kv_error("updating the resource")(&e)),
        }
    }

    /// `tenant`'s resource `id` with the revision to compare against in
    /// [`ResourceStore::replace`].
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn get_with_revision(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<(ResourceV1, u64)>, StoreError> {
        Ok(self
            .entry(tenant, id)
            .await?
            .map(|(stored, revision)| (stored.resource, revision)))
    }
}

/// The key of `tenant`'s resource `id`.
pub fn resource_key(tenant: &str, id: &str) -> String {
    format!("{tenant}.{id}")
}

/// The sites of `service` that have a bucket in this account, sorted.
///
/// # Errors
/// [`StoreError::Kv`] when the stream names cannot be listed.
pub async fn known_sites(
    js: &jetstream::Context,
    service: &str,
) -> Result<Vec<String>, StoreError> {
    let names: Vec<String> = js
        .stream_names()
        .try_collect()
        .await
        .map_err(|e| kv_error("listing buckets")(&e))?;
    let mut sites: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix("KV_"))
        .filter_map(|b| site_of_bucket(service, b))
        .map(str::to_owned)
        .collect();
    sites.sort();
    sites.dedup();
    Ok(sites)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_scope_resources_by_tenant() {
        assert_eq!(resource_key("acme", "ABC"), "acme.ABC");
        assert_ne!(resource_key("acme", "ABC"), resource_key("globex", "ABC"));
    }

    #[test]
    fn display() {
        assert_eq!(
            StoreError::QuotaExceeded { quota: 3 }.to_string(),
            "quota of 3 resources reached"
        );
        assert_eq!(
            StoreError::Corrupt { key: "acme".into() }.to_string(),
            "value of key `acme` is not valid"
        );
    }
}
