//! The tenant admin endpoints (`<prefix>.users.list`, `.users.show`, `.users.revoke`,
//! `.invites.create`, `.invites.list`, `.invites.revoke`, `.quota`, `.issuances`; prefix `creds.admin`
//! by default): tenants manage their own users inside the limits the operator set.
//!
//! Who may call: a user of a tenant account named in the policy, whose request crossed
//! that tenant's import of the admin subjects with `share=true` (the server-set
//! `Nats-Request-Info`, checked as for credential requests by `identify`), and whose
//! verified JWT carries the tenant's `identity.admin_tag`. The tenant is always the
//! caller's own: a request naming another tenant is refused with 403, as is any caller
//! without the tag or not through an import; another tenant's invite id is answered
//! exactly as an unknown one (404), so that ids are no oracle across tenants.
//!
//! Layout: `wire` (the JSON), `call` (an authorized call and the helpers every endpoint
//! uses), `users`, `invites`, `quota` and `issuances` (one file per endpoint group). Replies and errors use the credential service's shapes (`reply`).

pub mod call;
pub mod invites;
pub mod issuances;
pub mod jwt_budget;
pub mod quota;
pub mod users;
pub mod wire;

use bytes::Bytes;

use crate::audit::AuditEvent;
use crate::handler::{Context, Handled};
use crate::identify::identify_caller;
use crate::rejection::{safe_json_error, Rejection, Status};
use crate::reply::{refused, Reply};
use crate::token_caller::{admin_caller, credential_of};
use crate::wire::REQUEST_ID_HEADER;

pub use call::{body, registry_failed, required_name, AdminCall};
pub use wire::{AdminOp, AdminRequest};

/// Handles one admin request.
pub async fn handle_admin(
    ctx: &Context,
    op: AdminOp,
    payload: &[u8],
    (request_info, reply_subject): (Option<&str>, Option<&str>),
    request_id: &str,
    now: i64,
) -> Handled {
    let mut audit = AuditEvent::new(crate::pipeline::Door::Request, request_id, now);
    audit.action = Some(op.subject_suffix());
    let reply = match run(
        ctx,
        op,
        payload,
        (request_info, reply_subject),
        now,
        &mut audit,
    )
    .await
    {
        Ok(body) => {
            audit.settle(None);
            json_reply(body, request_id)
        }
        Err(rejection) => {
            audit.settle(Some(&rejection));
            refused(&rejection, request_id)
        }
    };
    Handled { reply, audit }
}

async fn run(
    ctx: &Context,
    op: AdminOp,
    payload: &[u8],
    headers: (Option<&str>, Option<&str>),
    now: i64,
    audit: &mut AuditEvent,
) -> Result<Bytes, Rejection> {
    let runtime = ctx.runtime();
    let caller = identify_caller(
        headers.0,
        headers.1,
        &ctx.own_account,
        (|acc: &str| runtime.issuers_of(acc), &ctx.caller_jwts),
        now,
    )?
    .ok_or_else(|| {
        Rejection::denied(
            "admin_identity_required",
            "tenant admin requests must come through the tenant's import",
        )
    })?;
    let request = parse_admin_request(payload)?;
    let caller = if caller.jwt_verified {
        caller
    } else {
        let verify = |token: &str| runtime.oidc.verify(token, now).map_err(|e| e.to_string());
        let credential = credential_of(
            &caller,
            request.id_token.as_deref(),
            &runtime.policy,
            verify,
        )?;
        admin_caller(&caller, &credential, &runtime.policy)
    };
    audit.caller_account = Some(caller.account.clone());
    audit.caller_user = Some(caller.user.clone());
    let tenant = runtime
        .policy
        .tenant_by_account(&caller.account)
        .ok_or_else(|| {
            Rejection::denied(
                "unknown_tenant",
                "the calling account is not served by this provisioner",
            )
        })?;
    audit.tenant = Some(tenant.name().to_owned());
    audit.account = Some(tenant.account().to_owned());
    let tag = tenant.admin_tag();
    if !caller.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
        return Err(Rejection::denied(
            "admin_required",
            format!("tenant admin requests need the caller tag `{tag}`"),
        ));
    }
    if let Some(named) = request.tenant.as_deref().filter(|n| *n != tenant.name()) {
        return Err(Rejection::denied(
            "tenant_mismatch",
            format!(
                "an admin of tenant `{}` cannot manage tenant `{}`",
                tenant.name(),
                crate::rejection::echo(named)
            ),
        ));
    }
    let registry = ctx.registry.as_ref().ok_or_else(|| {
        Rejection::new(
            Status::Unavailable,
            "registry_disabled",
            "this provisioner runs without a registry",
        )
    })?;
    audit.name.clone_from(&request.name);
    let call = AdminCall {
        tenant,
        caller_user: caller.user,
        caller_name: caller.name,
        registry,
        request,
        now,
    };
    match op {
        AdminOp::UsersList => users::list(&call).await,
        AdminOp::UsersShow => users::show(&call).await,
        AdminOp::UsersRevoke => users::revoke(&call, ctx.revoker.as_ref(), &ctx.notices).await,
        AdminOp::InvitesCreate => invites::create(&call).await,
        AdminOp::InvitesList => invites::list(&call).await,
        AdminOp::InvitesRevoke => invites::revoke(&call).await,
        AdminOp::Quota => quota::quota(&call).await,
        AdminOp::Issuances => issuances::issuances(&call, ctx.history.as_ref()).await,
    }
}

/// Parses an admin request; an empty payload is an empty request.
///
/// # Errors
/// A 400 for an oversized, non-UTF-8 or malformed payload.
pub fn parse_admin_request(payload: &[u8]) -> Result<AdminRequest, Rejection> {
    if payload.len() > wire::MAX_ADMIN_REQUEST_BYTES {
        return Err(Rejection::bad_request(
            "too_large",
            format!(
                "request is {} bytes; at most {} are accepted",
                payload.len(),
                wire::MAX_ADMIN_REQUEST_BYTES
            ),
        ));
    }
    let text = std::str::from_utf8(payload)
        .map_err(|_| Rejection::bad_request("invalid_utf8", "request is not valid UTF-8"))?
        .trim();
    if text.is_empty() {
        return Ok(AdminRequest::default());
    }
    serde_json::from_str(text).map_err(|err| {
        let reason = safe_json_error(&err);
        let code = if reason.starts_with("unknown field") {
            "unknown_field"
        } else {
            "invalid_json"
        };
        Rejection::bad_request(code, format!("invalid request JSON: {reason}"))
    })
}

fn json_reply(body: Bytes, request_id: &str) -> Reply {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(REQUEST_ID_HEADER, request_id);
    Reply { body, headers }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_requests_parse_strictly_and_empty_is_empty() {
        assert_eq!(parse_admin_request(b"").unwrap(), AdminRequest::default());
        assert_eq!(parse_admin_request(b"  ").unwrap(), AdminRequest::default());
        assert_eq!(
            parse_admin_request(br#"{"names":"x"}"#).unwrap_err().code,
            "unknown_field"
        );
        assert_eq!(parse_admin_request(b"{").unwrap_err().code, "invalid_json");
        let big = vec![b' '; wire::MAX_ADMIN_REQUEST_BYTES + 1];
        assert_eq!(parse_admin_request(&big).unwrap_err().code, "too_large");
        let r = parse_admin_request(br#"{"name":"alice","tenant":"acme"}"#).unwrap();
        assert_eq!(required_name(&r).unwrap(), "alice");
        assert!(required_name(&AdminRequest::default()).is_err());
    }
}
