//! Callers without a JWT to share: a connection the auth callout admitted (the portal
//! connects for a person with their ID token, and the server holds no user JWT for such
//! a connection to put in `Nats-Request-Info`). The server still says which account the
//! request came from; the caller proves who it is by sending its OpenID Connect ID token
//! in the request (`id_token`), which the provisioner verifies itself, exactly as the
//! callout did, and which must belong to that account's tenant. Nothing the sender says
//! about a tenant or a name is believed.
//!
//! Such a caller never counts as an import caller with tags (the policy's import rule
//! does not vouch for it); its tags are the token's, and the admin tag only where the
//! tenant lets its issuer grant it (`identity.oidc.admin_from_tags_claim`).

use policy::{Policy, VerifiedCredential};

use crate::identify::Caller;
use crate::rejection::Rejection;

/// The refusal of a JWT-less caller without a usable ID token.
fn unverified(why: &str) -> Rejection {
    Rejection::denied(
        "identity_unverified",
        format!("caller identity could not be verified: {why}"),
    )
}

/// The refusal of a JWT-less caller whose request carries no ID token (a plain-text
/// request never can).
pub fn token_required() -> Rejection {
    unverified(
        "the import does not share the caller's JWT (share=true) and the request carries \
         no ID token",
    )
}

/// Checks a JWT-less `caller`'s ID token: verified by `verify`, of the tenant whose
/// account the request came from. Returns the credential.
///
/// # Errors
/// `identity_unverified` without a token or for a token of another tenant;
/// `id_token_invalid` for a token that does not verify.
pub fn credential_of(
    caller: &Caller,
    id_token: Option<&str>,
    policy: &Policy,
    verify: impl FnOnce(&str) -> Result<VerifiedCredential, String>,
) -> Result<VerifiedCredential, Rejection> {
    let Some(token) = id_token else {
        return Err(token_required());
    };
    let credential =
        verify(token).map_err(|reason| Rejection::denied("id_token_invalid", reason))?;
    let of_caller = policy
        .tenant(&credential.tenant)
        .is_some_and(|t| t.account() == caller.account);
    if !of_caller {
        return Err(unverified(
            "the ID token is of another tenant than the calling account",
        ));
    }
    Ok(credential)
}

/// The caller a verified ID token stands for, for the tenant admin endpoints: its name,
/// and of its tags the admin tag alone, where the tenant lets its issuer grant it.
pub fn admin_caller(caller: &Caller, credential: &VerifiedCredential, policy: &Policy) -> Caller {
    let tenant = policy.tenant(&credential.tenant);
    let grants_admin = tenant.is_some_and(|t| {
        t.config()
            .identity
            .oidc
            .as_ref()
            .is_some_and(|o| o.admin_from_tags_claim)
    });
    let admin_tag = tenant.map(policy::Tenant::admin_tag).unwrap_or_default();
    let tags = credential
        .tags
        .iter()
        .filter(|t| grants_admin && t.eq_ignore_ascii_case(admin_tag))
        .cloned()
        .collect();
    Caller {
        account: caller.account.clone(),
        user: format!("id-token:{}", credential.name),
        name: credential.name.clone(),
        tags,
        jwt_verified: false,
    }
}
