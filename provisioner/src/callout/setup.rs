//! The callout at start-up and on reload: load and check its keys against the callout
//! account's JWT, and check that a (re)loaded policy gives every config-mode callout
//! tenant an account to place its users in.

use std::path::Path;

use crate::callout::keys::{
    check_callout_account, check_config_accounts, load_callout_keys, load_config_mode_keys,
    warn_unplaceable, CalloutKeys,
};
use crate::config::callout::CalloutMode;
use crate::config::runtime::{load_accounts, Runtime};
use crate::config::{ConfigError, ServeConfig};

/// Loads the callout keys when the callout is configured; `own` is the provisioner's
/// account, the callout account.
///
/// # Errors
/// [`ConfigError`] when the callout is configured without `--creds`, or a key is refused.
pub fn load(
    config: &ServeConfig,
    own: &str,
    runtime: &Runtime,
) -> Result<Option<CalloutKeys>, ConfigError> {
    let Some(callout) = &config.callout else {
        return Ok(None);
    };
    if callout.mode == CalloutMode::Config {
        if config.creds.is_none() && config.nkey.is_none() {
            tracing::warn!("config-mode callout without --nkey or --creds: the provisioner must connect as one of auth_callout.auth_users, or the server sends its own connection through the callout");
        }
        let keys = load_config_mode_keys(&callout.issuer_key, callout.xkey.as_deref())?;
        check_policy(config, &runtime.policy)?;
        return Ok(Some(keys));
    }
    if own.is_empty() {
        return Err(ConfigError::Invalid(String::from(
            "the callout needs --creds: the provisioner's user must be in the callout account",
        )));
    }
    check_callout_account(own)?;
    let accounts = load_accounts(config)?;
    let account = accounts.get(own);
    if account.is_none() {
        tracing::warn!(account = %own, "the callout account's JWT is not among --acc or --nsc-store; its authorization block is not checked");
    }
    let keys = load_callout_keys(
        &callout.issuer_key,
        callout.xkey.as_deref().map(Path::new),
        own,
        account,
    )?;
    warn_unplaceable(account, &runtime.policy);
    Ok(Some(keys))
}

/// What the callout needs of a (re)loaded policy: in config mode, an account name for
/// every callout tenant.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the tenants that lack one.
pub fn check_policy(config: &ServeConfig, policy: &policy::Policy) -> Result<(), ConfigError> {
    match &config.callout {
        Some(callout) if callout.mode == CalloutMode::Config => check_config_accounts(policy),
        _ => Ok(()),
    }
}
