//! An invite token presented at CONNECT (as the password, with the name asked for as
//! the user, or as the token when the invite is for one literal name), redeemed through
//! the registry exactly as a credential request's `token` is: the invite's tenant must
//! accept callout connections, the policy decides with the registry's facts, and the
//! use is recorded with compare-and-set, so an N-use invite lets N connections in across
//! replicas. The server makes up a new key for every connection, so a reconnect is a new
//! use, and with `names.unique` the name then needs `reissue_to_other_key`.

use policy::Identity;
use registry::Registry;

use crate::audit::AuditEvent;
use crate::callout::keys::CalloutKeys;
use crate::config::runtime::Runtime;
use crate::pipeline::invite::{invite_invalid, read_invite};
use crate::pipeline::{self, Ask, Issued};
use crate::rejection::Rejection;

/// The name an invite stands for when the CONNECT gave none: its pattern, if it is a
/// literal name.
fn literal_name(pattern: &str) -> Option<&str> {
    (!pattern.is_empty() && !pattern.contains(['*', '?'])).then_some(pattern)
}

/// The user JWT for `user_nkey`, admitted by the invite `token` for `name` (or the
/// invite's own literal name).
///
/// # Errors
/// The rejection to answer with: an unusable invite, a tenant that takes no callout
/// connections, a name the invite does not fix, or the policy's or registry's refusal.
pub async fn redeem(
    runtime: &Runtime,
    registry: &Registry,
    keys: &CalloutKeys,
    (user_nkey, name, token): (&str, Option<&str>, &str),
    request_id: &str,
    now: i64,
    audit: &mut AuditEvent,
) -> Result<String, Rejection> {
    // A first look, for the tenant and (without a CONNECT user) the name; the
    // issuance reads it again under compare-and-set.
    let probe = policy::Request::new(name.unwrap_or_default().to_owned(), user_nkey);
    let (_, invite) = read_invite(registry, token, (&probe, &runtime.policy), now).await?;
    let tenant = runtime
        .policy
        .tenant(&invite.value.tenant)
        .ok_or_else(invite_invalid)?;
    audit.tenant = Some(tenant.name().to_owned());
    if !tenant.config().identity.callout.enabled {
        return Err(Rejection::denied(
            "callout_disabled",
            format!(
                "tenant `{}` does not take connections through auth callout",
                tenant.name()
            ),
        ));
    }
    let name = match name {
        Some(name) => name.to_owned(),
        None => literal_name(&invite.value.name_pattern)
            .ok_or_else(|| {
                Rejection::bad_request(
                    "name_required",
                    "this invite is for a pattern of names: connect with the name as the user and the invite as the password",
                )
            })?
            .to_owned(),
    };
    audit.name = Some(name.clone());
    let mut request = policy::Request::new(name, user_nkey);
    // The server made up the key and holds its seed: possession is not in doubt.
    request.proof_verified = true;
    let identity = Identity::anonymous();
    let sign_with = keys.sign_with();
    let ask = Ask {
        request,
        identity: &identity,
        token: Some(token.to_owned()),
        request_id,
        now,
        sign_with,
        // An invite admits one connection per use, each its own key (`invite`'s docs).
        per_connection: false,
    };
    let Issued { minted, .. } = pipeline::issue(runtime, Some(registry), ask, audit).await?;
    Ok(minted.jwt)
}

#[cfg(test)]
mod tests {
    use super::literal_name;

    #[test]
    fn only_a_literal_pattern_names_the_user() {
        assert_eq!(literal_name("jack"), Some("jack"));
        assert_eq!(literal_name("dev-*"), None);
        assert_eq!(literal_name("j?ck"), None);
        assert_eq!(literal_name(""), None);
    }
}
