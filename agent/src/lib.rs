//! The provisioning-service side of the product: a service behind an account export
//! learns, from the server-set `Nats-Request-Info` header, which tenant is calling, and
//! answers a small versioned contract (allocate, update, deallocate, list) per site,
//! running a program per resource type to do the work.
//!
//! Layout (pure modules first):
//! - [`request_info`]: [`RequestInfo`], the header's JSON (unknown fields tolerated, wrong
//!   types refused);
//! - [`caller`]: [`trusted_caller`], the rule for when the header can be believed, and
//!   why a client cannot forge it;
//! - [`tenants`]: [`TenantMap`], account → tenant from configuration or `tenant:<name>`
//!   account tags, one account per tenant;
//! - [`trust`]: [`OperatorTrust`], the operator keys account JWTs must be signed by;
//! - [`subjects`]: subjects, queue groups, bucket names and the name checks;
//! - [`contract`]: the V1 messages and their error codes;
//! - [`operation`]: what a request asks;
//! - [`lifecycle`]: a resource's states, the events that move it and its history;
//! - [`queued`]: queued requests kept in a stream, taken by the site's consumer, and the
//!   lifecycle records they move;
//! - [`exec`]: handlers per resource type: their config, the document they read, and
//!   running them with a timeout, output cap and concurrency limit;
//! - [`config`]: the agent's flags and TOML file;
//! - [`store`]: one site's resources and per-tenant quota slots in JetStream KV;
//! - [`quota`]: recounting a tenant's quota slots, so that an agent that died holding
//!   one does not keep it;
//! - [`site`]: [`Agent`], one site's state that every request reads;
//! - [`handler`]: one request, start to end;
//! - [`service`]: the subscriptions, concurrency and drain;
//! - [`region`]: the region every reply names (the serving server's cluster);
//! - [`servers`]: the comma-separated server list of `-s`;
//! - [`client`]: allocate, update, deallocate and scatter-gather list for clients;
//! - [`locate`]: finding a resource's site by scatter-gather, a cache of where ids
//!   were found, and operations by id alone.
//!
//! The `agent` binary (`src/main.rs`) is the reference agent built from these.
//! The wire format is described for other languages in the crate's `README.md`.

pub mod approvals_cli;
pub mod caller;
pub mod client;
pub mod config;
pub mod contract;
pub mod exec;
pub mod handler;
pub mod lifecycle;
pub mod locate;
pub mod operation;
pub mod queued;
pub mod quota;
pub mod region;
pub mod request_info;
pub mod servers;
pub mod service;
pub mod site;
pub mod store;
pub mod subjects;
pub mod tenants;
pub mod trust;

pub use caller::{trusted_caller, Caller, CallerError, IMPORT_REPLY_PREFIX};
pub use client::{ClientError, Gathered};
pub use config::{AgentArgs, AgentConfig, ConfigError};
pub use contract::{
    Details, ErrorType, ErrorV1, PingV1, PongV1, ResourceAllocateV1, ResourceCreatedV1,
    ResourceDeallocateV1, ResourceDeallocatedV1, ResourceListV1, ResourceUpdateV1,
    ResourceUpdatedV1, ResourceV1, ResourcesV1,
};
pub use exec::{Handler, HandlerError, Handlers};
pub use handler::{Agent, Operation, Quotas};
pub use request_info::{RequestInfo, RequestInfoError, REQUEST_INFO_HEADER};
pub use store::{ResourceStore, StoreError};
pub use tenants::{TenantError, TenantMap};
pub use trust::{OperatorTrust, TrustError};
