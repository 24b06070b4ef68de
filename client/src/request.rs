//! One credential request as the provisioner reads it: the JSON body with a v2 proof of
//! possession of the user's key, and the reply (granted, or refused with a reason).
//!
//! The canonical string is the provisioner's (`provisioner/src/proof.rs`, the README's
//! "The credential request"); the tests below pin the same strings as the service's
//! tests, so a drift on either side fails here as well as end to end.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use nkeys::KeyPair;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// First line of the canonical string this client signs.
pub const PROOF_CONTEXT_V2: &str = "nats-provisioner-proof-v2";

/// The header the service sets on an error reply (NATS micro).
pub const SERVICE_ERROR_CODE_HEADER: &str = "Nats-Service-Error-Code";

/// What a client asks for. `token` and `id_token` vouch for the first request only: a
/// renewal is vouched for by the user's own connection (or the requester's import) and
/// never resends them (an invite is single-use, an ID token short-lived).
#[derive(Clone, Default)]
pub struct Ask {
    /// The user name.
    pub name: String,
    /// The tenant, when the requester's identity does not imply it.
    pub tenant: Option<String>,
    /// Requested lifetime in seconds (the policy caps it).
    pub ttl: Option<u64>,
    /// Requested tags.
    pub tags: Vec<String>,
    /// An invite token for the first request. Secret.
    pub token: Option<String>,
    /// An OpenID Connect ID token for the first request. Secret.
    pub id_token: Option<String>,
}

impl Ask {
    /// The same ask without the first request's secrets: what a renewal sends.
    pub fn for_renewal(&self) -> Ask {
        Ask {
            token: None,
            id_token: None,
            ..self.clone()
        }
    }
}

impl fmt::Debug for Ask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ask")
            .field("name", &self.name)
            .field("tenant", &self.tenant)
            .field("ttl", &self.ttl)
            .field("tags", &self.tags)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The request body as sent (field names and omissions as the service expects).
#[derive(Serialize)]
struct Body<'a> {
    name: &'a str,
    public_key: String,
    ts: i64,
    nonce: String,
    proof: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    proof_version: u8,
}

/// Granted credentials: the user JWT and when it expires.
#[derive(Clone, Deserialize)]
pub struct Granted {
    /// The user JWT. Secret.
    pub jwt: String,
    /// Expiry, unix seconds.
    pub expires: i64,
    /// The account the user belongs to.
    pub account: String,
    /// The user name.
    pub name: String,
    /// The service's request id.
    pub request_id: String,
}

impl fmt::Debug for Granted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Granted")
            .field("jwt", &"<redacted>")
            .field("expires", &self.expires)
            .field("account", &self.account)
            .field("name", &self.name)
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// Why a request got no credentials. Messages carry no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The service refused: its status, code and reason (safe to show).
    #[error("refused ({status} {code}): {reason}")]
    Refused {
        /// The `Nats-Service-Error-Code`.
        status: u16,
        /// The stable code, such as `name_revoked`.
        code: String,
        /// Why.
        reason: String,
    },
    /// The request could not be sent or got no reply in time.
    #[error("no answer: {0}")]
    Unanswered(String),
    /// The reply is neither credentials nor an error reply.
    #[error("unreadable reply: {0}")]
    Unreadable(String),
    /// The user key cannot sign (it holds no seed).
    #[error("the user key cannot sign")]
    Signing,
}

#[derive(Deserialize)]
struct ErrorReply {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    reason: String,
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The v2 canonical string for these fields.
pub fn canonical_string_v2(ask: &Ask, public_key: &str, ts: i64, nonce: &str) -> String {
    let digest = |secret: Option<&str>| {
        secret
            .map(|s| HEXLOWER.encode(&Sha256::digest(s.as_bytes())))
            .unwrap_or_default()
    };
    let mut tags: Vec<&str> = ask.tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    let tags: Vec<String> = tags.iter().map(|t| format!("{}:{t}", t.len())).collect();
    format!(
        "{PROOF_CONTEXT_V2}\ntenant={}\nname={}\npublic_key={public_key}\nts={ts}\nnonce={nonce}\n\
         ttl={}\ntoken_sha256={}\nid_token_sha256={}\ntags={}",
        ask.tenant.as_deref().unwrap_or(""),
        ask.name,
        ask.ttl.map(|t| t.to_string()).unwrap_or_default(),
        digest(ask.token.as_deref()),
        digest(ask.id_token.as_deref()),
        tags.join(","),
    )
}

/// The JSON body asking for `ask` for `user`'s public key, proven with `user`, with a
/// fresh nonce and the current time.
///
/// # Errors
/// [`RequestError::Signing`] when `user` holds no seed.
pub fn request_body(user: &KeyPair, ask: &Ask) -> Result<Vec<u8>, RequestError> {
    let public_key = user.public_key();
    let ts = unix_now();
    let nonce = nuid::next().to_string();
    let text = canonical_string_v2(ask, &public_key, ts, &nonce);
    let signature = user
        .sign(text.as_bytes())
        .map_err(|_| RequestError::Signing)?;
    let body = Body {
        name: &ask.name,
        public_key,
        ts,
        nonce,
        proof: BASE64URL_NOPAD.encode(&signature),
        tenant: ask.tenant.as_deref(),
        token: ask.token.as_deref(),
        ttl: ask.ttl,
        tags: (!ask.tags.is_empty()).then_some(ask.tags.as_slice()),
        id_token: ask.id_token.as_deref(),
        proof_version: 2,
    };
    serde_json::to_vec(&body).map_err(|err| RequestError::Unreadable(err.to_string()))
}

/// Reads the reply to a request.
///
/// # Errors
/// [`RequestError::Refused`] for an error reply, [`RequestError::Unreadable`] otherwise.
pub fn read_reply(message: &async_nats::Message) -> Result<Granted, RequestError> {
    let status = message
        .headers
        .as_ref()
        .and_then(|h| h.get(SERVICE_ERROR_CODE_HEADER))
        .and_then(|v| v.as_str().parse::<u16>().ok());
    if let Some(status) = status {
        let reply: ErrorReply = serde_json::from_slice(&message.payload).map_err(|_| {
            RequestError::Unreadable(format!("error reply {status} without a readable body"))
        })?;
        return Err(RequestError::Refused {
            status,
            code: reply.error.code,
            reason: reply.error.reason,
        });
    }
    serde_json::from_slice(&message.payload)
        .map_err(|_| RequestError::Unreadable(String::from("not a credential reply")))
}

/// Sends one request for `ask` over `requester` on `subject` and reads the reply.
///
/// # Errors
/// [`RequestError`]: refused, unanswered (including the timeout) or unreadable.
pub async fn request(
    requester: &async_nats::Client,
    subject: &str,
    user: &KeyPair,
    ask: &Ask,
    timeout: std::time::Duration,
) -> Result<Granted, RequestError> {
    let body = request_body(user, ask)?;
    let call = requester.request(subject.to_owned(), bytes::Bytes::from(body));
    let reply = tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| RequestError::Unanswered(format!("no reply within {timeout:?}")))?
        .map_err(|err| RequestError::Unanswered(err.to_string()))?;
    read_reply(&reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask() -> Ask {
        Ask {
            name: "alice".into(),
            ..Ask::default()
        }
    }

    #[test]
    fn the_v2_string_is_the_services() {
        // The same strings `provisioner/src/proof.rs` pins.
        assert_eq!(
            canonical_string_v2(&ask(), "UKEY", 7, "n"),
            "nats-provisioner-proof-v2\ntenant=\nname=alice\npublic_key=UKEY\nts=7\nnonce=n\n\
             ttl=\ntoken_sha256=\nid_token_sha256=\ntags="
        );
        let full = Ask {
            tenant: Some("acme".into()),
            ttl: Some(60),
            token: Some(String::new()),
            id_token: Some("abc".into()),
            tags: vec!["team:x".into(), "a:b".into(), "é:1".into()],
            ..ask()
        };
        assert_eq!(
            canonical_string_v2(&full, "UKEY", 7, "n"),
            "nats-provisioner-proof-v2\ntenant=acme\nname=alice\npublic_key=UKEY\nts=7\nnonce=n\n\
             ttl=60\n\
             token_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             id_token_sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n\
             tags=3:a:b,6:team:x,4:é:1"
        );
    }

    #[test]
    fn the_body_carries_a_proof_over_its_own_fields() {
        let user = KeyPair::new_user();
        let asked = Ask {
            tenant: Some("acme".into()),
            ttl: Some(10),
            tags: vec!["team:red".into()],
            ..ask()
        };
        let body: serde_json::Value =
            serde_json::from_slice(&request_body(&user, &asked).unwrap()).unwrap();
        assert_eq!(body["proof_version"], 2);
        assert_eq!(body["public_key"], user.public_key());
        assert!(body.get("token").is_none() && body.get("id_token").is_none());
        let text = canonical_string_v2(
            &asked,
            &user.public_key(),
            body["ts"].as_i64().unwrap(),
            body["nonce"].as_str().unwrap(),
        );
        let proof = BASE64URL_NOPAD
            .decode(body["proof"].as_str().unwrap().as_bytes())
            .unwrap();
        user.verify(text.as_bytes(), &proof).unwrap();
    }

    #[test]
    fn a_renewal_drops_the_first_requests_secrets_and_debug_hides_them() {
        let first = Ask {
            token: Some("inv_SECRET".into()),
            id_token: Some("eyJ.secret".into()),
            ..ask()
        };
        assert!(!format!("{first:?}").contains("SECRET"));
        assert!(!format!("{first:?}").contains("secret"));
        let renewal = first.for_renewal();
        assert_eq!((renewal.token, renewal.id_token), (None, None));
        assert_eq!(renewal.name, "alice");
    }
}
