//! The service contract (v1), JSON and versioned like the Helmholtz Cloud Agent's messages:
//! a client sends [`ResourceAllocateV1`], [`ResourceUpdateV1`], [`ResourceDeallocateV1`],
//! [`ResourceListV1`] or [`PingV1`]; an agent answers [`ResourceCreatedV1`],
//! [`ResourceUpdatedV1`], [`ResourceDeallocatedV1`], [`ResourcesV1`], [`PongV1`] or
//! [`ErrorV1`]. `details` are what the type's handler reported (see [`crate::exec`]),
//! left out of the JSON when there are none, so an agent without handlers answers as
//! before.
//!
//! Every message may carry the header [`MESSAGE_TYPE_HEADER`] with its type name
//! (`ResourceAllocateV1`, …); replies always do, so a client tells an answer from an error
//! without guessing. A request's header, when present, must name the type its subject
//! expects; a later `…V2` is then refused with `unsupported_message` by a v1 agent.
//! Request bodies refuse unknown fields; replies are read tolerantly (a newer agent may
//! add fields). Pure: no IO.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::subjects::{check_id, MAX_NAME_LEN};

pub use error::{ErrorType, ErrorV1};
pub use locate::{ResourceLocateV1, ResourceLocationV1};
pub use state::{
    ApprovalV1, ApprovalsV1, ResourceAcceptedV1, ResourceRetryV1, ResourceStateV1, ResourceStatusV1,
};

pub mod error;
pub mod locate;
pub mod state;

/// The header naming a message's type.
pub const MESSAGE_TYPE_HEADER: &str = "Message-Type";
/// The NATS micro header carrying an error's numeric code on [`ErrorV1`] replies.
pub const SERVICE_ERROR_CODE_HEADER: &str = "Nats-Service-Error-Code";
/// The NATS micro header carrying an error's short text on [`ErrorV1`] replies.
pub const SERVICE_ERROR_HEADER: &str = "Nats-Service-Error";
/// The largest request body read; larger ones are refused unread.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// The largest `specification`, as compact JSON.
pub const MAX_SPECIFICATION_BYTES: usize = 4 * 1024;
/// The longest `target_entity`.
pub const MAX_TARGET_ENTITY_LEN: usize = 256;

/// A message type of the contract.
pub trait Message: Serialize + DeserializeOwned {
    /// Its name in [`MESSAGE_TYPE_HEADER`].
    const TYPE: &'static str;
}

/// Allocate a resource of `type` for `target_entity`, described by `specification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceAllocateV1 {
    /// The resource type, e.g. `GroupStorageResourceSpecV1`: 1–64 of `A-Za-z0-9_.-`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Who or what the resource is for (a user, a group, a VO): 1–256 printable characters.
    pub target_entity: String,
    /// Type-specific parameters: a JSON object (default `{}`).
    #[serde(default = "empty_object")]
    pub specification: serde_json::Value,
}

/// Replace the specification of resource `id` of the calling tenant (its handler's
/// `update` runs with the new one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceUpdateV1 {
    /// The id [`ResourceCreatedV1`] returned.
    pub id: String,
    /// The new parameters: a JSON object (default `{}`), at most 4 KiB.
    #[serde(default = "empty_object")]
    pub specification: serde_json::Value,
}

/// What a handler reported about a resource (e.g. a folder's path and URL).
pub type Details = serde_json::Map<String, serde_json::Value>;

/// Release resource `id` of the calling tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDeallocateV1 {
    /// The id [`ResourceCreatedV1`] returned.
    pub id: String,
}

/// List the calling tenant's resources (every site answers). The body is `{}` or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceListV1 {}

/// Is anyone there (every site answers)? The body is `{}` or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingV1 {}

/// The resource was created at `site` with `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCreatedV1 {
    /// Unique at the site; only the tenant that allocated it can use it.
    pub id: String,
    /// The site that holds it.
    pub site: String,
    /// What the handler reported (absent without a handler or when it reported nothing).
    #[serde(default, skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

/// The resource `id` at `site` now has the new specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceUpdatedV1 {
    /// The id.
    pub id: String,
    /// The site.
    pub site: String,
    /// What the handler reported (absent when it reported nothing).
    #[serde(default, skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

/// The resource `id` was released at `site`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDeallocatedV1 {
    /// The id.
    pub id: String,
    /// The site.
    pub site: String,
}

/// One resource as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceV1 {
    /// The id.
    pub id: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Who or what it is for.
    pub target_entity: String,
    /// Its parameters.
    pub specification: serde_json::Value,
    /// Unix seconds of its allocation.
    pub created: i64,
    /// What the handler last reported (absent when it reported nothing).
    #[serde(default, skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

/// One site's answer to [`ResourceListV1`]: the calling tenant's resources there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourcesV1 {
    /// The answering site.
    pub site: String,
    /// The calling tenant's resources at that site.
    pub resources: Vec<ResourceV1>,
    /// Every site of this service the answering agent knows of (those with a bucket), so
    /// that a client can name the sites that did not answer.
    #[serde(default)]
    pub sites: Vec<String>,
    /// The calling tenant's lifecycle records at that site: its queued resources in every
    /// state (pending, pending approval, error, deleted, …), not only those made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<ResourceStateV1>,
    /// The cluster (region) of the server the answering agent is connected to, when it
    /// runs in a cluster: a caller names the regions that answered from these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// One site's answer to [`PingV1`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PongV1 {
    /// The answering site.
    pub site: String,
    /// The service name.
    pub service: String,
    /// The agent's version.
    pub version: String,
    /// The resource types the site has handlers for (empty: an agent that only keeps
    /// records, which takes any type).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// The types that wait for a service admin's approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approval_types: Vec<String>,
    /// The cluster (region) of the server the answering agent is connected to, when it
    /// runs in a cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl ResourceStateV1 {
    /// The state of `made`, a resource a live request made at `site` for `tenant` before
    /// lifecycle records were kept for it: `created`, with no history.
    pub fn made_live(made: ResourceV1, tenant: &str, site: &str) -> Self {
        ResourceStateV1 {
            id: made.id,
            tenant: tenant.to_owned(),
            site: site.to_owned(),
            resource_type: made.resource_type,
            accepted_at: made.created,
            lifecycle: crate::lifecycle::Lifecycle {
                status: crate::lifecycle::Status::Created,
                deadline: None,
                error: None,
                history: Vec::new(),
                retries: 0,
            },
            details: made.details,
            target_entity: made.target_entity,
            specification: made.specification,
            taken_by: None,
        }
    }
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

macro_rules! message {
    ($($t:ident),*) => {$(
        impl Message for $t {
            const TYPE: &'static str = stringify!($t);
        }
    )*};
}
message!(
    ResourceAllocateV1,
    ResourceUpdateV1,
    ResourceUpdatedV1,
    ResourceDeallocateV1,
    ResourceListV1,
    PingV1,
    ResourceCreatedV1,
    ResourceDeallocatedV1,
    ResourcesV1,
    PongV1,
    ErrorV1,
    ResourceAcceptedV1,
    ResourceStatusV1,
    ResourceStateV1,
    ApprovalV1,
    ApprovalsV1,
    ResourceRetryV1,
    ResourceLocateV1,
    ResourceLocationV1
);

/// Why a request body is refused; the text is safe to show the caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ContractError {
    /// The header names another message type.
    #[error("message type `{got}` is not supported here (expected `{expected}`)")]
    UnsupportedMessage {
        /// The header's value (shortened).
        got: String,
        /// The type the subject expects.
        expected: &'static str,
    },
    /// The body is larger than [`MAX_REQUEST_BYTES`].
    #[error("the request is larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    /// The body is not the expected JSON.
    #[error("the request is not a valid {expected}: {reason}")]
    Malformed {
        /// The expected type.
        expected: &'static str,
        /// The parser's complaint.
        reason: String,
    },
    /// A field is out of bounds.
    #[error("invalid `{field}`: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

impl ContractError {
    /// The [`ErrorType`] to answer with.
    pub fn error_type(&self) -> ErrorType {
        match self {
            ContractError::UnsupportedMessage { .. } => ErrorType::UnsupportedMessage,
            _ => ErrorType::BadRequest,
        }
    }
}

/// Decodes a request body of type `T` carrying header value `message_type` (if any).
/// An empty body reads as `{}`.
///
/// # Errors
/// [`ContractError`].
pub fn decode_request<T: Message>(
    message_type: Option<&str>,
    body: &[u8],
) -> Result<T, ContractError> {
    if let Some(got) = message_type {
        if got != T::TYPE {
            return Err(ContractError::UnsupportedMessage {
                got: shorten(got),
                expected: T::TYPE,
            });
        }
    }
    if body.len() > MAX_REQUEST_BYTES {
        return Err(ContractError::TooLarge);
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let malformed = |reason: String| ContractError::Malformed {
        expected: T::TYPE,
        reason: shorten(&reason),
    };
    // serde would also read a struct from a JSON array; only an object is a message.
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    if !value.is_object() {
        return Err(malformed(String::from("expected a JSON object")));
    }
    T::deserialize(value).map_err(|e| malformed(e.to_string()))
}

impl ResourceAllocateV1 {
    /// Checks the fields' bounds.
    ///
    /// # Errors
    /// [`ContractError::Field`].
    pub fn validate(&self) -> Result<(), ContractError> {
        let field = |field, reason| Err(ContractError::Field { field, reason });
        if let Err(reason) = check_resource_type(&self.resource_type) {
            return field("type", reason);
        }
        let e = &self.target_entity;
        if e.trim().is_empty() || e.chars().count() > MAX_TARGET_ENTITY_LEN {
            return field("target_entity", "it must be 1 to 256 characters");
        }
        if e.chars().any(char::is_control) {
            return field("target_entity", "control characters are not allowed");
        }
        check_specification(&self.specification)
    }
}

impl ResourceUpdateV1 {
    /// Checks the fields' bounds.
    ///
    /// # Errors
    /// [`ContractError::Field`].
    pub fn validate(&self) -> Result<(), ContractError> {
        if check_id(&self.id).is_err() {
            return Err(ContractError::Field {
                field: "id",
                reason: "only letters and digits are allowed",
            });
        }
        check_specification(&self.specification)
    }
}

fn check_specification(specification: &serde_json::Value) -> Result<(), ContractError> {
    let field = |reason| {
        Err(ContractError::Field {
            field: "specification",
            reason,
        })
    };
    if !specification.is_object() {
        return field("it must be a JSON object");
    }
    if specification.to_string().len() > MAX_SPECIFICATION_BYTES {
        return field("it is larger than 4096 bytes");
    }
    Ok(())
}

/// Checks a resource type name: 1–64 of `A-Za-z0-9_.-` (also the keys of the agent's
/// `[handlers]` table).
///
/// # Errors
/// Why it is refused, to show.
pub fn check_resource_type(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err("it must be 1 to 64 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err("only letters, digits, `_`, `.` and `-` are allowed");
    }
    Ok(())
}

/// At most 200 characters of `text`, without control characters.
fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(MAX).collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
