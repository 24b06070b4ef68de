//! `GET /resources?service=S&service=T`: the caller's tenant's resources at every site of
//! each named service that answers, in every state: each site's answer to `list`
//! (scatter-gather through the caller's own connection) carries the tenant's lifecycle
//! records (queued resources, whatever their state) and the resources made live, which
//! are shown as `created`. A service no site answers is listed as `unreachable`.

use std::time::Duration;

use agent::contract::ResourceStateV1;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::resources_wire::{ResourceRecord, Rid};
use super::services::{ask_each, ServicesParams, ServicesQuery};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::problem::Problem;
use crate::state::AppState;

/// How long the sites of a service have to answer.
pub const LIST_DEADLINE: Duration = Duration::from_secs(1);

/// The tenant's resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResourceList {
    /// Every resource found, by service, site and id.
    pub resources: Vec<ResourceRecord>,
    /// The services no site answered for.
    pub unreachable: Vec<String>,
}

/// The caller's tenant's resources of the named services.
#[utoipa::path(
    get,
    path = "/resources",
    operation_id = "list_resources",
    tag = "resources",
    params(ServicesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The resources, in every state", body = ResourceList),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ServicesParams,
) -> Result<Json<ResourceList>, ApiError> {
    let listed = ask_each(&state, &caller, query, |client, service| async move {
        agent::client::list(&client, &service, &[], None, LIST_DEADLINE).await
    })
    .await?;
    let mut found = ResourceList {
        resources: Vec::new(),
        unreachable: Vec::new(),
    };
    for (service, gathered) in listed {
        let answers: Vec<_> = gathered
            .map(|g| g.answers.into_values().filter_map(Result::ok).collect())
            .unwrap_or_default();
        if answers.is_empty() {
            found.unreachable.push(service);
            continue;
        }
        for answer in answers {
            let mut states = answer.records;
            // Made live, before any record: shown as created.
            for made in answer.resources {
                if states.iter().any(|r| r.id == made.id) {
                    continue;
                }
                states.push(ResourceStateV1::made_live(made, "", &answer.site));
            }
            for state in states {
                let rid = Rid {
                    service: service.clone(),
                    site: answer.site.clone(),
                    id: state.id.clone(),
                };
                found.resources.push(ResourceRecord::of(&rid, state));
            }
        }
    }
    found
        .resources
        .sort_by(|a, b| (a.accepted_at, &a.id).cmp(&(b.accepted_at, &b.id)));
    Ok(Json(found))
}
