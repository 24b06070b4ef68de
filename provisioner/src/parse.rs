//! Step 1 of a request: bytes in, a v1 JSON request or the seed's plain-text name out.
//!
//! Rejects rather than guesses: empty, oversized, non-UTF-8, malformed or unknown-field
//! payloads are refused with a 400 and a reason. Whether legacy text is allowed at all,
//! and whether a name is acceptable, is the policy's call, not this module's.

use crate::rejection::{safe_json_error, Rejection};
use crate::wire::{CredentialRequest, MAX_REQUEST_BYTES};

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedRequest {
    /// A v1 JSON request.
    Json(CredentialRequest),
    /// The seed's plain-text request: just a name.
    Legacy {
        /// The name, trimmed of surrounding whitespace.
        name: String,
    },
}

/// Parses a request payload.
///
/// # Errors
/// A 400 [`Rejection`] saying what is wrong with the payload.
pub fn parse_request(payload: &[u8]) -> Result<ParsedRequest, Rejection> {
    if payload.len() > MAX_REQUEST_BYTES {
        return Err(Rejection::bad_request(
            "too_large",
            format!(
                "request is {} bytes; at most {MAX_REQUEST_BYTES} are accepted",
                payload.len()
            ),
        ));
    }
    let text = std::str::from_utf8(payload)
        .map_err(|_| Rejection::bad_request("invalid_utf8", "request is not valid UTF-8"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Rejection::bad_request("empty_request", "request is empty"));
    }
    if trimmed.starts_with('{') {
        return serde_json::from_str::<CredentialRequest>(trimmed)
            .map(ParsedRequest::Json)
            .map_err(|err| {
                let reason = safe_json_error(&err);
                let code = if reason.starts_with("unknown field") {
                    "unknown_field"
                } else {
                    "invalid_json"
                };
                Rejection::bad_request(code, format!("invalid request JSON: {reason}"))
            });
    }
    Ok(ParsedRequest::Legacy {
        name: trimmed.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(payload: &[u8]) -> String {
        parse_request(payload).unwrap_err().code
    }

    #[test]
    fn refuses_malformed_payloads_with_a_code() {
        assert_eq!(code(b""), "empty_request");
        assert_eq!(code(b"  \n"), "empty_request");
        assert_eq!(code(&vec![b'a'; MAX_REQUEST_BYTES + 1]), "too_large");
        assert_eq!(code(b"\xff\xfe"), "invalid_utf8");
        assert_eq!(code(b"{"), "invalid_json");
        assert_eq!(code(br#"{"name":"a"}"#), "invalid_json");
        let unknown =
            br#"{"name":"a","public_key":"U","ts":1,"nonce":"n","proof":"p","admin":true}"#;
        assert_eq!(code(unknown), "unknown_field");
    }

    #[test]
    fn reads_json_and_legacy_requests() {
        let json = br#"{"name":"a","public_key":"U","ts":1,"nonce":"n","proof":"p","ttl":60}"#;
        match parse_request(json).unwrap() {
            ParsedRequest::Json(req) => {
                assert_eq!(req.name, "a");
                assert_eq!(req.ttl, Some(60));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_request(b" alice\n").unwrap(),
            ParsedRequest::Legacy {
                name: "alice".into()
            }
        );
    }

    #[test]
    fn a_token_in_a_malformed_request_is_not_echoed() {
        let payload = br#"{"name":"a","public_key":"U","ts":1,"nonce":"n","proof":"p","token":5,"x":"tok-secret"}"#;
        let rejection = parse_request(payload).unwrap_err();
        assert!(!rejection.reason.contains("tok-secret"));
    }
}
