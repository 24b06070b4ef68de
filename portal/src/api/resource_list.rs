//! `GET /resources?service=S&service=T[&status=created&status=error]`: the caller's
//! tenant's resources at every site of each named service that answers, in every state
//! or only those named by `status`: each site's answer to `list` (scatter-gather through
//! the caller's own connection) carries the tenant's lifecycle records (whatever their
//! state) and the resources made before records were kept, which are shown as
//! `created`. A service no site answers is listed as `unreachable`. A `status` that
//! names no state is `400 invalid_status`.

use std::time::Duration;

use std::collections::BTreeSet;

use agent::contract::ResourceStateV1;
use agent::lifecycle::Status;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::Required;
use utoipa::{IntoParams, ToSchema};

use super::resources_wire::{bad, ResourceRecord, Rid};
use super::services::{ask_each, query_pairs, service_parameter, services_in, ServicesParams};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::problem::Problem;
use crate::state::AppState;

/// How long the sites of a service have to answer.
pub const LIST_DEADLINE: Duration = Duration::from_secs(1);

/// The query of `GET /resources`: the services (repeatable, required) and the states
/// to keep (repeatable, optional: all when absent).
pub struct ResourcesQuery;

impl IntoParams for ResourcesQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
        let status = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names));
        let statuses = ArrayBuilder::new()
            .items(status)
            .min_items(Some(1))
            .max_items(Some(Status::ALL.len()));
        let status = ParameterBuilder::new()
            .name("status")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .style(Some(ParameterStyle::Form))
            .explode(Some(true))
            .description(Some(
                "Only resources in this state (repeat for several; all states when absent)",
            ))
            .schema(Some(statuses))
            .build();
        vec![service_parameter(), status]
    }
}

/// The states `values` name (empty: every state).
///
/// # Errors
/// `400 invalid_status` naming a value that is no state.
fn statuses(values: &[(String, String)]) -> Result<BTreeSet<&'static str>, ApiError> {
    values
        .iter()
        .map(|(_, value)| {
            Status::from_name(value).map(Status::name).ok_or_else(|| {
                let known: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
                let shown =
                    if value.chars().count() <= 32 && value.chars().all(|c| c.is_ascii_graphic()) {
                        value.as_str()
                    } else {
                        "…"
                    };
                bad(
                    "invalid_status",
                    &format!("`{shown}` is no status: one of {}", known.join(", ")),
                )
            })
        })
        .collect()
}

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
    params(ResourcesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The resources, in every state or in those `status` names", body = ResourceList),
        (status = "4XX", description = "Refused (400 invalid_status: a `status` that names no state)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ServicesParams,
) -> Result<Json<ResourceList>, ApiError> {
    let (names, wanted) = services_in(query_pairs(query)?, &["status"])?;
    let wanted = statuses(&wanted)?;
    let listed = ask_each(&state, &caller, names, |client, service| async move {
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
            let kept = states
                .into_iter()
                .filter(|s| wanted.is_empty() || wanted.contains(s.lifecycle.status.name()));
            for state in kept {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(items: &[&str]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|v| (String::from("status"), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn statuses_are_the_lifecycle_states_by_name() {
        let wanted = statuses(&values(&["created", "error", "created"])).unwrap();
        assert_eq!(wanted, BTreeSet::from(["created", "error"]));
        assert!(statuses(&[]).unwrap().is_empty());
        let refused = statuses(&values(&["created", "Created"])).unwrap_err();
        assert_eq!(
            (refused.status().as_u16(), refused.code()),
            (400, "invalid_status")
        );
        assert!(refused
            .to_string()
            .contains("`Created` is no status: one of pending,"));
        let odd = statuses(&values(&["a\nb"])).unwrap_err();
        assert!(odd.to_string().starts_with("`…`"), "{odd}");
    }
}
