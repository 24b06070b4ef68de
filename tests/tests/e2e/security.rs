//! Regressions of the red-team findings inside a tenant: each test failed on the code
//! before its fix. One file per area.

mod admin;
mod inbox;
mod input;
mod names;
mod proof;
mod requester;
mod revocation;
mod state;
mod upgrade;
