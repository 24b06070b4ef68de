//! Taking, renewing and giving back quota leases (`lease` has the values and why).
//!
//! A new active user tries a few indices drawn from its slot (spread like random draws,
//! the same on every replica and every retry) and takes the first free one with a create
//! (or a compare-and-set over an expired lease): one round trip while the tenant is far
//! from its quota, whatever its size. A lease already naming the slot is the slot's own
//! (a retry after a lost acknowledgement) and is renewed, never taken twice. When draws
//! keep finding held leases, the tenant's leases are listed and the free indices tried in
//! turn; only when none is left is the quota exceeded. A user that holds a lease renews
//! it in place.

use crate::entry::key_token;
use crate::error::RegistryError;
use crate::kv::{Slot, Versioned, WriteError};
use crate::lease::{
    free_indices, lease_filter, lease_index, lease_key, random_index, slot_index, Lease,
};
use crate::settings::MAX_ATTEMPTS;
use crate::store::Registry;

/// Draws from the slot before listing the tenant's leases.
const RANDOM_DRAWS: u64 = 16;
/// Free indices tried from one listing.
const CANDIDATES: usize = 16;

/// A lease a reservation took or renewed, to record in the user entry and to give back
/// if the reservation is rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLease {
    /// The lease's index.
    pub index: u64,
    /// Its revision after the write.
    pub revision: u64,
    /// The expiry it holds after the write (0: never); the holder's entry outlives it.
    pub exp: i64,
    /// What it held before: `None` for a fresh key, else the expired lease taken over or
    /// the holder's own lease before renewal.
    pub previous: Option<Lease>,
}

/// Why no lease was had.
#[derive(Debug)]
pub enum LeaseError {
    /// Every lease is held.
    QuotaExceeded,
    /// The holder's own lease moved on meanwhile: decide again.
    Conflict,
    /// The registry failed.
    Registry(RegistryError),
}

impl From<RegistryError> for LeaseError {
    fn from(err: RegistryError) -> Self {
        LeaseError::Registry(err)
    }
}

impl Registry {
    /// Renews lease `held` of `slot` when the slot still holds it, else takes a free
    /// one of the tenant's `max`, for a JWT expiring at `exp`.
    ///
    /// # Errors
    /// [`LeaseError::QuotaExceeded`] when every lease is held by another slot.
    pub async fn hold_lease(
        &self,
        tenant: &str,
        slot: &str,
        held: Option<u64>,
        (exp, max, now): (i64, u64, i64),
    ) -> Result<HeldLease, LeaseError> {
        if let Some(index) = held.filter(|i| *i < max) {
            let key = lease_key(tenant, index);
            if let Slot::Present(own) = self.leases.read::<Lease>(&key).await? {
                if own.value.slot == slot {
                    let next = own.value.renewed(exp);
                    return match self.leases.write(&key, &next, own.revision).await {
                        Ok(revision) => Ok(HeldLease {
                            index,
                            revision,
                            exp: next.exp,
                            previous: Some(own.value),
                        }),
                        Err(WriteError::Conflict) => Err(LeaseError::Conflict),
                        Err(WriteError::Failed(err)) => Err(err.into()),
                    };
                }
            }
        }
        let lease = Lease {
            slot: slot.to_owned(),
            exp,
        };
        for k in 0..RANDOM_DRAWS {
            let index = slot_index(slot, k, max);
            if let Some(taken) = self.take_lease(tenant, index, &lease, None, now).await? {
                return Ok(taken);
            }
        }
        for _ in 0..MAX_ATTEMPTS {
            let listed = self.leases.list::<Lease>(&lease_filter(tenant)).await?;
            let mut taken: Vec<u64> = Vec::with_capacity(listed.len());
            let mut expired = Vec::new();
            let mut own = None;
            for (key, found) in listed {
                let Some(index) = lease_index(&key).filter(|i| *i < max) else {
                    continue;
                };
                taken.push(index);
                if found.value.slot == slot {
                    own = Some((index, found));
                } else if !found.value.is_held(now) {
                    expired.push((index, found));
                }
            }
            // The slot's own lease, taken by an attempt whose answer was lost.
            if let Some((index, found)) = own {
                let over = Some(found);
                if let Some(taken) = self.take_lease(tenant, index, &lease, over, now).await? {
                    return Ok(taken);
                }
                continue;
            }
            taken.sort_unstable();
            let free = free_indices(&taken, max, random_index(max), CANDIDATES);
            if free.is_empty() && expired.is_empty() {
                return Err(LeaseError::QuotaExceeded);
            }
            for index in free {
                if let Some(taken) = self.take_lease(tenant, index, &lease, None, now).await? {
                    return Ok(taken);
                }
            }
            for (index, old) in expired {
                let over = Some(old);
                if let Some(taken) = self.take_lease(tenant, index, &lease, over, now).await? {
                    return Ok(taken);
                }
            }
        }
        Err(LeaseError::Registry(RegistryError::contended(
            self.leases.name(),
            &lease_filter(tenant),
        )))
    }

    /// Takes lease `index` if it is free: missing (a create) or expired (a
    /// compare-and-set over it). `known` is the expired lease a listing found there.
    async fn take_lease(
        &self,
        tenant: &str,
        index: u64,
        lease: &Lease,
        known: Option<Versioned<Lease>>,
        now: i64,
    ) -> Result<Option<HeldLease>, RegistryError> {
        let key = lease_key(tenant, index);
        let (expected, previous) = match known {
            Some(old) => (old.revision, Some(old.value)),
            // Most draws find a key never written: try the create before reading.
            None => match self.leases.write(&key, lease, 0).await {
                Ok(revision) => {
                    return Ok(Some(HeldLease {
                        index,
                        revision,
                        exp: lease.exp,
                        previous: None,
                    }))
                }
                Err(WriteError::Failed(err)) => return Err(err),
                Err(WriteError::Conflict) => match self.leases.read::<Lease>(&key).await? {
                    Slot::Missing { revision } => (revision, None),
                    Slot::Present(old)
                        if old.value.slot == lease.slot || !old.value.is_held(now) =>
                    {
                        (old.revision, Some(old.value))
                    }
                    Slot::Present(_) => return Ok(None),
                },
            },
        };
        // The slot's own lease lasts as long as the longest JWT it covers.
        let next = match &previous {
            Some(old) if old.slot == lease.slot => old.renewed(lease.exp),
            _ => lease.clone(),
        };
        match self.leases.write(&key, &next, expected).await {
            Ok(revision) => Ok(Some(HeldLease {
                index,
                revision,
                exp: next.exp,
                previous,
            })),
            Err(WriteError::Conflict) => Ok(None),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// Gives back a lease a rolled-back reservation took (or restores the one it
    /// renewed), if nobody wrote it since.
    pub async fn undo_lease(&self, tenant: &str, held: &HeldLease) {
        let key = lease_key(tenant, held.index);
        let undone = match &held.previous {
            Some(previous) => self
                .leases
                .write(&key, previous, held.revision)
                .await
                .map(drop),
            None => self.leases.remove(&key, held.revision).await,
        };
        if let Err(err) = undone {
            tracing::warn!(error = %err, "giving back a quota lease failed");
        }
    }

    /// Frees lease `index` of `tenant` if `slot` holds it (a revoked user).
    ///
    /// # Errors
    /// [`RegistryError`] when the lease cannot be read or removed.
    pub async fn release_lease(
        &self,
        tenant: &str,
        index: u64,
        slot: &str,
    ) -> Result<(), RegistryError> {
        let key = lease_key(tenant, index);
        for _ in 0..MAX_ATTEMPTS {
            let Slot::Present(lease) = self.leases.read::<Lease>(&key).await? else {
                return Ok(());
            };
            if lease.value.slot != slot {
                return Ok(());
            }
            match self.leases.remove(&key, lease.revision).await {
                Ok(()) => return Ok(()),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(RegistryError::contended(self.leases.name(), &key))
    }

    /// How many of `tenant`'s leases are held at `now`.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn held_leases(&self, tenant: &str, now: i64) -> Result<u64, RegistryError> {
        let listed = self.leases.list::<Lease>(&lease_filter(tenant)).await?;
        let held = listed.iter().filter(|(_, l)| l.value.is_held(now)).count();
        Ok(u64::try_from(held).unwrap_or(u64::MAX))
    }

    /// Drops every lease of `tenant` and its backfill mark (its policy has no quota any
    /// more), so that a quota set again later starts from the users active then.
    ///
    /// A tenant without a mark never had its quota synced, so it has no leases to drop
    /// (short of a quota dropped while its first backfill ran; such leases expire): most
    /// tenants cost one read at start-up, not a listing. The mark goes last, so a run
    /// that fails halfway is finished by the next.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing or a removal fails.
    pub async fn forget_leases(&self, tenant: &str) -> Result<(), RegistryError> {
        let mark_key = key_token(tenant);
        let Slot::Present(mark) = self.leases.read::<BackfillMark>(&mark_key).await? else {
            return Ok(());
        };
        for (key, lease) in self.leases.list::<Lease>(&lease_filter(tenant)).await? {
            match self.leases.remove(&key, lease.revision).await {
                Ok(()) | Err(WriteError::Conflict) => {}
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        match self.leases.remove(&mark_key, mark.revision).await {
            Ok(()) | Err(WriteError::Conflict) => Ok(()),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// Gives the active users of `tenant` leases when its quota of `max` is new (no
    /// backfill mark yet): users issued while the tenant had no quota hold none, and would
    /// otherwise not count. Done once per quota; users over the quota keep their JWTs
    /// and hold no lease, so new users are refused until enough expire.
    ///
    /// # Errors
    /// [`RegistryError`] when the users or leases cannot be read or written.
    pub async fn backfill_leases(
        &self,
        tenant: &str,
        unique: bool,
        max: u64,
        now: i64,
    ) -> Result<u64, RegistryError> {
        let mark_key = key_token(tenant);
        let mark = self.leases.read::<BackfillMark>(&mark_key).await?;
        if let Slot::Present(_) = mark {
            return Ok(0);
        }
        let mut given = 0;
        for found in self.tenant_users(tenant).await? {
            let entry = found.value;
            if !entry.is_active(now) {
                continue;
            }
            let slot = crate::entry::slot_of(&entry, unique);
            let asked = (entry.max_exp, max, now);
            let held = match self.hold_lease(tenant, &slot, entry.lease, asked).await {
                Ok(held) => held,
                Err(LeaseError::QuotaExceeded) => break,
                Err(LeaseError::Conflict) => continue,
                Err(LeaseError::Registry(err)) => return Err(err),
            };
            let mut next = entry;
            next.lease = Some(held.index);
            let key = crate::entry::user_key(tenant, &slot);
            let lease_exp = Some(held.exp);
            match self
                .write_user(&key, &next, found.revision, (lease_exp, now))
                .await
            {
                Ok(_) => given += 1,
                // Issued again meanwhile: that issuance took care of its lease.
                Err(WriteError::Conflict) => self.undo_lease(tenant, &held).await,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        match self
            .leases
            .write(&mark_key, &BackfillMark { at: now }, mark.revision())
            .await
        {
            Ok(_) | Err(WriteError::Conflict) => Ok(given),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }
}

/// Marks a tenant whose active users were given leases (under the tenant's own name, a
/// key no lease filter matches).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct BackfillMark {
    /// When, unix seconds.
    at: i64,
}
