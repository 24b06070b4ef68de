//! `GET /quota`: the tenant's active users and its limit (`creds.admin.quota`; admins
//! only, as on NATS).

use axum::Json;
use provisioner::tenant_admin::wire::{AdminRequest, QuotaReply as Quota};

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::nats_call::admin_call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

/// The tenant's quota and usage.
#[utoipa::path(
    get,
    path = "/quota",
    operation_id = "get_quota",
    tag = "tenant",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Usage and limit", body = Quota),
        (status = "4XX", description = "Refused (403 admin_required for a non-admin)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn quota(
    axum::extract::State(state): axum::extract::State<AppState>,
    id: RequestId,
    caller: ApiCaller,
) -> Result<Json<Quota>, ApiError> {
    admin_call(&state, &caller, &id, "quota", &AdminRequest::default())
        .await
        .map(Json)
}
