//! `GET /me`: who the bearer token says the caller is, under the policy: name, tenant,
//! role, when the token expires, and the tenant's limits (lifetimes, quota, rates) from
//! the policy. Answered from the verified token and the policy (no NATS call), so it
//! works even where the caller's connection would be refused; an admin also gets the
//! tenant's active users, from the provisioner, when it answers.

use axum::extract::State;
use axum::Json;
use provisioner::tenant_admin::wire::{AdminRequest, QuotaReply};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{ApiCaller, Role};
use crate::nats_call::admin_call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

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
    /// The tenant's limits and, for an admin, its usage.
    pub quota: QuotaSummary,
}

/// The tenant's limits as the policy sets them; usage for admins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuotaSummary {
    /// A credential's lifetime when the request names none, seconds.
    pub default_ttl_secs: u64,
    /// The longest lifetime granted, seconds.
    pub max_ttl_secs: u64,
    /// Users with unexpired credentials the tenant may have; none: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_active_users: Option<u64>,
    /// Users active now (admins only, when the provisioner answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_users: Option<u64>,
    /// Live invites the tenant's admins may hold at once.
    pub max_outstanding_invites: u64,
    /// The window issuances are counted in, seconds.
    pub rate_window_secs: u64,
    /// Issuances per window for the whole tenant; none: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_tenant: Option<u64>,
    /// Issuances per window for one requester; none: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_requester: Option<u64>,
}

impl QuotaSummary {
    /// The limits of `tenant` in `policy`.
    pub fn of(policy: &policy::Policy, tenant: &str) -> Self {
        let Some(tenant) = policy.tenant(tenant) else {
            return QuotaSummary::default();
        };
        let config = tenant.config();
        QuotaSummary {
            default_ttl_secs: config.ttl.default_secs,
            max_ttl_secs: config.ttl.max_secs,
            max_active_users: config.quotas.max_active_users,
            active_users: None,
            max_outstanding_invites: config.quotas.max_outstanding_invites,
            rate_window_secs: config.rate_limits.window_secs,
            per_tenant: config.rate_limits.per_tenant,
            per_requester: config.rate_limits.per_requester,
        }
    }
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
pub async fn me(State(state): State<AppState>, id: RequestId, caller: ApiCaller) -> Json<Me> {
    let mut quota = QuotaSummary::of(&state.policy, &caller.tenant);
    if caller.role == Role::Admin {
        // Usage is a courtesy: /me answers without it when the provisioner does not.
        let used: Result<QuotaReply, _> =
            admin_call(&state, &caller, &id, "quota", &AdminRequest::default()).await;
        quota.active_users = used.ok().map(|q| q.used);
    }
    Json(Me {
        name: caller.name,
        tenant: caller.tenant,
        role: caller.role,
        tags: caller.tags,
        token_expires_at: caller.expires_at,
        quota,
    })
}
