//! `serve`'s callout options: `--callout-issuer-key FILE` turns the callout responder on
//! (config file key `callout_issuer_key`, `PROVISIONER_CALLOUT_ISSUER_KEY`), and
//! `--callout-xkey FILE` (`callout_xkey`, `PROVISIONER_CALLOUT_XKEY`) opens sealed
//! requests and seals responses. Both are seed files, never values.
//!
//! The callout account is the provisioner's own (the account of `--creds`): the server
//! sends requests there, and the provisioner's user must be one of its `auth_users`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::callout::keys::{
    check_callout_account, load_callout_keys, warn_unplaceable, CalloutKeys,
};
use crate::config::runtime::{load_accounts, Runtime};
use crate::config::{ConfigError, ServeConfig};

/// The callout flags of `serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct CalloutArgs {
    /// Answer auth callout (`$SYS.REQ.USER.AUTH`) in the provisioner's account, signing
    /// responses with this account seed: the account's own or one of its signing keys.
    #[arg(
        long = "callout-issuer-key",
        env = "PROVISIONER_CALLOUT_ISSUER_KEY",
        value_name = "FILE"
    )]
    pub issuer_key: Option<PathBuf>,
    /// Curve seed (`SX…`) whose public key is the callout account's `authorization.xkey`:
    /// requests arrive sealed to it and responses leave sealed.
    #[arg(
        long = "callout-xkey",
        env = "PROVISIONER_CALLOUT_XKEY",
        value_name = "FILE"
    )]
    pub xkey: Option<PathBuf>,
}

/// The merged callout options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalloutConfig {
    /// The response signing key's seed file.
    pub issuer_key: PathBuf,
    /// The xkey seed file, if any.
    pub xkey: Option<PathBuf>,
}

/// Merges the flags over the file's values (already made relative to the file).
///
/// # Errors
/// [`ConfigError::Invalid`] for an xkey without an issuer key.
pub fn resolve(
    args: &CalloutArgs,
    file_issuer_key: Option<PathBuf>,
    file_xkey: Option<PathBuf>,
) -> Result<Option<CalloutConfig>, ConfigError> {
    let issuer_key = args.issuer_key.clone().or(file_issuer_key);
    let xkey = args.xkey.clone().or(file_xkey);
    match (issuer_key, xkey) {
        (Some(issuer_key), xkey) => Ok(Some(CalloutConfig { issuer_key, xkey })),
        (None, Some(_)) => Err(ConfigError::Invalid(String::from(
            "callout_xkey needs callout_issuer_key",
        ))),
        (None, None) => Ok(None),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_and_an_xkey_needs_an_issuer() {
        let args = CalloutArgs {
            issuer_key: Some(PathBuf::from("flag.nk")),
            xkey: None,
        };
        let got = resolve(&args, Some("file.nk".into()), Some("x.xk".into())).unwrap();
        assert_eq!(
            got,
            Some(CalloutConfig {
                issuer_key: PathBuf::from("flag.nk"),
                xkey: Some(PathBuf::from("x.xk")),
            })
        );
        assert_eq!(resolve(&CalloutArgs::default(), None, None).unwrap(), None);
        let err = resolve(&CalloutArgs::default(), None, Some("x.xk".into())).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid(_)));
    }
}
