//! The provisioner: a NATS service that answers credential requests, checks the requester
//! against the account policy and mints a user JWT signed with the tenant's signing key.
//!
//! Layout:
//! - `cli/`: one file per subcommand (`inspect`, `policy`, `serve`, `request`, `bench`);
//! - `exit`: the process exit codes every subcommand shares;
//! - `display`: human-readable rendering of claims for `inspect`.

pub mod cli;
pub mod display;
pub mod exit;
