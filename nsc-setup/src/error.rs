//! The crate's errors, one enum per boundary: [`EstateError`] for building and changing the
//! estate as values, [`StoreError`] for reading and writing it on disk, [`PushError`] for
//! talking to a running resolver.
//!
//! Messages never contain seeds, JWTs or creds; paths and public keys are fine.

use std::path::PathBuf;

use thiserror::Error;

/// Why the estate cannot be built or changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EstateError {
    /// A tenant or operator name that cannot be an account name and a subject token.
    #[error("invalid {what} name `{name}`: {reason}")]
    Name {
        /// `tenant` or `operator`.
        what: &'static str,
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An account of that name exists already.
    #[error("account `{name}` already exists")]
    DuplicateAccount {
        /// The account name.
        name: String,
    },
    /// No account of that name.
    #[error("no account `{name}` in the estate")]
    NoAccount {
        /// The account name.
        name: String,
    },
    /// No user of that name in the account.
    #[error("no user `{user}` in account `{account}`")]
    NoUser {
        /// The account name.
        account: String,
        /// The user name.
        user: String,
    },
    /// A key needed for signing is not held (its seed is not in the key store).
    #[error("no seed for {what} `{key}` in the key store")]
    MissingSeed {
        /// What the key is, e.g. `operator signing key`.
        what: &'static str,
        /// Its public key.
        key: String,
    },
    /// Generating a key failed.
    #[error("generating a key: {reason}")]
    KeyGeneration {
        /// The nkeys error text.
        reason: String,
    },
    /// Options that cannot go together (`--portal` without `--callout`).
    #[error("{reason}")]
    Options {
        /// Which, and why.
        reason: String,
    },
    /// Signing claims failed.
    #[error("signing {what}: {source}")]
    Sign {
        /// Which JWT, e.g. `account acme`.
        what: String,
        /// The claims error.
        #[source]
        source: claims::ClaimsError,
    },
}

/// Why the estate cannot be read from or written to disk.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A filesystem operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done, e.g. `writing`.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file's content is not what the layout expects.
    #[error("`{}`: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A JWT file does not decode or verify.
    #[error("`{}`: {source}", path.display())]
    Claims {
        /// The file.
        path: PathBuf,
        /// The claims error.
        #[source]
        source: claims::ClaimsError,
    },
    /// The target exists and replacing it was not asked for.
    #[error("`{}` already exists and is not empty; pass --force to replace it", path.display())]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// The generated policy file does not load with the policy crate.
    #[error("generated policy file does not load: {reason}")]
    Policy {
        /// The policy crate's problems.
        reason: String,
    },
    /// The estate itself refused the change.
    #[error(transparent)]
    Estate(#[from] EstateError),
}

impl StoreError {
    /// An IO error with its action and path.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }
}

/// Why pushing account JWTs failed as a whole (per-account failures are reported as
/// answers, see [`crate::push::PushReport`]).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PushError {
    /// The sys user's creds file could not be used.
    #[error("reading creds `{}`: {reason}", path.display())]
    Creds {
        /// The creds file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Connecting to the server failed.
    #[error("connecting to `{url}`: {reason}")]
    Connect {
        /// The server URL.
        url: String,
        /// The client error.
        reason: String,
    },
    /// A NATS operation failed.
    #[error("{action}: {reason}")]
    Nats {
        /// What was being done.
        action: &'static str,
        /// The client error.
        reason: String,
    },
    /// The estate could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_lowercase_line() {
        let err = StoreError::Exists {
            path: PathBuf::from("/x/estate"),
        };
        assert_eq!(
            err.to_string(),
            "`/x/estate` already exists and is not empty; pass --force to replace it"
        );
        let err = EstateError::Name {
            what: "tenant",
            name: "a.b".into(),
            reason: "only letters, digits, `_` and `-`",
        };
        assert_eq!(
            err.to_string(),
            "invalid tenant name `a.b`: only letters, digits, `_` and `-`"
        );
        let err = StoreError::io("writing", "/x/y")(std::io::Error::other("denied"));
        assert_eq!(err.to_string(), "writing `/x/y`: denied");
    }
}
