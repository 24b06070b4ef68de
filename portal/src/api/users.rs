//! `GET /users` (one page, `limit` and `cursor` as the NATS endpoint pages, filtered by
//! name `prefix` and `status`), `GET
//! /users/{name}` and `DELETE /users/{name}` (revoke: the name and every key it held, with
//! the resolver push where the provisioner has one; repeating it answers the same). The
//! tenant admin subjects `creds.admin.users.*`, as the caller: a non-admin gets the
//! provisioner's `403 admin_required`, a name of another tenant the `404 user_not_found`
//! of a name that does not exist.
//!
//! The bodies are the provisioner's own reply types (`tenant_admin::wire`, with its
//! `openapi` feature), so the HTTP API and the NATS endpoints cannot drift apart.

use axum::extract::State;
use axum::Json;
use provisioner::tenant_admin::wire::{
    AdminRequest, RevokeReply as Revoked, UserStatus, UsersReply as Users,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::nats_call::admin_call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

/// The page asked for.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Users per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the page before (empty: the first page).
    #[param(pattern = "^[0-9]*$", max_length = 19)]
    pub cursor: Option<String>,
    /// Only users whose name starts with this (compared as the tenant compares names).
    pub prefix: Option<String>,
    /// Only users in this state. A filtered page may hold fewer users than `limit`
    /// (even none) and still have a `next_cursor`: follow it to read on.
    #[param(inline)]
    pub status: Option<UserStatus>,
}

/// One page of the tenant's users.
#[utoipa::path(
    get,
    path = "/users",
    operation_id = "list_users",
    tag = "tenant",
    params(Page),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Users),
        (status = "4XX", description = "Refused (403 admin_required for a non-admin)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Users>, ApiError> {
    let request = AdminRequest {
        limit: page.limit,
        cursor: page.cursor,
        prefix: page.prefix,
        status: page.status,
        ..AdminRequest::default()
    };
    admin_call(&state, &caller, &id, "users.list", &request)
        .await
        .map(Json)
}

/// The users of one name (one, or one per key where names are not unique).
#[utoipa::path(
    get,
    path = "/users/{name}",
    operation_id = "show_user",
    tag = "tenant",
    params(("name" = String, Path, description = "The user name")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = Users),
        (status = "4XX", description = "Refused (404 user_not_found, also for another tenant's name)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Users>, ApiError> {
    let request = AdminRequest {
        name: Some(name),
        ..AdminRequest::default()
    };
    admin_call(&state, &caller, &id, "users.show", &request)
        .await
        .map(Json)
}

/// Revokes a name: never issued again, and every key it held refused.
#[utoipa::path(
    delete,
    path = "/users/{name}",
    operation_id = "revoke_user",
    tag = "tenant",
    params(("name" = String, Path, description = "The user name")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        (status = "4XX", description = "Refused (404 user_not_found, also for another tenant's name; 409 self_revocation for the caller's own name)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Revoked>, ApiError> {
    let request = AdminRequest {
        name: Some(name),
        ..AdminRequest::default()
    };
    admin_call(&state, &caller, &id, "users.revoke", &request)
        .await
        .map(Json)
}
