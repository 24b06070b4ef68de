//! The estate's values: the operator, its accounts and their users, each with its
//! claims, its signed JWT and, where held, its key pairs; lookups, and re-signing an
//! account after a change.

use claims::{AccountClaims, KeyPair, OperatorClaims, UserClaims};

use crate::error::EstateError;

/// The operator: claims, JWT and the keys held.
#[derive(Debug, Clone)]
pub struct OperatorEntry {
    /// The operator name (also the store directory's name).
    pub name: String,
    /// The claims as signed.
    pub claims: OperatorClaims,
    /// The signed JWT.
    pub jwt: String,
    /// The identity key, when its seed is held.
    pub key: Option<KeyPair>,
    /// Signing keys whose seeds are held.
    pub signing_keys: Vec<KeyPair>,
}

/// An account: claims, JWT, the keys held and its users.
#[derive(Debug, Clone)]
pub struct AccountEntry {
    /// The account name (also its directory's name).
    pub name: String,
    /// The claims as signed.
    pub claims: AccountClaims,
    /// The signed JWT.
    pub jwt: String,
    /// The identity key, when its seed is held.
    pub key: Option<KeyPair>,
    /// Signing keys whose seeds are held.
    pub signing_keys: Vec<KeyPair>,
    /// Users stored for this account.
    pub users: Vec<UserEntry>,
}

/// A user: claims, JWT and its key, when held.
#[derive(Debug, Clone)]
pub struct UserEntry {
    /// The user name (also its JWT and creds file's name).
    pub name: String,
    /// The claims as signed.
    pub claims: UserClaims,
    /// The signed JWT.
    pub jwt: String,
    /// The user's key, when its seed is held.
    pub key: Option<KeyPair>,
}

/// An operator, its accounts (system account first) and their users.
#[derive(Debug, Clone)]
pub struct Estate {
    /// The operator.
    pub operator: OperatorEntry,
    /// The accounts in creation order.
    pub accounts: Vec<AccountEntry>,
}

impl OperatorEntry {
    /// The operator's public key.
    pub fn public_key(&self) -> &str {
        &self.claims.sub
    }

    /// The key accounts are signed with: the first held signing key listed in the operator
    /// JWT, else the identity key.
    ///
    /// # Errors
    /// [`EstateError::MissingSeed`] when neither is held.
    pub fn account_signer(&self) -> Result<&KeyPair, EstateError> {
        let listed = |k: &&KeyPair| self.claims.nats.signing_keys.contains(&k.public_key());
        if let Some(key) = self.signing_keys.iter().find(listed) {
            return Ok(key);
        }
        self.key.as_ref().ok_or_else(|| EstateError::MissingSeed {
            what: "operator signing key",
            key: self
                .claims
                .nats
                .signing_keys
                .first()
                .cloned()
                .unwrap_or_else(|| self.claims.sub.clone()),
        })
    }
}

impl AccountEntry {
    /// The account's public key.
    pub fn public_key(&self) -> &str {
        &self.claims.sub
    }

    /// The user named `name`.
    pub fn user(&self, name: &str) -> Option<&UserEntry> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The held signing key that is listed in the account JWT, scoped or not: the key a
    /// tenant's minted users are signed with.
    pub fn minted_user_key(&self) -> Option<&KeyPair> {
        self.signing_keys
            .iter()
            .find(|k| self.claims.nats.signing_keys.contains(&k.public_key()))
    }

    /// Whether `key` is a scoped signing key of this account.
    pub fn is_scoped(&self, key: &str) -> bool {
        matches!(self.claims.nats.signing_keys.0.get(key), Some(Some(_)))
    }

    /// The tenant this account serves, from its `tenant:<name>` tag.
    pub fn tenant(&self) -> Option<&str> {
        self.claims
            .nats
            .tags
            .iter()
            .find_map(|t| t.strip_prefix("tenant:"))
    }
}

impl UserEntry {
    /// The user's public key.
    pub fn public_key(&self) -> &str {
        &self.claims.sub
    }

    /// The creds file text, when the seed is held.
    pub fn creds(&self) -> Option<String> {
        let seed = self.key.as_ref()?.seed().ok()?;
        Some(claims::format_creds(&self.jwt, &seed))
    }
}

impl Estate {
    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&AccountEntry> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The account named `name`, for changing.
    ///
    /// # Errors
    /// [`EstateError::NoAccount`].
    pub fn account_mut(&mut self, name: &str) -> Result<&mut AccountEntry, EstateError> {
        self.accounts
            .iter_mut()
            .find(|a| a.name == name)
            .ok_or_else(|| EstateError::NoAccount {
                name: name.to_owned(),
            })
    }

    /// The account with public key `key`.
    pub fn account_by_key(&self, key: &str) -> Option<&AccountEntry> {
        self.accounts.iter().find(|a| a.public_key() == key)
    }

    /// The system account named in the operator JWT.
    pub fn system_account(&self) -> Option<&AccountEntry> {
        self.account_by_key(&self.operator.claims.nats.system_account)
    }

    /// The tenant accounts (those tagged `tenant:<name>`).
    pub fn tenants(&self) -> impl Iterator<Item = &AccountEntry> {
        self.accounts.iter().filter(|a| a.tenant().is_some())
    }

    /// Re-signs account `name` after `change` ran on its claims, with the operator's
    /// account signer. The issue time is `now`, or one second after the previous JWT's
    /// when that is not earlier: a resolver ignores an update whose `jti` (a hash of the
    /// standard fields, not the body) equals the stored one.
    ///
    /// # Errors
    /// [`EstateError::NoAccount`], [`EstateError::MissingSeed`], [`EstateError::Sign`].
    pub fn resign_account(
        &mut self,
        name: &str,
        now: i64,
        change: impl FnOnce(&mut AccountClaims),
    ) -> Result<&AccountEntry, EstateError> {
        let signer = self.operator.account_signer()?.clone();
        let account = self.account_mut(name)?;
        let mut claims = account.claims.clone();
        change(&mut claims);
        let iat = now.max(account.claims.iat.saturating_add(1));
        let jwt = claims
            .encode(&signer, iat)
            .map_err(|source| EstateError::Sign {
                what: format!("account {name}"),
                source,
            })?;
        account.claims = claims;
        account.jwt = jwt;
        Ok(account)
    }

    /// Revokes every JWT of `user_public_key` in account `name` issued at or before `at`,
    /// and re-signs the account (see [`Estate::resign_account`]).
    ///
    /// # Errors
    /// As [`Estate::resign_account`].
    pub fn revoke_user(
        &mut self,
        name: &str,
        user_public_key: &str,
        at: i64,
        now: i64,
    ) -> Result<&AccountEntry, EstateError> {
        self.resign_account(name, now, |claims| {
            claims.revoke_user_at(user_public_key, at)
        })
    }
}

/// Test support: every JWT of an estate (the operator, each account and user) passes
/// the Go library's validation at `now`.
#[cfg(test)]
pub(crate) fn assert_every_jwt_valid(estate: &Estate, now: i64) {
    use claims::Validate as _;
    let report = estate.operator.claims.validate(now);
    assert!(report.errors.is_empty(), "operator: {:?}", report.errors);
    for account in &estate.accounts {
        let report = account.claims.validate(now);
        assert!(
            report.errors.is_empty(),
            "{}: {:?}",
            account.name,
            report.errors
        );
        for user in &account.users {
            let report = user.claims.validate(now);
            assert!(
                report.errors.is_empty(),
                "{}: {:?}",
                user.name,
                report.errors
            );
        }
    }
}
