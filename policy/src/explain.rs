//! What-if evaluation for `provisioner policy explain FILE --tenant T --name N
//! [--caller-tag …]`: the decision a typical caller of a tenant would get.
//!
//! The caller is simulated with the strongest identity the tenant accepts: through the
//! tenant's import with the given caller tags and a verified proof when the import is
//! enabled; else a plain-text request when legacy mode is on; else a redeemed invite for
//! any name. The decision's explanation shows which.

use crate::decision::Decision;
use crate::evaluate::evaluate;
use crate::policy::Policy;
use crate::request::{Identity, InviteGrant, Request};

/// The user public key `explain` uses when none is given. A test key: nobody holds its
/// seed, and it is used for nothing else.
pub const EXPLAIN_PUBLIC_KEY: &str = "UB72HFSC3MLQVPLFWVIXU77DCY33TNV4CRXTFWKMS4JE2CYOCXG4IS7O";

/// The request and identity `explain` evaluates.
///
/// For an unknown tenant, an anonymous request naming it (which `evaluate` denies with
/// `unknown_tenant`).
pub fn what_if(
    policy: &Policy,
    tenant: &str,
    name: &str,
    caller_tags: &[String],
    public_key: Option<&str>,
) -> (Request, Identity) {
    let mut request = Request::new(name, public_key.unwrap_or(EXPLAIN_PUBLIC_KEY));
    request.tenant = Some(tenant.to_owned());
    let Some(found) = policy.tenant(tenant) else {
        return (request, Identity::anonymous());
    };
    let identity = &found.config().identity;
    if identity.import.enabled {
        request.proof_verified = true;
        let caller = Identity::through_import(found.account(), caller_tags.iter().cloned());
        (request, caller)
    } else if identity.legacy.enabled {
        request.legacy = true;
        (request, Identity::anonymous())
    } else {
        request.proof_verified = true;
        request.invite = Some(InviteGrant {
            tenant: tenant.to_owned(),
            name_pattern: String::from("*"),
            tags: Vec::new(),
        });
        (request, Identity::anonymous())
    }
}

/// The decision for [`what_if`]'s request at `now`; print it with `{}`.
///
/// # Examples
/// ```
/// let text = include_str!("../examples/policy.toml");
/// let policy = policy::Policy::from_toml_str(text).unwrap();
/// let tags = ["role:enroller".to_owned(), "site:berlin".to_owned()];
/// let decision = policy::explain(&policy, "acme", "alice", &tags, None, 1_700_000_000);
/// assert!(decision.is_allow(), "{decision}");
/// let decision = policy::explain(&policy, "acme", "alice", &[], None, 1_700_000_000);
/// assert_eq!(decision.deny_code(), Some(policy::DenyCode::CallerTagMissing));
/// ```
pub fn explain(
    policy: &Policy,
    tenant: &str,
    name: &str,
    caller_tags: &[String],
    public_key: Option<&str>,
    now: i64,
) -> Decision {
    let (request, identity) = what_if(policy, tenant, name, caller_tags, public_key);
    evaluate(policy, &request, &identity, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{DenyCode, IdentitySource};

    const EXAMPLE: &str = include_str!("../examples/policy.toml");

    #[test]
    fn simulates_the_strongest_identity_the_tenant_accepts() {
        let policy = Policy::from_toml_str(EXAMPLE).unwrap();
        let source = |tenant: &str| {
            explain(&policy, tenant, "bob", &[], None, 0)
                .allow()
                .map(|a| a.identity_source)
        };
        assert_eq!(source("kubecon"), Some(IdentitySource::Legacy));
        assert_eq!(source("helmholtz"), Some(IdentitySource::Invite));
        let d = explain(&policy, "nope", "bob", &[], None, 0);
        assert_eq!(d.deny_code(), Some(DenyCode::UnknownTenant));
        let tags = ["role:enroller".to_owned(), "site:x".to_owned()];
        let d = explain(&policy, "acme", "bob", &tags, None, 0);
        assert_eq!(
            d.allow().map(|a| a.identity_source),
            Some(IdentitySource::Import)
        );
        assert!(claims::is_public_key(
            EXPLAIN_PUBLIC_KEY,
            claims::KeyKind::User
        ));
    }
}
