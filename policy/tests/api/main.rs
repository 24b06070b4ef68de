//! Integration tests of the policy crate through its public API: load-time validation,
//! the allow and deny path of every rule, the seed policy, the example file, and
//! property tests of substitution safety.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on broken fixtures"
)]

mod example;
mod grants;
mod grants_load;
mod load;
mod names_proofs;
mod props;
mod rules;
mod seed;
mod support;
