//! The estate `nsc-setup init` writes, run on a real nats-server (2.10+, see
//! `./scripts/install-test-tools.sh`): the generated `server.conf` starts the server with
//! either resolver, every generated user connects, the tenant users reach AUTH and
//! SERVICES only through their `share=true` imports (and the responders see the tenant in
//! `Nats-Request-Info`), and `tenant add --push` / `push` change a running full resolver.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;
mod push;
mod resolvers;
