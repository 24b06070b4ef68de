//! `serve`'s callout options: `--callout-issuer-key FILE` turns the callout responder on
//! (config file key `callout_issuer_key`, `PROVISIONER_CALLOUT_ISSUER_KEY`), and
//! `--callout-xkey FILE` (`callout_xkey`, `PROVISIONER_CALLOUT_XKEY`) opens sealed
//! requests and seals responses. Both are seed files, never values.
//!
//! `--callout-mode` says which server answers to: `operator` (the default), where the
//! callout account is the provisioner's own (the account of `--creds`) and users are
//! signed by tenant signing keys, or `config`, where the server's
//! `authorization { auth_callout { issuer } }` names the issuer key that signs every
//! user, and a user's audience names its account. Either way the provisioner's user
//! must be one of the `auth_users`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::config::error::ConfigError;

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
    /// Which kind of server asks: `operator` (accounts are JWTs; `authorization` in the
    /// callout account's JWT) or `config` (`authorization { auth_callout { … } }` in
    /// the server config) [default: operator].
    #[arg(
        long = "callout-mode",
        env = "PROVISIONER_CALLOUT_MODE",
        value_name = "MODE"
    )]
    pub mode: Option<CalloutMode>,
}

/// The kind of server the callout answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalloutMode {
    /// Operator mode: users are signed by the tenant's signing key, which places them.
    #[default]
    Operator,
    /// Config mode: users are signed by the callout issuer and placed by audience, the
    /// tenant's `identity.callout.config_account`.
    Config,
}

/// The merged callout options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalloutConfig {
    /// The response signing key's seed file.
    pub issuer_key: PathBuf,
    /// The xkey seed file, if any.
    pub xkey: Option<PathBuf>,
    /// The kind of server.
    pub mode: CalloutMode,
}

/// Merges the flags over the file's values (already made relative to the file).
///
/// # Errors
/// [`ConfigError::Invalid`] for an xkey or a mode without an issuer key.
pub fn resolve(
    args: &CalloutArgs,
    file_issuer_key: Option<PathBuf>,
    file_xkey: Option<PathBuf>,
    file_mode: Option<CalloutMode>,
) -> Result<Option<CalloutConfig>, ConfigError> {
    let issuer_key = args.issuer_key.clone().or(file_issuer_key);
    let xkey = args.xkey.clone().or(file_xkey);
    let mode = args.mode.or(file_mode);
    match (issuer_key, xkey, mode) {
        (Some(issuer_key), xkey, mode) => Ok(Some(CalloutConfig {
            issuer_key,
            xkey,
            mode: mode.unwrap_or_default(),
        })),
        (None, Some(_), _) => Err(ConfigError::Invalid(String::from(
            "callout_xkey needs callout_issuer_key",
        ))),
        (None, None, Some(_)) => Err(ConfigError::Invalid(String::from(
            "callout_mode needs callout_issuer_key",
        ))),
        (None, None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_and_an_xkey_needs_an_issuer() {
        let args = CalloutArgs {
            issuer_key: Some(PathBuf::from("flag.nk")),
            xkey: None,
            mode: None,
        };
        let got = resolve(
            &args,
            Some("file.nk".into()),
            Some("x.xk".into()),
            Some(CalloutMode::Config),
        )
        .unwrap();
        assert_eq!(
            got,
            Some(CalloutConfig {
                issuer_key: PathBuf::from("flag.nk"),
                xkey: Some(PathBuf::from("x.xk")),
                mode: CalloutMode::Config,
            })
        );
        let got = resolve(&args, None, None, None).unwrap().unwrap();
        assert_eq!(got.mode, CalloutMode::Operator);
        assert_eq!(
            resolve(&CalloutArgs::default(), None, None, None).unwrap(),
            None
        );
        let err = resolve(&CalloutArgs::default(), None, Some("x.xk".into()), None).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid(_)));
        let err = resolve(
            &CalloutArgs::default(),
            None,
            None,
            Some(CalloutMode::Config),
        );
        assert!(matches!(err, Err(ConfigError::Invalid(_))));
    }
}
