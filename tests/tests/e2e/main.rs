//! End-to-end suites against a real `nats-server` (one test binary, one module per area).
//!
//! Run them with `./scripts/test.sh`, which installs the pinned nats-server first.
//! The modules are `#[cfg(test)]` so that clippy treats their helper functions as test code
//! (which may unwrap), not only the `#[test]` functions.

#[cfg(test)]
mod audit;
#[cfg(test)]
mod browser_login;
#[cfg(test)]
mod callout;
#[cfg(test)]
mod cli;
#[cfg(test)]
mod global;
#[cfg(test)]
mod harness;
#[cfg(test)]
mod lifecycle;
#[cfg(test)]
mod operator_config;
#[cfg(test)]
mod portal;
#[cfg(test)]
mod proven;
#[cfg(test)]
mod provision;
#[cfg(test)]
mod queued_identity;
#[cfg(test)]
mod registry;
#[cfg(test)]
mod renewal;
#[cfg(test)]
mod security;
#[cfg(test)]
mod seed;
#[cfg(test)]
mod service_isolation;
#[cfg(test)]
mod user_auth;
