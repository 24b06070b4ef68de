//! The registry: who was issued which name, invites, quotas and issuance counters, in
//! JetStream KV buckets in the provisioner's account, shared by every replica (design §5).
//!
//! Every invariant that must hold across replicas is a KV compare-and-set, never an
//! in-process lock: name uniqueness (the users key), the active-user quota (the tenant's
//! active set), single- or N-use invites (the invite key), issuance rate limits (the
//! window counters) and nonce replay (the nonce guard's create). `REGISTRY.md` in the
//! crate describes the buckets, keys and values.
//!
//! Layout:
//! - `entry`: the values and keys (pure);
//! - `invite`: invite tokens and entries (pure but for drawing a token);
//! - `kv`: buckets, versioned reads, conditional writes and listings;
//! - `reserve`: reading the facts for `evaluate` and reserving after an Allow;
//! - `revoke`: marking a name revoked and pushing the account's revocations;
//! - `prune`: which revocations an account JWT may drop (pure).
//!
//! Not here: deciding (the `policy` crate) and the admin endpoints (`tenant_admin`).

pub mod entry;
pub mod invite;
pub mod kv;
pub mod prune;
pub mod reserve;
pub mod revoke;

use std::time::Duration;

use async_nats::jetstream;

use self::entry::{quota_key, tenant_filter, user_key, ActiveSet, UserEntry};
use self::invite::{InviteEntry, InviteState};
use self::kv::{Bucket, BucketSpec, Slot, Versioned, WriteError};

/// Default prefix of the registry's bucket names.
pub const DEFAULT_BUCKET_PREFIX: &str = "creds_";
/// Default replica count of the buckets.
pub const DEFAULT_REPLICAS: usize = 1;
/// The most replicas JetStream allows.
pub const MAX_REPLICAS: usize = 5;
/// Suffix of the users bucket.
pub const USERS_BUCKET: &str = "users";
/// Suffix of the invites bucket.
pub const INVITES_BUCKET: &str = "invites";
/// Suffix of the quota bucket.
pub const QUOTA_BUCKET: &str = "quota";
/// Suffix of the rate counters bucket.
pub const RATES_BUCKET: &str = "rates";
/// Suffix of the nonce bucket (the nonce guard's).
pub const NONCES_BUCKET: &str = "nonces";
/// Attempts of a compare-and-set loop before giving up as contended.
pub const MAX_ATTEMPTS: u32 = 12;
/// Rate counters outlive their window by this factor (the bucket's max age).
const RATE_KEEP_WINDOWS: u32 = 2;

/// Where the registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    /// Prefix of the bucket names (`creds_` gives `creds_users`, …).
    pub bucket_prefix: String,
    /// Replicas of each bucket.
    pub replicas: usize,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            bucket_prefix: DEFAULT_BUCKET_PREFIX.to_owned(),
            replicas: DEFAULT_REPLICAS,
        }
    }
}

impl RegistrySettings {
    /// The name of bucket `suffix`.
    pub fn bucket(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.bucket_prefix)
    }
}

/// A registry failure. The detail is logged; callers get a 500.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A KV operation failed or timed out.
    #[error("{op} bucket `{bucket}`: {reason}")]
    Kv {
        /// What was being done.
        op: &'static str,
        /// The bucket.
        bucket: String,
        /// Why.
        reason: String,
    },
    /// A stored value is not what this version writes.
    #[error("bucket `{bucket}` key `{key}`: {reason}")]
    Corrupt {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A compare-and-set loop kept losing.
    #[error("bucket `{bucket}` key `{key}` is contended")]
    Contended {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
}

impl RegistryError {
    /// A KV failure.
    pub fn kv(op: &'static str, bucket: &str, reason: impl std::fmt::Display) -> Self {
        RegistryError::Kv {
            op,
            bucket: bucket.to_owned(),
            reason: reason.to_string(),
        }
    }

    fn contended(bucket: &Bucket, key: &str) -> Self {
        RegistryError::Contended {
            bucket: bucket.name().to_owned(),
            key: key.to_owned(),
        }
    }
}

/// The registry's buckets.
#[derive(Clone)]
pub struct Registry {
    /// Issued users, `<tenant>.<slot>` → [`UserEntry`].
    pub users: Bucket,
    /// Invites, token id → [`InviteEntry`].
    pub invites: Bucket,
    /// Active sets for quotas, `<tenant>` → [`ActiveSet`].
    pub quota: Bucket,
    /// Rate counters, `<tenant>.<window>[.<requester>]` → [`entry::Counter`].
    pub rates: Bucket,
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
            quota: Bucket::open(js, &spec(QUOTA_BUCKET, Duration::ZERO)).await?,
            rates: Bucket::open(js, &spec(RATES_BUCKET, keep)).await?,
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

    /// How many users of `tenant` are active now: from its active set when the tenant
    /// has a quota (the set is what the quota counts), else by listing its users.
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
            if let Slot::Present(set) = self.quota.read::<ActiveSet>(&quota_key(tenant)).await? {
                return Ok(set.value.count(now));
            }
        }
        let users = self.tenant_users(tenant).await?;
        let n = users.iter().filter(|u| u.value.is_active(now)).count();
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// The active set of `tenant`, rebuilt from its users when the key is missing (the
    /// quota was just enabled, or the set was dropped).
    ///
    /// # Errors
    /// [`RegistryError`] when the lookup fails.
    pub async fn active_set(
        &self,
        tenant: &str,
        unique: bool,
        now: i64,
    ) -> Result<Slot<ActiveSet>, RegistryError> {
        match self.quota.read::<ActiveSet>(&quota_key(tenant)).await? {
            Slot::Present(set) => Ok(Slot::Present(set)),
            Slot::Missing { revision } => {
                let mut set = ActiveSet::default();
                for user in self.tenant_users(tenant).await? {
                    let u = &user.value;
                    if u.is_active(now) {
                        let slot = entry::user_slot(&u.name, &u.public_key, unique);
                        set.active.insert(slot, u.exp);
                    }
                }
                // A rebuilt set is written with the create's expected revision.
                Ok(Slot::Present(Versioned {
                    value: set,
                    revision,
                }))
            }
        }
    }

    /// Drops `tenant`'s active set (its policy has no quota any more), so that a quota
    /// enabled later starts from the users bucket rather than a stale set.
    ///
    /// # Errors
    /// [`RegistryError`] when the bucket cannot be reached.
    pub async fn forget_active_set(&self, tenant: &str) -> Result<(), RegistryError> {
        let key = quota_key(tenant);
        for _ in 0..MAX_ATTEMPTS {
            match self.quota.read::<ActiveSet>(&key).await? {
                Slot::Missing { .. } => return Ok(()),
                Slot::Present(v) => match self.quota.remove(&key, v.revision).await {
                    Ok(()) => return Ok(()),
                    Err(WriteError::Conflict) => continue,
                    Err(WriteError::Failed(e)) => return Err(e),
                },
            }
        }
        Err(RegistryError::contended(&self.quota, &key))
    }

    /// Removes `slot` from `tenant`'s active set, if the set exists.
    ///
    /// # Errors
    /// [`RegistryError`] when the set cannot be written.
    pub async fn release_slot(&self, tenant: &str, slot: &str) -> Result<(), RegistryError> {
        let key = quota_key(tenant);
        for _ in 0..MAX_ATTEMPTS {
            let Slot::Present(mut set) = self.quota.read::<ActiveSet>(&key).await? else {
                return Ok(());
            };
            if set.value.active.remove(slot).is_none() {
                return Ok(());
            }
            match self.quota.write(&key, &set.value, set.revision).await {
                Ok(_) => return Ok(()),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(e)) => return Err(e),
            }
        }
        Err(RegistryError::contended(&self.quota, &key))
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
            Err(WriteError::Conflict) => Err(RegistryError::contended(&self.invites, id)),
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
        Err(RegistryError::contended(&self.invites, id))
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

/// Whether an invite read for a request can vouch for it.
pub fn invite_usable(invite: &InviteEntry, public_key: &str, name: &str, now: i64) -> bool {
    invite.state(public_key, name, now) != InviteState::Spent
}
