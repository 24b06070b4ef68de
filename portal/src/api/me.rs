//! `GET /me`: who the bearer token says the caller is, under the policy: name, tenant,
//! role and when the token expires. Answered from the verified token alone (no NATS
//! call), so it works even where the caller's connection would be refused.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{ApiCaller, Role};
use crate::problem::Problem;

/// The caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Me {
    /// The user name the token vouches for (`name_claim`).
    pub name: String,
    /// The tenant whose policy accepts the token.
    pub tenant: String,
    /// `admin` when the token carries the tenant's admin tag and the tenant lets its
    /// issuer grant it (`identity.oidc.admin_from_tags_claim`), else `user`.
    pub role: Role,
    /// The token's tags (`tags_claim`).
    pub tags: Vec<String>,
    /// When the token expires, unix seconds; the portal's connection for it ends then.
    pub token_expires_at: i64,
}

/// Who is calling.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "get_me",
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(caller: ApiCaller) -> Json<Me> {
    Json(Me {
        name: caller.name,
        tenant: caller.tenant,
        role: caller.role,
        tags: caller.tags,
        token_expires_at: caller.expires_at,
    })
}
