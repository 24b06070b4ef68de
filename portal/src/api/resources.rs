//! `POST /resources` (queue an allocation), `GET /resources/{rid}` (its record: status and
//! history), `PATCH /resources/{rid}` (queue an update) and `DELETE /resources/{rid}`
//! (queue a deallocation), through the agent crate's client over the caller's own NATS
//! connection: the service's stream keeps the request (`202` with `Location`), an agent of
//! the site takes it later, and the record says how it went.
//!
//! The portal's resource id is `<service>.<site>.<agent id>`; `<service>.<agent id>`
//! names a resource whose site is found first (`resource_site`). The agents answer only the
//! caller's tenant's records, so another tenant's id is `404 resource_not_found` like
//! one that does not exist. The entitlement is the caller's NATS permission: a service
//! or site the caller cannot reach is `404 service_not_found`.

use agent::contract::{ResourceAllocateV1, ResourceDeallocateV1, ResourceUpdateV1};
use agent::operation::Operation;
use async_nats::Client;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::resource_site::find;
use super::resources_wire::{
    bad, caller_client, check_place, location, queue_failed, ResourceAccepted, ResourceRecord, Rid,
    RidPath,
};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::problem::Problem;
use crate::state::AppState;

/// A specification: a JSON object of at most 4096 bytes as compact JSON.
type Spec = serde_json::Map<String, serde_json::Value>;

/// A resource to make.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResource {
    /// The service (`GET /services` lists the caller's).
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$", min_length = 1, max_length = 64)]
    pub service: String,
    /// The site.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64)]
    pub site: String,
    /// The resource type (one of the site's `types`).
    #[serde(rename = "type")]
    #[schema(pattern = r"^[A-Za-z0-9_.-]{1,64}$", min_length = 1, max_length = 64)]
    pub resource_type: String,
    /// Who or what it is for: printable ASCII, not starting with a space.
    #[schema(pattern = "^[!-~][ -~]{0,255}$", min_length = 1, max_length = 256)]
    pub target_entity: String,
    /// Type-specific parameters, at most 4096 bytes as compact JSON (default `{}`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub spec: Option<Spec>,
}

/// A resource's new specification.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceChange {
    /// The new parameters, at most 4096 bytes as compact JSON.
    #[schema(value_type = Object)]
    pub spec: Spec,
}

fn checked_spec(spec: Option<Spec>) -> Result<serde_json::Value, ApiError> {
    let spec = serde_json::Value::Object(spec.unwrap_or_default());
    if spec.to_string().len() > agent::contract::MAX_SPECIFICATION_BYTES {
        return Err(bad(
            "invalid_spec",
            "the spec is larger than 4096 bytes as compact JSON",
        ));
    }
    Ok(spec)
}

/// The `202` of a queued request about `rid`.
pub(crate) fn accepted(rid: &Rid) -> Response {
    let body = ResourceAccepted {
        id: rid.text(),
        service: rid.service.clone(),
        site: rid.site.clone(),
        status: String::from("pending"),
    };
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location(rid))],
        Json(body),
    )
        .into_response()
}

/// Queues an allocation.
#[utoipa::path(
    post,
    path = "/resources",
    operation_id = "create_resource",
    tag = "resources",
    request_body = NewResource,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; `Location` is where its record is read", body = ResourceAccepted,
         headers(("location" = String, description = "/api/v1/resources/{id}"))),
        (status = "4XX", description = "Refused (404 service_not_found: no such service or site for this caller)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(new): ApiJson<NewResource>,
) -> Result<Response, ApiError> {
    check_place(&new.service, &new.site)?;
    let target = &new.target_entity;
    if !target.starts_with(|c: char| c.is_ascii_graphic())
        || !target.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    {
        return Err(bad(
            "bad_request",
            "target_entity must be printable ASCII, not starting with a space",
        ));
    }
    let request = ResourceAllocateV1 {
        resource_type: new.resource_type,
        target_entity: new.target_entity,
        specification: checked_spec(new.spec)?,
    };
    request
        .validate()
        .map_err(|e| bad("bad_request", &e.to_string()))?;
    let client = caller_client(&state, &caller).await?;
    let place = (new.service.as_str(), new.site.as_str());
    let kept = agent::queued::client::queue(
        &client,
        place,
        (Operation::Allocate, None),
        &request,
        state.nats_timeout,
    )
    .await
    .map_err(|e| queue_failed(&e))?;
    Ok(accepted(&Rid {
        service: new.service,
        site: new.site,
        id: kept.id,
    }))
}

/// A resource's record: its status and history.
#[utoipa::path(
    get,
    path = "/resources/{rid}",
    operation_id = "show_resource",
    tag = "resources",
    params(RidPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record", body = ResourceRecord),
        (status = "4XX", description = "Refused (404 resource_not_found, also for another tenant's id or a site whose agents are down; an allocation no agent has taken yet is `pending`)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(path): ApiPath<RidPath>,
) -> Result<Json<ResourceRecord>, ApiError> {
    let client = caller_client(&state, &caller).await?;
    let (_, found) = find(&state, &client, &caller.tenant, &path.rid).await?;
    Ok(Json(found))
}

/// Queues an update: the site's handler runs again with the new specification.
#[utoipa::path(
    patch,
    path = "/resources/{rid}",
    operation_id = "update_resource",
    tag = "resources",
    params(RidPath),
    request_body = ResourceChange,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; `Location` is where its record is read", body = ResourceAccepted,
         headers(("location" = String, description = "/api/v1/resources/{id}"))),
        (status = "4XX", description = "Refused (404 resource_not_found)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(path): ApiPath<RidPath>,
    ApiJson(change): ApiJson<ResourceChange>,
) -> Result<Response, ApiError> {
    let specification = checked_spec(Some(change.spec))?;
    let client = caller_client(&state, &caller).await?;
    // Only the caller's tenant's records answer: another tenant's id is a 404 here.
    let (rid, _) = find(&state, &client, &caller.tenant, &path.rid).await?;
    let request = ResourceUpdateV1 {
        id: rid.id.clone(),
        specification,
    };
    queue_change(&state, &client, &rid, Operation::Update, &request).await
}

/// Queues a deallocation.
#[utoipa::path(
    delete,
    path = "/resources/{rid}",
    operation_id = "delete_resource",
    tag = "resources",
    params(RidPath),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; `Location` is where its record is read", body = ResourceAccepted,
         headers(("location" = String, description = "/api/v1/resources/{id}"))),
        (status = "4XX", description = "Refused (404 resource_not_found)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(path): ApiPath<RidPath>,
) -> Result<Response, ApiError> {
    let client = caller_client(&state, &caller).await?;
    let (rid, _) = find(&state, &client, &caller.tenant, &path.rid).await?;
    let request = ResourceDeallocateV1 { id: rid.id.clone() };
    queue_change(&state, &client, &rid, Operation::Deallocate, &request).await
}

async fn queue_change<Q: agent::contract::Message>(
    state: &AppState,
    client: &Client,
    rid: &Rid,
    operation: Operation,
    request: &Q,
) -> Result<Response, ApiError> {
    let place = (rid.service.as_str(), rid.site.as_str());
    agent::queued::client::queue(
        client,
        place,
        (operation, Some(rid.id.as_str())),
        request,
        state.nats_timeout,
    )
    .await
    .map_err(|e| queue_failed(&e))?;
    Ok(accepted(rid))
}
