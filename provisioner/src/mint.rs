//! Step 5 of a request: the user JWT for an Allow, signed with the tenant's signing key.
//!
//! The claims come from the decision as they are (a scoped key's decision carries no
//! permissions); this module picks the key (the tenant's signing key, or a config-mode
//! callout's issuer, which places the user by audience), checks it and signs.

use claims::KeyPair;

use crate::audit::AuditEvent;
use crate::config::runtime::Runtime;
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

/// Signs `allow` with its tenant's signing key, recording tenant and account.
///
/// # Errors
/// `403 callout_only` for a tenant loaded without its key (config-mode callout), or a
/// 500 when signing fails.
pub fn mint_for(
    runtime: &Runtime,
    allow: &policy::Allow,
    now: i64,
    audit: &mut AuditEvent,
) -> Result<Minted, Rejection> {
    audit.tenant = Some(allow.tenant.clone());
    audit.account = Some(allow.account.clone());
    // Only a config-mode callout loads tenants without their key: their users come
    // through the callout alone.
    let signer = runtime.signer(&allow.account).ok_or_else(|| {
        Rejection::denied(
            "callout_only",
            format!(
                "tenant `{}` issues credentials only through auth callout",
                allow.tenant
            ),
        )
    })?;
    mint_user(allow, signer, now)
}

/// Which key signs an allowed user.
#[derive(Clone, Copy)]
pub enum SignWith<'a> {
    /// The tenant's signing key (credential requests, operator-mode callout).
    TenantKey,
    /// The config-mode callout issuer, placing the user by the tenant's
    /// `identity.callout.config_account`.
    CalloutIssuer(&'a KeyPair),
}

/// Signs the user claims of `allow` as `sign_with` says.
///
/// # Errors
/// The rejection when the key is missing or signing fails.
pub fn mint_as(
    runtime: &Runtime,
    allow: &policy::Allow,
    sign_with: SignWith<'_>,
    now: i64,
    audit: &mut AuditEvent,
) -> Result<Minted, Rejection> {
    match sign_with {
        SignWith::TenantKey => mint_for(runtime, allow, now, audit),
        SignWith::CalloutIssuer(issuer) => {
            let placement = runtime
                .policy
                .tenant_by_account(&allow.account)
                .and_then(|t| t.config().identity.callout.config_account.clone())
                .ok_or_else(|| {
                    tracing::error!(account = %allow.account, "config mode: the tenant names no identity.callout.config_account");
                    Rejection::internal()
                })?;
            mint_placed_user(allow, issuer, &placement, now)
        }
    }
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
