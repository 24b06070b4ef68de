//! Decide, reserve and mint with the registry: decide with the facts it holds, mint,
//! then reserve and record with compare-and-set (`registry::reserve`); when the registry
//! moved on since it was read, read and decide again, a bounded number of times, so that
//! of two replicas racing for the same name, invite use or last quota slot, exactly one
//! wins and the other gets the decision the new state gives.

use registry::entry::Issuance;
use registry::reserve::{requester, Asking, ReserveError};
use registry::revoked::Refused;
use registry::{Registry, MAX_ATTEMPTS};

use crate::audit::AuditEvent;
use crate::config::runtime::Runtime;
use crate::mint::{mint_as, SignWith};
use crate::pipeline::ask::{Ask, Issued};
use crate::pipeline::decide::{allowed, deny_rejection};
use crate::pipeline::invite::read_invite;
use crate::pipeline::steps::{self, Step};
use crate::rejection::{Rejection, Status};

/// Decides, mints, reserves and records with the registry; see the module docs.
///
/// # Errors
/// The rejection to answer with.
pub async fn issue_with_registry(
    registry: &Registry,
    runtime: &Runtime,
    ask: Ask<'_>,
    audit: &mut AuditEvent,
) -> Result<Issued, Rejection> {
    let Ask {
        mut request,
        identity,
        token,
        request_id,
        now,
        sign_with,
        per_connection,
    } = ask;
    // Fail closed with a reason the caller can act on: nothing is issued without the
    // registry (an unreachable home region, a lost quorum), and a retry may succeed.
    let failed = |err: &dyn std::fmt::Display| {
        tracing::error!(error = %err, "registry unavailable");
        Rejection::registry_unavailable()
    };
    let mut invite = match &token {
        Some(token) => Some(read_invite(registry, token, (&request, &runtime.policy), now).await?),
        None => None,
    };
    request.invite = invite.as_ref().map(|(_, i)| i.value.grant());
    let tenant = runtime
        .policy
        .resolve_tenant(&request, identity)
        .map_err(deny_rejection)?;
    audit.tenant = Some(tenant.name().to_owned());
    audit.account = Some(tenant.account().to_owned());
    // The registry knows a name by its folded form where the tenant ignores case
    // (`registry::fold`); the JWT keeps the name as asked.
    let registry_name = tenant.config().names.unique_form(&request.name);
    let invite_id = invite
        .as_ref()
        .map(|(key, _)| registry::invite::id_of_key(key).to_owned());
    let vouched = request.credential.as_ref().map(|c| c.name.as_str());
    let who = requester(
        identity.caller_user.as_deref(),
        invite_id.as_deref(),
        vouched,
    );
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            audit.rule = None;
            tokio::time::sleep(backoff(attempt)).await;
            if let Some(token) = &token {
                let fresh = read_invite(registry, token, (&request, &runtime.policy), now).await?;
                invite = Some(fresh);
            }
        }
        let asking = Asking {
            name: &registry_name,
            public_key: &request.public_key,
            requester: &who,
            legacy: request.legacy,
            per_connection,
        };
        let snapshot = Step::Read
            .time_async(registry.snapshot(tenant, &asking, invite.clone(), now))
            .await
            .map_err(|e| failed(&e))?;
        let revoked = match snapshot.refused {
            _ if snapshot.entry().is_some_and(|e| e.revoked) => Some(Refused::Name),
            refused => refused,
        };
        match revoked {
            Some(Refused::Name) => {
                return Err(Rejection::denied(
                    "name_revoked",
                    format!(
                        "name `{}` was revoked; it is not issued again",
                        request.name
                    ),
                ))
            }
            Some(Refused::Key) => {
                return Err(Rejection::denied(
                    "key_revoked",
                    "this public key was revoked; it is not issued a JWT again, under any name",
                ))
            }
            None => {}
        }
        request.facts = snapshot.facts;
        let decision =
            Step::Decide.time(|| policy::evaluate(&runtime.policy, &request, identity, now));
        let allow = allowed(decision, audit)?;
        let minted = Step::Mint.time(|| mint_as(runtime, &allow, sign_with, now, audit))?;
        let issuer = match sign_with {
            SignWith::TenantKey => runtime
                .signer(&allow.account)
                .map(|s| s.key.public_key())
                .unwrap_or_default(),
            SignWith::CalloutIssuer(key) => key.public_key(),
        };
        let issuance = Issuance {
            tenant: allow.tenant.clone(),
            name: registry_name.clone(),
            public_key: allow.user_public_key.clone(),
            account: allow.account.clone(),
            jti: minted.jti.clone(),
            iat: now,
            exp: allow.expires_at,
            issuer,
            request_id: request_id.to_owned(),
            per_connection,
        };
        let reserved = Step::Reserve
            .time_async(registry.reserve(&snapshot, &issuance, now))
            .await;
        if !matches!(reserved, Err(ReserveError::Conflict)) {
            steps::attempts(attempt + 1);
        }
        match reserved {
            Ok(()) => return Ok(Issued { allow, minted }),
            Err(ReserveError::Conflict) => {
                tracing::debug!(attempt, "registry moved on; deciding again");
            }
            Err(ReserveError::QuotaExceeded) => {
                return Err(Rejection::new(
                    Status::TooMany,
                    policy::DenyCode::QuotaExceeded.as_str(),
                    "the tenant has as many active users as it may",
                ))
            }
            Err(ReserveError::RateLimited { per_requester }) => {
                let whom = if per_requester {
                    "this requester"
                } else {
                    "this tenant"
                };
                audit.rule = Some(String::from(if per_requester {
                    policy::rule::RATE_REQUESTER
                } else {
                    policy::rule::RATE_TENANT
                }));
                return Err(Rejection::new(
                    Status::TooMany,
                    policy::DenyCode::RateLimited.as_str(),
                    format!("too many credentials issued to {whom}, try again later"),
                ));
            }
            Err(ReserveError::Registry(err)) => return Err(failed(&err)),
        }
    }
    steps::attempts(MAX_ATTEMPTS);
    Err(Rejection::new(
        Status::Unavailable,
        "registry_contended",
        "too many concurrent changes to the same registry entries; retry",
    ))
}

/// A short, jittered pause before deciding again, growing with the attempt.
fn backoff(attempt: u32) -> std::time::Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        % 1_000;
    std::time::Duration::from_micros(u64::from(attempt.min(8)) * 500 + u64::from(jitter))
}
