//! Tenant signing keys and the account JWTs that authorize them, checked at start-up.
//!
//! A signing key must be an account seed (`SA…`), listed in its account JWT's
//! `signing_keys`, and scoped exactly when the policy says so; the provisioner refuses to
//! start otherwise. Seeds are read from files only, and a file readable by others is
//! reported. Seeds never appear in errors.

use std::path::{Path, PathBuf};

use claims::{AccountClaims, KeyKind, KeyPair, SignerAuthority};

/// A signing key ready to mint users of one tenant.
pub struct TenantSigner {
    /// The tenant's account public key.
    pub account: String,
    /// The signing key.
    pub key: KeyPair,
    /// Whether the key is scoped (users then carry no permissions).
    pub scoped: bool,
    /// Keys that may have issued this account's users: the identity key and every
    /// signing key in its JWT.
    pub issuers: Vec<String>,
}

impl std::fmt::Debug for TenantSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSigner")
            .field("account", &self.account)
            .field("key", &self.key.public_key())
            .field("scoped", &self.scoped)
            .finish_non_exhaustive()
    }
}

/// Why a key or account JWT was refused at start-up.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read.
    #[error("reading `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The seed is malformed or of the wrong kind.
    #[error("seed file `{path}`: {source}")]
    Seed {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: claims::ClaimsError,
    },
    /// The account JWT does not decode or verify.
    #[error("account JWT `{path}`: {source}")]
    AccountJwt {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: claims::ClaimsError,
    },
    /// The account JWT is for another account.
    #[error("account JWT `{path}` is for `{found}`, not `{expected}`")]
    WrongAccount {
        /// The file.
        path: PathBuf,
        /// The account the policy names.
        expected: String,
        /// The account in the JWT.
        found: String,
    },
    /// The signing key is not listed in the account JWT.
    #[error("signing key `{key}` is not in the `signing_keys` of account `{account}`")]
    NotListed {
        /// The signing key's public key.
        key: String,
        /// The account.
        account: String,
    },
    /// The policy's `scoped` flag disagrees with the account JWT.
    #[error(
        "signing key `{key}` is {actual} in account `{account}`, but the policy says {configured}"
    )]
    ScopeMismatch {
        /// The signing key's public key.
        key: String,
        /// The account.
        account: String,
        /// What the account JWT says.
        actual: &'static str,
        /// What the policy says.
        configured: &'static str,
    },
    /// No seed file for a signing key given by public key.
    #[error("no seed file for signing key `{key}` (looked for `{path}`)")]
    NoSeedFile {
        /// The public key.
        key: String,
        /// The path looked at.
        path: PathBuf,
    },
}

/// Reads a file, mapping the error to [`KeyError::Read`].
///
/// # Errors
/// [`KeyError::Read`].
pub fn read_file(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Whether a secret file is open to others (Unix mode bits `o+rwx`). Group access is
/// left alone: Kubernetes mounts Secrets group-readable for the pod's own group.
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o007 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Where nsc keeps the seed of `public_key` under an `NKEYS_PATH`:
/// `keys/<kind letter>/<2nd and 3rd characters>/<public key>.nk`.
pub fn nsc_key_path(nkeys_path: &Path, public_key: &str) -> PathBuf {
    let kind = public_key.get(..1).unwrap_or("_");
    let shard = public_key.get(1..3).unwrap_or("__");
    nkeys_path
        .join("keys")
        .join(kind)
        .join(shard)
        .join(format!("{public_key}.nk"))
}

/// Reads an account seed from `path`, warning when others may read the file.
///
/// # Errors
/// [`KeyError::Read`] or [`KeyError::Seed`].
pub fn load_account_seed(path: &Path) -> Result<KeyPair, KeyError> {
    load_seed(path, KeyKind::Account, "signing key")
}

/// Reads a seed of `kind` (`what` names it in errors) from `path`, warning when others
/// may read the file. The error names the file, never the seed.
///
/// # Errors
/// [`KeyError::Read`] or [`KeyError::Seed`].
pub fn load_seed(path: &Path, kind: KeyKind, what: &str) -> Result<KeyPair, KeyError> {
    let text = read_file(path)?;
    if readable_by_others(path) {
        tracing::warn!(path = %path.display(), "seed file is readable by others; chmod 600 it");
    }
    // nsc writes the bare seed; a file may also hold other lines, so take the seed line.
    let seed = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with('S'))
        .unwrap_or_else(|| text.trim());
    claims::keypair_from_seed(seed, kind, what).map_err(|source| KeyError::Seed {
        path: path.to_owned(),
        source,
    })
}

/// Reads and verifies an account JWT file.
///
/// # Errors
/// [`KeyError::Read`] or [`KeyError::AccountJwt`].
pub fn load_account_jwt(path: &Path) -> Result<AccountClaims, KeyError> {
    let text = read_file(path)?;
    AccountClaims::decode(claims::jwt_from_creds_or_token(&text)).map_err(|source| {
        KeyError::AccountJwt {
            path: path.to_owned(),
            source,
        }
    })
}

/// Checks `key` against `account` and the policy's `scoped` flag and builds the signer.
///
/// # Errors
/// [`KeyError::NotListed`] or [`KeyError::ScopeMismatch`].
pub fn authorize_signer(
    account: &AccountClaims,
    key: KeyPair,
    scoped: bool,
) -> Result<TenantSigner, KeyError> {
    let public = key.public_key();
    let actual = match account.signer_authority(&public) {
        Some(SignerAuthority::Scoped(_)) => true,
        Some(SignerAuthority::Plain) => false,
        // The identity key may sign users, but the design requires a signing key.
        Some(SignerAuthority::Identity) | None => {
            return Err(KeyError::NotListed {
                key: public,
                account: account.sub.clone(),
            })
        }
    };
    if actual != scoped {
        let name = |s: bool| if s { "scoped" } else { "not scoped" };
        return Err(KeyError::ScopeMismatch {
            key: public,
            account: account.sub.clone(),
            actual: name(actual),
            configured: name(scoped),
        });
    }
    let mut issuers = vec![account.sub.clone()];
    issuers.extend(account.nats.signing_keys.0.keys().cloned());
    Ok(TenantSigner {
        account: account.sub.clone(),
        key,
        scoped,
        issuers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::UserScope;

    fn account_with(plain: &KeyPair, scoped: &KeyPair) -> AccountClaims {
        let op = KeyPair::new_operator();
        let acct = KeyPair::new_account();
        let mut a = AccountClaims::new_account(acct.public_key());
        a.nats.signing_keys.add(plain.public_key());
        a.nats
            .signing_keys
            .add_scoped(UserScope::new(scoped.public_key()));
        let token = a.encode(&op, 1).unwrap();
        AccountClaims::decode(&token).unwrap()
    }

    #[test]
    fn listed_keys_with_the_right_scope_are_accepted() {
        let plain = KeyPair::new_account();
        let scoped = KeyPair::new_account();
        let a = account_with(&plain, &scoped);
        let s = authorize_signer(
            &a,
            KeyPair::from_seed(&plain.seed().unwrap()).unwrap(),
            false,
        )
        .unwrap();
        assert_eq!(s.issuers.len(), 3);
        authorize_signer(&a, scoped, true).unwrap();
    }

    #[test]
    fn unlisted_keys_and_scope_mismatches_are_refused() {
        let plain = KeyPair::new_account();
        let scoped = KeyPair::new_account();
        let a = account_with(&plain, &scoped);
        assert!(matches!(
            authorize_signer(&a, KeyPair::new_account(), false),
            Err(KeyError::NotListed { .. })
        ));
        assert!(matches!(
            authorize_signer(&a, plain, true),
            Err(KeyError::ScopeMismatch { .. })
        ));
    }

    #[test]
    fn seed_files_must_hold_account_seeds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.nk");
        let user_seed = KeyPair::new_user().seed().unwrap();
        std::fs::write(&path, &user_seed).unwrap();
        let err = load_account_seed(&path).unwrap_err().to_string();
        assert!(err.contains("user seed"), "{err}");
        assert!(!err.contains(&user_seed));
        let account = KeyPair::new_account();
        std::fs::write(&path, format!("{}\n", account.seed().unwrap())).unwrap();
        assert_eq!(
            load_account_seed(&path).unwrap().public_key(),
            account.public_key()
        );
    }

    #[test]
    fn nsc_key_paths_follow_the_store_layout() {
        let p = nsc_key_path(Path::new("/n"), "AAOEOFBQCJKEJ7XZ");
        assert_eq!(p, Path::new("/n/keys/A/AO/AAOEOFBQCJKEJ7XZ.nk"));
    }
}
