//! Which tenant an account is: a map from account public key to tenant name, built from
//! configuration (`acme=<account key>` pairs) or from account JWTs tagged
//! `tenant:<name>` (the tag `nsc-setup` puts on every tenant account).
//!
//! One tenant is one account, both ways. The agent keeps a tenant's resources under the
//! tenant's name, so two accounts named for one tenant (a re-created tenant's old account,
//! a stray file tagged `tenant:acme`) would share them: that is refused, naming both
//! accounts and where each came from. An account JWT is believed only when it verifies
//! and its issuer is a key of the operator ([`OperatorTrust`]).
//!
//! Pure: reading the files is the binary's job.

use std::collections::BTreeMap;

use claims::{AccountClaims, KeyKind};
use thiserror::Error;

use crate::subjects::{check_token, NameError};
use crate::trust::OperatorTrust;

/// Where a mapping made with [`TenantMap::insert`] came from, in error messages.
const CONFIGURED: &str = "the configuration";

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
    /// One tenant name given to two accounts.
    #[error(
        "tenant `{tenant}` is both account `{first}` (from {first_origin}) and account \
         `{second}` (from {second_origin}); a tenant has one account: remove the stale or \
         stray one"
    )]
    SharedTenant {
        /// The tenant.
        tenant: String,
        /// The account it had.
        first: String,
        /// Where that mapping came from.
        first_origin: String,
        /// The other account.
        second: String,
        /// Where the other mapping came from.
        second_origin: String,
    },
    /// An account JWT whose issuer is not a key of the operator.
    #[error(
        "account JWT `{source_name}` is not signed by the operator: its issuer `{issuer}` \
         is neither the operator's key nor one of its signing keys"
    )]
    Issuer {
        /// Where it came from (a file name).
        source_name: String,
        /// The key that signed it.
        issuer: String,
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

/// Account public key → tenant name, one account per tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantMap {
    by_account: BTreeMap<String, Mapped>,
}

/// A tenant name and where its mapping came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapped {
    tenant: String,
    origin: String,
}

impl TenantMap {
    /// An empty map: every account is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `account` as tenant `tenant`. Adding the same pair twice is fine.
    ///
    /// # Errors
    /// [`TenantError::Name`], [`TenantError::Account`], [`TenantError::Conflict`],
    /// [`TenantError::SharedTenant`].
    pub fn insert(&mut self, tenant: &str, account: &str) -> Result<(), TenantError> {
        self.insert_from(tenant, account, CONFIGURED)
    }

    /// As [`TenantMap::insert`]; `origin` says where the mapping came from (`--tenant`,
    /// a file name) in the error when it clashes with another.
    ///
    /// # Errors
    /// As [`TenantMap::insert`].
    pub fn insert_from(
        &mut self,
        tenant: &str,
        account: &str,
        origin: &str,
    ) -> Result<(), TenantError> {
        check_token("tenant", tenant)?;
        if claims::check_public_key(account, KeyKind::Account).is_err() {
            return Err(TenantError::Account {
                tenant: tenant.to_owned(),
                account: account.to_owned(),
            });
        }
        if let Some(first) = self.by_account.get(account) {
            return if first.tenant == tenant {
                Ok(())
            } else {
                Err(TenantError::Conflict {
                    account: account.to_owned(),
                    first: first.tenant.clone(),
                    second: tenant.to_owned(),
                })
            };
        }
        if let Some((first, mapped)) = self.by_account.iter().find(|(_, m)| m.tenant == tenant) {
            return Err(TenantError::SharedTenant {
                tenant: tenant.to_owned(),
                first: first.clone(),
                first_origin: mapped.origin.clone(),
                second: account.to_owned(),
                second_origin: origin.to_owned(),
            });
        }
        self.by_account.insert(
            account.to_owned(),
            Mapped {
                tenant: tenant.to_owned(),
                origin: origin.to_owned(),
            },
        );
        Ok(())
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
        self.insert_from(tenant.trim(), account.trim(), "--tenant")
    }

    /// Adds the account of an account JWT (read from `source_name`) if it is tagged
    /// `tenant:<name>`; returns the tenant name, or `None` for an account without such a
    /// tag (SYS, AUTH, SERVICES). Every JWT must be signed by a key `operator` trusts,
    /// tagged or not.
    ///
    /// # Errors
    /// [`TenantError::Jwt`] when the JWT does not decode or verify,
    /// [`TenantError::Issuer`] when the operator did not sign it, and as
    /// [`TenantMap::insert`].
    pub fn insert_account_jwt(
        &mut self,
        source_name: &str,
        jwt: &str,
        operator: &OperatorTrust,
    ) -> Result<Option<String>, TenantError> {
        let claims = AccountClaims::decode(jwt.trim()).map_err(|err| TenantError::Jwt {
            source_name: source_name.to_owned(),
            reason: err.to_string(),
        })?;
        if !operator.trusts(&claims.iss) {
            return Err(TenantError::Issuer {
                source_name: source_name.to_owned(),
                issuer: claims.iss,
            });
        }
        let Some(tenant) = tenant_from_tags(&claims.nats.tags) else {
            return Ok(None);
        };
        self.insert_from(tenant, &claims.sub, &format!("`{source_name}`"))?;
        Ok(Some(tenant.to_owned()))
    }

    /// The tenant of `account`, if it is one.
    pub fn tenant_of(&self, account: &str) -> Option<&str> {
        self.by_account.get(account).map(|m| m.tenant.as_str())
    }

    /// The account of tenant `tenant`, if it is one.
    pub fn account_of(&self, tenant: &str) -> Option<&str> {
        self.by_account
            .iter()
            .find(|(_, m)| m.tenant == tenant)
            .map(|(a, _)| a.as_str())
    }

    /// The tenant names, sorted.
    pub fn tenants(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .by_account
            .values()
            .map(|m| m.tenant.as_str())
            .collect();
        names.sort_unstable();
        names
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

    /// An operator key trusted by the returned [`OperatorTrust`].
    fn operator() -> (KeyPair, OperatorTrust) {
        let operator = KeyPair::new_operator();
        let mut trust = OperatorTrust::new();
        trust.add_key(&operator.public_key()).unwrap();
        (operator, trust)
    }

    fn account_jwt(signer: &KeyPair, tags: &[&str]) -> (String, String) {
        let account = KeyPair::new_account();
        let mut claims = AccountClaims::new_account(account.public_key());
        claims.name = "acme".into();
        claims.nats.tags = tags.iter().map(|t| t.to_string()).collect();
        (claims.encode(signer, 1000).unwrap(), account.public_key())
    }

    #[test]
    fn pairs_map_accounts_to_tenants() {
        let a = KeyPair::new_account().public_key();
        let b = KeyPair::new_account().public_key();
        let mut map = TenantMap::new();
        map.insert_pair(&format!("acme={a}")).unwrap();
        map.insert_pair(&format!(" globex = {b} ")).unwrap();
        map.insert_pair(&format!("acme={a}")).unwrap();
        map.insert("acme", &a).unwrap();
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
    fn one_tenant_is_one_account() {
        let a = KeyPair::new_account().public_key();
        let b = KeyPair::new_account().public_key();
        let mut map = TenantMap::new();
        map.insert("acme", &a).unwrap();
        let err = map.insert_pair(&format!("acme={b}")).unwrap_err();
        assert_eq!(
            err,
            TenantError::SharedTenant {
                tenant: "acme".into(),
                first: a.clone(),
                first_origin: CONFIGURED.into(),
                second: b.clone(),
                second_origin: "--tenant".into(),
            }
        );
        assert!(err.to_string().starts_with(&format!(
            "tenant `acme` is both account `{a}` (from the configuration) and account `{b}` \
             (from --tenant)"
        )));
        assert_eq!((map.len(), map.account_of("acme")), (1, Some(a.as_str())));
    }

    #[test]
    fn account_jwts_name_tenants_by_tag() {
        let (operator, trust) = operator();
        let mut map = TenantMap::new();
        let (jwt, key) = account_jwt(&operator, &["tenant:acme", "other"]);
        assert_eq!(
            map.insert_account_jwt("acme.jwt", &jwt, &trust)
                .unwrap()
                .as_deref(),
            Some("acme")
        );
        assert_eq!(map.tenant_of(&key), Some("acme"));
        let (jwt, _) = account_jwt(&operator, &["team:x"]);
        assert_eq!(
            map.insert_account_jwt("services.jwt", &jwt, &trust)
                .unwrap(),
            None
        );
        assert!(matches!(
            map.insert_account_jwt("bad.jwt", "not a jwt", &trust),
            Err(TenantError::Jwt { .. })
        ));
    }

    #[test]
    fn a_second_account_tagged_for_a_tenant_is_refused_with_its_file() {
        let (operator, trust) = operator();
        let mut map = TenantMap::new();
        let (jwt, acme) = account_jwt(&operator, &["tenant:acme"]);
        map.insert_account_jwt("jwt/acme.jwt", &jwt, &trust)
            .unwrap();
        let (stray, stray_key) = account_jwt(&operator, &["tenant:acme"]);
        let err = map
            .insert_account_jwt("jwt/old.jwt", &stray, &trust)
            .unwrap_err();
        assert!(
            matches!(&err, TenantError::SharedTenant { first, second, second_origin, .. }
                if *first == acme && *second == stray_key && second_origin == "`jwt/old.jwt`"),
            "{err}"
        );
        assert_eq!(map.tenant_of(&stray_key), None);
    }

    #[test]
    fn account_jwts_not_signed_by_the_operator_are_refused() {
        let (_, trust) = operator();
        let stranger = KeyPair::new_operator();
        let mut map = TenantMap::new();
        for tags in [&["tenant:acme"][..], &[][..]] {
            let (jwt, _) = account_jwt(&stranger, tags);
            assert_eq!(
                map.insert_account_jwt("stray.jwt", &jwt, &trust),
                Err(TenantError::Issuer {
                    source_name: "stray.jwt".into(),
                    issuer: stranger.public_key(),
                })
            );
        }
        let (jwt, _) = account_jwt(&stranger, &["tenant:acme"]);
        assert!(matches!(
            map.insert_account_jwt("any.jwt", &jwt, &OperatorTrust::new()),
            Err(TenantError::Issuer { .. })
        ));
        assert!(map.is_empty());
    }

    #[test]
    fn tenant_tags_match_their_prefix_ignoring_case() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tenant_from_tags(&tags(&["TENANT:acme"])), Some("acme"));
        assert_eq!(tenant_from_tags(&tags(&["tenantacme", "x"])), None);
        assert_eq!(tenant_from_tags(&tags(&[])), None);
    }
}
