//! Invites in their bucket: created under the tenant's prefix within the tenant's cap,
//! found from a token alone, listed by tenant prefix, revoked, a use given back; every
//! write with the invite's lifetime (`expiry`), so expired, revoked and used-up invites
//! leave the bucket by themselves.
//!
//! The cap counts a tenant's *live* invites (unrevoked, unexpired, not used up). It is
//! exact across replicas: a creation reads the tenant's gate key, counts the live
//! invites under the tenant's prefix, writes the new invite, and then writes the gate at
//! the revision it read. Of two creations racing, the second gate write fails, and that
//! creation takes its invite back and counts again, now seeing the first one. (A
//! provisioner that dies between the invite and the gate leaves one invite its admin was
//! never shown: it counts against the cap until it expires, never over it.)
//!
//! Legacy invites (made before tokens named their tenant, stored under a bare id) stay
//! redeemable, listable and revocable; `invites.list` then reads the legacy keys too, a
//! set that no longer grows and is gone when its last invite expires (30 days at most).

use crate::error::RegistryError;
use crate::expiry::invite_ttl;
use crate::invite::{
    invite_key, locate, tenant_invites_filter, InviteEntry, LEGACY_INVITES_FILTER,
};
use crate::kv::{Slot, Versioned, WriteError};
use crate::settings::MAX_ATTEMPTS;
use crate::store::Registry;

/// Why an invite was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateInviteError {
    /// The tenant already holds as many live invites as it may.
    #[error("the tenant holds {limit} live invites, as many as it may")]
    LimitReached {
        /// The cap.
        limit: u64,
    },
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The key of the gate a tenant's invite creations pass one at a time:
/// `<tenant>.gate.create` (three tokens, so no invite filter matches it).
pub fn gate_key(tenant: &str) -> String {
    format!("{}.gate.create", crate::entry::key_token(tenant))
}

/// What the gate holds: when the last creation passed it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Gate {
    at: i64,
}

impl Registry {
    /// The invite stored under bucket key `key`.
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn invite_at(
        &self,
        key: &str,
    ) -> Result<Option<Versioned<InviteEntry>>, RegistryError> {
        Ok(match self.invites.read::<InviteEntry>(key).await? {
            Slot::Present(v) => Some(v),
            Slot::Missing { .. } => None,
        })
    }

    /// The invite `token` names and its bucket key, found from the token alone; `None`
    /// for a token of the wrong shape, an unknown one, or one naming a tenant its invite
    /// is not of.
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn invite_by_token(
        &self,
        token: &str,
    ) -> Result<Option<(String, Versioned<InviteEntry>)>, RegistryError> {
        let Some(place) = locate(token) else {
            return Ok(None);
        };
        let found = self.invite_at(&place.key).await?;
        Ok(found
            .filter(|invite| {
                place
                    .tenant
                    .as_deref()
                    .is_none_or(|t| crate::entry::key_token(&invite.value.tenant) == t)
            })
            .map(|invite| (place.key, invite)))
    }

    /// Invite `id` of `tenant` and its bucket key; `None` when `tenant` has no such
    /// invite (another tenant's is not looked at, save a legacy one, read and then
    /// answered as unknown).
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn tenant_invite(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<(String, Versioned<InviteEntry>)>, RegistryError> {
        let key = invite_key(tenant, id);
        if let Some(found) = self.invite_at(&key).await? {
            return Ok(Some((key, found)));
        }
        let legacy = self.invite_at(id).await?;
        Ok(legacy
            .filter(|found| found.value.tenant == tenant)
            .map(|found| (id.to_owned(), found)))
    }

    /// Writes `invite` under `key` at `expected`, with its lifetime at `now`.
    ///
    /// # Errors
    /// As [`crate::kv::Bucket::write`].
    pub async fn write_invite(
        &self,
        key: &str,
        invite: &InviteEntry,
        expected: u64,
        now: i64,
    ) -> Result<u64, WriteError> {
        let ttl = invite_ttl(invite, now);
        self.invites.write_ttl(key, invite, expected, ttl).await
    }

    /// Stores the new invite `id` of `invite.tenant`, if the tenant holds fewer than
    /// `limit` live invites; see the module docs for why the cap is exact.
    ///
    /// # Errors
    /// [`CreateInviteError::LimitReached`] at the cap; [`CreateInviteError::Registry`]
    /// when the registry fails or keeps losing races.
    pub async fn create_invite(
        &self,
        id: &str,
        invite: &InviteEntry,
        limit: u64,
        now: i64,
    ) -> Result<(), CreateInviteError> {
        let tenant = invite.tenant.as_str();
        let gate = gate_key(tenant);
        let key = invite_key(tenant, id);
        // The key's revision: 0 at first; the marker a taken-back attempt left after.
        let mut at = 0;
        for _ in 0..MAX_ATTEMPTS {
            let passed = self.invites.read::<Gate>(&gate).await?.revision();
            if self.live_invites(tenant, now).await? >= limit {
                return Err(CreateInviteError::LimitReached { limit });
            }
            let written = match self.write_invite(&key, invite, at, now).await {
                Ok(revision) => revision,
                Err(WriteError::Conflict) => {
                    return Err(RegistryError::contended(self.invites.name(), &key).into())
                }
                Err(WriteError::Failed(err)) => return Err(err.into()),
            };
            match self.invites.write(&gate, &Gate { at: now }, passed).await {
                Ok(_) => return Ok(()),
                Err(WriteError::Conflict) => {
                    self.take_back(&key, written).await;
                    at = match self.invites.read::<InviteEntry>(&key).await? {
                        Slot::Missing { revision } => revision,
                        Slot::Present(_) => {
                            return Err(RegistryError::contended(self.invites.name(), &key).into())
                        }
                    };
                }
                Err(WriteError::Failed(err)) => {
                    // Unknown outcome: the admin is never shown this invite, so it goes.
                    self.take_back(&key, written).await;
                    return Err(err.into());
                }
            }
        }
        Err(RegistryError::contended(self.invites.name(), &gate).into())
    }

    async fn take_back(&self, key: &str, revision: u64) {
        if let Err(err) = self.invites.remove(key, revision).await {
            tracing::warn!(error = %err, "taking back an invite over the cap failed");
        }
    }

    /// How many invites of `tenant` are live at `now`.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn live_invites(&self, tenant: &str, now: i64) -> Result<u64, RegistryError> {
        let listed = self
            .invites
            .list::<InviteEntry>(&tenant_invites_filter(tenant))
            .await?;
        let live = listed.iter().filter(|(_, i)| i.value.is_live(now)).count();
        Ok(u64::try_from(live).unwrap_or(u64::MAX))
    }

    /// Every invite of `tenant` with its id: the keys under the tenant's prefix, and the
    /// tenant's legacy invites.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn tenant_invites(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, InviteEntry)>, RegistryError> {
        let own = self
            .invites
            .list::<InviteEntry>(&tenant_invites_filter(tenant))
            .await?;
        let legacy = self
            .invites
            .list::<InviteEntry>(LEGACY_INVITES_FILTER)
            .await?;
        let mut out: Vec<(String, InviteEntry)> = own
            .into_iter()
            .chain(legacy.into_iter().filter(|(_, v)| v.value.tenant == tenant))
            .map(|(key, v)| (crate::invite::id_of_key(&key).to_owned(), v.value))
            .collect();
        out.sort_by(|a, b| (a.1.created_at, &a.0).cmp(&(b.1.created_at, &b.0)));
        Ok(out)
    }

    /// Marks the invite under `key` revoked; `None` when there is no such invite.
    ///
    /// # Errors
    /// [`RegistryError`] when it cannot be written.
    pub async fn revoke_invite(
        &self,
        key: &str,
        now: i64,
    ) -> Result<Option<InviteEntry>, RegistryError> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(current) = self.invite_at(key).await? else {
                return Ok(None);
            };
            let mut next = current.value.clone();
            next.revoked = true;
            next.uses_left = 0;
            match self.write_invite(key, &next, current.revision, now).await {
                Ok(_) => return Ok(Some(next)),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(e)) => return Err(e),
            }
        }
        Err(RegistryError::contended(self.invites.name(), key))
    }

    /// Gives back the use of the invite under `key` by `public_key` for `name` (a
    /// reservation rolled back). Failures are logged: the invite then has one use fewer,
    /// never more.
    pub async fn give_back_invite(&self, key: &str, public_key: &str, name: &str, now: i64) {
        for _ in 0..MAX_ATTEMPTS {
            let current = match self.invite_at(key).await {
                Ok(Some(current)) => current,
                Ok(None) => return,
                Err(err) => {
                    tracing::warn!(error = %err, "giving back an invite use failed");
                    return;
                }
            };
            let Some(next) = current.value.unredeemed(public_key, name) else {
                return;
            };
            match self.write_invite(key, &next, current.revision, now).await {
                Ok(_) => return,
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(err)) => {
                    tracing::warn!(error = %err, "giving back an invite use failed");
                    return;
                }
            }
        }
        tracing::warn!("giving back an invite use failed: contended");
    }
}
