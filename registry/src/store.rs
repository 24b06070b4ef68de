//! The registry's buckets and what the service reads and writes in them besides a
//! reservation: opening the buckets (per-message TTL turned on where entries expire), a
//! tenant's users by name, how many are active, and writing a user entry with its
//! lifetime (`expiry`). Invites are `invites`; quota leases are `quota`.
//!
//! Every change is a compare-and-set at the revision read, retried up to
//! `MAX_ATTEMPTS` times. Reserving after an Allow is `reserve`; revoking is `revoke`.

use std::time::Duration;

use async_nats::jetstream;

use crate::counter::{CounterSpec, Counters};
use crate::entry::{self, tenant_filter, user_key, UserEntry};
use crate::error::RegistryError;
use crate::expiry::user_ttl;
use crate::kv::{Bucket, BucketSpec, Slot, Versioned, WriteError};
use crate::settings::{
    RegistrySettings, COUNTERS_STREAM, INVITES_BUCKET, LEASES_BUCKET, LOGINS_BUCKET,
    PRESENCE_BUCKET, RATE_KEEP_WINDOWS, REVOKED_BUCKET, USERS_BUCKET,
};

/// The users bucket key marking that entries written before per-message TTL was turned
/// on still have to be given their lifetime (`upgrade`). One token: no user key (always
/// `<tenant>.<slot>`) or tenant filter matches it.
pub const LIFETIMES_PENDING_KEY: &str = "lifetimes-pending";

/// What [`LIFETIMES_PENDING_KEY`] holds.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LifetimesPending {}

/// The registry's buckets.
#[derive(Clone)]
pub struct Registry {
    /// Issued users, `<tenant>.<slot>` → [`UserEntry`], each with its lifetime.
    pub users: Bucket,
    /// Invites, `<tenant>.<id>` (a bare id for a legacy invite) →
    /// [`crate::invite::InviteEntry`], each with its lifetime; and a gate per tenant,
    /// `<tenant>.gate.create`, that invite creations pass one at a time.
    pub invites: Bucket,
    /// Quota leases, `<tenant>.<index>` → [`crate::lease::Lease`].
    pub leases: Bucket,
    /// Auth callout logins, `<tenant>.<slot>.<key>` → [`crate::logins::LoginRecord`],
    /// each removed when its JWT expires.
    pub logins: Bucket,
    /// Revocation marks, `<tenant>.name.<name>` and `<tenant>.key.<key>` →
    /// [`crate::revoked::RevokedMark`].
    pub revoked: Bucket,
    /// Presence: live connections and last-seen times (`presence`).
    pub presence: crate::presence::PresenceBook,
    /// Rate counters, `<tenant>.<window>[.<requester>]` → issuances so far.
    pub counters: Counters,
    /// How long a user entry outlives the last of its JWTs.
    pub user_grace: Duration,
}

impl Registry {
    /// Opens (creating when missing) the buckets. `rate_window_secs` is the longest
    /// rate-limit window of the policy; counters are kept twice as long. The users and
    /// invites buckets get per-message TTL; where an older release made them without it,
    /// it is turned on, and the users bucket is marked for the entries already in it to
    /// be given their lifetimes ([`LIFETIMES_PENDING_KEY`], done by `upgrade`).
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when a bucket can be neither found nor created, or its
    /// per-message TTL cannot be turned on (a server older than 2.11).
    pub async fn open(
        js: &jetstream::Context,
        settings: &RegistrySettings,
        rate_window_secs: u64,
    ) -> Result<Registry, RegistryError> {
        let spec = |suffix: &str, max_age: Duration| BucketSpec {
            name: settings.bucket(suffix),
            replicas: settings.replicas,
            placement_tags: settings.placement_tags.clone(),
            history: 1,
            max_age,
        };
        let keep = Duration::from_secs(rate_window_secs.max(1)) * RATE_KEEP_WINDOWS;
        let mut users = Bucket::open(js, &spec(USERS_BUCKET, Duration::ZERO)).await?;
        if users.enable_message_ttl().await? {
            match users
                .write(LIFETIMES_PENDING_KEY, &LifetimesPending {}, 0)
                .await
            {
                Ok(_) | Err(WriteError::Conflict) => {}
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        let mut invites = Bucket::open(js, &spec(INVITES_BUCKET, Duration::ZERO)).await?;
        invites.enable_message_ttl().await?;
        let mut logins = Bucket::open(js, &spec(LOGINS_BUCKET, Duration::ZERO)).await?;
        logins.enable_message_ttl().await?;
        let mut presence = Bucket::open(js, &spec(PRESENCE_BUCKET, Duration::ZERO)).await?;
        presence.enable_message_ttl().await?;
        Ok(Registry {
            users,
            invites,
            leases: Bucket::open(js, &spec(LEASES_BUCKET, Duration::ZERO)).await?,
            logins,
            revoked: Bucket::open(js, &spec(REVOKED_BUCKET, Duration::ZERO)).await?,
            presence: crate::presence::PresenceBook::new(presence),
            counters: Counters::open(
                js,
                &CounterSpec {
                    name: settings.bucket(COUNTERS_STREAM),
                    replicas: settings.replicas,
                    placement_tags: settings.placement_tags.clone(),
                    max_age: keep,
                },
            )
            .await?,
            user_grace: Duration::from_secs(settings.user_grace_secs),
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

    /// One page of `tenant`'s user entries, at most `limit`, in the order they were
    /// last written, after cursor `after` (0: the first page); see [`Bucket::page`].
    /// Returns the entries and the cursor of the next page, if any.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn users_page(
        &self,
        tenant: &str,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<Versioned<UserEntry>>, Option<u64>), RegistryError> {
        let (page, next) = self
            .users
            .page::<UserEntry>(&tenant_filter(tenant), after, limit)
            .await?;
        Ok((page.into_iter().map(|(_, v)| v).collect(), next))
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

    /// Writes user entry `entry` under `key` if the key is still at `expected`, with the
    /// lifetime `expiry` gives it (`lease_exp`: the expiry of the quota lease it holds,
    /// when known). A revoked entry is written to be kept.
    ///
    /// # Errors
    /// As [`Bucket::write`].
    pub async fn write_user(
        &self,
        key: &str,
        entry: &UserEntry,
        expected: u64,
        (lease_exp, now): (Option<i64>, i64),
    ) -> Result<u64, WriteError> {
        let ttl = user_ttl(entry, lease_exp, now, self.user_grace);
        self.users.write_ttl(key, entry, expected, ttl).await
    }
}
