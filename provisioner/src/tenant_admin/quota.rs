//! `quota`: how many users of the tenant are active (unexpired, not revoked) and the
//! policy's `quotas.max_active_users`.

use bytes::Bytes;

use crate::rejection::Rejection;
use crate::tenant_admin::call::{body, registry_failed, AdminCall};
use crate::tenant_admin::wire::QuotaReply;

/// `quota`.
///
/// # Errors
/// A 500 when the registry fails.
pub async fn quota(call: &AdminCall<'_>) -> Result<Bytes, Rejection> {
    let limit = call.tenant.config().quotas.max_active_users;
    let used = call
        .registry
        .active_users(call.tenant.name(), limit.is_some(), call.now)
        .await
        .map_err(|e| registry_failed(&e))?;
    body(&QuotaReply {
        tenant: call.tenant.name().to_owned(),
        used,
        limit,
    })
}
