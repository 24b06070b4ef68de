//! The portal: the tenant self-service HTTP API (issue 16, first slice). An axum server
//! that is a NATS client of the provisioner's existing services, with no state of its
//! own and **no tenant power of its own**: it holds no signing key, no creds and no NATS
//! connection of its own. A caller is identified by an OpenID Connect ID token
//! (`Authorization: Bearer`), verified with the shared `oidc` crate against the policy's
//! tenants; the portal then connects to nats-server with that very token as the CONNECT
//! token, so the provisioner's auth callout verifies it again and mints a user in the
//! caller's tenant account with the policy's permissions, and every call crosses the
//! tenant's own imports as that user (`Nats-Request-Info`, NATS permissions, the admin
//! tag check: the provisioner decides, never the portal).
//!
//! Layout:
//! - `cli`, `serve`, `config`, `logging`: the binary's edge (options, start-up checks,
//!   signals, graceful shutdown); `tls`: HTTPS (a TLS listener for `axum::serve`);
//!   `cors`: CORS for configured browser origins;
//! - `router`: routes and layers; `problem`: request ids and RFC 9457 problem details;
//!   `error`: [`error::ApiError`]; `extract`: axum's extractors with problem rejections;
//! - `auth` (`bearer`): the caller from the bearer token; `limit`: requests per identity;
//! - `sessions`: the callers' NATS connections (per token, LRU, until the token expires);
//!   `nats_call`: one request as the caller, its reply or refusal;
//! - `api/`: the handlers, one file per route group; `openapi`: the generated document;
//!   `docs`: the API reference page that renders it;
//! - `health`, `metrics`: `/healthz`, `/readyz`, `/metrics`;
//! - `state`: what handlers share.

pub mod api;
pub mod assets;
pub mod auth;
pub mod bench;
pub mod chrome;
pub mod cli;
pub mod config;
pub mod cors;
pub mod docs;
pub mod error;
pub mod extract;
pub mod health;
pub mod limit;
pub mod logging;
pub mod metrics;
pub mod nats_call;
pub mod openapi;
pub mod page_error;
pub mod problem;
pub mod router;
pub mod serve;
pub mod sessions;
pub mod state;
#[cfg(test)]
mod test_http;
pub mod tls;
pub mod ui;
