//! A throwaway operator estate for end-to-end tests, minted with the product's `claims`
//! crate: an operator, its system account, and accounts and users shaped per test.
//!
//! Every key here is generated at test time and used by that test only. Not here: the nsc
//! store layout or the product's own estate (the `nsc-setup` crate).

use std::time::{SystemTime, UNIX_EPOCH};

use claims::{format_creds, AccountClaims, KeyPair, OperatorClaims, UserClaims};

use crate::config::operator_memory_resolver;

/// The current unix time; tests mint with the real clock so the server accepts the JWTs.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An account: its identity key, its claims as signed, and the JWT.
pub struct TestAccount {
    /// Identity key.
    pub key: KeyPair,
    /// The claims as last signed.
    pub claims: AccountClaims,
    /// The signed JWT.
    pub jwt: String,
}

impl TestAccount {
    /// The account's public key.
    pub fn public_key(&self) -> String {
        self.key.public_key()
    }
}

/// An operator with a system account.
pub struct TestOperator {
    /// Operator identity key.
    pub key: KeyPair,
    /// Operator JWT.
    pub jwt: String,
    /// The system account.
    pub system: TestAccount,
}

impl TestOperator {
    /// A new operator named `name` with a system account `SYS`.
    ///
    /// # Errors
    /// When signing fails (it does not with fresh keys).
    pub fn new(name: &str) -> anyhow::Result<Self> {
        let key = KeyPair::new_operator();
        let system_key = KeyPair::new_account();
        let mut op = OperatorClaims::with_body(key.public_key(), Default::default());
        op.name = name.to_owned();
        op.nats.system_account = system_key.public_key();
        let jwt = op.encode(&key, unix_now())?;
        let mut this = TestOperator {
            system: TestAccount {
                key: KeyPair::new_account(),
                claims: AccountClaims::new_account(system_key.public_key()),
                jwt: String::new(),
            },
            key,
            jwt,
        };
        this.system = this.account_with_key(system_key, "SYS", |_| {})?;
        Ok(this)
    }

    /// A new account named `name`, shaped by `shape` before signing.
    ///
    /// # Errors
    /// When signing fails.
    pub fn account(
        &self,
        name: &str,
        shape: impl FnOnce(&mut AccountClaims),
    ) -> anyhow::Result<TestAccount> {
        self.account_with_key(KeyPair::new_account(), name, shape)
    }

    fn account_with_key(
        &self,
        key: KeyPair,
        name: &str,
        shape: impl FnOnce(&mut AccountClaims),
    ) -> anyhow::Result<TestAccount> {
        let mut claims = AccountClaims::new_account(key.public_key());
        claims.name = name.to_owned();
        shape(&mut claims);
        let jwt = claims.encode(&self.key, unix_now())?;
        Ok(TestAccount { key, claims, jwt })
    }

    /// A memory-resolver server config preloading the system account and `accounts`.
    pub fn memory_resolver_config(&self, accounts: &[&TestAccount]) -> String {
        let system_key = self.system.public_key();
        let mut preload: Vec<(String, &str)> = vec![(system_key.clone(), &self.system.jwt)];
        preload.extend(accounts.iter().map(|a| (a.public_key(), a.jwt.as_str())));
        let pairs: Vec<(&str, &str)> = preload.iter().map(|(k, j)| (k.as_str(), *j)).collect();
        operator_memory_resolver(&self.jwt, &system_key, &pairs)
    }
}

/// A user and its creds file text.
pub struct TestUser {
    /// The user's key pair.
    pub key: KeyPair,
    /// The claims as signed.
    pub claims: UserClaims,
    /// The creds file text (JWT and seed).
    pub creds: String,
}

/// Mints a user signed by `signer` for `account`, shaped by `shape` before signing. When
/// `signer` is not the account's identity key, `issuer_account` is set.
///
/// # Errors
/// When signing fails, for example because `signer` is not an account key.
pub fn mint_user(
    signer: &KeyPair,
    account: &str,
    name: &str,
    shape: impl FnOnce(&mut UserClaims),
) -> anyhow::Result<TestUser> {
    let key = KeyPair::new_user();
    let mut claims = UserClaims::new_user(key.public_key());
    claims.name = name.to_owned();
    if signer.public_key() != account {
        claims.nats.issuer_account = account.to_owned();
    }
    shape(&mut claims);
    let jwt = claims.encode(signer, unix_now())?;
    let creds = format_creds(&jwt, &key.seed()?);
    Ok(TestUser { key, claims, creds })
}
