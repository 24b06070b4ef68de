//! Step 5 of a request: the user JWT for an Allow, signed with the tenant's signing key.
//!
//! The claims come from the decision as they are (a scoped key's decision carries no
//! permissions); this module only signs and checks that the key is the tenant's.

use crate::keys::TenantSigner;
use crate::rejection::Rejection;

/// A signed user JWT and its id.
pub struct Minted {
    /// The JWT. Secret-ish: never logged.
    pub jwt: String,
    /// Its `jti`, for audit.
    pub jti: String,
}

/// Signs the user claims of `allow` with `signer` as of `now`.
///
/// # Errors
/// A 500 [`Rejection`] when the signer is not the tenant's or signing fails; the detail is
/// logged, not returned.
pub fn mint_user(
    allow: &policy::Allow,
    signer: &TenantSigner,
    now: i64,
) -> Result<Minted, Rejection> {
    if signer.account != allow.account {
        tracing::error!(account = %allow.account, signer_account = %signer.account, "signer of another account");
        return Err(Rejection::internal());
    }
    sign(allow.user_claims(), &signer.key, now)
}

/// Signs the user claims of `allow` for a config-mode server: the callout `issuer`
/// signs (no `issuer_account`: the server refuses one there) and `audience` names the
/// account the server places the user in.
///
/// # Errors
/// A 500 [`Rejection`] when signing fails; the detail is logged, not returned.
pub fn mint_placed_user(
    allow: &policy::Allow,
    issuer: &claims::KeyPair,
    audience: &str,
    now: i64,
) -> Result<Minted, Rejection> {
    let mut claims = allow.user_claims();
    claims.nats.issuer_account.clear();
    claims.aud = audience.to_owned();
    sign(claims, issuer, now)
}

fn sign(
    mut claims: claims::UserClaims,
    key: &claims::KeyPair,
    now: i64,
) -> Result<Minted, Rejection> {
    let jwt = claims.encode(key, now).map_err(|err| {
        tracing::error!(error = %err, "signing the user JWT failed");
        Rejection::internal()
    })?;
    Ok(Minted {
        jwt,
        jti: claims.jti,
    })
}
