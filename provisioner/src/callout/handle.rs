//! One auth callout request, start to finish: open and check it → identify the CONNECT
//! credentials → `policy::evaluate` → mint the user JWT for `user_nkey` with the tenant's
//! signing key → the signed (and sealed) response. The same policy decides as for
//! credential requests; the server has already verified that the client holds the
//! `user_nkey`'s seed, so the request counts as proven.
//!
//! No IO: the service publishes the payload and the audit event.

use policy::{Decision, Identity};

use crate::audit::AuditEvent;
use crate::callout::identify::{identify, presented};
use crate::callout::keys::CalloutKeys;
use crate::callout::request::open_request;
use crate::callout::respond::{response, Answer};
use crate::config::runtime::Runtime;
use crate::mint::mint_user;

/// A handled callout: the response to publish (none for a request that failed its
/// checks: the client then times out) and the audit event.
pub struct CalloutHandled {
    /// The response payload.
    pub payload: Option<Vec<u8>>,
    /// The audit event.
    pub audit: AuditEvent,
}

/// Handles one callout request.
pub fn handle(
    runtime: &Runtime,
    keys: &CalloutKeys,
    payload: &[u8],
    header_xkey: Option<&str>,
    request_id: &str,
    now: i64,
) -> CalloutHandled {
    let mut audit = AuditEvent::new(request_id, now);
    let request = match open_request(payload, header_xkey, keys.xkey.as_ref(), &keys.account, now) {
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
    let mut reason = String::new();
    let granted = decide(runtime, &request.claims, now, &mut audit, &mut reason);
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

/// The user JWT to grant, or `None` with `reason` and the audit filled in.
fn decide(
    runtime: &Runtime,
    claims: &claims::AuthorizationRequestClaims,
    now: i64,
    audit: &mut AuditEvent,
    reason: &mut String,
) -> Option<String> {
    let mut refuse = |audit: &mut AuditEvent, outcome, code: &str, status, why: &str| {
        audit.outcome = outcome;
        audit.code = code.to_owned();
        audit.status = status;
        *reason = format!("{code}: {why}");
        None
    };
    let credential = match identify(
        presented(&claims.nats.connect_opts),
        &runtime.callout,
        &runtime.oidc,
        now,
    ) {
        Ok(credential) => credential,
        Err(err) => return refuse(audit, "deny", err.code, 403, &err.reason),
    };
    audit.name = Some(credential.name.clone());
    audit.tenant = Some(credential.tenant.clone());
    let mut request = policy::Request::new(credential.name.clone(), &claims.nats.user_nkey);
    request.proof_verified = true;
    request.credential = Some(credential);
    let decision = policy::evaluate(&runtime.policy, &request, &Identity::anonymous(), now);
    audit.rule = decision
        .explanation()
        .last()
        .map(|step| step.rule.to_owned());
    let allow = match decision {
        Decision::Allow(allow) => allow,
        Decision::Deny(deny) => {
            let status = deny.code.service_error_code();
            return refuse(audit, "deny", deny.code.as_str(), status, &deny.reason);
        }
    };
    audit.account = Some(allow.account.clone());
    let Some(signer) = runtime.signer(&allow.account) else {
        tracing::error!(account = %allow.account, "no signing key loaded for the tenant");
        return refuse(audit, "error", "internal", 500, "internal error");
    };
    match mint_user(&allow, signer, now) {
        Ok(minted) => {
            audit.outcome = "allow";
            audit.code = String::from("ok");
            audit.status = 200;
            audit.jti = Some(minted.jti);
            audit.expires = Some(allow.expires_at);
            Some(minted.jwt)
        }
        Err(_) => refuse(audit, "error", "internal", 500, "internal error"),
    }
}
