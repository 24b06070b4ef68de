//! Helpers for the end-to-end suites: a real `nats-server` harness and its config files.
//!
//! Layout:
//! - [`server`]: [`NatsServer`], one real `nats-server` process per test in its own temp dir,
//!   started from a config string ([`ServerOptions`] for JetStream, a fixed port or an explicit
//!   binary), killed on drop.
//! - [`config`]: operator-mode config strings (memory and full resolver).
//!
//! The suites themselves live in `tests/tests/e2e/` (one test binary, one module per area).
//! Tests need nats-server 2.10+; `./scripts/install-test-tools.sh` installs the pinned 2.15.1
//! into `.tools/venv`, and `./scripts/test.sh` runs everything with it.
//!
//! Not here: minting keys, JWTs or credentials (the `claims` and `nsc-setup` crates) and
//! NATS clients (tests use `async-nats`).

pub mod config;
pub mod server;

pub use config::{operator_full_resolver, operator_memory_resolver, quote};
pub use server::{free_port, NatsServer, ServerOptions};
