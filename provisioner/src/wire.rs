//! The credential request and reply as they travel over NATS (v1 JSON), shared by the service
//! and the `request` client.
//!
//! Only shapes and size limits live here; parsing rules are in `parse`, the proof in
//! `proof`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest request payload the service reads; anything larger is refused unread.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// Header carrying the request id, echoed on every reply.
pub const REQUEST_ID_HEADER: &str = "Provisioner-Request-Id";

/// Header the NATS micro protocol uses for the error status text.
pub const SERVICE_ERROR_HEADER: &str = "Nats-Service-Error";

/// Header the NATS micro protocol uses for the numeric error code.
pub const SERVICE_ERROR_CODE_HEADER: &str = "Nats-Service-Error-Code";

/// Header the server sets on requests that cross a service import.
pub const REQUEST_INFO_HEADER: &str = "Nats-Request-Info";

/// Header naming the region (the NATS cluster of the server the replica is connected to)
/// that served the request, on every reply when the server is in a cluster; the same
/// header the agents put on theirs.
pub use agent::region::REGION_HEADER;

/// The header a caller sets to say which door of its own a request came through
/// (`http`: the HTTP API); recorded in the history as the caller said it.
pub const VIA_HEADER: &str = "Provisioner-Via";
/// [`VIA_HEADER`]'s value for the HTTP API.
pub const VIA_HTTP: &str = "http";

/// A v1 credential request. Unknown fields are refused.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRequest {
    /// The user name asked for.
    pub name: String,
    /// The client's own user public key (`U…`); its seed never leaves the client.
    pub public_key: String,
    /// Unix seconds when the client signed the proof.
    pub ts: i64,
    /// A value the client never reuses.
    pub nonce: String,
    /// base64url ed25519 signature by `public_key` over the canonical proof string.
    pub proof: String,
    /// The tenant asked for, when the identity does not imply it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// An invite token. Secret: never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Requested lifetime in seconds; capped by policy, never extended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Requested tags; policy decides which are stamped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// An OpenID Connect ID token for the requested name (`identity.oidc`). Secret: never
    /// logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Which canonical string `proof` signs: 2 for `nats-provisioner-proof-v2`, which
    /// binds every field above; absent or 1 for `nats-provisioner-proof-v1` (`proof`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_version: Option<u8>,
}

impl fmt::Debug for CredentialRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRequest")
            .field("name", &self.name)
            .field("public_key", &self.public_key)
            .field("ts", &self.ts)
            .field("nonce", &self.nonce)
            .field("tenant", &self.tenant)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ttl", &self.ttl)
            .field("tags", &self.tags)
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field("proof_version", &self.proof_version)
            .finish_non_exhaustive()
    }
}

/// A successful reply.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReply {
    /// The user JWT.
    pub jwt: String,
    /// Expiry, unix seconds.
    pub expires: i64,
    /// The account the user belongs to.
    pub account: String,
    /// The user name.
    pub name: String,
    /// The request id.
    pub request_id: String,
}

impl fmt::Debug for CredentialReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialReply")
            .field("jwt", &"<redacted>")
            .field("expires", &self.expires)
            .field("account", &self.account)
            .field("name", &self.name)
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// The body of an error reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, for example `name_invalid`.
    pub code: String,
    /// Why, safe to show the caller.
    pub reason: String,
    /// The request id, for support and audit.
    pub request_id: String,
}

/// An error reply: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// The error.
    pub error: ErrorBody,
}
