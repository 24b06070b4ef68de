//! The auth callout door: open and check the server's request → identify the CONNECT
//! credentials → the one issuance pipeline (`pipeline::issue`: decide → reserve → mint
//! → record) for the `user_nkey` the server made up → the signed (and sealed) response. The same policy decides as for
//! credential requests; the server has already verified that the client holds the
//! `user_nkey`'s seed, so the request counts as proven.
//!
//! IO only for the registry: every login is reserved there (an invite is redeemed,
//! `invite`); the service publishes the payload and the audit event.

use policy::Identity;
use registry::Registry;

use crate::audit::AuditEvent;
use crate::callout::identify::{identify, presented, Presented};
use crate::callout::invite::redeem;
use crate::callout::keys::CalloutKeys;
use crate::callout::request::open_request;
use crate::callout::respond::{response, Answer};
use crate::config::runtime::Runtime;
use crate::pipeline::{self, Ask, Door, Issued, Step};
use crate::rejection::Rejection;

/// A handled callout: the response to publish (none for a request that failed its
/// checks: the client then times out) and the audit event.
pub struct CalloutHandled {
    /// The response payload.
    pub payload: Option<Vec<u8>>,
    /// The audit event.
    pub audit: AuditEvent,
}

/// Handles one callout request.
pub async fn handle(
    runtime: &Runtime,
    registry: Option<&Registry>,
    keys: &CalloutKeys,
    payload: &[u8],
    header_xkey: Option<&str>,
    request_id: &str,
    now: i64,
) -> CalloutHandled {
    let mut audit = AuditEvent::new(Door::Callout, request_id, now);
    let opened = Step::Identify
        .time(|| open_request(payload, header_xkey, keys.xkey.as_ref(), &keys.account, now));
    let request = match opened {
        Ok(request) => request,
        Err(err) => {
            tracing::warn!(error = %err, "callout request dropped");
            audit.outcome = "deny";
            audit.code = String::from("callout_request_invalid");
            audit.status = 400;
            return CalloutHandled {
                payload: None,
                audit,
            };
        }
    };
    audit.user_public_key = Some(request.user_nkey().to_owned());
    let claims = &request.claims;
    let decided = match (presented(&claims.nats.connect_opts), registry) {
        (Presented::Invite { name, token }, Some(registry)) => {
            let asked = (claims.nats.user_nkey.as_str(), name, token);
            redeem(runtime, registry, keys, asked, request_id, now, &mut audit).await
        }
        _ => decide(runtime, registry, keys, claims, request_id, now, &mut audit).await,
    };
    let (granted, reason) = match decided {
        Ok(jwt) => {
            audit.settle(None);
            (Some(jwt), String::new())
        }
        Err(rejection) => {
            audit.settle(Some(&rejection));
            let reason = format!("{}: {}", rejection.code, rejection.reason);
            (None, reason)
        }
    };
    let answer = match &granted {
        Some(jwt) => Answer::Granted(jwt),
        None => Answer::Refused(&reason),
    };
    let payload = match response(&request, answer, keys, now) {
        Ok(payload) => Some(payload),
        Err(err) => {
            tracing::error!(error = %err, "callout response failed");
            audit.outcome = "error";
            audit.code = String::from("internal");
            audit.status = 500;
            None
        }
    };
    CalloutHandled { payload, audit }
}

/// The user JWT for a password, token or ID-token login: identify the CONNECT
/// credentials, then the one issuance pipeline.
///
/// With a registry, the login is reserved there like any issuance (a revoked name is
/// refused, quotas, rate limits and name uniqueness apply). The server makes a new key
/// for every connection, so the name's slot is held by the name (`per_connection`):
/// a login of a name earlier logins hold is a renewal, and a name a client-held key
/// holds is taken. Revoking the name revokes the keys of its logins whose JWTs may still
/// be valid.
///
/// # Errors
/// The rejection to answer with, with the same codes as a credential request's.
async fn decide(
    runtime: &Runtime,
    registry: Option<&Registry>,
    keys: &CalloutKeys,
    claims: &claims::AuthorizationRequestClaims,
    request_id: &str,
    now: i64,
    audit: &mut AuditEvent,
) -> Result<String, Rejection> {
    let credential = Step::Identify
        .time(|| {
            identify(
                presented(&claims.nats.connect_opts),
                &runtime.callout,
                &runtime.oidc,
                now,
            )
        })
        .map_err(|err| Rejection::denied(err.code, err.reason))?;
    audit.name = Some(credential.name.clone());
    let mut request = policy::Request::new(credential.name.clone(), &claims.nats.user_nkey);
    // The server made up the key and holds its seed: possession is not in doubt.
    request.proof_verified = true;
    request.credential = Some(credential);
    let identity = Identity::anonymous();
    let ask = Ask {
        request,
        identity: &identity,
        token: None,
        request_id,
        now,
        sign_with: keys.sign_with(),
        per_connection: true,
    };
    let Issued { minted, .. } = pipeline::issue(runtime, registry, ask, audit).await?;
    Ok(minted.jwt)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use claims::{AccountClaims, AuthorizationResponseClaims, KeyPair, UserClaims};
    use nkeys::XKey;

    use super::*;
    use crate::callout::credentials::{salted_sha256, CalloutCredentials};
    use crate::callout::request::tests::{server_request, NOW};
    use crate::config::CalloutMode;
    use crate::keys::authorize_signer;
    use oidc::OidcVerifiers;

    struct Setup {
        runtime: Runtime,
        keys: CalloutKeys,
        tenant: String,
        signing_key: String,
        _dir: tempfile::TempDir,
    }

    fn setup(xkey: Option<XKey>) -> Setup {
        setup_with(xkey, "")
    }

    fn setup_with(xkey: Option<XKey>, callout_extra: &str) -> Setup {
        let account = KeyPair::new_account();
        let sk = KeyPair::new_account();
        let mut claims = AccountClaims::new_account(account.public_key());
        claims.nats.signing_keys.add(sk.public_key());
        let signing_key = sk.public_key();
        let signer = authorize_signer(&claims, sk, false).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let digest = data_encoding::HEXLOWER.encode(&salted_sha256("s", "pw"));
        std::fs::write(
            dir.path().join("c.toml"),
            format!("[[users]]\nuser = \"alice\"\nsalt = \"s\"\npassword_sha256 = \"{digest}\"\n"),
        )
        .unwrap();
        let policy = policy::Policy::from_toml_str(&format!(
            "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{}\"\n\
             namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
             identity.callout = {{ enabled = true, credentials = \"c.toml\"{callout_extra} }}\n\
             permissions.pub.allow = [\"tenant.acme.{{name}}.>\"]\n\
             permissions.sub.allow = [\"_INBOX.>\"]\n",
            account.public_key()
        ))
        .unwrap();
        let callout = CalloutCredentials::load(&policy, dir.path()).unwrap();
        let runtime = Runtime {
            policy,
            signers: HashMap::from([(account.public_key(), signer)]),
            callout,
            oidc: OidcVerifiers::default(),
        };
        let auth = KeyPair::new_account();
        let keys = CalloutKeys {
            account: auth.public_key(),
            issuer: auth,
            issuer_account: None,
            mode: crate::config::CalloutMode::Operator,
            xkey: xkey.map(|x| crate::callout::sealer::Sealer::new(x).unwrap()),
        };
        Setup {
            runtime,
            keys,
            tenant: account.public_key(),
            signing_key,
            _dir: dir,
        }
    }

    /// A server's request for a CONNECT with password `password`.
    fn password_request(server: &KeyPair, account: &str, user: &str, password: &str) -> String {
        server_request(server, account, user, |c| {
            c.nats.connect_opts.pass = password.to_owned();
        })
    }

    fn response(payload: &[u8]) -> AuthorizationResponseClaims {
        AuthorizationResponseClaims::decode(std::str::from_utf8(payload).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn the_right_password_mints_for_user_nkey_and_a_wrong_one_is_refused() {
        let s = setup(None);
        let server = KeyPair::new_server();
        let user = KeyPair::new_user().public_key();
        let token = password_request(&server, &s.keys.account, &user, "pw");
        let handled = handle(&s.runtime, None, &s.keys, token.as_bytes(), None, "r1", NOW).await;
        assert_eq!(handled.audit.outcome, "allow");
        let back = response(&handled.payload.unwrap());
        assert_eq!(back.sub, user);
        assert_eq!(back.aud, server.public_key());
        let minted = UserClaims::decode(&back.nats.jwt).unwrap();
        assert_eq!(minted.sub, user);
        assert_eq!(minted.name, "alice");
        assert_eq!(minted.iss, s.signing_key);
        assert_eq!(minted.nats.issuer_account, s.tenant);
        assert_eq!(
            minted.nats.permissions.publish.allow,
            ["tenant.acme.alice.>"]
        );

        let token = password_request(&server, &s.keys.account, &user, "Tr0ub4dor");
        let handled = handle(&s.runtime, None, &s.keys, token.as_bytes(), None, "r2", NOW).await;
        assert_eq!(handled.audit.code, "credentials_invalid");
        let back = response(&handled.payload.unwrap());
        assert!(back.nats.jwt.is_empty());
        assert!(back.nats.error.starts_with("credentials_invalid: "));
        assert!(!back.nats.error.contains("Tr0ub4dor"));
    }

    #[tokio::test]
    async fn config_mode_users_are_signed_by_the_issuer_and_placed_by_audience() {
        let mut s = setup_with(None, ", config_account = \"ACME\"");
        s.keys.mode = CalloutMode::Config;
        let server = KeyPair::new_server();
        let user = KeyPair::new_user().public_key();
        let token = password_request(&server, &s.keys.account, &user, "pw");
        let handled = handle(&s.runtime, None, &s.keys, token.as_bytes(), None, "r1", NOW).await;
        assert_eq!(handled.audit.outcome, "allow");
        let back = response(&handled.payload.unwrap());
        assert_eq!(back.iss, s.keys.account);
        assert!(back.nats.issuer_account.is_empty());
        let minted = UserClaims::decode(&back.nats.jwt).unwrap();
        assert_eq!(minted.sub, user);
        assert_eq!(minted.iss, s.keys.account);
        assert_eq!(minted.aud, "ACME");
        assert!(minted.nats.issuer_account.is_empty());
        assert_eq!(
            minted.nats.permissions.publish.allow,
            ["tenant.acme.alice.>"]
        );

        // A policy reloaded without the name cannot place the user: refused, not misplaced.
        let plain = setup(None);
        let keys = CalloutKeys {
            mode: CalloutMode::Config,
            ..plain.keys
        };
        let token = password_request(&server, &keys.account, &user, "pw");
        let handled = handle(
            &plain.runtime,
            None,
            &keys,
            token.as_bytes(),
            None,
            "r2",
            NOW,
        )
        .await;
        assert_eq!(handled.audit.code, "internal");
        assert!(response(&handled.payload.unwrap()).nats.jwt.is_empty());
    }

    #[tokio::test]
    async fn tampered_or_foreign_requests_get_no_answer() {
        let ours = XKey::new();
        let s = setup(Some(XKey::from_seed(&ours.seed().unwrap()).unwrap()));
        let server = KeyPair::new_server();
        let theirs = XKey::new();
        let user = KeyPair::new_user().public_key();
        let token = server_request(&server, &s.keys.account, &user, |c| {
            c.nats.server_id.xkey = theirs.public_key();
            c.nats.connect_opts.pass = String::from("pw");
        });
        let mut sealed = theirs.seal(token.as_bytes(), &ours).unwrap();
        let header = theirs.public_key();
        let handled = handle(&s.runtime, None, &s.keys, &sealed, Some(&header), "r1", NOW).await;
        let opened = theirs.open(&handled.payload.unwrap(), &ours).unwrap();
        assert_eq!(
            UserClaims::decode(&response(&opened).nats.jwt).unwrap().sub,
            user
        );

        let middle = sealed.len() / 2;
        if let Some(byte) = sealed.get_mut(middle) {
            *byte ^= 1;
        }
        let handled = handle(&s.runtime, None, &s.keys, &sealed, Some(&header), "r2", NOW).await;
        assert!(handled.payload.is_none());
        assert_eq!(handled.audit.code, "callout_request_invalid");

        let plain = setup(None);
        let other = KeyPair::new_account().public_key();
        let token = server_request(&server, &other, &user, |_| {});
        let handled = handle(
            &plain.runtime,
            None,
            &plain.keys,
            token.as_bytes(),
            None,
            "r3",
            NOW,
        )
        .await;
        assert!(handled.payload.is_none());
    }
}
