//! `GET /invites`, `POST /invites` (the token is in this reply only, `Cache-Control:
//! no-store`) and `DELETE /invites/{id}`: the tenant admin subjects
//! `creds.admin.invites.*`, as the caller. Another tenant's id gets the `404
//! invite_not_found` of an id that does not exist.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use provisioner::tenant_admin::wire::{
    AdminRequest, InviteCreated, InviteRevoked, InvitesReply as Invites,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::nats_call::admin_call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

/// A new invite.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// The names it covers, a glob (default `*`): 1 to 128 characters, no `.`, `>`,
    /// whitespace or control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^.>\s\x00-\x1f\x7f-\x9f]+$"
    )]
    pub name_pattern: Option<String>,
    /// Uses, 1 to 1000 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000)]
    pub uses: Option<u64>,
    /// Lifetime in seconds, 1 to 30 days (default one day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 2592000)]
    pub ttl_secs: Option<u64>,
    /// Tags it stamps, at most 16 (never the tenant's admin tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::api::tag::Tag>>, max_items = 16)]
    pub tags: Option<Vec<String>>,
}

/// The tenant's invites.
#[utoipa::path(
    get,
    path = "/invites",
    operation_id = "list_invites",
    tag = "tenant",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invites", body = Invites),
        (status = "4XX", description = "Refused (403 admin_required for a non-admin)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
) -> Result<Json<Invites>, ApiError> {
    admin_call(
        &state,
        &caller,
        &id,
        "invites.list",
        &AdminRequest::default(),
    )
    .await
    .map(Json)
}

/// Creates an invite; its token is in this reply only.
#[utoipa::path(
    post,
    path = "/invites",
    operation_id = "create_invite",
    tag = "tenant",
    request_body = NewInvite,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; the token is shown once", body = InviteCreated),
        (status = "4XX", description = "Refused (429 invite_limit_reached at the tenant's cap)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
    ApiJson(invite): ApiJson<NewInvite>,
) -> Result<Response, ApiError> {
    let request = AdminRequest {
        name_pattern: invite.name_pattern,
        uses: invite.uses,
        ttl_secs: invite.ttl_secs,
        tags: invite.tags,
        ..AdminRequest::default()
    };
    let created: InviteCreated =
        admin_call(&state, &caller, &id, "invites.create", &request).await?;
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Revokes an invite: it can no longer be redeemed.
#[utoipa::path(
    delete,
    path = "/invites/{id}",
    operation_id = "revoke_invite",
    tag = "tenant",
    params(("id" = String, Path, description = "The invite id (64 lowercase hex digits, as `create` and `list` give it)", pattern = "^[0-9a-f]{64}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = InviteRevoked),
        (status = "4XX", description = "Refused (404 invite_not_found, also for another tenant's id)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    request_id: RequestId,
    caller: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<InviteRevoked>, ApiError> {
    let request = AdminRequest {
        id: Some(id),
        ..AdminRequest::default()
    };
    admin_call(&state, &caller, &request_id, "invites.revoke", &request)
        .await
        .map(Json)
}
