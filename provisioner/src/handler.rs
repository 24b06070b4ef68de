//! One credential request, start to finish: parse → identify → decide → reserve → mint →
//! record → reply (design §3). IO here is limited to the nonce guard; publishing the
//! reply and the audit event is the service's job.

use std::sync::Arc;

use claims::{KeyKind, KeyPair};
use policy::{Decision, Identity};

use crate::audit::AuditEvent;
use crate::config::runtime::Runtime;
use crate::identify::identify_caller;
use crate::mint::mint_user;
use crate::nonce::{NonceGuard, NonceOutcome};
use crate::parse::{parse_request, ParsedRequest};
use crate::proof::{verify_proof, ProofError};
use crate::rejection::{Rejection, Status};
use crate::reply::{granted, granted_legacy, refused, Reply};
use crate::wire::{CredentialReply, CredentialRequest};

/// What every request needs: the loaded policy and keys, who the provisioner is, and the
/// replay guard.
pub struct Context {
    /// The current runtime; replaced whole on reload.
    pub runtime: std::sync::RwLock<Arc<Runtime>>,
    /// The provisioner's own account: `Nats-Request-Info` naming it is never trusted.
    pub own_account: String,
    /// The nonce replay guard.
    pub nonces: NonceGuard,
    /// Accepted proof timestamp skew, seconds.
    pub proof_window_secs: i64,
}

impl Context {
    /// The runtime in force now.
    pub fn runtime(&self) -> Arc<Runtime> {
        match self.runtime.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Swaps in a new runtime (policy reload).
    pub fn replace_runtime(&self, runtime: Runtime) {
        let mut guard = match self.runtime.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(runtime);
    }
}

/// A handled request: the reply to send and the audit event to record.
pub struct Handled {
    /// The reply.
    pub reply: Reply,
    /// The audit event.
    pub audit: AuditEvent,
}

/// Handles one request.
pub async fn handle(
    ctx: &Context,
    payload: &[u8],
    request_info: Option<&str>,
    reply_subject: Option<&str>,
    request_id: &str,
    now: i64,
) -> Handled {
    let mut audit = AuditEvent::new(request_id, now);
    let headers = (request_info, reply_subject);
    let reply = match decide_and_mint(ctx, payload, headers, request_id, now, &mut audit).await {
        Ok(reply) => {
            audit.outcome = "allow";
            audit.code = String::from("ok");
            audit.status = 200;
            reply
        }
        Err(rejection) => {
            audit.outcome = if rejection.status == Status::Internal {
                "error"
            } else {
                "deny"
            };
            audit.code.clone_from(&rejection.code);
            audit.status = rejection.status.code();
            refused(&rejection, request_id)
        }
    };
    Handled { reply, audit }
}

async fn decide_and_mint(
    ctx: &Context,
    payload: &[u8],
    (request_info, reply_subject): (Option<&str>, Option<&str>),
    request_id: &str,
    now: i64,
    audit: &mut AuditEvent,
) -> Result<Reply, Rejection> {
    let parsed = parse_request(payload)?;
    let runtime = ctx.runtime();
    let caller = identify_caller(
        request_info,
        reply_subject,
        &ctx.own_account,
        |acc| runtime.issuers_of(acc),
        now,
    )?;
    if let Some(c) = &caller {
        audit.caller_account = Some(c.account.clone());
        audit.caller_user = Some(c.user.clone());
    }
    let (request, legacy_key) = match parsed {
        ParsedRequest::Json(req) => {
            audit.name = Some(req.name.clone());
            audit.user_public_key = Some(req.public_key.clone());
            (check_json_request(ctx, &req, now).await?, None)
        }
        ParsedRequest::Legacy { name } => {
            audit.legacy = true;
            audit.name = Some(name.clone());
            let key = KeyPair::new_user();
            let mut request = policy::Request::new(name, key.public_key());
            request.legacy = true;
            audit.user_public_key = Some(key.public_key());
            (request, Some(key))
        }
    };
    let identity = match caller {
        Some(c) => Identity {
            caller_account: Some(c.account),
            caller_tags: c.tags,
            caller_user: Some(c.user),
            caller_name: Some(c.name),
        },
        None => Identity::anonymous(),
    };
    let decision = policy::evaluate(&runtime.policy, &request, &identity, now);
    audit.rule = decision
        .explanation()
        .last()
        .map(|step| step.rule.to_owned());
    let allow = match decision {
        Decision::Allow(allow) => allow,
        Decision::Deny(deny) => {
            let status = match deny.code.service_error_code() {
                400 => Status::BadRequest,
                409 => Status::Conflict,
                429 => Status::TooMany,
                _ => Status::Denied,
            };
            return Err(Rejection::new(status, deny.code.as_str(), deny.reason));
        }
    };
    audit.tenant = Some(allow.tenant.clone());
    audit.account = Some(allow.account.clone());
    let signer = runtime.signer(&allow.account).ok_or_else(|| {
        tracing::error!(account = %allow.account, "no signing key loaded for the tenant");
        Rejection::internal()
    })?;
    let minted = mint_user(&allow, signer, now)?;
    audit.jti = Some(minted.jti);
    audit.expires = Some(allow.expires_at);
    match legacy_key {
        Some(key) => {
            let seed = key.seed().map_err(|_| Rejection::internal())?;
            Ok(granted_legacy(
                claims::format_creds(&minted.jwt, &seed),
                request_id,
            ))
        }
        None => Ok(granted(&CredentialReply {
            jwt: minted.jwt,
            expires: allow.expires_at,
            account: allow.account.clone(),
            name: allow.name.clone(),
            request_id: request_id.to_owned(),
        })),
    }
}

/// The checks only the edge can do for a JSON request: key kind, proof, nonce, token.
async fn check_json_request(
    ctx: &Context,
    req: &CredentialRequest,
    now: i64,
) -> Result<policy::Request, Rejection> {
    claims::check_public_key(&req.public_key, KeyKind::User)
        .map_err(|err| Rejection::bad_request("public_key_invalid", err.to_string()))?;
    // A newline would make the canonical proof string ambiguous.
    for (field, value) in [
        ("name", Some(req.name.as_str())),
        ("tenant", req.tenant.as_deref()),
    ] {
        if value.is_some_and(|v| v.chars().any(char::is_control)) {
            return Err(Rejection::bad_request(
                "name_invalid",
                format!("`{field}` contains a control character"),
            ));
        }
    }
    verify_proof(req, now, ctx.proof_window_secs).map_err(|err| match err {
        ProofError::Signature => Rejection::denied("proof_invalid", err.to_string()),
        ProofError::Stale { .. } => Rejection::bad_request("stale_timestamp", err.to_string()),
        ProofError::Nonce => Rejection::bad_request("nonce_invalid", err.to_string()),
        ProofError::Replayed => Rejection::new(Status::Conflict, "nonce_replayed", err.to_string()),
    })?;
    let keep_until = now + 2 * ctx.proof_window_secs;
    match ctx
        .nonces
        .record(&req.public_key, &req.nonce, now, keep_until)
        .await
    {
        Ok(NonceOutcome::Fresh) => {}
        Ok(NonceOutcome::Replayed) => {
            return Err(Rejection::new(
                Status::Conflict,
                "nonce_replayed",
                ProofError::Replayed.to_string(),
            ))
        }
        Err(err) => {
            tracing::error!(error = %err, "nonce guard unavailable");
            return Err(Rejection::internal());
        }
    }
    if req.token.is_some() {
        return Err(Rejection::denied(
            "invite_not_configured",
            "invite tokens need the registry, which this provisioner does not run",
        ));
    }
    let mut request = policy::Request::new(req.name.clone(), req.public_key.clone());
    request.tenant = req.tenant.clone();
    request.ttl_secs = req.ttl;
    request.tags = req.tags.clone().unwrap_or_default();
    request.proof_verified = true;
    Ok(request)
}
