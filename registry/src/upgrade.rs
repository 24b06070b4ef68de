//! Start-up work for entries written before every write carried a lifetime (`expiry`):
//! an older release wrote user entries and invites that would otherwise stay for good.
//!
//! - User entries: when opening the registry turned per-message TTL on, it marked the
//!   users bucket ([`LIFETIMES_PENDING_KEY`]); each tenant's entries are then rewritten
//!   once with their lifetimes (those long dead get a second), and the mark goes last,
//!   so a run cut short is finished by the next start.
//! - Legacy invites (stored under a bare id): rewritten with their lifetimes at every
//!   start, a set that no longer grows (older replicas of a rolling upgrade may still add
//!   a few) and empties within 30 days.
//!
//! Every rewrite is a compare-and-set at the revision listed: an entry written meanwhile
//! already carries its lifetime and is left alone.

use crate::entry::{tenant_filter, UserEntry};
use crate::error::RegistryError;
use crate::expiry::user_keep_until;
use crate::invite::{InviteEntry, LEGACY_INVITES_FILTER};
use crate::kv::{Slot, WriteError};
use crate::lease::{lease_key, Lease};
use crate::store::{LifetimesPending, Registry, LIFETIMES_PENDING_KEY};

impl Registry {
    /// Gives the user entries of `tenants` written before per-message TTL their
    /// lifetimes, when the users bucket is marked for it; returns how many were given
    /// one. Entries of tenants no longer in the policy are left as they are.
    ///
    /// # Errors
    /// [`RegistryError`] when a listing, a read or a write fails (the mark stays).
    pub async fn give_users_lifetimes(
        &self,
        tenants: &[String],
        now: i64,
    ) -> Result<u64, RegistryError> {
        let mark = self
            .users
            .read::<LifetimesPending>(LIFETIMES_PENDING_KEY)
            .await?;
        let Slot::Present(mark) = mark else {
            return Ok(0);
        };
        let mut given = 0;
        for tenant in tenants {
            for (key, found) in self.users.list::<UserEntry>(&tenant_filter(tenant)).await? {
                if user_keep_until(&found.value, None).is_none() {
                    continue;
                }
                let lease_exp = match found.value.lease {
                    Some(index) => self.lease_exp(tenant, index, &key).await?,
                    None => None,
                };
                let written = self
                    .write_user(&key, &found.value, found.revision, (lease_exp, now))
                    .await;
                match written {
                    Ok(_) => given += 1,
                    Err(WriteError::Conflict) => {}
                    Err(WriteError::Failed(err)) => return Err(err),
                }
            }
        }
        match self
            .users
            .remove(LIFETIMES_PENDING_KEY, mark.revision)
            .await
        {
            Ok(()) | Err(WriteError::Conflict) => Ok(given),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// The expiry of lease `index` of `tenant` if the user under `user_key` holds it.
    async fn lease_exp(
        &self,
        tenant: &str,
        index: u64,
        user_key: &str,
    ) -> Result<Option<i64>, RegistryError> {
        let slot = user_key.split_once('.').map_or("", |(_, slot)| slot);
        Ok(
            match self.leases.read::<Lease>(&lease_key(tenant, index)).await? {
                Slot::Present(lease) if lease.value.slot == slot => Some(lease.value.exp),
                _ => None,
            },
        )
    }

    /// Rewrites every legacy invite with its lifetime (spent ones go within the hour,
    /// expired ones within a second); returns how many.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing or a write fails.
    pub async fn give_legacy_invites_lifetimes(&self, now: i64) -> Result<u64, RegistryError> {
        let mut given = 0;
        for (key, found) in self
            .invites
            .list::<InviteEntry>(LEGACY_INVITES_FILTER)
            .await?
        {
            match self
                .write_invite(&key, &found.value, found.revision, now)
                .await
            {
                Ok(_) => given += 1,
                Err(WriteError::Conflict) => {}
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Ok(given)
    }
}
