//! `GET /users` (one page, `limit` and `cursor` as the NATS endpoint pages), `GET
//! /users/{name}` and `DELETE /users/{name}` (revoke: the name and every key it held, with
//! the resolver push where the provisioner has one; repeating it answers the same). The
//! tenant admin subjects `creds.admin.users.*`, as the caller: a non-admin gets the
//! provisioner's `403 admin_required`, a name of another tenant the `404 user_not_found`
//! of a name that does not exist.

use axum::extract::State;
use axum::Json;
use provisioner::tenant_admin::wire::AdminRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::nats_call::admin_call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

/// A user of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// The name.
    pub name: String,
    /// The public key of its last JWT.
    pub public_key: String,
    /// The last JWT's id.
    pub jti: String,
    /// The last JWT's issue time, unix seconds.
    pub iat: i64,
    /// The last JWT's expiry (0: never).
    pub exp: i64,
    /// The signing key of the last JWT.
    pub issuer: String,
    /// The request that minted the last JWT.
    pub request_id: String,
    /// JWTs issued for this name and key.
    pub issued: u64,
    /// Whether the name is revoked.
    pub revoked: bool,
    /// When it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// Unexpired and not revoked.
    pub active: bool,
}

/// A page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Users {
    /// The tenant.
    pub tenant: String,
    /// The users.
    pub users: Vec<User>,
    /// Where the next page starts (`?cursor=`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Revoked {
    /// The tenant.
    pub tenant: String,
    /// The name.
    pub name: String,
    /// Every public key the name held.
    pub public_keys: Vec<String>,
    /// When, unix seconds.
    pub revoked_at: i64,
    /// Whether the server was told (it then closes and refuses the keys); when false the
    /// credentials stay valid until they expire, and the name is never issued again.
    pub pushed: bool,
    /// Entries of the account's revocation list after the push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<usize>,
    /// Entries pruned because every JWT they refused had expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned: Option<usize>,
    /// What happened, in words.
    pub note: String,
}

/// The page asked for.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Users per page, 1 to 1000 (default 100).
    pub limit: Option<u64>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
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
        (status = "4XX", description = "Refused (404 user_not_found, also for another tenant's name)", body = Problem, content_type = "application/problem+json"),
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
