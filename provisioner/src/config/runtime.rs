//! What `serve` needs loaded before it connects: the policy (a file, or the seed's
//! single-account legacy policy), each tenant's account JWT and signing key, and the
//! provisioner's own account. Everything is checked here so that a bad estate stops the
//! start with one clear line; a reload (SIGHUP) goes through the same path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use claims::AccountClaims;
use policy::{Policy, SigningKeyRef};

use crate::config::{ConfigError, ServeConfig};
use crate::keys::{
    authorize_signer, load_account_jwt, load_account_seed, nsc_key_path, read_file, TenantSigner,
};

/// The seed tutorial's subjects live under `chat.<ACCOUNT NAME>`.
const SEED_NAMESPACE_PREFIX: &str = "chat";

/// The loaded policy and the keys it refers to.
pub struct Runtime {
    /// The policy.
    pub policy: Policy,
    /// Signing keys by tenant account public key.
    pub signers: HashMap<String, TenantSigner>,
    /// The tenants' callout users and tokens.
    pub callout: crate::callout::credentials::CalloutCredentials,
    /// The tenants' ID token verifiers.
    pub oidc: oidc::OidcVerifiers,
}

impl Runtime {
    /// The signer of the tenant with account `account`.
    pub fn signer(&self, account: &str) -> Option<&TenantSigner> {
        self.signers.get(account)
    }

    /// Keys that may have issued users of `account`, if it is a tenant.
    pub fn issuers_of(&self, account: &str) -> Option<Vec<String>> {
        self.signers.get(account).map(|s| s.issuers.clone())
    }
}

/// Loads the policy, account JWTs and signing keys named by `config`; JWKS URLs join
/// `jwks`, which outlives reloads.
///
/// # Errors
/// [`ConfigError`] naming the first file or key that is refused, or every policy problem.
pub fn load_runtime(
    config: &ServeConfig,
    jwks: &oidc::remote::JwksCache,
) -> Result<Runtime, ConfigError> {
    let accounts = load_accounts(config)?;
    let (policy, key_base) = match &config.policy {
        Some(path) => {
            let text = read_file(path)?;
            let policy = Policy::from_toml_str(&text).map_err(|errors| ConfigError::Policy {
                path: path.display().to_string(),
                problems: errors.to_string().replace('\n', "; "),
            })?;
            (
                policy,
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
            )
        }
        None => (seed_policy(config, &accounts)?, PathBuf::new()),
    };
    let config_mode = config
        .callout
        .as_ref()
        .is_some_and(|c| c.mode == crate::config::CalloutMode::Config);
    let mut signers = HashMap::new();
    for tenant in policy.tenants() {
        if config_mode && !accounts.contains_key(tenant.account()) {
            // A config-mode server has no account JWTs: the callout issuer signs these
            // tenants' users, and credential requests for them are refused.
            tracing::info!(
                tenant = tenant.name(),
                "no account JWT: the tenant's users come through the config-mode callout only"
            );
            continue;
        }
        let account = accounts.get(tenant.account()).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "no account JWT for tenant `{}` (account `{}`): give it with --acc or --nsc-store",
                tenant.name(),
                tenant.account()
            ))
        })?;
        let seed_path = match tenant.signing_key() {
            SigningKeyRef::Path(p) => {
                let p = PathBuf::from(p);
                if p.is_absolute() {
                    p
                } else {
                    key_base.join(p)
                }
            }
            SigningKeyRef::PublicKey(key) => {
                let store = config.nkeys_path.as_ref().ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "tenant `{}` names its signing key by public key: give --nkeys-path",
                        tenant.name()
                    ))
                })?;
                let path = nsc_key_path(store, key);
                if !path.is_file() {
                    return Err(crate::keys::KeyError::NoSeedFile {
                        key: key.clone(),
                        path,
                    }
                    .into());
                }
                path
            }
        };
        let key = load_account_seed(&seed_path)?;
        if let SigningKeyRef::PublicKey(expected) = tenant.signing_key() {
            if key.public_key() != *expected {
                return Err(ConfigError::Invalid(format!(
                    "seed file `{}` holds `{}`, not `{expected}`",
                    seed_path.display(),
                    key.public_key()
                )));
            }
        }
        let signer = authorize_signer(account, key, tenant.is_scoped())?;
        signers.insert(tenant.account().to_owned(), signer);
    }
    let callout = crate::callout::credentials::CalloutCredentials::load(&policy, &key_base)
        .map_err(|e| ConfigError::Invalid(e.to_string()))?;
    let oidc = oidc::OidcVerifiers::load(&policy, &key_base, jwks)
        .map_err(|e| ConfigError::Invalid(e.to_string()))?;
    Ok(Runtime {
        policy,
        signers,
        callout,
        oidc,
    })
}

/// The seed's policy: legacy requests for the one account given by `--acc`, signed with
/// `--sk`, permissions under `chat.<account name>`.
fn seed_policy(
    config: &ServeConfig,
    accounts: &HashMap<String, AccountClaims>,
) -> Result<Policy, ConfigError> {
    let (Some(sk), Some(account)) = (&config.signing_key, accounts.values().next()) else {
        return Err(ConfigError::Invalid(String::from(
            "the seed mode needs --acc ACCOUNT.jwt and --sk SIGNING.nk",
        )));
    };
    let name = if account.name.is_empty() {
        "ACCOUNT"
    } else {
        &account.name
    };
    let namespace = format!("{SEED_NAMESPACE_PREFIX}.{name}");
    Policy::seed_legacy(
        &account.sub,
        SigningKeyRef::Path(sk.display().to_string()),
        &namespace,
    )
    .map_err(|errors| ConfigError::Policy {
        path: String::from("(derived from --acc and --sk)"),
        problems: errors.to_string().replace('\n', "; "),
    })
}

/// Account JWTs from `--acc` files and from the nsc store's `accounts/<name>/<name>.jwt`.
pub(crate) fn load_accounts(
    config: &ServeConfig,
) -> Result<HashMap<String, AccountClaims>, ConfigError> {
    let mut paths = config.account_jwts.clone();
    if let Some(store) = &config.nsc_store {
        let dir = store.join("accounts");
        let entries = std::fs::read_dir(&dir).map_err(|source| crate::keys::KeyError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let jwt = entry.path().join(format!("{}.jwt", name.to_string_lossy()));
            if jwt.is_file() {
                paths.push(jwt);
            }
        }
    }
    let mut accounts = HashMap::new();
    for path in paths {
        let account = load_account_jwt(&path)?;
        accounts.insert(account.sub.clone(), account);
    }
    Ok(accounts)
}

/// The account of the provisioner's own user, from its creds file.
///
/// # Errors
/// When the creds file cannot be read or holds no valid user JWT.
pub fn own_account(creds: &Path) -> Result<String, ConfigError> {
    let text = read_file(creds)?;
    let parsed = claims::parse_creds(&text)
        .map_err(|e| ConfigError::Invalid(format!("creds file `{}`: {e}", creds.display())))?;
    let user = claims::UserClaims::decode(&parsed.jwt)
        .map_err(|e| ConfigError::Invalid(format!("creds file `{}`: {e}", creds.display())))?;
    Ok(user.account().to_owned())
}
