//! `provisioner serve` configuration: a TOML file, command-line flags and `PROVISIONER_*`
//! environment variables, merged (flag or env over file over default) and validated
//! before anything connects; then the runtime it builds (keys, JWTs, the policy).
//!
//! Layout, each depending only on the ones above it:
//! - `defaults`: default values and limits;
//! - `error`: [`ConfigError`];
//! - `callout`: the callout's options ([`CalloutArgs`], [`CalloutMode`], [`CalloutConfig`]);
//! - `args`: [`ServeArgs`], the flags and variables;
//! - `file`: the config file's schema;
//! - `serve_config`: [`ServeConfig`], the merge;
//! - `check`: the checks the merge must pass;
//! - [`runtime`]: loading keys, account JWTs and the policy into a [`runtime::Runtime`].

mod args;
pub mod callout;
mod check;
mod defaults;
mod error;
mod file;
pub mod runtime;
mod serve_config;

pub use args::ServeArgs;
pub use callout::{CalloutArgs, CalloutConfig, CalloutMode};
pub use defaults::*;
pub use error::ConfigError;
pub use serve_config::{RevocationFiles, ServeConfig};
