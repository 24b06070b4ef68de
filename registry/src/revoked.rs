//! Revocation marks: what a revocation refuses from then on, for every name and key.
//!
//! Revoking a name marks the user entries that hold it (`revoke`), and also writes a
//! mark for the name itself and one for every key the name held whose JWTs may still be
//! valid, in the revoked bucket:
//! - `<tenant>.name.<name token>`: the name is never issued again, to any key, also
//!   where names are not unique and a new key would get a slot of its own;
//! - `<tenant>.key.<public key>`: the key is never issued a JWT again, under any name
//!   (a revoked key enrolling under a new name is refused).
//!
//! The marks are written before the entries and the account JWT's revocations, so a
//! request decided after a revocation began is refused. An issuance decided just before
//! is revoked by the push, which revokes the key's JWTs issued up to the revocation time.
//! Marks are kept: a revoked name or key stays refused (their number is the number of
//! revocations an admin made).

use serde::{Deserialize, Serialize};

use crate::entry::{key_token, user_slot};
use crate::error::RegistryError;
use crate::kv::{Slot, WriteError};
use crate::store::Registry;

/// What a mark records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedMark {
    /// When it was revoked, unix seconds.
    pub revoked_at: i64,
    /// The name whose revocation wrote the mark.
    pub name: String,
}

/// What a request may not be issued because of a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The name was revoked.
    Name,
    /// The key was revoked (under some name).
    Key,
}

/// The mark key of a revoked name: `<tenant>.name.<name token>` (the token of the name's
/// slot where names are unique, so it folds as the slot does).
pub fn name_mark_key(tenant: &str, name: &str) -> String {
    format!("{}.name.{}", key_token(tenant), user_slot(name, "", true))
}

/// The mark key of a revoked user key: `<tenant>.key.<public key>`.
pub fn key_mark_key(tenant: &str, public_key: &str) -> String {
    format!("{}.key.{}", key_token(tenant), key_token(public_key))
}

impl Registry {
    /// Whether a mark refuses `name` or `public_key` in `tenant`. `check_name` is false
    /// where the slot's entry already says whether the name is revoked (unique names);
    /// `check_key` is false for keys the server made for this request, which nobody can
    /// have revoked. The reads run concurrently.
    ///
    /// # Errors
    /// [`RegistryError`] when a read fails.
    pub async fn refused_by_mark(
        &self,
        tenant: &str,
        name: &str,
        public_key: &str,
        check_name: bool,
        check_key: bool,
    ) -> Result<Option<Refused>, RegistryError> {
        let name_key = name_mark_key(tenant, name);
        let key_key = key_mark_key(tenant, public_key);
        let (name_mark, key_mark) = tokio::try_join!(
            async {
                if check_name {
                    self.revoked.read::<RevokedMark>(&name_key).await.map(Some)
                } else {
                    Ok(None)
                }
            },
            async {
                if check_key {
                    self.revoked.read::<RevokedMark>(&key_key).await.map(Some)
                } else {
                    Ok(None)
                }
            },
        )?;
        let present = |slot: &Option<Slot<RevokedMark>>| matches!(slot, Some(Slot::Present(_)));
        Ok(if present(&name_mark) {
            Some(Refused::Name)
        } else if present(&key_mark) {
            Some(Refused::Key)
        } else {
            None
        })
    }

    /// Writes the marks of `name`'s revocation at `now`: the name's and each of `keys`'.
    /// A mark already there is kept as it is (the first revocation time stands).
    ///
    /// # Errors
    /// [`RegistryError`] when a mark cannot be written.
    pub async fn write_marks(
        &self,
        tenant: &str,
        name: &str,
        keys: &[String],
        now: i64,
    ) -> Result<(), RegistryError> {
        let mark = RevokedMark {
            revoked_at: now,
            name: name.to_owned(),
        };
        let mut mark_keys = vec![name_mark_key(tenant, name)];
        mark_keys.extend(keys.iter().map(|k| key_mark_key(tenant, k)));
        for key in mark_keys {
            match self.revoked.write(&key, &mark, 0).await {
                Ok(_) | Err(WriteError::Conflict) => {}
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_scoped_by_tenant_and_kind() {
        assert_eq!(name_mark_key("acme", "alice"), "acme.name.alice");
        assert_eq!(name_mark_key("acme", "élan"), "acme.name.=c3a96c616e");
        assert_eq!(key_mark_key("acme", "UABC"), "acme.key.UABC");
    }
}
