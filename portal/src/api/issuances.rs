//! `GET /issuances`: the tenant's issuance history, oldest first (who got credentials
//! for which key, when, through which door: a NATS request, an auth callout CONNECT, or
//! this API), from a time (`since`) or after a cursor, for every user or one (`user`).
//! The tenant admin subject `creds.admin.issuances`, as the caller: admins only, their
//! own tenant only. The records live in a JetStream stream the provisioner keeps
//! (`history_max_age_secs`), so they survive restarts of every process.

use axum::extract::State;
use axum::Json;
use provisioner::tenant_admin::wire::{AdminRequest, IssuancesReply as Issuances};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::nats_call::admin_call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

/// Which issuances.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this user's issuances.
    pub user: Option<String>,
    /// Only issuances at or after this time, Unix seconds.
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// Issuances per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the page before (then `since` is not needed; empty: none).
    #[param(pattern = "^[0-9]*$", max_length = 19)]
    pub cursor: Option<String>,
}

/// One page of the tenant's issuance history.
#[utoipa::path(
    get,
    path = "/issuances",
    operation_id = "list_issuances",
    tag = "tenant",
    params(HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of issuances, oldest first", body = Issuances),
        (status = "4XX", description = "Refused (403 admin_required for a non-admin)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed (503 history_disabled where no history is kept)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Issuances>, ApiError> {
    let request = AdminRequest {
        name: query.user,
        since: query.since,
        limit: query.limit,
        cursor: query.cursor,
        ..AdminRequest::default()
    };
    admin_call(&state, &caller, &id, "issuances", &request)
        .await
        .map(Json)
}
