//! Appending signed entries to the estate: accounts signed with the operator's account
//! signer, users with their account's identity key.

use claims::{AccountClaims, KeyPair, UserClaims};
use nkeys::KeyPairType;

use super::entries::{AccountEntry, Estate, UserEntry};
use crate::error::EstateError;
use crate::keys::KeySource;

impl Estate {
    /// Signs `claims` as account `name` and appends it.
    pub(super) fn push_account(
        &mut self,
        name: &str,
        mut claims: AccountClaims,
        key: KeyPair,
        signing_keys: Vec<KeyPair>,
        now: i64,
    ) -> Result<(), EstateError> {
        claims.name = name.to_owned();
        let signer = self.operator.account_signer()?;
        let jwt = sign(&mut claims, signer, now, &format!("account {name}"))?;
        self.accounts.push(AccountEntry {
            name: name.to_owned(),
            claims,
            jwt,
            key: Some(key),
            signing_keys,
            users: Vec::new(),
        });
        Ok(())
    }

    /// Makes a user key, signs `claims` as user `name` with the account's identity key and
    /// appends it to the account.
    pub(super) fn push_user(
        &mut self,
        account: &str,
        name: &str,
        mut claims: UserClaims,
        keys: &mut impl KeySource,
        now: i64,
    ) -> Result<(), EstateError> {
        let key = keys.generate(KeyPairType::User)?;
        let entry = self.account_mut(account)?;
        let signer = entry.key.clone().ok_or_else(|| EstateError::MissingSeed {
            what: "account identity key",
            key: entry.public_key().to_owned(),
        })?;
        claims.sub = key.public_key();
        claims.name = name.to_owned();
        let jwt = sign(&mut claims, &signer, now, &format!("user {account}/{name}"))?;
        entry.users.push(UserEntry {
            name: name.to_owned(),
            claims,
            jwt,
            key: Some(key),
        });
        Ok(())
    }
}

/// Signs `claims` with `signer` as of `now`; `what` names it in the error.
pub(super) fn sign<N: claims::ClaimBody>(
    claims: &mut claims::Claims<N>,
    signer: &KeyPair,
    now: i64,
    what: &str,
) -> Result<String, EstateError> {
    claims
        .encode(signer, now)
        .map_err(|source| EstateError::Sign {
            what: what.to_owned(),
            source,
        })
}
