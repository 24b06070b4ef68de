//! Names that ignore case: where a tenant's `names.case_sensitive` is false (the
//! default), the registry knows a user by the folded form of its name
//! (`policy::names::fold_case`): the provisioner hands it names already folded, so `Alice`
//! and `alice` share one slot, one revocation mark and one entry, whose `name` is the
//! folded form. The minted JWT keeps the name as asked; that is the provisioner's.
//!
//! A registry written before names were folded holds entries under the spelling they
//! were asked for (`acme.Alice`), which folded look-ups would not find: a revoked
//! `Alice` would be free again, and another key could take `Alice`. So at start-up, for
//! each such tenant, [`Registry::fold_names`] moves every entry whose name is not folded
//! to its folded slot (a create there, with its lifetime; its quota lease follows; then
//! the old key is removed at the revision listed) and copies its revocation marks to
//! folded ones. Two entries that fold alike held by different keys (`Alice` and `alice`,
//! both issued before the upgrade) cannot share a slot: the folded one stays, the other
//! stays where it is, unreachable by name, and is reported until an operator removes it;
//! its JWTs expire with their TTL. A mark per tenant (in the users bucket, under a key no
//! tenant's listing matches) records that the tenant's names are folded, so later starts
//! cost one read; a tenant with case-sensitive names marks that, so that turning folding
//! on again folds what was written meanwhile. Names are never unfolded: the spelling is
//! gone.

use policy::names::fold_case;
use policy::schema::NamesConfig;
use serde::{Deserialize, Serialize};

use crate::entry::{from_key_token, key_token, slot_of, tenant_filter, user_key, UserEntry};
use crate::error::RegistryError;
use crate::kv::{Slot, Versioned, WriteError};
use crate::lease::{lease_key, Lease};
use crate::revoked::{name_mark_key, RevokedMark};
use crate::store::Registry;

/// First token of the users bucket key marking how a tenant's names are keyed: it holds
/// `=`, which no tenant's key token starts a plain token with, so no tenant listing
/// (`<tenant>.>`) matches it.
pub const FOLD_MARK_PREFIX: &str = "names=folded";

/// The key of `tenant`'s fold mark: `names=folded.<tenant>`.
pub fn fold_mark_key(tenant: &str) -> String {
    format!("{FOLD_MARK_PREFIX}.{}", key_token(tenant))
}

/// How a tenant's names were keyed when it was last checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldMark {
    /// Whether its names were case-sensitive (not folded) then.
    pub case_sensitive: bool,
    /// When, unix seconds.
    pub at: i64,
}

/// What [`Registry::fold_names`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldReport {
    /// Entries moved to their folded slot.
    pub moved: u64,
    /// Names left under their own spelling because another key holds the folded slot.
    pub left: Vec<String>,
    /// Whether the tenant's entries were read at all (no mark said they were folded).
    pub checked: bool,
}

impl Registry {
    /// Keys `tenant`'s user entries and name marks as `names` says (see the module
    /// docs); `force` reads them even where the mark says they are folded (entries an
    /// older replica wrote during a rolling upgrade). Safe to run on every replica at
    /// once: every move is a create and a compare-and-set delete.
    ///
    /// # Errors
    /// [`RegistryError`] when a read, listing or write fails.
    pub async fn fold_names(
        &self,
        tenant: &str,
        names: &NamesConfig,
        force: bool,
        now: i64,
    ) -> Result<FoldReport, RegistryError> {
        let mark_key = fold_mark_key(tenant);
        let mark = self.users.read::<FoldMark>(&mark_key).await?;
        let mut report = FoldReport::default();
        let folded_before = mark.value().is_some_and(|m| !m.case_sensitive);
        if names.case_sensitive || (folded_before && !force) {
            if names.case_sensitive && mark.value().is_none_or(|m| !m.case_sensitive) {
                let sensitive = FoldMark {
                    case_sensitive: true,
                    at: now,
                };
                self.write_mark(&mark_key, &sensitive, mark.revision())
                    .await?;
            }
            return Ok(report);
        }
        report.checked = true;
        for (key, found) in self.users.list::<UserEntry>(&tenant_filter(tenant)).await? {
            let Some(moved) = folded(&found.value, names.unique) else {
                continue;
            };
            match self.fold_entry(tenant, moved, &key, found, now).await? {
                Folded::Moved => report.moved += 1,
                Folded::Left(name) => report.left.push(name),
                Folded::Raced => {}
            }
        }
        self.fold_name_marks(tenant).await?;
        if report.left.is_empty() {
            let folded = FoldMark {
                case_sensitive: false,
                at: now,
            };
            self.write_mark(&mark_key, &folded, mark.revision()).await?;
        }
        Ok(report)
    }

    async fn write_mark(
        &self,
        key: &str,
        mark: &FoldMark,
        expected: u64,
    ) -> Result<(), RegistryError> {
        match self.users.write(key, mark, expected).await {
            Ok(_) | Err(WriteError::Conflict) => Ok(()),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// Moves one entry stored under `key` to the slot of its folded name (`moved`, from
    /// [`folded`]).
    async fn fold_entry(
        &self,
        tenant: &str,
        (entry, new_slot): (UserEntry, String),
        key: &str,
        found: Versioned<UserEntry>,
        now: i64,
    ) -> Result<Folded, RegistryError> {
        let new_key = user_key(tenant, &new_slot);
        let old_slot = key.split_once('.').map_or("", |(_, slot)| slot).to_owned();
        match self.users.read::<UserEntry>(&new_key).await? {
            // Another key holds the folded slot, or the old entry carries a revocation
            // the folded one lacks: both stay, for an operator to settle.
            Slot::Present(there)
                if there.value.public_key != entry.public_key
                    || (entry.revoked && !there.value.revoked) =>
            {
                return Ok(Folded::Left(found.value.name));
            }
            // Moved already (a pass cut short, or another replica): drop the old key.
            Slot::Present(_) => {}
            Slot::Missing { revision } => {
                let lease = match entry.lease {
                    Some(index) => self.lease_of(tenant, index, &old_slot).await?,
                    None => None,
                };
                let lease_exp = lease.as_ref().map(|(_, l)| l.value.exp);
                match self
                    .write_user(&new_key, &entry, revision, (lease_exp, now))
                    .await
                {
                    Ok(_) => {}
                    Err(WriteError::Conflict) => return Ok(Folded::Raced),
                    Err(WriteError::Failed(err)) => return Err(err),
                }
                if let Some((index, held)) = lease {
                    let moved = Lease {
                        slot: new_slot,
                        exp: held.value.exp,
                    };
                    let lease_key = lease_key(tenant, index);
                    match self.leases.write(&lease_key, &moved, held.revision).await {
                        Ok(_) | Err(WriteError::Conflict) => {}
                        Err(WriteError::Failed(err)) => return Err(err),
                    }
                }
            }
        }
        match self.users.remove(key, found.revision).await {
            Ok(()) => Ok(Folded::Moved),
            // Written again under the old spelling (an older replica): the next pass.
            Err(WriteError::Conflict) => Ok(Folded::Raced),
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// Lease `index` of `tenant` with its revision, if `slot` holds it.
    async fn lease_of(
        &self,
        tenant: &str,
        index: u64,
        slot: &str,
    ) -> Result<Option<(u64, Versioned<Lease>)>, RegistryError> {
        Ok(
            match self.leases.read::<Lease>(&lease_key(tenant, index)).await? {
                Slot::Present(lease) if lease.value.slot == slot => Some((index, lease)),
                _ => None,
            },
        )
    }

    /// Copies every name mark of `tenant` whose name is not folded to the folded name's
    /// mark (kept where one is there already); the old mark stays.
    async fn fold_name_marks(&self, tenant: &str) -> Result<(), RegistryError> {
        let filter = format!("{}.name.*", key_token(tenant));
        for (key, found) in self.revoked.list::<RevokedMark>(&filter).await? {
            let Some(name) = key.rsplit_once('.').and_then(|(_, t)| from_key_token(t)) else {
                continue;
            };
            let folded = fold_case(&name);
            if folded == name {
                continue;
            }
            let mark = RevokedMark {
                name: folded.clone(),
                ..found.value
            };
            match self
                .revoked
                .write(&name_mark_key(tenant, &folded), &mark, 0)
                .await
            {
                Ok(_) | Err(WriteError::Conflict) => {}
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Ok(())
    }
}

/// `entry` with its name folded and the slot that puts it in, unless its name is
/// folded already.
pub fn folded(entry: &UserEntry, unique: bool) -> Option<(UserEntry, String)> {
    let name = fold_case(&entry.name);
    if name == entry.name {
        return None;
    }
    let mut moved = entry.clone();
    moved.name = name;
    let slot = slot_of(&moved, unique);
    Some((moved, slot))
}

/// What became of one entry.
enum Folded {
    /// Now under its folded slot.
    Moved,
    /// Left under its spelling: another key holds the folded slot.
    Left(String),
    /// Changed meanwhile; the next pass sees it again.
    Raced,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, per_connection: bool) -> UserEntry {
        let issued = crate::entry::Issuance {
            tenant: "acme".into(),
            name: name.into(),
            public_key: "UKEY".into(),
            account: "AACME".into(),
            jti: "J".into(),
            iat: 1,
            exp: 2,
            issuer: "ASK".into(),
            request_id: "r".into(),
            per_connection,
        };
        issued.first_entry()
    }

    #[test]
    fn entries_move_to_the_slot_of_their_folded_name() {
        let (moved, slot) = folded(&entry("Alice", false), true).unwrap();
        assert_eq!((moved.name.as_str(), slot.as_str()), ("alice", "alice"));
        assert_eq!(moved.public_key, "UKEY");
        assert_eq!(
            folded(&entry("Alice", false), false).unwrap().1,
            "alice.UKEY"
        );
        assert_eq!(
            folded(&entry("Alice", true), false).unwrap().1,
            "alice.per-connection"
        );
        assert_eq!(
            folded(&entry("ÉLAN", false), true).unwrap().1,
            "=c3a96c616e"
        );
        assert!(folded(&entry("élan", false), true).is_none());
        assert!(folded(&entry("bob_1-x", false), false).is_none());
    }

    #[test]
    fn the_mark_is_outside_every_tenant_listing() {
        assert_eq!(fold_mark_key("acme"), "names=folded.acme");
        // No tenant's key token is `names=folded`: plain tokens hold no `=`, and hex
        // tokens start with one.
        for tenant in ["names", "names-folded", "names=folded", "=6e"] {
            assert_ne!(key_token(tenant), FOLD_MARK_PREFIX, "{tenant}");
            assert!(!fold_mark_key("acme").starts_with(&format!("{}.", key_token(tenant))));
        }
    }
}
