//! An authorized admin call and what every endpoint group needs to answer it: the reply
//! body, the refusal for a missing name, and the 500 for a registry failure.

use bytes::Bytes;
use registry::Registry;
use serde::Serialize;

use crate::rejection::Rejection;
use crate::tenant_admin::wire::AdminRequest;

/// An authorized admin call: whose tenant, by whom.
pub struct AdminCall<'a> {
    /// The caller's tenant.
    pub tenant: &'a policy::Tenant,
    /// The calling admin user's public key.
    pub caller_user: String,
    /// The registry.
    pub registry: &'a Registry,
    /// The request.
    pub request: AdminRequest,
    /// Unix seconds.
    pub now: i64,
}

/// Serializes a reply body.
///
/// # Errors
/// A 500 when serialization fails (it does not for these types).
pub fn body(value: &impl Serialize) -> Result<Bytes, Rejection> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|err| {
        tracing::error!(error = %err, "encoding an admin reply failed");
        Rejection::internal()
    })
}

/// A 500 for a registry failure, logged.
pub fn registry_failed(err: &dyn std::fmt::Display) -> Rejection {
    tracing::error!(error = %err, "registry unavailable");
    Rejection::internal()
}

/// The `name` of a request that needs one.
///
/// # Errors
/// A 400 when it is missing or empty.
pub fn required_name(request: &AdminRequest) -> Result<&str, Rejection> {
    request
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Rejection::bad_request("name_required", "the request needs a `name`"))
}
