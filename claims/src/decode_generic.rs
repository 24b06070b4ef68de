//! Generic claims as Go's `DecodeGeneric` reads them, and [`decode_any`], which decodes a
//! token of any type the way Go's library can.
//!
//! Go's `jwt.Decode` verifies every token of a type it does not know with the v1 rule, so
//! it refuses all v2 generic tokens, including those its own `GenericClaims.Encode` writes.
//! `DecodeGeneric` is the Go call that reads them: the header's `alg` picks the rule.

use serde_json::{Map, Value};

use crate::any::AnyClaims;
use crate::decode::{
    check_signature, decode, decode_b64url, parse_header, split, ALG_V1, GO_TYPES,
};
use crate::error::ClaimsError;
use crate::generic::GenericClaims;

/// The top-level `tags`, `type` and `version` that `DecodeGeneric` reads into typed fields
/// (Go's `GenericFields`) next to the generic claims.
struct TopLevel {
    tags: Vec<Value>,
    kind: String,
}

fn top_level(payload: &Map<String, Value>) -> Result<TopLevel, ClaimsError> {
    let bad = |what: &str| ClaimsError::Json {
        part: "payload",
        reason: format!("unexpected value in `{what}`"),
    };
    let tags = match payload.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(|t| t.is_string() || t.is_null()) => {
            // Go's JSON decoder leaves a null element of a string list as "".
            items
                .iter()
                .map(|t| Value::from(t.as_str().unwrap_or_default()))
                .collect()
        }
        Some(_) => return Err(bad("tags")),
    };
    let kind = match payload.get("type") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("type")),
    };
    match payload.get("version") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_i64().is_some() => {}
        Some(_) => return Err(bad("version")),
    }
    Ok(TopLevel { tags, kind })
}

/// Decodes and verifies generic claims (Go `DecodeGeneric`): the header's `alg` picks the
/// signature rule and neither the claim type, the version nor the issuer kind is checked.
/// With the v1 `alg` a top-level `type` and `tags` are copied into `nats`, as Go does.
///
/// Unlike Go, the size cap still applies, and a v1 token with a top-level `type` or `tags`
/// but no `nats` gets a body holding them (Go panics writing into its absent map).
///
/// # Errors
/// Size, shape, header, JSON and signature errors.
pub fn decode_generic(token: &str) -> Result<GenericClaims, ClaimsError> {
    let parts = split(token)?;
    let header = parse_header(parts.header)?;
    let payload_bytes =
        decode_b64url(parts.payload).ok_or(ClaimsError::Base64 { part: "payload" })?;
    let payload: Value =
        serde_json::from_slice(&payload_bytes).map_err(|e| ClaimsError::json("payload", &e))?;
    let mut claims = GenericClaims::from_value(&payload)?;
    let top = top_level(payload.as_object().unwrap_or(&Map::new()))?;
    // Go compares the raw `alg` here, so only the lower-case spelling takes the v1 rule.
    let v1 = header.alg == ALG_V1;
    check_signature(token, &parts, &claims.iss, v1)?;
    if v1 && (!top.kind.is_empty() || !top.tags.is_empty()) {
        let nats = claims.nats.get_or_insert_with(Map::new);
        if !top.kind.is_empty() {
            nats.insert(String::from("type"), Value::from(top.kind));
        }
        if !top.tags.is_empty() {
            nats.insert(String::from("tags"), Value::Array(top.tags));
        }
    }
    Ok(claims)
}

/// Whether the payload names a claim type `jwt.Decode` handles itself (a top-level `type`
/// first, as Go's `identifier` reads it, then `nats.type`). Unreadable payloads count as
/// named, so that [`decode`] reports what is wrong with them.
fn names_go_type(token: &str) -> bool {
    let Some(payload) = split(token)
        .ok()
        .and_then(|parts| decode_b64url(parts.payload))
        .and_then(|bytes| serde_json::from_slice::<Map<String, Value>>(&bytes).ok())
    else {
        return true;
    };
    let kind = match payload.get("type") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        None | Some(Value::Null) | Some(Value::String(_)) => payload
            .get("nats")
            .and_then(|nats| nats.get("type"))
            .and_then(Value::as_str),
        Some(_) => return true,
    };
    kind.is_some_and(|k| GO_TYPES.contains(&k))
}

/// Decodes and verifies a token of any type the way Go's library can: a type `jwt.Decode`
/// knows goes through [`decode`] (so `cluster` and `server` are refused as there), and any
/// other type, or none, through [`decode_generic`], Go's `DecodeGeneric`. Only a v1 token
/// (the v1 payload for a known type, the v1 `alg` for generic claims) is verified with the
/// v1 rule.
///
/// # Errors
/// The errors of [`decode`] or [`decode_generic`].
///
/// # Examples
/// ```
/// use claims::{decode_any, AnyClaims, GenericClaims, KeyPair};
/// use serde_json::json;
///
/// let mut claims = GenericClaims {
///     sub: "anything".into(),
///     nats: json!({"type": "something_else", "a": 1}).as_object().cloned(),
///     ..Default::default()
/// };
/// let token = claims.encode(&KeyPair::new_account(), 1_800_000_000).unwrap();
/// assert!(claims::decode(&token).is_err()); // as Go's jwt.Decode
/// let AnyClaims::Generic(back) = decode_any(&token).unwrap() else { panic!() };
/// assert_eq!(back.nats.unwrap()["type"], "something_else");
/// ```
pub fn decode_any(token: &str) -> Result<AnyClaims, ClaimsError> {
    if names_go_type(token) {
        decode(token)
    } else {
        decode_generic(token).map(AnyClaims::Generic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyPair;

    fn signed(header: &str, payload: &str, key: &KeyPair, v1: bool) -> String {
        use data_encoding::BASE64URL_NOPAD;
        let header = BASE64URL_NOPAD.encode(header.as_bytes());
        let payload = BASE64URL_NOPAD.encode(payload.as_bytes());
        let message = if v1 {
            payload.clone()
        } else {
            format!("{header}.{payload}")
        };
        let sig = key.sign(message.as_bytes()).unwrap();
        format!("{header}.{payload}.{}", BASE64URL_NOPAD.encode(&sig))
    }

    #[test]
    fn v1_alg_copies_the_top_level_type_and_tags_even_without_a_body() {
        let key = KeyPair::new_account();
        let payload = format!(
            r#"{{"iss":"{}","sub":"x","type":"custom","tags":["a",null]}}"#,
            key.public_key()
        );
        let token = signed(r#"{"typ":"JWT","alg":"ed25519"}"#, &payload, &key, true);
        let claims = decode_generic(&token).unwrap();
        let nats = claims.nats.unwrap();
        assert_eq!(nats["type"], "custom");
        assert_eq!(nats["tags"], serde_json::json!(["a", ""]));
    }

    #[test]
    fn an_upper_case_v1_alg_takes_the_v2_rule_as_in_go() {
        let key = KeyPair::new_account();
        let payload = format!(r#"{{"iss":"{}","sub":"x"}}"#, key.public_key());
        let header = r#"{"typ":"JWT","alg":"ED25519"}"#;
        assert!(decode_generic(&signed(header, &payload, &key, false)).is_ok());
        assert!(decode_generic(&signed(header, &payload, &key, true)).is_err());
    }

    #[test]
    fn known_types_route_to_decode_and_the_rest_to_decode_generic() {
        let key = KeyPair::new_account();
        let v2 = r#"{"typ":"JWT","alg":"ed25519-nkey"}"#;
        let body = |nats: &str| {
            format!(
                r#"{{"iss":"{}","sub":"x","nats":{nats}}}"#,
                key.public_key()
            )
        };
        let cluster = signed(v2, &body(r#"{"type":"cluster","version":2}"#), &key, false);
        assert_eq!(
            decode_any(&cluster).unwrap_err(),
            ClaimsError::UnsupportedClaimType(String::from("cluster"))
        );
        for nats in [r#"{"type":"generic","version":2}"#, r#"{"type":7}"#, "{}"] {
            let token = signed(v2, &body(nats), &key, false);
            assert!(
                matches!(decode_any(&token), Ok(AnyClaims::Generic(_))),
                "{nats}"
            );
        }
    }
}
