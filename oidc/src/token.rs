//! One ID token checked against one tenant's `identity.oidc`: signature by a key of the
//! tenant's JWKS (the header's `kid` picks it, the key decides the algorithms), `iss`,
//! `aud`, `exp` (required) and `nbf` against the given clock with the tenant's leeway;
//! then its claims mapped to a name, tags and the tenant check (`tenant_claim`).
//!
//! Pure: the keys and the time come in as arguments (`now`, not the system clock), so the
//! checks are testable and do no IO.

use jsonwebtoken::{decode, decode_header, Validation};
use policy::schema::OidcConfig;
use serde_json::{Map, Value};

use crate::error::OidcError;
use crate::jwks::KeyRing;

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The user name (`name_claim`).
    pub name: String,
    /// Tags (`tags_claim`).
    pub tags: Vec<String>,
    /// `exp`.
    pub expires_at: i64,
}

/// Verifies `token` for a tenant named `tenant` with `config` and `keys` at `now`.
///
/// # Errors
/// The first [`OidcError`] met.
pub fn verify(
    token: &str,
    tenant: &str,
    config: &OidcConfig,
    keys: &KeyRing,
    now: i64,
) -> Result<Verified, OidcError> {
    let header = decode_header(token).map_err(|_| OidcError::Malformed)?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&config.issuer]);
    validation.set_audience(&[&config.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    // Times are checked below against `now`.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let mut candidates = keys
        .candidates(header.kid.as_deref(), header.alg)
        .peekable();
    if candidates.peek().is_none() {
        return Err(OidcError::UnknownKey);
    }
    let mut last = OidcError::Signature;
    let mut claims = None;
    for key in candidates {
        match decode::<Map<String, Value>>(token, &key.key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(err) => last = classify(err.kind()),
        }
    }
    let claims = claims.ok_or(last)?;
    let leeway = i64::try_from(config.leeway_secs).unwrap_or(i64::MAX);
    let expires_at = number(&claims, "exp").ok_or(OidcError::MissingClaim {
        claim: String::from("exp"),
    })?;
    if now > expires_at.saturating_add(leeway) {
        return Err(OidcError::Expired);
    }
    if number(&claims, "nbf").is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
        return Err(OidcError::NotYetValid);
    }
    let name = match claims.get(&config.name_claim) {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        _ => {
            return Err(OidcError::MissingClaim {
                claim: config.name_claim.clone(),
            })
        }
    };
    if let Some(claim) = &config.tenant_claim {
        if !strings(claims.get(claim)).iter().any(|t| t == tenant) {
            return Err(OidcError::Tenant);
        }
    }
    let tags = config
        .tags_claim
        .as_ref()
        .map(|claim| strings(claims.get(claim)))
        .unwrap_or_default();
    Ok(Verified {
        name,
        tags,
        expires_at,
    })
}

fn classify(kind: &jsonwebtoken::errors::ErrorKind) -> OidcError {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::InvalidIssuer => OidcError::Issuer,
        ErrorKind::InvalidAudience => OidcError::Audience,
        ErrorKind::MissingRequiredClaim(claim) => OidcError::MissingClaim {
            claim: claim.clone(),
        },
        ErrorKind::InvalidAlgorithm => OidcError::UnknownKey,
        ErrorKind::InvalidSignature => OidcError::Signature,
        _ => OidcError::Malformed,
    }
}

/// A claim as an integer (JSON numbers may be floats in some issuers' tokens).
fn number(claims: &Map<String, Value>, claim: &str) -> Option<i64> {
    match claims.get(claim)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    }
}

/// A claim that is a string or an array of strings, as a list.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}
