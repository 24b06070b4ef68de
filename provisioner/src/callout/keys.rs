//! The callout's own keys, checked at start-up: the key that signs responses (the callout
//! account's identity key or one of its signing keys, `--callout-issuer-key`) and the
//! curve key requests are sealed to (`--callout-xkey`, optional).
//!
//! When the callout account's JWT is at hand (`--acc` or `--nsc-store`), its
//! `authorization` block is checked too: the issuer must be the account or one of its
//! signing keys, its `xkey` must be ours (a server sealing to another key would get no
//! answers), and tenants the policy lets connect through the callout should be in
//! `allowed_accounts` (a warning: the server refuses their users otherwise).

use std::path::Path;

use claims::{AccountClaims, KeyKind, KeyPair, SignerAuthority};
use nkeys::XKey;

use crate::callout::sealer::Sealer;

use crate::config::CalloutMode;
use crate::config::ConfigError;
use crate::keys::{load_account_seed, read_file, readable_by_others};
use crate::mint::SignWith;

/// Keys and identity of the callout responder.
pub struct CalloutKeys {
    /// The callout account: requests must have it as subject.
    pub account: String,
    /// Signs responses.
    pub issuer: KeyPair,
    /// Set when `issuer` is a signing key of `account`.
    pub issuer_account: Option<String>,
    /// Opens requests and seals replies, when configured.
    pub xkey: Option<Sealer>,
    /// Operator mode (tenant keys sign users) or config mode (`issuer` signs them).
    pub mode: CalloutMode,
}

impl CalloutKeys {
    /// The key that signs the users this callout admits: the tenant's signing key in
    /// operator mode, the issuer itself in config mode.
    pub fn sign_with(&self) -> SignWith<'_> {
        match self.mode {
            CalloutMode::Operator => SignWith::TenantKey,
            CalloutMode::Config => SignWith::CalloutIssuer(&self.issuer),
        }
    }
}

impl std::fmt::Debug for CalloutKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalloutKeys")
            .field("account", &self.account)
            .field("issuer", &self.issuer.public_key())
            .field("xkey", &self.xkey.as_ref().map(|s| s.xkey().public_key()))
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Loads the callout keys for callout account `account`, checked against its JWT when
/// `account_jwt` is given.
///
/// # Errors
/// [`ConfigError`] for unreadable or wrong-kind seeds, an issuer that is neither the
/// account nor one of its signing keys, or an xkey that disagrees with the account's.
pub fn load_callout_keys(
    issuer_path: &Path,
    xkey_path: Option<&Path>,
    account: &str,
    account_jwt: Option<&AccountClaims>,
) -> Result<CalloutKeys, ConfigError> {
    let issuer = load_account_seed(issuer_path)?;
    let public = issuer.public_key();
    let issuer_account = (public != account).then(|| account.to_owned());
    let xkey = xkey_path.map(load_xkey).transpose()?;
    if let Some(jwt) = account_jwt {
        check_against_account(jwt, &public, xkey.as_ref().map(Sealer::xkey))?;
    }
    Ok(CalloutKeys {
        account: account.to_owned(),
        issuer,
        issuer_account,
        xkey,
        mode: CalloutMode::Operator,
    })
}

/// Loads the keys of a config-mode callout: `issuer_path` holds the account seed whose
/// public key is the server's `auth_callout.issuer`; requests name it as their subject,
/// and it signs responses and users alike.
///
/// # Errors
/// [`ConfigError`] for unreadable or wrong-kind seeds.
pub fn load_config_mode_keys(
    issuer_path: &Path,
    xkey_path: Option<&Path>,
) -> Result<CalloutKeys, ConfigError> {
    let issuer = load_account_seed(issuer_path)?;
    let xkey = xkey_path.map(load_xkey).transpose()?;
    Ok(CalloutKeys {
        account: issuer.public_key(),
        issuer,
        issuer_account: None,
        xkey,
        mode: CalloutMode::Config,
    })
}

/// Config mode places a user by the account name in its audience: every tenant the
/// callout may place users in must name its account.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the tenants without `identity.callout.config_account`.
pub fn check_config_accounts(policy: &policy::Policy) -> Result<(), ConfigError> {
    let missing: Vec<&str> = policy
        .tenants()
        .iter()
        .filter(|t| {
            let callout = &t.config().identity.callout;
            callout.enabled && callout.config_account.is_none()
        })
        .map(|t| t.name())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "--callout-mode config places users by account name: set identity.callout.config_account for tenant(s) {}",
            missing.join(", ")
        )))
    }
}

/// Reads a curve seed (`SX…`).
fn load_xkey(path: &Path) -> Result<Sealer, ConfigError> {
    let text = read_file(path)?;
    if readable_by_others(path) {
        tracing::warn!(path = %path.display(), "xkey file is readable by others; chmod 600 it");
    }
    let seed = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("SX"))
        .unwrap_or_else(|| text.trim());
    let invalid = || {
        ConfigError::Invalid(format!(
            "callout xkey `{}` does not hold a curve seed (`SX…`)",
            path.display()
        ))
    };
    let xkey = XKey::from_seed(seed).map_err(|_| invalid())?;
    Sealer::new(xkey).map_err(|_| invalid())
}

fn check_against_account(
    account: &AccountClaims,
    issuer: &str,
    xkey: Option<&XKey>,
) -> Result<(), ConfigError> {
    match account.signer_authority(issuer) {
        Some(SignerAuthority::Identity | SignerAuthority::Plain) => {}
        Some(SignerAuthority::Scoped(_)) | None => {
            return Err(ConfigError::Invalid(format!(
            "callout issuer `{issuer}` is neither account `{}` nor one of its plain signing keys",
            account.sub
        )))
        }
    }
    let auth = &account.nats.authorization;
    if auth.auth_users.is_empty() {
        tracing::warn!(account = %account.sub, "the callout account has no `authorization` (auth_users): the server will not call out");
    }
    let configured = &auth.xkey;
    match xkey {
        None if !configured.is_empty() => Err(ConfigError::Invalid(format!(
            "account `{}` seals callout requests to xkey `{configured}`: give --callout-xkey",
            account.sub
        ))),
        Some(ours) if !configured.is_empty() && *configured != ours.public_key() => {
            Err(ConfigError::Invalid(format!(
                "account `{}` seals callout requests to xkey `{configured}`, not to `{}`",
                account.sub,
                ours.public_key()
            )))
        }
        Some(ours) if configured.is_empty() => Err(ConfigError::Invalid(format!(
            "--callout-xkey `{}` is given but account `{}` has no `authorization.xkey`",
            ours.public_key(),
            account.sub
        ))),
        _ => Ok(()),
    }
}

/// Warns about callout tenants whose accounts the callout account may not place users in.
pub fn warn_unplaceable(account: Option<&AccountClaims>, policy: &policy::Policy) {
    let Some(account) = account else { return };
    let allowed = &account.nats.authorization.allowed_accounts;
    for tenant in policy.tenants() {
        let wildcard = allowed.iter().any(|a| a == "*");
        if tenant.config().identity.callout.enabled
            && !wildcard
            && !allowed.iter().any(|a| a == tenant.account())
        {
            tracing::warn!(
                tenant = tenant.name(),
                account = tenant.account(),
                "the callout account's `allowed_accounts` lacks this tenant: the server will refuse its users"
            );
        }
    }
}

/// Whether `key` is a public curve key (`X…`).
pub fn is_xkey(key: &str) -> bool {
    key.starts_with('X') && XKey::from_public_key(key).is_ok()
}

/// Guard: the callout account must be an account public key.
///
/// # Errors
/// [`ConfigError::Invalid`].
pub fn check_callout_account(account: &str) -> Result<(), ConfigError> {
    claims::check_public_key(account, KeyKind::Account).map_err(|_| {
        ConfigError::Invalid(format!(
            "the callout account `{account}` (the account of --creds) is not an account public key"
        ))
    })
}

#[cfg(test)]
mod tests {
    use claims::ExternalAuthorization;

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn keys_load_and_are_checked_against_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let auth = KeyPair::new_account();
        let signing = KeyPair::new_account();
        let xkey = XKey::new();
        let issuer = write(dir.path(), "auth.nk", &auth.seed().unwrap());
        let sk = write(dir.path(), "sk.nk", &signing.seed().unwrap());
        let x = write(dir.path(), "x.xk", &xkey.seed().unwrap());
        let mut claims = AccountClaims::new_account(auth.public_key());
        claims.nats.authorization = ExternalAuthorization {
            auth_users: vec![KeyPair::new_user().public_key()],
            allowed_accounts: vec![String::from("*")],
            xkey: xkey.public_key(),
        };
        let account = auth.public_key();
        let keys = load_callout_keys(&issuer, Some(&x), &account, Some(&claims)).unwrap();
        assert!(keys.issuer_account.is_none());
        assert_eq!(
            keys.xkey.as_ref().unwrap().xkey().public_key(),
            xkey.public_key()
        );
        assert!(!format!("{keys:?}").contains(&xkey.seed().unwrap()));

        // A signing key not in the JWT is refused; listed, it signs with issuer_account.
        assert!(load_callout_keys(&sk, Some(&x), &account, Some(&claims)).is_err());
        claims.nats.signing_keys.add(signing.public_key());
        let keys = load_callout_keys(&sk, Some(&x), &account, Some(&claims)).unwrap();
        assert_eq!(keys.issuer_account.as_deref(), Some(account.as_str()));

        // The xkey must agree with the account's.
        assert!(load_callout_keys(&issuer, None, &account, Some(&claims)).is_err());
        let other = write(dir.path(), "o.xk", &XKey::new().seed().unwrap());
        assert!(load_callout_keys(&issuer, Some(&other), &account, Some(&claims)).is_err());
        claims.nats.authorization.xkey.clear();
        assert!(load_callout_keys(&issuer, Some(&x), &account, Some(&claims)).is_err());
        assert!(load_callout_keys(&issuer, None, &account, Some(&claims)).is_ok());
        // Wrong kinds of seed.
        assert!(load_callout_keys(&x, None, &account, None).is_err());
        assert!(load_callout_keys(&issuer, Some(&issuer), &account, None).is_err());
        assert!(is_xkey(&xkey.public_key()));
        assert!(!is_xkey(&account));
    }

    #[test]
    fn config_mode_keys_sign_as_the_issuer_and_every_callout_tenant_needs_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = KeyPair::new_account();
        let path = write(dir.path(), "issuer.nk", &issuer.seed().unwrap());
        let keys = load_config_mode_keys(&path, None).unwrap();
        assert_eq!(keys.account, issuer.public_key());
        assert!(keys.issuer_account.is_none());
        assert_eq!(keys.mode, CalloutMode::Config);
        let user = write(dir.path(), "user.nk", &KeyPair::new_user().seed().unwrap());
        assert!(load_config_mode_keys(&user, None).is_err());

        let policy = |extra: &str| {
            policy::Policy::from_toml_str(&format!(
                "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{}\"\n\
                 namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
                 identity.callout = {{ enabled = true{extra} }}\n\
                 permissions.pub.allow = [\"tenant.acme.>\"]\n\
                 permissions.sub.allow = [\"_INBOX.>\"]\n",
                KeyPair::new_account().public_key()
            ))
            .unwrap()
        };
        let err = check_config_accounts(&policy("")).unwrap_err().to_string();
        assert!(
            err.contains("acme") && err.contains("config_account"),
            "{err}"
        );
        assert!(check_config_accounts(&policy(", config_account = \"ACME\"")).is_ok());
    }
}
