//! The messages of queued requests and of a resource's state:
//! [`ResourceAcceptedV1`] (what a client makes of the stream's acknowledgement of a queued
//! request), [`ResourceStatusV1`] (ask a site where a resource is) and
//! [`ResourceStateV1`] (the answer: the resource's lifecycle record, see
//! [`crate::lifecycle`]) and [`ResourceRetryV1`] (retry a resource in `error`). Pure.

use serde::{Deserialize, Serialize};

use crate::lifecycle::Lifecycle;

/// What a handler reported (`crate::contract::Details`).
type Details = serde_json::Map<String, serde_json::Value>;

/// A queued request the service's stream kept: the resource it is about, and where.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAcceptedV1 {
    /// The resource id (for an allocation, `q<sequence>`).
    pub id: String,
    /// The site it was sent to.
    pub site: String,
    /// The stream's sequence of the kept request.
    pub sequence: u64,
    /// Whether the stream had kept this very request before (a resend).
    #[serde(default)]
    pub duplicate: bool,
}

/// Where is resource `id`?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceStatusV1 {
    /// The resource id.
    pub id: String,
}

/// A resource's lifecycle record: where it is, how it got there, what the handler said.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceStateV1 {
    /// The resource id.
    pub id: String,
    /// The tenant.
    pub tenant: String,
    /// The site.
    pub site: String,
    /// The resource type.
    pub resource_type: String,
    /// When its first request was kept, Unix seconds.
    pub accepted_at: i64,
    /// Its state and history.
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    /// What the handler reported last.
    #[serde(default, skip_serializing_if = "Details::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Details,
    /// Who or what an allocation is for (kept so that an approval can run it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_entity: String,
    /// The allocation's specification (kept so that an approval can run it), or the one
    /// an update asks for (kept so that a retry can run it again).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub specification: serde_json::Value,
    /// The stream sequence of the queued request carrying the work in flight: only that
    /// request (delivered again after an agent died) may carry it on, so a second request
    /// for the same work is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_by: Option<u64>,
}

/// Retry resource `id`, which is in `error`. Sent live (`svc.<service>.<site>.retry`,
/// without `attempt`), it moves the record back in flight by compare-and-set and is
/// answered with the record ([`ResourceStateV1`], its `retries` counted up). Sent queued
/// (`svcq.<service>.<site>.retry`) with that count as `attempt`, it carries the retried
/// work out once an agent of the site takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceRetryV1 {
    /// The resource id.
    pub id: String,
    /// Which retry this is (queued only): the live answer's `retries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
}

/// A service admin's request about approvals at one site: `list` (no id), `show`,
/// `approve` or `deny` (with the reason shown to the user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalV1 {
    /// `list`, `show`, `approve` or `deny`.
    pub action: String,
    /// The resource id (all but `list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why it is denied (`deny`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The resources of a site waiting for approval, or the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalsV1 {
    /// The site.
    pub site: String,
    /// The records.
    pub resources: Vec<ResourceStateV1>,
}
