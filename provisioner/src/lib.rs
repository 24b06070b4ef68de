//! The provisioner: a NATS service that answers credential requests, checks the requester
//! against the account policy and mints a user JWT signed with the tenant's signing key.
//!
//! Where one request goes, in order (design §3):
//! - `parse`: bytes → a v1 JSON request or the seed's plain-text name (`wire` has the shapes);
//! - `identify`: the caller from the server-set `Nats-Request-Info` header; `proof` checks
//!   possession of the requested key and `nonce` guards against replays;
//! - decide: the `policy` crate's `evaluate`, on facts from the `registry` when one runs;
//! - reserve and record: `issue` decides, mints and records through the `registry`
//!   (JetStream KV, compare-and-set), which holds names, quotas, invites and rate
//!   counters across replicas;
//! - `mint`: the user JWT from the decision, signed with the tenant's key (`keys`);
//! - `audit`: one event and one log line per decision;
//! - `reply`: the JSON reply, or an error reply with the NATS micro error headers
//!   (`rejection` holds the status, code and reason).
//!
//! Around it: `service` (the NATS micro service, queue group, concurrency bound, drain),
//! `admin` and `metrics` (HTTP health and Prometheus), `cli/` (one file per subcommand),
//! `exit` (process exit codes), `display` (claims as a table), and `tenant_admin` (the
//! tenant admin endpoints on `creds.admin.>`: users, invites, quota, revocation).
//!
//! Identity sources beyond the request: `callout` answers nats-server's auth callout with
//! the same policy (CONNECT credentials instead of a request), and `oidc` verifies
//! OpenID Connect ID tokens for both.

pub mod admin;
pub mod audit;
pub mod callout;
pub mod cli;
pub mod client;
pub mod config;
pub mod display;
pub mod exit;
pub mod handler;
pub mod identify;
pub mod issue;
pub mod keys;
pub mod logging;
pub mod metrics;
pub mod mint;
pub mod nonce;
pub mod oidc;
pub mod parse;
pub mod proof;
pub mod registry;
pub mod rejection;
pub mod reply;
pub mod service;
pub mod tenant_admin;
pub mod wire;
