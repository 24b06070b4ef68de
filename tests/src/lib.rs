//! Helpers for the end-to-end suites: a real `nats-server` harness and its config files.
//!
//! Layout:
//! - [`agent`]: the reference agent run for one site, and its example folder handler.
//! - [`server`]: [`NatsServer`], one real `nats-server` process per test in its own temp dir,
//!   started from a config string ([`ServerOptions`] for JetStream, a fixed port or an explicit
//!   binary), killed on drop.
//! - [`config`]: operator-mode config strings (memory and full resolver).
//! - [`client`]: async-nats clients connected with creds, with server events watched.
//! - [`product`]: an `nsc-setup` estate with its server, and `provisioner serve` on it.
//! - [`process`]: the product's binaries, built once, run as processes.
//! - [`estate`]: a throwaway operator, accounts and users minted with `claims`.
//! - [`supercluster`]: an `nsc-setup init --region` estate's servers (regions joined by
//!   gateways, leaf nodes) on loopback, waited for until connected; kill a server or a region.
//! - [`tamper`]: a proxy that flips a bit in messages on one subject, on the wire.
//!
//! The suites themselves live in `tests/tests/e2e/` (one test binary, one module per area).
//! Tests need nats-server 2.10+; `./scripts/install-test-tools.sh` installs the pinned 2.15.1
//! into `.tools/venv`, and `./scripts/test.sh` runs everything with it.
//!
//! Not here: the product's own estate (the `nsc-setup` crate).

pub mod agent;
pub mod browser;
pub mod client;
pub mod config;
pub mod demo_issuer;
pub mod estate;
pub mod oidc_provider;
pub mod process;
pub mod product;
pub mod server;
pub mod supercluster;
pub mod tamper;

pub use client::{
    connect_with_creds, connect_with_options, publish_until_received, WatchedClient, STEP,
};
pub use config::{operator_full_resolver, operator_memory_resolver, quote};
pub use estate::{mint_user, unix_now, TestAccount, TestOperator, TestUser};
pub use process::{workspace_bin, ProductProcess, LOG_WAIT};
pub use product::{admin_addr, http_get, ProductEstate, OPERATOR};
pub use server::{free_port, NatsServer, ServerOptions};
pub use tamper::TamperingProxy;
