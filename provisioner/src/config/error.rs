//! What can be wrong with a configuration: printed as one line, exit 64.

use std::path::PathBuf;

/// A configuration problem: printed as one line, exit 64.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read or parsed.
    #[error("config file `{path}`: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A value is out of range or missing.
    #[error("{0}")]
    Invalid(String),
    /// A key or account JWT was refused.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// The policy is invalid.
    #[error("policy `{path}`: {problems}")]
    Policy {
        /// The policy file.
        path: String,
        /// Every problem, on one line.
        problems: String,
    },
}
