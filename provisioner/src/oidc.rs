//! OpenID Connect ID tokens as an identity source (`identity.oidc` in the policy), for
//! the request flow (`id_token`) and for auth callout (the CONNECT token or password).

use policy::VerifiedCredential;

/// Why an ID token identifies nobody. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// No tenant trusts the token's issuer.
    #[error("no tenant accepts ID tokens from this issuer")]
    UnknownIssuer,
}

/// The ID token verifiers of every tenant with `identity.oidc`.
#[derive(Debug, Default)]
pub struct OidcVerifiers {}

impl OidcVerifiers {
    /// The credential `token` stands for at time `now`.
    ///
    /// # Errors
    /// [`OidcError`].
    pub fn verify(&self, _token: &str, _now: i64) -> Result<VerifiedCredential, OidcError> {
        Err(OidcError::UnknownIssuer)
    }
}

impl OidcVerifiers {
    /// Loads the JWKS of every tenant with `identity.oidc`.
    ///
    /// # Errors
    /// [`OidcError`].
    pub fn load(_policy: &policy::Policy, _base: &std::path::Path) -> Result<Self, OidcError> {
        Ok(OidcVerifiers::default())
    }
}
