//! The registry's buckets and what the service reads and writes in them besides a
//! reservation: opening the buckets, a tenant's users by name, how many are active, and
//! invites (create, look up, list, revoke, give a use back). Quota leases are `quota`.
//!
//! Every change is a compare-and-set at the revision read, retried up to
//! [`MAX_ATTEMPTS`] times. Reserving after an Allow is `reserve`; revoking is `revoke`.

use std::time::Duration;

use async_nats::jetstream;

use crate::counter::{CounterSpec, Counters};
use crate::entry::{self, tenant_filter, user_key, UserEntry};
use crate::error::RegistryError;
use crate::invite::InviteEntry;
use crate::kv::{Bucket, BucketSpec, Slot, Versioned, WriteError};
use crate::settings::{
    RegistrySettings, COUNTERS_STREAM, INVITES_BUCKET, LEASES_BUCKET, MAX_ATTEMPTS,
    RATE_KEEP_WINDOWS, REVOKED_BUCKET, USERS_BUCKET,
};

/// The registry's buckets.
#[derive(Clone)]
pub struct Registry {
    /// Issued users, `<tenant>.<slot>` → [`UserEntry`].
    pub users: Bucket,
    /// Invites, token id → [`InviteEntry`].
    pub invites: Bucket,
    /// Quota leases, `<tenant>.<index>` → [`crate::lease::Lease`].
    pub leases: Bucket,
    /// Revocation marks, `<tenant>.name.<name>` and `<tenant>.key.<key>` →
    /// [`crate::revoked::RevokedMark`].
    pub revoked: Bucket,
    /// Rate counters, `<tenant>.<window>[.<requester>]` → issuances so far.
    pub counters: Counters,
}

impl Registry {
    /// Opens (creating when missing) the buckets. `rate_window_secs` is the longest
    /// rate-limit window of the policy; counters are kept twice as long.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when a bucket can be neither found nor created.
    pub async fn open(
        js: &jetstream::Context,
        settings: &RegistrySettings,
        rate_window_secs: u64,
    ) -> Result<Registry, RegistryError> {
        let spec = |suffix: &str, max_age: Duration| BucketSpec {
            name: settings.bucket(suffix),
            replicas: settings.replicas,
            history: 1,
            max_age,
        };
        let keep = Duration::from_secs(rate_window_secs.max(1)) * RATE_KEEP_WINDOWS;
        Ok(Registry {
            users: Bucket::open(js, &spec(USERS_BUCKET, Duration::ZERO)).await?,
            invites: Bucket::open(js, &spec(INVITES_BUCKET, Duration::ZERO)).await?,
            leases: Bucket::open(js, &spec(LEASES_BUCKET, Duration::ZERO)).await?,
            revoked: Bucket::open(js, &spec(REVOKED_BUCKET, Duration::ZERO)).await?,
            counters: Counters::open(
                js,
                &CounterSpec {
                    name: settings.bucket(COUNTERS_STREAM),
                    replicas: settings.replicas,
                    max_age: keep,
                },
            )
            .await?,
        })
    }

    /// Every user entry of `tenant`, by name.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn tenant_users(
        &self,
        tenant: &str,
    ) -> Result<Vec<Versioned<UserEntry>>, RegistryError> {
        let mut users: Vec<Versioned<UserEntry>> = self
            .users
            .list(&tenant_filter(tenant))
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        users.sort_by(|a, b| {
            (&a.value.name, &a.value.public_key).cmp(&(&b.value.name, &b.value.public_key))
        });
        Ok(users)
    }

    /// The entries of `tenant` named `name` (one where names are unique).
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn users_named(
        &self,
        tenant: &str,
        name: &str,
        unique: bool,
    ) -> Result<Vec<Versioned<UserEntry>>, RegistryError> {
        if unique {
            let slot = entry::user_slot(name, "", true);
            return Ok(match self.users.read(&user_key(tenant, &slot)).await? {
                Slot::Present(v) => vec![v],
                Slot::Missing { .. } => Vec::new(),
            });
        }
        let filter = format!("{}.{}.>", entry::key_token(tenant), entry::key_token(name));
        Ok(self
            .users
            .list::<UserEntry>(&filter)
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// How many users of `tenant` are active now: its held leases when the tenant has
    /// a quota (the leases are what the quota counts), else by listing its users.
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn active_users(
        &self,
        tenant: &str,
        has_quota: bool,
        now: i64,
    ) -> Result<u64, RegistryError> {
        if has_quota {
            return self.held_leases(tenant, now).await;
        }
        let users = self.tenant_users(tenant).await?;
        let n = users.iter().filter(|u| u.value.is_active(now)).count();
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// The invite stored under token id `id`.
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn invite(&self, id: &str) -> Result<Option<Versioned<InviteEntry>>, RegistryError> {
        Ok(match self.invites.read::<InviteEntry>(id).await? {
            Slot::Present(v) => Some(v),
            Slot::Missing { .. } => None,
        })
    }

    /// Stores a new invite under `id`.
    ///
    /// # Errors
    /// [`RegistryError`] when it cannot be written (an id collision included).
    pub async fn create_invite(&self, id: &str, invite: &InviteEntry) -> Result<(), RegistryError> {
        match self.invites.write(id, invite, 0).await {
            Ok(_) => Ok(()),
            Err(WriteError::Conflict) => Err(RegistryError::contended(self.invites.name(), id)),
            Err(WriteError::Failed(e)) => Err(e),
        }
    }

    /// Every invite of `tenant`.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn tenant_invites(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, InviteEntry)>, RegistryError> {
        let mut out: Vec<(String, InviteEntry)> = self
            .invites
            .list::<InviteEntry>(">")
            .await?
            .into_iter()
            .filter(|(_, v)| v.value.tenant == tenant)
            .map(|(id, v)| (id, v.value))
            .collect();
        out.sort_by(|a, b| (a.1.created_at, &a.0).cmp(&(b.1.created_at, &b.0)));
        Ok(out)
    }

    /// Marks invite `id` revoked; `None` when there is no such invite.
    ///
    /// # Errors
    /// [`RegistryError`] when it cannot be written.
    pub async fn revoke_invite(&self, id: &str) -> Result<Option<InviteEntry>, RegistryError> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(current) = self.invite(id).await? else {
                return Ok(None);
            };
            let mut next = current.value.clone();
            next.revoked = true;
            next.uses_left = 0;
            match self.invites.write(id, &next, current.revision).await {
                Ok(_) => return Ok(Some(next)),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(e)) => return Err(e),
            }
        }
        Err(RegistryError::contended(self.invites.name(), id))
    }

    /// Gives back the use of invite `id` by `public_key` for `name` (a reservation
    /// rolled back). Failures are logged: the invite then has one use fewer, never more.
    pub async fn give_back_invite(&self, id: &str, public_key: &str, name: &str) {
        for _ in 0..MAX_ATTEMPTS {
            let current = match self.invite(id).await {
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
            match self.invites.write(id, &next, current.revision).await {
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
