//! Step 2 of a request: who is calling, from the server-set `Nats-Request-Info` header.
//!
//! The server sets the header on every request that crosses a service import and replaces
//! one a client forged on the first hop. A request published inside the provisioner's own
//! account crosses no import, so any header on it was written by the client: it is never
//! trusted. A header naming any other account the policy does not list is refused
//! (`unknown_tenant`): such a caller is never served as anonymous, so never placed in
//! another tenant. For a tenant account named in the policy, three more things must
//! hold, or the request is refused as forged:
//! - the reply subject is one the server made for the import's response (`_R_.…`), which
//!   a client inside the provisioner's account does not produce;
//! - the header carries (imports with `share=true`) the caller's user JWT;
//! - that JWT verifies and was issued by the account's identity key or one of the
//!   signing keys in its account JWT.
//!
//! Tags come from that verified JWT. Proof of key possession is separate (`proof`).

use serde::Deserialize;

use crate::caller_jwts::CallerJwts;
use crate::rejection::{echo, Rejection};

/// The parts of the `Nats-Request-Info` JSON the provisioner reads; other fields are
/// tolerated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestInfo {
    /// The requesting account.
    #[serde(default)]
    pub acc: String,
    /// The requesting user's public key (with `share=true`).
    #[serde(default)]
    pub user: String,
    /// The requesting user's full JWT (with `share=true`).
    #[serde(default)]
    pub jwt: String,
}

/// The prefix of reply subjects the server makes for responses through a service import.
pub const IMPORT_REPLY_PREFIX: &str = "_R_.";

/// A caller whose account and tags the provisioner trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's account public key.
    pub account: String,
    /// The caller's user public key.
    pub user: String,
    /// The caller's user name (JWT `name`).
    pub name: String,
    /// The caller's tags, from its verified JWT.
    pub tags: Vec<String>,
    /// Whether the caller's user JWT was shared and verified. A connection the auth
    /// callout admitted has no JWT to share: only its account is known (the server sets
    /// it), and such a caller is identified by an ID token it sends (`token_caller`).
    pub jwt_verified: bool,
}

/// Identifies the caller of one request.
///
/// `own_account` is the provisioner's account. `issuers_of` answers, for an account the
/// policy names as a tenant, the public keys allowed to have issued its users (the
/// identity key and the tenant's signing keys); `None` for accounts the policy does not
/// name. `jwts` recalls caller JWTs whose signature was verified before.
///
/// # Errors
/// A 400 when the header is not JSON; a 403 `unknown_tenant` when it names an account
/// the policy does not name (other than the provisioner's own); a 403
/// `identity_unverified` when it names a tenant account but its JWT is missing, invalid,
/// expired or issued by a key that account does not use.
pub fn identify_caller<F>(
    header: Option<&str>,
    reply: Option<&str>,
    own_account: &str,
    (issuers_of, jwts): (F, &CallerJwts),
    now: i64,
) -> Result<Option<Caller>, Rejection>
where
    F: Fn(&str) -> Option<Vec<String>>,
{
    let Some(header) = header else {
        return Ok(None);
    };
    let info: RequestInfo = serde_json::from_str(header).map_err(|_| {
        Rejection::bad_request(
            "request_info_invalid",
            "Nats-Request-Info header is not valid JSON",
        )
    })?;
    if info.acc.is_empty() || info.acc == own_account {
        // INVARIANT: no import was crossed, so the header is the client's own words.
        return Ok(None);
    }
    let Some(issuers) = issuers_of(&info.acc) else {
        // An account the loaded policy does not know (a tenant added since, an account
        // that imports the subject on its own) is never served, and never taken for
        // another tenant (such as the one legacy tenant).
        return Err(Rejection::denied(
            "unknown_tenant",
            format!(
                "the calling account {} is not in the policy this provisioner loaded; a tenant \
                 added since is served once the provisioner reloads its policy",
                echo(&info.acc)
            ),
        ));
    };
    let forged = |why: &str| {
        Rejection::denied(
            "identity_unverified",
            format!("caller identity could not be verified: {why}"),
        )
    };
    if !reply.is_some_and(|r| r.starts_with(IMPORT_REPLY_PREFIX)) {
        return Err(forged(
            "the request did not arrive through the tenant's import",
        ));
    }
    if info.jwt.is_empty() {
        // A user the auth callout admitted (the server has no JWT of its own to share),
        // or an import without `share=true`: the account alone is known.
        return Ok(Some(Caller {
            account: info.acc,
            user: String::new(),
            name: String::new(),
            tags: Vec::new(),
            jwt_verified: false,
        }));
    }
    let user = jwts
        .decode(&info.jwt)
        .map_err(|_| forged("caller JWT is invalid"))?;
    user.check_times(now)
        .map_err(|_| forged("caller JWT is expired or not yet valid"))?;
    let issuer_ok = issuers.contains(&user.iss);
    let account_ok = user.account() == info.acc;
    if !issuer_ok || !account_ok {
        return Err(forged("caller JWT was not issued by the calling account"));
    }
    if !info.user.is_empty() && info.user != user.sub {
        return Err(forged("caller JWT does not belong to the calling user"));
    }
    Ok(Some(Caller {
        account: info.acc,
        user: user.sub.clone(),
        name: user.name.clone(),
        tags: user.nats.tags.clone(),
        jwt_verified: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{KeyPair, UserClaims};

    const R: Option<&str> = Some("_R_.abc.xyz");

    struct Tenant {
        account: KeyPair,
        signing: KeyPair,
    }

    fn tenant() -> Tenant {
        Tenant {
            account: KeyPair::new_account(),
            signing: KeyPair::new_account(),
        }
    }

    fn user_jwt(t: &Tenant, signer: &KeyPair, tags: &[&str]) -> (String, String) {
        let user = KeyPair::new_user();
        let mut c = UserClaims::new_user(user.public_key());
        c.name = "enroller".into();
        c.nats.issuer_account = t.account.public_key();
        c.nats.tags = tags.iter().map(|s| s.to_string()).collect();
        (c.encode(signer, 1000).unwrap(), user.public_key())
    }

    fn issuers(t: &Tenant) -> impl Fn(&str) -> Option<Vec<String>> + '_ {
        move |acc| {
            (acc == t.account.public_key())
                .then(|| vec![t.account.public_key(), t.signing.public_key()])
        }
    }

    fn header(acc: &str, user: &str, jwt: &str) -> String {
        serde_json::json!({"acc": acc, "user": user, "jwt": jwt, "rtt": 1, "tags": ["forged"]})
            .to_string()
    }

    #[test]
    fn a_tenant_caller_with_a_verified_jwt_is_trusted_with_its_jwt_tags() {
        let t = tenant();
        let (jwt, user) = user_jwt(&t, &t.signing, &["role:enroller"]);
        let h = header(&t.account.public_key(), &user, &jwt);
        let caller = identify_caller(
            Some(&h),
            R,
            "AOWN",
            (issuers(&t), &CallerJwts::default()),
            1000,
        )
        .unwrap()
        .unwrap();
        assert_eq!(caller.account, t.account.public_key());
        assert_eq!(caller.tags, vec!["role:enroller"]);
    }

    #[test]
    fn headers_for_the_own_account_are_ignored() {
        let t = tenant();
        let own = header("AOWN", "U", "x");
        assert_eq!(
            identify_caller(
                Some(&own),
                R,
                "AOWN",
                (issuers(&t), &CallerJwts::default()),
                1000
            )
            .unwrap(),
            None
        );
        assert_eq!(
            identify_caller(None, R, "AOWN", (issuers(&t), &CallerJwts::default()), 1000).unwrap(),
            None
        );
    }

    #[test]
    fn a_caller_account_the_policy_does_not_name_is_refused_not_anonymous() {
        let t = tenant();
        // A real account with a well-signed user, just not one the policy names.
        let stranger = tenant();
        let (jwt, user) = user_jwt(&stranger, &stranger.signing, &["role:enroller"]);
        for (h, reply) in [
            (header(&stranger.account.public_key(), &user, &jwt), R),
            (header("AUNKNOWN", "U", "x"), R),
            (header("AUNKNOWN", "U", "x"), Some("_INBOX.abc")),
        ] {
            let refused = identify_caller(
                Some(&h),
                reply,
                "AOWN",
                (issuers(&t), &CallerJwts::default()),
                1000,
            )
            .unwrap_err();
            assert_eq!(refused.code, "unknown_tenant");
            assert_eq!(refused.status, crate::rejection::Status::Denied);
        }
    }

    #[test]
    fn forged_tenant_headers_are_refused() {
        let t = tenant();
        let acc = t.account.public_key();
        // Without a JWT only the account is known, and nothing is taken as verified.
        let no_jwt = header(&acc, "U", "");
        let bare = identify_caller(
            Some(&no_jwt),
            R,
            "AOWN",
            (issuers(&t), &CallerJwts::default()),
            1000,
        )
        .unwrap()
        .unwrap();
        assert!(!bare.jwt_verified);
        assert_eq!(bare.account, acc);
        assert!(bare.tags.is_empty() && bare.user.is_empty() && bare.name.is_empty());
        let stranger = KeyPair::new_account();
        let (jwt, user) = user_jwt(&t, &stranger, &[]);
        let h = header(&acc, &user, &jwt);
        assert_eq!(
            identify_caller(
                Some(&h),
                R,
                "AOWN",
                (issuers(&t), &CallerJwts::default()),
                1000
            )
            .unwrap_err()
            .code,
            "identity_unverified"
        );
        let (jwt, user) = user_jwt(&t, &t.signing, &[]);
        let h = header(&acc, &user, &jwt);
        let inbox = Some("_INBOX.abc");
        assert_eq!(
            identify_caller(
                Some(&h),
                inbox,
                "AOWN",
                (issuers(&t), &CallerJwts::default()),
                1000
            )
            .unwrap_err()
            .code,
            "identity_unverified"
        );
        let h = header(&acc, "USOMEONEELSE", &jwt);
        assert!(identify_caller(
            Some(&h),
            R,
            "AOWN",
            (issuers(&t), &CallerJwts::default()),
            1000
        )
        .is_err());
        assert_eq!(
            identify_caller(
                Some("not json"),
                R,
                "AOWN",
                (issuers(&t), &CallerJwts::default()),
                1000
            )
            .unwrap_err()
            .code,
            "request_info_invalid"
        );
    }
}
