//! Step 7 of a request: the reply body and headers, for success and for errors.
//!
//! Every reply carries the request id header. An error reply is JSON
//! (`{"error":{"code","reason","request_id"}}`) with the NATS micro headers
//! `Nats-Service-Error` and `Nats-Service-Error-Code`, so both micro-aware clients and
//! plain request/reply clients see why.

use async_nats::HeaderMap;
use bytes::Bytes;

use crate::redact::{looks_like_seed, redact_seeds};
use crate::rejection::Rejection;
use crate::wire::{
    CredentialReply, ErrorBody, ErrorReply, REQUEST_ID_HEADER, SERVICE_ERROR_CODE_HEADER,
    SERVICE_ERROR_HEADER,
};

/// A reply ready to publish.
pub struct Reply {
    /// The body.
    pub body: Bytes,
    /// The headers.
    pub headers: HeaderMap,
}

fn base_headers(request_id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(REQUEST_ID_HEADER, request_id);
    headers
}

/// The reply to a v1 JSON request that was granted.
pub fn granted(reply: &CredentialReply) -> Reply {
    let body = serde_json::to_vec(reply).unwrap_or_default();
    Reply {
        body: Bytes::from(body),
        headers: base_headers(&reply.request_id),
    }
}

/// The reply to a legacy request that was granted: the creds file text itself.
pub fn granted_legacy(creds: String, request_id: &str) -> Reply {
    Reply {
        body: Bytes::from(creds),
        headers: base_headers(request_id),
    }
}

/// The error reply for `rejection`; anything shaped like a seed in its reason is
/// redacted.
pub fn refused(rejection: &Rejection, request_id: &str) -> Reply {
    let body = ErrorReply {
        error: ErrorBody {
            code: rejection.code.clone(),
            reason: redact_seeds(&rejection.reason).into_owned(),
            request_id: request_id.to_owned(),
        },
    };
    let mut headers = base_headers(request_id);
    headers.insert(SERVICE_ERROR_HEADER, rejection.status.text());
    headers.insert(
        SERVICE_ERROR_CODE_HEADER,
        rejection.status.code().to_string().as_str(),
    );
    Reply {
        body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
        headers,
    }
}

/// The request id: the caller's, when it sent a well-formed one that does not look like
/// a seed (it is echoed, logged and audited), else a new one.
pub fn request_id(headers: Option<&HeaderMap>) -> String {
    let theirs = headers
        .and_then(|h| h.get(REQUEST_ID_HEADER))
        .map(|v| v.as_str().to_owned())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !looks_like_seed(id)
        });
    theirs.unwrap_or_else(|| nuid::next().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rejection::Status;

    #[test]
    fn error_replies_carry_json_and_micro_headers() {
        let r = refused(
            &Rejection::new(Status::Conflict, "name_taken", "name `a` is taken"),
            "rid",
        );
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "name_taken");
        assert_eq!(v["error"]["request_id"], "rid");
        assert_eq!(
            r.headers.get(SERVICE_ERROR_CODE_HEADER).unwrap().as_str(),
            "409"
        );
        assert_eq!(r.headers.get(REQUEST_ID_HEADER).unwrap().as_str(), "rid");
    }

    #[test]
    fn request_ids_are_taken_only_when_well_formed() {
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID_HEADER, "abc-123");
        assert_eq!(request_id(Some(&h)), "abc-123");
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID_HEADER, "bad id with spaces");
        assert_ne!(request_id(Some(&h)), "bad id with spaces");
        assert_eq!(request_id(None).len(), 22);
        let seed = claims::KeyPair::new_user().seed().unwrap();
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID_HEADER, seed.as_str());
        assert_ne!(request_id(Some(&h)), seed);
    }

    #[test]
    fn a_seed_in_a_reason_is_redacted_in_the_reply() {
        let seed = claims::KeyPair::new_account().seed().unwrap();
        let r = refused(
            &Rejection::bad_request("name_invalid", format!("name `{seed}` is bad")),
            "rid",
        );
        let body = String::from_utf8(r.body.to_vec()).unwrap();
        assert!(!body.contains(&seed[2..20]), "{body}");
    }
}
