//! Why an ID token identifies nobody, or why a tenant's JWKS cannot be used.
//!
//! Shared by the checks of one token (`token`) and of every tenant (`verifiers`); it
//! never carries a token, so it can go into logs and replies as it is.

/// Why an ID token identifies nobody. Never carries the token; claim names are fine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// Not a compact JWS, or too large.
    #[error("the ID token is malformed")]
    Malformed,
    /// No tenant trusts the token's issuer.
    #[error("no tenant accepts ID tokens from this issuer")]
    UnknownIssuer,
    /// No key of the JWKS matches the token's `kid` and algorithm.
    #[error("the ID token's signing key is not in the issuer's JWKS")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the ID token's signature does not verify")]
    Signature,
    /// `iss` is not the configured issuer.
    #[error("the ID token's issuer is not accepted")]
    Issuer,
    /// `aud` does not hold the configured audience.
    #[error("the ID token is for another audience")]
    Audience,
    /// `exp` is past (beyond the leeway).
    #[error("the ID token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("the ID token is not valid yet")]
    NotYetValid,
    /// A required claim is missing or of the wrong type.
    #[error("the ID token lacks claim `{claim}`")]
    MissingClaim {
        /// The claim.
        claim: String,
    },
    /// `tenant_claim` does not name the tenant.
    #[error("the ID token is not for this tenant")]
    Tenant,
    /// Several tenants accept the token.
    #[error("several tenants accept this ID token; set `tenant_claim`")]
    Ambiguous,
    /// A JWKS file could not be used.
    #[error("tenant `{tenant}`: {reason}")]
    Jwks {
        /// The tenant.
        tenant: String,
        /// Why.
        reason: String,
    },
}
