//! Revoking a user: the registry marks the name revoked (it is never issued again) and,
//! with an operator signing key and a system account user configured, the tenant
//! account's `revocations` are updated on the live resolver so that the server closes
//! the user's connections and refuses it from then on.
//!
//! The push: look up the account JWT the resolver holds
//! (`$SYS.REQ.ACCOUNT.<id>.CLAIMS.LOOKUP`), compute the revocations it should carry
//! (`prune`: the registry's revoked keys added, entries whose JWTs all expired
//! pruned), re-sign with the operator signing key at `max(now, iat + 1)` (a JWT re-signed
//! within the same second would get the same `jti`, which the resolver ignores) and send
//! it to `$SYS.REQ.CLAIMS.UPDATE`, unless the JWT would cross its size budget
//! (`budget`). Then look again: replicas revoking at once may push
//! over each other, and every push carries every revocation the registry holds, so
//! repeating until the resolver holds the desired map converges.

use std::time::Duration;

use claims::{AccountClaims, KeyPair};
use serde_json::Value;

use crate::budget::{check, OverBudget};
use crate::entry::slot_of;
use crate::entry::{user_key, UserEntry};
use crate::error::RegistryError;
use crate::kv::{Slot, Versioned, WriteError};
use crate::prune::{desired_revocations, key_facts};
use crate::settings::MAX_ATTEMPTS;
use crate::store::Registry;

/// Where account JWTs are pushed.
pub const CLAIMS_UPDATE_SUBJECT: &str = "$SYS.REQ.CLAIMS.UPDATE";
/// Look-ups and pushes per revocation before giving up.
pub const PUSH_ROUNDS: u32 = 4;
/// How long one look-up or push may take.
pub const SYS_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The subject that returns account `account`'s JWT.
pub fn lookup_subject(account: &str) -> String {
    format!("$SYS.REQ.ACCOUNT.{account}.CLAIMS.LOOKUP")
}

/// Pushes revocations: a system account connection and the operator signing key.
pub struct Revoker {
    /// Connected as the system account's user.
    pub sys: async_nats::Client,
    /// An operator signing key (`SO…`) listed in the operator JWT.
    pub operator_key: KeyPair,
    /// The most bytes a pushed account JWT may have (`budget`).
    pub budget: usize,
}

impl std::fmt::Debug for Revoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revoker")
            .field("operator_key", &self.operator_key.public_key())
            .finish_non_exhaustive()
    }
}

/// Why a push did not take effect. Shown to the admin: no secrets.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The resolver did not return the account JWT.
    #[error("looking up account `{account}`: {reason}")]
    Lookup {
        /// The account.
        account: String,
        /// Why.
        reason: String,
    },
    /// Re-signing failed.
    #[error("re-signing account `{account}`: {reason}")]
    Sign {
        /// The account.
        account: String,
        /// Why.
        reason: String,
    },
    /// The resolver refused the update.
    #[error("pushing account `{account}`: {reason}")]
    Push {
        /// The account.
        account: String,
        /// Why.
        reason: String,
    },
    /// The account JWT would cross its size budget, even with what expired pruned.
    #[error("account `{account}`: {over}")]
    OverBudget {
        /// The account.
        account: String,
        /// The figures.
        over: OverBudget,
    },
    /// The resolver still did not hold the revocations after every round.
    #[error("account `{account}` did not converge after {PUSH_ROUNDS} pushes")]
    NotConverged {
        /// The account.
        account: String,
    },
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// What a push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Entries in the account's `revocations` now.
    pub revocations: usize,
    /// Entries pruned.
    pub pruned: usize,
    /// Pushes sent (0 when the resolver already held the desired map).
    pub pushes: u32,
    /// The size of the account JWT the resolver holds now, bytes.
    pub jwt_bytes: usize,
}

impl Registry {
    /// Revokes `name` in `tenant` at `now`: writes the name's revocation mark, marks
    /// every entry named `name` revoked and frees their quota slots, then marks every key
    /// those entries held (current and earlier) revoked (`revoked`); returns the entries
    /// (empty, and nothing written, when there is no such name).
    ///
    /// # Errors
    /// [`RegistryError`] when a mark or an entry cannot be written.
    pub async fn mark_revoked(
        &self,
        tenant: &str,
        name: &str,
        unique: bool,
        now: i64,
    ) -> Result<Vec<UserEntry>, RegistryError> {
        // The name first, so nothing is issued to it while the entries are marked; the
        // keys last, from the entries as marked, which name a key a racing issuance gave.
        if self.users_named(tenant, name, unique).await?.is_empty() {
            return Ok(Vec::new());
        }
        self.write_marks(tenant, name, &[], now).await?;
        // Listed again after the mark: where names are not unique, a new key's slot
        // written since the first listing is revoked too.
        let mut out = Vec::new();
        for found in self.users_named(tenant, name, unique).await? {
            let revoked = self.mark_one(tenant, found, unique, now).await?;
            if let Some(index) = revoked.lease {
                let slot = slot_of(&revoked, unique);
                if let Err(err) = self.release_lease(tenant, index, &slot).await {
                    tracing::warn!(error = %err, "freeing the quota lease of a revoked user failed");
                }
            }
            out.push(revoked);
        }
        let keys: Vec<String> = out.iter().flat_map(held_keys).collect();
        self.write_marks(tenant, name, &keys, now).await?;
        Ok(out)
    }

    async fn mark_one(
        &self,
        tenant: &str,
        mut current: Versioned<UserEntry>,
        unique: bool,
        now: i64,
    ) -> Result<UserEntry, RegistryError> {
        let key = user_key(tenant, &slot_of(&current.value, unique));
        for _ in 0..MAX_ATTEMPTS {
            if current.value.revoked {
                return Ok(current.value);
            }
            let mut next = current.value.clone();
            next.revoked = true;
            next.revoked_at = Some(now);
            match self.users.write(&key, &next, current.revision).await {
                Ok(_) => return Ok(next),
                Err(WriteError::Conflict) => match self.users.read::<UserEntry>(&key).await? {
                    Slot::Present(v) => current = v,
                    Slot::Missing { .. } => return Ok(next),
                },
                Err(WriteError::Failed(e)) => return Err(e),
            }
        }
        Err(RegistryError::contended(self.users.name(), &key))
    }
}

/// Every key an entry held that may still have valid JWTs: its current key and its
/// earlier ones.
pub fn held_keys(entry: &UserEntry) -> impl Iterator<Item = String> + '_ {
    std::iter::once(entry.public_key.clone())
        .chain(entry.earlier_keys.iter().map(|k| k.public_key.clone()))
}

impl Revoker {
    /// Brings account `account`'s revocations in line with the registry's entries of
    /// `tenant` on the live resolver, pruning what expired; see the module docs.
    ///
    /// # Errors
    /// [`PushError`] when the resolver cannot be read or refuses the update.
    pub async fn push(
        &self,
        registry: &Registry,
        tenant: &str,
        account: &str,
        now: i64,
    ) -> Result<PushReport, PushError> {
        let mut report = PushReport::default();
        for _ in 0..PUSH_ROUNDS {
            let (mut claims, held_bytes) = self.lookup(account).await?;
            let users = registry.tenant_users(tenant).await?;
            let known = key_facts(users.iter().map(|u| &u.value));
            let desired = desired_revocations(&claims.nats.revocations, &known, now);
            if desired.map == claims.nats.revocations {
                report.revocations = desired.map.len();
                report.jwt_bytes = held_bytes;
                return Ok(report);
            }
            report.pruned = report.pruned.max(desired.pruned);
            claims.nats.revocations = desired.map;
            let iat = now.max(claims.iat.saturating_add(1));
            let token = claims
                .encode(&self.operator_key, iat)
                .map_err(|e| PushError::Sign {
                    account: account.to_owned(),
                    reason: e.to_string(),
                })?;
            let entries = claims.nats.revocations.len();
            check(token.len(), entries, self.budget).map_err(|over| PushError::OverBudget {
                account: account.to_owned(),
                over,
            })?;
            self.update(account, token).await?;
            report.pushes += 1;
        }
        Err(PushError::NotConverged {
            account: account.to_owned(),
        })
    }

    /// The account's claims as the resolver holds them, and the JWT's size.
    async fn lookup(&self, account: &str) -> Result<(AccountClaims, usize), PushError> {
        let fail = |reason: String| PushError::Lookup {
            account: account.to_owned(),
            reason,
        };
        let reply = tokio::time::timeout(
            SYS_REQUEST_TIMEOUT,
            self.sys
                .request(lookup_subject(account), bytes::Bytes::new()),
        )
        .await
        .map_err(|_| fail(String::from("timed out")))?
        .map_err(|e| fail(format!("{e} (a full resolver answers look-ups)")))?;
        let text = std::str::from_utf8(&reply.payload)
            .map_err(|_| fail(String::from("the answer is not text")))?
            .trim();
        if text.is_empty() {
            return Err(fail(String::from("the resolver does not know the account")));
        }
        let claims = AccountClaims::decode(text).map_err(|e| fail(e.to_string()))?;
        if claims.sub != account {
            return Err(fail(format!("the resolver answered with `{}`", claims.sub)));
        }
        Ok((claims, text.len()))
    }

    async fn update(&self, account: &str, token: String) -> Result<(), PushError> {
        let fail = |reason: String| PushError::Push {
            account: account.to_owned(),
            reason,
        };
        let reply = tokio::time::timeout(
            SYS_REQUEST_TIMEOUT,
            self.sys.request(CLAIMS_UPDATE_SUBJECT, token.into()),
        )
        .await
        .map_err(|_| fail(String::from("timed out")))?
        .map_err(|e| fail(e.to_string()))?;
        let answer: Value = serde_json::from_slice(&reply.payload).unwrap_or(Value::Null);
        if let Some(error) = answer.get("error") {
            let text = error
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("refused");
            return Err(fail(text.to_owned()));
        }
        let code = answer
            .pointer("/data/code")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if !(200..300).contains(&code) {
            return Err(fail(format!("unexpected answer (code {code})")));
        }
        Ok(())
    }
}
