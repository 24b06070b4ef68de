//! What the resource endpoints read and write, and how they reach the agents: the
//! portal's resource id `<service>.<site>.<agent id>` ([`Rid`]), the bodies with every
//! bound the agents enforce stated in the OpenAPI document, the caller's own NATS
//! connection ([`caller_client`]), and an agent's answers and the client's failures as
//! [`ApiError`]s.
//!
//! Not here: the handlers (`resources`, `resource_events`).

use agent::client::ClientError;
use agent::contract::{ErrorV1, ResourceStateV1};
use agent::lifecycle::{Move, Status};
use async_nats::Client;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::nats_call::unix_now;
use crate::sessions::Login;
use crate::state::AppState;

/// Where the records are, under the API's prefix (`crate::api::API_PREFIX`).
const RESOURCES_PATH: &str = "/api/v1/resources";

/// Where a resource's record is read (the `Location` of a `202`).
pub fn location(rid: &Rid) -> String {
    format!("{RESOURCES_PATH}/{}", rid.text())
}

/// The portal's resource id: the service, the site and the agent's id, joined by `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid {
    /// The service (`A-Za-z0-9-`).
    pub service: String,
    /// The site (`A-Za-z0-9_-`).
    pub site: String,
    /// The agent's id (`A-Za-z0-9`).
    pub id: String,
}

impl Rid {
    /// Reads `<service>.<site>.<id>`, each part checked as the agents check it.
    ///
    /// # Errors
    /// `400 bad_request` naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut parts = text.split('.');
        let (Some(service), Some(site), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("bad_request", "a resource id is <service>.<site>.<id>"));
        };
        check_place(service, site)?;
        agent::subjects::check_id(id).map_err(|e| bad("bad_request", &e.to_string()))?;
        Ok(Rid {
            service: service.to_owned(),
            site: site.to_owned(),
            id: id.to_owned(),
        })
    }

    /// `<service>.<site>.<id>`.
    pub fn text(&self) -> String {
        format!("{}.{}.{}", self.service, self.site, self.id)
    }
}

/// Checks a service and a site name as the agents do.
///
/// # Errors
/// `400 bad_request` naming what is wrong.
pub fn check_place(service: &str, site: &str) -> Result<(), ApiError> {
    agent::subjects::check_service(service).map_err(|e| bad("bad_request", &e.to_string()))?;
    agent::subjects::check_token("site", site).map_err(|e| bad("bad_request", &e.to_string()))
}

/// A `400` with `code`.
pub fn bad(code: &'static str, reason: &str) -> ApiError {
    ApiError::BadRequest {
        code,
        reason: reason.to_owned(),
    }
}

/// The path of one resource.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RidPath {
    /// The resource id, `<service>.<site>.<id>` (the `id` of the `202`), or
    /// `<service>.<id>` when the site is not known: every site is then asked which one
    /// holds it, and the answer names the full id.
    #[param(
        pattern = r"^[A-Za-z0-9-]{1,64}(\.[A-Za-z0-9_-]{1,64})?\.[A-Za-z0-9]{1,64}$",
        min_length = 3,
        max_length = 194
    )]
    pub rid: String,
}

/// A queued request the service kept: follow `Location` (or the id) for its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResourceAccepted {
    /// The resource id, `<service>.<site>.<id>`.
    pub id: String,
    /// The service.
    pub service: String,
    /// The site.
    pub site: String,
    /// Always `pending`: the request waits for an agent of the site.
    pub status: String,
}

/// A resource's record: where it is, how it got there, what its handler said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResourceRecord {
    /// The resource id, `<service>.<site>.<id>`.
    pub id: String,
    /// The service.
    pub service: String,
    /// The site.
    pub site: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Who or what it is for.
    pub target_entity: String,
    /// Its specification (the allocation's, or the last update's).
    #[schema(value_type = Option<Object>)]
    pub specification: Option<serde_json::Value>,
    /// Where it is.
    pub status: Status,
    /// When an agent must have finished what is in flight, Unix seconds.
    pub deadline: Option<i64>,
    /// The last denial's reason or failure's message.
    pub error: Option<String>,
    /// Every move, oldest first.
    pub history: Vec<Move>,
    /// What the handler reported last (a folder's path, …).
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// When its first request was kept, Unix seconds.
    pub accepted_at: i64,
}

impl ResourceRecord {
    /// The record `state` of resource `rid`.
    pub fn of(rid: &Rid, state: ResourceStateV1) -> Self {
        let lifecycle = state.lifecycle;
        ResourceRecord {
            id: rid.text(),
            service: rid.service.clone(),
            site: rid.site.clone(),
            resource_type: state.resource_type,
            target_entity: state.target_entity,
            specification: Some(state.specification).filter(|s| !s.is_null()),
            status: lifecycle.status,
            deadline: lifecycle.deadline,
            error: lifecycle.error,
            history: lifecycle.history,
            details: state.details,
            accepted_at: state.accepted_at,
        }
    }
}

/// The caller's own NATS connection (never one of the portal's).
///
/// # Errors
/// As [`crate::sessions::Sessions::client`].
pub async fn caller_client(state: &AppState, caller: &ApiCaller) -> Result<Client, ApiError> {
    let login = Login {
        token: caller.token.expose(),
        tenant: &caller.tenant,
        name: &caller.name,
        expires_at: caller.expires_at,
    };
    state.sessions.client(&login, unix_now()).await
}

/// A `404` with `code` and `reason`.
pub fn not_found(code: &str, reason: &str) -> ApiError {
    ApiError::Refused {
        status: 404,
        code: code.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A failure to queue a request: nobody keeps requests for that service and site, or
/// the caller may not send there, is `404 service_not_found`.
pub fn queue_failed(err: &ClientError) -> ApiError {
    match err {
        ClientError::NoResponders { .. } | ClientError::TimedOut { .. } => not_found(
            "service_not_found",
            "no such service or site takes requests from this caller",
        ),
        other => {
            tracing::warn!(error = %other, "queueing a resource request failed");
            ApiError::Unavailable
        }
    }
}

/// A failure to read a record: no agent of the site answering is `404
/// resource_not_found` too (the site may not exist, or its agents may be down).
pub fn status_failed(err: &ClientError) -> ApiError {
    match err {
        ClientError::NoResponders { .. } | ClientError::TimedOut { .. } => not_found(
            "resource_not_found",
            "no agent of that site answered: no such site, or its agents are down",
        ),
        other => {
            tracing::warn!(error = %other, "reading a resource's record failed");
            ApiError::Unavailable
        }
    }
}

/// An agent's refusal: `not_found` (also another tenant's id) is `404
/// resource_not_found`, `conflict` (a resource whose state does not take the request) is
/// `409 conflict`.
pub fn refused(error: &ErrorV1) -> ApiError {
    let (status, code) = match error.error_type.as_str() {
        "not_found" => (404, "resource_not_found"),
        "untrusted_caller" | "unknown_tenant" => (403, error.error_type.as_str()),
        "bad_request" | "unsupported_message" => (400, error.error_type.as_str()),
        "quota_exceeded" => (429, "quota_exceeded"),
        "conflict" => (409, "conflict"),
        _ => {
            tracing::warn!(error = %error.message, kind = %error.error_type, "an agent failed");
            return ApiError::Unavailable;
        }
    };
    ApiError::Refused {
        status,
        code: code.to_owned(),
        reason: error.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_are_three_checked_parts() {
        let rid = Rid::parse("storage.sto_1.q17").unwrap();
        assert_eq!(
            (rid.service.as_str(), rid.site.as_str(), rid.id.as_str()),
            ("storage", "sto_1", "q17")
        );
        assert_eq!(rid.text(), "storage.sto_1.q17");
        assert_eq!(location(&rid), "/api/v1/resources/storage.sto_1.q17");
        assert!(RESOURCES_PATH.starts_with(crate::api::API_PREFIX));
        for bad in [
            "",
            "storage.sto1",
            "storage.sto1.q1.x",
            "sto_rage.sto1.q1",
            "storage..q1",
            "storage.sto1.q-1",
            "storage.sto 1.q1",
        ] {
            assert!(Rid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_answer_is_a_404_and_an_agents_not_found_too() {
        let none = ClientError::NoResponders {
            subject: String::from("x"),
        };
        assert_eq!(queue_failed(&none).code(), "service_not_found");
        assert_eq!(status_failed(&none).status().as_u16(), 404);
        let missing: ErrorV1 = serde_json::from_value(serde_json::json!({
            "type": "not_found", "message": "no such resource", "site": "sto1"
        }))
        .unwrap();
        assert_eq!(refused(&missing).code(), "resource_not_found");
        let busy: ErrorV1 = serde_json::from_value(serde_json::json!({
            "type": "conflict", "message": "resource `q1` is created", "site": "sto1"
        }))
        .unwrap();
        assert_eq!(
            (refused(&busy).status().as_u16(), refused(&busy).code()),
            (409, "conflict")
        );
    }
}
