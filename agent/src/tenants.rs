//! Which tenant an account is: a map from account public key to tenant name, built from
//! configuration (`acme=<account key>` pairs) or from account JWTs tagged
//! `tenant:<name>` (the tag `nsc-setup` puts on every tenant account).
//!
//! Account JWTs given to the agent are local configuration written by the operator: their
//! signatures are checked, their issuer is not (the agent does not know the operator).
//! Pure: reading the files is the binary's job.

use std::collections::BTreeMap;

use claims::{AccountClaims, KeyKind};
use thiserror::Error;

use crate::subjects::{check_token, NameError};

/// The account tag naming a tenant, `tenant:<name>`.
pub const TENANT_TAG_PREFIX: &str = "tenant:";

/// A tenant mapping that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TenantError {
    /// Not `NAME=ACCOUNT`.
    #[error("tenant `{pair}` is not NAME=ACCOUNT")]
    Pair {
        /// The text given.
        pair: String,
    },
    /// The tenant name is not a single token.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The account is not an account public key.
    #[error("tenant `{tenant}`: `{account}` is not an account public key")]
    Account {
        /// The tenant.
        tenant: String,
        /// The key given.
        account: String,
    },
    /// One account given two tenant names.
    #[error("account `{account}` is both tenant `{first}` and tenant `{second}`")]
    Conflict {
        /// The account.
        account: String,
        /// The name it had.
        first: String,
        /// The other name.
        second: String,
    },
    /// An account JWT that does not decode or verify.
    #[error("account JWT `{source_name}` is not valid: {reason}")]
    Jwt {
        /// Where it came from (a file name).
        source_name: String,
        /// Why.
        reason: String,
    },
}

/// Account public key → tenant name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantMap {
    by_account: BTreeMap<String, String>,
}

impl TenantMap {
    /// An empty map: every account is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `account` as tenant `tenant`. Adding the same pair twice is fine.
    ///
    /// # Errors
    /// [`TenantError::Name`], [`TenantError::Account`], [`TenantError::Conflict`].
    pub fn insert(&mut self, tenant: &str, account: &str) -> Result<(), TenantError> {
        check_token("tenant", tenant)?;
        if claims::check_public_key(account, KeyKind::Account).is_err() {
            return Err(TenantError::Account {
                tenant: tenant.to_owned(),
                account: account.to_owned(),
            });
        }
        match self.by_account.get(account) {
            Some(first) if first != tenant => Err(TenantError::Conflict {
                account: account.to_owned(),
                first: first.clone(),
                second: tenant.to_owned(),
            }),
            Some(_) => Ok(()),
            None => {
                self.by_account
                    .insert(account.to_owned(), tenant.to_owned());
                Ok(())
            }
        }
    }

    /// Adds a `NAME=ACCOUNT` pair (the `--tenant` flag).
    ///
    /// # Errors
    /// [`TenantError::Pair`] and as [`TenantMap::insert`].
    ///
    /// # Examples
    /// ```
    /// let mut tenants = agent::TenantMap::new();
    /// let key = claims::KeyPair::new_account().public_key();
    /// tenants.insert_pair(&format!("acme={key}")).unwrap();
    /// assert_eq!(tenants.tenant_of(&key), Some("acme"));
    /// assert!(tenants.insert_pair("acme").is_err());
    /// ```
    pub fn insert_pair(&mut self, pair: &str) -> Result<(), TenantError> {
        let (tenant, account) = pair.split_once('=').ok_or_else(|| TenantError::Pair {
            pair: pair.to_owned(),
        })?;
        self.insert(tenant.trim(), account.trim())
    }

    /// Adds the account of an account JWT if it is tagged `tenant:<name>`; returns the
    /// tenant name, or `None` for an account without such a tag (SYS, AUTH, SERVICES).
    ///
    /// # Errors
    /// [`TenantError::Jwt`] when the JWT does not decode or verify, and as
    /// [`TenantMap::insert`].
    pub fn insert_account_jwt(
        &mut self,
        source_name: &str,
        jwt: &str,
    ) -> Result<Option<String>, TenantError> {
        let claims = AccountClaims::decode(jwt.trim()).map_err(|err| TenantError::Jwt {
            source_name: source_name.to_owned(),
            reason: err.to_string(),
        })?;
        let Some(tenant) = tenant_from_tags(&claims.nats.tags) else {
            return Ok(None);
        };
        self.insert(tenant, &claims.sub)?;
        Ok(Some(tenant.to_owned()))
    }

    /// The tenant of `account`, if it is one.
    pub fn tenant_of(&self, account: &str) -> Option<&str> {
        self.by_account.get(account).map(String::as_str)
    }

    /// The account of tenant `tenant`, if it is one.
    pub fn account_of(&self, tenant: &str) -> Option<&str> {
        self.by_account
            .iter()
            .find(|(_, t)| t.as_str() == tenant)
            .map(|(a, _)| a.as_str())
    }

    /// How many accounts are mapped.
    pub fn len(&self) -> usize {
        self.by_account.len()
    }

    /// Whether no account is mapped.
    pub fn is_empty(&self) -> bool {
        self.by_account.is_empty()
    }
}

/// The tenant named by a `tenant:<name>` tag (the prefix matched ignoring ASCII case, as
/// NATS tooling may lowercase tags).
pub fn tenant_from_tags(tags: &[String]) -> Option<&str> {
    tags.iter().find_map(|tag| {
        let head = tag.get(..TENANT_TAG_PREFIX.len())?;
        head.eq_ignore_ascii_case(TENANT_TAG_PREFIX)
            .then(|| tag.get(TENANT_TAG_PREFIX.len()..))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::KeyPair;

    fn account_jwt(tags: &[&str]) -> (String, String) {
        let operator = KeyPair::new_operator();
        let account = KeyPair::new_account();
        let mut claims = AccountClaims::new_account(account.public_key());
        claims.name = "acme".into();
        claims.nats.tags = tags.iter().map(|t| t.to_string()).collect();
        (
            claims.encode(&operator, 1000).unwrap(),
            account.public_key(),
        )
    }

    #[test]
    fn pairs_map_accounts_to_tenants() {
        let a = KeyPair::new_account().public_key();
        let b = KeyPair::new_account().public_key();
        let mut map = TenantMap::new();
        map.insert_pair(&format!("acme={a}")).unwrap();
        map.insert_pair(&format!(" globex = {b} ")).unwrap();
        map.insert_pair(&format!("acme={a}")).unwrap();
        assert_eq!(map.tenant_of(&a), Some("acme"));
        assert_eq!(map.tenant_of(&b), Some("globex"));
        assert_eq!(map.account_of("globex"), Some(b.as_str()));
        assert_eq!(map.tenant_of("AUNKNOWN"), None);
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn bad_pairs_are_refused() {
        let a = KeyPair::new_account().public_key();
        let user = KeyPair::new_user().public_key();
        let mut map = TenantMap::new();
        assert!(matches!(
            map.insert_pair("acme"),
            Err(TenantError::Pair { .. })
        ));
        assert!(matches!(
            map.insert_pair(&format!("ac.me={a}")),
            Err(TenantError::Name(_))
        ));
        assert!(matches!(
            map.insert_pair(&format!("acme={user}")),
            Err(TenantError::Account { .. })
        ));
        map.insert("acme", &a).unwrap();
        let err = map.insert("globex", &a).unwrap_err();
        assert!(matches!(err, TenantError::Conflict { .. }));
        assert_eq!(
            err.to_string(),
            format!("account `{a}` is both tenant `acme` and tenant `globex`")
        );
    }

    #[test]
    fn account_jwts_name_tenants_by_tag() {
        let mut map = TenantMap::new();
        let (jwt, key) = account_jwt(&["tenant:acme", "other"]);
        assert_eq!(
            map.insert_account_jwt("acme.jwt", &jwt).unwrap().as_deref(),
            Some("acme")
        );
        assert_eq!(map.tenant_of(&key), Some("acme"));
        let (jwt, _) = account_jwt(&["team:x"]);
        assert_eq!(map.insert_account_jwt("services.jwt", &jwt).unwrap(), None);
        assert!(matches!(
            map.insert_account_jwt("bad.jwt", "not a jwt"),
            Err(TenantError::Jwt { .. })
        ));
    }

    #[test]
    fn tenant_tags_match_their_prefix_ignoring_case() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tenant_from_tags(&tags(&["TENANT:acme"])), Some("acme"));
        assert_eq!(tenant_from_tags(&tags(&["tenantacme", "x"])), None);
        assert_eq!(tenant_from_tags(&tags(&[])), None);
    }
}
