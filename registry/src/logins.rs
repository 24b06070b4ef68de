//! The keys a name held besides its entry's current one, for revocation: the keys of auth
//! callout logins, and the keys the name moved away from. The server makes a new key for
//! every callout connection, and the JWT the callout issues for it lives only in that
//! connection; the name's entry does not list them (every login would rewrite one entry,
//! and logins of one name at once would contend). Each login instead creates its own
//! record, which never conflicts: `<tenant>.<slot>.<public key>` in the logins bucket,
//! holding the JWT's expiry, removed by the server when that JWT expires (per-message
//! TTL). A slot that moves to another key (`reissue_to_other_key`, a client-held key
//! after callout logins or the reverse) records the key it leaves the same way, with the
//! latest expiry of that key's JWTs: the entry's own list of earlier keys is bounded, these
//! records are not, so no key a name held is forgotten while its JWTs may be valid.
//!
//! Revoking the name lists the records of every slot of the name, whatever door wrote
//! its entry last, adds the keys whose JWTs are still valid to the revoked entry's
//! `earlier_keys`, and the push revokes them (and prunes them once those JWTs expired).
//! A login decided just before the revocation and recorded just after the listing
//! escapes it until its JWT expires (keep callout TTLs short).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::entry::{key_token, slot_of, unexpired, user_key, EarlierKey, UserEntry};
use crate::error::RegistryError;
use crate::kv::{Slot, WriteError};
use crate::revoke::{PushError, Revoker};
use crate::settings::MAX_ATTEMPTS;
use crate::store::Registry;

/// One login: its JWT's expiry (0: never).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRecord {
    /// The JWT's expiry, unix seconds.
    pub exp: i64,
}

/// The key of a login record: `<tenant>.<slot>.<public key>`.
pub fn login_key(tenant: &str, slot: &str, public_key: &str) -> String {
    format!("{}.{slot}.{}", key_token(tenant), key_token(public_key))
}

/// The filter of a slot's login records.
pub fn login_filter(tenant: &str, slot: &str) -> String {
    format!("{}.{slot}.>", key_token(tenant))
}

/// How long a record of a key whose JWTs expire at `exp` is kept: until then (at least a
/// second), or for good when one never expires.
fn lifetime(exp: i64, now: i64) -> Option<Duration> {
    (exp != 0).then(|| {
        let secs = exp.saturating_sub(now).max(1);
        Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
    })
}

impl Registry {
    /// Records a login of `slot` with `public_key`, whose JWT expires at `exp`.
    ///
    /// # Errors
    /// [`RegistryError`] when the record cannot be written.
    pub async fn record_login(
        &self,
        tenant: &str,
        slot: &str,
        public_key: &str,
        (exp, now): (i64, i64),
    ) -> Result<(), RegistryError> {
        let key = login_key(tenant, slot, public_key);
        match self
            .logins
            .write_ttl(&key, &LoginRecord { exp }, 0, lifetime(exp, now))
            .await
        {
            // A retry of the same login finds its record.
            Ok(_) | Err(WriteError::Conflict) => Ok(()),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// Records that `slot` moves away from `public_key`, whose JWTs may be valid until
    /// `max_exp` (0: one never expires). Overwrites: a key left, held again and left again
    /// keeps its latest expiry.
    ///
    /// # Errors
    /// [`RegistryError`] when the record cannot be written.
    pub async fn record_left_key(
        &self,
        tenant: &str,
        slot: &str,
        public_key: &str,
        (max_exp, now): (i64, i64),
    ) -> Result<(), RegistryError> {
        let key = login_key(tenant, slot, public_key);
        let record = LoginRecord { exp: max_exp };
        match self.logins.put(&key, &record, lifetime(max_exp, now)).await {
            Ok(_) | Err(WriteError::Conflict) => Ok(()),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// The keys of `slot`'s logins whose JWTs may still be valid at `now`.
    ///
    /// # Errors
    /// [`RegistryError`] when the listing fails.
    pub async fn live_logins(
        &self,
        tenant: &str,
        slot: &str,
        now: i64,
    ) -> Result<Vec<EarlierKey>, RegistryError> {
        let prefix = format!("{}.{slot}.", key_token(tenant));
        Ok(self
            .logins
            .list::<LoginRecord>(&login_filter(tenant, slot))
            .await?
            .into_iter()
            .filter(|(_, v)| unexpired(v.value.exp, now))
            .filter_map(|(key, v)| {
                let token = key.strip_prefix(&prefix)?;
                Some(EarlierKey {
                    public_key: crate::entry::from_key_token(token)?,
                    max_exp: v.value.exp,
                })
            })
            .collect())
    }

    /// Adds `keys` to the earlier keys of `entry`'s slot (a revoked entry: nothing
    /// else writes it any more, but a retry is cheap).
    async fn add_earlier_keys(
        &self,
        tenant: &str,
        entry: &UserEntry,
        keys: &[EarlierKey],
        unique: bool,
    ) -> Result<UserEntry, RegistryError> {
        let key = user_key(tenant, &slot_of(entry, unique));
        for _ in 0..MAX_ATTEMPTS {
            let Slot::Present(current) = self.users.read::<UserEntry>(&key).await? else {
                return Ok(entry.clone());
            };
            let mut next = current.value.clone();
            for k in keys {
                let known = k.public_key == next.public_key
                    || next
                        .earlier_keys
                        .iter()
                        .any(|e| e.public_key == k.public_key);
                if !known {
                    next.earlier_keys.push(k.clone());
                }
            }
            match self.users.write(&key, &next, current.revision).await {
                Ok(_) => return Ok(next),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(RegistryError::contended(self.users.name(), &key))
    }
}

impl Revoker {
    /// Records, in each revoked entry of `revoked`, the keys its slot recorded (callout
    /// logins, keys it moved away from) whose JWTs may still be valid, so that the push
    /// that follows revokes them; `revoked` is updated to the entries as stored. Every
    /// entry is read, whichever door wrote it last: a slot that held callout logins and
    /// then a client-held key still has its logins' records.
    ///
    /// # Errors
    /// [`PushError::Registry`] when the logins cannot be listed or an entry written.
    pub async fn capture_logins(
        &self,
        registry: &Registry,
        tenant: &str,
        (unique, now): (bool, i64),
        revoked: &mut [UserEntry],
    ) -> Result<(), PushError> {
        for entry in revoked.iter_mut() {
            let live = registry
                .live_logins(tenant, &slot_of(entry, unique), now)
                .await?;
            if !live.is_empty() {
                *entry = registry
                    .add_earlier_keys(tenant, entry, &live, unique)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_records_sit_under_their_slot() {
        assert_eq!(login_key("acme", "carol", "UKEY"), "acme.carol.UKEY");
        assert_eq!(login_filter("acme", "carol"), "acme.carol.>");
        assert_eq!(
            login_key("acme", "carol.per-connection", "UKEY"),
            "acme.carol.per-connection.UKEY"
        );
    }
}
