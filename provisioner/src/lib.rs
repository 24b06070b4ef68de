//! The provisioner: a NATS service that answers credential requests, checks the requester
//! against the account policy and mints a user JWT signed with the tenant's signing key.
//!
//! Where one request goes, in order (design §3), whichever door it came in by:
//! - the doors read and identify: `handler` for NATS credential requests (`parse`
//!   bytes → a v1 JSON request or the seed's plain-text name, `wire` has the shapes;
//!   `identify` the caller from the server-set `Nats-Request-Info` header; `proof`
//!   checks possession of the requested key and `nonce` guards against replays), and
//!   `callout` for auth callout CONNECTs;
//! - `pipeline::issue` then decides (the `policy` crate's `evaluate`, on facts from the
//!   `registry` crate when one runs), reserves in the registry (JetStream KV,
//!   compare-and-set: names, quotas, invites and rate counters across replicas), mints
//!   (`mint`: the user JWT signed with the tenant's key from `keys`) and fills the
//!   `audit` event; `pipeline::record` logs and publishes it and counts the request;
//! - the door encodes the answer: `reply` (the JSON reply, or an error reply with the
//!   NATS micro error headers; `rejection` holds the status, code and reason), or the
//!   callout's signed response. `redact` keeps anything shaped like a seed out of
//!   reasons, audit events and log lines.
//!
//! Around it: `service` (the NATS micro service, queue group, concurrency bound, drain),
//! `admin` and `metrics` (HTTP health and Prometheus), `cli/` (one file per subcommand),
//! `exit` (process exit codes), `display` (claims as a table), and `tenant_admin` (the
//! tenant admin endpoints on `creds.admin.>`: users, invites, quota, revocation).
//!
//! Identity sources beyond the request: `callout` answers nats-server's auth callout with
//! the same policy (CONNECT credentials instead of a request), and the `oidc` crate
//! verifies OpenID Connect ID tokens for both (`handler::vouch` maps its refusals to
//! this service's rejection).

pub mod admin;
pub mod audit;
pub mod audit_queue;
pub mod caller_jwts;
pub mod callout;
pub mod cli;
pub mod client;
pub mod config;
pub mod display;
pub mod exit;
pub mod handler;
pub mod history_queue;
pub mod identify;
pub mod keys;
pub mod logging;
pub mod metrics;
pub mod mint;
pub mod nonce;
pub mod parse;
pub mod pipeline;
pub mod presence;
pub mod proof;
pub mod redact;
pub mod rejection;
pub mod renew_notice;
pub mod reply;
pub mod service;
pub mod tenant_admin;
pub mod token_caller;
pub mod wire;
