//! A tenant's quota slots at a site (the key `=slots.<tenant>`, JSON `{"ids": [...]}`):
//! the ids of the resources made or being made there, each holding one slot. Taking a
//! slot and giving it back are compare-and-set changes of the set by id, so replicas of a
//! site never exceed a quota together, and doing either again for the same id changes
//! nothing. Slots never written start as the resources that exist.
//!
//! Not here: which slots should be held (`crate::quota`, which recounts them).

use std::collections::BTreeSet;

use async_nats::jetstream::kv;
use serde::{Deserialize, Serialize};

use super::{kv_error, ResourceStore, StoreError, MAX_CAS_ATTEMPTS};

/// The ids holding a tenant's quota slots.
pub type Slots = BTreeSet<String>;

/// The slots as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HeldSlots {
    ids: Slots,
}

/// The key of `tenant`'s quota slots.
pub fn slots_key(tenant: &str) -> String {
    format!("=slots.{tenant}")
}

impl ResourceStore {
    /// Takes one of `tenant`'s `quota` slots here for resource `id`, about to be made; a
    /// slot `id` holds already (an allocation taken again) is kept.
    ///
    /// # Errors
    /// [`StoreError::QuotaExceeded`], [`StoreError::Contended`], [`StoreError::Kv`].
    pub async fn reserve(&self, tenant: &str, id: &str, quota: u64) -> Result<(), StoreError> {
        self.change_slots(tenant, |ids| {
            if ids.contains(id) {
                return Ok(false);
            }
            if u64::try_from(ids.len()).unwrap_or(u64::MAX) >= quota {
                return Err(StoreError::QuotaExceeded { quota });
            }
            Ok(ids.insert(id.to_owned()))
        })
        .await
    }

    /// Gives back the slot [`ResourceStore::reserve`] took for `id` (nothing when it
    /// holds none).
    ///
    /// # Errors
    /// [`StoreError::Contended`], [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn release(&self, tenant: &str, id: &str) -> Result<(), StoreError> {
        self.change_slots(tenant, |ids| Ok(ids.remove(id))).await
    }

    /// How many of `tenant`'s quota slots here are taken.
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn count(&self, tenant: &str) -> Result<u64, StoreError> {
        let ids = match self.slots(tenant).await? {
            Some((ids, _)) => ids,
            None => self.made(tenant).await?,
        };
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }

    /// The ids holding `tenant`'s quota slots here and the revision to compare against;
    /// `None` when they were never written.
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn slots(&self, tenant: &str) -> Result<Option<(Slots, u64)>, StoreError> {
        let key = slots_key(tenant);
        let entry = self
            .kv
            .entry(key.clone())
            .await
            .map_err(|e| kv_error("reading the quota slots")(&e))?;
        match entry {
            None => Ok(None),
            Some(e) if e.operation != kv::Operation::Put => Ok(Some((Slots::new(), e.revision))),
            Some(e) => {
                let held: HeldSlots =
                    serde_json::from_slice(&e.value).map_err(|_| StoreError::Corrupt { key })?;
                Ok(Some((held.ids, e.revision)))
            }
        }
    }

    /// Writes `ids` as `tenant`'s slots unless they changed since `revision` was read
    /// (`None`: unless they were written at all); `false` when they did.
    ///
    /// # Errors
    /// [`StoreError::Kv`].
    pub async fn write_slots(
        &self,
        tenant: &str,
        ids: &Slots,
        revision: Option<u64>,
    ) -> Result<bool, StoreError> {
        const OP: &str = "writing the quota slots";
        let key = slots_key(tenant);
        let value = serde_json::to_vec(&HeldSlots { ids: ids.clone() })
            .map_err(|e| kv_error(OP)(&e))?
            .into();
        match revision {
            None => match self.kv.create(&key, value).await {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(kv_error(OP)(&e)),
            },
            Some(rev) => match self.kv.update(&key, value, rev).await {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
                Err(e) => Err(kv_error(OP)(&e)),
            },
        }
    }

    /// The ids of `tenant`'s resources here (made, not removed).
    ///
    /// # Errors
    /// [`StoreError::Kv`], [`StoreError::Corrupt`].
    pub async fn made(&self, tenant: &str) -> Result<Slots, StoreError> {
        Ok(self.list(tenant).await?.into_iter().map(|r| r.id).collect())
    }

    /// Changes `tenant`'s slots by `change` (which says whether it changed them) with
    /// compare-and-set, retrying when another replica changed them meanwhile. Slots never
    /// written start as the resources made (those of an agent that counted them).
    async fn change_slots(
        &self,
        tenant: &str,
        change: impl Fn(&mut Slots) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        for _ in 0..MAX_CAS_ATTEMPTS {
            let (mut ids, revision) = match self.slots(tenant).await? {
                Some((ids, revision)) => (ids, Some(revision)),
                None => (self.made(tenant).await?, None),
            };
            if !change(&mut ids)? {
                return Ok(());
            }
            if self.write_slots(tenant, &ids, revision).await? {
                return Ok(());
            }
            // Lost the race: read again.
        }
        Err(StoreError::Contended {
            op: "updating the quota slots",
            tenant: tenant.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_have_a_key_no_tenant_can_have_and_a_sorted_list() {
        assert_eq!(slots_key("acme"), "=slots.acme");
        assert!(crate::subjects::check_token("tenant", "=slots").is_err());
        let held = HeldSlots {
            ids: Slots::from(["q2".to_owned(), "a1".to_owned()]),
        };
        assert_eq!(
            serde_json::to_string(&held).unwrap(),
            r#"{"ids":["a1","q2"]}"#
        );
    }
}
