//! The NATS credential-request door: parse the payload, identify the caller
//! (`Nats-Request-Info`, proof of key possession and the nonce guard, an ID token), hand
//! the request to the one issuance pipeline (`pipeline::issue`: decide → reserve → mint
//! → record) and encode its answer as the reply (JSON, or a legacy `.creds` text).
//! Publishing the reply and the audit event is the service's job.

use std::sync::Arc;

use claims::{KeyKind, KeyPair};
use policy::Identity;
use registry::revoke::Revoker;
use registry::Registry;

use crate::audit::AuditEvent;
use crate::caller_jwts::CallerJwts;
use crate::config::runtime::Runtime;
use crate::identify::identify_caller;
use crate::mint::SignWith;
use crate::nonce::{last_replay_second, NonceGuard, NonceOutcome};
use crate::parse::{parse_request, ParsedRequest};
use crate::pipeline::{self, Ask, Door, Issued, Step};
use crate::proof::{verify_proof, ProofError, ProofVersion};
use crate::redact::looks_like_seed;
use crate::rejection::{Rejection, Status};
use crate::reply::{granted, granted_legacy, refused, Reply};
use crate::token_caller::{credential_of, token_required};
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
    /// The registry, when configured.
    pub registry: Option<Registry>,
    /// Revocation pushes, when an operator signing key and a system user are configured.
    pub revoker: Option<Revoker>,
    /// Caller JWTs whose signature was verified.
    pub caller_jwts: CallerJwts,
    /// The issuance history, when kept (`history_max_age_secs`).
    pub history: Option<registry::history::History>,
    /// Renew-now notices to users whose grant changed.
    pub notices: crate::renew_notice::Notices,
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
    let mut audit = AuditEvent::new(Door::Request, request_id, now);
    let headers = (request_info, reply_subject);
    let reply = match decide_and_mint(ctx, payload, headers, request_id, now, &mut audit).await {
        Ok(reply) => {
            audit.settle(None);
            reply
        }
        Err(rejection) => {
            audit.settle(Some(&rejection));
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
    let parsed = Step::Parse.time(|| parse_request(payload))?;
    let runtime = ctx.runtime();
    let caller = Step::Identify.time(|| {
        identify_caller(
            request_info,
            reply_subject,
            &ctx.own_account,
            (|acc: &str| runtime.issuers_of(acc), &ctx.caller_jwts),
            now,
        )
    })?;
    if let Some(c) = &caller {
        audit.caller_account = Some(c.account.clone());
        audit.caller_user = Some(c.user.clone()).filter(|u| !u.is_empty());
    }
    let (request, legacy_key, token) = match parsed {
        ParsedRequest::Json(req) => {
            audit.name = Some(req.name.clone());
            check_fields(&req)?;
            // Recorded only now that it is known to be a user public key, not a seed.
            audit.user_public_key = Some(req.public_key.clone());
            let mut request = check_json_request(ctx, &req, now).await?;
            request.credential = match (&caller, &req.id_token) {
                (Some(c), id_token) if !c.jwt_verified => Some(credential_of(
                    c,
                    id_token.as_deref(),
                    &runtime.policy,
                    |token| runtime.oidc.verify(token, now).map_err(|e| e.to_string()),
                )?),
                (_, Some(id_token)) => Some(vouch(&runtime.oidc, id_token, now)?),
                (_, None) => None,
            };
            (request, None, req.token)
        }
        ParsedRequest::Legacy { name } => {
            audit.legacy = true;
            audit.name = Some(name.clone());
            if caller.as_ref().is_some_and(|c| !c.jwt_verified) {
                // A plain-text request has no ID token to identify a JWT-less caller.
                return Err(token_required());
            }
            refuse_seed_shaped("name", &name)?;
            let key = KeyPair::new_user();
            let mut request = policy::Request::new(name, key.public_key());
            request.legacy = true;
            audit.user_public_key = Some(key.public_key());
            (request, Some(key), None)
        }
    };
    let identity = match caller {
        // A JWT-less caller is who its ID token says (the request's credential), never
        // an import caller.
        Some(c) if !c.jwt_verified => Identity::anonymous(),
        Some(c) => Identity {
            caller_account: Some(c.account),
            caller_tags: c.tags,
            caller_user: Some(c.user),
            caller_name: Some(c.name),
        },
        None => Identity::anonymous(),
    };
    let ask = Ask {
        request,
        identity: &identity,
        token,
        request_id,
        now,
        sign_with: SignWith::TenantKey,
        per_connection: false,
    };
    let Issued { allow, minted } =
        pipeline::issue(&runtime, ctx.registry.as_ref(), ask, audit).await?;
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

/// The fields of a JSON request checked before anything of it is recorded: the key's
/// kind (never echoed: a key of the wrong kind may be a seed sent by mistake), and a name
/// and tenant without control characters (a newline would make the canonical proof
/// string ambiguous) that do not look like a seed.
fn check_fields(req: &CredentialRequest) -> Result<(), Rejection> {
    if claims::check_public_key(&req.public_key, KeyKind::User).is_err() {
        let reason = if looks_like_seed(&req.public_key) {
            "`public_key` holds a seed, not a public key: send the user public key (`U…`); \
             the seed never leaves the client, so make a new key pair"
        } else {
            "`public_key` is not a well-formed user public key (`U…`)"
        };
        return Err(Rejection::bad_request("public_key_invalid", reason));
    }
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
        refuse_seed_shaped(field, value.unwrap_or_default())?;
    }
    Ok(())
}

/// A 400 `name_invalid` when `value` looks like an nkey seed.
fn refuse_seed_shaped(field: &str, value: &str) -> Result<(), Rejection> {
    if looks_like_seed(value) {
        return Err(Rejection::bad_request(
            "name_invalid",
            format!("`{field}` looks like an nkey seed; a seed never leaves the client"),
        ));
    }
    Ok(())
}

/// The checks only the edge can do for a JSON request (after [`check_fields`]): proof,
/// nonce, token.
async fn check_json_request(
    ctx: &Context,
    req: &CredentialRequest,
    now: i64,
) -> Result<policy::Request, Rejection> {
    let verified = Step::Proof.time(|| verify_proof(req, now, ctx.proof_window_secs));
    let version = verified.map_err(|err| match err {
        ProofError::Signature => Rejection::denied("proof_invalid", err.to_string()),
        ProofError::Stale { .. } => Rejection::bad_request("stale_timestamp", err.to_string()),
        ProofError::Nonce => Rejection::bad_request("nonce_invalid", err.to_string()),
        ProofError::Version => Rejection::bad_request("bad_request", err.to_string()),
        ProofError::Replayed => Rejection::new(Status::Conflict, "nonce_replayed", err.to_string()),
    })?;
    let keep_until = last_replay_second(now, ctx.proof_window_secs);
    let recorded = ctx
        .nonces
        .record(&req.public_key, &req.nonce, now, keep_until);
    match Step::Nonce.time_async(recorded).await {
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
            return Err(Rejection::registry_unavailable());
        }
    }
    let mut request = policy::Request::new(req.name.clone(), req.public_key.clone());
    request.tenant = req.tenant.clone();
    request.ttl_secs = req.ttl;
    request.tags = req.tags.clone().unwrap_or_default();
    request.proof_verified = true;
    // Whether a v1 proof counts is the tenant's call (`identity.proof.accept_v1`).
    request.proof_v1 = version == ProofVersion::V1;
    Ok(request)
}

/// The credential a request's `id_token` stands for, or a 403 `id_token_invalid`
/// rejection with the reason (never the token). The `oidc` crate knows nothing of
/// replies, so the mapping to this door's refusal lives here.
fn vouch(
    verifiers: &oidc::OidcVerifiers,
    id_token: &str,
    now: i64,
) -> Result<policy::VerifiedCredential, Rejection> {
    verifiers
        .verify(id_token, now)
        .map_err(|err| Rejection::denied("id_token_invalid", err.to_string()))
}
