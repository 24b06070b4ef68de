//! `GET /services?service=S&service=T`: the sites of each named service that answer the
//! caller, with the resource types each takes and those that wait for approval. The
//! portal keeps no list of services: the caller names them, and each is pinged by
//! scatter-gather through the caller's own connection (every site's agents answer, one
//! answer per site kept) for [`PING_DEADLINE`]. A service no site answers, whether none
//! runs or the caller's NATS permissions do not reach it, is listed as `unreachable`: the
//! entitlement is the caller's NATS permission.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::Required;
use utoipa::{IntoParams, ToSchema};

use super::resources_wire::{bad, caller_client};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::problem::Problem;
use crate::state::AppState;

/// How long the sites of a service have to answer a ping.
pub const PING_DEADLINE: Duration = Duration::from_secs(1);
/// The most services one request may name.
pub const MAX_SERVICES: usize = 16;

/// The `service` query parameter, repeatable.
pub struct ServicesQuery;

impl IntoParams for ServicesQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![service_parameter()]
    }
}

/// The repeatable `service` parameter.
pub(crate) fn service_parameter() -> Parameter {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z0-9-]{1,64}$"))
        .min_length(Some(1))
        .max_length(Some(64));
    let names = ArrayBuilder::new()
        .items(name)
        .min_items(Some(1))
        .max_items(Some(MAX_SERVICES));
    ParameterBuilder::new()
        .name("service")
        .parameter_in(ParameterIn::Query)
        .required(Required::True)
        .style(Some(ParameterStyle::Form))
        .explode(Some(true))
        .description(Some("A service to look for (repeat for several)"))
        .schema(Some(names))
        .build()
}

/// A site of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceSite {
    /// The site.
    pub site: String,
    /// The resource types it has handlers for (empty: it takes any type).
    pub types: Vec<String>,
    /// The types that wait for a service admin's approval.
    pub approval_types: Vec<String>,
}

/// A service and the sites that answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceSites {
    /// The service.
    pub service: String,
    /// Its sites that answered, by name.
    pub sites: Vec<ServiceSite>,
}

/// What the caller can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Services {
    /// The services some site answered for.
    pub services: Vec<ServiceSites>,
    /// The services no site answered for (none runs, or the caller may not reach it).
    pub unreachable: Vec<String>,
}

/// The named services, each checked as the agents check a service name.
fn named(pairs: Vec<(String, String)>) -> Result<Vec<String>, ApiError> {
    services_in(pairs, &[]).map(|(names, _)| names)
}

/// The `service` values of a query, each checked as the agents check a service name,
/// and the values of the `extra` parameters it may also have, in order.
///
/// # Errors
/// `400 bad_request` for another parameter, a bad name, none or more than
/// [`MAX_SERVICES`].
pub(crate) fn services_in(
    pairs: Vec<(String, String)>,
    extra: &[&str],
) -> Result<(Vec<String>, Pairs), ApiError> {
    let mut names = BTreeSet::new();
    let mut others = Vec::new();
    for (key, value) in pairs {
        if extra.contains(&key.as_str()) {
            others.push((key, value));
            continue;
        }
        if key != "service" {
            return Err(bad("bad_request", &format!("unknown parameter `{key}`")));
        }
        agent::subjects::check_service(&value).map_err(|e| bad("bad_request", &e.to_string()))?;
        names.insert(value);
    }
    if names.is_empty() {
        return Err(bad("bad_request", "name at least one `service`"));
    }
    if names.len() > MAX_SERVICES {
        return Err(bad("bad_request", "at most 16 services at once"));
    }
    Ok((names.into_iter().collect(), others))
}

/// A query's parameters, in order.
pub(crate) type Pairs = Vec<(String, String)>;

/// The `service` query as axum reads it.
pub(crate) type ServicesParams =
    Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

/// The query's parameters as pairs.
///
/// # Errors
/// `400 bad_request` for a query that does not read.
pub(crate) fn query_pairs(query: ServicesParams) -> Result<Vec<(String, String)>, ApiError> {
    let Query(pairs) = query.map_err(|e| bad("bad_request", &e.body_text()))?;
    Ok(pairs)
}

/// Asks each of the services `names`, all at once, through the caller's own connection;
/// the answers come back by service, in the order of the names.
///
/// # Errors
/// The connection's errors.
pub(crate) async fn ask_each<T, Fut>(
    state: &AppState,
    caller: &ApiCaller,
    names: Vec<String>,
    ask: impl Fn(async_nats::Client, String) -> Fut,
) -> Result<Vec<(String, T)>, ApiError>
where
    Fut: std::future::Future<Output = T>,
{
    let client = caller_client(state, caller).await?;
    let asks = names.into_iter().map(|service| {
        let answer = ask(client.clone(), service.clone());
        async move { (service, answer.await) }
    });
    Ok(futures::future::join_all(asks).await)
}

/// The sites of the named services that answer the caller.
#[utoipa::path(
    get,
    path = "/services",
    operation_id = "list_services",
    tag = "resources",
    params(ServicesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The services and their answering sites", body = Services),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ServicesParams,
) -> Result<Json<Services>, ApiError> {
    let names = named(query_pairs(query)?)?;
    let pinged = ask_each(&state, &caller, names, |client, service| async move {
        agent::client::ping(&client, &service, &[], None, PING_DEADLINE).await
    })
    .await?;
    let mut found = Services {
        services: Vec::new(),
        unreachable: Vec::new(),
    };
    for (service, gathered) in pinged {
        let sites: Vec<ServiceSite> = match gathered {
            Ok(gathered) => gathered
                .answers
                .into_iter()
                .filter_map(|(site, answer)| {
                    answer.ok().map(|pong| ServiceSite {
                        site,
                        types: pong.types,
                        approval_types: pong.approval_types,
                    })
                })
                .collect(),
            Err(err) => {
                tracing::debug!(error = %err, %service, "pinging a service failed");
                Vec::new()
            }
        };
        if sites.is_empty() {
            found.unreachable.push(service);
        } else {
            found.services.push(ServiceSites { service, sites });
        }
    }
    Ok(Json(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn services_are_named_checked_and_counted() {
        let names = named(pairs(&[
            ("service", "b"),
            ("service", "a"),
            ("service", "b"),
        ]));
        assert_eq!(names.unwrap(), ["a", "b"]);
        assert!(named(pairs(&[])).is_err());
        assert!(named(pairs(&[("service", "a_b")])).is_err());
        assert!(named(pairs(&[("service", "a"), ("other", "b")])).is_err());
        let many: Vec<(String, String)> = (0..17)
            .map(|n| (String::from("service"), format!("s{n}")))
            .collect();
        assert!(named(many).is_err());
        let (names, statuses) = services_in(
            pairs(&[("status", "error"), ("service", "a"), ("status", "x")]),
            &["status"],
        )
        .unwrap();
        assert_eq!(names, ["a"]);
        assert_eq!(statuses.len(), 2);
    }
}
