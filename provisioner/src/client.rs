//! The client side of a credential request, shared by `request` and `bench`: build a
//! request with a fresh local key and its v2 proof, send it, read the reply.
//!
//! The user's seed is made here and never sent.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use claims::KeyPair;

use crate::proof::prove;
use crate::wire::{CredentialReply, CredentialRequest, ErrorReply, SERVICE_ERROR_CODE_HEADER};

/// What the client asks for.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// The name.
    pub name: String,
    /// The tenant, if the identity does not imply it.
    pub tenant: Option<String>,
    /// An invite token.
    pub token: Option<String>,
    /// Requested lifetime, seconds.
    pub ttl: Option<u64>,
    /// Requested tags.
    pub tags: Vec<String>,
    /// An OpenID Connect ID token for the name. Secret.
    pub id_token: Option<String>,
}

/// The answer to a request.
pub enum Answer {
    /// Credentials were granted.
    Granted(CredentialReply),
    /// The service refused, with its micro error code.
    Refused {
        /// The `Nats-Service-Error-Code`.
        status: u16,
        /// The error body.
        error: ErrorReply,
    },
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The JSON body of a request for `ask`, proven with `user` (a v2 proof, binding every
/// field).
///
/// # Errors
/// When `user` holds no seed.
pub fn request_body(user: &KeyPair, ask: &Ask) -> anyhow::Result<Bytes> {
    let mut request = CredentialRequest {
        name: ask.name.clone(),
        public_key: user.public_key(),
        ts: unix_now(),
        nonce: nuid::next().to_string(),
        proof: String::new(),
        tenant: ask.tenant.clone(),
        token: ask.token.clone(),
        ttl: ask.ttl,
        tags: (!ask.tags.is_empty()).then(|| ask.tags.clone()),
        id_token: ask.id_token.clone(),
        proof_version: None,
    };
    prove(user, &mut request)?;
    Ok(Bytes::from(serde_json::to_vec(&request)?))
}

/// Reads a reply message.
///
/// # Errors
/// When the reply is neither a credential reply nor an error reply.
pub fn read_answer(message: &async_nats::Message) -> anyhow::Result<Answer> {
    let status = message
        .headers
        .as_ref()
        .and_then(|h| h.get(SERVICE_ERROR_CODE_HEADER))
        .and_then(|v| v.as_str().parse::<u16>().ok());
    match status {
        Some(status) => Ok(Answer::Refused {
            status,
            error: serde_json::from_slice(&message.payload)
                .map_err(|_| anyhow::anyhow!("error reply {status} without a readable body"))?,
        }),
        None => Ok(Answer::Granted(
            serde_json::from_slice(&message.payload)
                .map_err(|_| anyhow::anyhow!("the reply is not a credential reply"))?,
        )),
    }
}

/// The region that served a reply, when the replica's server is in a cluster (the
/// [`crate::wire::REGION_HEADER`] header).
pub fn served_region(message: &async_nats::Message) -> Option<&str> {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(crate::wire::REGION_HEADER))
        .map(async_nats::HeaderValue::as_str)
}
