//! `POST /resources/{rid}/retry`: retry a resource in `error` (its handler failed, or no
//! agent of the site took it before its deadline), through the agent crate's client over
//! the caller's own NATS connection: the site moves the record back in flight by
//! compare-and-set (only the caller's tenant's record, only from `error`), then the
//! original operation is queued again with the same id and carried out once (`202` with
//! `Location`). A resource in any other state, also one a concurrent retry moved first,
//! is `409 conflict`; another tenant's id is `404 resource_not_found`.

use axum::extract::State;
use axum::response::Response;

use super::resource_site::place;
use super::resources::accepted;
use super::resources_wire::{caller_client, refused, status_failed, ResourceAccepted, RidPath};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;

/// Retries a resource in error.
#[utoipa::path(
    post,
    path = "/resources/{rid}/retry",
    operation_id = "retry_resource",
    tag = "resources",
    params(RidPath),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued again; `Location` is where its record is read", body = ResourceAccepted,
         headers(("location" = String, description = "/api/v1/resources/{id}"))),
        (status = "4XX", description = "Refused (404 resource_not_found; 409 conflict: the resource is not in error, or another retry of it came first)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retry(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(path): ApiPath<RidPath>,
) -> Result<Response, ApiError> {
    let client = caller_client(&state, &caller).await?;
    let rid = place(&state, &client, &caller.tenant, &path.rid).await?;
    let at = (rid.service.as_str(), rid.site.as_str());
    agent::queued::client::retry(&client, at, &rid.id, state.nats_timeout)
        .await
        .map_err(|e| status_failed(&e))?
        .map_err(|e| refused(&e))?;
    Ok(accepted(&rid))
}
