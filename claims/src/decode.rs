//! Decoding and verification, step for step as Go's `jwt.Decode`: size cap, three parts,
//! header check, payload type and version, signature (v1 or v2 rule), issuer kind.
//!
//! v1 tokens (top-level `type`) of a known claim type are decoded and migrated as Go does:
//! `tags`, `type` and `issuer_account` move under `nats` and `nats.version` becomes 1. Time
//! checks (`exp`, `nbf`) are not part of decoding; call [`crate::Claims::check_times`] with a
//! clock value. Go's `DecodeGeneric`, and [`crate::decode_any`] built on both, are in
//! `decode_generic.rs`.

use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::any::AnyClaims;
use crate::claim_body::ClaimBody;
use crate::claims_data::{Claims, LIB_VERSION};
use crate::encode::check_issuer;
use crate::error::ClaimsError;
use crate::generic::GenericClaims;
use crate::{Account, Activation, AuthorizationRequest, AuthorizationResponse, Operator, User};

/// The largest token accepted, in bytes (Go's `MaxTokenSize`).
pub const MAX_TOKEN_SIZE: usize = 1024 * 1024;

pub(crate) const ALG_V2: &str = "ed25519-nkey";
pub(crate) const ALG_V1: &str = "ed25519";

impl<N: ClaimBody> Claims<N> {
    /// Decodes and verifies a token of this claim type.
    ///
    /// # Errors
    /// Every [`decode`] error, and [`ClaimsError::WrongClaimType`] when the token is a valid
    /// token of another type.
    pub fn decode(token: &str) -> Result<Self, ClaimsError> {
        N::from_any(decode(token)?)
    }
}

pub(crate) struct Parts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
}

pub(crate) fn split(token: &str) -> Result<Parts<'_>, ClaimsError> {
    if token.len() > MAX_TOKEN_SIZE {
        return Err(ClaimsError::TooLarge {
            size: token.len(),
            max: MAX_TOKEN_SIZE,
        });
    }
    let mut it = token.split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok(Parts {
            header,
            payload,
            signature,
        }),
        _ => Err(ClaimsError::Chunks),
    }
}

#[derive(Deserialize)]
pub(crate) struct Header {
    #[serde(default)]
    typ: String,
    #[serde(default)]
    pub(crate) alg: String,
}

pub(crate) fn parse_header(part: &str) -> Result<Header, ClaimsError> {
    let bytes = decode_b64url(part).ok_or(ClaimsError::Base64 { part: "header" })?;
    let header: Header =
        serde_json::from_slice(&bytes).map_err(|e| ClaimsError::json("header", &e))?;
    if header.typ.to_uppercase() != "JWT" {
        return Err(ClaimsError::HeaderType(header.typ));
    }
    let alg = header.alg.to_lowercase();
    if alg != ALG_V1 && alg != ALG_V2 {
        return Err(ClaimsError::HeaderAlgorithm(header.alg));
    }
    Ok(header)
}

/// Base64url without padding, accepting non-zero unused trailing bits as Go does.
pub(crate) fn decode_b64url(part: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = part.as_bytes();
    let unused_bits = match bytes.len() % 4 {
        2 => 4,
        3 => 2,
        _ => 0,
    };
    if unused_bits == 0 {
        return BASE64URL_NOPAD.decode(bytes).ok();
    }
    let (last, rest) = bytes.split_last()?;
    let index = ALPHABET.iter().position(|c| c == last)?;
    let canonical = ALPHABET.get(index & !((1 << unused_bits) - 1))?;
    let mut fixed = rest.to_vec();
    fixed.push(*canonical);
    BASE64URL_NOPAD.decode(&fixed).ok()
}

pub(crate) fn verify(issuer: &str, message: &[u8], signature: &[u8]) -> bool {
    KeyPair::from_public_key(issuer)
        .map(|key| key.verify(message, signature).is_ok())
        .unwrap_or(false)
}

/// The claim type and version as Go's `identifier` reads them: a top-level `type` marks a
/// v1 token; otherwise `nats.type` and `nats.version`.
fn identify(payload: &Map<String, Value>) -> Result<(String, i64), ClaimsError> {
    let bad = |what: &str| ClaimsError::Json {
        part: "payload",
        reason: format!("unexpected value in `{what}`"),
    };
    let text = |v: Option<&Value>, what: &str| match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(what)),
    };
    let top_type = text(payload.get("type"), "type")?;
    if !top_type.is_empty() {
        return Ok((top_type, 1));
    }
    let nats = match payload.get("nats") {
        None | Some(Value::Null) => return Ok((String::new(), 0)),
        Some(Value::Object(n)) => n,
        Some(_) => return Err(bad("nats")),
    };
    let kind = text(nats.get("type"), "nats.type")?;
    let version = match nats.get("version") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().ok_or_else(|| bad("nats.version"))?,
    };
    Ok((kind, version))
}

/// Moves the v1 top-level fields under `nats`, as Go's v1 migration does.
fn migrate_v1(mut payload: Map<String, Value>) -> Map<String, Value> {
    let mut nats = match payload.remove("nats") {
        Some(Value::Object(n)) => n,
        _ => Map::new(),
    };
    for key in ["tags", "type", "issuer_account"] {
        if let Some(v) = payload.remove(key) {
            nats.entry(key).or_insert(v);
        }
    }
    nats.insert(String::from("version"), Value::from(1));
    payload.insert(String::from("nats"), Value::Object(nats));
    payload
}

fn typed<N: ClaimBody>(payload: Map<String, Value>) -> Result<Claims<N>, ClaimsError> {
    serde_json::from_value(Value::Object(payload)).map_err(|e| ClaimsError::json("payload", &e))
}

/// The claim types `jwt.Decode` names in its `switch`; `cluster` and `server` it names
/// only to refuse. Every other type, or none, takes its `default:` branch.
pub(crate) const GO_TYPES: [&str; 8] = [
    "operator",
    "account",
    "user",
    "activation",
    "authorization_request",
    "authorization_response",
    "cluster",
    "server",
];

/// Decodes the signature part and verifies it: the v1 rule signs the payload part alone,
/// the v2 rule `header.payload`.
pub(crate) fn check_signature(
    token: &str,
    parts: &Parts<'_>,
    issuer: &str,
    v1: bool,
) -> Result<(), ClaimsError> {
    let signature =
        decode_b64url(parts.signature).ok_or(ClaimsError::Base64 { part: "signature" })?;
    let signed = if v1 {
        parts.payload
    } else {
        token
            .get(..parts.header.len() + 1 + parts.payload.len())
            .unwrap_or_default()
    };
    if verify(issuer, signed.as_bytes(), &signature) {
        Ok(())
    } else {
        Err(ClaimsError::Signature { v1 })
    }
}

/// Decodes and verifies a token of any claim type exactly as Go's `jwt.Decode` does.
///
/// Like Go, it verifies a token of a type it does not know (generic claims) with the v1
/// rule, so it refuses the v2 tokens Go's own `GenericClaims.Encode` makes; those decode
/// with [`crate::decode_generic`], and [`crate::decode_any`] picks the decoder by type.
///
/// # Errors
/// Size, shape, header, JSON, version, signature and issuer-kind errors, as in Go.
pub fn decode(token: &str) -> Result<AnyClaims, ClaimsError> {
    let parts = split(token)?;
    parse_header(parts.header)?;
    let payload_bytes =
        decode_b64url(parts.payload).ok_or(ClaimsError::Base64 { part: "payload" })?;
    let payload: Map<String, Value> =
        serde_json::from_slice(&payload_bytes).map_err(|e| ClaimsError::json("payload", &e))?;
    let (kind, version) = identify(&payload)?;
    if version > LIB_VERSION {
        return Err(ClaimsError::NewerVersion(version));
    }
    // Go migrates v1 payloads inside the loaders of the known types only; its generic
    // branch reads the payload as it is.
    let known = GO_TYPES.contains(&kind.as_str());
    let payload = if version == 1 && known {
        migrate_v1(payload)
    } else {
        payload
    };
    let (claims, version) = match kind.as_str() {
        "operator" => (AnyClaims::Operator(typed::<Operator>(payload)?), version),
        "account" => (AnyClaims::Account(typed::<Account>(payload)?), version),
        "user" => (AnyClaims::User(typed::<User>(payload)?), version),
        "activation" => (
            AnyClaims::Activation(typed::<Activation>(payload)?),
            version,
        ),
        "authorization_request" => (
            AnyClaims::AuthorizationRequest(typed::<AuthorizationRequest>(payload)?),
            version,
        ),
        "authorization_response" => (
            AnyClaims::AuthorizationResponse(typed::<AuthorizationResponse>(payload)?),
            version,
        ),
        "cluster" | "server" => return Err(ClaimsError::UnsupportedClaimType(kind)),
        // Go's `default:` branch returns version -1 for generic claims, whatever the
        // payload says, so `Decode` verifies them with the v1 rule.
        _ => (
            AnyClaims::Generic(GenericClaims::from_value(&Value::Object(payload))?),
            -1,
        ),
    };
    let issuer = claims.standard().iss;
    check_signature(token, &parts, issuer, version <= 1)?;
    let allowed: &[crate::KeyKind] = match &claims {
        AnyClaims::Operator(_) => Operator::ISSUERS,
        AnyClaims::Account(_) => Account::ISSUERS,
        AnyClaims::User(_) => User::ISSUERS,
        AnyClaims::Activation(_) => Activation::ISSUERS,
        AnyClaims::AuthorizationRequest(_) => AuthorizationRequest::ISSUERS,
        AnyClaims::AuthorizationResponse(_) => AuthorizationResponse::ISSUERS,
        AnyClaims::Generic(_) => &[],
    };
    if !allowed.is_empty() {
        check_issuer(issuer, allowed)?;
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_base64_accepts_unused_trailing_bits_like_go() {
        assert_eq!(decode_b64url("QQ").unwrap(), b"A");
        assert_eq!(decode_b64url("QR").unwrap(), b"A");
        assert!(decode_b64url("Q").is_none());
        assert!(decode_b64url("QQ==").is_none());
        assert!(decode_b64url("Q!").is_none());
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        assert_eq!(decode("").unwrap_err(), ClaimsError::Chunks);
        assert_eq!(decode("a.b").unwrap_err(), ClaimsError::Chunks);
        assert!(matches!(decode("a.b.c"), Err(ClaimsError::Base64 { .. })));
        let big = "a".repeat(MAX_TOKEN_SIZE + 1);
        assert!(matches!(decode(&big), Err(ClaimsError::TooLarge { .. })));
    }
}
